//! The `simulations` table: for every role and every sensitive action, whether
//! the role may perform the action on any resource (`*`) and the widest
//! breadth at which it may (`breadth`), decided by the local
//! evaluator (or, with `snapshot --simulator aws`, by AWS's policy simulator:
//! the manifest's `inputs.simulator` says which), with the statements and
//! layer behind the decision.

use super::TableDef;
use super::columns::{self, ColType, Column};
use super::principal::{PrincipalIds, PrincipalType};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "simulations",
    doc: "One row per (role, sensitive action): the decision for that action on any resource (*), with its reasons.",
    columns: COLUMNS,
};

/// The fields of one entry of `matched_statements`.
pub const MATCHED_STATEMENT: &[Column] = &[
    Column::required(
        "policy_id",
        ColType::Utf8,
        "Policy ARN, inline:<name>, or SCP id.",
    ),
    Column::required("layer", ColType::Utf8, "identity | boundary | scp."),
    Column::required(
        "statement_index",
        ColType::Int32,
        "0-based position of the statement in the policy; -1 when the AWS simulator decided (it reports a text position, not an index).",
    ),
    Column::optional("sid", ColType::Utf8, "The statement's Sid, if it has one."),
    Column::required("effect", ColType::Utf8, "Allow | Deny."),
    Column::required(
        "conditional",
        ColType::Boolean,
        "True when the statement matched only if conditions the request does not carry hold.",
    ),
];

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
        "action",
        ColType::Utf8,
        "The sensitive action, e.g. iam:PassRole.",
    ),
    Column::required(
        "resource",
        ColType::Utf8,
        "Always * : the question is whether the grant covers any resource (see docs/EVALUATION.md).",
    ),
    Column::required(
        "decision",
        ColType::Utf8,
        "allowed | conditionally_allowed | implicit_deny | explicit_deny.",
    ),
    Column::optional(
        "decided_by",
        ColType::Utf8,
        "identity | boundary | scp: the layer that decided.",
    ),
    Column::required(
        "matched_statements",
        ColType::List(&ColType::Struct(MATCHED_STATEMENT)),
        "Statements behind the decision.",
    ),
    Column::required(
        "condition_keys",
        ColType::List(&ColType::Utf8),
        "Condition keys the decision depends on that the request did not carry (local evaluator: non-empty only for conditionally_allowed; the AWS simulator: its MissingContextValues).",
    ),
    Column::optional(
        "breadth",
        ColType::Utf8,
        "The widest breadth at which the action is allowed or conditionally allowed: any (every resource everywhere) | account (every resource of the action's types in the role's own account, any region) | pattern (some names, one region, or another account) | specific (named resources); null when allowed at none. A role is risky when a sensitive action is allowed at account or wider (schema version 3; see docs/EVALUATION.md#breadth).",
    ),
    Column::required(
        "breadth_decision",
        ColType::Utf8,
        "The decision at breadth: allowed | conditionally_allowed; when breadth is null, the decision at the narrowest breadth asked (implicit_deny | explicit_deny).",
    ),
    super::principal::COLUMN,
];

/// One statement behind a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedStatementRow {
    pub policy_id: String,
    pub layer: &'static str,
    pub statement_index: i32,
    pub sid: Option<String>,
    pub effect: &'static str,
    pub conditional: bool,
}

/// One (role, action) decision as written to the lake.
#[derive(Debug, Clone, PartialEq)]
///
/// The principal's account, id, name and ARN, and the action, are shared by
/// its rows; the rest of the text is fixed.
pub struct SimulationRow {
    /// The `account_id`, `role_id`, `role_name` and `role_arn` columns.
    pub principal: PrincipalIds,
    pub action: Arc<str>,
    pub decision: &'static str,
    pub decided_by: Option<&'static str>,
    pub matched_statements: Vec<MatchedStatementRow>,
    pub condition_keys: Vec<String>,
    /// `any | account | pattern | specific`, or `None` (see the column's doc).
    pub breadth: Option<&'static str>,
    pub breadth_decision: &'static str,
}

/// Builds one record batch from roles' rows.
pub fn to_batch(rows: &[SimulationRow]) -> Result<RecordBatch, ArrowError> {
    to_batch_of(rows, PrincipalType::Role)
}

/// Builds one record batch from rows that are all `principal`'s kind.
pub fn to_batch_of(
    rows: &[SimulationRow],
    principal: PrincipalType,
) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let statements = || rows.iter().flat_map(|r| r.matched_statements.iter());
    let matched = struct_list(
        MATCHED_STATEMENT,
        vec![
            utf8_req(statements().map(|s| s.policy_id.as_str())),
            utf8_req(statements().map(|s| s.layer)),
            int32(statements().map(|s| Some(s.statement_index))),
            utf8(statements().map(|s| s.sid.as_deref())),
            utf8_req(statements().map(|s| s.effect)),
            boolean(statements().map(|s| Some(s.conditional))),
        ],
        rows.iter().map(|r| r.matched_statements.len()).collect(),
    );
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| &*r.principal.account_id)),
            utf8_req(rows.iter().map(|r| &*r.principal.id)),
            utf8_req(rows.iter().map(|r| &*r.principal.name)),
            utf8_req(rows.iter().map(|r| &*r.principal.arn)),
            utf8_req(rows.iter().map(|r| &*r.action)),
            utf8_req(rows.iter().map(|_| "*")),
            utf8_req(rows.iter().map(|r| r.decision)),
            utf8(rows.iter().map(|r| r.decided_by)),
            matched,
            utf8_list(
                rows.iter()
                    .map(|r| r.condition_keys.iter().map(String::as_str)),
            ),
            utf8(rows.iter().map(|r| r.breadth)),
            utf8_req(rows.iter().map(|r| r.breadth_decision)),
            utf8(rows.iter().map(|_| Some(principal.as_str()))),
        ],
    )
}
