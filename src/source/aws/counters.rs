//! Counts every AWS API call, per operation, and holds the one retry policy's
//! error classification.
//!
//! A [`CountingInterceptor`] is installed on every client the collector builds
//! (and can be installed on any other SDK client, e.g. the lake's S3 client):
//! it counts each operation invocation (`calls`), each HTTP attempt
//! (`attempts`; `retries` = attempts − calls), each throttled attempt
//! (`throttles`), 5xx answers (`server_errors`), attempts that got no answer
//! (`transport_errors`: timeouts, refused connections) and invocations that
//! failed for good (`failures`). Keys are `service:Operation`, e.g.
//! `iam:GetAccountAuthorizationDetails`.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Error codes that mean "slow down": retried with throttling backoff and
/// fed to the adaptive rate limiter. A message containing `Rate exceeded`
/// counts as throttling whatever its code.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

/// Error codes that are never retried: retrying a refusal or a bad request
/// only burns the account's request budget.
pub const NEVER_RETRY_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthorizationError",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ValidationError",
    "ValidationException",
    "InvalidInput",
    "InvalidInputException",
    "InvalidParameterValue",
    "MalformedPolicyDocument",
    "NoSuchEntity",
    "AWSOrganizationsNotInUseException",
    "AccountNotFoundException",
    "TargetNotFoundException",
    "PolicyNotFoundException",
    "ChildNotFoundException",
];

/// The counts of one operation (or a total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OpCounts {
    /// Operation invocations (one per page, per poll), retries excluded.
    pub calls: u64,
    /// HTTP attempts, retries included.
    pub attempts: u64,
    /// Attempts beyond the first of each call.
    pub retries: u64,
    /// Attempts answered with a throttling error.
    pub throttles: u64,
    /// Attempts answered with HTTP 5xx.
    pub server_errors: u64,
    /// Attempts that got no HTTP answer (timeout, connection error).
    pub transport_errors: u64,
    /// Calls that failed after all retries (or were not retryable).
    pub failures: u64,
}

impl OpCounts {
    fn add(&mut self, other: &OpCounts) {
        self.calls += other.calls;
        self.attempts += other.attempts;
        self.retries += other.retries;
        self.throttles += other.throttles;
        self.server_errors += other.server_errors;
        self.transport_errors += other.transport_errors;
        self.failures += other.failures;
    }
}

#[derive(Debug, Default)]
struct AtomicCounts {
    calls: AtomicU64,
    attempts: AtomicU64,
    throttles: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    failures: AtomicU64,
}

impl AtomicCounts {
    fn load(&self) -> OpCounts {
        let calls = self.calls.load(Ordering::Relaxed);
        let attempts = self.attempts.load(Ordering::Relaxed);
        OpCounts {
            calls,
            attempts,
            retries: attempts.saturating_sub(calls),
            throttles: self.throttles.load(Ordering::Relaxed),
            server_errors: self.server_errors.load(Ordering::Relaxed),
            transport_errors: self.transport_errors.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}

/// Per-operation API call counters, shared by every client of a run.
#[derive(Debug, Default)]
pub struct ApiCounters {
    ops: RwLock<HashMap<String, Arc<AtomicCounts>>>,
    /// Running totals, for cheap progress reports.
    calls: AtomicU64,
    throttles: AtomicU64,
}

impl ApiCounters {
    /// Empty counters.
    pub fn new() -> Arc<ApiCounters> {
        Arc::new(ApiCounters::default())
    }

    /// An interceptor that counts into these counters; install it on any SDK
    /// client (`config::Builder::interceptor`).
    pub fn interceptor(self: &Arc<Self>) -> CountingInterceptor {
        CountingInterceptor {
            counters: Arc::clone(self),
        }
    }

    fn op(&self, key: &str) -> Arc<AtomicCounts> {
        if let Some(c) = self.ops.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            return Arc::clone(c);
        }
        let mut ops = self.ops.write().unwrap_or_else(|e| e.into_inner());
        Arc::clone(ops.entry(key.to_string()).or_default())
    }

    /// The counts of every operation seen, by `service:Operation`.
    pub fn snapshot(&self) -> BTreeMap<String, OpCounts> {
        self.ops
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.load()))
            .collect()
    }

    /// The counts of one operation (zero when never called).
    pub fn get(&self, key: &str) -> OpCounts {
        self.ops
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .map(|c| c.load())
            .unwrap_or_default()
    }

    /// The sum over the operations whose key starts with `prefix` (`"iam:"`,
    /// `""` for everything).
    pub fn total(&self, prefix: &str) -> OpCounts {
        let mut out = OpCounts::default();
        for (k, v) in self.snapshot() {
            if k.starts_with(prefix) {
                out.add(&v);
            }
        }
        out
    }

    /// Calls made so far, all operations (cheap).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Throttled attempts so far, all operations (cheap).
    pub fn throttles(&self) -> u64 {
        self.throttles.load(Ordering::Relaxed)
    }
}

/// The interceptor behind [`ApiCounters::interceptor`].
#[derive(Debug, Clone)]
pub struct CountingInterceptor {
    counters: Arc<ApiCounters>,
}

fn op_key(cfg: &ConfigBag) -> String {
    match cfg.load::<Metadata>() {
        Some(m) => format!("{}:{}", service_prefix(m.service()), m.name()),
        None => "unknown:unknown".to_string(),
    }
}

/// The SDK's service names are display names ("IAM", "Organizations");
/// the keys use the IAM action prefixes ("iam", "organizations").
fn service_prefix(service: &str) -> String {
    service.to_ascii_lowercase().replace(' ', "")
}

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "iamlake::CountingInterceptor"
    }

    // Not read_before_execution: the operation's Metadata is not in the
    // config bag yet at that point. Serialization happens once per call,
    // before the retry loop.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counters
            .op(&op_key(cfg))
            .calls
            .fetch_add(1, Ordering::Relaxed);
        self.counters.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.counters
            .op(&op_key(cfg))
            .attempts
            .fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = self.counters.op(&op_key(cfg));
        match context.response() {
            Some(resp) => {
                if resp.status().is_server_error() {
                    op.server_errors.fetch_add(1, Ordering::Relaxed);
                }
                if is_throttling(resp) {
                    op.throttles.fetch_add(1, Ordering::Relaxed);
                    self.counters.throttles.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                if matches!(context.output_or_error(), Some(Err(_))) {
                    op.transport_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if matches!(context.output_or_error(), Some(Err(_))) {
            self.counters
                .op(&op_key(cfg))
                .failures
                .fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// An AWS error as read from a raw response: code and message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawError {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Reads the error code and message of an error response of any protocol
/// the collector talks: query XML (`<Code>`), JSON 1.1 (`__type` or the
/// `x-amzn-ErrorType` header).
pub fn raw_error(resp: &HttpResponse) -> RawError {
    let body = resp.body().bytes().map(String::from_utf8_lossy);
    let body = body.as_deref().unwrap_or("");
    let header_code = resp
        .headers()
        .get("x-amzn-errortype")
        .map(|h| strip_code(h.split(':').next().unwrap_or(h)));
    raw_error_text(body, header_code)
}

fn strip_code(code: &str) -> String {
    code.rsplit('#').next().unwrap_or(code).trim().to_string()
}

fn xml_tag<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim())
}

fn raw_error_text(body: &str, header_code: Option<String>) -> RawError {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        return RawError {
            code: xml_tag(body, "Code").map(str::to_string).or(header_code),
            message: xml_tag(body, "Message").map(str::to_string),
        };
    }
    let json: Option<serde_json::Value> = serde_json::from_str(trimmed).ok();
    let field = |names: &[&str]| {
        let obj = json.as_ref()?.as_object()?;
        names
            .iter()
            .find_map(|n| obj.get(*n).and_then(|v| v.as_str()).map(str::to_string))
    };
    RawError {
        code: header_code.or_else(|| field(&["__type", "code", "Code"]).map(|c| strip_code(&c))),
        message: field(&["message", "Message"]),
    }
}

fn is_throttling_error(err: &RawError) -> bool {
    err.code
        .as_deref()
        .is_some_and(|c| THROTTLING_CODES.contains(&c))
        || err
            .message
            .as_deref()
            .is_some_and(|m| m.contains("Rate exceeded"))
}

fn is_throttling(resp: &HttpResponse) -> bool {
    let status = resp.status().as_u16();
    if status < 400 {
        return false;
    }
    status == 429 || is_throttling_error(&raw_error(resp))
}

/// The collector's retry classifier, run after the SDK's own (which already
/// retry the throttling codes, 5xx, timeouts and connection errors): it
/// forbids retrying refusals and validation errors, and treats any answer
/// whose message says `Rate exceeded` as throttling.
#[derive(Debug, Default, Clone)]
pub struct RetryClassifier;

impl RetryClassifier {
    /// The decision for one error response.
    pub fn classify_response(resp: &HttpResponse) -> RetryAction {
        let status = resp.status().as_u16();
        if status < 400 {
            return RetryAction::NoActionIndicated;
        }
        let err = raw_error(resp);
        if err
            .code
            .as_deref()
            .is_some_and(|c| NEVER_RETRY_CODES.contains(&c))
        {
            RetryAction::RetryForbidden
        } else if status == 429 || is_throttling_error(&err) {
            RetryAction::throttling_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }
}

impl ClassifyRetry for RetryClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match (ctx.output_or_error(), ctx.response()) {
            (Some(Err(_)), Some(resp)) => RetryClassifier::classify_response(resp),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "iamlake::RetryClassifier"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body.to_string()),
        )
    }

    const IAM_THROTTLE: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>";

    #[test]
    fn reads_query_and_json_error_codes() {
        let e = raw_error(&resp(400, IAM_THROTTLE));
        assert_eq!(e.code.as_deref(), Some("Throttling"));
        assert_eq!(e.message.as_deref(), Some("Rate exceeded"));
        let e = raw_error(&resp(
            400,
            r#"{"__type":"com.amazonaws.organizations#TooManyRequestsException","Message":"Rate exceeded"}"#,
        ));
        assert_eq!(e.code.as_deref(), Some("TooManyRequestsException"));
        let mut r = resp(400, "{}");
        r.headers_mut()
            .insert("x-amzn-ErrorType", "AccessDeniedException:http://x");
        assert_eq!(raw_error(&r).code.as_deref(), Some("AccessDeniedException"));
    }

    #[test]
    fn classification_follows_the_retry_policy() {
        use RetryAction::*;
        let throttle = RetryAction::throttling_error();
        assert_eq!(
            RetryClassifier::classify_response(&resp(400, IAM_THROTTLE)),
            throttle
        );
        let rate = r#"<ErrorResponse><Error><Code>LimitExceeded</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"#;
        assert_eq!(
            RetryClassifier::classify_response(&resp(400, rate)),
            throttle
        );
        let denied = r#"<ErrorResponse><Error><Code>AccessDenied</Code><Message>Rate exceeded? no, denied</Message></Error></ErrorResponse>"#;
        assert_eq!(
            RetryClassifier::classify_response(&resp(403, denied)),
            RetryForbidden
        );
        let invalid = r#"{"__type":"ValidationException","message":"bad"}"#;
        assert_eq!(
            RetryClassifier::classify_response(&resp(400, invalid)),
            RetryForbidden
        );
        // 5xx are left to the SDK's status-code classifier.
        assert_eq!(
            RetryClassifier::classify_response(&resp(500, "")),
            NoActionIndicated
        );
        assert_eq!(
            RetryClassifier::classify_response(&resp(200, "<ok/>")),
            NoActionIndicated
        );
    }

    #[test]
    fn totals_add_up_by_prefix() {
        let c = ApiCounters::new();
        c.op("iam:ListRoles").calls.fetch_add(2, Ordering::Relaxed);
        c.op("iam:ListRoles")
            .attempts
            .fetch_add(5, Ordering::Relaxed);
        c.op("sts:AssumeRole").calls.fetch_add(1, Ordering::Relaxed);
        c.op("sts:AssumeRole")
            .attempts
            .fetch_add(1, Ordering::Relaxed);
        let iam = c.total("iam:");
        assert_eq!((iam.calls, iam.attempts, iam.retries), (2, 5, 3));
        assert_eq!(c.total("").calls, 3);
        assert_eq!(c.get("organizations:ListAccounts"), OpCounts::default());
    }
}
