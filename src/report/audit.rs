//! The audit sections of the page (issue #14): whole roles nobody uses, per
//! owner team, with who may assume them; and what the IAM credential reports
//! say about users and their keys, per account and per the users' owner
//! team. Numbers come straight from analyze's tables: `team_summary` for the
//! per-team counts, `unused_roles` and `credential_findings` for the rows.

use super::html::{fmt_int, names_of, status_chart};
use super::read::{CREDENTIAL_FINDINGS, CredentialFinding, ReportData, UnusedRole};
use super::svg::{bar_chart, escape};
use crate::model::summaries::TeamRow;
use std::collections::HashMap;
use std::fmt::Write;

/// Rows in the lists of unused roles and of credential findings.
pub const LISTED_ROWS: usize = 25;

/// Unused roles a team still has to act on or has acted on, service-linked
/// ones excluded (they are AWS's).
pub fn role_total(t: &TeamRow) -> i32 {
    t.unused_roles_open + t.unused_roles_to_delete + t.unused_roles_kept + t.unused_roles_done
}

fn day_of(micros: Option<i64>) -> String {
    micros
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or_else(|| "never".to_string(), |t| t.date_naive().to_string())
}

/// The order of the list: roles others outside the organization may assume
/// first, then those nobody reviewed, then the longest unused.
fn role_order(a: &&UnusedRole, b: &&UnusedRole) -> std::cmp::Ordering {
    let open = |r: &UnusedRole| r.review_status == "open";
    a.external_accounts
        .is_empty()
        .cmp(&b.external_accounts.is_empty())
        .then_with(|| open(b).cmp(&open(a)))
        .then_with(|| b.days_unused.cmp(&a.days_unused))
        .then_with(|| a.role_name.cmp(&b.role_name))
        .then_with(|| a.account_id.cmp(&b.account_id))
}

/// "Unused roles per team": the counts of `team_summary`, a chart, the list
/// of the roles, and the service-linked ones apart.
pub fn unused_roles(out: &mut String, data: &ReportData) {
    out.push_str(
        "<section id=\"unused-roles\"><h2>Unused roles per team</h2>\
         <p class=\"note\">Whole roles nobody assumed for the threshold (<code>RoleLastUsed</code>; roles younger than it are not judged), \
         by review status (<code>team_summary</code>, <code>unused_roles</code>). Roles that accounts outside the organization, \
         or anyone, may assume are flagged: the audit asks to remove cross-account roles no longer required. \
         Service-linked roles are managed by AWS and counted apart.</p>",
    );
    if !data.has_unused_roles {
        out.push_str("<p>This date was analyzed before unused roles were tracked: re-run <code>iamlake analyze</code> for it.</p></section>");
        return;
    }
    let mut teams: Vec<&TeamRow> = data
        .teams
        .iter()
        .filter(|t| role_total(t) + t.unused_service_linked_roles > 0)
        .collect();
    teams.sort_by(|a, b| {
        role_total(b)
            .cmp(&role_total(a))
            .then_with(|| a.owner_team.cmp(&b.owner_team))
    });
    let without = data.teams.len() - teams.len();
    let charted: Vec<&TeamRow> = teams
        .iter()
        .copied()
        .filter(|t| role_total(t) > 0)
        .take(super::html::CHART_TEAMS)
        .collect();
    if !charted.is_empty() {
        out.push_str(&bar_chart(&status_chart(
            "chart-unused-roles-by-team",
            "Unused roles by team",
            "unused roles",
            &charted,
            [
                |t| t.unused_roles_open,
                |t| t.unused_roles_to_delete,
                |t| t.unused_roles_kept,
                |t| t.unused_roles_done,
            ],
            1090.0,
        )));
    }
    let _ = write!(
        out,
        "<table id=\"unused-roles-team-table\"><thead><tr><th>Team</th><th class=\"num\">Not reviewed</th><th class=\"num\">To delete</th>\
         <th class=\"num\">Kept</th><th class=\"num\">Done</th><th class=\"num\">New</th><th class=\"num\">Trusted outside the organization</th>\
         <th class=\"num\">Service-linked (apart)</th></tr></thead><tbody>"
    );
    let cols = |t: &TeamRow| {
        [
            ("unused_roles_open", t.unused_roles_open),
            ("unused_roles_to_delete", t.unused_roles_to_delete),
            ("unused_roles_kept", t.unused_roles_kept),
            ("unused_roles_done", t.unused_roles_done),
            ("unused_roles_new", t.unused_roles_new),
            ("unused_roles_outside_org", t.unused_roles_outside_org),
            ("unused_service_linked_roles", t.unused_service_linked_roles),
        ]
        .iter()
        .map(|(k, v)| {
            format!(
                "<td class=\"num\" data-col=\"{k}\">{}</td>",
                fmt_int((*v).into())
            )
        })
        .collect::<String>()
    };
    for t in &teams {
        let _ = write!(
            out,
            "<tr data-team=\"{}\"><td>{}</td>{}</tr>",
            escape(&t.owner_team),
            escape(&t.owner_team),
            cols(t)
        );
    }
    if teams.is_empty() {
        out.push_str("<tr><td colspan=\"8\">No team has an unused role.</td></tr>");
    }
    out.push_str("</tbody>");
    let mut sum = TeamRow::default();
    for t in &data.teams {
        sum.unused_roles_open += t.unused_roles_open;
        sum.unused_roles_to_delete += t.unused_roles_to_delete;
        sum.unused_roles_kept += t.unused_roles_kept;
        sum.unused_roles_done += t.unused_roles_done;
        sum.unused_roles_new += t.unused_roles_new;
        sum.unused_roles_outside_org += t.unused_roles_outside_org;
        sum.unused_service_linked_roles += t.unused_service_linked_roles;
    }
    let _ = write!(
        out,
        "<tfoot><tr data-team=\"all\"><td>All teams</td>{}</tr></tfoot></table>",
        cols(&sum)
    );
    if without > 0 {
        let _ = write!(
            out,
            "<p class=\"note\">{without} team{} with no unused role not shown.</p>",
            if without == 1 { "" } else { "s" }
        );
    }

    let names = names_of(data);
    let (linked, mut roles): (Vec<&UnusedRole>, Vec<&UnusedRole>) =
        data.unused_roles.iter().partition(|r| r.service_linked);
    roles.sort_by(role_order);
    let _ = write!(
        out,
        "<h3>Unused roles</h3><p class=\"note\">{} unused role{} on {}{}; trusted outside the organization first, then not reviewed, then the longest unused.</p>",
        roles.len(),
        if roles.len() == 1 { "" } else { "s" },
        data.date,
        if roles.len() > LISTED_ROWS {
            format!(", the first {LISTED_ROWS} shown")
        } else {
            String::new()
        }
    );
    role_table(out, "unused-roles-table", &roles, &names);
    let mut linked = linked;
    linked.sort_by(role_order);
    let _ = write!(
        out,
        "<h3>Service-linked roles (managed by AWS)</h3><p class=\"note\">{} unused service-linked role{}: \
         not alerted and not in the team counts above; delete them through the service that created them.</p>",
        linked.len(),
        if linked.len() == 1 { "" } else { "s" }
    );
    if !linked.is_empty() {
        role_table(out, "unused-service-linked-table", &linked, &names);
    }
    out.push_str("</section>");
}

fn role_table(out: &mut String, id: &str, roles: &[&UnusedRole], names: &HashMap<String, String>) {
    let _ = write!(
        out,
        "<table id=\"{id}\"><thead><tr><th>Role</th><th>Account</th><th>Owner team</th><th class=\"num\">Days unused</th>\
         <th>Last used</th><th>Who may assume it</th><th>Review</th><th>Unused since</th></tr></thead><tbody>"
    );
    for r in roles.iter().take(LISTED_ROWS) {
        let mut trust = String::new();
        for a in &r.trusted_accounts {
            if r.external_accounts.contains(a) {
                let _ = write!(
                    trust,
                    "<span class=\"tag\" title=\"outside the organization\">{} (outside)</span>",
                    escape(a)
                );
            } else {
                let _ = write!(trust, "<span class=\"tag old\">{}</span>", escape(a));
            }
        }
        for a in r
            .external_accounts
            .iter()
            .filter(|a| !r.trusted_accounts.contains(a))
        {
            let label = if a == "*" { "anyone (*)" } else { a.as_str() };
            let _ = write!(trust, "<span class=\"tag\">{}</span>", escape(label));
        }
        for s in &r.trusted_services {
            let _ = write!(trust, "<span class=\"tag old\">{}</span>", escape(s));
        }
        let _ = write!(
            out,
            "<tr data-role-id=\"{}\" data-outside-org=\"{}\"><td>{}</td><td class=\"account\">{}</td><td>{}</td>\
             <td class=\"num\" data-col=\"days_unused\">{}</td><td class=\"date\">{}</td><td>{trust}</td>\
             <td data-col=\"review_status\">{}</td><td class=\"date\">{}</td></tr>",
            escape(&r.role_id),
            !r.external_accounts.is_empty(),
            escape(&r.role_name),
            account_cell(&r.account_id, names),
            escape(&r.owner_team),
            fmt_int(r.days_unused.into()),
            day_of(r.last_used_at),
            escape(&r.review_status.replace('_', " ")),
            r.first_seen
        );
    }
    if roles.is_empty() {
        out.push_str("<tr><td colspan=\"8\">None.</td></tr>");
    }
    out.push_str("</tbody></table>");
}

fn account_cell(id: &str, names: &HashMap<String, String>) -> String {
    match names.get(id) {
        Some(n) => format!("{}<br><span class=\"sub\">{}</span>", escape(n), escape(id)),
        None => escape(id),
    }
}

/// What the page calls each finding.
fn finding_label(finding: &str) -> &str {
    match finding {
        "access_key_unused" => "Key unused",
        "access_key_old" => "Key not rotated",
        "console_without_mfa" => "Console without MFA",
        "inactive_user" => "Inactive user",
        other => other,
    }
}

/// One team's findings: counts per kind (in [`CREDENTIAL_FINDINGS`] order)
/// and the (account, user) pairs they are about.
type TeamFindings<'a> = ([i64; 4], std::collections::BTreeSet<(&'a str, &'a str)>);

/// "Users and stale keys per team": `credential_findings` counted by the
/// owner team analyze gave each user (its tag, the owners file, its
/// account's default team; docs/ANALYZE.md#credentials).
pub fn credentials_by_team(out: &mut String, data: &ReportData) {
    if !data.has_credential_findings {
        return; // The per-account section says why.
    }
    out.push_str(
        "<section id=\"credentials-by-team\"><h2>Users and stale keys per team</h2>\
         <p class=\"note\">The same findings by the owner team of each user: its <code>team</code> tag, \
         else the owners file, else its account's default team. Users counts the users with at least one finding.</p>",
    );
    if data
        .credential_findings
        .iter()
        .any(|f| f.owner_team.is_none())
    {
        out.push_str("<p>This date was analyzed before credential findings had owners: re-run <code>iamlake analyze</code> for it.</p></section>");
        return;
    }
    let mut teams: std::collections::BTreeMap<&str, TeamFindings> =
        std::collections::BTreeMap::new();
    for f in &data.credential_findings {
        let team = f
            .owner_team
            .as_deref()
            .unwrap_or(crate::analyze::owners::UNOWNED);
        let entry = teams.entry(team).or_default();
        if let Some(k) = CREDENTIAL_FINDINGS.iter().position(|c| *c == f.finding) {
            entry.0[k] += 1;
        }
        entry.1.insert((f.account_id.as_str(), f.user.as_str()));
    }
    let mut rows: Vec<_> = teams.into_iter().collect();
    rows.sort_by(|a, b| {
        b.1.0
            .iter()
            .sum::<i64>()
            .cmp(&a.1.0.iter().sum::<i64>())
            .then_with(|| a.0.cmp(b.0))
    });
    out.push_str(
        "<table id=\"credentials-team-table\"><thead><tr><th>Team</th><th class=\"num\">Users</th>",
    );
    for f in CREDENTIAL_FINDINGS {
        let _ = write!(out, "<th class=\"num\">{}</th>", finding_label(f));
    }
    out.push_str("</tr></thead><tbody>");
    for (team, (counts, users)) in &rows {
        let _ = write!(
            out,
            "<tr data-team=\"{}\"><td>{}</td><td class=\"num\" data-col=\"users\">{}</td>",
            escape(team),
            escape(team),
            fmt_int(users.len() as i64)
        );
        for (k, f) in CREDENTIAL_FINDINGS.iter().enumerate() {
            let _ = write!(
                out,
                "<td class=\"num\" data-col=\"{f}\">{}</td>",
                fmt_int(counts[k])
            );
        }
        out.push_str("</tr>");
    }
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"6\">No findings.</td></tr>");
    }
    out.push_str("</tbody></table></section>");
}

/// "Users and stale keys per account": counts of `credential_findings` per
/// account and kind, and the findings themselves.
pub fn credentials(out: &mut String, data: &ReportData) {
    out.push_str(
        "<section id=\"credentials\"><h2>Users and stale keys per account</h2>\
         <p class=\"note\">From each account's IAM credential report (<code>credential_findings</code>, rules in docs/ANALYZE.md). \
         Per team below. \
         An account without a credential report on its data date has no findings because nothing is known, not because it is clean.</p>",
    );
    if !data.has_credential_findings {
        out.push_str("<p>This date was analyzed before credential reports were read: re-run <code>iamlake analyze</code> for it.</p></section>");
        return;
    }
    let mut counts: HashMap<(&str, &str), i64> = HashMap::new();
    for f in &data.credential_findings {
        *counts
            .entry((f.account_id.as_str(), f.finding.as_str()))
            .or_default() += 1;
    }
    out.push_str(
        "<table id=\"credentials-table\"><thead><tr><th>Account</th><th>Account id</th><th class=\"num\">Users</th>",
    );
    for f in CREDENTIAL_FINDINGS {
        let _ = write!(out, "<th class=\"num\">{}</th>", finding_label(f));
    }
    out.push_str("<th>Report</th></tr></thead><tbody>");
    let mut totals = [0i64; 4];
    let mut users_total = 0i64;
    // (account id, name, the date its report is from when carried)
    let mut ids: Vec<(&str, Option<&str>, Option<i32>)> = data
        .accounts
        .iter()
        .map(|a| {
            (
                a.account_id.as_deref().unwrap_or_default(),
                a.account_name.as_deref(),
                a.data_date
                    .filter(|_| a.account_status.as_deref() == Some("carried")),
            )
        })
        .collect();
    // An account with findings but no daily_summary row still shows.
    for f in &data.credential_findings {
        if !ids.iter().any(|(id, ..)| *id == f.account_id) {
            ids.push((f.account_id.as_str(), None, None));
        }
    }
    for (id, name, carried) in ids {
        let users = data.credential_users.get(id);
        let known = users.is_some() || counts.keys().any(|(a, _)| *a == id);
        let mut cells = String::new();
        let _ = write!(
            cells,
            "<td class=\"num\" data-col=\"users\">{}</td>",
            users.map_or("—".to_string(), |u| fmt_int(*u as i64))
        );
        users_total += users.copied().unwrap_or(0) as i64;
        for (k, f) in CREDENTIAL_FINDINGS.iter().enumerate() {
            let n = counts.get(&(id, *f)).copied().unwrap_or(0);
            totals[k] += n;
            let _ = write!(
                cells,
                "<td class=\"num\" data-col=\"{f}\">{}</td>",
                if known { fmt_int(n) } else { "—".into() }
            );
        }
        let report = match carried {
            _ if !known => "none: unknown".to_string(),
            Some(d) => format!("from {}", crate::model::columns::date_of(d)),
            None => "read".to_string(),
        };
        let _ = write!(
            out,
            "<tr data-account-id=\"{}\" data-report=\"{}\"><td>{}</td><td><code>{}</code></td>{cells}<td>{report}</td></tr>",
            escape(id),
            known,
            escape(name.unwrap_or("—")),
            escape(id),
        );
    }
    out.push_str(
        "</tbody><tfoot><tr data-account-id=\"organization\"><td>Organization</td><td></td>",
    );
    let _ = write!(
        out,
        "<td class=\"num\" data-col=\"users\">{}</td>",
        fmt_int(users_total)
    );
    for (k, f) in CREDENTIAL_FINDINGS.iter().enumerate() {
        let _ = write!(
            out,
            "<td class=\"num\" data-col=\"{f}\">{}</td>",
            fmt_int(totals[k])
        );
    }
    out.push_str("<td></td></tr></tfoot></table>");

    let names = names_of(data);
    let mut findings: Vec<&CredentialFinding> = data.credential_findings.iter().collect();
    let rank = |f: &str| {
        CREDENTIAL_FINDINGS
            .iter()
            .position(|x| *x == f)
            .unwrap_or(9)
    };
    findings.sort_by(|a, b| {
        rank(&a.finding)
            .cmp(&rank(&b.finding))
            .then_with(|| b.days.cmp(&a.days))
            .then_with(|| a.account_id.cmp(&b.account_id))
            .then_with(|| a.user.cmp(&b.user))
            .then_with(|| a.access_key.cmp(&b.access_key))
    });
    let _ = write!(
        out,
        "<h3>Findings</h3><p class=\"note\">{} finding{}{}, by kind, then the longest first.</p>\
         <table id=\"credential-findings-table\"><thead><tr><th>User</th><th>Account</th><th>Finding</th><th class=\"num\">Key</th>\
         <th>Last used</th><th class=\"num\">Days</th></tr></thead><tbody>",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        if findings.len() > LISTED_ROWS {
            format!(", the first {LISTED_ROWS} shown")
        } else {
            String::new()
        }
    );
    for f in findings.iter().take(LISTED_ROWS) {
        let _ = write!(
            out,
            "<tr data-finding=\"{}\"><td>{}</td><td class=\"account\">{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"date\">{}</td><td class=\"num\" data-col=\"days\">{}</td></tr>",
            escape(&f.finding),
            escape(&f.user),
            account_cell(&f.account_id, &names),
            escape(finding_label(&f.finding)),
            f.access_key.map_or(String::new(), |k| k.to_string()),
            day_of(f.last_used_at),
            f.days.map_or("—".to_string(), |d| fmt_int(d.into())),
        );
    }
    if findings.is_empty() {
        out.push_str("<tr><td colspan=\"6\">No finding.</td></tr>");
    }
    out.push_str("</tbody></table></section>");
}
