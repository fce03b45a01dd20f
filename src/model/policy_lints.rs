//! The `policy_lints` table: what AWS's Service Authorization Reference says is wrong in the
//! policies a snapshot collects (actions and condition keys that do not exist: typos grant
//! nothing, silently), one row per finding.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "policy_lints",
    doc: "One row per unknown action, action pattern matching nothing, or unknown condition key in an identity policy collected by the snapshot, checked against the bundled Service Authorization Reference. Managed policies attached to (or bounding) a role are checked once per account; inline policies once per role. Trust policies are not checked (their federated condition keys are the identity provider's).",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id the policy was collected from.",
    ),
    Column::required(
        "policy_kind",
        ColType::Utf8,
        "inline | customer_managed | aws_managed (as in role_policies.kind; a permissions boundary is its managed policy).",
    ),
    Column::required(
        "policy_name",
        ColType::Utf8,
        "The inline policy's name, or the managed policy's name.",
    ),
    Column::optional(
        "policy_arn",
        ColType::Utf8,
        "Managed policy ARN; null for inline policies.",
    ),
    Column::optional(
        "role_name",
        ColType::Utf8,
        "The role holding the inline policy; null for managed policies (checked once per account).",
    ),
    Column::optional(
        "role_arn",
        ColType::Utf8,
        "ARN of the role holding the inline policy; null for managed policies.",
    ),
    Column::required(
        "json_path",
        ColType::Utf8,
        "Where in the document: Statement[1].Action[0], Statement[0].Condition.StringEquals.aws:SoureIp (no index for a single value).",
    ),
    Column::required(
        "kind",
        ColType::Utf8,
        "unknown_service | unknown_action | no_matching_action | unknown_condition_key.",
    ),
    Column::required(
        "name",
        ColType::Utf8,
        "The action, action pattern or condition key as written in the policy.",
    ),
    Column::optional(
        "suggestion",
        ColType::Utf8,
        "The closest real action of the service for an unknown action, when one is close; else null.",
    ),
    Column::required(
        "message",
        ColType::Utf8,
        "The finding in words, e.g. unknown action s3:GetObjekt (did you mean s3:GetObject?).",
    ),
];

/// One finding as written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyLintRow {
    pub account_id: String,
    pub policy_kind: &'static str,
    pub policy_name: String,
    pub policy_arn: Option<String>,
    pub role_name: Option<String>,
    pub role_arn: Option<String>,
    pub json_path: String,
    pub kind: &'static str,
    pub name: String,
    pub suggestion: Option<String>,
    pub message: String,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[PolicyLintRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8_req(rows.iter().map(|r| r.policy_kind)),
            utf8_req(rows.iter().map(|r| r.policy_name.as_str())),
            utf8(rows.iter().map(|r| r.policy_arn.as_deref())),
            utf8(rows.iter().map(|r| r.role_name.as_deref())),
            utf8(rows.iter().map(|r| r.role_arn.as_deref())),
            utf8_req(rows.iter().map(|r| r.json_path.as_str())),
            utf8_req(rows.iter().map(|r| r.kind)),
            utf8_req(rows.iter().map(|r| r.name.as_str())),
            utf8(rows.iter().map(|r| r.suggestion.as_deref())),
            utf8_req(rows.iter().map(|r| r.message.as_str())),
        ],
    )
}
