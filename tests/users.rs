//! IAM users evaluated as roles are: group policies are part of a user's
//! identity policies, a user's boundary and the account's SCPs gate them,
//! and Access Advisor data is kept per user; rows carry `principal_type`
//! user, and analyze's role numbers do not move when users are added.

use crate::util::*;
use arrow::array::AsArray;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

const DATE: &str = "2026-10-01";

/// `mini` with three users in 111111111111 (under the Production OU, whose
/// SCP denies iam:CreateRole), in the shape `aws iam
/// get-account-authorization-details` prints:
/// - alice: inline `own` (s3:ListBucket), attached `iam-all` (iam:* on *),
///   in `devs` (inline Allow ssm:GetParameter + ssm:GetParameters on *,
///   URL-encoded as AWS sends it; attached `only-s3`, s3:* on *) and
///   `readers` (inline Deny ssm:GetParameter on *; attached `only-s3` again);
/// - bob: AdministratorAccess, boundary `only-s3`;
/// - deployer (/ci/): nothing.
///
/// Access Advisor data for alice only (s3, used 2026-09-20).
fn mini_with_users(dir: &Path) {
    with_users(
        dir,
        serde_json::json!([
            {
                "Path": "/", "UserName": "alice", "UserId": "AIDA111111111111ALICE",
                "Arn": "arn:aws:iam::111111111111:user/alice", "CreateDate": "2024-01-10T12:00:00Z",
                "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}],
                "GroupList": ["devs", "readers"],
                "AttachedManagedPolicies": [{"PolicyName": "iam-all",
                    "PolicyArn": "arn:aws:iam::111111111111:policy/iam-all"}],
                "Tags": [{"Key": "team", "Value": "payments"}]
            },
            {
                "Path": "/", "UserName": "bob", "UserId": "AIDA111111111111BOB",
                "Arn": "arn:aws:iam::111111111111:user/bob", "CreateDate": "2024-02-01T00:00:00Z",
                "UserPolicyList": [], "GroupList": [],
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": "arn:aws:iam::111111111111:policy/only-s3"},
                "Tags": []
            },
            {
                "Path": "/ci/", "UserName": "deployer", "UserId": "AIDA111111111111DEPLOY",
                "Arn": "arn:aws:iam::111111111111:user/ci/deployer", "CreateDate": "2025-03-01T08:00:00Z",
                "GroupList": [], "UserPolicyList": [], "AttachedManagedPolicies": [], "Tags": []
            }
        ]),
        groups(),
    );
    alice_access(dir);
}

/// The groups of [`mini_with_users`].
fn groups() -> serde_json::Value {
    // {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters"],"Resource":"*"}]}
    let devs_inline = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22ssm%3AGetParameter%22%2C%22ssm%3AGetParameters%22%5D%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
    serde_json::json!([
        {
            "Path": "/", "GroupName": "devs", "GroupId": "AGPA111111111111DEVS",
            "Arn": "arn:aws:iam::111111111111:group/devs", "CreateDate": "2023-01-01T00:00:00Z",
            "GroupPolicyList": [{"PolicyName": "devs-inline", "PolicyDocument": devs_inline}],
            "AttachedManagedPolicies": [{"PolicyName": "only-s3",
                "PolicyArn": "arn:aws:iam::111111111111:policy/only-s3"}]
        },
        {
            "Path": "/", "GroupName": "readers", "GroupId": "AGPA111111111111READ",
            "Arn": "arn:aws:iam::111111111111:group/readers", "CreateDate": "2023-01-01T00:00:00Z",
            "GroupPolicyList": [{"PolicyName": "no-secrets", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Sid": "NoSecrets", "Effect": "Deny", "Action": "ssm:GetParameter", "Resource": "*"}]}}],
            "AttachedManagedPolicies": [{"PolicyName": "only-s3",
                "PolicyArn": "arn:aws:iam::111111111111:policy/only-s3"}]
        }
    ])
}

/// `mini` with `users` and `groups` in 111111111111's authorization details.
fn with_users(dir: &Path, users: serde_json::Value, groups: serde_json::Value) {
    copy_tree(&data("mini"), dir);
    let details = dir.join("111111111111/authorization-details.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&details).unwrap()).unwrap();
    doc["UserDetailList"] = users;
    doc["GroupDetailList"] = groups;
    fs::write(&details, doc.to_string()).unwrap();
}

/// alice's Access Advisor file: s3 used 2026-09-20, ssm never.
fn alice_access(dir: &Path) {
    let users_la = dir.join("111111111111/last-accessed/users");
    fs::create_dir_all(&users_la).unwrap();
    fs::write(
        users_la.join("alice.json"),
        r#"{"JobStatus": "COMPLETED", "JobType": "SERVICE_LEVEL",
            "JobCreationDate": "2026-10-01T00:00:00+00:00",
            "ServicesLastAccessed": [
              {"ServiceName": "Amazon S3", "ServiceNamespace": "s3",
               "LastAuthenticated": "2026-09-20T10:00:00+00:00",
               "LastAuthenticatedEntity": "arn:aws:iam::111111111111:user/alice",
               "LastAuthenticatedRegion": "eu-west-1", "TotalAuthenticatedEntities": 1},
              {"ServiceName": "AWS Systems Manager", "ServiceNamespace": "ssm",
               "TotalAuthenticatedEntities": 0}],
            "JobCompletionDate": "2026-10-01T00:00:05+00:00", "IsTruncated": false}"#,
    )
    .unwrap();
}

/// A list-of-text column's value at `row`.
fn str_list_at(batch: &arrow::record_batch::RecordBatch, col: &str, row: usize) -> Vec<String> {
    let list = batch
        .column_by_name(col)
        .unwrap()
        .as_list::<i32>()
        .value(row);
    list.as_string::<i32>()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect()
}

/// The `policy_id`s of a `simulations` row's matched statements.
fn policy_ids(sims: &arrow::record_batch::RecordBatch, row: usize) -> Vec<String> {
    sims.column_by_name("matched_statements")
        .unwrap()
        .as_list::<i32>()
        .value(row)
        .as_struct()
        .column_by_name("policy_id")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

/// Row indexes of `batch` whose `principal_type` is `kind`.
fn of_type(batch: &arrow::record_batch::RecordBatch, kind: &str) -> Vec<usize> {
    (0..batch.num_rows())
        .filter(|&i| str_at(batch, "principal_type", i).as_deref() == Some(kind))
        .collect()
}

#[test]
fn users_and_groups_of_the_authorization_details_become_users_rows() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_users(&src);
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let users = read_table(&lake, "users", DATE);
    assert_eq!(users.num_rows(), 3);
    assert_eq!(manifest(&lake, DATE)["tables"]["users"]["rows"], 3);
    let at = |name: &str| {
        (0..3)
            .find(|&i| str_at(&users, "user_name", i).as_deref() == Some(name))
            .unwrap()
    };
    let i = at("alice");
    assert_eq!(
        str_at(&users, "account_id", i).as_deref(),
        Some("111111111111")
    );
    assert_eq!(str_at(&users, "owner_team", i).as_deref(), Some("payments"));
    assert_eq!(str_list_at(&users, "groups", i), ["devs", "readers"]);
    assert_eq!(str_list_at(&users, "inline_policy_names", i), ["own"]);
    assert_eq!(
        str_list_at(&users, "managed_policy_arns", i),
        ["arn:aws:iam::111111111111:policy/iam-all"]
    );
    assert_eq!(
        str_list_at(&users, "group_inline_policy_names", i),
        ["devs/devs-inline", "readers/no-secrets"]
    );
    // Attached to both groups, listed once.
    assert_eq!(
        str_list_at(&users, "group_managed_policy_arns", i),
        ["arn:aws:iam::111111111111:policy/only-s3"]
    );
    let created = users
        .column_by_name("create_date")
        .unwrap()
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
        .value(i);
    // 2024-01-10T12:00:00Z
    assert_eq!(created, 1_704_888_000_000_000);
    assert_eq!(
        str_at(&users, "permissions_boundary_arn", at("bob")).as_deref(),
        Some("arn:aws:iam::111111111111:policy/only-s3")
    );
    let j = at("deployer");
    assert_eq!(str_at(&users, "path", j).as_deref(), Some("/ci/"));
    assert!(str_list_at(&users, "groups", j).is_empty());
    assert_eq!(str_at(&users, "owner_team", j), None);
}

#[test]
fn user_decisions_are_the_ones_worked_out_by_hand() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_users(&src);
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let sims = read_table(&lake, "simulations", DATE);
    let users = of_type(&sims, "user");
    // 3 users × 7 default sensitive actions; the roles' rows say role.
    assert_eq!(users.len(), 21);
    assert_eq!(of_type(&sims, "role").len(), sims.num_rows() - 21);
    let got: BTreeMap<(String, String), (String, String)> = users
        .iter()
        .map(|&i| {
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
    // dynamodb:GetItem, iam:CreateRole, iam:PassRole, s3:GetObject,
    // ssm:GetParameter, ssm:GetParameters, sts:AssumeRole.
    let actions = iamlake::config::DEFAULT_SENSITIVE_ACTIONS;
    assert_eq!(actions.len(), 7);
    let allowed = ("allowed", "identity");
    let none = ("implicit_deny", "identity");
    let boundary = ("implicit_deny", "boundary");
    let scp_deny = ("explicit_deny", "scp");
    let expected: [(&str, [(&str, &str); 7]); 3] = [
        // iam-all grants PassRole and CreateRole (the SCP denies the latter);
        // only-s3 through both groups grants s3; devs grants both ssm
        // actions, readers denies GetParameter: the group's deny wins.
        (
            "alice",
            [
                none,
                scp_deny,
                allowed,
                allowed,
                ("explicit_deny", "identity"),
                allowed,
                none,
            ],
        ),
        // AdministratorAccess inside an s3-only boundary.
        (
            "bob",
            [
                boundary, scp_deny, boundary, allowed, boundary, boundary, boundary,
            ],
        ),
        // Nothing granted; the SCP's deny still decides CreateRole.
        ("deployer", [none, scp_deny, none, none, none, none, none]),
    ];
    for (user, row) in expected {
        for (action, (decision, by)) in actions.iter().zip(row) {
            assert_eq!(
                got[&(user.to_string(), action.to_string())],
                (decision.to_string(), by.to_string()),
                "{user} {action}"
            );
        }
    }
    // The deny that decided alice's ssm:GetParameter is the readers group's
    // inline policy, named inline:<group>/<policy>.
    let i = users
        .iter()
        .copied()
        .find(|&i| {
            str_at(&sims, "role_name", i).as_deref() == Some("alice")
                && str_at(&sims, "action", i).as_deref() == Some("ssm:GetParameter")
        })
        .unwrap();
    assert_eq!(
        str_at(&sims, "role_arn", i).as_deref(),
        Some("arn:aws:iam::111111111111:user/alice")
    );
    assert_eq!(
        str_at(&sims, "role_id", i).as_deref(),
        Some("AIDA111111111111ALICE")
    );
    assert_eq!(policy_ids(&sims, i), ["inline:readers/no-secrets"]);
}

#[test]
fn user_policies_name_the_group_they_come_through() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_users(&src);
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let p = read_table(&lake, "role_policies", DATE);
    let mut got: Vec<(String, String, String, Option<String>)> = of_type(&p, "user")
        .into_iter()
        .map(|i| {
            (
                str_at(&p, "role_name", i).unwrap(),
                str_at(&p, "kind", i).unwrap(),
                str_at(&p, "policy_name", i).unwrap(),
                str_at(&p, "via_group", i),
            )
        })
        .collect();
    got.sort();
    let row = |u: &str, k: &str, n: &str, g: Option<&str>| {
        (
            u.to_string(),
            k.to_string(),
            n.to_string(),
            g.map(str::to_string),
        )
    };
    assert_eq!(
        got,
        [
            row("alice", "customer_managed", "iam-all", None),
            row("alice", "customer_managed", "only-s3", Some("devs")),
            row("alice", "customer_managed", "only-s3", Some("readers")),
            row("alice", "inline", "devs-inline", Some("devs")),
            row("alice", "inline", "no-secrets", Some("readers")),
            row("alice", "inline", "own", None),
            row("bob", "aws_managed", "AdministratorAccess", None),
            row("bob", "boundary", "only-s3", None),
        ]
    );
    // Roles' rows: principal_type role, never a group.
    for i in of_type(&p, "role") {
        assert_eq!(str_at(&p, "via_group", i), None);
    }
    assert_eq!(of_type(&p, "role").len() + 8, p.num_rows());

    // Access Advisor: alice's two services, as for a role; bob and
    // deployer had no job output.
    let la = read_table(&lake, "last_accessed", DATE);
    let mut services: Vec<(String, String)> = of_type(&la, "user")
        .into_iter()
        .map(|i| {
            (
                str_at(&la, "role_name", i).unwrap(),
                str_at(&la, "service_namespace", i).unwrap(),
            )
        })
        .collect();
    services.sort();
    assert_eq!(
        services,
        [
            ("alice".to_string(), "s3".to_string()),
            ("alice".to_string(), "ssm".to_string())
        ]
    );
    let u = read_table(&lake, "users", DATE);
    let status: BTreeMap<String, String> = (0..u.num_rows())
        .map(|i| {
            (
                str_at(&u, "user_name", i).unwrap(),
                str_at(&u, "last_accessed_status", i).unwrap(),
            )
        })
        .collect();
    assert_eq!(status["alice"], "ok");
    assert_eq!(status["bob"], "missing");
    assert_eq!(status["deployer"], "missing");
}

/// Adding users changes no number analyze computes about roles.
#[test]
fn users_leave_analyze_role_numbers_unchanged() {
    let work = tempfile::tempdir().unwrap();
    let with = work.path().join("with");
    mini_with_users(&with);
    let (lake_with, lake_without) = (work.path().join("lw"), work.path().join("lo"));
    snapshot_ok(&with, &lake_with, DATE);
    snapshot_ok(&data("mini"), &lake_without, DATE);
    for lake in [&lake_with, &lake_without] {
        iamlake()
            .args(["analyze", "--quiet", "--date", DATE, "--unused-days", "30"])
            .arg("--lake")
            .arg(lake)
            .assert()
            .success();
    }
    for table in ["unused_permissions", "team_summary", "passrole_grants"] {
        let (a, b) = (
            read_table(&lake_with, table, DATE),
            read_table(&lake_without, table, DATE),
        );
        assert_eq!(a, b, "{table}");
        assert!(
            a.num_rows() > 0,
            "{table} is empty: the check proves nothing"
        );
    }
    let (a, b) = (
        read_table(&lake_with, "daily_summary", DATE),
        read_table(&lake_without, "daily_summary", DATE),
    );
    for col in ["roles", "risky_roles", "unused_permissions", "unused_roles"] {
        assert_eq!(a.column_by_name(col), b.column_by_name(col), "{col}");
    }
    // Users are counted in their own column: alice (iam:PassRole and
    // s3:GetObject on *) and bob (s3:GetObject inside his s3 boundary) are
    // risky, deployer is not; all three are in 111111111111.
    let risky_users = |batch: &arrow::record_batch::RecordBatch, account: Option<&str>| {
        let i = (0..batch.num_rows())
            .find(|&i| str_at(batch, "account_id", i).as_deref() == account)
            .unwrap();
        batch
            .column_by_name("risky_users")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int32Type>()
            .value(i)
    };
    assert_eq!(risky_users(&a, None), 2);
    assert_eq!(risky_users(&a, Some("111111111111")), 2);
    assert_eq!(risky_users(&a, Some("222222222222")), 0);
    assert_eq!(risky_users(&b, None), 0);
}

/// A real export's shape, as boto3 dumps it (the shape public IAM tools
/// keep as test data, e.g. cloudsplaining's example authorization details):
/// times with a space (`2019-12-18 19:10:08+00:00`), user ids that are not
/// AIDA…, a user without `UserPolicyList`, a group without `GroupPolicyList`
/// items, AdministratorAccess attached both to a user and to its group, an
/// inline policy whose Resource is a string. Worked out by hand:
/// - pres: AdministratorAccess (its own and admin's: one policy): every
///   action allowed but iam:CreateRole, which the Production SCP denies;
/// - vice: its inline s3 policy and the `vice` group's inline one both
///   allow s3:GetObject (both statements matched); the group's only-s3
///   allows no other sensitive action; nothing allows ssm or sts.
#[test]
fn a_boto3_shaped_export_with_users_and_groups_is_read_as_is() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    let s3_inline = serde_json::json!({"PolicyName": "InsecureUserPolicy", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject"], "Resource": ["*"]}]}});
    with_users(
        &src,
        serde_json::json!([
            {"Path": "/", "UserName": "pres", "UserId": "pres",
             "Arn": "arn:aws:iam::111111111111:user/pres", "CreateDate": "2019-12-18 19:10:08+00:00",
             "GroupList": ["admin"],
             "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                                          "PolicyName": "AdministratorAccess"}],
             "Tags": []},
            {"Path": "/", "UserName": "vice", "UserId": "ASIAZZUSERZZPLACEHOLDER",
             "Arn": "arn:aws:iam::111111111111:user/vice", "CreateDate": "2019-12-18 19:10:08+00:00",
             "GroupList": ["vice"], "UserPolicyList": [s3_inline],
             "AttachedManagedPolicies": [], "Tags": []}
        ]),
        serde_json::json!([
            {"Path": "/", "GroupName": "admin", "GroupId": "admin",
             "Arn": "arn:aws:iam::111111111111:group/admin", "CreateDate": "2017-05-15 17:33:36+00:00",
             "GroupPolicyList": [],
             "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                          "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]},
            {"Path": "/", "GroupName": "vice", "GroupId": "aaaaaaaaabbbbbbbccccccc",
             "Arn": "arn:aws:iam::111111111111:group/vice", "CreateDate": "2017-05-15 17:33:36+00:00",
             "GroupPolicyList": [{"PolicyName": "InlinePolicyForViceGroup", "PolicyDocument": {
                 "Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",
                 "Action": ["s3:GetObject", "s3:PutObjectAcl"], "Resource": "*"}]}}],
             "AttachedManagedPolicies": [{"PolicyName": "only-s3",
                                          "PolicyArn": "arn:aws:iam::111111111111:policy/only-s3"}]}
        ]),
    );
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, DATE);
    let sims = read_table(&lake, "simulations", DATE);
    let decision = |user: &str, action: &str| {
        let i = of_type(&sims, "user")
            .into_iter()
            .find(|&i| {
                str_at(&sims, "role_name", i).as_deref() == Some(user)
                    && str_at(&sims, "action", i).as_deref() == Some(action)
            })
            .unwrap();
        let mut ids = policy_ids(&sims, i);
        // The SCP layer's allows (p-FullAWSAccess at the root, the
        // Production OU and the account) are not the point here.
        ids.retain(|id| !id.starts_with("p-"));
        (str_at(&sims, "decision", i).unwrap(), ids)
    };
    for action in iamlake::config::DEFAULT_SENSITIVE_ACTIONS {
        let (d, ids) = decision("pres", action);
        if *action == "iam:CreateRole" {
            assert_eq!(d, "explicit_deny", "pres {action}");
        } else {
            assert_eq!(d, "allowed", "pres {action}");
            // Attached twice (own and admin's), evaluated once.
            assert_eq!(
                ids,
                ["arn:aws:iam::aws:policy/AdministratorAccess"],
                "{action}"
            );
        }
    }
    let (d, mut ids) = decision("vice", "s3:GetObject");
    ids.sort();
    assert_eq!(d, "allowed");
    assert_eq!(
        ids,
        [
            "arn:aws:iam::111111111111:policy/only-s3",
            "inline:InsecureUserPolicy",
            "inline:vice/InlinePolicyForViceGroup"
        ]
    );
    for action in ["ssm:GetParameter", "sts:AssumeRole", "iam:PassRole"] {
        assert_eq!(decision("vice", action).0, "implicit_deny", "vice {action}");
    }
    // Both users, the space-separated time read as UTC.
    let u = read_table(&lake, "users", DATE);
    assert_eq!(u.num_rows(), 2);
    let created = u
        .column_by_name("create_date")
        .unwrap()
        .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
        .value(0);
    // 2019-12-18T19:10:08Z
    assert_eq!(created, 1_576_696_208_000_000);
}

/// A user in a group the export does not hold (an export filtered to
/// users): the user's group policies are unknown, so the snapshot stops,
/// naming the file, the user and the group; the lake keeps its earlier date.
#[test]
fn a_user_in_a_group_the_export_lacks_fails_naming_file_user_and_group() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    mini_with_users(&src);
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, "2026-09-30");
    let before = tree_bytes(&lake);
    let details = src.join("111111111111/authorization-details.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&details).unwrap()).unwrap();
    doc["GroupDetailList"] = serde_json::json!([]);
    fs::write(&details, doc.to_string()).unwrap();
    let out = iamlake()
        .args(["snapshot", "--quiet", "--date", DATE])
        .arg("--source")
        .arg(format!("fixtures:{}", src.display()))
        .arg("--lake")
        .arg(&lake)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!(
            "{}: user alice: group devs: is not in GroupDetailList",
            details.display()
        )),
        "{stderr}"
    );
    assert_eq!(tree_bytes(&lake), before);
}
