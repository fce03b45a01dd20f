//! Reads what analyze needs from the lake, lazily with polars: only the
//! columns used, only the files a manifest lists (a partition without a
//! manifest is never read), and only the dates asked for.

use super::AnalyzeError;
pub use super::grants::PolicyIn;
use crate::lake::Lake;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::read::{self, dates, frame_err, str_lists, strs, timestamps};
use crate::model::{last_accessed, ledger, role_policies, roles, simulations};
use chrono::NaiveDate;
use polars::prelude::{Expr, col, lit};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A role as analyze sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleIn {
    pub account_id: String,
    pub account_name: Option<String>,
    pub role_id: String,
    pub role_name: String,
    pub arn: String,
    pub path: String,
    /// Microseconds since the epoch.
    pub create_date: i64,
    /// Owner from tags, as the snapshot resolved it.
    pub owner_team: Option<String>,
    /// The CloudFormation stack that made the role (its
    /// `aws:cloudformation:stack-name` tag).
    pub cfn_stack: Option<String>,
    /// The role's logical id in that stack (`aws:cloudformation:logical-id`).
    pub cfn_logical_id: Option<String>,
    /// The earlier snapshot date this role's rows come from, when its
    /// account could not be collected on the snapshot date (`None`: the
    /// role was collected on the date itself).
    pub carried_from: Option<NaiveDate>,
    /// Where the role's Access Advisor data comes from.
    pub access: AccessData,
}

/// Where a role's Access Advisor data (its `last_accessed` rows) comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccessData {
    /// Collected on the snapshot date.
    #[default]
    Fresh,
    /// The role's job failed or timed out (or its account failed) on the
    /// snapshot date: the data of this earlier date stands in for it.
    Carried(NaiveDate),
    /// Not collected on the date nor on any date in the carry window: the
    /// role's services are unknown, never unused and never used.
    Unknown,
}

impl AccessData {
    /// The date the data describes, `None` when unknown.
    pub fn date(self, snapshot_date: NaiveDate) -> Option<NaiveDate> {
        match self {
            AccessData::Fresh => Some(snapshot_date),
            AccessData::Carried(d) => Some(d),
            AccessData::Unknown => None,
        }
    }
}

/// What a role's own row says of its use and trust (from `roles`), kept
/// apart from [`RoleIn`] so the unused-role rule can tell a role whose use is
/// not known (no entry) from one never used.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleUse {
    /// RoleLastUsed, microseconds since the epoch; None when never used.
    pub last_used_at: Option<i64>,
    pub last_used_region: Option<String>,
    /// As in `roles.trusted_principals`.
    pub trusted_principals: Vec<String>,
}

/// One Access Advisor row.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessIn {
    pub role_id: String,
    pub service_namespace: String,
    /// `service:Action` for action rows, None for the service row.
    pub action: Option<String>,
    /// Microseconds since the epoch.
    pub last_authenticated: Option<i64>,
}

/// One sensitive-action decision.
#[derive(Debug, Clone, PartialEq)]
pub struct SimIn {
    pub role_id: String,
    pub action: String,
    /// On any resource (`*`).
    pub decision: String,
    /// `any | account | pattern | specific`; partitions before schema
    /// version 3 read as `any` where `decision` allows, since their only
    /// question was `*`.
    pub breadth: Option<String>,
    /// The decision at `breadth`.
    pub breadth_decision: String,
}

impl SimIn {
    /// Allowed (or conditionally allowed) at `account` breadth or wider.
    fn account_or_wider(&self) -> bool {
        matches!(self.breadth.as_deref(), Some("any" | "account"))
    }

    /// What makes a role risky: allowed outright at `account` breadth or wider.
    pub fn is_risky(&self) -> bool {
        self.account_or_wider() && self.breadth_decision == "allowed"
    }

    /// Allowed at `account` breadth or wider only under conditions.
    pub fn is_conditionally_risky(&self) -> bool {
        self.account_or_wider() && self.breadth_decision == "conditionally_allowed"
    }
}

/// What the snapshot date knows of one account of its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub account_id: String,
    pub account_name: Option<String>,
    pub ou_path: Option<String>,
    /// `ok`, `carried` or `no_data` (see [`AccountState::data_date`]).
    pub status: &'static str,
    /// The date the account's rows come from: the snapshot date when it was
    /// collected, its last good snapshot when `carried`, `None` for
    /// `no_data` (failed, and no good snapshot within the carry window).
    pub data_date: Option<NaiveDate>,
    /// Why collection failed on the snapshot date.
    pub failure_reason: Option<String>,
}

/// One complete snapshot date, as analyze needs it: the rows of the date,
/// plus, for each account that failed on it, the rows of its last good
/// snapshot, and for each role whose Access Advisor job failed, its last
/// good Access Advisor data (docs/ANALYZE.md, "Partial days").
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub date: NaiveDate,
    pub snapshot_id: String,
    pub roles: Vec<RoleIn>,
    pub access: Vec<AccessIn>,
    pub sims: Vec<SimIn>,
    /// Role ids whose identity policies grant iam:PassRole on some resource.
    pub passrole: HashSet<String>,
    /// Per role id: its RoleLastUsed and trust. A role without an entry has
    /// an unknown use and is never called unused.
    pub role_use: HashMap<String, RoleUse>,
    /// The roles' identity policies (boundaries excluded), for naming the
    /// statement that grants a finding.
    pub policies: Vec<PolicyIn>,
    /// The accounts of the date's manifest, by id; empty for manifests
    /// written before accounts were recorded (every role then counts as
    /// collected).
    pub accounts: Vec<AccountState>,
}

impl Snapshot {
    /// Whether `account_id` failed on this date with nothing to carry.
    pub fn account_without_data(&self, account_id: &str) -> bool {
        self.accounts
            .iter()
            .any(|a| a.account_id == account_id && a.status == "no_data")
    }
}

/// The snapshot manifest of `date`; an error when the date is incomplete.
pub fn snapshot_manifest(lake: &Lake, date: NaiveDate) -> Result<Manifest, AnalyzeError> {
    lake.read_manifest(ManifestKind::Snapshot, date)?
        .ok_or(AnalyzeError::NoSnapshot {
            lake: lake.label(),
            date,
        })
}

/// The rows of one partition (of some accounts only, when given).
struct Partition {
    roles: Vec<RoleIn>,
    /// Per role (same order): whether its Access Advisor data was collected.
    access_ok: Vec<bool>,
    access: Vec<AccessIn>,
    sims: Vec<SimIn>,
    passrole: HashSet<String>,
    role_use: HashMap<String, RoleUse>,
    policies: Vec<PolicyIn>,
}

/// `col(column)` equal to one of `values`.
fn any_of(column: &str, values: &[&str]) -> Option<Expr> {
    values
        .iter()
        .map(|v| col(column).eq(lit(v.to_string())))
        .reduce(|a, b| a.or(b))
}

/// Reads the roles, Access Advisor rows, decisions and PassRole grants of
/// the partition `manifest` describes, of `accounts` only when given.
fn read_partition(
    lake: &Lake,
    manifest: &Manifest,
    accounts: Option<&[&str]>,
) -> Result<Partition, AnalyzeError> {
    let date = manifest.snapshot_date;
    let filter = || accounts.and_then(|a| any_of("account_id", a));
    // Schema version 1 had no last_accessed_status: its roles count as
    // collected, which is what that version's analyze assumed.
    let has_status = manifest.schema_version >= 2;
    let mut columns = vec![
        "account_id",
        "account_name",
        "role_id",
        "role_name",
        "arn",
        "path",
        "create_date",
        "owner_team",
        "last_used_at",
        "last_used_region",
        "trusted_principals",
        "tags",
    ];
    if has_status {
        columns.push("last_accessed_status");
    }
    let df = read::scan(lake, manifest, roles::TABLE.name, filter(), &columns)?;
    let p = frame_err(lake, date, roles::TABLE.name);
    let (roles_in, access_ok, role_use) = {
        let mut account_id = strs(&df, "account_id").map_err(&p)?;
        let mut account_name = strs(&df, "account_name").map_err(&p)?;
        let mut role_id = strs(&df, "role_id").map_err(&p)?;
        let mut role_name = strs(&df, "role_name").map_err(&p)?;
        let mut arn = strs(&df, "arn").map_err(&p)?;
        let mut path = strs(&df, "path").map_err(&p)?;
        let create = timestamps(&df, "create_date").map_err(&p)?;
        let mut owner = strs(&df, "owner_team").map_err(&p)?;
        let last_used = timestamps(&df, "last_used_at").map_err(&p)?;
        let mut last_region = strs(&df, "last_used_region").map_err(&p)?;
        let mut trusted = str_lists(&df, "trusted_principals").map_err(&p)?;
        let mut stacks = tag_values(&df, CFN_STACK_TAG).map_err(&p)?;
        let mut logical = tag_values(&df, CFN_LOGICAL_ID_TAG).map_err(&p)?;
        let status = if has_status {
            strs(&df, "last_accessed_status").map_err(&p)?
        } else {
            vec![None; df.height()]
        };
        let roles_in: Vec<RoleIn> = (0..df.height())
            .map(|i| RoleIn {
                account_id: account_id[i].take().unwrap_or_default(),
                account_name: account_name[i].take(),
                role_id: role_id[i].take().unwrap_or_default(),
                role_name: role_name[i].take().unwrap_or_default(),
                arn: arn[i].take().unwrap_or_default(),
                path: path[i].take().unwrap_or_default(),
                create_date: create[i].unwrap_or_default(),
                owner_team: owner[i].take(),
                cfn_stack: stacks[i].take(),
                cfn_logical_id: logical[i].take(),
                carried_from: None,
                access: AccessData::Fresh,
            })
            .collect();
        let ok = status
            .iter()
            .map(|s| s.as_deref().is_none_or(|s| s == "ok"))
            .collect();
        let role_use: HashMap<String, RoleUse> = (0..df.height())
            .map(|i| {
                let role: &RoleIn = &roles_in[i];
                (
                    role.role_id.clone(),
                    RoleUse {
                        last_used_at: last_used[i],
                        last_used_region: last_region[i].take(),
                        trusted_principals: std::mem::take(&mut trusted[i]),
                    },
                )
            })
            .collect();
        (roles_in, ok, role_use)
    };

    let access = read_access(lake, manifest, filter())?;

    // Schema version 3 added the breadth; before it, the question was `*`.
    let has_breadth = manifest.schema_version >= 3;
    let mut columns = vec!["role_id", "action", "decision"];
    if has_breadth {
        columns.extend(["breadth", "breadth_decision"]);
    }
    let df = read::scan_roles(lake, manifest, simulations::TABLE.name, filter(), &columns)?;
    let p = frame_err(lake, date, simulations::TABLE.name);
    let sims = {
        let mut role_id = strs(&df, "role_id").map_err(&p)?;
        let mut action = strs(&df, "action").map_err(&p)?;
        let mut decision = strs(&df, "decision").map_err(&p)?;
        let (mut breadth, mut breadth_decision) = if has_breadth {
            (
                strs(&df, "breadth").map_err(&p)?,
                strs(&df, "breadth_decision").map_err(&p)?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        (0..df.height())
            .map(|i| {
                let decision = decision[i].take().unwrap_or_default();
                let (breadth, breadth_decision) = if has_breadth {
                    (
                        breadth[i].take(),
                        breadth_decision[i].take().unwrap_or_default(),
                    )
                } else {
                    let allowed = matches!(decision.as_str(), "allowed" | "conditionally_allowed");
                    (allowed.then(|| "any".to_string()), decision.clone())
                };
                SimIn {
                    role_id: role_id[i].take().unwrap_or_default(),
                    action: action[i].take().unwrap_or_default(),
                    decision,
                    breadth,
                    breadth_decision,
                }
            })
            .collect()
    };

    // Only identity policies: a PassRole grant in a boundary grants nothing.
    let not_boundary = col("kind").neq(lit("boundary"));
    let df = read::scan_roles(
        lake,
        manifest,
        role_policies::TABLE.name,
        Some(match filter() {
            Some(f) => f.and(not_boundary),
            None => not_boundary,
        }),
        &["role_id", "kind", "policy_name", "policy_arn", "document"],
    )?;
    let p = frame_err(lake, date, role_policies::TABLE.name);
    let mut role_id = strs(&df, "role_id").map_err(&p)?;
    let mut kind = strs(&df, "kind").map_err(&p)?;
    let mut name = strs(&df, "policy_name").map_err(&p)?;
    let mut arn = strs(&df, "policy_arn").map_err(&p)?;
    let mut document = strs(&df, "document").map_err(&p)?;
    let policies: Vec<PolicyIn> = (0..df.height())
        .map(|i| PolicyIn {
            role_id: role_id[i].take().unwrap_or_default(),
            kind: kind[i].take().unwrap_or_default(),
            name: name[i].take(),
            arn: arn[i].take(),
            document: document[i].take().unwrap_or_default(),
        })
        .collect();
    let passrole = policies
        .iter()
        .filter(|p| grants_passrole(&p.document))
        .map(|p| p.role_id.clone())
        .collect();

    Ok(Partition {
        roles: roles_in,
        access_ok,
        access,
        sims,
        passrole,
        role_use,
        policies,
    })
}

/// The tag CloudFormation puts on every resource of a stack: its name.
pub const CFN_STACK_TAG: &str = "aws:cloudformation:stack-name";
/// The tag CloudFormation puts on a stack's resources: their logical id.
pub const CFN_LOGICAL_ID_TAG: &str = "aws:cloudformation:logical-id";

/// Per row, the value of the tag `key` in the `tags` map column (read by
/// polars as a list of `{key, value}` structs).
fn tag_values(
    df: &polars::prelude::DataFrame,
    key: &str,
) -> polars::prelude::PolarsResult<Vec<Option<String>>> {
    let tags = df.column("tags")?.as_materialized_series().list()?.clone();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..tags.len() {
        let mut found = None;
        if let Some(entries) = tags.get_as_series(i) {
            let st = entries.struct_()?;
            let keys = st.field_by_name("key")?;
            let values = st.field_by_name("value")?;
            let keys = keys.str()?;
            let values = values.str()?;
            for (k, v) in keys.iter().zip(values.iter()) {
                if k == Some(key) {
                    found = v.map(str::to_string);
                    break;
                }
            }
        }
        out.push(found);
    }
    Ok(out)
}

/// The `last_accessed` rows of a partition (after an optional filter).
fn read_access(
    lake: &Lake,
    manifest: &Manifest,
    filter: Option<Expr>,
) -> Result<Vec<AccessIn>, AnalyzeError> {
    let df = read::scan_roles(
        lake,
        manifest,
        last_accessed::TABLE.name,
        filter,
        &[
            "role_id",
            "service_namespace",
            "action",
            "last_authenticated",
        ],
    )?;
    let p = frame_err(lake, manifest.snapshot_date, last_accessed::TABLE.name);
    let mut role_id = strs(&df, "role_id").map_err(&p)?;
    let mut service = strs(&df, "service_namespace").map_err(&p)?;
    let mut action = strs(&df, "action").map_err(&p)?;
    let last = timestamps(&df, "last_authenticated").map_err(&p)?;
    Ok((0..df.height())
        .map(|i| AccessIn {
            role_id: role_id[i].take().unwrap_or_default(),
            service_namespace: service[i].take().unwrap_or_default(),
            action: action[i].take(),
            last_authenticated: last[i],
        })
        .collect())
}

/// The manifest of the `i`th earlier date, read on first use and kept.
fn manifest_at<'e>(
    lake: &Lake,
    earlier: &'e mut [(NaiveDate, Option<Manifest>)],
    i: usize,
) -> Result<&'e Manifest, AnalyzeError> {
    let (date, cached) = &mut earlier[i];
    if cached.is_none() {
        *cached = Some(snapshot_manifest(lake, *date)?);
    }
    Ok(cached.as_ref().expect("just read"))
}

/// Reads the snapshot of `date` as analyze counts it: the date's own rows;
/// for each account that failed on it, the rows of that account's last
/// good snapshot no more than `carry_days` days earlier; for each role
/// whose Access Advisor data is missing, its last good Access Advisor data
/// within the same window. What cannot be carried is marked unknown
/// (`no_data` accounts, [`AccessData::Unknown`] roles), never left to look
/// like deleted roles or unused services.
pub fn read_snapshot(
    lake: &Lake,
    date: NaiveDate,
    carry_days: i64,
) -> Result<Snapshot, AnalyzeError> {
    let manifest = snapshot_manifest(lake, date)?;
    let own = read_partition(lake, &manifest, None)?;
    let mut snap = Snapshot {
        date,
        snapshot_id: manifest.snapshot_id.clone(),
        roles: Vec::with_capacity(own.roles.len()),
        access: own.access,
        sims: own.sims,
        passrole: own.passrole,
        role_use: own.role_use,
        policies: own.policies,
        accounts: Vec::new(),
    };
    let mut pending: Vec<usize> = Vec::new();
    for (role, ok) in own.roles.into_iter().zip(own.access_ok) {
        if !ok {
            pending.push(snap.roles.len());
        }
        snap.roles.push(role);
    }

    // Earlier complete dates inside the carry window, newest first; their
    // manifests are read on demand, once.
    let window_start = date - chrono::Days::new(carry_days.max(0) as u64);
    let mut earlier: Vec<(NaiveDate, Option<Manifest>)> = lake
        .complete_dates(ManifestKind::Snapshot)?
        .into_iter()
        .filter(|d| *d < date && *d >= window_start)
        .rev()
        .map(|d| (d, None))
        .collect();
    let n_earlier = earlier.len();

    for entry in &manifest.accounts {
        let mut state = AccountState {
            account_id: entry.account_id.clone(),
            account_name: entry.account_name.clone(),
            ou_path: entry.ou_path.clone(),
            status: "ok",
            data_date: Some(date),
            failure_reason: entry.reason.clone(),
        };
        if entry.status != "ok" {
            state.status = "no_data";
            state.data_date = None;
            for i in 0..n_earlier {
                let m = manifest_at(lake, &mut earlier, i)?;
                let good = m
                    .accounts
                    .iter()
                    .any(|a| a.account_id == entry.account_id && a.status == "ok");
                if !good {
                    continue;
                }
                let part = read_partition(lake, m, Some(&[entry.account_id.as_str()]))?;
                for (mut role, ok) in part.roles.into_iter().zip(part.access_ok) {
                    role.carried_from = Some(m.snapshot_date);
                    role.access = AccessData::Carried(m.snapshot_date);
                    if !ok {
                        pending.push(snap.roles.len());
                    }
                    // Names change less often than collections fail: keep
                    // the name the manifest of the date has.
                    if entry.account_name.is_some() {
                        role.account_name = entry.account_name.clone();
                    }
                    snap.roles.push(role);
                }
                snap.access.extend(part.access);
                snap.sims.extend(part.sims);
                snap.passrole.extend(part.passrole);
                snap.role_use.extend(part.role_use);
                snap.policies.extend(part.policies);
                state.status = "carried";
                state.data_date = Some(m.snapshot_date);
                break;
            }
        }
        snap.accounts.push(state);
    }

    // Roles whose Access Advisor data is missing on the date they come
    // from: the newest earlier good data of the same role id stands in.
    for &i in &pending {
        snap.roles[i].access = AccessData::Unknown;
    }
    let mut pending: Vec<usize> = pending;
    for i in 0..n_earlier {
        if pending.is_empty() {
            break;
        }
        let m = manifest_at(lake, &mut earlier, i)?;
        let from = m.snapshot_date;
        // Only dates older than the role's own rows can stand in.
        let candidates: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|&r| snap.roles[r].carried_from.is_none_or(|c| from < c))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let accounts: BTreeSet<&str> = candidates
            .iter()
            .map(|&r| snap.roles[r].account_id.as_str())
            .collect();
        let accounts: Vec<&str> = accounts.into_iter().collect();
        let part = read_partition(lake, m, Some(&accounts))?;
        let good: HashSet<&str> = part
            .roles
            .iter()
            .zip(&part.access_ok)
            .filter(|(_, ok)| **ok)
            .map(|(r, _)| r.role_id.as_str())
            .collect();
        let found: HashSet<String> = candidates
            .iter()
            .map(|&r| snap.roles[r].role_id.clone())
            .filter(|id| good.contains(id.as_str()))
            .collect();
        if found.is_empty() {
            continue;
        }
        snap.access.extend(
            part.access
                .into_iter()
                .filter(|a| found.contains(&a.role_id)),
        );
        for &r in &candidates {
            if found.contains(&snap.roles[r].role_id) {
                snap.roles[r].access = AccessData::Carried(from);
            }
        }
        pending.retain(|&r| snap.roles[r].access == AccessData::Unknown);
    }
    Ok(snap)
}

/// Whether a policy document has an Allow statement whose actions cover
/// iam:PassRole, on whatever resource and under whatever condition: Access
/// Advisor cannot see PassRole use, so any such grant must not be called
/// unused.
pub fn grants_passrole(document: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(document) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.iter().collect::<Vec<_>>(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let matches = |v: &serde_json::Value| -> bool {
        let patterns: Vec<&str> = match v {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(list) => list.iter().filter_map(|p| p.as_str()).collect(),
            _ => Vec::new(),
        };
        patterns
            .iter()
            .any(|p| crate::eval::wildcard_match(&p.to_ascii_lowercase(), "iam:passrole"))
    };
    statements.iter().any(|st| {
        st.get("Effect").and_then(|e| e.as_str()) == Some("Allow")
            && match (st.get("Action"), st.get("NotAction")) {
                (Some(a), _) => matches(a),
                (None, Some(na)) => !matches(na),
                (None, None) => false,
            }
    })
}

/// The latest complete snapshot date before `date`.
pub fn previous_snapshot_date(
    lake: &Lake,
    date: NaiveDate,
) -> Result<Option<NaiveDate>, AnalyzeError> {
    Ok(lake
        .complete_dates(ManifestKind::Snapshot)?
        .into_iter()
        .filter(|d| *d < date)
        .max())
}

/// The manifest of the latest analyze run on or before `date`, if any.
fn latest_analyze(lake: &Lake, date: NaiveDate) -> Result<Option<Manifest>, AnalyzeError> {
    let Some(prev) = lake
        .complete_dates(ManifestKind::Analyze)?
        .into_iter()
        .filter(|d| *d <= date)
        .max()
    else {
        return Ok(None);
    };
    Ok(lake.read_manifest(ManifestKind::Analyze, prev)?)
}

/// The alert ledger of the latest analyze run on or before `date`, if any.
/// On a re-run of a date this is that date's own ledger, so what was
/// already alerted is not alerted again.
pub fn read_previous_ledger(
    lake: &Lake,
    date: NaiveDate,
) -> Result<(Option<NaiveDate>, Vec<ledger::LedgerRow>), AnalyzeError> {
    let Some(manifest) = latest_analyze(lake, date)? else {
        return Ok((None, Vec::new()));
    };
    let prev = manifest.snapshot_date;
    let df = read::scan(
        lake,
        &manifest,
        ledger::LEDGER_TABLE.name,
        None,
        &[
            "account_id",
            "role_id",
            "role_name",
            "kind",
            "item",
            "first_seen",
            "last_seen",
            "alerted_on",
        ],
    )?;
    let p = frame_err(lake, prev, ledger::LEDGER_TABLE.name);
    let mut account_id = strs(&df, "account_id").map_err(&p)?;
    let mut role_id = strs(&df, "role_id").map_err(&p)?;
    let mut role_name = strs(&df, "role_name").map_err(&p)?;
    let mut kind = strs(&df, "kind").map_err(&p)?;
    let mut item = strs(&df, "item").map_err(&p)?;
    let first = dates(&df, "first_seen").map_err(&p)?;
    let last = dates(&df, "last_seen").map_err(&p)?;
    let alerted = dates(&df, "alerted_on").map_err(&p)?;
    let rows = (0..df.height())
        .map(|i| ledger::LedgerRow {
            account_id: account_id[i].take().unwrap_or_default(),
            role_id: role_id[i].take().unwrap_or_default(),
            role_name: role_name[i].take().unwrap_or_default(),
            kind: kind[i].take().unwrap_or_default(),
            item: item[i].take().unwrap_or_default(),
            first_seen: first[i].unwrap_or_default(),
            last_seen: last[i].unwrap_or_default(),
            alerted_on: alerted[i],
        })
        .collect();
    Ok((Some(prev), rows))
}

/// The `alert_deliveries` of the latest analyze run on or before `date`
/// (cumulative, like the ledger); none when that run wrote no such table.
pub fn read_previous_deliveries(
    lake: &Lake,
    date: NaiveDate,
) -> Result<Vec<ledger::DeliveryRow>, AnalyzeError> {
    let Some(manifest) = latest_analyze(lake, date)? else {
        return Ok(Vec::new());
    };
    let prev = manifest.snapshot_date;
    let table = ledger::DELIVERY_TABLE.name;
    if !manifest.tables.contains_key(table) {
        return Ok(Vec::new());
    }
    let df = read::scan(
        lake,
        &manifest,
        table,
        None,
        &[
            "destination",
            "account_id",
            "role_id",
            "role_name",
            "kind",
            "item",
            "team",
            "delivered_on",
            "reference",
        ],
    )?;
    let p = frame_err(lake, prev, table);
    let mut destination = strs(&df, "destination").map_err(&p)?;
    let mut account_id = strs(&df, "account_id").map_err(&p)?;
    let mut role_id = strs(&df, "role_id").map_err(&p)?;
    let mut role_name = strs(&df, "role_name").map_err(&p)?;
    let mut kind = strs(&df, "kind").map_err(&p)?;
    let mut item = strs(&df, "item").map_err(&p)?;
    let mut team = strs(&df, "team").map_err(&p)?;
    let on = dates(&df, "delivered_on").map_err(&p)?;
    let mut reference = strs(&df, "reference").map_err(&p)?;
    Ok((0..df.height())
        .map(|i| ledger::DeliveryRow {
            destination: destination[i].take().unwrap_or_default(),
            account_id: account_id[i].take().unwrap_or_default(),
            role_id: role_id[i].take().unwrap_or_default(),
            role_name: role_name[i].take().unwrap_or_default(),
            kind: kind[i].take().unwrap_or_default(),
            item: item[i].take().unwrap_or_default(),
            team: team[i].take().unwrap_or_default(),
            delivered_on: on[i].unwrap_or_default(),
            reference: reference[i].take(),
        })
        .collect())
}

/// The `review_status` of the latest analyze run on or before `date`, as
/// far as it remembers grants (runs written before reviews carried a grant
/// fingerprint remember nothing).
pub fn read_previous_reviews(
    lake: &Lake,
    date: NaiveDate,
) -> Result<Vec<ledger::ReviewStatusRow>, AnalyzeError> {
    let Some(manifest) = latest_analyze(lake, date)? else {
        return Ok(Vec::new());
    };
    let prev = manifest.snapshot_date;
    let table = ledger::REVIEW_TABLE.name;
    let p = frame_err(lake, prev, table);
    let has_memory = read::scan_lazy(lake, &manifest, table)?
        .collect_schema()
        .map_err(&p)?
        .contains("grant_fingerprint");
    if !has_memory {
        return Ok(Vec::new());
    }
    let df = read::scan(
        lake,
        &manifest,
        table,
        None,
        &[
            "account",
            "role_name",
            "permission",
            "decision",
            "reason",
            "review_date",
            "status",
            "source",
            "expires",
            "grant_fingerprint",
            "invalidated_on",
        ],
    )?;
    let mut account = strs(&df, "account").map_err(&p)?;
    let mut role_name = strs(&df, "role_name").map_err(&p)?;
    let mut permission = strs(&df, "permission").map_err(&p)?;
    let mut decision = strs(&df, "decision").map_err(&p)?;
    let mut reason = strs(&df, "reason").map_err(&p)?;
    let review_date = dates(&df, "review_date").map_err(&p)?;
    let mut status = strs(&df, "status").map_err(&p)?;
    let mut source = strs(&df, "source").map_err(&p)?;
    let expires = dates(&df, "expires").map_err(&p)?;
    let mut fingerprint = strs(&df, "grant_fingerprint").map_err(&p)?;
    let invalidated = dates(&df, "invalidated_on").map_err(&p)?;
    Ok((0..df.height())
        .map(|i| ledger::ReviewStatusRow {
            account: account[i].take().unwrap_or_default(),
            role_name: role_name[i].take().unwrap_or_default(),
            permission: permission[i].take().unwrap_or_default(),
            decision: decision[i].take().unwrap_or_default(),
            reason: reason[i].take(),
            reviewer: None,
            review_date: review_date[i],
            owner_team: None,
            status: status[i].take().unwrap_or_default(),
            source: source[i].take().unwrap_or_default(),
            expires: expires[i],
            grant_fingerprint: fingerprint[i].take(),
            invalidated_on: invalidated[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::grants_passrole;

    #[test]
    fn passrole_grant_detection() {
        assert!(grants_passrole(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:Pass*","Resource":"arn:aws:iam::1:role/x"}}"#
        ));
        assert!(grants_passrole(
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","*"],"Resource":"*"}]}"#
        ));
        assert!(grants_passrole(
            r#"{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}"#
        ));
        assert!(!grants_passrole(
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#
        ));
        assert!(!grants_passrole(
            r#"{"Statement":[{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}]}"#
        ));
        assert!(!grants_passrole(
            r#"{"Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}"#
        ));
    }
}
