//! `check-plan`: checks a Terraform plan (`terraform show -json`) for IAM policies that would
//! grant sensitive actions on any resource, before they are applied.
//!
//! Entry point: [`check_plan`]. It reads the plan ([`terraform`]), finds every IAM policy the
//! plan creates or changes and the roles they reach (`aws_iam_policy`, `aws_iam_role_policy`,
//! `aws_iam_role` inline policies / `managed_policy_arns` / `permissions_boundary`,
//! `aws_iam_role_policy_attachment`, `aws_iam_policy_attachment`, rendered
//! `aws_iam_policy_document` data sources), resolves AWS managed policies from a bundled
//! snapshot ([`ManagedPolicies`]), evaluates with [`crate::eval`], applies [`Overrides`], and
//! returns a [`PlanReport`] that renders as Markdown, JSON or SARIF. See docs/CHECK_PLAN.md.

mod check;
mod error;
mod managed;
mod overrides;
mod report;
mod terraform;

#[cfg(test)]
mod tests;

use std::path::Path;

use chrono::NaiveDate;
use serde_json::Value;

pub use error::PlanError;
pub use managed::{ManagedPolicies, is_aws_managed_arn};
pub use overrides::{OverrideEntry, Overrides};
pub use report::{
    Checked, EXIT_ERROR, EXIT_PASS, EXIT_VIOLATIONS, ExpiredOverride, Finding, FindingStatement,
    Overridden, OverrideRef, PlanReport, REPORT_SCHEMA_VERSION, Unknown,
};

/// What to check and how strictly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanCheckConfig {
    /// Concrete actions (`service:Action`, no wildcards) that must not be granted on any
    /// resource; the CLI passes `config::DEFAULT_SENSITIVE_ACTIONS` or `--actions-file`.
    pub sensitive_actions: Vec<String>,
    /// Treat `conditionally_allowed` as a violation (otherwise it is a warning).
    pub fail_on_conditional: bool,
    /// Check every IAM resource of the plan, including unchanged ones (`--all`).
    pub check_all: bool,
    /// The change's author (`--author`), matched by `author` overrides.
    pub author: Option<String>,
    /// "Today" for override expiry (`--today`, default the local date).
    pub today: NaiveDate,
}

impl PlanCheckConfig {
    /// A config with the given actions and defaults otherwise.
    pub fn new(sensitive_actions: Vec<String>, today: NaiveDate) -> PlanCheckConfig {
        PlanCheckConfig {
            sensitive_actions,
            fail_on_conditional: false,
            check_all: false,
            author: None,
            today,
        }
    }
}

/// Checks a parsed plan. `plan_path` names the plan in the report and errors. Errors only when
/// the input is not a plan or the configuration is invalid; per-policy problems (values unknown
/// until apply, unresolvable ARNs, unparsable documents) are reported as unknowns.
pub fn check_plan(
    plan_json: &Value,
    plan_path: &Path,
    managed: &ManagedPolicies,
    overrides: &Overrides,
    cfg: &PlanCheckConfig,
) -> Result<PlanReport, PlanError> {
    check::run(plan_json, plan_path, managed, overrides, cfg)
}

/// Reads and parses a plan file, then [`check_plan`]s it.
pub fn check_plan_file(
    plan_path: &Path,
    managed: &ManagedPolicies,
    overrides: &Overrides,
    cfg: &PlanCheckConfig,
) -> Result<PlanReport, PlanError> {
    let text = std::fs::read_to_string(plan_path).map_err(|source| PlanError::Read {
        path: plan_path.to_path_buf(),
        source,
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| PlanError::PlanJson {
        path: plan_path.to_path_buf(),
        reason: e.to_string(),
    })?;
    check_plan(&v, plan_path, managed, overrides, cfg)
}
