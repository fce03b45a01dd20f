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
//! `resource_policy` is the resource's own policy (bucket policy, KMS key policy, role trust
//! policy; `role_trust_policy` is the same field under the name a trust policy goes by), its
//! `Principal` matched against `principal_arn`; `resource_account` is the resource's account
//! (default: the resource ARN's account field). See [`crate::eval::evaluate_with_resource`]
//! for the same-account and cross-account rules. Instead of `principal_arn`, the requester
//! may be `principal_federated` (a SAML / OIDC provider whose user calls
//! `sts:AssumeRoleWith*`, matched against `Federated` principals) or
//! `principal_canonical_user` (an S3 canonical user id, matched against `CanonicalUser`);
//! given with `principal_arn`, the canonical id is that principal's account's.
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
    BreadthDecision, Decision, DecisionKind, Layer, PolicySet, Request, evaluate, evaluate_breadth,
};
use crate::eval::policy::{Policy, RequestResource};
use crate::eval::resource::{Requester, ResourceSide, evaluate_with_resource};

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

fn is_account_id(a: &str) -> bool {
    a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())
}

/// Changes to AWS managed policies: AWS owns them (IAM user guide, "AWS managed policies":
/// "You cannot change the permissions defined in AWS managed policies").
const MANAGED_POLICY_CHANGES: [&str; 6] = [
    "iam:createpolicyversion",
    "iam:deletepolicy",
    "iam:deletepolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:tagpolicy",
    "iam:untagpolicy",
];

/// Changes to a service-linked role's trust and permissions (IAM user guide, "Using
/// service-linked roles": the service defines them and "you can't modify" them; it is
/// deleted with iam:DeleteServiceLinkedRole), and likewise to IAM Identity Center's reserved
/// roles (path `/aws-reserved/sso.amazonaws.com/`), which Identity Center manages.
const PROTECTED_ROLE_CHANGES: [&str; 8] = [
    "iam:updateassumerolepolicy",
    "iam:attachrolepolicy",
    "iam:detachrolepolicy",
    "iam:putrolepolicy",
    "iam:deleterolepolicy",
    "iam:putrolepermissionsboundary",
    "iam:deleterolepermissionsboundary",
    "iam:deleterole",
];

/// AWS's fixed denials: requests no policy can allow, whatever the principal's policies say.
/// The reason, or `None`.
fn fixed_denial(action_lc: &str, arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn_ != "arn" || service != "iam" {
        return None;
    }
    if account == "aws"
        && resource.starts_with("policy/")
        && MANAGED_POLICY_CHANGES.contains(&action_lc)
    {
        return Some(format!(
            "{arn} is an AWS managed policy: AWS refuses {action_lc} on it for every principal"
        ));
    }
    let protected = if resource.starts_with("role/aws-service-role/") {
        Some("a service-linked role")
    } else if resource.starts_with("role/aws-reserved/sso.amazonaws.com/") {
        Some("an IAM Identity Center reserved role")
    } else {
        None
    };
    match protected {
        Some(what) if PROTECTED_ROLE_CHANGES.contains(&action_lc) => Some(format!(
            "{arn} is {what}: AWS refuses {action_lc} on it for every principal"
        )),
        _ => None,
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

/// An optional string field.
fn opt_string<'v>(
    m: &'v serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<&'v str>, RequestError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(field_err(field, "expected a non-empty string")),
    }
}

/// The requester: `principal_arn` (an IAM role, user or session, or a service principal),
/// optionally with its account's S3 canonical user id (`principal_canonical_user`); or a
/// federated caller (`principal_federated`: the SAML / OIDC provider, as a trust policy's
/// `Federated` names it); or an identity known only by its canonical user id.
fn requester(m: &serde_json::Map<String, Value>) -> Result<Option<Requester>, RequestError> {
    let arn = opt_string(m, "principal_arn")?;
    let federated = opt_string(m, "principal_federated")?;
    let canonical = opt_string(m, "principal_canonical_user")?;
    if let Some(c) = canonical
        && !(c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(field_err(
            "principal_canonical_user",
            "expected an S3 canonical user id (64 hexadecimal characters)",
        ));
    }
    Ok(match (arn, federated, canonical) {
        (Some(_) | None, Some(_), Some(_)) | (Some(_), Some(_), None) => {
            return Err(field_err(
                "principal_federated",
                "cannot be combined with principal_arn or principal_canonical_user (a federated \
                 caller is not an AWS identity)",
            ));
        }
        (Some(arn), None, c) => Some(match Requester::parse(arn) {
            Requester::Aws {
                arn,
                account,
                session_of,
                ..
            } => Requester::Aws {
                arn,
                account,
                session_of,
                canonical_user: c.map(str::to_string),
            },
            other => other,
        }),
        (None, Some(p), None) => Some(Requester::Federated(p.to_string())),
        (None, None, Some(c)) => Some(Requester::CanonicalUser(c.to_string())),
        (None, None, None) => None,
    })
}

/// AWS's `RCPFullAWSAccess` document, as the Organizations user guide prints it.
pub fn rcp_full_aws_access_document() -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]
    })
}

/// AWS's `RCPFullAWSAccess`, compiled.
fn rcp_full_aws_access() -> Policy {
    Policy::parse("RCPFullAWSAccess", &rcp_full_aws_access_document())
        .expect("RCPFullAWSAccess is a valid policy")
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
    /// The resource's policy (or the role's trust policy for `sts:AssumeRole*`).
    pub resource_policy: Option<Policy>,
    /// The resource's account when given (else from the resource ARN).
    pub resource_account: Option<String>,
    /// The requester, from `principal_arn`.
    pub principal: Option<Requester>,
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
                    | "resource_policy"
                    | "role_trust_policy"
                    | "resource_account"
                    | "principal_federated"
                    | "principal_canonical_user"
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
        let given = |k: &str| m.get(k).filter(|v| !v.is_null());
        let resource_policy = match (given("resource_policy"), given("role_trust_policy")) {
            (Some(_), Some(_)) => {
                return Err(field_err(
                    "role_trust_policy",
                    "cannot be combined with resource_policy (they are the same policy)",
                ));
            }
            (Some(p), None) => Some(Policy::parse("resource_policy", p)?),
            (None, Some(p)) => Some(Policy::parse("role_trust_policy", p)?),
            (None, None) => None,
        };
        let principal = requester(m)?;
        if principal.as_ref().is_some_and(Requester::is_outside_iam)
            && (!identity_policies.is_empty()
                || permissions_boundary.is_some()
                || session_policy.is_some())
        {
            return Err(field_err(
                "identity_policies",
                "a federated or canonical-user caller has no IAM policies (identity, boundary, \
                 session): only the resource policy can grant it",
            ));
        }
        if resource_policy.is_some() && principal.is_none() {
            return Err(field_err(
                "principal_arn",
                "needed with a resource or trust policy (its Principal is matched against it; \
                 or principal_federated / principal_canonical_user)",
            ));
        }
        let resource_account = match m.get("resource_account") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) if is_account_id(a) => Some(a.clone()),
            Some(_) => {
                return Err(field_err(
                    "resource_account",
                    "expected a 12-digit account id",
                ));
            }
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
            resource_policy,
            resource_account,
            principal,
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
            resource_policy: None,
            resource_account: None,
            principal: principal_arn.map(Requester::parse),
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
        self.evaluate_explained().0
    }

    /// Evaluates the request, with the reasons for answers that depend on what the request
    /// does not say (another account's resource whose policy is unknown, …).
    pub fn evaluate_explained(&self) -> (Decision, Vec<String>) {
        let set = self.policy_set();
        let req = Request {
            action: &self.action,
            resource: self.resource.clone(),
            context: &self.context,
        };
        let arn = match &self.resource {
            RequestResource::Arn(a) => Some(a.as_str()),
            _ => None,
        };
        let action_lc = self.action.to_lowercase();
        if let Some(reason) = arn.and_then(|a| fixed_denial(&action_lc, a)) {
            return (
                Decision {
                    decision: DecisionKind::ExplicitDeny,
                    decided_by: None,
                    matched_statements: Vec::new(),
                    missing_context_keys: Vec::new(),
                },
                vec![reason],
            );
        }
        let (required, name) = if action_lc.starts_with("sts:assumerole") {
            (true, "trust policy")
        } else if action_lc.starts_with("kms:") && arn.is_some_and(|a| a.contains(":key/")) {
            (true, "key policy")
        } else {
            (false, "resource policy")
        };
        // Only a 12-digit account is another account (not `aws`, owner of AWS managed
        // policies, nor the empty account of S3 ARNs).
        let account = self.resource_account.as_deref().or_else(|| {
            arn.and_then(|a| a.split(':').nth(4))
                .filter(|a| is_account_id(a))
        });
        let cross_account = match (&self.principal, account) {
            (Some(p), Some(a)) => p.account().is_some_and(|p| p != a),
            _ => false,
        };
        if self.resource_policy.is_none() && !required && !cross_account {
            return (evaluate(&set, &req), Vec::new());
        }
        let side = ResourceSide {
            policy: self.resource_policy.as_ref(),
            account,
            required,
            name,
        };
        match &self.principal {
            Some(who) => evaluate_with_resource(&set, &req, who, &side),
            None => {
                // Required policy unknown and the requester unknown: the identity side alone
                // cannot allow.
                let mut d = evaluate(&set, &req);
                let mut reasons = Vec::new();
                if d.decision.is_allowed() {
                    d.decision = DecisionKind::ConditionallyAllowed;
                    d.decided_by = Some(Layer::Resource);
                    reasons.push(format!(
                        "the {name} of {} is not known: it must allow the request",
                        arn.unwrap_or("the resource")
                    ));
                }
                (d, reasons)
            }
        }
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
