//! `CODEOWNERS` files (GitHub and GitLab syntax): who owns a path of a
//! repository.
//!
//! Rules, as GitHub documents them: one `pattern owner…` entry per line,
//! `#` starts a comment, the **last** matching entry wins, and an entry
//! without owners leaves the path unowned. Patterns follow gitignore: a
//! leading `/` or a `/` inside anchors the pattern at the repository root,
//! otherwise it matches at any depth; `*` stays within one folder, `**`
//! crosses folders; a pattern naming a folder covers everything below it,
//! except `dir/*`, which covers only the folder's direct files. GitLab's
//! `[Section]` headers (also `^[Optional]`, `[Section][2]`) are read, and a
//! section's default owners (`[Section] @team`) apply to its entries that
//! name none. GitLab combines the owners of every section that matches;
//! iamlake needs one team, so the last matching entry of the file wins there
//! too.

use super::AnalyzeError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// One entry of the file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 1-based line number.
    pub line: usize,
    /// The pattern as written.
    pub pattern: String,
    /// Owners (`@org/team`, `@user`, e-mail), in file order; empty: unowned.
    pub owners: Vec<String>,
    set: GlobSet,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone)]
pub struct Codeowners {
    /// Where it was read from (for `owner_detail` and errors).
    pub path: PathBuf,
    entries: Vec<Entry>,
}

/// Splits a line at unescaped whitespace, dropping a trailing comment.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                // `\ ` and `\#` are literal; other escapes stay for globset.
                match chars.peek() {
                    Some(&n) if n == ' ' || n == '#' => {
                        cur.push(n);
                        chars.next();
                    }
                    _ => cur.push('\\'),
                }
            }
            '#' if cur.is_empty() => break,
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The globs a pattern stands for (see the module docs).
fn globs(pattern: &str) -> Vec<String> {
    let dir_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.trim_start_matches('/').contains('/');
    let base = trimmed.trim_start_matches('/');
    if base.is_empty() || base == "*" || base == "**" {
        return vec!["**".into()];
    }
    let at = if anchored || base.starts_with("**/") {
        base.to_string()
    } else {
        format!("**/{base}")
    };
    if base.ends_with("/*") && !dir_only {
        // GitHub: `docs/*` owns docs' own files, not those of subfolders.
        return vec![at];
    }
    vec![at.clone(), format!("{at}/**")]
}

impl Codeowners {
    /// Reads and parses a CODEOWNERS file.
    pub fn load(path: &Path) -> Result<Codeowners, AnalyzeError> {
        let text = std::fs::read_to_string(path).map_err(|e| AnalyzeError::InputFile {
            path: path.to_path_buf(),
            at: "file".into(),
            message: format!("cannot read: {e}"),
        })?;
        Codeowners::parse(path, &text)
    }

    /// Parses CODEOWNERS text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Codeowners, AnalyzeError> {
        let mut entries = Vec::new();
        let mut section_owners: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let bad = |message: String| AnalyzeError::InputFile {
                path: path.to_path_buf(),
                at: format!("line {line}"),
                message,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            // GitLab section header: `[Name]`, `^[Name]`, `[Name][2]`,
            // followed by the section's default owners.
            let header = trimmed.strip_prefix('^').unwrap_or(trimmed);
            if header.starts_with('[') {
                let Some(close) = header.find(']') else {
                    return Err(bad(format!("section header {trimmed:?} has no closing ]")));
                };
                let mut rest = &header[close + 1..];
                if rest.starts_with('[') {
                    let Some(c2) = rest.find(']') else {
                        return Err(bad(format!(
                            "approval count in {trimmed:?} has no closing ]"
                        )));
                    };
                    rest = &rest[c2 + 1..];
                }
                section_owners = tokens(rest);
                continue;
            }
            let mut toks = tokens(trimmed);
            if toks.is_empty() {
                continue;
            }
            let pattern = toks.remove(0);
            if pattern.starts_with('!') {
                return Err(bad(format!(
                    "{pattern:?}: negated patterns are not supported by CODEOWNERS"
                )));
            }
            let owners = if toks.is_empty() {
                section_owners.clone()
            } else {
                toks
            };
            let mut set = GlobSetBuilder::new();
            for g in globs(&pattern) {
                let glob = GlobBuilder::new(&g)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| bad(format!("pattern {pattern:?}: {e}")))?;
                set.add(glob);
            }
            entries.push(Entry {
                line,
                pattern,
                owners,
                set: set.build().map_err(|e| bad(format!("pattern: {e}")))?,
            });
        }
        Ok(Codeowners {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The entry that decides who owns `repo_path` (a file or folder path
    /// relative to the repository root): the last one matching. `None`
    /// when no entry matches.
    pub fn entry_for(&self, repo_path: &str) -> Option<&Entry> {
        let p = repo_path
            .trim_start_matches("./")
            .trim_start_matches('/')
            .trim_end_matches('/');
        self.entries.iter().rev().find(|e| e.set.is_match(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner<'a>(c: &'a Codeowners, p: &str) -> Option<(usize, &'a str)> {
        c.entry_for(p)
            .map(|e| (e.line, e.owners.first().map_or("", String::as_str)))
    }

    #[test]
    fn github_syntax_last_match_wins() {
        // Shaped on GitHub's documented example file.
        let text = "\
# This is a comment.
*       @acme/global-owners
*.js    @js-owner #This is an inline comment.
/build/logs/ @doctocat
docs/*  docs@example.com
apps/   @octocat
/infra/payments/ @acme/payments @acme/sre
/infra/payments/shared.tf
**/logs @acme/logging
/scripts/odd\\ name.sh @acme/tools
";
        let c = Codeowners::parse(Path::new("CODEOWNERS"), text).unwrap();
        assert_eq!(owner(&c, "README.md"), Some((2, "@acme/global-owners")));
        assert_eq!(owner(&c, "src/app.js"), Some((3, "@js-owner")));
        assert_eq!(
            owner(&c, "build/logs/today.txt"),
            Some((9, "@acme/logging"))
        );
        assert_eq!(
            owner(&c, "docs/getting-started.md"),
            Some((5, "docs@example.com"))
        );
        // docs/* does not reach into subfolders: the global owner stays.
        assert_eq!(
            owner(&c, "docs/build-app/trouble.md"),
            Some((2, "@acme/global-owners"))
        );
        // apps/ matches an apps folder at any depth.
        assert_eq!(owner(&c, "web/apps/x/main.tf"), Some((6, "@octocat")));
        // A folder path matches its own directory pattern.
        assert_eq!(owner(&c, "infra/payments"), Some((7, "@acme/payments")));
        assert_eq!(
            owner(&c, "infra/payments/main.tf"),
            Some((7, "@acme/payments"))
        );
        // An entry without owners makes the path unowned.
        assert_eq!(owner(&c, "infra/payments/shared.tf"), Some((8, "")));
        assert_eq!(owner(&c, "scripts/odd name.sh"), Some((10, "@acme/tools")));
    }

    #[test]
    fn gitlab_sections_and_default_owners() {
        let text = "\
[Documentation] @docs-team
docs/
README.md @alice

^[Infrastructure][2] @acme/platform
/terraform/
/terraform/data/ @acme/data
";
        let c = Codeowners::parse(Path::new("CODEOWNERS"), text).unwrap();
        assert_eq!(owner(&c, "docs/a.md"), Some((2, "@docs-team")));
        assert_eq!(owner(&c, "README.md"), Some((3, "@alice")));
        assert_eq!(owner(&c, "terraform/app"), Some((6, "@acme/platform")));
        assert_eq!(owner(&c, "terraform/data/main.tf"), Some((7, "@acme/data")));
        assert_eq!(owner(&c, "src/lib.rs"), None);
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Codeowners::parse(Path::new("CODEOWNERS"), "* @a\n[Broken @b\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CODEOWNERS: line 2") && err.contains("closing"),
            "{err}"
        );
        let err = Codeowners::parse(Path::new("CODEOWNERS"), "!x @a\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("negated"), "{err}");
    }
}
