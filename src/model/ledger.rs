//! The analyze bookkeeping tables: `alert_ledger`, the cumulative memory of
//! every unused permission and sensitive grant ever seen and when its team was
//! alerted (so nothing is alerted twice), `passrole_grants`, and
//! `review_status`, what became of each line of the reviews file.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// `alert_ledger`.
pub const LEDGER_TABLE: TableDef = TableDef {
    name: "alert_ledger",
    doc: "Cumulative up to the date: every (role, item) ever found unused or granted on any resource, when first and last seen, and when alerted. analyze reads only the previous date's ledger.",
    columns: LEDGER_COLUMNS,
};

const LEDGER_COLUMNS: &[Column] = &[
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::required("role_id", ColType::Utf8, "Role id (AROA...)."),
    Column::required("role_name", ColType::Utf8, "Role name."),
    Column::required(
        "kind",
        ColType::Utf8,
        "unused | sensitive_grant | unused_role.",
    ),
    Column::required(
        "item",
        ColType::Utf8,
        "The permission (unused), the sensitive action (sensitive_grant), or role (unused_role: the whole role).",
    ),
    Column::required("first_seen", ColType::Date, "First date seen."),
    Column::required("last_seen", ColType::Date, "Latest date seen."),
    Column::optional("alerted_on", ColType::Date, "Date alerted; null if never."),
];

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub kind: String,
    pub item: String,
    pub first_seen: i32,
    pub last_seen: i32,
    pub alerted_on: Option<i32>,
}

/// Builds an `alert_ledger` batch.
pub fn ledger_batch(rows: &[LedgerRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        LEDGER_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.kind.as_str())),
            utf8_req(rows.iter().map(|r| r.item.as_str())),
            date(rows.iter().map(|r| Some(r.first_seen))),
            date(rows.iter().map(|r| Some(r.last_seen))),
            date(rows.iter().map(|r| r.alerted_on)),
        ],
    )
}

/// `passrole_grants`.
pub const PASSROLE_TABLE: TableDef = TableDef {
    name: "passrole_grants",
    doc: "Roles whose policies grant iam:PassRole. Access Advisor cannot see PassRole use, so these are reported here and never as unused.",
    columns: PASSROLE_COLUMNS,
};

const PASSROLE_COLUMNS: &[Column] = &[
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::required("role_id", ColType::Utf8, "Role id (AROA...)."),
    Column::required("role_name", ColType::Utf8, "Role name."),
    Column::required("role_arn", ColType::Utf8, "Role ARN."),
    Column::required("owner_team", ColType::Utf8, "Owner team."),
    Column::required(
        "decision_on_any_resource",
        ColType::Utf8,
        "The snapshot's decision for iam:PassRole on any resource (implicit_deny means it is granted on specific roles only).",
    ),
];

/// One PassRole grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRoleRow {
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub owner_team: String,
    pub decision_on_any_resource: String,
}

/// Builds a `passrole_grants` batch.
pub fn passrole_batch(rows: &[PassRoleRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        PASSROLE_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.role_arn.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            utf8_req(rows.iter().map(|r| r.decision_on_any_resource.as_str())),
        ],
    )
}

/// `review_status`.
pub const REVIEW_TABLE: TableDef = TableDef {
    name: "review_status",
    doc: "One row per line of the reviews file and what became of it on the date.",
    columns: REVIEW_COLUMNS,
};

const REVIEW_COLUMNS: &[Column] = &[
    Column::required(
        "account",
        ColType::Utf8,
        "Account id or name, as written in the reviews file.",
    ),
    Column::required("role_name", ColType::Utf8, "Role name, as written."),
    Column::required(
        "permission",
        ColType::Utf8,
        "Service or action, as written; role for a review of the whole (unused) role.",
    ),
    Column::required("decision", ColType::Utf8, "keep | delete."),
    Column::optional("reason", ColType::Utf8, "Why (required for keep)."),
    Column::optional("reviewer", ColType::Utf8, "Who decided."),
    Column::optional("review_date", ColType::Date, "When."),
    Column::optional(
        "owner_team",
        ColType::Utf8,
        "Owner team of the role, when it exists.",
    ),
    Column::required(
        "status",
        ColType::Utf8,
        "applied (matches a granted permission, or an existing role) | done (delete review whose permission, or role, is gone) | expired (past its expires date: the permission is open again) | invalidated (the role's grant of the permission changed since the review: open again) | no_data (the role's data is unknown on the date) | unknown_role | unknown_permission.",
    ),
    Column::required("source", ColType::Utf8, "File and line of the review."),
    Column::optional(
        "expires",
        ColType::Date,
        "Last date the review holds (from the reviews file); after it the permission reopens.",
    ),
    Column::optional(
        "grant_fingerprint",
        ColType::Utf8,
        "SHA-256 of the statements that granted the permission when analyze first saw the review with the permission granted; carried from run to run, it is what a later grant is compared with.",
    ),
    Column::optional(
        "invalidated_on",
        ColType::Date,
        "First date the role's grant of the permission differed from grant_fingerprint; the review stays invalidated until its line is changed (a new review).",
    ),
];

/// One review's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStatusRow {
    pub account: String,
    pub role_name: String,
    pub permission: String,
    pub decision: String,
    pub reason: Option<String>,
    pub reviewer: Option<String>,
    pub review_date: Option<i32>,
    pub owner_team: Option<String>,
    pub status: String,
    pub source: String,
    /// Days since the epoch.
    pub expires: Option<i32>,
    pub grant_fingerprint: Option<String>,
    /// Days since the epoch.
    pub invalidated_on: Option<i32>,
}

/// Builds a `review_status` batch.
pub fn review_batch(rows: &[ReviewStatusRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        REVIEW_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.permission.as_str())),
            utf8_req(rows.iter().map(|r| r.decision.as_str())),
            utf8(rows.iter().map(|r| r.reason.as_deref())),
            utf8(rows.iter().map(|r| r.reviewer.as_deref())),
            date(rows.iter().map(|r| r.review_date)),
            utf8(rows.iter().map(|r| r.owner_team.as_deref())),
            utf8_req(rows.iter().map(|r| r.status.as_str())),
            utf8_req(rows.iter().map(|r| r.source.as_str())),
            date(rows.iter().map(|r| r.expires)),
            utf8(rows.iter().map(|r| r.grant_fingerprint.as_deref())),
            date(rows.iter().map(|r| r.invalidated_on)),
        ],
    )
}

/// `alert_deliveries`.
pub const DELIVERY_TABLE: TableDef = TableDef {
    name: "alert_deliveries",
    doc: "Cumulative up to the date: every item (unused permission or sensitive grant of a role) delivered to each routed destination (--routes), and when. An item is sent to a destination once; a destination that failed has no row for it, so it is sent there next time.",
    columns: DELIVERY_COLUMNS,
};

const DELIVERY_COLUMNS: &[Column] = &[
    Column::required(
        "destination",
        ColType::Utf8,
        "The destination's name in the routes file.",
    ),
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::required("role_id", ColType::Utf8, "Role id (AROA...)."),
    Column::required("role_name", ColType::Utf8, "Role name."),
    Column::required("kind", ColType::Utf8, "unused | sensitive_grant."),
    Column::required(
        "item",
        ColType::Utf8,
        "The permission (unused) or the sensitive action (sensitive_grant).",
    ),
    Column::required("team", ColType::Utf8, "The owner team it was routed for."),
    Column::required("delivered_on", ColType::Date, "Date delivered."),
    Column::optional(
        "reference",
        ColType::Utf8,
        "What the destination answered, when it names something: the Jira issue key, the Opsgenie request id, the file written.",
    ),
];

/// One delivered item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub destination: String,
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub kind: String,
    pub item: String,
    pub team: String,
    pub delivered_on: i32,
    pub reference: Option<String>,
}

/// Builds an `alert_deliveries` batch.
pub fn delivery_batch(rows: &[DeliveryRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        DELIVERY_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.destination.as_str())),
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.kind.as_str())),
            utf8_req(rows.iter().map(|r| r.item.as_str())),
            utf8_req(rows.iter().map(|r| r.team.as_str())),
            date(rows.iter().map(|r| Some(r.delivered_on))),
            utf8(rows.iter().map(|r| r.reference.as_deref())),
        ],
    )
}
