//! The `scps` and `rcps` tables: the service control policies and the resource
//! control policies over each collected account, level by level, as the snapshot
//! evaluated them, so a role's permissions can be re-evaluated from the lake with
//! its organization's guardrails (`check-plan --lake`). Both tables have the same
//! columns.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "scps",
    doc: "One row per service control policy applying to an account: every policy at every level of the account's path from the organization root (level 0) down to the account itself. An account without rows had no SCPs collected.",
    columns: COLUMNS,
};

/// The `rcps` table: the same columns as [`TABLE`], for resource control policies.
pub const RCP_TABLE: TableDef = TableDef {
    name: "rcps",
    doc: "One row per resource control policy applying to an account's resources: every policy at every level of the account's path from the organization root (level 0) down to the account itself, with AWS's RCPFullAWSAccess (attached to every level, never detachable) listed at each level. An account without rows had no RCPs collected (or RCPs are not enabled in its organization).",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id the policy applies to.",
    ),
    Column::required(
        "level",
        ColType::Int32,
        "Position on the account's path: 0 is the organization root, the highest is the account itself. Every level must allow an action (at least one of its policies).",
    ),
    Column::required(
        "policy_id",
        ColType::Utf8,
        "Policy id (p-...), as decisions in simulations name it.",
    ),
    Column::required(
        "document",
        ColType::Utf8,
        "The policy document as normalized JSON text (compact, keys sorted).",
    )
    .without_dictionary()
    .without_statistics(),
];

/// One (account, level, policy) row of `scps` or `rcps` as written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct ScpRow {
    pub account_id: String,
    pub level: i32,
    pub policy_id: String,
    pub document: String,
}

/// Builds one record batch of `table` ([`TABLE`] or [`RCP_TABLE`]) from rows.
pub fn to_batch(table: &TableDef, rows: &[ScpRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        table.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            int32(rows.iter().map(|r| Some(r.level))),
            utf8_req(rows.iter().map(|r| r.policy_id.as_str())),
            utf8_req(rows.iter().map(|r| r.document.as_str())),
        ],
    )
}
