//! Settings shared by several commands: the sensitive-action list, the tag
//! keys that name a role's owner and the snapshot's publish guard, from
//! defaults, `iamlake.toml` or flags.
//!
//! Precedence, highest first: a command-line flag (`--actions-file`,
//! `--min-accounts-ok`), the
//! config file (`--config FILE`, else `./iamlake.toml` when present), the
//! built-in default.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The actions the snapshot asks "can this role do it on any resource?"
/// about: the grants that let a role escalate or read secrets and data.
pub const DEFAULT_SENSITIVE_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "iam:CreateRole",
    "iam:PassRole",
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "sts:AssumeRole",
];

/// Tag keys read, in order, for a role's owner team.
pub const DEFAULT_OWNER_TAG_KEYS: &[&str] = &["team", "owner"];

/// The config file looked for in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "iamlake.toml";

/// What can be wrong with configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{}: line {line}: {action:?} is not an IAM action (expected service:ActionName, e.g. iam:PassRole)", path.display())]
    BadAction {
        path: PathBuf,
        line: usize,
        action: String,
    },
    #[error("{}: lists no actions", path.display())]
    NoActions { path: PathBuf },
    #[error("{}: [snapshot] min_accounts_ok: {message}", path.display())]
    BadFraction { path: PathBuf, message: String },
}

/// `iamlake.toml`.
///
/// ```toml
/// [snapshot]
/// sensitive_actions = ["iam:PassRole", "sts:AssumeRole"]
/// owner_tag_keys = ["team", "owner"]
/// min_accounts_ok = 0.5
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Settings of `snapshot`.
    #[serde(default)]
    pub snapshot: SnapshotSection,
}

/// `[snapshot]` of `iamlake.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSection {
    /// Replaces the default sensitive-action list.
    pub sensitive_actions: Option<Vec<String>>,
    /// Tag keys, in order, whose value names the owner team (case-insensitive
    /// key match). Default: team, then owner.
    pub owner_tag_keys: Option<Vec<String>>,
    /// When accounts fail, the fraction (0..=1) of the previous complete
    /// snapshot's accounts a run must collect to be published (see
    /// `crate::snapshot::guard`). Default 0.5; `--min-accounts-ok` wins.
    pub min_accounts_ok: Option<f64>,
}

impl ConfigFile {
    /// Loads `path`, or `./iamlake.toml` when `path` is `None` and it exists.
    pub fn load(path: Option<&Path>) -> Result<ConfigFile, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_CONFIG_FILE);
                if !p.is_file() {
                    return Ok(ConfigFile::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let cfg: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if let Some(v) = cfg.snapshot.min_accounts_ok {
            crate::snapshot::guard::check_fraction(v).map_err(|message| {
                ConfigError::BadFraction {
                    path: path.clone(),
                    message,
                }
            })?;
        }
        if let Some(actions) = &cfg.snapshot.sensitive_actions {
            validate_actions(
                &path,
                actions.iter().enumerate().map(|(i, a)| (i + 1, a.as_str())),
            )?;
        }
        Ok(cfg)
    }
}

/// Reads an actions file: one action per line; blank lines and `#` comments
/// are ignored.
pub fn read_actions_file(path: &Path) -> Result<Vec<String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    validate_actions(path, lines.iter().copied())?;
    Ok(lines.into_iter().map(|(_, a)| a.to_string()).collect())
}

fn validate_actions<'a>(
    path: &Path,
    actions: impl Iterator<Item = (usize, &'a str)>,
) -> Result<(), ConfigError> {
    let mut any = false;
    for (line, action) in actions {
        any = true;
        if !is_action_name(action) {
            return Err(ConfigError::BadAction {
                path: path.to_path_buf(),
                line,
                action: action.to_string(),
            });
        }
    }
    if any {
        Ok(())
    } else {
        Err(ConfigError::NoActions {
            path: path.to_path_buf(),
        })
    }
}

/// `service:ActionName` with no wildcard: the snapshot asks about concrete
/// actions; wildcards belong in policies, not in the question.
pub fn is_action_name(s: &str) -> bool {
    let Some((service, action)) = s.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !action.is_empty()
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_file_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("actions.txt");
        std::fs::write(&p, "# risky\niam:PassRole\n\ns3:Get*\n").unwrap();
        let err = read_actions_file(&p).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("s3:Get*"), "{err}");
        std::fs::write(&p, "iam:PassRole  # escalation\nsts:AssumeRole\n").unwrap();
        assert_eq!(
            read_actions_file(&p).unwrap(),
            ["iam:PassRole", "sts:AssumeRole"]
        );
        std::fs::write(&p, "# nothing\n").unwrap();
        assert!(matches!(
            read_actions_file(&p),
            Err(ConfigError::NoActions { .. })
        ));
    }

    #[test]
    fn config_file_overrides_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("iamlake.toml");
        std::fs::write(&p, "[snapshot]\nsensitive_actions = [\"iam:PassRole\"]\n").unwrap();
        let cfg = ConfigFile::load(Some(&p)).unwrap();
        assert_eq!(cfg.snapshot.sensitive_actions.unwrap(), ["iam:PassRole"]);
        std::fs::write(&p, "[snapshot]\nsensitive_action = []\n").unwrap();
        let err = ConfigFile::load(Some(&p)).unwrap_err().to_string();
        assert!(
            err.contains("iamlake.toml") && err.contains("sensitive_action"),
            "{err}"
        );
    }

    #[test]
    fn min_accounts_ok_must_be_a_fraction() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("iamlake.toml");
        std::fs::write(&p, "[snapshot]\nmin_accounts_ok = 0.8\n").unwrap();
        let cfg = ConfigFile::load(Some(&p)).unwrap();
        assert_eq!(cfg.snapshot.min_accounts_ok, Some(0.8));
        std::fs::write(&p, "[snapshot]\nmin_accounts_ok = 1.5\n").unwrap();
        let err = ConfigFile::load(Some(&p)).unwrap_err().to_string();
        assert!(
            err.contains("iamlake.toml") && err.contains("min_accounts_ok"),
            "{err}"
        );
    }
}
