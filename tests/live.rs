//! `snapshot --source aws` through the real binary against the emulator on
//! 127.0.0.1 (moto in server mode behind tests/emulator/front.py, which adds
//! Access Advisor and fault injection): the lake equals what was seeded, and
//! an account whose AssumeRole is denied makes a partial snapshot, not a
//! failed one. Never real AWS: every request goes to --endpoint-url.

use crate::util::*;
use predicates::prelude::*;

#[path = "emulator/harness.rs"]
mod harness;
use harness::Emulator;

fn live_snapshot(emu: &Emulator, lake: &std::path::Path, date: &str) -> assert_cmd::assert::Assert {
    iamlake()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .args([
            "snapshot",
            "--quiet",
            "--source",
            "aws",
            "--region",
            "us-east-1",
            "--job-timeout",
            "120",
        ])
        .args(["--endpoint-url", &emu.endpoint])
        .args(["--external-id", emu.seeded["external_id"].as_str().unwrap()])
        .args(["--date", date])
        .arg("--lake")
        .arg(lake)
        .assert()
}

#[test]
fn live_snapshot_equals_the_seeded_organization_and_isolates_a_denied_account() {
    let emu = Emulator::start();
    let lake = tempfile::tempdir().unwrap();
    live_snapshot(&emu, lake.path(), "2026-11-01").success();

    let m = manifest(lake.path(), "2026-11-01");
    assert_eq!(m["status"], "complete");
    assert_eq!(m["source"], "aws");
    let seeded_roles = emu.seeded["roles"].as_object().unwrap();
    let accounts = m["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), seeded_roles.len());
    let roles = read_table(lake.path(), "roles", "2026-11-01");
    for (account, names) in seeded_roles {
        let mut want: Vec<String> = names
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        let mut got: Vec<String> = (0..roles.num_rows())
            .filter(|&i| str_at(&roles, "account_id", i).as_deref() == Some(account.as_str()))
            .map(|i| str_at(&roles, "role_name", i).unwrap())
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "account {account}");
    }
    let per_role = m["metrics"]["iam_calls_per_role"].as_f64().unwrap();
    assert!(per_role <= 2.05, "{per_role} IAM calls per role");
    assert!(
        m["metrics"]["api_calls:iam:GetAccountAuthorizationDetails"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    assert!(m["tables"]["last_accessed"]["rows"].as_u64().unwrap() > 0);
    assert!(
        iamlake::lake::lint::lint_lake(lake.path())
            .unwrap()
            .is_empty()
    );

    // AssumeRole denied in one account: the others are collected, the run
    // is partial (exit 3) and the manifest says which account and why.
    let denied = emu.seeded["accounts"]
        .as_object()
        .unwrap()
        .keys()
        .find(|a| *a != emu.seeded["management"].as_str().unwrap())
        .unwrap()
        .clone();
    emu.control(
        "POST",
        "faults",
        &serde_json::json!({"deny_assume_role": [denied]}),
    );
    live_snapshot(&emu, lake.path(), "2026-11-02")
        .code(3)
        .stderr(predicate::str::contains(format!(
            "account {denied} was not collected"
        )));
    let m = manifest(lake.path(), "2026-11-02");
    assert_eq!(m["status"], "partial");
    let failed: Vec<&serde_json::Value> = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["account_id"], denied.as_str());
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("AssumeRole"),
        "{}",
        failed[0]["reason"]
    );
    let ok = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "ok")
        .count();
    assert_eq!(ok, seeded_roles.len() - 1);
}
