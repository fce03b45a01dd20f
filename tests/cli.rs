//! The command line itself: argument validation, `simulate`, `fixtures
//! generate`, and `demo`, run through the real binary.

use crate::util::*;
use predicates::prelude::*;
use std::fs;

#[test]
fn bad_arguments_are_rejected_before_any_work() {
    let work = tempfile::tempdir().unwrap();
    iamlake()
        .args(["snapshot", "--source", "fixtures:x", "--lake"])
        .arg(work.path())
        .args(["--date", "2026-02-30"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--date"));
    iamlake()
        .args(["snapshot", "--source", "s3:bucket", "--lake"])
        .arg(work.path())
        .args(["--date", "2026-02-03"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected fixtures:DIR"));
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 0);
}

#[test]
fn simulate_request_file_as_json() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    fs::write(
        &req,
        serde_json::json!({
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::b/k",
            "principal_arn": "arn:aws:iam::123456789012:role/x",
            "context": {"aws:SourceIp": "10.0.0.1"},
            "identity_policies": [{
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
                    {"Sid": "NeedsTls", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                ]
            }],
            "permissions_boundary": null,
            "scp_levels": [[{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]]
        })
        .to_string(),
    )
    .unwrap();
    let out = iamlake()
        .arg("simulate")
        .arg("--request")
        .arg(&req)
        .arg("--json")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    // The IP condition is evaluated (the key is given); the TLS deny depends
    // on a key the request does not carry.
    assert_eq!(v["decision"], "conditionally_allowed");
    assert_eq!(v["decided_by"], "identity");
    let missing: Vec<String> = v["missing_context_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(missing, ["aws:securetransport"]);
    assert!(
        v["matched_statements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["sid"] == "Read")
    );

    // Same request, TLS known: allowed; the text form explains it.
    let mut r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&req).unwrap()).unwrap();
    r["context"]["aws:SecureTransport"] = serde_json::json!("true");
    fs::write(&req, r.to_string()).unwrap();
    iamlake()
        .arg("simulate")
        .arg("--request")
        .arg(&req)
        .assert()
        .success()
        .stdout(predicate::str::contains("allowed").and(predicate::str::contains("Read")));

    // A source IP outside the range: implicit deny.
    r["context"]["aws:SourceIp"] = serde_json::json!("192.0.2.1");
    fs::write(&req, r.to_string()).unwrap();
    let out = iamlake()
        .arg("simulate")
        .arg("--request")
        .arg(&req)
        .arg("--json")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["decision"], "implicit_deny");
}

/// Writes `request` to `path` and answers it with `simulate --json --request`.
fn simulate_json(path: &std::path::Path, request: &serde_json::Value) -> serde_json::Value {
    fs::write(path, request.to_string()).unwrap();
    let out = iamlake()
        .args(["simulate", "--json", "--request"])
        .arg(path)
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// The issue's two real-world grants: on `*` they are implicit_deny, but they
/// reach every role / every parameter of the account, which is risky.
#[test]
fn simulate_reports_the_breadth_of_a_grant() {
    let work = tempfile::tempdir().unwrap();
    let run = |action: &str, statement: serde_json::Value, principal: Option<&str>| {
        let req = work.path().join("req.json");
        let mut r = serde_json::json!({
            "action": action,
            "identity_policies": [{"Version": "2012-10-17", "Statement": [statement]}]
        });
        if let Some(p) = principal {
            r["principal_arn"] = p.into();
        }
        simulate_json(&req, &r)
    };
    let me = Some("arn:aws:iam::123456789012:role/ci");
    let v = run(
        "iam:PassRole",
        serde_json::json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}),
        me,
    );
    assert_eq!(v["decision"], "implicit_deny");
    assert_eq!(v["breadth"], "account");
    assert_eq!(v["breadth_decision"], "allowed");
    let v = run(
        "ssm:GetParameters",
        serde_json::json!({"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "arn:aws:ssm:*:123456789012:parameter/*"}),
        me,
    );
    assert_eq!(
        (v["decision"].as_str(), v["breadth"].as_str()),
        (Some("implicit_deny"), Some("account"))
    );
    // Another account's roles: a pattern, not risky.
    let v = run(
        "iam:PassRole",
        serde_json::json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::999999999999:role/*"}),
        me,
    );
    assert_eq!(v["breadth"], "pattern");
    // Without a principal the account is unknown: no breadth is reported.
    let v = run(
        "iam:PassRole",
        serde_json::json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*"}),
        None,
    );
    assert!(v.get("breadth").is_none(), "{v}");
    assert!(v.get("warnings").is_none(), "{v}");
    // A typo grants nothing, silently, in AWS: the service model names it.
    let v = run(
        "s3:GetObject",
        serde_json::json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SoureIp": "10.0.0.1"}}}),
        me,
    );
    assert_eq!(v["decision"], "implicit_deny");
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0]
            .starts_with("identity_policies[0].Statement[0].Action: unknown action s3:GetObjekt"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("aws:SoureIp"), "{warnings:?}");
    // The text form says it too.
    let req = work.path().join("req.json");
    iamlake()
        .args(["simulate", "--request"])
        .arg(&req)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("implicit_deny").and(predicate::str::contains(
                "warning: identity_policies[0].Statement[0].Action: unknown action s3:GetObjekt",
            )),
        );
}

#[test]
fn simulate_names_the_bad_part_of_a_request() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    fs::write(
        &req,
        r#"{"action": "s3:GetObject", "identity_policies": [{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}]}]}"#,
    )
    .unwrap();
    iamlake()
        .arg("simulate")
        .arg("--request")
        .arg(&req)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("req.json")
                .and(predicate::str::contains("identity_policies[1]"))
                .and(predicate::str::contains("StringEqualz")),
        );
}

#[test]
fn generate_is_deterministic_and_snapshots_cleanly() {
    let work = tempfile::tempdir().unwrap();
    let generate = |name: &str| {
        let out = work.path().join(name);
        iamlake()
            .args([
                "fixtures",
                "generate",
                "--quiet",
                "--accounts",
                "2",
                "--roles-per-account",
                "12",
                "--days",
                "3",
                "--seed",
                "7",
            ])
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        out
    };
    let a = generate("a");
    let b = generate("b");
    assert_eq!(tree_bytes(&a), tree_bytes(&b));
    // Refuses to write into a non-empty folder.
    iamlake()
        .args(["fixtures", "generate", "--quiet", "--out"])
        .arg(&a)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not empty"));

    let lake = work.path().join("lake");
    iamlake()
        .arg("demo")
        .arg("--quiet")
        .arg("--fixtures")
        .arg(&a)
        .arg("--lake")
        .arg(&lake)
        .assert()
        .success();
    let dates = iamlake::lake::manifest::complete_dates(&lake).unwrap();
    assert_eq!(dates.len(), 3);
    assert!(iamlake::lake::lint::lint_lake(&lake).unwrap().is_empty());
    for d in dates {
        let m = manifest(&lake, &d.to_string());
        assert_eq!(m["status"], "complete");
        assert!(m["tables"]["roles"]["rows"].as_u64().unwrap() > 0);
        assert!(m["tables"]["last_accessed"]["rows"].as_u64().unwrap() > 0);
    }
}

#[test]
fn lake_docs_are_generated_from_the_schemas() {
    let committed =
        fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/LAKE.md"))
            .unwrap();
    assert_eq!(
        committed,
        iamlake::model::docs::lake_markdown(),
        "docs/LAKE.md is stale: run `cargo run -- docs lake > docs/LAKE.md`"
    );
    iamlake()
        .args(["docs", "lake"])
        .assert()
        .success()
        .stdout(committed);
}

#[test]
fn committed_warehouse_ddl_is_the_generated_ddl() {
    use iamlake::sql::{DEFAULT_LOCATION, Dialect, files};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    for dialect in Dialect::ALL {
        for (name, content) in files(dialect, DEFAULT_LOCATION) {
            let path = root.join(dialect.name()).join(&name);
            let committed =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                committed,
                content,
                "{} is stale: run `iamlake sql --dialect {} --location {DEFAULT_LOCATION} --out sql/{}`",
                path.display(),
                dialect.name(),
                dialect.name()
            );
        }
        iamlake()
            .args([
                "sql",
                "--dialect",
                dialect.name(),
                "--location",
                DEFAULT_LOCATION,
            ])
            .assert()
            .success()
            .stdout(predicate::str::contains("snapshot_date"));
    }
    iamlake()
        .args([
            "sql",
            "--dialect",
            "athena",
            "--location",
            "s3://b/x'; drop",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--location"));
}

#[test]
fn snapshot_json_logs() {
    let work = tempfile::tempdir().unwrap();
    let mini = data("mini");
    let out = iamlake()
        .args(["snapshot", "--log-format", "json", "--date", "2026-10-01"])
        .arg(format!("--source=fixtures:{}", mini.display()))
        .arg("--lake")
        .arg(work.path().join("lake"))
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert_eq!(lines[0]["event"], "snapshot_done");
    assert_eq!(lines[0]["rows"]["roles"], 5);
    assert_eq!(
        lines[0]["risky_on_any_resource"]["sts:AssumeRole"]["allowed"],
        2
    );
    // A failure is one JSON line on stderr too.
    let out = iamlake()
        .args([
            "snapshot",
            "--log-format",
            "json",
            "--date",
            "2026-10-01",
            "--source",
            "fixtures:/nonexistent",
        ])
        .arg("--lake")
        .arg(work.path().join("lake"))
        .assert()
        .code(1);
    let err: serde_json::Value = serde_json::from_slice(&out.get_output().stderr).unwrap();
    assert_eq!(err["event"], "snapshot_failed");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not a fixtures folder")
    );
}

#[test]
fn simulator_aws_needs_the_aws_source() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    iamlake()
        .args(["snapshot", "--source"])
        .arg(format!("fixtures:{}", data("mini").display()))
        .arg("--lake")
        .arg(&lake)
        .args(["--date", "2026-10-01", "--simulator", "aws", "--quiet"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "--simulator aws needs --source aws",
        ));
    assert!(!lake.exists(), "nothing written before the usage error");
    // The value is checked by clap.
    iamlake()
        .args(["snapshot", "--source", "aws", "--lake"])
        .arg(&lake)
        .args(["--date", "2026-10-01", "--simulator", "moto"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--simulator"));
}

#[test]
fn verify_simulator_checks_the_lake_before_any_call() {
    let work = tempfile::tempdir().unwrap();
    iamlake()
        .args(["verify-simulator", "--lake"])
        .arg(work.path())
        .args(["--date", "2026-10-01", "--sample", "3"])
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no snapshot for 2026-10-01"));
    iamlake()
        .args(["verify-simulator", "--lake"])
        .arg(work.path())
        .args(["--date", "2026-10-01", "--sample", "0"])
        .assert()
        .code(2);
}

#[test]
fn demo_shows_owners_from_the_bundled_state_and_writes_alerts_per_team() {
    // The bundled fixtures, cut to their last two days (same roles).
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    let work = tempfile::tempdir().unwrap();
    let fixtures = work.path().join("fixtures");
    for day in ["2026-10-29", "2026-10-30"] {
        copy_tree(&src.join(day), &fixtures.join(day));
    }
    copy_tree(&src.join("terraform"), &fixtures.join("terraform"));
    fs::copy(src.join("owners.toml"), fixtures.join("owners.toml")).unwrap();
    fs::write(
        fixtures.join("fixture.json"),
        r#"{"days": ["2026-10-29", "2026-10-30"]}"#,
    )
    .unwrap();
    let lake = work.path().join("lake");
    iamlake()
        .arg("demo")
        .arg("--fixtures")
        .arg(&fixtures)
        .arg("--lake")
        .arg(&lake)
        .assert()
        .success()
        .stdout(
            // By hand from fixtures/default: 13 roles in the three states
            // and untagged; 11 untagged others in prod-payments and security
            // (account owners); 5 in management, which has none.
            predicate::str::contains("owners: 99 tag, 13 terraform, 11 account, 5 unowned")
                .and(predicate::str::contains("lake-alerts/<team>.jsonl")),
        );
    let t = read_table(&lake, "role_owners", "2026-10-30");
    let row = |name: &str| {
        let i = (0..t.num_rows())
            .find(|&i| str_at(&t, "role_name", i).as_deref() == Some(name))
            .unwrap();
        (
            str_at(&t, "owner_team", i).unwrap(),
            str_at(&t, "owner_source", i).unwrap(),
            str_at(&t, "iac_address", i),
        )
    };
    // module.lambda["ingest"] → modules/lambda/ → CODEOWNERS line 4,
    // @acme-corp/payments-serverless, aliased to payments.
    assert_eq!(
        row("payments-ingest-lambda"),
        (
            "payments".into(),
            "terraform".into(),
            Some("module.lambda[\"ingest\"].aws_iam_role.this".into())
        )
    );
    // The sre state maps to a team directly.
    assert_eq!(
        row("sre-reports-etl"),
        (
            "sre".into(),
            "terraform".into(),
            Some("aws_iam_role.etl[0]".into())
        )
    );
    assert_eq!(row("mobile-fraud-instance").1, "unowned");
    // Alerts, one file per team, naming where to fix.
    let payments = fs::read_to_string(work.path().join("lake-alerts/payments.jsonl")).unwrap();
    assert!(
        payments.contains("\"terraform_address\":\"module.ingest.aws_iam_role_policy.task\""),
        "{payments}"
    );
    assert!(work.path().join("lake-alerts/unowned.jsonl").is_file());
    assert!(iamlake::lake::lint::lint_lake(&lake).unwrap().is_empty());
}

/// `simulate --request --json` with an RCP (the Organizations guide's identity perimeter for
/// S3) and a session policy: each can deny what the role's own policy allows.
#[test]
fn simulate_request_with_rcps_and_session_policy() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    let ask = |extra: serde_json::Value| {
        let mut r = serde_json::json!({
            "action": "s3:PutObject",
            "resource": "arn:aws:s3:::amzn-s3-demo-bucket/k",
            "principal_arn": "arn:aws:iam::111122223333:role/app",
            "context": {"aws:PrincipalOrgID": "o-other", "aws:PrincipalIsAWSService": false},
            "identity_policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]
        });
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        simulate_json(&req, &r)
    };
    let v = ask(serde_json::json!({}));
    assert_eq!(v["decision"], "allowed");
    let perimeter = serde_json::json!([[{"Version": "2012-10-17", "Statement": [{
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}]]);
    let v = ask(serde_json::json!({"rcp_levels": perimeter}));
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["decided_by"], "rcp");
    assert_eq!(v["matched_statements"][0]["policy_id"], "rcp_levels[0][0]");
    let v = ask(
        serde_json::json!({"session_policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}),
    );
    assert_eq!(v["decision"], "implicit_deny");
    assert_eq!(v["decided_by"], "session");
    // The text form names the layer.
    iamlake()
        .args(["simulate", "--request"])
        .arg(&req)
        .assert()
        .success()
        .stdout(predicate::str::contains("session"));
}

/// A cross-account request whose resource policy is unknown is only conditionally allowed,
/// with the reason (JSON `reasons`, text "because …"); the bucket policy settles it.
#[test]
fn simulate_cross_account_needs_the_resource_policy() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    let mut r = serde_json::json!({
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::partner-bucket/k",
        "resource_account": "444455556666",
        "principal_arn": "arn:aws:iam::111122223333:role/app",
        "identity_policies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]
    });
    let v = simulate_json(&req, &r);
    assert_eq!(v["decision"], "conditionally_allowed");
    assert_eq!(v["decided_by"], "resource");
    assert!(
        v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("resource policy of arn:aws:s3:::partner-bucket/k is not known")
    );
    iamlake()
        .args(["simulate", "--request"])
        .arg(&req)
        .assert()
        .success()
        .stdout(predicate::str::contains("because the resource policy"));
    r["resource_policy"] = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "111122223333"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-bucket/*"}]});
    let v = simulate_json(&req, &r);
    assert_eq!(v["decision"], "allowed");
    assert!(v.get("reasons").is_none());
    assert!(
        v["matched_statements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["layer"] == "resource" && m["sid"] == "Partner")
    );
}

/// AWS's fixed denial: even an administrator cannot change a service-linked role's trust.
#[test]
fn simulate_fixed_denial_on_a_service_linked_role() {
    let work = tempfile::tempdir().unwrap();
    let v = simulate_json(
        &work.path().join("req.json"),
        &serde_json::json!({
            "action": "iam:UpdateAssumeRolePolicy",
            "resource": "arn:aws:iam::111122223333:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "principal_arn": "arn:aws:iam::111122223333:role/admin",
            "identity_policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
        }),
    );
    assert_eq!(v["decision"], "explicit_deny");
    assert!(v["decided_by"].is_null());
    assert!(
        v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("service-linked role")
    );
}

/// The IAM user guide's cross-account example through the real binary (Carlos in
/// 111111111111 saving to buckets of 222222222222,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>):
/// denied on `Production-logs` by his own DenyS3Logs, allowed on `Production` where both
/// sides allow, and a grant to his IAM user ARN within one account is not limited by his
/// permissions boundary (IAM user guide, "Policy evaluation logic").
#[test]
fn simulate_request_aws_documentation_examples() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    let carlos = "arn:aws:iam::111111111111:user/carlossalazar";
    let identity = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Sid": "AllowS3ProductionObjectActions", "Effect": "Allow", "Action": "s3:*Object*",
         "Resource": "arn:aws:s3:::Production/*"},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"]}]});
    let bucket_policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
         "Principal": {"AWS": carlos}, "Resource": "arn:aws:s3:::Production/*"}]});
    let v = simulate_json(
        &req,
        &serde_json::json!({"action": "s3:PutObject", "resource": "arn:aws:s3:::Production-logs/f",
            "principal_arn": carlos, "resource_account": "222222222222",
            "identity_policies": [identity]}),
    );
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["matched_statements"][0]["sid"], "DenyS3Logs");
    let production = serde_json::json!({"action": "s3:PutObject",
        "resource": "arn:aws:s3:::Production/f", "principal_arn": carlos,
        "resource_account": "222222222222", "identity_policies": [identity],
        "resource_policy": bucket_policy});
    assert_eq!(simulate_json(&req, &production)["decision"], "allowed");
    let mut delete = production.clone();
    delete["action"] = "s3:DeleteObject".into();
    let v = simulate_json(&req, &delete);
    assert_eq!(v["decision"], "implicit_deny");
    assert_eq!(v["decided_by"], "resource");
    // Same account, a boundary that leaves S3 out: the bucket policy's grant to the user ARN
    // still allows.
    let mut same = production.clone();
    same["resource_account"] = "111111111111".into();
    same["identity_policies"] = serde_json::json!([]);
    same["permissions_boundary"] = serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]});
    let v = simulate_json(&req, &same);
    assert_eq!(v["decision"], "allowed");
    assert_eq!(v["decided_by"], "resource");
}

/// A federated caller (GitHub's OIDC provider, the IAM user guide's example trust policy)
/// through the real binary: allowed for the named repository and branch, with the token's
/// claims as context keys; unknown claims make it conditional on exactly those keys.
#[test]
fn simulate_request_federated_principal() {
    let work = tempfile::tempdir().unwrap();
    let req = work.path().join("req.json");
    let github = "arn:aws:iam::012345678910:oidc-provider/token.actions.githubusercontent.com";
    let mut r = serde_json::json!({
        "action": "sts:AssumeRoleWithWebIdentity",
        "resource": "arn:aws:iam::012345678910:role/GitHubDeploy",
        "principal_federated": github,
        "role_trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": github}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"}}}]}
    });
    let v = simulate_json(&req, &r);
    assert_eq!(v["decision"], "conditionally_allowed");
    assert_eq!(
        v["missing_context_keys"],
        serde_json::json!([
            "token.actions.githubusercontent.com:aud",
            "token.actions.githubusercontent.com:sub"
        ])
    );
    r["context"] = serde_json::json!({
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:GitHubOrg/GitHubRepo:ref:refs/heads/GitHubBranch"});
    let v = simulate_json(&req, &r);
    assert_eq!(v["decision"], "allowed");
    assert_eq!(v["decided_by"], "resource");
    // IAM policies cannot be given for a federated caller: a usage error naming the field.
    r["identity_policies"] = serde_json::json!([]);
    r["permissions_boundary"] =
        serde_json::json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    fs::write(&req, r.to_string()).unwrap();
    iamlake()
        .args(["simulate", "--request"])
        .arg(&req)
        .assert()
        .failure()
        .stderr(predicate::str::contains("identity_policies"));
}
