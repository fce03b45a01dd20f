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

/// A byte that is not UTF-8 inside a string makes the file invalid JSON,
/// reported with the file, line and column like any other syntax error (files
/// are checked as UTF-8 whole before they are parsed as text).
#[test]
fn a_non_utf8_byte_names_the_file_and_position() {
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/last-accessed/app.json");
            let text = fs::read_to_string(&p).unwrap();
            let at = text.find("\"s3\"").expect("the file names s3") + 2;
            let mut bytes = text.into_bytes();
            bytes[at] = 0xff;
            fs::write(&p, bytes).unwrap();
        },
        &[
            "111111111111/last-accessed/app.json",
            "not valid JSON",
            "line ",
        ],
    );
}

/// The typed parse stops at the first wrong field; a file that is also cut short further
/// on is still reported as not JSON at all (the question to fix first), and so is a
/// document followed by anything but whitespace.
#[test]
fn a_wrong_shape_in_a_truncated_file_is_reported_as_invalid_json() {
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/authorization-details.json");
            let mut v: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            v["RoleDetailList"][0]["RoleName"] = serde_json::json!(42);
            let text = serde_json::to_string_pretty(&v).unwrap();
            fs::write(&p, &text[..text.len() - 40]).unwrap();
        },
        &[
            "111111111111/authorization-details.json",
            "not valid JSON",
            "line ",
        ],
    );
    fails_cleanly(
        |src| {
            let p = src.join("111111111111/authorization-details.json");
            let mut text = fs::read_to_string(&p).unwrap();
            text.push_str("\n{}");
            fs::write(&p, text).unwrap();
        },
        &[
            "111111111111/authorization-details.json",
            "not valid JSON",
            "trailing characters",
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
fn an_rcp_that_does_not_parse_names_its_file_and_id() {
    fails_cleanly(
        |src| {
            write_rcp(
                src,
                "p-badrcp",
                serde_json::json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                    "Resource": "*", "Condition": {"Boool": {"aws:SecureTransport": "false"}}}]),
                &["111111111111"],
            )
        },
        &["organization/rcps/p-badrcp.json", "RCP p-badrcp", "Boool"],
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

/// A credential report as `aws iam get-credential-report` decodes it.
const CREDENTIAL_REPORT: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111111111111:root,2019-03-01T09:00:00+00:00,not_supported,2026-09-30T08:15:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111111111111:user/alice,2024-01-10T12:00:00+00:00,true,2026-09-29T10:00:00+00:00,2024-01-10T12:05:00+00:00,N/A,false,true,2024-01-10T12:10:00+00:00,2026-09-01T00:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

#[test]
fn truncated_credential_report_names_the_file_and_line() {
    fails_cleanly(
        |src| {
            // Cut in the middle of alice's line, as a broken download does.
            let cut = &CREDENTIAL_REPORT[..CREDENTIAL_REPORT.find(",eu-west-1").unwrap()];
            fs::write(src.join("111111111111/credential_report.csv"), cut).unwrap();
        },
        &[
            "111111111111/credential_report.csv: line 3:",
            "11 fields where the header has 22",
        ],
    );
}

#[test]
fn credential_report_with_an_unknown_column_names_it() {
    fails_cleanly(
        |src| {
            let text = CREDENTIAL_REPORT.replacen(
                "cert_2_last_rotated",
                "cert_2_last_rotated,access_key_3_active",
                1,
            );
            fs::write(src.join("111111111111/credential_report.csv"), text).unwrap();
        },
        &[
            "111111111111/credential_report.csv: line 1:",
            "unknown column \"access_key_3_active\"",
        ],
    );
}
