//! Risky IAM users per account: users allowed a sensitive action at account
//! breadth or wider, by the same rule as roles ([`super::input::SimIn::is_risky`]),
//! from the `simulations` rows with `principal_type` user of each account's
//! data date. Counted in `daily_summary.risky_users`, apart from roles.

use super::AnalyzeError;
use super::credentials::by_data_date;
use super::input::{AccountState, SimIn, snapshot_manifest};
use crate::lake::Lake;
use crate::lake::read::{self, frame_err, strs};
use crate::model::principal::{self, PrincipalType};
use crate::model::simulations;
use chrono::NaiveDate;
use polars::prelude::{col, lit};
use std::collections::{BTreeMap, BTreeSet};

/// Account id → the number of its risky users. Accounts whose data date
/// holds no user decisions (written before users were evaluated, or none)
/// have no entry.
pub fn risky_users(
    lake: &Lake,
    date: NaiveDate,
    accounts: &[AccountState],
) -> Result<BTreeMap<String, i32>, AnalyzeError> {
    let table = simulations::TABLE.name;
    let mut risky: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (d, filter) in by_data_date(date, accounts) {
        let manifest = snapshot_manifest(lake, d)?;
        // Breadth exists from schema version 3 on; user rows only where
        // principal_type does.
        if manifest.schema_version < 3
            || !manifest.tables.contains_key(table)
            || !read::has_column(lake, &manifest, table, principal::COLUMN.name)?
            || !read::has_column(lake, &manifest, table, "breadth")?
        {
            continue;
        }
        let users = col(principal::COLUMN.name).eq(lit(PrincipalType::User.as_str()));
        let filter = Some(match filter {
            Some(f) => f.and(users),
            None => users,
        });
        let cols = ["account_id", "role_id", "breadth", "breadth_decision"];
        let df = read::scan(lake, &manifest, table, filter, &cols)?;
        let p = frame_err(lake, d, table);
        let mut account = strs(&df, "account_id").map_err(&p)?;
        let mut id = strs(&df, "role_id").map_err(&p)?;
        let mut breadth = strs(&df, "breadth").map_err(&p)?;
        let mut breadth_decision = strs(&df, "breadth_decision").map_err(&p)?;
        for i in 0..df.height() {
            let account = account[i].take().unwrap_or_default();
            let entry = risky.entry(account).or_default();
            let sim = SimIn {
                role_id: id[i].take().unwrap_or_default(),
                action: String::new(),
                decision: String::new(),
                breadth: breadth[i].take(),
                breadth_decision: breadth_decision[i].take().unwrap_or_default(),
            };
            if sim.is_risky() {
                entry.insert(sim.role_id);
            }
        }
    }
    Ok(risky
        .into_iter()
        .map(|(a, users)| (a, users.len() as i32))
        .collect())
}
