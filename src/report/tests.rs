//! The report on small lakes written here: defaults, errors, escaping.

use super::*;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::writer::PartitionWriter;
use crate::model::credential_findings::CredentialFindingRow;
use crate::model::ledger::{LEDGER_TABLE, LedgerRow, ledger_batch};
use crate::model::summaries::{
    ActionRisk, DAILY_TABLE, DailyRow, TEAM_TABLE, TeamRow, daily_batch, team_batch,
};
use crate::model::unused_roles::UnusedRoleRow;
use crate::model::{ANALYZE_TABLES, SCHEMA_VERSION};
use chrono::Utc;

const EVIL_TEAM: &str = "<img src=x onerror=alert(1)>";
const EVIL_ROLE: &str = "</td><script>alert(\"role\")</script>";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
}

fn days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn risk(action: &str, allowed: i32) -> ActionRisk {
    ActionRisk {
        action: action.into(),
        allowed,
        conditionally_allowed: 0,
        allowed_on_any_resource: allowed,
    }
}

/// An analyze partition for `date` with `risky` risky roles org-wide.
fn analyze_day(lake: &Path, date: NaiveDate, risky: i32) {
    let id = format!("test-{date}");
    let mut w = PartitionWriter::create(lake, date, &id, &ANALYZE_TABLES).unwrap();
    let org = DailyRow {
        scope: "organization".into(),
        account_id: None,
        account_name: None,
        roles: 10,
        risky_roles: risky,
        risky_by_action: vec![risk("iam:PassRole", risky), risk("s3:GetObject", 1)],
        unused_permissions: 7,
        unused_open: 5,
        unused_new: 2,
        unused_resolved: 1,
        unowned_roles: 3,
        ..Default::default()
    };
    let acct = DailyRow {
        scope: "account".into(),
        account_id: Some("111122223333".into()),
        account_name: Some("prod & <co>".into()),
        ..org.clone()
    };
    w.write(DAILY_TABLE.name, &daily_batch(&[org, acct]).unwrap())
        .unwrap();
    let teams = [
        TeamRow {
            owner_team: EVIL_TEAM.into(),
            roles: 4,
            risky_roles: 2,
            unused_open: 5,
            unused_kept: 1,
            unused_done: 1,
            review_progress: Some(2.0 / 7.0),
            ..Default::default()
        },
        TeamRow {
            owner_team: "quiet".into(),
            roles: 6,
            review_progress: None,
            ..Default::default()
        },
    ];
    w.write(TEAM_TABLE.name, &team_batch(&teams).unwrap())
        .unwrap();
    let ledger = [
        LedgerRow {
            account_id: "111122223333".into(),
            role_id: "AROAEVIL".into(),
            role_name: EVIL_ROLE.into(),
            kind: "sensitive_grant".into(),
            item: "iam:PassRole".into(),
            first_seen: days(day(1)),
            last_seen: days(date),
            alerted_on: None,
        },
        LedgerRow {
            account_id: "111122223333".into(),
            role_id: "AROAGONE".into(),
            role_name: "gone-role".into(),
            kind: "sensitive_grant".into(),
            item: "s3:GetObject".into(),
            first_seen: days(day(1)),
            last_seen: days(day(1)),
            alerted_on: None,
        },
    ];
    w.write(LEDGER_TABLE.name, &ledger_batch(&ledger).unwrap())
        .unwrap();
    // Built from JSON so that fields added later with a default need no
    // change here.
    w.publish(|tables| {
        let mut m: Manifest = serde_json::from_value(serde_json::json!({
            "tool": "iamlake",
            "kind": ManifestKind::Analyze.as_str(),
            "tool_version": "test",
            "schema_version": SCHEMA_VERSION,
            "snapshot_id": id,
            "snapshot_date": date,
            "source": "test",
            "started_at": Utc::now(),
            "finished_at": Utc::now(),
            "status": "complete",
            "sensitive_actions": ["iam:PassRole", "s3:GetObject"],
            "tables": {},
        }))
        .unwrap();
        m.tables = tables;
        m
    })
    .unwrap();
}

fn lake_of(dates: &[(u32, i32)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (d, risky) in dates {
        analyze_day(dir.path(), day(*d), *risky);
    }
    dir
}

fn cfg(lake: &Path, date: Option<NaiveDate>) -> ReportConfig {
    ReportConfig {
        lake: crate::lake::Lake::Local(lake.to_path_buf()),
        date,
    }
}

#[test]
fn defaults_to_the_latest_analyzed_date_and_reads_every_earlier_one() {
    let lake = lake_of(&[(1, 4), (2, 6), (3, 5)]);
    let r = build(&cfg(lake.path(), None)).unwrap();
    assert_eq!(r.date, day(3));
    assert_eq!(r.dates, [day(1), day(2), day(3)]);
    assert!(r.html.contains("data-report-date=\"2026-10-03\""));
    // Risky roles KPI: 5, down 1 from the day before.
    assert!(
        r.html
            .contains("data-kpi=\"risky_roles\"><span class=\"label\">Risky roles</span><span class=\"value\" data-value=\"5\">5</span><span class=\"delta down-good\" data-delta=\"-1\">")
    );
    assert_eq!(r.html.matches("<polyline").count(), 3);
}

#[test]
fn an_earlier_date_ignores_later_ones() {
    let lake = lake_of(&[(1, 4), (2, 6), (3, 5)]);
    let r = build(&cfg(lake.path(), Some(day(2)))).unwrap();
    assert_eq!(r.dates, [day(1), day(2)]);
    assert!(!r.html.contains("2026-10-03"));
}

#[test]
fn a_date_without_analyze_manifest_is_ignored() {
    let lake = lake_of(&[(1, 4), (2, 6)]);
    // A partition whose manifest was never written: an interrupted run.
    fs::remove_file(crate::lake::layout::manifest_path_of(
        lake.path(),
        ManifestKind::Analyze,
        day(2),
    ))
    .unwrap();
    let r = build(&cfg(lake.path(), None)).unwrap();
    assert_eq!(r.date, day(1));
    let err = build(&cfg(lake.path(), Some(day(2)))).unwrap_err();
    assert!(matches!(err, ReportError::NotAnalyzed { date, .. } if date == day(2)));
    let msg = err.to_string();
    assert!(msg.contains("2026-10-02 has no analyze manifest"), "{msg}");
    assert!(msg.contains(&lake.path().display().to_string()), "{msg}");
}

#[test]
fn an_empty_lake_is_an_error_naming_it() {
    let lake = tempfile::tempdir().unwrap();
    let err = render(&cfg(lake.path(), None)).unwrap_err();
    assert!(matches!(err, ReportError::NoAnalyzedDates { .. }));
    assert!(err.to_string().contains(&lake.path().display().to_string()));
}

#[test]
fn a_missing_file_is_an_error_naming_lake_date_and_table() {
    let lake = lake_of(&[(1, 4)]);
    fs::remove_dir_all(lake.path().join("team_summary")).unwrap();
    let err = render(&cfg(lake.path(), None)).unwrap_err();
    assert!(matches!(&err, ReportError::Read { table, .. } if table == "team_summary"));
    let msg = err.to_string();
    assert!(msg.contains("reading team_summary of 2026-10-01"), "{msg}");
}

#[test]
fn strings_from_the_lake_are_escaped_everywhere() {
    let lake = lake_of(&[(1, 4), (2, 6)]);
    let html = render(&cfg(lake.path(), None)).unwrap();
    assert!(!html.contains("<img"), "unescaped team name");
    assert!(!html.contains("<script"), "unescaped role name");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("&lt;/td&gt;&lt;script&gt;alert(&quot;role&quot;)&lt;/script&gt;"));
    assert!(html.contains("prod &amp; &lt;co&gt;"));
    // Nothing to fetch, nothing to run.
    assert!(!html.contains("src=\"http"));
    assert!(!html.contains("href=\"http"));
    assert!(html.contains("Content-Security-Policy"));
}

#[test]
fn newest_risky_roles_are_the_current_grants_of_the_ledger() {
    let lake = lake_of(&[(1, 4), (2, 6)]);
    let data = read::read(&crate::lake::Lake::Local(lake.path().into()), None).unwrap();
    // The role whose grant was last seen on day 1 is no longer risky.
    assert_eq!(data.newest_risky.len(), 1);
    let r = &data.newest_risky[0];
    assert_eq!(r.role_id, "AROAEVIL");
    assert_eq!(r.newest_first_seen, day(1));
    assert_eq!(r.all_actions, ["iam:PassRole"]);
    assert_eq!(r.owner_team, "unowned");
}

#[test]
fn teams_and_accounts_are_read() {
    let lake = lake_of(&[(1, 4)]);
    let data = read::read(&crate::lake::Lake::Local(lake.path().into()), None).unwrap();
    assert_eq!(data.teams.len(), 2);
    assert_eq!(data.accounts.len(), 1);
    assert_eq!(
        data.accounts[0].account_name.as_deref(),
        Some("prod & <co>")
    );
    assert_eq!(data.trend.len(), 1);
    assert_eq!(
        data.trend[0].as_ref().unwrap().risky_by_action,
        [risk("iam:PassRole", 4), risk("s3:GetObject", 1)]
    );
    assert_eq!(data.actions, ["iam:PassRole", "s3:GetObject"]);
    let evil = data
        .teams
        .iter()
        .find(|t| t.owner_team == EVIL_TEAM)
        .unwrap();
    assert_eq!(evil.unused_open, 5);
    assert_eq!(evil.review_progress, Some(2.0 / 7.0));
}

#[test]
fn write_replaces_the_output_atomically() {
    let lake = lake_of(&[(1, 4)]);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("sub/report.html");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    fs::write(&out, "old").unwrap();
    let date = write(&cfg(lake.path(), None), &out).unwrap();
    assert_eq!(date, day(1));
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("<!DOCTYPE html>"));
    // No temporary file left behind.
    let names: Vec<_> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.html"]);
    // A failed render leaves the old output alone.
    let empty = tempfile::tempdir().unwrap();
    assert!(write(&cfg(empty.path(), None), &out).is_err());
    assert!(
        fs::read_to_string(&out)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}

fn unused_role(name: &str, team: &str, trusted: &[&str], external: &[&str]) -> UnusedRoleRow {
    UnusedRoleRow {
        account_id: "111122223333".into(),
        account_name: Some("prod".into()),
        role_id: format!("AROA{}", name.to_uppercase()),
        role_name: name.into(),
        role_arn: format!("arn:aws:iam::111122223333:role/{name}"),
        path: "/".into(),
        service_linked: false,
        owner_team: team.into(),
        owner_source: "tag".into(),
        create_date: 0,
        last_used_at: None,
        last_used_region: None,
        days_unused: 100,
        trusted_principals: Vec::new(),
        trusted_accounts: trusted.iter().map(|s| s.to_string()).collect(),
        trusted_services: Vec::new(),
        external_accounts: external.iter().map(|s| s.to_string()).collect(),
        review_status: "open".into(),
        review_reason: None,
        reviewer: None,
        first_seen: days(day(1)),
        alerted_on: None,
        data_date: days(day(2)),
    }
}

fn finding(account: &str, user: &str, finding: &str, days_: Option<i32>) -> CredentialFindingRow {
    // ana is tagged payments; bo nobody owns.
    let team = if user == "ana" { "payments" } else { "unowned" };
    CredentialFindingRow {
        account_id: account.into(),
        account_name: None,
        user: user.into(),
        arn: format!("arn:aws:iam::{account}:user/{user}"),
        finding: finding.into(),
        access_key: finding.starts_with("access_key").then_some(1),
        last_used_at: None,
        days: days_,
        data_date: days(day(2)),
        owner_team: team.into(),
        owner_source: if user == "ana" { "tag" } else { "unowned" }.into(),
    }
}

/// A day with unused roles (one trusted outside the organization, one kept,
/// one service-linked) and credential findings for one of two accounts; no
/// snapshot manifest, so no credential report is known beyond the findings.
fn audit_lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let date = day(2);
    let id = "audit";
    let mut w = PartitionWriter::create(dir.path(), date, id, &ANALYZE_TABLES).unwrap();
    let acct = |id: &str, name: &str| DailyRow {
        scope: "account".into(),
        account_id: Some(id.into()),
        account_name: Some(name.into()),
        ..Default::default()
    };
    let org = DailyRow {
        scope: "organization".into(),
        unused_roles: 2,
        ..Default::default()
    };
    w.write(
        DAILY_TABLE.name,
        &daily_batch(&[
            org,
            acct("111122223333", "prod"),
            acct("444455556666", "sandbox"),
        ])
        .unwrap(),
    )
    .unwrap();
    let teams = [
        TeamRow {
            owner_team: "payments".into(),
            unused_roles_open: 1,
            unused_roles_kept: 1,
            unused_roles_new: 1,
            unused_roles_outside_org: 1,
            ..Default::default()
        },
        TeamRow {
            owner_team: "unowned".into(),
            unused_service_linked_roles: 1,
            ..Default::default()
        },
        TeamRow {
            owner_team: "quiet".into(),
            ..Default::default()
        },
    ];
    w.write(TEAM_TABLE.name, &team_batch(&teams).unwrap())
        .unwrap();
    let mut kept = unused_role("legacy-ci", "payments", &["111122223333"], &[]);
    kept.review_status = "kept".into();
    kept.days_unused = 300;
    let mut linked = unused_role("AWSServiceRoleForSupport", "unowned", &[], &[]);
    linked.service_linked = true;
    linked.path = "/aws-service-role/".into();
    linked.trusted_services = vec!["support.amazonaws.com".into()];
    let roles = [
        kept,
        unused_role(
            "vendor-audit",
            "payments",
            &["111122223333", "999988887777"],
            &["999988887777"],
        ),
        linked,
    ];
    w.write(
        crate::model::unused_roles::TABLE.name,
        &crate::model::unused_roles::to_batch(&roles).unwrap(),
    )
    .unwrap();
    let findings = [
        finding("111122223333", "ana", "access_key_unused", Some(120)),
        finding("111122223333", "bo", "access_key_unused", Some(200)),
        finding("111122223333", "bo", "console_without_mfa", None),
    ];
    w.write(
        crate::model::credential_findings::TABLE.name,
        &crate::model::credential_findings::to_batch(&findings).unwrap(),
    )
    .unwrap();
    w.publish(|tables| {
        let mut m: Manifest = serde_json::from_value(serde_json::json!({
            "tool": "iamlake", "kind": ManifestKind::Analyze.as_str(), "tool_version": "test",
            "schema_version": SCHEMA_VERSION, "snapshot_id": id, "snapshot_date": date,
            "source": "test", "started_at": Utc::now(), "finished_at": Utc::now(),
            "status": "complete", "sensitive_actions": [], "tables": {},
        }))
        .unwrap();
        m.tables = tables;
        m
    })
    .unwrap();
    dir
}

/// The text of the element `<tag ... id="id" ...>` up to its closing tag.
fn element<'a>(html: &'a str, tag: &str, id: &str) -> &'a str {
    let at = html.find(&format!(" id=\"{id}\"")).unwrap();
    let start = html[..at].rfind(&format!("<{tag}")).unwrap();
    let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
    &html[start..end]
}

#[test]
fn unused_roles_per_team_with_outside_trust_flagged_and_service_linked_apart() {
    let lake = audit_lake();
    let html = render(&cfg(lake.path(), None)).unwrap();
    let teams = element(&html, "table", "unused-roles-team-table");
    // payments: 1 open, 1 kept, 1 new, 1 trusted outside; unowned only has
    // the service-linked one; quiet has nothing and is left out.
    assert!(teams.contains(
        "<tr data-team=\"payments\"><td>payments</td><td class=\"num\" data-col=\"unused_roles_open\">1</td>\
         <td class=\"num\" data-col=\"unused_roles_to_delete\">0</td><td class=\"num\" data-col=\"unused_roles_kept\">1</td>\
         <td class=\"num\" data-col=\"unused_roles_done\">0</td><td class=\"num\" data-col=\"unused_roles_new\">1</td>\
         <td class=\"num\" data-col=\"unused_roles_outside_org\">1</td><td class=\"num\" data-col=\"unused_service_linked_roles\">0</td></tr>"
    ), "{teams}");
    assert!(teams.contains("data-team=\"unowned\""));
    assert!(!teams.contains("data-team=\"quiet\""));
    assert!(html.contains("1 team with no unused role not shown."));
    // The chart shows payments only (the service-linked role is apart).
    let chart = element(&html, "svg", "chart-unused-roles-by-team");
    assert!(
        chart.contains("data-category=\"payments\" data-total=\"2\""),
        "{chart}"
    );
    assert!(!chart.contains("data-category=\"unowned\""));

    // The list: the role trusted outside the organization first (though
    // the kept one is unused longer), the service-linked one apart.
    let list = element(&html, "table", "unused-roles-table");
    let vendor = list.find("vendor-audit").unwrap();
    assert!(vendor < list.find("legacy-ci").unwrap());
    assert!(list.contains("data-role-id=\"AROAVENDOR-AUDIT\" data-outside-org=\"true\""));
    assert!(list.contains("999988887777 (outside)"));
    assert!(list.contains("data-role-id=\"AROALEGACY-CI\" data-outside-org=\"false\""));
    assert!(!list.contains("AWSServiceRoleForSupport"));
    let linked = element(&html, "table", "unused-service-linked-table");
    assert!(linked.contains("AWSServiceRoleForSupport"));
    assert!(linked.contains("support.amazonaws.com"));
    assert!(html.contains("1 unused service-linked role:"));
}

#[test]
fn credential_findings_per_account_and_unknown_without_a_report() {
    let lake = audit_lake();
    let data = read::read(&crate::lake::Lake::Local(lake.path().into()), None).unwrap();
    assert_eq!(data.credential_findings.len(), 3);
    // No snapshot manifest: no report read, users unknown.
    assert!(data.credential_users.is_empty());
    let html = html::page(&data, "test");
    let table = element(&html, "table", "credentials-table");
    let row = |id: &str| {
        let start = table
            .find(&format!("<tr data-account-id=\"{id}\""))
            .unwrap();
        &table[start..start + table[start..].find("</tr>").unwrap()]
    };
    // prod: two unused keys, one console password without MFA.
    let prod = row("111122223333");
    for (col, n) in [
        ("access_key_unused", "2"),
        ("access_key_old", "0"),
        ("console_without_mfa", "1"),
        ("inactive_user", "0"),
    ] {
        assert!(
            prod.contains(&format!("data-col=\"{col}\">{n}<")),
            "{col}: {prod}"
        );
    }
    // sandbox: no report known, so no numbers, not zeros.
    let sandbox = row("444455556666");
    assert!(sandbox.contains("data-report=\"false\""));
    assert!(
        sandbox.contains("data-col=\"access_key_unused\">—<"),
        "{sandbox}"
    );
    assert!(sandbox.contains("none: unknown"));
    let total = row("organization");
    assert!(total.contains("data-col=\"access_key_unused\">2<"));
    assert!(total.contains("data-col=\"console_without_mfa\">1<"));
    // Per team: bo's two findings are unowned, ana's key is payments'.
    let teams = element(&html, "table", "credentials-team-table");
    let unowned = teams.find("data-team=\"unowned\"").unwrap();
    assert!(
        unowned < teams.find("data-team=\"payments\"").unwrap(),
        "{teams}"
    );
    assert!(teams.contains(
        "<tr data-team=\"unowned\"><td>unowned</td><td class=\"num\" data-col=\"users\">1</td>\
         <td class=\"num\" data-col=\"access_key_unused\">1</td><td class=\"num\" data-col=\"access_key_old\">0</td>\
         <td class=\"num\" data-col=\"console_without_mfa\">1</td><td class=\"num\" data-col=\"inactive_user\">0</td></tr>"
    ), "{teams}");
    assert!(teams.contains(
        "<tr data-team=\"payments\"><td>payments</td><td class=\"num\" data-col=\"users\">1</td>\
         <td class=\"num\" data-col=\"access_key_unused\">1</td>"
    ), "{teams}");
    // Findings listed by kind, the longest unused first.
    let list = element(&html, "table", "credential-findings-table");
    let bo = list.find(">bo<").unwrap();
    assert!(bo < list.find(">ana<").unwrap());
    assert!(!html.contains("carry no owner team"));
}
