//! Routing alerts to where each team works (`--routes FILE`): a generic
//! webhook (the JSON of `--webhook`), Slack incoming webhooks (Block Kit),
//! Opsgenie's Alert API (one alert per role, the team as responder, an alias
//! for de-duplication), Jira issue creation (REST v2 or v3, one issue per
//! role), and JSON-lines files per team.
//!
//! Each destination has its own memory (`alert_deliveries`): an item (an
//! unused permission or a sensitive grant of a role) is sent to a
//! destination once, only while it is open (never a kept or delete-reviewed
//! permission) and collected fresh. A destination that stays down (the
//! retry policy of [`super::alerts::send_with_retries`]) gets nothing more
//! this run and records nothing, so its items are sent next time; the other
//! destinations are not held back. Secrets (webhook URLs, API keys, tokens)
//! are read from environment variables the routes file names, and appear in
//! no error, log line or lake table.

use super::AnalyzeError;
use super::alerts::send_with_retries;
use super::compute::Alert;
use crate::model::ledger::DeliveryRow;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Slack: a section block's text and the fallback text (characters).
pub const SLACK_SECTION_MAX: usize = 3000;
/// Slack: a header block's plain text.
pub const SLACK_HEADER_MAX: usize = 150;
/// Slack: blocks per message.
pub const SLACK_BLOCKS_MAX: usize = 50;
/// Opsgenie: the alert message.
pub const OPSGENIE_MESSAGE_MAX: usize = 130;
/// Opsgenie: the alias.
pub const OPSGENIE_ALIAS_MAX: usize = 512;
/// Opsgenie: the description.
pub const OPSGENIE_DESCRIPTION_MAX: usize = 15000;
/// Opsgenie: each tag.
pub const OPSGENIE_TAG_MAX: usize = 50;
/// Jira: the issue summary.
pub const JIRA_SUMMARY_MAX: usize = 255;

/// A secret read from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesIn {
    #[serde(default)]
    destination: Vec<DestinationIn>,
    #[serde(default)]
    route: Vec<RouteIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationIn {
    name: String,
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    url_env: Option<String>,
    #[serde(default)]
    api_key_env: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    issue_type: Option<String>,
    #[serde(default)]
    api_version: Option<u8>,
    #[serde(default)]
    user_env: Option<String>,
    #[serde(default)]
    token_env: Option<String>,
    #[serde(default)]
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteIn {
    team: String,
    to: Vec<String>,
}

/// Where a destination sends.
#[derive(Debug, Clone)]
pub enum Target {
    /// POST the alert JSON as `--webhook` does.
    Webhook { url: Secret },
    /// A Slack incoming webhook; its URL is the secret.
    Slack { url: Secret },
    /// Opsgenie's Alert API at `base` (`https://api.opsgenie.com`, or the EU
    /// instance).
    Opsgenie {
        base: String,
        key: Secret,
        priority: String,
    },
    /// Jira's create-issue API at `base`.
    Jira {
        base: String,
        project: String,
        issue_type: String,
        api_version: u8,
        /// Basic auth (`user`, API token) for Jira Cloud; a bearer token
        /// (personal access token) for Data Center when `user` is `None`.
        user: Option<Secret>,
        token: Secret,
    },
    /// Appends JSON lines to `<dir>/<team>.jsonl`.
    File { dir: PathBuf },
}

impl Target {
    fn kind(&self) -> &'static str {
        match self {
            Target::Webhook { .. } => "webhook",
            Target::Slack { .. } => "slack",
            Target::Opsgenie { .. } => "opsgenie",
            Target::Jira { .. } => "jira",
            Target::File { .. } => "file",
        }
    }
}

/// A named destination.
#[derive(Debug, Clone)]
pub struct Destination {
    pub name: String,
    pub target: Target,
}

#[derive(Debug, Clone)]
struct Route {
    team: GlobMatcher,
    to: Vec<usize>,
}

/// The routes file, validated, with its secrets read.
#[derive(Debug, Clone)]
pub struct Routes {
    pub destinations: Vec<Destination>,
    routes: Vec<Route>,
}

/// One role's open, fresh items, before each destination's memory filters
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub role_id: String,
    pub alert: Alert,
}

/// What delivery did.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// New `alert_deliveries` rows.
    pub rows: Vec<DeliveryRow>,
    /// (destination, alerts sent) in file order.
    pub sent: Vec<(String, usize)>,
    /// One line per destination that failed; its items stay for next time.
    pub failures: Vec<String>,
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Routes {
    /// Reads and validates a routes file (TOML); every secret's variable
    /// must be set, so a missing one fails before the lake is read.
    pub fn load(path: &Path) -> Result<Routes, AnalyzeError> {
        Routes::load_with(path, |k| std::env::var(k).ok())
    }

    /// [`Routes::load`] with the environment given (tests).
    pub fn load_with(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Routes, AnalyzeError> {
        let bad = |at: String, message: String| AnalyzeError::InputFile {
            path: path.to_path_buf(),
            at,
            message,
        };
        let input: RoutesIn = super::owners::read_toml(path)?;
        let mut destinations: Vec<Destination> = Vec::new();
        for (i, d) in input.destination.into_iter().enumerate() {
            let at = format!("destination[{i}] ({})", d.name);
            let secret = |field: &str, var: &Option<String>| -> Result<Secret, AnalyzeError> {
                let var = var
                    .as_deref()
                    .ok_or_else(|| bad(at.clone(), format!("{field} is required")))?;
                env(var)
                    .filter(|v| !v.is_empty())
                    .map(Secret)
                    .ok_or_else(|| {
                        bad(
                            at.clone(),
                            format!("environment variable {var} ({field}) is not set"),
                        )
                    })
            };
            let url = |d: &DestinationIn| -> Result<String, AnalyzeError> {
                let u = d
                    .url
                    .clone()
                    .ok_or_else(|| bad(at.clone(), "url is required".into()))?;
                let parsed = reqwest::Url::parse(&u)
                    .map_err(|e| bad(at.clone(), format!("url {u:?}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(bad(at.clone(), format!("url {u:?}: not http(s)")));
                }
                Ok(u.trim_end_matches('/').to_string())
            };
            if d.name.trim().is_empty() {
                return Err(bad(at, "name is empty".into()));
            }
            if destinations.iter().any(|x| x.name == d.name) {
                return Err(bad(at, "a destination of this name comes earlier".into()));
            }
            let target = match d.kind.as_str() {
                "webhook" => Target::Webhook {
                    url: match (&d.url, &d.url_env) {
                        (Some(_), None) => Secret(url(&d)?),
                        (None, Some(_)) => secret("url_env", &d.url_env)?,
                        _ => return Err(bad(at, "give either url or url_env".into())),
                    },
                },
                // Slack webhook URLs carry their own credential.
                "slack" => Target::Slack {
                    url: secret("url_env", &d.url_env)?,
                },
                "opsgenie" => {
                    let priority = d.priority.clone().unwrap_or_else(|| "P3".into());
                    if !matches!(priority.as_str(), "P1" | "P2" | "P3" | "P4" | "P5") {
                        return Err(bad(at, format!("priority {priority:?} is not P1..P5")));
                    }
                    Target::Opsgenie {
                        base: if d.url.is_some() {
                            url(&d)?
                        } else {
                            "https://api.opsgenie.com".into()
                        },
                        key: secret("api_key_env", &d.api_key_env)?,
                        priority,
                    }
                }
                "jira" => {
                    let api_version = d.api_version.unwrap_or(3);
                    if !matches!(api_version, 2 | 3) {
                        return Err(bad(at, format!("api_version {api_version} is not 2 or 3")));
                    }
                    Target::Jira {
                        base: url(&d)?,
                        project: d
                            .project
                            .clone()
                            .filter(|p| !p.trim().is_empty())
                            .ok_or_else(|| bad(at.clone(), "project is required".into()))?,
                        issue_type: d.issue_type.clone().unwrap_or_else(|| "Task".into()),
                        api_version,
                        user: match &d.user_env {
                            Some(_) => Some(secret("user_env", &d.user_env)?),
                            None => None,
                        },
                        token: secret("token_env", &d.token_env)?,
                    }
                }
                // A relative folder is relative to the routes file.
                "file" => Target::File {
                    dir: path.parent().unwrap_or(Path::new(".")).join(
                        d.dir
                            .clone()
                            .ok_or_else(|| bad(at.clone(), "dir is required".into()))?,
                    ),
                },
                other => {
                    return Err(bad(
                        at,
                        format!("kind {other:?} is not webhook, slack, opsgenie, jira or file"),
                    ));
                }
            };
            destinations.push(Destination {
                name: d.name,
                target,
            });
        }
        let mut routes = Vec::new();
        for (i, r) in input.route.into_iter().enumerate() {
            let at = format!("route[{i}]");
            let team = Glob::new(&r.team)
                .map_err(|e| bad(at.clone(), format!("team {:?}: {e}", r.team)))?
                .compile_matcher();
            let mut to = Vec::new();
            for name in &r.to {
                let Some(d) = destinations.iter().position(|d| &d.name == name) else {
                    return Err(bad(at, format!("no destination named {name:?}")));
                };
                to.push(d);
            }
            routes.push(Route { team, to });
        }
        Ok(Routes {
            destinations,
            routes,
        })
    }

    /// The destinations of `team`: those of the first route whose team
    /// pattern matches (`*` for a default).
    pub fn destinations_of(&self, team: &str) -> &[usize] {
        self.routes
            .iter()
            .find(|r| r.team.is_match(team))
            .map_or(&[], |r| r.to.as_slice())
    }

    /// Sends each destination what it has not had yet (see the module docs).
    pub fn deliver(
        &self,
        candidates: &[Candidate],
        delivered: &HashSet<(String, String, String, String)>,
        today: i32,
    ) -> Delivered {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a TLS client builds");
        let mut out = Delivered::default();
        for (di, dest) in self.destinations.iter().enumerate() {
            let mut sent = 0;
            for c in candidates {
                if !self.destinations_of(&c.alert.team).contains(&di) {
                    continue;
                }
                let seen = |kind: &str, item: &str| {
                    delivered.contains(&(
                        dest.name.clone(),
                        kind.to_string(),
                        c.role_id.clone(),
                        item.to_string(),
                    ))
                };
                let mut alert = c.alert.clone();
                alert
                    .new_unused_permissions
                    .retain(|u| !seen("unused", &u.permission));
                alert
                    .new_sensitive_grants
                    .retain(|a| !seen("sensitive_grant", a));
                alert
                    .sensitive_grant_fixes
                    .retain(|f| alert.new_sensitive_grants.contains(&f.action));
                if seen(UNUSED_ROLE_KIND, UNUSED_ROLE_ITEM) {
                    alert.new_unused_role = None;
                }
                if alert.new_unused_permissions.is_empty()
                    && alert.new_sensitive_grants.is_empty()
                    && alert.new_unused_role.is_none()
                {
                    continue;
                }
                match send(&client, &dest.target, &alert) {
                    Ok(reference) => {
                        sent += 1;
                        let row = |kind: &str, item: &str| DeliveryRow {
                            destination: dest.name.clone(),
                            account_id: alert.account_id.clone(),
                            role_id: c.role_id.clone(),
                            role_name: alert.role_name.clone(),
                            kind: kind.to_string(),
                            item: item.to_string(),
                            team: alert.team.clone(),
                            delivered_on: today,
                            reference: reference.clone(),
                        };
                        for u in &alert.new_unused_permissions {
                            out.rows.push(row("unused", &u.permission));
                        }
                        for a in &alert.new_sensitive_grants {
                            out.rows.push(row("sensitive_grant", a));
                        }
                        if alert.new_unused_role.is_some() {
                            out.rows.push(row(UNUSED_ROLE_KIND, UNUSED_ROLE_ITEM));
                        }
                    }
                    Err(last) => {
                        // A destination that is down gets nothing more this
                        // run: what it has not had is sent next time.
                        out.failures.push(format!(
                            "destination {} ({}): alert for {} / {} not delivered: {last}; its items stay unalerted there and are sent next time",
                            dest.name,
                            dest.target.kind(),
                            alert.team,
                            alert.role_arn
                        ));
                        break;
                    }
                }
            }
            out.sent.push((dest.name.clone(), sent));
        }
        out
    }
}

/// Sends one alert; `Ok` carries what the destination named (issue key,
/// request id, file).
fn send(
    client: &reqwest::blocking::Client,
    target: &Target,
    alert: &Alert,
) -> Result<Option<String>, String> {
    match target {
        Target::Webhook { url } => {
            send_with_retries(|| client.post(&url.0).json(alert).send()).map(|_| None)
        }
        Target::Slack { url } => {
            let body = slack_payload(alert);
            send_with_retries(|| client.post(&url.0).json(&body).send()).map(|_| None)
        }
        Target::Opsgenie {
            base,
            key,
            priority,
        } => {
            let body = opsgenie_payload(alert, priority);
            let resp = send_with_retries(|| {
                client
                    .post(format!("{base}/v2/alerts"))
                    .header("Authorization", format!("GenieKey {}", key.0))
                    .json(&body)
                    .send()
            })?;
            let v: Value = resp.json().unwrap_or(Value::Null);
            Ok(v.get("requestId")
                .and_then(Value::as_str)
                .map(str::to_string))
        }
        Target::Jira {
            base,
            project,
            issue_type,
            api_version,
            user,
            token,
        } => {
            let body = jira_payload(alert, project, issue_type, *api_version);
            let resp = send_with_retries(|| {
                let req = client.post(format!("{base}/rest/api/{api_version}/issue"));
                let req = match user {
                    Some(u) => req.basic_auth(&u.0, Some(&token.0)),
                    None => req.bearer_auth(&token.0),
                };
                req.json(&body).send()
            })?;
            let v: Value = resp.json().unwrap_or(Value::Null);
            Ok(v.get("key").and_then(Value::as_str).map(str::to_string))
        }
        Target::File { dir } => {
            let path = dir.join(format!("{}.jsonl", file_name(&alert.team)));
            let line = serde_json::to_string(alert).expect("alerts serialize");
            std::fs::create_dir_all(dir)
                .and_then(|_| {
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)?;
                    writeln!(f, "{line}")?;
                    f.sync_all()
                })
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Some(path.display().to_string()))
        }
    }
}

/// A team name as a file name: letters, digits, `-`, `_`, `.`, `@` kept,
/// anything else `_`.
pub fn file_name(team: &str) -> String {
    let s: String = team
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// The ledger's kind and item for a whole unused role (see
/// `analyze::unused_roles`), as recorded per destination.
const UNUSED_ROLE_KIND: &str = super::unused_roles::LEDGER_KIND;
const UNUSED_ROLE_ITEM: &str = super::unused_roles::ROLE_ITEM;

/// One line per item, for every destination's text.
fn item_lines(alert: &Alert, markdown: bool) -> (Vec<String>, Vec<String>) {
    let code = |s: &str| {
        if markdown {
            format!("`{}`", slack_escape(s))
        } else {
            s.to_string()
        }
    };
    let fix = |g: &Option<super::grants::Grant>| match g {
        Some(g) => {
            let at = g
                .terraform_address
                .as_deref()
                .map_or_else(String::new, |a| format!(" → {}", code(a)));
            format!(" — {} {}{at}", code(&g.policy), g.statement)
        }
        None => String::new(),
    };
    let unused = alert
        .new_unused_permissions
        .iter()
        .map(|u| {
            let used = if u.never_used {
                format!("never used ({} days)", u.days_unused)
            } else {
                format!("unused for {} days", u.days_unused)
            };
            format!("• {} {used}{}", code(&u.permission), fix(&u.fix))
        })
        .collect();
    let sensitive = alert
        .new_sensitive_grants
        .iter()
        .map(|a| {
            let g = alert
                .sensitive_grant_fixes
                .iter()
                .find(|f| &f.action == a)
                .map(|f| f.fix.clone());
            format!("• {} allowed account-wide or wider{}", code(a), fix(&g))
        })
        .collect();
    let mut unused: Vec<String> = unused;
    if let Some(r) = &alert.new_unused_role {
        let used = if r.never_used {
            format!("never used ({} days)", r.days_unused)
        } else {
            format!("unused for {} days", r.days_unused)
        };
        let outside = if r.external_accounts.is_empty() {
            String::new()
        } else {
            format!(
                "; trusted outside the organization: {}",
                r.external_accounts.join(", ")
            )
        };
        unused.insert(0, format!("• the whole role: {used}{outside}"));
    }
    (unused, sensitive)
}

/// The one-line summary of an alert.
pub fn title(alert: &Alert) -> String {
    let account = alert
        .account_name
        .as_deref()
        .unwrap_or(alert.account_id.as_str());
    let mut parts = Vec::new();
    if let Some(r) = &alert.new_unused_role {
        parts.push(format!("role unused for {} days", r.days_unused));
    }
    if !alert.new_unused_permissions.is_empty() {
        parts.push(format!(
            "{} unused permission(s)",
            alert.new_unused_permissions.len()
        ));
    }
    if !alert.new_sensitive_grants.is_empty() {
        parts.push(format!(
            "{} sensitive grant(s)",
            alert.new_sensitive_grants.len()
        ));
    }
    format!(
        "IAM role {} ({account}): {} new",
        alert.role_name,
        parts.join(", ")
    )
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Joins lines under a heading into a text of at most `max` characters,
/// saying how many lines were left out.
fn bounded(heading: &str, lines: &[String], max: usize) -> String {
    let mut out = heading.to_string();
    for (i, l) in lines.iter().enumerate() {
        let more = format!("\n… and {} more", lines.len() - i);
        if out.chars().count() + 1 + l.chars().count() + more.chars().count() > max {
            out.push_str(&more);
            return out;
        }
        out.push('\n');
        out.push_str(l);
    }
    out
}

/// A Slack incoming-webhook message in Block Kit: a header, the role, one
/// section per kind of item, a context line; every text within Slack's
/// limits, and `text` as the notification fallback.
pub fn slack_payload(alert: &Alert) -> Value {
    let (unused, sensitive) = item_lines(alert, true);
    let mut role = format!(
        "*Role* `{}`\n*Team* {}",
        slack_escape(&alert.role_arn),
        slack_escape(&alert.team)
    );
    if let Some(t) = &alert.terraform {
        role.push_str(&format!(
            "\n*Managed by* `{}` in `{}`",
            slack_escape(&t.address),
            slack_escape(&t.state)
        ));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip(&title(alert), SLACK_HEADER_MAX)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&role, SLACK_SECTION_MAX)}}),
    ];
    if !unused.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": bounded("*New unused permissions*", &unused, SLACK_SECTION_MAX)}}));
    }
    if !sensitive.is_empty() {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn",
            "text": bounded("*New sensitive grants*", &sensitive, SLACK_SECTION_MAX)}}));
    }
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn",
        "text": format!("iamlake · snapshot {}", alert.snapshot_date)}]}));
    json!({"text": clip(&title(alert), SLACK_SECTION_MAX), "blocks": blocks})
}

/// An Opsgenie create-alert request: one alert per role, `alias`
/// `iamlake:<account>:<role name>` so Opsgenie folds a role's later alerts
/// into the open one, the team as responder (none for `unowned`).
pub fn opsgenie_payload(alert: &Alert, priority: &str) -> Value {
    let (unused, sensitive) = item_lines(alert, false);
    let mut lines = vec![format!("Role: {}", alert.role_arn)];
    if let Some(t) = &alert.terraform {
        lines.push(format!("Managed by: {} in {}", t.address, t.state));
    }
    if !unused.is_empty() {
        lines.push("New unused permissions:".into());
        lines.extend(unused);
    }
    if !sensitive.is_empty() {
        lines.push("New sensitive grants:".into());
        lines.extend(sensitive);
    }
    let mut body = json!({
        "message": clip(&title(alert), OPSGENIE_MESSAGE_MAX),
        "alias": clip(&format!("iamlake:{}:{}", alert.account_id, alert.role_name), OPSGENIE_ALIAS_MAX),
        "description": clip(&lines.join("\n"), OPSGENIE_DESCRIPTION_MAX),
        "tags": ["iamlake", clip(&format!("team:{}", alert.team), OPSGENIE_TAG_MAX)],
        "details": {
            "account_id": alert.account_id,
            "role_arn": alert.role_arn,
            "team": alert.team,
            "snapshot_date": alert.snapshot_date.to_string(),
        },
        "entity": clip(&alert.role_arn, 512),
        "source": "iamlake",
        "priority": priority,
    });
    if alert.team != super::owners::UNOWNED {
        body["responders"] = json!([{"name": alert.team, "type": "team"}]);
    }
    body
}

/// A Jira create-issue request: v2 takes the description as wiki text, v3
/// as an Atlassian Document Format document.
pub fn jira_payload(alert: &Alert, project: &str, issue_type: &str, api_version: u8) -> Value {
    let (unused, sensitive) = item_lines(alert, false);
    let mut paragraphs = vec![format!("Role: {} (team {})", alert.role_arn, alert.team)];
    if let Some(t) = &alert.terraform {
        paragraphs.push(format!("Managed by: {} in {}", t.address, t.state));
    }
    if !unused.is_empty() {
        paragraphs.push(format!("New unused permissions:\n{}", unused.join("\n")));
    }
    if !sensitive.is_empty() {
        paragraphs.push(format!("New sensitive grants:\n{}", sensitive.join("\n")));
    }
    paragraphs.push(format!(
        "Found by iamlake on snapshot {}.",
        alert.snapshot_date
    ));
    let description = if api_version == 2 {
        Value::String(paragraphs.join("\n\n"))
    } else {
        // ADF: one paragraph per block, lines joined by hardBreak nodes
        // (a text node is one line).
        let paragraph = |p: &String| {
            let mut content = Vec::new();
            for (i, line) in p.lines().enumerate() {
                if i > 0 {
                    content.push(json!({"type": "hardBreak"}));
                }
                content.push(json!({"type": "text", "text": line}));
            }
            json!({"type": "paragraph", "content": content})
        };
        json!({"type": "doc", "version": 1, "content": paragraphs.iter().map(paragraph).collect::<Vec<_>>()})
    };
    // Jira labels cannot hold spaces.
    let team_label: String = format!("team-{}", alert.team)
        .chars()
        .map(|c| if c.is_whitespace() { '-' } else { c })
        .collect();
    json!({"fields": {
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": clip(&format!("iamlake: {}", title(alert)), JIRA_SUMMARY_MAX),
        "description": description,
        "labels": ["iamlake", clip(&team_label, 255)],
    }})
}

#[cfg(test)]
mod tests;
