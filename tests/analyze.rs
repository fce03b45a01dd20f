//! `analyze`, `simulate --lake` and `check-plan` through the real binary:
//! alerts to a file and to a webhook on a local HTTP server, a webhook that is
//! down, explanations from a snapshot, and the plan check's exit codes.

use crate::util::*;
use predicates::prelude::*;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

const DATE: &str = "2026-10-01";

fn analyze(lake: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    iamlake()
        .args(["analyze", "--quiet", "--date", DATE, "--unused-days", "30"])
        .arg("--lake")
        .arg(lake)
        .args(extra)
        .assert()
}

/// A one-thread HTTP server on 127.0.0.1 that answers `statuses` in turn
/// (then 200) and records each request body.
fn server(statuses: Vec<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let status = statuses.next().unwrap_or(200);
            if status == 200 {
                seen.lock().unwrap().push(String::from_utf8(body).unwrap());
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, bodies)
}

#[test]
fn analyze_writes_tables_alerts_and_posts_to_a_webhook_with_retries() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let alerts = work.path().join("alerts.jsonl");
    // Two server errors first: the client must retry through them.
    let (url, bodies) = server(vec![500, 503]);
    analyze(
        &lake,
        &["--alerts-out", alerts.to_str().unwrap(), "--webhook", &url],
    )
    .success();

    let m: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(lake.join(format!(
            "_manifests/analyze/snapshot_date={DATE}/manifest.json"
        )))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(m["kind"], "analyze");
    // mini: app's dynamodb never used; ssm used 2026-03-01 (> 30 days);
    // s3:PutObject never used while s3 is used; ci (created 08-01, older
    // than the threshold) never used sts.
    let unused = read_table(&lake, "unused_permissions", DATE);
    let mut perms: Vec<String> = (0..unused.num_rows())
        .map(|i| {
            format!(
                "{}/{}",
                str_at(&unused, "role_name", i).unwrap(),
                str_at(&unused, "permission", i).unwrap()
            )
        })
        .collect();
    perms.sort();
    assert_eq!(
        perms,
        ["app/dynamodb", "app/s3:PutObject", "app/ssm", "ci/sts"]
    );
    assert!(iamlake::lake::lint::lint_lake(&lake).unwrap().is_empty());

    let lines: Vec<serde_json::Value> = fs::read_to_string(&alerts)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let posted: Vec<serde_json::Value> = bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(
        lines, posted,
        "the file and the webhook carry the same records"
    );
    let app = lines.iter().find(|a| a["role_name"] == "app").unwrap();
    assert_eq!(app["team"], "payments@example.com");
    assert_eq!(app["new_unused_permissions"].as_array().unwrap().len(), 3);
    let admin = lines.iter().find(|a| a["role_name"] == "admin").unwrap();
    assert_eq!(admin["new_sensitive_grants"].as_array().unwrap().len(), 6);

    // Run again: nothing new, nothing alerted twice.
    let (url2, bodies2) = server(vec![]);
    analyze(
        &lake,
        &["--alerts-out", alerts.to_str().unwrap(), "--webhook", &url2],
    )
    .success();
    assert_eq!(
        fs::read_to_string(&alerts).unwrap(),
        "",
        "re-running the date re-reads the same ledger"
    );
    let _ = bodies2;
}

#[test]
fn webhook_down_fails_clearly_and_keeps_the_lake() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    analyze(&lake, &["--webhook", &url]).code(1).stderr(
        predicate::str::contains(format!("webhook {url}"))
            .and(predicate::str::contains("not delivered after 4 attempts")),
    );
    assert!(
        !lake.join("_manifests/analyze").exists(),
        "no analyze partition without delivered alerts"
    );
}

#[test]
fn reviews_and_owners_files_are_validated_and_applied() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let reviews = work.path().join("reviews.csv");
    fs::write(
        &reviews,
        "account,role,permission,decision,reason,reviewer,date\nprod-a,app,ssm,keep,quarterly job,alice,2026-09-30\nprod-a,nobody,s3,delete,,bob,\n",
    )
    .unwrap();
    let owners = work.path().join("owners.yaml");
    fs::write(&owners, "- {role: 'bound*', team: platform}\n").unwrap();
    iamlake()
        .args(["analyze", "--date", DATE, "--unused-days", "30"])
        .arg("--lake")
        .arg(&lake)
        .arg("--reviews")
        .arg(&reviews)
        .arg("--owners")
        .arg(&owners)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("reviews.csv:line 3")
                .and(predicate::str::contains("unknown role")),
        );
    let unused = read_table(&lake, "unused_permissions", DATE);
    let ssm = (0..unused.num_rows())
        .find(|&i| str_at(&unused, "permission", i).as_deref() == Some("ssm"))
        .unwrap();
    assert_eq!(str_at(&unused, "review_status", ssm).unwrap(), "kept");
    let teams = read_table(&lake, "team_summary", DATE);
    let names: Vec<String> = (0..teams.num_rows())
        .map(|i| str_at(&teams, "owner_team", i).unwrap())
        .collect();
    assert!(names.contains(&"platform".to_string()), "{names:?}");

    fs::write(
        &reviews,
        "account,role,permission,decision,reason,reviewer,date\nprod-a,app,ssm,keep,,alice,\n",
    )
    .unwrap();
    iamlake()
        .args(["analyze", "--quiet", "--date", DATE])
        .arg("--lake")
        .arg(&lake)
        .arg("--reviews")
        .arg(&reviews)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "reviews.csv: line 2: a keep decision needs a reason",
        ));
}

#[test]
fn analyze_needs_a_complete_snapshot() {
    let work = tempfile::tempdir().unwrap();
    analyze(work.path(), &[])
        .code(1)
        .stderr(predicate::str::contains(
            "no complete snapshot for 2026-10-01",
        ));
}

#[test]
fn simulate_explains_a_role_from_the_lake() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let out = iamlake()
        .args(SIMULATE_MINI_APP)
        .arg("--lake")
        .arg(&lake)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let ddb = v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["action"] == "dynamodb:GetItem")
        .unwrap();
    assert_eq!(ddb["decision"], "conditionally_allowed");
    // The statement behind it is quoted from the stored policy.
    let quoted = ddb["matched_statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["sid"] == "TableInVpc")
        .expect("the conditional allow is among the reasons");
    assert_eq!(quoted["layer"], "identity");
    assert_eq!(
        quoted["statement"]["Condition"]["StringEquals"]["aws:SourceVpc"],
        "vpc-1234"
    );
    // An SCP's deny is quoted from the `scps` table.
    let create = v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["action"] == "iam:CreateRole")
        .unwrap();
    assert_eq!(create["decided_by"], "scp");
    let scp = create["matched_statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["layer"] == "scp")
        .unwrap();
    assert_eq!(scp["policy_id"], "p-denycreaterole");
    assert_eq!(scp["statement"]["Sid"], "NoNewRoles");
    assert_eq!(scp["statement"]["Action"], "iam:CreateRole");
    iamlake()
        .args([
            "simulate",
            "--date",
            DATE,
            "--role",
            "arn:aws:iam::999999999999:role/app",
        ])
        .arg("--lake")
        .arg(&lake)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no role arn:aws:iam::999999999999:role/app")
                .and(predicate::str::contains("role/service-role/app")),
        );
}

#[test]
fn simulate_short_form() {
    let work = tempfile::tempdir().unwrap();
    let policy = work.path().join("p.json");
    fs::write(
        &policy,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let out = iamlake()
            .args(["simulate", "--json", "--action", "s3:GetObject", "--policy"])
            .arg(&policy)
            .args(extra)
            .assert()
            .success();
        serde_json::from_slice::<serde_json::Value>(&out.get_output().stdout).unwrap()
    };
    assert_eq!(run(&[])["decision"], "conditionally_allowed");
    assert_eq!(
        run(&["--context", "aws:SourceIp=10.1.2.3"])["decision"],
        "allowed"
    );
    assert_eq!(
        run(&["--context", "aws:SourceIp=192.0.2.1"])["decision"],
        "implicit_deny"
    );
    iamlake()
        .args([
            "simulate",
            "--action",
            "s3:GetObject",
            "--context",
            "aws:SourceIp",
            "--policy",
        ])
        .arg(&policy)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--context"));
}

#[test]
fn check_plan_exit_codes_and_formats() {
    let plan = data("plan/modules.json");
    iamlake()
        .args(["check-plan", "--today", "2026-11-21", "--plan"])
        .arg(&plan)
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("module.ci.aws_iam_role_policy.pass")
                .and(predicate::str::contains("iam:PassRole")),
        );
    let out = iamlake()
        .args([
            "check-plan",
            "--format",
            "sarif",
            "--today",
            "2026-11-21",
            "--plan",
        ])
        .arg(&plan)
        .assert()
        .code(1);
    let sarif: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(
        results
            .iter()
            .all(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string())
    );
    let out = iamlake().args(CHECK_PLAN_JSON).arg(&plan).assert().code(1);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(!json["violations"].as_array().unwrap().is_empty());
    // A plan that is not a plan: exit 2 with the file named.
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("plan.json");
    fs::write(&bad, "{\"resource_changes\": 3").unwrap();
    iamlake()
        .arg("check-plan")
        .arg("--plan")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plan.json"));
}

/// `terraform show -json > plan.json` in Windows PowerShell writes UTF-16LE
/// with a byte-order mark: the same verdict as the UTF-8 plan; a file that
/// is neither says so once, naming the file and the byte.
#[test]
fn check_plan_reads_utf16_plans_and_names_undecodable_bytes() {
    let text = fs::read_to_string(data("plan/modules.json")).unwrap();
    let work = tempfile::tempdir().unwrap();
    let utf16 = work.path().join("plan-utf16.json");
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    fs::write(&utf16, bytes).unwrap();
    let want = iamlake()
        .args(CHECK_PLAN_JSON)
        .arg(data("plan/modules.json"))
        .assert()
        .code(1);
    let got = iamlake().args(CHECK_PLAN_JSON).arg(&utf16).assert().code(1);
    let violations = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["violations"].clone()
    };
    assert_eq!(violations(got.get_output()), violations(want.get_output()));

    let latin1 = work.path().join("plan-latin1.json");
    fs::write(
        &latin1,
        b"{\"format_version\": \"1.2\", \"x\": \"caf\xe9\"}",
    )
    .unwrap();
    let out = iamlake()
        .arg("check-plan")
        .arg("--plan")
        .arg(&latin1)
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("plan-latin1.json: cannot decode: not UTF-8 at byte 35"),
        "{err}"
    );
    assert_eq!(err.matches("UTF-8").count(), 2, "said once: {err}");
}

#[test]
fn suggest_removes_unused_permissions_with_a_diff() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let out = iamlake()
        .args(["suggest", "--json", "--date", DATE, "--unused-days", "30"])
        .args(["--role", "arn:aws:iam::111111111111:role/service-role/app"])
        .arg("--lake")
        .arg(&lake)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let p = &v["policies"][0];
    assert_eq!(p["policy_id"], "inline:app-access");
    // dynamodb and ssm are unused: their statements go; the bucket read stays.
    let sids: Vec<&str> = p["suggested"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["OneBucket"]);
    assert!(
        p["diff"]
            .as_str()
            .unwrap()
            .contains("-      \"Sid\": \"TableInVpc\""),
        "{}",
        p["diff"]
    );
    iamlake()
        .args(["suggest", "--date", DATE, "--unused-days", "30"])
        .args(["--role", "arn:aws:iam::111111111111:role/service-role/app"])
        .arg("--lake")
        .arg(&lake)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Suggestion only").and(predicate::str::contains(
                "+++ inline:app-access (suggested)",
            )),
        );
}

#[test]
fn check_plan_resolves_managed_policies_from_a_lake() {
    // mini's AdministratorAccess is the real one; make the lake's version
    // harmless to prove the lake's document is the one used.
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    copy_tree(&data("mini"), &src);
    let details = src.join("111111111111/authorization-details.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&details).unwrap()).unwrap();
    v["Policies"][0]["PolicyVersionList"][0]["Document"] = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]});
    fs::write(&details, v.to_string()).unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let plan = data("plan/managed.json");
    let run = |with_lake: bool| {
        let mut cmd = iamlake();
        cmd.args(CHECK_PLAN_JSON).arg(&plan);
        if with_lake {
            cmd.arg("--lake").arg(&lake);
        }
        let out = cmd.output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let admin_violations = |report: &serde_json::Value| {
        report["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["address"] == "aws_iam_role.admin")
            .count()
    };
    let bundled = run(false);
    let from_lake = run(true);
    assert!(admin_violations(&bundled) > 0);
    assert_eq!(admin_violations(&from_lake), 0, "{from_lake:#}");
    assert!(
        from_lake["managed_policies_source"]
            .as_str()
            .unwrap()
            .contains("snapshot 2026-10-01")
    );
}

/// A Terraform state (format v4, as Terraform 1.x writes it) managing the
/// mini organization's `bounded` role in a `for_each` module instance, with
/// its customer managed policy and the attachment, and the `app` role
/// (`count`) with its inline policy `app-access`.
pub fn mini_state() -> String {
    let provider = "provider[\\\"registry.terraform.io/hashicorp/aws\\\"]";
    format!(
        r#"{{
  "version": 4, "terraform_version": "1.8.2", "serial": 5,
  "lineage": "0b6c1f7e-1d2a-4c55-a1d4-6f1f7e0a9b31", "outputs": {{}},
  "resources": [
    {{"module": "module.iam", "mode": "managed", "type": "aws_iam_role", "name": "this",
      "provider": "{provider}",
      "instances": [{{"index_key": "bounded", "schema_version": 0,
        "attributes": {{"arn": "arn:aws:iam::111111111111:role/bounded", "name": "bounded", "path": "/",
          "inline_policy": [], "managed_policy_arns": ["arn:aws:iam::111111111111:policy/iam-all"]}},
        "sensitive_attributes": [], "private": "bnVsbA=="}}]}},
    {{"mode": "managed", "type": "aws_iam_policy", "name": "iam_all", "provider": "{provider}",
      "instances": [{{"schema_version": 0,
        "attributes": {{"arn": "arn:aws:iam::111111111111:policy/iam-all", "name": "iam-all",
          "policy": "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\"}}]}}"}},
        "sensitive_attributes": []}}]}},
    {{"module": "module.iam", "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "this",
      "provider": "{provider}",
      "instances": [{{"index_key": "bounded", "schema_version": 0,
        "attributes": {{"id": "bounded-2024", "role": "bounded", "policy_arn": "arn:aws:iam::111111111111:policy/iam-all"}},
        "sensitive_attributes": [], "dependencies": ["aws_iam_policy.iam_all", "module.iam.aws_iam_role.this"]}}]}},
    {{"module": "module.app", "mode": "managed", "type": "aws_iam_role", "name": "this",
      "provider": "{provider}",
      "instances": [{{"index_key": 0, "schema_version": 0,
        "attributes": {{"arn": "arn:aws:iam::111111111111:role/service-role/app", "name": "app", "path": "/service-role/",
          "inline_policy": [{{"name": "app-access", "policy": "{{}}"}}]}},
        "sensitive_attributes": [], "private": "bnVsbA=="}}]}},
    {{"module": "module.app", "mode": "managed", "type": "aws_iam_role_policy", "name": "access",
      "provider": "{provider}",
      "instances": [{{"index_key": 0, "schema_version": 0,
        "attributes": {{"id": "app:app-access", "name": "app-access", "name_prefix": "", "role": "app", "policy": "{{}}"}},
        "sensitive_attributes": [], "dependencies": ["module.app.aws_iam_role.this"]}}]}}
  ]
}}"#
    )
}

/// CODEOWNERS and an owners config mapping every `*iam/terraform.tfstate`
/// to `terraform/iam`, and the account dev-b to a default team.
pub fn mini_owners_config(dir: &Path) -> std::path::PathBuf {
    fs::write(
        dir.join("CODEOWNERS"),
        "# default\n* @acme/platform\n/terraform/iam/ @acme/security\n",
    )
    .unwrap();
    let cfg = dir.join("owners.toml");
    fs::write(
        &cfg,
        "codeowners = \"CODEOWNERS\"\n[[terraform]]\nstate = \"*iam/terraform.tfstate\"\npath = \"terraform/iam\"\n[accounts]\n\"dev-b\" = \"dev-default\"\n",
    )
    .unwrap();
    cfg
}

/// One `role_owners` row: (team, source, detail, module, address).
pub type OwnerRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Rows of `role_owners` by role name.
pub fn role_owners(lake: &Path) -> std::collections::BTreeMap<String, OwnerRow> {
    let t = read_table(lake, "role_owners", DATE);
    (0..t.num_rows())
        .map(|i| {
            (
                str_at(&t, "role_name", i).unwrap(),
                (
                    str_at(&t, "owner_team", i).unwrap(),
                    str_at(&t, "owner_source", i).unwrap(),
                    str_at(&t, "owner_detail", i),
                    str_at(&t, "iac_module", i),
                    str_at(&t, "iac_address", i),
                ),
            )
        })
        .collect()
}

#[test]
fn owners_from_terraform_state_codeowners_and_account_defaults() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let states = work.path().join("states/iam");
    fs::create_dir_all(&states).unwrap();
    fs::write(states.join("terraform.tfstate"), mini_state()).unwrap();
    let cfg = mini_owners_config(work.path());
    analyze(
        &lake,
        &[
            "--terraform-state",
            work.path().join("states").to_str().unwrap(),
            "--owners-config",
            cfg.to_str().unwrap(),
            "--alerts-out",
            work.path().join("alerts.jsonl").to_str().unwrap(),
        ],
    )
    .success();
    // The alert names the role's resource and where each item is granted.
    let alerts = fs::read_to_string(work.path().join("alerts.jsonl")).unwrap();
    let app: serde_json::Value = alerts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["role_name"] == "app")
        .unwrap();
    assert_eq!(
        app["terraform"]["address"],
        "module.app.aws_iam_role.this[0]"
    );
    let ddb = app["new_unused_permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["permission"] == "dynamodb")
        .unwrap();
    assert_eq!(ddb["fix"]["statement"], "statement 1 (TableInVpc)");
    assert_eq!(
        ddb["fix"]["terraform_address"],
        "module.app.aws_iam_role_policy.access[0]"
    );
    // The risky side: ci may sts:AssumeRole on any resource, by its inline
    // policy deploy's only statement (ci is in no state: no address).
    let ci: serde_json::Value = alerts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a["role_name"] == "ci")
        .unwrap();
    let assume = ci["sensitive_grant_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["action"] == "sts:AssumeRole")
        .unwrap();
    assert_eq!(
        assume["fix"],
        serde_json::json!({"policy": "inline:deploy", "statement": "statement 0"})
    );
    let owners = role_owners(&lake);
    // By hand: admin, app and ci carry owner tags; bounded is in the state
    // (module.iam, for_each key "bounded"), mapped to terraform/iam, whose
    // last matching CODEOWNERS line is 3 (@acme/security); reader has no
    // tag and no code, in dev-b, whose account owner is dev-default.
    assert_eq!(owners["admin"].0, "security");
    assert_eq!(owners["admin"].1, "tag");
    assert_eq!(owners["app"].1, "tag");
    assert_eq!(
        owners["bounded"],
        (
            "security".to_string(),
            "terraform".to_string(),
            Some("CODEOWNERS:line 3 /terraform/iam/ @acme/security (terraform/iam)".to_string()),
            Some("module.iam".to_string()),
            Some("module.iam.aws_iam_role.this[\"bounded\"]".to_string()),
        )
    );
    assert_eq!(owners["reader"].0, "dev-default");
    assert_eq!(owners["reader"].1, "account");
    assert_eq!(owners.len(), 5);
    assert_eq!(
        owners["app"].4.as_deref(),
        Some("module.app.aws_iam_role.this[0]")
    );

    // Where to fix each unused permission of app (by hand from app-access:
    // statement 1 TableInVpc grants dynamodb:GetItem, statement 2
    // TeamParams ssm:GetParameter; no statement grants s3:PutObject, which
    // Access Advisor tracks for the service).
    let unused = read_table(&lake, "unused_permissions", DATE);
    let row = |perm: &str| {
        let i = (0..unused.num_rows())
            .find(|&i| str_at(&unused, "permission", i).as_deref() == Some(perm))
            .unwrap();
        (
            str_at(&unused, "iac_address", i),
            str_at(&unused, "grant_policy", i),
            str_at(&unused, "grant_statement", i),
            str_at(&unused, "grant_address", i),
        )
    };
    let at = Some("module.app.aws_iam_role.this[0]".to_string());
    let fix = Some("module.app.aws_iam_role_policy.access[0]".to_string());
    let inline = Some("inline:app-access".to_string());
    assert_eq!(
        row("dynamodb"),
        (
            at.clone(),
            inline.clone(),
            Some("statement 1 (TableInVpc)".into()),
            fix.clone()
        )
    );
    assert_eq!(
        row("ssm"),
        (
            at.clone(),
            inline.clone(),
            Some("statement 2 (TeamParams)".into()),
            fix.clone()
        )
    );
    assert_eq!(row("s3:PutObject"), (at.clone(), None, None, None));
    // ci/ci is in no state.
    assert_eq!(
        row("sts"),
        (
            None,
            Some("inline:deploy".into()),
            Some("statement 0".into()),
            None
        )
    );

    // suggest names the resource to edit and the statement of each finding.
    iamlake()
        .args(["suggest", "--date", DATE, "--unused-days", "30", "--lake"])
        .arg(&lake)
        .args(["--role", "arn:aws:iam::111111111111:role/service-role/app"])
        .arg("--terraform-state")
        .arg(states.join("terraform.tfstate"))
        .assert()
        .success()
        .stdout(
            predicate::str::contains("managed by Terraform: module.app.aws_iam_role.this[0] in ")
                .and(predicate::str::contains(
                    "dynamodb: granted by inline:app-access statement 1 (TableInVpc) → module.app.aws_iam_role_policy.access[0] in ",
                ))
                .and(predicate::str::contains(
                    "inline:app-access: edit module.app.aws_iam_role_policy.access[0] in ",
                )),
        );

    // A state of an unreadable format is an error naming it; the lake keeps
    // the first run.
    fs::write(
        states.join("terraform.tfstate"),
        "{\"version\": 3, \"modules\": []}",
    )
    .unwrap();
    analyze(
        &lake,
        &[
            "--terraform-state",
            states.join("terraform.tfstate").to_str().unwrap(),
        ],
    )
    .code(1)
    .stderr(predicate::str::contains(
        "terraform.tfstate: version: state format version 3",
    ));
    assert_eq!(role_owners(&lake)["bounded"].1, "terraform");
}

#[test]
fn routed_alerts_each_destination_once_and_a_failed_one_next_time() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    // The hook is down for the first run (4 attempts), then up.
    let (url, bodies) = server(vec![503, 503, 503, 503]);
    let routes = work.path().join("routes.toml");
    fs::write(
        &routes,
        format!(
            "[[destination]]\nname = \"hook\"\nkind = \"webhook\"\nurl_env = \"TEAM_HOOK_URL\"\n\n\
             [[destination]]\nname = \"files\"\nkind = \"file\"\ndir = \"{}\"\n\n\
             [[route]]\nteam = \"*\"\nto = [\"hook\", \"files\"]\n",
            work.path().join("alerts").display()
        ),
    )
    .unwrap();
    let run = || {
        iamlake()
            .env("TEAM_HOOK_URL", &url)
            .args(["analyze", "--date", DATE, "--unused-days", "30", "--lake"])
            .arg(&lake)
            .arg("--routes")
            .arg(&routes)
            .assert()
    };
    run()
        .code(1)
        .stdout(predicate::str::contains("routed: 5 alert(s) to files"))
        .stderr(
            predicate::str::contains("destination hook (webhook)")
                .and(predicate::str::contains("sent next time"))
                .and(predicate::str::contains(url.as_str()).not()),
        );
    let deliveries = |dest: &str| {
        let t = read_table(&lake, "alert_deliveries", DATE);
        (0..t.num_rows())
            .filter(|&i| str_at(&t, "destination", i).as_deref() == Some(dest))
            .count()
    };
    // By hand (mini, 30 days): admin 6 sensitive grants; app 3 unused and
    // the role itself (never used); ci 1 unused + 3 sensitive; bounded and
    // reader only the role itself = 16 items for five roles.
    assert_eq!((deliveries("files"), deliveries("hook")), (16, 0));
    let files = |team: &str| {
        fs::read_to_string(work.path().join(format!("alerts/{team}.jsonl")))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(
        (
            files("security"),
            files("payments@example.com"),
            files("web"),
            files("unowned")
        ),
        (1, 1, 1, 2)
    );
    // Items delivered somewhere count as alerted.
    let unused = read_table(&lake, "unused_permissions", DATE);
    assert!(
        (0..unused.num_rows()).all(|i| !unused.column_by_name("alerted_on").unwrap().is_null(i))
    );

    // Re-run: the hook, up now, gets its 5 alerts; files get nothing twice.
    run().success().stdout(
        predicate::str::contains("routed: 5 alert(s) to hook")
            .and(predicate::str::contains("routed: 0 alert(s) to files")),
    );
    assert_eq!(bodies.lock().unwrap().len(), 5);
    assert_eq!((deliveries("files"), deliveries("hook")), (16, 16));
    assert_eq!(files("web"), 1);
    run().success();
    assert_eq!(bodies.lock().unwrap().len(), 5, "never twice");
}

#[test]
fn reviews_with_expiry_and_a_remembered_grant() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&data("mini"), &lake, DATE);
    let reviews = work.path().join("reviews.csv");
    fs::write(
        &reviews,
        "account,role,permission,decision,reason,reviewer,date,expires\n\
         prod-a,app,ssm,keep,quarterly job,alice,2026-06-01,2026-09-30\n\
         prod-a,app,dynamodb,keep,table migration,bob,2026-06-01,2026-12-31\n",
    )
    .unwrap();
    let run = || {
        iamlake()
            .args(["analyze", "--date", DATE, "--unused-days", "30", "--lake"])
            .arg(&lake)
            .arg("--reviews")
            .arg(&reviews)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "review reviews.csv:line 2: prod-a / app / ssm expired on 2026-09-30: the permission is open again",
            ))
    };
    run();
    let rows = || {
        let t = read_table(&lake, "review_status", DATE);
        (0..t.num_rows())
            .map(|i| {
                (
                    str_at(&t, "permission", i).unwrap(),
                    str_at(&t, "status", i).unwrap(),
                    str_at(&t, "grant_fingerprint", i),
                )
            })
            .collect::<Vec<_>>()
    };
    let first = rows();
    assert_eq!(first[0].1, "expired");
    assert_eq!(first[1].1, "applied");
    assert_eq!(first[1].2.as_ref().map(String::len), Some(64));
    let unused = read_table(&lake, "unused_permissions", DATE);
    let status = |perm: &str| {
        let i = (0..unused.num_rows())
            .find(|&i| str_at(&unused, "permission", i).as_deref() == Some(perm))
            .unwrap();
        str_at(&unused, "review_status", i).unwrap()
    };
    assert_eq!(
        (status("ssm").as_str(), status("dynamodb").as_str()),
        ("open", "kept")
    );
    // A re-run reads the remembered grant back from the lake: unchanged.
    run();
    assert_eq!(rows(), first);
}

#[test]
fn cloudformation_stacks_are_recognised_from_the_role_tags() {
    let work = tempfile::tempdir().unwrap();
    let fixtures = work.path().join("mini");
    copy_tree(&data("mini"), &fixtures);
    // CloudFormation tags every resource of a stack with these two.
    let details = fixtures.join("111111111111/authorization-details.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&details).unwrap()).unwrap();
    for r in doc["RoleDetailList"].as_array_mut().unwrap() {
        if r["RoleName"] == "bounded" {
            r["Tags"] = serde_json::json!([
                {"Key": "aws:cloudformation:stack-name", "Value": "payments-stream"},
                {"Key": "aws:cloudformation:logical-id", "Value": "StreamRole"},
                {"Key": "aws:cloudformation:stack-id", "Value": "arn:aws:cloudformation:eu-west-1:111111111111:stack/payments-stream/0b1c"}
            ]);
        }
    }
    fs::write(&details, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let lake = work.path().join("lake");
    snapshot_ok(&fixtures, &lake, DATE);
    let cfg = work.path().join("owners.toml");
    fs::write(
        &cfg,
        "[[cloudformation]]\nstack = \"billing-*\"\nteam = \"billing\"\n\n[[cloudformation]]\nstack = \"payments-*\"\nteam = \"payments\"\n",
    )
    .unwrap();
    analyze(&lake, &["--owners-config", cfg.to_str().unwrap()]).success();
    let t = read_table(&lake, "role_owners", DATE);
    let i = (0..t.num_rows())
        .find(|&i| str_at(&t, "role_name", i).as_deref() == Some("bounded"))
        .unwrap();
    let got: Vec<Option<String>> = [
        "owner_team",
        "owner_source",
        "owner_detail",
        "iac_kind",
        "iac_state",
        "iac_address",
    ]
    .iter()
    .map(|c| str_at(&t, c, i))
    .collect();
    assert_eq!(
        got,
        [
            Some("payments".to_string()),
            Some("cloudformation".to_string()),
            Some("owners.toml: cloudformation[1]".to_string()),
            Some("cloudformation".to_string()),
            Some("payments-stream".to_string()),
            Some("StreamRole".to_string()),
        ]
    );
    // Other roles carry no stack.
    assert!(
        (0..t.num_rows())
            .filter(|&j| j != i)
            .all(|j| str_at(&t, "iac_kind", j).is_none())
    );
}
