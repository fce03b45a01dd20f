//! The `users` table: one row per IAM user of every collected account, from
//! the authorization details (`UserDetailList`, with `GroupDetailList` for
//! what the user's groups carry). Passwords, MFA and keys are in
//! `credentials` (join on `arn`).

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "users",
    doc: "One row per IAM user in every collected account on the snapshot date (GetAccountAuthorizationDetails UserDetailList), with its groups and the policies it has directly and through them.",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required(
        "account_id",
        ColType::Utf8,
        "12-digit AWS account id that owns the user.",
    ),
    Column::optional(
        "account_name",
        ColType::Utf8,
        "Account name from AWS Organizations.",
    ),
    Column::required(
        "user_id",
        ColType::Utf8,
        "Stable unique id (AIDA...); changes when a user is deleted and recreated under the same name.",
    ),
    Column::required("user_name", ColType::Utf8, "User name."),
    Column::required(
        "arn",
        ColType::Utf8,
        "User ARN (credentials.arn for the same user).",
    ),
    Column::required("path", ColType::Utf8, "IAM path, e.g. / or /ci/."),
    Column::required(
        "create_date",
        ColType::Timestamp,
        "When the user was created (UTC).",
    ),
    Column::required("tags", ColType::Utf8Map, "User tags, key to value."),
    Column::optional(
        "owner_team",
        ColType::Utf8,
        "Owner from the user's tags (the configured tag keys, as for roles).",
    ),
    Column::required(
        "groups",
        ColType::List(&ColType::Utf8),
        "Names of the groups the user is in.",
    ),
    Column::optional(
        "permissions_boundary_arn",
        ColType::Utf8,
        "ARN of the permissions boundary policy, if one is set.",
    ),
    Column::required(
        "inline_policy_names",
        ColType::List(&ColType::Utf8),
        "Names of the user's own inline policies.",
    ),
    Column::required(
        "managed_policy_arns",
        ColType::List(&ColType::Utf8),
        "ARNs of the managed policies attached to the user itself.",
    ),
    Column::required(
        "group_inline_policy_names",
        ColType::List(&ColType::Utf8),
        "Inline policies of the user's groups, as group/policy.",
    ),
    Column::required(
        "group_managed_policy_arns",
        ColType::List(&ColType::Utf8),
        "ARNs of the managed policies attached to the user's groups (each once).",
    ),
    Column::required(
        "last_accessed_status",
        ColType::Utf8,
        "Whether the user's Access Advisor data was collected on this date: ok | failed | timed_out | missing (as roles.last_accessed_status; the data is in last_accessed with principal_type user).",
    ),
];

/// One user as written to the lake.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub arn: String,
    pub path: String,
    /// Microseconds since the epoch, UTC.
    pub create_date: i64,
    /// In the order the source lists them.
    pub tags: Vec<(String, String)>,
    pub owner_team: Option<String>,
    pub groups: Vec<String>,
    pub permissions_boundary_arn: Option<String>,
    pub inline_policy_names: Vec<String>,
    pub managed_policy_arns: Vec<String>,
    pub group_inline_policy_names: Vec<String>,
    pub group_managed_policy_arns: Vec<String>,
    /// `ok | failed | timed_out | missing`, set once the user is evaluated.
    pub last_accessed_status: String,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[UserRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let list = |f: fn(&UserRow) -> &Vec<String>| utf8_list_of(rows, f);
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            utf8_req(rows.iter().map(|r| r.user_id.as_str())),
            utf8_req(rows.iter().map(|r| r.user_name.as_str())),
            utf8_req(rows.iter().map(|r| r.arn.as_str())),
            utf8_req(rows.iter().map(|r| r.path.as_str())),
            timestamp(rows.iter().map(|r| Some(r.create_date))),
            utf8_map(
                rows.iter()
                    .map(|r| r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            ),
            utf8(rows.iter().map(|r| r.owner_team.as_deref())),
            list(|r| &r.groups),
            utf8(rows.iter().map(|r| r.permissions_boundary_arn.as_deref())),
            list(|r| &r.inline_policy_names),
            list(|r| &r.managed_policy_arns),
            list(|r| &r.group_inline_policy_names),
            list(|r| &r.group_managed_policy_arns),
            utf8_req(rows.iter().map(|r| r.last_accessed_status.as_str())),
        ],
    )
}
