//! Hand-built days for the unused-role rule, with every expected number
//! worked out by hand. Threshold 90 days: on 2026-06-01 the cutoff is
//! 2026-03-03 00:00 UTC, on 06-02 it is 03-04.
//!
//! Account A (111111111111, prod-a) and B (222222222222, prod-b) form the
//! organization; 999999999999 is outside it.
//!
//! | role | created | last used | trust | on 06-01 |
//! |---|---|---|---|---|
//! | I1 idle (payments) | 2025-01-01 | 2026-02-01 10:00 | 999…:root, B's deployer, ec2 | unused, 119 days, outside org |
//! | N1 never (unowned) | 2025-01-01 | never | A:root | unused, 516 days (2025-01-01 → 2026-06-01) |
//! | U1 busy | 2025-01-01 | 2026-05-30 | - | used |
//! | Y1 young | 2026-04-01 | never | - | grace |
//! | S1 AWSServiceRoleForSupport | 2025-01-01 | never | support service | service-linked, 516 days |
//! | E1 edge (web) | 2025-01-01 | 2026-03-03 00:00 | - | used (= cutoff); unused on 06-02, 91 days |
//! | W1 anyone (web) | 2025-01-01 | never | * | unused, outside org (*) |
//! | K1 (use unknown) | 2025-01-01 | - | - | never judged |
//! | B1 batch in B (data) | 2025-01-01 | 2026-01-15 | A's ci role | unused, 137 days |

use super::super::compute::{Analysis, Rules, analyze, days_since_epoch};
use super::super::input::{AccessData, AccountState, RoleIn, RoleUse, Snapshot};
use super::super::owners::Owners;
use super::super::reviews::{Decision, Review};
use super::{Trust, trust};
use chrono::NaiveDate;
use std::collections::BTreeSet;

const A: &str = "111111111111";
const B: &str = "222222222222";
const OLD: &str = "2025-01-01T00:00:00Z";

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
}

fn micros(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap()
        .timestamp_micros()
}

fn role(account: &str, id: &str, name: &str, path: &str, team: Option<&str>) -> RoleIn {
    RoleIn {
        account_id: account.into(),
        account_name: Some(if account == B { "prod-b" } else { "prod-a" }.into()),
        role_id: id.into(),
        role_name: name.into(),
        arn: format!("arn:aws:iam::{account}:role{path}{name}"),
        path: path.into(),
        create_date: micros(OLD),
        owner_team: team.map(str::to_string),
        carried_from: None,
        access: AccessData::Fresh,
        cfn_stack: None,
        cfn_logical_id: None,
    }
}

fn used(last: Option<&str>, trusted: &[&str]) -> RoleUse {
    RoleUse {
        last_used_at: last.map(micros),
        last_used_region: last.map(|_| "eu-west-1".to_string()),
        trusted_principals: trusted.iter().map(|s| s.to_string()).collect(),
    }
}

fn state(id: &str, status: &'static str, data_date: Option<NaiveDate>) -> AccountState {
    AccountState {
        account_id: id.into(),
        account_name: Some(if id == B { "prod-b" } else { "prod-a" }.into()),
        ou_path: None,
        status,
        data_date,
        failure_reason: None,
    }
}

fn day1() -> Snapshot {
    let mut young = role(A, "Y1", "young", "/", None);
    young.create_date = micros("2026-04-01T00:00:00Z");
    let roles = vec![
        role(A, "I1", "idle", "/", Some("payments")),
        role(A, "N1", "never", "/", None),
        role(A, "U1", "busy", "/", Some("payments")),
        young,
        role(
            A,
            "S1",
            "AWSServiceRoleForSupport",
            "/aws-service-role/support.amazonaws.com/",
            None,
        ),
        role(A, "E1", "edge", "/", Some("web")),
        role(A, "W1", "anyone", "/", Some("web")),
        role(A, "K1", "unknown", "/", Some("web")),
        role(B, "B1", "batch", "/", Some("data")),
    ];
    let role_use = [
        (
            "I1",
            used(
                Some("2026-02-01T10:00:00Z"),
                &[
                    "arn:aws:iam::999999999999:root",
                    "arn:aws:iam::222222222222:role/deployer",
                    "service:ec2.amazonaws.com",
                ],
            ),
        ),
        ("N1", used(None, &["arn:aws:iam::111111111111:root"])),
        ("U1", used(Some("2026-05-30T00:00:00Z"), &[])),
        ("Y1", used(None, &[])),
        ("S1", used(None, &["service:support.amazonaws.com"])),
        ("E1", used(Some("2026-03-03T00:00:00Z"), &[])),
        ("W1", used(None, &["*"])),
        (
            "B1",
            used(
                Some("2026-01-15T00:00:00Z"),
                &["arn:aws:iam::111111111111:role/ci"],
            ),
        ),
    ]
    .into_iter()
    .map(|(id, u)| (id.to_string(), u))
    .collect();
    Snapshot {
        date: d(1),
        snapshot_id: "s1".into(),
        roles,
        access: Vec::new(),
        sims: Vec::new(),
        passrole: Default::default(),
        policies: Vec::new(),
        role_use,
        accounts: vec![state(A, "ok", Some(d(1))), state(B, "ok", Some(d(1)))],
    }
}

/// 06-02: idle used again, never deleted, B failed and carried from 06-01.
fn day2() -> Snapshot {
    let mut s = day1();
    s.date = d(2);
    s.snapshot_id = "s2".into();
    s.role_use.get_mut("I1").unwrap().last_used_at = Some(micros("2026-06-01T12:00:00Z"));
    s.roles.retain(|r| r.role_id != "N1");
    s.role_use.remove("N1");
    s.roles
        .iter_mut()
        .find(|r| r.role_id == "B1")
        .unwrap()
        .carried_from = Some(d(1));
    s.accounts[1] = state(B, "carried", Some(d(1)));
    s
}

/// 06-04: B failed with nothing to carry; edge's use unknown.
fn day4() -> Snapshot {
    let mut s = day2();
    s.date = d(4);
    s.snapshot_id = "s4".into();
    s.roles.retain(|r| r.account_id != B);
    s.role_use.remove("B1");
    s.role_use.remove("E1");
    s.accounts[1] = state(B, "no_data", None);
    s
}

/// 06-05: everything collected again.
fn day5() -> Snapshot {
    let mut s = day1();
    s.date = d(5);
    s.snapshot_id = "s5".into();
    let d2 = day2();
    s.roles.retain(|r| r.role_id != "N1");
    s.role_use = d2.role_use.clone();
    s.role_use
        .insert("B1".into(), day1().role_use.get("B1").unwrap().clone());
    s
}

fn review(account: &str, role: &str, decision: Decision, reason: Option<&str>) -> Review {
    Review {
        account: account.into(),
        role: role.into(),
        permission: "role".into(),
        decision,
        reason: reason.map(str::to_string),
        reviewer: Some("alice".into()),
        date: None,
        expires: None,
        source: format!("reviews.csv:{role}"),
    }
}

fn reviews() -> Vec<Review> {
    vec![
        review("prod-a", "never", Decision::Delete, None),
        review(A, "anyone", Decision::Keep, Some("vendor break-glass")),
        review("prod-a", "ghost", Decision::Delete, None),
    ]
}

fn rules() -> Rules {
    Rules {
        unused_days: 90,
        alerting: true,
        sensitive_actions: Vec::new(),
        routing: false,
    }
}

type Changes = BTreeSet<(String, String, Option<String>)>;

fn changes(a: &Analysis) -> Changes {
    a.deltas
        .iter()
        .inspect(|x| {
            assert_eq!(
                (x.permission.as_str(), x.granularity.as_str()),
                ("role", "role")
            );
        })
        .map(|x| (x.role_id.clone(), x.change.clone(), x.resolution.clone()))
        .collect()
}

fn change(id: &str, c: &str, r: Option<&str>) -> (String, String, Option<String>) {
    (id.into(), c.into(), r.map(str::to_string))
}

fn status(a: &Analysis, role: &str) -> String {
    a.reviews
        .iter()
        .find(|r| r.role_name == role)
        .unwrap()
        .status
        .clone()
}

#[test]
fn unused_roles_over_five_days() {
    let owners = Owners::default();
    let rv = reviews();

    // --- 06-01, the first snapshot
    let a1 = analyze(&day1(), None, Vec::new(), &owners, &rv, &rules());
    let rows: Vec<(&str, i32, bool, &str)> = a1
        .unused_roles
        .iter()
        .map(|r| {
            (
                r.role_id.as_str(),
                r.days_unused,
                r.service_linked,
                r.review_status.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("I1", 119, false, "open"),
            ("N1", 516, false, "to_delete"),
            ("S1", 516, true, "open"),
            ("W1", 516, false, "kept"),
            ("B1", 137, false, "open"),
        ]
    );
    let idle = &a1.unused_roles[0];
    assert_eq!(idle.trusted_accounts, [B, "999999999999"]);
    assert_eq!(idle.trusted_services, ["ec2.amazonaws.com"]);
    assert_eq!(idle.external_accounts, ["999999999999"]);
    assert_eq!(idle.last_used_at, Some(micros("2026-02-01T10:00:00Z")));
    assert_eq!(idle.last_used_region.as_deref(), Some("eu-west-1"));
    assert_eq!(idle.owner_team, "payments");
    assert_eq!(idle.data_date, days_since_epoch(d(1)));
    assert_eq!(idle.first_seen, days_since_epoch(d(1)));
    assert_eq!(idle.alerted_on, Some(days_since_epoch(d(1))));
    assert_eq!(a1.unused_roles[1].external_accounts, Vec::<String>::new());
    assert_eq!(a1.unused_roles[1].trusted_accounts, [A]);
    assert_eq!(a1.unused_roles[3].external_accounts, ["*"]);
    assert_eq!(
        a1.unused_roles[3].review_reason.as_deref(),
        Some("vendor break-glass")
    );
    assert_eq!(a1.unused_roles[4].external_accounts, Vec::<String>::new());
    // First snapshot: every unused role (service-linked apart) is new.
    assert_eq!(
        changes(&a1),
        [
            change("I1", "new", None),
            change("N1", "new", None),
            change("W1", "new", None),
            change("B1", "new", None),
        ]
        .into_iter()
        .collect()
    );
    // Alerts: open ones only (not kept W1, not to_delete N1, never S1).
    let alerted: Vec<(&str, &str, i32, bool, Vec<String>)> = a1
        .alerts
        .iter()
        .map(|x| {
            let u = x.new_unused_role.as_ref().unwrap();
            (
                x.role_name.as_str(),
                x.team.as_str(),
                u.days_unused,
                u.never_used,
                u.external_accounts.clone(),
            )
        })
        .collect();
    assert_eq!(
        alerted,
        [
            ("idle", "payments", 119, false, vec!["999999999999".into()]),
            ("batch", "data", 137, false, vec![]),
        ]
    );
    let json = serde_json::to_value(&a1.alerts[0]).unwrap();
    assert_eq!(json["new_unused_role"]["days_unused"], 119);
    assert_eq!(json["new_unused_permissions"], serde_json::json!([]));
    // Ledger: one unused_role item per role found, service-linked included.
    let kinds: BTreeSet<(&str, &str, &str)> = a1
        .ledger
        .iter()
        .map(|l| (l.role_id.as_str(), l.kind.as_str(), l.item.as_str()))
        .collect();
    assert_eq!(
        kinds,
        ["I1", "N1", "S1", "W1", "B1"]
            .into_iter()
            .map(|id| (id, "unused_role", "role"))
            .collect()
    );
    let team = |a: &Analysis, t: &str| a.teams.iter().find(|x| x.owner_team == t).cloned().unwrap();
    let p = team(&a1, "payments");
    assert_eq!(
        (
            p.unused_roles_open,
            p.unused_roles_new,
            p.unused_roles_outside_org
        ),
        (1, 1, 1)
    );
    let w = team(&a1, "web");
    assert_eq!(
        (
            w.unused_roles_open,
            w.unused_roles_kept,
            w.unused_roles_outside_org
        ),
        (0, 1, 1)
    );
    let u = team(&a1, "unowned");
    assert_eq!(
        (
            u.unused_roles_to_delete,
            u.unused_service_linked_roles,
            u.unused_roles_new
        ),
        (1, 1, 1)
    );
    // Unused roles are not unused permissions.
    assert_eq!((u.unused_new, u.unused_open), (0, 0));
    let org = a1.daily.iter().find(|x| x.scope == "organization").unwrap();
    assert_eq!(
        (
            org.unused_roles,
            org.unused_service_linked_roles,
            org.unused_roles_new,
            org.unused_roles_resolved,
            org.unused_new
        ),
        (4, 1, 4, 0, 0)
    );
    let b = a1
        .daily
        .iter()
        .find(|x| x.account_id.as_deref() == Some(B))
        .unwrap();
    assert_eq!((b.unused_roles, b.unused_roles_new), (1, 1));
    assert_eq!(status(&a1, "never"), "applied");
    assert_eq!(status(&a1, "anyone"), "applied");
    assert_eq!(status(&a1, "ghost"), "unknown_role");

    // --- 06-02: idle used, never deleted, edge crosses the threshold, B carried.
    let a2 = analyze(
        &day2(),
        Some(&day1()),
        a1.ledger.clone(),
        &owners,
        &rv,
        &rules(),
    );
    assert_eq!(
        changes(&a2),
        [
            change("I1", "resolved", Some("used")),
            change("N1", "resolved", Some("role_deleted")),
            change("E1", "new", None),
        ]
        .into_iter()
        .collect()
    );
    let edge = a2.unused_roles.iter().find(|r| r.role_id == "E1").unwrap();
    assert_eq!(edge.days_unused, 91);
    // B's role, carried: judged as of 06-01, not alerted again.
    let batch = a2.unused_roles.iter().find(|r| r.role_id == "B1").unwrap();
    assert_eq!(
        (batch.days_unused, batch.data_date),
        (137, days_since_epoch(d(1)))
    );
    assert_eq!(
        a2.alerts
            .iter()
            .map(|x| x.role_name.as_str())
            .collect::<Vec<_>>(),
        ["edge"]
    );
    assert_eq!(status(&a2, "never"), "done");
    assert_eq!(team(&a2, "unowned").unused_roles_done, 1);
    assert_eq!(team(&a2, "unowned").unused_done, 0);
    let org = a2.daily.iter().find(|x| x.scope == "organization").unwrap();
    assert_eq!(
        (
            org.unused_roles,
            org.unused_roles_new,
            org.unused_roles_resolved
        ),
        (3, 1, 2)
    );

    // --- 06-04: B without data, edge's use unknown: nothing resolved, and
    // a review of B's role can say nothing.
    let mut rv = rv;
    rv.push(review("prod-b", "batch", Decision::Delete, None));
    let a4 = analyze(
        &day4(),
        Some(&day2()),
        a2.ledger.clone(),
        &owners,
        &rv,
        &rules(),
    );
    assert_eq!(changes(&a4), Changes::new());
    assert!(
        a4.unused_roles
            .iter()
            .all(|r| r.role_id != "E1" && r.role_id != "B1")
    );
    assert_eq!(status(&a4, "batch"), "no_data");
    assert!(a4.alerts.is_empty());

    // --- 06-05: collected again: nothing reappears, nothing alerted twice.
    let a5 = analyze(
        &day5(),
        Some(&day4()),
        a4.ledger.clone(),
        &owners,
        &rv,
        &rules(),
    );
    assert_eq!(changes(&a5), Changes::new());
    let batch = a5.unused_roles.iter().find(|r| r.role_id == "B1").unwrap();
    assert_eq!(
        (batch.days_unused, batch.first_seen, batch.alerted_on),
        (141, days_since_epoch(d(1)), Some(days_since_epoch(d(1))))
    );
    let edge = a5.unused_roles.iter().find(|r| r.role_id == "E1").unwrap();
    assert_eq!(
        (edge.days_unused, edge.first_seen),
        (94, days_since_epoch(d(2)))
    );
    assert!(a5.alerts.is_empty());
    assert_eq!(status(&a5, "batch"), "applied");
}

#[test]
fn trust_splits_accounts_services_and_the_outside() {
    let org = [A, B].into_iter().collect();
    let principals: Vec<String> = [
        "*",
        "arn:aws:iam::111111111111:root",
        "arn:aws:sts::333333333333:assumed-role/x/y",
        "arn:aws-us-gov:iam::444444444444:user/u",
        "service:lambda.amazonaws.com",
        "federated:arn:aws:iam::111111111111:saml-provider/okta",
        "canonical_user:abc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        trust(&principals, &org),
        Trust {
            accounts: vec![A.into(), "333333333333".into(), "444444444444".into()],
            services: vec!["lambda.amazonaws.com".into()],
            external: vec!["*".into(), "333333333333".into(), "444444444444".into()],
        }
    );
    assert_eq!(trust(&[], &org), Trust::default());
}
