//! The snapshot's policy lints: every identity policy of an account checked against AWS's
//! Service Authorization Reference ([`ServiceModel::lint_document`]) for actions and
//! condition keys that do not exist, written to the `policy_lints` table. Each distinct
//! document is decoded and checked once: a managed policy once per account however many
//! roles attach it, an inline document once however many roles carry the same text.
//!
//! It runs after the account's roles were collected, on the `role_policies` rows that
//! collection built (every document there already decoded and normalized once), leaving
//! the evaluation loop alone.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

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

/// The lints of one account's identity policies, from the role's `role_policies` rows as
/// the snapshot just built them: managed policies attached to or bounding a role (in order
/// of first use), then each role's inline policies. The rows carry each document already
/// decoded and normalized (keys sorted, arrays and nesting kept, so JSON paths are the
/// document's own), and only decodable documents become rows; identical inline texts are
/// checked once.
pub(super) fn account_lints(
    account_id: &str,
    policies: &[RolePolicyRow],
    model: &ServiceModel,
) -> Vec<PolicyLintRow> {
    let lint = |text: &str| -> Rc<Vec<DocumentLint>> {
        Rc::new(
            serde_json::from_str::<Value>(text)
                .map(|doc| model.lint_document(&doc))
                .unwrap_or_default(),
        )
    };
    let mut out = Vec::new();

    // Managed policies (attached or as a boundary), once each.
    let mut seen: HashSet<&str> = HashSet::new();
    for row in policies.iter().filter(|r| r.kind != PolicyKind::Inline) {
        let Some(arn) = row.policy_arn.as_deref() else {
            continue;
        };
        if !seen.insert(arn) {
            continue;
        }
        let src = Source {
            policy_kind: PolicyKind::of_attached(arn).as_str(),
            policy_name: &row.policy_name,
            policy_arn: Some(arn),
            role: None,
        };
        out.extend(rows_of(account_id, &src, &lint(&row.document)));
    }

    // Inline policies, per role; identical documents are checked once.
    let mut by_text: HashMap<&str, Rc<Vec<DocumentLint>>> = HashMap::new();
    for row in policies.iter().filter(|r| r.kind == PolicyKind::Inline) {
        let lints = Rc::clone(
            by_text
                .entry(&row.document)
                .or_insert_with(|| lint(&row.document)),
        );
        let src = Source {
            policy_kind: "inline",
            policy_name: &row.policy_name,
            policy_arn: None,
            role: Some((&row.role_name, &row.role_arn)),
        };
        out.extend(rows_of(account_id, &src, &lints));
    }
    out
}
