//! The `role_owners` table (written by `analyze`): every role of the date
//! with its owner team, which step of the owner chain decided it, and the
//! infrastructure code that manages it, so analysts can see how far each
//! owner can be trusted and where each role is defined.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "role_owners",
    doc: "One row per role of the date (carried accounts included): its owner team, the step of the owner chain that decided it (tags, Terraform state + CODEOWNERS, CloudFormation stack rules, the owners file, the account owner, or none), and the Terraform resource or CloudFormation stack that manages it when known.",
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
        "tag | terraform | cloudformation | owners_file | account | unowned: the first step of the owner chain that named the team.",
    ),
    Column::optional(
        "owner_detail",
        ColType::Utf8,
        "What exactly decided: the CODEOWNERS line and pattern, the owners-config entry, the owners file line, or the account entry.",
    ),
    Column::optional(
        "iac_kind",
        ColType::Utf8,
        "terraform | cloudformation: what manages the role; null when neither is known.",
    ),
    Column::optional(
        "iac_state",
        ColType::Utf8,
        "The Terraform state (file path or s3:// URI) or the CloudFormation stack name.",
    ),
    Column::optional(
        "iac_module",
        ColType::Utf8,
        "Terraform module address (module.app); null in the root module and for CloudFormation.",
    ),
    Column::optional(
        "iac_address",
        ColType::Utf8,
        "Terraform resource address (module.app.aws_iam_role.this[\"api\"]) or the CloudFormation logical id.",
    ),
];

/// One role's ownership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOwnerRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub owner_team: String,
    pub owner_source: String,
    pub owner_detail: Option<String>,
    pub iac_kind: Option<String>,
    pub iac_state: Option<String>,
    pub iac_module: Option<String>,
    pub iac_address: Option<String>,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[RoleOwnerRow]) -> Result<RecordBatch, ArrowError> {
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
            utf8(rows.iter().map(|r| r.owner_detail.as_deref())),
            utf8(rows.iter().map(|r| r.iac_kind.as_deref())),
            utf8(rows.iter().map(|r| r.iac_state.as_deref())),
            utf8(rows.iter().map(|r| r.iac_module.as_deref())),
            utf8(rows.iter().map(|r| r.iac_address.as_deref())),
        ],
    )
}
