//! The `credential_findings` table (written by `analyze`): what the IAM
//! credential reports say needs a look — access keys unused or too old,
//! console passwords without MFA, users with no activity at all.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "credential_findings",
    doc: "One row per finding of the credential reports on the date: access_key_unused, access_key_old, console_without_mfa, inactive_user (rules in docs/ANALYZE.md#credentials). Accounts without a report on the date (or carried) have none.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::optional(
        "account_name",
        ColType::Utf8,
        "Account name from AWS Organizations.",
    ),
    Column::required(
        "user",
        ColType::Utf8,
        "User name (<root_account> for the root user).",
    ),
    Column::required("arn", ColType::Utf8, "User ARN."),
    Column::required(
        "finding",
        ColType::Utf8,
        "access_key_unused | access_key_old | console_without_mfa | inactive_user.",
    ),
    Column::optional(
        "access_key",
        ColType::Int32,
        "1 or 2: which access key (access_key_* findings only).",
    ),
    Column::optional(
        "last_used_at",
        ColType::Timestamp,
        "The last use the finding is about: the key's, the password's (console_without_mfa), or the user's latest of both (inactive_user); null when never.",
    ),
    Column::optional(
        "days",
        ColType::Int32,
        "Whole days to data_date: since the last use (or the key's or user's creation when never used) for access_key_unused and inactive_user, since the key's last rotation for access_key_old; null for console_without_mfa.",
    ),
    Column::required(
        "data_date",
        ColType::Date,
        "Date of the credential report: the snapshot date, or an earlier one when the account was carried.",
    ),
    Column::required(
        "owner_team",
        ColType::Utf8,
        "Owner team of the user (unowned when no step names one): the user's tag (users.owner_team), else the owners file (a rule's role glob matches the user name, its path_prefix the user's path), else the account's default team (--owners-config [accounts]). The root user has no tags: its account's rules decide.",
    ),
    Column::required(
        "owner_source",
        ColType::Utf8,
        "tag | owners_file | account | unowned: the step that named owner_team.",
    ),
];

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CredentialFindingRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub user: String,
    pub arn: String,
    pub finding: String,
    pub access_key: Option<i32>,
    /// Microseconds since the epoch, UTC.
    pub last_used_at: Option<i64>,
    pub days: Option<i32>,
    /// Days since the epoch.
    pub data_date: i32,
    pub owner_team: String,
    /// `tag | owners_file | account | unowned`.
    pub owner_source: String,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[CredentialFindingRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            utf8_req(rows.iter().map(|r| r.user.as_str())),
            utf8_req(rows.iter().map(|r| r.arn.as_str())),
            utf8_req(rows.iter().map(|r| r.finding.as_str())),
            int32(rows.iter().map(|r| r.access_key)),
            timestamp(rows.iter().map(|r| r.last_used_at)),
            int32(rows.iter().map(|r| r.days)),
            date(rows.iter().map(|r| Some(r.data_date))),
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_source.as_str())),
        ],
    )
}
