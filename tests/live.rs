//! `snapshot --source aws` through the real binary against the emulator on
//! 127.0.0.1 (moto in server mode behind tests/emulator/front.py, which adds
//! Access Advisor and fault injection): the lake equals what was seeded, an
//! account whose AssumeRole is denied makes a partial snapshot, not a failed
//! one, and a run that collects too few accounts is refused and leaves the
//! lake byte for byte as it was. Never real AWS: every request goes to
//! --endpoint-url.

use crate::util::*;
use predicates::prelude::*;

#[path = "emulator/harness.rs"]
mod harness;
use harness::Emulator;

fn live_snapshot(emu: &Emulator, lake: &std::path::Path, date: &str) -> assert_cmd::assert::Assert {
    live_command(emu, lake, date, emu.seeded["external_id"].as_str().unwrap()).assert()
}

/// `snapshot --source aws --quiet` against the emulator; add flags.
fn live_command(
    emu: &Emulator,
    lake: &std::path::Path,
    date: &str,
    external_id: &str,
) -> assert_cmd::Command {
    live_command_timeout(emu, lake, date, external_id, "120")
}

/// As [`live_command`], waiting `job_timeout` seconds for Access Advisor jobs.
fn live_command_timeout(
    emu: &Emulator,
    lake: &std::path::Path,
    date: &str,
    external_id: &str,
    job_timeout: &str,
) -> assert_cmd::Command {
    let mut cmd = iamlake();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
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
            job_timeout,
        ])
        .args(["--endpoint-url", &emu.endpoint])
        .args(["--external-id", external_id])
        .args(["--date", date])
        .arg("--lake")
        .arg(lake);
    cmd
}

/// The seeded account id named `name`.
fn account_named(emu: &Emulator, name: &str) -> String {
    emu.seeded["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, n)| n.as_str() == Some(name))
        .unwrap_or_else(|| panic!("no seeded account {name}"))
        .0
        .clone()
}

/// Asserts the lake holds exactly `before`: same files, same bytes, and no
/// staging or trash folder left behind.
fn assert_unchanged(
    lake: &std::path::Path,
    before: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) {
    let after = tree_bytes(lake);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the lake's files changed"
    );
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{} changed", path.display());
    }
    for internal in ["_staging", "_trash"] {
        assert!(!lake.join(internal).exists(), "{internal} left behind");
    }
}

/// The `event` JSON lines of a `--log-format json` stderr.
fn events(stderr: &str, event: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == event)
        .collect()
}

#[test]
fn a_run_that_collects_too_little_is_refused_and_failed_accounts_keep_their_names() {
    let emu = Emulator::start();
    let lake = tempfile::tempdir().unwrap();
    let external_id = emu.seeded["external_id"].as_str().unwrap().to_string();
    let seeded_accounts = emu.seeded["accounts"].as_object().unwrap().len();
    let root = emu.seeded["root"].as_str().unwrap().to_string();
    let workloads = emu.seeded["ous"]["workloads"].as_str().unwrap().to_string();
    let prod = emu.seeded["ous"]["prod"].as_str().unwrap().to_string();
    live_snapshot(&emu, lake.path(), "2026-11-01").success();
    let m = manifest(lake.path(), "2026-11-01");
    assert_eq!(m["status"], "complete");
    // Collected accounts carry their place in the organization.
    let ou_of = |m: &serde_json::Value, id: &str| {
        m["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account_id"] == id)
            .unwrap_or_else(|| panic!("account {id} not in the manifest"))["ou_path"]
            .clone()
    };
    let big = account_named(&emu, "big");
    let small_a = account_named(&emu, "small-a");
    assert_eq!(
        ou_of(&m, &big),
        format!("{root}/{workloads}/{prod}").as_str()
    );
    assert_eq!(ou_of(&m, &small_a), format!("{root}/{workloads}").as_str());
    assert_eq!(
        ou_of(&m, emu.seeded["management"].as_str().unwrap()),
        root.as_str()
    );

    // (a) A wrong external id: every AssumeRole is refused. Re-running the
    // date must not replace its good snapshot with an empty one, nor add a
    // new date that looks like every role was deleted.
    emu.control(
        "POST",
        "faults",
        &serde_json::json!({"external_id": external_id}),
    );
    let before = tree_bytes(lake.path());
    let needed = seeded_accounts.div_ceil(2);
    live_command(&emu, lake.path(), "2026-11-01", "wrong-external-id")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "snapshot 2026-11-01 refused: 0 of {seeded_accounts} accounts collected (no earlier complete snapshot to compare with; --min-accounts-ok 0.5 needs {needed}); the lake is unchanged; --allow-partial publishes it anyway"
        )))
        .stderr(predicate::str::contains(format!(
            "warning: account {small_a} (\"small-a\", OU path {root}/{workloads}) was not collected: sts:AssumeRole:"
        )));
    assert_unchanged(lake.path(), &before);
    let out = live_command(&emu, lake.path(), "2026-11-02", "wrong-external-id")
        .args(["--log-format", "json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_unchanged(lake.path(), &before);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let refused = events(&stderr, "snapshot_refused");
    assert_eq!(refused.len(), 1, "{stderr}");
    let r = &refused[0];
    assert_eq!(r["snapshot_date"], "2026-11-02");
    assert_eq!(r["accounts_ok"], 0);
    assert_eq!(r["accounts_attempted"], seeded_accounts);
    assert_eq!(r["baseline_source"], "previous_complete_snapshot");
    assert_eq!(r["baseline_date"], "2026-11-01");
    assert_eq!(r["baseline_accounts"], seeded_accounts);
    assert_eq!(r["accounts_needed"], needed);
    assert_eq!(r["min_accounts_ok"], 0.5);
    assert!(
        r["message"].as_str().unwrap().contains(&format!(
            "(previous complete snapshot 2026-11-01 had {seeded_accounts};"
        )),
        "{r}"
    );
    assert_eq!(
        events(&stderr, "account_failed").len(),
        seeded_accounts,
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing was published, so no snapshot_done"
    );
    emu.control("POST", "reset", &serde_json::json!({}));

    // (b) One account denied, under the default minimum: published partial,
    // and the denied account keeps the name and OU path ListAccounts and
    // Organizations give it, in the manifest and in the JSON log.
    emu.control(
        "POST",
        "faults",
        &serde_json::json!({"deny_assume_role": [small_a]}),
    );
    let out = live_command(&emu, lake.path(), "2026-11-02", &external_id)
        .args(["--log-format", "json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let m = manifest(lake.path(), "2026-11-02");
    assert_eq!(m["status"], "partial");
    let failed: Vec<&serde_json::Value> = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["account_id"], small_a.as_str());
    assert_eq!(failed[0]["account_name"], "small-a");
    assert_eq!(failed[0]["ou_path"], format!("{root}/{workloads}").as_str());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines = events(&stderr, "account_failed");
    assert_eq!(lines.len(), 1, "{stderr}");
    assert_eq!(lines[0]["account_id"], small_a.as_str());
    assert_eq!(lines[0]["account_name"], "small-a");
    assert_eq!(lines[0]["ou_path"], format!("{root}/{workloads}").as_str());
    assert!(lines[0]["reason"].as_str().unwrap().contains("AssumeRole"));

    // (c) The same failure under a stricter minimum: 4 of 5 is below 0.9 of
    // the previous complete snapshot, so the run is refused and the lake
    // unchanged; --allow-partial publishes it as before (partial, exit 3).
    let before = tree_bytes(lake.path());
    let ok = seeded_accounts - 1;
    live_command(&emu, lake.path(), "2026-11-03", &external_id)
        .args(["--min-accounts-ok", "0.9"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "snapshot 2026-11-03 refused: {ok} of {seeded_accounts} accounts collected (previous complete snapshot 2026-11-01 had {seeded_accounts}; --min-accounts-ok 0.9 needs {seeded_accounts})"
        )));
    assert_unchanged(lake.path(), &before);
    live_command(&emu, lake.path(), "2026-11-03", &external_id)
        .args(["--min-accounts-ok", "0.9", "--allow-partial"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "account {small_a} (\"small-a\", OU path {root}/{workloads}) was not collected"
        )));
    let m = manifest(lake.path(), "2026-11-03");
    assert_eq!(m["status"], "partial");
    assert_eq!(
        m["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "ok")
            .count(),
        ok
    );
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
    // The budget is per principal (roles and IAM users, issue 14): the two
    // credential-report calls per account are spread over both.
    let per_principal = m["metrics"]["iam_calls_per_principal"].as_f64().unwrap();
    assert!(
        per_principal <= 2.05,
        "{per_principal} IAM calls per principal"
    );
    assert!(
        m["metrics"]["api_calls:iam:GetAccountAuthorizationDetails"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
    assert!(m["tables"]["last_accessed"]["rows"].as_u64().unwrap() > 0);
    // The credential report of every account, as seeded (moto's report has
    // no root line), through GenerateCredentialReport / GetCredentialReport.
    let creds = read_table(lake.path(), "credentials", "2026-11-01");
    let seeded_users = emu.seeded["users"].as_object().unwrap();
    let mut want: Vec<(String, String)> = seeded_users
        .iter()
        .flat_map(|(a, users)| {
            users
                .as_object()
                .unwrap()
                .keys()
                .map(move |u| (a.clone(), u.clone()))
        })
        .collect();
    let mut got: Vec<(String, String)> = (0..creds.num_rows())
        .map(|i| {
            (
                str_at(&creds, "account_id", i).unwrap(),
                str_at(&creds, "user", i).unwrap(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // The same users from the authorization details, alice in group devs.
    let users = read_table(lake.path(), "users", "2026-11-01");
    let mut from_details: Vec<(String, String)> = (0..users.num_rows())
        .map(|i| {
            (
                str_at(&users, "account_id", i).unwrap(),
                str_at(&users, "user_name", i).unwrap(),
            )
        })
        .collect();
    from_details.sort();
    assert_eq!(from_details, want);
    use arrow::array::AsArray;
    let groups = users.column_by_name("groups").unwrap().as_list::<i32>();
    for i in 0..users.num_rows() {
        let list = groups.value(i);
        let names: Vec<&str> = list.as_string::<i32>().iter().flatten().collect();
        let alice = str_at(&users, "user_name", i).as_deref() == Some("alice");
        assert_eq!(names, if alice { vec!["devs"] } else { vec![] });
        // Every user's Access Advisor job completed (jobs on user ARNs).
        assert_eq!(
            str_at(&users, "last_accessed_status", i).as_deref(),
            Some("ok")
        );
    }
    // Users' rows in last_accessed and simulations, principal_type user:
    // alice's seeded S3 and SQS services in every account; a decision per
    // user and sensitive action; alice's group policies as her rows.
    let la = read_table(lake.path(), "last_accessed", "2026-11-01");
    let mut alice_services: Vec<(String, String)> = (0..la.num_rows())
        .filter(|&i| str_at(&la, "principal_type", i).as_deref() == Some("user"))
        .map(|i| {
            assert_eq!(str_at(&la, "role_name", i).as_deref(), Some("alice"));
            (
                str_at(&la, "account_id", i).unwrap(),
                str_at(&la, "service_namespace", i).unwrap(),
            )
        })
        .collect();
    alice_services.sort();
    let mut want_services: Vec<(String, String)> = seeded_users
        .keys()
        .flat_map(|a| {
            [
                (a.clone(), "s3".to_string()),
                (a.clone(), "sqs".to_string()),
            ]
        })
        .collect();
    want_services.sort();
    assert_eq!(alice_services, want_services);
    let sims = read_table(lake.path(), "simulations", "2026-11-01");
    let user_sims = (0..sims.num_rows())
        .filter(|&i| str_at(&sims, "principal_type", i).as_deref() == Some("user"))
        .count();
    let actions = m["sensitive_actions"].as_array().unwrap().len();
    assert_eq!(user_sims, want.len() * actions);
    let p = read_table(lake.path(), "role_policies", "2026-11-01");
    let via_devs = (0..p.num_rows())
        .filter(|&i| {
            str_at(&p, "principal_type", i).as_deref() == Some("user")
                && str_at(&p, "via_group", i).as_deref() == Some("devs")
        })
        .count();
    // devs: one inline and one managed policy, alice in every account.
    assert_eq!(via_devs, 2 * seeded_users.len());
    assert!(
        m["metrics"]["api_calls:iam:GetCredentialReport"]
            .as_f64()
            .unwrap()
            >= 1.0
    );
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
        .stderr(predicate::str::contains(format!("account {denied} (")))
        .stderr(predicate::str::contains(
            ") was not collected: sts:AssumeRole:",
        ));
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

/// Numbers of one `daily_summary` row, by account id (`None`: organization).
fn daily_row(lake: &std::path::Path, date: &str, account: Option<&str>) -> DailyNumbers {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Date32Type, Int32Type};
    let t = read_table(lake, "daily_summary", date);
    let row = (0..t.num_rows())
        .find(|&i| str_at(&t, "account_id", i).as_deref() == account)
        .unwrap_or_else(|| panic!("{date}: no daily_summary row for {account:?}"));
    let int = |c: &str| {
        t.column_by_name(c)
            .unwrap()
            .as_primitive::<Int32Type>()
            .value(row)
    };
    let dates = t
        .column_by_name("data_date")
        .unwrap()
        .as_primitive::<Date32Type>();
    DailyNumbers {
        counts: [
            int("roles"),
            int("risky_roles"),
            int("unused_permissions"),
            int("unused_open"),
            int("unowned_roles"),
        ],
        account_status: str_at(&t, "account_status", row),
        account_name: str_at(&t, "account_name", row),
        data_date: (!dates.is_null(row)).then(|| dates.value(row)),
        carried: [int("accounts_carried"), int("roles_access_carried")],
    }
}

#[derive(Debug, PartialEq)]
struct DailyNumbers {
    /// roles, risky_roles, unused_permissions, unused_open, unowned_roles
    counts: [i32; 5],
    account_status: Option<String>,
    account_name: Option<String>,
    data_date: Option<i32>,
    /// accounts_carried, roles_access_carried
    carried: [i32; 2],
}

#[test]
fn a_partial_day_between_two_good_days_bends_no_delta_and_no_count() {
    let emu = Emulator::start();
    let lake = tempfile::tempdir().unwrap();
    let external_id = emu.seeded["external_id"].as_str().unwrap().to_string();
    // After the emulator's roles were created (today), so that the
    // 30-day threshold judges them rather than their grace period.
    let days = ["2027-03-01", "2027-03-02", "2027-03-03"];
    let denied = account_named(&emu, "small-a");
    let other = account_named(&emu, "small-b");
    let analyze = |day: &str| {
        let out = iamlake()
            .args(["analyze", "--date", day, "--unused-days", "30"])
            .arg("--lake")
            .arg(lake.path())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let role_unused = |t: &arrow::record_batch::RecordBatch, arn: &str| {
        (0..t.num_rows())
            .filter(|&i| str_at(t, "role_arn", i).as_deref() == Some(arn))
            .count()
    };

    live_snapshot(&emu, lake.path(), days[0]).success();
    let mut summaries = vec![analyze(days[0])];
    // Something is unused at all, or the comparisons below prove nothing;
    // the role whose job will time out is one of small-b's with findings.
    let org1 = daily_row(lake.path(), days[0], None);
    assert!(org1.counts[2] > 0, "{org1:?}");
    let unused1 = read_table(lake.path(), "unused_permissions", days[0]);
    let slow = (0..unused1.num_rows())
        .find(|&i| str_at(&unused1, "account_id", i).as_deref() == Some(other.as_str()))
        .expect("small-b has unused permissions");
    let slow_role = str_at(&unused1, "role_name", slow).unwrap();
    let slow_arn = str_at(&unused1, "role_arn", slow).unwrap();

    // Day 2: small-a's AssumeRole denied, and one role of small-b whose
    // Access Advisor job never finishes.
    emu.control(
        "POST",
        "faults",
        &serde_json::json!({
            "deny_assume_role": [denied],
            "never_finish": [slow_arn],
        }),
    );
    live_command_timeout(&emu, lake.path(), days[1], &external_id, "3")
        .assert()
        .code(3);
    emu.control("POST", "reset", &serde_json::json!({}));
    live_snapshot(&emu, lake.path(), days[2]).success();

    let roles = read_table(lake.path(), "roles", days[1]);
    let statuses: Vec<(String, String)> = (0..roles.num_rows())
        .map(|i| {
            (
                str_at(&roles, "role_name", i).unwrap(),
                str_at(&roles, "last_accessed_status", i).unwrap(),
            )
        })
        .filter(|(_, st)| st != "ok")
        .collect();
    assert_eq!(statuses, [(slow_role.clone(), "timed_out".to_string())]);

    summaries.extend(days[1..].iter().map(|d| analyze(d)));
    assert!(
        summaries[1].contains(&format!(
            "account {denied} (small-a): not collected on {}, data from {}",
            days[1], days[0]
        )),
        "{}",
        summaries[1]
    );
    assert!(summaries[1].contains("-0 resolved"), "{}", summaries[1]);

    // No spurious change on the partial day nor on the good day after it.
    for day in &days[1..] {
        let deltas = read_table(lake.path(), "unused_deltas", day);
        let changes: Vec<(Option<String>, Option<String>)> = (0..deltas.num_rows())
            .map(|i| {
                (
                    str_at(&deltas, "change", i),
                    str_at(&deltas, "resolution", i),
                )
            })
            .collect();
        assert_eq!(changes, [], "{day}: the data did not change");
    }

    // The same counts every day, for the organization and every account;
    // the failed account says where its numbers come from.
    let day1 = chrono::NaiveDate::parse_from_str(days[0], "%Y-%m-%d").unwrap();
    let day1 = (day1 - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
    let org2 = daily_row(lake.path(), days[1], None);
    assert_eq!(org2.counts, org1.counts);
    let denied_roles = daily_row(lake.path(), days[1], Some(&denied)).counts[0];
    assert!(denied_roles > 0);
    assert_eq!(
        org2.carried,
        [1, denied_roles + 1],
        "small-a carried; its roles and the timed-out role judged on day 1's Access Advisor data"
    );
    for account in emu.seeded["accounts"].as_object().unwrap().keys() {
        let [a1, a2, a3] = days.map(|d| daily_row(lake.path(), d, Some(account)));
        assert_eq!(a2.counts, a1.counts, "account {account}");
        assert_eq!(a3.counts, a1.counts, "account {account}");
        if *account == denied {
            assert_eq!(a2.account_status.as_deref(), Some("carried"));
            assert_eq!(a2.data_date, Some(day1));
            assert_eq!(a2.account_name.as_deref(), Some("small-a"));
        } else {
            assert_eq!(a2.account_status.as_deref(), Some("ok"));
        }
    }
    // Team counts too: every team the same on all three days.
    let teams = |day: &str| {
        use arrow::array::AsArray;
        use arrow::datatypes::Int32Type;
        let t = read_table(lake.path(), "team_summary", day);
        let int = |c: &str, i: usize| {
            t.column_by_name(c)
                .unwrap()
                .as_primitive::<Int32Type>()
                .value(i)
        };
        let mut rows: Vec<(String, [i32; 4])> = (0..t.num_rows())
            .map(|i| {
                (
                    str_at(&t, "owner_team", i).unwrap(),
                    [
                        int("roles", i),
                        int("risky_roles", i),
                        int("unused_open", i),
                        int("passrole_roles", i),
                    ],
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(teams(days[1]), teams(days[0]));
    assert_eq!(teams(days[2]), teams(days[0]));
    // The timed-out role's unused permissions are the ones of day 1, dated so.
    let unused2 = read_table(lake.path(), "unused_permissions", days[1]);
    assert_eq!(
        role_unused(&unused2, &slow_arn),
        role_unused(&unused1, &slow_arn)
    );
    {
        use arrow::array::AsArray;
        use arrow::datatypes::Date32Type;
        let dd = unused2
            .column_by_name("data_date")
            .unwrap()
            .as_primitive::<Date32Type>();
        for i in 0..unused2.num_rows() {
            let carried = str_at(&unused2, "account_id", i).as_deref() == Some(denied.as_str())
                || str_at(&unused2, "role_arn", i).as_deref() == Some(slow_arn.as_str());
            assert_eq!(dd.value(i) == day1, carried, "row {i}");
        }
    }

    // The report says it, visibly.
    let html = lake.path().join("report.html");
    iamlake()
        .args(["report", "--date", days[1]])
        .arg("--lake")
        .arg(lake.path())
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"data-gaps\""));
    assert!(page.contains(&format!("data from {}", days[0])));
}
