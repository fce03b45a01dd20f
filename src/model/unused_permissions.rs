//! The `unused_permissions` table (written by `analyze`): every permission a
//! role is granted but has not used within the threshold, on the date, with
//! its owner and review status.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "unused_permissions",
    doc: "One row per (role, permission) granted but unused for at least the threshold (default 90 days) on the date. Service rows mean the whole service is unused; action rows are unused actions of a service that is otherwise used.",
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
    Column::required(
        "owner_team",
        ColType::Utf8,
        "Owner team (unowned when no step of the owner chain names one).",
    ),
    Column::required(
        "owner_source",
        ColType::Utf8,
        "tag | terraform | cloudformation | owners_file | account | unowned: the step of the owner chain that named owner_team (see role_owners).",
    ),
    Column::required(
        "permission",
        ColType::Utf8,
        "The unused permission: a service namespace (s3) or an action (s3:PutObject).",
    ),
    Column::required(
        "service_namespace",
        ColType::Utf8,
        "Service namespace of the permission.",
    ),
    Column::required("granularity", ColType::Utf8, "service | action."),
    Column::optional(
        "last_used_at",
        ColType::Timestamp,
        "Last use per Access Advisor; null when never used in the tracking period.",
    ),
    Column::required(
        "days_unused",
        ColType::Int32,
        "Whole days from the last use (or, if never used, the role's creation) to the snapshot date.",
    ),
    Column::required(
        "review_status",
        ColType::Utf8,
        "open | kept | to_delete, from the reviews file.",
    ),
    Column::optional("review_reason", ColType::Utf8, "The review's reason."),
    Column::optional("reviewer", ColType::Utf8, "Who reviewed it."),
    Column::required(
        "first_seen",
        ColType::Date,
        "First snapshot date on which this permission was found unused (from the alert ledger).",
    ),
    Column::optional(
        "alerted_on",
        ColType::Date,
        "Date its owner team was alerted, null if never.",
    ),
    Column::required(
        "data_date",
        ColType::Date,
        "Date of the Access Advisor data the row was computed from: the snapshot date, or an earlier one when the account or the role's Access Advisor job failed on this date and its last good data was carried forward (days_unused then counts to that date).",
    ),
    Column::optional(
        "iac_state",
        ColType::Utf8,
        "The Terraform state (file path or s3:// URI) that manages the role; null when no state read manages it.",
    ),
    Column::optional(
        "iac_address",
        ColType::Utf8,
        "The role's Terraform resource address (module.app.aws_iam_role.this[\"api\"]).",
    ),
    Column::optional(
        "grant_policy",
        ColType::Utf8,
        "The policy that grants the permission: inline:<name> or the policy ARN (the first Allow statement covering it, inline policies first).",
    ),
    Column::optional(
        "grant_statement",
        ColType::Utf8,
        "The statement of grant_policy that grants it: statement <0-based index> (<Sid>).",
    ),
    Column::optional(
        "grant_state",
        ColType::Utf8,
        "The Terraform state holding grant_address.",
    ),
    Column::optional(
        "grant_address",
        ColType::Utf8,
        "The Terraform resource to change: the aws_iam_role_policy (or the role's inline_policy block) or aws_iam_policy holding the statement; for an AWS managed policy, its attachment. Null when no state read holds it.",
    ),
];

/// One unused permission.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusedRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub owner_team: String,
    pub owner_source: String,
    pub permission: String,
    pub service_namespace: String,
    pub granularity: String,
    pub last_used_at: Option<i64>,
    pub days_unused: i32,
    pub review_status: String,
    pub review_reason: Option<String>,
    pub reviewer: Option<String>,
    /// Days since the epoch.
    pub first_seen: i32,
    /// Days since the epoch.
    pub alerted_on: Option<i32>,
    /// Days since the epoch.
    pub data_date: i32,
    pub iac_state: Option<String>,
    pub iac_address: Option<String>,
    pub grant_policy: Option<String>,
    pub grant_statement: Option<String>,
    pub grant_state: Option<String>,
    pub grant_address: Option<String>,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[UnusedRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.role_arn.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_source.as_str())),
            utf8_req(rows.iter().map(|r| r.permission.as_str())),
            utf8_req(rows.iter().map(|r| r.service_namespace.as_str())),
            utf8_req(rows.iter().map(|r| r.granularity.as_str())),
            timestamp(rows.iter().map(|r| r.last_used_at)),
            int32(rows.iter().map(|r| Some(r.days_unused))),
            utf8_req(rows.iter().map(|r| r.review_status.as_str())),
            utf8(rows.iter().map(|r| r.review_reason.as_deref())),
            utf8(rows.iter().map(|r| r.reviewer.as_deref())),
            date(rows.iter().map(|r| Some(r.first_seen))),
            date(rows.iter().map(|r| r.alerted_on)),
            date(rows.iter().map(|r| Some(r.data_date))),
            utf8(rows.iter().map(|r| r.iac_state.as_deref())),
            utf8(rows.iter().map(|r| r.iac_address.as_deref())),
            utf8(rows.iter().map(|r| r.grant_policy.as_deref())),
            utf8(rows.iter().map(|r| r.grant_statement.as_deref())),
            utf8(rows.iter().map(|r| r.grant_state.as_deref())),
            utf8(rows.iter().map(|r| r.grant_address.as_deref())),
        ],
    )
}
