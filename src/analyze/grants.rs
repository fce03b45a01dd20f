//! Where to fix it: which policy and statement of a role grant a
//! permission, and, when Terraform manages them, which resource address
//! holds that statement — so a finding names the line of code to change.
//!
//! The grant named is the first Allow statement covering the permission,
//! inline policies first, then attached managed policies, each in the order
//! the snapshot lists them. A statement covers a service (`s3`) when one of
//! its `Action` entries is in that service (`s3:Get*`, `*`), and an action
//! (`s3:PutObject`) when the action is one of the real actions an entry
//! expands to in AWS's service reference ([`ServiceModel::expand`]: `s3:Get*`
//! covers exactly the real `s3:Get…` actions, a typo such as `s3:GetObjekt`
//! covers nothing); a `NotAction` statement covers what its entries do not.
//! An action the bundled reference does not know (newer than it) is matched by
//! the policy wildcard alone.
//!
//! [`ServiceModel::expand`]: crate::eval::ServiceModel::expand

use super::terraform::{IacRef, TerraformIndex};
use serde::Serialize;
use serde_json::Value;

/// One identity policy of a role, as the snapshot holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyIn {
    pub role_id: String,
    /// inline, customer_managed or aws_managed.
    pub kind: String,
    pub name: Option<String>,
    pub arn: Option<String>,
    pub document: String,
}

impl PolicyIn {
    /// `inline:<name>` or the managed policy's ARN (as in `simulations`).
    pub fn policy_id(&self) -> String {
        match (&self.kind[..], &self.arn) {
            ("inline", _) | (_, None) => {
                format!("inline:{}", self.name.as_deref().unwrap_or_default())
            }
            (_, Some(arn)) => arn.clone(),
        }
    }
}

/// What grants a permission and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// `inline:<name>` or the policy ARN.
    pub policy: String,
    /// `statement 2 (Sid)`, 0-based as in `suggest`.
    pub statement: String,
    /// The Terraform resource that holds the statement (`aws_iam_role_policy`,
    /// the role's own `inline_policy` block, `aws_iam_policy`) or, for an AWS
    /// managed policy, the attachment to remove; `None` when not in a state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_address: Option<String>,
    /// The state that holds that resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform_state: Option<String>,
}

fn entries(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
        Some(Value::Array(l)) => l
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the action entry `pattern` (lower-case) grants the real action
/// `action` (lower-case `service:name`): `action` is among the pattern's
/// expansion by the service model. Expansions are cached per pattern and
/// thread (a policy's few patterns are asked about many actions).
fn grants_action(pattern: &str, action: &str) -> bool {
    use std::cell::RefCell;
    use std::collections::{HashMap, HashSet};
    use std::rc::Rc;
    thread_local! {
        static EXPANSIONS: RefCell<HashMap<String, Rc<HashSet<String>>>> =
            RefCell::new(HashMap::new());
    }
    let model = match crate::eval::ServiceModel::try_bundled() {
        Ok(m) if m.action_exists(action) => m,
        _ => return crate::eval::wildcard_match(pattern, action),
    };
    let expanded = EXPANSIONS.with(|cache| {
        Rc::clone(
            cache
                .borrow_mut()
                .entry(pattern.to_string())
                .or_insert_with(|| {
                    Rc::new(
                        model
                            .expand(pattern)
                            .into_iter()
                            .map(str::to_ascii_lowercase)
                            .collect(),
                    )
                }),
        )
    });
    expanded.contains(action)
}

/// Whether an action pattern (lower-case) covers `permission` (a service
/// namespace or an action, lower-case).
fn covers(pattern: &str, permission: &str) -> bool {
    if permission.contains(':') {
        return grants_action(pattern, permission);
    }
    if pattern == "*" {
        return true;
    }
    pattern
        .split_once(':')
        .is_some_and(|(service, _)| crate::eval::wildcard_match(service, permission))
}

/// Whether a NotAction list leaves `permission` granted: for a service,
/// unless the list excludes the whole service (`s3:*`, `*`).
fn not_action_leaves(excluded: &[String], permission: &str) -> bool {
    if permission.contains(':') {
        !excluded.iter().any(|p| grants_action(p, permission))
    } else {
        !excluded
            .iter()
            .any(|p| p == "*" || *p == format!("{permission}:*"))
    }
}

/// The label of the first Allow statement of `doc` covering `permission`.
pub fn statement_granting(doc: &Value, permission: &str) -> Option<String> {
    let permission = permission.to_ascii_lowercase();
    let list: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(l)) => l.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    list.iter().enumerate().find_map(|(i, st)| {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            return None;
        }
        let hit = match (st.get("Action"), st.get("NotAction")) {
            (Some(a), _) => entries(Some(a)).iter().any(|p| covers(p, &permission)),
            (None, Some(na)) => not_action_leaves(&entries(Some(na)), &permission),
            (None, None) => false,
        };
        hit.then(|| match st.get("Sid").and_then(Value::as_str) {
            Some(sid) if !sid.is_empty() => format!("statement {i} ({sid})"),
            _ => format!("statement {i}"),
        })
    })
}

/// The Terraform resource that holds `policy` of a role managed at `role`
/// (see [`Grant::terraform_address`]).
pub fn policy_resource<'i>(
    index: &'i TerraformIndex,
    role: Option<&IacRef>,
    role_name: &str,
    policy: &PolicyIn,
) -> Option<&'i IacRef> {
    match policy.kind.as_str() {
        "inline" => {
            let role = role?;
            index
                .inline_policy(&role.state, role_name, policy.name.as_deref()?)
                .map(|p| &p.at)
        }
        "customer_managed" => {
            let arn = policy.arn.as_deref()?;
            index
                .managed_policy(arn)
                .map(|p| &p.at)
                .or_else(|| role.and_then(|r| index.attachment(&r.state, role_name, arn)))
        }
        _ => {
            let arn = policy.arn.as_deref()?;
            role.and_then(|r| index.attachment(&r.state, role_name, arn))
        }
    }
}

/// The first grant of `permission` among a role's identity policies, in
/// the order described in the module docs.
pub fn find_grant(
    policies: &[&PolicyIn],
    permission: &str,
    index: &TerraformIndex,
    role_arn: &str,
    role_name: &str,
) -> Option<Grant> {
    let role = index.lookup(role_arn);
    let inline_first = policies
        .iter()
        .filter(|p| p.kind == "inline")
        .chain(policies.iter().filter(|p| p.kind != "inline"));
    for p in inline_first {
        let Ok(doc) = serde_json::from_str::<Value>(&p.document) else {
            continue;
        };
        if let Some(statement) = statement_granting(&doc, permission) {
            let at = policy_resource(index, role, role_name, p);
            return Some(Grant {
                policy: p.policy_id(),
                statement,
                terraform_address: at.map(|a| a.address.clone()),
                terraform_state: at.map(|a| a.state.clone()),
            });
        }
    }
    None
}

/// A fingerprint of everything that grants `permission` among a role's
/// identity policies: SHA-256 over each covering Allow statement (with its
/// policy id), in order. `None` when nothing grants it. A review is judged
/// against the fingerprint of the day it was first seen: a changed or new
/// statement changes it.
pub fn grant_fingerprint(policies: &[&PolicyIn], permission: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    let permission = permission.to_ascii_lowercase();
    let mut hasher = Sha256::new();
    let mut any = false;
    for p in policies {
        let Ok(doc) = serde_json::from_str::<Value>(&p.document) else {
            continue;
        };
        let list: Vec<&Value> = match doc.get("Statement") {
            Some(Value::Array(l)) => l.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for st in list {
            let one = json_one(st);
            if statement_granting(&one, &permission).is_some() {
                any = true;
                hasher.update(p.policy_id().as_bytes());
                hasher.update([0]);
                hasher.update(st.to_string().as_bytes());
                hasher.update([0]);
            }
        }
    }
    any.then(|| {
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// A document holding only `statement`.
fn json_one(statement: &Value) -> Value {
    serde_json::json!({"Statement": [statement]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statements_covering_services_and_actions() {
        let doc = json!({"Statement": [
            {"Sid": "Deny", "Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"},
            {"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"},
            {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"},
            {"Sid": "Rest", "Effect": "Allow", "NotAction": ["iam:*", "s3:PutObject"], "Resource": "*"}
        ]});
        assert_eq!(
            statement_granting(&doc, "sqs").unwrap(),
            "statement 1 (Queue)"
        );
        assert_eq!(statement_granting(&doc, "dynamodb").unwrap(), "statement 2");
        assert_eq!(
            statement_granting(&doc, "dynamodb:GetItem").unwrap(),
            "statement 2"
        );
        // Not in statement 2; NotAction statement 3 leaves it granted.
        assert_eq!(
            statement_granting(&doc, "dynamodb:PutItem").unwrap(),
            "statement 3 (Rest)"
        );
        assert_eq!(
            statement_granting(&doc, "s3:GetObject").unwrap(),
            "statement 3 (Rest)"
        );
        assert!(statement_granting(&doc, "s3:PutObject").is_none());
        assert!(statement_granting(&doc, "iam").is_none());
        let one = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        assert_eq!(statement_granting(&one, "kms").unwrap(), "statement 0");
    }

    /// Tracked actions (the demo organization's S3 list, as Access Advisor
    /// reports them) granted by `s3:Get*`: exactly the real S3 actions whose
    /// name starts with Get, worked out by hand from the list; a typo'd entry
    /// grants none of them, nor does it through NotAction exclude any.
    #[test]
    fn tracked_actions_granted_through_the_service_model() {
        let tracked = [
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:DeleteObject",
            "s3:GetBucketPolicy",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutBucketPolicy",
            "s3:PutObject",
        ];
        let granted_by = |doc: Value| -> Vec<&str> {
            tracked
                .iter()
                .copied()
                .filter(|a| statement_granting(&doc, a).is_some())
                .collect()
        };
        let allow = |action: &str| json!({"Statement": {"Effect": "Allow", "Action": action, "Resource": "*"}});
        assert_eq!(
            granted_by(allow("s3:Get*")),
            ["s3:GetBucketPolicy", "s3:GetObject"]
        );
        assert_eq!(
            granted_by(allow("S3:get*")),
            ["s3:GetBucketPolicy", "s3:GetObject"]
        );
        assert_eq!(
            granted_by(allow("s3:*Object")),
            ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        );
        assert!(granted_by(allow("s3:GetObjekt")).is_empty());
        assert!(granted_by(allow("s3:Gett*")).is_empty());
        assert!(granted_by(allow("s3x:GetObject")).is_empty());
        // NotAction: a typo excludes nothing, so every tracked action stays granted.
        let not = |action: &str| json!({"Statement": {"Effect": "Allow", "NotAction": action, "Resource": "*"}});
        assert_eq!(granted_by(not("s3:GetObjekt")).len(), tracked.len());
        assert_eq!(
            granted_by(not("s3:Get*")),
            [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteObject",
                "s3:ListBucket",
                "s3:PutBucketPolicy",
                "s3:PutObject"
            ]
        );
        // An action the bundled reference does not know is matched by the
        // wildcard alone (the reference may lag AWS).
        assert!(!crate::eval::ServiceModel::bundled().action_exists("s3:GetNotYetInTheModel"));
        assert!(statement_granting(&allow("s3:Get*"), "s3:GetNotYetInTheModel").is_some());
        assert!(statement_granting(&allow("s3:Put*"), "s3:GetNotYetInTheModel").is_none());
    }

    #[test]
    fn grants_name_the_terraform_resource() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terraform");
        let state = dir.join("payments/terraform.tfstate");
        let mut index = TerraformIndex::default();
        let label = state.display().to_string();
        index
            .add_state(&label, &std::fs::read(&state).unwrap())
            .unwrap();
        let pol = |kind: &str, name: Option<&str>, arn: Option<&str>, doc: Value| PolicyIn {
            role_id: "R".into(),
            kind: kind.into(),
            name: name.map(str::to_string),
            arn: arn.map(str::to_string),
            document: doc.to_string(),
        };
        let shared = "arn:aws:iam::111111111111:policy/payments-shared";
        let aws = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
        let policies = [
            pol(
                "aws_managed",
                Some("AmazonSQSReadOnlyAccess"),
                Some(aws),
                json!({"Statement": [{"Effect": "Allow", "Action": ["sqs:Get*", "sqs:List*"], "Resource": "*"}]}),
            ),
            pol(
                "customer_managed",
                Some("payments-shared"),
                Some(shared),
                json!({"Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}),
            ),
            pol(
                "inline",
                Some("payments-api-inline"),
                None,
                json!({"Statement": [{"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": "*"},
                                      {"Sid": "Ledger", "Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}),
            ),
        ];
        let refs: Vec<&PolicyIn> = policies.iter().collect();
        let arn = "arn:aws:iam::111111111111:role/payments-api";
        let g = |perm: &str| find_grant(&refs, perm, &index, arn, "payments-api").unwrap();
        // Inline first: sqs is granted by the inline policy's Queue statement.
        assert_eq!(
            g("sqs"),
            Grant {
                policy: "inline:payments-api-inline".into(),
                statement: "statement 0 (Queue)".into(),
                terraform_address: Some("module.app.aws_iam_role_policy.this[\"api\"]".into()),
                terraform_state: Some(label.clone()),
            }
        );
        assert_eq!(g("dynamodb").statement, "statement 1 (Ledger)");
        // Customer managed: the aws_iam_policy holding the statement.
        let s3 = g("s3:PutObject");
        assert_eq!(
            (s3.policy.as_str(), s3.statement.as_str()),
            (shared, "statement 0 (Read)")
        );
        assert_eq!(
            s3.terraform_address.as_deref(),
            Some("aws_iam_policy.shared")
        );
        // AWS managed, only attached in code: nothing to edit, no attachment
        // in this state → no address.
        let list = g("sqs:ListQueues");
        assert_eq!(list.policy, aws);
        assert_eq!(list.terraform_address, None);
        // A role no state manages: policy and statement, no address.
        let other = find_grant(&refs, "dynamodb", &index, "arn:aws:iam::1:role/x", "x").unwrap();
        assert_eq!(other.statement, "statement 1 (Ledger)");
        assert_eq!(other.terraform_address, None);
        assert!(find_grant(&refs, "kms", &index, arn, "payments-api").is_none());

        // Fingerprints: stable, None when not granted, changed by a new
        // statement granting the same permission.
        let fp = grant_fingerprint(&refs, "dynamodb").unwrap();
        assert_eq!(fp.len(), 64);
        assert_eq!(grant_fingerprint(&refs, "DynamoDB").unwrap(), fp);
        assert_eq!(grant_fingerprint(&refs, "kms"), None);
        let extra = pol(
            "inline",
            Some("more"),
            None,
            json!({"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]}),
        );
        let mut more = refs.clone();
        more.push(&extra);
        assert_ne!(grant_fingerprint(&more, "dynamodb").unwrap(), fp);
        // ...but not a statement about something else.
        let other = pol(
            "inline",
            Some("other"),
            None,
            json!({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}),
        );
        let mut unrelated = refs.clone();
        unrelated.push(&other);
        assert_eq!(grant_fingerprint(&unrelated, "dynamodb").unwrap(), fp);
    }
}
