//! Reads what analyze needs from the lake, lazily with polars: only the
//! columns used, only the files a manifest lists (a partition without a
//! manifest is never read), and only the dates asked for.

use super::AnalyzeError;
use crate::lake::Lake;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::read::{self, dates, frame_err, strs, timestamps};
use crate::model::{last_accessed, ledger, role_policies, roles, simulations};
use chrono::NaiveDate;
use polars::prelude::{col, lit};
use std::collections::HashSet;

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
    pub decision: String,
}

/// One complete snapshot date, as analyze needs it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub date: NaiveDate,
    pub snapshot_id: String,
    pub roles: Vec<RoleIn>,
    pub access: Vec<AccessIn>,
    pub sims: Vec<SimIn>,
    /// Role ids whose identity policies grant iam:PassRole on some resource.
    pub passrole: HashSet<String>,
}

/// The snapshot manifest of `date`; an error when the date is incomplete.
pub fn snapshot_manifest(lake: &Lake, date: NaiveDate) -> Result<Manifest, AnalyzeError> {
    lake.read_manifest(ManifestKind::Snapshot, date)?
        .ok_or(AnalyzeError::NoSnapshot {
            lake: lake.label(),
            date,
        })
}

/// Reads the complete snapshot of `date`.
pub fn read_snapshot(lake: &Lake, date: NaiveDate) -> Result<Snapshot, AnalyzeError> {
    let manifest = snapshot_manifest(lake, date)?;
    let df = read::scan(
        lake,
        &manifest,
        roles::TABLE.name,
        None,
        &[
            "account_id",
            "account_name",
            "role_id",
            "role_name",
            "arn",
            "path",
            "create_date",
            "owner_team",
        ],
    )?;
    let p = frame_err(lake, date, roles::TABLE.name);
    let roles_in = {
        let mut account_id = strs(&df, "account_id").map_err(&p)?;
        let mut account_name = strs(&df, "account_name").map_err(&p)?;
        let mut role_id = strs(&df, "role_id").map_err(&p)?;
        let mut role_name = strs(&df, "role_name").map_err(&p)?;
        let mut arn = strs(&df, "arn").map_err(&p)?;
        let mut path = strs(&df, "path").map_err(&p)?;
        let create = timestamps(&df, "create_date").map_err(&p)?;
        let mut owner = strs(&df, "owner_team").map_err(&p)?;
        (0..df.height())
            .map(|i| RoleIn {
                account_id: account_id[i].take().unwrap_or_default(),
                account_name: account_name[i].take(),
                role_id: role_id[i].take().unwrap_or_default(),
                role_name: role_name[i].take().unwrap_or_default(),
                arn: arn[i].take().unwrap_or_default(),
                path: path[i].take().unwrap_or_default(),
                create_date: create[i].unwrap_or_default(),
                owner_team: owner[i].take(),
            })
            .collect()
    };

    let df = read::scan(
        lake,
        &manifest,
        last_accessed::TABLE.name,
        None,
        &[
            "role_id",
            "service_namespace",
            "action",
            "last_authenticated",
        ],
    )?;
    let p = frame_err(lake, date, last_accessed::TABLE.name);
    let access = {
        let mut role_id = strs(&df, "role_id").map_err(&p)?;
        let mut service = strs(&df, "service_namespace").map_err(&p)?;
        let mut action = strs(&df, "action").map_err(&p)?;
        let last = timestamps(&df, "last_authenticated").map_err(&p)?;
        (0..df.height())
            .map(|i| AccessIn {
                role_id: role_id[i].take().unwrap_or_default(),
                service_namespace: service[i].take().unwrap_or_default(),
                action: action[i].take(),
                last_authenticated: last[i],
            })
            .collect()
    };

    let df = read::scan(
        lake,
        &manifest,
        simulations::TABLE.name,
        None,
        &["role_id", "action", "decision"],
    )?;
    let p = frame_err(lake, date, simulations::TABLE.name);
    let sims = {
        let mut role_id = strs(&df, "role_id").map_err(&p)?;
        let mut action = strs(&df, "action").map_err(&p)?;
        let mut decision = strs(&df, "decision").map_err(&p)?;
        (0..df.height())
            .map(|i| SimIn {
                role_id: role_id[i].take().unwrap_or_default(),
                action: action[i].take().unwrap_or_default(),
                decision: decision[i].take().unwrap_or_default(),
            })
            .collect()
    };

    // Only identity policies: a PassRole grant in a boundary grants nothing.
    let df = read::scan(
        lake,
        &manifest,
        role_policies::TABLE.name,
        Some(col("kind").neq(lit("boundary"))),
        &["role_id", "document"],
    )?;
    let p = frame_err(lake, date, role_policies::TABLE.name);
    let mut role_id = strs(&df, "role_id").map_err(&p)?;
    let document = strs(&df, "document").map_err(&p)?;
    let passrole = (0..df.height())
        .filter(|&i| document[i].as_deref().is_some_and(grants_passrole))
        .filter_map(|i| role_id[i].take())
        .collect();

    Ok(Snapshot {
        date,
        snapshot_id: manifest.snapshot_id,
        roles: roles_in,
        access,
        sims,
        passrole,
    })
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

/// The alert ledger of the latest analyze run on or before `date`, if any.
/// On a re-run of a date this is that date's own ledger, so what was
/// already alerted is not alerted again.
pub fn read_previous_ledger(
    lake: &Lake,
    date: NaiveDate,
) -> Result<(Option<NaiveDate>, Vec<ledger::LedgerRow>), AnalyzeError> {
    let Some(prev) = lake
        .complete_dates(ManifestKind::Analyze)?
        .into_iter()
        .filter(|d| *d <= date)
        .max()
    else {
        return Ok((None, Vec::new()));
    };
    let manifest = lake
        .read_manifest(ManifestKind::Analyze, prev)?
        .expect("listed dates have a manifest");
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
