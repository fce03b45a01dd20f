//! The snapshot's policy lints: every identity policy of an account checked against AWS's
//! Service Authorization Reference ([`ServiceModel::lint_document`]) for actions and
//! condition keys that do not exist, written to the `policy_lints` table. Each distinct
//! document is decoded and checked once: a managed policy once per account however many
//! roles attach it, an inline document once however many roles carry the same text.
//!
//! It runs after the account's roles were collected (so every document here already
//! decoded and parsed there) and reads the same authorization details, leaving the
//! evaluation loop alone.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::eval::{DocumentLint, ModelLint, ServiceModel};
use crate::model::policy_lints::PolicyLintRow;
use crate::source::aws_json::AuthorizationDetails;
use crate::source::policy_doc;

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

/// The lints of one account's identity policies: managed policies attached to or bounding
/// a role (in order of first use), then each role's inline policies. A document that does
/// not decode is skipped (collecting the roles reports it).
pub(super) fn account_lints(
    account_id: &str,
    details: &AuthorizationDetails,
    model: &ServiceModel,
) -> Vec<PolicyLintRow> {
    let mut out = Vec::new();
    let lint = |raw: &Value| -> Rc<Vec<DocumentLint>> {
        Rc::new(
            policy_doc::decode(raw)
                .map(|doc| model.lint_document(&doc))
                .unwrap_or_default(),
        )
    };

    // Managed policies, once each.
    let by_arn: HashMap<&str, _> = details
        .policies
        .iter()
        .map(|p| (p.arn.as_str(), p))
        .collect();
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let used = details.role_detail_list.iter().flat_map(|r| {
        r.attached_managed_policies
            .iter()
            .map(|a| a.policy_arn.as_str())
            .chain(
                r.permissions_boundary
                    .iter()
                    .map(|b| b.permissions_boundary_arn.as_str()),
            )
    });
    for arn in used {
        if seen.insert(arn, ()).is_some() {
            continue;
        }
        let Some(version) = by_arn.get(arn).and_then(|d| d.default_version()) else {
            continue;
        };
        let src = Source {
            policy_kind: if arn.contains(":aws:policy/") {
                "aws_managed"
            } else {
                "customer_managed"
            },
            policy_name: &by_arn[arn].policy_name,
            policy_arn: Some(arn),
            role: None,
        };
        out.extend(rows_of(account_id, &src, &lint(&version.document)));
    }

    // Inline policies, per role; identical documents are checked once.
    let mut by_text: HashMap<String, Rc<Vec<DocumentLint>>> = HashMap::new();
    for role in &details.role_detail_list {
        for inline in &role.role_policy_list {
            let key = match &inline.policy_document {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let lints = Rc::clone(
                by_text
                    .entry(key)
                    .or_insert_with(|| lint(&inline.policy_document)),
            );
            let src = Source {
                policy_kind: "inline",
                policy_name: &inline.policy_name,
                policy_arn: None,
                role: Some((&role.role_name, &role.arn)),
            };
            out.extend(rows_of(account_id, &src, &lints));
        }
    }
    out
}
