//! SimulatePrincipalPolicy against a replayed HTTP layer: real query-protocol
//! XML answers, so the SDK's parser, the one retry policy and the counting
//! interceptor all run; nothing leaves the process.

use super::*;
use crate::source::aws::config::{AwsConfig, build_clients};
use crate::source::aws::counters::ApiCounters;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A request's form parameters (the query protocol's body).
pub(crate) type Form = BTreeMap<String, String>;

fn parse_form(body: &[u8]) -> Form {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned();
            (k.to_string(), v)
        })
        .collect()
}

type Responder = dyn Fn(&Form, usize) -> (u16, String) + Send + Sync;

/// Answers each request with `respond(form, n)` (`n`: 0-based request
/// number) and keeps every request's form.
pub(crate) struct Replay {
    respond: Box<Responder>,
    requests: Mutex<Vec<Form>>,
    count: AtomicUsize,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Replay")
    }
}

#[derive(Debug, Clone)]
struct ReplayConnector(Arc<Replay>);

impl HttpConnector for ReplayConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let form = parse_form(request.body().bytes().unwrap_or_default());
        let n = self.0.count.fetch_add(1, Ordering::SeqCst);
        let (status, body) = (self.0.respond)(&form, n);
        self.0.requests.lock().unwrap().push(form);
        HttpConnectorFuture::ready(Ok(HttpResponse::new(
            StatusCode::try_from(status).unwrap(),
            SdkBody::from(body),
        )))
    }
}

impl Replay {
    pub(crate) fn new(
        respond: impl Fn(&Form, usize) -> (u16, String) + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Replay {
            respond: Box::new(respond),
            requests: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        })
    }

    fn http_client(self: &Arc<Self>) -> SharedHttpClient {
        let me = ReplayConnector(Arc::clone(self));
        http_client_fn(move |_, _| SharedHttpConnector::new(me.clone()))
    }

    pub(crate) fn requests(&self) -> Vec<Form> {
        self.requests.lock().unwrap().clone()
    }
}

/// Settings of every test: fast retries, an endpoint that is never dialled.
pub(crate) fn test_config() -> AwsConfig {
    AwsConfig {
        region: Some("us-east-1".into()),
        endpoint_url: Some("http://127.0.0.1:9".into()),
        retry_initial_backoff: Duration::from_millis(1),
        retry_max_backoff: Duration::from_millis(5),
        ..AwsConfig::default()
    }
}

/// An SDK configuration whose HTTP layer is `replay`, with static
/// credentials.
pub(crate) async fn replay_sdk(cfg: &AwsConfig, replay: &Arc<Replay>) -> aws_config::SdkConfig {
    cfg.sdk_loader()
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(replay.http_client())
        .load()
        .await
}

/// IAM client over `replay`, counted into fresh counters; `partition`
/// keeps each test's adaptive rate limiter to itself.
async fn iam_over(
    replay: &Arc<Replay>,
    partition: &str,
) -> (aws_sdk_iam::Client, Arc<ApiCounters>) {
    let sdk = replay_sdk(&test_config(), replay).await;
    let counters = ApiCounters::new();
    let clients = build_clients(&sdk, None, partition, &counters);
    (clients.iam, counters)
}

/// One `EvaluationResults` member.
#[derive(Default)]
struct R<'a> {
    action: &'a str,
    decision: &'a str,
    /// (SourcePolicyId, SourcePolicyType, line, column)
    statements: &'a [(&'a str, &'a str, i32, i32)],
    missing: &'a [&'a str],
    orgs: Option<bool>,
    boundary: Option<bool>,
}

impl R<'_> {
    fn xml(&self) -> String {
        let statements: String = self
            .statements
            .iter()
            .map(|(id, ty, line, col)| {
                format!(
                    "<member><SourcePolicyId>{id}</SourcePolicyId><SourcePolicyType>{ty}</SourcePolicyType>\
                     <StartPosition><Line>{line}</Line><Column>{col}</Column></StartPosition>\
                     <EndPosition><Line>{}</Line><Column>6</Column></EndPosition></member>",
                    line + 4
                )
            })
            .collect();
        let missing: String = self
            .missing
            .iter()
            .map(|k| format!("<member>{k}</member>"))
            .collect();
        let orgs = self.orgs.map_or(String::new(), |a| {
            format!("<OrganizationsDecisionDetail><AllowedByOrganizations>{a}</AllowedByOrganizations></OrganizationsDecisionDetail>")
        });
        let boundary = self.boundary.map_or(String::new(), |a| {
            format!("<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>{a}</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>")
        });
        format!(
            "<member><EvalActionName>{}</EvalActionName><EvalResourceName>*</EvalResourceName>\
             <EvalDecision>{}</EvalDecision><MatchedStatements>{statements}</MatchedStatements>\
             <MissingContextValues>{missing}</MissingContextValues>{orgs}{boundary}\
             <EvalDecisionDetails/></member>",
            self.action, self.decision
        )
    }
}

/// A whole SimulatePrincipalPolicy answer.
pub(crate) fn page(results: &[String], marker: Option<&str>) -> (u16, String) {
    let trunc = match marker {
        Some(m) => format!("<IsTruncated>true</IsTruncated><Marker>{m}</Marker>"),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    (
        200,
        format!(
            "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <SimulatePrincipalPolicyResult><EvaluationResults>{}</EvaluationResults>{trunc}\
             </SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\
             </SimulatePrincipalPolicyResponse>",
            results.concat()
        ),
    )
}

pub(crate) fn allowed(action: &str) -> String {
    R {
        action,
        decision: "allowed",
        ..R::default()
    }
    .xml()
}

/// The ActionNames of a request, in order.
pub(crate) fn action_names(form: &Form) -> Vec<String> {
    (1..)
        .map_while(|i| form.get(&format!("ActionNames.member.{i}")).cloned())
        .collect()
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app";

fn query() -> RoleQuery {
    RoleQuery {
        role_arn: ROLE.into(),
        context: vec![
            ("aws:PrincipalArn".into(), vec![ROLE.into()]),
            ("aws:PrincipalTag/team".into(), vec!["a".into(), "b".into()]),
        ],
    }
}

fn actions(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn every_decision_maps_to_our_vocabulary() {
    let replay = Replay::new(|_, _| {
        page(
            &[
                R {
                    action: "iam:PassRole",
                    decision: "allowed",
                    statements: &[("inline-admin", "role", 3, 17)],
                    orgs: Some(true),
                    ..R::default()
                }
                .xml(),
                R {
                    action: "s3:GetObject",
                    decision: "explicitDeny",
                    statements: &[("p-123", "none", 5, 9)],
                    orgs: Some(false),
                    boundary: Some(false),
                    ..R::default()
                }
                .xml(),
                R {
                    action: "sts:AssumeRole",
                    decision: "implicitDeny",
                    orgs: Some(true),
                    boundary: Some(false),
                    ..R::default()
                }
                .xml(),
                R {
                    action: "ssm:GetParameter",
                    decision: "implicitDeny",
                    missing: &["aws:SourceIp", "aws:MultiFactorAuthPresent"],
                    ..R::default()
                }
                .xml(),
            ],
            None,
        )
    });
    let (iam, counters) = iam_over(&replay, "map").await;
    let asked = actions(&[
        "iam:PassRole",
        "s3:GetObject",
        "sts:AssumeRole",
        "ssm:GetParameter",
    ]);
    let got = simulate_role(&iam, &query(), &asked, 1000, 10)
        .await
        .unwrap();
    let summary: Vec<_> = got
        .iter()
        .map(|d| (d.action.as_str(), d.verdict.decision(), d.decided_by))
        .collect();
    assert_eq!(
        summary,
        [
            ("iam:PassRole", "allowed", "identity"),
            // SCP wins over the boundary when both refused.
            ("s3:GetObject", "explicit_deny", "scp"),
            ("sts:AssumeRole", "implicit_deny", "boundary"),
            ("ssm:GetParameter", "implicit_deny", "identity"),
        ]
    );
    assert_eq!(
        got[0].matched_statements,
        [ApiStatement {
            source_policy_id: Some("inline-admin".into()),
            source_policy_type: Some("role".into()),
            start_line: Some(3),
            start_column: Some(17),
        }]
    );
    assert_eq!(
        got[3].missing_context,
        ["aws:SourceIp", "aws:MultiFactorAuthPresent"]
    );
    // The request: the role, any resource, the context as typed entries.
    let req = &replay.requests()[0];
    assert_eq!(req["Action"], "SimulatePrincipalPolicy");
    assert_eq!(req["PolicySourceArn"], ROLE);
    assert_eq!(req["ResourceArns.member.1"], "*");
    assert_eq!(action_names(req), asked);
    assert_eq!(
        req["ContextEntries.member.1.ContextKeyName"],
        "aws:PrincipalArn"
    );
    assert_eq!(req["ContextEntries.member.1.ContextKeyType"], "string");
    assert_eq!(req["ContextEntries.member.2.ContextKeyType"], "stringList");
    assert_eq!(
        req["ContextEntries.member.2.ContextKeyValues.member.2"],
        "b"
    );
    assert_eq!(counters.get("iam:SimulatePrincipalPolicy").calls, 1);
}

#[tokio::test]
async fn follows_marker_pages_to_the_end() {
    let replay = Replay::new(|form, _| match form.get("Marker").map(String::as_str) {
        None => page(&[allowed("iam:PassRole")], Some("m1")),
        Some("m1") => page(&[allowed("s3:GetObject")], Some("m2")),
        Some("m2") => page(&[allowed("sts:AssumeRole")], None),
        Some(other) => panic!("unexpected marker {other}"),
    });
    let (iam, counters) = iam_over(&replay, "pages").await;
    let asked = actions(&["iam:PassRole", "s3:GetObject", "sts:AssumeRole"]);
    let got = simulate_role(&iam, &query(), &asked, 1, 10).await.unwrap();
    assert_eq!(got.len(), 3);
    let markers: Vec<_> = replay
        .requests()
        .iter()
        .map(|f| f.get("Marker").cloned())
        .collect();
    assert_eq!(markers, [None, Some("m1".into()), Some("m2".into())]);
    assert!(replay.requests().iter().all(|f| f["MaxItems"] == "1"));
    assert_eq!(counters.get("iam:SimulatePrincipalPolicy").calls, 3);
}

#[tokio::test]
async fn a_repeated_marker_stops_the_loop() {
    let replay = Replay::new(|_, _| page(&[allowed("iam:PassRole")], Some("same")));
    let (iam, _) = iam_over(&replay, "loop").await;
    let err = simulate_role(&iam, &query(), &actions(&["iam:PassRole"]), 1, 10)
        .await
        .unwrap_err();
    assert!(err.message.contains("same marker"), "{err}");
    assert_eq!(replay.requests().len(), 2);
}

#[tokio::test]
async fn many_actions_are_sent_in_chunks() {
    let asked: Vec<String> = (0..ACTIONS_PER_CALL * 2 + 7)
        .map(|i| format!("svc:Action{i}"))
        .collect();
    let replay = Replay::new(|form, _| {
        let results: Vec<String> = action_names(form).iter().map(|a| allowed(a)).collect();
        page(&results, None)
    });
    let (iam, counters) = iam_over(&replay, "chunks").await;
    let got = simulate_role(&iam, &query(), &asked, 1000, 10)
        .await
        .unwrap();
    let sizes: Vec<usize> = replay
        .requests()
        .iter()
        .map(|f| action_names(f).len())
        .collect();
    assert_eq!(sizes, [ACTIONS_PER_CALL, ACTIONS_PER_CALL, 7]);
    let sent: Vec<String> = replay.requests().iter().flat_map(action_names).collect();
    assert_eq!(sent, asked);
    assert_eq!(
        got.iter().map(|d| d.action.clone()).collect::<Vec<_>>(),
        asked
    );
    assert_eq!(counters.get("iam:SimulatePrincipalPolicy").calls, 3);
}

const THROTTLED: &str = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>t</RequestId></ErrorResponse>";

#[tokio::test]
async fn throttling_is_retried_and_counted() {
    let replay = Replay::new(|_, n| {
        if n == 0 {
            (400, THROTTLED.to_string())
        } else {
            page(&[allowed("iam:PassRole")], None)
        }
    });
    let (iam, counters) = iam_over(&replay, "throttle").await;
    let got = simulate_role(&iam, &query(), &actions(&["iam:PassRole"]), 1000, 10)
        .await
        .unwrap();
    assert_eq!(got[0].verdict, ApiVerdict::Allowed);
    let c = counters.get("iam:SimulatePrincipalPolicy");
    assert_eq!(
        (c.calls, c.attempts, c.retries, c.throttles, c.failures),
        (1, 2, 1, 1, 0)
    );
}

#[tokio::test]
async fn access_denied_is_reported_and_not_retried() {
    let replay = Replay::new(|_, _| {
        (
            403,
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: iam:SimulatePrincipalPolicy</Message></Error><RequestId>d</RequestId></ErrorResponse>".into(),
        )
    });
    let (iam, counters) = iam_over(&replay, "denied").await;
    let err = simulate_role(&iam, &query(), &actions(&["iam:PassRole"]), 1000, 10)
        .await
        .unwrap_err();
    assert!(err.denied && !err.throttled, "{err:?}");
    assert_eq!(err.role_arn, ROLE);
    let c = counters.get("iam:SimulatePrincipalPolicy");
    assert_eq!((c.calls, c.attempts, c.failures), (1, 1, 1));
}

#[tokio::test]
async fn an_unanswered_action_is_an_error() {
    let replay = Replay::new(|_, _| page(&[allowed("iam:PassRole")], None));
    let (iam, _) = iam_over(&replay, "unanswered").await;
    let err = simulate_role(
        &iam,
        &query(),
        &actions(&["iam:PassRole", "s3:GetObject"]),
        1000,
        10,
    )
    .await
    .unwrap_err();
    assert!(
        err.message.contains("no EvaluationResult for s3:GetObject"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn roles_keep_their_order_within_the_concurrency_bound() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let replay = {
        let (in_flight, peak) = (Arc::clone(&in_flight), Arc::clone(&peak));
        Replay::new(move |form, _| {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let decision = if form["PolicySourceArn"].ends_with("/denied") {
                "implicitDeny"
            } else {
                "allowed"
            };
            let results: Vec<String> = action_names(form)
                .iter()
                .map(|a| {
                    R {
                        action: a,
                        decision,
                        ..R::default()
                    }
                    .xml()
                })
                .collect();
            page(&results, None)
        })
    };
    let (iam, counters) = iam_over(&replay, "roles").await;
    let names = ["a", "denied", "c", "d", "e", "f"];
    let queries: Vec<RoleQuery> = names
        .iter()
        .map(|n| RoleQuery {
            role_arn: format!("arn:aws:iam::111122223333:role/{n}"),
            context: Vec::new(),
        })
        .collect();
    let gate = Arc::new(Semaphore::new(2));
    let got = simulate_roles(
        &iam,
        queries,
        actions(&["iam:PassRole"]).into(),
        &[gate],
        1000,
        10,
    )
    .await;
    let order: Vec<_> = got
        .iter()
        .map(|(arn, r)| {
            (
                arn.rsplit('/').next().unwrap().to_string(),
                r.as_ref().unwrap()[0].verdict,
            )
        })
        .collect();
    assert_eq!(order[1], ("denied".to_string(), ApiVerdict::ImplicitDeny));
    assert_eq!(
        order.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        names
    );
    assert!(peak.load(Ordering::SeqCst) <= 2, "peak {peak:?}");
    assert_eq!(counters.get("iam:SimulatePrincipalPolicy").calls, 6);
    // No request carries context entries when the query has none.
    assert!(
        replay
            .requests()
            .iter()
            .all(|f| !f.keys().any(|k| k.starts_with("ContextEntries")))
    );
}
