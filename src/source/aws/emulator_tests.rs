//! Live collection against the real wire protocols, on 127.0.0.1 only:
//! moto (IAM, STS, Organizations) behind tests/emulator/front.py, which adds
//! Access Advisor, GAAD paging and fault injection, seeded by
//! tests/emulator/seed.py.
//!
//! Needs `IAMLAKE_EMULATOR_PYTHON`: a Python with `moto[server]` installed
//! (e.g. `/tmp/motovenv/bin/python`). One emulator serves the whole test
//! binary; the tests take turns (faults and counters are global to it).

use super::*;
use crate::source::policy_doc;
use aws_credential_types::Credentials;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[path = "../../../tests/emulator/harness.rs"]
mod harness;
use harness::Emulator;

static EMULATOR: OnceLock<Emulator> = OnceLock::new();
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn emulator() -> &'static Emulator {
    EMULATOR.get_or_init(Emulator::start)
}

/// Conveniences of these tests over the shared harness.
trait EmulatorExt {
    fn reset(&self, faults: Value);
    fn account(&self, name: &str) -> String;
    fn roles(&self, account: &str) -> BTreeSet<String>;
    fn counts(&self, account: &str) -> BTreeMap<String, u64>;
}

impl EmulatorExt for Emulator {
    /// Resets counters and faults, then sets `faults`.
    fn reset(&self, faults: Value) {
        self.control("POST", "reset", &json!({}));
        self.control("POST", "faults", &faults);
    }

    fn account(&self, name: &str) -> String {
        self.seeded["accounts"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, n)| n.as_str() == Some(name))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no account {name} in the manifest"))
    }

    fn roles(&self, account: &str) -> BTreeSet<String> {
        self.seeded["roles"][account]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    }

    /// Requests front.py saw for one account, by `service:Action`.
    fn counts(&self, account: &str) -> BTreeMap<String, u64> {
        let c = self.control("GET", "counts", &json!({}));
        c["by_account"][account]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn test_config(emu: &Emulator) -> AwsConfig {
    AwsConfig {
        endpoint_url: Some(emu.endpoint.clone()),
        region: Some("us-east-1".into()),
        external_id: Some(emu.seeded["external_id"].as_str().unwrap().into()),
        max_attempts: 10,
        retry_initial_backoff: Duration::from_millis(10),
        retry_max_backoff: Duration::from_millis(200),
        attempt_timeout: Duration::from_secs(20),
        job_timeout: Duration::from_secs(10),
        poll_initial_delay: Duration::from_millis(100),
        poll_max_delay: Duration::from_millis(400),
        ..AwsConfig::default()
    }
}

async fn collector(cfg: AwsConfig, progress: Option<ProgressFn>) -> Arc<LiveCollector> {
    cfg.validate().unwrap();
    let sdk = cfg
        .sdk_loader()
        .credentials_provider(Credentials::new(
            "testing", "testing", None, None, "emulator",
        ))
        .load()
        .await;
    LiveCollector::with_sdk_config(cfg, sdk, progress)
}

/// Collects every account of `cfg` (through `collect_all`), by account id.
async fn collect(c: &Arc<LiveCollector>) -> BTreeMap<String, AccountResult> {
    let accounts = c.accounts().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let runner = Arc::clone(c);
    let task = tokio::spawn(async move { runner.collect_all(accounts, tx).await });
    let mut out = BTreeMap::new();
    while let Some(r) = rx.recv().await {
        let id = match &r {
            Ok(d) => d.account.id.clone(),
            Err(f) => f.account_id.clone(),
        };
        assert!(out.insert(id, r).is_none(), "an account was reported twice");
    }
    task.await.unwrap();
    out
}

fn role_names(d: &LiveAccountData) -> BTreeSet<String> {
    d.details
        .role_detail_list
        .iter()
        .map(|r| r.role_name.clone())
        .collect()
}

fn iam_calls(c: &LiveCollector) -> u64 {
    c.counters().total("iam:").calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_the_whole_organization_as_seeded() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    emu.reset(json!({"job_complete_after_ms": 50}));
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let sink = Arc::clone(&seen);
    let progress: ProgressFn = Arc::new(move |p| sink.lock().unwrap().push(p));
    // Small pages: GAAD, ListRoles and Access Advisor all follow markers.
    let cfg = AwsConfig {
        page_size: 100,
        ..test_config(emu)
    };
    let c = collector(cfg, Some(progress)).await;
    let started = Instant::now();
    let results = collect(&c).await;
    let elapsed = started.elapsed();

    let want: BTreeSet<String> = emu.seeded["accounts"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(results.keys().cloned().collect::<BTreeSet<_>>(), want);
    let mut roles = 0;
    for (id, r) in &results {
        let d = r.as_ref().unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(role_names(d), emu.roles(id), "roles of {id}");
        roles += d.details.role_detail_list.len();
        // Every attached managed policy is in Policies (the snapshot needs it).
        let policies: BTreeSet<&str> = d.details.policies.iter().map(|p| p.arn.as_str()).collect();
        for role in &d.details.role_detail_list {
            for p in &role.attached_managed_policies {
                assert!(
                    policies.contains(p.policy_arn.as_str()),
                    "{id}: {}",
                    p.policy_arn
                );
            }
            policy_doc::decode_text(&role.assume_role_policy_document).unwrap();
            for p in &role.role_policy_list {
                policy_doc::decode_text(&p.policy_document).unwrap();
            }
            assert!(
                d.listed.contains_key(&role.role_id),
                "{id}: ListRoles lacks {}",
                role.role_name
            );
            match d.last_accessed.get(&role.role_name) {
                Some(JobOutcome::Completed(_)) => {}
                other => panic!("{id} {}: {other:?}", role.role_name),
            }
        }
        for p in &d.details.policies {
            let v = p.default_version().expect("a default version");
            policy_doc::decode_text(&v.document).unwrap();
        }
        assert!(d.warnings.is_empty(), "{id}: {:?}", d.warnings);
        // Users and groups from the authorization details.
        let user_names: BTreeSet<&str> = d
            .details
            .user_detail_list
            .iter()
            .map(|u| u.user_name.as_str())
            .collect();
        let seeded_users = emu.seeded["users"][id.as_str()].as_object().unwrap();
        assert_eq!(
            user_names,
            seeded_users.keys().map(String::as_str).collect(),
            "{id}"
        );
        let alice = d
            .details
            .user_detail_list
            .iter()
            .find(|u| u.user_name == "alice")
            .unwrap();
        assert_eq!(alice.group_list, ["devs"]);
        let devs = &emu.seeded["groups"][id.as_str()]["devs"];
        let group = d
            .details
            .group_detail_list
            .iter()
            .find(|g| g.group_name == "devs")
            .unwrap();
        assert_eq!(
            group.group_policy_list[0].policy_name,
            devs["inline"][0].as_str().unwrap()
        );
        assert_eq!(
            group.attached_managed_policies[0].policy_arn,
            devs["managed"][0].as_str().unwrap()
        );
        // Access Advisor jobs on every user's ARN, as for roles.
        assert_eq!(d.user_last_accessed.len(), seeded_users.len(), "{id}");
        for (name, want) in seeded_users {
            let Some(JobOutcome::Completed(la)) = d.user_last_accessed.get(name) else {
                panic!("{id} user {name}: {:?}", d.user_last_accessed.get(name));
            };
            let got: Vec<&str> = la
                .services_last_accessed
                .iter()
                .map(|s| s.service_namespace.as_ref())
                .collect();
            let want: Vec<&str> = want["services"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(got, want, "{id} user {name}");
        }
        let s3 = match &d.user_last_accessed["alice"] {
            JobOutcome::Completed(la) => la.services_last_accessed[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            s3.last_authenticated_entity.as_deref(),
            Some(alice.arn.as_str())
        );
        assert!(s3.last_authenticated.is_some());
        // The credential report: every seeded user, as seeded.
        let creds = d.credentials.as_ref().expect("a credential report");
        let users = emu.seeded["users"][id.as_str()].as_object().unwrap();
        let got: BTreeSet<&str> = creds.iter().map(|c| c.user.as_str()).collect();
        assert_eq!(got, users.keys().map(String::as_str).collect(), "{id}");
        for c in creds {
            let want = &users[&c.user];
            assert_eq!(c.account_id, *id);
            assert_eq!(
                c.password_enabled,
                want["password"].as_bool(),
                "{id} {}",
                c.user
            );
            let keys = [c.access_keys[0].active, c.access_keys[1].active];
            let want_keys = [
                want["keys"][0].as_bool().unwrap(),
                want["keys"][1].as_bool().unwrap(),
            ];
            assert_eq!(keys, want_keys, "{id} {}", c.user);
            assert!(!c.mfa_active && !c.is_root);
            assert!(c.user_creation_time.is_some());
            assert!(c.arn.ends_with(&format!(
                "user{}{}",
                if c.user == "bob" { "/ci/" } else { "/" },
                c.user
            )));
        }
    }
    // Two calls per account: Generate, then Get (moto's report is ready at once).
    let api = c.counters().snapshot();
    assert_eq!(api["iam:GenerateCredentialReport"].calls, want.len() as u64);
    assert_eq!(api["iam:GetCredentialReport"].calls, want.len() as u64);

    // A sampled role, field by field.
    for sample in emu.seeded["samples"].as_array().unwrap() {
        let account = sample["account"].as_str().unwrap();
        let d = results[account].as_ref().unwrap();
        let name = sample["role_name"].as_str().unwrap();
        let role = d
            .details
            .role_detail_list
            .iter()
            .find(|r| r.role_name == name)
            .unwrap();
        let inline: BTreeSet<String> = role
            .role_policy_list
            .iter()
            .map(|p| p.policy_name.clone())
            .collect();
        let want_inline: BTreeSet<String> = sample["inline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(inline, want_inline, "{account} {name}");
        let managed: BTreeSet<String> = role
            .attached_managed_policies
            .iter()
            .map(|p| p.policy_arn.clone())
            .collect();
        let want_managed: BTreeSet<String> = sample["managed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(managed, want_managed, "{account} {name}");
        assert_eq!(role.path, sample["path"].as_str().unwrap());
        let (description, max_session) = &d.listed[&role.role_id];
        assert_eq!(description.as_deref(), sample["description"].as_str());
        assert_eq!(
            *max_session,
            sample["max_session_duration"].as_i64().map(|v| v as i32)
        );
        let Some(JobOutcome::Completed(la)) = d.last_accessed.get(name) else {
            panic!("no Access Advisor data for {name}");
        };
        assert_eq!(la.job_type.as_deref(), Some("ACTION_LEVEL"));
        let namespaces: Vec<&str> = la
            .services_last_accessed
            .iter()
            .map(|s| s.service_namespace.as_ref())
            .collect();
        let want_ns: Vec<&str> = sample["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(namespaces, want_ns, "{account} {name}");
    }

    // SCP layers: root, workloads, prod for "big"; root, workloads, account for "small-a".
    let scp_ids = |acct: &str| -> Vec<Vec<String>> {
        results[acct]
            .as_ref()
            .unwrap()
            .scp_levels
            .iter()
            .map(|l| l.iter().map(|s| s.id.clone()).collect())
            .collect()
    };
    let deny_regions = emu.seeded["scps"]["deny-regions"].as_str().unwrap();
    let deny_leave = emu.seeded["scps"]["deny-leave"].as_str().unwrap();
    let big = scp_ids(&emu.account("big"));
    assert!(
        big.iter().any(|l| l.iter().any(|s| s == deny_regions)),
        "{big:?}"
    );
    let small_a = scp_ids(&emu.account("small-a"));
    assert!(
        small_a.last().unwrap().iter().any(|s| s == deny_leave),
        "{small_a:?}"
    );
    assert!(
        small_a.iter().any(|l| l.iter().any(|s| s == deny_regions)),
        "{small_a:?}"
    );
    let small_b = scp_ids(&emu.account("small-b"));
    assert!(
        small_b.iter().flatten().all(|s| s != deny_regions),
        "{small_b:?}"
    );
    for level in &results[&emu.account("big")].as_ref().unwrap().scp_levels {
        for scp in level {
            assert!(scp.document.is_object());
        }
    }
    // RCP layers, as Organizations lists them: RCPFullAWSAccess on every
    // node (root, workloads, prod, the account), the deny on the prod OU for
    // "big" only.
    let rcp_ids = |acct: &str| -> Vec<Vec<String>> {
        results[acct]
            .as_ref()
            .unwrap()
            .rcp_levels
            .iter()
            .map(|l| l.iter().map(|s| s.id.clone()).collect())
            .collect()
    };
    let deny_deletes = emu.seeded["rcps"]["deny-queue-deletes"].as_str().unwrap();
    let full = "p-RCPFullAWSAccess".to_string();
    // A level lists its policies sorted by id, and moto's ids are random.
    let mut prod = vec![full.clone(), deny_deletes.to_string()];
    prod.sort();
    assert_eq!(
        rcp_ids(&emu.account("big")),
        [
            vec![full.clone()],
            vec![full.clone()],
            prod,
            vec![full.clone()]
        ]
    );
    assert_eq!(
        rcp_ids(&emu.account("small-b")),
        [vec![full.clone()], vec![full]]
    );
    let big = results[&emu.account("big")].as_ref().unwrap();
    let deny = big.rcp_levels[2]
        .iter()
        .find(|p| p.id == deny_deletes)
        .unwrap();
    assert_eq!(deny.document["Statement"][0]["Action"], "sqs:DeleteQueue");
    // DescribeOrganization's id, the roles' aws:PrincipalOrgID.
    assert!(
        big.org_id.as_deref().is_some_and(|o| o.starts_with("o-")),
        "{:?}",
        big.org_id
    );

    let p = *seen.lock().unwrap().last().unwrap();
    assert_eq!(p.accounts_done, want.len() as u64);
    assert_eq!(p.accounts_total, want.len() as u64);
    assert_eq!(p.jobs_pending, 0);
    assert_eq!(p.roles, roles as u64);
    let per_role = iam_calls(&c) as f64 / roles as f64;
    eprintln!(
        "whole organization: {} accounts, {roles} roles, {} IAM calls ({per_role:.3}/role, page size 100), {} API calls in all, {:.2}s",
        results.len(),
        iam_calls(&c),
        c.counters().total("").calls,
        elapsed.as_secs_f64()
    );
    eprintln!("{:#?}", c.counters().snapshot());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_2_05_iam_calls_per_role_in_a_300_role_account() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    emu.reset(json!({"job_complete_after_ms": 50}));
    let big = emu.account("big");
    let cfg = AwsConfig {
        accounts: Some(vec![big.clone()]),
        ..test_config(emu)
    };
    let c = collector(cfg, None).await;
    let started = Instant::now();
    let results = collect(&c).await;
    let elapsed = started.elapsed();
    let d = results[&big].as_ref().unwrap();
    let roles = d.details.role_detail_list.len() as u64;
    let users = d.details.user_detail_list.len() as u64;
    assert!(roles >= 300, "{roles} roles");
    assert!(users > 0, "no users seeded");
    // One Access Advisor job per principal: every role and every user.
    assert_eq!(d.stats.jobs_completed, roles + users);
    let calls = iam_calls(&c);
    // The emulator's own count agrees with ours.
    let seen: u64 = emu
        .counts(&big)
        .iter()
        .filter(|(k, _)| k.starts_with("iam:"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(seen, c.counters().total("iam:").attempts);
    // The budget counts principals: users have jobs too.
    let per_principal = calls as f64 / (roles + users) as f64;
    eprintln!(
        "300-role account: {roles} roles, {users} users, {calls} IAM calls = {per_principal:.4}/principal ({} GAAD pages, {} ListRoles pages), {:.2}s",
        d.stats.authorization_details_pages,
        d.stats.list_roles_pages,
        elapsed.as_secs_f64()
    );
    assert!(
        per_principal <= 2.05,
        "{per_principal} IAM calls per principal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_storm_is_survived_with_retries_counted() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    let acct = emu.account("small-a");
    emu.reset(json!({
        "job_complete_after_ms": 0,
        "throttle": {"count": 20, "every": 2, "accounts": [acct]},
    }));
    let c = collector(
        AwsConfig {
            accounts: Some(vec![acct.clone()]),
            ..test_config(emu)
        },
        None,
    )
    .await;
    let started = Instant::now();
    let results = collect(&c).await;
    let d = results[&acct].as_ref().unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(role_names(d), emu.roles(&acct));
    let users = d.details.user_detail_list.len() as u64;
    assert_eq!(d.stats.jobs_completed, d.stats.roles + users);
    let iam = c.counters().total("iam:");
    let faults = emu.control("GET", "faults", &json!({}));
    assert_eq!(faults["throttle"]["used"], 20);
    assert_eq!(iam.throttles, 20, "{iam:?}");
    assert!(iam.retries >= 20, "{iam:?}");
    assert_eq!(iam.failures, 0);
    eprintln!(
        "throttling storm: 20 throttles, {} retries, {} calls, {:.2}s",
        iam.retries,
        iam.calls,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_500s_is_survived() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    let acct = emu.account("small-b");
    emu.reset(json!({
        "job_complete_after_ms": 0,
        "error500": {"count": 6, "accounts": [acct]},
    }));
    let c = collector(
        AwsConfig {
            accounts: Some(vec![acct.clone()]),
            ..test_config(emu)
        },
        None,
    )
    .await;
    let results = collect(&c).await;
    let d = results[&acct].as_ref().unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(role_names(d), emu.roles(&acct));
    let iam = c.counters().total("iam:");
    assert_eq!(iam.server_errors, 6, "{iam:?}");
    assert!(iam.retries >= 6);
    assert_eq!(iam.failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_time_out_and_are_retried() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    let acct = emu.account("small-b");
    emu.reset(json!({
        "job_complete_after_ms": 0,
        "slow": {"count": 2, "delay_ms": 6000, "accounts": [acct], "actions": ["ListRoles"]},
    }));
    let c = collector(
        AwsConfig {
            accounts: Some(vec![acct.clone()]),
            // Above moto's own GAAD time (~1 s), below the injected delay.
            attempt_timeout: Duration::from_secs(3),
            ..test_config(emu)
        },
        None,
    )
    .await;
    let results = collect(&c).await;
    let d = results[&acct].as_ref().unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(role_names(d), emu.roles(&acct));
    let iam = c.counters().total("iam:");
    assert_eq!(
        c.counters().get("iam:ListRoles").transport_errors,
        2,
        "{iam:?}"
    );
    assert_eq!(iam.failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_assume_role_fails_only_that_account() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    let denied = emu.account("denied");
    let ok = emu.account("small-b");
    emu.reset(json!({"job_complete_after_ms": 0, "deny_assume_role": [denied]}));
    let c = collector(
        AwsConfig {
            accounts: Some(vec![denied.clone(), ok.clone()]),
            ..test_config(emu)
        },
        None,
    )
    .await;
    let results = collect(&c).await;
    let f = results[&denied].as_ref().unwrap_err();
    assert_eq!(f.stage, Stage::AssumeRole);
    assert!(f.denied && !f.throttled, "{f:?}");
    assert!(f.message.contains("AccessDenied"), "{}", f.message);
    assert!(results[&ok].is_ok());
    // Denials are not retried.
    assert_eq!(c.counters().get("sts:AssumeRole").attempts, 2);
    let mut tally = Tally::default();
    results.values().for_each(|r| tally.add(r));
    let summary = c.summary(&tally, Duration::from_secs(1));
    assert_eq!(summary.exit_code(), 3);
    assert_eq!(summary.failures.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_finishing_job_is_recorded_as_timed_out() {
    let emu = emulator();
    let _turn = TURN.lock().await;
    let acct = emu.account("small-b");
    emu.reset(json!({
        "job_complete_after_ms": 0,
        "job_min_polls": 2,
        "never_finish": [format!("{acct}:role/role-0003"), format!("{acct}:user/ci/bob")],
    }));
    let c = collector(
        AwsConfig {
            accounts: Some(vec![acct.clone()]),
            job_timeout: Duration::from_millis(1500),
            ..test_config(emu)
        },
        None,
    )
    .await;
    let started = Instant::now();
    let results = collect(&c).await;
    let d = results[&acct].as_ref().unwrap_or_else(|f| panic!("{f}"));
    assert!(matches!(d.last_accessed["role-0003"], JobOutcome::TimedOut));
    // A user's job times out the same way, recorded under the user.
    assert!(matches!(d.user_last_accessed["bob"], JobOutcome::TimedOut));
    assert!(matches!(
        d.user_last_accessed["alice"],
        JobOutcome::Completed(_)
    ));
    let users = d.details.user_detail_list.len() as u64;
    assert_eq!(d.stats.jobs_timed_out, 2);
    assert_eq!(d.stats.jobs_completed, d.stats.roles + users - 2);
    assert_eq!(d.last_accessed.len() as u64, d.stats.roles);
    assert_eq!(d.user_last_accessed.len() as u64, users);
    assert!(started.elapsed() >= Duration::from_millis(1500));
    // job_min_polls = 2: every completed job was polled (backoff) 3 times.
    let gets = c.counters().get("iam:GetServiceLastAccessedDetails").calls;
    assert!(gets >= 3 * (d.stats.roles + users - 2), "{gets} polls");
}

#[test]
fn run_blocking_streams_accounts_and_summarises() {
    let emu = emulator();
    let _turn = TURN.blocking_lock();
    emu.reset(json!({"job_complete_after_ms": 0, "deny_assume_role": [emu.account("denied")]}));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let c = rt.block_on(collector(test_config(emu), None));
    let mut seen = Vec::new();
    let summary = drive(&rt, &c, |r| {
        seen.push(r.map(|d| d.account.id).map_err(|f| f.account_id))
    })
    .unwrap();
    assert_eq!(
        seen.len(),
        emu.seeded["accounts"].as_object().unwrap().len()
    );
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.exit_code(), 3);
    // The budget counts principals: roles and the credential reports' users.
    assert!(summary.iam_calls_per_principal.unwrap() <= 2.05);
    assert!(summary.users > 0);
    assert!(summary.api.contains_key("organizations:ListAccounts"));
    eprintln!("{}", serde_json::to_string(&summary).unwrap());
}
