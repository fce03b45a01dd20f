//! Runs a parsed command line: the only place that turns typed library errors
//! into `anyhow` errors with context, and results into exit codes and
//! terminal output.

use crate::cli::{
    Cli, Command, DemoArgs, FixturesCommand, GenerateArgs, LintArgs, SimulateArgs, SnapshotArgs,
};
use crate::lake::lint;
use crate::snapshot::{self, SnapshotConfig, SnapshotOutcome};
use crate::source::SourceSpec;
use crate::{eval, generate};
use anyhow::{Context, bail};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when the command failed, or found problems (`lint`).
pub const EXIT_FAILED: u8 = 1;

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Snapshot(args) => snapshot_cmd(args),
        Command::Demo(args) => demo_cmd(args),
        Command::Fixtures(FixturesCommand::Generate(args)) => generate_cmd(args),
        Command::Simulate(args) => simulate_cmd(args),
        Command::Lint(args) => lint_cmd(args),
        Command::Docs { .. } => {
            print!("{}", crate::model::docs::lake_markdown());
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}

fn snapshot_cmd(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let resolved = args.common.resolve()?;
    let cfg = SnapshotConfig {
        source: args.source,
        lake: args.lake,
        date: args.date,
        sensitive_actions: resolved.sensitive_actions,
        owner_tag_keys: resolved.owner_tag_keys,
        progress: !args.common.quiet,
    };
    let outcome = snapshot::run(&cfg)
        .with_context(|| format!("snapshot of {} failed; the lake is unchanged", cfg.date))?;
    if !args.common.quiet {
        print_snapshot_summary(&cfg.lake, &outcome);
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn print_snapshot_summary(lake: &Path, outcome: &SnapshotOutcome) {
    let m = &outcome.manifest;
    let roles = m.tables.get("roles").map_or(0, |t| t.rows);
    let secs = (m.finished_at - m.started_at).num_milliseconds() as f64 / 1000.0;
    println!(
        "{}: {} accounts, {roles} roles, {} decisions in {secs:.2}s → {}",
        m.snapshot_date,
        m.accounts.len(),
        m.tables.get("simulations").map_or(0, |t| t.rows),
        lake.display()
    );
    for (action, (allowed, conditional)) in &outcome.risky {
        println!("  {action:<22} on *: {allowed:>5} roles allowed, {conditional:>5} conditionally");
    }
}

/// The bundled fixtures: `fixtures/default` under the working directory, else
/// under the source tree the binary was built from.
fn default_fixtures() -> PathBuf {
    let local = PathBuf::from("fixtures/default");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default")
    }
}

#[derive(serde::Deserialize)]
struct FixtureIndex {
    days: Vec<NaiveDate>,
}

fn demo_cmd(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = args.fixtures.clone().unwrap_or_else(default_fixtures);
    let index_path = dir.join("fixture.json");
    let text = std::fs::read_to_string(&index_path)
        .with_context(|| format!("{}: cannot read the fixture index", index_path.display()))?;
    let index: FixtureIndex = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a fixture index (expected {{\"days\": [...]}})",
            index_path.display()
        )
    })?;
    if index.days.is_empty() {
        bail!("{}: lists no days", index_path.display());
    }
    let resolved = args.common.resolve()?;
    let quiet = args.common.quiet;
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(index.days.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} days · {msg}",
        )
        .expect("static template is valid"),
    );
    let mut last = None;
    for date in &index.days {
        bar.set_message(date.to_string());
        let cfg = SnapshotConfig {
            source: SourceSpec::Fixtures(dir.clone()),
            lake: args.lake.clone(),
            date: *date,
            sensitive_actions: resolved.sensitive_actions.clone(),
            owner_tag_keys: resolved.owner_tag_keys.clone(),
            progress: false,
        };
        let outcome = snapshot::run(&cfg).with_context(|| format!("snapshot of {date} failed"))?;
        bar.inc(1);
        last = Some(outcome);
    }
    bar.finish_and_clear();
    if !quiet {
        println!(
            "demo: snapshotted {} days ({} .. {}) from {} into {}",
            index.days.len(),
            index.days[0],
            index.days[index.days.len() - 1],
            dir.display(),
            args.lake.display()
        );
        if let Some(outcome) = &last {
            print_snapshot_summary(&args.lake, outcome);
        }
        println!(
            "query it: duckdb -c \"select snapshot_date, count(*) from read_parquet('{}/roles/*/*.parquet', hive_partitioning=true) group by all order by 1\"",
            args.lake.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn generate_cmd(args: GenerateArgs) -> anyhow::Result<ExitCode> {
    if args.out.exists() {
        let non_empty = std::fs::read_dir(&args.out)
            .with_context(|| format!("{}: cannot list", args.out.display()))?
            .next()
            .is_some();
        if non_empty {
            bail!(
                "{}: exists and is not empty; generate writes into a new or empty folder",
                args.out.display()
            );
        }
    }
    let cfg = generate::GenerateConfig {
        accounts: args.accounts,
        roles_per_account: args.roles_per_account,
        days: args.days,
        seed: args.seed,
        start_date: args.start_date,
        out: args.out.clone(),
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(args.days) * u64::from(args.accounts))
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} account-days",
        )
        .expect("static template is valid"),
    );
    let summary = generate::generate(&cfg, &mut |_| bar.inc(1))
        .with_context(|| format!("generating fixtures into {}", args.out.display()))?;
    bar.finish_and_clear();
    if !args.quiet {
        println!(
            "wrote {} days x {} accounts ({} roles on the last day): {} files, {:.1} MB into {}",
            summary.days,
            summary.accounts,
            summary.roles_last_day,
            summary.files,
            summary.bytes as f64 / 1e6,
            args.out.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn simulate_cmd(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.request)
        .with_context(|| format!("{}: cannot read", args.request.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", args.request.display()))?;
    let decision = eval::simulate_request(&json)
        .with_context(|| format!("{}: invalid request", args.request.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&decision)?);
    } else {
        print!("{}", explain(&decision));
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn lint_cmd(args: LintArgs) -> anyhow::Result<ExitCode> {
    if !args.lake.is_dir() {
        bail!("{}: no such lake folder", args.lake.display());
    }
    let issues = lint::lint_lake(&args.lake)?;
    for issue in &issues {
        println!("{issue}");
    }
    if issues.is_empty() {
        println!("{}: ok", args.lake.display());
        Ok(ExitCode::from(EXIT_OK))
    } else {
        eprintln!("{} problem(s) found", issues.len());
        Ok(ExitCode::from(EXIT_FAILED))
    }
}

/// The decision in words, for a terminal.
fn explain(d: &eval::Decision) -> String {
    let mut out = format!("decision: {}", d.decision.as_str());
    if let Some(layer) = d.decided_by {
        out.push_str(&format!(" (decided by the {} layer)", layer.as_str()));
    }
    out.push('\n');
    if d.matched_statements.is_empty() {
        out.push_str("no statement matched\n");
    } else {
        out.push_str("statements behind it:\n");
        for m in &d.matched_statements {
            out.push_str(&format!(
                "  {:<8} {:<5} {} statement {}{}{}\n",
                m.layer.as_str(),
                m.effect.as_str(),
                m.policy_id,
                m.statement_index,
                m.sid
                    .as_deref()
                    .map(|s| format!(" (Sid {s})"))
                    .unwrap_or_default(),
                if m.conditional {
                    ", if its conditions hold"
                } else {
                    ""
                },
            ));
        }
    }
    if !d.missing_context_keys.is_empty() {
        out.push_str(&format!(
            "depends on context keys the request does not carry: {}\n",
            d.missing_context_keys.join(", ")
        ));
    }
    out
}
