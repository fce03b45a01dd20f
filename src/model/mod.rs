//! The lake's tables: one module per table, each holding its row type and the
//! single definition of its Arrow schema.
//!
//! Everything else follows from these definitions: the Parquet writer builds
//! record batches against them, the warehouse DDL and `docs/LAKE.md` are
//! generated from them, and the schema lint checks written files against the
//! conventions Snowflake and Athena need (see [`crate::lake::lint`]).

pub mod columns;
pub mod credential_findings;
pub mod credentials;
pub mod docs;
pub mod last_accessed;
pub mod ledger;
pub mod policy_lints;
pub mod principal;
pub mod role_owners;
pub mod role_policies;
pub mod roles;
pub mod scps;
pub mod simulations;
pub mod summaries;
pub mod unused_deltas;
pub mod unused_permissions;
pub mod unused_roles;
pub mod users;

use arrow::datatypes::{Field, Schema, SchemaRef};
use std::sync::Arc;

pub use columns::Column;

/// Bumped whenever a column is added, removed or changes type; written into
/// every manifest so readers can tell which layout a partition has.
///
/// - 1: the first layout.
/// - 2: `roles.last_accessed_status`; `unused_permissions.data_date`;
///   `team_summary.roles_carried`; `daily_summary` says where each
///   account's data comes from (`account_status`, `data_date`, `ou_path`,
///   `failure_reason`, the carried/without-data counts). Partitions of
///   version 1 are read as if every role's Access Advisor data was `ok`.
/// - 3: grant breadth. `simulations.breadth` and `breadth_decision`;
///   "risky" means allowed at account breadth or wider, so
///   `daily_summary`/`team_summary.risky_roles` and `risky_by_action` count
///   that, and `risky_roles_on_any_resource` / `allowed_on_any_resource`
///   keep the count on `*` (the old meaning). `roles.scp_exempt`. Partitions
///   before version 3 are read as breadth `any` where the decision on `*`
///   allows. New tables: `scps` (the SCPs as evaluated), `credentials` (the
///   credential report), `users`; from analyze, `unused_roles`,
///   `credential_findings`, `role_owners` (the owner chain and Terraform
///   address per role) and `alert_deliveries` (per routed destination), with
///   unused-role counts in the summaries; `unused_permissions` says where to
///   fix each finding (`iac_*`, `grant_*`); `review_status` gains `expires`,
///   `grant_fingerprint`, `invalidated_on`.
/// - 4: IAM users beside roles. `role_policies`, `simulations` and
///   `last_accessed` gain `principal_type` (`role` | `user`; null in older
///   partitions, read as `role`) and `role_policies.via_group`; on user rows
///   `role_id`/`role_name`/`role_arn` hold the user's. `users.last_accessed_status`;
///   `credential_findings.owner_team`/`owner_source`; `daily_summary.risky_users`.
///   New table `policy_lints` (unknown actions and condition keys in the
///   collected policies).
/// - 5: resource control policies. New table `rcps` (the RCPs as evaluated, the
///   same columns as `scps`); the snapshot applies them to its roles and users,
///   and knows `aws:PrincipalOrgID`, `aws:PrincipalIsAWSService` and
///   `aws:SecureTransport` (see docs/EVALUATION.md). `roles.scp_exempt` also
///   says why RCPs do not apply (the same two reasons).
pub const SCHEMA_VERSION: u32 = 5;

/// A lake table: its name (the folder under the lake root) and its columns.
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    /// lower_snake_case table name, also the folder name in the lake.
    pub name: &'static str,
    /// One sentence on what a row is, used in generated docs and DDL comments.
    pub doc: &'static str,
    /// The columns, in file order.
    pub columns: &'static [Column],
}

impl TableDef {
    /// The Arrow schema every file of this table is written with.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self.columns.iter().map(Column::field).collect();
        Arc::new(Schema::new(fields))
    }
}

/// The tables `snapshot` writes, in the order they are written.
pub const SNAPSHOT_TABLES: [TableDef; 9] = [
    roles::TABLE,
    role_policies::TABLE,
    simulations::TABLE,
    last_accessed::TABLE,
    scps::TABLE,
    scps::RCP_TABLE,
    credentials::TABLE,
    users::TABLE,
    policy_lints::TABLE,
];

/// The tables `analyze` writes, in the order they are written.
pub const ANALYZE_TABLES: [TableDef; 11] = [
    unused_permissions::TABLE,
    unused_roles::TABLE,
    credential_findings::TABLE,
    unused_deltas::TABLE,
    summaries::TEAM_TABLE,
    summaries::DAILY_TABLE,
    ledger::PASSROLE_TABLE,
    ledger::REVIEW_TABLE,
    ledger::LEDGER_TABLE,
    role_owners::TABLE,
    ledger::DELIVERY_TABLE,
];

/// Every table iamlake writes: the snapshot's, then analyze's.
pub fn all_tables() -> impl Iterator<Item = TableDef> {
    SNAPSHOT_TABLES.into_iter().chain(ANALYZE_TABLES)
}

/// Looks a table up by name among every table iamlake writes.
pub fn table(name: &str) -> Option<TableDef> {
    all_tables().find(|t| t.name == name)
}
