//! SDK outputs → the `aws_json` shapes the snapshot pipeline reads, so live
//! and fixture data take one code path. Policy documents stay as the API
//! sends them (URL-encoded text, a JSON string): `policy_doc::decode_text`
//! handles both forms. Timestamps become [`AwsTime`] microseconds.

use crate::source::aws_json::{
    AttachedPolicy, AwsTime, DocText, GroupDetail, InlinePolicy, ManagedPolicyDetail, OrgAccount,
    PermissionsBoundary, PolicyVersion, RoleDetail, RoleLastUsed, ServiceLastAccessed, Tag,
    TrackedAction, UserDetail,
};
use aws_sdk_iam::types as iam;
use aws_sdk_organizations::types as org;
use aws_smithy_types::DateTime;

/// SDK time → microseconds since the epoch.
pub fn time(t: &DateTime) -> AwsTime {
    AwsTime(t.secs() * 1_000_000 + i64::from(t.subsec_nanos() / 1000))
}

fn doc(text: Option<String>) -> DocText {
    DocText::from_api(text)
}

fn inline(list: Option<Vec<iam::PolicyDetail>>) -> Vec<InlinePolicy> {
    list.unwrap_or_default()
        .into_iter()
        .filter_map(|p| {
            Some(InlinePolicy {
                policy_name: p.policy_name?,
                policy_document: doc(p.policy_document),
            })
        })
        .collect()
}

fn attached(list: Option<Vec<iam::AttachedPolicy>>) -> Vec<AttachedPolicy> {
    list.unwrap_or_default()
        .into_iter()
        .filter_map(|p| {
            Some(AttachedPolicy {
                policy_name: p.policy_name?,
                policy_arn: p.policy_arn?,
            })
        })
        .collect()
}

fn tags(list: Option<Vec<iam::Tag>>) -> Vec<Tag> {
    list.unwrap_or_default()
        .into_iter()
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// A user of GetAccountAuthorizationDetails' `UserDetailList`; `None`
/// without a name, id or ARN.
pub fn user_detail(u: iam::UserDetail) -> Option<UserDetail> {
    Some(UserDetail {
        path: u.path.unwrap_or_else(|| "/".to_string()),
        user_name: u.user_name?,
        user_id: u.user_id?,
        arn: u.arn?,
        create_date: u.create_date.as_ref().map(time).unwrap_or(AwsTime(0)),
        user_policy_list: inline(u.user_policy_list),
        group_list: u.group_list.unwrap_or_default(),
        attached_managed_policies: attached(u.attached_managed_policies),
        permissions_boundary: u.permissions_boundary.and_then(|b| {
            Some(PermissionsBoundary {
                permissions_boundary_arn: b.permissions_boundary_arn?,
            })
        }),
        tags: tags(u.tags),
    })
}

/// A group of GetAccountAuthorizationDetails' `GroupDetailList`.
pub fn group_detail(g: iam::GroupDetail) -> Option<GroupDetail> {
    Some(GroupDetail {
        path: g.path.unwrap_or_else(|| "/".to_string()),
        group_name: g.group_name?,
        group_id: g.group_id?,
        arn: g.arn?,
        create_date: g.create_date.as_ref().map(time).unwrap_or(AwsTime(0)),
        group_policy_list: inline(g.group_policy_list),
        attached_managed_policies: attached(g.attached_managed_policies),
    })
}

/// A role of GetAccountAuthorizationDetails' `RoleDetailList`. `None` when
/// the SDK output lacks a field every role has (name, id, ARN).
pub fn role_detail(r: iam::RoleDetail) -> Option<RoleDetail> {
    Some(RoleDetail {
        path: r.path.unwrap_or_else(|| "/".to_string()),
        role_name: r.role_name?,
        role_id: r.role_id?,
        arn: r.arn?,
        create_date: r.create_date.as_ref().map(time).unwrap_or(AwsTime(0)),
        assume_role_policy_document: doc(r.assume_role_policy_document),
        role_policy_list: inline(r.role_policy_list),
        attached_managed_policies: attached(r.attached_managed_policies),
        permissions_boundary: r.permissions_boundary.and_then(|b| {
            Some(PermissionsBoundary {
                permissions_boundary_arn: b.permissions_boundary_arn?,
            })
        }),
        tags: tags(r.tags),
        role_last_used: r.role_last_used.map(|u| RoleLastUsed {
            last_used_date: u.last_used_date.as_ref().map(time),
            region: u.region,
        }),
    })
}

/// A managed policy of GetAccountAuthorizationDetails' `Policies`. A
/// missing `PolicyName` (moto omits it) is taken from the ARN's last segment.
pub fn managed_policy(p: iam::ManagedPolicyDetail) -> Option<ManagedPolicyDetail> {
    let arn = p.arn?;
    Some(ManagedPolicyDetail {
        policy_name: p
            .policy_name
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(&arn).to_string()),
        arn,
        default_version_id: p.default_version_id,
        policy_version_list: p
            .policy_version_list
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| {
                Some(PolicyVersion {
                    document: doc(v.document),
                    version_id: v.version_id?,
                    is_default_version: v.is_default_version,
                })
            })
            .collect(),
    })
}

/// ListRoles' fields that authorization details lack: role id →
/// (description, max session duration), the `AccountData::listed` shape.
pub fn listed_role(r: iam::Role) -> (String, (Option<String>, Option<i32>)) {
    (r.role_id, (r.description, r.max_session_duration))
}

/// One service of GetServiceLastAccessedDetails.
pub fn service_last_accessed(s: iam::ServiceLastAccessed) -> ServiceLastAccessed<'static> {
    ServiceLastAccessed {
        service_name: Some(s.service_name.into()),
        service_namespace: s.service_namespace.into(),
        last_authenticated: s.last_authenticated.as_ref().map(time),
        last_authenticated_entity: s.last_authenticated_entity.map(Into::into),
        last_authenticated_region: s.last_authenticated_region.map(Into::into),
        total_authenticated_entities: s.total_authenticated_entities,
        tracked_actions_last_accessed: s
            .tracked_actions_last_accessed
            .unwrap_or_default()
            .into_iter()
            .filter_map(|a| {
                Some(TrackedAction {
                    action_name: a.action_name?.into(),
                    last_accessed_entity: a.last_accessed_entity.map(Into::into),
                    last_accessed_time: a.last_accessed_time.as_ref().map(time),
                    last_accessed_region: a.last_accessed_region.map(Into::into),
                })
            })
            .collect(),
    }
}

/// An account of ListAccounts.
pub fn org_account(a: org::Account) -> Option<OrgAccount> {
    Some(OrgAccount {
        id: a.id?,
        arn: a.arn,
        name: a.name,
        email: a.email,
        status: a.status.map(|s| s.as_str().to_string()),
        state: a.state.map(|s| s.as_str().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_a_role_keeping_encoded_documents() {
        let r = iam::RoleDetail::builder()
            .role_name("app")
            .role_id("AROAEXAMPLE")
            .arn("arn:aws:iam::111122223333:role/app")
            .path("/svc/")
            .create_date(DateTime::from_secs_and_nanos(1_704_164_645, 250_000_000))
            .assume_role_policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
            .role_policy_list(
                iam::PolicyDetail::builder()
                    .policy_name("inline")
                    .policy_document("%7B%7D")
                    .build(),
            )
            .attached_managed_policies(
                iam::AttachedPolicy::builder()
                    .policy_name("ReadOnlyAccess")
                    .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
                    .build(),
            )
            .tags(iam::Tag::builder().key("team").value("x").build().unwrap())
            .build();
        let d = role_detail(r).unwrap();
        assert_eq!(d.create_date, AwsTime(1_704_164_645_250_000));
        assert_eq!(d.path, "/svc/");
        assert_eq!(
            d.assume_role_policy_document.json(),
            "\"%7B%22Version%22%3A%222012-10-17%22%7D\""
        );
        let decoded =
            crate::source::policy_doc::decode_text(&d.assume_role_policy_document).unwrap();
        assert_eq!(decoded["Version"], "2012-10-17");
        assert_eq!(d.role_policy_list[0].policy_name, "inline");
        assert_eq!(d.attached_managed_policies[0].policy_name, "ReadOnlyAccess");
        assert_eq!(d.tags[0].key, "team");
        assert!(role_detail(iam::RoleDetail::builder().build()).is_none());
        let p = managed_policy(
            iam::ManagedPolicyDetail::builder()
                .arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
                .build(),
        )
        .unwrap();
        assert_eq!(p.policy_name, "ViewOnlyAccess");
    }

    #[test]
    fn converts_org_account_state() {
        let a = org::Account::builder()
            .id("111122223333")
            .state(org::AccountState::Suspended)
            .build();
        let a = org_account(a).unwrap();
        assert_eq!(a.state.as_deref(), Some("SUSPENDED"));
        assert!(!a.is_active());
    }
}
