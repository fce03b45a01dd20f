//! Bad input fails with an error naming the file and the field or role, and
//! leaves the lake as it was: no partition readers would take as complete.

use crate::util::*;
use predicates::prelude::*;
use std::fs;
use std::path::Path;

const GOOD_DATE: &str = "2026-10-01";
const NEW_DATE: &str = "2026-10-05";

/// Runs a snapshot of a corrupted copy of mini, both over an existing
/// complete date and for a new date, and checks the error and the lake.
fn fails_cleanly(corrupt: impl Fn(&Path), expected: &[&str]) {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("org");
    copy_tree(&data("mini"), &src);
    let lake = work.path().join("lake");
    snapshot_ok(&src, &lake, GOOD_DATE);
    let before = tree_bytes(&lake);

    corrupt(&src);
    for date in [GOOD_DATE, NEW_DATE] {
        let mut stderr = predicate::str::contains("error:").boxed();
        for e in expected {
            stderr = stderr.and(predicate::str::contains(*e)).boxed();
        }
        iamlake()
            .args(["snapshot", "--quiet", "--date", date])
            .arg(format!("--source=fixtures:{}", src.display()))
            .arg("--lake")
            .arg(&lake)
            .assert()
            .code(1)
            .stderr(stderr);
        // The complete date is byte-for-byte what it was; the new date has
        // neither a manifest nor partition folders; no staging is left.
        assert_eq!(
            tree_bytes(&lake),
            before,
            "lake changed after a failed run for {date}"
        );
        assert!(
            !lake
                .join(format!("_manifests/snapshot_date={NEW_DATE}"))
                .exists()
        );
        assert!(
            !lake
                .join(format!("roles/snapshot_date={NEW_DATE}"))
                .exists()
        );
        assert!(!lake.join("_staging").exists());
    }
}

#[test]
fn truncated_json_names_the_file_and_position() {
    fails_cleanly(
        |src| {
            let p = src.join("222222222222/authorization-details.json");
            let text = fs::read_to_string(&p).unwrap();
            fs::write(&p, &text[..text.len() / 2]).unwrap();
        },
        &[
            "222222222222/authorization-details.json",
            "not valid JSON",
            "line ",
        ],
    );
}

#[test]
fn wrong_shape_names_the_field() {
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v["RoleDetailList"][1]["RoleName"] = serde_json::json!(42);
            fs::write(&p, v.to_string()).unwrap();
        },
        &[
            "111111111111/authorization-details.json",
            "RoleDetailList[1].RoleName",
            "expected a string",
        ],
    );
}

#[test]
fn wrong_shape_in_a_page_names_the_page() {
    fails_cleanly(
        |src| {
            let p = src.join("222222222222/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v[1]["RoleDetailList"][0]
                .as_object_mut()
                .unwrap()
                .remove("CreateDate");
            fs::write(&p, v.to_string()).unwrap();
        },
        &[
            "222222222222/authorization-details.json",
            "[1].RoleDetailList[0]",
            "CreateDate",
        ],
    );
}

#[test]
fn account_without_authorization_details_is_named() {
    fails_cleanly(
        |src| fs::remove_file(src.join("222222222222/authorization-details.json")).unwrap(),
        &[
            "account 222222222222",
            "authorization-details.json is missing",
        ],
    );
}

#[test]
fn policy_that_is_not_json_names_the_role_and_policy() {
    fails_cleanly(
        |src| {
            let p = src.join("222222222222/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v[0]["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"] =
                serde_json::json!("{\"Version\": \"2012-10-17\", \"Statement\": [");
            fs::write(&p, v.to_string()).unwrap();
        },
        &[
            "222222222222/authorization-details.json",
            "role ci",
            "inline policy \"deploy\"",
            "not valid JSON",
        ],
    );
}

#[test]
fn policy_with_an_unknown_operator_names_role_policy_and_statement() {
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v["RoleDetailList"][1]["RolePolicyList"][0]["PolicyDocument"]["Statement"][1]["Condition"] =
                serde_json::json!({"StringEqualz": {"aws:SourceVpc": "vpc-1"}});
            fs::write(&p, v.to_string()).unwrap();
        },
        &["role app", "inline:app-access", "StringEqualz"],
    );
}

#[test]
fn attached_policy_missing_from_the_file_is_named() {
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v["Policies"].as_array_mut().unwrap().remove(1);
            fs::write(&p, v.to_string()).unwrap();
        },
        &[
            "role bounded",
            "arn:aws:iam::111111111111:policy/iam-all",
            "not in the file's Policies list",
        ],
    );
}

#[test]
fn not_a_fixture_folder() {
    let work = tempfile::tempdir().unwrap();
    iamlake()
        .args(["snapshot", "--quiet", "--date", GOOD_DATE])
        .arg(format!("--source=fixtures:{}", work.path().display()))
        .arg("--lake")
        .arg(work.path().join("lake"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("not a fixtures folder")
                .and(predicate::str::contains("organization/accounts.json")),
        );
    assert!(!work.path().join("lake").exists() || tree_bytes(&work.path().join("lake")).is_empty());
}
