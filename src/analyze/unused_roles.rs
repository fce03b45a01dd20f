//! Unused roles: a whole role nobody assumed for `unused_days` (RoleLastUsed,
//! from the role's own `roles` row), with who may assume it, and how such a
//! finding moves through deltas, the ledger, alerts, reviews and the team
//! and daily counts — the same way an unused permission does.
//!
//! Rules (also in docs/ANALYZE.md#unused-roles):
//! - **Unused**: RoleLastUsed is null (not used within IAM's tracking
//!   period) or more than `unused_days` days before the date the role's row
//!   describes (the snapshot date, or its carried date), 00:00 UTC.
//! - **Grace**: a role created less than `unused_days` days before that
//!   date is not flagged, as for permissions.
//! - **Unknown**: a role whose use is not known (no [`RoleUse`] entry) is
//!   never unused and never resolved; nor is anything of a `no_data`
//!   account. A carried account's roles are judged as of their data date.
//! - **Service-linked** roles (path `/aws-service-role/`) are listed with
//!   `service_linked = true` but never alerted and kept out of the deltas
//!   and the counts of unused roles: AWS manages them.
//! - **Trust**: the account ids of the trusted AWS principals, the trusted
//!   services, and those accounts outside the organization (every account
//!   of the snapshot manifest or with a role is inside), `*` for anyone.

use super::compute::{Alert, Ledger, alert_for, days_since_epoch, remember, review_state};
use super::input::{RoleIn, RoleUse, Snapshot};
use super::owners::Owners;
use super::reviews::{self, Decision, Review};
use crate::model::ledger::ReviewStatusRow;
use crate::model::summaries::{DailyRow, TeamRow};
use crate::model::unused_deltas::DeltaRow;
use crate::model::unused_roles::UnusedRoleRow;
use chrono::NaiveDate;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `permission` of a whole-role finding: in `unused_deltas`, in the
/// alert ledger's `item`, and in the reviews file.
pub const ROLE_ITEM: &str = "role";
/// `unused_deltas.granularity` of a whole-role finding.
pub const GRANULARITY: &str = "role";
/// `alert_ledger.kind` of an unused role.
pub const LEDGER_KIND: &str = "unused_role";
/// The IAM path of service-linked roles.
pub const SERVICE_LINKED_PATH: &str = "/aws-service-role/";

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A role found unused in one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusedRole {
    /// Index into the snapshot's roles.
    pub role: usize,
    pub last_used: Option<i64>,
    pub days_unused: i32,
    /// The date the role's row describes.
    pub data_date: NaiveDate,
    pub service_linked: bool,
}

/// The new-unused-role part of an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertUnusedRole {
    pub days_unused: i32,
    pub never_used: bool,
    /// Trusted accounts outside the organization (`*`: anyone).
    pub external_accounts: Vec<String>,
}

/// Whether the role is service-linked (managed by AWS).
pub fn is_service_linked(role: &RoleIn) -> bool {
    role.path.starts_with(SERVICE_LINKED_PATH)
}

/// The unused roles of one snapshot by the rules above.
pub fn find(snap: &Snapshot, unused_days: i64) -> Vec<UnusedRole> {
    let mut out = Vec::new();
    for (i, role) in snap.roles.iter().enumerate() {
        let Some(usage) = snap.role_use.get(&role.role_id) else {
            continue; // use unknown: never unused
        };
        let as_of = role.carried_from.unwrap_or(snap.date);
        let now = as_of
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp_micros();
        let cutoff = now - unused_days * MICROS_PER_DAY;
        if role.create_date > cutoff {
            continue; // grace: younger than the threshold
        }
        if usage.last_used_at.is_some_and(|t| t >= cutoff) {
            continue;
        }
        out.push(UnusedRole {
            role: i,
            last_used: usage.last_used_at,
            days_unused: ((now - usage.last_used_at.unwrap_or(role.create_date)) / MICROS_PER_DAY)
                as i32,
            data_date: as_of,
            service_linked: is_service_linked(role),
        });
    }
    out
}

/// Who may assume a role, split by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// Account ids of the trusted AWS principals, sorted.
    pub accounts: Vec<String>,
    /// Trusted service principals, sorted.
    pub services: Vec<String>,
    /// Of `accounts`, those outside the organization, and `*` for anyone.
    pub external: Vec<String>,
}

/// The account id an AWS principal (`arn:aws:iam::123456789012:root`,
/// `arn:aws:sts::…:assumed-role/…`, any partition) belongs to.
fn principal_account(principal: &str) -> Option<&str> {
    let mut parts = principal.split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    let account = parts.nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// Splits `roles.trusted_principals` into accounts, services and what lies
/// outside the organization (`org`: its account ids).
pub fn trust(principals: &[String], org: &HashSet<&str>) -> Trust {
    let mut t = Trust::default();
    for p in principals {
        if p == "*" {
            t.external.push("*".into());
        } else if let Some(service) = p.strip_prefix("service:") {
            t.services.push(service.to_string());
        } else if let Some(account) = principal_account(p) {
            t.accounts.push(account.to_string());
            if !org.contains(account) {
                t.external.push(account.to_string());
            }
        }
    }
    for list in [&mut t.accounts, &mut t.services, &mut t.external] {
        list.sort();
        list.dedup();
    }
    t
}

/// The organization's account ids as the snapshot knows them: every account
/// of its manifest (collected or not) and every account with a role.
pub fn org_accounts(snap: &Snapshot) -> HashSet<&str> {
    snap.accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .chain(snap.roles.iter().map(|r| r.account_id.as_str()))
        .collect()
}

/// What [`analyze`] adds to the analysis.
#[derive(Debug, Clone, Default)]
pub struct RoleFindings {
    pub rows: Vec<UnusedRoleRow>,
    /// Rows for `unused_deltas` (granularity `role`).
    pub deltas: Vec<DeltaRow>,
}

/// Everything the unused-role rule needs from the analysis around it.
pub struct Context<'a> {
    pub cur: &'a Snapshot,
    pub prev: Option<&'a Snapshot>,
    pub owner_of: &'a [(String, &'static str)],
    pub owners: &'a Owners,
    pub reviews: &'a [Review],
    pub unused_days: i64,
    pub alerting: bool,
    /// Alerts are routed (`--routes`): open findings are candidates.
    pub routing: bool,
}

/// Finds the unused roles of `cx.cur`, their review status, ledger memory
/// and alerts (only open, never alerted, not service-linked, from data
/// collected on the date), and their changes since `cx.prev`.
pub fn analyze(
    cx: &Context,
    ledger: &mut Ledger,
    alerts: &mut BTreeMap<usize, Alert>,
    candidates: &mut BTreeMap<usize, Alert>,
) -> RoleFindings {
    let cur = cx.cur;
    let today = days_since_epoch(cur.date);
    let org = org_accounts(cur);
    let found = find(cur, cx.unused_days);
    let mut rows = Vec::with_capacity(found.len());
    let empty = RoleUse::default();
    for u in &found {
        let role = &cur.roles[u.role];
        let (team, source) = cx.owner_of[u.role].clone();
        let review = reviews::find(
            cx.reviews,
            &role.account_id,
            role.account_name.as_deref(),
            &role.role_name,
            ROLE_ITEM,
        );
        let status = review_state(review);
        let entry = remember(ledger, LEDGER_KIND, role, ROLE_ITEM, today);
        let usage = cur.role_use.get(&role.role_id).unwrap_or(&empty);
        let t = trust(&usage.trusted_principals, &org);
        // Carried rows wait for a day that collects the account.
        let at = cx.owners.terraform().lookup(&role.arn);
        let item = || AlertUnusedRole {
            days_unused: u.days_unused,
            never_used: u.last_used.is_none(),
            external_accounts: t.external.clone(),
        };
        // With routes, every open fresh finding is a candidate: each
        // destination's own memory decides what is new to it.
        if cx.routing && status == "open" && !u.service_linked && role.carried_from.is_none() {
            alert_for(candidates, cur, u.role, &team, at).new_unused_role = Some(item());
        }
        if cx.alerting
            && status == "open"
            && !u.service_linked
            && entry.alerted_on.is_none()
            && role.carried_from.is_none()
        {
            entry.alerted_on = Some(today);
            alert_for(alerts, cur, u.role, &team, at).new_unused_role = Some(item());
        }
        rows.push(UnusedRoleRow {
            account_id: role.account_id.clone(),
            account_name: role.account_name.clone(),
            role_id: role.role_id.clone(),
            role_name: role.role_name.clone(),
            role_arn: role.arn.clone(),
            path: role.path.clone(),
            service_linked: u.service_linked,
            owner_team: team,
            owner_source: source.to_string(),
            create_date: role.create_date,
            last_used_at: u.last_used,
            last_used_region: usage.last_used_region.clone(),
            days_unused: u.days_unused,
            trusted_principals: usage.trusted_principals.clone(),
            trusted_accounts: t.accounts,
            trusted_services: t.services,
            external_accounts: t.external,
            review_status: status.into(),
            review_reason: review.and_then(|r| r.reason.clone()),
            reviewer: review.and_then(|r| r.reviewer.clone()),
            first_seen: entry.first_seen,
            alerted_on: entry.alerted_on,
            data_date: days_since_epoch(u.data_date),
        });
    }
    let deltas = deltas(cx, &found, &rows, today);
    RoleFindings { rows, deltas }
}

/// New, reappeared and resolved unused roles (service-linked ones apart).
fn deltas(cx: &Context, found: &[UnusedRole], rows: &[UnusedRoleRow], today: i32) -> Vec<DeltaRow> {
    let cur = cx.cur;
    let mut out = Vec::new();
    let prev_date = cx.prev.map(|p| days_since_epoch(p.date));
    let ids = |snap: &'_ Snapshot, list: &[UnusedRole]| -> HashSet<String> {
        list.iter()
            .filter(|u| !u.service_linked)
            .map(|u| snap.roles[u.role].role_id.clone())
            .collect()
    };
    let now_ids = ids(cur, found);
    let prev_found = cx.prev.map(|p| find(p, cx.unused_days)).unwrap_or_default();
    let prev_ids = cx.prev.map(|p| ids(p, &prev_found)).unwrap_or_default();
    let delta = |row_of: (&RoleIn, &str), change: &str, resolution: Option<&str>| DeltaRow {
        account_id: row_of.0.account_id.clone(),
        role_id: row_of.0.role_id.clone(),
        role_name: row_of.0.role_name.clone(),
        role_arn: row_of.0.arn.clone(),
        owner_team: row_of.1.to_string(),
        permission: ROLE_ITEM.into(),
        granularity: GRANULARITY.into(),
        change: change.into(),
        resolution: resolution.map(str::to_string),
        previous_snapshot_date: prev_date,
    };
    for (u, row) in found.iter().zip(rows) {
        if u.service_linked || prev_ids.contains(&row.role_id) {
            continue;
        }
        // The previous snapshot could not see this role: its account had no
        // data, or its use was unknown. What was already seen unused before
        // that gap is no change since the previous snapshot.
        let prev_saw_nothing = cx.prev.is_some_and(|p| {
            p.account_without_data(&row.account_id)
                || (p.roles.iter().any(|r| r.role_id == row.role_id)
                    && !p.role_use.contains_key(&row.role_id))
        });
        if prev_saw_nothing && row.first_seen < today {
            continue;
        }
        let seen_before = prev_date.is_some_and(|pd| row.first_seen < pd);
        let change = if seen_before { "reappeared" } else { "new" };
        out.push(delta((&cur.roles[u.role], &row.owner_team), change, None));
    }
    if let Some(p) = cx.prev {
        let index: HashMap<&str, usize> = cur
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.role_id.as_str(), i))
            .collect();
        for u in prev_found.iter().filter(|u| !u.service_linked) {
            let role = &p.roles[u.role];
            if now_ids.contains(&role.role_id) {
                continue;
            }
            // Unknown today is not resolved.
            if cur.account_without_data(&role.account_id) {
                continue;
            }
            let (resolution, team) = match index.get(role.role_id.as_str()) {
                Some(_) if !cur.role_use.contains_key(&role.role_id) => continue,
                Some(&i) => ("used", cx.owner_of[i].0.clone()),
                None => ("role_deleted", cx.owners.resolve(role).0),
            };
            out.push(delta((role, &team), "resolved", Some(resolution)));
        }
    }
    out
}

/// What became of a review of a whole role (`permission = role`): `applied`
/// while the role exists, `done` for a delete review once it is gone (when
/// it was on the previous snapshot or iamlake once saw it unused),
/// `no_data` when its account or its use is unknown on the date, else
/// `unknown_role`. Returns the status and the role's owner team.
pub fn review_status(r: &Review, cx: &Context, ledger: &Ledger) -> (&'static str, Option<String>) {
    let cur = cx.cur;
    let named = |role: &&RoleIn| {
        role.role_name == r.role
            && (role.account_id == r.account
                || role
                    .account_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&r.account)))
    };
    if let Some((i, role)) = cur.roles.iter().enumerate().find(|(_, x)| named(x)) {
        let team = Some(cx.owner_of[i].0.clone());
        return if cur.role_use.contains_key(&role.role_id) {
            ("applied", team)
        } else {
            ("no_data", team)
        };
    }
    let account_unknown = cur.accounts.iter().any(|a| {
        a.status == "no_data"
            && (a.account_id == r.account
                || a.account_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&r.account)))
    });
    if account_unknown {
        return ("no_data", None);
    }
    if r.decision == Decision::Delete {
        if let Some(role) = cx.prev.and_then(|p| p.roles.iter().find(|x| named(x))) {
            return ("done", Some(cx.owners.resolve(role).0));
        }
        let seen = ledger.values().any(|l| {
            l.kind == LEDGER_KIND
                && l.role_name == r.role
                && (l.account_id == r.account
                    || cur.accounts.iter().any(|a| {
                        a.account_id == l.account_id
                            && a.account_name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(&r.account))
                    }))
        });
        if seen {
            return ("done", None);
        }
    }
    ("unknown_role", None)
}

/// Adds the unused-role counts to the team and daily rows.
pub fn count(
    teams: &mut [TeamRow],
    daily: &mut [DailyRow],
    found: &RoleFindings,
    reviews: &[ReviewStatusRow],
) {
    let is_role_review = |r: &&ReviewStatusRow| r.permission == ROLE_ITEM;
    for t in teams.iter_mut() {
        let team = t.owner_team.as_str();
        let mine = found.rows.iter().filter(|u| u.owner_team == team);
        let (slr, mine): (Vec<_>, Vec<_>) = mine.partition(|u| u.service_linked);
        let status = |s: &str| mine.iter().filter(|u| u.review_status == s).count() as i32;
        t.unused_roles_open = status("open");
        t.unused_roles_kept = status("kept");
        t.unused_roles_to_delete = status("to_delete");
        t.unused_roles_outside_org = mine
            .iter()
            .filter(|u| !u.external_accounts.is_empty())
            .count() as i32;
        t.unused_service_linked_roles = slr.len() as i32;
        t.unused_roles_done = reviews
            .iter()
            .filter(is_role_review)
            .filter(|r| r.status == "done" && r.owner_team.as_deref() == Some(team))
            .count() as i32;
        t.unused_roles_new = found
            .deltas
            .iter()
            .filter(|d| d.owner_team == team && d.change != "resolved")
            .count() as i32;
    }
    for d in daily.iter_mut() {
        let scope = d.account_id.clone();
        let in_scope = |id: &str| scope.as_deref().is_none_or(|a| a == id);
        let rows = found.rows.iter().filter(|u| in_scope(&u.account_id));
        d.unused_roles = rows.clone().filter(|u| !u.service_linked).count() as i32;
        d.unused_service_linked_roles = rows.filter(|u| u.service_linked).count() as i32;
        let changes = found.deltas.iter().filter(|x| in_scope(&x.account_id));
        d.unused_roles_new = changes.clone().filter(|x| x.change != "resolved").count() as i32;
        d.unused_roles_resolved = changes.filter(|x| x.change == "resolved").count() as i32;
    }
}

#[cfg(test)]
#[path = "unused_roles_tests.rs"]
mod tests;
