//! The snapshot's policy lints: every identity policy of an account checked against AWS's
//! Service Authorization Reference ([`ServiceModel::lint_document`](crate::eval::ServiceModel::lint_document))
//! for actions and condition keys that do not exist, written to the `policy_lints` table.
//!
//! Each document is checked where it is decoded (a managed policy once per account however
//! many roles attach it, an inline one with its role, on the evaluating threads: see
//! `NormalizedDoc`); this module turns those lints into rows, chunk by chunk on the thread
//! that writes them, in the rows' order: each managed policy's once, each inline policy's
//! with its role.

use rustc_hash::FxHashSet;

use crate::eval::{DocumentLint, ModelLint};
use crate::model::policy_lints::PolicyLintRow;
use crate::model::role_policies::{PolicyKind, RolePolicyRow};

/// The `kind` column, the name as written and the suggestion of a lint.
fn parts(lint: &ModelLint) -> (&'static str, &str, Option<&str>) {
    match lint {
        ModelLint::UnknownService { action } => ("unknown_service", action, None),
        ModelLint::UnknownAction { action, suggestion } => {
            ("unknown_action", action, suggestion.as_deref())
        }
        ModelLint::NoMatchingAction { pattern } => ("no_matching_action", pattern, None),
        ModelLint::UnknownConditionKey { key } => ("unknown_condition_key", key, None),
    }
}

/// Where a checked document comes from.
struct Source<'a> {
    policy_kind: &'static str,
    policy_name: &'a str,
    policy_arn: Option<&'a str>,
    role: Option<(&'a str, &'a str)>,
}

fn rows_of(account_id: &str, src: &Source<'_>, lints: &[DocumentLint]) -> Vec<PolicyLintRow> {
    lints
        .iter()
        .map(|l| {
            let (kind, name, suggestion) = parts(&l.lint);
            PolicyLintRow {
                account_id: account_id.to_string(),
                policy_kind: src.policy_kind,
                policy_name: src.policy_name.to_string(),
                policy_arn: src.policy_arn.map(str::to_string),
                role_name: src.role.map(|(n, _)| n.to_string()),
                role_arn: src.role.map(|(_, a)| a.to_string()),
                json_path: l.path.clone(),
                kind,
                name: name.to_string(),
                suggestion: suggestion.map(str::to_string),
                message: l.lint.to_string(),
            }
        })
        .collect()
}

/// The lint rows of one account's identity policies, fed the account's `role_policies`
/// rows and their documents' lints as the snapshot builds them, a chunk of roles at a
/// time. Managed policies (attached or as a boundary) get rows once each, in order of
/// first use; [`Linter::finish`] lists the managed policies' lints, then each role's
/// inline ones.
pub(super) struct Linter {
    account_id: String,
    seen_managed: FxHashSet<String>,
    managed: Vec<PolicyLintRow>,
    inline: Vec<PolicyLintRow>,
}

impl Linter {
    pub(super) fn new(account_id: &str) -> Linter {
        Linter {
            account_id: account_id.to_string(),
            seen_managed: FxHashSet::default(),
            managed: Vec::new(),
            inline: Vec::new(),
        }
    }

    /// Adds the lints of `policies`' documents: `lints[i]` are `policies[i]`'s.
    pub(super) fn add(
        &mut self,
        policies: &[RolePolicyRow],
        lints: &[Option<std::sync::Arc<[DocumentLint]>>],
    ) {
        debug_assert_eq!(policies.len(), lints.len());
        for (row, lints) in policies.iter().zip(lints) {
            let lints = lints.as_deref().unwrap_or_default();
            if row.kind == PolicyKind::Inline {
                let src = Source {
                    policy_kind: "inline",
                    policy_name: &row.policy_name,
                    policy_arn: None,
                    role: Some((&row.principal.name, &row.principal.arn)),
                };
                self.inline.extend(rows_of(&self.account_id, &src, lints));
                continue;
            }
            let Some(arn) = row.policy_arn.as_deref() else {
                continue;
            };
            if self.seen_managed.contains(arn) {
                continue;
            }
            self.seen_managed.insert(arn.to_string());
            let src = Source {
                policy_kind: PolicyKind::of_attached(arn).as_str(),
                policy_name: &row.policy_name,
                policy_arn: Some(arn),
                role: None,
            };
            self.managed.extend(rows_of(&self.account_id, &src, lints));
        }
    }

    /// The account's lint rows: managed policies', then inline ones.
    pub(super) fn finish(mut self) -> Vec<PolicyLintRow> {
        self.managed.append(&mut self.inline);
        self.managed
    }
}
