//! The offline simulate-request file: one request plus the policies to evaluate it against.
//!
//! ```json
//! {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
//!  "principal_arn": "arn:aws:iam::123456789012:role/x",
//!  "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]},
//!  "absent_keys_unknown": true,
//!  "identity_policies": [ ... ], "permissions_boundary": null, "scp_levels": [[ ... ], ...],
//!  "rcp_levels": [[ ... ], ...], "session_policy": null}
//! ```
//!
//! `rcp_levels` are the resource control policies of the resource's account, root first, like
//! `scp_levels`; AWS's `RCPFullAWSAccess` (allow everything; attached to every level and not
//! detachable) is added to each level given, so RCPs restrict only by their Deny statements.
//! `session_policy` is the policy passed when the session was created: a gate like the boundary.
//!
//! `resource` absent or `"*"` means any resource. `principal_arn` sets `aws:PrincipalArn` and
//! `aws:PrincipalAccount` unless the context already has them. `absent_keys_unknown` (default
//! true, as [`Context::new`]) decides whether keys missing from `context` are unknown (the
//! answer may be conditionally_allowed with the keys listed) or simply absent.
//!
//! The short form of `iamlake simulate` (`--policy F... [--boundary F] [--scp F...] --action A
//! [--resource R] [--context key=value...] [--principal-arn ARN]`) builds the same
//! [`SimulateRequest`] with [`SimulateRequest::from_args`]: each `--scp` file is one SCP
//! *level* holding that one policy, and policy ids are the file paths.

use serde_json::Value;

use crate::eval::context::Context;
use crate::eval::error::RequestError;
use crate::eval::evaluate::{
    BreadthDecision, Decision, PolicySet, Request, evaluate, evaluate_breadth,
};
use crate::eval::policy::{Policy, RequestResource};

fn field_err(field: impl Into<String>, reason: impl Into<String>) -> RequestError {
    RequestError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

fn context_values(v: &Value, field: &str) -> Result<Vec<String>, RequestError> {
    crate::eval::policy::scalar_values(v, field).map_err(|(field, reason)| field_err(field, reason))
}

fn check_action(action: &str, field: &str) -> Result<String, RequestError> {
    if action.contains(':') {
        Ok(action.to_string())
    } else {
        Err(field_err(field, "expected service:action"))
    }
}

fn resource_of(resource: Option<&str>) -> RequestResource {
    match resource {
        None | Some("*") => RequestResource::Any,
        Some(r) => RequestResource::Arn(r.to_string()),
    }
}

/// Sets `aws:PrincipalArn` and `aws:PrincipalAccount` from `arn` unless already present.
fn apply_principal_arn(context: &mut Context, arn: &str) {
    if !context.contains("aws:PrincipalArn") {
        context.insert("aws:PrincipalArn", vec![arn.to_string()]);
    }
    let account = arn.split(':').nth(4).unwrap_or("");
    if !account.is_empty() && !context.contains("aws:PrincipalAccount") {
        context.insert("aws:PrincipalAccount", vec![account.to_string()]);
    }
}

/// Parses `--context key=value` arguments: split at the first `=`, the value is the literal
/// string; a key given more than once collects all its values (a multi-valued key). Keys are
/// case-insensitive, so `aws:TagKeys=a` and `AWS:tagkeys=b` are the same key.
fn context_from_args<S: AsRef<str>>(args: &[S]) -> Result<Context, RequestError> {
    // (lower-cased key, key as first written, values) in argument order.
    let mut keys: Vec<(String, String, Vec<String>)> = Vec::new();
    for arg in args {
        let arg = arg.as_ref();
        let Some((key, value)) = arg.split_once('=') else {
            return Err(field_err(
                "--context",
                format!("expected key=value, got {arg:?}"),
            ));
        };
        if key.trim().is_empty() {
            return Err(field_err("--context", format!("empty key in {arg:?}")));
        }
        let lc = key.to_lowercase();
        match keys.iter_mut().find(|(k, _, _)| *k == lc) {
            Some((_, _, values)) => values.push(value.to_string()),
            None => keys.push((lc, key.to_string(), vec![value.to_string()])),
        }
    }
    let mut context = Context::new();
    for (_, key, values) in keys {
        context.insert(key, values);
    }
    Ok(context)
}

fn policy_list(v: Option<&Value>, field: &str) -> Result<Vec<Policy>, RequestError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, p)| Policy::parse(format!("{field}[{i}]"), p).map_err(RequestError::from))
            .collect(),
        Some(_) => Err(field_err(field, "expected a list of policies")),
    }
}

/// A list of lists of policies (`scp_levels`, `rcp_levels`), each level named `field[i]`.
fn policy_levels(v: Option<&Value>, field: &str) -> Result<Vec<Vec<Policy>>, RequestError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(levels)) => levels
            .iter()
            .enumerate()
            .map(|(i, l)| policy_list(Some(l), &format!("{field}[{i}]")))
            .collect(),
        Some(_) => Err(field_err(field, "expected a list of lists of policies")),
    }
}

/// AWS's `RCPFullAWSAccess`, as the Organizations user guide prints it.
fn rcp_full_aws_access() -> Policy {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    });
    Policy::parse("RCPFullAWSAccess", &doc).expect("RCPFullAWSAccess is a valid policy")
}

/// Parsed form of a simulate-request file, kept so callers can evaluate it more than once.
#[derive(Clone, Debug)]
pub struct SimulateRequest {
    pub action: String,
    pub resource: RequestResource,
    pub context: Context,
    pub identity_policies: Vec<Policy>,
    pub permissions_boundary: Option<Policy>,
    pub scp_levels: Vec<Vec<Policy>>,
    /// RCP levels, each with `RCPFullAWSAccess` first.
    pub rcp_levels: Vec<Vec<Policy>>,
    pub session_policy: Option<Policy>,
}

impl SimulateRequest {
    /// Parses a simulate-request file; errors name the failing field.
    pub fn parse(json: &Value) -> Result<SimulateRequest, RequestError> {
        let Value::Object(m) = json else {
            return Err(RequestError::NotAnObject);
        };
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "action"
                    | "resource"
                    | "principal_arn"
                    | "context"
                    | "absent_keys_unknown"
                    | "identity_policies"
                    | "permissions_boundary"
                    | "scp_levels"
                    | "rcp_levels"
                    | "session_policy"
            ) {
                return Err(field_err(k.as_str(), "unknown field"));
            }
        }
        let action = match m.get("action") {
            Some(Value::String(a)) => check_action(a, "action")?,
            Some(_) => return Err(field_err("action", "expected a string")),
            None => return Err(field_err("action", "missing")),
        };
        let resource = match m.get("resource") {
            None | Some(Value::Null) => RequestResource::Any,
            Some(Value::String(r)) => resource_of(Some(r)),
            Some(_) => return Err(field_err("resource", "expected a string")),
        };
        let mut context = Context::new();
        match m.get("absent_keys_unknown") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => context.absent_keys_unknown = *b,
            Some(_) => return Err(field_err("absent_keys_unknown", "expected a boolean")),
        }
        match m.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(c)) => {
                for (k, v) in c {
                    context.insert(k.clone(), context_values(v, &format!("context.{k}"))?);
                }
            }
            Some(_) => return Err(field_err("context", "expected an object")),
        }
        match m.get("principal_arn") {
            None | Some(Value::Null) => {}
            Some(Value::String(arn)) => apply_principal_arn(&mut context, arn),
            Some(_) => return Err(field_err("principal_arn", "expected a string")),
        }
        let identity_policies = policy_list(m.get("identity_policies"), "identity_policies")?;
        let permissions_boundary = match m.get("permissions_boundary") {
            None | Some(Value::Null) => None,
            Some(p) => Some(Policy::parse("permissions_boundary", p)?),
        };
        let scp_levels = policy_levels(m.get("scp_levels"), "scp_levels")?;
        let mut rcp_levels = policy_levels(m.get("rcp_levels"), "rcp_levels")?;
        for level in &mut rcp_levels {
            level.insert(0, rcp_full_aws_access());
        }
        let session_policy = match m.get("session_policy") {
            None | Some(Value::Null) => None,
            Some(p) => Some(Policy::parse("session_policy", p)?),
        };
        Ok(SimulateRequest {
            action,
            resource,
            context,
            identity_policies,
            permissions_boundary,
            scp_levels,
            rcp_levels,
            session_policy,
        })
    }

    /// Builds the request of the short form of `iamlake simulate` from command-line arguments
    /// (the same request the request-file form builds for the same inputs):
    ///
    /// * `identity_policies`: `--policy` files as (path, parsed JSON document); the path is the
    ///   policy id in decisions and in parse errors;
    /// * `permissions_boundary`: `--boundary` file, likewise;
    /// * `scps`: `--scp` files, **each one SCP level** holding that one policy, root first
    ///   (so every given SCP must allow; several policies attached at one level cannot be
    ///   expressed here: use the request file);
    /// * `action`: `service:action`;
    /// * `resource`: absent or `*` means any resource, anything else one ARN;
    /// * `context`: `key=value` arguments, split at the first `=`, the value taken as the
    ///   literal string; a key given twice becomes multi-valued. Keys not given are unknown
    ///   (as with the file's default `absent_keys_unknown: true`);
    /// * `principal_arn`: sets `aws:PrincipalArn` and `aws:PrincipalAccount` unless the
    ///   context already has them.
    ///
    /// Errors name the file (policy parse errors) or the argument (`--action`, `--context`).
    pub fn from_args<S: AsRef<str>>(
        identity_policies: &[(String, Value)],
        permissions_boundary: Option<&(String, Value)>,
        scps: &[(String, Value)],
        action: &str,
        resource: Option<&str>,
        context: &[S],
        principal_arn: Option<&str>,
    ) -> Result<SimulateRequest, RequestError> {
        let action = check_action(action, "--action")?;
        let mut ctx = context_from_args(context)?;
        if let Some(arn) = principal_arn {
            apply_principal_arn(&mut ctx, arn);
        }
        let parse = |(path, doc): &(String, Value)| Policy::parse(path.clone(), doc);
        let identity_policies = identity_policies
            .iter()
            .map(parse)
            .collect::<Result<_, _>>()?;
        let permissions_boundary = permissions_boundary.map(parse).transpose()?;
        let scp_levels = scps
            .iter()
            .map(|p| parse(p).map(|p| vec![p]))
            .collect::<Result<_, _>>()?;
        Ok(SimulateRequest {
            action,
            resource: resource_of(resource),
            context: ctx,
            identity_policies,
            permissions_boundary,
            scp_levels,
            rcp_levels: Vec::new(),
            session_policy: None,
        })
    }

    /// The policies of the request as a [`PolicySet`].
    fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity_policies,
            boundary: self.permissions_boundary.as_ref(),
            scp_levels: &self.scp_levels,
            rcp_levels: &self.rcp_levels,
            session: self.session_policy.as_ref(),
        }
    }

    /// Evaluates the request.
    pub fn evaluate(&self) -> Decision {
        let set = self.policy_set();
        let req = Request {
            action: &self.action,
            resource: self.resource.clone(),
            context: &self.context,
        };
        evaluate(&set, &req)
    }
}

impl SimulateRequest {
    /// The grant's breadth (see [`crate::eval::breadth`]), when the request
    /// is about any resource and the principal's account is known
    /// (`principal_arn`, or `aws:PrincipalAccount` in the context).
    pub fn evaluate_breadth(&self) -> Option<BreadthDecision> {
        if self.resource != RequestResource::Any {
            return None;
        }
        let account = match self.context.get("aws:PrincipalAccount") {
            Some([one]) => one.clone(),
            _ => return None,
        };
        let set = self.policy_set();
        Some(evaluate_breadth(
            &set,
            &self.action,
            &self.context,
            &account,
        ))
    }
}

/// Parses a simulate-request file and evaluates it.
pub fn simulate_request(json: &Value) -> Result<Decision, RequestError> {
    Ok(SimulateRequest::parse(json)?.evaluate())
}
