//! Who owns a role: the owner chain. First step that names a team wins:
//! 1. **tags**: the role's tags (keys from `iamlake.toml` `[snapshot]
//!    owner_tag_keys`, default `team` then `owner`; resolved at snapshot
//!    time into `roles.owner_team`);
//! 2. **infrastructure code**: the Terraform state that manages the role
//!    (`--terraform-state`), mapped to a repository path whose CODEOWNERS
//!    entry names the team, or to a team directly (`--owners-config`
//!    `[[terraform]]`); else the CloudFormation stack named by the role's
//!    `aws:cloudformation:stack-name` tag, by a stack-name rule
//!    (`[[cloudformation]]`);
//! 3. **the owners file** (`--owners`): ordered rules, the first rule that
//!    matches wins;
//! 4. **the account owner**: a per-account default team (`[accounts]`);
//! 5. `unowned`.
//!
//! Where the team came from is recorded (`owner_source`, `owner_detail`), and
//! the code that manages the role is recorded even when a tag decided.

use super::AnalyzeError;
use super::codeowners::Codeowners;
use super::input::RoleIn;
use super::terraform::{IacRef, TerraformIndex};
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::collections::BTreeMap;
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
    /// `owners.csv:line 3`.
    source: String,
}

/// The `--owners-config` file (TOML): how infrastructure code and accounts
/// name owners.
///
/// ```toml
/// codeowners = "CODEOWNERS"            # relative to this file
/// [[terraform]]                        # first match wins
/// state = "s3://tf-states/payments/*"  # glob on the state's path or URI
/// module = "module.shared*"            # optional glob on the module address
/// path = "infra/payments/"             # repository path looked up in CODEOWNERS
/// # team = "payments"                  # or the team directly
/// [[cloudformation]]
/// stack = "payments-*"                 # glob on the stack name
/// team = "payments"
/// [accounts]                           # account id or name → default team
/// "111111111111" = "platform"
/// [teams]                              # CODEOWNERS owner → team name
/// "@acme/payments-eng" = "payments"
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigIn {
    #[serde(default)]
    codeowners: Option<PathBuf>,
    #[serde(default)]
    terraform: Vec<StateMapIn>,
    #[serde(default)]
    cloudformation: Vec<StackRuleIn>,
    #[serde(default)]
    accounts: BTreeMap<String, String>,
    #[serde(default)]
    teams: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateMapIn {
    state: String,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    team: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StackRuleIn {
    stack: String,
    team: String,
}

#[derive(Debug, Clone)]
enum StateTarget {
    /// A repository path, looked up in CODEOWNERS.
    Path(String),
    Team(String),
}

#[derive(Debug, Clone)]
struct StateMap {
    state: GlobMatcher,
    module: Option<GlobMatcher>,
    target: StateTarget,
    /// `owners.toml: terraform[2]`.
    source: String,
}

#[derive(Debug, Clone)]
struct StackRule {
    stack: GlobMatcher,
    team: String,
    source: String,
}

/// The step of the owner chain that named a role's team (`owner_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerSource {
    Tag,
    Terraform,
    CloudFormation,
    OwnersFile,
    Account,
    Unowned,
}

impl OwnerSource {
    /// The value written in the lake.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerSource::Tag => "tag",
            OwnerSource::Terraform => "terraform",
            OwnerSource::CloudFormation => "cloudformation",
            OwnerSource::OwnersFile => "owners_file",
            OwnerSource::Account => "account",
            OwnerSource::Unowned => "unowned",
        }
    }
}

/// What manages a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Iac {
    Terraform(IacRef),
    /// Stack name and logical id, from the role's CloudFormation tags.
    CloudFormation {
        stack: String,
        logical_id: Option<String>,
    },
}

/// A role's owner, where it came from, and the code that manages the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub team: String,
    pub source: OwnerSource,
    pub detail: Option<String>,
    pub iac: Option<Iac>,
}

/// The owner chain's inputs: rules, infrastructure code, account owners.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    rules: Vec<Rule>,
    terraform: TerraformIndex,
    codeowners: Option<Codeowners>,
    state_maps: Vec<StateMap>,
    stacks: Vec<StackRule>,
    accounts: Vec<(String, String)>,
    aliases: BTreeMap<String, String>,
}

fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    Ok(Glob::new(pattern)?.compile_matcher())
}

impl Owners {
    /// Loads an owners file: CSV with a header `account,role,path_prefix,team`
    /// or YAML, a list of maps with those keys (by extension).
    pub fn load(path: &Path) -> Result<Owners, AnalyzeError> {
        let rules_in: Vec<(String, RuleIn)> = read_records(path)?;
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
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
                Some(g) => Some(glob(g).map_err(|e| bad(format!("role pattern {g:?}: {e}")))?),
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
                source: format!("{file}:{at}"),
            });
        }
        Ok(Owners {
            rules,
            ..Owners::default()
        })
    }

    /// Adds the Terraform states read (step 2 of the chain).
    pub fn with_terraform(mut self, index: TerraformIndex) -> Owners {
        self.terraform = index;
        self
    }

    /// The Terraform states read.
    pub fn terraform(&self) -> &TerraformIndex {
        &self.terraform
    }

    /// Reads the `--owners-config` file (see [`ConfigIn`]'s example): state
    /// to repository path mappings, the CODEOWNERS file, CloudFormation
    /// stack rules, account owners and team aliases.
    pub fn with_config(mut self, path: &Path) -> Result<Owners, AnalyzeError> {
        let bad = |at: String, message: String| AnalyzeError::InputFile {
            path: path.to_path_buf(),
            at,
            message,
        };
        let cfg: ConfigIn = read_toml(path)?;
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(c) = &cfg.codeowners {
            let full = path.parent().unwrap_or(Path::new(".")).join(c);
            self.codeowners = Some(Codeowners::load(&full)?);
        }
        for (i, m) in cfg.terraform.into_iter().enumerate() {
            let at = format!("terraform[{i}]");
            let target = match (m.path, m.team) {
                (Some(p), None) => {
                    if self.codeowners.is_none() {
                        return Err(bad(at, "path needs a codeowners file".into()));
                    }
                    StateTarget::Path(p)
                }
                (None, Some(t)) if !t.trim().is_empty() => StateTarget::Team(t.trim().into()),
                _ => return Err(bad(at, "give either path or team".into())),
            };
            self.state_maps.push(StateMap {
                state: glob(&m.state)
                    .map_err(|e| bad(at.clone(), format!("state {:?}: {e}", m.state)))?,
                module: match m.module {
                    Some(g) => {
                        Some(glob(&g).map_err(|e| bad(at.clone(), format!("module {g:?}: {e}")))?)
                    }
                    None => None,
                },
                target,
                source: format!("{file}: {at}"),
            });
        }
        for (i, s) in cfg.cloudformation.into_iter().enumerate() {
            let at = format!("cloudformation[{i}]");
            if s.team.trim().is_empty() {
                return Err(bad(at, "team is empty".into()));
            }
            self.stacks.push(StackRule {
                stack: glob(&s.stack)
                    .map_err(|e| bad(at.clone(), format!("stack {:?}: {e}", s.stack)))?,
                team: s.team.trim().into(),
                source: format!("{file}: {at}"),
            });
        }
        for (account, team) in cfg.accounts {
            if team.trim().is_empty() {
                return Err(bad(format!("accounts.{account}"), "team is empty".into()));
            }
            self.accounts.push((account, team.trim().into()));
        }
        self.aliases = cfg.teams;
        Ok(self)
    }

    /// The team a CODEOWNERS owner stands for: its `[teams]` alias, else
    /// the owner without `@` and without the organization (`@acme/payments`
    /// is `payments`); e-mail addresses stay as they are.
    fn team_of_codeowner(&self, owner: &str) -> String {
        if let Some(t) = self.aliases.get(owner) {
            return t.clone();
        }
        let bare = owner.trim_start_matches('@');
        if owner.starts_with('@') {
            bare.rsplit('/').next().unwrap_or(bare).to_string()
        } else {
            bare.to_string()
        }
    }

    /// Step 2 for a Terraform-managed role: the mapped team, or the owner
    /// of the mapped repository path in CODEOWNERS.
    fn terraform_team(&self, at: &IacRef) -> Option<(String, String)> {
        let module = at.module.as_deref().unwrap_or("");
        let map = self.state_maps.iter().find(|m| {
            m.state.is_match(&at.state) && m.module.as_ref().is_none_or(|g| g.is_match(module))
        })?;
        match &map.target {
            StateTarget::Team(t) => Some((t.clone(), map.source.clone())),
            StateTarget::Path(p) => {
                let co = self.codeowners.as_ref()?;
                let entry = co.entry_for(p)?;
                let first = entry.owners.first()?;
                let file = co
                    .path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Some((
                    self.team_of_codeowner(first),
                    format!("{file}:line {} {} {first} ({p})", entry.line, entry.pattern),
                ))
            }
        }
    }

    /// The owner team of a role and where it came from.
    pub fn resolve(&self, role: &RoleIn) -> (String, &'static str) {
        let o = self.ownership(role);
        (o.team, o.source.as_str())
    }

    /// The whole owner chain for a role (see the module docs).
    pub fn ownership(&self, role: &RoleIn) -> Ownership {
        let iac = match self.terraform.lookup(&role.arn) {
            Some(r) => Some(Iac::Terraform(r.clone())),
            None => role.cfn_stack.as_ref().map(|s| Iac::CloudFormation {
                stack: s.clone(),
                logical_id: role.cfn_logical_id.clone(),
            }),
        };
        let done = |team: String, source: OwnerSource, detail: Option<String>| Ownership {
            team,
            source,
            detail,
            iac: iac.clone(),
        };
        if let Some(team) = role.owner_team.as_deref().filter(|t| !t.is_empty()) {
            return done(team.to_string(), OwnerSource::Tag, None);
        }
        match &iac {
            Some(Iac::Terraform(r)) => {
                if let Some((team, detail)) = self.terraform_team(r) {
                    return done(team, OwnerSource::Terraform, Some(detail));
                }
            }
            Some(Iac::CloudFormation { stack, .. }) => {
                if let Some(rule) = self.stacks.iter().find(|s| s.stack.is_match(stack)) {
                    return done(
                        rule.team.clone(),
                        OwnerSource::CloudFormation,
                        Some(rule.source.clone()),
                    );
                }
            }
            None => {}
        }
        let in_account = |a: &str| {
            a == role.account_id
                || role
                    .account_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(a))
        };
        let hit = self.rules.iter().find(|r| {
            r.account.as_deref().is_none_or(in_account)
                && r.role.as_ref().is_none_or(|g| g.is_match(&role.role_name))
                && r.path_prefix
                    .as_deref()
                    .is_none_or(|p| role.path.starts_with(p))
        });
        if let Some(rule) = hit {
            return done(
                rule.team.clone(),
                OwnerSource::OwnersFile,
                Some(rule.source.clone()),
            );
        }
        if let Some((a, team)) = self.accounts.iter().find(|(a, _)| in_account(a)) {
            return done(
                team.clone(),
                OwnerSource::Account,
                Some(format!("accounts.{a}")),
            );
        }
        done(UNOWNED.to_string(), OwnerSource::Unowned, None)
    }
}

/// Reads a TOML file; errors name the file and the line.
pub fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, AnalyzeError> {
    let bad = |at: String, message: String| AnalyzeError::InputFile {
        path: path.to_path_buf(),
        at,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad("file".into(), format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        let at = e.span().map_or_else(
            || "file".to_string(),
            |s| format!("line {}", text[..s.start].matches('\n').count() + 1),
        );
        bad(at, e.message().to_string())
    })
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
            cfn_stack: None,
            cfn_logical_id: None,
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

#[cfg(test)]
mod chain_tests {
    use super::*;
    use crate::analyze::terraform::{StateAccess, StateSource};

    fn role(account: &str, name: &str, team: Option<&str>, stack: Option<&str>) -> RoleIn {
        RoleIn {
            account_id: account.into(),
            account_name: Some(
                if account == "111111111111" {
                    "prod-a"
                } else {
                    "prod-b"
                }
                .into(),
            ),
            role_id: format!("AROA{name}"),
            role_name: name.into(),
            arn: format!("arn:aws:iam::{account}:role/{name}"),
            path: "/".into(),
            create_date: 0,
            owner_team: team.map(str::to_string),
            cfn_stack: stack.map(str::to_string),
            cfn_logical_id: stack.map(|_| "AppRole".to_string()),
            carried_from: None,
            access: Default::default(),
        }
    }

    #[test]
    fn chain_tags_then_code_then_rules_then_account() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terraform");
        let rules = tempfile::tempdir().unwrap();
        let rules_file = rules.path().join("owners.csv");
        std::fs::write(
            &rules_file,
            "account,role,path_prefix,team\n,payments-*,,rules-team\n,ops-*,,ops\n",
        )
        .unwrap();
        let index =
            TerraformIndex::load(&[StateSource::Local(dir.clone())], &StateAccess::default())
                .unwrap();
        let owners = Owners::load(&rules_file)
            .unwrap()
            .with_config(&dir.join("owners.toml"))
            .unwrap()
            .with_terraform(index);
        let a = "111111111111";
        let who = |r: RoleIn| {
            let o = owners.ownership(&r);
            (o.team, o.source.as_str(), o.detail.unwrap_or_default())
        };
        // Tag first, even for a role Terraform manages (which is recorded).
        let o = owners.ownership(&role(a, "payments-ci", Some("web"), None));
        assert_eq!((o.team.as_str(), o.source), ("web", OwnerSource::Tag));
        assert!(matches!(o.iac, Some(Iac::Terraform(ref r)) if r.address == "aws_iam_role.ci"));
        // module.app → third mapping → infra/payments/ → CODEOWNERS line 4,
        // @acme/payments-eng, aliased to payments. The rules file would say
        // rules-team: code comes first.
        let (team, source, detail) = who(role(a, "payments-api", None, None));
        assert_eq!((team.as_str(), source), ("payments", "terraform"));
        assert_eq!(
            detail,
            "CODEOWNERS:line 4 /infra/payments/ @acme/payments-eng (infra/payments/)"
        );
        // module.batch → first mapping → line 5 → payments-batch.
        assert_eq!(
            who(role(a, "payments-batch-0", None, None)).0,
            "payments-batch"
        );
        // Nested module instance → second mapping → line 6, trailing comment ignored.
        assert_eq!(who(role(a, "irsa-logs", None, None)).0, "sre");
        // Another state → e-mail owner, kept as it is.
        assert_eq!(
            who(role("222222222222", "data-etl", None, None)).0,
            "data-team@acme.example"
        );
        // CloudFormation: a stack rule decides...
        let o = owners.ownership(&role(a, "stream-role", None, Some("payments-stream")));
        assert_eq!(
            (o.team.as_str(), o.source),
            ("payments", OwnerSource::CloudFormation)
        );
        // ...a stack without a rule falls through (unowned here), the stack
        // still recorded.
        let o = owners.ownership(&role(a, "misc", None, Some("misc-stack")));
        assert_eq!((o.team.as_str(), o.source), (UNOWNED, OwnerSource::Unowned));
        assert_eq!(
            o.iac,
            Some(Iac::CloudFormation {
                stack: "misc-stack".into(),
                logical_id: Some("AppRole".into())
            })
        );
        // Not in code: the rules file.
        assert_eq!(who(role(a, "ops-runner", None, None)).1, "owners_file");
        assert!(
            who(role(a, "ops-runner", None, None))
                .2
                .ends_with("owners.csv:line 3")
        );
        // A data source's role is not managed by code: rules decide.
        assert_eq!(who(role(a, "payments-legacy", None, None)).0, "rules-team");
        // Then the account owner, by id or by name.
        let (team, source, detail) = who(role("222222222222", "other", None, None));
        assert_eq!(
            (team.as_str(), source, detail.as_str()),
            ("sre", "account", "accounts.222222222222")
        );
        let mut r = role("333333333333", "other", None, None);
        r.account_name = Some("PROD-B".into());
        assert_eq!(who(r).0, "data");
        assert_eq!(who(role(a, "nobody", None, None)).1, "unowned");
    }

    #[test]
    fn config_errors_name_the_entry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("owners.toml");
        std::fs::write(&p, "[[terraform]]\nstate = \"*\"\npath = \"infra/\"\n").unwrap();
        let err = Owners::default().with_config(&p).unwrap_err().to_string();
        assert!(
            err.contains("terraform[0]") && err.contains("codeowners"),
            "{err}"
        );
        std::fs::write(
            &p,
            "[accounts]\n\"1\" = \"a\"\n\n[[cloudformation]]\nstak = \"x\"\n",
        )
        .unwrap();
        let err = Owners::default().with_config(&p).unwrap_err().to_string();
        assert!(
            err.contains("owners.toml: line 5") && err.contains("stak"),
            "{err}"
        );
    }
}
