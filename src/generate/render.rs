//! Writes one account's files for one day: `get-account-authorization-details` (merged or as a list of pages), `list-roles`, and one `get-service-last-accessed-details` per role and per user, field for field as the AWS CLI prints them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::generate::GenerateError;
use crate::generate::account::{AccountState, ManagedRef, Role};
use crate::generate::catalog::{AWS_POLICIES, SERVICES};
use crate::generate::output::{Output, Ts, snapshot_ts, splitmix, stable_hash};
use crate::generate::policy::DocOut;
use crate::generate::users::{AUDITORS_MANAGED, GroupOut, UserDocs, UserOut};

/// Last-accessed files are written as compact JSON (one line), unlike every
/// other file: there is one per role per day, and pretty-printing them pushed
/// a 3 accounts × 40 roles × 30 days fixture from ~18 MB to ~27 MB.
const PRETTY_LAST_ACCESSED: bool = false;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InlineOut<'a> {
    pub policy_name: &'a str,
    pub policy_document: DocOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttachedOut {
    pub policy_name: String,
    pub policy_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BoundaryOut {
    permissions_boundary_type: &'static str,
    permissions_boundary_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagOut<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LastUsedOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_date: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail<'a> {
    path: &'a str,
    role_name: &'a str,
    role_id: &'a str,
    arn: String,
    create_date: Ts,
    assume_role_policy_document: DocOut<'a>,
    instance_profile_list: [(); 0],
    role_policy_list: Vec<InlineOut<'a>>,
    attached_managed_policies: Vec<AttachedOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<BoundaryOut>,
    tags: Vec<TagOut<'a>>,
    role_last_used: LastUsedOut,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VersionOut<'a> {
    document: DocOut<'a>,
    version_id: String,
    is_default_version: bool,
    create_date: Ts,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDetail<'a> {
    policy_name: &'a str,
    policy_id: &'a str,
    arn: String,
    path: &'a str,
    default_version_id: String,
    attachment_count: u32,
    permissions_boundary_usage_count: u32,
    is_attachable: bool,
    create_date: TsOrStr<'a>,
    update_date: TsOrStr<'a>,
    policy_version_list: Vec<VersionOut<'a>>,
}

/// AWS managed policies carry fixed, already formatted dates.
#[derive(Serialize)]
#[serde(untagged)]
enum TsOrStr<'a> {
    Ts(Ts),
    Str(&'a str),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthDetails<'a> {
    user_detail_list: &'a [UserOut<'a>],
    group_detail_list: &'a [GroupOut<'a>],
    role_detail_list: &'a [RoleDetail<'a>],
    policies: &'a [PolicyDetail<'a>],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthPage<'a> {
    user_detail_list: &'a [UserOut<'a>],
    group_detail_list: &'a [GroupOut<'a>],
    role_detail_list: &'a [RoleDetail<'a>],
    policies: &'a [PolicyDetail<'a>],
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListRolesOut<'a> {
    roles: Vec<ListedRole<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListedRole<'a> {
    path: &'a str,
    role_name: &'a str,
    role_id: &'a str,
    arn: String,
    create_date: Ts,
    assume_role_policy_document: DocOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    max_session_duration: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LastAccessedOut<'a> {
    job_status: &'static str,
    job_type: &'static str,
    job_creation_date: Ts,
    services_last_accessed: Vec<ServiceOut<'a>>,
    job_completion_date: Ts,
    is_truncated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceOut<'a> {
    service_name: &'static str,
    service_namespace: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated_entity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_authenticated_region: Option<&'static str>,
    total_authenticated_entities: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracked_actions_last_accessed: Option<Vec<ActionOut<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ActionOut<'a> {
    action_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_accessed_entity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_accessed_time: Option<Ts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_accessed_region: Option<&'static str>,
}

fn role_arn(account: &str, role: &Role) -> String {
    format!("arn:aws:iam::{account}:role{}{}", role.path, role.name)
}

fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// Write `<dir>/authorization-details.json`, `<dir>/roles.json` and
/// `<dir>/last-accessed/<role>.json` for the account as of `day`.
pub(crate) fn write_account_day(
    out: &mut Output,
    st: &AccountState<'_>,
    day: u32,
    dir: &Path,
) -> Result<(), GenerateError> {
    let la_dir = dir.join("last-accessed");
    out.create_dir(&la_dir)?;
    let acct = st.account_id();
    let seed = st.seed;
    let doc_hash = |parts: &[&str]| stable_hash(seed, parts);

    write_authorization_details(out, st, day, dir, &doc_hash)?;
    super::users::write_credential_report(out, st, day, dir)?;
    super::users::write_user_last_accessed(out, st, day, &la_dir)?;

    let list = ListRolesOut {
        roles: st
            .roles
            .iter()
            .map(|r| ListedRole {
                path: r.path,
                role_name: &r.name,
                role_id: &r.id,
                arn: role_arn(acct, r),
                create_date: Ts(r.created),
                assume_role_policy_document: DocOut::choose(
                    &r.trust,
                    doc_hash(&["trust", acct, &r.id]),
                ),
                description: r.description.as_deref(),
                max_session_duration: r.max_session,
            })
            .collect(),
    };
    out.write_json(&dir.join("roles.json"), &list, true)?;

    let snapshot = snapshot_ts(st.start, day);
    for r in &st.roles {
        let arn = role_arn(acct, r);
        let mut services: Vec<ServiceOut<'_>> = r
            .grants
            .iter()
            .enumerate()
            .filter_map(|(svc, g)| g.map(|mask| (svc, mask)))
            .map(|(svc, mask)| {
                let usage = r.usage.iter().find(|u| u.svc == svc);
                let last = usage.and_then(|u| u.last);
                let region = r.usage_region(svc);
                let tracked = SERVICES[svc].tracked;
                let actions = (r.action_level && !tracked.is_empty()).then(|| {
                    tracked
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| mask & (1 << j) != 0)
                        .map(|(j, name)| {
                            let t = usage.and_then(|u| u.actions.get(j).copied().flatten());
                            ActionOut {
                                action_name: name,
                                last_accessed_entity: t.map(|_| arn.as_str()),
                                last_accessed_time: t.map(Ts),
                                last_accessed_region: t.map(|_| region),
                            }
                        })
                        .collect()
                });
                ServiceOut {
                    service_name: SERVICES[svc].name,
                    service_namespace: SERVICES[svc].ns,
                    last_authenticated: last.map(Ts),
                    last_authenticated_entity: last.map(|_| arn.as_str()),
                    last_authenticated_region: last.map(|_| region),
                    total_authenticated_entities: u32::from(last.is_some()),
                    tracked_actions_last_accessed: actions,
                }
            })
            .collect();
        services.sort_by_key(|s| s.service_name);
        // Jobs are started in a sweep after the snapshot and take a few seconds.
        let h = splitmix(stable_hash(seed, &["job", acct, &r.id]) ^ u64::from(day));
        let created = snapshot + (h % 1_800) as i64;
        let doc = LastAccessedOut {
            job_status: "COMPLETED",
            job_type: if r.action_level {
                "ACTION_LEVEL"
            } else {
                "SERVICE_LEVEL"
            },
            job_creation_date: Ts(created),
            services_last_accessed: services,
            job_completion_date: Ts(created + 1 + ((h >> 16) % 8) as i64),
            is_truncated: false,
        };
        out.write_json(
            &la_dir.join(format!("{}.json", r.name)),
            &doc,
            PRETTY_LAST_ACCESSED,
        )?;
    }
    Ok(())
}

fn write_authorization_details(
    out: &mut Output,
    st: &AccountState<'_>,
    day: u32,
    dir: &Path,
    doc_hash: &dyn Fn(&[&str]) -> u64,
) -> Result<(), GenerateError> {
    let acct = st.account_id();

    // Attachment and boundary usage counts, from the roles and the one
    // group attaching a managed policy (users attach none).
    let mut customer_counts: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut aws_counts = vec![(0u32, 0u32); AWS_POLICIES.len()];
    let auditors = AWS_POLICIES
        .iter()
        .position(|p| p.name == AUDITORS_MANAGED)
        .expect("the catalog holds the auditors' policy");
    aws_counts[auditors].0 += 1;
    for r in &st.roles {
        for m in &r.managed {
            match m {
                ManagedRef::Aws(i) => aws_counts[*i].0 += 1,
                ManagedRef::Customer(n) => customer_counts.entry(n).or_default().0 += 1,
            }
        }
        match &r.boundary {
            Some(ManagedRef::Aws(i)) => aws_counts[*i].1 += 1,
            Some(ManagedRef::Customer(n)) => customer_counts.entry(n).or_default().1 += 1,
            None => {}
        }
    }

    let managed_out = |m: &ManagedRef| -> (String, String) {
        match m {
            ManagedRef::Aws(i) => (AWS_POLICIES[*i].name.to_string(), AWS_POLICIES[*i].arn()),
            ManagedRef::Customer(n) => {
                let path = st.policies.get(n).map_or("/", |p| p.path);
                (n.clone(), policy_arn(acct, path, n))
            }
        }
    };

    let roles: Vec<RoleDetail<'_>> = st
        .roles
        .iter()
        .map(|r| {
            let last_used = r.last_used();
            RoleDetail {
                path: r.path,
                role_name: &r.name,
                role_id: &r.id,
                arn: role_arn(acct, r),
                create_date: Ts(r.created),
                assume_role_policy_document: DocOut::choose(
                    &r.trust,
                    doc_hash(&["trust", acct, &r.id]),
                ),
                instance_profile_list: [],
                role_policy_list: r
                    .inline
                    .iter()
                    .map(|(name, doc)| InlineOut {
                        policy_name: name,
                        policy_document: DocOut::choose(
                            doc,
                            doc_hash(&["inline", acct, &r.id, name]),
                        ),
                    })
                    .collect(),
                attached_managed_policies: r
                    .managed
                    .iter()
                    .map(|m| {
                        let (policy_name, policy_arn) = managed_out(m);
                        AttachedOut {
                            policy_name,
                            policy_arn,
                        }
                    })
                    .collect(),
                permissions_boundary: r.boundary.as_ref().map(|b| BoundaryOut {
                    permissions_boundary_type: "Policy",
                    permissions_boundary_arn: managed_out(b).1,
                }),
                tags: r
                    .tags
                    .iter()
                    .map(|(k, v)| TagOut { key: k, value: v })
                    .collect(),
                role_last_used: LastUsedOut {
                    last_used_date: last_used.map(|(t, _)| Ts(t)),
                    region: last_used.map(|(_, region)| region),
                },
            }
        })
        .collect();

    // Every customer managed policy, plus the AWS managed ones in use (as the
    // real API lists them), ordered by name.
    let mut policies: Vec<PolicyDetail<'_>> = st
        .policies
        .values()
        .map(|p| {
            let (attachments, boundaries) = customer_counts
                .get(p.name.as_str())
                .copied()
                .unwrap_or_default();
            let default = p.versions.len() - 1;
            PolicyDetail {
                policy_name: &p.name,
                policy_id: &p.id,
                arn: policy_arn(acct, p.path, &p.name),
                path: p.path,
                default_version_id: format!("v{}", p.versions[default].number),
                attachment_count: attachments,
                permissions_boundary_usage_count: boundaries,
                is_attachable: true,
                create_date: TsOrStr::Ts(Ts(p.created)),
                update_date: TsOrStr::Ts(Ts(p.updated)),
                policy_version_list: p
                    .versions
                    .iter()
                    .enumerate()
                    .rev()
                    .map(|(i, v)| VersionOut {
                        document: DocOut::choose(
                            &v.doc,
                            doc_hash(&["policy", acct, &p.id, &v.number.to_string()]),
                        ),
                        version_id: format!("v{}", v.number),
                        is_default_version: i == default,
                        create_date: Ts(v.created),
                    })
                    .collect(),
            }
        })
        .collect();
    for (i, p) in AWS_POLICIES.iter().enumerate() {
        let (attachments, boundaries) = aws_counts[i];
        if attachments + boundaries == 0 {
            continue;
        }
        policies.push(PolicyDetail {
            policy_name: p.name,
            policy_id: p.id,
            arn: p.arn(),
            path: p.path,
            default_version_id: p.version.to_string(),
            attachment_count: attachments,
            permissions_boundary_usage_count: boundaries,
            is_attachable: true,
            create_date: TsOrStr::Str(p.create),
            update_date: TsOrStr::Str(p.update),
            policy_version_list: vec![VersionOut {
                document: DocOut::choose(&st.catalog.aws_docs[i], doc_hash(&["aws", acct, p.name])),
                version_id: p.version.to_string(),
                is_default_version: true,
                // AWS managed versions date from the policy's last update.
                create_date: parse_fixed(p.update),
            }],
        });
    }
    policies.sort_by(|a, b| a.policy_name.cmp(b.policy_name));

    let user_docs = UserDocs::of(st);
    let (users, groups) = user_docs.lists(
        st,
        &(
            AWS_POLICIES[auditors].name.to_string(),
            AWS_POLICIES[auditors].arn(),
        ),
    );

    let path = dir.join("authorization-details.json");
    let day_s = day.to_string();
    let h = doc_hash(&["pages", acct, &day_s]);
    if h.is_multiple_of(5) {
        // ~20% of files: the raw pages a paginating client would save, each a
        // full response with IsTruncated/Marker, instead of the merged document.
        let total = roles.len() + policies.len();
        let n_pages = (2 + (h >> 8) % 3) as usize;
        let per_page = total.div_ceil(n_pages).max(1);
        let mut pages = Vec::new();
        let mut start = 0usize;
        let mut page_no = 0u64;
        while start < total || pages.is_empty() {
            let end = (start + per_page).min(total);
            let r = roles.len();
            let truncated = end < total;
            // Users and groups come on the first page (roles' pages are
            // cut as before).
            let first = pages.is_empty();
            pages.push(AuthPage {
                user_detail_list: if first { &users } else { &[] },
                group_detail_list: if first { &groups } else { &[] },
                role_detail_list: &roles[start.min(r)..end.min(r)],
                policies: &policies[start.saturating_sub(r)..end.saturating_sub(r)],
                is_truncated: truncated,
                marker: truncated.then(|| marker(h, page_no)),
            });
            start = end;
            page_no += 1;
        }
        out.write_json(&path, &pages, true)
    } else {
        out.write_json(
            &path,
            &AuthDetails {
                user_detail_list: &users,
                group_detail_list: &groups,
                role_detail_list: &roles,
                policies: &policies,
            },
            true,
        )
    }
}

/// An opaque pagination marker, like the base64 blobs IAM returns.
fn marker(h: u64, page: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = splitmix(h ^ page.wrapping_mul(0x9e37_79b9));
    let mut s = String::from("AQ");
    for i in 0..62 {
        if i % 10 == 0 {
            x = splitmix(x);
        }
        s.push(char::from(B64[(x & 63) as usize]));
        x >>= 6;
    }
    s
}

/// The fixed AWS managed policy dates in the catalog are well-formed; fall
/// back to the epoch rather than fail if one were not.
fn parse_fixed(s: &str) -> Ts {
    chrono::DateTime::parse_from_rfc3339(s).map_or(Ts(0), |d| Ts(d.timestamp()))
}
