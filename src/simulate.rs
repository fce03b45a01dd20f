//! `iamlake simulate`: one-off questions answered offline — from a request
//! file, from policy files on the command line, or, for a role in a
//! snapshot, the stored decisions with the statements behind each.

use crate::eval::{self, Decision, SimulateRequest};
use crate::lake::Lake;
use crate::lake::LakeError;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::read;
use crate::model::{role_policies, simulations};
use arrow::array::{Array, AsArray};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What can go wrong answering a question.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A file could not be read or is not JSON.
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
    /// The request (file or arguments) is invalid.
    #[error("{0}")]
    Request(#[from] eval::RequestError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// The date has no complete snapshot.
    #[error("lake {}: no complete snapshot for {date}", lake.display())]
    NoSnapshot { lake: PathBuf, date: NaiveDate },
    /// The role is not in the snapshot.
    #[error("lake {}: no role {role} in the snapshot of {date}{hint}", lake.display())]
    NoRole {
        lake: PathBuf,
        date: NaiveDate,
        role: String,
        hint: String,
    },
}

fn read_json(path: &Path) -> Result<Value, SimulateError> {
    let text = std::fs::read_to_string(path).map_err(|e| SimulateError::File {
        path: path.to_path_buf(),
        message: format!("cannot read: {e}"),
    })?;
    serde_json::from_str(&text).map_err(|e| SimulateError::File {
        path: path.to_path_buf(),
        message: format!("not valid JSON: {e}"),
    })
}

/// The answer to one request: the decision, and on any resource the widest
/// breadth at which the action is allowed (docs/EVALUATION.md#grant-breadth).
#[derive(Debug, Clone, Serialize)]
pub struct Simulated {
    #[serde(flatten)]
    pub decision: Decision,
    /// `any | account | pattern | specific`: only for a request on any
    /// resource whose principal's account is known; null when allowed at none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadth: Option<Option<eval::Breadth>>,
    /// The decision at `breadth` (present with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breadth_decision: Option<eval::DecisionKind>,
    /// Actions and condition keys the service model does not know, with
    /// where they are (`identity_policies[0].Statement[1].Action[0]: unknown
    /// action …`): a typo grants nothing, silently, in AWS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the answer is what it is when it depends on what the request does not say
    /// (another account's resource whose policy is unknown: conditionally_allowed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Lints each named policy document against the service model.
fn lint<'a>(docs: impl Iterator<Item = (String, &'a Value)>) -> Vec<String> {
    let Ok(model) = eval::ServiceModel::try_bundled() else {
        return Vec::new();
    };
    docs.flat_map(|(name, doc)| {
        model
            .lint_document(doc)
            .into_iter()
            .map(move |l| format!("{name}.{l}"))
    })
    .collect()
}

impl Simulated {
    fn of(req: &SimulateRequest, warnings: Vec<String>) -> Simulated {
        let b = req.evaluate_breadth();
        let (decision, reasons) = req.evaluate_explained();
        Simulated {
            decision,
            reasons,
            breadth: b.as_ref().map(|b| b.breadth),
            breadth_decision: b.map(|b| b.breadth_decision),
            warnings,
        }
    }
}

/// Answers a request file.
pub fn from_request_file(path: &Path) -> Result<Simulated, SimulateError> {
    let json = read_json(path)?;
    let req = SimulateRequest::parse(&json).map_err(|e| SimulateError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let list = |key: &str| -> Vec<(String, &Value)> {
        match json.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("{key}[{i}]"), d))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut docs = list("identity_policies");
    if let Some(b) = json.get("permissions_boundary").filter(|b| !b.is_null()) {
        docs.push(("permissions_boundary".into(), b));
    }
    for key in ["session_policy", "resource_policy", "role_trust_policy"] {
        if let Some(s) = json.get(key).filter(|s| !s.is_null()) {
            docs.push((key.into(), s));
        }
    }
    for key in ["scp_levels", "rcp_levels"] {
        if let Some(Value::Array(levels)) = json.get(key) {
            for (i, level) in levels.iter().enumerate() {
                if let Value::Array(l) = level {
                    docs.extend(
                        l.iter()
                            .enumerate()
                            .map(|(j, d)| (format!("{key}[{i}][{j}]"), d)),
                    );
                }
            }
        }
    }
    Ok(Simulated::of(&req, lint(docs.into_iter())))
}

/// The short form's inputs.
#[derive(Debug, Clone, Default)]
pub struct ShortForm {
    pub policies: Vec<PathBuf>,
    pub boundary: Option<PathBuf>,
    pub scps: Vec<PathBuf>,
    pub action: String,
    pub resource: Option<String>,
    pub context: Vec<String>,
    pub principal_arn: Option<String>,
}

/// Answers the short form: policy files named on the command line.
pub fn from_short_form(f: &ShortForm) -> Result<Simulated, SimulateError> {
    let load = |p: &PathBuf| Ok::<_, SimulateError>((p.display().to_string(), read_json(p)?));
    let policies = f.policies.iter().map(load).collect::<Result<Vec<_>, _>>()?;
    let boundary = f.boundary.as_ref().map(load).transpose()?;
    let scps = f.scps.iter().map(load).collect::<Result<Vec<_>, _>>()?;
    let req = SimulateRequest::from_args(
        &policies,
        boundary.as_ref(),
        &scps,
        &f.action,
        f.resource.as_deref(),
        &f.context,
        f.principal_arn.as_deref(),
    )?;
    let named = policies.iter().chain(&boundary).chain(&scps);
    Ok(Simulated::of(
        &req,
        lint(named.map(|(name, doc)| (name.clone(), doc))),
    ))
}

/// One stored decision of a role, with the statements behind it quoted.
#[derive(Debug, Clone, Serialize)]
pub struct StoredDecision {
    pub action: String,
    pub decision: String,
    /// The widest breadth allowed and the decision there (schema version 3
    /// on; null in older partitions).
    pub breadth: Option<String>,
    pub breadth_decision: Option<String>,
    pub decided_by: Option<String>,
    pub matched_statements: Vec<QuotedStatement>,
    pub missing_context_keys: Vec<String>,
}

/// A matched statement and, for identity and boundary policies, its text.
#[derive(Debug, Clone, Serialize)]
pub struct QuotedStatement {
    pub policy_id: String,
    pub layer: String,
    pub statement_index: i32,
    pub sid: Option<String>,
    pub effect: String,
    pub conditional: bool,
    /// The statement as stored in `role_policies`, `scps` or `rcps` (null
    /// for a snapshot written before those tables).
    pub statement: Option<Value>,
}

/// A role's decisions in a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct RoleExplanation {
    pub role_arn: String,
    pub snapshot_date: NaiveDate,
    pub decisions: Vec<StoredDecision>,
}

/// Explains a role's stored decisions from the snapshot of `date`.
pub fn explain_role(
    lake: &Lake,
    date: NaiveDate,
    role_arn: &str,
) -> Result<RoleExplanation, SimulateError> {
    let manifest = lake
        .read_manifest(ManifestKind::Snapshot, date)?
        .ok_or_else(|| SimulateError::NoSnapshot {
            lake: lake.label(),
            date,
        })?;
    // Policy documents of the role, keyed the way decisions name them.
    let docs = read::scan(
        lake,
        &manifest,
        role_policies::TABLE.name,
        Some(polars::prelude::col("role_arn").eq(polars::prelude::lit(role_arn))),
        &["kind", "policy_name", "policy_arn", "document"],
    )?;
    let p = read::frame_err(lake, date, role_policies::TABLE.name);
    let kinds = read::strs(&docs, "kind").map_err(&p)?;
    let names = read::strs(&docs, "policy_name").map_err(&p)?;
    let arns = read::strs(&docs, "policy_arn").map_err(&p)?;
    let texts = read::strs(&docs, "document").map_err(&p)?;
    let mut by_id: BTreeMap<String, Value> = BTreeMap::new();
    for i in 0..docs.height() {
        let id = match (kinds[i].as_deref(), &arns[i]) {
            (Some("inline"), _) => format!("inline:{}", names[i].clone().unwrap_or_default()),
            (_, Some(arn)) => arn.clone(),
            _ => continue,
        };
        if let Some(doc) = texts[i]
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
        {
            by_id.insert(id, doc);
        }
    }
    // The organization policies over the role's account, by policy id (ids are unique
    // across policy types): an SCP or RCP decision quotes its statement too.
    let account = role_arn.split(':').nth(4).unwrap_or_default();
    for table in [crate::model::scps::TABLE, crate::model::scps::RCP_TABLE] {
        for (_, id, text) in read::org_policies(lake, &manifest, table.name, account)? {
            if let Ok(doc) = serde_json::from_str::<Value>(&text) {
                by_id.entry(id).or_insert(doc);
            }
        }
    }

    let decisions: Vec<StoredDecision> = stored_decisions(
        lake,
        &manifest,
        |arn| arn == role_arn,
        |policy_id, index| {
            by_id
                .get(policy_id)
                .and_then(|doc| nth_statement(doc, index))
        },
    )?
    .into_iter()
    .map(|(_, d)| d)
    .collect();
    if decisions.is_empty() {
        let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
        let same_name = read::scan(
            lake,
            &manifest,
            crate::model::roles::TABLE.name,
            Some(polars::prelude::col("role_name").eq(polars::prelude::lit(name))),
            &["arn"],
        )?;
        let others = read::strs(&same_name, "arn").map_err(read::frame_err(lake, date, "roles"))?;
        let others: Vec<String> = others.into_iter().flatten().collect();
        return Err(SimulateError::NoRole {
            lake: lake.label(),
            date,
            role: role_arn.to_string(),
            hint: if others.is_empty() {
                String::new()
            } else {
                format!(" (roles with that name: {})", others.join(", "))
            },
        });
    }
    Ok(RoleExplanation {
        role_arn: role_arn.to_string(),
        snapshot_date: date,
        decisions,
    })
}

/// The stored decisions of the roles `keep` accepts (by ARN), in the
/// table's order, as (role ARN, decision); `quote(policy_id, index)` gives
/// a matched statement's text when it is known.
pub fn stored_decisions(
    lake: &Lake,
    manifest: &Manifest,
    keep: impl Fn(&str) -> bool,
    quote: impl Fn(&str, i32) -> Option<Value>,
) -> Result<Vec<(String, StoredDecision)>, LakeError> {
    let mut decisions = Vec::new();
    for batch in read::batches(lake, manifest, simulations::TABLE.name)? {
        let col = |name: &str| {
            batch
                .column_by_name(name)
                .expect("schema defines the column")
        };
        let arn = col("role_arn").as_string::<i32>();
        let action = col("action").as_string::<i32>();
        let decision = col("decision").as_string::<i32>();
        let decided_by = col("decided_by").as_string::<i32>();
        // Schema version 3 on.
        let breadth = batch
            .column_by_name("breadth")
            .map(|c| c.as_string::<i32>());
        let breadth_decision = batch
            .column_by_name("breadth_decision")
            .map(|c| c.as_string::<i32>());
        let opt = |a: Option<&arrow::array::StringArray>, row: usize| {
            a.filter(|a| !a.is_null(row))
                .map(|a| a.value(row).to_string())
        };
        let matched = col("matched_statements").as_list::<i32>();
        let keys = col("condition_keys").as_list::<i32>();
        for row in (0..batch.num_rows()).filter(|&r| keep(arn.value(r))) {
            let m = matched.value(row);
            let m = m.as_struct();
            let field = |n: &str| {
                m.column_by_name(n)
                    .expect("struct defines the field")
                    .clone()
            };
            let (pid, layer, idx, sid, effect, cond) = (
                field("policy_id"),
                field("layer"),
                field("statement_index"),
                field("sid"),
                field("effect"),
                field("conditional"),
            );
            let (pid, layer, sid, effect) = (
                pid.as_string::<i32>(),
                layer.as_string::<i32>(),
                sid.as_string::<i32>(),
                effect.as_string::<i32>(),
            );
            let idx = idx.as_primitive::<arrow::datatypes::Int32Type>();
            let cond = cond.as_boolean();
            let statements = (0..m.len())
                .map(|j| {
                    let policy_id = pid.value(j).to_string();
                    let index = idx.value(j);
                    QuotedStatement {
                        statement: quote(&policy_id, index),
                        policy_id,
                        layer: layer.value(j).to_string(),
                        statement_index: index,
                        sid: (!sid.is_null(j)).then(|| sid.value(j).to_string()),
                        effect: effect.value(j).to_string(),
                        conditional: cond.value(j),
                    }
                })
                .collect();
            let k = keys.value(row);
            let k = k.as_string::<i32>();
            decisions.push((
                arn.value(row).to_string(),
                StoredDecision {
                    action: action.value(row).to_string(),
                    decision: decision.value(row).to_string(),
                    breadth: opt(breadth, row),
                    breadth_decision: opt(breadth_decision, row),
                    decided_by: (!decided_by.is_null(row))
                        .then(|| decided_by.value(row).to_string()),
                    matched_statements: statements,
                    missing_context_keys: (0..k.len()).map(|j| k.value(j).to_string()).collect(),
                },
            ));
        }
    }
    Ok(decisions)
}

fn nth_statement(doc: &Value, index: i32) -> Option<Value> {
    match doc.get("Statement")? {
        Value::Array(list) => list.get(usize::try_from(index).ok()?).cloned(),
        one @ Value::Object(_) if index == 0 => Some(one.clone()),
        _ => None,
    }
}

/// A decision in words, for a terminal.
pub fn explain(s: &Simulated) -> String {
    let d = &s.decision;
    let mut out = format!("decision: {}", d.decision.as_str());
    if let Some(layer) = d.decided_by {
        out.push_str(&format!(" (decided by the {} layer)", layer.as_str()));
    }
    out.push('\n');
    if d.matched_statements.is_empty() {
        out.push_str("no statement matched\n");
    } else {
        out.push_str("statements behind it:\n");
        for m in &d.matched_statements {
            out.push_str(&format!(
                "  {:<8} {:<5} {} statement {}{}{}\n",
                m.layer.as_str(),
                m.effect.as_str(),
                m.policy_id,
                m.statement_index,
                m.sid
                    .as_deref()
                    .map(|s| format!(" (Sid {s})"))
                    .unwrap_or_default(),
                if m.conditional {
                    ", if its conditions hold"
                } else {
                    ""
                },
            ));
        }
    }
    if !d.missing_context_keys.is_empty() {
        out.push_str(&format!(
            "depends on context keys the request does not carry: {}\n",
            d.missing_context_keys.join(", ")
        ));
    }
    match (s.breadth, s.breadth_decision) {
        (Some(Some(b)), Some(k)) => out.push_str(&format!(
            "breadth: {} ({} at that breadth; risky from account up)\n",
            b.as_str(),
            k.as_str()
        )),
        (Some(None), _) => out.push_str("breadth: none (allowed on no resource)\n"),
        _ => {}
    }
    for r in &s.reasons {
        out.push_str(&format!("because {r}\n"));
    }
    for w in &s.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// A role's stored decisions in words.
pub fn explain_stored(e: &RoleExplanation) -> String {
    let mut out = format!("{} on {}:\n", e.role_arn, e.snapshot_date);
    for d in &e.decisions {
        out.push_str(&format!(
            "\n{} on any resource: {}{}\n",
            d.action,
            d.decision,
            d.decided_by
                .as_deref()
                .map(|l| format!(" (decided by the {l} layer)"))
                .unwrap_or_default()
        ));
        for s in &d.matched_statements {
            out.push_str(&format!(
                "  {:<8} {:<5} {} statement {}{}{}\n",
                s.layer,
                s.effect,
                s.policy_id,
                s.statement_index,
                s.sid
                    .as_deref()
                    .map(|x| format!(" (Sid {x})"))
                    .unwrap_or_default(),
                if s.conditional {
                    ", if its conditions hold"
                } else {
                    ""
                }
            ));
            if let Some(st) = &s.statement {
                out.push_str(&format!("           {st}\n"));
            }
        }
        match (&d.breadth, &d.breadth_decision) {
            (Some(b), Some(k)) => out.push_str(&format!("  breadth: {b} ({k})\n")),
            (None, Some(_)) => out.push_str("  breadth: none (allowed on no resource)\n"),
            _ => {}
        }
        if !d.missing_context_keys.is_empty() {
            out.push_str(&format!(
                "  depends on: {}\n",
                d.missing_context_keys.join(", ")
            ));
        }
    }
    out
}
