//! The analysis itself, as a pure function of two snapshots, the previous
//! ledger, owners and reviews: unused permissions, their deltas, summaries,
//! the new ledger and the alerts. No I/O here, so every rule is tested on
//! hand-built days.
//!
//! Rules (also in docs/ANALYZE.md):
//! - **Unused**: a permission Access Advisor lists for the role whose last
//!   use is null or more than `unused_days` days before the snapshot date
//!   (00:00 UTC). A wholly unused service is one `service` row; in a service
//!   that is used, each unused tracked action is an `action` row.
//! - **Grace**: a role created less than `unused_days` days before the date
//!   is not flagged yet: it has not had the chance to use what it was given.
//! - **iam:PassRole** is invisible to Access Advisor: for a role whose
//!   policies grant it, the `iam` service is never called unused as a whole
//!   (only its unused tracked actions are), and the role is listed in
//!   `passrole_grants` instead.
//! - **Identity** of a permission is (role id, permission): a role deleted
//!   and recreated under the same name is a new role.

use super::grants::{self, Grant, PolicyIn};
use super::input::{AccessData, RoleIn, Snapshot};
use super::owners::{Iac, Owners, Ownership};
use super::reviews::{self, Decision, Review};
use super::terraform::IacRef;
use super::unused_roles::{self, AlertUnusedRole};
pub(crate) use crate::model::columns::days_since_epoch;
use crate::model::ledger::{LedgerRow, PassRoleRow, ReviewStatusRow};
use crate::model::role_owners::RoleOwnerRow;
use crate::model::summaries::{ActionRisk, DailyRow, TeamRow};
use crate::model::unused_deltas::DeltaRow;
use crate::model::unused_permissions::UnusedRow;
use crate::model::unused_roles::UnusedRoleRow;
use chrono::NaiveDate;
use serde::Serialize;
// Fx hashing: the keys are ids and names from our own lake, not attacker
// input, and SipHash was a visible share of analyze's time.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::{BTreeMap, BTreeSet};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Settings of one analysis.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Days without use after which a permission counts as unused.
    pub unused_days: i64,
    /// Whether alerts are delivered this run (only then are items marked
    /// alerted in the ledger).
    pub alerting: bool,
    /// The sensitive actions, in report order.
    pub sensitive_actions: Vec<String>,
    /// Whether alerts are routed (`--routes`): then every open, fresh item
    /// is a candidate, and each destination's own memory decides.
    pub routing: bool,
}

/// A permission found unused in one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Unused {
    pub role: usize,
    pub permission: String,
    pub service: String,
    pub granularity: &'static str,
    pub last_used: Option<i64>,
    pub days_unused: i32,
    /// The date of the Access Advisor data it was found in.
    pub data_date: NaiveDate,
}

/// Everything analyze writes for one date.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub unused: Vec<UnusedRow>,
    /// Unused roles (docs/ANALYZE.md#unused-roles).
    pub unused_roles: Vec<UnusedRoleRow>,
    /// Credential report findings, filled in by [`super::credentials`].
    pub credential_findings: Vec<crate::model::credential_findings::CredentialFindingRow>,
    pub deltas: Vec<DeltaRow>,
    pub teams: Vec<TeamRow>,
    pub daily: Vec<DailyRow>,
    pub passrole: Vec<PassRoleRow>,
    pub reviews: Vec<ReviewStatusRow>,
    pub ledger: Vec<LedgerRow>,
    pub alerts: Vec<Alert>,
    /// Every role's owner, its source and the code that manages it.
    pub owners: Vec<RoleOwnerRow>,
    /// With routing: every role's open, fresh items, whether alerted
    /// before or not (each destination filters by its own memory).
    pub candidates: Vec<super::routes::Candidate>,
}

/// One alert: the new items of one role, for its owner team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub snapshot_date: NaiveDate,
    pub team: String,
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_name: String,
    pub role_arn: String,
    /// The Terraform resource that manages the role, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform: Option<IacRef>,
    pub new_unused_permissions: Vec<AlertUnused>,
    pub new_sensitive_grants: Vec<String>,
    /// Set when the role itself is newly found unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_unused_role: Option<AlertUnusedRole>,
    /// Where each new sensitive grant is written (same order, those found).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sensitive_grant_fixes: Vec<SensitiveFix>,
}

/// Where a sensitive grant is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitiveFix {
    pub action: String,
    pub fix: Grant,
}

/// An unused permission in an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertUnused {
    pub permission: String,
    pub days_unused: i32,
    pub never_used: bool,
    /// The policy, statement and Terraform resource that grant it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Grant>,
}

fn day_start_micros(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_micros()
}

/// The unused permissions of one snapshot, by the rules above. Each role is
/// judged as of the date its Access Advisor data describes (the snapshot
/// date, or the earlier date its data was carried from); a role whose data
/// is unknown has none.
pub fn find_unused(snap: &Snapshot, unused_days: i64) -> Vec<Unused> {
    let index: HashMap<&str, usize> = snap
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.role_id.as_str(), i))
        .collect();
    // role → service → (service row's last use, [(action, last use)])
    type Services<'a> = BTreeMap<&'a str, (Option<Option<i64>>, Vec<(&'a str, Option<i64>)>)>;
    let mut by_role: BTreeMap<usize, Services> = BTreeMap::new();
    for a in &snap.access {
        let Some(&role) = index.get(a.role_id.as_str()) else {
            continue;
        };
        let entry = by_role
            .entry(role)
            .or_default()
            .entry(a.service_namespace.as_str())
            .or_default();
        match &a.action {
            None => entry.0 = Some(a.last_authenticated),
            Some(action) => entry.1.push((action.as_str(), a.last_authenticated)),
        }
    }
    let mut out = Vec::new();
    for (role_idx, services) in by_role {
        let role = &snap.roles[role_idx];
        let Some(as_of) = role.access.date(snap.date) else {
            continue; // unknown: never unused, never used
        };
        let now = day_start_micros(as_of);
        let cutoff = now - unused_days * MICROS_PER_DAY;
        if role.create_date > cutoff {
            continue; // grace: younger than the threshold
        }
        let days =
            |last: Option<i64>| ((now - last.unwrap_or(role.create_date)) / MICROS_PER_DAY) as i32;
        let unused = |last: Option<i64>| last.is_none_or(|t| t < cutoff);
        for (service, (service_last, actions)) in services {
            // A service known only from action rows: its last use is the
            // latest action use.
            let service_last =
                service_last.unwrap_or_else(|| actions.iter().filter_map(|(_, t)| *t).max());
            let passrole_hides_iam = service == "iam" && snap.passrole.contains(&role.role_id);
            if unused(service_last) && !passrole_hides_iam {
                out.push(Unused {
                    role: role_idx,
                    permission: service.to_string(),
                    service: service.to_string(),
                    granularity: "service",
                    last_used: service_last,
                    days_unused: days(service_last),
                    data_date: as_of,
                });
                continue;
            }
            for (action, last) in actions {
                if unused(last) {
                    out.push(Unused {
                        role: role_idx,
                        permission: action.to_string(),
                        service: service.to_string(),
                        granularity: "action",
                        last_used: last,
                        days_unused: days(last),
                        data_date: as_of,
                    });
                }
            }
        }
    }
    out
}

/// Everything granted to a role per Access Advisor: (role id, permission).
fn granted(snap: &Snapshot) -> HashSet<(String, String)> {
    snap.access
        .iter()
        .flat_map(|a| {
            let service = (a.role_id.clone(), a.service_namespace.clone());
            let action = a.action.as_ref().map(|x| (a.role_id.clone(), x.clone()));
            std::iter::once(service).chain(action)
        })
        .collect()
}

/// Per sensitive action, roles allowed at account breadth or wider (and on
/// `*`), and the risky roles; plus the roles allowed some action on `*`.
struct Risk<'a> {
    by_action: Vec<ActionRisk>,
    risky: HashSet<&'a str>,
    on_any_resource: HashSet<&'a str>,
}

fn risk_counts<'a>(
    actions: &[String],
    sims: impl Iterator<Item = &'a super::input::SimIn>,
) -> Risk<'a> {
    let mut counts: BTreeMap<&str, ActionRisk> = BTreeMap::new();
    let mut risky = HashSet::default();
    let mut on_any_resource = HashSet::default();
    for s in sims {
        let c = counts.entry(s.action.as_str()).or_default();
        if s.is_risky() {
            c.allowed += 1;
            risky.insert(s.role_id.as_str());
        } else if s.is_conditionally_risky() {
            c.conditionally_allowed += 1;
        }
        if s.decision == "allowed" {
            c.allowed_on_any_resource += 1;
            on_any_resource.insert(s.role_id.as_str());
        }
    }
    let by_action = actions
        .iter()
        .map(|a| ActionRisk {
            action: a.clone(),
            ..counts.get(a.as_str()).cloned().unwrap_or_default()
        })
        .collect();
    Risk {
        by_action,
        risky,
        on_any_resource,
    }
}

/// Runs the analysis of `cur` against `prev` (the previous complete
/// snapshot, if any) and the ledger of the previous analyze run, with no
/// memory of earlier reviews (see [`analyze_with`]).
pub fn analyze(
    cur: &Snapshot,
    prev: Option<&Snapshot>,
    prev_ledger: Vec<LedgerRow>,
    owners: &Owners,
    reviews_in: &[Review],
    rules: &Rules,
) -> Analysis {
    analyze_with(cur, prev, prev_ledger, &[], owners, reviews_in, rules)
}

/// The role a review names: the first of the snapshot with its name in its
/// account (id or name).
fn review_role(cur: &Snapshot, r: &Review) -> Option<usize> {
    cur.roles.iter().position(|role| {
        role.role_name == r.role
            && (role.account_id == r.account
                || role
                    .account_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&r.account)))
    })
}

/// [`Review::identity`] of a `review_status` row of an earlier run.
fn row_identity(r: &ReviewStatusRow) -> String {
    let day = |d: Option<i32>| {
        d.map(|d| crate::model::columns::date_of(d).to_string())
            .unwrap_or_default()
    };
    format!(
        "{}|{}|{}|{}|{}|{}|{}",
        r.account,
        r.role_name,
        r.permission,
        r.decision,
        r.reason.as_deref().unwrap_or(""),
        day(r.review_date),
        day(r.expires),
    )
}

/// Whether a review still holds on the date: its expiry, and the grant it
/// was made against (see docs/ANALYZE.md, "Reviews").
#[derive(Debug, Clone, Default)]
struct ReviewState {
    expired: bool,
    baseline: Option<String>,
    invalidated_on: Option<i32>,
}

impl ReviewState {
    fn holds(&self) -> bool {
        !self.expired && self.invalidated_on.is_none()
    }
}

/// [`analyze`], remembering the reviews of the previous analyze run
/// (`prev_reviews`, its `review_status`): each review's grant fingerprint
/// is carried, so a review whose grant changed stays invalidated.
pub fn analyze_with(
    cur: &Snapshot,
    prev: Option<&Snapshot>,
    prev_ledger: Vec<LedgerRow>,
    prev_reviews: &[ReviewStatusRow],
    owners: &Owners,
    reviews_in: &[Review],
    rules: &Rules,
) -> Analysis {
    let today = days_since_epoch(cur.date);
    let ownership: Vec<Ownership> = cur.roles.iter().map(|r| owners.ownership(r)).collect();
    let owner_of: Vec<(String, &'static str)> = ownership
        .iter()
        .map(|o| (o.team.clone(), o.source.as_str()))
        .collect();
    let role_index: HashMap<&str, usize> = cur
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.role_id.as_str(), i))
        .collect();

    let mut ledger: Ledger = prev_ledger
        .into_iter()
        .map(|l| ((l.kind.clone(), l.role_id.clone(), l.item.clone()), l))
        .collect();

    // --- unused permissions now, with review status, ledger memory and
    // where each is granted
    let mut policies_of: HashMap<&str, Vec<&PolicyIn>> = HashMap::default();
    for p in &cur.policies {
        policies_of.entry(p.role_id.as_str()).or_default().push(p);
    }
    let grant_of = |role: &RoleIn, permission: &str| {
        grants::find_grant(
            policies_of
                .get(role.role_id.as_str())
                .map_or(&[][..], Vec::as_slice),
            permission,
            owners.terraform(),
            &role.arn,
            &role.role_name,
        )
    };
    // --- which reviews still hold: not past their expiry, and the role's
    // grant of the permission is the one the review was made against.
    let earlier: HashMap<String, &ReviewStatusRow> =
        prev_reviews.iter().map(|r| (row_identity(r), r)).collect();
    let review_states: Vec<ReviewState> = reviews_in
        .iter()
        .map(|r| {
            let now = review_role(cur, r).and_then(|ri| {
                let role = &cur.roles[ri];
                grants::grant_fingerprint(
                    policies_of
                        .get(role.role_id.as_str())
                        .map_or(&[][..], Vec::as_slice),
                    &r.permission,
                )
            });
            let before = earlier.get(&r.identity());
            let baseline = match before {
                Some(b) => b.grant_fingerprint.clone(),
                None => now.clone(),
            };
            // Seen before, and granted now by something else than then
            // (or granted again after it was gone): the review no longer
            // describes the grant.
            let changed = before.is_some() && now.is_some() && now != baseline;
            ReviewState {
                expired: r.expires.is_some_and(|e| cur.date > e),
                invalidated_on: before
                    .and_then(|b| b.invalidated_on)
                    .or_else(|| changed.then_some(today)),
                baseline: baseline.or(now),
            }
        })
        .collect();
    let found = find_unused(cur, rules.unused_days);
    let mut unused_rows = Vec::with_capacity(found.len());
    let mut alerts_by_role: BTreeMap<usize, Alert> = BTreeMap::new();
    let mut candidates: BTreeMap<usize, Alert> = BTreeMap::new();
    for u in &found {
        let role = &cur.roles[u.role];
        let (team, source) = owner_of[u.role].clone();
        let grant = grant_of(role, &u.permission);
        let role_at = owners.terraform().lookup(&role.arn);
        let review = reviews::find_index(
            reviews_in,
            &role.account_id,
            role.account_name.as_deref(),
            &role.role_name,
            &u.permission,
        )
        .filter(|&i| review_states[i].holds())
        .map(|i| &reviews_in[i]);
        let status = review_state(review);
        let entry = remember(&mut ledger, "unused", role, &u.permission, today);
        // Only open items are alerted, and only once ever: kept and
        // delete-reviewed items have already had a human look at them.
        // Items seen only in carried data wait for fresh data: nobody is
        // alerted on what an earlier day said.
        let item = || AlertUnused {
            permission: u.permission.clone(),
            days_unused: u.days_unused,
            never_used: u.last_used.is_none(),
            fix: grant.clone(),
        };
        if rules.routing && status == "open" && is_fresh(role) {
            alert_for(&mut candidates, cur, u.role, &team, role_at)
                .new_unused_permissions
                .push(item());
        }
        if rules.alerting && status == "open" && entry.alerted_on.is_none() && is_fresh(role) {
            entry.alerted_on = Some(today);
            alert_for(&mut alerts_by_role, cur, u.role, &team, role_at)
                .new_unused_permissions
                .push(item());
        }
        unused_rows.push(UnusedRow {
            account_id: role.account_id.clone(),
            account_name: role.account_name.clone(),
            role_id: role.role_id.clone(),
            role_name: role.role_name.clone(),
            role_arn: role.arn.clone(),
            owner_team: team,
            owner_source: source.to_string(),
            permission: u.permission.clone(),
            service_namespace: u.service.clone(),
            granularity: u.granularity.to_string(),
            last_used_at: u.last_used,
            days_unused: u.days_unused,
            review_status: status.to_string(),
            review_reason: review.and_then(|r| r.reason.clone()),
            reviewer: review.and_then(|r| r.reviewer.clone()),
            first_seen: entry.first_seen,
            alerted_on: entry.alerted_on,
            data_date: days_since_epoch(u.data_date),
            iac_state: role_at.map(|a| a.state.clone()),
            iac_address: role_at.map(|a| a.address.clone()),
            grant_policy: grant.as_ref().map(|g| g.policy.clone()),
            grant_statement: grant.as_ref().map(|g| g.statement.clone()),
            grant_state: grant.as_ref().and_then(|g| g.terraform_state.clone()),
            grant_address: grant.and_then(|g| g.terraform_address),
        });
    }

    // --- sensitive grants: remembered, and alerted once when new
    for s in cur.sims.iter().filter(|s| s.is_risky()) {
        let Some(&ri) = role_index.get(s.role_id.as_str()) else {
            continue;
        };
        let role = &cur.roles[ri];
        let entry = remember(&mut ledger, "sensitive_grant", role, &s.action, today);
        if rules.routing && role.carried_from.is_none() {
            let team = owner_of[ri].0.clone();
            let at = owners.terraform().lookup(&role.arn);
            let fix = grant_of(role, &s.action);
            let c = alert_for(&mut candidates, cur, ri, &team, at);
            c.new_sensitive_grants.push(s.action.clone());
            if let Some(fix) = fix {
                c.sensitive_grant_fixes.push(SensitiveFix {
                    action: s.action.clone(),
                    fix,
                });
            }
        }
        if rules.alerting && entry.alerted_on.is_none() && role.carried_from.is_none() {
            entry.alerted_on = Some(today);
            let team = owner_of[ri].0.clone();
            let fix = grant_of(role, &s.action);
            let at = owners.terraform().lookup(&role.arn);
            let alert = alert_for(&mut alerts_by_role, cur, ri, &team, at);
            alert.new_sensitive_grants.push(s.action.clone());
            if let Some(fix) = fix {
                alert.sensitive_grant_fixes.push(SensitiveFix {
                    action: s.action.clone(),
                    fix,
                });
            }
        }
    }

    // --- unused roles, their ledger memory, alerts and changes
    let role_cx = unused_roles::Context {
        cur,
        prev,
        owner_of: &owner_of,
        owners,
        reviews: reviews_in,
        unused_days: rules.unused_days,
        alerting: rules.alerting,
        routing: rules.routing,
    };
    let role_findings =
        unused_roles::analyze(&role_cx, &mut ledger, &mut alerts_by_role, &mut candidates);

    // --- deltas against the previous snapshot
    let mut deltas = Vec::new();
    let prev_date = prev.map(|p| days_since_epoch(p.date));
    let now_keys: HashSet<(&str, &str)> = found
        .iter()
        .map(|u| (cur.roles[u.role].role_id.as_str(), u.permission.as_str()))
        .collect();
    let prev_found = prev
        .map(|p| find_unused(p, rules.unused_days))
        .unwrap_or_default();
    let prev_keys: HashSet<(&str, &str)> = match prev {
        Some(p) => prev_found
            .iter()
            .map(|u| (p.roles[u.role].role_id.as_str(), u.permission.as_str()))
            .collect(),
        None => HashSet::default(),
    };
    // What the previous snapshot could not see: an account without data,
    // or a role whose Access Advisor data was unknown.
    let prev_blind: HashSet<&str> = prev
        .map(|p| {
            p.roles
                .iter()
                .filter(|r| r.access == AccessData::Unknown)
                .map(|r| r.role_id.as_str())
                .collect()
        })
        .unwrap_or_default();
    for row in &unused_rows {
        if prev_keys.contains(&(row.role_id.as_str(), row.permission.as_str())) {
            continue;
        }
        let prev_saw_nothing = prev.is_some_and(|p| p.account_without_data(&row.account_id))
            || prev_blind.contains(row.role_id.as_str());
        if prev_saw_nothing && row.first_seen < today {
            // Known unused before the previous snapshot's gap: not a change
            // since the previous snapshot, whatever the gap hid.
            continue;
        }
        // Seen unused on some date before the previous snapshot: it was
        // resolved in between and is back.
        let seen_before = prev_date.is_some_and(|pd| row.first_seen < pd);
        deltas.push(DeltaRow {
            account_id: row.account_id.clone(),
            role_id: row.role_id.clone(),
            role_name: row.role_name.clone(),
            role_arn: row.role_arn.clone(),
            owner_team: row.owner_team.clone(),
            permission: row.permission.clone(),
            granularity: row.granularity.clone(),
            change: if seen_before { "reappeared" } else { "new" }.into(),
            resolution: None,
            previous_snapshot_date: prev_date,
        });
    }
    let granted_now = granted(cur);
    if let Some(p) = prev {
        for u in &prev_found {
            let role = &p.roles[u.role];
            if now_keys.contains(&(role.role_id.as_str(), u.permission.as_str())) {
                continue;
            }
            // Unknown today is not resolved: the account failed with nothing
            // to carry, or the role's Access Advisor data is missing.
            let unknown_now = cur.account_without_data(&role.account_id)
                || role_index
                    .get(role.role_id.as_str())
                    .is_some_and(|&i| cur.roles[i].access == AccessData::Unknown);
            if unknown_now {
                continue;
            }
            let resolution = if !role_index.contains_key(role.role_id.as_str()) {
                "role_deleted"
            } else if !granted_now.contains(&(role.role_id.clone(), u.permission.clone())) {
                "removed"
            } else {
                "used"
            };
            let team = match role_index.get(role.role_id.as_str()) {
                Some(&i) => owner_of[i].0.clone(),
                None => owners.resolve(role).0,
            };
            deltas.push(DeltaRow {
                account_id: role.account_id.clone(),
                role_id: role.role_id.clone(),
                role_name: role.role_name.clone(),
                role_arn: role.arn.clone(),
                owner_team: team,
                permission: u.permission.clone(),
                granularity: u.granularity.to_string(),
                change: "resolved".into(),
                resolution: Some(resolution.into()),
                previous_snapshot_date: prev_date,
            });
        }
    }
    deltas.extend(role_findings.deltas.iter().cloned());
    deltas.sort();

    // --- what became of each review. Reviews name permissions in any case,
    // so each lookup set is lower-cased once rather than per review.
    let lower = |set: HashSet<(String, String)>| -> HashSet<(String, String)> {
        set.into_iter()
            .map(|(id, p)| (id, p.to_ascii_lowercase()))
            .collect()
    };
    let (granted_now_lc, granted_prev_lc, seen_unused_lc) = if reviews_in.is_empty() {
        Default::default()
    } else {
        (
            lower(granted_now.clone()),
            lower(prev.map(granted).unwrap_or_default()),
            ledger
                .values()
                .filter(|l| l.kind == "unused")
                .map(|l| (l.role_id.clone(), l.item.to_ascii_lowercase()))
                .collect::<HashSet<_>>(),
        )
    };
    let mut review_rows = Vec::new();
    for (r, state) in reviews_in.iter().zip(&review_states) {
        let (status, team) = match review_role(cur, r).map(|i| &cur.roles[i]) {
            // A review of a whole role has rules of its own.
            _ if r.permission == unused_roles::ROLE_ITEM => {
                unused_roles::review_status(r, &role_cx, &ledger)
            }
            None => ("unknown_role", None),
            Some(role) => {
                let team = Some(owners.resolve(role).0);
                let key = (role.role_id.clone(), r.permission.clone());
                if role.access == AccessData::Unknown {
                    // Nothing says whether the permission is still granted.
                    ("no_data", team)
                } else if state.expired {
                    ("expired", team)
                } else if state.invalidated_on.is_some() {
                    ("invalidated", team)
                } else if granted_now_lc.contains(&key) {
                    ("applied", team)
                } else if r.decision == Decision::Delete
                    && (granted_prev_lc.contains(&key) || seen_unused_lc.contains(&key))
                {
                    // Gone now, and it was granted on the previous snapshot
                    // or iamlake once saw it unused on this role.
                    ("done", team)
                } else {
                    ("unknown_permission", team)
                }
            }
        };
        review_rows.push(ReviewStatusRow {
            account: r.account.clone(),
            role_name: r.role.clone(),
            permission: r.permission.clone(),
            decision: r.decision.as_str().into(),
            reason: r.reason.clone(),
            reviewer: r.reviewer.clone(),
            review_date: r.date.map(days_since_epoch),
            owner_team: team,
            status: status.into(),
            source: r.source.clone(),
            expires: r.expires.map(days_since_epoch),
            grant_fingerprint: state.baseline.clone(),
            invalidated_on: state.invalidated_on,
        });
    }

    // --- PassRole grants (decisions looked up by role id, not by scanning
    // every simulation for every role)
    let passrole_decisions: HashMap<&str, &str> = cur
        .sims
        .iter()
        .filter(|s| s.action.eq_ignore_ascii_case("iam:PassRole"))
        .map(|s| (s.role_id.as_str(), s.decision.as_str()))
        .collect();
    let passrole: Vec<PassRoleRow> = cur
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| cur.passrole.contains(&r.role_id))
        .map(|(i, r)| PassRoleRow {
            account_id: r.account_id.clone(),
            role_id: r.role_id.clone(),
            role_name: r.role_name.clone(),
            role_arn: r.arn.clone(),
            owner_team: owner_of[i].0.clone(),
            decision_on_any_resource: passrole_decisions
                .get(r.role_id.as_str())
                .map_or_else(|| "not_evaluated".to_string(), |d| d.to_string()),
        })
        .collect();

    // --- summaries
    let mut teams = team_summary(
        cur,
        &owner_of,
        &unused_rows,
        &deltas,
        &review_rows,
        &passrole,
        rules,
    );
    let mut daily = daily_summary(cur, &owner_of, &unused_rows, &deltas, rules);
    unused_roles::count(&mut teams, &mut daily, &role_findings, &review_rows);

    Analysis {
        unused: unused_rows,
        unused_roles: role_findings.rows,
        credential_findings: Vec::new(),
        deltas,
        teams,
        daily,
        passrole,
        reviews: review_rows,
        ledger: ledger.into_values().collect(),
        alerts: alerts_by_role.into_values().collect(),
        candidates: candidates
            .into_iter()
            .map(|(ri, alert)| super::routes::Candidate {
                role_id: cur.roles[ri].role_id.clone(),
                alert,
            })
            .collect(),
        owners: cur
            .roles
            .iter()
            .zip(ownership)
            .map(|(r, o)| role_owner_row(r, o))
            .collect(),
    }
}

fn role_owner_row(r: &RoleIn, o: Ownership) -> RoleOwnerRow {
    let (kind, state, module, address) = match o.iac {
        Some(Iac::Terraform(at)) => (
            Some("terraform"),
            Some(at.state),
            at.module,
            Some(at.address),
        ),
        Some(Iac::CloudFormation { stack, logical_id }) => {
            (Some("cloudformation"), Some(stack), None, logical_id)
        }
        None => (None, None, None, None),
    };
    RoleOwnerRow {
        account_id: r.account_id.clone(),
        account_name: r.account_name.clone(),
        role_id: r.role_id.clone(),
        role_name: r.role_name.clone(),
        role_arn: r.arn.clone(),
        owner_team: o.team,
        owner_source: o.source.as_str().to_string(),
        owner_detail: o.detail,
        iac_kind: kind.map(str::to_string),
        iac_state: state,
        iac_module: module,
        iac_address: address,
    }
}

/// The alert ledger by (kind, role id, item).
pub(super) type Ledger = BTreeMap<(String, String, String), LedgerRow>;

/// The ledger entry of `item` of `role`, made on first sight, marked seen
/// `today` (days since the epoch).
pub(super) fn remember<'l>(
    ledger: &'l mut Ledger,
    kind: &str,
    role: &RoleIn,
    item: &str,
    today: i32,
) -> &'l mut LedgerRow {
    let key = (kind.to_string(), role.role_id.clone(), item.to_string());
    let entry = ledger.entry(key).or_insert_with(|| LedgerRow {
        account_id: role.account_id.clone(),
        role_id: role.role_id.clone(),
        role_name: role.role_name.clone(),
        kind: kind.into(),
        item: item.into(),
        first_seen: today,
        last_seen: today,
        alerted_on: None,
    });
    entry.last_seen = today;
    entry
}

/// The `review_status` of a finding: what its review, if any, decided.
pub(super) fn review_state(review: Option<&Review>) -> &'static str {
    match review.map(|r| r.decision) {
        Some(Decision::Keep) => "kept",
        Some(Decision::Delete) => "to_delete",
        None => "open",
    }
}

/// Whether everything known of the role was collected on the snapshot date.
fn is_fresh(role: &RoleIn) -> bool {
    role.carried_from.is_none() && role.access == AccessData::Fresh
}

pub(super) fn alert_for<'a>(
    alerts: &'a mut BTreeMap<usize, Alert>,
    cur: &Snapshot,
    role: usize,
    team: &str,
    terraform: Option<&IacRef>,
) -> &'a mut Alert {
    alerts.entry(role).or_insert_with(|| {
        let r = &cur.roles[role];
        Alert {
            terraform: terraform.cloned(),
            sensitive_grant_fixes: Vec::new(),
            snapshot_date: cur.date,
            team: team.to_string(),
            account_id: r.account_id.clone(),
            account_name: r.account_name.clone(),
            role_name: r.role_name.clone(),
            role_arn: r.arn.clone(),
            new_unused_permissions: Vec::new(),
            new_sensitive_grants: Vec::new(),
            new_unused_role: None,
        }
    })
}

fn team_summary(
    cur: &Snapshot,
    owner_of: &[(String, &'static str)],
    unused: &[UnusedRow],
    deltas: &[DeltaRow],
    reviews: &[ReviewStatusRow],
    passrole: &[PassRoleRow],
    rules: &Rules,
) -> Vec<TeamRow> {
    let teams: BTreeSet<&str> = owner_of.iter().map(|(t, _)| t.as_str()).collect();
    let team_of_role: HashMap<&str, &str> = cur
        .roles
        .iter()
        .zip(owner_of)
        .map(|(r, (t, _))| (r.role_id.as_str(), t.as_str()))
        .collect();
    teams
        .into_iter()
        .map(|team| {
            let roles = owner_of.iter().filter(|(t, _)| t == team).count() as i32;
            let risk = risk_counts(
                &rules.sensitive_actions,
                cur.sims
                    .iter()
                    .filter(|s| team_of_role.get(s.role_id.as_str()) == Some(&team)),
            );
            let mine = unused.iter().filter(|u| u.owner_team == team);
            let count =
                |status: &str| mine.clone().filter(|u| u.review_status == status).count() as i32;
            let (open, kept, to_delete) = (count("open"), count("kept"), count("to_delete"));
            let done = reviews
                .iter()
                .filter(|r| r.status == "done" && r.owner_team.as_deref() == Some(team))
                .filter(|r| r.permission != unused_roles::ROLE_ITEM)
                .count() as i32;
            let total = open + kept + to_delete + done;
            TeamRow {
                owner_team: team.to_string(),
                roles,
                risky_roles: risk.risky.len() as i32,
                risky_by_action: risk.by_action,
                risky_roles_on_any_resource: risk.on_any_resource.len() as i32,
                passrole_roles: passrole.iter().filter(|p| p.owner_team == team).count() as i32,
                unused_open: open,
                unused_kept: kept,
                unused_to_delete: to_delete,
                unused_done: done,
                unused_new: deltas
                    .iter()
                    .filter(|d| d.granularity != unused_roles::GRANULARITY)
                    .filter(|d| d.owner_team == team && d.change != "resolved")
                    .count() as i32,
                review_progress: (total > 0)
                    .then(|| f64::from(kept + to_delete + done) / f64::from(total)),
                roles_carried: cur
                    .roles
                    .iter()
                    .zip(owner_of)
                    .filter(|(r, (t, _))| t == team && r.carried_from.is_some())
                    .count() as i32,
                // Unused roles are counted by unused_roles::count.
                ..TeamRow::default()
            }
        })
        .collect()
}

fn daily_summary(
    cur: &Snapshot,
    owner_of: &[(String, &'static str)],
    unused: &[UnusedRow],
    deltas: &[DeltaRow],
    rules: &Rules,
) -> Vec<DailyRow> {
    let row = |scope: &str, account: Option<(&str, Option<&str>)>| {
        let in_scope = |id: &str| account.is_none_or(|(a, _)| a == id);
        let roles: Vec<usize> = (0..cur.roles.len())
            .filter(|&i| in_scope(&cur.roles[i].account_id))
            .collect();
        let role_ids: HashSet<&str> = roles
            .iter()
            .map(|&i| cur.roles[i].role_id.as_str())
            .collect();
        let risk = risk_counts(
            &rules.sensitive_actions,
            cur.sims
                .iter()
                .filter(|s| role_ids.contains(s.role_id.as_str())),
        );
        let mine = unused.iter().filter(|u| in_scope(&u.account_id));
        let changes = deltas
            .iter()
            .filter(|d| d.granularity != unused_roles::GRANULARITY && in_scope(&d.account_id));
        let states = cur.accounts.iter().filter(|a| in_scope(&a.account_id));
        let state = account.and_then(|(id, _)| cur.accounts.iter().find(|a| a.account_id == id));
        let access = |want: fn(AccessData) -> bool| {
            roles.iter().filter(|&&i| want(cur.roles[i].access)).count() as i32
        };
        DailyRow {
            scope: scope.to_string(),
            account_id: account.map(|(a, _)| a.to_string()),
            account_name: account.and_then(|(_, n)| n.map(str::to_string)),
            roles: roles.len() as i32,
            risky_roles: risk.risky.len() as i32,
            risky_by_action: risk.by_action,
            risky_roles_on_any_resource: risk.on_any_resource.len() as i32,
            unused_permissions: mine.clone().count() as i32,
            unused_open: mine.filter(|u| u.review_status == "open").count() as i32,
            unused_new: changes.clone().filter(|d| d.change != "resolved").count() as i32,
            unused_resolved: changes.filter(|d| d.change == "resolved").count() as i32,
            unowned_roles: roles
                .iter()
                .filter(|&&i| owner_of[i].0 == super::owners::UNOWNED)
                .count() as i32,
            // A manifest without an accounts list (older lakes) collected
            // every account it has rows for.
            account_status: account.map(|_| state.map_or("ok", |s| s.status).to_string()),
            data_date: account.and_then(|_| {
                state
                    .map_or(Some(cur.date), |s| s.data_date)
                    .map(days_since_epoch)
            }),
            ou_path: state.and_then(|s| s.ou_path.clone()),
            failure_reason: state.and_then(|s| s.failure_reason.clone()),
            accounts_carried: states.clone().filter(|a| a.status == "carried").count() as i32,
            accounts_without_data: states.filter(|a| a.status == "no_data").count() as i32,
            roles_access_carried: access(|a| matches!(a, AccessData::Carried(_))),
            roles_access_unknown: access(|a| a == AccessData::Unknown),
            ..DailyRow::default()
        }
    };
    // Every account of the manifest, collected or not, then any account
    // known only from its rows (older manifests list none).
    let mut accounts: BTreeMap<&str, Option<&str>> = cur
        .accounts
        .iter()
        .map(|a| (a.account_id.as_str(), a.account_name.as_deref()))
        .collect();
    for r in &cur.roles {
        let name = accounts.entry(r.account_id.as_str()).or_default();
        if name.is_none() {
            *name = r.account_name.as_deref();
        }
    }
    std::iter::once(row("organization", None))
        .chain(
            accounts
                .into_iter()
                .map(|(id, name)| row("account", Some((id, name)))),
        )
        .collect()
}
