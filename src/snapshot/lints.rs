//! The snapshot's policy lints: every identity policy of an account checked against AWS's
//! Service Authorization Reference ([`ServiceModel::lint_document`]) for actions and
//! condition keys that do not exist, written to the `policy_lints` table. Each distinct
//! document is decoded and checked once: a managed policy once per account however many
//! roles attach it, an inline document once however many roles carry the same text.
//!
//! It runs on the `role_policies` rows collection built (every document there already
//! decoded and normalized once), chunk by chunk on the thread that writes them, beside the
//! evaluating threads rather than between their chunks.

use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use serde_json::Value;

use crate::eval::{DocumentLint, ModelLint, ServiceModel};
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

/// The lints of one account's identity policies, fed the account's `role_policies` rows as
/// the snapshot builds them, a chunk of roles at a time. The rows carry each document
/// already decoded and normalized (keys sorted, arrays and nesting kept, so JSON paths are
/// the document's own), and only decodable documents become rows. Managed policies
/// (attached or as a boundary) are checked once each, in order of first use; identical
/// inline texts are checked once. [`Linter::finish`] lists the managed policies' lints,
/// then each role's inline ones.
pub(super) struct Linter<'m> {
    account_id: String,
    model: &'m ServiceModel,
    seen_managed: FxHashSet<String>,
    managed: Vec<PolicyLintRow>,
    /// Lints per distinct inline text, shared by every role carrying it.
    /// Keyed with the Fx hash: SipHash over every inline document's text was
    /// a sixth of the linter's time (#13).
    by_text: FxHashMap<std::sync::Arc<str>, Rc<Vec<DocumentLint>>>,
    inline: Vec<PolicyLintRow>,
}

impl<'m> Linter<'m> {
    pub(super) fn new(account_id: &str, model: &'m ServiceModel) -> Linter<'m> {
        Linter {
            account_id: account_id.to_string(),
            model,
            seen_managed: FxHashSet::default(),
            managed: Vec::new(),
            by_text: FxHashMap::default(),
            inline: Vec::new(),
        }
    }

    fn lint(&self, text: &str) -> Rc<Vec<DocumentLint>> {
        Rc::new(
            serde_json::from_str::<Value>(text)
                .map(|doc| self.model.lint_document(&doc))
                .unwrap_or_default(),
        )
    }

    /// Checks the documents of a chunk's rows not checked before.
    pub(super) fn add(&mut self, policies: &[RolePolicyRow]) {
        for row in policies {
            if row.kind == PolicyKind::Inline {
                let lints = match self.by_text.get(&row.document) {
                    Some(l) => Rc::clone(l),
                    None => {
                        let l = self.lint(&row.document);
                        self.by_text
                            .insert(std::sync::Arc::clone(&row.document), Rc::clone(&l));
                        l
                    }
                };
                let src = Source {
                    policy_kind: "inline",
                    policy_name: &row.policy_name,
                    policy_arn: None,
                    role: Some((&row.principal.name, &row.principal.arn)),
                };
                self.inline.extend(rows_of(&self.account_id, &src, &lints));
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
            let lints = self.lint(&row.document);
            self.managed.extend(rows_of(&self.account_id, &src, &lints));
        }
    }

    /// The account's lint rows: managed policies', then inline ones.
    pub(super) fn finish(mut self) -> Vec<PolicyLintRow> {
        self.managed.append(&mut self.inline);
        self.managed
    }
}
