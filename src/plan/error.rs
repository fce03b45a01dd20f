//! Typed errors of `check-plan`: each names the file (plan, override file, managed-policy
//! snapshot) and, where there is one, the entry or resource address at fault.

use std::path::PathBuf;

/// Why a plan could not be checked at all (exit code 2). Problems with single policies in an
/// otherwise readable plan are not errors: they are reported as unknowns.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    // The reason is the source, printed once by the error chain (`{:#}`).
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is neither UTF-8 (with or without a byte-order mark) nor
    /// UTF-16 with a byte-order mark.
    #[error("{}: cannot decode: {reason}", path.display())]
    Encoding { path: PathBuf, reason: String },
    #[error("{}: not valid JSON: {reason}", path.display())]
    PlanJson { path: PathBuf, reason: String },
    #[error(
        "{}: not a Terraform plan in JSON form ({reason}); produce one with `terraform show -json PLANFILE`",
        path.display()
    )]
    NotAPlan { path: PathBuf, reason: String },
    #[error("{}: {address}: {reason}", path.display())]
    Resource {
        path: PathBuf,
        address: String,
        reason: String,
    },
    #[error("{}: {message}", path.display())]
    OverrideToml { path: PathBuf, message: String },
    #[error("{}: override entry {index} ({what}): {reason}", path.display())]
    Override {
        path: PathBuf,
        /// 0-based position among the file's `[[override]]` entries.
        index: usize,
        /// What the entry names (`resource = "..."`, `role = "..."`, ...), or `unnamed entry`.
        what: String,
        reason: String,
    },
    #[error("managed-policy snapshot {source_name}: {reason}")]
    ManagedPolicies { source_name: String, reason: String },
    #[error("sensitive action {action:?} is not an IAM action (expected service:ActionName)")]
    BadAction { action: String },
    /// `--lake`: the account is not in the chosen snapshot, or was not collected there.
    #[error("lake {lake} snapshot {date}: account {account} {reason}")]
    DeployedAccount {
        lake: String,
        date: chrono::NaiveDate,
        account: String,
        reason: String,
    },
    /// `--lake` without `--account`, and the account cannot be told from the plan or lake.
    #[error("cannot tell which account the plan applies to: {reason}")]
    AccountNotKnown { reason: String },
    /// `--lake` has no complete snapshot to read (on or before `--lake-date`).
    #[error("lake {lake}: {reason}")]
    NoSnapshot { lake: String, reason: String },
    /// The lake could not be read.
    #[error(transparent)]
    Lake(#[from] crate::lake::LakeError),
}
