//! The account's IAM users and groups: in the authorization details
//! (`UserDetailList` / `GroupDetailList`, as `aws iam
//! get-account-authorization-details` prints them), in
//! `credential_report.csv` (AWS's exact columns and values: `<root_account>`,
//! `N/A`, `not_supported`, `no_information`), and with one Access Advisor
//! file per user (`last-accessed/users/<name>.json`). Users come from their
//! own hash stream, not the role generator's random numbers, so adding them
//! changed no role's data.

use super::GenerateError;
use super::account::AccountState;
use super::catalog::TEAMS;
use super::output::{DAY, Output, Ts, snapshot_ts, splitmix, stable_hash};
use super::policy::{DocOut, PolicyDocument, Statement};
use crate::source::credential_report::{COLUMNS, ROOT_USER};
use crate::source::fixtures::CREDENTIAL_REPORT;
use serde::Serialize;
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

/// One generated user: the same on every day (its activity moves with the
/// day, see [`Activity`]).
pub(crate) struct GenUser {
    pub name: String,
    pub path: &'static str,
    kind: Kind,
    /// The user's hash: every choice about it comes from here.
    h: u64,
    /// Creation time, seconds since the epoch.
    pub created: i64,
}

impl GenUser {
    pub fn arn(&self, acct: &str) -> String {
        format!("arn:aws:iam::{acct}:user{}{}", self.path, self.name)
    }

    /// A stable `AIDA…` id from the user's hash.
    pub fn id(&self) -> String {
        const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut z = self.h;
        let tail: String = (0..17)
            .map(|_| {
                z = splitmix(z);
                ALPHA[(z % 32) as usize] as char
            })
            .collect();
        format!("AIDA{tail}")
    }

    /// The groups it is in (see [`GROUPS`]).
    pub fn groups(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::Console | Kind::Left => &["developers"],
            Kind::ConsoleNoMfa => &["developers", "auditors"],
            Kind::Ci | Kind::StaleKey => &["ci-deployers"],
        }
    }

    /// Its `team` tag: people carry one, the stale CI key nobody owns does
    /// not (analyze then falls back to the owners file and the account).
    pub fn team(&self) -> Option<&'static str> {
        (self.kind != Kind::StaleKey).then(|| TEAMS[((self.h >> 48) % TEAMS.len() as u64) as usize])
    }

    /// The user's own inline policy: the one who left kept a broad grant.
    pub fn inline(&self) -> Option<(&'static str, PolicyDocument)> {
        (self.kind == Kind::Left).then(|| {
            (
                "legacy-admin",
                PolicyDocument::new(vec![Statement::allow(&["iam:*", "s3:*"], &["*"])]),
            )
        })
    }
}

/// What a user did up to a day's snapshot.
struct Activity {
    password: bool,
    login: Option<i64>,
    mfa: bool,
    /// The first access key: created, last used, region, service.
    key: Option<(i64, Option<i64>, &'static str, &'static str)>,
}

/// The account's users (the root user apart), in report order.
pub(crate) fn account_users(st: &AccountState<'_>) -> Vec<GenUser> {
    let acct = st.account_id();
    let h0 = stable_hash(st.seed, &["users", acct]);
    let s0 = snapshot_ts(st.start, 0);
    let n = 5 + (h0 % 3) as usize;
    let mut seen = std::collections::HashSet::new();
    (0..n)
        .map(|i| {
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
            GenUser {
                name,
                path: if kind == Kind::Ci { "/ci/" } else { "/" },
                kind,
                h,
                created,
            }
        })
        .collect()
}

impl GenUser {
    fn activity(&self, st: &AccountState<'_>, day: u32) -> Activity {
        let (h, created) = (self.h, self.created);
        let now = snapshot_ts(st.start, day);
        let s0 = snapshot_ts(st.start, 0);
        let recent = |every: i64| now - (1 + ((h >> 40) as i64 % every)) * DAY / 2;
        let long_ago = s0 - (100 + ((h >> 24) % 200) as i64) * DAY;
        match self.kind {
            Kind::Console | Kind::ConsoleNoMfa => Activity {
                password: true,
                login: Some(recent(6)),
                mfa: self.kind == Kind::Console,
                key: None,
            },
            // Key-only users: the CI key is used every hour, the stale one
            // not for months.
            Kind::Ci => Activity {
                password: false,
                login: None,
                mfa: false,
                key: Some((created + 600, Some(now - 3_600), "eu-west-1", "s3")),
            },
            Kind::StaleKey => Activity {
                password: false,
                login: None,
                mfa: false,
                key: Some((created + 600, Some(long_ago), "us-east-1", "sts")),
            },
            Kind::Left => Activity {
                password: true,
                login: Some(long_ago),
                mfa: false,
                key: Some((created + 900, Some(long_ago - DAY), "eu-west-1", "ec2")),
            },
        }
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
    for user in account_users(st) {
        let a = user.activity(st, day);
        let key1 = match a.key {
            Some((rotated, used, region, service)) => {
                key(true, Some(rotated), used, region, service)
            }
            None => key(false, None, None, "", ""),
        };
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},N/A,{},{key1},false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            user.name,
            user.arn(acct),
            time(Some(user.created)),
            flag(a.password),
            if a.password {
                time(a.login)
            } else {
                "N/A".into()
            },
            if a.password {
                time(Some(user.created + 300))
            } else {
                "N/A".into()
            },
            flag(a.mfa),
        );
    }
    out.write_text(&dir.join(CREDENTIAL_REPORT), csv.as_bytes())
}

/// The account's groups: name and inline policy (name, document); the
/// auditors group also attaches the AWS managed `ReadOnlyAccess`.
pub(crate) const GROUPS: [&str; 3] = ["auditors", "ci-deployers", "developers"];

/// The AWS managed policy (by name) the auditors group attaches.
pub(crate) const AUDITORS_MANAGED: &str = "ReadOnlyAccess";

/// A group's inline policy.
pub(crate) fn group_inline(acct: &str, group: &str) -> (&'static str, PolicyDocument) {
    match group {
        // Reads everything (ReadOnlyAccess) but no secret.
        "auditors" => (
            "no-secrets",
            PolicyDocument::new(vec![
                Statement::deny(&["ssm:GetParameter", "ssm:GetParameters"], &["*"])
                    .sid("NoSecrets"),
            ]),
        ),
        // Deploys: assumes the deploy roles, passes app roles, reads CI
        // parameters (pattern breadth, not the whole account).
        "ci-deployers" => (
            "deploy",
            PolicyDocument::new(vec![
                Statement::allow(
                    &["sts:AssumeRole"],
                    &[&format!("arn:aws:iam::{acct}:role/deploy-*")],
                ),
                Statement::allow(
                    &["iam:PassRole"],
                    &[&format!("arn:aws:iam::{acct}:role/app-*")],
                ),
                Statement::allow(
                    &["ssm:GetParameter"],
                    &[&format!("arn:aws:ssm:*:{acct}:parameter/ci/*")],
                ),
            ]),
        ),
        // Developers read every bucket and table: risky on s3:GetObject.
        _ => (
            "developers-access",
            PolicyDocument::new(vec![Statement::allow(
                &[
                    "s3:GetObject",
                    "s3:ListBucket",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                ],
                &["*"],
            )]),
        ),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserLastAccessed {
    job_status: &'static str,
    job_type: &'static str,
    job_creation_date: Ts,
    services_last_accessed: Vec<UserService>,
    job_completion_date: Ts,
    is_truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserService {
    service_name: &'static str,
    service_namespace: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated_entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated_region: Option<&'static str>,
    total_authenticated_entities: u32,
}

/// Writes `<la_dir>/users/<name>.json`: a SERVICE_LEVEL Access Advisor job
/// per user, its services those its groups and own policy grant, used as
/// its activity says.
pub(crate) fn write_user_last_accessed(
    out: &mut Output,
    st: &AccountState<'_>,
    day: u32,
    la_dir: &Path,
) -> Result<(), GenerateError> {
    let acct = st.account_id();
    let dir = la_dir.join("users");
    out.create_dir(&dir)?;
    let snapshot = snapshot_ts(st.start, day);
    for user in account_users(st) {
        let a = user.activity(st, day);
        let arn = user.arn(acct);
        // The console's last sign-in, or the key's last use.
        let last = a.login.or(a.key.and_then(|k| k.1));
        let svc = |name, ns, used: Option<i64>| UserService {
            service_name: name,
            service_namespace: ns,
            last_authenticated: used.map(Ts),
            last_authenticated_entity: used.map(|_| arn.clone()),
            last_authenticated_region: used.map(|_| "eu-west-1"),
            total_authenticated_entities: u32::from(used.is_some()),
        };
        let mut services = Vec::new();
        for g in user.groups() {
            match *g {
                "developers" => {
                    services.push(svc("Amazon DynamoDB", "dynamodb", None));
                    services.push(svc("Amazon S3", "s3", last));
                }
                "ci-deployers" => {
                    services.push(svc("AWS Identity and Access Management", "iam", None));
                    services.push(svc("AWS Security Token Service", "sts", last));
                    services.push(svc("AWS Systems Manager", "ssm", last));
                }
                _ => {}
            }
        }
        if user.inline().is_some() && !services.iter().any(|s| s.service_namespace == "iam") {
            services.push(svc("AWS Identity and Access Management", "iam", None));
        }
        services.sort_by_key(|s| s.service_name);
        services.dedup_by_key(|s| s.service_name);
        let h = splitmix(stable_hash(st.seed, &["user-job", acct, &user.name]) ^ u64::from(day));
        let created = snapshot + (h % 1_800) as i64;
        let doc = UserLastAccessed {
            job_status: "COMPLETED",
            job_type: "SERVICE_LEVEL",
            job_creation_date: Ts(created),
            services_last_accessed: services,
            job_completion_date: Ts(created + 1 + ((h >> 16) % 8) as i64),
            is_truncated: false,
        };
        out.write_json(&dir.join(format!("{}.json", user.name)), &doc, false)?;
    }
    Ok(())
}

/// A user of `UserDetailList`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UserOut<'a> {
    path: &'static str,
    user_name: String,
    user_id: String,
    arn: String,
    create_date: Ts,
    user_policy_list: Vec<super::render::InlineOut<'a>>,
    group_list: Vec<&'static str>,
    attached_managed_policies: [(); 0],
    tags: Vec<super::render::TagOut<'a>>,
}

/// A group of `GroupDetailList`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GroupOut<'a> {
    path: &'static str,
    group_name: &'static str,
    group_id: String,
    arn: String,
    create_date: Ts,
    group_policy_list: Vec<super::render::InlineOut<'a>>,
    attached_managed_policies: Vec<super::render::AttachedOut>,
}

/// The documents the lists refer to, kept alive while they are written.
pub(crate) struct UserDocs {
    users: Vec<(GenUser, Option<(&'static str, PolicyDocument)>)>,
    groups: Vec<(&'static str, (&'static str, PolicyDocument))>,
}

impl UserDocs {
    pub fn of(st: &AccountState<'_>) -> UserDocs {
        let acct = st.account_id();
        UserDocs {
            users: account_users(st)
                .into_iter()
                .map(|u| {
                    let inline = u.inline();
                    (u, inline)
                })
                .collect(),
            groups: GROUPS.iter().map(|g| (*g, group_inline(acct, g))).collect(),
        }
    }

    /// `UserDetailList` and `GroupDetailList`; `aws_managed` gives the
    /// AWS managed policy's (name, ARN) the auditors group attaches.
    pub fn lists<'a>(
        &'a self,
        st: &AccountState<'_>,
        auditors_managed: &(String, String),
    ) -> (Vec<UserOut<'a>>, Vec<GroupOut<'a>>) {
        let acct = st.account_id();
        let s0 = snapshot_ts(st.start, 0);
        let doc_hash = |parts: &[&str]| stable_hash(st.seed, parts);
        let users = self
            .users
            .iter()
            .map(|(u, inline)| UserOut {
                path: u.path,
                user_name: u.name.clone(),
                user_id: u.id(),
                arn: u.arn(acct),
                create_date: Ts(u.created),
                user_policy_list: inline
                    .iter()
                    .map(|(name, doc)| super::render::InlineOut {
                        policy_name: name,
                        policy_document: DocOut::choose(
                            doc,
                            doc_hash(&["user-inline", acct, &u.name]),
                        ),
                    })
                    .collect(),
                group_list: u.groups().to_vec(),
                attached_managed_policies: [],
                tags: u
                    .team()
                    .map(|t| super::render::TagOut {
                        key: "team",
                        value: t,
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .map(|(g, (name, doc))| {
                let h = stable_hash(st.seed, &["group", acct, g]);
                GroupOut {
                    path: "/",
                    group_name: g,
                    group_id: format!("AGPA{:017X}", h >> 4),
                    arn: format!("arn:aws:iam::{acct}:group/{g}"),
                    create_date: Ts(s0 - (700 + (h % 200) as i64) * DAY),
                    group_policy_list: vec![super::render::InlineOut {
                        policy_name: name,
                        policy_document: DocOut::choose(doc, doc_hash(&["group-inline", acct, g])),
                    }],
                    attached_managed_policies: if *g == "auditors" {
                        vec![super::render::AttachedOut {
                            policy_name: auditors_managed.0.clone(),
                            policy_arn: auditors_managed.1.clone(),
                        }]
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect();
        (users, groups)
    }
}
