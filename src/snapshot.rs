//! `iamlake snapshot`: reads every account of the organization from a source,
//! evaluates each role's sensitive actions locally, and writes one date's
//! partition of the snapshot tables, one account at a time.

use crate::eval::{self, Context, Policy, PolicySet, RequestFacts};
use crate::lake::LakeError;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::{AccountEntry, Manifest};
use crate::lake::writer::PartitionWriter;
use crate::model::credentials::{self, CredentialRow};
use crate::model::last_accessed::{self, LastAccessedRow};
use crate::model::policy_lints::{self, PolicyLintRow};
use crate::model::principal::{PrincipalIds, PrincipalType};
use crate::model::role_policies::{self, PolicyKind, RolePolicyRow};
use crate::model::roles::{self, RoleRow};
use crate::model::scps::{self, ScpRow};
use crate::model::simulations::{self, MatchedStatementRow, SimulationRow};
use crate::model::users::{self, UserRow};
use crate::model::{SCHEMA_VERSION, SNAPSHOT_TABLES};
use crate::source::aws::simulator::ApiVerdict;
use crate::source::aws_json::{ManagedPolicyDetail, RoleDetail};
use crate::source::fixtures::{AccountData, AccountInfo};
use crate::source::role_list::RoleList;
use crate::source::{FixtureSource, SourceError, SourceSpec, policy_doc};
use arrow::record_batch::RecordBatch;
use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod cpu_time;
pub mod guard;
mod in_order;
mod lints;
mod trust;
mod user_eval;

/// A validated snapshot request.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// Where roles come from.
    pub source: SourceSpec,
    /// The lake: a folder (created if missing) or an opened S3 prefix.
    pub lake: crate::lake::Lake,
    /// The partition date.
    pub date: NaiveDate,
    /// Actions asked about for every role, on any resource.
    pub sensitive_actions: Vec<String>,
    /// Tag keys naming a role's owner team, in order.
    pub owner_tag_keys: Vec<String>,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Collect only this shard's accounts (`--shard K/N`).
    pub shard: Option<crate::lake::shard::Shard>,
    /// Live collection settings, used when `source` is `aws`.
    pub aws: crate::source::aws::AwsConfig,
    /// Who decides the `simulations` rows.
    pub simulator: Simulator,
    /// Whether a run with failed accounts may replace what the lake holds
    /// (`--min-accounts-ok`, `--allow-partial`).
    pub guard: guard::Guard,
}

/// Who decides the `simulations` rows (`--simulator`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Simulator {
    /// The local evaluator (src/eval): no API call.
    #[default]
    Local,
    /// AWS's policy simulator, `iam:SimulatePrincipalPolicy` (parity mode,
    /// `--source aws` only; see docs/EVALUATION.md).
    Aws,
}

impl Simulator {
    /// The name recorded in the manifest's `inputs.simulator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Simulator::Local => "local",
            Simulator::Aws => "aws",
        }
    }
}

/// AWS's decisions by role ARN (parity mode).
type ApiDecisions = HashMap<String, Vec<crate::source::aws::simulator::ApiDecision>>;

/// What can stop a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// A policy document does not parse as an IAM policy.
    #[error("{}: role {role}: policy {policy}: {source}", path.display())]
    Policy {
        path: PathBuf,
        role: String,
        policy: String,
        #[source]
        source: Box<eval::PolicyError>,
    },
    /// An SCP or RCP does not parse as a policy.
    #[error("{}: {kind} {scp}: {source}", path.display())]
    Scp {
        path: PathBuf,
        /// `SCP` or `RCP`.
        kind: &'static str,
        scp: String,
        #[source]
        source: Box<eval::PolicyError>,
    },
    /// A role references a managed policy the account's file does not hold.
    #[error(
        "{}: role {role}: {what} {policy_arn} is not in the file's Policies list (get-account-authorization-details lists every attached policy, AWS managed ones included)",
        path.display()
    )]
    MissingManagedPolicy {
        path: PathBuf,
        role: String,
        what: &'static str,
        policy_arn: String,
    },
    /// A user's policy is unusable: undecodable, not a policy, or a managed
    /// policy the file does not hold.
    #[error("{}: user {user}: {what}: {message}", path.display())]
    User {
        path: PathBuf,
        user: String,
        what: String,
        message: String,
    },
    /// Live collection could not start or run (configuration, credentials,
    /// listing the organization).
    #[error("live collection: {0}")]
    Live(String),
    /// `--simulator aws` asks AWS about live roles; fixtures have none.
    #[error(
        "--simulator aws needs --source aws (AWS's simulator evaluates the live roles; fixture roles do not exist in AWS)"
    )]
    SimulatorNeedsAws,
    /// Parity mode: AWS gave no decisions for a collected role (a bug).
    #[error("account {account_id}: role {role_arn}: no decision from iam:SimulatePrincipalPolicy")]
    MissingApiDecisions {
        account_id: String,
        role_arn: String,
    },
    /// Too few accounts were collected to publish (see [`guard`]);
    /// nothing was written.
    #[error("{}", .0.decision.refusal_message(.0.date))]
    Refused(Box<Refusal>),
    /// The lake path is unusable.
    #[error("lake {}: {message}", path.display())]
    LakePath { path: PathBuf, message: String },
    /// Building a record batch failed (a bug: rows and schema disagree).
    #[error("account {account_id}: building {table} rows: {source}")]
    Arrow {
        account_id: String,
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
    /// The thread writing an account's rows stopped; its own error is the
    /// one reported (this one is only what the evaluating side sees).
    #[error("account {account_id}: the lake writer stopped")]
    WriterStopped { account_id: String },
}

/// A run the publish guard refused: the lake is as it was before the run.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub date: NaiveDate,
    /// The decision and its numbers.
    pub decision: guard::Decision,
    /// The accounts that could not be collected (name, OU path, reason).
    pub failed: Vec<AccountEntry>,
}

/// What a snapshot did, for the terminal summary.
#[derive(Debug, Clone)]
pub struct SnapshotOutcome {
    pub manifest: Manifest,
    /// Per sensitive action: how many roles are allowed it.
    pub risky: BTreeMap<String, RiskyCounts>,
}

/// Roles allowed one sensitive action, for the terminal summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskyCounts {
    /// On any resource (`decision`): allowed, conditionally allowed.
    pub on_any: (u64, u64),
    /// At `account` breadth or wider (`breadth`, what makes a role risky):
    /// allowed, conditionally allowed.
    pub account_or_wider: (u64, u64),
}

/// Accumulates the accounts of one run into the partition writer.
struct Run<'c> {
    cfg: &'c SnapshotConfig,
    writer: PartitionWriter,
    started_at: chrono::DateTime<Utc>,
    snapshot_id: String,
    accounts: Vec<AccountEntry>,
    risky: BTreeMap<String, RiskyCounts>,
    roles: u64,
    /// Users' decisions (their evaluation time is in `evaluation` too).
    user_decisions: u64,
    evaluation: std::time::Duration,
    metrics: BTreeMap<String, f64>,
}

impl<'c> Run<'c> {
    fn start(cfg: &'c SnapshotConfig) -> Result<Run<'c>, SnapshotError> {
        let started_at = Utc::now();
        let snapshot_id = crate::lake::new_run_id(started_at);
        let writer = PartitionWriter::create_in(
            &cfg.lake,
            cfg.date,
            &snapshot_id,
            &SNAPSHOT_TABLES,
            cfg.shard,
        )?;
        Ok(Run {
            cfg,
            writer,
            started_at,
            snapshot_id,
            accounts: Vec::new(),
            risky: cfg
                .sensitive_actions
                .iter()
                .map(|a| (a.clone(), RiskyCounts::default()))
                .collect(),
            roles: 0,
            user_decisions: 0,
            evaluation: std::time::Duration::ZERO,
            metrics: BTreeMap::new(),
        })
    }

    /// Collects one account's rows and writes them, a chunk at a time: a
    /// chunk is written (and its rows dropped) on a thread of its own while
    /// the next one is evaluated.
    fn add(
        &mut self,
        account: &AccountInfo,
        data: &AccountData,
        org: &OrgPolicies,
        last_accessed: &LastAccessed,
        api: Option<&ApiDecisions>,
    ) -> Result<(), SnapshotError> {
        let cfg = self.cfg;
        let (mut roles, mut roles_without_last_accessed) = (0u64, 0u64);
        let Run {
            writer,
            risky,
            user_decisions,
            evaluation,
            ..
        } = self;
        let account_id = account.id.as_str();
        let lints = std::thread::scope(|scope| {
            // One chunk waits while another is written: memory stays at a
            // few chunks' rows.
            let (tx, rx) = std::sync::mpsc::sync_channel::<AccountRows>(1);
            // The writer turns the policies' lints into rows too, in the
            // rows' order (without the bundled model there are none).
            let writing = scope.spawn(move || -> Result<_, SnapshotError> {
                let mut linter = lints::Linter::new(account_id);
                for rows in rx {
                    linter.add(&rows.policies, &rows.policy_doc_lints);
                    write_account(writer, account_id, &rows)?;
                }
                Ok(linter.finish())
            });
            let collected =
                collect_account(last_accessed, account, data, org, cfg, &mut |mut rows| {
                    if let Some(api) = api {
                        // Parity mode: AWS's decisions replace the local evaluator's.
                        rows.simulations = api_simulation_rows(&rows.roles, api)?;
                        rows.evaluation = std::time::Duration::ZERO;
                        // AWS is asked about roles only: users get no decisions rather
                        // than local ones under a manifest that says `aws`.
                        rows.user_simulations.clear();
                    }
                    for sim in &rows.simulations {
                        // The sensitive actions are already keys: no copy of
                        // the action per decision.
                        if !risky.contains_key(&*sim.action) {
                            risky.insert(sim.action.to_string(), RiskyCounts::default());
                        }
                        let entry = risky.get_mut(&*sim.action).expect("inserted above");
                        match sim.decision {
                            "allowed" => entry.on_any.0 += 1,
                            "conditionally_allowed" => entry.on_any.1 += 1,
                            _ => {}
                        }
                        if matches!(sim.breadth, Some("any" | "account")) {
                            match sim.breadth_decision {
                                "allowed" => entry.account_or_wider.0 += 1,
                                "conditionally_allowed" => entry.account_or_wider.1 += 1,
                                _ => {}
                            }
                        }
                    }
                    roles += rows.roles.len() as u64;
                    roles_without_last_accessed += rows.roles_without_last_accessed;
                    *user_decisions += rows.user_simulations.len() as u64;
                    *evaluation += rows.evaluation;
                    tx.send(rows).map_err(|_| SnapshotError::WriterStopped {
                        account_id: account_id.to_string(),
                    })
                });
            drop(tx);
            let written = writing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            // The writer's error explains a send that failed.
            written.and_then(|lints| collected.map(|()| lints))
        })?;
        let rows = AccountRows {
            policy_lints: lints,
            ..AccountRows::default()
        };
        write_account(&mut self.writer, &account.id, &rows)?;
        self.roles += roles;
        self.accounts.push(AccountEntry {
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            ou_path: account.ou_path.clone(),
            org_id: account.org_id.clone(),
            status: "ok".into(),
            reason: None,
            roles,
            roles_without_last_accessed,
        });
        Ok(())
    }

    /// Records an account that could not be collected.
    fn failed(&mut self, failure: &crate::source::aws::AccountFailure) {
        self.accounts.push(AccountEntry {
            account_id: failure.account_id.clone(),
            account_name: failure.account_name.clone(),
            ou_path: failure.ou_path.clone(),
            org_id: None,
            status: "failed".into(),
            reason: Some(format!("{}: {}", failure.stage, failure.message)),
            roles: 0,
            roles_without_last_accessed: 0,
        });
    }

    /// Publishes the partition; `partial` when any account failed, unless
    /// the guard refuses the run (then nothing is published, and dropping
    /// the writer removes its staged files).
    fn finish(mut self) -> Result<SnapshotOutcome, SnapshotError> {
        let cfg = self.cfg;
        self.accounts
            .sort_by(|a, b| a.account_id.cmp(&b.account_id));
        self.check_guard()?;
        let status = if self.accounts.iter().any(|a| a.status != "ok") {
            "partial"
        } else {
            "complete"
        };
        self.metrics.insert(
            "decisions".to_string(),
            (self.roles * cfg.sensitive_actions.len() as u64 + self.user_decisions) as f64,
        );
        self.metrics.insert(
            "evaluation_seconds".to_string(),
            self.evaluation.as_secs_f64(),
        );
        let (accounts, metrics) = (self.accounts, self.metrics);
        let (snapshot_id, started_at) = (self.snapshot_id, self.started_at);
        let manifest = self.writer.publish(|tables| Manifest {
            tool: "iamlake".into(),
            kind: ManifestKind::Snapshot.as_str().into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: SCHEMA_VERSION,
            snapshot_id,
            snapshot_date: cfg.date,
            source: cfg.source.to_string(),
            started_at,
            finished_at: Utc::now(),
            status: status.into(),
            sensitive_actions: cfg.sensitive_actions.clone(),
            tables,
            metrics,
            accounts,
            inputs: BTreeMap::from([("simulator".to_string(), cfg.simulator.as_str().to_string())]),
            shard: None,
        })?;
        Ok(SnapshotOutcome {
            manifest,
            risky: self.risky,
        })
    }

    /// Applies the publish guard to a run with failed accounts. The lake is
    /// read (the previous complete snapshot) only when an account failed.
    fn check_guard(&self) -> Result<(), SnapshotError> {
        let cfg = self.cfg;
        let attempted = self.accounts.len() as u64;
        let ok = self.accounts.iter().filter(|a| a.status == "ok").count() as u64;
        if cfg.guard.allow_partial || ok == attempted {
            return Ok(());
        }
        let baseline = match previous_complete(&cfg.lake, cfg.date, cfg.shard)? {
            Some((date, accounts_ok)) => guard::Baseline::Previous { date, accounts_ok },
            None => guard::Baseline::Attempted(attempted),
        };
        let decision = guard::decide(ok, attempted, baseline, cfg.guard);
        if decision.refused.is_none() {
            return Ok(());
        }
        Err(SnapshotError::Refused(Box::new(Refusal {
            date: cfg.date,
            decision,
            failed: self
                .accounts
                .iter()
                .filter(|a| a.status != "ok")
                .cloned()
                .collect(),
        })))
    }
}

/// The latest snapshot before `date` whose status is `complete`, and how
/// many of its accounts (of `shard`'s, for a shard) were collected.
fn previous_complete(
    lake: &crate::lake::Lake,
    date: NaiveDate,
    shard: Option<crate::lake::shard::Shard>,
) -> Result<Option<(NaiveDate, u64)>, SnapshotError> {
    let dates = lake.complete_dates(ManifestKind::Snapshot)?;
    for earlier in dates.into_iter().rev().filter(|d| *d < date) {
        let Some(m) = lake.read_manifest(ManifestKind::Snapshot, earlier)? else {
            continue;
        };
        if m.status != "complete" {
            continue;
        }
        let ok = m
            .accounts
            .iter()
            .filter(|a| a.status == "ok" && shard.is_none_or(|s| s.contains(&a.account_id)))
            .count();
        return Ok(Some((earlier, ok as u64)));
    }
    Ok(None)
}

/// Runs a snapshot.
pub fn run(cfg: &SnapshotConfig) -> Result<SnapshotOutcome, SnapshotError> {
    match &cfg.source {
        SourceSpec::Fixtures(_) if cfg.simulator == Simulator::Aws => {
            Err(SnapshotError::SimulatorNeedsAws)
        }
        SourceSpec::Fixtures(dir) => run_fixtures(cfg, dir),
        SourceSpec::Aws => run_live(cfg),
    }
}

fn run_fixtures(cfg: &SnapshotConfig, dir: &Path) -> Result<SnapshotOutcome, SnapshotError> {
    // Validate everything cheap before the first write.
    let source = FixtureSource::open(dir, cfg.date)?;
    check_lake_path(&cfg.lake)?;
    let accounts: Vec<AccountInfo> = source
        .organization()?
        .into_iter()
        .filter(|a| cfg.shard.is_none_or(|s| s.contains(&a.id)))
        .collect();
    std::thread::scope(|scope| -> Result<SnapshotOutcome, SnapshotError> {
        // The service model is decompressed and indexed beside the first
        // account's load rather than after it, when the first role asks:
        // both are serial work before the cores have roles to evaluate
        // (about 20 ms of a 0.9 s run on 20,000 roles). A model that does
        // not load is reported where it is first used, as before.
        //
        // It runs below the account's load, as the evaluators do: the load's
        // index is serial and the longest step before the first role, and
        // sharing two cores three ways (model, index, roles.json) held it
        // back.
        scope.spawn(|| {
            crate::priority::lower_this_thread();
            eval::ServiceModel::try_bundled().is_ok()
        });
        // The next account's files are read and indexed on a thread of
        // their own while this one is evaluated: reading is serial work
        // that would otherwise leave the cores idle between accounts (on
        // 50 accounts of 2,000 roles, about a fifth of the run). At most
        // two accounts are in memory; errors still come in account order.
        let load = |account: &AccountInfo| {
            let (source, id) = (&source, account.id.clone());
            scope.spawn(move || source.account(&id))
        };
        // The first account loads while the SCPs compile and the partition's
        // files are created (it only reads): its load is the longest serial
        // step of a run, and SCP errors still come first.
        let mut next = accounts.first().map(load);
        let org_policies = compile_org_policies(&accounts)?;
        let mut run = Run::start(cfg)?;
        let bar = progress_bar(cfg.progress, accounts.len() as u64);
        for (i, (account, levels)) in accounts.iter().zip(&org_policies).enumerate() {
            bar.set_message(format!("account {} · {} roles", account.id, run.roles));
            let loading = next.take().expect("each account is loaded before its turn");
            let data = loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            next = accounts.get(i + 1).map(load);
            run.add(
                account,
                &data,
                levels,
                &LastAccessed::Fixtures(&source),
                None,
            )?;
            drop_later(data);
            bar.inc(1);
        }
        bar.finish_and_clear();
        run.finish()
    })
}

/// Live collection: accounts arrive as the collector finishes them (one in
/// memory at a time); an account that fails is recorded, never fatal.
fn run_live(cfg: &SnapshotConfig) -> Result<SnapshotOutcome, SnapshotError> {
    use crate::source::aws;
    let mut aws_cfg = cfg.aws.clone();
    if let Some(shard) = cfg.shard
        && let Some(list) = &mut aws_cfg.accounts
    {
        list.retain(|a| shard.contains(a));
    }
    if cfg.simulator == Simulator::Aws {
        aws_cfg.simulate_actions = Some(cfg.sensitive_actions.clone());
    }
    aws_cfg
        .validate()
        .map_err(|e| SnapshotError::Live(e.to_string()))?;
    check_lake_path(&cfg.lake)?;
    let mut run = Run::start(cfg)?;
    let bar = progress_bar(cfg.progress, 0);
    let progress_bar = bar.clone();
    let on_progress: aws::ProgressFn = std::sync::Arc::new(move |p: aws::Progress| {
        progress_bar.set_length(p.accounts_total);
        progress_bar.set_position(p.accounts_done);
        progress_bar.set_message(format!(
            "{} roles · {} Access Advisor jobs pending · {} API calls · {} throttled",
            p.roles, p.jobs_pending, p.api_calls, p.throttles
        ));
    });
    let mut first_error: Option<SnapshotError> = None;
    let shard = cfg.shard;
    let summary = aws::run_blocking(aws_cfg, Some(on_progress), |result| {
        if first_error.is_some() {
            return;
        }
        match result {
            Ok(live) => {
                if shard.is_some_and(|s| !s.contains(&live.account.id)) {
                    return;
                }
                let account = AccountInfo {
                    id: live.account.id.clone(),
                    name: live.account.name.clone(),
                    ou_path: live.ou_path.clone(),
                    management: live.management,
                    scp_levels: live_levels(&live.scp_levels, "scp"),
                    rcp_levels: crate::source::fixtures::complete_rcp_levels(live_levels(
                        &live.rcp_levels,
                        "rcp",
                    )),
                    org_id: live.org_id.clone(),
                };
                let (roles, details) = live.details.split_roles();
                let data = AccountData {
                    details,
                    roles: RoleList::Parsed(roles),
                    details_path: format!("aws:{}", live.account.id).into(),
                    listed: live.listed,
                    credentials: live.credentials,
                };
                let added =
                    compile_org_policies(std::slice::from_ref(&account)).and_then(|levels| {
                        run.add(
                            &account,
                            &data,
                            &levels[0],
                            &LastAccessed::Live(&live.last_accessed, &live.user_last_accessed),
                            live.api_decisions.as_ref(),
                        )
                    });
                if let Err(e) = added {
                    first_error = Some(e);
                }
            }
            Err(failure) => {
                if shard.is_none_or(|s| s.contains(&failure.account_id)) {
                    run.failed(&failure);
                }
            }
        }
    })
    .map_err(|e| SnapshotError::Live(e.to_string()))?;
    bar.finish_and_clear();
    if let Some(e) = first_error {
        return Err(e);
    }
    // Jobs that failed or timed out are counted, never dropped silently.
    for (op, counts) in &summary.api {
        run.metrics
            .insert(format!("api_calls:{op}"), counts.calls as f64);
        if counts.throttles > 0 {
            run.metrics
                .insert(format!("api_throttles:{op}"), counts.throttles as f64);
        }
    }
    if let Some(per_role) = summary.iam_calls_per_role {
        run.metrics
            .insert("iam_calls_per_role".to_string(), per_role);
    }
    if let Some(per_principal) = summary.iam_calls_per_principal {
        run.metrics
            .insert("iam_calls_per_principal".to_string(), per_principal);
    }
    run.finish()
}

fn check_lake_path(lake: &crate::lake::Lake) -> Result<(), SnapshotError> {
    // An S3 lake was checked when it was opened.
    let crate::lake::Lake::Local(lake) = lake else {
        return Ok(());
    };
    if lake.exists() && !lake.is_dir() {
        return Err(SnapshotError::LakePath {
            path: lake.to_path_buf(),
            message: "exists and is not a folder".into(),
        });
    }
    std::fs::create_dir_all(lake).map_err(|e| SnapshotError::LakePath {
        path: lake.to_path_buf(),
        message: format!("cannot create: {e}"),
    })
}

fn progress_bar(enabled: bool, len: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    // indicatif draws to stderr and hides itself when stderr is not a
    // terminal, so batch logs stay clean.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} accounts · {msg}",
        )
        .expect("static template is valid"),
    );
    bar
}

/// The live collector's SCP or RCP levels as the fixtures reader gives them;
/// `kind` names where a policy came from in error messages (`aws:rcp/p-…`).
fn live_levels(
    levels: &[Vec<crate::source::aws::LiveScp>],
    kind: &str,
) -> Vec<Vec<crate::source::fixtures::Scp>> {
    levels
        .iter()
        .map(|level| {
            level
                .iter()
                .map(|p| crate::source::fixtures::Scp {
                    id: p.id.clone(),
                    document: p.document.clone(),
                    file: format!("aws:{kind}/{}", p.id).into(),
                })
                .collect()
        })
        .collect()
}

/// What the organization says of an account, ready to evaluate with: its
/// policies, compiled (the SCPs gate what its principals may do, the RCPs
/// what may be done to its resources), and what is known of every request
/// of its principals.
#[derive(Debug)]
pub(crate) struct OrgPolicies {
    /// SCP levels, root first.
    pub(crate) scp_levels: Vec<Vec<Policy>>,
    /// RCP levels over the account's resources, root first.
    pub(crate) rcp_levels: Vec<Vec<Policy>>,
    /// Shared by the contexts of the account's roles and users.
    pub(crate) facts: RequestFacts,
}

/// Each account's SCPs and RCPs, compiled, and its request facts; the first
/// policy that does not parse is an error naming its file and id.
fn compile_org_policies(accounts: &[AccountInfo]) -> Result<Vec<OrgPolicies>, SnapshotError> {
    let compile = |levels: &[Vec<crate::source::fixtures::Scp>], kind: &'static str| {
        levels
            .iter()
            .map(|level| {
                level
                    .iter()
                    .map(|p| {
                        Policy::parse(p.id.clone(), &p.document).map_err(|source| {
                            SnapshotError::Scp {
                                path: p.file.clone(),
                                kind,
                                scp: p.id.clone(),
                                source: Box::new(source),
                            }
                        })
                    })
                    .collect::<Result<Vec<Policy>, SnapshotError>>()
            })
            .collect::<Result<Vec<_>, SnapshotError>>()
    };
    accounts
        .iter()
        .map(|a| {
            Ok(OrgPolicies {
                scp_levels: compile(&a.scp_levels, "SCP")?,
                rcp_levels: compile(&a.rcp_levels, "RCP")?,
                facts: RequestFacts::new(a.org_id.as_deref()),
            })
        })
        .collect()
}

/// One account's rows of every table.
#[derive(Debug, Default)]
struct AccountRows {
    roles: Vec<RoleRow>,
    policies: Vec<RolePolicyRow>,
    /// The lints of each of `policies`' documents, in the same order (see
    /// [`NormalizedDoc::lints`]).
    policy_doc_lints: Vec<Option<Arc<[eval::DocumentLint]>>>,
    simulations: Vec<SimulationRow>,
    /// Built by each task (see [`last_accessed::Builder`]), in role order.
    last_accessed: Vec<RecordBatch>,
    scps: Vec<ScpRow>,
    rcps: Vec<ScpRow>,
    /// The account's credential report lines (none when it has no report).
    credentials: Vec<CredentialRow>,
    /// The account's IAM users (authorization details).
    users: Vec<UserRow>,
    /// Unknown actions and condition keys in the account's identity policies.
    policy_lints: Vec<PolicyLintRow>,
    /// Users' policies, decisions and Access Advisor rows (see
    /// [`user_eval`]): written to the same tables as roles', with
    /// `principal_type` user.
    user_policies: Vec<RolePolicyRow>,
    user_simulations: Vec<SimulationRow>,
    user_last_accessed: Vec<RecordBatch>,
    roles_without_last_accessed: u64,
    /// CPU time spent inside the evaluator (summed over threads), for the
    /// manifest's metrics.
    evaluation: std::time::Duration,
}

impl AccountRows {
    /// The parts' rows, in order, each table's allocated once at its full
    /// size: appending part after part to the first would grow (and copy)
    /// every table's vector several times per chunk, and the freed buffers
    /// of every size left behind are most of what the allocator holds (#13).
    fn concat(parts: Vec<AccountRows>) -> AccountRows {
        fn sized<T>(parts: &[AccountRows], table: impl Fn(&AccountRows) -> &Vec<T>) -> Vec<T> {
            Vec::with_capacity(parts.iter().map(|p| table(p).len()).sum())
        }
        let mut all = AccountRows {
            roles: sized(&parts, |p| &p.roles),
            policies: sized(&parts, |p| &p.policies),
            policy_doc_lints: sized(&parts, |p| &p.policy_doc_lints),
            simulations: sized(&parts, |p| &p.simulations),
            last_accessed: sized(&parts, |p| &p.last_accessed),
            ..AccountRows::default()
        };
        for part in parts {
            all.append(part);
        }
        all
    }

    /// Appends a role's `role_policies` row and its document's lints.
    fn push_policy(
        &mut self,
        who: &PrincipalIds,
        kind: PolicyKind,
        name: &str,
        arn: Option<&str>,
        version: Option<&str>,
        mut doc: NormalizedDoc,
    ) {
        self.policy_doc_lints.push(doc.lints.take());
        let row = policy_row(who, PrincipalType::Role, kind, name, arn, version, doc);
        self.policies.push(row);
    }

    /// Moves `other`'s rows after this one's.
    fn append(&mut self, mut other: AccountRows) {
        self.roles.append(&mut other.roles);
        self.policies.append(&mut other.policies);
        self.policy_doc_lints.append(&mut other.policy_doc_lints);
        self.simulations.append(&mut other.simulations);
        self.last_accessed.append(&mut other.last_accessed);
        self.scps.append(&mut other.scps);
        self.rcps.append(&mut other.rcps);
        self.credentials.append(&mut other.credentials);
        self.users.append(&mut other.users);
        self.policy_lints.append(&mut other.policy_lints);
        self.user_policies.append(&mut other.user_policies);
        self.user_simulations.append(&mut other.user_simulations);
        self.user_last_accessed
            .append(&mut other.user_last_accessed);
        self.roles_without_last_accessed += other.roles_without_last_accessed;
        self.evaluation += other.evaluation;
    }
}

fn write_account(
    writer: &mut PartitionWriter,
    account_id: &str,
    rows: &AccountRows,
) -> Result<(), SnapshotError> {
    let arrow_err = |table: &'static str| {
        move |source| SnapshotError::Arrow {
            account_id: account_id.to_string(),
            table,
            source,
        }
    };
    writer.write(
        roles::TABLE.name,
        &roles::to_batch(&rows.roles).map_err(arrow_err(roles::TABLE.name))?,
    )?;
    writer.write(
        role_policies::TABLE.name,
        &role_policies::to_batch(&rows.policies).map_err(arrow_err(role_policies::TABLE.name))?,
    )?;
    writer.write(
        simulations::TABLE.name,
        &simulations::to_batch(&rows.simulations).map_err(arrow_err(simulations::TABLE.name))?,
    )?;
    for batch in &rows.last_accessed {
        writer.write(last_accessed::TABLE.name, batch)?;
    }
    writer.write(
        scps::TABLE.name,
        &scps::to_batch(&scps::TABLE, &rows.scps).map_err(arrow_err(scps::TABLE.name))?,
    )?;
    writer.write(
        scps::RCP_TABLE.name,
        &scps::to_batch(&scps::RCP_TABLE, &rows.rcps).map_err(arrow_err(scps::RCP_TABLE.name))?,
    )?;
    writer.write(
        credentials::TABLE.name,
        &credentials::to_batch(&rows.credentials).map_err(arrow_err(credentials::TABLE.name))?,
    )?;
    writer.write(
        users::TABLE.name,
        &users::to_batch(&rows.users).map_err(arrow_err(users::TABLE.name))?,
    )?;
    writer.write(
        policy_lints::TABLE.name,
        &policy_lints::to_batch(&rows.policy_lints).map_err(arrow_err(policy_lints::TABLE.name))?,
    )?;
    user_eval::write_user_rows(writer, rows, &arrow_err)?;
    Ok(())
}

/// Where a role's Access Advisor data comes from.
enum LastAccessed<'a> {
    /// `<account>/last-accessed/<role>.json` (users:
    /// `last-accessed/users/<user>.json`) in a fixture folder.
    Fixtures(&'a FixtureSource),
    /// The live collector's job outcomes: roles', then users', by name.
    Live(&'a JobsByName, &'a JobsByName),
}

/// Access Advisor job outcomes by principal name.
type JobsByName = std::collections::HashMap<String, crate::source::aws::JobOutcome>;

/// One principal's Access Advisor data, or `Err(status)` naming why there
/// is none: `missing`, `failed`, `timed_out` (the `last_accessed_status`
/// values, counted in `roles_without_last_accessed`).
type Access<'d, 'a> =
    Result<&'d crate::source::aws_json::ServiceLastAccessedDetails<'a>, &'static str>;

impl LastAccessed<'_> {
    /// Hands `f` the Access Advisor data of the role or user `name` (see
    /// [`Access`]) and where it came from, for error messages.
    fn with<R>(
        &self,
        account_id: &str,
        name: &str,
        principal: PrincipalType,
        f: impl FnOnce(&Path, Access<'_, '_>) -> Result<R, SnapshotError>,
    ) -> Result<R, SnapshotError> {
        match self {
            LastAccessed::Fixtures(source) => {
                let path = match principal {
                    PrincipalType::Role => source.last_accessed_path(account_id, name),
                    PrincipalType::User => source.user_last_accessed_path(account_id, name),
                };
                source.with_last_accessed_at(&path, |details| {
                    // A FAILED job is what AWS answers for a job that could
                    // not run: the role's services are unknown that day,
                    // which the lake records rather than refusing the whole
                    // snapshot.
                    let details = match details {
                        None => Err("missing"),
                        Some(d) if d.job_status == "FAILED" => Err("failed"),
                        Some(d) => Ok(d),
                    };
                    f(&path, details)
                })?
            }
            LastAccessed::Live(roles, users) => {
                use crate::source::aws::JobOutcome;
                let (jobs, folder) = match principal {
                    PrincipalType::Role => (roles, "access-advisor"),
                    PrincipalType::User => (users, "access-advisor/users"),
                };
                let path = PathBuf::from(format!("aws:{account_id}/{folder}/{name}"));
                let details = match jobs.get(name) {
                    Some(JobOutcome::Completed(d)) => Ok(d),
                    Some(JobOutcome::Failed(_)) => Err("failed"),
                    Some(JobOutcome::TimedOut) => Err("timed_out"),
                    None => Err("missing"),
                };
                f(&path, details)
            }
        }
    }
}

/// Appends the Access Advisor rows of the role or user `who` (`name`) to
/// `access`, and returns its `last_accessed_status`: `ok`, or why it has no
/// data (see [`Access`]).
fn collect_access(
    last_accessed: &LastAccessed,
    access: &mut last_accessed::Builder,
    who: &PrincipalIds,
    principal: PrincipalType,
) -> Result<&'static str, SnapshotError> {
    last_accessed.with(
        &who.account_id,
        &who.name,
        principal,
        |la_path, la| match la {
            Ok(details) => {
                access_rows(access, who, details, la_path)?;
                Ok("ok")
            }
            Err(status) => Ok(status),
        },
    )
}

/// Appends the `last_accessed` rows of one principal's completed Access
/// Advisor job. A job that is not COMPLETED holds no data: an error naming
/// where it came from.
fn access_rows<'d>(
    out: &mut last_accessed::Builder,
    who: &'d PrincipalIds,
    details: &'d crate::source::aws_json::ServiceLastAccessedDetails<'_>,
    la_path: &Path,
) -> Result<(), SnapshotError> {
    if details.job_status != "COMPLETED" {
        return Err(SourceError::Shape {
            path: la_path.to_path_buf(),
            field: "JobStatus".into(),
            message: format!(
                "is {:?}; only COMPLETED jobs hold data (re-export once the job is done)",
                details.job_status
            ),
        }
        .into());
    }
    // A service's row; its tracked actions' rows differ only where they say.
    let row = |svc: &'d crate::source::aws_json::ServiceLastAccessed<'_>| LastAccessedRow {
        service_namespace: &svc.service_namespace,
        service_name: svc.service_name.as_deref(),
        action_name: None,
        last_authenticated: None,
        last_authenticated_region: None,
        last_authenticated_entity: None,
        total_authenticated_entities: None,
    };
    for svc in &details.services_last_accessed {
        for act in &svc.tracked_actions_last_accessed {
            out.append(LastAccessedRow {
                action_name: Some(&act.action_name),
                last_authenticated: act.last_accessed_time.map(|t| t.micros()),
                last_authenticated_region: act.last_accessed_region.as_deref(),
                last_authenticated_entity: act.last_accessed_entity.as_deref(),
                ..row(svc)
            });
        }
        out.append(LastAccessedRow {
            last_authenticated: svc.last_authenticated.map(|t| t.micros()),
            last_authenticated_region: svc.last_authenticated_region.as_deref(),
            last_authenticated_entity: svc.last_authenticated_entity.as_deref(),
            total_authenticated_entities: svc.total_authenticated_entities,
            ..row(svc)
        });
    }
    out.end_owner(who, details.job_type.as_deref().unwrap_or("SERVICE_LEVEL"));
    Ok(())
}

/// The `last_accessed` batch of the rows appended to `access`.
fn finish_access(
    access: &mut last_accessed::Builder,
    account_id: &str,
) -> Result<RecordBatch, SnapshotError> {
    access.finish().map_err(|source| SnapshotError::Arrow {
        account_id: account_id.to_string(),
        table: last_accessed::TABLE.name,
        source,
    })
}

/// A managed policy of the account, decoded, normalized and compiled on first
/// use and shared by every role attaching it (profiling showed the per-role
/// clones and re-normalisation as the largest cost on big accounts).
struct Managed<'a> {
    detail: &'a ManagedPolicyDetail,
    /// The normalized document text and its statement count, as `role_policies` stores them.
    normalized: NormalizedDoc,
    policy: Policy,
}

/// A policy document as `role_policies` stores it, and its lints.
#[derive(Clone)]
struct NormalizedDoc {
    text: std::sync::Arc<str>,
    statement_count: i32,
    /// Its unknown actions and condition keys ([`eval::ServiceModel::lint_document`];
    /// `None` if there are none, or no bundled model), for `policy_lints` (see [`lints`]).
    /// Checked here, on the evaluating threads, from the document already
    /// decoded, rather than decoded again from its text on the thread that
    /// writes the lake: that was 2.5% of a 20,000-role snapshot's CPU (#13).
    lints: Option<Arc<[eval::DocumentLint]>>,
}

impl NormalizedDoc {
    fn of(doc: &Value) -> NormalizedDoc {
        NormalizedDoc {
            text: policy_doc::normalize(doc).into(),
            statement_count: policy_doc::statement_count(doc) as i32,
            lints: eval::ServiceModel::try_bundled()
                .ok()
                .map(|model| model.lint_document(doc))
                .filter(|lints| !lints.is_empty())
                .map(Arc::from),
        }
    }
}

/// Roles the lake's writer gets at once: [`CHUNK_TASKS`] tasks' rows, merged,
/// make one batch of each table. An account costs its managed policies plus
/// a few chunks in memory, however many roles it has (#13: a 20,000-role
/// account held every role and row at once). When each chunk was one
/// parallel pass, 256 was as fast as 512 and held about 10 MB less (128:
/// 8% slower; 1,024: 171 MB); with tasks flowing through the pool, windows
/// of 2 to 12 tasks ran within noise of each other.
const ROLE_CHUNK: usize = 256;

/// Roles per parallel task: each task reads and parses its roles' text,
/// evaluates them and builds their rows on one thread. Small enough to
/// balance the cores, large enough that merging the tasks' rows is cheap.
const ROLE_TASK: usize = 32;

/// Tasks per chunk.
const CHUNK_TASKS: usize = ROLE_CHUNK / ROLE_TASK;

/// Tasks started and not yet handed to the writer, at most: a chunk's worth,
/// so that the next chunk is evaluated while this one is merged and sent,
/// and memory stays at a few chunks' rows (see [`in_order::run`]).
const TASKS_IN_FLIGHT: usize = CHUNK_TASKS;

/// Collects one account's rows, handing them to `sink` in chunks: first the
/// SCPs and credentials, then the roles [`ROLE_CHUNK`] at a time in file
/// order, then the users (and their rows in the shared tables). An error
/// stops the account at the first failing role in file order, as a
/// sequential pass would.
fn collect_account(
    last_accessed: &LastAccessed,
    account: &AccountInfo,
    data: &AccountData,
    org: &OrgPolicies,
    cfg: &SnapshotConfig,
    sink: &mut dyn FnMut(AccountRows) -> Result<(), SnapshotError>,
) -> Result<(), SnapshotError> {
    // Most of an account's resource patterns name the account itself.
    eval::forget_shared_patterns();
    let managed = ManagedPolicies::new(&data.details.policies);
    let mut head = AccountRows {
        credentials: data
            .credentials
            .iter()
            .flatten()
            .map(|c| CredentialRow {
                account_id: account.id.clone(),
                account_name: account.name.clone(),
                ..c.clone()
            })
            .collect(),
        ..AccountRows::default()
    };
    // The SCPs and RCPs as evaluated, so check-plan can apply them from the lake.
    for (levels, rows) in [
        (&account.scp_levels, &mut head.scps),
        (&account.rcp_levels, &mut head.rcps),
    ] {
        for (level, policies) in levels.iter().enumerate() {
            for policy in policies {
                rows.push(ScpRow {
                    account_id: account.id.clone(),
                    level: i32::try_from(level).unwrap_or(i32::MAX),
                    policy_id: policy.id.clone(),
                    document: policy_doc::normalize(&policy.document),
                });
            }
        }
    }
    sink(head)?;

    let trusts = trust::Trusts::default();
    let cx = RoleCx {
        last_accessed,
        account,
        data,
        org,
        cfg,
        managed: &managed,
        trusts: &trusts,
        account_id: &Arc::from(account.id.as_str()),
        actions: &shared_actions(cfg),
    };
    let role_count = data.roles.len();
    let tasks = role_count.div_ceil(ROLE_TASK);
    let mut chunk: Vec<AccountRows> = Vec::with_capacity(CHUNK_TASKS);
    in_order::run(
        tasks,
        TASKS_IN_FLIGHT,
        |task| {
            let start = task * ROLE_TASK;
            cx.task(start..(start + ROLE_TASK).min(role_count))
        },
        |rows| {
            chunk.push(rows?);
            if chunk.len() == CHUNK_TASKS {
                sink(AccountRows::concat(std::mem::take(&mut chunk)))?;
            }
            Ok::<(), SnapshotError>(())
        },
    )?;
    if !chunk.is_empty() {
        sink(AccountRows::concat(chunk))?;
    }

    let mut tail = AccountRows {
        users: user_rows(account, &data.details, &cfg.owner_tag_keys),
        ..AccountRows::default()
    };
    user_eval::collect_users(&mut tail, &managed, last_accessed, account, data, org, cfg)?;
    let sent = sink(tail);
    drop_later(managed.into_compiled());
    sent
}

/// Drops `value` on a thread of its own, beside whatever comes next (the
/// next account, or publishing the partition). An account's compiled
/// policies are millions of small allocations: freeing them on this thread
/// was the last 20 ms of a 20,000-role snapshot, with every other core idle
/// (#13). A thread that cannot be started drops `value` here.
fn drop_later<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("iamlake-drop".into())
        .spawn(move || drop(value));
}

/// What every role of an account is evaluated against; shared read-only by
/// the threads of [`collect_account`].
struct RoleCx<'x, 'a> {
    last_accessed: &'x LastAccessed<'x>,
    account: &'x AccountInfo,
    data: &'a AccountData,
    org: &'x OrgPolicies,
    cfg: &'x SnapshotConfig,
    managed: &'x ManagedPolicies<'a>,
    trusts: &'x trust::Trusts,
    /// The account id and the sensitive actions, shared by the rows.
    account_id: &'x Arc<str>,
    actions: &'x [Arc<str>],
}

impl<'a> RoleCx<'_, 'a> {
    /// The compiled managed policy `arn` that `role` attaches (`what`),
    /// or why it does not compile, named for `role`.
    fn managed(
        &self,
        arn: &str,
        role: &RoleDetail,
        what: &'static str,
    ) -> Result<&Managed<'a>, SnapshotError> {
        self.managed.get(
            arn,
            &self.data.details_path,
            Who::Role(&role.role_name),
            what,
        )
    }

    /// The rows of the roles at positions `range`: read (from a fixture
    /// file) and parsed, then collected by [`RoleCx::collect_task`]. A role
    /// that does not parse fails the task after the roles before it.
    fn task(&self, range: std::ops::Range<usize>) -> Result<AccountRows, SnapshotError> {
        let chunk = self.data.roles.chunk(range)?;
        let mut out = AccountRows {
            roles: Vec::with_capacity(chunk.roles.len()),
            simulations: Vec::with_capacity(chunk.roles.len() * self.cfg.sensitive_actions.len()),
            ..AccountRows::default()
        };
        self.collect_task(&chunk.roles, &mut out)?;
        match chunk.error {
            Some(unparsed) => Err(unparsed.into()),
            None => Ok(out),
        }
    }

    /// Appends the rows of every table for a task's roles to `out`, in
    /// role order. The roles' policies are compiled first, then asked the
    /// sensitive actions one role after the other under one CPU clock
    /// (reading the thread clock around each role was a system call pair
    /// per role, and part of what `evaluation_seconds` counted), then their
    /// rows are built. Errors are still the first role's in file order: the
    /// roles before a role whose policies fail are finished first.
    fn collect_task<'r>(
        &self,
        task: &'r [std::borrow::Cow<'_, RoleDetail>],
        out: &mut AccountRows,
    ) -> Result<(), SnapshotError> {
        let mut ready: Vec<ReadyRole<'r>> = Vec::with_capacity(task.len());
        let mut failed = None;
        for role in task {
            match self.prepare_role(role.as_ref(), out) {
                Ok(r) => ready.push(r),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let decisions: Vec<Vec<eval::BreadthDecision>> =
            cpu_time::add_cpu_time(&mut out.evaluation, || {
                ready
                    .iter()
                    .map(|r| {
                        let set = r.policy_set(self.org);
                        decide_sensitive(self.cfg, &set, &r.context, &self.account.id)
                    })
                    .collect()
            });
        let mut access = last_accessed::Builder::new(PrincipalType::Role);
        for (r, d) in ready.into_iter().zip(decisions) {
            self.finish_role(r, d, &mut access, out)?;
        }
        // Built here, on the evaluating threads, rather than by the one
        // thread that writes the lake.
        out.last_accessed
            .push(finish_access(&mut access, &self.account.id)?);
        failed.map_or(Ok(()), Err)
    }

    /// Compiles one role's policies and appends its `role_policies` rows.
    fn prepare_role<'r>(
        &self,
        role: &'r RoleDetail,
        out: &mut AccountRows,
    ) -> Result<ReadyRole<'r>, SnapshotError> {
        let RoleCx { account, data, .. } = *self;
        let path = &data.details_path;
        let role_err = |what: String, message: String| SourceError::Role {
            path: path.clone(),
            role: role.role_name.clone(),
            what,
            message,
        };
        let trust = self
            .trusts
            .get(&role.assume_role_policy_document)
            .map_err(|m| role_err("AssumeRolePolicyDocument".into(), m))?;
        let ids = PrincipalIds::new(self.account_id, [&role.role_id, &role.role_name, &role.arn]);

        // Identity policies: inline first, then attached, in file order.
        let mut identity: Vec<Policy> = Vec::new();
        for inline in &role.role_policy_list {
            let doc = policy_doc::decode_text(&inline.policy_document)
                .map_err(|m| role_err(format!("inline policy {:?}", inline.policy_name), m))?;
            let id = format!("inline:{}", inline.policy_name);
            let policy = Policy::parse_unshared(id.clone(), &doc).map_err(|source| {
                SnapshotError::Policy {
                    path: path.clone(),
                    role: role.role_name.clone(),
                    policy: id,
                    source: Box::new(source),
                }
            })?;
            out.push_policy(
                &ids,
                PolicyKind::Inline,
                &inline.policy_name,
                None,
                None,
                NormalizedDoc::of(&doc),
            );
            identity.push(policy);
        }
        for attached in &role.attached_managed_policies {
            let m = self.managed(&attached.policy_arn, role, "attached policy")?;
            let kind = PolicyKind::of_attached(&attached.policy_arn);
            out.push_policy(
                &ids,
                kind,
                &m.detail.policy_name,
                Some(&attached.policy_arn),
                m.detail.default_version().map(|v| v.version_id.as_str()),
                m.normalized.clone(),
            );
            identity.push(m.policy.clone());
        }
        let boundary_arn = role
            .permissions_boundary
            .as_ref()
            .map(|b| b.permissions_boundary_arn.clone());
        let boundary = match &boundary_arn {
            Some(arn) => {
                let m = self.managed(arn, role, "permissions boundary")?;
                out.push_policy(
                    &ids,
                    PolicyKind::Boundary,
                    &m.detail.policy_name,
                    Some(arn),
                    m.detail.default_version().map(|v| v.version_id.as_str()),
                    m.normalized.clone(),
                );
                Some(m.policy.clone())
            }
            None => None,
        };

        Ok(ReadyRole {
            role,
            ids,
            trust,
            identity,
            boundary_arn,
            boundary,
            context: principal_context(account, role, &self.org.facts),
            scp_exempt: scp_exemption(account, role),
        })
    }

    /// Appends one role's other rows (decisions, Access Advisor, the role)
    /// to `out`, given its decisions on the sensitive actions.
    fn finish_role(
        &self,
        ready: ReadyRole<'_>,
        decisions: Vec<eval::BreadthDecision>,
        access: &mut last_accessed::Builder,
        out: &mut AccountRows,
    ) -> Result<(), SnapshotError> {
        let RoleCx {
            last_accessed,
            account,
            data,
            cfg,
            ..
        } = *self;
        let ReadyRole {
            role,
            ids,
            trust,
            boundary_arn,
            scp_exempt,
            ..
        } = ready;
        for (action, decision) in self.actions.iter().zip(decisions) {
            out.simulations.push(simulation_row(&ids, action, decision));
        }

        let last_accessed_status =
            collect_access(last_accessed, access, &ids, PrincipalType::Role)?;
        if last_accessed_status != "ok" {
            out.roles_without_last_accessed += 1;
        }

        let (description, max_session_duration) = data
            .listed
            .get(&role.role_id)
            .cloned()
            .unwrap_or((None, None));
        let tags: Vec<(String, String)> = role
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        out.roles.push(RoleRow {
            account_id: account.id.clone(),
            account_name: account.name.clone(),
            role_id: role.role_id.clone(),
            role_name: role.role_name.clone(),
            arn: role.arn.clone(),
            path: role.path.clone(),
            create_date: role.create_date.micros(),
            description,
            max_session_duration,
            permissions_boundary_arn: boundary_arn,
            trust_policy: trust.normalized.clone(),
            trusted_principals: trust.principals.clone(),
            owner_team: owner_from_tags(&tags, &cfg.owner_tag_keys),
            tags,
            last_used_at: role
                .role_last_used
                .as_ref()
                .and_then(|u| u.last_used_date)
                .map(|t| t.micros()),
            last_used_region: role.role_last_used.as_ref().and_then(|u| u.region.clone()),
            managed_policy_arns: role
                .attached_managed_policies
                .iter()
                .map(|p| p.policy_arn.clone())
                .collect(),
            inline_policy_names: role
                .role_policy_list
                .iter()
                .map(|p| p.policy_name.clone())
                .collect(),
            last_accessed_status: last_accessed_status.to_string(),
            scp_exempt,
        });
        Ok(())
    }
}

/// A role whose policies are compiled, waiting to be asked the sensitive
/// actions (see [`RoleCx::collect_task`]).
struct ReadyRole<'r> {
    role: &'r RoleDetail,
    /// The role as its rows name it.
    ids: PrincipalIds,
    /// The trust policy, for the `roles` row.
    trust: Arc<trust::Trust>,
    /// Inline policies, then attached managed ones, in file order.
    identity: Vec<Policy>,
    boundary_arn: Option<String>,
    boundary: Option<Policy>,
    context: Context,
    /// Why SCPs and RCPs do not apply to the role, if they do not.
    scp_exempt: Option<&'static str>,
}

impl ReadyRole<'_> {
    /// The policies that apply to the role: the account's SCP and RCP
    /// levels unless the role is exempt from them.
    fn policy_set<'s>(&'s self, org: &'s OrgPolicies) -> PolicySet<'s> {
        let exempt = self.scp_exempt.is_some();
        PolicySet {
            identity: &self.identity,
            boundary: self.boundary.as_ref(),
            scp_levels: if exempt { &[] } else { &org.scp_levels },
            rcp_levels: if exempt { &[] } else { &org.rcp_levels },
            ..PolicySet::default()
        }
    }
}

/// The account's users, each with what its groups carry.
fn user_rows(
    account: &AccountInfo,
    details: &crate::source::aws_json::DetailsWithoutRoles,
    owner_tag_keys: &[String],
) -> Vec<UserRow> {
    let groups: HashMap<&str, &crate::source::aws_json::GroupDetail> = details
        .group_detail_list
        .iter()
        .map(|g| (g.group_name.as_str(), g))
        .collect();
    details
        .user_detail_list
        .iter()
        .map(|u| {
            let tags: Vec<(String, String)> = u
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            let mine: Vec<&crate::source::aws_json::GroupDetail> = u
                .group_list
                .iter()
                .filter_map(|g| groups.get(g.as_str()).copied())
                .collect();
            let mut group_managed: Vec<String> = mine
                .iter()
                .flat_map(|g| g.attached_managed_policies.iter())
                .map(|p| p.policy_arn.clone())
                .collect();
            group_managed.sort();
            group_managed.dedup();
            UserRow {
                account_id: account.id.clone(),
                account_name: account.name.clone(),
                user_id: u.user_id.clone(),
                user_name: u.user_name.clone(),
                arn: u.arn.clone(),
                path: u.path.clone(),
                create_date: u.create_date.micros(),
                owner_team: owner_from_tags(&tags, owner_tag_keys),
                tags,
                groups: u.group_list.clone(),
                permissions_boundary_arn: u
                    .permissions_boundary
                    .as_ref()
                    .map(|b| b.permissions_boundary_arn.clone()),
                inline_policy_names: u
                    .user_policy_list
                    .iter()
                    .map(|p| p.policy_name.clone())
                    .collect(),
                managed_policy_arns: u
                    .attached_managed_policies
                    .iter()
                    .map(|p| p.policy_arn.clone())
                    .collect(),
                group_inline_policy_names: mine
                    .iter()
                    .flat_map(|g| {
                        g.group_policy_list
                            .iter()
                            .map(move |p| format!("{}/{}", g.group_name, p.policy_name))
                    })
                    .collect(),
                group_managed_policy_arns: group_managed,
                last_accessed_status: "missing".into(),
            }
        })
        .collect()
}

/// Whose policy is being read, for error messages.
#[derive(Debug, Clone, Copy)]
enum Who<'n> {
    Role(&'n str),
    User(&'n str),
}

/// An account's managed policies by ARN (its `Policies` list; a later entry
/// for the same ARN replaces an earlier one), each decoded, normalized and
/// compiled by whichever thread needs it first and then shared, or kept as
/// why it does not compile. Compiling on first use lets a chunk's roles be
/// evaluated in one parallel pass, with no pass compiling their new policies
/// first.
struct ManagedPolicies<'a> {
    by_arn: HashMap<&'a str, Lazy<'a>>,
}

/// One managed policy of [`ManagedPolicies`], compiled at most once.
struct Lazy<'a> {
    detail: &'a ManagedPolicyDetail,
    compiled: std::sync::OnceLock<Result<Managed<'a>, ManagedError>>,
}

impl<'a> ManagedPolicies<'a> {
    /// The policies compiled so far, owned (for [`drop_later`]); what is
    /// left borrows the account's data and is cheap to drop.
    fn into_compiled(self) -> Vec<(Policy, NormalizedDoc)> {
        self.by_arn
            .into_values()
            .filter_map(|lazy| lazy.compiled.into_inner()?.ok())
            .map(|m| (m.policy, m.normalized))
            .collect()
    }

    fn new(policies: &'a [ManagedPolicyDetail]) -> ManagedPolicies<'a> {
        let by_arn = policies
            .iter()
            .map(|detail| {
                let compiled = std::sync::OnceLock::new();
                (detail.arn.as_str(), Lazy { detail, compiled })
            })
            .collect();
        ManagedPolicies { by_arn }
    }

    /// The managed policy `arn`, which `who` needs as `what`, compiled on
    /// first use; an error names `who` and the file at `path`.
    fn get(
        &self,
        arn: &str,
        path: &Path,
        who: Who<'_>,
        what: &'static str,
    ) -> Result<&Managed<'a>, SnapshotError> {
        let compiled = match self.by_arn.get(arn) {
            Some(lazy) => lazy
                .compiled
                .get_or_init(|| compile_managed(lazy.detail, arn)),
            None => return Err(ManagedError::Missing.named(path, arn, who, what)),
        };
        compiled.as_ref().map_err(|e| e.named(path, arn, who, what))
    }
}

/// Why a managed policy could not be compiled, before it is named for the
/// principal that needs it ([`ManagedError::named`]).
#[derive(Debug, Clone)]
enum ManagedError {
    /// Not in the file's `Policies` list, or without a default version.
    Missing,
    /// The default version's document does not decode.
    Document { version_id: String, message: String },
    /// The document is not a valid policy.
    Policy(eval::PolicyError),
}

impl ManagedError {
    /// The error for `who`, which attaches the policy `arn` as `what`.
    fn named(&self, path: &Path, arn: &str, who: Who<'_>, what: &'static str) -> SnapshotError {
        let path = path.to_path_buf();
        match (self, who) {
            (ManagedError::Missing, Who::Role(role)) => SnapshotError::MissingManagedPolicy {
                path,
                role: role.to_string(),
                what,
                policy_arn: arn.to_string(),
            },
            (ManagedError::Missing, Who::User(user)) => SnapshotError::User {
                path,
                user: user.to_string(),
                what: format!("{what} {arn}"),
                message: "is not in the file's Policies list (get-account-authorization-details lists every attached policy, AWS managed ones included)".into(),
            },
            (ManagedError::Document { version_id, message }, who) => {
                let what = format!("managed policy {arn} version {version_id}");
                match who {
                    Who::Role(role) => SnapshotError::from(SourceError::Role {
                        path,
                        role: role.to_string(),
                        what,
                        message: message.clone(),
                    }),
                    Who::User(user) => SnapshotError::User {
                        path,
                        user: user.to_string(),
                        what,
                        message: message.clone(),
                    },
                }
            }
            (ManagedError::Policy(source), Who::Role(role)) => SnapshotError::Policy {
                path,
                role: role.to_string(),
                policy: arn.to_string(),
                source: Box::new(source.clone()),
            },
            (ManagedError::Policy(source), Who::User(user)) => SnapshotError::User {
                path,
                user: user.to_string(),
                what: format!("policy {arn}"),
                message: source.to_string(),
            },
        }
    }
}

/// Decodes, normalizes and compiles the managed policy `arn` (its default
/// version).
fn compile_managed<'a>(
    detail: &'a ManagedPolicyDetail,
    arn: &str,
) -> Result<Managed<'a>, ManagedError> {
    let version = detail.default_version().ok_or(ManagedError::Missing)?;
    let document =
        policy_doc::decode_text(&version.document).map_err(|message| ManagedError::Document {
            version_id: version.version_id.clone(),
            message,
        })?;
    let policy = Policy::parse(arn.to_string(), &document).map_err(ManagedError::Policy)?;
    Ok(Managed {
        detail,
        normalized: NormalizedDoc::of(&document),
        policy,
    })
}

/// The sensitive actions as the `simulations` rows share them.
fn shared_actions(cfg: &SnapshotConfig) -> Vec<Arc<str>> {
    cfg.sensitive_actions
        .iter()
        .map(|a| Arc::from(a.as_str()))
        .collect()
}

/// The decision and breadth of every sensitive action for one principal (a
/// role or a user). Callers time it for the manifest's `evaluation_seconds`
/// (thread CPU time: [`cpu_time::add_cpu_time`]) and nothing else.
fn decide_sensitive(
    cfg: &SnapshotConfig,
    set: &PolicySet,
    context: &Context,
    account_id: &str,
) -> Vec<eval::BreadthDecision> {
    eval::evaluate_breadths(
        set,
        cfg.sensitive_actions.iter().map(String::as_str),
        context,
        account_id,
    )
}

/// Why SCPs do not apply to `role`, if they do not. AWS: SCPs "don't affect
/// users or roles in the management account" nor "service-linked roles"
/// (Organizations user guide, "SCP effects on permissions"). The value is
/// `roles.scp_exempt`.
fn scp_exemption(account: &AccountInfo, role: &RoleDetail) -> Option<&'static str> {
    if account.management {
        Some("management_account")
    } else if role.path.starts_with("/aws-service-role/") {
        Some("service_linked_role")
    } else {
        None
    }
}

/// What the snapshot knows about the principal: its ARN, account and tags,
/// and what is known of every request of the account's principals (`facts`:
/// the organization, TLS; see [`RequestFacts`]). Everything else a condition
/// might ask (source IP, MFA, the resource's tags) is unknown, so conditions
/// on it make a grant `conditionally_allowed`.
fn principal_context(account: &AccountInfo, role: &RoleDetail, facts: &RequestFacts) -> Context {
    let mut ctx = Context::for_role(
        &account.id,
        &role.arn,
        role.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
    );
    ctx.insert_request_facts(facts);
    ctx
}

/// The first tag (by the configured key order, keys matched without regard
/// to case) with a non-empty value.
pub fn owner_from_tags(tags: &[(String, String)], keys: &[String]) -> Option<String> {
    keys.iter().find_map(|key| {
        tags.iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    })
}

/// A principal's `role_policies` row (not through a group).
fn policy_row(
    who: &PrincipalIds,
    principal_type: PrincipalType,
    kind: PolicyKind,
    name: &str,
    arn: Option<&str>,
    version: Option<&str>,
    doc: NormalizedDoc,
) -> RolePolicyRow {
    RolePolicyRow {
        principal: who.clone(),
        kind,
        policy_name: name.to_string(),
        policy_arn: arn.map(str::to_string),
        policy_version: version.map(str::to_string),
        document: doc.text,
        statement_count: doc.statement_count,
        principal_type,
        via_group: None,
    }
}

/// Parity mode: the `simulations` rows of `roles` from AWS's decisions.
/// AWS names a statement by policy and text position, not by index:
/// `statement_index` is -1 and the layer is `identity` (docs/EVALUATION.md).
fn api_simulation_rows(
    roles: &[RoleRow],
    api: &ApiDecisions,
) -> Result<Vec<SimulationRow>, SnapshotError> {
    let mut out = Vec::new();
    for role in roles {
        let who = PrincipalIds::new(
            &Arc::from(role.account_id.as_str()),
            [&role.role_id, &role.role_name, &role.arn],
        );
        let decisions = api
            .get(&role.arn)
            .ok_or_else(|| SnapshotError::MissingApiDecisions {
                account_id: role.account_id.clone(),
                role_arn: role.arn.clone(),
            })?;
        out.extend(decisions.iter().map(|d| {
            SimulationRow {
                principal: who.clone(),
                action: d.action.as_str().into(),
                decision: d.verdict.decision(),
                decided_by: Some(d.decided_by),
                matched_statements: d
                    .matched_statements
                    .iter()
                    .map(|m| MatchedStatementRow {
                        policy_id: m.source_policy_id.clone().unwrap_or_default(),
                        layer: "identity",
                        statement_index: -1,
                        sid: None,
                        effect: match d.verdict {
                            ApiVerdict::ExplicitDeny => "Deny",
                            _ => "Allow",
                        },
                        conditional: false,
                    })
                    .collect(),
                condition_keys: d.missing_context.clone(),
                // AWS's simulator answers the literal resource `*`, which only
                // a statement covering every resource matches.
                breadth: (d.verdict == ApiVerdict::Allowed).then_some("any"),
                breadth_decision: d.verdict.decision(),
            }
        }));
    }
    Ok(out)
}

fn simulation_row(
    who: &PrincipalIds,
    action: &Arc<str>,
    b: eval::BreadthDecision,
) -> SimulationRow {
    let d = b.any;
    SimulationRow {
        breadth: b.breadth.map(eval::Breadth::as_str),
        breadth_decision: b.breadth_decision.as_str(),
        principal: who.clone(),
        action: Arc::clone(action),
        decision: d.decision.as_str(),
        decided_by: d.decided_by.map(|l| l.as_str()),
        matched_statements: d
            .matched_statements
            .into_iter()
            .map(|m| MatchedStatementRow {
                policy_id: m.policy_id,
                layer: m.layer.as_str(),
                statement_index: m.statement_index as i32,
                sid: m.sid,
                effect: m.effect.as_str(),
                conditional: m.conditional,
            })
            .collect(),
        condition_keys: d.missing_context_keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_decisions_become_simulation_rows() {
        use crate::source::aws::simulator::{ApiDecision, ApiStatement};
        let role = RoleRow {
            account_id: "111122223333".into(),
            account_name: None,
            role_id: "AROAX".into(),
            role_name: "app".into(),
            arn: "arn:aws:iam::111122223333:role/app".into(),
            path: "/".into(),
            create_date: 0,
            description: None,
            max_session_duration: None,
            permissions_boundary_arn: None,
            trust_policy: "{}".into(),
            trusted_principals: Vec::new(),
            owner_team: None,
            tags: Vec::new(),
            last_used_at: None,
            last_used_region: None,
            managed_policy_arns: Vec::new(),
            inline_policy_names: Vec::new(),
            last_accessed_status: "ok".into(),
            scp_exempt: None,
        };
        let deny = ApiDecision {
            action: "s3:GetObject".into(),
            verdict: ApiVerdict::ExplicitDeny,
            decided_by: "scp",
            matched_statements: vec![ApiStatement {
                source_policy_id: Some("p-1".into()),
                source_policy_type: Some("none".into()),
                start_line: Some(3),
                start_column: Some(5),
            }],
            missing_context: vec!["aws:SourceIp".into()],
        };
        let api = ApiDecisions::from([(role.arn.clone(), vec![deny])]);
        let rows = api_simulation_rows(std::slice::from_ref(&role), &api).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.decision, r.decided_by, &*r.principal.id),
            ("explicit_deny", Some("scp"), "AROAX")
        );
        assert_eq!(r.matched_statements[0].statement_index, -1);
        assert_eq!(r.matched_statements[0].effect, "Deny");
        assert_eq!(r.condition_keys, ["aws:SourceIp"]);
        simulations::to_batch(&rows).unwrap();
        // A collected role without AWS decisions is a bug, not silence.
        assert!(matches!(
            api_simulation_rows(&[role], &ApiDecisions::new()),
            Err(SnapshotError::MissingApiDecisions { .. })
        ));
    }

    #[test]
    fn owner_follows_key_order_case_insensitively() {
        let tags = vec![
            ("Owner".to_string(), "alice@example.com".to_string()),
            ("Team".to_string(), "payments".to_string()),
        ];
        let keys = vec!["team".to_string(), "owner".to_string()];
        assert_eq!(owner_from_tags(&tags, &keys).as_deref(), Some("payments"));
        assert_eq!(
            owner_from_tags(&tags[..1], &keys).as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(owner_from_tags(&[("team".into(), " ".into())], &keys), None);
    }
}
