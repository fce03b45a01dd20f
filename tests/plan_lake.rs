//! `check-plan --lake` through the real binary, on a lake snapshotted from
//! tests/data/mini: changes to deployed roles judged with their deployed
//! policies, boundaries and the account's SCPs ("newly allowed" vs "already
//! allowed before this change"), in every output format, and the exit codes.
//!
//! The mini organization (tests/data/mini): account 111111111111 sits in
//! the Production OU, whose SCP DenyCreateRole denies iam:CreateRole; its
//! roles are `admin` (AdministratorAccess), `app` (inline app-access:
//! s3:GetObject on one bucket, dynamodb:GetItem and ssm:GetParameter each
//! under a condition) and `bounded` (customer policy iam-all = iam:*, with
//! the boundary only-s3 = s3:*). Account 222222222222 is under the root
//! only (FullAWSAccess) and has the role `ci`.

use crate::util::*;
use serde_json::Value;
use std::path::Path;

const DATE: &str = "2026-10-01";
const APP: &str = "arn:aws:iam::111111111111:role/service-role/app";
const ADMIN: &str = "arn:aws:iam::111111111111:role/admin";
const BOUNDED: &str = "arn:aws:iam::111111111111:role/bounded";

fn lake() -> (tempfile::TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    (work, lake)
}

/// `check-plan` of `plan` (under tests/data/plan) in `format`, with extra
/// arguments: (exit code, stdout, stderr).
fn check(plan: &str, format: &str, extra: &[&str], lake: Option<&Path>) -> (i32, String, String) {
    let mut cmd = iamlake();
    cmd.args([
        "check-plan",
        "--today",
        "2026-11-21",
        "--format",
        format,
        "--plan",
    ])
    .arg(data("plan").join(plan))
    .args(extra);
    if let Some(l) = lake {
        cmd.arg("--lake").arg(l);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(plan: &str, extra: &[&str], lake: Option<&Path>) -> (i32, Value) {
    let (code, out, err) = check(plan, "json", extra, lake);
    assert!(code != 2, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

/// (address, action, change, before_decision) of a report's list, sorted.
fn rows(report: &Value, list: &str) -> Vec<(String, String, String, Option<String>)> {
    let mut v: Vec<_> = report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["address"].as_str().unwrap().to_string(),
                f["action"].as_str().unwrap().to_string(),
                f["change"].as_str().unwrap().to_string(),
                f["before_decision"].as_str().map(str::to_string),
            )
        })
        .collect();
    v.sort();
    v
}

fn row(
    address: &str,
    action: &str,
    change: &str,
    before: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        address.into(),
        action.into(),
        change.into(),
        before.map(str::to_string),
    )
}

/// admin (AdministratorAccess) given ReadOnlyAccess's reads again.
fn admin_reads_already_allowed() -> Vec<(String, String, String, Option<String>)> {
    let reads = [
        "dynamodb:GetItem",
        "s3:GetObject",
        "ssm:GetParameter",
        "ssm:GetParameters",
    ];
    reads
        .iter()
        .map(|a| row(ADMIN, a, "already_allowed", Some("allowed")))
        .collect()
}

fn every_action(report: &Value) -> Vec<String> {
    ["violations", "warnings", "already_allowed"]
        .iter()
        .flat_map(|l| report[*l].as_array().unwrap().iter())
        .map(|f| f["action"].as_str().unwrap().to_string())
        .collect()
}

/// The snapshot records the SCPs it evaluated with, level by level.
#[test]
fn snapshot_writes_the_scps_of_each_account() {
    let (_work, lake) = lake();
    let scps = read_table(&lake, "scps", DATE);
    let mut got: Vec<(String, i32, String)> = (0..scps.num_rows())
        .map(|r| {
            let level = scps
                .column_by_name("level")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow::array::Int32Array>()
                .unwrap()
                .value(r);
            (
                str_at(&scps, "account_id", r).unwrap(),
                level,
                str_at(&scps, "policy_id", r).unwrap(),
            )
        })
        .collect();
    got.sort();
    let want = [
        ("111111111111", 0, "p-FullAWSAccess"),
        ("111111111111", 1, "p-FullAWSAccess"),
        ("111111111111", 1, "p-denycreaterole"),
        ("111111111111", 2, "p-FullAWSAccess"),
        ("222222222222", 0, "p-FullAWSAccess"),
        ("222222222222", 1, "p-FullAWSAccess"),
    ];
    let want: Vec<(String, i32, String)> = want
        .iter()
        .map(|(a, l, p)| (a.to_string(), *l, p.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// Attachments to roles the plan does not create: with the lake, each is
/// judged with the role's deployed policies and boundary under the
/// account's SCPs; without it, each attachment is judged alone.
#[test]
fn attachments_to_deployed_roles_say_newly_or_already_allowed() {
    let (_work, lake) = lake();
    let account = ["--account", "111111111111"];
    let (code, r) = json("lake_attach.json", &account, Some(&lake));
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "violations"),
        vec![
            // AdministratorAccess under the boundary only-s3: s3 only.
            row(
                BOUNDED,
                "s3:GetObject",
                "newly_allowed",
                Some("implicit_deny")
            ),
            // ssm:GetParameter was allowed only under TeamParams' condition.
            row(
                APP,
                "ssm:GetParameter",
                "newly_allowed",
                Some("conditionally_allowed")
            ),
            row(
                APP,
                "ssm:GetParameters",
                "newly_allowed",
                Some("implicit_deny")
            ),
        ]
    );
    // admin has AdministratorAccess: ReadOnlyAccess adds nothing new.
    assert_eq!(rows(&r, "already_allowed"), admin_reads_already_allowed());
    // The OU's SCP denies iam:CreateRole: the inline policy granting it is
    // no finding at all, nor AdministratorAccess's grant of it.
    assert!(!every_action(&r).contains(&"iam:CreateRole".to_string()));
    let app = r["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["address"] == APP)
        .unwrap();
    assert_eq!(app["subject"], "role");
    assert_eq!(app["role"], "app");
    assert_eq!(app["principal_type"], "role");
    assert_eq!(
        app["matched_statements"][0]["address"],
        "aws_iam_role_policy_attachment.app_ssm"
    );
    let d = &r["deployed"];
    assert_eq!(d["snapshot_date"], DATE);
    assert_eq!(d["account_id"], "111111111111");
    assert_eq!(d["scps"], 4);
    assert_eq!(d["roles"], serde_json::json!(["admin", "app", "bounded"]));

    // Without the lake: every attachment alone, and the SCP unknown.
    let (code, alone) = json("lake_attach.json", &[], None);
    assert_eq!(code, 1);
    let violations = alone["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 2 + 4 + 1 + 7, "{alone:#}");
    assert!(
        violations
            .iter()
            .any(|f| f["address"] == "aws_iam_role_policy.admin_roles"
                && f["action"] == "iam:CreateRole"
                && f["change"] == "granted_by_change")
    );
    assert!(alone["deployed"].is_null());
    assert!(alone["already_allowed"].as_array().unwrap().is_empty());

    // The text names the snapshot and both kinds of finding.
    let (code, text, _) = check("lake_attach.json", "text", &account, Some(&lake));
    assert_eq!(code, 1);
    for want in [
        "❌ 3 violations",
        &format!("snapshot {DATE}, account 111111111111 · 4 SCPs applied"),
        "newly allowed (before this change: implicit_deny)",
        "### Already allowed before this change (not failing)",
        "already allowed before this change",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    // SARIF: already-allowed findings are notes; the run says where the
    // deployed state came from.
    let (code, sarif, _) = check("lake_attach.json", "sarif", &account, Some(&lake));
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let levels = |l: &str| results.iter().filter(|r| r["level"] == l).count();
    assert_eq!((levels("error"), levels("note")), (3, 4));
    assert!(
        results
            .iter()
            .filter(|r| r["level"] == "note")
            .all(|r| r["properties"]["change"] == "already_allowed")
    );
    assert_eq!(
        sarif["runs"][0]["properties"]["deployed"]["snapshot_date"],
        DATE
    );

    // conftest: every finding with its status and change.
    let (code, doc, _) = check("lake_attach.json", "conftest", &account, Some(&lake));
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let findings = doc["iamlake"]["findings"].as_array().unwrap();
    let count = |status: &str, change: &str| {
        findings
            .iter()
            .filter(|f| f["status"] == status && f["change"] == change)
            .count()
    };
    assert_eq!(count("violation", "newly_allowed"), 3);
    assert_eq!(count("already_allowed", "already_allowed"), 4);
    assert_eq!(findings.len(), 7);
    assert_eq!(doc["iamlake"]["deployed"]["account_id"], "111111111111");
}

/// A plan that only re-grants what roles already have, or what SCPs deny,
/// passes with the lake (exit 0) and fails without it (exit 1).
#[test]
fn scp_denied_and_already_allowed_grants_pass_with_the_lake() {
    let (work, lake) = lake();
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(data("plan/lake_attach.json")).unwrap())
            .unwrap();
    // Keep admin's two changes: ReadOnlyAccess (already allowed) and the
    // inline iam:CreateRole (denied by the Production OU's SCP).
    plan["resource_changes"]
        .as_array_mut()
        .unwrap()
        .retain(|rc| rc["change"]["after"]["role"] == "admin");
    assert_eq!(plan["resource_changes"].as_array().unwrap().len(), 2);
    let path = work.path().join("admin-only.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let run = |extra: &[&str], with_lake: bool| {
        let mut cmd = iamlake();
        cmd.args(CHECK_PLAN_JSON).arg(&path).args(extra);
        if with_lake {
            cmd.arg("--lake").arg(&lake);
        }
        let out = cmd.output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap(), v)
    };
    let (code, r) = run(&["--account", "111111111111"], true);
    assert_eq!(code, 0, "{r:#}");
    assert!(r["violations"].as_array().unwrap().is_empty());
    assert_eq!(r["already_allowed"].as_array().unwrap().len(), 4);
    let (code, r) = run(&[], false);
    assert_eq!(code, 1);
    assert_eq!(r["violations"].as_array().unwrap().len(), 5);
    // In account 222222222222 (no deny SCP, no role admin) the grant stands
    // on its own, and the report says admin is not in the snapshot.
    let (code, r) = run(&["--account", "222222222222"], true);
    assert_eq!(code, 1);
    assert!(r["violations"].as_array().unwrap().iter().any(|f| {
        f["action"] == "iam:CreateRole" && f["address"] == "aws_iam_role_policy.admin_roles"
    }));
    assert!(r["unknowns"].as_array().unwrap().iter().any(|u| {
        u["reason"]
            .as_str()
            .unwrap()
            .contains("role admin is not in lake")
    }));
}

/// The account's RCPs, as the snapshot recorded them, gate a plan's grants as
/// its SCPs do: an object read that an RCP denies on the account's resources
/// is no finding, and the report counts the RCPs applied.
#[test]
fn rcp_denied_grants_pass_with_the_lake() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    copy_tree(&data("mini"), &src);
    write_rcp(
        &src,
        "p-noreads",
        serde_json::json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": "*"}]),
        &["111111111111"],
    );
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let violations = |r: &Value| -> Vec<(String, String)> {
        rows(r, "violations")
            .into_iter()
            .map(|(address, action, _, _)| (address, action))
            .collect()
    };
    // Without the RCP the policy update gives bounded every object (see
    // policy_updates_detachments_and_inline_updates_of_deployed_roles).
    let (plain_work, plain) = self::lake();
    let (_, before) = json("lake_update.json", &[], Some(&plain));
    assert!(violations(&before).contains(&(BOUNDED.into(), "s3:GetObject".into())));
    assert_eq!(before["deployed"]["rcps"], 0);
    drop(plain_work);

    let (code, r) = json("lake_update.json", &[], Some(&lake));
    assert_eq!(code, 1, "the ssm:GetParameter finding remains");
    assert_eq!(
        violations(&r),
        [(APP.to_string(), "ssm:GetParameter".to_string())]
    );
    // RCPFullAWSAccess and p-noreads, on the account's level.
    assert_eq!(r["deployed"]["rcps"], 2);
    let (_, md, _) = check("lake_update.json", "text", &[], Some(&lake));
    assert!(md.contains("4 SCPs applied · 2 RCPs applied"), "{md}");
}

/// `aws_iam_policy` updates reach the deployed roles that attach the policy;
/// detachments and inline policy updates apply to the deployed role. The
/// account comes from the ARN of the updated policy.
#[test]
fn policy_updates_detachments_and_inline_updates_of_deployed_roles() {
    let (_work, lake) = lake();
    let (code, r) = json("lake_update.json", &[], Some(&lake));
    assert_eq!(code, 1);
    assert_eq!(r["deployed"]["account_id"], "111111111111");
    assert_eq!(
        rows(&r, "violations"),
        vec![
            row(
                BOUNDED,
                "s3:GetObject",
                "newly_allowed",
                Some("implicit_deny")
            ),
            row(
                APP,
                "ssm:GetParameter",
                "newly_allowed",
                Some("conditionally_allowed")
            ),
        ]
    );
    let bounded = r["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["address"] == BOUNDED)
        .unwrap();
    let policies: Vec<&str> = bounded["matched_statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["policy"].as_str().unwrap())
        .collect();
    assert_eq!(
        policies,
        [
            "arn:aws:iam::111111111111:policy/only-s3",
            "aws_iam_policy.iam_all"
        ]
    );
    assert_eq!(bounded["matched_statements"][1]["sid"], "Objects");
    // app's dynamodb:GetItem statement is in the changed policy, and was as
    // (conditionally) allowed before.
    assert_eq!(
        rows(&r, "already_allowed"),
        vec![row(
            APP,
            "dynamodb:GetItem",
            "already_allowed",
            Some("conditionally_allowed")
        )]
    );
    // admin loses AdministratorAccess: nothing newly allowed.
    assert!(
        !r["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["address"] == ADMIN)
    );
    assert_eq!(
        r["deployed"]["roles"],
        serde_json::json!(["admin", "app", "bounded"])
    );

    // Without the lake: the policy update is judged against its own old
    // document, the inline policy on its own.
    let (code, alone) = json("lake_update.json", &[], None);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&alone, "violations"),
        vec![
            row(
                "aws_iam_policy.iam_all",
                "s3:GetObject",
                "newly_allowed",
                Some("implicit_deny")
            ),
            row(
                "aws_iam_role_policy.app_access",
                "ssm:GetParameter",
                "granted_by_change",
                None
            ),
        ]
    );
    assert_eq!(
        rows(&alone, "already_allowed"),
        vec![
            row(
                "aws_iam_policy.iam_all",
                "iam:CreateRole",
                "already_allowed",
                Some("allowed")
            ),
            row(
                "aws_iam_policy.iam_all",
                "iam:PassRole",
                "already_allowed",
                Some("allowed")
            ),
        ]
    );
}

/// A lake that cannot be read, an account it does not have, or an account
/// that cannot be told: exit 2 with the lake, account and snapshot named.
#[test]
fn lake_and_account_problems_are_exit_2() {
    let (work, lake) = lake();
    // Nothing names the account (no account ARN in the plan, two accounts
    // in the lake): judged as without deployed context, and said so.
    let (code, r) = json("lake_attach.json", &[], Some(&lake));
    assert_eq!(code, 1);
    assert!(r["deployed"].is_null());
    assert!(
        r["unknowns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["what"] == "account"
                && u["reason"].as_str().unwrap().contains("pass --account")),
        "{r:#}"
    );
    // ARNs of two accounts: which one is a guess.
    let mut two: Value =
        serde_json::from_str(&std::fs::read_to_string(data("plan/lake_update.json")).unwrap())
            .unwrap();
    two["resource_changes"][0]["change"]["after"]["arn"] =
        "arn:aws:iam::222222222222:policy/iam-all".into();
    let two_path = work.path().join("two.json");
    std::fs::write(&two_path, two.to_string()).unwrap();
    let out = iamlake()
        .args(CHECK_PLAN_JSON)
        .arg(&two_path)
        .arg("--lake")
        .arg(&lake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("several accounts (111111111111, 222222222222): pass --account"),
        "{err}"
    );
    let (code, _, err) = check(
        "lake_attach.json",
        "json",
        &["--account", "999999999999"],
        Some(&lake),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!(
            "snapshot {DATE}: account 999999999999 is not in that snapshot (accounts: 111111111111, 222222222222)"
        )),
        "{err}"
    );
    let missing = work.path().join("no-lake");
    let (code, _, err) = check(
        "lake_attach.json",
        "json",
        &["--account", "111111111111"],
        Some(&missing),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("lake {}: no complete snapshot", missing.display())),
        "{err}"
    );
    let (code, _, err) = check(
        "lake_attach.json",
        "json",
        &["--account", "11111"],
        Some(&lake),
    );
    assert_eq!(code, 2);
    assert!(err.contains("11111") && err.contains("12 digits"), "{err}");
}

/// A snapshot written before the `scps` table: deployed roles still come
/// from it, SCPs are not applied, and the report says so.
#[test]
fn snapshots_without_scps_are_judged_without_them() {
    let (_work, lake) = lake();
    let path = lake.join(format!("_manifests/snapshot_date={DATE}/manifest.json"));
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["tables"].as_object_mut().unwrap().remove("scps").unwrap();
    std::fs::write(&path, m.to_string()).unwrap();
    let account = ["--account", "111111111111"];
    let (code, r) = json("lake_attach.json", &account, Some(&lake));
    assert_eq!(code, 1);
    assert!(r["deployed"]["scps"].is_null());
    // Without the OU's SCP, admin's inline iam:CreateRole is a grant it
    // already had through AdministratorAccess: context, not a violation.
    assert!(rows(&r, "already_allowed").contains(&row(
        ADMIN,
        "iam:CreateRole",
        "already_allowed",
        Some("allowed")
    )));
    assert_eq!(r["violations"].as_array().unwrap().len(), 3);
    let (_, text, _) = check("lake_attach.json", "text", &account, Some(&lake));
    assert!(
        text.contains("no SCPs recorded in that snapshot (not applied)"),
        "{text}"
    );
}

/// `aws_iam_role_policies_exclusive` and
/// `aws_iam_role_policy_attachments_exclusive` make a deployed role's
/// policies exactly the listed ones: app keeps only its new inline policy,
/// admin only AmazonSSMReadOnlyAccess.
#[test]
fn exclusive_resources_replace_the_deployed_sets() {
    let (_work, lake) = lake();
    let (code, r) = json(
        "lake_exclusive.json",
        &["--account", "111111111111"],
        Some(&lake),
    );
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "violations"),
        vec![row(
            APP,
            "dynamodb:GetItem",
            "newly_allowed",
            Some("conditionally_allowed")
        )]
    );
    assert_eq!(
        rows(&r, "already_allowed"),
        vec![
            row(
                ADMIN,
                "ssm:GetParameter",
                "already_allowed",
                Some("allowed")
            ),
            row(
                ADMIN,
                "ssm:GetParameters",
                "already_allowed",
                Some("allowed")
            ),
        ]
    );
    // One policy each after the change: app-access and AdministratorAccess
    // are gone (else admin would keep every action and app its
    // conditional ssm:GetParameter).
    let checked: Vec<(&str, u64)> = r["checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["policies"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(checked, [(ADMIN, 1), (APP, 1)]);
    assert!(r["warnings"].as_array().unwrap().is_empty());
}

/// A role the plan updates (here: its inline policy gains a second bucket)
/// keeps what the plan does not change: ReadOnlyAccess, attached after the
/// snapshot (so not in the lake) and unchanged by this plan, is there
/// before and after, so what it grants is not "newly allowed".
#[test]
fn unchanged_grants_of_an_updated_role_are_not_new() {
    let (work, lake) = lake();
    let app_access = r#"{"Version":"2012-10-17","Statement":[{"Sid":"OneBucket","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::app-bucket/*"}]}"#;
    let two_buckets = app_access.replace(
        r#""arn:aws:s3:::app-bucket/*""#,
        r#"["arn:aws:s3:::app-bucket/*","arn:aws:s3:::app-logs/*"]"#,
    );
    let role = |policy: &str| {
        serde_json::json!({"name": "app", "arn": APP, "path": "/service-role/",
            "inline_policy": [{"name": "app-access", "policy": policy}],
            "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})
    };
    let attachment =
        serde_json::json!({"role": "app", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"});
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [
            {"address": "aws_iam_role.app", "mode": "managed", "type": "aws_iam_role", "name": "app",
             "change": {"actions": ["update"], "before": role(app_access),
                        "after": role(&two_buckets), "after_unknown": {}}},
            {"address": "aws_iam_role_policy_attachment.app_ro", "mode": "managed",
             "type": "aws_iam_role_policy_attachment", "name": "app_ro",
             "change": {"actions": ["no-op"], "before": attachment, "after": attachment, "after_unknown": {}}}
        ]
    });
    let path = work.path().join("tags.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = iamlake()
        .args(CHECK_PLAN_JSON)
        .arg(&path)
        .arg("--lake")
        .arg(&lake)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(r["deployed"]["account_id"], "111111111111");
    assert_eq!(r["deployed"]["roles"], serde_json::json!(["app"]));
    for list in ["violations", "warnings", "already_allowed"] {
        assert!(r[list].as_array().unwrap().is_empty(), "{list}: {r:#}");
    }
}

/// An attachment replaced by one of another policy detaches the old policy:
/// admin goes from AdministratorAccess to ReadOnlyAccess, so it keeps only
/// reads (already allowed) and one policy.
#[test]
fn a_replaced_attachment_detaches_the_old_policy() {
    let (work, lake) = lake();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let plan = serde_json::json!({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_iam_role_policy_attachment.admin", "mode": "managed",
            "type": "aws_iam_role_policy_attachment", "name": "admin",
            "change": {"actions": ["delete", "create"],
                       "before": {"role": "admin", "policy_arn": admin, "id": "admin-1"},
                       "after": {"role": "admin", "policy_arn": read_only},
                       "after_unknown": {"id": true}}
        }]
    });
    let path = work.path().join("replace.json");
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = iamlake()
        .args(CHECK_PLAN_JSON)
        .arg(&path)
        .args(["--account", "111111111111", "--lake"])
        .arg(&lake)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(r["checked"][0]["address"], ADMIN);
    assert_eq!(r["checked"][0]["policies"], 1);
    assert_eq!(rows(&r, "already_allowed"), admin_reads_already_allowed());
}
