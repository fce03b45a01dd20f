//! The `role_policies` table: one row per (role, policy) pair, with the
//! normalized policy document, so a role's effective permissions can be
//! re-evaluated from the lake alone.

use super::TableDef;
use super::columns::{self, ColType, Column};
use super::principal::{PrincipalIds, PrincipalType};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "role_policies",
    doc: "One row per policy that applies to a role or an IAM user (principal_type): inline, customer managed, AWS managed, or its permissions boundary; a user's rows include its groups' inline and attached policies (via_group).",
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
        "kind",
        ColType::Utf8,
        "inline | customer_managed | aws_managed | boundary.",
    ),
    Column::required(
        "policy_name",
        ColType::Utf8,
        "Policy name (the inline policy's name, or the managed policy's name).",
    ),
    Column::optional(
        "policy_arn",
        ColType::Utf8,
        "Managed policy ARN; null for inline policies.",
    ),
    Column::optional(
        "policy_version",
        ColType::Utf8,
        "Default version id of a managed policy (v1, v2, ...); null for inline policies.",
    ),
    Column::required(
        "document",
        ColType::Utf8,
        "The policy document as normalized JSON text (compact, keys sorted).",
    )
    .without_dictionary()
    .without_statistics(),
    Column::required(
        "statement_count",
        ColType::Int32,
        "Number of statements in the document.",
    ),
    super::principal::COLUMN,
    Column::optional(
        "via_group",
        ColType::Utf8,
        "For a user's row: the IAM group whose inline or attached policy this is (the user has it through the group); null for the user's own policies and for roles.",
    ),
];

/// How a policy applies to a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Inline,
    CustomerManaged,
    AwsManaged,
    Boundary,
}

impl PolicyKind {
    /// The value written to the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Inline => "inline",
            PolicyKind::CustomerManaged => "customer_managed",
            PolicyKind::AwsManaged => "aws_managed",
            PolicyKind::Boundary => "boundary",
        }
    }

    /// The kind of a managed policy attached by `arn`: AWS managed policies
    /// live in the `aws` pseudo-account (`arn:PARTITION:iam::aws:policy/...`).
    pub fn of_attached(arn: &str) -> PolicyKind {
        if arn.contains(":aws:policy/") {
            PolicyKind::AwsManaged
        } else {
            PolicyKind::CustomerManaged
        }
    }
}

/// One (role, policy) pair as written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct RolePolicyRow {
    /// The `account_id`, `role_id`, `role_name` and `role_arn` columns.
    pub principal: PrincipalIds,
    pub kind: PolicyKind,
    pub policy_name: String,
    pub policy_arn: Option<String>,
    pub policy_version: Option<String>,
    /// Shared: a managed policy's normalized text is built once per account,
    /// not once per role attaching it.
    pub document: std::sync::Arc<str>,
    pub statement_count: i32,
    /// Role or user (see [`super::principal`]).
    pub principal_type: PrincipalType,
    /// The group a user has the policy through; `None` for its own and
    /// for roles'.
    pub via_group: Option<String>,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[RolePolicyRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| &*r.principal.account_id)),
            utf8_req(rows.iter().map(|r| &*r.principal.id)),
            utf8_req(rows.iter().map(|r| &*r.principal.name)),
            utf8_req(rows.iter().map(|r| &*r.principal.arn)),
            utf8_req(rows.iter().map(|r| r.kind.as_str())),
            utf8_req(rows.iter().map(|r| r.policy_name.as_str())),
            utf8(rows.iter().map(|r| r.policy_arn.as_deref())),
            utf8(rows.iter().map(|r| r.policy_version.as_deref())),
            utf8_req(rows.iter().map(|r| &*r.document)),
            int32(rows.iter().map(|r| Some(r.statement_count))),
            utf8(rows.iter().map(|r| Some(r.principal_type.as_str()))),
            utf8(rows.iter().map(|r| r.via_group.as_deref())),
        ],
    )
}
