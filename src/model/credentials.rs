//! The `credentials` table: the IAM credential report of every collected
//! account, one row per line (the root user and every IAM user), columns as
//! AWS names them.

use super::TableDef;
use super::columns::{self, ColType, Column};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

/// The table definition; see each column's `doc`.
pub const TABLE: TableDef = TableDef {
    name: "credentials",
    doc: "One row per line of each account's IAM credential report (GenerateCredentialReport / GetCredentialReport): the root user and every IAM user, with password, MFA, access keys and certificates. An account collected without a report has no rows (its credentials are unknown: every report has a root line).",
    columns: COLUMNS,
};

const COLUMNS: &[Column] = &[
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::optional(
        "account_name",
        ColType::Utf8,
        "Account name from AWS Organizations.",
    ),
    Column::required(
        "user",
        ColType::Utf8,
        "User name as the report has it (<root_account> for the root user).",
    ),
    Column::required("arn", ColType::Utf8, "User ARN (…:root for the root user)."),
    Column::required(
        "is_root",
        ColType::Boolean,
        "Whether this is the account's root user.",
    ),
    Column::optional(
        "user_creation_time",
        ColType::Timestamp,
        "When the user was created (UTC).",
    ),
    Column::optional(
        "password_enabled",
        ColType::Boolean,
        "Whether the user has a console password; null for the root user (not_supported).",
    ),
    Column::optional(
        "password_last_used",
        ColType::Timestamp,
        "Last console sign-in; null when never (N/A) or before IAM tracked it (no_information).",
    ),
    Column::optional(
        "password_last_changed",
        ColType::Timestamp,
        "When the password was last set; null when N/A or not_supported.",
    ),
    Column::optional(
        "password_next_rotation",
        ColType::Timestamp,
        "When the password policy requires the next change; null when N/A or not_supported.",
    ),
    Column::required(
        "mfa_active",
        ColType::Boolean,
        "Whether an MFA device is enabled.",
    ),
    Column::required(
        "access_key_1_active",
        ColType::Boolean,
        "Whether the first access key exists and is active.",
    ),
    Column::optional(
        "access_key_1_last_rotated",
        ColType::Timestamp,
        "When the first access key was created or last rotated; null when N/A.",
    ),
    Column::optional(
        "access_key_1_last_used_date",
        ColType::Timestamp,
        "Last use of the first access key; null when never used (N/A).",
    ),
    Column::optional(
        "access_key_1_last_used_region",
        ColType::Utf8,
        "Region of that use; null when N/A.",
    ),
    Column::optional(
        "access_key_1_last_used_service",
        ColType::Utf8,
        "Service of that use (s3, ec2, …); null when N/A.",
    ),
    Column::required(
        "access_key_2_active",
        ColType::Boolean,
        "Whether the second access key exists and is active.",
    ),
    Column::optional(
        "access_key_2_last_rotated",
        ColType::Timestamp,
        "When the second access key was created or last rotated; null when N/A.",
    ),
    Column::optional(
        "access_key_2_last_used_date",
        ColType::Timestamp,
        "Last use of the second access key; null when never used (N/A).",
    ),
    Column::optional(
        "access_key_2_last_used_region",
        ColType::Utf8,
        "Region of that use; null when N/A.",
    ),
    Column::optional(
        "access_key_2_last_used_service",
        ColType::Utf8,
        "Service of that use; null when N/A.",
    ),
    Column::required(
        "cert_1_active",
        ColType::Boolean,
        "Whether the first signing certificate is active.",
    ),
    Column::optional(
        "cert_1_last_rotated",
        ColType::Timestamp,
        "When the first signing certificate was created or last rotated; null when N/A.",
    ),
    Column::required(
        "cert_2_active",
        ColType::Boolean,
        "Whether the second signing certificate is active.",
    ),
    Column::optional(
        "cert_2_last_rotated",
        ColType::Timestamp,
        "When the second signing certificate was created or last rotated; null when N/A.",
    ),
];

/// One access key's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessKey {
    pub active: bool,
    /// Microseconds since the epoch, UTC.
    pub last_rotated: Option<i64>,
    /// Microseconds since the epoch, UTC.
    pub last_used_date: Option<i64>,
    pub last_used_region: Option<String>,
    pub last_used_service: Option<String>,
}

/// One signing certificate's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cert {
    pub active: bool,
    /// Microseconds since the epoch, UTC.
    pub last_rotated: Option<i64>,
}

/// One line of a credential report, as written to the lake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialRow {
    pub account_id: String,
    pub account_name: Option<String>,
    pub user: String,
    pub arn: String,
    pub is_root: bool,
    /// Microseconds since the epoch, UTC (as are the other times).
    pub user_creation_time: Option<i64>,
    pub password_enabled: Option<bool>,
    pub password_last_used: Option<i64>,
    pub password_last_changed: Option<i64>,
    pub password_next_rotation: Option<i64>,
    pub mfa_active: bool,
    pub access_keys: [AccessKey; 2],
    pub certs: [Cert; 2],
}

/// Builds one record batch from rows.
pub fn to_batch(rows: &[CredentialRow]) -> Result<RecordBatch, ArrowError> {
    use columns::*;
    let ts = |f: fn(&CredentialRow) -> Option<i64>| timestamp(rows.iter().map(f));
    let flag = |f: fn(&CredentialRow) -> bool| boolean(rows.iter().map(move |r| Some(f(r))));
    let key = |k: usize| {
        vec![
            boolean(rows.iter().map(move |r| Some(r.access_keys[k].active))),
            timestamp(rows.iter().map(move |r| r.access_keys[k].last_rotated)),
            timestamp(rows.iter().map(move |r| r.access_keys[k].last_used_date)),
            utf8(
                rows.iter()
                    .map(move |r| r.access_keys[k].last_used_region.as_deref()),
            ),
            utf8(
                rows.iter()
                    .map(move |r| r.access_keys[k].last_used_service.as_deref()),
            ),
        ]
    };
    let cert = |k: usize| {
        vec![
            boolean(rows.iter().map(move |r| Some(r.certs[k].active))),
            timestamp(rows.iter().map(move |r| r.certs[k].last_rotated)),
        ]
    };
    let mut cols = vec![
        utf8_req(rows.iter().map(|r| r.account_id.as_str())),
        utf8(rows.iter().map(|r| r.account_name.as_deref())),
        utf8_req(rows.iter().map(|r| r.user.as_str())),
        utf8_req(rows.iter().map(|r| r.arn.as_str())),
        flag(|r| r.is_root),
        ts(|r| r.user_creation_time),
        boolean(rows.iter().map(|r| r.password_enabled)),
        ts(|r| r.password_last_used),
        ts(|r| r.password_last_changed),
        ts(|r| r.password_next_rotation),
        flag(|r| r.mfa_active),
    ];
    cols.extend(key(0));
    cols.extend(key(1));
    cols.extend(cert(0));
    cols.extend(cert(1));
    RecordBatch::try_new(TABLE.schema(), cols)
}
