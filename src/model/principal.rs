//! The `principal_type` column that `role_policies`, `simulations` and
//! `last_accessed` share: their rows are roles' or, since users are
//! evaluated as roles are, IAM users' (the `role_*` columns then hold the
//! user's id, name and ARN). One definition, so the three tables say it the
//! same way.

use super::columns::{ColType, Column};
use std::sync::Arc;

/// A principal as its rows in `role_policies` and `simulations` name it:
/// one shared copy of each text per principal, however many rows it has (a
/// 20,000-role snapshot copied four strings into each of its 140,000
/// decision rows, and freed them again once written). Cloning it for a row
/// counts references; it copies no text.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalIds {
    pub account_id: Arc<str>,
    /// The role's (or user's) id, name and ARN.
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub arn: Arc<str>,
}

impl PrincipalIds {
    /// The principal `id`, `name`, `arn` of the account `account_id`.
    pub fn new(account_id: &Arc<str>, [id, name, arn]: [&str; 3]) -> PrincipalIds {
        PrincipalIds {
            account_id: Arc::clone(account_id),
            id: id.into(),
            name: name.into(),
            arn: arn.into(),
        }
    }
}

/// Whose row it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrincipalType {
    #[default]
    Role,
    User,
}

impl PrincipalType {
    /// The value written to the `principal_type` column.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Role => "role",
            PrincipalType::User => "user",
        }
    }
}

/// The column, last in each of the three tables (appended, so files written
/// before it keep their column positions; readers treat its absence as
/// `role`).
pub const COLUMN: Column = Column::optional(
    "principal_type",
    ColType::Utf8,
    "role | user: whose row it is. For user rows the role_id, role_name and role_arn columns hold the IAM user's id (AIDA...), name and ARN. Null in partitions written before users were evaluated: every row there is a role's. Role queries filter coalesce(principal_type, 'role') = 'role'.",
);

/// `role_id`: the role's id, or the user's on user rows.
pub const ROLE_ID: Column = Column::required(
    "role_id",
    ColType::Utf8,
    "Role id (AROA...); the user id (AIDA...) on user rows.",
)
.without_statistics();

/// `role_name`: the role's name, or the user's on user rows.
pub const ROLE_NAME: Column = Column::required(
    "role_name",
    ColType::Utf8,
    "Role name; the user name on user rows.",
)
.without_statistics();

/// `role_arn`: the role's ARN, or the user's on user rows.
pub const ROLE_ARN: Column = Column::required(
    "role_arn",
    ColType::Utf8,
    "Role ARN; the user ARN on user rows.",
)
.without_statistics();
