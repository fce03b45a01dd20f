//! The page: one self-contained HTML document (inline CSS and SVG, no
//! script, no fetch). Every string that comes from the lake goes through
//! [`escape`], and a Content-Security-Policy forbids scripts and any load
//! from the network, so even a markup bug cannot turn into a fetch.

use super::read::{ReportData, RiskyRole, action_names};
use super::svg::{BarChart, LineChart, Series, bar_chart, escape, line_chart};
use crate::model::columns::date_of;
use crate::model::summaries::{DailyRow, TeamRow};
use std::fmt::Write;

/// Rows in the "top teams" and "newest risky roles" tables.
pub const TOP_TEAMS: usize = 10;
pub const NEWEST_ROLES: usize = 15;
/// Bars in the per-team charts.
pub const CHART_TEAMS: usize = 15;

const CSS: &str = r#"
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#0b4f8a;--bad:#b42318;--good:#067647}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{background:#102a43;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:650;letter-spacing:.2px}
header p{margin:4px 0 0;color:#bcccdc;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,42,67,.05)}
section h2{margin:0 0 4px;font-size:17px}
section h3{margin:16px 0 4px;font-size:14.5px}
section p.note{margin:0 0 12px;color:var(--muted);font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.grid>section{margin:0}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px}
@media (max-width:900px){.kpis{grid-template-columns:repeat(3,1fr)}}
.kpi{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:#fbfcfd}
.kpi .label{display:block;color:var(--muted);font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.kpi .value{display:block;font-size:26px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.kpi .delta{font-size:12px;color:var(--muted)}
.delta.up-bad,.delta.down-bad{color:var(--bad);font-weight:600}.delta.down-good,.delta.up-good{color:var(--good);font-weight:600}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:7px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:7px 8px;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
tfoot td{font-weight:650;border-top:2px solid var(--line);border-bottom:0}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f7;border-radius:4px;padding:1px 4px}
.tag{display:inline-block;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fde7e4;color:#912018;border-radius:4px;padding:0 5px;margin:1px 2px 1px 0}
.tag.old{background:#eef2f7;color:#3e4c59}
.sub{color:var(--muted);font-size:12px}
.bar{display:inline-block;height:8px;border-radius:4px;background:#0072B2;vertical-align:middle}
.track{display:inline-block;width:70px;height:8px;border-radius:4px;background:#eef2f7;vertical-align:middle;margin-right:6px;overflow:hidden}
svg.chart{display:block;max-width:100%;height:auto}
td.date,td.account{white-space:nowrap}
section.gaps{border-left:4px solid #b54708;background:#fffaeb}
tr[data-account-status="carried"] td.data-date,tr[data-account-status="no_data"] td.data-date{color:#b54708;font-weight:650}
header code{background:rgba(255,255,255,.12);color:#e4e7eb}
footer{color:var(--muted);font-size:12px;max-width:1180px;margin:0 auto;padding:0 24px 30px}
@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}header{background:#fff;color:#000}header p{color:#333}}
"#;

/// Integer with thousands separators.
pub fn fmt_int(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// A change against the previous analyzed date; `up_is_bad` picks colors
/// (`None`: neither direction is good or bad).
fn delta(now: i64, before: Option<i64>, up_is_bad: Option<bool>) -> String {
    let Some(before) = before else {
        return "<span class=\"delta\">no earlier date</span>".to_string();
    };
    let d = now - before;
    let (arrow, class) = match d.cmp(&0) {
        std::cmp::Ordering::Greater => (
            "▲",
            match up_is_bad {
                Some(true) => "up-bad",
                Some(false) => "up-good",
                None => "neutral",
            },
        ),
        std::cmp::Ordering::Less => (
            "▼",
            match up_is_bad {
                Some(true) => "down-good",
                Some(false) => "down-bad",
                None => "neutral",
            },
        ),
        std::cmp::Ordering::Equal => return "<span class=\"delta\">no change</span>".to_string(),
    };
    format!(
        "<span class=\"delta {class}\" data-delta=\"{d}\">{arrow} {}</span>",
        fmt_int(d.abs())
    )
}

/// The whole page.
pub fn page(data: &ReportData, lake_label: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let date = data.date.to_string();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"iamlake {}\">\
         <title>IAM risk report — {date}</title><style>{CSS}</style></head><body>",
        env!("CARGO_PKG_VERSION")
    );
    let first = data.dates.first().copied().unwrap_or(data.date);
    let _ = write!(
        out,
        "<header><h1>IAM roles: risk and unused permissions</h1>\
         <p>Snapshot of <strong data-report-date=\"{date}\">{date}</strong> · trend over {} analyzed date{} ({first} to {date}) · lake <code>{}</code></p></header><main>",
        data.dates.len(),
        if data.dates.len() == 1 { "" } else { "s" },
        escape(lake_label)
    );

    let last = data.trend.len().saturating_sub(1);
    let org = data.trend.get(last).and_then(Option::as_ref);
    let prev_org = if last > 0 {
        data.trend.get(last - 1).and_then(Option::as_ref)
    } else {
        None
    };
    gaps_banner(&mut out, data);
    kpis(&mut out, org, prev_org);
    out.push_str("<section id=\"risk-trend\"><h2>Risky roles over time</h2>\
        <p class=\"note\">Roles allowed a sensitive action at account breadth or wider: on every resource of its types in the role's own account \
        (<code>role/*</code>, <code>parameter/*</code>) or on any resource (<code>*</code>), organization-wide, per analyzed date (<code>daily_summary</code>). \
        The thick line counts roles allowed at least one of them.</p>");
    out.push_str(&line_chart(&risk_chart(data)));
    out.push_str("</section>");

    let teams = chart_teams(&data.teams);
    out.push_str("<div class=\"grid\">");
    out.push_str("<section id=\"unused-by-team\"><h2>Unused permissions per team</h2>\
        <p class=\"note\">Granted but unused for the threshold, by review status (<code>team_summary</code>).</p>");
    out.push_str(&bar_chart(&unused_chart(&data.teams, &teams)));
    out.push_str("</section>");
    out.push_str(
        "<section id=\"review-progress\"><h2>Review progress per team</h2>\
        <p class=\"note\">Share of unused permissions reviewed (kept, to delete or done).</p>",
    );
    out.push_str(&bar_chart(&progress_chart(&data.teams, &teams)));
    out.push_str("</section></div>");

    top_teams(&mut out, &data.teams);
    newest_risky(&mut out, data);
    super::audit::unused_roles(&mut out, data);
    super::audit::credentials(&mut out, data);
    super::audit::credentials_by_team(&mut out, data);
    accounts(&mut out, data, org);

    let _ = writeln!(
        out,
        "</main><footer>Generated by iamlake {} from the lake's analyze tables; only dates with an analyze manifest are read. \
         See docs/REPORT.md.</footer></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// Key, label, value, whether up is bad.
type Kpi = (
    &'static str,
    &'static str,
    fn(&DailyRow) -> i32,
    Option<bool>,
);

fn kpis(out: &mut String, org: Option<&DailyRow>, prev: Option<&DailyRow>) {
    out.push_str("<section id=\"summary\"><h2>At a glance</h2><p class=\"note\">Organization-wide on the report date, change since the previous analyzed date.</p><div class=\"kpis\">");
    let Some(org) = org else {
        out.push_str("<p>No organization row in daily_summary for this date.</p></div></section>");
        return;
    };
    let items: [Kpi; 6] = [
        ("roles", "Roles", |r| r.roles, None),
        ("risky_roles", "Risky roles", |r| r.risky_roles, Some(true)),
        (
            "unused_permissions",
            "Unused permissions",
            |r| r.unused_permissions,
            Some(true),
        ),
        (
            "unused_open",
            "Not yet reviewed",
            |r| r.unused_open,
            Some(true),
        ),
        ("unused_new", "New unused", |r| r.unused_new, Some(true)),
        (
            "unowned_roles",
            "Unowned roles",
            |r| r.unowned_roles,
            Some(true),
        ),
    ];
    for (key, label, get, up_is_bad) in items {
        let now = get(org) as i64;
        let before = prev.map(|p| get(p) as i64);
        let d = delta(now, before, up_is_bad);
        let _ = write!(
            out,
            "<div class=\"kpi\" data-kpi=\"{key}\"><span class=\"label\">{label}</span>\
             <span class=\"value\" data-value=\"{now}\">{}</span>{d}</div>",
            fmt_int(now)
        );
    }
    out.push_str("</div></section>");
}

fn risk_chart(data: &ReportData) -> LineChart {
    let points: Vec<(String, &DailyRow)> = data
        .dates
        .iter()
        .zip(&data.trend)
        .filter_map(|(d, r)| r.as_ref().map(|r| (d.to_string(), r)))
        .collect();
    // The manifest's actions first, then any other the rows name.
    let mut actions = data.actions.clone();
    for a in action_names(points.iter().map(|(_, r)| r.risky_by_action.as_slice())) {
        if !actions.contains(&a) {
            actions.push(a);
        }
    }
    let mut series = vec![Series {
        name: "Any sensitive action".into(),
        values: points.iter().map(|(_, r)| r.risky_roles as f64).collect(),
        color: Some("#1f2933"),
    }];
    for a in &actions {
        series.push(Series {
            name: a.clone(),
            values: points
                .iter()
                .map(|(_, r)| {
                    r.risky_by_action
                        .iter()
                        .find(|x| &x.action == a)
                        .map_or(0.0, |x| x.allowed as f64)
                })
                .collect(),
            color: None,
        });
    }
    // Series 1.. take palette colors by their position among the actions.
    for (i, s) in series.iter_mut().enumerate().skip(1) {
        s.color = Some(super::svg::PALETTE[(i - 1) % super::svg::PALETTE.len()]);
    }
    let latest = points
        .last()
        .map(|(d, r)| {
            format!(
                " On {d}, {} roles were allowed at least one.",
                r.risky_roles
            )
        })
        .unwrap_or_default();
    LineChart {
        id: "chart-risk-trend".into(),
        title: "Roles allowed a sensitive action account-wide or wider".into(),
        desc: format!(
            "Line chart over {} dates of roles allowed each sensitive action at account breadth or wider: {}.{latest}",
            points.len(),
            actions.join(", ")
        ),
        x_labels: points.iter().map(|(d, _)| d.clone()).collect(),
        y_label: "roles".into(),
        series,
        width: 1090.0,
    }
}

fn unused_total(t: &TeamRow) -> i32 {
    t.unused_open + t.unused_to_delete + t.unused_kept + t.unused_done
}

/// Teams shown in the per-team charts: those with something to review,
/// most first.
fn chart_teams(teams: &[TeamRow]) -> Vec<&TeamRow> {
    let mut shown: Vec<&TeamRow> = teams.iter().filter(|t| unused_total(t) > 0).collect();
    shown.sort_by(|a, b| {
        unused_total(b)
            .cmp(&unused_total(a))
            .then_with(|| a.owner_team.cmp(&b.owner_team))
    });
    shown.truncate(CHART_TEAMS);
    shown
}

fn omitted_note(all: &[TeamRow], shown: usize) -> String {
    let with = all.iter().filter(|t| unused_total(t) > 0).count();
    let mut note = String::new();
    if with > shown {
        note.push_str(&format!(" {} more teams not shown.", with - shown));
    }
    let without = all.len() - with;
    if without > 0 {
        note.push_str(&format!(
            " {without} team{} with no unused permissions not shown.",
            if without == 1 { "" } else { "s" }
        ));
    }
    note
}

fn unused_chart(all: &[TeamRow], teams: &[&TeamRow]) -> BarChart {
    let mut chart = status_chart(
        "chart-unused-by-team",
        "Unused permissions by team",
        "unused permissions",
        teams,
        [
            |t| t.unused_open,
            |t| t.unused_to_delete,
            |t| t.unused_kept,
            |t| t.unused_done,
        ],
        520.0,
    );
    chart.desc.push_str(&omitted_note(all, teams.len()));
    chart
}

/// Stacked bars, one per team, of findings by review status: not reviewed,
/// to delete, kept, done (`get` reads each from the team's row).
pub fn status_chart(
    id: &str,
    title: &str,
    what: &str,
    teams: &[&TeamRow],
    get: [fn(&TeamRow) -> i32; 4],
    width: f64,
) -> BarChart {
    let col = |f: fn(&TeamRow) -> i32| teams.iter().map(|t| f(t) as f64).collect::<Vec<_>>();
    let names = ["not reviewed", "to delete", "kept", "done"];
    let colors = ["#D55E00", "#E69F00", "#56B4E9", "#009E73"];
    BarChart {
        id: id.into(),
        title: title.into(),
        desc: format!(
            "Stacked bars, one per team, of {what}: not yet reviewed, to delete, kept and done."
        ),
        categories: teams.iter().map(|t| t.owner_team.clone()).collect(),
        x_label: what.into(),
        series: (0..4)
            .map(|k| Series {
                name: names[k].into(),
                values: col(get[k]),
                color: Some(colors[k]),
            })
            .collect(),
        max: None,
        percent: false,
        track: false,
        width,
    }
}

fn progress_chart(all: &[TeamRow], teams: &[&TeamRow]) -> BarChart {
    BarChart {
        id: "chart-review-progress".into(),
        title: "Reviewed share of unused permissions".into(),
        desc: format!(
            "Bars, one per team, of the share of its unused permissions reviewed.{}",
            omitted_note(all, teams.len())
        ),
        categories: teams.iter().map(|t| t.owner_team.clone()).collect(),
        x_label: "reviewed".into(),
        series: vec![Series {
            name: "reviewed".into(),
            values: teams
                .iter()
                .map(|t| t.review_progress.unwrap_or(0.0))
                .collect(),
            color: Some("#009E73"),
        }],
        max: Some(1.0),
        percent: true,
        track: true,
        width: 520.0,
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| {
        format!("{}%", (v * 100.0).round() as i64)
    })
}

fn top_teams(out: &mut String, teams: &[TeamRow]) {
    let mut rows: Vec<&TeamRow> = teams.iter().collect();
    rows.sort_by(|a, b| {
        b.unused_open
            .cmp(&a.unused_open)
            .then_with(|| unused_total(b).cmp(&unused_total(a)))
            .then_with(|| a.owner_team.cmp(&b.owner_team))
    });
    rows.truncate(TOP_TEAMS);
    let _ = write!(
        out,
        "<section id=\"top-teams\"><h2>Top teams by open unused permissions</h2>\
         <p class=\"note\">The {} teams (of {}) with the most unused permissions nobody has reviewed yet.</p>\
         <table id=\"top-teams-table\"><thead><tr><th>Team</th><th class=\"num\">Roles</th><th class=\"num\">Risky roles</th>\
         <th class=\"num\">Not reviewed</th><th class=\"num\">To delete</th><th class=\"num\">Kept</th><th class=\"num\">Done</th>\
         <th class=\"num\">New</th><th>Review progress</th></tr></thead><tbody>",
        rows.len(),
        teams.len()
    );
    for t in rows {
        let width = (t.review_progress.unwrap_or(0.0).clamp(0.0, 1.0) * 70.0).round();
        let _ = write!(
            out,
            "<tr data-team=\"{}\"><td>{}</td><td class=\"num\" data-col=\"roles\">{}</td><td class=\"num\" data-col=\"risky_roles\">{}</td>\
             <td class=\"num\" data-col=\"unused_open\">{}</td><td class=\"num\" data-col=\"unused_to_delete\">{}</td>\
             <td class=\"num\" data-col=\"unused_kept\">{}</td><td class=\"num\" data-col=\"unused_done\">{}</td>\
             <td class=\"num\" data-col=\"unused_new\">{}</td>\
             <td data-col=\"review_progress\"><span class=\"track\"><span class=\"bar\" style=\"width:{width}px\"></span></span>{}</td></tr>",
            escape(&t.owner_team),
            escape(&t.owner_team),
            fmt_int(t.roles.into()),
            fmt_int(t.risky_roles.into()),
            fmt_int(t.unused_open.into()),
            fmt_int(t.unused_to_delete.into()),
            fmt_int(t.unused_kept.into()),
            fmt_int(t.unused_done.into()),
            fmt_int(t.unused_new.into()),
            pct(t.review_progress)
        );
    }
    out.push_str("</tbody></table></section>");
}

fn newest_risky(out: &mut String, data: &ReportData) {
    let rows: Vec<&RiskyRole> = data.newest_risky.iter().take(NEWEST_ROLES).collect();
    let names = account_names(data);
    let _ = write!(
        out,
        "<section id=\"newest-risky\"><h2>Newest risky roles</h2>\
         <p class=\"note\">{} roles are allowed a sensitive action at account breadth or wider on {}; these {} gained one most recently. \
         From <code>alert_ledger</code> (<code>kind = sensitive_grant</code>): a grant is current when its <code>last_seen</code> is the report date, \
         and new since its <code>first_seen</code>. Highlighted actions are the ones first seen on that date.</p>\
         <table id=\"newest-risky-table\"><thead><tr><th>Role</th><th>Account</th><th>Owner team</th><th>First seen</th>\
         <th>Sensitive actions allowed account-wide or wider</th></tr></thead><tbody>",
        data.newest_risky.len(),
        data.date,
        rows.len()
    );
    for r in rows {
        let mut tags = String::new();
        for a in &r.all_actions {
            let class = if r.newest_actions.contains(a) {
                "tag"
            } else {
                "tag old"
            };
            let _ = write!(tags, "<span class=\"{class}\">{}</span>", escape(a));
        }
        let account = names
            .iter()
            .find(|(id, _)| *id == r.account_id)
            .and_then(|(_, n)| n.as_deref())
            .map(|n| {
                format!(
                    "{}<br><span class=\"sub\">{}</span>",
                    escape(n),
                    escape(&r.account_id)
                )
            })
            .unwrap_or_else(|| escape(&r.account_id));
        let _ = write!(
            out,
            "<tr data-role-id=\"{}\"><td>{}</td><td class=\"account\">{account}</td><td>{}</td><td class=\"date\" data-col=\"first_seen\">{}</td><td>{tags}</td></tr>",
            escape(&r.role_id),
            escape(&r.role_name),
            escape(&r.owner_team),
            r.newest_first_seen
        );
    }
    if data.newest_risky.is_empty() {
        out.push_str("<tr><td colspan=\"5\">No role is allowed a sensitive action on any resource.</td></tr>");
    }
    out.push_str("</tbody></table></section>");
}

/// Account id -> account name, for the accounts that have one.
pub fn names_of(data: &ReportData) -> std::collections::HashMap<String, String> {
    data.accounts
        .iter()
        .filter_map(|a| Some((a.account_id.clone()?, a.account_name.clone()?)))
        .collect()
}

fn account_names(data: &ReportData) -> Vec<(String, Option<String>)> {
    data.accounts
        .iter()
        .map(|a| {
            (
                a.account_id.clone().unwrap_or_default(),
                a.account_name.clone(),
            )
        })
        .collect()
}

fn accounts(out: &mut String, data: &ReportData, org: Option<&DailyRow>) {
    out.push_str(
        "<section id=\"accounts\"><h2>Accounts</h2>\
         <p class=\"note\">Per account on the report date (<code>daily_summary</code>), change in risky roles since the previous analyzed date.</p>\
         <table id=\"accounts-table\"><thead><tr><th>Account</th><th>Account id</th><th class=\"num\">Roles</th>\
         <th class=\"num\">Risky roles</th><th class=\"num\">Change</th><th class=\"num\">Unused</th><th class=\"num\">Not reviewed</th>\
         <th class=\"num\">New</th><th class=\"num\">Resolved</th><th class=\"num\">Unowned roles</th><th>Data</th></tr></thead><tbody>",
    );
    let cells = |r: &DailyRow| {
        format!(
            "<td class=\"num\" data-col=\"roles\">{}</td><td class=\"num\" data-col=\"risky_roles\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\" data-col=\"unused_permissions\">{}</td><td class=\"num\" data-col=\"unused_open\">{}</td>\
             <td class=\"num\" data-col=\"unused_new\">{}</td><td class=\"num\" data-col=\"unused_resolved\">{}</td>\
             <td class=\"num\" data-col=\"unowned_roles\">{}</td>",
            fmt_int(r.roles.into()),
            fmt_int(r.risky_roles.into()),
            {
                let before = if r.scope == "organization" {
                    let last = data.trend.len().saturating_sub(1);
                    (last > 0)
                        .then(|| data.trend[last - 1].as_ref().map(|p| p.risky_roles as i64))
                        .flatten()
                } else {
                    data.previous_accounts
                        .get(r.account_id.as_deref().unwrap_or_default())
                        .map(|p| p.risky_roles as i64)
                };
                delta(r.risky_roles.into(), before, Some(true))
            },
            fmt_int(r.unused_permissions.into()),
            fmt_int(r.unused_open.into()),
            fmt_int(r.unused_new.into()),
            fmt_int(r.unused_resolved.into()),
            fmt_int(r.unowned_roles.into()),
        )
    };
    for a in &data.accounts {
        let id = a.account_id.as_deref().unwrap_or_default();
        let _ = write!(
            out,
            "<tr data-account-id=\"{}\" data-account-status=\"{}\"><td>{}</td><td><code>{}</code></td>{}<td class=\"data-date\">{}</td></tr>",
            escape(id),
            escape(a.account_status.as_deref().unwrap_or("ok")),
            escape(a.account_name.as_deref().unwrap_or("—")),
            escape(id),
            cells(a),
            escape(&data_source(a, data.date))
        );
    }
    out.push_str("</tbody>");
    if let Some(org) = org {
        let _ = write!(
            out,
            "<tfoot><tr data-account-id=\"organization\"><td>Organization</td><td></td>{}<td></td></tr></tfoot>",
            cells(org)
        );
    }
    out.push_str("</table></section>");
}

/// Where an account's numbers come from, in words: "collected", "data from
/// D" (its collection failed on the report date) or "no data".
fn data_source(a: &DailyRow, date: chrono::NaiveDate) -> String {
    match a.account_status.as_deref() {
        Some("carried") => match a.data_date {
            Some(d) => format!("data from {}", date_of(d)),
            None => "data from an earlier date".into(),
        },
        Some("no_data") => "no data".into(),
        _ => format!("collected {date}"),
    }
}

/// The banner over the page when some accounts were not collected on the
/// report date: their numbers are carried, or missing.
fn gaps_banner(out: &mut String, data: &ReportData) {
    let gaps: Vec<&DailyRow> = data
        .accounts
        .iter()
        .filter(|a| matches!(a.account_status.as_deref(), Some("carried" | "no_data")))
        .collect();
    if gaps.is_empty() {
        return;
    }
    out.push_str(
        "<section id=\"data-gaps\" class=\"gaps\"><h2>Partial data</h2><p class=\"note\">These accounts could not be collected on the report date. \
         A carried account is counted from its last good snapshot; an account with no data is counted nowhere.</p><ul>",
    );
    for a in gaps {
        let id = a.account_id.as_deref().unwrap_or_default();
        let name = a
            .account_name
            .as_deref()
            .map_or_else(String::new, |n| format!(" ({})", escape(n)));
        let why = a
            .failure_reason
            .as_deref()
            .map_or_else(String::new, |r| format!(" — {}", escape(r)));
        let _ = write!(
            out,
            "<li data-account-id=\"{}\">account <code>{}</code>{name}: {}{why}</li>",
            escape(id),
            escape(id),
            escape(&data_source(a, data.date)),
        );
    }
    out.push_str("</ul></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(fmt_int(0), "0");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(fmt_int(1414), "1,414");
        assert_eq!(fmt_int(-1234567), "-1,234,567");
    }

    #[test]
    fn deltas_say_which_way_is_bad() {
        assert!(delta(5, Some(3), Some(true)).contains("up-bad"));
        assert!(delta(5, Some(3), Some(true)).contains("▲ 2"));
        assert!(delta(3, Some(5), Some(true)).contains("down-good"));
        assert!(delta(3, Some(5), Some(false)).contains("down-bad"));
        assert!(delta(3, Some(5), None).contains("neutral"));
        assert!(delta(3, Some(3), Some(true)).contains("no change"));
        assert!(delta(3, None, Some(true)).contains("no earlier date"));
    }
}
