//! Reads what the report needs from the lake, lazily with polars (as
//! `analyze` does): only files an analyze manifest lists, only the columns
//! used. A date without an analyze manifest is never read.

use super::ReportError;
use crate::lake::Lake;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::read::{dates, scan, scan_lazy, str_lists, strs, timestamps};
use crate::model::columns::{date_of, days_since_epoch};
use crate::model::summaries::{ActionRisk, DailyRow, TeamRow};
use crate::model::{
    credential_findings, credentials, ledger, roles, summaries, unused_permissions, unused_roles,
};
use chrono::NaiveDate;
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The reported date.
    pub date: NaiveDate,
    /// Analyzed dates up to and including `date`, oldest first.
    pub dates: Vec<NaiveDate>,
    /// The sensitive actions, in the order of the manifest.
    pub actions: Vec<String>,
    /// The organization row of each date in `dates` (same order); `None`
    /// for a date whose daily_summary has no organization row.
    pub trend: Vec<Option<DailyRow>>,
    /// The account rows on `date`, by account name then id.
    pub accounts: Vec<DailyRow>,
    /// The account rows on the analyzed date before `date`, by account id.
    pub previous_accounts: HashMap<String, DailyRow>,
    /// team_summary on `date`.
    pub teams: Vec<TeamRow>,
    /// Roles allowed a sensitive action at account breadth or wider on `date`, newest grant first.
    pub newest_risky: Vec<RiskyRole>,
    /// `unused_roles` on `date` (empty when the date's analyze run predates
    /// the table: then `has_unused_roles` is false).
    pub unused_roles: Vec<UnusedRole>,
    pub has_unused_roles: bool,
    /// `credential_findings` on `date`.
    pub credential_findings: Vec<CredentialFinding>,
    pub has_credential_findings: bool,
    /// Account id -> IAM users (root excluded) in the credential report the
    /// account was judged on; an account missing here had no report on its
    /// data date: its findings are unknown, not zero.
    pub credential_users: HashMap<String, usize>,
}

/// One row of `unused_roles`, the columns the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusedRole {
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub service_linked: bool,
    pub owner_team: String,
    /// Microseconds since the epoch, UTC.
    pub last_used_at: Option<i64>,
    pub days_unused: i32,
    pub trusted_accounts: Vec<String>,
    pub trusted_services: Vec<String>,
    pub external_accounts: Vec<String>,
    pub review_status: String,
    pub first_seen: NaiveDate,
}

/// One row of `credential_findings`, the columns the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialFinding {
    pub account_id: String,
    /// The user's owner team; `None` in partitions analyzed before findings
    /// had owners.
    pub owner_team: Option<String>,
    pub user: String,
    pub finding: String,
    pub access_key: Option<i32>,
    /// Microseconds since the epoch, UTC.
    pub last_used_at: Option<i64>,
    pub days: Option<i32>,
    pub data_date: NaiveDate,
}

/// The credential findings, in the order the page counts them.
pub const CREDENTIAL_FINDINGS: [&str; 4] = [
    "access_key_unused",
    "access_key_old",
    "console_without_mfa",
    "inactive_user",
];

/// A role currently allowed at least one sensitive action on any resource.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskyRole {
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    /// Owner team, as analyze resolved it when known (unused_permissions,
    /// passrole_grants), else the snapshot's tag owner, else `unowned`.
    pub owner_team: String,
    /// The latest `first_seen` among its current sensitive grants.
    pub newest_first_seen: NaiveDate,
    /// The actions first seen on `newest_first_seen`.
    pub newest_actions: Vec<String>,
    /// Every sensitive action it is allowed on `*` on the date.
    pub all_actions: Vec<String>,
}

/// Reads the report's data for `date` (default: the latest analyzed date).
pub fn read(lake: &Lake, date: Option<NaiveDate>) -> Result<ReportData, ReportError> {
    let analyzed = lake.complete_dates(ManifestKind::Analyze)?;
    let Some(&latest) = analyzed.last() else {
        return Err(ReportError::NoAnalyzedDates { lake: lake.label() });
    };
    let date = date.unwrap_or(latest);
    if !analyzed.contains(&date) {
        return Err(ReportError::NotAnalyzed {
            lake: lake.label(),
            date,
            first: analyzed[0],
            last: latest,
        });
    }
    let dates: Vec<NaiveDate> = analyzed.into_iter().filter(|d| *d <= date).collect();
    let mut manifests = Vec::with_capacity(dates.len());
    for d in &dates {
        let m = lake
            .read_manifest(ManifestKind::Analyze, *d)?
            .ok_or_else(|| {
                // Listed a moment ago, gone now: a concurrent re-run.
                ReportError::NotAnalyzed {
                    lake: lake.label(),
                    date: *d,
                    first: dates[0],
                    last: date,
                }
            })?;
        manifests.push(m);
    }
    let current = manifests.last().expect("date is among the dates");
    let actions = current.sensitive_actions.clone();

    // daily_summary of every date at once: one lazy scan per file, tagged
    // with the date's position, concatenated and collected once.
    let daily = read_daily(lake, &manifests)?;
    let mut trend: Vec<Option<DailyRow>> = vec![None; dates.len()];
    let mut accounts = Vec::new();
    let mut previous_accounts = HashMap::new();
    let last = dates.len() - 1;
    for (idx, row) in daily {
        if row.scope == "organization" {
            trend[idx] = Some(row);
        } else if idx == last {
            accounts.push(row);
        } else if idx + 1 == last {
            previous_accounts.insert(row.account_id.clone().unwrap_or_default(), row);
        }
    }
    accounts.sort_by(|a, b| {
        (a.account_name.as_deref(), a.account_id.as_deref())
            .cmp(&(b.account_name.as_deref(), b.account_id.as_deref()))
    });

    if current.schema_version >= 2 {
        read_account_status(lake, current, &mut accounts)?;
    }

    let teams = read_teams(lake, current)?;
    let newest_risky = read_newest_risky(lake, current)?;
    let has_unused_roles = current.tables.contains_key(unused_roles::TABLE.name);
    let unused_roles = if has_unused_roles {
        read_unused_roles(lake, current)?
    } else {
        Vec::new()
    };
    let has_credential_findings = current.tables.contains_key(credential_findings::TABLE.name);
    let (credential_findings, credential_users) = if has_credential_findings {
        (
            read_credential_findings(lake, current)?,
            read_credential_users(lake, date, &accounts)?,
        )
    } else {
        (Vec::new(), HashMap::new())
    };
    Ok(ReportData {
        date,
        dates,
        actions,
        trend,
        accounts,
        previous_accounts,
        teams,
        newest_risky,
        unused_roles,
        has_unused_roles,
        credential_findings,
        has_credential_findings,
        credential_users,
    })
}

fn read_daily(lake: &Lake, manifests: &[Manifest]) -> Result<Vec<(usize, DailyRow)>, ReportError> {
    let table = summaries::DAILY_TABLE.name;
    let mut frames = Vec::new();
    for (idx, m) in manifests.iter().enumerate() {
        frames.push(scan_lazy(lake, m, table)?.with_column(lit(idx as i32).alias("__date_index")));
    }
    let date = manifests.last().expect("at least one").snapshot_date;
    let p = |e| polars_err(lake, date, table, e);
    let df = concat(frames, UnionArgs::default())
        .and_then(|lf| {
            lf.select([
                col("__date_index"),
                col("scope"),
                col("account_id"),
                col("account_name"),
                col("roles"),
                col("risky_roles"),
                col("risky_by_action"),
                col("unused_permissions"),
                col("unused_open"),
                col("unused_new"),
                col("unused_resolved"),
                col("unowned_roles"),
            ])
            .collect()
        })
        .map_err(p)?;
    let index = ints(&df, "__date_index").map_err(p)?;
    let scope = strs(&df, "scope").map_err(p)?;
    let account_id = strs(&df, "account_id").map_err(p)?;
    let account_name = strs(&df, "account_name").map_err(p)?;
    let roles = ints(&df, "roles").map_err(p)?;
    let risky = ints(&df, "risky_roles").map_err(p)?;
    let by_action = risks(&df, "risky_by_action").map_err(p)?;
    let unused = ints(&df, "unused_permissions").map_err(p)?;
    let open = ints(&df, "unused_open").map_err(p)?;
    let new = ints(&df, "unused_new").map_err(p)?;
    let resolved = ints(&df, "unused_resolved").map_err(p)?;
    let unowned = ints(&df, "unowned_roles").map_err(p)?;
    Ok((0..df.height())
        .map(|i| {
            (
                index[i].unwrap_or_default() as usize,
                DailyRow {
                    scope: scope[i].clone().unwrap_or_default(),
                    account_id: account_id[i].clone(),
                    account_name: account_name[i].clone(),
                    roles: roles[i].unwrap_or_default(),
                    risky_roles: risky[i].unwrap_or_default(),
                    risky_by_action: by_action[i].clone(),
                    unused_permissions: unused[i].unwrap_or_default(),
                    unused_open: open[i].unwrap_or_default(),
                    unused_new: new[i].unwrap_or_default(),
                    unused_resolved: resolved[i].unwrap_or_default(),
                    unowned_roles: unowned[i].unwrap_or_default(),
                    ..DailyRow::default()
                },
            )
        })
        .collect())
}

/// Where each account's numbers on the report date come from (schema
/// version 2 on): fills `account_status`, `data_date`, `ou_path` and
/// `failure_reason` of the account rows.
fn read_account_status(
    lake: &Lake,
    m: &Manifest,
    accounts: &mut [DailyRow],
) -> Result<(), ReportError> {
    let table = summaries::DAILY_TABLE.name;
    let df = scan(
        lake,
        m,
        table,
        Some(col("scope").eq(lit("account"))),
        &[
            "account_id",
            "account_status",
            "data_date",
            "ou_path",
            "failure_reason",
        ],
    )?;
    let p = |e| polars_err(lake, m.snapshot_date, table, e);
    let id = strs(&df, "account_id").map_err(p)?;
    let status = strs(&df, "account_status").map_err(p)?;
    let data_date = dates(&df, "data_date").map_err(p)?;
    let ou_path = strs(&df, "ou_path").map_err(p)?;
    let reason = strs(&df, "failure_reason").map_err(p)?;
    for i in 0..df.height() {
        if let Some(a) = accounts.iter_mut().find(|a| a.account_id == id[i]) {
            a.account_status = status[i].clone();
            a.data_date = data_date[i];
            a.ou_path = ou_path[i].clone();
            a.failure_reason = reason[i].clone();
        }
    }
    Ok(())
}

/// The unused-role counts of `team_summary`, written by the same analyze
/// runs as the `unused_roles` table (read only when the date has it).
const TEAM_ROLE_COUNTS: [&str; 7] = [
    "unused_roles_open",
    "unused_roles_kept",
    "unused_roles_to_delete",
    "unused_roles_done",
    "unused_roles_new",
    "unused_roles_outside_org",
    "unused_service_linked_roles",
];

fn read_teams(lake: &Lake, m: &Manifest) -> Result<Vec<TeamRow>, ReportError> {
    let table = summaries::TEAM_TABLE.name;
    let with_roles = m.tables.contains_key(unused_roles::TABLE.name);
    let df = scan(
        lake,
        m,
        table,
        None,
        &[
            &[
                "owner_team",
                "roles",
                "risky_roles",
                "risky_by_action",
                "passrole_roles",
                "unused_open",
                "unused_kept",
                "unused_to_delete",
                "unused_done",
                "unused_new",
                "review_progress",
            ][..],
            if with_roles {
                &TEAM_ROLE_COUNTS[..]
            } else {
                &[]
            },
        ]
        .concat(),
    )?;
    let p = |e| polars_err(lake, m.snapshot_date, table, e);
    let team = strs(&df, "owner_team").map_err(p)?;
    let i = |name: &str| ints(&df, name).map_err(p);
    let (roles, risky, passrole) = (i("roles")?, i("risky_roles")?, i("passrole_roles")?);
    let (open, kept, to_delete) = (i("unused_open")?, i("unused_kept")?, i("unused_to_delete")?);
    let (done, new) = (i("unused_done")?, i("unused_new")?);
    let by_action = risks(&df, "risky_by_action").map_err(p)?;
    let progress: Vec<Option<f64>> = df
        .column("review_progress")
        .and_then(|c| c.f64().map(|c| c.iter().collect()))
        .map_err(p)?;
    let mut role_counts = Vec::new();
    if with_roles {
        for name in TEAM_ROLE_COUNTS {
            role_counts.push(i(name)?);
        }
    }
    let rc = |c: usize, k: usize| {
        role_counts
            .get(c)
            .and_then(|v: &Vec<Option<i32>>| v[k])
            .unwrap_or_default()
    };
    Ok((0..df.height())
        .map(|k| TeamRow {
            owner_team: team[k].clone().unwrap_or_default(),
            roles: roles[k].unwrap_or_default(),
            risky_roles: risky[k].unwrap_or_default(),
            risky_by_action: by_action[k].clone(),
            passrole_roles: passrole[k].unwrap_or_default(),
            unused_open: open[k].unwrap_or_default(),
            unused_kept: kept[k].unwrap_or_default(),
            unused_to_delete: to_delete[k].unwrap_or_default(),
            unused_done: done[k].unwrap_or_default(),
            unused_new: new[k].unwrap_or_default(),
            review_progress: progress[k],
            unused_roles_open: rc(0, k),
            unused_roles_kept: rc(1, k),
            unused_roles_to_delete: rc(2, k),
            unused_roles_done: rc(3, k),
            unused_roles_new: rc(4, k),
            unused_roles_outside_org: rc(5, k),
            unused_service_linked_roles: rc(6, k),
            ..TeamRow::default()
        })
        .collect())
}

/// Roles allowed a sensitive action at account breadth or wider on the date, from the cumulative
/// `alert_ledger`: its `sensitive_grant` rows whose `last_seen` is the date
/// are the current grants, and `first_seen` says since when.
fn read_newest_risky(lake: &Lake, m: &Manifest) -> Result<Vec<RiskyRole>, ReportError> {
    let date = m.snapshot_date;
    let table = ledger::LEDGER_TABLE.name;
    let p = |e| polars_err(lake, date, table, e);
    let df = scan_lazy(lake, m, table)?
        .filter(col("kind").eq(lit("sensitive_grant")))
        .select([
            col("account_id"),
            col("role_id"),
            col("role_name"),
            col("item"),
            col("first_seen"),
            col("last_seen"),
        ])
        .collect()
        .map_err(p)?;
    let account_id = strs(&df, "account_id").map_err(p)?;
    let role_id = strs(&df, "role_id").map_err(p)?;
    let role_name = strs(&df, "role_name").map_err(p)?;
    let item = strs(&df, "item").map_err(p)?;
    let first = dates(&df, "first_seen").map_err(p)?;
    let last = dates(&df, "last_seen").map_err(p)?;
    let today = days_since_epoch(date);

    // (account, role id) -> (role name, action -> first seen)
    type Grants = (String, BTreeMap<String, i32>);
    let mut by_role: BTreeMap<(String, String), Grants> = BTreeMap::new();
    for i in 0..df.height() {
        if last[i] != Some(today) {
            continue; // no longer granted
        }
        let key = (
            account_id[i].clone().unwrap_or_default(),
            role_id[i].clone().unwrap_or_default(),
        );
        let entry = by_role
            .entry(key)
            .or_insert_with(|| (role_name[i].clone().unwrap_or_default(), BTreeMap::new()));
        entry.1.insert(
            item[i].clone().unwrap_or_default(),
            first[i].unwrap_or(today),
        );
    }
    let owners = read_owners(lake, m)?;
    let mut out: Vec<RiskyRole> = by_role
        .into_iter()
        .map(|((account_id, role_id), (role_name, grants))| {
            let newest = grants.values().copied().max().unwrap_or(today);
            RiskyRole {
                owner_team: owners
                    .get(&role_id)
                    .cloned()
                    .unwrap_or_else(|| "unowned".to_string()),
                account_id,
                role_id,
                role_name,
                newest_first_seen: date_of(newest),
                newest_actions: grants
                    .iter()
                    .filter(|(_, f)| **f == newest)
                    .map(|(a, _)| a.clone())
                    .collect(),
                all_actions: grants.keys().cloned().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.newest_first_seen
            .cmp(&a.newest_first_seen)
            .then_with(|| b.newest_actions.len().cmp(&a.newest_actions.len()))
            .then_with(|| a.role_name.cmp(&b.role_name))
            .then_with(|| a.account_id.cmp(&b.account_id))
    });
    Ok(out)
}

/// Role id -> owner team: analyze's resolution where the date's analyze
/// tables carry it (`unused_permissions`, `passrole_grants`), else the tag
/// owner of the date's snapshot (`roles.owner_team`), when it has one.
fn read_owners(lake: &Lake, m: &Manifest) -> Result<HashMap<String, String>, ReportError> {
    let date = m.snapshot_date;
    let mut owners = HashMap::new();
    if let Some(snapshot) = lake.read_manifest(ManifestKind::Snapshot, date)?
        && snapshot.tables.contains_key(roles::TABLE.name)
    {
        let table = roles::TABLE.name;
        let df = scan(lake, &snapshot, table, None, &["role_id", "owner_team"])?;
        let p = |e| polars_err(lake, date, table, e);
        let id = strs(&df, "role_id").map_err(p)?;
        let team = strs(&df, "owner_team").map_err(p)?;
        for (id, team) in id.into_iter().zip(team) {
            if let (Some(id), Some(team)) = (id, team) {
                owners.insert(id, team);
            }
        }
    }
    for table in [unused_permissions::TABLE.name, ledger::PASSROLE_TABLE.name] {
        if !m.tables.contains_key(table) {
            continue;
        }
        let df = scan_lazy(lake, m, table)?
            .select([col("role_id"), col("owner_team")])
            .unique(None, UniqueKeepStrategy::First)
            .collect()
            .map_err(|e| polars_err(lake, date, table, e))?;
        let p = |e| polars_err(lake, date, table, e);
        let id = strs(&df, "role_id").map_err(p)?;
        let team = strs(&df, "owner_team").map_err(p)?;
        for (id, team) in id.into_iter().zip(team) {
            if let (Some(id), Some(team)) = (id, team) {
                owners.insert(id, team);
            }
        }
    }
    Ok(owners)
}

fn read_unused_roles(lake: &Lake, m: &Manifest) -> Result<Vec<UnusedRole>, ReportError> {
    let table = unused_roles::TABLE.name;
    let df = scan(
        lake,
        m,
        table,
        None,
        &[
            "account_id",
            "role_id",
            "role_name",
            "service_linked",
            "owner_team",
            "last_used_at",
            "days_unused",
            "trusted_accounts",
            "trusted_services",
            "external_accounts",
            "review_status",
            "first_seen",
        ],
    )?;
    let p = |e| polars_err(lake, m.snapshot_date, table, e);
    let s = |name: &str| strs(&df, name).map_err(p);
    let l = |name: &str| str_lists(&df, name).map_err(p);
    let (account_id, role_id, role_name) = (s("account_id")?, s("role_id")?, s("role_name")?);
    let (owner, status) = (s("owner_team")?, s("review_status")?);
    let service_linked = bools(&df, "service_linked").map_err(p)?;
    let last_used = timestamps(&df, "last_used_at").map_err(p)?;
    let days = ints(&df, "days_unused").map_err(p)?;
    let (accounts, services, external) = (
        l("trusted_accounts")?,
        l("trusted_services")?,
        l("external_accounts")?,
    );
    let first_seen = dates(&df, "first_seen").map_err(p)?;
    let today = days_since_epoch(m.snapshot_date);
    Ok((0..df.height())
        .map(|i| UnusedRole {
            account_id: account_id[i].clone().unwrap_or_default(),
            role_id: role_id[i].clone().unwrap_or_default(),
            role_name: role_name[i].clone().unwrap_or_default(),
            service_linked: service_linked[i].unwrap_or_default(),
            owner_team: owner[i].clone().unwrap_or_default(),
            last_used_at: last_used[i],
            days_unused: days[i].unwrap_or_default(),
            trusted_accounts: accounts[i].clone(),
            trusted_services: services[i].clone(),
            external_accounts: external[i].clone(),
            review_status: status[i].clone().unwrap_or_default(),
            first_seen: date_of(first_seen[i].unwrap_or(today)),
        })
        .collect())
}

fn read_credential_findings(
    lake: &Lake,
    m: &Manifest,
) -> Result<Vec<CredentialFinding>, ReportError> {
    let table = credential_findings::TABLE.name;
    let mut cols = vec![
        "account_id",
        "user",
        "finding",
        "access_key",
        "last_used_at",
        "days",
        "data_date",
    ];
    let with_owner = crate::lake::read::has_column(lake, m, table, "owner_team")?;
    if with_owner {
        cols.push("owner_team");
    }
    let df = scan(lake, m, table, None, &cols)?;
    let p = |e| polars_err(lake, m.snapshot_date, table, e);
    let s = |name: &str| strs(&df, name).map_err(p);
    let (account_id, user, finding) = (s("account_id")?, s("user")?, s("finding")?);
    let owner = if with_owner {
        s("owner_team")?
    } else {
        vec![None; df.height()]
    };
    let key = ints(&df, "access_key").map_err(p)?;
    let last_used = timestamps(&df, "last_used_at").map_err(p)?;
    let days = ints(&df, "days").map_err(p)?;
    let data_date = dates(&df, "data_date").map_err(p)?;
    let today = days_since_epoch(m.snapshot_date);
    Ok((0..df.height())
        .map(|i| CredentialFinding {
            account_id: account_id[i].clone().unwrap_or_default(),
            owner_team: owner[i].clone(),
            user: user[i].clone().unwrap_or_default(),
            finding: finding[i].clone().unwrap_or_default(),
            access_key: key[i],
            last_used_at: last_used[i],
            days: days[i],
            data_date: date_of(data_date[i].unwrap_or(today)),
        })
        .collect())
}

/// IAM users (root excluded) per account in the credential report each
/// account was judged on: the snapshot of its data date (the report date,
/// or the carried date). As analyze does, an account with no data, or whose
/// snapshot has no report for it, is left out: unknown.
fn read_credential_users(
    lake: &Lake,
    date: NaiveDate,
    accounts: &[DailyRow],
) -> Result<HashMap<String, usize>, ReportError> {
    let mut by_date: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for a in accounts {
        let data_date = match a.account_status.as_deref() {
            Some("no_data") => continue,
            Some("carried") => match a.data_date {
                Some(d) => date_of(d),
                None => continue,
            },
            _ => date,
        };
        if let Some(id) = &a.account_id {
            by_date.entry(data_date).or_default().push(id.clone());
        }
    }
    let table = credentials::TABLE.name;
    let mut out = HashMap::new();
    for (d, ids) in by_date {
        let Some(snapshot) = lake.read_manifest(ManifestKind::Snapshot, d)? else {
            continue;
        };
        if !snapshot.tables.contains_key(table) {
            continue; // written before the table existed: unknown
        }
        let df = scan(lake, &snapshot, table, None, &["account_id", "is_root"])?;
        let p = |e| polars_err(lake, d, table, e);
        let id = strs(&df, "account_id").map_err(p)?;
        let root = bools(&df, "is_root").map_err(p)?;
        for (id, root) in id.into_iter().zip(root) {
            let Some(id) = id.filter(|id| ids.contains(id)) else {
                continue;
            };
            // Every report has a root line: the account has a report.
            let users = out.entry(id).or_insert(0);
            if root != Some(true) {
                *users += 1;
            }
        }
    }
    Ok(out)
}

fn polars_err(lake: &Lake, date: NaiveDate, table: &str, source: PolarsError) -> ReportError {
    ReportError::Read {
        lake: lake.label(),
        date,
        table: table.to_string(),
        message: source.to_string(),
    }
}

fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(df.column(name)?.i32()?.iter().collect())
}

/// A `list<struct<action, allowed, conditionally_allowed, allowed_on_any_resource>>` column.
fn risks(df: &DataFrame, name: &str) -> PolarsResult<Vec<Vec<ActionRisk>>> {
    let list = df.column(name)?.list()?;
    let mut out = Vec::with_capacity(df.height());
    for entry in list.series_iter() {
        let Some(items) = entry else {
            out.push(Vec::new());
            continue;
        };
        let st = items.struct_()?;
        let action = st.field_by_name("action")?;
        let allowed = st.field_by_name("allowed")?;
        let cond = st.field_by_name("conditionally_allowed")?;
        // Before schema version 3 the only count was on `*`.
        let on_any = st.field_by_name("allowed_on_any_resource").ok();
        let (action, allowed, cond) = (action.str()?, allowed.i32()?, cond.i32()?);
        let on_any: Vec<Option<i32>> = match &on_any {
            Some(s) => s.i32()?.iter().collect(),
            None => allowed.iter().collect(),
        };
        out.push(
            action
                .iter()
                .zip(allowed.iter())
                .zip(cond.iter())
                .zip(on_any)
                .map(|(((a, n), c), any)| ActionRisk {
                    action: a.unwrap_or_default().to_string(),
                    allowed: n.unwrap_or_default(),
                    conditionally_allowed: c.unwrap_or_default(),
                    allowed_on_any_resource: any.unwrap_or_default(),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// The union of the actions of `rows`, in first-seen order.
pub fn action_names<'a>(rows: impl Iterator<Item = &'a [ActionRisk]>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in rows.flatten() {
        if seen.insert(r.action.clone()) {
            out.push(r.action.clone());
        }
    }
    out
}
