//! The publish guard: whether a run in which accounts failed collected
//! enough of the organization to replace what the lake holds.
//!
//! A failed account has no rows, so a snapshot that misses it looks, to
//! every reader comparing dates, as if its roles had been deleted. A run
//! that collected too little is therefore refused, and the lake keeps its
//! previous state, unless `--allow-partial` asks for the old behaviour
//! (publish a `partial` date, exit 3). The decision is a pure function of a
//! few counts ([`decide`]), so every branch is unit-tested.

use chrono::NaiveDate;

/// `--min-accounts-ok` when neither the flag nor `iamlake.toml` sets it:
/// a run must collect at least half of the accounts the previous complete
/// snapshot had. Losing one account of a large organization to a missing
/// member role still publishes (as `partial`); losing most of them — the
/// collector's own credentials, a wrong external id, an outage — does not.
pub const DEFAULT_MIN_ACCOUNTS_OK: f64 = 0.5;

/// How a snapshot treats failed accounts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guard {
    /// Fraction (0..=1) of the baseline's accounts a run with failures must
    /// collect to be published.
    pub min_accounts_ok: f64,
    /// Publish whatever was collected (`partial`), never refuse.
    pub allow_partial: bool,
}

impl Default for Guard {
    fn default() -> Guard {
        Guard {
            min_accounts_ok: DEFAULT_MIN_ACCOUNTS_OK,
            allow_partial: false,
        }
    }
}

/// Parses and checks a `--min-accounts-ok` value: a fraction within 0..=1.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number (expected a fraction such as 0.5)"))?;
    check_fraction(v)
}

/// Checks a fraction is within 0..=1 (NaN is not).
pub fn check_fraction(v: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is not within 0..=1 (a fraction of the accounts, e.g. 0.5)"
        ))
    }
}

/// What the run's count of collected accounts is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Accounts `ok` in the latest earlier snapshot whose status is
    /// `complete` (this shard's accounts only, for a shard).
    Previous { date: NaiveDate, accounts_ok: u64 },
    /// No earlier complete snapshot: the accounts this run attempted.
    Attempted(u64),
}

impl Baseline {
    /// The number of accounts.
    pub fn accounts(self) -> u64 {
        match self {
            Baseline::Previous { accounts_ok, .. } => accounts_ok,
            Baseline::Attempted(n) => n,
        }
    }
}

/// Why a run is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// Not one account was collected.
    NoneCollected,
    /// Fewer than `min_accounts_ok × baseline` accounts were collected.
    BelowMinimum,
}

/// The guard's decision, with the numbers behind it for messages and logs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Accounts collected in this run.
    pub accounts_ok: u64,
    /// Accounts this run attempted (collected or failed).
    pub accounts_attempted: u64,
    pub baseline: Baseline,
    pub min_accounts_ok: f64,
    /// The fewest collected accounts that pass: `⌈min_accounts_ok × baseline⌉`.
    pub accounts_needed: u64,
    /// `Some` when the run must not be published.
    pub refused: Option<RefuseReason>,
}

/// `⌈fraction × n⌉`, without the float error that would make `0.7 × 10`
/// need 8.
pub fn needed(fraction: f64, n: u64) -> u64 {
    let x = fraction * n as f64;
    (x - 1e-9).ceil().max(0.0) as u64
}

/// Decides whether a run that collected `accounts_ok` of
/// `accounts_attempted` accounts may be published.
///
/// Refused when some account failed and either none was collected or fewer
/// than `min_accounts_ok × baseline` were. A run in which every attempted
/// account was collected is never refused: it shows the organization as it
/// is (accounts closed, a shorter `--accounts` list), not a failure. With
/// `allow_partial` nothing is refused.
pub fn decide(
    accounts_ok: u64,
    accounts_attempted: u64,
    baseline: Baseline,
    guard: Guard,
) -> Decision {
    let accounts_needed = needed(guard.min_accounts_ok, baseline.accounts());
    let failed = accounts_attempted > accounts_ok;
    let refused = if guard.allow_partial || !failed {
        None
    } else if accounts_ok == 0 {
        Some(RefuseReason::NoneCollected)
    } else if accounts_ok < accounts_needed {
        Some(RefuseReason::BelowMinimum)
    } else {
        None
    };
    Decision {
        accounts_ok,
        accounts_attempted,
        baseline,
        min_accounts_ok: guard.min_accounts_ok,
        accounts_needed,
        refused,
    }
}

impl Decision {
    /// The refusal as one sentence, e.g. `snapshot 2026-11-02 refused: 0 of
    /// 4 accounts collected (previous complete snapshot 2026-11-01 had 4;
    /// --min-accounts-ok 0.5 needs 2); the lake is unchanged; --allow-partial
    /// publishes it anyway`.
    pub fn refusal_message(&self, date: NaiveDate) -> String {
        let baseline = match self.baseline {
            Baseline::Previous { date, accounts_ok } => {
                format!("previous complete snapshot {date} had {accounts_ok}")
            }
            Baseline::Attempted(_) => "no earlier complete snapshot to compare with".to_string(),
        };
        let rule = match self.refused {
            Some(RefuseReason::NoneCollected) if self.accounts_needed == 0 => {
                "a run that collected no account is never published".to_string()
            }
            _ => format!(
                "--min-accounts-ok {} needs {}",
                self.min_accounts_ok, self.accounts_needed
            ),
        };
        format!(
            "snapshot {date} refused: {} of {} accounts collected ({baseline}; {rule}); the lake is unchanged; --allow-partial publishes it anyway",
            self.accounts_ok, self.accounts_attempted
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn previous(n: u64) -> Baseline {
        Baseline::Previous {
            date: day(1),
            accounts_ok: n,
        }
    }

    #[test]
    fn every_account_collected_is_published_even_when_the_organization_shrank() {
        let d = decide(1, 1, previous(10), Guard::default());
        assert_eq!(d.refused, None);
        assert_eq!(d.accounts_needed, 5);
        // Nothing attempted (an empty shard): nothing failed either.
        assert_eq!(decide(0, 0, previous(4), Guard::default()).refused, None);
    }

    #[test]
    fn no_account_collected_is_refused_whatever_the_minimum() {
        let none = Guard {
            min_accounts_ok: 0.0,
            allow_partial: false,
        };
        let d = decide(0, 4, Baseline::Attempted(4), none);
        assert_eq!(d.refused, Some(RefuseReason::NoneCollected));
        assert_eq!(d.accounts_needed, 0);
        assert_eq!(
            d.refusal_message(day(2)),
            "snapshot 2026-11-02 refused: 0 of 4 accounts collected (no earlier complete snapshot to compare with; a run that collected no account is never published); the lake is unchanged; --allow-partial publishes it anyway"
        );
        let d = decide(0, 4, previous(4), Guard::default());
        assert_eq!(d.refused, Some(RefuseReason::NoneCollected));
        assert_eq!(
            d.refusal_message(day(2)),
            "snapshot 2026-11-02 refused: 0 of 4 accounts collected (previous complete snapshot 2026-11-01 had 4; --min-accounts-ok 0.5 needs 2); the lake is unchanged; --allow-partial publishes it anyway"
        );
    }

    #[test]
    fn below_the_minimum_of_the_previous_snapshot_is_refused() {
        let d = decide(2, 3, previous(5), Guard::default());
        assert_eq!(d.accounts_needed, 3);
        assert_eq!(d.refused, Some(RefuseReason::BelowMinimum));
        // The previous snapshot, not this run's attempt, is the baseline:
        // 2 of 3 attempted would pass against 3.
        assert_eq!(
            decide(2, 3, Baseline::Attempted(3), Guard::default()).refused,
            None
        );
    }

    #[test]
    fn at_or_above_the_minimum_is_published() {
        let g = Guard {
            min_accounts_ok: 0.9,
            allow_partial: false,
        };
        assert_eq!(
            decide(4, 5, previous(5), g).refused,
            Some(RefuseReason::BelowMinimum)
        );
        assert_eq!(decide(9, 10, previous(10), g).refused, None);
        assert_eq!(decide(2, 4, previous(4), Guard::default()).refused, None);
        assert_eq!(decide(4, 5, previous(5), Guard::default()).refused, None);
    }

    #[test]
    fn allow_partial_never_refuses() {
        let g = Guard {
            min_accounts_ok: 1.0,
            allow_partial: true,
        };
        assert_eq!(decide(0, 4, previous(4), g).refused, None);
        assert_eq!(decide(3, 4, previous(4), g).refused, None);
    }

    #[test]
    fn needed_rounds_up_without_float_error() {
        assert_eq!(needed(0.7, 10), 7);
        assert_eq!(needed(0.5, 4), 2);
        assert_eq!(needed(0.5, 5), 3);
        assert_eq!(needed(0.9, 5), 5);
        assert_eq!(needed(0.0, 5), 0);
        assert_eq!(needed(1.0, 3), 3);
        assert_eq!(needed(0.1, 0), 0);
    }

    #[test]
    fn fractions_outside_zero_to_one_are_rejected() {
        assert_eq!(parse_fraction("0.9"), Ok(0.9));
        assert_eq!(parse_fraction("1"), Ok(1.0));
        assert_eq!(parse_fraction("0"), Ok(0.0));
        for bad in ["1.5", "-0.1", "NaN", "half", ""] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }
}
