//! `snapshot` on the hand-built mini organization: what lands in the lake,
//! row for row, and the decision for every (role, sensitive action).

use crate::util::*;
use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int32Type, TimestampMicrosecondType};
use std::collections::BTreeMap;
use std::fs;

const DATE: &str = "2026-10-01";

#[test]
fn round_trip_matches_the_fixture() {
    let lake = tempfile::tempdir().unwrap();
    snapshot_ok(&data("mini"), lake.path(), DATE);

    let m = manifest(lake.path(), DATE);
    assert_eq!(m["status"], "complete");
    assert_eq!(m["snapshot_date"], DATE);
    assert_eq!(m["tool"], "iamlake");
    let accounts: Vec<(String, u64)> = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account_id"].as_str().unwrap().to_string(),
                a["roles"].as_u64().unwrap(),
            )
        })
        .collect();
    // The suspended account is skipped.
    assert_eq!(
        accounts,
        [("111111111111".into(), 3), ("222222222222".into(), 2)]
    );
    // Each account's place in tree.json, root first.
    assert_eq!(m["accounts"][0]["ou_path"], "r-root/ou-root-prod");
    assert_eq!(m["accounts"][1]["ou_path"], "r-root");
    let rows = |t: &str| m["tables"][t]["rows"].as_u64().unwrap();
    assert_eq!(rows("roles"), 5);
    assert_eq!(rows("role_policies"), 5);
    assert_eq!(rows("simulations"), 5 * 7);
    // app: s3 (service + 2 actions), dynamodb, ssm; ci: ssm, sts.
    assert_eq!(rows("last_accessed"), 7);
    for table in ["roles", "role_policies", "simulations", "last_accessed"] {
        let files = m["tables"][table]["files"].as_array().unwrap();
        assert_eq!(
            files[0]["path"],
            format!("{table}/snapshot_date={DATE}/part-00000.parquet")
        );
        assert!(
            lake.path()
                .join(files[0]["path"].as_str().unwrap())
                .is_file()
        );
        assert_eq!(
            read_table(lake.path(), table, DATE).num_rows() as u64,
            rows(table)
        );
    }

    let roles = read_table(lake.path(), "roles", DATE);
    let app = (0..roles.num_rows())
        .find(|&i| str_at(&roles, "role_name", i).as_deref() == Some("app"))
        .expect("app role");
    assert_eq!(
        str_at(&roles, "arn", app).unwrap(),
        "arn:aws:iam::111111111111:role/service-role/app"
    );
    assert_eq!(str_at(&roles, "account_name", app).unwrap(), "prod-a");
    assert_eq!(str_at(&roles, "path", app).unwrap(), "/service-role/");
    // 2024-01-15T12:30:00Z
    let created = roles
        .column_by_name("create_date")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    assert_eq!(created.value(app), 1_705_321_800_000_000);
    let msd = roles
        .column_by_name("max_session_duration")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(msd.value(app), 7200);
    assert_eq!(str_at(&roles, "description", app), None);
    // No team tag: the Owner tag (any case) names the owner.
    assert_eq!(
        str_at(&roles, "owner_team", app).unwrap(),
        "payments@example.com"
    );
    assert!(roles.column_by_name("last_used_at").unwrap().is_null(app));
    // The URL-encoded trust policy is stored decoded and normalized.
    let trust: serde_json::Value =
        serde_json::from_str(&str_at(&roles, "trust_policy", app).unwrap()).unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    let principals = roles
        .column_by_name("trusted_principals")
        .unwrap()
        .as_list::<i32>()
        .value(app);
    assert_eq!(
        principals.as_string::<i32>().value(0),
        "service:lambda.amazonaws.com"
    );
    let tags = roles.column_by_name("tags").unwrap().as_map().value(app);
    let keys: Vec<&str> = tags
        .column(0)
        .as_string::<i32>()
        .iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(keys, ["Owner", "env"]);

    let admin = (0..roles.num_rows())
        .find(|&i| str_at(&roles, "role_name", i).as_deref() == Some("admin"))
        .unwrap();
    assert_eq!(
        str_at(&roles, "description", admin).unwrap(),
        "Break-glass administrator"
    );
    assert_eq!(str_at(&roles, "owner_team", admin).unwrap(), "security");

    // The managed policy's default version (v2) is stored, not v1.
    let pols = read_table(lake.path(), "role_policies", DATE);
    let kinds: BTreeMap<(String, String), (String, Option<String>)> = (0..pols.num_rows())
        .map(|i| {
            (
                (
                    str_at(&pols, "role_name", i).unwrap(),
                    str_at(&pols, "policy_name", i).unwrap(),
                ),
                (
                    str_at(&pols, "kind", i).unwrap(),
                    str_at(&pols, "policy_version", i),
                ),
            )
        })
        .collect();
    let k = |r: &str, p: &str| kinds[&(r.to_string(), p.to_string())].clone();
    assert_eq!(
        k("admin", "AdministratorAccess"),
        ("aws_managed".into(), Some("v2".into()))
    );
    assert_eq!(
        k("bounded", "iam-all"),
        ("customer_managed".into(), Some("v2".into()))
    );
    assert_eq!(
        k("bounded", "only-s3"),
        ("boundary".into(), Some("v2".into()))
    );
    assert_eq!(k("app", "app-access"), ("inline".into(), None));
    assert_eq!(k("ci", "deploy"), ("inline".into(), None));

    let la = read_table(lake.path(), "last_accessed", DATE);
    let get_object = (0..la.num_rows())
        .find(|&i| str_at(&la, "action", i).as_deref() == Some("s3:GetObject"))
        .unwrap();
    assert_eq!(str_at(&la, "granularity", get_object).unwrap(), "action");
    assert_eq!(
        str_at(&la, "last_authenticated_region", get_object).unwrap(),
        "eu-west-1"
    );
    let ts = la
        .column_by_name("last_authenticated")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    // 2026-09-20T10:00:00Z
    assert_eq!(ts.value(get_object), 1_789_898_400_000_000);
}

#[test]
fn every_decision_is_the_one_worked_out_by_hand() {
    let lake = tempfile::tempdir().unwrap();
    snapshot_ok(&data("mini"), lake.path(), DATE);
    let sims = read_table(lake.path(), "simulations", DATE);
    let got: BTreeMap<(String, String), (String, String)> = (0..sims.num_rows())
        .map(|i| {
            (
                (
                    str_at(&sims, "role_name", i).unwrap(),
                    str_at(&sims, "action", i).unwrap(),
                ),
                (
                    str_at(&sims, "decision", i).unwrap(),
                    str_at(&sims, "decided_by", i).unwrap_or_default(),
                ),
            )
        })
        .collect();
    use Expect::*;
    #[derive(Clone, Copy)]
    enum Expect {
        Allowed,
        Conditional,
        ImplicitBy(&'static str),
        ExplicitBy(&'static str),
    }
    let actions = [
        "dynamodb:GetItem",
        "iam:CreateRole",
        "iam:PassRole",
        "s3:GetObject",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "sts:AssumeRole",
    ];
    let scp_deny = ExplicitBy("scp");
    let none = ImplicitBy("identity");
    let table: [(&str, [Expect; 7]); 5] = [
        // AdministratorAccess, but the Production OU's SCP denies CreateRole.
        (
            "admin",
            [
                Allowed, scp_deny, Allowed, Allowed, Allowed, Allowed, Allowed,
            ],
        ),
        // One bucket is not "any resource"; the VPC condition is unknown; the
        // team-tag condition is known false (the role has no team tag).
        ("app", [Conditional, scp_deny, none, none, none, none, none]),
        // iam:* on *, but the boundary allows only s3:*.
        (
            "bounded",
            [
                ImplicitBy("boundary"),
                scp_deny,
                ImplicitBy("boundary"),
                none,
                ImplicitBy("boundary"),
                ImplicitBy("boundary"),
                ImplicitBy("boundary"),
            ],
        ),
        // ssm:GetParameter* covers both SSM actions; dev-b has no deny SCP.
        ("ci", [none, none, none, none, Allowed, Allowed, Allowed]),
        ("reader", [none; 7]),
    ];
    for (role, expects) in table {
        for (action, expect) in actions.iter().zip(expects) {
            let (decision, by) = got[&(role.to_string(), action.to_string())].clone();
            let want = match expect {
                Allowed => ("allowed", "identity"),
                Conditional => ("conditionally_allowed", "identity"),
                ImplicitBy(l) => ("implicit_deny", l),
                ExplicitBy(l) => ("explicit_deny", l),
            };
            assert_eq!((decision.as_str(), by.as_str()), want, "{role} {action}");
        }
    }

    // Reasons: the conditional grant names its statement and missing key.
    let i = (0..sims.num_rows())
        .find(|&i| {
            str_at(&sims, "role_name", i).as_deref() == Some("app")
                && str_at(&sims, "action", i).as_deref() == Some("dynamodb:GetItem")
        })
        .unwrap();
    let keys = sims
        .column_by_name("condition_keys")
        .unwrap()
        .as_list::<i32>()
        .value(i);
    let keys: Vec<String> = keys
        .as_string::<i32>()
        .iter()
        .map(|k| k.unwrap().to_lowercase())
        .collect();
    assert_eq!(keys, ["aws:sourcevpc"]);
    let matched = sims
        .column_by_name("matched_statements")
        .unwrap()
        .as_list::<i32>()
        .value(i);
    let matched = matched.as_struct();
    let sids: Vec<Option<&str>> = matched
        .column_by_name("sid")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .collect();
    assert!(sids.contains(&Some("TableInVpc")), "{sids:?}");
}

/// (decision, decided_by) of `role` for `action`, and the role's `scp_exempt`.
fn decision_of(
    lake: &std::path::Path,
    role: &str,
    action: &str,
) -> (String, String, Option<String>) {
    let sims = read_table(lake, "simulations", DATE);
    let i = (0..sims.num_rows())
        .find(|&i| {
            str_at(&sims, "role_name", i).as_deref() == Some(role)
                && str_at(&sims, "action", i).as_deref() == Some(action)
        })
        .unwrap();
    let roles = read_table(lake, "roles", DATE);
    let r = (0..roles.num_rows())
        .find(|&r| str_at(&roles, "role_name", r).as_deref() == Some(role))
        .unwrap();
    (
        str_at(&sims, "decision", i).unwrap(),
        str_at(&sims, "decided_by", i).unwrap_or_default(),
        str_at(&roles, "scp_exempt", r),
    )
}

/// AWS: SCPs do not affect the management account's roles, nor service-linked
/// roles (Organizations user guide, "Service control policies (SCPs)",
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>).
/// In `mini`, the Production OU's SCP denies iam:CreateRole to `admin`
/// (AdministratorAccess) in 111111111111.
#[test]
fn scps_skip_the_management_account_and_service_linked_roles() {
    // The accounts' ARNs name 999999999999 (not a member) as management: SCPs apply.
    let lake = tempfile::tempdir().unwrap();
    snapshot_ok(&data("mini"), lake.path(), DATE);
    assert_eq!(
        decision_of(lake.path(), "admin", "iam:CreateRole"),
        ("explicit_deny".into(), "scp".into(), None)
    );

    // `mini` edited by `edit`, snapshotted into a new lake.
    let snapshot_of = |edit: &dyn Fn(&std::path::Path)| {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("org");
        copy_tree(&data("mini"), &src);
        edit(&src);
        let lake = tempfile::tempdir().unwrap();
        snapshot_ok(&src, lake.path(), DATE);
        lake
    };
    let exempt = |why: &str| ("allowed".into(), "identity".into(), Some(why.into()));

    // describe-organization says 111111111111 is the management account.
    let lake = snapshot_of(&|src| write_management_account(src, "111111111111"));
    assert_eq!(
        decision_of(lake.path(), "admin", "iam:CreateRole"),
        exempt("management_account")
    );
    // ci lives in 222222222222: not exempt.
    assert_eq!(decision_of(lake.path(), "ci", "iam:CreateRole").2, None);

    // A service-linked role (path /aws-service-role/) in a member account.
    let lake = snapshot_of(&|src| {
        let details = src.join("111111111111/authorization-details.json");
        let mut doc: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&details).unwrap()).unwrap();
        for role in doc["RoleDetailList"].as_array_mut().unwrap() {
            if role["RoleName"] == "admin" {
                role["Path"] = "/aws-service-role/".into();
            }
        }
        fs::write(&details, serde_json::to_string(&doc).unwrap()).unwrap();
    });
    assert_eq!(
        decision_of(lake.path(), "admin", "iam:CreateRole"),
        exempt("service_linked_role")
    );
    assert_eq!(
        decision_of(lake.path(), "app", "iam:CreateRole"),
        ("explicit_deny".into(), "scp".into(), None)
    );
}

/// RCPs (AWS Organizations user guide, "Resource control policies (RCPs)",
/// "RCP examples": <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html>,
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_examples.html>)
/// limit what can be done to an account's resources, for the services that
/// support them, and do not apply to the management account's resources nor
/// to service-linked roles. The snapshot's roles act inside their own
/// organization, over TLS, with their own credentials: AWS's sample
/// perimeter and HTTPS-only statements take nothing from them.
#[test]
fn rcps_gate_the_accounts_resources() {
    let statements = serde_json::json!([
        {"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
         "Action": ["sts:*", "s3:*", "dynamodb:*"], "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"},
                       "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
        {"Sid": "EnforceSecureTransport", "Effect": "Deny", "Principal": "*",
         "Action": ["sts:*", "s3:*", "dynamodb:*"], "Resource": "*",
         "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
        // IAM does not support RCPs: the PassRole deny has no effect.
        {"Sid": "NoObjectReads", "Effect": "Deny", "Principal": "*",
         "Action": ["s3:GetObject", "iam:PassRole"], "Resource": "*"}
    ]);
    let snapshot_of = |edit: &dyn Fn(&std::path::Path)| {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("org");
        copy_tree(&data("mini"), &src);
        write_rcp(&src, "p-perimeter", statements.clone(), &["111111111111"]);
        edit(&src);
        let lake = tempfile::tempdir().unwrap();
        snapshot_ok(&src, lake.path(), DATE);
        lake
    };
    let allowed = || ("allowed".to_string(), "identity".to_string(), None);

    let base = tempfile::tempdir().unwrap();
    snapshot_ok(&data("mini"), base.path(), DATE);
    let lake = snapshot_of(&|_| {});
    // admin (AdministratorAccess) in 111111111111: the unconditional deny
    // holds; the organization's own roles pass the perimeter and HTTPS
    // statements outright; IAM is not governed by RCPs.
    assert_eq!(
        decision_of(lake.path(), "admin", "s3:GetObject"),
        ("explicit_deny".into(), "rcp".into(), None)
    );
    for action in ["sts:AssumeRole", "dynamodb:GetItem", "iam:PassRole"] {
        assert_eq!(
            decision_of(lake.path(), "admin", action),
            allowed(),
            "{action}"
        );
    }
    // 222222222222 has no RCP: every decision there is as without RCPs.
    for action in ["s3:GetObject", "sts:AssumeRole", "ssm:GetParameters"] {
        assert_eq!(
            decision_of(lake.path(), "ci", action),
            decision_of(base.path(), "ci", action),
            "{action}"
        );
    }
    // The RCPs as evaluated: AWS's RCPFullAWSAccess (attached to every
    // node, never detachable) is listed with the custom policy.
    let rcps = read_table(lake.path(), "rcps", DATE);
    let rows: Vec<(String, i32, String)> = (0..rcps.num_rows())
        .map(|i| {
            (
                str_at(&rcps, "account_id", i).unwrap(),
                rcps.column_by_name("level")
                    .unwrap()
                    .as_primitive::<Int32Type>()
                    .value(i),
                str_at(&rcps, "policy_id", i).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("111111111111".into(), 0, "p-RCPFullAWSAccess".into()),
            ("111111111111".into(), 0, "p-perimeter".into())
        ]
    );
    let doc: serde_json::Value =
        serde_json::from_str(&str_at(&rcps, "document", 1).unwrap()).unwrap();
    assert_eq!(doc["Statement"][2]["Sid"], "NoObjectReads");
    assert_eq!(read_table(base.path(), "rcps", DATE).num_rows(), 0);

    // Without the organization's id (no organization.json, no ARNs naming
    // it) the perimeter statement may deny: conditionally allowed.
    let lake = snapshot_of(&|src| {
        edit_json(&src.join("organization/accounts.json"), |v| {
            for a in v["Accounts"].as_array_mut().unwrap() {
                a.as_object_mut().unwrap().remove("Arn");
            }
        })
    });
    assert_eq!(
        decision_of(lake.path(), "admin", "sts:AssumeRole"),
        ("conditionally_allowed".into(), "rcp".into(), None)
    );

    // RCPs do not apply to the management account's resources.
    let lake = snapshot_of(&|src| write_management_account(src, "111111111111"));
    assert_eq!(
        decision_of(lake.path(), "admin", "s3:GetObject"),
        (
            "allowed".into(),
            "identity".into(),
            Some("management_account".into())
        )
    );
    // Nor to service-linked roles.
    let lake = snapshot_of(&|src| {
        edit_json(
            &src.join("111111111111/authorization-details.json"),
            |doc| {
                for role in doc["RoleDetailList"].as_array_mut().unwrap() {
                    if role["RoleName"] == "admin" {
                        role["Path"] = "/aws-service-role/".into();
                    }
                }
            },
        )
    });
    assert_eq!(
        decision_of(lake.path(), "admin", "s3:GetObject"),
        (
            "allowed".into(),
            "identity".into(),
            Some("service_linked_role".into())
        )
    );
}

#[test]
fn rerunning_a_date_replaces_only_that_date() {
    let lake = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    copy_tree(&data("mini"), &src);
    snapshot_ok(&src, lake.path(), "2026-10-01");
    snapshot_ok(&src, lake.path(), "2026-10-02");
    let first_id = manifest(lake.path(), "2026-10-01")["snapshot_id"].clone();
    let other_day = |lake: &std::path::Path| {
        tree_bytes(lake)
            .into_iter()
            .filter(|(p, _)| p.to_string_lossy().contains("2026-10-02"))
            .collect::<Vec<_>>()
    };
    let before = other_day(lake.path());
    assert_eq!(
        before.len(),
        iamlake::model::SNAPSHOT_TABLES.len() + 1,
        "one file per snapshot table + 1 manifest"
    );

    // The org loses a role; re-run the first date only.
    let details = src.join("222222222222/authorization-details.json");
    let mut pages: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&details).unwrap()).unwrap();
    pages.as_array_mut().unwrap().pop();
    fs::write(&details, pages.to_string()).unwrap();
    snapshot_ok(&src, lake.path(), "2026-10-01");

    let m = manifest(lake.path(), "2026-10-01");
    assert_ne!(m["snapshot_id"], first_id);
    assert_eq!(m["tables"]["roles"]["rows"], 4);
    assert_eq!(read_table(lake.path(), "roles", "2026-10-01").num_rows(), 4);
    assert_eq!(other_day(lake.path()), before);
    // Nothing left behind: no staging, no trash, one file per table.
    assert!(!lake.path().join("_staging").exists());
    assert!(!lake.path().join("_trash").exists());
    assert_eq!(
        fs::read_dir(lake.path().join("roles/snapshot_date=2026-10-01"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn written_lake_passes_the_warehouse_lint() {
    let lake = tempfile::tempdir().unwrap();
    snapshot_ok(&data("mini"), lake.path(), DATE);
    let issues = iamlake::lake::lint::lint_lake(lake.path()).unwrap();
    assert!(issues.is_empty(), "{issues:#?}");
    iamlake()
        .arg("lint")
        .arg("--lake")
        .arg(lake.path())
        .assert()
        .success();

    // And the lint does catch a stray file, through the CLI too.
    fs::write(
        lake.path()
            .join(format!("roles/snapshot_date={DATE}/_SUCCESS")),
        "",
    )
    .unwrap();
    iamlake()
        .arg("lint")
        .arg("--lake")
        .arg(lake.path())
        .assert()
        .code(1)
        .stdout(predicates::str::contains(
            "_SUCCESS: not a Parquet data file",
        ));
}

#[test]
fn actions_file_replaces_the_sensitive_list() {
    let lake = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let actions = work.path().join("actions.txt");
    fs::write(&actions, "# only these\niam:PassRole\nec2:RunInstances\n").unwrap();
    iamlake()
        .args(["snapshot", "--quiet", "--date", DATE])
        .arg(format!("--source=fixtures:{}", data("mini").display()))
        .arg("--lake")
        .arg(lake.path())
        .arg("--actions-file")
        .arg(&actions)
        .assert()
        .success();
    let sims = read_table(lake.path(), "simulations", DATE);
    assert_eq!(sims.num_rows(), 5 * 2);
    let m = manifest(lake.path(), DATE);
    assert_eq!(
        m["sensitive_actions"],
        serde_json::json!(["iam:PassRole", "ec2:RunInstances"])
    );
}

#[test]
fn three_shards_make_one_complete_date() {
    let lake = tempfile::tempdir().unwrap();
    let whole = tempfile::tempdir().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/default");
    let shard = |k: &str, lake: &std::path::Path| {
        iamlake()
            .args(["snapshot", "--quiet", "--date", DATE, "--shard", k])
            .arg(format!("--source=fixtures:{}", fixtures.display()))
            .arg("--lake")
            .arg(lake)
            .assert()
    };
    snapshot_ok(&fixtures, whole.path(), DATE);
    let want = manifest(whole.path(), DATE);

    shard("1/3", lake.path()).success();
    shard("3/3", lake.path()).success();
    // Two of three shards: the date is not complete for any reader.
    assert!(
        iamlake::lake::manifest::complete_dates(lake.path())
            .unwrap()
            .is_empty()
    );
    assert!(
        lake.path()
            .join(format!("_manifests/snapshot_date={DATE}/shard-1-of-3.json"))
            .is_file()
    );
    shard("2/3", lake.path()).success();
    let m = manifest(lake.path(), DATE);
    assert_eq!(m["status"], "complete");
    for t in ["roles", "role_policies", "simulations", "last_accessed"] {
        assert_eq!(m["tables"][t]["rows"], want["tables"][t]["rows"], "{t}");
        assert_eq!(
            read_table(lake.path(), t, DATE).num_rows(),
            read_table(whole.path(), t, DATE).num_rows(),
            "{t}"
        );
        assert_eq!(
            m["tables"][t]["files"].as_array().unwrap().len(),
            3,
            "one file per shard"
        );
    }
    let ids = |m: &serde_json::Value| {
        m["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["account_id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&m), ids(&want), "every account exactly once, sorted");
    assert!(
        iamlake::lake::lint::lint_lake(lake.path())
            .unwrap()
            .is_empty()
    );

    // Re-running one shard replaces only its files.
    let before = tree_bytes(&lake.path().join("roles"));
    shard("2/3", lake.path()).success();
    let after = tree_bytes(&lake.path().join("roles"));
    assert_eq!(before.len(), after.len());
    assert_eq!(
        manifest(lake.path(), DATE)["tables"]["roles"]["rows"],
        want["tables"]["roles"]["rows"]
    );
    for (path, bytes) in &before {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("part-02") {
            assert_eq!(
                after.get(path),
                Some(bytes),
                "{name} of another shard changed"
            );
        }
    }
    // Mixing shard counts for one date is refused.
    shard("1/2", lake.path())
        .code(1)
        .stderr(predicates::str::contains("different shard count"));
    // A whole-date run supersedes the shards.
    snapshot_ok(&fixtures, lake.path(), DATE);
    assert!(
        !lake
            .path()
            .join(format!("_manifests/snapshot_date={DATE}/shard-1-of-3.json"))
            .exists()
    );
    assert_eq!(
        read_table(lake.path(), "roles", DATE).num_rows(),
        read_table(whole.path(), "roles", DATE).num_rows()
    );
}

/// Kills the process at several points of a run over an existing date:
/// whatever moment it dies, a date either has no manifest (incomplete for
/// every reader) or a manifest whose every file is there, whole, with the
/// row counts it states; and the next run completes normally.
#[test]
fn killed_mid_run_never_leaves_a_half_date() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let work = tempfile::tempdir().unwrap();
    let fixtures = work.path().join("fixtures");
    iamlake()
        .args(["fixtures", "generate", "--quiet", "--accounts", "4"])
        .args(["--roles-per-account", "1500", "--start-date", DATE, "--out"])
        .arg(&fixtures)
        .assert()
        .success();
    let lake = work.path().join("lake");
    let run = || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("iamlake"));
        cmd.args(["snapshot", "--quiet", "--date", DATE])
            .arg(format!("--source=fixtures:{}", fixtures.display()))
            .arg("--lake")
            .arg(&lake);
        cmd
    };
    let start = std::time::Instant::now();
    assert!(run().status().unwrap().success());
    let full = start.elapsed();

    let check = |when: &str| {
        let path = lake.join(format!("_manifests/snapshot_date={DATE}/manifest.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            return; // incomplete: no reader takes it
        };
        let m: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("killed at {when}: manifest is not whole JSON: {e}"));
        for (table, entry) in m["tables"].as_object().unwrap() {
            let mut rows = 0;
            for f in entry["files"].as_array().unwrap() {
                let file = lake.join(f["path"].as_str().unwrap());
                let reader = std::fs::File::open(&file)
                    .ok()
                    .and_then(|f| SerializedFileReader::new(f).ok())
                    .unwrap_or_else(|| {
                        panic!(
                            "killed at {when}: {} is listed but not readable",
                            file.display()
                        )
                    });
                rows += reader.metadata().file_metadata().num_rows() as u64;
            }
            assert_eq!(
                rows,
                entry["rows"].as_u64().unwrap(),
                "killed at {when}: {table}"
            );
        }
    };
    for fraction in [0.1, 0.3, 0.5, 0.7, 0.9, 0.97] {
        let mut child = run().spawn().unwrap();
        std::thread::sleep(full.mul_f64(fraction));
        let _ = child.kill();
        child.wait().unwrap();
        check(&format!("{fraction} of a run"));
    }
    assert!(run().status().unwrap().success());
    check("never");
    assert!(
        lake.join(format!("_manifests/snapshot_date={DATE}/manifest.json"))
            .is_file()
    );
}

/// `policy_lints`: the snapshot checks every identity policy against the service
/// reference. In `mini` edited so that the customer managed policy `iam-all` (attached to
/// `bounded`, and here also to `admin`) asks for `iam:PassRol`, and `app`'s inline policy
/// (given to `admin` too, same text) asks for `s3:GetObjekt` under the condition key
/// `aws:SoureIp`: the managed policy is reported once, the inline one once per role; the
/// terminal summary counts the findings, and the typos grant nothing.
#[test]
fn snapshot_lints_the_collected_policies() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    copy_tree(&data("mini"), &src);
    let inline = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Sid": "Typo", "Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "*",
         "Condition": {"IpAddress": {"aws:SoureIp": "10.0.0.0/8"}}}]});
    edit_json(
        &src.join("111111111111/authorization-details.json"),
        |doc| {
            for role in doc["RoleDetailList"].as_array_mut().unwrap() {
                match role["RoleName"].as_str().unwrap() {
                    "app" => role["RolePolicyList"][0]["PolicyDocument"] = inline.clone(),
                    "admin" => {
                        role["RolePolicyList"] = serde_json::json!([
                    {"PolicyName": "copied", "PolicyDocument": inline.clone()}]);
                        role["AttachedManagedPolicies"]
                            .as_array_mut()
                            .unwrap()
                            .push(serde_json::json!({"PolicyName": "iam-all",
                        "PolicyArn": "arn:aws:iam::111111111111:policy/iam-all"}));
                    }
                    _ => {}
                }
            }
            for p in doc["Policies"].as_array_mut().unwrap() {
                if p["Arn"] == "arn:aws:iam::111111111111:policy/iam-all" {
                    for v in p["PolicyVersionList"].as_array_mut().unwrap() {
                        v["Document"] = serde_json::json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["iam:*", "iam:PassRol"], "Resource": "*"}]});
                    }
                }
            }
        },
    );
    let lake = tempfile::tempdir().unwrap();
    let out = iamlake()
        .args(["snapshot", "--date", DATE])
        .arg("--source")
        .arg(format!("fixtures:{}", src.display()))
        .arg("--lake")
        .arg(lake.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("policy lints: 5 unknown actions or condition keys"),
        "{stdout}"
    );

    let t = read_table(lake.path(), "policy_lints", DATE);
    let mut rows: Vec<[Option<String>; 8]> = (0..t.num_rows())
        .map(|r| {
            [
                "account_id",
                "policy_kind",
                "policy_arn",
                "role_name",
                "json_path",
                "kind",
                "name",
                "suggestion",
            ]
            .map(|c| str_at(&t, c, r))
        })
        .collect();
    rows.sort();
    let s = |v: &str| Some(v.to_string());
    let inline_rows = |role: &str| {
        [
            [
                s("111111111111"),
                s("inline"),
                None,
                s(role),
                s("Statement[1].Action[0]"),
                s("unknown_action"),
                s("s3:GetObjekt"),
                s("s3:GetObject"),
            ],
            [
                s("111111111111"),
                s("inline"),
                None,
                s(role),
                s("Statement[1].Condition.IpAddress.aws:SoureIp"),
                s("unknown_condition_key"),
                s("aws:SoureIp"),
                None,
            ],
        ]
    };
    let mut want = vec![[
        s("111111111111"),
        s("customer_managed"),
        s("arn:aws:iam::111111111111:policy/iam-all"),
        None,
        s("Statement[0].Action[1]"),
        s("unknown_action"),
        s("iam:PassRol"),
        s("iam:PassRole"),
    ]];
    want.extend(inline_rows("admin"));
    want.extend(inline_rows("app"));
    want.sort();
    assert_eq!(rows, want);
    assert_eq!(
        manifest(lake.path(), DATE)["tables"]["policy_lints"]["rows"],
        5
    );
    assert!(
        iamlake::lake::lint::lint_lake(lake.path())
            .unwrap()
            .is_empty()
    );
}

/// `mini`'s account 222222222222 with its role `ci` copied `n` times after it (`ci-0000`,
/// ...), each with `ci`'s policies and Access Advisor file: more roles than the snapshot
/// evaluates in one chunk.
fn mini_with_ci_copies(src: &std::path::Path, n: usize) -> Vec<String> {
    copy_tree(&data("mini"), src);
    let account = src.join("222222222222");
    let mut names = vec!["ci".to_string()];
    edit_json(&account.join("authorization-details.json"), |doc| {
        let roles = doc[0]["RoleDetailList"].as_array_mut().unwrap();
        let ci = roles
            .iter()
            .find(|r| r["RoleName"] == "ci")
            .unwrap()
            .clone();
        let at = roles.iter().position(|r| r["RoleName"] == "ci").unwrap();
        for i in 0..n {
            let name = format!("ci-{i:04}");
            let mut role = ci.clone();
            role["RoleName"] = name.clone().into();
            role["RoleId"] = format!("AROA2222222222CI{i:04}").into();
            role["Arn"] = format!("arn:aws:iam::222222222222:role/ci/{name}").into();
            roles.insert(at + 1 + i, role);
            names.push(name);
        }
    });
    let la = account.join("last-accessed");
    for name in &names[1..] {
        fs::copy(la.join("ci.json"), la.join(format!("{name}.json"))).unwrap();
    }
    names
}

/// An account larger than one evaluation chunk (256 roles, evaluated on every core and
/// written chunk by chunk): every table keeps the file's role order, and each copy of `ci`
/// gets exactly `ci`'s decisions, policies and Access Advisor rows.
#[test]
fn an_account_of_many_chunks_keeps_file_order_and_decisions() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    let names = mini_with_ci_copies(&src, 1300);
    let lake = tempfile::tempdir().unwrap();
    snapshot_ok(&src, lake.path(), DATE);

    let m = manifest(lake.path(), DATE);
    assert_eq!(m["accounts"][1]["account_id"], "222222222222");
    assert_eq!(m["accounts"][1]["roles"], 1302);
    let in_account = |t: &arrow::array::RecordBatch, name_col: &str| -> Vec<String> {
        (0..t.num_rows())
            .filter(|&r| str_at(t, "account_id", r).as_deref() == Some("222222222222"))
            .map(|r| str_at(t, name_col, r).unwrap())
            .collect()
    };
    // Roles: the file's order, `ci` and its copies where the file has them.
    let roles = in_account(&read_table(lake.path(), "roles", DATE), "role_name");
    let copies: Vec<&String> = roles.iter().filter(|n| n.starts_with("ci")).collect();
    assert_eq!(copies, names.iter().collect::<Vec<_>>());

    // Simulations: per role, the seven actions in order; every copy decides as `ci`.
    let sims = read_table(lake.path(), "simulations", DATE);
    let mut by_role: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for r in 0..sims.num_rows() {
        if str_at(&sims, "account_id", r).as_deref() != Some("222222222222") {
            continue;
        }
        let role = str_at(&sims, "role_name", r).unwrap();
        if order.last() != Some(&role) {
            order.push(role.clone());
        }
        by_role.entry(role).or_default().push((
            str_at(&sims, "action", r).unwrap(),
            str_at(&sims, "decision", r).unwrap(),
            str_at(&sims, "breadth_decision", r).unwrap(),
        ));
    }
    assert_eq!(order, roles, "simulation rows follow the roles' order");
    let ci = &by_role["ci"];
    assert_eq!(ci.len(), 7);
    assert!(ci.iter().any(|(_, d, _)| d == "allowed"), "{ci:?}");
    for name in &names {
        assert_eq!(&by_role[name], ci, "{name}");
    }

    // role_policies and last_accessed: as many rows per copy as for `ci`, in order.
    for (table, per_role) in [("role_policies", 1), ("last_accessed", 0)] {
        let t = read_table(lake.path(), table, DATE);
        let rows = in_account(&t, "role_name");
        let of_ci = rows.iter().filter(|n| *n == "ci").count();
        assert!(of_ci >= per_role.max(1), "{table}: {of_ci}");
        let copies: Vec<&String> = rows.iter().filter(|n| n.starts_with("ci")).collect();
        let expected: Vec<&String> = names
            .iter()
            .flat_map(|n| std::iter::repeat_n(n, of_ci))
            .collect();
        assert_eq!(copies, expected, "{table}");
    }
}

/// Whether the lake has a manifest folder for `DATE`: a failed run publishes none.
fn published(lake: &std::path::Path) -> bool {
    lake.join(format!("_manifests/snapshot_date={DATE}"))
        .exists()
}

/// Two roles of later chunks with undecodable inline policies: the error names the first
/// of them in file order (as a one-role-at-a-time pass would), however the cores shared
/// the work, and nothing of the date is published.
#[test]
fn a_bad_role_in_a_later_chunk_is_reported_first_in_file_order() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_ci_copies(&src, 1300);
    edit_json(
        &src.join("222222222222/authorization-details.json"),
        |doc| {
            for role in doc[0]["RoleDetailList"].as_array_mut().unwrap() {
                if role["RoleName"] == "ci-0700" || role["RoleName"] == "ci-1200" {
                    role["RolePolicyList"][0]["PolicyDocument"] = "{not json".into();
                }
            }
        },
    );
    let lake = tempfile::tempdir().unwrap();
    let stderr = snapshot_fails(&src, lake.path(), DATE);
    assert!(stderr.contains("role ci-0700"), "{stderr}");
    assert!(stderr.contains("inline policy \"deploy\""), "{stderr}");
    assert!(!stderr.contains("ci-1200"), "{stderr}");
    assert!(!published(lake.path()));
    assert!(
        !lake
            .path()
            .join(format!("roles/snapshot_date={DATE}"))
            .exists()
    );
}

/// Within one task of roles (their policies are compiled before any is evaluated), a
/// role whose Access Advisor file is broken is still reported before the next role,
/// whose inline policy does not decode: errors come in file order.
#[test]
fn a_broken_access_advisor_file_is_reported_before_a_later_roles_bad_policy() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_ci_copies(&src, 40);
    let account = src.join("222222222222");
    fs::write(account.join("last-accessed/ci-0010.json"), "{cut").unwrap();
    edit_json(&account.join("authorization-details.json"), |doc| {
        for role in doc[0]["RoleDetailList"].as_array_mut().unwrap() {
            if role["RoleName"] == "ci-0011" {
                role["RolePolicyList"][0]["PolicyDocument"] = "{not json".into();
            }
        }
    });
    let lake = tempfile::tempdir().unwrap();
    let stderr = snapshot_fails(&src, lake.path(), DATE);
    assert!(stderr.contains("ci-0010.json"), "{stderr}");
    assert!(!stderr.contains("ci-0011"), "{stderr}");
    assert!(!published(lake.path()));
}

/// Fixture roles are parsed a chunk at a time (only indexed when the file is read): a
/// role of the wrong shape in a later chunk is named by its JSON path in the file, as a
/// whole-file parse names it, and only after every role before it has been evaluated,
/// so an earlier role's error is still the one reported.
#[test]
fn a_role_of_the_wrong_shape_in_a_later_chunk_is_named_by_its_json_path() {
    let run = |bad_policy_too: bool| {
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("org");
        mini_with_ci_copies(&src, 1300);
        let mut index = None;
        edit_json(
            &src.join("222222222222/authorization-details.json"),
            |doc| {
                let roles = doc[0]["RoleDetailList"].as_array_mut().unwrap();
                for (i, role) in roles.iter_mut().enumerate() {
                    if role["RoleName"] == "ci-1200" {
                        role["RoleName"] = 42.into();
                        index = Some(i);
                    }
                    if bad_policy_too && role["RoleName"] == "ci-0700" {
                        role["RolePolicyList"][0]["PolicyDocument"] = "{not json".into();
                    }
                }
            },
        );
        let lake = tempfile::tempdir().unwrap();
        let stderr = snapshot_fails(&src, lake.path(), DATE);
        assert!(!published(lake.path()));
        (stderr, index.unwrap())
    };
    let (stderr, index) = run(false);
    assert!(
        stderr.contains("222222222222/authorization-details.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("[0].RoleDetailList[{index}].RoleName"))
            && stderr.contains("expected a string"),
        "{stderr}"
    );
    let (stderr, _) = run(true);
    assert!(stderr.contains("role ci-0700"), "{stderr}");
    assert!(!stderr.contains("RoleDetailList["), "{stderr}");
}
