//! Synthetic AWS Organization fixture generator: writes day-by-day snapshots of IAM roles, policies, SCPs and Access Advisor data in exactly the shapes the AWS CLI prints, so the rest of iamlake can be exercised without an AWS account.
//!
//! The output is a pure function of [`GenerateConfig`]: every random choice comes
//! from ChaCha8 streams seeded from `seed`, every timestamp is derived from
//! `start_date`, and nothing iterates a `HashMap`, so two runs with the same
//! config produce byte-identical trees.
//!
//! Memory stays bounded by one account: accounts are independent (each has its
//! own random stream), so the generator simulates one account through all days,
//! writes its files, and drops it before starting the next.

mod account;
mod catalog;
mod org;
mod output;
mod policy;
mod render;
#[cfg(test)]
mod tests;
mod users;

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::generate::account::AccountState;
use crate::generate::org::Org;
use crate::generate::output::Output;

/// Everything that determines a generated fixture. The same value always yields
/// byte-identical output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateConfig {
    /// Number of AWS accounts in the organization (the first is the management
    /// account, the second the security account, the rest workload accounts).
    pub accounts: u32,
    /// Number of IAM roles each account starts with on the first day; roles are
    /// created and deleted day by day, so later days hover around this number.
    pub roles_per_account: u32,
    /// Number of daily snapshots to simulate, starting at `start_date`.
    pub days: u32,
    /// Simulate the first `skip_days` days without writing them: the days
    /// written are exactly those a full run writes from that day on, so a
    /// long series can be produced (and consumed) in windows without holding
    /// all of it on disk. 0 writes every day.
    pub skip_days: u32,
    /// Seed for every random choice (account ids, role mix, daily evolution).
    pub seed: u64,
    /// Date of the first snapshot; all timestamps in the fixture derive from it
    /// (snapshots are taken at 06:00 UTC on each day).
    pub start_date: NaiveDate,
    /// Output directory; created if missing. Existing files with the same names
    /// are replaced, other files are left alone.
    pub out: PathBuf,
}

/// Reported after each account's files for one day have been written.
///
/// Accounts are generated one after another, each through all days, so
/// reports arrive account-major: (account 0, day 0), (account 0, day 1), ….
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Zero-based index of the day just written.
    pub day_index: u32,
    /// Zero-based index of the account just written.
    pub account_index: u32,
    /// Total number of days (same as the config), for progress bars.
    pub days: u32,
    /// Total number of accounts (same as the config), for progress bars.
    pub accounts: u32,
}

/// What a finished run wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Number of daily snapshots written.
    pub days: u32,
    /// Number of accounts per snapshot.
    pub accounts: u32,
    /// Roles present across all accounts on the last day.
    pub roles_last_day: u64,
    /// Files written (including `fixture.json`).
    pub files: u64,
    /// Bytes written across all files.
    pub bytes: u64,
}

/// Why generation failed. Every I/O variant names the path involved.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The configuration cannot produce a fixture.
    #[error("invalid generate config: {0}")]
    InvalidConfig(String),
    /// A directory of the output tree could not be created.
    #[error("cannot create directory {path}")]
    CreateDir {
        /// Directory that could not be created.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be serialized to JSON for the given file.
    #[error("cannot serialize JSON for {path}")]
    Serialize {
        /// File whose content failed to serialize.
        path: PathBuf,
        /// Underlying serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// A file (its temporary sibling) could not be written.
    #[error("cannot write {path}")]
    Write {
        /// File that could not be written.
        path: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The finished temporary file could not be renamed into place.
    #[error("cannot rename {from} to {to}")]
    Rename {
        /// Temporary file.
        from: PathBuf,
        /// Final file name.
        to: PathBuf,
        /// Underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Largest accepted values; beyond these the run would take days, and they
/// keep the date arithmetic and id spaces far from overflowing.
const MAX_ACCOUNTS: u32 = 10_000;
const MAX_ROLES: u32 = 1_000_000;
const MAX_DAYS: u32 = 3_660;

/// Generate the fixture described by `cfg`, calling `on_progress` after each
/// account-day. `fixture.json` is written last, so its presence marks a
/// complete fixture.
pub fn generate(
    cfg: &GenerateConfig,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Summary, GenerateError> {
    validate(cfg)?;
    let dates: Vec<NaiveDate> = (0..cfg.days)
        .map(|d| cfg.start_date + chrono::Days::new(u64::from(d)))
        .collect();
    let day_names: Vec<String> = dates
        .iter()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .collect();
    let skip = cfg.skip_days as usize;

    let mut out = Output::new();
    out.create_dir(&cfg.out)?;

    // The organization (accounts, OUs, SCPs) is small and does not change over
    // the simulated period, so it is built once and written into every day.
    let org = Org::build(cfg.seed, cfg.accounts, cfg.start_date);
    for name in &day_names[skip..] {
        org.write(&mut out, &cfg.out.join(name).join("organization"))?;
    }

    let catalog = catalog::Catalog::new();
    let mut roles_last_day = 0u64;
    for account_index in 0..cfg.accounts {
        let mut state = AccountState::new(
            &org,
            &catalog,
            account_index as usize,
            cfg.roles_per_account,
            cfg.seed,
            cfg.start_date,
        );
        for (day_index, name) in day_names.iter().enumerate() {
            if day_index > 0 {
                state.step(day_index as u32);
            }
            if day_index < skip {
                continue;
            }
            let dir = cfg
                .out
                .join(name)
                .join(&org.accounts[account_index as usize].id);
            render::write_account_day(&mut out, &state, day_index as u32, &dir)?;
            on_progress(Progress {
                day_index: day_index as u32,
                account_index,
                days: cfg.days,
                accounts: cfg.accounts,
            });
        }
        roles_last_day += state.roles.len() as u64;
    }

    #[derive(Serialize)]
    struct Fixture<'a> {
        generator: &'static str,
        seed: u64,
        accounts: u32,
        roles_per_account: u32,
        days: &'a [String],
    }
    out.write_json(
        &cfg.out.join("fixture.json"),
        &Fixture {
            generator: "iamlake",
            seed: cfg.seed,
            accounts: cfg.accounts,
            roles_per_account: cfg.roles_per_account,
            days: &day_names[skip..],
        },
        true,
    )?;

    Ok(Summary {
        days: cfg.days,
        accounts: cfg.accounts,
        roles_last_day,
        files: out.files,
        bytes: out.bytes,
    })
}

fn validate(cfg: &GenerateConfig) -> Result<(), GenerateError> {
    let check = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(GenerateError::InvalidConfig(what.to_string()))
        }
    };
    check(
        (1..=MAX_ACCOUNTS).contains(&cfg.accounts),
        &format!("accounts must be between 1 and {MAX_ACCOUNTS}"),
    )?;
    check(
        (1..=MAX_ROLES).contains(&cfg.roles_per_account),
        &format!("roles_per_account must be between 1 and {MAX_ROLES}"),
    )?;
    check(
        (1..=MAX_DAYS).contains(&cfg.days),
        &format!("days must be between 1 and {MAX_DAYS}"),
    )?;
    check(cfg.skip_days < cfg.days, "skip_days must be less than days")?;
    check(
        cfg.start_date
            .checked_add_days(chrono::Days::new(u64::from(cfg.days)))
            .is_some()
            && cfg
                .start_date
                .checked_sub_days(chrono::Days::new(3_650))
                .is_some(),
        "start_date is too close to the limits of the calendar",
    )
}
