//! The `unused_deltas` table (written by `analyze`): how the set of unused
//! permissions changed since the previous complete snapshot.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "unused_deltas",
    doc: "One row per unused permission, or unused role (granularity role), that is new, reappeared or resolved since the previous complete snapshot.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id that owns the role.",
    ),
    Column::required(
        "role_id",
        ColType::Utf8,
        "Role id (AROA...): a role deleted and recreated under the same name is a different role.",
    ),
    Column::required("role_name", ColType::Utf8, "Role name."),
    Column::required("role_arn", ColType::Utf8, "Role ARN."),
    Column::required(
        "owner_team",
        ColType::Utf8,
        "Owner team on the date (for resolved rows of deleted roles, on the previous date).",
    ),
    Column::required(
        "permission",
        ColType::Utf8,
        "Service namespace or action; role for rows about a whole unused role.",
    ),
    Column::required(
        "granularity",
        ColType::Utf8,
        "service | action | role (a whole unused role, see unused_roles; never service-linked).",
    ),
    Column::required(
        "change",
        ColType::Utf8,
        "new (never seen unused before) | reappeared (unused before, then not, now again) | resolved (unused on the previous snapshot, not now).",
    ),
    Column::optional(
        "resolution",
        ColType::Utf8,
        "For resolved rows: used | removed (no longer granted; not for role rows) | role_deleted.",
    ),
    Column::optional(
        "previous_snapshot_date",
        ColType::Date,
        "The snapshot compared against; null on the first snapshot.",
    ),
];

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeltaRow {
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub owner_team: String,
    pub permission: String,
    pub granularity: String,
    pub change: String,
    pub resolution: Option<String>,
    /// Days since the epoch.
    pub previous_snapshot_date: Option<i32>,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[DeltaRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.role_arn.as_str())),
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            utf8_req(rows.iter().map(|r| r.permission.as_str())),
            utf8_req(rows.iter().map(|r| r.granularity.as_str())),
            utf8_req(rows.iter().map(|r| r.change.as_str())),
            utf8(rows.iter().map(|r| r.resolution.as_deref())),
            date(rows.iter().map(|r| r.previous_snapshot_date)),
        ],
    )
}
