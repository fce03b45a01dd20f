//! `iamlake analyze`: from the lake alone, the unused permissions of a date
//! with owners and review status, their changes since the previous complete
//! snapshot, per-team and per-day summaries, and alerts for what is new —
//! written back to the lake as Parquet beside the snapshot tables.
//!
//! [`input`] reads the lake with polars (through [`crate::lake::read`]), [`compute`] is the analysis (pure),
//! [`owners`] and [`reviews`] read the two files kept in git, [`alerts`]
//! delivers what is new. The rules are documented in [`compute`] and in
//! docs/ANALYZE.md.

pub mod alerts;
pub mod codeowners;
pub mod compute;
pub mod credentials;
pub mod grants;
pub mod input;
pub mod owners;
pub mod reviews;
pub mod routes;
pub mod suggest;
pub mod terraform;
pub mod unused_roles;
pub mod user_risk;

use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::writer::PartitionWriter;
use crate::lake::{Lake, LakeError};
use crate::model::{
    ANALYZE_TABLES, SCHEMA_VERSION, ledger, role_owners, summaries, unused_deltas,
    unused_permissions,
};
use chrono::{NaiveDate, Utc};
use compute::{Analysis, Rules};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What analyze needs, validated.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    /// The lake read and written: a folder or an S3 prefix.
    pub lake: Lake,
    /// The date to analyze; it must have a complete snapshot.
    pub date: NaiveDate,
    /// Days without use after which a permission is unused (default 90).
    pub unused_days: i64,
    /// Owners rules file (CSV or YAML), if any.
    pub owners: Option<PathBuf>,
    /// Owners config (TOML): state → repository path / team, CODEOWNERS,
    /// CloudFormation stack rules, account owners.
    pub owners_config: Option<PathBuf>,
    /// Terraform states (files, folders, S3 prefixes) that manage roles.
    pub terraform_states: Vec<terraform::StateSource>,
    /// How S3 state prefixes are read.
    pub state_access: terraform::StateAccess,
    /// Reviews file (CSV or YAML), if any.
    pub reviews: Option<PathBuf>,
    /// Write alerts as JSON lines here.
    pub alerts_out: Option<PathBuf>,
    /// POST each alert as JSON here.
    pub webhook: Option<String>,
    /// Days after which an active access key is too old (default 90).
    pub key_max_age_days: i64,
    /// Routes file (TOML): teams → destinations (webhook, Slack, Opsgenie,
    /// Jira, files), each with its own delivery memory.
    pub routes: Option<PathBuf>,
}

/// What can stop analyze.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// The date has no complete snapshot.
    #[error("lake {}: no complete snapshot for {date} (run `iamlake snapshot` for it first; a date without a manifest is incomplete)", lake.display())]
    NoSnapshot { lake: PathBuf, date: NaiveDate },
    /// The role is not in the snapshot.
    #[error("lake {}: no role {role} in the snapshot of {date}", lake.display())]
    NoRole {
        lake: PathBuf,
        date: NaiveDate,
        role: String,
    },
    /// The owners or reviews file is invalid.
    #[error("{}: {at}: {message}", path.display())]
    InputFile {
        path: PathBuf,
        at: String,
        message: String,
    },
    /// Building a record batch failed (rows and schema disagree: a bug).
    #[error("building {table} rows: {source}")]
    Arrow {
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
    /// Writing alerts failed.
    #[error(transparent)]
    Alerts(#[from] alerts::AlertError),
}

/// What analyze produced, for the terminal summary.
#[derive(Debug, Clone)]
pub struct AnalyzeOutcome {
    pub analysis: Analysis,
    pub previous_snapshot: Option<NaiveDate>,
    pub manifest: Manifest,
    /// What routing did (`--routes`): alerts sent per destination, and the
    /// destinations that failed (their items are sent next time).
    pub delivered: Option<routes::Delivered>,
}

/// Runs analyze for one date.
pub fn run(cfg: &AnalyzeConfig) -> Result<AnalyzeOutcome, AnalyzeError> {
    let started_at = Utc::now();
    // Validate the files kept in git before reading anything large.
    let mut owners = match &cfg.owners {
        Some(p) => owners::Owners::load(p)?,
        None => owners::Owners::default(),
    };
    if let Some(p) = &cfg.owners_config {
        owners = owners.with_config(p)?;
    }
    if !cfg.terraform_states.is_empty() {
        owners = owners.with_terraform(terraform::TerraformIndex::load(
            &cfg.terraform_states,
            &cfg.state_access,
        )?);
    }
    let reviews = match &cfg.reviews {
        Some(p) => reviews::load(p)?,
        None => Vec::new(),
    };
    let routes = cfg
        .routes
        .as_deref()
        .map(routes::Routes::load)
        .transpose()?;
    // Accounts and Access Advisor jobs that failed are carried from their
    // last good data up to the unused threshold back (docs/ANALYZE.md).
    let carry_days = cfg.unused_days;
    let current = input::read_snapshot(&cfg.lake, cfg.date, carry_days)?;
    let previous_date = input::previous_snapshot_date(&cfg.lake, cfg.date)?;
    let previous = previous_date
        .map(|d| input::read_snapshot(&cfg.lake, d, carry_days))
        .transpose()?;
    let (ledger_date, prev_ledger) = input::read_previous_ledger(&cfg.lake, cfg.date)?;
    let snapshot_manifest = input::snapshot_manifest(&cfg.lake, cfg.date)?;

    let rules = Rules {
        unused_days: cfg.unused_days,
        alerting: cfg.alerts_out.is_some() || cfg.webhook.is_some(),
        sensitive_actions: snapshot_manifest.sensitive_actions.clone(),
        routing: routes.is_some(),
    };
    let prev_reviews = if reviews.is_empty() {
        Vec::new()
    } else {
        input::read_previous_reviews(&cfg.lake, cfg.date)?
    };
    let mut analysis = compute::analyze_with(
        &current,
        previous.as_ref(),
        prev_ledger,
        &prev_reviews,
        &owners,
        &reviews,
        &rules,
    );
    // The credential reports of the date (or of a carried account's date).
    let (reports, users) = credentials::read(&cfg.lake, cfg.date, &current.accounts)?;
    analysis.credential_findings = credentials::find(
        &reports,
        credentials::CredentialRules {
            unused_days: cfg.unused_days,
            key_max_age_days: cfg.key_max_age_days,
        },
    );
    credentials::assign_owners(&mut analysis.credential_findings, &users, &owners);
    // Risky users, counted apart from roles (null-free: 0 when none).
    let risky_users = user_risk::risky_users(&cfg.lake, cfg.date, &current.accounts)?;
    for row in &mut analysis.daily {
        row.risky_users = match &row.account_id {
            Some(a) => risky_users.get(a).copied().unwrap_or(0),
            None => risky_users.values().sum(),
        };
    }

    // Alerts go out before the ledger that records them is published: a
    // failed delivery fails the run, so the items stay unalerted and are
    // tried again next time rather than lost.
    if let Some(path) = &cfg.alerts_out {
        alerts::write_jsonl(path, &analysis.alerts)?;
    }
    if let Some(url) = &cfg.webhook {
        alerts::post_all(url, &analysis.alerts)?;
    }
    // Routed destinations each remember what they had: what one delivered
    // is recorded even when another failed, so nothing is sent twice and a
    // failed destination gets its items next time.
    let mut deliveries = input::read_previous_deliveries(&cfg.lake, cfg.date)?;
    let delivered = match &routes {
        Some(r) => {
            let seen: std::collections::HashSet<(String, String, String, String)> = deliveries
                .iter()
                .map(|d| {
                    (
                        d.destination.clone(),
                        d.kind.clone(),
                        d.role_id.clone(),
                        d.item.clone(),
                    )
                })
                .collect();
            let today = crate::model::columns::days_since_epoch(cfg.date);
            let out = r.deliver(&analysis.candidates, &seen, today);
            mark_alerted(&mut analysis, &out.rows, today);
            deliveries.extend(out.rows.iter().cloned());
            Some(out)
        }
        None => None,
    };

    let snapshot_id = crate::lake::new_run_id(started_at);
    let mut writer =
        PartitionWriter::create_in(&cfg.lake, cfg.date, &snapshot_id, &ANALYZE_TABLES, None)?;
    let a = &analysis;
    let batch =
        |table: &'static str,
         r: Result<arrow::record_batch::RecordBatch, arrow::error::ArrowError>| {
            r.map_err(|source| AnalyzeError::Arrow { table, source })
        };
    writer.write(
        unused_permissions::TABLE.name,
        &batch(
            "unused_permissions",
            unused_permissions::to_batch(&a.unused),
        )?,
    )?;
    writer.write(
        crate::model::unused_roles::TABLE.name,
        &batch(
            "unused_roles",
            crate::model::unused_roles::to_batch(&a.unused_roles),
        )?,
    )?;
    writer.write(
        crate::model::credential_findings::TABLE.name,
        &batch(
            "credential_findings",
            crate::model::credential_findings::to_batch(&a.credential_findings),
        )?,
    )?;
    writer.write(
        unused_deltas::TABLE.name,
        &batch("unused_deltas", unused_deltas::to_batch(&a.deltas))?,
    )?;
    writer.write(
        summaries::TEAM_TABLE.name,
        &batch("team_summary", summaries::team_batch(&a.teams))?,
    )?;
    writer.write(
        summaries::DAILY_TABLE.name,
        &batch("daily_summary", summaries::daily_batch(&a.daily))?,
    )?;
    writer.write(
        ledger::PASSROLE_TABLE.name,
        &batch("passrole_grants", ledger::passrole_batch(&a.passrole))?,
    )?;
    writer.write(
        ledger::REVIEW_TABLE.name,
        &batch("review_status", ledger::review_batch(&a.reviews))?,
    )?;
    writer.write(
        ledger::LEDGER_TABLE.name,
        &batch("alert_ledger", ledger::ledger_batch(&a.ledger))?,
    )?;
    writer.write(
        role_owners::TABLE.name,
        &batch("role_owners", role_owners::to_batch(&a.owners))?,
    )?;
    writer.write(
        ledger::DELIVERY_TABLE.name,
        &batch("alert_deliveries", ledger::delivery_batch(&deliveries))?,
    )?;

    let mut inputs = BTreeMap::new();
    inputs.insert("snapshot".to_string(), current.snapshot_id.clone());
    if let Some(p) = &previous {
        inputs.insert(
            "previous_snapshot".to_string(),
            format!("{} {}", p.date, p.snapshot_id),
        );
    }
    if let Some(d) = ledger_date {
        inputs.insert("previous_ledger".to_string(), d.to_string());
    }
    inputs.insert("unused_days".to_string(), cfg.unused_days.to_string());
    inputs.insert(
        "key_max_age_days".to_string(),
        cfg.key_max_age_days.to_string(),
    );
    let manifest = writer.publish(|tables| Manifest {
        tool: "iamlake".into(),
        kind: ManifestKind::Analyze.as_str().into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: SCHEMA_VERSION,
        snapshot_id,
        snapshot_date: cfg.date,
        source: format!("lake:{}", cfg.lake.label().display()),
        started_at,
        finished_at: Utc::now(),
        status: "complete".into(),
        sensitive_actions: rules.sensitive_actions.clone(),
        tables,
        accounts: Vec::new(),
        inputs,
        metrics: BTreeMap::new(),
        shard: None,
    })?;
    Ok(AnalyzeOutcome {
        analysis,
        previous_snapshot: previous_date,
        manifest,
        delivered,
    })
}

/// Items delivered to some routed destination count as alerted in the
/// ledger and `unused_permissions` (the first date any destination had them).
fn mark_alerted(a: &mut compute::Analysis, rows: &[ledger::DeliveryRow], today: i32) {
    let sent: std::collections::HashSet<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.kind.as_str(), r.role_id.as_str(), r.item.as_str()))
        .collect();
    for l in &mut a.ledger {
        if l.alerted_on.is_none()
            && sent.contains(&(l.kind.as_str(), l.role_id.as_str(), l.item.as_str()))
        {
            l.alerted_on = Some(today);
        }
    }
    for u in &mut a.unused {
        if u.alerted_on.is_none()
            && sent.contains(&("unused", u.role_id.as_str(), u.permission.as_str()))
        {
            u.alerted_on = Some(today);
        }
    }
}

/// The short human summary: what changed since the previous snapshot, per team.
pub fn summary_text(date: NaiveDate, outcome: &AnalyzeOutcome, lake: &Path) -> String {
    let a = &outcome.analysis;
    let since = outcome
        .previous_snapshot
        .map_or_else(|| "first snapshot".to_string(), |d| format!("since {d}"));
    let new = a.deltas.iter().filter(|d| d.change == "new").count();
    let back = a.deltas.iter().filter(|d| d.change == "reappeared").count();
    let resolved = a.deltas.iter().filter(|d| d.change == "resolved").count();
    let mut out = format!(
        "analyze {date}: {} unused permissions ({} open); {since}: +{new} new, +{back} reappeared, -{resolved} resolved → {}\n",
        a.unused.len(),
        a.unused
            .iter()
            .filter(|u| u.review_status == "open")
            .count(),
        lake.display()
    );
    if !a.unused_roles.is_empty() {
        let (slr, roles): (Vec<_>, Vec<_>) = a.unused_roles.iter().partition(|r| r.service_linked);
        out.push_str(&format!(
            "  unused roles: {} ({} open, {} assumable from outside the organization); service-linked, apart: {}\n",
            roles.len(),
            roles.iter().filter(|r| r.review_status == "open").count(),
            roles.iter().filter(|r| !r.external_accounts.is_empty()).count(),
            slr.len()
        ));
    }
    if !a.credential_findings.is_empty() {
        let count = |f: &str| {
            a.credential_findings
                .iter()
                .filter(|x| x.finding == f)
                .count()
        };
        out.push_str(&format!(
            "  credentials: {} access keys unused, {} too old, {} console users without MFA, {} inactive users\n",
            count("access_key_unused"),
            count("access_key_old"),
            count("console_without_mfa"),
            count("inactive_user")
        ));
    }
    // Owners come from tags and may be long e-mail addresses.
    let w = a
        .teams
        .iter()
        .map(|t| t.owner_team.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    out.push_str(&format!(
        "  {:<w$} {:>5} {:>6} {:>6} {:>5} {:>5} {:>7} {:>8}\n",
        "team", "roles", "risky", "open", "new", "kept", "delete", "reviewed"
    ));
    for t in &a.teams {
        out.push_str(&format!(
            "  {:<w$} {:>5} {:>6} {:>6} {:>5} {:>5} {:>7} {:>8}\n",
            t.owner_team,
            t.roles,
            t.risky_roles,
            t.unused_open,
            t.unused_new,
            t.unused_kept,
            t.unused_to_delete + t.unused_done,
            t.review_progress
                .map_or("-".to_string(), |p| format!("{:.0}%", p * 100.0)),
        ));
    }
    // How far the owners can be trusted: which step of the chain named them.
    let mut sources: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &a.owners {
        *sources.entry(o.owner_source.as_str()).or_default() += 1;
    }
    if !sources.is_empty() {
        let by = [
            "tag",
            "terraform",
            "cloudformation",
            "owners_file",
            "account",
            "unowned",
        ]
        .iter()
        .filter_map(|s| sources.get(s).map(|n| format!("{n} {s}")))
        .collect::<Vec<_>>()
        .join(", ");
        out.push_str(&format!("  owners: {by}\n"));
    }
    // The gaps, so that nobody reads a carried number as today's.
    for d in a.daily.iter().filter(|d| d.scope == "account") {
        let name = d
            .account_name
            .as_deref()
            .map_or_else(String::new, |n| format!(" ({n})"));
        let id = d.account_id.as_deref().unwrap_or_default();
        let why = d
            .failure_reason
            .as_deref()
            .map_or_else(String::new, |r| format!(": {r}"));
        match d.account_status.as_deref() {
            Some("carried") => out.push_str(&format!(
                "  account {id}{name}: not collected on {date}, data from {}{why}\n",
                d.data_date
                    .map_or_else(|| "-".to_string(), |x| crate::model::columns::date_of(x).to_string())
            )),
            Some("no_data") => out.push_str(&format!(
                "  account {id}{name}: not collected on {date} and no earlier data: counted nowhere{why}\n"
            )),
            _ => {}
        }
    }
    if let Some(org) = a.daily.iter().find(|d| d.scope == "organization")
        && (org.roles_access_carried > 0 || org.roles_access_unknown > 0)
    {
        out.push_str(&format!(
            "  Access Advisor: {} role(s) judged on earlier data, {} unknown (never called unused or used)\n",
            org.roles_access_carried, org.roles_access_unknown
        ));
    }
    // Reviews that no longer hold: the permission is open again.
    let day = |d: Option<i32>| {
        d.map_or_else(String::new, |d| {
            crate::model::columns::date_of(d).to_string()
        })
    };
    for r in &a.reviews {
        let why = match r.status.as_str() {
            "expired" => format!(
                "expired on {}: the permission is open again",
                day(r.expires)
            ),
            "invalidated" => format!(
                "invalidated: the role's grant of it changed on {}; review it again",
                day(r.invalidated_on)
            ),
            _ => continue,
        };
        out.push_str(&format!(
            "  review {}: {} / {} / {} {why}\n",
            r.source, r.account, r.role_name, r.permission
        ));
    }
    let unknown: Vec<&ledger::ReviewStatusRow> = a
        .reviews
        .iter()
        .filter(|r| r.status.starts_with("unknown"))
        .collect();
    for r in unknown {
        out.push_str(&format!(
            "  warning: {}: review of {} / {} / {}: {}\n",
            r.source,
            r.account,
            r.role_name,
            r.permission,
            r.status.replace('_', " ")
        ));
    }
    if let Some(d) = &outcome.delivered {
        for (name, n) in &d.sent {
            out.push_str(&format!("  routed: {n} alert(s) to {name}\n"));
        }
        for f in &d.failures {
            out.push_str(&format!("  error: {f}\n"));
        }
    }
    if !a.alerts.is_empty() {
        out.push_str(&format!(
            "  {} alert(s) for {} role(s)\n",
            a.alerts
                .iter()
                .map(|x| x.new_unused_permissions.len()
                    + x.new_sensitive_grants.len()
                    + usize::from(x.new_unused_role.is_some()))
                .sum::<usize>(),
            a.alerts.len()
        ));
    }
    out
}

#[cfg(test)]
mod tests;
