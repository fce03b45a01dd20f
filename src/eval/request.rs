//! The offline simulate-request file: one request plus the policies to evaluate it against.
//!
//! ```json
//! {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
//!  "principal_arn": "arn:aws:iam::123456789012:role/x",
//!  "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]},
//!  "absent_keys_unknown": true,
//!  "identity_policies": [ ... ], "permissions_boundary": null, "scp_levels": [[ ... ], ...]}
//! ```
//!
//! `resource` absent or `"*"` means any resource. `principal_arn` sets `aws:PrincipalArn` and
//! `aws:PrincipalAccount` unless the context already has them. `absent_keys_unknown` (default
//! true, as [`Context::new`]) decides whether keys missing from `context` are unknown (the
//! answer may be conditionally_allowed with the keys listed) or simply absent.

use serde_json::Value;

use crate::eval::context::Context;
use crate::eval::error::RequestError;
use crate::eval::evaluate::{Decision, PolicySet, Request, evaluate};
use crate::eval::policy::{Policy, RequestResource};

fn field_err(field: impl Into<String>, reason: impl Into<String>) -> RequestError {
    RequestError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

fn context_values(v: &Value, field: &str) -> Result<Vec<String>, RequestError> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                scalar(x).ok_or_else(|| {
                    field_err(
                        format!("{field}[{i}]"),
                        "expected a string, number or boolean",
                    )
                })
            })
            .collect(),
        other => scalar(other).map(|s| vec![s]).ok_or_else(|| {
            field_err(
                field,
                "expected a string, number, boolean or a list of them",
            )
        }),
    }
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

/// Parsed form of a simulate-request file, kept so callers can evaluate it more than once.
#[derive(Clone, Debug)]
pub struct SimulateRequest {
    pub action: String,
    pub resource: RequestResource,
    pub context: Context,
    pub identity_policies: Vec<Policy>,
    pub permissions_boundary: Option<Policy>,
    pub scp_levels: Vec<Vec<Policy>>,
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
            ) {
                return Err(field_err(k.as_str(), "unknown field"));
            }
        }
        let action = match m.get("action") {
            Some(Value::String(a)) if a.contains(':') => a.clone(),
            Some(Value::String(_)) => return Err(field_err("action", "expected service:action")),
            Some(_) => return Err(field_err("action", "expected a string")),
            None => return Err(field_err("action", "missing")),
        };
        let resource = match m.get("resource") {
            None | Some(Value::Null) => RequestResource::Any,
            Some(Value::String(r)) if r == "*" => RequestResource::Any,
            Some(Value::String(r)) => RequestResource::Arn(r.clone()),
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
            Some(Value::String(arn)) => {
                if !context.contains("aws:PrincipalArn") {
                    context.insert("aws:PrincipalArn", vec![arn.clone()]);
                }
                let account = arn.split(':').nth(4).unwrap_or("");
                if !account.is_empty() && !context.contains("aws:PrincipalAccount") {
                    context.insert("aws:PrincipalAccount", vec![account.to_string()]);
                }
            }
            Some(_) => return Err(field_err("principal_arn", "expected a string")),
        }
        let identity_policies = policy_list(m.get("identity_policies"), "identity_policies")?;
        let permissions_boundary = match m.get("permissions_boundary") {
            None | Some(Value::Null) => None,
            Some(p) => Some(Policy::parse("permissions_boundary", p)?),
        };
        let scp_levels = match m.get("scp_levels") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(levels)) => levels
                .iter()
                .enumerate()
                .map(|(i, l)| policy_list(Some(l), &format!("scp_levels[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(field_err(
                    "scp_levels",
                    "expected a list of lists of policies",
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
        })
    }

    /// Evaluates the request.
    pub fn evaluate(&self) -> Decision {
        let set = PolicySet {
            identity: &self.identity_policies,
            boundary: self.permissions_boundary.as_ref(),
            scp_levels: &self.scp_levels,
        };
        let req = Request {
            action: &self.action,
            resource: self.resource.clone(),
            context: &self.context,
        };
        evaluate(&set, &req)
    }
}

/// Parses a simulate-request file and evaluates it.
pub fn simulate_request(json: &Value) -> Result<Decision, RequestError> {
    Ok(SimulateRequest::parse(json)?.evaluate())
}
