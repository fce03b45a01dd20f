//! IAM policy documents in the shape the AWS CLI prints them, plus the little policy logic the generator needs: which services and tracked actions a set of documents grants (for Access Advisor), and spotting and tightening dangerous `*` grants.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::generate::catalog::SERVICES;
use crate::generate::output::url_encode;

/// A policy element written either as a single string or as a list, exactly
/// as the author of the policy wrote it (readers must accept both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// A single string for one value, a list otherwise — what most people write.
    pub fn of(values: &[&str]) -> Self {
        match values {
            [one] => OneOrMany::One((*one).to_string()),
            many => OneOrMany::Many(many.iter().map(|s| (*s).to_string()).collect()),
        }
    }

    pub fn items(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }
}

impl Serialize for OneOrMany {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OneOrMany::One(v) => s.serialize_str(v),
            OneOrMany::Many(v) => v.serialize(s),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Principal {
    #[serde(rename = "AWS", skip_serializing_if = "Option::is_none")]
    pub aws: Option<OneOrMany>,
    #[serde(rename = "Service", skip_serializing_if = "Option::is_none")]
    pub service: Option<OneOrMany>,
    #[serde(rename = "Federated", skip_serializing_if = "Option::is_none")]
    pub federated: Option<OneOrMany>,
}

/// Operator -> key -> values. BTreeMaps keep the output order stable.
pub(crate) type Condition = BTreeMap<String, BTreeMap<String, OneOrMany>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Statement {
    #[serde(rename = "Sid", skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(rename = "Effect")]
    pub effect: Effect,
    #[serde(rename = "Principal", skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    #[serde(rename = "Action", skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany>,
    #[serde(rename = "NotAction", skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany>,
    #[serde(rename = "Resource", skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany>,
    #[serde(rename = "NotResource", skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<OneOrMany>,
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

impl Statement {
    fn new(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
        }
    }

    pub fn allow(actions: &[&str], resources: &[&str]) -> Self {
        let mut s = Statement::new(Effect::Allow);
        s.action = Some(OneOrMany::of(actions));
        s.resource = Some(OneOrMany::of(resources));
        s
    }

    pub fn deny(actions: &[&str], resources: &[&str]) -> Self {
        let mut s = Statement::allow(actions, resources);
        s.effect = Effect::Deny;
        s
    }

    /// `Effect` with `NotAction` on `Resource: "*"`.
    pub fn not_action(effect: Effect, actions: &[&str]) -> Self {
        let mut s = Statement::new(effect);
        s.not_action = Some(OneOrMany::of(actions));
        s.resource = Some(OneOrMany::of(&["*"]));
        s
    }

    /// A trust-policy statement.
    pub fn trust(principal: Principal, actions: &[&str]) -> Self {
        let mut s = Statement::new(Effect::Allow);
        s.principal = Some(principal);
        s.action = Some(OneOrMany::of(actions));
        s
    }

    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    pub fn cond(mut self, op: &str, key: &str, values: &[&str]) -> Self {
        self.condition
            .get_or_insert_with(BTreeMap::new)
            .entry(op.to_string())
            .or_default()
            .insert(key.to_string(), OneOrMany::of(values));
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }
}

/// A policy document as it appears in output: a JSON object, or (for the
/// deterministic ~10% that mimic the raw query API) the URL-encoded compact JSON.
pub(crate) enum DocOut<'a> {
    Object(&'a PolicyDocument),
    Encoded(&'a PolicyDocument),
}

impl DocOut<'_> {
    /// Chooses the encoded form when `h` (a stable hash of the document's
    /// identity) falls in the lowest tenth.
    pub fn choose(doc: &PolicyDocument, h: u64) -> DocOut<'_> {
        if h.is_multiple_of(10) {
            DocOut::Encoded(doc)
        } else {
            DocOut::Object(doc)
        }
    }
}

impl Serialize for DocOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DocOut::Object(d) => d.serialize(s),
            DocOut::Encoded(d) => {
                let json = serde_json::to_string(d).map_err(serde::ser::Error::custom)?;
                s.serialize_str(&url_encode(&json))
            }
        }
    }
}

/// IAM-style wildcard match (`*` any run, `?` one character), case-insensitive
/// as IAM action names are.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// `"s3:Get*"` -> `("s3", "Get*")`; a bare `"*"` covers every service.
fn split_action(pattern: &str) -> (&str, &str) {
    pattern.split_once(':').unwrap_or((pattern, "*"))
}

/// Per catalog service: `None` if not granted, else a bitmask of which of the
/// service's tracked actions are granted. Only Allow statements count, as in
/// Access Advisor, which lists every service the attached policies allow.
pub(crate) fn grants<'a>(docs: impl IntoIterator<Item = &'a PolicyDocument>) -> Vec<Option<u16>> {
    let mut out: Vec<Option<u16>> = vec![None; SERVICES.len()];
    for doc in docs {
        for st in doc.statement.iter().filter(|s| s.effect == Effect::Allow) {
            if let Some(actions) = &st.action {
                for pat in actions.items() {
                    let (sp, ap) = split_action(pat);
                    for (i, svc) in SERVICES.iter().enumerate() {
                        if glob(sp, svc.ns) {
                            let mut mask = 0u16;
                            for (j, a) in svc.tracked.iter().enumerate() {
                                if glob(ap, a) {
                                    mask |= 1 << j;
                                }
                            }
                            out[i] = Some(out[i].unwrap_or(0) | mask);
                        }
                    }
                }
            }
            if let Some(excluded) = &st.not_action {
                let parts: Vec<(&str, &str)> =
                    excluded.items().iter().map(|p| split_action(p)).collect();
                for (i, svc) in SERVICES.iter().enumerate() {
                    let whole = parts
                        .iter()
                        .any(|(sp, ap)| glob(sp, svc.ns) && ap.bytes().all(|b| b == b'*'));
                    if whole {
                        continue;
                    }
                    let mut mask = 0u16;
                    for (j, a) in svc.tracked.iter().enumerate() {
                        if !parts.iter().any(|(sp, ap)| glob(sp, svc.ns) && glob(ap, a)) {
                            mask |= 1 << j;
                        }
                    }
                    out[i] = Some(out[i].unwrap_or(0) | mask);
                }
            }
        }
    }
    out
}

/// The actions iamlake treats as dangerous when granted on `*`.
pub(crate) const DANGEROUS: &[&str] = &[
    "iam:PassRole",
    "sts:AssumeRole",
    "ssm:GetParameters",
    "ssm:GetParameter",
    "s3:GetObject",
    "dynamodb:GetItem",
    "iam:CreateRole",
];

/// An unconditional Allow of a dangerous action (directly or via a wildcard
/// like `iam:Pass*`) on `Resource: "*"`, written by a team (not `Action: "*"`,
/// which only appears in AWS managed policies and is never tightened).
pub(crate) fn is_tightenable(st: &Statement) -> bool {
    st.effect == Effect::Allow
        && st.condition.is_none()
        && st.resource.as_ref().is_some_and(|r| r.items() == ["*"])
        && st.action.as_ref().is_some_and(|a| {
            a.items().iter().all(|p| p != "*")
                && a.items()
                    .iter()
                    .any(|p| DANGEROUS.iter().any(|d| glob(p, d)))
        })
}

/// Rewrite a statement accepted by [`is_tightenable`] the way a reviewer
/// would: wildcards replaced by the dangerous actions they stood for, and the
/// resource scoped to a specific ARN. `scope` maps a service prefix to the ARN.
pub(crate) fn tighten(st: &mut Statement, scope: &dyn Fn(&str) -> String) {
    let Some(actions) = &st.action else { return };
    let mut explicit: Vec<String> = Vec::new();
    for p in actions.items() {
        if p.contains('*') || p.contains('?') {
            for d in DANGEROUS.iter().filter(|d| glob(p, d)) {
                if !explicit.iter().any(|e| e == d) {
                    explicit.push((*d).to_string());
                }
            }
        } else if !explicit.contains(p) {
            explicit.push(p.clone());
        }
    }
    let service = explicit
        .first()
        .map(|a| split_action(a).0.to_string())
        .unwrap_or_default();
    st.action = Some(if explicit.len() == 1 {
        OneOrMany::One(explicit.remove(0))
    } else {
        OneOrMany::Many(explicit)
    });
    st.resource = Some(OneOrMany::One(scope(&service)));
}
