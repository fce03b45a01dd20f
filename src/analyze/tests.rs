//! Hand-built multi-day cases for the analysis, with exact expected deltas,
//! statuses and alerts. Days: 06-01, 06-02, (06-03 missing), 06-04.

use super::compute::{Rules, analyze};
use super::input::{AccessIn, RoleIn, SimIn, Snapshot};
use super::owners::Owners;
use super::reviews::{Decision, Review};
use crate::model::ledger::LedgerRow;
use chrono::NaiveDate;
use std::collections::{BTreeSet, HashSet};

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
}

fn micros(date: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(date)
        .unwrap()
        .timestamp_micros()
}

fn role(id: &str, name: &str, created: &str, team: Option<&str>) -> RoleIn {
    RoleIn {
        account_id: "111111111111".into(),
        account_name: Some("prod-a".into()),
        role_id: id.into(),
        role_name: name.into(),
        arn: format!("arn:aws:iam::111111111111:role/{name}"),
        path: "/".into(),
        create_date: micros(created),
        owner_team: team.map(str::to_string),
        cfn_stack: None,
        cfn_logical_id: None,
        carried_from: None,
        access: Default::default(),
    }
}

fn access(role_id: &str, service: &str, action: Option<&str>, last: Option<&str>) -> AccessIn {
    AccessIn {
        role_id: role_id.into(),
        service_namespace: service.into(),
        action: action.map(str::to_string),
        last_authenticated: last.map(micros),
    }
}

/// A decision on `*`; allowed there means allowed at breadth `any`.
fn sim(role_id: &str, action: &str, decision: &str) -> SimIn {
    let allowed = matches!(decision, "allowed" | "conditionally_allowed");
    SimIn {
        role_id: role_id.into(),
        action: action.into(),
        decision: decision.into(),
        breadth: allowed.then(|| "any".into()),
        breadth_decision: decision.into(),
    }
}

/// A grant at `breadth` that is not allowed on `*`.
fn sim_at(role_id: &str, action: &str, breadth: &str, decision: &str) -> SimIn {
    SimIn {
        role_id: role_id.into(),
        action: action.into(),
        decision: "implicit_deny".into(),
        breadth: Some(breadth.into()),
        breadth_decision: decision.into(),
    }
}

const OLD: &str = "2025-01-01T00:00:00Z";
const RECENT: &str = "2026-05-30T08:00:00Z";

fn day1() -> Snapshot {
    Snapshot {
        date: d(1),
        snapshot_id: "s1".into(),
        roles: vec![
            role("A1", "app", OLD, Some("payments")),
            role("B1", "old", OLD, None),
            role("Y1", "young", "2026-05-20T00:00:00Z", Some("web")),
            role("P1", "passer", OLD, Some("platform")),
        ],
        access: vec![
            access("A1", "s3", None, Some(RECENT)),
            access("A1", "s3", Some("s3:GetObject"), Some(RECENT)),
            access("A1", "s3", Some("s3:PutObject"), None),
            access("A1", "dynamodb", None, None),
            access("B1", "sqs", None, Some("2026-01-01T00:00:00Z")),
            // Young role: never used, but within its grace period.
            access("Y1", "ec2", None, None),
            // PassRole granted: iam as a whole is never "unused"; its
            // unused tracked action still is.
            access("P1", "iam", None, None),
            access("P1", "iam", Some("iam:CreateRole"), None),
        ],
        sims: vec![
            sim("A1", "s3:GetObject", "allowed"),
            sim("P1", "iam:PassRole", "conditionally_allowed"),
        ],
        passrole: ["P1".to_string()].into(),
        // No role's use is known here: unused roles have their own cases
        // (unused_roles_tests.rs).
        role_use: Default::default(),
        policies: Vec::new(),
        accounts: Vec::new(),
    }
}

fn day2() -> Snapshot {
    let mut s = day1();
    s.date = d(2);
    s.snapshot_id = "s2".into();
    // app used dynamodb; "old" deleted and recreated (new id, young);
    // passer's iam:CreateRole removed from its policies.
    s.roles[1] = role("B2", "old", "2026-06-02T01:00:00Z", None);
    s.access = vec![
        access("A1", "s3", None, Some(RECENT)),
        access("A1", "s3", Some("s3:GetObject"), Some(RECENT)),
        access("A1", "s3", Some("s3:PutObject"), None),
        access("A1", "dynamodb", None, Some("2026-06-01T12:00:00Z")),
        access("B2", "sqs", None, None),
        access("Y1", "ec2", None, None),
        access("P1", "iam", None, None),
    ];
    s
}

fn day4() -> Snapshot {
    let mut s = day2();
    s.date = d(4);
    s.snapshot_id = "s4".into();
    s.access.extend([
        // Granted again, still never used: reappears.
        access("P1", "iam", Some("iam:CreateRole"), None),
        // New grants, never used.
        access("A1", "kinesis", None, None),
        access("A1", "lambda", None, None),
    ]);
    s.sims.push(sim("P1", "iam:PassRole", "allowed"));
    s
}

fn review(role: &str, permission: &str, decision: Decision, reason: Option<&str>) -> Review {
    Review {
        account: "prod-a".into(),
        role: role.into(),
        permission: permission.to_ascii_lowercase(),
        decision,
        reason: reason.map(str::to_string),
        reviewer: Some("alice".into()),
        date: None,
        expires: None,
        source: format!("reviews.csv:{role}:{permission}"),
    }
}

fn rules() -> Rules {
    Rules {
        unused_days: 90,
        alerting: true,
        sensitive_actions: vec!["iam:PassRole".into(), "s3:GetObject".into()],
        routing: false,
    }
}

type Deltas = BTreeSet<(String, String, String, Option<String>)>;

fn deltas(a: &super::compute::Analysis) -> Deltas {
    a.deltas
        .iter()
        .map(|d| {
            (
                d.role_id.clone(),
                d.permission.clone(),
                d.change.clone(),
                d.resolution.clone(),
            )
        })
        .collect()
}

fn delta(
    role: &str,
    perm: &str,
    change: &str,
    resolution: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        role.into(),
        perm.into(),
        change.into(),
        resolution.map(str::to_string),
    )
}

#[test]
fn three_days_with_a_gap() {
    let owners = Owners::default();
    let reviews = vec![
        review("app", "s3:PutObject", Decision::Keep, Some("yearly export")),
        review(
            "app",
            "kinesis",
            Decision::Keep,
            Some("stream cut-over in Q1"),
        ),
        review("passer", "iam:CreateRole", Decision::Delete, None),
        review("ghost", "s3", Decision::Delete, None),
        review("app", "ec2", Decision::Keep, Some("typo")),
    ];

    // Day 1: no previous snapshot; everything unused is new.
    let a1 = analyze(&day1(), None, Vec::new(), &owners, &[], &rules());
    let unused1: HashSet<(String, String)> = a1
        .unused
        .iter()
        .map(|u| (u.role_id.clone(), u.permission.clone()))
        .collect();
    let want1: HashSet<(String, String)> = [
        ("A1", "s3:PutObject"),
        ("A1", "dynamodb"),
        ("B1", "sqs"),
        ("P1", "iam:CreateRole"),
    ]
    .iter()
    .map(|(r, p)| (r.to_string(), p.to_string()))
    .collect();
    assert_eq!(
        unused1, want1,
        "young role and PassRole's iam service are not flagged"
    );
    assert_eq!(
        deltas(&a1),
        want1
            .iter()
            .map(|(r, p)| delta(r, p, "new", None))
            .collect::<Deltas>()
    );
    assert!(a1.deltas.iter().all(|d| d.previous_snapshot_date.is_none()));
    let sqs = a1.unused.iter().find(|u| u.permission == "sqs").unwrap();
    assert_eq!(sqs.days_unused, 151, "2026-01-01 to 2026-06-01");
    assert_eq!(
        (sqs.owner_team.as_str(), sqs.owner_source.as_str()),
        ("unowned", "unowned")
    );
    let never = a1
        .unused
        .iter()
        .find(|u| u.permission == "dynamodb")
        .unwrap();
    assert_eq!(never.last_used_at, None);
    assert_eq!(
        never.days_unused, 516,
        "never used: counted from the role's creation"
    );
    // Alerts: every open unused item, and the new sensitive grant.
    let alerted1: usize = a1
        .alerts
        .iter()
        .map(|a| a.new_unused_permissions.len())
        .sum();
    assert_eq!(alerted1, 4);
    let app = a1.alerts.iter().find(|a| a.role_name == "app").unwrap();
    assert_eq!(app.team, "payments");
    assert_eq!(app.new_sensitive_grants, ["s3:GetObject"]);
    assert_eq!(a1.passrole.len(), 1);
    assert_eq!(
        a1.passrole[0].decision_on_any_resource,
        "conditionally_allowed"
    );

    // Day 2: dynamodb used; "old" deleted and recreated; CreateRole removed.
    let a2 = analyze(
        &day2(),
        Some(&day1()),
        a1.ledger.clone(),
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(
        deltas(&a2),
        [
            delta("A1", "dynamodb", "resolved", Some("used")),
            delta("B1", "sqs", "resolved", Some("role_deleted")),
            delta("P1", "iam:CreateRole", "resolved", Some("removed")),
        ]
        .into_iter()
        .collect::<Deltas>()
    );
    assert!(
        a2.deltas
            .iter()
            .all(|d| d.previous_snapshot_date == Some(20_605)),
        "2026-06-01"
    );
    let put = a2
        .unused
        .iter()
        .find(|u| u.permission == "s3:PutObject")
        .unwrap();
    assert_eq!(
        (put.review_status.as_str(), put.review_reason.as_deref()),
        ("kept", Some("yearly export"))
    );
    assert_eq!(
        put.first_seen, 20_605,
        "first seen on day 1, carried by the ledger"
    );
    assert!(a2.alerts.is_empty(), "nothing new: nothing alerted twice");
    let status = |a: &super::compute::Analysis, role: &str, perm: &str| {
        a.reviews
            .iter()
            .find(|r| r.role_name == role && r.permission == perm.to_ascii_lowercase())
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(status(&a2, "passer", "iam:CreateRole"), "done");
    assert_eq!(status(&a2, "ghost", "s3"), "unknown_role");
    assert_eq!(status(&a2, "app", "ec2"), "unknown_permission");
    let platform = a2
        .teams
        .iter()
        .find(|t| t.owner_team == "platform")
        .unwrap();
    assert_eq!(platform.unused_done, 1);
    let payments = a2
        .teams
        .iter()
        .find(|t| t.owner_team == "payments")
        .unwrap();
    assert_eq!((payments.unused_open, payments.unused_kept), (0, 1));
    assert_eq!(payments.review_progress, Some(1.0));

    // Day 4 (day 3 missing): compared with day 2.
    let a4 = analyze(
        &day4(),
        Some(&day2()),
        a2.ledger.clone(),
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(
        deltas(&a4),
        [
            delta("A1", "kinesis", "new", None),
            delta("A1", "lambda", "new", None),
            delta("P1", "iam:CreateRole", "reappeared", None),
        ]
        .into_iter()
        .collect::<Deltas>()
    );
    assert!(
        a4.deltas
            .iter()
            .all(|d| d.previous_snapshot_date == Some(20_606)),
        "2026-06-02"
    );
    // Alerts: lambda (new, open) and the new PassRole grant only; kinesis is
    // kept, CreateRole was alerted on day 1 and is under a delete review.
    let items: BTreeSet<(String, String)> = a4
        .alerts
        .iter()
        .flat_map(|a| {
            a.new_unused_permissions
                .iter()
                .map(move |u| (a.role_name.clone(), u.permission.clone()))
                .chain(
                    a.new_sensitive_grants
                        .iter()
                        .map(move |g| (a.role_name.clone(), g.clone())),
                )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("app".to_string(), "lambda".to_string()),
            ("passer".into(), "iam:PassRole".into())
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(status(&a4, "passer", "iam:CreateRole"), "applied");
    let create = a4
        .unused
        .iter()
        .find(|u| u.permission == "iam:CreateRole")
        .unwrap();
    assert_eq!(create.review_status, "to_delete");
    assert_eq!(create.alerted_on, Some(20_605), "alerted once, on day 1");

    // The ledger remembers the deleted role's item.
    assert!(
        a4.ledger
            .iter()
            .any(|l: &LedgerRow| l.role_id == "B1" && l.item == "sqs")
    );
    let org = &a4.daily[0];
    assert_eq!(
        (
            org.scope.as_str(),
            org.roles,
            org.unused_new,
            org.unused_resolved
        ),
        ("organization", 4, 3, 0)
    );
}

#[test]
fn without_alerting_nothing_is_marked_alerted() {
    let mut r = rules();
    r.alerting = false;
    let a = analyze(&day1(), None, Vec::new(), &Owners::default(), &[], &r);
    assert!(a.alerts.is_empty());
    assert!(a.ledger.iter().all(|l| l.alerted_on.is_none()));
    // So a later run with alerting on still alerts them.
    let a2 = analyze(
        &day2(),
        Some(&day1()),
        a.ledger,
        &Owners::default(),
        &[],
        &rules(),
    );
    let n: usize = a2
        .alerts
        .iter()
        .map(|x| x.new_unused_permissions.len())
        .sum();
    assert_eq!(n, 1, "only app s3:PutObject is still unused");
}

// --- Partial days: an account or an Access Advisor job that failed is
// unknown, not empty (docs/ANALYZE.md, "Partial days"). The snapshots are
// built as `input::read_snapshot` builds them from a lake.

use super::input::{AccessData, AccountState};

const OTHER: &str = "222222222222";

fn state(id: &str, status: &'static str, data_date: Option<NaiveDate>) -> AccountState {
    AccountState {
        account_id: id.into(),
        account_name: Some(if id == OTHER { "prod-b" } else { "prod-a" }.into()),
        ou_path: Some("r-ab12/ou-ab12-11111111".into()),
        status,
        data_date,
        failure_reason: (status != "ok").then(|| "sts:AssumeRole: AccessDenied".to_string()),
    }
}

/// Day 1's organization plus a second account with one role that never
/// used sqs, on `date`, every account collected.
fn two_accounts(date: NaiveDate) -> Snapshot {
    let mut s = day1();
    s.date = date;
    s.snapshot_id = format!("s{date}");
    let mut z = role("Z1", "batch", OLD, Some("data"));
    z.account_id = OTHER.into();
    z.account_name = Some("prod-b".into());
    z.arn = format!("arn:aws:iam::{OTHER}:role/batch");
    s.roles.push(z);
    s.access.push(access("Z1", "sqs", None, None));
    s.sims.push(sim("Z1", "s3:GetObject", "allowed"));
    s.accounts = vec![
        state("111111111111", "ok", Some(date)),
        state(OTHER, "ok", Some(date)),
    ];
    s
}

/// `two_accounts(date)` with the second account carried from `from`.
fn carried(date: NaiveDate, from: NaiveDate) -> Snapshot {
    let mut s = two_accounts(date);
    let z = s.roles.iter_mut().find(|r| r.role_id == "Z1").unwrap();
    z.carried_from = Some(from);
    z.access = AccessData::Carried(from);
    s.accounts[1] = state(OTHER, "carried", Some(from));
    s
}

/// `two_accounts(date)` with the second account failed and nothing to carry.
fn without_data(date: NaiveDate) -> Snapshot {
    let mut s = two_accounts(date);
    s.roles.retain(|r| r.account_id != OTHER);
    s.access.retain(|a| a.role_id != "Z1");
    s.sims.retain(|x| x.role_id != "Z1");
    s.accounts[1] = state(OTHER, "no_data", None);
    s
}

fn org_row(a: &super::compute::Analysis) -> &crate::model::summaries::DailyRow {
    a.daily.iter().find(|d| d.scope == "organization").unwrap()
}

fn account_row<'a>(
    a: &'a super::compute::Analysis,
    id: &str,
) -> &'a crate::model::summaries::DailyRow {
    a.daily
        .iter()
        .find(|d| d.account_id.as_deref() == Some(id))
        .unwrap()
}

#[test]
fn a_carried_account_changes_nothing_and_says_where_its_numbers_come_from() {
    let owners = Owners::default();
    let quiet = Rules {
        alerting: false,
        ..rules()
    };
    let a1 = analyze(&two_accounts(d(1)), None, Vec::new(), &owners, &[], &quiet);
    let day2 = carried(d(2), d(1));
    let a2 = analyze(
        &day2,
        Some(&two_accounts(d(1))),
        a1.ledger.clone(),
        &owners,
        &[],
        &rules(),
    );
    // Nothing resolved, nothing new: the carried account is as it was.
    assert_eq!(deltas(&a2), Deltas::new());
    let (o1, o2) = (org_row(&a1), org_row(&a2));
    assert_eq!(
        (o2.roles, o2.risky_roles, o2.unused_permissions),
        (o1.roles, o1.risky_roles, o1.unused_permissions),
        "no dip in the organization's numbers"
    );
    assert_eq!(o2.risky_by_action, o1.risky_by_action);
    assert_eq!((o2.accounts_carried, o2.accounts_without_data), (1, 0));
    assert_eq!(o2.roles_access_carried, 1);
    assert_eq!(o2.account_status, None);
    let b = account_row(&a2, OTHER);
    assert_eq!(b.account_status.as_deref(), Some("carried"));
    assert_eq!(b.data_date, Some(super::compute::days_since_epoch(d(1))));
    assert_eq!(b.account_name.as_deref(), Some("prod-b"));
    assert_eq!(b.ou_path.as_deref(), Some("r-ab12/ou-ab12-11111111"));
    assert!(b.failure_reason.as_deref().unwrap().contains("AssumeRole"));
    assert_eq!((b.roles, b.risky_roles, b.unused_permissions), (1, 1, 1));
    let healthy = account_row(&a2, "111111111111");
    assert_eq!(healthy.account_status.as_deref(), Some("ok"));
    assert_eq!(
        healthy.data_date,
        Some(super::compute::days_since_epoch(d(2)))
    );
    // The carried row says which day it describes, and counts to it.
    let z = a2.unused.iter().find(|u| u.role_id == "Z1").unwrap();
    assert_eq!(z.data_date, super::compute::days_since_epoch(d(1)));
    let z1 = a1.unused.iter().find(|u| u.role_id == "Z1").unwrap();
    assert_eq!(z.days_unused, z1.days_unused);
    let data = a2.teams.iter().find(|t| t.owner_team == "data").unwrap();
    assert_eq!((data.roles, data.roles_carried), (1, 1));
    // Nobody is alerted on carried data: Z1 waits for a fresh day.
    assert!(a2.alerts.iter().all(|x| x.account_id != OTHER));
    assert!(a2.alerts.iter().any(|x| x.account_id == "111111111111"));
    let a3 = analyze(
        &two_accounts(d(3)),
        Some(&day2),
        a2.ledger.clone(),
        &owners,
        &[],
        &rules(),
    );
    assert_eq!(deltas(&a3), Deltas::new(), "nothing reappears either");
    let alert = a3.alerts.iter().find(|x| x.account_id == OTHER).unwrap();
    assert_eq!(alert.new_unused_permissions[0].permission, "sqs");
    assert_eq!(alert.new_sensitive_grants, ["s3:GetObject"]);
    assert!(a3.alerts.iter().all(|x| x.account_id == OTHER), "once only");
}

#[test]
fn an_account_without_data_is_neither_deleted_nor_back() {
    let owners = Owners::default();
    let a1 = analyze(
        &two_accounts(d(1)),
        None,
        Vec::new(),
        &owners,
        &[],
        &rules(),
    );
    let day2 = without_data(d(2));
    let a2 = analyze(
        &day2,
        Some(&two_accounts(d(1))),
        a1.ledger.clone(),
        &owners,
        &[],
        &rules(),
    );
    assert_eq!(deltas(&a2), Deltas::new(), "no role_deleted");
    let b = account_row(&a2, OTHER);
    assert_eq!(b.account_status.as_deref(), Some("no_data"));
    assert_eq!((b.data_date, b.roles), (None, 0));
    assert_eq!(org_row(&a2).accounts_without_data, 1);
    let a3 = analyze(
        &two_accounts(d(3)),
        Some(&day2),
        a2.ledger.clone(),
        &owners,
        &[],
        &rules(),
    );
    assert_eq!(deltas(&a3), Deltas::new(), "no reappeared");

    // An account never seen before, back from a gap, is new as usual.
    let a3_fresh_ledger = analyze(
        &two_accounts(d(3)),
        Some(&day2),
        Vec::new(),
        &owners,
        &[],
        &rules(),
    );
    assert!(deltas(&a3_fresh_ledger).contains(&delta("Z1", "sqs", "new", None)));
}

#[test]
fn unknown_access_advisor_data_is_never_unused_nor_used() {
    let owners = Owners::default();
    let reviews = vec![review("app", "dynamodb", Decision::Delete, None)];
    let base = two_accounts(d(1));
    let a1 = analyze(&base, None, Vec::new(), &owners, &reviews, &rules());
    assert!(
        a1.unused
            .iter()
            .any(|u| u.role_id == "A1" && u.permission == "dynamodb")
    );
    // Day 2: A1's job timed out and nothing earlier stands in.
    let mut day2 = two_accounts(d(2));
    day2.roles[0].access = AccessData::Unknown;
    day2.access.retain(|a| a.role_id != "A1");
    let a2 = analyze(
        &day2,
        Some(&base),
        a1.ledger.clone(),
        &owners,
        &reviews,
        &rules(),
    );
    assert!(a2.unused.iter().all(|u| u.role_id != "A1"));
    assert_eq!(deltas(&a2), Deltas::new(), "not resolved, not used");
    assert_eq!(org_row(&a2).roles_access_unknown, 1);
    let r = &a2.reviews[0];
    assert_eq!(
        r.status, "no_data",
        "a delete review is not done on no data"
    );
    // Day 3: data again; what was unused before is not "reappeared".
    let a3 = analyze(
        &two_accounts(d(3)),
        Some(&day2),
        a2.ledger.clone(),
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(deltas(&a3), Deltas::new());

    // Carried Access Advisor data is judged as of its own date.
    let mut day2c = two_accounts(d(2));
    day2c.roles[0].access = AccessData::Carried(d(1));
    let a2c = analyze(
        &day2c,
        Some(&base),
        a1.ledger.clone(),
        &owners,
        &[],
        &rules(),
    );
    assert_eq!(deltas(&a2c), Deltas::new());
    let dyn_row = a2c
        .unused
        .iter()
        .find(|u| u.role_id == "A1" && u.permission == "dynamodb")
        .unwrap();
    assert_eq!(dyn_row.data_date, super::compute::days_since_epoch(d(1)));
    assert_eq!(org_row(&a2c).roles_access_carried, 1);
}

/// A role is risky when a sensitive action is allowed at account breadth or
/// wider; the count on `*` is kept beside it. Worked out by hand:
/// - A1: s3:GetObject on `*` (any) → risky, on `*`.
/// - B1: iam:PassRole on `role/*` of its account → risky, not on `*`.
/// - Y1: iam:PassRole on `role/app-*` (pattern) → not risky.
/// - P1: iam:PassRole account-wide under a condition → conditionally, not risky.
#[test]
fn risky_means_account_breadth_or_wider() {
    let mut snap = day1();
    snap.sims = vec![
        sim("A1", "s3:GetObject", "allowed"),
        sim_at("B1", "iam:PassRole", "account", "allowed"),
        sim_at("Y1", "iam:PassRole", "pattern", "allowed"),
        sim_at("P1", "iam:PassRole", "account", "conditionally_allowed"),
    ];
    let a = analyze(&snap, None, Vec::new(), &Owners::default(), &[], &rules());
    let org = org_row(&a);
    assert_eq!((org.risky_roles, org.risky_roles_on_any_resource), (2, 1));
    let by: Vec<(&str, i32, i32, i32)> = org
        .risky_by_action
        .iter()
        .map(|r| {
            (
                r.action.as_str(),
                r.allowed,
                r.conditionally_allowed,
                r.allowed_on_any_resource,
            )
        })
        .collect();
    assert_eq!(by, [("iam:PassRole", 1, 1, 0), ("s3:GetObject", 1, 0, 1)]);
    // Teams: payments owns A1, B1 is unowned, web owns Y1, platform owns P1.
    let team = |t: &str| a.teams.iter().find(|r| r.owner_team == t).unwrap();
    assert_eq!(team("payments").risky_roles, 1);
    assert_eq!(team("unowned").risky_roles, 1);
    assert_eq!(team("web").risky_roles, 0);
    assert_eq!(team("platform").risky_roles, 0);
    // Alerts: the new risky grants, not the pattern or conditional ones.
    let mut grants: Vec<(String, String)> = a
        .alerts
        .iter()
        .flat_map(|al| {
            al.new_sensitive_grants
                .iter()
                .map(move |g| (al.role_name.clone(), g.clone()))
        })
        .collect();
    grants.sort();
    assert_eq!(
        grants,
        [
            ("app".to_string(), "s3:GetObject".to_string()),
            ("old".to_string(), "iam:PassRole".to_string())
        ]
    );
}

fn policy(role_id: &str, name: &str, doc: serde_json::Value) -> super::grants::PolicyIn {
    super::grants::PolicyIn {
        role_id: role_id.into(),
        kind: "inline".into(),
        name: Some(name.into()),
        arn: None,
        document: doc.to_string(),
    }
}

#[test]
fn reviews_expire_and_are_invalidated_when_the_grant_changes() {
    use super::compute::analyze_with;
    use serde_json::json;
    let owners = Owners::default();
    let with_policies = |date: NaiveDate, extra_sqs: bool| {
        let mut s = day1();
        s.date = date;
        s.policies = vec![
            policy(
                "A1",
                "app",
                json!({"Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "s3:*"], "Resource": "*"}]}),
            ),
            policy(
                "B1",
                "q",
                json!({"Statement": [{"Sid": "Send", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}),
            ),
        ];
        if extra_sqs {
            // A new statement grants sqs again (wider).
            s.policies.push(policy(
                "B1",
                "more",
                json!({"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}),
            ));
        }
        s
    };
    let mut keep_ddb = review("app", "dynamodb", Decision::Keep, Some("yearly job"));
    keep_ddb.expires = Some(d(1));
    let keep_sqs = review("old", "sqs", Decision::Keep, Some("dead-letter replay"));
    let reviews = vec![keep_ddb, keep_sqs.clone()];
    let status = |a: &super::compute::Analysis, role: &str, perm: &str| {
        let u = a
            .unused
            .iter()
            .find(|u| u.role_name == role && u.permission == perm)
            .unwrap();
        let r = a
            .reviews
            .iter()
            .find(|r| r.role_name == role && r.permission == perm)
            .unwrap();
        (u.review_status.clone(), r.status.clone(), r.invalidated_on)
    };

    // Day 1: both reviews hold (expires is the last day it holds).
    let a1 = analyze_with(
        &with_policies(d(1), false),
        None,
        Vec::new(),
        &[],
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(
        status(&a1, "app", "dynamodb"),
        ("kept".into(), "applied".into(), None)
    );
    assert_eq!(
        status(&a1, "old", "sqs"),
        ("kept".into(), "applied".into(), None)
    );
    let baseline = a1.reviews[1].grant_fingerprint.clone().unwrap();
    assert_eq!(
        a1.reviews[0].expires,
        Some(crate::model::columns::days_since_epoch(d(1)))
    );

    // Day 2: the dynamodb review has expired: open again; sqs unchanged.
    let day2 = with_policies(d(2), false);
    let a2 = analyze_with(
        &day2,
        None,
        a1.ledger.clone(),
        &a1.reviews,
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(
        status(&a2, "app", "dynamodb"),
        ("open".into(), "expired".into(), None)
    );
    assert_eq!(
        status(&a2, "old", "sqs"),
        ("kept".into(), "applied".into(), None)
    );
    assert_eq!(
        a2.reviews[1].grant_fingerprint.as_deref(),
        Some(baseline.as_str())
    );
    // Reopened and never alerted before (it was kept): alerted now.
    let app_alert = a2.alerts.iter().find(|x| x.role_name == "app").unwrap();
    assert!(
        app_alert
            .new_unused_permissions
            .iter()
            .any(|u| u.permission == "dynamodb")
    );

    // Day 4: a new statement grants sqs: the keep review is invalidated.
    let a4 = analyze_with(
        &with_policies(d(4), true),
        Some(&day2),
        a2.ledger.clone(),
        &a2.reviews,
        &owners,
        &reviews,
        &rules(),
    );
    let d4 = crate::model::columns::days_since_epoch(d(4));
    assert_eq!(
        status(&a4, "old", "sqs"),
        ("open".into(), "invalidated".into(), Some(d4))
    );
    // The baseline is kept, so removing the statement again does not
    // quietly restore the review: it stays invalidated until re-reviewed.
    let a5 = analyze_with(
        &with_policies(d(5), false),
        None,
        a4.ledger.clone(),
        &a4.reviews,
        &owners,
        &reviews,
        &rules(),
    );
    assert_eq!(
        status(&a5, "old", "sqs"),
        ("open".into(), "invalidated".into(), Some(d4))
    );
    // Re-reviewing (a new line: another date) starts from today's grant.
    let mut again = keep_sqs;
    again.date = Some(d(5));
    let reviewed = vec![again];
    let a6 = analyze_with(
        &with_policies(d(6), true),
        None,
        a5.ledger.clone(),
        &a5.reviews,
        &owners,
        &reviewed,
        &rules(),
    );
    assert_eq!(
        status(&a6, "old", "sqs"),
        ("kept".into(), "applied".into(), None)
    );
}
