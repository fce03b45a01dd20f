//! The command line: what the user typed (clap structs) and how it becomes
//! validated configuration before any work starts.

use crate::config::{self, ConfigFile};
use crate::lake::LakeLocation;
use crate::source::SourceSpec;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Snapshot every AWS IAM role of an organization into a Parquet lake, and
/// find risky and unused permissions in it.
#[derive(Debug, Parser)]
#[command(name = "iamlake", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture every role, its policies, the decision for each sensitive
    /// action on `*`, and last-accessed data into one date's partition.
    Snapshot(SnapshotArgs),
    /// From the lake: unused permissions with owners and reviews, their
    /// changes since the previous snapshot, team and daily summaries, alerts.
    Analyze(AnalyzeArgs),
    /// Print a role's policies with its unused services and actions removed,
    /// with a diff against today's (never applied).
    Suggest(SuggestArgs),
    /// Run the main job on the bundled fixtures: snapshot every fixture day
    /// into a local lake, then analyze each day.
    Demo(DemoArgs),
    /// Work with fixture folders.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Evaluate one request offline and explain the decision.
    Simulate(SimulateArgs),
    /// Check a Terraform plan (`terraform show -json`) for new risky IAM
    /// grants. Exit 0 pass, 1 violations, 2 error.
    CheckPlan(CheckPlanArgs),
    /// Write a self-contained HTML report for leaders: trends, teams,
    /// newest risky roles (inline SVG, no network fetches).
    Report(ReportArgs),
    /// Check a lake's files against the conventions Snowflake and Athena need.
    Lint(LintArgs),
    /// Parity check: ask AWS's policy simulator (iam:SimulatePrincipalPolicy)
    /// about a sample of a snapshot's roles and list every decision that
    /// differs from the local evaluator's. Exit 0 none, 1 disagreements.
    VerifySimulator(VerifySimulatorArgs),
    /// Print (or write) warehouse DDL for every lake table, generated from
    /// the schemas: Snowflake external tables or Athena tables with
    /// partition projection.
    Sql(SqlArgs),
    /// Print generated documentation (docs/LAKE.md is `iamlake docs lake`).
    #[command(hide = true)]
    Docs {
        /// Which document: `lake`.
        #[arg(value_parser = ["lake"])]
        which: String,
    },
}

/// `iamlake snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where roles come from: `fixtures:DIR` (a folder of AWS CLI output;
    /// see docs/FIXTURES.md) or `aws` (the live organization; docs/LIVE.md).
    #[arg(long, value_name = "SOURCE")]
    pub source: SourceSpec,
    /// Lake: a folder, or s3://bucket/prefix (docs/LIVE.md#s3-lake).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: LakeLocation,
    /// Snapshot date (YYYY-MM-DD); also picks DIR/<date>/ in a fixture series.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
    /// Collect only shard K of N (a deterministic 1/N of the accounts); the
    /// date is complete once all N shards have run.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::lake::shard::Shard>,
    /// text for people; json for batch logs: no progress bar, one JSON
    /// summary line on stdout, warnings and errors as JSON lines on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Who decides the simulations rows: `local` (the local evaluator, no
    /// API call) or `aws` (iam:SimulatePrincipalPolicy per role; `--source
    /// aws` only, needs that permission in the member role).
    #[arg(long, value_enum, default_value_t = crate::snapshot::Simulator::Local)]
    pub simulator: crate::snapshot::Simulator,
    /// When accounts fail, refuse the run (exit 1, the lake unchanged)
    /// unless it collected at least this fraction (0..=1) of the accounts
    /// of the previous complete snapshot (else of those it attempted).
    /// Overrides `min_accounts_ok` in iamlake.toml; default 0.5.
    #[arg(long, value_name = "FRACTION", value_parser = crate::snapshot::guard::parse_fraction)]
    pub min_accounts_ok: Option<f64>,
    /// Publish a run with failed accounts however few were collected (the
    /// date is `partial`, exit 3).
    #[arg(long)]
    pub allow_partial: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub s3: S3LakeArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags of lakes on S3 (`--lake s3://…`).
#[derive(Debug, Args, Clone, Default)]
pub struct S3LakeArgs {
    /// Encrypt the lake's objects with this KMS key (id, ARN or alias)
    /// instead of SSE-S3.
    #[arg(long, value_name = "KEY")]
    pub sse_kms_key_id: Option<String>,
    /// Send S3 requests to this URL, path-style (S3-compatible servers,
    /// emulators).
    #[arg(long, value_name = "URL", env = "AWS_ENDPOINT_URL_S3")]
    pub s3_endpoint_url: Option<String>,
}

impl S3LakeArgs {
    /// The S3 lake settings: these flags over the documented defaults.
    pub fn to_options(&self) -> crate::lake::s3::S3Options {
        crate::lake::s3::S3Options {
            sse_kms_key_id: self.sse_kms_key_id.clone(),
            endpoint_url: self.s3_endpoint_url.clone(),
            ..Default::default()
        }
    }
}

/// How commands that only read and write the lake reach an S3 lake.
#[derive(Debug, Args, Clone, Default)]
pub struct LakeAccessArgs {
    /// Named profile for an s3:// lake (default: aws-config's default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region of an s3:// lake's bucket.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[command(flatten)]
    pub s3: S3LakeArgs,
}

/// Live collection flags (`--source aws`); see docs/LIVE.md.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    #[command(flatten)]
    pub connection: AwsConnectionArgs,
    /// Collect these account ids instead of listing the organization.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub accounts: Option<Vec<String>>,
    /// Seconds an Access Advisor job may run before it is recorded as timed out.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub job_timeout: u64,
}

/// How to reach AWS and the member accounts: every command that calls AWS
/// (`snapshot --source aws`, `verify-simulator`).
#[derive(Debug, Args, Clone, Default)]
pub struct AwsConnectionArgs {
    /// Named profile to start from (default: aws-config's default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region for STS (IAM and Organizations are global).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS request to this URL (emulators only).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Role assumed in every member account.
    #[arg(long, value_name = "NAME", default_value = "iamlake-reader")]
    pub member_role: String,
    /// sts:ExternalId sent when assuming the member role.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
}

impl AwsConnectionArgs {
    /// The collector settings: these flags over the documented defaults.
    pub fn to_config(&self) -> crate::source::aws::AwsConfig {
        crate::source::aws::AwsConfig {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            member_role_name: self.member_role.clone(),
            external_id: self.external_id.clone(),
            ..Default::default()
        }
    }
}

impl AwsArgs {
    /// The collector settings: these flags over the documented defaults.
    pub fn to_config(&self) -> crate::source::aws::AwsConfig {
        crate::source::aws::AwsConfig {
            accounts: self.accounts.clone(),
            job_timeout: std::time::Duration::from_secs(self.job_timeout),
            ..self.connection.to_config()
        }
    }
}

/// Flags shared by commands that snapshot.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// File of sensitive actions, one per line (# comments allowed);
    /// overrides the config file and the default list.
    #[arg(long, value_name = "FILE")]
    pub actions_file: Option<PathBuf>,
    /// Config file (default: ./iamlake.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `iamlake analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Lake: a folder, or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: LakeLocation,
    #[command(flatten)]
    pub access: LakeAccessArgs,
    /// Date to analyze (must have a complete snapshot).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
    #[command(flatten)]
    pub options: AnalyzeOptions,
    /// No summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `iamlake suggest`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// Lake: a folder, or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: LakeLocation,
    #[command(flatten)]
    pub access: LakeAccessArgs,
    /// Snapshot date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
    /// The role's ARN.
    #[arg(long, value_name = "ARN")]
    pub role: String,
    /// Days without use after which a permission counts as unused.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub unused_days: i64,
    /// Reviews file: permissions marked keep are never removed.
    #[arg(long, value_name = "FILE")]
    pub reviews: Option<PathBuf>,
    /// Terraform state managing the role and its policies (file, folder or
    /// s3://bucket/prefix; repeatable): names the resource to edit.
    #[arg(long, value_name = "FILE|DIR|s3://BUCKET/PREFIX")]
    pub terraform_state: Vec<crate::analyze::terraform::StateSource>,
    /// Print JSON (current and suggested documents, diff, notes).
    #[arg(long)]
    pub json: bool,
}

/// Analyze settings shared by `analyze` and `demo`.
#[derive(Debug, Args, Clone)]
pub struct AnalyzeOptions {
    /// Days without use after which a granted permission counts as unused.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub unused_days: i64,
    /// Owners rules (CSV or YAML): account, role glob, path prefix → team.
    #[arg(long, value_name = "FILE")]
    pub owners: Option<PathBuf>,
    /// Owners config (TOML): Terraform state → repository path (CODEOWNERS)
    /// or team, CloudFormation stack rules, per-account default teams.
    #[arg(long, value_name = "FILE")]
    pub owners_config: Option<PathBuf>,
    /// Terraform state (JSON format v4) managing roles: a file, a folder of
    /// *.tfstate, or s3://bucket/prefix as the S3 backend stores them. Repeatable.
    #[arg(long, value_name = "FILE|DIR|s3://BUCKET/PREFIX")]
    pub terraform_state: Vec<crate::analyze::terraform::StateSource>,
    /// Reviews (CSV or YAML): keep/delete decisions on unused permissions.
    #[arg(long, value_name = "FILE")]
    pub reviews: Option<PathBuf>,
    /// Write one JSON line per (team, role) with what is new.
    #[arg(long, value_name = "FILE")]
    pub alerts_out: Option<PathBuf>,
    /// POST each alert as JSON to this URL (with retries).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Days after which an active access key that was never rotated is a
    /// finding (credential reports).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub key_max_age_days: i64,
    /// Routes (TOML): teams → destinations (webhook, Slack, Opsgenie, Jira,
    /// files), secrets from environment variables; see docs/ANALYZE.md.
    #[arg(long, value_name = "FILE")]
    pub routes: Option<PathBuf>,
}

/// `iamlake demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Fixture series to run on (default: the bundled fixtures/default).
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Lake root folder.
    #[arg(long, value_name = "DIR", default_value = "lake")]
    pub lake: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub analyze: AnalyzeOptions,
}

/// `iamlake fixtures …`.
#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Generate a deterministic synthetic organization, one folder per day.
    Generate(GenerateArgs),
}

/// `iamlake fixtures generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of accounts.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub accounts: u32,
    /// Roles per account on the first day.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub roles_per_account: u32,
    /// Number of daily states to write.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3_660))]
    pub days: u32,
    /// Simulate the first N days without writing them (the days written
    /// equal a full run's): long series in windows, without the disk.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub skip_days: u32,
    /// Seed: the same seed and sizes give byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day of the series.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-10-01")]
    pub start_date: NaiveDate,
    /// Output folder (created; must be empty or absent).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `iamlake simulate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["request", "policy", "lake"])))]
pub struct SimulateArgs {
    /// Request file: action, resource, principal_arn, context,
    /// identity_policies, permissions_boundary, scp_levels (docs/EVALUATION.md).
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Short form: an identity policy file (repeatable).
    #[arg(long, value_name = "FILE", requires = "action", conflicts_with_all = ["request", "lake"])]
    pub policy: Vec<PathBuf>,
    /// Short form: the permissions boundary policy file.
    #[arg(long, value_name = "FILE", requires = "policy")]
    pub boundary: Option<PathBuf>,
    /// Short form: an SCP file; each file is one level, root first (repeatable).
    #[arg(long, value_name = "FILE", requires = "policy")]
    pub scp: Vec<PathBuf>,
    /// Short form: the action, e.g. iam:PassRole.
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    /// Short form: the resource ARN (default: any resource, `*`).
    #[arg(long, value_name = "ARN", requires = "policy")]
    pub resource: Option<String>,
    /// Short form: a context key and value (repeatable; a key given twice is
    /// multi-valued). Keys not given are unknown.
    #[arg(long, value_name = "KEY=VALUE", requires = "policy")]
    pub context: Vec<String>,
    /// Short form: the principal's ARN (sets aws:PrincipalArn and aws:PrincipalAccount).
    #[arg(long, value_name = "ARN", requires = "policy")]
    pub principal_arn: Option<String>,
    /// Explain a role's decisions from a snapshot in this lake (a folder or
    /// s3://bucket/prefix).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX", requires_all = ["date", "role"], conflicts_with = "request")]
    pub lake: Option<LakeLocation>,
    #[command(flatten)]
    pub lake_access: LakeAccessArgs,
    /// With --lake: the snapshot date.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "lake")]
    pub date: Option<NaiveDate>,
    /// With --lake: the role's ARN.
    #[arg(long, value_name = "ARN", requires = "lake")]
    pub role: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// How `snapshot` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Progress bar and a readable summary.
    Text,
    /// JSON lines.
    Json,
}

/// Output format of `check-plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Markdown for a pull-request comment.
    Text,
    /// A stable JSON document (docs/CHECK_PLAN.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// JSON shaped as OPA/conftest input: `input.iamlake.findings`
    /// (docs/CHECK_PLAN.md, with an example Rego policy).
    Conftest,
}

/// `iamlake check-plan`.
#[derive(Debug, Args)]
pub struct CheckPlanArgs {
    /// Plan as JSON: `terraform show -json PLANFILE > plan.json`.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Overrides file (TOML): who or what may bypass, with a reason and an
    /// optional expiry.
    #[arg(long, value_name = "FILE")]
    pub overrides: Option<PathBuf>,
    /// The change's author, matched against `author` overrides.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also fail on grants allowed only under conditions.
    #[arg(long)]
    pub fail_on_conditional: bool,
    /// Check every IAM resource in the plan, not only created or changed ones.
    #[arg(long)]
    pub all: bool,
    /// The date overrides expire against (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
    /// File that SARIF results are anchored to (plan JSON has no source
    /// locations, and code scanning rejects results without one).
    #[arg(long, value_name = "PATH", default_value = "main.tf")]
    pub sarif_location: String,
    /// Resolve AWS managed policies from this lake's snapshot (the versions
    /// the organization really has), over the bundled snapshot; a folder or
    /// s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: Option<LakeLocation>,
    #[command(flatten)]
    pub lake_access: LakeAccessArgs,
    /// With --lake: the snapshot date (default: the latest complete one).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "lake")]
    pub lake_date: Option<NaiveDate>,
    /// With --lake: the account the plan applies to (default: the one the
    /// plan's ARNs name, else the snapshot's only account). Roles the plan
    /// changes are judged with their deployed policies, and every grant
    /// under the account's SCPs.
    #[arg(long, value_name = "ID", requires = "lake")]
    pub account: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `iamlake sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// snowflake or athena.
    #[arg(long, value_parser = ["snowflake", "athena"])]
    pub dialect: String,
    /// The lake's S3 location, e.g. s3://bucket/prefix.
    #[arg(long, value_name = "S3_URL")]
    pub location: String,
    /// Write the files into this folder instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `iamlake report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Lake: a folder, or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: LakeLocation,
    #[command(flatten)]
    pub access: LakeAccessArgs,
    /// Date to report on (default: the latest analyzed date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Output HTML file.
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    pub out: PathBuf,
}

/// `iamlake verify-simulator`.
#[derive(Debug, Args)]
pub struct VerifySimulatorArgs {
    /// Lake holding the snapshot to check: a folder or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub lake: LakeLocation,
    /// Snapshot date (must have a complete or partial snapshot).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: NaiveDate,
    /// Roles to check, drawn at random (seeded) from the snapshot. Each
    /// costs one SimulatePrincipalPolicy call per 50 actions.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub sample: u32,
    /// Seed of the sample: the same seed, lake and date pick the same roles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub aws: AwsConnectionArgs,
    #[command(flatten)]
    pub s3: S3LakeArgs,
}

/// `iamlake lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Lake root folder.
    #[arg(long, value_name = "DIR")]
    pub lake: PathBuf,
}

/// Settings resolved from flags, the config file and defaults.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub sensitive_actions: Vec<String>,
    pub owner_tag_keys: Vec<String>,
    /// `[snapshot] min_accounts_ok`, else the default (a flag may override).
    pub min_accounts_ok: f64,
}

impl CommonArgs {
    /// Applies the documented precedence: flag, config file, default.
    pub fn resolve(&self) -> Result<Resolved, config::ConfigError> {
        let file = ConfigFile::load(self.config.as_deref())?;
        let sensitive_actions = match &self.actions_file {
            Some(path) => config::read_actions_file(path)?,
            None => file.snapshot.sensitive_actions.unwrap_or_else(|| {
                config::DEFAULT_SENSITIVE_ACTIONS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            }),
        };
        let owner_tag_keys = file.snapshot.owner_tag_keys.unwrap_or_else(|| {
            config::DEFAULT_OWNER_TAG_KEYS
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        Ok(Resolved {
            sensitive_actions,
            owner_tag_keys,
            min_accounts_ok: file
                .snapshot
                .min_accounts_ok
                .unwrap_or(crate::snapshot::guard::DEFAULT_MIN_ACCOUNTS_OK),
        })
    }
}
