//! Tests for the fixture generator: determinism, layout and shapes, day-to-day churn, and the URL-encoded / paged variants readers must handle.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use crate::generate::{GenerateConfig, Progress, generate};

fn config(out: &Path, accounts: u32, roles: u32, days: u32) -> GenerateConfig {
    GenerateConfig {
        accounts,
        roles_per_account: roles,
        days,
        skip_days: 0,
        seed: 42,
        start_date: NaiveDate::from_ymd_opt(2026, 3, 1).expect("valid date"),
        out: out.to_path_buf(),
    }
}

fn run(cfg: &GenerateConfig) -> crate::generate::Summary {
    generate(cfg, &mut |_| {}).expect("generate")
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).expect("prefix").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn read_json(p: &Path) -> Value {
    let text = fs::read_to_string(p).expect("read");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn has_keys(v: &Value, want: &[&str], what: &Path) {
    let k = keys(v);
    for w in want {
        assert!(k.contains(*w), "{} lacks {w}: {k:?}", what.display());
    }
}

/// Role details of an authorization-details file, merged across pages.
fn role_details(v: &Value) -> Vec<Value> {
    let pages: Vec<&Value> = match v {
        Value::Array(pages) => pages.iter().collect(),
        other => vec![other],
    };
    pages
        .iter()
        .flat_map(|p| p["RoleDetailList"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn policy_docs(v: &Value) -> Vec<Value> {
    let pages: Vec<&Value> = match v {
        Value::Array(pages) => pages.iter().collect(),
        other => vec![other],
    };
    let mut docs = Vec::new();
    for p in pages {
        for r in p["RoleDetailList"].as_array().into_iter().flatten() {
            docs.push(r["AssumeRolePolicyDocument"].clone());
            for ip in r["RolePolicyList"].as_array().into_iter().flatten() {
                docs.push(ip["PolicyDocument"].clone());
            }
        }
        for pol in p["Policies"].as_array().into_iter().flatten() {
            for v in pol["PolicyVersionList"].as_array().into_iter().flatten() {
                docs.push(v["Document"].clone());
            }
        }
    }
    docs
}

#[test]
fn same_config_gives_identical_bytes() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let sa = run(&config(a.path(), 3, 25, 4));
    let sb = run(&config(b.path(), 3, 25, 4));
    assert_eq!(sa, sb);
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()));
    assert_eq!(fa.len() as u64, sa.files);
    for f in &fa {
        assert_eq!(
            fs::read(a.path().join(f)).expect("read"),
            fs::read(b.path().join(f)).expect("read"),
            "{} differs",
            f.display()
        );
    }
    // A different seed gives a different organization.
    let c = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(c.path(), 3, 25, 1);
    cfg.seed = 7;
    run(&cfg);
    assert_ne!(
        fs::read(a.path().join("2026-03-01/organization/accounts.json")).expect("read"),
        fs::read(c.path().join("2026-03-01/organization/accounts.json")).expect("read"),
    );
}

#[test]
fn small_config_has_layout_and_shapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 2, 10, 3);
    let mut progress: Vec<Progress> = Vec::new();
    let summary = generate(&cfg, &mut |p| progress.push(p)).expect("generate");
    assert_eq!(progress.len(), 6);
    assert_eq!((summary.days, summary.accounts), (3, 2));
    let all = files(dir.path());
    assert_eq!(summary.files, all.len() as u64);
    let bytes: u64 = all
        .iter()
        .map(|f| fs::metadata(dir.path().join(f)).expect("meta").len())
        .sum();
    assert_eq!(summary.bytes, bytes);
    assert!(all.iter().all(|f| !f.to_string_lossy().ends_with(".tmp")));

    let fixture = read_json(&dir.path().join("fixture.json"));
    assert_eq!(fixture["generator"], "iamlake");
    assert_eq!(fixture["seed"], 42);
    assert_eq!(
        fixture["days"],
        serde_json::json!(["2026-03-01", "2026-03-02", "2026-03-03"])
    );

    let mut roles_last_day = 0u64;
    for day in ["2026-03-01", "2026-03-02", "2026-03-03"] {
        let d = dir.path().join(day);
        let org = d.join("organization");
        let accounts = read_json(&org.join("accounts.json"));
        let list = accounts["Accounts"].as_array().expect("Accounts");
        assert_eq!(list.len(), 2);
        for a in list {
            has_keys(
                a,
                &[
                    "Id",
                    "Arn",
                    "Email",
                    "Name",
                    "Status",
                    "JoinedMethod",
                    "JoinedTimestamp",
                ],
                &org,
            );
            assert_eq!(a["Id"].as_str().expect("id").len(), 12);
        }
        let tree = read_json(&org.join("tree.json"));
        has_keys(&tree, &["Roots", "OrganizationalUnits", "Accounts"], &org);
        let scps = files(&org.join("scps"));
        assert_eq!(scps.len(), 3);
        for s in &scps {
            let p = org.join("scps").join(s);
            let v = read_json(&p);
            has_keys(&v, &["Policy", "Targets"], &p);
            has_keys(&v["Policy"], &["PolicySummary", "Content"], &p);
            let content: Value =
                serde_json::from_str(v["Policy"]["Content"].as_str().expect("content"))
                    .expect("content is JSON");
            has_keys(&content, &["Version", "Statement"], &p);
        }

        for a in list {
            let id = a["Id"].as_str().expect("id");
            let ad = d.join(id);
            let auth = read_json(&ad.join("authorization-details.json"));
            let first = match &auth {
                Value::Array(pages) => pages[0].clone(),
                v => v.clone(),
            };
            has_keys(
                &first,
                &[
                    "UserDetailList",
                    "GroupDetailList",
                    "RoleDetailList",
                    "Policies",
                ],
                &ad,
            );
            let details = role_details(&auth);
            for r in &details {
                has_keys(
                    r,
                    &[
                        "Path",
                        "RoleName",
                        "RoleId",
                        "Arn",
                        "CreateDate",
                        "AssumeRolePolicyDocument",
                        "InstanceProfileList",
                        "RolePolicyList",
                        "AttachedManagedPolicies",
                        "Tags",
                        "RoleLastUsed",
                    ],
                    &ad,
                );
                let rid = r["RoleId"].as_str().expect("RoleId");
                assert!(rid.starts_with("AROA") && rid.len() == 21, "{rid}");
            }
            let roles = read_json(&ad.join("roles.json"));
            let listed = roles["Roles"].as_array().expect("Roles");
            assert_eq!(listed.len(), details.len());
            for r in listed {
                has_keys(r, &["RoleName", "RoleId", "Arn", "MaxSessionDuration"], &ad);
            }
            // Users and groups in AWS's shape, on the first page; one Access
            // Advisor file per user under last-accessed/users/.
            let users = first["UserDetailList"].as_array().expect("users");
            assert!(users.len() >= 5, "{} users", users.len());
            let group_names: Vec<&str> = first["GroupDetailList"]
                .as_array()
                .expect("groups")
                .iter()
                .map(|g| {
                    has_keys(
                        g,
                        &[
                            "Path",
                            "GroupName",
                            "GroupId",
                            "Arn",
                            "CreateDate",
                            "GroupPolicyList",
                            "AttachedManagedPolicies",
                        ],
                        &ad,
                    );
                    g["GroupName"].as_str().expect("name")
                })
                .collect();
            for u in users {
                has_keys(
                    u,
                    &[
                        "Path",
                        "UserName",
                        "UserId",
                        "Arn",
                        "CreateDate",
                        "UserPolicyList",
                        "GroupList",
                        "AttachedManagedPolicies",
                        "Tags",
                    ],
                    &ad,
                );
                let uid = u["UserId"].as_str().expect("UserId");
                assert!(uid.starts_with("AIDA") && uid.len() == 21, "{uid}");
                for g in u["GroupList"].as_array().expect("GroupList") {
                    assert!(group_names.contains(&g.as_str().unwrap()), "{g}");
                }
                let name = u["UserName"].as_str().unwrap();
                assert!(
                    ad.join(format!("last-accessed/users/{name}.json"))
                        .is_file(),
                    "{name}"
                );
            }
            let la: Vec<PathBuf> = files(&ad.join("last-accessed"))
                .into_iter()
                .filter(|f| !f.starts_with("users"))
                .collect();
            assert_eq!(la.len(), listed.len());
            for f in &la {
                let p = ad.join("last-accessed").join(f);
                let v = read_json(&p);
                has_keys(
                    &v,
                    &[
                        "JobStatus",
                        "JobType",
                        "JobCreationDate",
                        "ServicesLastAccessed",
                        "JobCompletionDate",
                        "IsTruncated",
                    ],
                    &p,
                );
                // Timestamps never pass the snapshot's date.
                let text = fs::read_to_string(&p).expect("read");
                for ts in text
                    .split('"')
                    .filter(|s| s.len() == 25 && s.ends_with("+00:00"))
                {
                    assert!(ts[..10] <= *day, "{ts} after {day} in {}", p.display());
                }
            }
            if day == "2026-03-03" {
                roles_last_day += listed.len() as u64;
            }
        }
    }
    assert_eq!(summary.roles_last_day, roles_last_day);
}

#[test]
fn roles_come_and_go_over_ten_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 2, 20, 10);
    run(&cfg);
    let accounts = read_json(&dir.path().join("2026-03-01/organization/accounts.json"));
    let ids: Vec<String> = accounts["Accounts"]
        .as_array()
        .expect("Accounts")
        .iter()
        .map(|a| a["Id"].as_str().expect("id").to_string())
        .collect();
    let role_ids = |day: u32| -> BTreeSet<(String, String)> {
        let date = cfg.start_date + chrono::Days::new(u64::from(day));
        let mut out = BTreeSet::new();
        for id in &ids {
            let p = dir
                .path()
                .join(date.to_string())
                .join(id)
                .join("roles.json");
            for r in read_json(&p)["Roles"].as_array().expect("Roles") {
                out.insert((
                    r["RoleName"].as_str().expect("name").to_string(),
                    r["RoleId"].as_str().expect("id").to_string(),
                ));
            }
        }
        out
    };
    let mut appeared = false;
    let mut vanished = false;
    let mut prev = role_ids(0);
    for day in 1..10 {
        let cur = role_ids(day);
        appeared |= cur.difference(&prev).next().is_some();
        vanished |= prev.difference(&cur).next().is_some();
        prev = cur;
    }
    assert!(appeared, "no role was created in 10 days");
    assert!(vanished, "no role was deleted in 10 days");
}

#[test]
fn state_is_consistent_day_to_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 2, 30, 8);
    run(&cfg);
    let accounts = read_json(&dir.path().join("2026-03-01/organization/accounts.json"));
    for a in accounts["Accounts"].as_array().expect("Accounts") {
        let id = a["Id"].as_str().expect("id");
        // RoleId -> (CreateDate, service -> LastAuthenticated) from the previous day.
        let mut prev: std::collections::BTreeMap<String, (String, Vec<(String, String)>)> =
            Default::default();
        for day in 0..8u64 {
            let date = (cfg.start_date + chrono::Days::new(day)).to_string();
            let ad = dir.path().join(&date).join(id);
            let mut cur = std::collections::BTreeMap::new();
            for r in read_json(&ad.join("roles.json"))["Roles"]
                .as_array()
                .expect("Roles")
            {
                let name = r["RoleName"].as_str().expect("name");
                let la = read_json(&ad.join("last-accessed").join(format!("{name}.json")));
                let used: Vec<(String, String)> = la["ServicesLastAccessed"]
                    .as_array()
                    .expect("services")
                    .iter()
                    .filter_map(|s| {
                        Some((
                            s["ServiceNamespace"].as_str()?.to_string(),
                            s["LastAuthenticated"].as_str()?.to_string(),
                        ))
                    })
                    .collect();
                let created = r["CreateDate"].as_str().expect("date").to_string();
                for (_, t) in &used {
                    assert!(*t >= created, "{name}: used {t} before created {created}");
                }
                let rid = r["RoleId"].as_str().expect("id").to_string();
                if let Some((pc, pu)) = prev.get(&rid) {
                    assert_eq!(*pc, created, "{name}: CreateDate changed");
                    for (svc, t) in pu {
                        if let Some((_, now)) = used.iter().find(|(s, _)| s == svc) {
                            assert!(now >= t, "{name}/{svc}: {t} -> {now} moved backwards");
                        }
                    }
                }
                cur.insert(rid, (created, used));
            }
            prev = cur;
        }
    }
}

#[test]
fn encoded_documents_and_paged_files_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 3, 40, 30);
    let summary = run(&cfg);
    let mut encoded = 0usize;
    let mut objects = 0usize;
    let mut paged = 0usize;
    let mut merged = 0usize;
    for f in files(dir.path()) {
        if !f.ends_with("authorization-details.json") {
            continue;
        }
        let v = read_json(&dir.path().join(&f));
        if let Value::Array(pages) = &v {
            paged += 1;
            assert!(pages.len() >= 2);
            for (i, p) in pages.iter().enumerate() {
                let last = i + 1 == pages.len();
                assert_eq!(p["IsTruncated"], Value::Bool(!last));
                assert_eq!(p.get("Marker").is_some(), !last);
            }
        } else {
            merged += 1;
        }
        for doc in policy_docs(&v) {
            match doc {
                Value::String(s) => {
                    encoded += 1;
                    assert!(s.starts_with("%7B%22Version%22"), "{s}");
                    let decoded = percent_encoding::percent_decode_str(&s)
                        .decode_utf8()
                        .expect("utf8");
                    let parsed: Value = serde_json::from_str(&decoded).expect("decoded JSON");
                    assert!(parsed.get("Statement").is_some());
                }
                Value::Object(_) => objects += 1,
                other => panic!("unexpected document {other}"),
            }
        }
    }
    assert!(
        encoded > 0 && objects > encoded * 4,
        "{encoded} encoded of {objects}"
    );
    assert!(
        paged > 0 && merged > paged,
        "{paged} paged, {merged} merged"
    );
    assert!(summary.roles_last_day > 80);
}

#[test]
fn rejects_empty_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 0, 10, 1);
    let err = generate(&cfg, &mut |_| {}).expect_err("zero accounts");
    assert!(err.to_string().contains("accounts"));
}

#[test]
fn skipped_days_leave_the_rest_of_the_series_identical() {
    let full = tempfile::tempdir().unwrap();
    let window = tempfile::tempdir().unwrap();
    run(&config(full.path(), 2, 6, 5));
    let cfg = GenerateConfig {
        skip_days: 3,
        ..config(window.path(), 2, 6, 5)
    };
    run(&cfg);
    let written: Vec<PathBuf> = files(window.path());
    assert!(
        written
            .iter()
            .all(|p| !p.starts_with("2026-03-01") && !p.starts_with("2026-03-03"))
    );
    for rel in &written {
        if rel.ends_with("fixture.json") {
            continue;
        }
        assert_eq!(
            std::fs::read(window.path().join(rel)).unwrap(),
            std::fs::read(full.path().join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
    assert!(written.iter().any(|p| p.starts_with("2026-03-04")));
    assert!(written.iter().any(|p| p.starts_with("2026-03-05")));
    let days = read_json(&window.path().join("fixture.json"))["days"].clone();
    assert_eq!(days, serde_json::json!(["2026-03-04", "2026-03-05"]));
}

#[test]
fn credential_reports_are_in_aws_shape_and_say_what_each_user_is() {
    use crate::source::credential_report;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), 2, 12, 2);
    run(&cfg);
    let mut reports = 0;
    for f in files(dir.path())
        .into_iter()
        .filter(|f| f.ends_with(crate::source::fixtures::CREDENTIAL_REPORT))
    {
        reports += 1;
        let path = dir.path().join(&f);
        let text = fs::read_to_string(&path).expect("read");
        // AWS's header, in AWS's order.
        assert_eq!(
            text.lines().next(),
            Some(credential_report::COLUMNS.join(",").as_str())
        );
        let account = f
            .components()
            .nth(1)
            .and_then(|c| c.as_os_str().to_str())
            .expect("account folder")
            .to_string();
        let rows = credential_report::read(&path, &account).expect("parses");
        assert!(
            rows[0].is_root && rows[0].password_enabled.is_none(),
            "{f:?}"
        );
        assert!(rows[0].arn.ends_with(":root"));
        let users = &rows[1..];
        assert!((5..=7).contains(&users.len()), "{f:?}");
        let names: BTreeSet<&str> = users.iter().map(|u| u.user.as_str()).collect();
        assert_eq!(names.len(), users.len(), "unique names");
        // One of each kind: console with and without MFA, a CI key, a
        // stale key, and someone who left (password and key unused).
        assert!(
            users
                .iter()
                .any(|u| u.password_enabled == Some(true) && u.mfa_active)
        );
        assert!(
            users
                .iter()
                .any(|u| u.password_enabled == Some(true) && !u.mfa_active)
        );
        assert!(users.iter().any(|u| u.user.starts_with("ci-")
            && u.arn.contains(":user/ci/")
            && u.access_keys[0].active));
        assert!(users.iter().all(|u| u.access_keys[1] == Default::default()));
        assert!(users.iter().all(|u| u.user_creation_time.is_some()));
    }
    assert_eq!(reports, 4, "one per account and day");
}
