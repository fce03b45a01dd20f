//! Credential findings from the IAM credential reports (`credentials`):
//! access keys unused or older than a maximum age, console passwords without
//! MFA, and users with no activity at all for the threshold (people who
//! left). Rules (also in docs/ANALYZE.md#credentials), each judged as of the
//! report's date D (00:00 UTC), cutoff = D − `unused_days`:
//!
//! - **access_key_unused**: an active key last used before the cutoff, or
//!   never; a key rotated after the cutoff is young and not flagged.
//! - **access_key_old**: an active key last rotated more than
//!   `key_max_age_days` days before D.
//! - **console_without_mfa**: a console password (or the root user, who
//!   always has one) and no MFA device.
//! - **inactive_user**: a non-root user created before the cutoff whose
//!   password and keys were all last used before it (or never).
//!
//! A failed account is read from its carried report (as of that date); an
//! account without a report (none collected, `no_data`) has no findings:
//! unknown, not clean.

use super::AnalyzeError;
use super::input::{AccountState, snapshot_manifest};
use crate::lake::Lake;
use crate::lake::read::{self, frame_err, strs, timestamps};
use crate::model::credential_findings::CredentialFindingRow;
use crate::model::credentials::{self, AccessKey, CredentialRow};
use chrono::NaiveDate;
use polars::prelude::{DataFrame, PolarsResult, col, lit};
use std::collections::BTreeMap;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The thresholds of the credential findings.
#[derive(Debug, Clone, Copy)]
pub struct CredentialRules {
    /// Days without use after which a key or a user is unused.
    pub unused_days: i64,
    /// Days after which an active key is too old (not rotated).
    pub key_max_age_days: i64,
}

/// A credential report line with the date it describes.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialIn {
    pub row: CredentialRow,
    pub data_date: NaiveDate,
}

/// What the `users` table says of a user, for its owner: path and tag owner.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserOwnerIn {
    pub path: String,
    pub owner_team: Option<String>,
}

/// Users by (account id, ARN), from the `users` rows of the same dates as
/// the report lines.
pub type UsersByArn = std::collections::HashMap<(String, String), UserOwnerIn>;

fn bools(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
    Ok(df.column(name)?.bool()?.iter().collect())
}

/// Reads the report lines analyze judges on `date`: per account of the
/// manifest, those of its data date (the date itself, or the carried one);
/// a manifest without an accounts list: every line of the date. Partitions
/// written before the table existed have none.
pub fn read(
    lake: &Lake,
    date: NaiveDate,
    accounts: &[AccountState],
) -> Result<(Vec<CredentialIn>, UsersByArn), AnalyzeError> {
    let table = credentials::TABLE.name;
    let mut out = Vec::new();
    let mut users = UsersByArn::new();
    for (d, filter) in by_data_date(date, accounts) {
        let manifest = snapshot_manifest(lake, d)?;
        if !manifest.tables.contains_key(table) {
            continue;
        }
        read_users(lake, &manifest, filter.clone(), &mut users)?;
        let df = read::scan(
            lake,
            &manifest,
            table,
            filter,
            &[
                "account_id",
                "account_name",
                "user",
                "arn",
                "is_root",
                "user_creation_time",
                "password_enabled",
                "password_last_used",
                "mfa_active",
                "access_key_1_active",
                "access_key_1_last_rotated",
                "access_key_1_last_used_date",
                "access_key_2_active",
                "access_key_2_last_rotated",
                "access_key_2_last_used_date",
            ],
        )?;
        let p = frame_err(lake, d, table);
        let mut account_id = strs(&df, "account_id").map_err(&p)?;
        let mut account_name = strs(&df, "account_name").map_err(&p)?;
        let mut user = strs(&df, "user").map_err(&p)?;
        let mut arn = strs(&df, "arn").map_err(&p)?;
        let is_root = bools(&df, "is_root").map_err(&p)?;
        let created = timestamps(&df, "user_creation_time").map_err(&p)?;
        let password = bools(&df, "password_enabled").map_err(&p)?;
        let login = timestamps(&df, "password_last_used").map_err(&p)?;
        let mfa = bools(&df, "mfa_active").map_err(&p)?;
        let mut keys = Vec::new();
        for k in ["access_key_1", "access_key_2"] {
            keys.push((
                bools(&df, &format!("{k}_active")).map_err(&p)?,
                timestamps(&df, &format!("{k}_last_rotated")).map_err(&p)?,
                timestamps(&df, &format!("{k}_last_used_date")).map_err(&p)?,
            ));
        }
        let key = |k: usize, i: usize| AccessKey {
            active: keys[k].0[i].unwrap_or_default(),
            last_rotated: keys[k].1[i],
            last_used_date: keys[k].2[i],
            ..AccessKey::default()
        };
        for i in 0..df.height() {
            out.push(CredentialIn {
                row: CredentialRow {
                    account_id: account_id[i].take().unwrap_or_default(),
                    account_name: account_name[i].take(),
                    user: user[i].take().unwrap_or_default(),
                    arn: arn[i].take().unwrap_or_default(),
                    is_root: is_root[i].unwrap_or_default(),
                    user_creation_time: created[i],
                    password_enabled: password[i],
                    password_last_used: login[i],
                    mfa_active: mfa[i].unwrap_or_default(),
                    access_keys: [key(0, i), key(1, i)],
                    ..CredentialRow::default()
                },
                data_date: d,
            });
        }
    }
    Ok((out, users))
}

/// The snapshot dates analyze reads accounts' rows from on `date`, each with
/// a filter keeping its accounts: per account of the manifest, its data
/// date (the date itself, or the carried one; none for `no_data`); a
/// manifest without an accounts list: every row of the date.
pub fn by_data_date(
    date: NaiveDate,
    accounts: &[AccountState],
) -> BTreeMap<NaiveDate, Option<polars::prelude::Expr>> {
    let mut by_date: BTreeMap<NaiveDate, Option<Vec<&str>>> = BTreeMap::new();
    if accounts.is_empty() {
        by_date.insert(date, None);
    }
    for a in accounts {
        if let Some(d) = a.data_date
            && let Some(list) = by_date.entry(d).or_insert_with(|| Some(Vec::new()))
        {
            list.push(a.account_id.as_str());
        }
    }
    by_date
        .into_iter()
        .map(|(d, ids)| {
            let filter = ids.and_then(|ids| {
                ids.iter()
                    .map(|v| col("account_id").eq(lit(v.to_string())))
                    .reduce(|a, b| a.or(b))
            });
            (d, filter)
        })
        .collect()
}

/// Adds the `users` rows of `manifest`'s date (after `filter`) to `out`.
fn read_users(
    lake: &Lake,
    manifest: &crate::lake::manifest::Manifest,
    filter: Option<polars::prelude::Expr>,
    out: &mut UsersByArn,
) -> Result<(), AnalyzeError> {
    let table = crate::model::users::TABLE.name;
    if !manifest.tables.contains_key(table) {
        return Ok(());
    }
    let cols = ["account_id", "arn", "path", "owner_team"];
    let df = read::scan(lake, manifest, table, filter, &cols)?;
    let p = frame_err(lake, manifest.snapshot_date, table);
    let mut account = strs(&df, "account_id").map_err(&p)?;
    let mut arn = strs(&df, "arn").map_err(&p)?;
    let mut path = strs(&df, "path").map_err(&p)?;
    let mut team = strs(&df, "owner_team").map_err(&p)?;
    for i in 0..df.height() {
        out.insert(
            (
                account[i].take().unwrap_or_default(),
                arn[i].take().unwrap_or_default(),
            ),
            UserOwnerIn {
                path: path[i].take().unwrap_or_default(),
                owner_team: team[i].take(),
            },
        );
    }
    Ok(())
}

/// Gives every finding its owner team by the owner chain a role has, with
/// the user in the role's place (see [`super::owners`]): the user's tag,
/// the owners file (its `role` glob matched against the user name, its
/// `path_prefix` against the user's path), the account's default team.
/// Terraform and CloudFormation do not name users' owners here.
pub fn assign_owners(
    findings: &mut [CredentialFindingRow],
    users: &UsersByArn,
    owners: &super::owners::Owners,
) {
    for f in findings {
        let known = users.get(&(f.account_id.clone(), f.arn.clone()));
        let as_role = super::input::RoleIn {
            account_id: f.account_id.clone(),
            account_name: f.account_name.clone(),
            role_id: String::new(),
            role_name: f.user.clone(),
            arn: f.arn.clone(),
            path: known.map_or_else(|| "/".to_string(), |u| u.path.clone()),
            create_date: 0,
            owner_team: known.and_then(|u| u.owner_team.clone()),
            cfn_stack: None,
            cfn_logical_id: None,
            carried_from: None,
            access: super::input::AccessData::default(),
        };
        let o = owners.ownership(&as_role);
        f.owner_team = o.team;
        f.owner_source = o.source.as_str().to_string();
    }
}

/// The findings of `lines` by the rules above, sorted.
pub fn find(lines: &[CredentialIn], rules: CredentialRules) -> Vec<CredentialFindingRow> {
    let mut out = Vec::new();
    for line in lines {
        let c = &line.row;
        let now = line
            .data_date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp_micros();
        let cutoff = now - rules.unused_days * MICROS_PER_DAY;
        let too_old = now - rules.key_max_age_days * MICROS_PER_DAY;
        let days = |since: i64| Some(((now - since) / MICROS_PER_DAY) as i32);
        let mut push = |finding: &str, key: Option<i32>, last: Option<i64>, days: Option<i32>| {
            out.push(CredentialFindingRow {
                account_id: c.account_id.clone(),
                account_name: c.account_name.clone(),
                user: c.user.clone(),
                arn: c.arn.clone(),
                finding: finding.into(),
                access_key: key,
                last_used_at: last,
                days,
                data_date: crate::model::columns::days_since_epoch(line.data_date),
                // Filled in by `assign_owners`.
                owner_team: super::owners::UNOWNED.to_string(),
                owner_source: super::owners::OwnerSource::Unowned.as_str().to_string(),
            })
        };
        for (k, key) in c.access_keys.iter().enumerate() {
            let (Some(rotated), true) = (key.last_rotated, key.active) else {
                continue;
            };
            let n = Some(k as i32 + 1);
            if rotated <= cutoff && key.last_used_date.is_none_or(|t| t < cutoff) {
                let since = key.last_used_date.unwrap_or(rotated);
                push("access_key_unused", n, key.last_used_date, days(since));
            }
            if rotated < too_old {
                push("access_key_old", n, key.last_used_date, days(rotated));
            }
        }
        if (c.password_enabled == Some(true) || c.is_root) && !c.mfa_active {
            push("console_without_mfa", None, c.password_last_used, None);
        }
        let created_before = c.user_creation_time.is_some_and(|t| t <= cutoff);
        if !c.is_root && created_before {
            let last = [
                c.password_last_used,
                c.access_keys[0].last_used_date,
                c.access_keys[1].last_used_date,
            ]
            .into_iter()
            .flatten()
            .max();
            if last.is_none_or(|t| t < cutoff) {
                let since = last.or(c.user_creation_time).unwrap_or(now);
                push("inactive_user", None, last, days(since));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(t: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_micros()
    }

    fn user(name: &str, created: &str) -> CredentialRow {
        CredentialRow {
            account_id: "111122223333".into(),
            account_name: Some("prod".into()),
            user: name.into(),
            arn: format!("arn:aws:iam::111122223333:user/{name}"),
            user_creation_time: Some(micros(created)),
            password_enabled: Some(false),
            ..CredentialRow::default()
        }
    }

    fn key(rotated: &str, used: Option<&str>) -> AccessKey {
        AccessKey {
            active: true,
            last_rotated: Some(micros(rotated)),
            last_used_date: used.map(micros),
            ..AccessKey::default()
        }
    }

    /// Report of 2026-10-01; unused after 90 days (cutoff 2026-07-03
    /// 00:00), keys too old after 180 days (2026-04-04 00:00).
    #[test]
    fn findings_worked_by_hand() {
        let date = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let mut root = user("<root_account>", "2020-01-01T00:00:00Z");
        root.is_root = true;
        root.arn = "arn:aws:iam::111122223333:root".into();
        root.password_enabled = None;
        root.password_last_used = Some(micros("2026-09-01T00:00:00Z"));
        // Console user, no MFA, active: only console_without_mfa.
        let mut ana = user("ana", "2025-01-01T00:00:00Z");
        ana.password_enabled = Some(true);
        ana.password_last_used = Some(micros("2026-09-30T12:00:00Z"));
        // CI: key rotated 2026-01-15 10:00, used yesterday: old (258 days).
        let mut ci = user("ci", "2026-01-15T09:00:00Z");
        ci.access_keys[0] = key("2026-01-15T10:00:00Z", Some("2026-09-30T23:00:00Z"));
        // Stale key rotated 2026-03-01 00:10 (old: 213 days), used
        // 2026-05-01 (153 days); second key inactive; inactive too: nothing
        // else used since.
        let mut bo = user("bo", "2026-03-01T00:00:00Z");
        bo.access_keys[0] = key("2026-03-01T00:10:00Z", Some("2026-05-01T00:00:00Z"));
        bo.access_keys[1] = AccessKey {
            active: false,
            ..key("2026-03-02T00:00:00Z", None)
        };
        // Young: key made 2026-08-01, never used; user created then too.
        let mut yu = user("yu", "2026-08-01T00:00:00Z");
        yu.access_keys[1] = key("2026-08-01T00:00:00Z", None);
        // Left: password used 2026-07-02 23:00 (just before the cutoff),
        // key never used since its rotation 2026-02-10: unused 233 days.
        let mut lee = user("lee", "2026-02-10T00:00:00Z");
        lee.password_enabled = Some(true);
        lee.mfa_active = true;
        lee.password_last_used = Some(micros("2026-07-02T23:00:00Z"));
        lee.access_keys[1] = key("2026-02-10T00:00:00Z", None);
        let lines: Vec<CredentialIn> = [root, ana, ci, bo, yu, lee]
            .into_iter()
            .map(|row| CredentialIn {
                row,
                data_date: date,
            })
            .collect();
        let rules = CredentialRules {
            unused_days: 90,
            key_max_age_days: 180,
        };
        let got: Vec<(String, String, Option<i32>, Option<i32>)> = find(&lines, rules)
            .into_iter()
            .map(|f| (f.user, f.finding, f.access_key, f.days))
            .collect();
        let want: Vec<(String, String, Option<i32>, Option<i32>)> = [
            ("<root_account>", "console_without_mfa", None, None),
            ("ana", "console_without_mfa", None, None),
            ("bo", "access_key_old", Some(1), Some(213)),
            ("bo", "access_key_unused", Some(1), Some(153)),
            ("bo", "inactive_user", None, Some(153)),
            ("ci", "access_key_old", Some(1), Some(258)),
            ("lee", "access_key_old", Some(2), Some(233)),
            ("lee", "access_key_unused", Some(2), Some(233)),
            ("lee", "inactive_user", None, Some(90)),
        ]
        .into_iter()
        .map(|(u, f, k, d)| (u.to_string(), f.to_string(), k, d))
        .collect();
        let mut want = want;
        want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut got = got;
        got.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        assert_eq!(got, want);
    }

    /// Owners worked out by hand: a tagged user keeps its tag; an untagged
    /// CI user (path /ci/) matches the owners file's path rule; an untagged
    /// user elsewhere, and the root user, get the account's default team
    /// (owners-config [accounts], by account name); another account's
    /// untagged user is unowned.
    #[test]
    fn findings_get_the_owner_chain_of_their_user() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("owners.csv");
        std::fs::write(
            &rules,
            "account,role,path_prefix,team\n111111111111,,/ci/,platform\n",
        )
        .unwrap();
        let config = dir.path().join("owners.toml");
        std::fs::write(&config, "[accounts]\n\"prod\" = \"payments\"\n").unwrap();
        let owners = super::super::owners::Owners::load(&rules)
            .unwrap()
            .with_config(&config)
            .unwrap();
        let finding = |account: &str, user: &str, arn: &str| CredentialFindingRow {
            account_id: account.into(),
            account_name: Some(
                if account == "111111111111" {
                    "prod"
                } else {
                    "dev"
                }
                .into(),
            ),
            user: user.into(),
            arn: arn.into(),
            finding: "inactive_user".into(),
            access_key: None,
            last_used_at: None,
            days: None,
            data_date: 0,
            owner_team: "unowned".into(),
            owner_source: "unowned".into(),
        };
        let mut findings = vec![
            finding("111111111111", "ana", "arn:aws:iam::111111111111:user/ana"),
            finding(
                "111111111111",
                "deploy",
                "arn:aws:iam::111111111111:user/ci/deploy",
            ),
            finding("111111111111", "old", "arn:aws:iam::111111111111:user/old"),
            finding(
                "111111111111",
                "<root_account>",
                "arn:aws:iam::111111111111:root",
            ),
            finding("222222222222", "bo", "arn:aws:iam::222222222222:user/bo"),
        ];
        let user = |path: &str, team: Option<&str>| UserOwnerIn {
            path: path.into(),
            owner_team: team.map(str::to_string),
        };
        let users: UsersByArn = [
            (
                "111111111111",
                "arn:aws:iam::111111111111:user/ana",
                user("/", Some("web")),
            ),
            (
                "111111111111",
                "arn:aws:iam::111111111111:user/ci/deploy",
                user("/ci/", None),
            ),
            (
                "111111111111",
                "arn:aws:iam::111111111111:user/old",
                user("/", None),
            ),
            (
                "222222222222",
                "arn:aws:iam::222222222222:user/bo",
                user("/", None),
            ),
        ]
        .into_iter()
        .map(|(a, arn, u)| ((a.to_string(), arn.to_string()), u))
        .collect();
        assign_owners(&mut findings, &users, &owners);
        let got: Vec<(&str, &str, &str)> = findings
            .iter()
            .map(|f| {
                (
                    f.user.as_str(),
                    f.owner_team.as_str(),
                    f.owner_source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ana", "web", "tag"),
                ("deploy", "platform", "owners_file"),
                ("old", "payments", "account"),
                ("<root_account>", "payments", "account"),
                ("bo", "unowned", "unowned"),
            ]
        );
    }
}
