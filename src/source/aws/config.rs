//! [`AwsConfig`]: every knob of live collection, its defaults, its
//! validation, and the one place AWS clients are built (with the one retry
//! policy).

use super::counters::{ApiCounters, RetryClassifier};
use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use std::sync::Arc;
use std::time::Duration;

/// Settings of a live collection run. Build with [`AwsConfig::default`] and
/// override fields; call [`AwsConfig::validate`] (the collector does) before
/// any network call.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsConfig {
    /// Named profile of `~/.aws/config` to start from (`--profile`); `None`:
    /// the default chain (environment, `AWS_PROFILE`/default profile
    /// including SSO, web identity, ECS/EC2 instance metadata).
    /// Default: [`default_profile`] (`None`).
    pub profile: Option<String>,
    /// Region for STS and the SDK (`--region`); `None`: the chain's region,
    /// else [`FALLBACK_REGION`]. IAM and Organizations are global services.
    /// Default: [`default_region`] (`None`).
    pub region: Option<String>,
    /// Send every request to this URL instead of AWS (`--endpoint-url`):
    /// emulators only. Default: [`default_endpoint_url`] (`None`).
    pub endpoint_url: Option<String>,
    /// AWS partition of the ARNs built for member roles (`aws`, `aws-cn`,
    /// `aws-us-gov`). Default: [`default_partition`] (`aws`).
    pub partition: String,
    /// The role assumed in every account, path included if it has one
    /// (`reader` or `security/reader`). Default: [`default_member_role_name`]
    /// (`iamlake-reader`, see deploy/iam/member-role.json).
    pub member_role_name: String,
    /// `sts:ExternalId` sent with AssumeRole; the member role's trust policy
    /// should require it. Default: [`default_external_id`] (`None`).
    pub external_id: Option<String>,
    /// Session name of the assumed roles (shows in CloudTrail).
    /// Default: [`default_session_name`] (`iamlake-snapshot`).
    pub session_name: String,
    /// Lifetime asked for the member-role credentials; they are renewed
    /// before they expire. 900 s to 43 200 s, and at most the role's
    /// MaxSessionDuration. Default: [`default_session_duration`] (1 h).
    pub session_duration: Duration,
    /// Collect exactly these account ids instead of Organizations'
    /// ListAccounts (`--accounts`). Default: [`default_accounts`] (`None`).
    pub accounts: Option<Vec<String>>,
    /// Read the SCPs and RCPs over each account (needs Organizations read
    /// access; AccessDenied only drops the layer, with a warning; RCPs not
    /// enabled in the organization means no RCP layer, without one).
    /// Default: [`default_collect_scps`] (`true`).
    pub collect_scps: bool,
    /// Run Access Advisor jobs for every role. Default:
    /// [`default_collect_last_accessed`] (`true`).
    pub collect_last_accessed: bool,
    /// Attempts per call, first included (adaptive retry mode).
    /// Default: [`default_max_attempts`] (8).
    pub max_attempts: u32,
    /// Base of the exponential retry backoff (with jitter).
    /// Default: [`default_retry_initial_backoff`] (1 s).
    pub retry_initial_backoff: Duration,
    /// Longest pause between two attempts; it also caps how long adaptive
    /// mode's rate limiter makes a throttled retry wait for its tokens,
    /// which is what stalled an account after its first throttles (see
    /// docs/LIVE.md). Default: [`default_retry_max_backoff`] (5 s).
    pub retry_max_backoff: Duration,
    /// Time allowed to one HTTP attempt, answer read included; a timed-out
    /// attempt is retried. Default: [`default_attempt_timeout`] (60 s).
    pub attempt_timeout: Duration,
    /// Time allowed to open a connection. Default:
    /// [`default_connect_timeout`] (5 s).
    pub connect_timeout: Duration,
    /// Requests in flight at once in one account (IAM throttles per account).
    /// Default: [`default_max_concurrency_per_account`] (8).
    pub max_concurrency_per_account: usize,
    /// Requests in flight at once over all accounts. Default:
    /// [`default_max_concurrency`] (32).
    pub max_concurrency: usize,
    /// Accounts collected at once. Default:
    /// [`default_max_accounts_in_flight`] (4).
    pub max_accounts_in_flight: usize,
    /// An Access Advisor job not COMPLETED this long after it was generated
    /// is recorded as timed out. Default: [`default_job_timeout`] (5 min).
    pub job_timeout: Duration,
    /// Wait between generating a job and its first poll (jobs take seconds;
    /// polling at once would double the calls). Default:
    /// [`default_poll_initial_delay`] (3 s).
    pub poll_initial_delay: Duration,
    /// Longest wait between two polls of one job (the wait doubles from
    /// `poll_initial_delay`). Default: [`default_poll_max_delay`] (20 s).
    pub poll_max_delay: Duration,
    /// `MaxItems` of every IAM page (1–1000). Default: [`default_page_size`]
    /// (1000): fewer pages, fewer calls.
    pub page_size: i32,
    /// Pages allowed to one listing before it is taken for a loop.
    /// Default: [`default_max_pages`] (10 000).
    pub max_pages: u32,
    /// Parity mode (`--simulator aws`): ask AWS's policy simulator
    /// (`iam:SimulatePrincipalPolicy`, one call per role per
    /// [`super::simulator::ACTIONS_PER_CALL`] actions) for every role's
    /// decisions on these actions. `None`: no simulator call at all.
    /// Default: [`default_simulate_actions`] (`None`).
    pub simulate_actions: Option<Vec<String>>,
}

/// Region used when neither the options nor the chain name one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// Default of [`AwsConfig::profile`].
pub fn default_profile() -> Option<String> {
    None
}
/// Default of [`AwsConfig::region`].
pub fn default_region() -> Option<String> {
    None
}
/// Default of [`AwsConfig::endpoint_url`].
pub fn default_endpoint_url() -> Option<String> {
    None
}
/// Default of [`AwsConfig::partition`].
pub fn default_partition() -> String {
    "aws".to_string()
}
/// Default of [`AwsConfig::member_role_name`].
pub fn default_member_role_name() -> String {
    "iamlake-reader".to_string()
}
/// Default of [`AwsConfig::external_id`].
pub fn default_external_id() -> Option<String> {
    None
}
/// Default of [`AwsConfig::session_name`].
pub fn default_session_name() -> String {
    "iamlake-snapshot".to_string()
}
/// Default of [`AwsConfig::session_duration`].
pub fn default_session_duration() -> Duration {
    Duration::from_secs(3600)
}
/// Default of [`AwsConfig::accounts`].
pub fn default_accounts() -> Option<Vec<String>> {
    None
}
/// Default of [`AwsConfig::collect_scps`].
pub fn default_collect_scps() -> bool {
    true
}
/// Default of [`AwsConfig::collect_last_accessed`].
pub fn default_collect_last_accessed() -> bool {
    true
}
/// Default of [`AwsConfig::max_attempts`].
pub fn default_max_attempts() -> u32 {
    8
}
/// Default of [`AwsConfig::retry_initial_backoff`].
pub fn default_retry_initial_backoff() -> Duration {
    Duration::from_secs(1)
}
/// Default of [`AwsConfig::retry_max_backoff`].
pub fn default_retry_max_backoff() -> Duration {
    Duration::from_secs(5)
}
/// Default of [`AwsConfig::attempt_timeout`].
pub fn default_attempt_timeout() -> Duration {
    Duration::from_secs(60)
}
/// Default of [`AwsConfig::connect_timeout`].
pub fn default_connect_timeout() -> Duration {
    Duration::from_secs(5)
}
/// Default of [`AwsConfig::max_concurrency_per_account`].
pub fn default_max_concurrency_per_account() -> usize {
    8
}
/// Default of [`AwsConfig::max_concurrency`].
pub fn default_max_concurrency() -> usize {
    32
}
/// Default of [`AwsConfig::max_accounts_in_flight`].
pub fn default_max_accounts_in_flight() -> usize {
    4
}
/// Default of [`AwsConfig::job_timeout`].
pub fn default_job_timeout() -> Duration {
    Duration::from_secs(300)
}
/// Default of [`AwsConfig::poll_initial_delay`].
pub fn default_poll_initial_delay() -> Duration {
    Duration::from_secs(3)
}
/// Default of [`AwsConfig::poll_max_delay`].
pub fn default_poll_max_delay() -> Duration {
    Duration::from_secs(20)
}
/// Default of [`AwsConfig::page_size`].
pub fn default_page_size() -> i32 {
    1000
}
/// Default of [`AwsConfig::max_pages`].
pub fn default_max_pages() -> u32 {
    10_000
}
/// Default of [`AwsConfig::simulate_actions`].
pub fn default_simulate_actions() -> Option<Vec<String>> {
    None
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            profile: default_profile(),
            region: default_region(),
            endpoint_url: default_endpoint_url(),
            partition: default_partition(),
            member_role_name: default_member_role_name(),
            external_id: default_external_id(),
            session_name: default_session_name(),
            session_duration: default_session_duration(),
            accounts: default_accounts(),
            collect_scps: default_collect_scps(),
            collect_last_accessed: default_collect_last_accessed(),
            max_attempts: default_max_attempts(),
            retry_initial_backoff: default_retry_initial_backoff(),
            retry_max_backoff: default_retry_max_backoff(),
            attempt_timeout: default_attempt_timeout(),
            connect_timeout: default_connect_timeout(),
            max_concurrency_per_account: default_max_concurrency_per_account(),
            max_concurrency: default_max_concurrency(),
            max_accounts_in_flight: default_max_accounts_in_flight(),
            job_timeout: default_job_timeout(),
            poll_initial_delay: default_poll_initial_delay(),
            poll_max_delay: default_poll_max_delay(),
            page_size: default_page_size(),
            max_pages: default_max_pages(),
            simulate_actions: default_simulate_actions(),
        }
    }
}

/// A setting that cannot work; names the option as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {message}")]
pub struct ConfigError {
    pub option: &'static str,
    pub message: String,
}

fn err(option: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        option,
        message: message.into(),
    }
}

/// Whether `id` is an AWS account id (12 digits).
pub fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

fn iam_name_chars(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) || extra.contains(c))
}

impl AwsConfig {
    /// Checks every setting; makes no network call.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let non_empty = |option, v: &Option<String>| match v {
            Some(s) if s.trim().is_empty() => Err(err(option, "must not be empty")),
            _ => Ok(()),
        };
        non_empty("profile", &self.profile)?;
        non_empty("region", &self.region)?;
        if let Some(r) = &self.region
            && !r
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(err("region", format!("{r:?} is not a region name")));
        }
        if let Some(u) = &self.endpoint_url {
            let rest = u
                .strip_prefix("http://")
                .or_else(|| u.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
                return Err(err(
                    "endpoint-url",
                    format!("{u:?} is not an http:// or https:// URL"),
                ));
            }
        }
        if !["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"]
            .contains(&self.partition.as_str())
        {
            return Err(err(
                "partition",
                format!("{:?} is not an AWS partition", self.partition),
            ));
        }
        let role = self.member_role_name.trim_matches('/');
        if role.is_empty()
            || role.len() > 512
            || !iam_name_chars(role, "/")
            || role
                .rsplit('/')
                .next()
                .is_none_or(|n| n.is_empty() || n.len() > 64)
        {
            return Err(err(
                "member-role",
                format!(
                    "{:?} is not an IAM role name (letters, digits, +=,.@_-, optionally under a /path/)",
                    self.member_role_name
                ),
            ));
        }
        if let Some(x) = &self.external_id
            && (x.len() < 2 || x.len() > 1224 || !iam_name_chars(x, ":/"))
        {
            return Err(err(
                "external-id",
                "must be 2 to 1224 characters of letters, digits and +=,.@:/_-",
            ));
        }
        if self.session_name.len() < 2
            || self.session_name.len() > 64
            || !iam_name_chars(&self.session_name, "")
        {
            return Err(err(
                "session-name",
                "must be 2 to 64 characters of letters, digits and +=,.@_-",
            ));
        }
        let secs = self.session_duration.as_secs();
        if !(900..=43_200).contains(&secs) {
            return Err(err(
                "session-duration",
                format!("{secs}s is outside 900s..=43200s"),
            ));
        }
        if let Some(accounts) = &self.accounts {
            if accounts.is_empty() {
                return Err(err("accounts", "the list is empty"));
            }
            if let Some(bad) = accounts.iter().find(|a| !is_account_id(a)) {
                return Err(err(
                    "accounts",
                    format!("{bad:?} is not a 12-digit account id"),
                ));
            }
        }
        if !(1..=20).contains(&self.max_attempts) {
            return Err(err("max-attempts", "must be 1 to 20"));
        }
        if self.retry_initial_backoff.is_zero()
            || self.retry_initial_backoff > self.retry_max_backoff
        {
            return Err(err(
                "retry-backoff",
                "the initial backoff must be above zero and at most the maximum backoff",
            ));
        }
        for (option, d) in [
            ("attempt-timeout", self.attempt_timeout),
            ("connect-timeout", self.connect_timeout),
            ("job-timeout", self.job_timeout),
            ("poll-initial-delay", self.poll_initial_delay),
        ] {
            if d.is_zero() {
                return Err(err(option, "must be above zero"));
            }
        }
        if self.poll_max_delay < self.poll_initial_delay {
            return Err(err("poll-max-delay", "must be at least poll-initial-delay"));
        }
        if self.max_concurrency_per_account == 0 || self.max_concurrency == 0 {
            return Err(err("max-concurrency", "must be at least 1"));
        }
        if self.max_accounts_in_flight == 0 {
            return Err(err("max-accounts-in-flight", "must be at least 1"));
        }
        if !(1..=1000).contains(&self.page_size) {
            return Err(err("page-size", "must be 1 to 1000"));
        }
        if self.max_pages == 0 {
            return Err(err("max-pages", "must be at least 1"));
        }
        if let Some(actions) = &self.simulate_actions {
            if actions.is_empty() {
                return Err(err("simulator", "no action to simulate"));
            }
            if let Some(bad) = actions.iter().find(|a| !a.contains(':') || a.len() < 3) {
                return Err(err(
                    "simulator",
                    format!("{bad:?} is not a service:Action name"),
                ));
            }
        }
        Ok(())
    }

    /// The ARN of the member role in `account_id`.
    pub fn member_role_arn(&self, account_id: &str) -> String {
        let role = self.member_role_name.trim_matches('/');
        format!("arn:{}:iam::{account_id}:role/{role}", self.partition)
    }

    /// The one retry policy: adaptive mode (client-side rate limiting that
    /// backs off when throttled), `max_attempts` attempts, exponential
    /// backoff with jitter. What is retried: throttling
    /// ([`super::counters::THROTTLING_CODES`], HTTP 429, any "Rate
    /// exceeded"), HTTP 5xx, timeouts and connection errors; never
    /// [`super::counters::NEVER_RETRY_CODES`] (AccessDenied, validation).
    pub fn retry_config(&self) -> RetryConfig {
        RetryConfig::adaptive()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.retry_initial_backoff)
            .with_max_backoff(self.retry_max_backoff)
    }

    /// Timeouts of every client.
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .build()
    }

    /// The SDK config loader with every setting applied: the default
    /// credential chain (or `profile`), the region, the endpoint override,
    /// the retry and timeout policy. Callers may still override parts (tests
    /// set static credentials) before `load()`.
    pub fn sdk_loader(&self) -> aws_config::ConfigLoader {
        let region = RegionProviderChain::first_try(self.region.clone().map(Region::new));
        let region = match &self.profile {
            Some(p) => region.or_else(
                aws_config::profile::ProfileFileRegionProvider::builder()
                    .profile_name(p)
                    .build(),
            ),
            None => region.or_default_provider(),
        }
        .or_else(Region::from_static(FALLBACK_REGION));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region)
            .retry_config(self.retry_config())
            .timeout_config(self.timeout_config());
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(u) = &self.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        loader
    }

    /// Validates the settings and loads the base SDK configuration. Makes
    /// no network call by itself (credentials load lazily, at the first
    /// request). Other SDK clients of the run (the lake's S3) should start
    /// from this and add [`ApiCounters::interceptor`].
    pub async fn load_sdk_config(&self) -> Result<SdkConfig, ConfigError> {
        self.validate()?;
        Ok(self.sdk_loader().load().await)
    }
}

/// The clients of one identity: the caller's own, or a member account's.
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub organizations: aws_sdk_organizations::Client,
}

/// Builds every AWS client of the collector, the only place that does:
/// from the base `sdk` config, with `credentials` replacing the chain's
/// (member accounts), a retry partition of their own (`partition`: the
/// adaptive rate limiter and retry budget are per partition, and IAM
/// throttles per account), the counting interceptor and the retry
/// classifier.
pub fn build_clients(
    sdk: &SdkConfig,
    credentials: Option<SharedCredentialsProvider>,
    partition: &str,
    counters: &Arc<ApiCounters>,
) -> Clients {
    macro_rules! client {
        ($svc:ident) => {{
            let mut b = $svc::config::Builder::from(sdk)
                .retry_partition($svc::config::retry::RetryPartition::new(format!(
                    "iamlake-{}-{partition}",
                    stringify!($svc)
                )))
                .interceptor(counters.interceptor())
                .retry_classifier(RetryClassifier);
            if let Some(c) = &credentials {
                // AssumeRole may be retried through throttling: allow it
                // longer than the SDK's 5 s default to renew credentials.
                b = b.credentials_provider(c.clone()).identity_cache(
                    $svc::config::IdentityCache::lazy()
                        .load_timeout(Duration::from_secs(120))
                        .buffer_time(Duration::from_secs(300))
                        .build(),
                );
            }
            $svc::Client::from_conf(b.build())
        }};
    }
    Clients {
        iam: client!(aws_sdk_iam),
        sts: client!(aws_sdk_sts),
        organizations: client!(aws_sdk_organizations),
    }
}

/// Builds the lake's S3 client, from the same base `sdk` config (credentials
/// chain, region, retry and timeout policy) as every other client, with the
/// counting interceptor and retry classifier. With `endpoint_url` (an
/// S3-compatible server or emulator) requests go there, path-style: such
/// servers rarely resolve `bucket.host` names.
pub fn build_s3_client(
    sdk: &SdkConfig,
    endpoint_url: Option<&str>,
    counters: &Arc<ApiCounters>,
) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(sdk)
        .retry_partition(aws_sdk_s3::config::retry::RetryPartition::new(
            "iamlake-aws_sdk_s3-lake",
        ))
        .interceptor(counters.interceptor())
        .retry_classifier(RetryClassifier);
    if let Some(url) = endpoint_url {
        b = b.endpoint_url(url).force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        AwsConfig::default().validate().unwrap();
        let c = AwsConfig::default();
        assert_eq!(c.member_role_name, "iamlake-reader");
        assert_eq!(
            c.member_role_arn("111122223333"),
            "arn:aws:iam::111122223333:role/iamlake-reader"
        );
    }

    #[test]
    fn rejects_bad_settings_by_option_name() {
        let bad = |f: &dyn Fn(&mut AwsConfig)| {
            let mut c = AwsConfig::default();
            f(&mut c);
            c.validate().unwrap_err().option
        };
        assert_eq!(
            bad(&|c| c.endpoint_url = Some("localhost:5000".into())),
            "endpoint-url"
        );
        assert_eq!(bad(&|c| c.region = Some("US East".into())), "region");
        assert_eq!(bad(&|c| c.member_role_name = "a b".into()), "member-role");
        assert_eq!(bad(&|c| c.external_id = Some("x".into())), "external-id");
        assert_eq!(
            bad(&|c| c.accounts = Some(vec!["12345".into()])),
            "accounts"
        );
        assert_eq!(bad(&|c| c.accounts = Some(vec![])), "accounts");
        assert_eq!(bad(&|c| c.max_attempts = 0), "max-attempts");
        assert_eq!(
            bad(&|c| c.session_duration = Duration::from_secs(60)),
            "session-duration"
        );
        assert_eq!(bad(&|c| c.page_size = 5000), "page-size");
        assert_eq!(bad(&|c| c.max_concurrency = 0), "max-concurrency");
        assert_eq!(bad(&|c| c.job_timeout = Duration::ZERO), "job-timeout");
        assert_eq!(bad(&|c| c.partition = "mars".into()), "partition");
        assert_eq!(bad(&|c| c.simulate_actions = Some(vec![])), "simulator");
        assert_eq!(
            bad(&|c| c.simulate_actions = Some(vec!["PassRole".into()])),
            "simulator"
        );
    }

    #[test]
    fn member_role_with_a_path() {
        let c = AwsConfig {
            member_role_name: "/security/reader/".into(),
            partition: "aws-cn".into(),
            ..AwsConfig::default()
        };
        c.validate().unwrap();
        assert_eq!(
            c.member_role_arn("111122223333"),
            "arn:aws-cn:iam::111122223333:role/security/reader"
        );
    }
}
