//! The `last_accessed` table: Access Advisor's last-accessed data, one row per
//! (role, service) and, where AWS tracks actions, one per (role, service, action).

use super::TableDef;
use super::columns::{self, ColType, Column};
use super::principal::PrincipalType;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "last_accessed",
    doc: "Access Advisor data: one row per (role, service) with granularity = service, plus one per tracked action with granularity = action.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id that owns the role.",
    ),
    super::principal::ROLE_ID,
    super::principal::ROLE_NAME,
    super::principal::ROLE_ARN,
    Column::required(
        "service_namespace",
        ColType::Utf8,
        "Service prefix, e.g. s3.",
    ),
    Column::optional(
        "service_name",
        ColType::Utf8,
        "Service display name, e.g. Amazon S3.",
    ),
    Column::optional(
        "action",
        ColType::Utf8,
        "Full action name (s3:GetObject) for action rows; null for service rows.",
    ),
    Column::required("granularity", ColType::Utf8, "service | action."),
    Column::optional(
        "last_authenticated",
        ColType::Timestamp,
        "Last time the role used the service or action (UTC); null if never within the tracking period.",
    ),
    Column::optional(
        "last_authenticated_region",
        ColType::Utf8,
        "Region of that last use.",
    ),
    Column::optional(
        "last_authenticated_entity",
        ColType::Utf8,
        "ARN of the entity that last used it.",
    ),
    Column::optional(
        "total_authenticated_entities",
        ColType::Int32,
        "Number of entities that used the service (service rows only).",
    ),
    Column::required(
        "job_type",
        ColType::Utf8,
        "SERVICE_LEVEL or ACTION_LEVEL: the Access Advisor job the row came from.",
    ),
    super::principal::COLUMN,
];

/// One Access Advisor entry as written to the lake. The principal's and the
/// service's fields are shared by all of their rows (a role has a dozen or
/// more), not copied into each.
#[derive(Debug, Clone, PartialEq)]
pub struct LastAccessedRow {
    pub account_id: Arc<str>,
    pub role_id: Arc<str>,
    pub role_name: Arc<str>,
    pub role_arn: Arc<str>,
    pub service_namespace: Arc<str>,
    pub service_name: Option<Arc<str>>,
    pub action: Option<String>,
    /// Microseconds since the epoch, UTC.
    pub last_authenticated: Option<i64>,
    pub last_authenticated_region: Option<String>,
    pub last_authenticated_entity: Option<String>,
    pub total_authenticated_entities: Option<i32>,
    pub job_type: Arc<str>,
}

/// Builds one record batch from roles' rows.
pub fn to_batch(rows: &[LastAccessedRow]) -> Result<RecordBatch, ArrowError> {
    to_batch_of(rows, PrincipalType::Role)
}

/// Builds one record batch from rows that are all `principal`'s kind.
pub fn to_batch_of(
    rows: &[LastAccessedRow],
    principal: PrincipalType,
) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| &*r.account_id)),
            utf8_req(rows.iter().map(|r| &*r.role_id)),
            utf8_req(rows.iter().map(|r| &*r.role_name)),
            utf8_req(rows.iter().map(|r| &*r.role_arn)),
            utf8_req(rows.iter().map(|r| &*r.service_namespace)),
            utf8(rows.iter().map(|r| r.service_name.as_deref())),
            utf8(rows.iter().map(|r| r.action.as_deref())),
            utf8_req(rows.iter().map(|r| {
                if r.action.is_some() {
                    "action"
                } else {
                    "service"
                }
            })),
            timestamp(rows.iter().map(|r| r.last_authenticated)),
            utf8(rows.iter().map(|r| r.last_authenticated_region.as_deref())),
            utf8(rows.iter().map(|r| r.last_authenticated_entity.as_deref())),
            int32(rows.iter().map(|r| r.total_authenticated_entities)),
            utf8_req(rows.iter().map(|r| &*r.job_type)),
            utf8(rows.iter().map(|_| Some(principal.as_str()))),
        ],
    )
}
