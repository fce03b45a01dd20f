//! The account's IAM users, as the credential report shows them: written as
//! `credential_report.csv` beside the authorization details, in AWS's exact
//! columns and values (`<root_account>`, `N/A`, `not_supported`,
//! `no_information`). Users come from their own hash stream, not the role
//! generator's random numbers, so adding them changed no other file.

use super::GenerateError;
use super::account::AccountState;
use super::output::{DAY, Output, snapshot_ts, splitmix, stable_hash};
use crate::source::credential_report::{COLUMNS, ROOT_USER};
use crate::source::fixtures::CREDENTIAL_REPORT;
use std::fmt::Write as _;
use std::path::Path;

const FIRST: [&str; 8] = [
    "ana", "ben", "chloe", "dev", "eli", "farah", "goran", "hana",
];
const LAST: [&str; 6] = ["ito", "klein", "moreau", "novak", "okafor", "silva"];

/// What kind of user, and so which findings it yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Console user with MFA, signs in every few days.
    Console,
    /// Console user without MFA, signs in every few days.
    ConsoleNoMfa,
    /// CI user: one access key used every day, never rotated.
    Ci,
    /// A key that nobody has used for months.
    StaleKey,
    /// Someone who left: nothing used for months, password and key still on.
    Left,
}

const KINDS: [Kind; 5] = [
    Kind::Console,
    Kind::ConsoleNoMfa,
    Kind::Ci,
    Kind::StaleKey,
    Kind::Left,
];

/// A report time, `N/A` for none.
fn time(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || "N/A".to_string(),
            |t| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        )
}

fn flag(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// One access key's five columns.
fn key(
    active: bool,
    rotated: Option<i64>,
    used: Option<i64>,
    region: &str,
    service: &str,
) -> String {
    match rotated {
        None => "false,N/A,N/A,N/A,N/A".into(),
        Some(r) => format!(
            "{},{},{},{},{}",
            flag(active),
            time(Some(r)),
            time(used),
            if used.is_some() { region } else { "N/A" },
            if used.is_some() { service } else { "N/A" },
        ),
    }
}

/// Writes `<dir>/credential_report.csv` for the account as of `day`.
pub(crate) fn write_credential_report(
    out: &mut Output,
    st: &AccountState<'_>,
    day: u32,
    dir: &Path,
) -> Result<(), GenerateError> {
    let acct = st.account_id();
    let h0 = stable_hash(st.seed, &["users", acct]);
    let now = snapshot_ts(st.start, day);
    let s0 = snapshot_ts(st.start, 0);
    let mut csv = COLUMNS.join(",");
    csv.push('\n');
    // The root user: signs in now and then; the third account's has no MFA.
    let root_login = now - (2 + (h0 % 20) as i64) * DAY;
    let _ = writeln!(
        csv,
        "{ROOT_USER},arn:aws:iam::{acct}:root,{},not_supported,{},not_supported,not_supported,{},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        time(Some(s0 - (900 + (h0 % 300) as i64) * DAY)),
        time(Some(root_login)),
        flag(st.idx % 3 != 2),
    );
    let n = 5 + (h0 % 3) as usize;
    let mut seen = std::collections::HashSet::new();
    for i in 0..n {
        let h = splitmix(h0 ^ (i as u64 + 1));
        let kind = KINDS[i % KINDS.len()];
        let name = format!(
            "{}.{}",
            FIRST[(h % 8) as usize],
            LAST[((h >> 8) % 6) as usize]
        );
        let mut name = if kind == Kind::Ci {
            format!("ci-{}", LAST[((h >> 8) % 6) as usize])
        } else {
            name
        };
        // User names are unique in an account.
        if !seen.insert(name.clone()) {
            name = format!("{name}{i}");
            seen.insert(name.clone());
        }
        let created = s0 - (120 + ((h >> 16) % 500) as i64) * DAY - ((h >> 32) % 86_400) as i64;
        let recent = |every: i64| now - (1 + ((h >> 40) as i64 % every)) * DAY / 2;
        let long_ago = s0 - (100 + ((h >> 24) % 200) as i64) * DAY;
        let (password, login, mfa, key1) = match kind {
            Kind::Console => (true, Some(recent(6)), true, key(false, None, None, "", "")),
            Kind::ConsoleNoMfa => (true, Some(recent(6)), false, key(false, None, None, "", "")),
            // Key-only users: the CI key is used every hour, the stale one
            // not for months.
            Kind::Ci | Kind::StaleKey => {
                let (used, region, service) = if kind == Kind::Ci {
                    (now - 3_600, "eu-west-1", "s3")
                } else {
                    (long_ago, "us-east-1", "sts")
                };
                let k = key(true, Some(created + 600), Some(used), region, service);
                (false, None, false, k)
            }
            Kind::Left => (
                true,
                Some(long_ago),
                false,
                key(
                    true,
                    Some(created + 900),
                    Some(long_ago - DAY),
                    "eu-west-1",
                    "ec2",
                ),
            ),
        };
        let path = if kind == Kind::Ci { "/ci/" } else { "/" };
        let _ = writeln!(
            csv,
            "{name},arn:aws:iam::{acct}:user{path}{name},{},{},{},{},N/A,{},{key1},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            time(Some(created)),
            flag(password),
            if password { time(login) } else { "N/A".into() },
            if password {
                time(Some(created + 300))
            } else {
                "N/A".into()
            },
            flag(mfa),
        );
    }
    out.write_text(&dir.join(CREDENTIAL_REPORT), csv.as_bytes())
}
