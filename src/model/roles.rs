//! The `roles` table: one row per IAM role in every collected account.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "roles",
    doc: "One row per IAM role in every collected account on the snapshot date.",
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
    Column::required(
        "role_id",
        ColType::Utf8,
        "Stable unique id (AROA...); changes when a role is deleted and recreated under the same name.",
    )
    .without_statistics(),
    Column::required("role_name", ColType::Utf8, "Role name.").without_statistics(),
    Column::required("arn", ColType::Utf8, "Role ARN.").without_statistics(),
    Column::required("path", ColType::Utf8, "IAM path, e.g. / or /service-role/."),
    Column::required(
        "create_date",
        ColType::Timestamp,
        "When the role was created (UTC).",
    ),
    Column::optional(
        "description",
        ColType::Utf8,
        "Role description (from ListRoles; null when the source lacks it).",
    ),
    Column::optional(
        "max_session_duration",
        ColType::Int32,
        "Maximum session duration in seconds (from ListRoles).",
    ),
    Column::optional(
        "permissions_boundary_arn",
        ColType::Utf8,
        "ARN of the permissions boundary policy, if one is set.",
    ),
    Column::required(
        "trust_policy",
        ColType::Utf8,
        "Trust (assume-role) policy as normalized JSON text.",
    )
    .without_statistics(),
    Column::required(
        "trusted_principals",
        ColType::List(&ColType::Utf8),
        "Principals the trust policy allows, e.g. arn:aws:iam::123456789012:root, service:lambda.amazonaws.com, federated:...",
    ),
    Column::required("tags", ColType::Utf8Map, "Role tags, key to value."),
    Column::optional(
        "owner_team",
        ColType::Utf8,
        "Owner from the role's tags (first of the configured tag keys, default team then owner); analyze adds owners-file rules.",
    ),
    Column::optional(
        "last_used_at",
        ColType::Timestamp,
        "When the role was last used (RoleLastUsed), null if never or unknown.",
    ),
    Column::optional("last_used_region", ColType::Utf8, "Region of the last use."),
    Column::required(
        "managed_policy_arns",
        ColType::List(&ColType::Utf8),
        "ARNs of the attached managed policies (customer and AWS managed).",
    ),
    Column::required(
        "inline_policy_names",
        ColType::List(&ColType::Utf8),
        "Names of the role's inline policies.",
    ),
    Column::required(
        "last_accessed_status",
        ColType::Utf8,
        "Whether the role's Access Advisor data was collected on this date: ok | failed | timed_out | missing. Anything but ok means its services are unknown that day (no last_accessed rows): analyze never calls them unused or used, and carries the role's last good data forward.",
    ),
    Column::optional(
        "scp_exempt",
        ColType::Utf8,
        "Why SCPs do not limit this role, as AWS exempts it: management_account | service_linked_role; null when the account's SCPs apply (schema version 3). The same reasons exempt it from the account's RCPs (schema version 5).",
    ),
];

/// One role as written to the lake.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub arn: String,
    pub path: String,
    /// Microseconds since the epoch, UTC.
    pub create_date: i64,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub permissions_boundary_arn: Option<String>,
    pub trust_policy: String,
    pub trusted_principals: Vec<String>,
    /// In the order the source lists them.
    pub tags: Vec<(String, String)>,
    pub owner_team: Option<String>,
    /// Microseconds since the epoch, UTC.
    pub last_used_at: Option<i64>,
    pub last_used_region: Option<String>,
    pub managed_policy_arns: Vec<String>,
    pub inline_policy_names: Vec<String>,
    /// `ok`, `failed`, `timed_out` or `missing` (see the column's doc).
    pub last_accessed_status: String,
    /// `management_account` or `service_linked_role` (see the column's doc).
    pub scp_exempt: Option<&'static str>,
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[RoleRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    RecordBatch::try_new(
        TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.account_id.as_str())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            utf8_req(rows.iter().map(|r| r.role_id.as_str())),
            utf8_req(rows.iter().map(|r| r.role_name.as_str())),
            utf8_req(rows.iter().map(|r| r.arn.as_str())),
            utf8_req(rows.iter().map(|r| r.path.as_str())),
            timestamp(rows.iter().map(|r| Some(r.create_date))),
            utf8(rows.iter().map(|r| r.description.as_deref())),
            int32(rows.iter().map(|r| r.max_session_duration)),
            utf8(rows.iter().map(|r| r.permissions_boundary_arn.as_deref())),
            utf8_req(rows.iter().map(|r| r.trust_policy.as_str())),
            utf8_list(
                rows.iter()
                    .map(|r| r.trusted_principals.iter().map(String::as_str)),
            ),
            utf8_map(
                rows.iter()
                    .map(|r| r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            ),
            utf8(rows.iter().map(|r| r.owner_team.as_deref())),
            timestamp(rows.iter().map(|r| r.last_used_at)),
            utf8(rows.iter().map(|r| r.last_used_region.as_deref())),
            utf8_list(
                rows.iter()
                    .map(|r| r.managed_policy_arns.iter().map(String::as_str)),
            ),
            utf8_list(
                rows.iter()
                    .map(|r| r.inline_policy_names.iter().map(String::as_str)),
            ),
            utf8_req(rows.iter().map(|r| r.last_accessed_status.as_str())),
            utf8(rows.iter().map(|r| r.scp_exempt)),
        ],
    )
}
