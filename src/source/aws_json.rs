//! The JSON shapes of the AWS API / CLI outputs iamlake reads, field for field
//! as `aws organizations …` and `aws iam …` print them (PascalCase keys).
//!
//! Only the fields iamlake uses are declared; unknown fields are ignored, so
//! newer CLI versions with extra fields still parse.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::borrow::Cow;

/// A point in time as AWS prints it: ISO 8601 text (`2024-01-02T03:04:05Z`,
/// `…+00:00`, with or without fractional seconds) or epoch seconds (what the
/// SDKs' JSON serializers emit). Stored as microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AwsTime(pub i64);

impl AwsTime {
    /// Parses the textual forms.
    pub fn parse(text: &str) -> Option<AwsTime> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(AwsTime(t.with_timezone(&Utc).timestamp_micros()));
        }
        // Zone-less forms are taken as UTC, as the IAM API always means UTC.
        for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
                return Some(AwsTime(t.and_utc().timestamp_micros()));
            }
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| AwsTime(t.and_utc().timestamp_micros()))
    }

    /// Microseconds since the epoch.
    pub fn micros(self) -> i64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for AwsTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor rather than a `Value`: Access Advisor files hold a few
        // timestamps per service, and a `Value` would allocate each one.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AwsTime;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<AwsTime, E> {
                AwsTime::parse(s)
                    .ok_or_else(|| E::custom(format!("{s:?} is not an ISO 8601 timestamp")))
            }
            fn visit_f64<E: serde::de::Error>(self, secs: f64) -> Result<AwsTime, E> {
                Some(secs)
                    .filter(|f| f.is_finite())
                    .map(|secs| AwsTime((secs * 1_000_000.0).round() as i64))
                    .ok_or_else(|| E::custom("timestamp number out of range"))
            }
            fn visit_i64<E: serde::de::Error>(self, secs: i64) -> Result<AwsTime, E> {
                self.visit_f64(secs as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, secs: u64) -> Result<AwsTime, E> {
                self.visit_f64(secs as f64)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `aws organizations list-accounts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAccounts {
    pub accounts: Vec<OrgAccount>,
}

/// `aws organizations describe-organization`: only the management account
/// is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeOrganization {
    pub organization: DescribedOrganization,
}

/// The `Organization` object of `describe-organization`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribedOrganization {
    pub master_account_id: String,
    /// The organization id (`o-…`).
    #[serde(default)]
    pub id: Option<String>,
}

/// One account of `list-accounts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgAccount {
    pub id: String,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// ACTIVE | SUSPENDED | PENDING_CLOSURE (older field).
    #[serde(default)]
    pub status: Option<String>,
    /// ACTIVE | SUSPENDED | PENDING_ACTIVATION | CLOSED (newer field, preferred).
    #[serde(default)]
    pub state: Option<String>,
}

impl OrgAccount {
    /// The organization's management account, read from the account's ARN
    /// (`arn:aws:organizations::<management>:account/o-…/<id>`: AWS puts
    /// the management account in every organization ARN). `None` without an
    /// ARN of that shape.
    pub fn management_account_id(&self) -> Option<&str> {
        let arn = self.arn.as_deref()?;
        let mut parts = arn.splitn(6, ':');
        let (arn_, _partition, service, _region, account) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        (arn_ == "arn" && service == "organizations" && account.len() == 12).then_some(account)
    }

    /// The organization id from the account's ARN
    /// (`arn:aws:organizations::<management>:account/o-…/<id>`); `None`
    /// without an ARN of that shape.
    pub fn organization_id(&self) -> Option<&str> {
        self.management_account_id()?;
        let resource = self.arn.as_deref()?.splitn(6, ':').nth(5)?;
        let org = resource.strip_prefix("account/")?.split('/').next()?;
        (org.starts_with("o-") && org.len() > 2).then_some(org)
    }

    /// Whether the account is active; accounts with neither field are taken
    /// as active, since a hand-written export usually omits them.
    pub fn is_active(&self) -> bool {
        match self.state.as_deref().or(self.status.as_deref()) {
            Some(s) => s.eq_ignore_ascii_case("ACTIVE"),
            None => true,
        }
    }
}

/// `organization/tree.json`: the organization's roots, OUs and each
/// account's parent (assembled from `list-roots`,
/// `list-organizational-units-for-parent` and `list-parents`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgTree {
    pub roots: Vec<OrgNode>,
    #[serde(default)]
    pub organizational_units: Vec<OrgNode>,
    #[serde(default)]
    pub accounts: Vec<OrgNode>,
}

/// A root, OU or account in `tree.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgNode {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Absent for roots.
    #[serde(default)]
    pub parent_id: Option<String>,
}

/// `organization/scps/<id>.json`: `describe-policy`'s Policy plus
/// `list-targets-for-policy`'s Targets.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScpFile {
    pub policy: ScpPolicy,
    pub targets: Vec<ScpTarget>,
}

/// `describe-policy`'s Policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScpPolicy {
    pub policy_summary: ScpSummary,
    /// The policy JSON as text (or an object, when hand-written).
    pub content: Value,
}

/// `describe-policy`'s PolicySummary.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScpSummary {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// One target of `list-targets-for-policy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScpTarget {
    pub target_id: String,
    /// ROOT | ORGANIZATIONAL_UNIT | ACCOUNT.
    #[serde(rename = "Type")]
    pub target_type: String,
}

/// One page (or the merged whole) of `aws iam get-account-authorization-details`.
///
/// `R` is how a role is held: parsed ([`RoleDetail`], the default), still as
/// its JSON text (`&RawValue`, while a fixture file is indexed, see
/// [`super::role_list`]), or not at all ([`DetailsWithoutRoles`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizationDetails<R = RoleDetail> {
    #[serde(default = "Vec::new")]
    pub role_detail_list: Vec<R>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicyDetail>,
    /// IAM users (`UserDetailList`); absent from exports filtered to roles.
    #[serde(default)]
    pub user_detail_list: Vec<UserDetail>,
    /// IAM groups (`GroupDetailList`).
    #[serde(default)]
    pub group_detail_list: Vec<GroupDetail>,
}

/// An account's authorization details once its roles are split off into a
/// [`super::role_list::RoleList`]: the type says there are none left here.
pub type DetailsWithoutRoles = AuthorizationDetails<std::convert::Infallible>;

// Written out: the derive would require `R: Default`.
impl<R> Default for AuthorizationDetails<R> {
    fn default() -> Self {
        AuthorizationDetails {
            role_detail_list: Vec::new(),
            policies: Vec::new(),
            user_detail_list: Vec::new(),
            group_detail_list: Vec::new(),
        }
    }
}

impl<R> AuthorizationDetails<R> {
    /// The roles, and everything else.
    pub fn split_roles(self) -> (Vec<R>, DetailsWithoutRoles) {
        let rest = AuthorizationDetails {
            role_detail_list: Vec::new(),
            policies: self.policies,
            user_detail_list: self.user_detail_list,
            group_detail_list: self.group_detail_list,
        };
        (self.role_detail_list, rest)
    }

    /// Appends another page's policies, users and groups (pages never repeat
    /// an entry: each is one slice of the account's list).
    pub fn extend_from(&mut self, page: DetailsWithoutRoles) {
        self.policies.extend(page.policies);
        self.user_detail_list.extend(page.user_detail_list);
        self.group_detail_list.extend(page.group_detail_list);
    }
}

/// A user in `UserDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    pub path: String,
    pub user_name: String,
    pub user_id: String,
    pub arn: String,
    pub create_date: AwsTime,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    /// Names of the groups the user is in.
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A group in `GroupDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    pub path: String,
    pub group_name: String,
    pub group_id: String,
    pub arn: String,
    pub create_date: AwsTime,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

/// A policy document field as the file or the API holds it (an object, JSON
/// text in a string, or URL-encoded text), kept as its JSON text:
/// [`crate::source::policy_doc::decode_text`] decodes it when its principal is
/// evaluated. A 20,000-role account's documents as `serde_json::Value` trees
/// were most of the snapshot's memory and a quarter of its time (#13).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DocText(Box<serde_json::value::RawValue>);

impl DocText {
    /// The document field of an API response: its text as a JSON string,
    /// or JSON `null` when the field is absent.
    pub fn from_api(text: Option<String>) -> DocText {
        DocText(
            serde_json::value::to_raw_value(&text)
                .unwrap_or_else(|_| unreachable!("a string or null always serializes")),
        )
    }

    /// The field's JSON text, exactly as written.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

/// A role in `RoleDetailList`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    pub path: String,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub create_date: AwsTime,
    pub assume_role_policy_document: DocText,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub role_last_used: Option<RoleLastUsed>,
}

/// An inline policy of a role.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: DocText,
}

/// An attached managed policy reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

/// A role's permissions boundary.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    pub permissions_boundary_arn: String,
}

/// A tag.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// `RoleLastUsed`; both fields absent when the role was never used.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleLastUsed {
    #[serde(default)]
    pub last_used_date: Option<AwsTime>,
    #[serde(default)]
    pub region: Option<String>,
}

/// A managed policy in `Policies`, with its versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: String,
    pub arn: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicyDetail {
    /// The default version: the one flagged `IsDefaultVersion`, else the one
    /// named by `DefaultVersionId`.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or_else(|| {
                let id = self.default_version_id.as_deref()?;
                self.policy_version_list.iter().find(|v| v.version_id == id)
            })
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub document: DocText,
    pub version_id: String,
    #[serde(default)]
    pub is_default_version: bool,
}

/// `aws iam list-roles` (one page or merged): the fields authorization
/// details lack.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRoles {
    #[serde(default)]
    pub roles: Vec<ListedRole>,
}

/// A role in `list-roles`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedRole {
    pub role_id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub max_session_duration: Option<i32>,
}

/// `aws iam get-service-last-accessed-details` (one page or merged).
///
/// Its texts borrow from the JSON they are read from where they can (a
/// fixture file, read once per principal: 20,000 times on a large account,
/// each with a few dozen strings that only pass through to the
/// `last_accessed` table); the live collector's are owned (`'static`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLastAccessedDetails<'a> {
    /// IN_PROGRESS | COMPLETED | FAILED.
    #[serde(borrow)]
    pub job_status: Cow<'a, str>,
    /// SERVICE_LEVEL | ACTION_LEVEL; older outputs omit it (service level).
    #[serde(default, borrow)]
    pub job_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub services_last_accessed: Vec<ServiceLastAccessed<'a>>,
}

/// One service of Access Advisor's answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLastAccessed<'a> {
    #[serde(default, borrow)]
    pub service_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub service_namespace: Cow<'a, str>,
    #[serde(default)]
    pub last_authenticated: Option<AwsTime>,
    #[serde(default, borrow)]
    pub last_authenticated_entity: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub last_authenticated_region: Option<Cow<'a, str>>,
    #[serde(default)]
    pub total_authenticated_entities: Option<i32>,
    #[serde(default, borrow)]
    pub tracked_actions_last_accessed: Vec<TrackedAction<'a>>,
}

/// One tracked action (ACTION_LEVEL jobs only).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrackedAction<'a> {
    #[serde(borrow)]
    pub action_name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub last_accessed_entity: Option<Cow<'a, str>>,
    #[serde(default)]
    pub last_accessed_time: Option<AwsTime>,
    #[serde(default, borrow)]
    pub last_accessed_region: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_account_comes_from_the_organizations_arn() {
        let account = |arn: Option<&str>| OrgAccount {
            id: "111111111111".into(),
            arn: arn.map(str::to_string),
            name: None,
            email: None,
            status: None,
            state: None,
        };
        let a = account(Some(
            "arn:aws:organizations::999999999999:account/o-example/111111111111",
        ));
        assert_eq!(a.management_account_id(), Some("999999999999"));
        assert_eq!(a.organization_id(), Some("o-example"));
        let gov = account(Some(
            "arn:aws-us-gov:organizations::222222222222:account/o-x/111111111111",
        ));
        assert_eq!(gov.management_account_id(), Some("222222222222"));
        assert_eq!(gov.organization_id(), Some("o-x"));
        assert_eq!(account(None).management_account_id(), None);
        assert_eq!(account(None).organization_id(), None);
        assert_eq!(
            account(Some("arn:aws:iam::999999999999:role/x")).management_account_id(),
            None
        );
        // Not an organization id where one should be.
        let odd = account(Some(
            "arn:aws:organizations::999999999999:account/x-example/111111111111",
        ));
        assert_eq!(odd.organization_id(), None);
    }

    #[test]
    fn parses_every_timestamp_form_aws_prints() {
        let want = AwsTime(1_704_164_645_000_000);
        assert_eq!(AwsTime::parse("2024-01-02T03:04:05Z"), Some(want));
        assert_eq!(AwsTime::parse("2024-01-02T03:04:05+00:00"), Some(want));
        assert_eq!(AwsTime::parse("2024-01-02T05:04:05+02:00"), Some(want));
        assert_eq!(AwsTime::parse("2024-01-02T03:04:05"), Some(want));
        assert_eq!(
            AwsTime::parse("2024-01-02T03:04:05.250Z"),
            Some(AwsTime(want.0 + 250_000))
        );
        let from_number: AwsTime = serde_json::from_str("1704164645").unwrap();
        assert_eq!(from_number, want);
        assert!(serde_json::from_str::<AwsTime>("\"yesterday\"").is_err());
    }
}
