//! The `scps` table: the service control policies over each collected account,
//! level by level, so a role's permissions can be re-evaluated from the lake
//! with its organization's guardrails (`check-plan --lake`).

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
        "SCP id (p-...), as decisions in simulations name it.",
    ),
    Column::required(
        "document",
        ColType::Utf8,
        "The policy document as normalized JSON text (compact, keys sorted).",
    )
    .without_dictionary()
    .without_statistics(),
];

/// One (account, level, SCP) row as written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct ScpRow {
    pub account_id: String,
    pub level: i32,
    pub policy_id: String,
    pub document: String,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[ScpRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            int32(rows.iter().map(|r| Some(r.level))),
            utf8_req(rows.iter().map(|r| r.policy_id.as_str())),
            utf8_req(rows.iter().map(|r| r.document.as_str())),
        ],
    )
}
