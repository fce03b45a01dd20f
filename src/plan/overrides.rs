//! The override file of `check-plan`: who or what may bypass a violation (resource addresses,
//! role names, authors), each with a required reason and an optional expiry date.
//!
//! ```toml
//! [[override]]
//! resource = "module.ci.aws_iam_role.deployer*"  # Terraform address; `*` matches any text
//! reason = "CI deployer passes roles to ECS"     # required
//! expires = 2026-12-31                           # optional: TOML date or "YYYY-MM-DD"
//! actions = ["iam:PassRole"]                     # optional: default all actions
//!
//! [[override]]
//! role = "break-glass"                           # IAM role name (`*` allowed)
//! reason = "incident tooling"
//!
//! [[override]]
//! author = "alice"                               # matches `--author alice`
//! reason = "security team"
//! ```
//!
//! An entry needs at least one of `resource`, `role`, `author`; when it has several, all must
//! match. An override applies through the day named by `expires`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::plan::error::PlanError;

/// One `[[override]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverrideEntry {
    /// 0-based position in the file.
    pub index: usize,
    pub resource: Option<String>,
    pub role: Option<String>,
    pub author: Option<String>,
    pub reason: String,
    pub expires: Option<NaiveDate>,
    /// Action patterns (`*` and `?` wildcards, any case); empty means every action.
    pub actions: Vec<String>,
}

/// What a violation offers for override matching.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    /// Resource addresses involved: the grant's address and, for role findings, the role's.
    pub addresses: &'a [String],
    pub role: Option<&'a str>,
    pub action: &'a str,
}

impl OverrideEntry {
    /// A short description for messages: `resource = "..."`, `role = "..."`, `author = "..."`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.resource {
            parts.push(format!("resource = {r:?}"));
        }
        if let Some(r) = &self.role {
            parts.push(format!("role = {r:?}"));
        }
        if let Some(a) = &self.author {
            parts.push(format!("author = {a:?}"));
        }
        if parts.is_empty() {
            "unnamed entry".to_string()
        } else {
            parts.join(", ")
        }
    }

    /// True when the entry is past its expiry date on `today`.
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|e| today > e)
    }

    /// Does this entry cover `s` (ignoring expiry)?
    pub(crate) fn covers(&self, s: &Subject<'_>, author: Option<&str>) -> bool {
        if let Some(pat) = &self.resource
            && !s.addresses.iter().any(|a| glob(pat, a))
        {
            return false;
        }
        if let Some(pat) = &self.role
            && !s.role.is_some_and(|r| glob(pat, r))
        {
            return false;
        }
        if let Some(want) = &self.author
            && !author.is_some_and(|a| a.eq_ignore_ascii_case(want))
        {
            return false;
        }
        self.actions.is_empty()
            || self.actions.iter().any(|p| {
                crate::eval::wildcard_match(&p.to_ascii_lowercase(), &s.action.to_ascii_lowercase())
            })
    }
}

/// `*` matches any run of characters (dots, brackets and quotes included); everything else is
/// literal. Iterative with backtracking to the last `*`, so it is linear-ish and cannot blow up.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The loaded override file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    path: Option<PathBuf>,
    entries: Vec<OverrideEntry>,
}

impl Overrides {
    /// No overrides.
    pub fn empty() -> Overrides {
        Overrides::default()
    }

    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Overrides, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Overrides::parse(path, &text)
    }

    /// Parses override TOML; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Overrides, PlanError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| PlanError::OverrideToml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for key in table.keys() {
            if key != "override" {
                return Err(PlanError::OverrideToml {
                    path: path.to_path_buf(),
                    message: format!("unknown key {key:?} (expected [[override]] entries)"),
                });
            }
        }
        let list = match table.get("override") {
            None => return Ok(Overrides::with_path(path, Vec::new())),
            Some(toml::Value::Array(a)) => a,
            Some(_) => {
                return Err(PlanError::OverrideToml {
                    path: path.to_path_buf(),
                    message: "\"override\" must be an array of tables ([[override]])".into(),
                });
            }
        };
        let mut entries = Vec::with_capacity(list.len());
        for (index, v) in list.iter().enumerate() {
            entries.push(parse_entry(path, index, v)?);
        }
        Ok(Overrides::with_path(path, entries))
    }

    fn with_path(path: &Path, entries: Vec<OverrideEntry>) -> Overrides {
        Overrides {
            path: Some(path.to_path_buf()),
            entries,
        }
    }

    /// Builds overrides in code (tests, callers with their own storage).
    pub fn from_entries(entries: Vec<OverrideEntry>) -> Overrides {
        Overrides {
            path: None,
            entries,
        }
    }

    /// The file the overrides came from.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[OverrideEntry] {
        &self.entries
    }
}

fn parse_entry(path: &Path, index: usize, v: &toml::Value) -> Result<OverrideEntry, PlanError> {
    let fail = |what: String, reason: String| PlanError::Override {
        path: path.to_path_buf(),
        index,
        what,
        reason,
    };
    let Some(t) = v.as_table() else {
        return Err(fail("unnamed entry".into(), "expected a table".into()));
    };
    let string = |key: &str| -> Result<Option<String>, String> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(toml::Value::String(_)) => Err(format!("{key} is empty")),
            Some(_) => Err(format!("{key} must be a string")),
        }
    };
    // Selectors first, so later errors can name the entry by what it selects.
    let mut entry = OverrideEntry {
        index,
        resource: None,
        role: None,
        author: None,
        reason: String::new(),
        expires: None,
        actions: Vec::new(),
    };
    let unnamed = "unnamed entry".to_string();
    entry.resource = string("resource").map_err(|r| fail(unnamed.clone(), r))?;
    entry.role = string("role").map_err(|r| fail(unnamed.clone(), r))?;
    entry.author = string("author").map_err(|r| fail(unnamed.clone(), r))?;
    let what = entry.describe();
    for key in t.keys() {
        if !matches!(
            key.as_str(),
            "resource" | "role" | "author" | "reason" | "expires" | "actions"
        ) {
            return Err(fail(
                what,
                format!(
                    "unknown key {key:?} (expected resource, role, author, reason, expires, actions)"
                ),
            ));
        }
    }
    if entry.resource.is_none() && entry.role.is_none() && entry.author.is_none() {
        return Err(fail(
            what,
            "names nothing to override: set resource, role or author".into(),
        ));
    }
    entry.reason = match string("reason").map_err(|r| fail(what.clone(), r))? {
        Some(r) => r,
        None => return Err(fail(what, "reason is required".into())),
    };
    entry.expires = match t.get("expires") {
        None => None,
        Some(toml::Value::Datetime(d)) => Some(parse_date(&d.to_string()).ok_or_else(|| {
            fail(
                what.clone(),
                format!("expires {d} is not a date (YYYY-MM-DD)"),
            )
        })?),
        Some(toml::Value::String(s)) => Some(parse_date(s).ok_or_else(|| {
            fail(
                what.clone(),
                format!("expires {s:?} is not a date (YYYY-MM-DD)"),
            )
        })?),
        Some(_) => {
            return Err(fail(what, "expires must be a date (YYYY-MM-DD)".into()));
        }
    };
    entry.actions = match t.get("actions") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                match x.as_str() {
                    Some(s) if s.contains(':') || s == "*" => out.push(s.to_string()),
                    Some(s) => {
                        return Err(fail(
                            what,
                            format!("actions[{i}] {s:?} is not an action (service:Action)"),
                        ));
                    }
                    None => return Err(fail(what, format!("actions[{i}] must be a string"))),
                }
            }
            out
        }
        Some(_) => return Err(fail(what, "actions must be a list of strings".into())),
    };
    Ok(entry)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
