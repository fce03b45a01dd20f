//! Who owns a role. Precedence, first that applies:
//! 1. the role's tags (keys from `iamlake.toml` `[snapshot] owner_tag_keys`,
//!    default `team` then `owner`; resolved at snapshot time into
//!    `roles.owner_team`);
//! 2. the owners file: ordered rules, the first rule that matches wins;
//! 3. `unowned`.

use super::AnalyzeError;
use super::input::RoleIn;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The team name for roles nobody owns.
pub const UNOWNED: &str = "unowned";

/// One rule of the owners file; empty fields match anything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    /// Account id or name.
    #[serde(default)]
    account: Option<String>,
    /// Role name glob (`ci-*`, `*deploy*`).
    #[serde(default)]
    role: Option<String>,
    /// IAM path prefix (`/service-role/`).
    #[serde(default)]
    path_prefix: Option<String>,
    /// The owner team.
    team: String,
}

#[derive(Debug, Clone)]
struct Rule {
    account: Option<String>,
    role: Option<GlobMatcher>,
    path_prefix: Option<String>,
    team: String,
}

/// The owners rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    rules: Vec<Rule>,
}

/// Where an owner came from (the `owner_source` column).
pub fn source_name(from_tag: bool, from_rule: bool) -> &'static str {
    match (from_tag, from_rule) {
        (true, _) => "tag",
        (false, true) => "owners_file",
        _ => "unowned",
    }
}

impl Owners {
    /// Loads an owners file: CSV with a header `account,role,path_prefix,team`
    /// or YAML, a list of maps with those keys (by extension).
    pub fn load(path: &Path) -> Result<Owners, AnalyzeError> {
        let rules_in: Vec<(String, RuleIn)> = read_records(path)?;
        let mut rules = Vec::new();
        for (at, r) in rules_in {
            let bad = |message: String| AnalyzeError::InputFile {
                path: path.to_path_buf(),
                at: at.clone(),
                message,
            };
            if r.team.trim().is_empty() {
                return Err(bad("team is empty".into()));
            }
            let role = match r.role.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(g) => Some(
                    Glob::new(g)
                        .map_err(|e| bad(format!("role pattern {g:?}: {e}")))?
                        .compile_matcher(),
                ),
                None => None,
            };
            rules.push(Rule {
                account: r
                    .account
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty()),
                role,
                path_prefix: r
                    .path_prefix
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty()),
                team: r.team.trim().to_string(),
            });
        }
        Ok(Owners { rules })
    }

    /// The owner team of a role and where it came from.
    pub fn resolve(&self, role: &RoleIn) -> (String, &'static str) {
        if let Some(team) = role.owner_team.as_deref().filter(|t| !t.is_empty()) {
            return (team.to_string(), source_name(true, false));
        }
        let hit = self.rules.iter().find(|r| {
            r.account.as_deref().is_none_or(|a| {
                a == role.account_id
                    || role
                        .account_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(a))
            }) && r.role.as_ref().is_none_or(|g| g.is_match(&role.role_name))
                && r.path_prefix
                    .as_deref()
                    .is_none_or(|p| role.path.starts_with(p))
        });
        match hit {
            Some(rule) => (rule.team.clone(), source_name(false, true)),
            None => (UNOWNED.to_string(), source_name(false, false)),
        }
    }
}

/// Reads CSV (header row) or YAML (a list of maps) records, each with where
/// it came from (`line N` / `entry N`) for error messages.
pub fn read_records<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<Vec<(String, T)>, AnalyzeError> {
    let text = std::fs::read_to_string(path).map_err(|e| AnalyzeError::InputFile {
        path: path.to_path_buf(),
        at: "file".into(),
        message: format!("cannot read: {e}"),
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .comment(Some(b'#'))
                .from_reader(text.as_bytes());
            let mut out = Vec::new();
            for rec in reader.deserialize::<T>() {
                match rec {
                    Ok(r) => out.push((String::new(), r)),
                    Err(e) => {
                        let at = e
                            .position()
                            .map_or_else(|| "file".to_string(), |p| line_of(&text, p));
                        return Err(AnalyzeError::InputFile {
                            path: path.to_path_buf(),
                            at,
                            message: e.to_string(),
                        });
                    }
                }
            }
            // Line numbers for later validation messages: records in order,
            // after the header (comments and blank lines are rare; the
            // record's own position is exact for parse errors above).
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .comment(Some(b'#'))
                .from_reader(text.as_bytes());
            for (slot, rec) in out.iter_mut().zip(reader.records()) {
                slot.0 = rec
                    .ok()
                    .and_then(|r| r.position().map(|p| line_of(&text, p)))
                    .unwrap_or_else(|| "a line".into());
            }
            Ok(out)
        }
        "yaml" | "yml" => {
            let list: Vec<T> =
                serde_norway::from_str(&text).map_err(|e| AnalyzeError::InputFile {
                    path: path.to_path_buf(),
                    at: e
                        .location()
                        .map_or_else(|| "file".to_string(), |l| format!("line {}", l.line())),
                    message: e.to_string(),
                })?;
            Ok(list
                .into_iter()
                .enumerate()
                .map(|(i, r)| (format!("entry {}", i + 1), r))
                .collect())
        }
        _ => Err(AnalyzeError::InputFile {
            path: PathBuf::from(path),
            at: "file".into(),
            message: "expected a .csv, .yaml or .yml file".into(),
        }),
    }
}

/// `line N` of a CSV record, counted from its byte offset: the csv crate's
/// own line counter is one short on files with CRLF line ends (what
/// Python's csv module and Windows editors write), where a record's offset
/// is that of the `\n` ending the line before it, hence the `..=`.
fn line_of(text: &str, pos: &csv::Position) -> String {
    let end = (pos.byte() as usize + 1).min(text.len());
    let before = text.get(..end).unwrap_or(text);
    format!("line {}", before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(account: &str, name: &str, path: &str, team: Option<&str>) -> RoleIn {
        RoleIn {
            account_id: account.into(),
            account_name: Some("prod-payments".into()),
            role_id: "AROAX".into(),
            role_name: name.into(),
            arn: String::new(),
            path: path.into(),
            create_date: 0,
            owner_team: team.map(str::to_string),
            carried_from: None,
            access: Default::default(),
        }
    }

    #[test]
    fn tags_then_first_matching_rule_then_unowned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("owners.csv");
        std::fs::write(
            &p,
            "account,role,path_prefix,team\n# CI first\n,ci-*,,platform\nprod-payments,,/service-role/,payments\n111111111111,,,sre\n",
        )
        .unwrap();
        let o = Owners::load(&p).unwrap();
        assert_eq!(
            o.resolve(&role("1", "x", "/", Some("web"))),
            ("web".into(), "tag")
        );
        assert_eq!(
            o.resolve(&role("1", "ci-deploy", "/service-role/", None)),
            ("platform".into(), "owners_file")
        );
        assert_eq!(
            o.resolve(&role("1", "app", "/service-role/", None)),
            ("payments".into(), "owners_file")
        );
        assert_eq!(o.resolve(&role("111111111111", "app", "/", None)).0, "sre");
        let mut r = role("2", "app", "/", None);
        r.account_name = None;
        assert_eq!(o.resolve(&r), (UNOWNED.into(), "unowned"));
    }

    #[test]
    fn yaml_rules_and_errors_name_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("owners.yaml");
        std::fs::write(
            &p,
            "- role: 'data-*'\n  team: data\n- account: '1'\n  team: ''\n",
        )
        .unwrap();
        let err = Owners::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("owners.yaml") && err.contains("entry 2") && err.contains("team is empty"),
            "{err}"
        );
        std::fs::write(&p, "- role: 'data-*'\n  teem: data\n").unwrap();
        let err = Owners::load(&p).unwrap_err().to_string();
        assert!(err.contains("owners.yaml") && err.contains("teem"), "{err}");
    }
}
