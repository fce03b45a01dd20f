//! The summary tables (written by `analyze`): `team_summary`, per owner team,
//! and `daily_summary`, organization-wide and per account: the trend series
//! for leadership charts.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::array::ArrayRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// One entry of `risky_by_action`.
pub const RISK_BY_ACTION: &[Column] = &[
    Column::required("action", ColType::Utf8, "The sensitive action."),
    Column::required(
        "allowed",
        ColType::Int32,
        "Roles allowed the action at account breadth or wider (simulations.breadth any or account; before schema version 3: on any resource).",
    ),
    Column::required(
        "conditionally_allowed",
        ColType::Int32,
        "Roles allowed it at account breadth or wider only under conditions.",
    ),
    Column::optional(
        "allowed_on_any_resource",
        ColType::Int32,
        "Roles allowed the action on any resource (simulations.decision): the count before schema version 3, kept so the history stays comparable. Null in partitions before version 3.",
    ),
];

/// `team_summary`.
pub const TEAM_TABLE: TableDef = TableDef {
    name: "team_summary",
    doc: "One row per owner team: its roles, sensitive grants on any resource, unused permissions by review status, and review progress.",
    columns: TEAM_COLUMNS,
};

const TEAM_COLUMNS: &[Column] = &[
    Column::required(
        "owner_team",
        ColType::Utf8,
        "Owner team (unowned collects roles nobody owns).",
    ),
    Column::required("roles", ColType::Int32, "Roles the team owns."),
    Column::required(
        "risky_roles",
        ColType::Int32,
        "Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role's own account, or more). Before schema version 3: on any resource.",
    ),
    Column::required(
        "risky_by_action",
        ColType::List(&ColType::Struct(RISK_BY_ACTION)),
        "Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.",
    ),
    Column::optional(
        "risky_roles_on_any_resource",
        ColType::Int32,
        "Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.",
    ),
    Column::required(
        "passrole_roles",
        ColType::Int32,
        "Roles whose policies grant iam:PassRole (invisible to Access Advisor, so never reported unused).",
    ),
    Column::required(
        "unused_open",
        ColType::Int32,
        "Unused permissions not yet reviewed.",
    ),
    Column::required(
        "unused_kept",
        ColType::Int32,
        "Unused permissions reviewed keep.",
    ),
    Column::required(
        "unused_to_delete",
        ColType::Int32,
        "Unused permissions reviewed delete and still granted.",
    ),
    Column::required(
        "unused_done",
        ColType::Int32,
        "Delete reviews whose permission is gone from the role.",
    ),
    Column::required(
        "unused_new",
        ColType::Int32,
        "Unused permissions new or reappeared since the previous snapshot.",
    ),
    Column::optional(
        "review_progress",
        ColType::Float64,
        "Reviewed share: (kept + to_delete + done) / (open + kept + to_delete + done); null when there is nothing to review.",
    ),
    Column::required(
        "roles_carried",
        ColType::Int32,
        "Of roles, those whose data was carried from an earlier date because their account could not be collected on this one.",
    ),
    Column::required(
        "unused_roles_open",
        ColType::Int32,
        "Unused roles (not service-linked) not yet reviewed.",
    ),
    Column::required(
        "unused_roles_kept",
        ColType::Int32,
        "Unused roles reviewed keep.",
    ),
    Column::required(
        "unused_roles_to_delete",
        ColType::Int32,
        "Unused roles reviewed delete and still present.",
    ),
    Column::required(
        "unused_roles_done",
        ColType::Int32,
        "Delete reviews of roles that are gone.",
    ),
    Column::required(
        "unused_roles_new",
        ColType::Int32,
        "Unused roles new or reappeared since the previous snapshot.",
    ),
    Column::required(
        "unused_roles_outside_org",
        ColType::Int32,
        "Unused roles (not service-linked) that accounts outside the organization (or anyone) may assume.",
    ),
    Column::required(
        "unused_service_linked_roles",
        ColType::Int32,
        "Unused service-linked roles, counted apart (AWS manages them).",
    ),
];

/// `daily_summary`.
pub const DAILY_TABLE: TableDef = TableDef {
    name: "daily_summary",
    doc: "Per snapshot date, one organization-wide row and one row per account: the trend series for leadership charts.",
    columns: DAILY_COLUMNS,
};

const DAILY_COLUMNS: &[Column] = &[
    Column::required("scope", ColType::Utf8, "organization | account."),
    Column::optional(
        "account_id",
        ColType::Utf8,
        "The account (null for the organization row).",
    ),
    Column::optional("account_name", ColType::Utf8, "Account name."),
    Column::required("roles", ColType::Int32, "Roles."),
    Column::required(
        "risky_roles",
        ColType::Int32,
        "Risky roles: allowed at least one sensitive action at account breadth or wider (every resource of its types in the role's own account, or more). Before schema version 3: on any resource.",
    ),
    Column::required(
        "risky_by_action",
        ColType::List(&ColType::Struct(RISK_BY_ACTION)),
        "Per sensitive action: roles allowed, and conditionally allowed, at account breadth or wider.",
    ),
    Column::optional(
        "risky_roles_on_any_resource",
        ColType::Int32,
        "Roles allowed at least one sensitive action on any resource (`*`): risky_roles before schema version 3. Null in partitions before version 3.",
    ),
    Column::required(
        "unused_permissions",
        ColType::Int32,
        "Unused permissions (any review status).",
    ),
    Column::required(
        "unused_open",
        ColType::Int32,
        "Unused permissions not yet reviewed.",
    ),
    Column::required(
        "unused_new",
        ColType::Int32,
        "New or reappeared since the previous snapshot.",
    ),
    Column::required(
        "unused_resolved",
        ColType::Int32,
        "Resolved since the previous snapshot.",
    ),
    Column::required("unowned_roles", ColType::Int32, "Roles with no owner team."),
    Column::optional(
        "account_status",
        ColType::Utf8,
        "Account rows: ok (collected on this date) | carried (collection failed; its roles are counted from data_date, its last good snapshot) | no_data (collection failed and no earlier snapshot has it: counted nowhere). Null for the organization row.",
    ),
    Column::optional(
        "data_date",
        ColType::Date,
        "Account rows: the snapshot date the account's numbers come from (null for no_data and for the organization row).",
    ),
    Column::optional(
        "ou_path",
        ColType::Utf8,
        "Account rows: the account's place in the organization, root first (r-.../ou-.../...), when known.",
    ),
    Column::optional(
        "failure_reason",
        ColType::Utf8,
        "Account rows: why collection failed on this date (null when ok).",
    ),
    Column::required(
        "accounts_carried",
        ColType::Int32,
        "Accounts whose data was carried from an earlier date (0 or 1 on account rows).",
    ),
    Column::required(
        "accounts_without_data",
        ColType::Int32,
        "Accounts that failed with no earlier data to carry: their roles are missing from every count (0 or 1 on account rows).",
    ),
    Column::required(
        "roles_access_carried",
        ColType::Int32,
        "Roles whose Access Advisor data came from an earlier date (their own job failed or timed out, or their account was carried).",
    ),
    Column::required(
        "roles_access_unknown",
        ColType::Int32,
        "Roles with no Access Advisor data on this date or before: their unused permissions are unknown and not counted.",
    ),
    Column::required(
        "unused_roles",
        ColType::Int32,
        "Unused roles, service-linked ones excluded.",
    ),
    Column::required(
        "unused_roles_new",
        ColType::Int32,
        "Unused roles new or reappeared since the previous snapshot.",
    ),
    Column::required(
        "unused_roles_resolved",
        ColType::Int32,
        "Unused roles on the previous snapshot that are used or deleted now.",
    ),
    Column::required(
        "unused_service_linked_roles",
        ColType::Int32,
        "Unused service-linked roles, counted apart.",
    ),
    Column::optional(
        "risky_users",
        ColType::Int32,
        "IAM users allowed at least one sensitive action at account breadth or wider (simulations rows with principal_type user, the roles' rule), counted apart from roles. Null in partitions analyzed before users were evaluated.",
    ),
];

/// Allowed and conditionally allowed counts for one action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionRisk {
    pub action: String,
    /// At account breadth or wider.
    pub allowed: i32,
    pub conditionally_allowed: i32,
    /// On any resource (`*`).
    pub allowed_on_any_resource: i32,
}

/// One `team_summary` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamRow {
    pub owner_team: String,
    pub roles: i32,
    pub risky_roles: i32,
    pub risky_by_action: Vec<ActionRisk>,
    pub risky_roles_on_any_resource: i32,
    pub passrole_roles: i32,
    pub unused_open: i32,
    pub unused_kept: i32,
    pub unused_to_delete: i32,
    pub unused_done: i32,
    pub unused_new: i32,
    pub review_progress: Option<f64>,
    pub roles_carried: i32,
    pub unused_roles_open: i32,
    pub unused_roles_kept: i32,
    pub unused_roles_to_delete: i32,
    pub unused_roles_done: i32,
    pub unused_roles_new: i32,
    pub unused_roles_outside_org: i32,
    pub unused_service_linked_roles: i32,
}

/// One `daily_summary` row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DailyRow {
    pub scope: String,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub roles: i32,
    pub risky_roles: i32,
    pub risky_by_action: Vec<ActionRisk>,
    pub risky_roles_on_any_resource: i32,
    pub unused_permissions: i32,
    pub unused_open: i32,
    pub unused_new: i32,
    pub unused_resolved: i32,
    pub unowned_roles: i32,
    pub account_status: Option<String>,
    /// Days since the epoch.
    pub data_date: Option<i32>,
    pub ou_path: Option<String>,
    pub failure_reason: Option<String>,
    pub accounts_carried: i32,
    pub accounts_without_data: i32,
    pub roles_access_carried: i32,
    pub roles_access_unknown: i32,
    pub unused_roles: i32,
    pub unused_roles_new: i32,
    pub unused_roles_resolved: i32,
    pub unused_service_linked_roles: i32,
    pub risky_users: i32,
}

fn risk_list<'a>(rows: impl Iterator<Item = &'a [ActionRisk]> + Clone) -> ArrayRef {
    use columns::*;
    let items = || rows.clone().flatten();
    struct_list(
        RISK_BY_ACTION,
        vec![
            utf8_req(items().map(|r| r.action.as_str())),
            int32(items().map(|r| Some(r.allowed))),
            int32(items().map(|r| Some(r.conditionally_allowed))),
            int32(items().map(|r| Some(r.allowed_on_any_resource))),
        ],
        rows.clone().map(<[ActionRisk]>::len).collect(),
    )
}

/// Builds a `team_summary` batch.
pub fn team_batch(rows: &[TeamRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let i = |f: fn(&TeamRow) -> i32| int32(rows.iter().map(move |r| Some(f(r))));
    RecordBatch::try_new(
        TEAM_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.owner_team.as_str())),
            i(|r| r.roles),
            i(|r| r.risky_roles),
            risk_list(rows.iter().map(|r| r.risky_by_action.as_slice())),
            i(|r| r.risky_roles_on_any_resource),
            i(|r| r.passrole_roles),
            i(|r| r.unused_open),
            i(|r| r.unused_kept),
            i(|r| r.unused_to_delete),
            i(|r| r.unused_done),
            i(|r| r.unused_new),
            float64(rows.iter().map(|r| r.review_progress)),
            i(|r| r.roles_carried),
            i(|r| r.unused_roles_open),
            i(|r| r.unused_roles_kept),
            i(|r| r.unused_roles_to_delete),
            i(|r| r.unused_roles_done),
            i(|r| r.unused_roles_new),
            i(|r| r.unused_roles_outside_org),
            i(|r| r.unused_service_linked_roles),
        ],
    )
}

/// Builds a `daily_summary` batch.
pub fn daily_batch(rows: &[DailyRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let i = |f: fn(&DailyRow) -> i32| int32(rows.iter().map(move |r| Some(f(r))));
    RecordBatch::try_new(
        DAILY_TABLE.schema(),
        vec![
            utf8_req(rows.iter().map(|r| r.scope.as_str())),
            utf8(rows.iter().map(|r| r.account_id.as_deref())),
            utf8(rows.iter().map(|r| r.account_name.as_deref())),
            i(|r| r.roles),
            i(|r| r.risky_roles),
            risk_list(rows.iter().map(|r| r.risky_by_action.as_slice())),
            i(|r| r.risky_roles_on_any_resource),
            i(|r| r.unused_permissions),
            i(|r| r.unused_open),
            i(|r| r.unused_new),
            i(|r| r.unused_resolved),
            i(|r| r.unowned_roles),
            utf8(rows.iter().map(|r| r.account_status.as_deref())),
            date(rows.iter().map(|r| r.data_date)),
            utf8(rows.iter().map(|r| r.ou_path.as_deref())),
            utf8(rows.iter().map(|r| r.failure_reason.as_deref())),
            i(|r| r.accounts_carried),
            i(|r| r.accounts_without_data),
            i(|r| r.roles_access_carried),
            i(|r| r.roles_access_unknown),
            i(|r| r.unused_roles),
            i(|r| r.unused_roles_new),
            i(|r| r.unused_roles_resolved),
            i(|r| r.unused_service_linked_roles),
            i(|r| r.risky_users),
        ],
    )
}
