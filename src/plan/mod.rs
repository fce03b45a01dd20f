//! `check-plan`: checks a Terraform plan (`terraform show -json`) for IAM policies that would
//! grant sensitive actions on any resource, before they are applied.
//!
//! Entry point: [`check_plan`]. It reads the plan ([`terraform`]), finds every IAM policy the
//! plan creates or changes and the roles, users and groups they reach (`aws_iam_policy`,
//! `aws_iam_role_policy`, `aws_iam_role` inline policies / `managed_policy_arns` /
//! `permissions_boundary`, role/user/group policies and attachments, group memberships,
//! `aws_iam_policy_attachment`, rendered `aws_iam_policy_document` data sources), resolves AWS
//! managed policies from a bundled snapshot ([`ManagedPolicies`]), evaluates with
//! [`crate::eval`], applies [`Overrides`], and returns a [`PlanReport`] that renders as
//! Markdown, JSON, SARIF or conftest input. [`check_plan_deployed`] does the same against a
//! lake's [`Deployed`] state: deployed roles with the plan's changes applied, under the
//! account's SCPs, each finding newly or already allowed. See docs/CHECK_PLAN.md.

mod check;
mod deployed;
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

pub use deployed::{Deployed, DeployedRole, latest_snapshot, plan_accounts};
pub use error::PlanError;
pub use managed::{ManagedPolicies, is_aws_managed_arn};
pub use overrides::{OverrideEntry, Overrides};
pub use report::{
    Checked, DeployedContext, EXIT_ERROR, EXIT_PASS, EXIT_VIOLATIONS, ExpiredOverride, Finding,
    FindingStatement, Overridden, OverrideRef, PlanReport, REPORT_SCHEMA_VERSION, Unknown,
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
    check::run(plan_json, plan_path, managed, overrides, cfg, None)
}

/// [`check_plan`] against what is deployed: roles the plan changes but does not create are
/// judged with their deployed policies and boundary, every subject under the account's SCPs,
/// and each finding says whether the change newly allows it or it was already allowed.
pub fn check_plan_deployed(
    plan_json: &Value,
    plan_path: &Path,
    managed: &ManagedPolicies,
    overrides: &Overrides,
    cfg: &PlanCheckConfig,
    deployed: &Deployed,
) -> Result<PlanReport, PlanError> {
    check::run(
        plan_json,
        plan_path,
        managed,
        overrides,
        cfg,
        Some(deployed),
    )
}

/// Reads and parses a plan file, then [`check_plan`]s it.
pub fn check_plan_file(
    plan_path: &Path,
    managed: &ManagedPolicies,
    overrides: &Overrides,
    cfg: &PlanCheckConfig,
) -> Result<PlanReport, PlanError> {
    let v = read_plan_file(plan_path)?;
    check_plan(&v, plan_path, managed, overrides, cfg)
}

/// Reads a plan file as JSON (see [`decode_text`] for the encodings); errors name the file
/// and where in the document parsing stopped.
pub fn read_plan_file(plan_path: &Path) -> Result<Value, PlanError> {
    let bytes = std::fs::read(plan_path).map_err(|source| PlanError::Read {
        path: plan_path.to_path_buf(),
        source,
    })?;
    let text = decode_text(&bytes).map_err(|reason| PlanError::Encoding {
        path: plan_path.to_path_buf(),
        reason,
    })?;
    // serde_path_to_error names where in the document parsing stopped.
    let mut de = serde_json::Deserializer::from_str(&text);
    let v: Value = serde_path_to_error::deserialize(&mut de).map_err(|e| PlanError::PlanJson {
        path: plan_path.to_path_buf(),
        reason: if e.path().to_string() == "." {
            e.inner().to_string()
        } else {
            format!("at {}: {}", e.path(), e.inner())
        },
    })?;
    Ok(v)
}

/// A text file's contents as a string: UTF-8 with or without a byte-order
/// mark, or UTF-16 (little or big endian) with one — what Windows
/// PowerShell's `terraform show -json > plan.json` writes.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16, name: &str| {
        if !rest.len().is_multiple_of(2) {
            return Err(format!("{name}: odd number of bytes ({})", rest.len() + 2));
        }
        let units = rest.chunks_exact(2).map(|c| from([c[0], c[1]]));
        char::decode_utf16(units)
            .enumerate()
            .map(|(i, c)| {
                c.map_err(|e| {
                    format!(
                        "{name}: unpaired surrogate {:#06x} at byte {}",
                        e.unpaired_surrogate(),
                        2 + 2 * i
                    )
                })
            })
            .collect()
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, 3),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16LE"),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16BE"),
        _ => utf8(bytes, 0),
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let at = offset + e.utf8_error().valid_up_to();
        format!(
            "not UTF-8 at byte {at}; plans are read as UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark"
        )
    })
}
