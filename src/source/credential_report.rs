//! Parses the IAM credential report (GetCredentialReport's `Content`, the
//! CSV `aws iam get-credential-report` decodes) into `credentials` rows.
//!
//! The report is read strictly: every column of its header must be one AWS
//! documents (a new column is an error naming it, rather than silently lost),
//! every documented column must be there, and every line must have as many
//! fields as the header — a report cut short in transfer fails on the line
//! where it ends. Errors name the file (or `aws:<account>/credential-report`)
//! and the line.

use crate::model::credentials::{AccessKey, Cert, CredentialRow};
use std::path::{Path, PathBuf};

/// The report's columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// The root user's name in the report.
pub const ROOT_USER: &str = "<root_account>";

/// What is wrong with a credential report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The report has no header line.
    #[error("{}: line 1: empty credential report (no header)", path.display())]
    Empty { path: PathBuf },
    /// A header column AWS does not document.
    #[error("{}: line 1: unknown column {column:?} (known: {})", path.display(), COLUMNS.join(", "))]
    UnknownColumn { path: PathBuf, column: String },
    /// A documented column is missing from the header.
    #[error("{}: line 1: column {column:?} is missing", path.display())]
    MissingColumn { path: PathBuf, column: &'static str },
    /// A line with fewer or more fields than the header: a truncated report.
    #[error("{}: line {line}: {found} fields where the header has {expected} (truncated report?)", path.display())]
    Fields {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },
    /// A field whose value is not of its column's kind.
    #[error("{}: line {line}: column {column}: {value:?} is not {expected}", path.display())]
    Value {
        path: PathBuf,
        line: u64,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    /// Not CSV (bad quoting, not UTF-8, …).
    #[error("{}: line {line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// Reads and parses a report file.
pub fn read(path: &Path, account_id: &str) -> Result<Vec<CredentialRow>, ReportError> {
    let bytes = std::fs::read(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes, path, account_id)
}

/// Parses a report's CSV text; `origin` names it in errors. Rows carry
/// `account_id` (the account name is set by the caller).
pub fn parse(
    text: &[u8],
    origin: &Path,
    account_id: &str,
) -> Result<Vec<CredentialRow>, ReportError> {
    let path = || origin.to_path_buf();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let csv_err = |e: csv::Error| ReportError::Csv {
        path: path(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let mut records = reader.records();
    let header = match records.next() {
        Some(h) => h.map_err(csv_err)?,
        None => return Err(ReportError::Empty { path: path() }),
    };
    // Column index of each known column.
    let mut at = [usize::MAX; COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.trim();
        let Some(k) = COLUMNS.iter().position(|c| *c == name) else {
            return Err(ReportError::UnknownColumn {
                path: path(),
                column: name.to_string(),
            });
        };
        at[k] = i;
    }
    if let Some(k) = at.iter().position(|&i| i == usize::MAX) {
        return Err(ReportError::MissingColumn {
            path: path(),
            column: COLUMNS[k],
        });
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(ReportError::Fields {
                path: path(),
                line,
                expected: header.len(),
                found: record.len(),
            });
        }
        let field = |k: usize| record.get(at[k]).unwrap_or_default().trim();
        let bad = |k: usize, expected: &'static str| ReportError::Value {
            path: path(),
            line,
            column: COLUMNS[k],
            value: field(k).to_string(),
            expected,
        };
        let flag = |k: usize| match field(k) {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            "not_supported" => Ok(None),
            _ => Err(bad(k, "true, false or not_supported")),
        };
        let must = |k: usize| match field(k) {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(bad(k, "true or false")),
        };
        let time = |k: usize| match field(k) {
            "N/A" | "no_information" | "not_supported" | "" => Ok(None),
            v => chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| Some(t.timestamp_micros()))
                .map_err(|_| bad(k, "an ISO 8601 time, N/A, no_information or not_supported")),
        };
        let text = |k: usize| match field(k) {
            "N/A" | "no_information" | "not_supported" | "" => None,
            v => Some(v.to_string()),
        };
        let key = |first: usize| -> Result<AccessKey, ReportError> {
            Ok(AccessKey {
                active: must(first)?,
                last_rotated: time(first + 1)?,
                last_used_date: time(first + 2)?,
                last_used_region: text(first + 3),
                last_used_service: text(first + 4),
            })
        };
        let cert = |first: usize| -> Result<Cert, ReportError> {
            Ok(Cert {
                active: must(first)?,
                last_rotated: time(first + 1)?,
            })
        };
        let user = field(0).to_string();
        if user.is_empty() {
            return Err(bad(0, "a user name"));
        }
        let arn = field(1).to_string();
        if !arn.starts_with("arn:") {
            return Err(bad(1, "an ARN"));
        }
        rows.push(CredentialRow {
            account_id: account_id.to_string(),
            account_name: None,
            is_root: user == ROOT_USER,
            user,
            arn,
            user_creation_time: time(2)?,
            password_enabled: flag(3)?,
            password_last_used: time(4)?,
            password_last_changed: time(5)?,
            password_next_rotation: time(6)?,
            mfa_active: must(7)?,
            access_keys: [key(8)?, key(13)?],
            certs: [cert(18)?, cert(20)?],
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";
    const ROOT: &str = "<root_account>,arn:aws:iam::111122223333:root,2019-03-01T09:00:00+00:00,not_supported,2026-09-30T08:15:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";
    const ALICE: &str = "alice,arn:aws:iam::111122223333:user/alice,2024-01-10T12:00:00+00:00,true,no_information,2024-01-10T12:05:00+00:00,N/A,false,true,2024-01-10T12:10:00+00:00,2026-09-01T00:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A";

    fn micros(t: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn parses_root_and_user_lines() {
        let text = format!("{HEADER}\n{ROOT}\n{ALICE}\n");
        let rows = parse(text.as_bytes(), Path::new("r.csv"), "111122223333").unwrap();
        assert_eq!(rows.len(), 2);
        let root = &rows[0];
        assert!(root.is_root && root.mfa_active);
        assert_eq!(root.password_enabled, None);
        assert_eq!(
            root.password_last_used,
            Some(micros("2026-09-30T08:15:00Z"))
        );
        assert_eq!(root.access_keys[0], AccessKey::default());
        let alice = &rows[1];
        assert!(!alice.is_root && !alice.mfa_active);
        assert_eq!(alice.password_enabled, Some(true));
        assert_eq!(alice.password_last_used, None, "no_information");
        assert_eq!(
            alice.access_keys[0],
            AccessKey {
                active: true,
                last_rotated: Some(micros("2024-01-10T12:10:00Z")),
                last_used_date: Some(micros("2026-09-01T00:00:00Z")),
                last_used_region: Some("eu-west-1".into()),
                last_used_service: Some("s3".into()),
            }
        );
        assert_eq!(alice.account_id, "111122223333");
    }

    #[test]
    fn a_truncated_report_names_the_line() {
        let cut = &ALICE[..ALICE.find(",eu-west-1").unwrap()];
        let text = format!("{HEADER}\n{ROOT}\n{cut}");
        let e = parse(
            text.as_bytes(),
            Path::new("acct/credential_report.csv"),
            "1",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "acct/credential_report.csv: line 3: 11 fields where the header has 22 (truncated report?)"
        );
    }

    #[test]
    fn an_unknown_or_missing_column_is_an_error() {
        let text = format!("{HEADER},access_key_3_active\n{ROOT},false\n");
        let e = parse(text.as_bytes(), Path::new("r.csv"), "1").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.csv: line 1: unknown column \"access_key_3_active\""),
            "{e}"
        );
        let text = HEADER.replace(",mfa_active", "");
        let e = parse(text.as_bytes(), Path::new("r.csv"), "1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv: line 1: column \"mfa_active\" is missing"
        );
        let e = parse(b"", Path::new("r.csv"), "1").unwrap_err();
        assert!(matches!(e, ReportError::Empty { .. }));
    }

    #[test]
    fn a_bad_value_names_line_and_column() {
        let text = format!(
            "{HEADER}\n{ROOT}\n{}\n",
            ALICE.replace(",false,true,", ",maybe,true,")
        );
        let e = parse(text.as_bytes(), Path::new("r.csv"), "1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "r.csv: line 3: column mfa_active: \"maybe\" is not true or false"
        );
        let text = format!(
            "{HEADER}\n{}\n",
            ROOT.replace("2019-03-01T09:00:00+00:00", "yesterday")
        );
        let e = parse(text.as_bytes(), Path::new("r.csv"), "1").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("r.csv: line 2: column user_creation_time"),
            "{e}"
        );
    }

    #[test]
    fn columns_in_another_order_are_read_by_name() {
        let mut names: Vec<&str> = HEADER.split(',').collect();
        let mut root: Vec<&str> = ROOT.split(',').collect();
        names.swap(0, 7);
        root.swap(0, 7);
        let text = format!("{}\n{}\n", names.join(","), root.join(","));
        let rows = parse(text.as_bytes(), Path::new("r.csv"), "1").unwrap();
        assert!(rows[0].is_root && rows[0].mfa_active);
    }
}
