//! Parity mode: AWS's own policy simulator (`iam:SimulatePrincipalPolicy`)
//! asked the question the local evaluator answers for every role — may it do
//! each sensitive action on any resource (`*`)? — and its answers mapped to
//! the `simulations` vocabulary. See docs/EVALUATION.md, "Parity with the
//! AWS simulator".
//!
//! Calls go through the clients of [`super::config::build_clients`], so they
//! are retried by the one retry policy (adaptive, throttle-aware) and counted
//! per operation like every other call. Callers bound the concurrency with
//! the collector's semaphores ([`simulate_roles`]).

use super::errors::{describe, is_access_denied, is_throttled};
use super::pages::Pages;
use aws_sdk_iam::types::{
    ContextEntry, ContextKeyTypeEnum, EvaluationResult, PolicyEvaluationDecisionType,
};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Actions sent in one SimulatePrincipalPolicy request. AWS documents no
/// maximum for `ActionNames`, but every action is evaluated against every
/// policy of the role in one request, so large lists make slow requests that
/// time out and are retried whole; 50 keeps one request small while the
/// default 7 sensitive actions still cost one call per role.
pub const ACTIONS_PER_CALL: usize = 50;

/// AWS's decision for one action, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ApiVerdict {
    /// `allowed`.
    #[serde(rename = "allowed")]
    Allowed,
    /// `explicitDeny`.
    #[serde(rename = "explicitDeny")]
    ExplicitDeny,
    /// `implicitDeny`.
    #[serde(rename = "implicitDeny")]
    ImplicitDeny,
}

impl ApiVerdict {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVerdict::Allowed => "allowed",
            ApiVerdict::ExplicitDeny => "explicitDeny",
            ApiVerdict::ImplicitDeny => "implicitDeny",
        }
    }

    /// The `simulations.decision` value it maps to.
    pub fn decision(self) -> &'static str {
        match self {
            ApiVerdict::Allowed => "allowed",
            ApiVerdict::ExplicitDeny => "explicit_deny",
            ApiVerdict::ImplicitDeny => "implicit_deny",
        }
    }
}

/// A statement AWS says the decision rests on. The API names a policy and a
/// position in its text, not a statement index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiStatement {
    /// `SourcePolicyId`: the policy's name (inline) or id as AWS reports it.
    pub source_policy_id: Option<String>,
    /// `SourcePolicyType`: `role`, `aws-managed`, `user-managed`, ….
    pub source_policy_type: Option<String>,
    /// 1-based line of the statement's start in the policy text.
    pub start_line: Option<i32>,
    /// 1-based column of the statement's start.
    pub start_column: Option<i32>,
}

/// AWS's answer for one action, in our vocabulary plus what AWS adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiDecision {
    pub action: String,
    pub verdict: ApiVerdict,
    /// `scp` when `OrganizationsDecisionDetail.AllowedByOrganizations` is
    /// false, else `boundary` when
    /// `PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary` is
    /// false, else `identity`.
    pub decided_by: &'static str,
    pub matched_statements: Vec<ApiStatement>,
    /// `MissingContextValues`: keys the policies test that the request did
    /// not carry.
    pub missing_context: Vec<String>,
}

impl ApiDecision {
    /// Maps one `EvaluationResult`; `None` for a decision this SDK version
    /// does not know.
    pub fn from_result(r: &EvaluationResult) -> Option<ApiDecision> {
        let verdict = match r.eval_decision() {
            PolicyEvaluationDecisionType::Allowed => ApiVerdict::Allowed,
            PolicyEvaluationDecisionType::ExplicitDeny => ApiVerdict::ExplicitDeny,
            PolicyEvaluationDecisionType::ImplicitDeny => ApiVerdict::ImplicitDeny,
            _ => return None,
        };
        let denied_by_scp = r
            .organizations_decision_detail()
            .is_some_and(|d| !d.allowed_by_organizations());
        let denied_by_boundary = r
            .permissions_boundary_decision_detail()
            .is_some_and(|d| !d.allowed_by_permissions_boundary());
        let decided_by = match verdict {
            ApiVerdict::Allowed => "identity",
            _ if denied_by_scp => "scp",
            _ if denied_by_boundary => "boundary",
            _ => "identity",
        };
        Some(ApiDecision {
            action: r.eval_action_name().to_string(),
            verdict,
            decided_by,
            matched_statements: r
                .matched_statements()
                .iter()
                .map(|s| ApiStatement {
                    source_policy_id: s.source_policy_id().map(str::to_string),
                    source_policy_type: s.source_policy_type().map(|t| t.as_str().to_string()),
                    start_line: s.start_position().map(|p| p.line()),
                    start_column: s.start_position().map(|p| p.column()),
                })
                .collect(),
            missing_context: r.missing_context_values().to_vec(),
        })
    }
}

/// One role to simulate: its ARN and the context the local evaluator knows
/// about it (sent as `ContextEntries`, so both sides answer the same
/// question).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleQuery {
    pub role_arn: String,
    /// Context key → values (one value: `string`, more: `stringList`).
    pub context: Vec<(String, Vec<String>)>,
}

/// A role whose simulation failed (after the retries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{role_arn}: iam:SimulatePrincipalPolicy: {message}")]
pub struct SimulatorError {
    pub role_arn: String,
    pub message: String,
    /// Throttling outlasted the retries.
    pub throttled: bool,
    /// AccessDenied (the member role lacks `iam:SimulatePrincipalPolicy`).
    pub denied: bool,
}

fn context_entries(context: &[(String, Vec<String>)]) -> Vec<ContextEntry> {
    context
        .iter()
        .map(|(key, values)| {
            ContextEntry::builder()
                .context_key_name(key)
                .set_context_key_values(Some(values.clone()))
                .context_key_type(if values.len() == 1 {
                    ContextKeyTypeEnum::String
                } else {
                    ContextKeyTypeEnum::StringList
                })
                .build()
        })
        .collect()
}

/// Asks AWS for one role's decisions on `actions` on any resource: one
/// request per [`ACTIONS_PER_CALL`] actions, each followed through its
/// `IsTruncated`/`Marker` pages. Returns the decisions in `actions` order;
/// an action AWS did not answer is an error.
pub async fn simulate_role(
    iam: &aws_sdk_iam::Client,
    query: &RoleQuery,
    actions: &[String],
    page_size: i32,
    max_pages: u32,
) -> Result<Vec<ApiDecision>, SimulatorError> {
    let fail = |message: String, throttled, denied| SimulatorError {
        role_arn: query.role_arn.clone(),
        message,
        throttled,
        denied,
    };
    let context = context_entries(&query.context);
    let mut answers: HashMap<String, ApiDecision> = HashMap::new();
    for chunk in actions.chunks(ACTIONS_PER_CALL) {
        let mut pages = Pages::new(max_pages);
        while let Some(marker) = pages.next_request() {
            let page = iam
                .simulate_principal_policy()
                .policy_source_arn(&query.role_arn)
                .set_action_names(Some(chunk.to_vec()))
                .resource_arns("*")
                .set_context_entries((!context.is_empty()).then(|| context.clone()))
                .max_items(page_size)
                .set_marker(marker.map(str::to_string))
                .send()
                .await
                .map_err(|e| fail(describe(&e), is_throttled(&e), is_access_denied(&e)))?;
            for r in page.evaluation_results() {
                let d = ApiDecision::from_result(r).ok_or_else(|| {
                    fail(
                        format!(
                            "{}: unknown EvalDecision {:?}",
                            r.eval_action_name(),
                            r.eval_decision().as_str()
                        ),
                        false,
                        false,
                    )
                })?;
                answers.insert(d.action.to_ascii_lowercase(), d);
            }
            pages
                .advance(page.is_truncated(), page.marker().map(str::to_string))
                .map_err(|e| fail(e.to_string(), false, false))?;
        }
    }
    actions
        .iter()
        .map(|a| {
            let mut d = answers
                .remove(&a.to_ascii_lowercase())
                .ok_or_else(|| fail(format!("no EvaluationResult for {a}"), false, false))?;
            // Report under the name asked (AWS may change its case).
            d.action = a.clone();
            Ok(d)
        })
        .collect()
}

/// The outcome of one role's simulation, by role ARN.
pub type RoleSimulation = (String, Result<Vec<ApiDecision>, SimulatorError>);

/// Simulates `queries` with one account's IAM client, each role holding a
/// permit of every semaphore in `gates` (the account's and the run's) while
/// its requests are in flight. Results come back in `queries` order.
pub async fn simulate_roles(
    iam: &aws_sdk_iam::Client,
    queries: Vec<RoleQuery>,
    actions: Arc<[String]>,
    gates: &[Arc<Semaphore>],
    page_size: i32,
    max_pages: u32,
) -> Vec<RoleSimulation> {
    let handles: Vec<_> = queries
        .into_iter()
        .map(|query| {
            let (iam, actions, gates) = (iam.clone(), Arc::clone(&actions), gates.to_vec());
            let arn = query.role_arn.clone();
            let task = tokio::spawn(async move {
                let mut permits = Vec::with_capacity(gates.len());
                for g in gates {
                    permits.push(g.acquire_owned().await.ok());
                }
                simulate_role(&iam, &query, &actions, page_size, max_pages).await
            });
            (arn, task)
        })
        .collect();
    let mut out = Vec::with_capacity(handles.len());
    for (arn, task) in handles {
        let result = task.await.unwrap_or_else(|e| {
            Err(SimulatorError {
                role_arn: arn.clone(),
                message: format!("simulation task: {e}"),
                throttled: false,
                denied: false,
            })
        });
        out.push((arn, result));
    }
    out
}

#[cfg(test)]
#[path = "simulator_tests.rs"]
pub(crate) mod tests;
