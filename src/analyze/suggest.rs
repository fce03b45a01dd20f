//! `iamlake suggest`: a role's identity policies with its unused services and
//! actions removed, as a suggestion and a diff against today's — never
//! applied automatically.
//!
//! What is removed, statement by statement (Allow statements only; Deny
//! statements only take permissions away, so they stay):
//! - an `Action` entry whose service is unused as a whole (`dynamodb:GetItem`,
//!   `dynamodb:*`);
//! - an `Action` entry naming exactly an unused action (`s3:PutObject`);
//! - a statement whose `Action` list becomes empty.
//!
//! - a wildcard entry of one service (`ssm:GetParameter*`) that covers unused
//!   actions: replaced by the real actions it grants (from the bundled
//!   service model) that are still used, when there are at most
//!   [`MAX_EXPANSION`] of them.
//!
//! What is only noted: a wider wildcard entry (`s3:*`, `*`) that also covers
//! unused actions of a used service, and `NotAction` statements — IAM has no
//! way to subtract from them without listing every action still needed. Permissions
//! kept in the reviews file are never removed; `iam:PassRole` is never
//! unused (see [`super::compute`]).

use super::AnalyzeError;
use super::compute::find_unused;
use super::grants::{self, Grant, PolicyIn};
use super::input::read_snapshot;
use super::reviews::{self, Decision, Review};
use super::terraform::{IacRef, TerraformIndex};
use crate::lake::Lake;
use crate::lake::read;
use crate::model::role_policies;
use chrono::NaiveDate;
use serde_json::Value;
use std::collections::BTreeSet;

/// The longest list of actions a wildcard entry is replaced by (see
/// [`trim_policy`]); a longer one is only noted.
const MAX_EXPANSION: usize = 25;

/// One policy's suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySuggestion {
    /// `inline:<name>` or the managed policy's ARN.
    pub policy_id: String,
    /// The policy kind (inline, customer_managed, aws_managed).
    pub kind: String,
    pub current: Value,
    pub suggested: Value,
    /// Pretty-printed unified diff, empty when nothing changes.
    pub diff: String,
    /// Findings that could not be expressed by removing entries.
    pub notes: Vec<String>,
    /// The Terraform resource to edit for this policy, when a state holds it.
    pub terraform: Option<IacRef>,
}

/// The suggestion for a role.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub role_arn: String,
    pub snapshot_date: NaiveDate,
    /// Unused permissions considered (kept ones excluded).
    pub unused: Vec<String>,
    /// Where each unused permission is granted (same order as `unused`;
    /// `None` when no identity policy statement covers it).
    pub grants: Vec<Option<Grant>>,
    /// The Terraform resource that manages the role, when known.
    pub terraform: Option<IacRef>,
    pub policies: Vec<PolicySuggestion>,
}

/// Builds the suggestion for `role_arn` on `date`.
pub fn suggest(
    lake: &Lake,
    date: NaiveDate,
    role_arn: &str,
    unused_days: i64,
    reviews_in: &[Review],
    terraform: &TerraformIndex,
) -> Result<Suggestion, AnalyzeError> {
    let snap = read_snapshot(lake, date, unused_days)?;
    let Some(role_idx) = snap.roles.iter().position(|r| r.arn == role_arn) else {
        return Err(AnalyzeError::NoRole {
            lake: lake.label(),
            date,
            role: role_arn.to_string(),
        });
    };
    let role = &snap.roles[role_idx];
    let unused: Vec<(String, bool)> = find_unused(&snap, unused_days)
        .into_iter()
        .filter(|u| u.role == role_idx)
        .filter(|u| {
            reviews::find(
                reviews_in,
                &role.account_id,
                role.account_name.as_deref(),
                &role.role_name,
                &u.permission,
            )
            .is_none_or(|r| r.decision != Decision::Keep)
        })
        .map(|u| {
            (
                u.permission.to_ascii_lowercase(),
                u.granularity == "service",
            )
        })
        .collect();
    let services: BTreeSet<&str> = unused
        .iter()
        .filter(|(_, s)| *s)
        .map(|(p, _)| p.as_str())
        .collect();
    let actions: BTreeSet<&str> = unused
        .iter()
        .filter(|(_, s)| !*s)
        .map(|(p, _)| p.as_str())
        .collect();

    // A role of an account that failed on `date` has its policies on the
    // date its rows were carried from.
    let policies_date = role.carried_from.unwrap_or(date);
    let manifest = super::input::snapshot_manifest(lake, policies_date)?;
    use polars::prelude::{col, lit};
    let df = read::scan(
        lake,
        &manifest,
        role_policies::TABLE.name,
        Some(
            col("role_arn")
                .eq(lit(role_arn))
                .and(col("kind").neq(lit("boundary"))),
        ),
        &["kind", "policy_name", "policy_arn", "document"],
    )?;
    let p = read::frame_err(lake, policies_date, role_policies::TABLE.name);
    let kinds = read::strs(&df, "kind").map_err(&p)?;
    let names = read::strs(&df, "policy_name").map_err(&p)?;
    let arns = read::strs(&df, "policy_arn").map_err(&p)?;
    let docs = read::strs(&df, "document").map_err(&p)?;
    let role_at = terraform.lookup(role_arn);
    let all: Vec<PolicyIn> = (0..df.height())
        .map(|i| PolicyIn {
            role_id: role.role_id.clone(),
            kind: kinds[i].clone().unwrap_or_default(),
            name: names[i].clone(),
            arn: arns[i].clone(),
            document: docs[i].clone().unwrap_or_default(),
        })
        .collect();
    let refs: Vec<&PolicyIn> = all.iter().collect();
    let found_grants = unused
        .iter()
        .map(|(p, _)| grants::find_grant(&refs, p, terraform, role_arn, &role.role_name))
        .collect();
    let mut policies = Vec::new();
    for (i, policy_in) in all.iter().enumerate() {
        let kind = kinds[i].clone().unwrap_or_default();
        let policy_id = match (&kind[..], &arns[i]) {
            ("inline", _) => format!("inline:{}", names[i].clone().unwrap_or_default()),
            (_, Some(arn)) => arn.clone(),
            _ => continue,
        };
        let Some(current) = docs[i]
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        else {
            continue;
        };
        let (suggested, notes) = trim_policy(&current, &services, &actions);
        let diff = unified_diff(&policy_id, &current, &suggested);
        policies.push(PolicySuggestion {
            policy_id,
            kind,
            current,
            suggested,
            diff,
            notes,
            terraform: grants::policy_resource(terraform, role_at, &role.role_name, policy_in)
                .cloned(),
        });
    }
    Ok(Suggestion {
        role_arn: role_arn.to_string(),
        snapshot_date: date,
        unused: unused.into_iter().map(|(p, _)| p).collect(),
        grants: found_grants,
        terraform: role_at.cloned(),
        policies,
    })
}

/// Removes unused entries from a policy document; see the module docs.
pub fn trim_policy(
    doc: &Value,
    services: &BTreeSet<&str>,
    actions: &BTreeSet<&str>,
) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let mut out = doc.clone();
    let Some(statements) = out.get_mut("Statement") else {
        return (out, notes);
    };
    let was_object = statements.is_object();
    let list: Vec<Value> = match statements.take() {
        Value::Array(l) => l,
        one => vec![one],
    };
    let mut kept = Vec::new();
    for (index, mut st) in list.into_iter().enumerate() {
        let label = st.get("Sid").and_then(Value::as_str).map_or_else(
            || format!("statement {index}"),
            |s| format!("statement {index} ({s})"),
        );
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            kept.push(st);
            continue;
        }
        if st.get("NotAction").is_some() && (!services.is_empty() || !actions.is_empty()) {
            notes.push(format!("{label}: NotAction grants everything it does not list, unused permissions included; list the needed actions instead"));
        }
        let Some(action) = st.get_mut("Action") else {
            kept.push(st);
            continue;
        };
        let was_string = action.is_string();
        let entries: Vec<String> = match action {
            Value::String(s) => vec![s.clone()],
            Value::Array(l) => l
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let mut remaining = Vec::new();
        for entry in entries {
            let lower = entry.to_ascii_lowercase();
            let service = lower.split_once(':').map(|(s, _)| s);
            if service.is_some_and(|s| services.contains(s)) || actions.contains(lower.as_str()) {
                continue; // unused: drop it
            }
            if lower.contains(['*', '?']) {
                let unused_actions: Vec<&str> = actions
                    .iter()
                    .copied()
                    .filter(|a| crate::eval::wildcard_match(&lower, a))
                    .collect();
                let unused_services: Vec<&str> = services
                    .iter()
                    .copied()
                    .filter(|s| lower == "*" || service == Some(*s))
                    .collect();
                // A wildcard within one used service, over some unused
                // actions: the service model lists what it really grants, so
                // it can be replaced by the actions still used when that list
                // is short enough to read.
                let expanded = (service.is_some_and(|s| !s.contains(['*', '?']))
                    && unused_services.is_empty()
                    && !unused_actions.is_empty())
                .then(|| crate::eval::ServiceModel::try_bundled().ok())
                .flatten()
                .map(|m| {
                    m.expand(&entry)
                        .into_iter()
                        .filter(|a| !actions.contains(a.to_ascii_lowercase().as_str()))
                        .collect::<Vec<&str>>()
                })
                .filter(|still| !still.is_empty() && still.len() <= MAX_EXPANSION);
                if let Some(still) = expanded {
                    notes.push(format!(
                        "{label}: {entry} replaced by the {} actions it grants that are still used (unused: {})",
                        still.len(),
                        unused_actions.join(", ")
                    ));
                    remaining.extend(still.into_iter().map(str::to_string));
                    continue;
                }
                let covered: Vec<&str> =
                    unused_actions.into_iter().chain(unused_services).collect();
                if !covered.is_empty() {
                    notes.push(format!(
                        "{label}: {entry} also grants unused {}; replace it with the actions still used",
                        covered.join(", ")
                    ));
                }
            }
            remaining.push(entry);
        }
        if remaining.is_empty() {
            notes.push(format!(
                "{label}: removed, every action it granted is unused"
            ));
            continue;
        }
        *action = if was_string && remaining.len() == 1 {
            Value::String(remaining.remove(0))
        } else {
            Value::Array(remaining.into_iter().map(Value::String).collect())
        };
        kept.push(st);
    }
    *statements = if was_object && kept.len() == 1 {
        kept.remove(0)
    } else {
        Value::Array(kept)
    };
    (out, notes)
}

fn unified_diff(name: &str, current: &Value, suggested: &Value) -> String {
    if current == suggested {
        return String::new();
    }
    let a = serde_json::to_string_pretty(current).expect("JSON serializes") + "\n";
    let b = serde_json::to_string_pretty(suggested).expect("JSON serializes") + "\n";
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (today)"), &format!("{name} (suggested)"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_unused_services_and_exact_actions_and_notes_wildcards() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Data", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:*", "s3:GetObject", "s3:PutObject"], "Resource": "*"},
            {"Sid": "Wide", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
            {"Sid": "OnlyDdb", "Effect": "Allow", "Action": "dynamodb:Query", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
        ]});
        let services: BTreeSet<&str> = ["dynamodb"].into();
        let actions: BTreeSet<&str> = ["s3:putobject"].into();
        let (out, notes) = trim_policy(&doc, &services, &actions);
        assert_eq!(out["Statement"][0]["Action"], json!(["s3:GetObject"]));
        assert_eq!(out["Statement"][1]["Action"], "s3:*");
        assert_eq!(
            out["Statement"].as_array().unwrap().len(),
            3,
            "OnlyDdb removed, Deny kept"
        );
        assert_eq!(out["Statement"][2]["Effect"], "Deny");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("Wide") && n.contains("s3:putobject")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("OnlyDdb") && n.contains("removed")),
            "{notes:?}"
        );
        let diff = unified_diff("inline:x", &doc, &out);
        assert!(
            diff.contains("-        \"dynamodb:GetItem\",")
                && diff.contains("+++ inline:x (suggested)"),
            "{diff}"
        );
    }

    /// `ssm:GetParameter*` grants four real actions (service model); with
    /// `ssm:GetParameter` unused, the other three replace the wildcard.
    /// `s3:*` (hundreds of actions) is only noted.
    #[test]
    fn a_short_wildcard_is_replaced_by_the_actions_still_used() {
        let doc = json!({"Statement": [
            {"Sid": "Params", "Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"},
            {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        ]});
        let actions: BTreeSet<&str> = ["ssm:getparameter", "s3:putobject"].into();
        let (out, notes) = trim_policy(&doc, &BTreeSet::new(), &actions);
        assert_eq!(
            out["Statement"][0]["Action"],
            json!([
                "ssm:GetParameterHistory",
                "ssm:GetParameters",
                "ssm:GetParametersByPath"
            ])
        );
        assert_eq!(out["Statement"][1]["Action"], "s3:*");
        assert!(
            notes.iter().any(|n| n.contains("Params")
                && n.contains("replaced by the 3 actions")
                && n.contains("ssm:getparameter")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("All") && n.contains("s3:putobject")),
            "{notes:?}"
        );
    }

    #[test]
    fn nothing_unused_means_no_change() {
        let doc =
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}});
        let (out, notes) = trim_policy(&doc, &BTreeSet::new(), &BTreeSet::new());
        assert_eq!(out, doc);
        assert!(notes.is_empty());
        assert_eq!(unified_diff("p", &doc, &out), "");
    }
}
