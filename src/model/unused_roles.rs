//! The `unused_roles` table (written by `analyze`): every role not used for
//! the threshold on the date, with who may assume it, its owner and review
//! status. Service-linked roles are listed too, flagged, since AWS manages
//! them and nobody deletes them on a team's say.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "unused_roles",
    doc: "One row per role not used (RoleLastUsed) for at least the threshold (default 90 days) on the date, with its trust. Service-linked roles (path /aws-service-role/) are rows with service_linked = true: never alerted and not in the deltas or team counts of unused roles.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id that owns the role.",
    ),
    Column::optional(
        "account_name",
        ColType::Utf8,
        "Account name from AWS Organizations.",
    ),
    Column::required("role_id", ColType::Utf8, "Role id (AROA...)."),
    Column::required("role_name", ColType::Utf8, "Role name."),
    Column::required("role_arn", ColType::Utf8, "Role ARN."),
    Column::required("path", ColType::Utf8, "IAM path of the role."),
    Column::required(
        "service_linked",
        ColType::Boolean,
        "Whether the role is service-linked (path /aws-service-role/): managed by AWS, reported apart.",
    ),
    Column::required(
        "owner_team",
        ColType::Utf8,
        "Owner team (unowned when neither tags nor the owners file name one).",
    ),
    Column::required(
        "owner_source",
        ColType::Utf8,
        "tag | owners_file | unowned: where owner_team came from.",
    ),
    Column::required(
        "create_date",
        ColType::Timestamp,
        "When the role was created (UTC).",
    ),
    Column::optional(
        "last_used_at",
        ColType::Timestamp,
        "Last use per RoleLastUsed; null when not used within IAM's tracking period (400 days).",
    ),
    Column::optional("last_used_region", ColType::Utf8, "Region of the last use."),
    Column::required(
        "days_unused",
        ColType::Int32,
        "Whole days from the last use (or, if never used, the role's creation) to data_date.",
    ),
    Column::required(
        "trusted_principals",
        ColType::List(&ColType::Utf8),
        "Every principal the trust policy allows (as in roles.trusted_principals).",
    ),
    Column::required(
        "trusted_accounts",
        ColType::List(&ColType::Utf8),
        "Account ids of the AWS principals the trust policy allows (the role's own account included), sorted.",
    ),
    Column::required(
        "trusted_services",
        ColType::List(&ColType::Utf8),
        "Service principals the trust policy allows (lambda.amazonaws.com), sorted.",
    ),
    Column::required(
        "external_accounts",
        ColType::List(&ColType::Utf8),
        "Trusted account ids outside the organization (not among the accounts of the snapshot manifest nor of any role), and * when anyone may assume the role.",
    ),
    Column::required(
        "trusts_outside_org",
        ColType::Boolean,
        "Whether external_accounts is not empty: a cross-account role the audit asks about.",
    ),
    Column::required(
        "review_status",
        ColType::Utf8,
        "open | kept | to_delete, from the reviews file (a line with permission = role).",
    ),
    Column::optional("review_reason", ColType::Utf8, "The review's reason."),
    Column::optional("reviewer", ColType::Utf8, "Who reviewed it."),
    Column::required(
        "first_seen",
        ColType::Date,
        "First snapshot date on which the role was found unused (from the alert ledger, kind unused_role).",
    ),
    Column::optional(
        "alerted_on",
        ColType::Date,
        "Date its owner team was alerted, null if never.",
    ),
    Column::required(
        "data_date",
        ColType::Date,
        "Date of the role's data: the snapshot date, or an earlier one when its account failed on this date and its last good snapshot was carried (days_unused then counts to that date).",
    ),
];

/// One unused role.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusedRoleRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub path: String,
    pub service_linked: bool,
    pub owner_team: String,
    pub owner_source: String,
    /// Microseconds since the epoch, UTC.
    pub create_date: i64,
    /// Microseconds since the epoch, UTC.
    pub last_used_at: Option<i64>,
    pub last_used_region: Option<String>,
    pub days_unused: i32,
    pub trusted_principals: Vec<String>,
    pub trusted_accounts: Vec<String>,
    pub trusted_services: Vec<String>,
    pub external_accounts: Vec<String>,
    pub review_status: String,
    pub review_reason: Option<String>,
    pub reviewer: Option<String>,
    /// Days since the epoch.
    pub first_seen: i32,
    /// Days since the epoch.
    pub alerted_on: Option<i32>,
    /// Days since the epoch.
    pub data_date: i32,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[UnusedRoleRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let list = |f: fn(&UnusedRoleRow) -> &Vec<String>| utf8_list_of(rows, f);
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.role_arn.as_str())),
            utf8_req(rows.iter().map(|r| r.path.as_str())),
            boolean(rows.iter().map(|r| Some(r.service_linked))),
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_source.as_str())),
            timestamp(rows.iter().map(|r| Some(r.create_date))),
            timestamp(rows.iter().map(|r| r.last_used_at)),
            utf8(rows.iter().map(|r| r.last_used_region.as_deref())),
            int32(rows.iter().map(|r| Some(r.days_unused))),
            list(|r| &r.trusted_principals),
            list(|r| &r.trusted_accounts),
            list(|r| &r.trusted_services),
            list(|r| &r.external_accounts),
            boolean(rows.iter().map(|r| Some(!r.external_accounts.is_empty()))),
            utf8_req(rows.iter().map(|r| r.review_status.as_str())),
            utf8(rows.iter().map(|r| r.review_reason.as_deref())),
            utf8(rows.iter().map(|r| r.reviewer.as_deref())),
            date(rows.iter().map(|r| Some(r.first_seen))),
            date(rows.iter().map(|r| r.alerted_on)),
            date(rows.iter().map(|r| Some(r.data_date))),
        ],
    )
}
