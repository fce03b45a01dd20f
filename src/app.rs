//! Runs a parsed command line: the only place that turns typed library errors
//! into `anyhow` errors with context, and results into exit codes and
//! terminal output.

use crate::analyze::{self, AnalyzeConfig};
use crate::cli::{
    AnalyzeArgs, AnalyzeOptions, CheckPlanArgs, Cli, Command, DemoArgs, FixturesCommand,
    GenerateArgs, LintArgs, LogFormat, ReportArgs, S3LakeArgs, SimulateArgs, SnapshotArgs, SqlArgs,
    SuggestArgs, VerifySimulatorArgs,
};
use crate::generate;
use crate::lake::lint;
use crate::lake::manifest::AccountEntry;
use crate::lake::s3::S3Lake;
use crate::lake::{Lake, LakeLocation};
use crate::snapshot::{self, SnapshotConfig, SnapshotError, SnapshotOutcome};
use crate::source::SourceSpec;
use anyhow::{Context, bail};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when the command failed, found problems (`lint`), or
/// `snapshot` refused to publish a run that collected too few accounts.
pub const EXIT_FAILED: u8 = 1;
/// Exit code of a snapshot that was written but missed some accounts (the
/// manifest's `status` is `partial` and names each one and why).
pub const EXIT_PARTIAL: u8 = 3;

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Snapshot(args) => snapshot_cmd(args),
        Command::Analyze(args) => analyze_cmd(args),
        Command::Suggest(args) => suggest_cmd(args),
        Command::Demo(args) => demo_cmd(args),
        Command::Fixtures(FixturesCommand::Generate(args)) => generate_cmd(args),
        Command::Simulate(args) => simulate_cmd(args),
        Command::CheckPlan(args) => Ok(check_plan_cmd(args)),
        Command::Report(args) => report_cmd(args),
        Command::Lint(args) => lint_cmd(args),
        Command::Sql(args) => sql_cmd(args),
        Command::VerifySimulator(args) => verify_simulator_cmd(args),
        Command::Docs { .. } => {
            print!("{}", crate::model::docs::lake_markdown());
            Ok(ExitCode::from(EXIT_OK))
        }
    }
}

fn snapshot_cmd(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    if args.log_format == LogFormat::Json {
        // Batch logs: even a failure is one JSON line.
        return Ok(match snapshot_inner(args) {
            Ok(code) => code,
            Err(err) => {
                let line = serde_json::json!({"level": "error", "event": "snapshot_failed", "message": format!("{err:#}")});
                eprintln!("{line}");
                ExitCode::from(EXIT_FAILED)
            }
        });
    }
    snapshot_inner(args)
}

fn snapshot_inner(args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let json = args.log_format == LogFormat::Json;
    let (a, c) = (&args.aws, &args.aws.connection);
    let s3_lake = matches!(args.lake, LakeLocation::S3(_));
    if matches!(args.source, SourceSpec::Fixtures(_))
        && (c.endpoint_url.is_some() || c.external_id.is_some() || a.accounts.is_some())
    {
        bail!("--endpoint-url, --external-id and --accounts apply only to --source aws");
    }
    if matches!(args.source, SourceSpec::Fixtures(_))
        && !s3_lake
        && (c.profile.is_some() || c.region.is_some())
    {
        bail!("--profile and --region apply only to --source aws or an s3:// lake");
    }
    let resolved = args.common.resolve()?;
    let lake = open_lake(&args.lake, c.profile.clone(), c.region.clone(), &args.s3)?;
    let cfg = SnapshotConfig {
        source: args.source,
        lake,
        date: args.date,
        sensitive_actions: resolved.sensitive_actions,
        owner_tag_keys: resolved.owner_tag_keys,
        progress: !args.common.quiet && !json,
        shard: args.shard,
        aws: args.aws.to_config(),
        simulator: args.simulator,
        guard: snapshot::guard::Guard {
            min_accounts_ok: args.min_accounts_ok.unwrap_or(resolved.min_accounts_ok),
            allow_partial: args.allow_partial,
        },
    };
    let outcome = match snapshot::run(&cfg) {
        Err(SnapshotError::Refused(refusal)) => {
            report_refusal(&refusal, json);
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        result => result
            .with_context(|| format!("snapshot of {} failed; the lake is unchanged", cfg.date))?,
    };
    if json {
        println!("{}", snapshot_json(&cfg.lake.label(), &outcome));
    } else if !args.common.quiet {
        print_snapshot_summary(&cfg.lake.label(), &outcome);
    }
    if outcome.manifest.status == "partial" {
        for a in outcome
            .manifest
            .accounts
            .iter()
            .filter(|a| a.status != "ok")
        {
            report_failed_account(a, json);
        }
        return Ok(ExitCode::from(EXIT_PARTIAL));
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// One account that was not collected, on stderr: a warning line, or an
/// `account_failed` JSON line. Both name the account as ListAccounts and
/// Organizations do (name, OU path), so a failed account is recognisable.
fn report_failed_account(a: &AccountEntry, json: bool) {
    let reason = a.reason.as_deref().unwrap_or("unknown reason");
    if json {
        let line = serde_json::json!({"level": "warn", "event": "account_failed",
            "account_id": a.account_id, "account_name": a.account_name,
            "ou_path": a.ou_path, "reason": reason});
        eprintln!("{line}");
        return;
    }
    let mut known = Vec::new();
    if let Some(name) = &a.account_name {
        known.push(format!("{name:?}"));
    }
    if let Some(path) = &a.ou_path {
        known.push(format!("OU path {path}"));
    }
    let known = if known.is_empty() {
        String::new()
    } else {
        format!(" ({})", known.join(", "))
    };
    eprintln!(
        "warning: account {}{known} was not collected: {reason}",
        a.account_id
    );
}

/// A run the publish guard refused: each failed account, then the decision
/// with its numbers (a `snapshot_refused` JSON line with `--log-format json`).
fn report_refusal(r: &snapshot::Refusal, json: bool) {
    for a in &r.failed {
        report_failed_account(a, json);
    }
    let message = r.decision.refusal_message(r.date);
    if !json {
        eprintln!("error: {message}");
        return;
    }
    let d = &r.decision;
    let (baseline_source, baseline_date) = match d.baseline {
        snapshot::guard::Baseline::Previous { date, .. } => {
            ("previous_complete_snapshot", Some(date))
        }
        snapshot::guard::Baseline::Attempted(_) => ("attempted", None),
    };
    let line = serde_json::json!({
        "level": "error",
        "event": "snapshot_refused",
        "snapshot_date": r.date,
        "accounts_ok": d.accounts_ok,
        "accounts_attempted": d.accounts_attempted,
        "accounts_failed": d.accounts_attempted - d.accounts_ok,
        "baseline_accounts": d.baseline.accounts(),
        "baseline_source": baseline_source,
        "baseline_date": baseline_date,
        "min_accounts_ok": d.min_accounts_ok,
        "accounts_needed": d.accounts_needed,
        "message": message,
    });
    eprintln!("{line}");
}

/// How many accounts a snapshot collected: `4 accounts` when all were,
/// else `3 of 4 accounts collected (1 failed: 222233334444 "staging")`.
fn accounts_summary(accounts: &[AccountEntry]) -> String {
    let failed: Vec<String> = accounts
        .iter()
        .filter(|a| a.status != "ok")
        .map(|a| match &a.account_name {
            Some(name) => format!("{} {name:?}", a.account_id),
            None => a.account_id.clone(),
        })
        .collect();
    if failed.is_empty() {
        return format!("{} accounts", accounts.len());
    }
    const SHOWN: usize = 5;
    let more = if failed.len() > SHOWN {
        format!(", … {} more", failed.len() - SHOWN)
    } else {
        String::new()
    };
    format!(
        "{} of {} accounts collected ({} failed: {}{more})",
        accounts.len() - failed.len(),
        accounts.len(),
        failed.len(),
        failed[..failed.len().min(SHOWN)].join(", ")
    )
}

/// The summary as one JSON line for batch logs.
fn snapshot_json(lake: &Path, outcome: &SnapshotOutcome) -> serde_json::Value {
    let m = &outcome.manifest;
    let counts = |pick: fn(&crate::snapshot::RiskyCounts) -> (u64, u64)| {
        outcome
            .risky
            .iter()
            .map(|(a, c)| {
                let (allowed, cond) = pick(c);
                (
                    a.clone(),
                    serde_json::json!({"allowed": allowed, "conditionally_allowed": cond}),
                )
            })
            .collect::<serde_json::Map<String, serde_json::Value>>()
    };
    serde_json::json!({
        "level": "info",
        "event": "snapshot_done",
        "snapshot_date": m.snapshot_date,
        "snapshot_id": m.snapshot_id,
        "status": m.status,
        "lake": lake.display().to_string(),
        "accounts_ok": m.accounts.iter().filter(|a| a.status == "ok").count(),
        "accounts_failed": m.accounts.iter().filter(|a| a.status != "ok").count(),
        "rows": m.tables.iter().map(|(t, e)| (t.clone(), serde_json::json!(e.rows))).collect::<serde_json::Map<_, _>>(),
        "metrics": m.metrics,
        "risky_on_any_resource": counts(|c| c.on_any),
        "risky_account_or_wider": counts(|c| c.account_or_wider),
        "seconds": (m.finished_at - m.started_at).num_milliseconds() as f64 / 1000.0,
    })
}

fn print_snapshot_summary(lake: &Path, outcome: &SnapshotOutcome) {
    let m = &outcome.manifest;
    let roles = m.tables.get("roles").map_or(0, |t| t.rows);
    let secs = (m.finished_at - m.started_at).num_milliseconds() as f64 / 1000.0;
    let users = m.tables.get("users").map_or(0, |t| t.rows);
    println!(
        "{}: {}, {roles} roles, {users} users, {} decisions in {secs:.2}s → {}",
        m.snapshot_date,
        accounts_summary(&m.accounts),
        m.tables.get("simulations").map_or(0, |t| t.rows),
        lake.display()
    );
    let decisions = m.metrics.get("decisions").copied().unwrap_or(0.0);
    let eval_secs = m.metrics.get("evaluation_seconds").copied().unwrap_or(0.0);
    if eval_secs > 0.0 {
        println!(
            "  local evaluator: {decisions:.0} decisions in {:.1} ms ({:.2} M/s)",
            eval_secs * 1e3,
            decisions / eval_secs / 1e6
        );
    }
    if let Some(t) = m.tables.get("policy_lints") {
        println!(
            "  policy lints: {} unknown actions or condition keys in the collected policies (table policy_lints)",
            t.rows
        );
    }
    for (action, c) in &outcome.risky {
        let ((allowed, conditional), (wide, wide_cond)) = (c.on_any, c.account_or_wider);
        println!(
            "  {action:<22} on *: {allowed:>5} roles allowed, {conditional:>5} conditionally; account-wide or wider: {wide:>5}, {wide_cond:>5} conditionally"
        );
    }
    // Every API call, per operation (live collection and S3 lakes).
    let calls: Vec<String> = m
        .metrics
        .iter()
        .filter_map(|(k, v)| Some(format!("{} {v:.0}", k.strip_prefix("api_calls:")?)))
        .collect();
    if !calls.is_empty() {
        // Summing no f64 gives -0.0, which would print as "-0".
        let throttled: f64 = m
            .metrics
            .iter()
            .filter(|(k, _)| k.starts_with("api_throttles:"))
            .map(|(_, v)| v)
            .sum::<f64>()
            + 0.0;
        println!(
            "  API calls: {} ({throttled:.0} throttled)",
            calls.join(", ")
        );
    }
    if let Some(per_role) = m.metrics.get("iam_calls_per_role") {
        println!("  IAM calls per role: {per_role:.3}");
    }
    if let Some(per_principal) = m.metrics.get("iam_calls_per_principal") {
        println!("  IAM calls per principal (roles and users): {per_principal:.3}");
    }
}

/// Opens `--lake`: a folder as it is; an S3 prefix with the caller's AWS
/// identity, checked by one listing before any other work.
fn open_lake(
    location: &LakeLocation,
    profile: Option<String>,
    region: Option<String>,
    s3: &S3LakeArgs,
) -> anyhow::Result<Lake> {
    match location {
        LakeLocation::Local(path) => {
            if s3.sse_kms_key_id.is_some() || s3.s3_endpoint_url.is_some() {
                bail!("--sse-kms-key-id and --s3-endpoint-url apply only to an s3:// lake");
            }
            Ok(Lake::Local(path.clone()))
        }
        LakeLocation::S3(loc) => {
            let aws = crate::source::aws::AwsConfig {
                profile,
                region,
                ..Default::default()
            };
            let lake = S3Lake::connect(loc.clone(), &aws, s3.to_options())
                .with_context(|| format!("cannot open the lake {loc}"))?;
            Ok(Lake::S3(std::sync::Arc::new(lake)))
        }
    }
}

fn analyze_config(lake: &Lake, date: NaiveDate, o: &AnalyzeOptions) -> AnalyzeConfig {
    AnalyzeConfig {
        lake: lake.clone(),
        date,
        unused_days: o.unused_days,
        owners: o.owners.clone(),
        owners_config: o.owners_config.clone(),
        terraform_states: o.terraform_state.clone(),
        state_access: Default::default(),
        reviews: o.reviews.clone(),
        alerts_out: o.alerts_out.clone(),
        webhook: o.webhook.clone(),
        key_max_age_days: o.key_max_age_days,
        routes: o.routes.clone(),
    }
}

fn analyze_cmd(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let a = &args.access;
    // An S3 endpoint also serves `--terraform-state s3://…` beside a local lake.
    let mut lake_s3 = a.s3.clone();
    if matches!(args.lake, LakeLocation::Local(_))
        && args
            .options
            .terraform_state
            .iter()
            .any(|s| matches!(s, analyze::terraform::StateSource::S3(_)))
    {
        lake_s3.s3_endpoint_url = None;
    }
    let lake = open_lake(&args.lake, a.profile.clone(), a.region.clone(), &lake_s3)?;
    let mut cfg = analyze_config(&lake, args.date, &args.options);
    // S3 state prefixes are read with the lake's identity and endpoint.
    cfg.state_access = analyze::terraform::StateAccess {
        aws: crate::source::aws::AwsConfig {
            profile: a.profile.clone(),
            region: a.region.clone(),
            ..Default::default()
        },
        s3: a.s3.to_options(),
    };
    let outcome = analyze::run(&cfg)
        .with_context(|| format!("analyze of {} failed; the lake is unchanged", args.date))?;
    if !args.quiet {
        print!(
            "{}",
            analyze::summary_text(args.date, &outcome, &lake.label())
        );
    }
    if let Some(d) = outcome
        .delivered
        .as_ref()
        .filter(|d| !d.failures.is_empty())
    {
        // The analysis is published (with what was delivered); the failed
        // destinations' items are sent next time.
        for f in &d.failures {
            eprintln!("error: {f}");
        }
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn suggest_cmd(args: SuggestArgs) -> anyhow::Result<ExitCode> {
    let reviews = match &args.reviews {
        Some(p) => analyze::reviews::load(p)?,
        None => Vec::new(),
    };
    let a = &args.access;
    let lake = open_lake(&args.lake, a.profile.clone(), a.region.clone(), &a.s3)?;
    let terraform = analyze::terraform::TerraformIndex::load(
        &args.terraform_state,
        &analyze::terraform::StateAccess {
            aws: crate::source::aws::AwsConfig {
                profile: a.profile.clone(),
                region: a.region.clone(),
                ..Default::default()
            },
            s3: a.s3.to_options(),
        },
    )?;
    let s = analyze::suggest::suggest(
        &lake,
        args.date,
        &args.role,
        args.unused_days,
        &reviews,
        &terraform,
    )?;
    if args.json {
        let policies: Vec<serde_json::Value> = s
            .policies
            .iter()
            .map(|p| {
                serde_json::json!({"policy_id": p.policy_id, "kind": p.kind, "current": p.current,
                    "suggested": p.suggested, "diff": p.diff, "notes": p.notes,
                    "terraform": p.terraform})
            })
            .collect();
        let grants: Vec<serde_json::Value> = s
            .unused
            .iter()
            .zip(&s.grants)
            .map(|(u, g)| serde_json::json!({"permission": u, "grant": g}))
            .collect();
        let out = serde_json::json!({"role_arn": s.role_arn, "snapshot_date": s.snapshot_date,
            "unused": s.unused, "terraform": s.terraform, "grants": grants, "policies": policies});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::from(EXIT_OK));
    }
    println!(
        "{} on {}: unused for {}+ days: {}",
        s.role_arn,
        s.snapshot_date,
        args.unused_days,
        if s.unused.is_empty() {
            "nothing".to_string()
        } else {
            s.unused.join(", ")
        }
    );
    if let Some(t) = &s.terraform {
        println!("managed by Terraform: {} in {}", t.address, t.state);
    }
    for (u, g) in s.unused.iter().zip(&s.grants) {
        if let Some(g) = g {
            let at = match (&g.terraform_address, &g.terraform_state) {
                (Some(a), Some(st)) => format!(" → {a} in {st}"),
                _ => String::new(),
            };
            println!("  {u}: granted by {} {}{at}", g.policy, g.statement);
        }
    }
    println!("Suggestion only: nothing is applied. Review each change with the owner team.\n");
    for p in &s.policies {
        if p.diff.is_empty() && p.notes.is_empty() {
            println!("{} ({}): no change", p.policy_id, p.kind);
            continue;
        }
        if let Some(t) = &p.terraform {
            println!("{}: edit {} in {}", p.policy_id, t.address, t.state);
        }
        if p.kind == "aws_managed" && !p.diff.is_empty() {
            println!(
                "{}: an AWS managed policy cannot be edited; replace it with a customer managed policy like this:",
                p.policy_id
            );
        }
        print!("{}", p.diff);
        for n in &p.notes {
            println!("note: {}: {n}", p.policy_id);
        }
        println!();
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
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
    // Snapshots are quick; the bar counts days analyzed.
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} days · {msg}",
        )
        .expect("static template is valid"),
    );
    // The fixture series may ship sample owners and reviews files.
    let mut options = args.analyze.clone();
    for (slot, name) in [
        (&mut options.owners, "owners.csv"),
        (&mut options.reviews, "reviews.csv"),
        (&mut options.owners_config, "owners.toml"),
    ] {
        if slot.is_none() && dir.join(name).is_file() {
            *slot = Some(dir.join(name));
        }
    }
    // ...and the Terraform states that made some of its roles.
    if options.terraform_state.is_empty() && dir.join("terraform").is_dir() {
        options
            .terraform_state
            .push(analyze::terraform::StateSource::Local(
                dir.join("terraform"),
            ));
    }
    // Without other delivery, alerts are routed to one JSON-lines file per
    // team beside the lake.
    let alerts_dir = {
        let name = args
            .lake
            .file_name()
            .map_or_else(|| "lake".into(), |n| n.to_string_lossy().into_owned());
        let parent = args
            .lake
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::path::absolute(parent.join(format!("{name}-alerts")))?
    };
    let routes_file = tempfile::NamedTempFile::new()?;
    if options.routes.is_none() && options.alerts_out.is_none() && options.webhook.is_none() {
        std::fs::write(
            routes_file.path(),
            format!(
                "[[destination]]\nname = \"files\"\nkind = \"file\"\ndir = {}\n\n[[route]]\nteam = \"*\"\nto = [\"files\"]\n",
                toml_string(&alerts_dir.display().to_string())
            ),
        )?;
        options.routes = Some(routes_file.path().to_path_buf());
    }
    let routed_to_files = options.routes.as_deref() == Some(routes_file.path());
    let mut last = None;
    for date in &index.days {
        bar.set_message(date.to_string());
        let cfg = SnapshotConfig {
            source: SourceSpec::Fixtures(dir.clone()),
            lake: Lake::Local(args.lake.clone()),
            date: *date,
            sensitive_actions: resolved.sensitive_actions.clone(),
            owner_tag_keys: resolved.owner_tag_keys.clone(),
            progress: false,
            shard: None,
            aws: Default::default(),
            simulator: Default::default(),
            guard: Default::default(),
        };
        let outcome = snapshot::run(&cfg).with_context(|| format!("snapshot of {date} failed"))?;
        last = Some(outcome);
    }
    let mut last_analysis = None;
    for date in &index.days {
        bar.set_message(format!("analyze {date}"));
        let cfg = analyze_config(&Lake::Local(args.lake.clone()), *date, &options);
        last_analysis =
            Some(analyze::run(&cfg).with_context(|| format!("analyze of {date} failed"))?);
        bar.inc(1);
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
        if let Some(outcome) = &last_analysis {
            print!(
                "{}",
                analyze::summary_text(outcome.manifest.snapshot_date, outcome, &args.lake)
            );
        }
        if routed_to_files {
            println!(
                "alerts per team (new items, once): {}/<team>.jsonl",
                alerts_dir.display()
            );
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
        skip_days: args.skip_days,
        seed: args.seed,
        start_date: args.start_date,
        out: args.out.clone(),
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(
            u64::from(args.days.saturating_sub(args.skip_days)) * u64::from(args.accounts),
        )
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
    use crate::simulate;
    let print = |text: String, json: serde_json::Value| {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).expect("values serialize")
            );
        } else {
            print!("{text}");
        }
    };
    if let (Some(lake), Some(date), Some(role)) = (&args.lake, args.date, &args.role) {
        let a = &args.lake_access;
        let lake = open_lake(lake, a.profile.clone(), a.region.clone(), &a.s3)?;
        let e = simulate::explain_role(&lake, date, role)?;
        print(simulate::explain_stored(&e), serde_json::to_value(&e)?);
        return Ok(ExitCode::from(EXIT_OK));
    }
    let decision = match &args.request {
        Some(path) => simulate::from_request_file(path)?,
        None => simulate::from_short_form(&simulate::ShortForm {
            policies: args.policy.clone(),
            boundary: args.boundary.clone(),
            scps: args.scp.clone(),
            action: args.action.clone().unwrap_or_default(),
            resource: args.resource.clone(),
            context: args.context.clone(),
            principal_arn: args.principal_arn.clone(),
        })?,
    };
    print(
        simulate::explain(&decision),
        serde_json::to_value(&decision)?,
    );
    Ok(ExitCode::from(EXIT_OK))
}

/// 0 when the sample agrees with AWS (expected differences allowed), 1 when
/// any decision disagrees or a sampled role could not be checked.
fn verify_simulator_cmd(args: VerifySimulatorArgs) -> anyhow::Result<ExitCode> {
    let aws = args.aws.to_config();
    // Every setting is checked before the lake's first S3 call.
    aws.validate()?;
    let c = &args.aws;
    let lake = open_lake(&args.lake, c.profile.clone(), c.region.clone(), &args.s3)?;
    let cfg = crate::parity::VerifyConfig {
        lake,
        date: args.date,
        sample: args.sample as usize,
        seed: args.seed,
        aws,
    };
    let report = crate::parity::run(&cfg).with_context(|| {
        format!(
            "verify-simulator on the snapshot of {} in {}",
            args.date, args.lake
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", crate::parity::render_text(&report));
    }
    Ok(ExitCode::from(report.exit_code()))
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

/// `check-plan` has its own exit codes (0 pass, 1 violations, 2 error), so a
/// CI job can tell "risky change" from "the check could not run".
fn check_plan_cmd(args: CheckPlanArgs) -> ExitCode {
    match check_plan_inner(&args) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(crate::plan::EXIT_ERROR)
        }
    }
}

fn check_plan_inner(args: &CheckPlanArgs) -> anyhow::Result<u8> {
    use crate::cli::PlanFormat;
    use crate::plan::{ManagedPolicies, Overrides, PlanCheckConfig};
    let resolved = args.common.resolve()?;
    let today = args
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut cfg = PlanCheckConfig::new(resolved.sensitive_actions, today);
    cfg.fail_on_conditional = args.fail_on_conditional;
    cfg.check_all = args.all;
    cfg.author = args.author.clone();
    let overrides = match &args.overrides {
        Some(p) => Overrides::load(p)?,
        None => Overrides::empty(),
    };
    let mut managed = ManagedPolicies::bundled()?;
    let plan = crate::plan::read_plan_file(&args.plan)?;
    let report = match &args.lake {
        Some(lake) => {
            let a = &args.lake_access;
            let lake = open_lake(lake, a.profile.clone(), a.region.clone(), &a.s3)?;
            managed.overlay_lake(&lake, args.lake_date)?;
            let in_plan = crate::plan::plan_accounts(&plan, &args.plan)?;
            match crate::plan::Deployed::choose_account(
                args.account.as_deref(),
                &in_plan,
                &lake,
                args.lake_date,
            )? {
                Some(account) => {
                    let deployed = crate::plan::Deployed::load(&lake, args.lake_date, &account)?;
                    crate::plan::check_plan_deployed(
                        &plan, &args.plan, &managed, &overrides, &cfg, &deployed,
                    )?
                }
                // Nothing tells the account: the lake still gives managed policy documents,
                // and the report says what is missing.
                None => {
                    let mut report =
                        crate::plan::check_plan(&plan, &args.plan, &managed, &overrides, &cfg)?;
                    report.unknowns.push(crate::plan::Unknown {
                        address: args.plan.display().to_string(),
                        what: "account".into(),
                        reason: format!(
                            "no ARN in the plan names its account and lake {} has several: roles outside the plan are judged without their deployed policies and SCPs; pass --account",
                            lake.label().display()
                        ),
                    });
                    report
                }
            }
        }
        None => crate::plan::check_plan(&plan, &args.plan, &managed, &overrides, &cfg)?,
    };
    match args.format {
        PlanFormat::Text => print!("{}", report.render_text()),
        PlanFormat::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        PlanFormat::Conftest => {
            println!("{}", serde_json::to_string_pretty(&report.to_conftest())?)
        }
        PlanFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(
                &report.to_sarif_with_fallback(Some(&args.sarif_location))
            )?
        ),
    }
    Ok(report.exit_code())
}

fn sql_cmd(args: SqlArgs) -> anyhow::Result<ExitCode> {
    use crate::sql::{self, Dialect};
    let dialect = Dialect::from_name(&args.dialect).expect("clap restricts the values");
    sql::check_location(&args.location)
        .map_err(|m| anyhow::anyhow!("--location {}: {m}", args.location))?;
    let files = sql::files(dialect, &args.location);
    match &args.out {
        None => {
            for (_, content) in files {
                print!("{content}");
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            for (name, content) in files {
                let path = dir.join(name);
                std::fs::write(&path, content)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                println!("wrote {}", path.display());
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn report_cmd(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let a = &args.access;
    let lake = open_lake(&args.lake, a.profile.clone(), a.region.clone(), &a.s3)?;
    let cfg = crate::report::ReportConfig {
        lake,
        date: args.date,
    };
    let date = crate::report::write(&cfg, &args.out)
        .with_context(|| format!("report from {} failed", args.lake))?;
    println!("wrote {} (report for {date})", args.out.display());
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, name: Option<&str>, ok: bool) -> AccountEntry {
        AccountEntry {
            account_id: id.into(),
            account_name: name.map(str::to_string),
            ou_path: None,
            org_id: None,
            status: if ok { "ok" } else { "failed" }.into(),
            reason: (!ok).then(|| "AssumeRole: denied".to_string()),
            roles: 0,
            roles_without_last_accessed: 0,
        }
    }

    #[test]
    fn summary_names_failed_accounts_instead_of_counting_them_as_collected() {
        let all_ok = [entry("111122223333", Some("prod"), true)];
        assert_eq!(accounts_summary(&all_ok), "1 accounts");
        let mixed = [
            entry("111122223333", Some("prod"), true),
            entry("222233334444", Some("staging"), false),
            entry("333344445555", None, true),
            entry("444455556666", None, true),
        ];
        assert_eq!(
            accounts_summary(&mixed),
            r#"3 of 4 accounts collected (1 failed: 222233334444 "staging")"#
        );
        let many: Vec<AccountEntry> = (0..7)
            .map(|i| entry(&format!("10000000000{i}"), None, false))
            .collect();
        assert_eq!(
            accounts_summary(&many),
            "0 of 7 accounts collected (7 failed: 100000000000, 100000000001, 100000000002, 100000000003, 100000000004, … 2 more)"
        );
    }
}
