//! IAM users evaluated exactly as roles are: a user's identity policies are
//! its own inline and attached policies plus the inline and attached
//! policies of every group it is in; its permissions boundary and the
//! account's SCPs and RCPs (none in the management account: users cannot be
//! service-linked) gate them. The rows go to `role_policies`, `simulations`
//! and `last_accessed` with `principal_type` user, so one schema serves both.

use super::{
    AccountRows, LastAccessed, ManagedPolicies, NormalizedDoc, OrgPolicies, SnapshotConfig,
    SnapshotError, Who, collect_access, decide_sensitive, finish_access, policy_row,
    shared_actions, simulation_row,
};
use crate::eval::{Context, Policy, PolicySet, RequestFacts};
use crate::lake::writer::PartitionWriter;
use crate::model::principal::{PrincipalIds, PrincipalType};
use crate::model::role_policies::{PolicyKind, RolePolicyRow};
use crate::model::{last_accessed, role_policies, simulations};
use crate::source::aws_json::{GroupDetail, UserDetail};
use crate::source::fixtures::{AccountData, AccountInfo};
use crate::source::policy_doc;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Evaluates every user of `data` (in `out.users`' order) and fills
/// `out.user_*`, and each user's `last_accessed_status`.
pub(super) fn collect_users<'a>(
    out: &mut AccountRows,
    managed: &ManagedPolicies<'a>,
    last_accessed: &LastAccessed,
    account: &AccountInfo,
    data: &'a AccountData,
    org: &OrgPolicies,
    cfg: &SnapshotConfig,
) -> Result<(), SnapshotError> {
    let details = &data.details;
    if details.user_detail_list.is_empty() {
        return Ok(());
    }
    let path = data.details_path.as_path();
    let groups: HashMap<&str, &GroupDetail> = details
        .group_detail_list
        .iter()
        .map(|g| (g.group_name.as_str(), g))
        .collect();
    // SCPs do not affect users of the management account, nor RCPs its
    // resources (as for roles).
    let (scps, rcps): (&[Vec<Policy>], &[Vec<Policy>]) = if account.management {
        (&[], &[])
    } else {
        (&org.scp_levels, &org.rcp_levels)
    };
    let mut access = last_accessed::Builder::new(PrincipalType::User);
    let account_id: Arc<str> = Arc::from(account.id.as_str());
    let actions = shared_actions(cfg);
    for (i, user) in details.user_detail_list.iter().enumerate() {
        let ids = PrincipalIds::new(&account_id, [&user.user_id, &user.user_name, &user.arn]);
        let mut cx = UserCx {
            named: &ids,
            user,
            path,
            managed,
            identity: Vec::new(),
            ids: HashSet::new(),
            rows: &mut out.user_policies,
        };
        for inline in &user.user_policy_list {
            cx.inline(inline, None)?;
        }
        for attached in &user.attached_managed_policies {
            cx.attached(&attached.policy_arn, None)?;
        }
        for name in &user.group_list {
            let group = groups
                .get(name.as_str())
                .copied()
                .ok_or_else(|| SnapshotError::User {
                    path: path.to_path_buf(),
                    user: user.user_name.clone(),
                    what: format!("group {name}"),
                    message: "is not in GroupDetailList (export with every entity type: the group's policies are part of the user's)".into(),
                })?;
            for inline in &group.group_policy_list {
                cx.inline(inline, Some(group))?;
            }
            for attached in &group.attached_managed_policies {
                cx.attached(&attached.policy_arn, Some(group))?;
            }
        }
        let boundary = match &user.permissions_boundary {
            Some(b) => Some(cx.boundary(&b.permissions_boundary_arn)?),
            None => None,
        };
        let identity = std::mem::take(&mut cx.identity);
        let set = PolicySet {
            identity: &identity,
            boundary: boundary.as_ref(),
            scp_levels: scps,
            rcp_levels: rcps,
            ..PolicySet::default()
        };
        let context = user_context(account, user, &org.facts);
        let decisions = super::cpu_time::add_cpu_time(&mut out.evaluation, || {
            decide_sensitive(cfg, &set, &context, &account.id)
        });
        for (action, decision) in actions.iter().zip(decisions) {
            out.user_simulations
                .push(simulation_row(&ids, action, decision));
        }

        let status = collect_access(last_accessed, &mut access, &ids, PrincipalType::User)?;
        out.users[i].last_accessed_status = status.to_string();
    }
    out.user_last_accessed
        .push(finish_access(&mut access, &account.id)?);
    Ok(())
}

/// What a condition may ask about a user: as for a role, but AWS's
/// `aws:PrincipalType` is `User`, and `aws:username` / `aws:userid` are
/// known (IAM user guide, "AWS global condition context keys").
fn user_context(account: &AccountInfo, user: &UserDetail, facts: &RequestFacts) -> Context {
    let mut ctx = Context::for_role(
        &account.id,
        &user.arn,
        user.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())),
    );
    ctx.insert("aws:PrincipalType", vec!["User".to_string()]);
    ctx.insert("aws:username", vec![user.user_name.clone()]);
    ctx.insert("aws:userid", vec![user.user_id.clone()]);
    ctx.insert_request_facts(facts);
    ctx
}

/// One user's policies as they are read: compiled for evaluation and
/// recorded as `role_policies` rows.
struct UserCx<'x, 'a> {
    /// The user as its rows name it.
    named: &'x PrincipalIds,
    user: &'x UserDetail,
    path: &'x Path,
    managed: &'x ManagedPolicies<'a>,
    /// The identity policies, each once (a managed policy attached to the
    /// user and to one of its groups grants the same thing twice).
    identity: Vec<Policy>,
    ids: HashSet<String>,
    rows: &'x mut Vec<RolePolicyRow>,
}

impl UserCx<'_, '_> {
    fn row(
        &mut self,
        kind: PolicyKind,
        name: &str,
        arn: Option<&str>,
        version: Option<&str>,
        doc: NormalizedDoc,
        group: Option<&GroupDetail>,
    ) {
        let row = policy_row(
            self.named,
            PrincipalType::User,
            kind,
            name,
            arn,
            version,
            doc,
        );
        self.rows.push(RolePolicyRow {
            via_group: group.map(|g| g.group_name.clone()),
            ..row
        });
    }

    fn push(&mut self, policy: Policy, id: &str) {
        if self.ids.insert(id.to_string()) {
            self.identity.push(policy);
        }
    }

    /// An inline policy of the user, or of its `group`. Its id in
    /// `simulations.matched_statements` is `inline:<name>`, or
    /// `inline:<group>/<name>` for a group's (names cannot contain `/`).
    fn inline(
        &mut self,
        inline: &crate::source::aws_json::InlinePolicy,
        group: Option<&GroupDetail>,
    ) -> Result<(), SnapshotError> {
        let id = match group {
            Some(g) => format!("inline:{}/{}", g.group_name, inline.policy_name),
            None => format!("inline:{}", inline.policy_name),
        };
        let err = |message: String| SnapshotError::User {
            path: self.path.to_path_buf(),
            user: self.user.user_name.clone(),
            what: match group {
                Some(g) => format!(
                    "group {} inline policy {:?}",
                    g.group_name, inline.policy_name
                ),
                None => format!("inline policy {:?}", inline.policy_name),
            },
            message,
        };
        let doc = policy_doc::decode_text(&inline.policy_document).map_err(err)?;
        let policy = Policy::parse(id.clone(), &doc).map_err(|e| err(e.to_string()))?;
        self.row(
            PolicyKind::Inline,
            &inline.policy_name,
            None,
            None,
            NormalizedDoc::of(&doc),
            group,
        );
        self.push(policy, &id);
        Ok(())
    }

    /// A managed policy attached to the user, or to its `group`.
    fn attached(&mut self, arn: &str, group: Option<&GroupDetail>) -> Result<(), SnapshotError> {
        let what = if group.is_some() {
            "group's attached policy"
        } else {
            "attached policy"
        };
        let who = Who::User(&self.user.user_name);
        let m = self.managed.get(arn, self.path, who, what)?;
        let kind = PolicyKind::of_attached(arn);
        let (name, version) = (
            m.detail.policy_name.clone(),
            m.detail.default_version().map(|v| v.version_id.clone()),
        );
        let (doc, policy) = (m.normalized.clone(), m.policy.clone());
        self.row(kind, &name, Some(arn), version.as_deref(), doc, group);
        self.push(policy, arn);
        Ok(())
    }

    /// The user's permissions boundary.
    fn boundary(&mut self, arn: &str) -> Result<Policy, SnapshotError> {
        let who = Who::User(&self.user.user_name);
        let m = self
            .managed
            .get(arn, self.path, who, "permissions boundary")?;
        let (name, version) = (
            m.detail.policy_name.clone(),
            m.detail.default_version().map(|v| v.version_id.clone()),
        );
        let (doc, policy) = (m.normalized.clone(), m.policy.clone());
        self.row(
            PolicyKind::Boundary,
            &name,
            Some(arn),
            version.as_deref(),
            doc,
            None,
        );
        Ok(policy)
    }
}

/// Writes the users' rows of one account, `principal_type` user.
pub(super) fn write_user_rows<E>(
    writer: &mut PartitionWriter,
    rows: &AccountRows,
    arrow_err: &impl Fn(&'static str) -> E,
) -> Result<(), SnapshotError>
where
    E: FnOnce(arrow::error::ArrowError) -> SnapshotError,
{
    writer.write(
        role_policies::TABLE.name,
        &role_policies::to_batch(&rows.user_policies)
            .map_err(arrow_err(role_policies::TABLE.name))?,
    )?;
    writer.write(
        simulations::TABLE.name,
        &simulations::to_batch_of(&rows.user_simulations, PrincipalType::User)
            .map_err(arrow_err(simulations::TABLE.name))?,
    )?;
    for batch in &rows.user_last_accessed {
        writer.write(last_accessed::TABLE.name, batch)?;
    }
    Ok(())
}
