//! The live collector: per-account collection with failure isolation,
//! bounded concurrency, Access Advisor jobs, progress reports.

use super::config::{AwsConfig, Clients, ConfigError, build_clients};
use super::convert;
use super::counters::{ApiCounters, OpCounts};
use super::creds::MemberCredentials;
use super::errors::{describe, is_access_denied, is_throttled};
use super::org::{LiveAccount, LiveScp, OrgReader, explicit_accounts};
use super::pages::Pages;
use super::simulator::{self, ApiDecision, RoleQuery, RoleSimulation};
use crate::model::credentials::CredentialRow;
use crate::model::principal::PrincipalType;
use crate::source::aws_json::{AuthorizationDetails, ServiceLastAccessedDetails};
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::types::{
    AccessAdvisorUsageGranularityType, EntityType, JobStatusType, ReportStateType,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

/// What became of one role's Access Advisor job. Every role of a collected
/// account has one (unless Access Advisor is switched off).
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// The job completed; all pages merged.
    Completed(ServiceLastAccessedDetails<'static>),
    /// Generating or reading the job failed, or the job itself FAILED.
    Failed(String),
    /// Still IN_PROGRESS `job_timeout` after it was generated.
    TimedOut,
}

/// The step of an account's collection that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// STS AssumeRole into the member role.
    AssumeRole,
    /// iam:GetAccountAuthorizationDetails.
    AuthorizationDetails,
    /// iam:ListRoles.
    ListRoles,
    /// iam:SimulatePrincipalPolicy (parity mode, `--simulator aws`).
    SimulatePrincipalPolicy,
    /// A collector bug (a task panicked).
    Internal,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::AssumeRole => "sts:AssumeRole",
            Stage::AuthorizationDetails => "iam:GetAccountAuthorizationDetails",
            Stage::ListRoles => "iam:ListRoles",
            Stage::SimulatePrincipalPolicy => "iam:SimulatePrincipalPolicy",
            Stage::Internal => "internal",
        })
    }
}

/// An account that could not be collected; the others go on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("account {account_id}: {stage}: {message}")]
pub struct AccountFailure {
    pub account_id: String,
    /// The account's name from ListAccounts (`None` with `--accounts`).
    pub account_name: Option<String>,
    /// Root and OU ids above the account, root first, joined by `/`
    /// (see [`OrgReader::ou_path`]); `None` when unknown or Organizations
    /// is not read (`collect_scps` off).
    pub ou_path: Option<String>,
    pub stage: Stage,
    pub message: String,
    /// The failure was throttling that outlasted the retries.
    pub throttled: bool,
    /// The failure was a refusal (AccessDenied).
    pub denied: bool,
}

/// Counts of one account's collection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AccountStats {
    pub roles: u64,
    pub managed_policies: u64,
    pub authorization_details_pages: u64,
    pub list_roles_pages: u64,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
}

/// Everything collected for one account: the `AccountInfo` + `AccountData`
/// of the fixtures reader, from the live APIs.
#[derive(Debug, Clone)]
pub struct LiveAccountData {
    pub account: LiveAccount,
    /// Root and OU ids above the account (see [`OrgReader::ou_path`]).
    pub ou_path: Option<String>,
    /// SCP levels, root first (see [`super::org::ScpLayers`]).
    pub scp_levels: Vec<Vec<LiveScp>>,
    /// RCP levels over the account's resources, root first, as listed by
    /// Organizations (empty when RCPs are not enabled or not collected).
    pub rcp_levels: Vec<Vec<LiveScp>>,
    /// The organization's id (`o-…`); `None` when Organizations could not tell.
    pub org_id: Option<String>,
    /// The account is the organization's management account (SCPs do not
    /// apply to it); false when Organizations could not tell.
    pub management: bool,
    /// The merged authorization details (documents URL-encoded, as sent).
    pub details: AuthorizationDetails,
    /// role id → (description, max session duration), from ListRoles.
    pub listed: HashMap<String, (Option<String>, Option<i32>)>,
    /// role name → its Access Advisor outcome.
    pub last_accessed: HashMap<String, JobOutcome>,
    /// user name → its Access Advisor outcome (the same jobs, on user ARNs).
    pub user_last_accessed: HashMap<String, JobOutcome>,
    /// The credential report's lines; `None` when it could not be had (a
    /// warning says why; the account's credentials are then unknown).
    pub credentials: Option<Vec<CredentialRow>>,
    /// With [`AwsConfig::simulate_actions`]: role ARN → AWS's decisions on
    /// those actions, in their order (every role of `details` has one).
    pub api_decisions: Option<HashMap<String, Vec<ApiDecision>>>,
    /// Non-fatal problems (SCPs unreadable, …), one sentence each.
    pub warnings: Vec<String>,
    pub stats: AccountStats,
    pub elapsed: Duration,
}

/// One account's result.
pub type AccountResult = Result<LiveAccountData, AccountFailure>;

/// A snapshot of the run's progress, handed to the progress callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub accounts_total: u64,
    /// Accounts finished, failed ones included.
    pub accounts_done: u64,
    pub accounts_failed: u64,
    /// Roles listed so far.
    pub roles: u64,
    /// Access Advisor jobs generated or waiting to be, not yet finished.
    pub jobs_pending: u64,
    pub jobs_done: u64,
    /// API calls so far (retries excluded).
    pub api_calls: u64,
    /// Throttled attempts so far.
    pub throttles: u64,
}

/// The progress callback: called often (every page, every job); keep it cheap.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Default)]
struct ProgressState {
    accounts_total: AtomicU64,
    accounts_done: AtomicU64,
    accounts_failed: AtomicU64,
    roles: AtomicU64,
    jobs_pending: AtomicU64,
    jobs_done: AtomicU64,
}

/// Errors that stop the whole run (before any account is collected).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("invalid live-collection setting: {0}")]
    Config(#[from] ConfigError),
    #[error("listing the organization's accounts: {0}")]
    ListAccounts(String),
    #[error("starting the async runtime: {0}")]
    Runtime(String),
}

/// What a whole run did, for the manifest and the summary line.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub accounts_total: u64,
    pub accounts_ok: u64,
    pub failures: Vec<AccountFailure>,
    pub warnings: Vec<String>,
    pub roles: u64,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
    /// API counts by `service:Operation`.
    pub api: BTreeMap<String, OpCounts>,
    /// IAM calls (retries excluded) per role collected; `None` without roles.
    pub iam_calls_per_role: Option<f64>,
    /// IAM users of the authorization details (each has an Access Advisor job).
    pub users: u64,
    /// IAM calls per principal: roles and IAM users (the budget,
    /// ≤ 2.05, counts both); `None` without either.
    pub iam_calls_per_principal: Option<f64>,
    pub elapsed_secs: f64,
}

impl RunSummary {
    /// The exit code proposed in docs/LIVE.md: 0 complete, 3 partial (some
    /// accounts failed).
    pub fn exit_code(&self) -> i32 {
        if self.failures.is_empty() { 0 } else { 3 }
    }
}

/// The live collector of one run. Cheap to share (`Arc`).
pub struct LiveCollector {
    cfg: Arc<AwsConfig>,
    sdk: SdkConfig,
    counters: Arc<ApiCounters>,
    caller: Clients,
    org: OrgReader,
    global: Arc<Semaphore>,
    progress: Arc<ProgressState>,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for LiveCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveCollector")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// Per-account state shared by its Access Advisor tasks.
struct AccountCtx {
    iam: aws_sdk_iam::Client,
    cfg: Arc<AwsConfig>,
    account_gate: Arc<Semaphore>,
    global: Arc<Semaphore>,
    progress: Arc<ProgressState>,
    on_progress: Option<ProgressFn>,
    counters: Arc<ApiCounters>,
}

fn report(progress: &ProgressState, counters: &ApiCounters, on_progress: &Option<ProgressFn>) {
    if let Some(f) = on_progress {
        f(Progress {
            accounts_total: progress.accounts_total.load(Ordering::Relaxed),
            accounts_done: progress.accounts_done.load(Ordering::Relaxed),
            accounts_failed: progress.accounts_failed.load(Ordering::Relaxed),
            roles: progress.roles.load(Ordering::Relaxed),
            jobs_pending: progress.jobs_pending.load(Ordering::Relaxed),
            jobs_done: progress.jobs_done.load(Ordering::Relaxed),
            api_calls: counters.calls(),
            throttles: counters.throttles(),
        });
    }
}

impl AccountCtx {
    /// Waits for a request slot in this account and overall.
    async fn slot(
        &self,
    ) -> (
        tokio::sync::SemaphorePermit<'_>,
        Option<tokio::sync::OwnedSemaphorePermit>,
    ) {
        let a = self
            .account_gate
            .acquire()
            .await
            .expect("the account semaphore is never closed");
        let g = Arc::clone(&self.global).acquire_owned().await.ok();
        (a, g)
    }

    fn report(&self) {
        report(&self.progress, &self.counters, &self.on_progress);
    }
}

impl LiveCollector {
    /// Validates `cfg` and loads the SDK configuration (no network call yet).
    pub async fn new(
        cfg: AwsConfig,
        on_progress: Option<ProgressFn>,
    ) -> Result<Arc<LiveCollector>, CollectError> {
        let sdk = cfg.load_sdk_config().await?;
        Ok(Self::with_sdk_config(cfg, sdk, on_progress))
    }

    /// As [`LiveCollector::new`] from an already loaded SDK configuration.
    pub fn with_sdk_config(
        cfg: AwsConfig,
        sdk: SdkConfig,
        on_progress: Option<ProgressFn>,
    ) -> Arc<LiveCollector> {
        let counters = ApiCounters::new();
        let caller = build_clients(&sdk, None, "caller", &counters);
        let org = OrgReader::new(caller.organizations.clone(), &cfg);
        Arc::new(LiveCollector {
            global: Arc::new(Semaphore::new(cfg.max_concurrency)),
            cfg: Arc::new(cfg),
            sdk,
            counters,
            caller,
            org,
            progress: Arc::default(),
            on_progress,
        })
    }

    /// The API counters of this run.
    pub fn counters(&self) -> &Arc<ApiCounters> {
        &self.counters
    }

    /// The base SDK configuration (to build other clients, e.g. S3).
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The settings.
    pub fn config(&self) -> &AwsConfig {
        &self.cfg
    }

    /// The accounts to collect: the `accounts` option, else every ACTIVE
    /// account of Organizations' ListAccounts; sorted by id.
    pub async fn accounts(&self) -> Result<Vec<LiveAccount>, CollectError> {
        let accounts = match &self.cfg.accounts {
            Some(ids) => explicit_accounts(ids),
            None => self
                .org
                .list_accounts()
                .await
                .map_err(CollectError::ListAccounts)?,
        };
        Ok(accounts)
    }

    /// Collects one account. Never panics, never affects other accounts.
    pub async fn collect_account(&self, account: &LiveAccount) -> AccountResult {
        let start = Instant::now();
        let mut result = self.try_collect_account(account, start).await;
        if let Err(failure) = &mut result {
            // A failed account is reported under the name and place
            // ListAccounts and Organizations give it, like a collected one.
            // Best effort: ListParents is cached, and refused or failing
            // reads leave the path unknown.
            failure.account_name = account.name.clone();
            if self.cfg.collect_scps {
                failure.ou_path = self.org.ou_path(&account.id).await;
            }
        }
        self.progress.accounts_done.fetch_add(1, Ordering::Relaxed);
        if result.is_err() {
            self.progress
                .accounts_failed
                .fetch_add(1, Ordering::Relaxed);
        }
        report(&self.progress, &self.counters, &self.on_progress);
        result
    }

    async fn try_collect_account(&self, account: &LiveAccount, start: Instant) -> AccountResult {
        let cfg = &self.cfg;
        let fail = |stage, message: String, throttled, denied| AccountFailure {
            account_id: account.id.clone(),
            account_name: None,
            ou_path: None,
            stage,
            message,
            throttled,
            denied,
        };

        // 1. Credentials in the account.
        let clients = self.member_clients(&account.id).await?;
        let ctx = Arc::new(AccountCtx {
            iam: clients.iam,
            cfg: Arc::clone(cfg),
            account_gate: Arc::new(Semaphore::new(cfg.max_concurrency_per_account)),
            global: Arc::clone(&self.global),
            progress: Arc::clone(&self.progress),
            on_progress: self.on_progress.clone(),
            counters: Arc::clone(&self.counters),
        });

        // 2. SCPs, RCPs and the OU path (caller identity), concurrently with
        // the IAM reads; the path reuses the SCP walk's cached ListParents.
        let scps = async {
            if cfg.collect_scps {
                let layers = self.org.scp_layers(&account.id).await;
                let rcps = self.org.rcp_layers(&account.id).await;
                let management = self.org.management_account_id().await;
                (
                    Some((layers, rcps, management)),
                    self.org.ou_path(&account.id).await,
                    self.org.organization_id().await,
                )
            } else {
                (None, None, None)
            }
        };

        // 3. Authorization details; Access Advisor jobs start page by page.
        let iam_reads = async {
            let mut jobs: JoinSet<(PrincipalType, String, JobOutcome)> = JoinSet::new();
            let mut stats = AccountStats::default();
            let details = self
                .authorization_details(&ctx, &mut jobs, &mut stats)
                .await
                .map_err(|(m, t, d)| fail(Stage::AuthorizationDetails, m, t, d))?;
            // 4. ListRoles for Description / MaxSessionDuration.
            let listed = self
                .list_roles(&ctx, &mut stats)
                .await
                .map_err(|(m, t, d)| fail(Stage::ListRoles, m, t, d))?;
            // 4b. The credential report, while the jobs run. Not having it
            // loses the users' credentials, not the roles: a warning.
            let credentials = credential_report(&ctx, &account.id).await;
            // 5. Parity mode: AWS's decisions, while the jobs run.
            let api_decisions = match &cfg.simulate_actions {
                Some(actions) => Some(
                    self.api_decisions(&ctx, &account.id, &details, actions)
                        .await?,
                ),
                None => None,
            };
            // 6. Wait for every job; none is dropped.
            let (mut last_accessed, mut user_last_accessed) = (HashMap::new(), HashMap::new());
            while let Some(joined) = jobs.join_next().await {
                let (principal, name, outcome) = joined.map_err(|e| {
                    fail(
                        Stage::Internal,
                        format!("Access Advisor task: {e}"),
                        false,
                        false,
                    )
                })?;
                match &outcome {
                    JobOutcome::Completed(_) => stats.jobs_completed += 1,
                    JobOutcome::Failed(_) => stats.jobs_failed += 1,
                    JobOutcome::TimedOut => stats.jobs_timed_out += 1,
                }
                match principal {
                    PrincipalType::Role => last_accessed.insert(name, outcome),
                    PrincipalType::User => user_last_accessed.insert(name, outcome),
                };
            }
            Ok::<_, AccountFailure>((
                details,
                listed,
                (last_accessed, user_last_accessed),
                api_decisions,
                credentials,
                stats,
            ))
        };
        let ((scps, ou_path, org_id), iam) = tokio::join!(scps, iam_reads);
        let (
            details,
            listed,
            (last_accessed, user_last_accessed),
            api_decisions,
            credentials,
            stats,
        ) = iam?;
        let (scp_levels, rcp_levels, management, mut warnings) = match scps {
            Some((layers, rcps, management)) => {
                let mut warnings: Vec<String> =
                    layers.warning.into_iter().chain(rcps.warning).collect();
                let management = match management {
                    Ok(id) => id == account.id,
                    Err(e) => {
                        warnings.push(format!(
                            "account {}: management account unknown ({e}); SCPs are applied to every account",
                            account.id
                        ));
                        false
                    }
                };
                (layers.levels, rcps.levels, management, warnings)
            }
            None => (Vec::new(), Vec::new(), false, Vec::new()),
        };
        let credentials = match credentials {
            Ok(rows) => Some(rows),
            Err(why) => {
                warnings.push(format!("account {}: credential report: {why}", account.id));
                None
            }
        };
        Ok(LiveAccountData {
            account: account.clone(),
            ou_path,
            scp_levels,
            rcp_levels,
            org_id,
            management,
            details,
            listed,
            last_accessed,
            user_last_accessed,
            credentials,
            api_decisions,
            warnings,
            stats,
            elapsed: start.elapsed(),
        })
    }

    /// Assumes the member role in `account_id` (eagerly, so that a refusal
    /// fails at a clear stage) and builds that account's clients.
    async fn member_clients(&self, account_id: &str) -> Result<Clients, AccountFailure> {
        let cfg = &self.cfg;
        let creds = MemberCredentials::new(
            self.caller.sts.clone(),
            cfg.member_role_arn(account_id),
            cfg.session_name.clone(),
            cfg.external_id.clone(),
            cfg.session_duration,
        );
        {
            let _g = self.global.acquire().await.ok();
            if let Err(e) = creds.prime().await {
                return Err(AccountFailure {
                    account_id: account_id.to_string(),
                    account_name: None,
                    ou_path: None,
                    stage: Stage::AssumeRole,
                    message: format!("{}: {}", creds.role_arn(), describe(&e)),
                    throttled: is_throttled(&e),
                    denied: is_access_denied(&e),
                });
            }
        }
        Ok(build_clients(
            &self.sdk,
            Some(SharedCredentialsProvider::new(creds)),
            account_id,
            &self.counters,
        ))
    }

    /// Parity mode: AWS's decisions for every role of `details`, within the
    /// account's and the run's concurrency limits. One role that cannot be
    /// simulated fails the account (its `simulations` rows would be missing).
    async fn api_decisions(
        &self,
        ctx: &AccountCtx,
        account_id: &str,
        details: &AuthorizationDetails,
        actions: &[String],
    ) -> Result<HashMap<String, Vec<ApiDecision>>, AccountFailure> {
        let queries = details
            .role_detail_list
            .iter()
            .map(|r| RoleQuery {
                role_arn: r.arn.clone(),
                context: crate::eval::Context::for_role(
                    account_id,
                    &r.arn,
                    r.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
                )
                .entries(),
            })
            .collect();
        let results = simulator::simulate_roles(
            &ctx.iam,
            queries,
            actions.into(),
            &[Arc::clone(&ctx.account_gate), Arc::clone(&ctx.global)],
            ctx.cfg.page_size,
            ctx.cfg.max_pages,
        )
        .await;
        results
            .into_iter()
            .map(|(arn, r)| {
                r.map(|d| (arn, d)).map_err(|e| AccountFailure {
                    account_id: account_id.to_string(),
                    account_name: None,
                    ou_path: None,
                    stage: Stage::SimulatePrincipalPolicy,
                    message: e.to_string(),
                    throttled: e.throttled,
                    denied: e.denied,
                })
            })
            .collect()
    }

    /// Parity mode outside a snapshot (`verify-simulator`): assumes the
    /// member role in `account_id` and simulates `queries` there, at most
    /// `max_concurrency_per_account` roles at once.
    pub async fn simulate_account(
        &self,
        account_id: &str,
        queries: Vec<RoleQuery>,
        actions: &[String],
    ) -> Result<Vec<RoleSimulation>, AccountFailure> {
        let clients = self.member_clients(account_id).await?;
        let gate = Arc::new(Semaphore::new(self.cfg.max_concurrency_per_account));
        Ok(simulator::simulate_roles(
            &clients.iam,
            queries,
            actions.into(),
            &[gate, Arc::clone(&self.global)],
            self.cfg.page_size,
            self.cfg.max_pages,
        )
        .await)
    }

    async fn authorization_details(
        &self,
        ctx: &Arc<AccountCtx>,
        jobs: &mut JoinSet<(PrincipalType, String, JobOutcome)>,
        stats: &mut AccountStats,
    ) -> Result<AuthorizationDetails, (String, bool, bool)> {
        let mut pages = Pages::new(ctx.cfg.max_pages);
        let mut all = AuthorizationDetails::default();
        while let Some(marker) = pages.next_request() {
            let page = {
                let _slot = ctx.slot().await;
                ctx.iam
                    .get_account_authorization_details()
                    .set_filter(Some(vec![
                        EntityType::Role,
                        EntityType::User,
                        EntityType::Group,
                        EntityType::LocalManagedPolicy,
                        EntityType::AwsManagedPolicy,
                    ]))
                    .max_items(ctx.cfg.page_size)
                    .set_marker(marker.map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| (describe(&e), is_throttled(&e), is_access_denied(&e)))?
            };
            stats.authorization_details_pages += 1;
            let roles: Vec<_> = page
                .role_detail_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(convert::role_detail)
                .collect();
            ctx.progress
                .roles
                .fetch_add(roles.len() as u64, Ordering::Relaxed);
            let users: Vec<_> = page
                .user_detail_list
                .unwrap_or_default()
                .into_iter()
                .filter_map(convert::user_detail)
                .collect();
            if ctx.cfg.collect_last_accessed {
                // Users' jobs are the roles' jobs on user ARNs: Access
                // Advisor reports a user's own use (group use is per user).
                let principals = roles
                    .iter()
                    .map(|r| (PrincipalType::Role, &r.role_name, &r.arn))
                    .chain(
                        users
                            .iter()
                            .map(|u| (PrincipalType::User, &u.user_name, &u.arn)),
                    );
                for (principal, name, arn) in principals {
                    ctx.progress.jobs_pending.fetch_add(1, Ordering::Relaxed);
                    let (ctx2, name, arn) = (Arc::clone(ctx), name.clone(), arn.clone());
                    jobs.spawn(async move {
                        let outcome = access_advisor(&ctx2, &arn).await;
                        ctx2.progress.jobs_pending.fetch_sub(1, Ordering::Relaxed);
                        ctx2.progress.jobs_done.fetch_add(1, Ordering::Relaxed);
                        ctx2.report();
                        (principal, name, outcome)
                    });
                }
            }
            stats.roles += roles.len() as u64;
            all.role_detail_list.extend(roles);
            let policies: Vec<_> = page
                .policies
                .unwrap_or_default()
                .into_iter()
                .filter_map(convert::managed_policy)
                .collect();
            stats.managed_policies += policies.len() as u64;
            all.policies.extend(policies);
            all.user_detail_list.extend(users);
            all.group_detail_list.extend(
                page.group_detail_list
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(convert::group_detail),
            );
            ctx.report();
            pages
                .advance(page.is_truncated, page.marker)
                .map_err(|e| (e.to_string(), false, false))?;
        }
        Ok(all)
    }

    async fn list_roles(
        &self,
        ctx: &Arc<AccountCtx>,
        stats: &mut AccountStats,
    ) -> Result<HashMap<String, (Option<String>, Option<i32>)>, (String, bool, bool)> {
        let mut pages = Pages::new(ctx.cfg.max_pages);
        let mut out = HashMap::new();
        while let Some(marker) = pages.next_request() {
            let page = {
                let _slot = ctx.slot().await;
                ctx.iam
                    .list_roles()
                    .max_items(ctx.cfg.page_size)
                    .set_marker(marker.map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| (describe(&e), is_throttled(&e), is_access_denied(&e)))?
            };
            stats.list_roles_pages += 1;
            out.extend(page.roles.into_iter().map(convert::listed_role));
            pages
                .advance(page.is_truncated, page.marker)
                .map_err(|e| (e.to_string(), false, false))?;
        }
        Ok(out)
    }

    /// Collects `accounts`, at most `max_accounts_in_flight` at once, sending
    /// each result on `tx` as soon as it is done (completion order). Returns
    /// when all are done or the receiver is gone.
    pub async fn collect_all(
        self: &Arc<Self>,
        accounts: Vec<LiveAccount>,
        tx: mpsc::Sender<AccountResult>,
    ) {
        self.progress
            .accounts_total
            .fetch_add(accounts.len() as u64, Ordering::Relaxed);
        report(&self.progress, &self.counters, &self.on_progress);
        let gate = Arc::new(Semaphore::new(self.cfg.max_accounts_in_flight));
        let mut tasks = JoinSet::new();
        for account in accounts {
            let (me, gate, tx) = (Arc::clone(self), Arc::clone(&gate), tx.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await.ok();
                if tx.is_closed() {
                    return;
                }
                let (id, name) = (account.id.clone(), account.name.clone());
                let result = tokio::spawn(async move { me.collect_account(&account).await })
                    .await
                    .unwrap_or_else(|e| {
                        Err(AccountFailure {
                            account_id: id,
                            account_name: name,
                            ou_path: None,
                            stage: Stage::Internal,
                            message: format!("collection task: {e}"),
                            throttled: false,
                            denied: false,
                        })
                    });
                let _ = tx.send(result).await;
            });
        }
        drop(tx);
        while tasks.join_next().await.is_some() {}
    }

    /// A summary of the run so far from the results seen by the caller.
    pub fn summary(&self, tally: &Tally, elapsed: Duration) -> RunSummary {
        let api = self.counters.snapshot();
        let iam_calls = self.counters.total("iam:").calls;
        RunSummary {
            accounts_total: tally.ok + tally.failures.len() as u64,
            accounts_ok: tally.ok,
            failures: tally.failures.clone(),
            warnings: tally.warnings.clone(),
            roles: tally.roles,
            jobs_completed: tally.jobs_completed,
            jobs_failed: tally.jobs_failed,
            jobs_timed_out: tally.jobs_timed_out,
            api,
            iam_calls_per_role: (tally.roles > 0).then(|| iam_calls as f64 / tally.roles as f64),
            users: tally.users,
            iam_calls_per_principal: (tally.roles + tally.users > 0)
                .then(|| iam_calls as f64 / (tally.roles + tally.users) as f64),
            elapsed_secs: elapsed.as_secs_f64(),
        }
    }
}

/// Running totals over account results, for [`LiveCollector::summary`].
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub ok: u64,
    pub failures: Vec<AccountFailure>,
    pub warnings: Vec<String>,
    pub roles: u64,
    /// IAM users of the authorization details (each has an Access Advisor
    /// job, as each role).
    pub users: u64,
    pub jobs_completed: u64,
    pub jobs_failed: u64,
    pub jobs_timed_out: u64,
}

impl Tally {
    /// Adds one account's result.
    pub fn add(&mut self, result: &AccountResult) {
        match result {
            Ok(d) => {
                self.ok += 1;
                self.roles += d.stats.roles;
                // Every IAM user has an Access Advisor job, as every role.
                self.users += d.details.user_detail_list.len() as u64;
                self.jobs_completed += d.stats.jobs_completed;
                self.jobs_failed += d.stats.jobs_failed;
                self.jobs_timed_out += d.stats.jobs_timed_out;
                self.warnings.extend(d.warnings.iter().cloned());
            }
            Err(f) => self.failures.push(f.clone()),
        }
    }
}

/// One role's Access Advisor job: generate, wait, poll with backoff until
/// COMPLETED or FAILED (or `job_timeout`), then read every page.
async fn access_advisor(ctx: &AccountCtx, arn: &str) -> JobOutcome {
    let generated = {
        let _slot = ctx.slot().await;
        ctx.iam
            .generate_service_last_accessed_details()
            .arn(arn)
            .granularity(AccessAdvisorUsageGranularityType::ActionLevel)
            .send()
            .await
    };
    let job_id = match generated {
        Ok(out) => match out.job_id {
            Some(id) => id,
            None => {
                return JobOutcome::Failed("GenerateServiceLastAccessedDetails: no JobId".into());
            }
        },
        Err(e) => {
            return JobOutcome::Failed(format!(
                "iam:GenerateServiceLastAccessedDetails: {}",
                describe(&e)
            ));
        }
    };
    let deadline = Instant::now() + ctx.cfg.job_timeout;
    let mut delay = ctx.cfg.poll_initial_delay;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return JobOutcome::TimedOut;
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        match job_pages(ctx, &job_id).await {
            Ok(Some(details)) => return JobOutcome::Completed(details),
            Ok(None) => delay = (delay * 2).min(ctx.cfg.poll_max_delay),
            Err(message) => return JobOutcome::Failed(message),
        }
    }
}

/// The account's IAM credential report: GenerateCredentialReport once (it
/// answers COMPLETE when a recent report exists, else STARTED), then
/// GetCredentialReport, repeated with the Access Advisor backoff while it
/// answers ReportInProgress (at most `job_timeout`): two calls per account
/// in the usual case, so the calls per principal stay within budget.
async fn credential_report(
    ctx: &AccountCtx,
    account_id: &str,
) -> Result<Vec<CredentialRow>, String> {
    let deadline = Instant::now() + ctx.cfg.job_timeout;
    let state = {
        let _slot = ctx.slot().await;
        ctx.iam
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| format!("iam:GenerateCredentialReport: {}", describe(&e)))?
            .state
    };
    let mut delay = ctx.cfg.poll_initial_delay;
    if state != Some(ReportStateType::Complete) {
        tokio::time::sleep(delay).await;
    }
    let report = loop {
        let got = {
            let _slot = ctx.slot().await;
            ctx.iam.get_credential_report().send().await
        };
        match got {
            Ok(report) => break report,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_credential_report_not_ready_exception()) =>
            {
                let now = Instant::now();
                if now + delay > deadline {
                    return Err(format!(
                        "iam:GetCredentialReport: still in progress after {:?}",
                        ctx.cfg.job_timeout
                    ));
                }
                delay = (delay * 2).min(ctx.cfg.poll_max_delay);
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(format!("iam:GetCredentialReport: {}", describe(&e))),
        }
    };
    let content = report
        .content
        .ok_or("iam:GetCredentialReport: no Content")?
        .into_inner();
    let origin = std::path::PathBuf::from(format!("aws:{account_id}/credential-report"));
    crate::source::credential_report::parse(&content, &origin, account_id)
        .map_err(|e| e.to_string())
}

/// Reads a job: `Ok(None)` while IN_PROGRESS; every page once COMPLETED.
async fn job_pages(
    ctx: &AccountCtx,
    job_id: &str,
) -> Result<Option<ServiceLastAccessedDetails<'static>>, String> {
    let mut pages = Pages::new(ctx.cfg.max_pages);
    let mut all: Option<ServiceLastAccessedDetails<'static>> = None;
    while let Some(marker) = pages.next_request() {
        let page = {
            let _slot = ctx.slot().await;
            ctx.iam
                .get_service_last_accessed_details()
                .job_id(job_id)
                .max_items(ctx.cfg.page_size)
                .set_marker(marker.map(str::to_string))
                .send()
                .await
                .map_err(|e| format!("iam:GetServiceLastAccessedDetails: {}", describe(&e)))?
        };
        match page.job_status {
            JobStatusType::InProgress => return Ok(None),
            JobStatusType::Completed => {}
            JobStatusType::Failed => {
                let why = page
                    .error
                    .map(|e| format!("{}: {}", e.code, e.message))
                    .unwrap_or_else(|| "no error detail".into());
                return Err(format!("Access Advisor job FAILED: {why}"));
            }
            other => return Err(format!("unknown job status {}", other.as_str())),
        }
        let services = page
            .services_last_accessed
            .into_iter()
            .map(convert::service_last_accessed);
        match &mut all {
            Some(a) => a.services_last_accessed.extend(services),
            None => {
                all = Some(ServiceLastAccessedDetails {
                    job_status: "COMPLETED".into(),
                    job_type: page.job_type.map(|t| t.as_str().to_string().into()),
                    services_last_accessed: services.collect(),
                })
            }
        }
        pages
            .advance(page.is_truncated, page.marker)
            .map_err(|e| format!("iam:GetServiceLastAccessedDetails: {e}"))?;
    }
    Ok(all)
}

/// Runs a whole collection on a runtime of its own, handing each account's
/// result to `on_account` on the calling thread as soon as it is done (so
/// the caller can write it and drop it: memory stays one account deep).
/// Errors only when the run cannot start (bad settings, ListAccounts fails);
/// failed accounts are in the summary. Must not be called from inside a
/// tokio runtime.
pub fn run_blocking(
    cfg: AwsConfig,
    on_progress: Option<ProgressFn>,
    on_account: impl FnMut(AccountResult),
) -> Result<RunSummary, CollectError> {
    cfg.validate()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CollectError::Runtime(e.to_string()))?;
    let collector = rt.block_on(LiveCollector::new(cfg, on_progress))?;
    drive(&rt, &collector, on_account)
}

/// The loop of [`run_blocking`] for a collector built by the caller on `rt`.
pub fn drive(
    rt: &tokio::runtime::Runtime,
    collector: &Arc<LiveCollector>,
    mut on_account: impl FnMut(AccountResult),
) -> Result<RunSummary, CollectError> {
    let start = Instant::now();
    let accounts = rt.block_on(collector.accounts())?;
    let (tx, mut rx) = mpsc::channel(1);
    let runner = Arc::clone(collector);
    let task = rt.spawn(async move { runner.collect_all(accounts, tx).await });
    let mut tally = Tally::default();
    while let Some(result) = rx.blocking_recv() {
        tally.add(&result);
        on_account(result);
    }
    rt.block_on(task)
        .map_err(|e| CollectError::Runtime(e.to_string()))?;
    Ok(collector.summary(&tally, start.elapsed()))
}
