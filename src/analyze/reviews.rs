//! The reviews file, kept in git: engineers mark unused permissions `keep`
//! (with a reason; never alerted again) or `delete` (tracked until the
//! permission is gone from the role).
//!
//! CSV with a header `account,role,permission,decision,reason,reviewer,date`
//! (and optionally `expires`), or YAML, a list of maps with those keys. `account` is an id or a name,
//! `role` a role name, `permission` a service (`s3`, covering its actions)
//! or an action (`s3:PutObject`). When several lines name the same role and
//! permission, the last one wins.

use super::AnalyzeError;
use super::owners::read_records;
use chrono::NaiveDate;
use serde::Deserialize;
use std::path::Path;

/// keep or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Delete,
}

impl Decision {
    /// The value written in the lake.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Delete => "delete",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewIn {
    account: String,
    role: String,
    permission: String,
    decision: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reviewer: Option<String>,
    #[serde(default)]
    date: Option<String>,
    /// Last date the review holds (`YYYY-MM-DD`); the permission reopens after.
    #[serde(default)]
    expires: Option<String>,
}

/// One validated review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub account: String,
    pub role: String,
    /// Lower-cased for matching.
    pub permission: String,
    pub decision: Decision,
    pub reason: Option<String>,
    pub reviewer: Option<String>,
    pub date: Option<NaiveDate>,
    /// Last date the review holds.
    pub expires: Option<NaiveDate>,
    /// `file:line N` for reports.
    pub source: String,
}

impl Review {
    /// Whether this review covers `permission` (lower-case) of a role in
    /// `account_id` / `account_name` named `role_name`.
    pub fn covers(
        &self,
        account_id: &str,
        account_name: Option<&str>,
        role_name: &str,
        permission: &str,
    ) -> bool {
        (self.account == account_id
            || account_name.is_some_and(|n| n.eq_ignore_ascii_case(&self.account)))
            && self.role == role_name
            && (self.permission == permission
                || permission
                    .split_once(':')
                    .is_some_and(|(service, _)| service == self.permission))
    }
}

/// Loads and validates a reviews file.
pub fn load(path: &Path) -> Result<Vec<Review>, AnalyzeError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_records::<ReviewIn>(path)?
        .into_iter()
        .map(|(at, r)| {
            let bad = |message: String| AnalyzeError::InputFile {
                path: path.to_path_buf(),
                at: at.clone(),
                message,
            };
            let nonempty = |field: &str, v: &str| {
                if v.trim().is_empty() {
                    Err(bad(format!("{field} is empty")))
                } else {
                    Ok(v.trim().to_string())
                }
            };
            let decision = match r.decision.trim().to_ascii_lowercase().as_str() {
                "keep" => Decision::Keep,
                "delete" => Decision::Delete,
                other => return Err(bad(format!("decision {other:?} is not keep or delete"))),
            };
            let reason = r
                .reason
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            if decision == Decision::Keep && reason.is_none() {
                return Err(bad("a keep decision needs a reason".into()));
            }
            let day =
                |field: &str, v: Option<&str>| match v.map(str::trim).filter(|d| !d.is_empty()) {
                    Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map(Some)
                        .map_err(|_| bad(format!("{field} {d:?} is not YYYY-MM-DD"))),
                    None => Ok(None),
                };
            let date = day("date", r.date.as_deref())?;
            let expires = day("expires", r.expires.as_deref())?;
            if let (Some(d), Some(e)) = (date, expires)
                && e < d
            {
                return Err(bad(format!("expires {e} is before the review date {d}")));
            }
            Ok(Review {
                account: nonempty("account", &r.account)?,
                role: nonempty("role", &r.role)?,
                permission: nonempty("permission", &r.permission)?.to_ascii_lowercase(),
                decision,
                reason,
                reviewer: r
                    .reviewer
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                date,
                expires,
                source: format!("{file}:{at}"),
            })
        })
        .collect()
}

impl Review {
    /// What identifies this review from run to run: a review whose line
    /// changes (a new date, decision, reason or expiry) is a new review.
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.account,
            self.role,
            self.permission,
            self.decision.as_str(),
            self.reason.as_deref().unwrap_or(""),
            self.date.map(|d| d.to_string()).unwrap_or_default(),
            self.expires.map(|d| d.to_string()).unwrap_or_default(),
        )
    }
}

/// The review that applies to a permission: the last line naming it.
pub fn find<'r>(
    reviews: &'r [Review],
    account_id: &str,
    account_name: Option<&str>,
    role_name: &str,
    permission: &str,
) -> Option<&'r Review> {
    find_index(reviews, account_id, account_name, role_name, permission).map(|i| &reviews[i])
}

/// The index of the review [`find`] returns.
pub fn find_index(
    reviews: &[Review],
    account_id: &str,
    account_name: Option<&str>,
    role_name: &str,
    permission: &str,
) -> Option<usize> {
    let permission = permission.to_ascii_lowercase();
    reviews
        .iter()
        .rposition(|r| r.covers(account_id, account_name, role_name, &permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reviews_validate_and_match() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reviews.csv");
        std::fs::write(
            &p,
            "account,role,permission,decision,reason,reviewer,date\n\
             prod-a,app,s3,keep,used by yearly audit,alice,2026-10-02\n\
             111111111111,app,ssm:GetParameter,delete,,bob,\n",
        )
        .unwrap();
        let reviews = load(&p).unwrap();
        assert_eq!(reviews.len(), 2);
        let keep = find(
            &reviews,
            "111111111111",
            Some("prod-a"),
            "app",
            "s3:PutObject",
        )
        .unwrap();
        assert_eq!(keep.decision, Decision::Keep);
        assert!(
            keep.source.ends_with("reviews.csv:line 2"),
            "{}",
            keep.source
        );
        // CRLF line ends (Python's csv module, Windows editors) count the same.
        let crlf = dir.path().join("crlf.csv");
        std::fs::write(
            &crlf,
            "account,role,permission,decision,reason,reviewer,date\r\n\
             a,app,s3,keep,why,alice,\r\n\
             a,app,ssm,delete,,bob,\r\n",
        )
        .unwrap();
        let sources: Vec<String> = load(&crlf).unwrap().into_iter().map(|r| r.source).collect();
        assert!(sources[0].ends_with("crlf.csv:line 2"), "{sources:?}");
        assert!(sources[1].ends_with("crlf.csv:line 3"), "{sources:?}");
        let del = find(&reviews, "111111111111", None, "app", "SSM:GetParameter").unwrap();
        assert_eq!(del.decision, Decision::Delete);
        assert!(find(&reviews, "111111111111", None, "other", "s3").is_none());
    }

    #[test]
    fn keep_without_reason_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reviews.csv");
        std::fs::write(
            &p,
            "account,role,permission,decision,reason,reviewer,date\na,b,s3,keep,,x,\n",
        )
        .unwrap();
        let err = load(&p).unwrap_err().to_string();
        assert!(
            err.contains("reviews.csv") && err.contains("line 2") && err.contains("needs a reason"),
            "{err}"
        );
        std::fs::write(
            &p,
            "account,role,permission,decision,reason,reviewer,date\na,b,s3,maybe,x,x,\n",
        )
        .unwrap();
        assert!(
            load(&p)
                .unwrap_err()
                .to_string()
                .contains("\"maybe\" is not keep or delete")
        );
    }

    #[test]
    fn yaml_reviews() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reviews.yaml");
        std::fs::write(
            &p,
            "- {account: prod-a, role: app, permission: dynamodb, decision: delete, reviewer: carol, date: 2026-10-03}\n",
        )
        .unwrap();
        let r = load(&p).unwrap();
        assert_eq!(r[0].date, NaiveDate::from_ymd_opt(2026, 10, 3));
        assert_eq!(r[0].source, "reviews.yaml:entry 1");
    }
}
