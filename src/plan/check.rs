//! The check itself: finds every IAM policy a plan would create or change, works out which role
//! each reaches (and each role's whole planned policy set), evaluates the sensitive actions on
//! any resource with the local evaluator, and applies overrides.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use crate::eval::{self, Context, DecisionKind, Layer, Policy, PolicySet, Request};
use crate::plan::PlanCheckConfig;
use crate::plan::error::PlanError;
use crate::plan::managed::{ManagedPolicies, is_aws_managed_arn};
use crate::plan::overrides::{Overrides, Subject};
use crate::plan::report::{
    Checked, ExpiredOverride, Finding, FindingStatement, Overridden, OverrideRef, PlanReport,
    REPORT_SCHEMA_VERSION, Unknown,
};
use crate::plan::terraform::{
    Attr, ChangeKind, Instance, PathSeg, Plan, config_file, configured, is_unknown, references,
};

/// A policy document as the planned state will have it.
#[derive(Clone, Debug)]
enum Doc {
    Known(Value),
    /// Why it is not known (value computed at apply, unresolvable reference, ...).
    Unknown(String),
}

/// One identity policy (or boundary) reaching a role or grant.
#[derive(Clone, Debug)]
struct Source {
    /// The policy id in decisions: an address, an ARN, or `ADDRESS inline_policy "NAME"`.
    id: String,
    /// The resource whose change brings the policy in.
    address: String,
    /// The attribute of `address` concerned, for unknown reports.
    what: String,
    doc: Doc,
    /// True when this plan creates or changes the grant or the document.
    changed: bool,
    /// Set for AWS managed policies: their ARN.
    aws_managed: Option<String>,
    /// The `aws_iam_policy` instance the document comes from, if any.
    policy_inst: Option<usize>,
    file: (Option<String>, Option<u32>),
}

#[derive(Clone, Debug)]
enum RoleTarget {
    /// An `aws_iam_role` instance of the plan.
    InPlan(usize),
    /// A role outside the plan, by name.
    Named(String),
    /// Not known at plan time.
    Unknown(String),
}

#[derive(Clone, Debug)]
struct Grant {
    source: Source,
    target: RoleTarget,
}

#[derive(Debug)]
struct RoleInfo {
    inst: usize,
    name: Option<String>,
    /// Created, replaced or its boundary changed: every grant of it counts as new.
    changed_all: bool,
    sources: Vec<Source>,
    boundary: Option<Source>,
}

struct Ctx<'a> {
    plan: &'a Plan,
    managed: &'a ManagedPolicies,
    cfg: &'a PlanCheckConfig,
    unknowns: Vec<Unknown>,
}

fn parse_doc_string(s: &str) -> Doc {
    match serde_json::from_str::<Value>(s) {
        Ok(v) if v.is_object() => Doc::Known(v),
        Ok(_) => Doc::Unknown("the policy is not a JSON object".into()),
        Err(e) => Doc::Unknown(format!("the policy is not valid JSON: {e}")),
    }
}

fn doc_of_value(v: &Value) -> Doc {
    match v {
        Value::String(s) if s.trim().is_empty() => Doc::Unknown("the policy is empty".into()),
        Value::String(s) => parse_doc_string(s),
        Value::Object(_) => Doc::Known(v.clone()),
        _ => Doc::Unknown("the policy is not a JSON string".into()),
    }
}

/// Two policy JSON strings with the same meaning (formatting aside).
fn same_doc(a: Option<&Value>, b: Option<&Value>) -> bool {
    let norm = |v: Option<&Value>| match v {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).ok(),
        Some(other) => Some(other.clone()),
        None => None,
    };
    match (norm(a), norm(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

impl<'a> Ctx<'a> {
    fn inst(&self, i: usize) -> &'a Instance {
        &self.plan.instances[i]
    }

    fn unknown(&mut self, address: &str, what: &str, reason: impl Into<String>) {
        let u = Unknown {
            address: address.to_string(),
            what: what.to_string(),
            reason: reason.into(),
        };
        if !self.unknowns.contains(&u) {
            self.unknowns.push(u);
        }
    }

    /// The instances a configuration attribute references, resolved (unresolvable ones and
    /// non-resource references dropped), deduplicated.
    fn ref_targets(&self, inst: &Instance, key: &str, rtype: &str, data: bool) -> Vec<usize> {
        let config = self.plan.config_of(inst);
        let mut out: Vec<usize> = Vec::new();
        for r in references(config, key) {
            if let Some(t) = self.plan.resolve_ref(inst, r) {
                let ti = self.inst(t);
                if ti.rtype == rtype && ti.data == data && !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The document of a `policy`-like attribute of `inst`.
    fn policy_attr_doc(&self, inst: &Instance, key: &str) -> Doc {
        match inst.attr(key) {
            Attr::Known(v) => doc_of_value(v),
            Attr::Absent => Doc::Unknown(format!("{key} is not set")),
            Attr::Unknown => {
                // A policy taken straight from a policy-document data source: use its rendered
                // JSON when that is known (or say that the data source is read at apply).
                let config = self.plan.config_of(inst);
                let refs = references(config, key);
                let docs = self.ref_targets(inst, key, "aws_iam_policy_document", true);
                let all_to_doc = !refs.is_empty()
                    && refs.iter().all(|r| {
                        self.plan
                            .resolve_ref(inst, r)
                            .is_some_and(|t| docs.contains(&t))
                    });
                if let ([d], true) = (docs.as_slice(), all_to_doc) {
                    let di = self.inst(*d);
                    return match di.attr("json") {
                        Attr::Known(v) => doc_of_value(v),
                        _ => Doc::Unknown(format!(
                            "{key} is known only after apply: {} is read during apply",
                            di.address
                        )),
                    };
                }
                Doc::Unknown(format!("{key} is known only after apply"))
            }
        }
    }

    /// The document of the policy with `arn`: a policy of this plan, then the managed map.
    fn arn_source(&self, arn: &str, grant: &Instance, what: &str, grant_changed: bool) -> Source {
        let (file_f, file_l) = config_file(self.plan.config_of(grant));
        let in_plan = self.plan.instances.iter().position(|i| {
            !i.data
                && i.rtype == "aws_iam_policy"
                && i.change != ChangeKind::Delete
                && i.after.get("arn").and_then(Value::as_str) == Some(arn)
        });
        if let Some(p) = in_plan {
            return self.policy_inst_source(p, grant, what, grant_changed);
        }
        let aws = is_aws_managed_arn(arn);
        let doc = match self.managed.get(arn) {
            Some(d) => Doc::Known(d.clone()),
            None if aws => Doc::Unknown(format!(
                "AWS managed policy {arn} is not in the managed-policy snapshot ({}); \
                 update it with scripts/update-managed-policies",
                self.managed.source()
            )),
            None => Doc::Unknown(format!(
                "customer managed policy {arn} is neither created by this plan nor in the \
                 provided policy documents, so its document is unknown"
            )),
        };
        Source {
            id: arn.to_string(),
            address: grant.address.clone(),
            what: what.to_string(),
            doc,
            changed: grant_changed,
            aws_managed: aws.then(|| arn.to_string()),
            policy_inst: None,
            file: (file_f, file_l),
        }
    }

    /// The document of `aws_iam_policy` instance `p`, as brought in by `grant`.
    fn policy_inst_source(
        &self,
        p: usize,
        grant: &Instance,
        what: &str,
        grant_changed: bool,
    ) -> Source {
        let pi = self.inst(p);
        let changed = grant_changed || pi.change.is_change() || self.cfg.check_all;
        let file = config_file(self.plan.config_of(pi));
        Source {
            id: pi.address.clone(),
            address: grant.address.clone(),
            what: what.to_string(),
            doc: self.policy_attr_doc(pi, "policy"),
            changed,
            aws_managed: None,
            policy_inst: Some(p),
            file,
        }
    }

    /// Sources for an ARN attribute (`policy_arn`, `permissions_boundary`): by value when known,
    /// else by following the configuration reference to a policy of this plan.
    fn arn_attr_source(&self, inst: &Instance, key: &str, changed: bool) -> Option<Source> {
        match inst.attr(key) {
            Attr::Known(Value::String(arn)) if !arn.is_empty() => {
                Some(self.arn_source(arn, inst, key, changed))
            }
            Attr::Known(_) | Attr::Absent => None,
            Attr::Unknown => {
                let targets = self.ref_targets(inst, key, "aws_iam_policy", false);
                match targets.as_slice() {
                    [p] => Some(self.policy_inst_source(*p, inst, key, changed)),
                    _ => Some(Source {
                        id: format!("{}.{key}", inst.address),
                        address: inst.address.clone(),
                        what: key.to_string(),
                        doc: Doc::Unknown(format!(
                            "{key} is known only after apply and does not reference exactly \
                             one aws_iam_policy of this plan"
                        )),
                        changed,
                        aws_managed: None,
                        policy_inst: None,
                        file: config_file(self.plan.config_of(inst)),
                    }),
                }
            }
        }
    }

    /// The role a role-name attribute names.
    fn role_target(&self, inst: &Instance, key: &str, roles: &[RoleInfo]) -> Vec<RoleTarget> {
        let by_name = |name: &str| {
            roles
                .iter()
                .find(|r| r.name.as_deref() == Some(name))
                .map_or_else(
                    || RoleTarget::Named(name.to_string()),
                    |r| RoleTarget::InPlan(r.inst),
                )
        };
        match inst.attr(key) {
            Attr::Known(Value::String(name)) => vec![by_name(name)],
            Attr::Known(Value::Array(names)) => {
                let mut out = Vec::new();
                for (i, n) in names.iter().enumerate() {
                    match n.as_str() {
                        Some(name)
                            if !is_unknown(
                                &inst.after_unknown,
                                &[PathSeg::Key(key), PathSeg::Index(i)],
                            ) =>
                        {
                            out.push(by_name(name));
                        }
                        _ => out.push(self.unknown_role(inst, key, roles)),
                    }
                }
                out
            }
            Attr::Known(_) | Attr::Absent => Vec::new(),
            Attr::Unknown => {
                let targets = self.ref_targets(inst, key, "aws_iam_role", false);
                let in_plan: Vec<RoleTarget> = targets
                    .iter()
                    .filter(|t| roles.iter().any(|r| r.inst == **t))
                    .map(|t| RoleTarget::InPlan(*t))
                    .collect();
                if !in_plan.is_empty() && in_plan.len() == targets.len() {
                    in_plan
                } else {
                    vec![RoleTarget::Unknown(format!(
                        "{key} is known only after apply and does not reference a role of this plan"
                    ))]
                }
            }
        }
    }

    fn unknown_role(&self, inst: &Instance, key: &str, roles: &[RoleInfo]) -> RoleTarget {
        let targets = self.ref_targets(inst, key, "aws_iam_role", false);
        match targets.as_slice() {
            [t] if roles.iter().any(|r| r.inst == *t) => RoleTarget::InPlan(*t),
            _ => RoleTarget::Unknown(format!("an entry of {key} is known only after apply")),
        }
    }

    /// Reads an `aws_iam_role`: name, inline policies, managed_policy_arns, boundary.
    fn role_info(&mut self, idx: usize) -> RoleInfo {
        let inst = self.inst(idx);
        let config = self.plan.config_of(inst);
        let file = config_file(config);
        let name = match inst.attr("name") {
            Attr::Known(Value::String(n)) => Some(n.clone()),
            _ => None,
        };
        let boundary_changed = inst.change == ChangeKind::Update
            && (is_unknown(&inst.after_unknown, &[PathSeg::Key("permissions_boundary")])
                || inst.before.get("permissions_boundary")
                    != inst.after.get("permissions_boundary"));
        let changed_all = matches!(inst.change, ChangeKind::Create | ChangeKind::Replace)
            || boundary_changed
            || self.cfg.check_all;
        let mut sources = Vec::new();

        // Inline policies. `inline_policy` is optional and computed, so a role configured
        // without it shows it as unknown: that is "none", not unknown.
        match inst.attr("inline_policy") {
            Attr::Known(Value::Array(blocks)) => {
                for (i, b) in blocks.iter().enumerate() {
                    let pname = b.get("name").and_then(Value::as_str).unwrap_or("");
                    let pol = b.get("policy");
                    let empty = pol.and_then(Value::as_str).is_none_or(str::is_empty);
                    let unknown = is_unknown(
                        &inst.after_unknown,
                        &[
                            PathSeg::Key("inline_policy"),
                            PathSeg::Index(i),
                            PathSeg::Key("policy"),
                        ],
                    );
                    if pname.is_empty() && empty && !unknown {
                        continue;
                    }
                    let doc = if unknown {
                        Doc::Unknown("policy is known only after apply".into())
                    } else {
                        pol.map_or_else(|| Doc::Unknown("no policy".into()), doc_of_value)
                    };
                    let before_same = inst
                        .before
                        .get("inline_policy")
                        .and_then(Value::as_array)
                        .is_some_and(|bs| {
                            bs.iter().any(|x| {
                                x.get("name").and_then(Value::as_str) == Some(pname)
                                    && same_doc(x.get("policy"), pol)
                            })
                        });
                    sources.push(Source {
                        id: format!("{} inline_policy {pname:?}", inst.address),
                        address: inst.address.clone(),
                        what: format!("inline_policy {pname:?}"),
                        doc,
                        changed: changed_all || (inst.change == ChangeKind::Update && !before_same),
                        aws_managed: None,
                        policy_inst: None,
                        file: file.clone(),
                    });
                }
            }
            Attr::Unknown if configured(config, "inline_policy") != Some(false) => {
                sources.push(Source {
                    id: format!("{} inline_policy", inst.address),
                    address: inst.address.clone(),
                    what: "inline_policy".into(),
                    doc: Doc::Unknown("inline policies are known only after apply".into()),
                    changed: changed_all || inst.change == ChangeKind::Update,
                    aws_managed: None,
                    policy_inst: None,
                    file: file.clone(),
                });
            }
            _ => {}
        }

        // managed_policy_arns (optional and computed like inline_policy).
        let before_arns: Vec<&str> = inst
            .before
            .get("managed_policy_arns")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match inst.attr("managed_policy_arns") {
            Attr::Known(Value::Array(arns)) => {
                let mut unknown_entries = 0usize;
                for (i, a) in arns.iter().enumerate() {
                    let unknown = is_unknown(
                        &inst.after_unknown,
                        &[PathSeg::Key("managed_policy_arns"), PathSeg::Index(i)],
                    );
                    match a.as_str() {
                        Some(arn) if !unknown => {
                            let changed = changed_all || !before_arns.contains(&arn);
                            sources.push(self.arn_source(
                                arn,
                                inst,
                                "managed_policy_arns",
                                changed,
                            ));
                        }
                        _ => unknown_entries += 1,
                    }
                }
                if unknown_entries > 0 {
                    self.push_referenced_policies(inst, &mut sources, unknown_entries, changed_all);
                }
            }
            Attr::Unknown if configured(config, "managed_policy_arns") != Some(false) => {
                self.push_referenced_policies(inst, &mut sources, 0, changed_all);
            }
            _ => {}
        }

        let boundary = self.arn_attr_source(inst, "permissions_boundary", changed_all);
        RoleInfo {
            inst: idx,
            name,
            changed_all,
            sources,
            boundary,
        }
    }

    /// `managed_policy_arns` entries unknown at plan time: the policies of this plan it
    /// references are certainly among them; anything else is reported unknown. `expected` is
    /// the number of unknown entries when known (0: the whole set is unknown).
    fn push_referenced_policies(
        &mut self,
        inst: &Instance,
        sources: &mut Vec<Source>,
        expected: usize,
        changed_all: bool,
    ) {
        let targets: Vec<usize> = self
            .ref_targets(inst, "managed_policy_arns", "aws_iam_policy", false)
            .into_iter()
            .filter(|t| {
                // Policies whose ARN is known already appear as known entries.
                !matches!(self.inst(*t).attr("arn"), Attr::Known(Value::String(_)))
            })
            .collect();
        let changed = changed_all || inst.change == ChangeKind::Update;
        for t in &targets {
            sources.push(self.policy_inst_source(*t, inst, "managed_policy_arns", changed));
        }
        if expected == 0 || targets.len() != expected {
            let names: Vec<&str> = targets
                .iter()
                .map(|t| self.inst(*t).address.as_str())
                .collect();
            let checked = if names.is_empty() {
                String::new()
            } else {
                format!(
                    " (checked the policies it references: {})",
                    names.join(", ")
                )
            };
            self.unknown(
                &inst.address,
                "managed_policy_arns",
                format!("some entries are known only after apply{checked}"),
            );
        }
    }
}

/// A subject to evaluate: a role with all its planned policies, or one grant on its own.
struct Target<'s> {
    kind: &'static str,
    address: String,
    role: Option<String>,
    role_address: Option<String>,
    sources: Vec<&'s Source>,
    boundary: Option<&'s Source>,
    changed_all: bool,
    file: (Option<String>, Option<u32>),
}

/// The raw statement `index` of a document (`Statement` may be a single object).
fn raw_statement(doc: &Value, index: u32) -> Option<&Value> {
    match doc.get("Statement")? {
        Value::Array(a) => a.get(usize::try_from(index).ok()?),
        s @ Value::Object(_) if index == 0 => Some(s),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// How to fix a grant of `action` by this statement.
fn fixes_for(
    action: &str,
    source: &Source,
    stmt: &Value,
    conditional: bool,
    fixes: &mut Vec<String>,
) {
    let mut add = |s: String| {
        if !fixes.contains(&s) {
            fixes.push(s);
        }
    };
    if let Some(arn) = &source.aws_managed {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        add(format!(
            "attach a narrower policy than the AWS managed {name} (a customer policy listing \
             only the actions and resources needed)"
        ));
        // An AWS managed document cannot be edited: statement-level advice would mislead.
        return;
    }
    let action_lc = action.to_ascii_lowercase();
    if stmt.get("NotAction").is_some() {
        add(
            "replace NotAction with an explicit Action list (NotAction allows every other action)"
                .into(),
        );
    } else {
        for pat in strings(stmt.get("Action")) {
            if (pat.contains('*') || pat.contains('?'))
                && eval::wildcard_match(&pat.to_ascii_lowercase(), &action_lc)
            {
                add(format!(
                    "remove the wildcard action {pat} (it includes {action}); list only the actions needed"
                ));
            }
        }
    }
    if stmt.get("NotResource").is_some() {
        add("replace NotResource with the specific Resource ARNs needed".into());
    } else {
        let res = strings(stmt.get("Resource"));
        let shown = if res.is_empty() {
            "any resource".to_string()
        } else {
            res.join(", ")
        };
        add(format!("scope Resource to specific ARNs (now {shown})"));
    }
    if conditional {
        add("the grant depends on its Condition, which cannot be evaluated at plan time: make sure it restricts the grant".into());
    } else if stmt.get("Condition").is_none() {
        let hint = match action_lc.as_str() {
            "iam:passrole" => " such as iam:PassedToService",
            "sts:assumerole" => " such as aws:PrincipalOrgID or sts:ExternalId",
            _ => " such as aws:ResourceTag/… or aws:SourceVpce",
        };
        add(format!("add a condition{hint}"));
    }
}

/// Evaluates one subject for every sensitive action.
fn evaluate_target(
    t: &Target<'_>,
    cfg: &PlanCheckConfig,
    ctx_unknowns: &mut Vec<Unknown>,
    findings: &mut Vec<Finding>,
) -> usize {
    let mut identity: Vec<Policy> = Vec::new();
    let mut by_id: HashMap<String, &Source> = HashMap::new();
    let mut record_unknown = |s: &Source, reason: String| {
        let u = Unknown {
            address: s.address.clone(),
            what: s.what.clone(),
            reason,
        };
        if !ctx_unknowns.contains(&u) {
            ctx_unknowns.push(u);
        }
    };
    for s in &t.sources {
        if by_id.contains_key(&s.id) {
            continue;
        }
        match &s.doc {
            Doc::Known(v) => match Policy::parse(s.id.clone(), v) {
                Ok(p) => {
                    identity.push(p);
                    by_id.insert(s.id.clone(), s);
                }
                Err(e) => record_unknown(s, format!("the policy does not parse: {e}")),
            },
            Doc::Unknown(r) => record_unknown(s, r.clone()),
        }
    }
    let boundary = match t.boundary {
        Some(b) => match &b.doc {
            Doc::Known(v) => match Policy::parse(b.id.clone(), v) {
                Ok(p) => {
                    by_id.insert(b.id.clone(), b);
                    Some(p)
                }
                Err(e) => {
                    record_unknown(
                        b,
                        format!(
                            "the permissions boundary does not parse: {e}; evaluated without it"
                        ),
                    );
                    None
                }
            },
            Doc::Unknown(r) => {
                record_unknown(
                    b,
                    format!("{r}; evaluated without the permissions boundary"),
                );
                None
            }
        },
        None => None,
    };
    if identity.is_empty() {
        return 0;
    }
    let set = PolicySet {
        identity: &identity,
        boundary: boundary.as_ref(),
        scp_levels: &[],
    };
    let context = Context::new();
    for action in &cfg.sensitive_actions {
        let d = eval::evaluate(&set, &Request::any(action, &context));
        if !d.decision.is_allowed() {
            continue;
        }
        let allows: Vec<_> = d
            .matched_statements
            .iter()
            .filter(|m| m.layer == Layer::Identity && m.effect == eval::Effect::Allow)
            .collect();
        // Only what this plan changes is flagged: an allow that only unchanged policies give
        // was there before (use check_all to see it).
        let new = cfg.check_all
            || t.changed_all
            || allows
                .iter()
                .any(|m| by_id.get(&m.policy_id).is_some_and(|s| s.changed));
        if !new {
            continue;
        }
        let mut fixes = Vec::new();
        let mut why_parts = Vec::new();
        for m in &allows {
            if let Some(s) = by_id.get(&m.policy_id)
                && let Doc::Known(doc) = &s.doc
                && let Some(stmt) = raw_statement(doc, m.statement_index)
            {
                fixes_for(action, s, stmt, m.conditional, &mut fixes);
            }
            let sid = m
                .sid
                .as_deref()
                .map_or_else(String::new, |s| format!(" (Sid {s})"));
            why_parts.push(format!(
                "{} statement {}{sid}",
                m.policy_id, m.statement_index
            ));
        }
        let cond = if d.decision == DecisionKind::Allowed {
            ""
        } else {
            " if a condition holds"
        };
        let why = format!("allowed on any resource{cond} by {}", why_parts.join(", "));
        let matched = d
            .matched_statements
            .iter()
            .map(|m| FindingStatement {
                policy: m.policy_id.clone(),
                address: by_id
                    .get(&m.policy_id)
                    .map_or_else(|| m.policy_id.clone(), |s| s.address.clone()),
                layer: m.layer.as_str().to_string(),
                statement_index: m.statement_index,
                sid: m.sid.clone(),
                effect: m.effect.as_str().to_string(),
                conditional: m.conditional,
            })
            .collect();
        findings.push(Finding {
            action: action.clone(),
            decision: d.decision.as_str().to_string(),
            subject: t.kind.to_string(),
            address: t.address.clone(),
            role: t.role.clone(),
            role_address: t.role_address.clone(),
            matched_statements: matched,
            missing_context_keys: d.missing_context_keys.clone(),
            why,
            fixes,
            file: t.file.0.clone(),
            line: t.file.1,
        });
    }
    identity.len()
}

fn valid_action(a: &str) -> bool {
    a.split_once(':').is_some_and(|(s, n)| {
        !s.is_empty()
            && !n.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// See [`crate::plan::check_plan`].
pub(crate) fn run(
    plan_json: &Value,
    plan_path: &Path,
    managed: &ManagedPolicies,
    overrides: &Overrides,
    cfg: &PlanCheckConfig,
) -> Result<PlanReport, PlanError> {
    for a in &cfg.sensitive_actions {
        if !valid_action(a) {
            return Err(PlanError::BadAction { action: a.clone() });
        }
    }
    let mut cfg = cfg.clone();
    let mut seen = BTreeSet::new();
    cfg.sensitive_actions
        .retain(|a| seen.insert(a.to_ascii_lowercase()));
    let plan = Plan::read(plan_json, plan_path)?;
    let mut ctx = Ctx {
        plan: &plan,
        managed,
        cfg: &cfg,
        unknowns: Vec::new(),
    };
    let live = |i: &Instance| {
        !i.data
            && !matches!(
                i.change,
                ChangeKind::Delete | ChangeKind::Other | ChangeKind::Read
            )
    };

    // Roles in the planned state.
    let role_idx: Vec<usize> = plan
        .instances
        .iter()
        .enumerate()
        .filter(|(_, i)| i.rtype == "aws_iam_role" && live(i))
        .map(|(n, _)| n)
        .collect();
    let mut roles: Vec<RoleInfo> = role_idx.into_iter().map(|i| ctx.role_info(i)).collect();

    // Grants from separate resources.
    let mut grants: Vec<Grant> = Vec::new();
    for inst in &plan.instances {
        if !live(inst) {
            continue;
        }
        let changed = inst.change.is_change() || cfg.check_all;
        match inst.rtype.as_str() {
            "aws_iam_role_policy" => {
                let file = config_file(plan.config_of(inst));
                let source = Source {
                    id: inst.address.clone(),
                    address: inst.address.clone(),
                    what: "policy".into(),
                    doc: ctx.policy_attr_doc(inst, "policy"),
                    changed,
                    aws_managed: None,
                    policy_inst: None,
                    file,
                };
                for target in ctx.role_target(inst, "role", &roles) {
                    grants.push(Grant {
                        source: source.clone(),
                        target,
                    });
                }
            }
            "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                let key = if inst.rtype == "aws_iam_policy_attachment" {
                    "roles"
                } else {
                    "role"
                };
                let Some(source) = ctx.arn_attr_source(inst, "policy_arn", changed) else {
                    ctx.unknown(&inst.address, "policy_arn", "policy_arn is not set");
                    continue;
                };
                for target in ctx.role_target(inst, key, &roles) {
                    grants.push(Grant {
                        source: source.clone(),
                        target,
                    });
                }
            }
            _ => {}
        }
    }

    // Attach in-plan grants to their roles.
    let mut standalone: Vec<&Grant> = Vec::new();
    for g in &grants {
        match &g.target {
            RoleTarget::InPlan(r) => {
                if let Some(role) = roles.iter_mut().find(|x| x.inst == *r) {
                    role.sources.push(g.source.clone());
                }
            }
            RoleTarget::Named(_) => standalone.push(g),
            RoleTarget::Unknown(reason) => {
                ctx.unknown(&g.source.address, "role", reason.clone());
                standalone.push(g);
            }
        }
    }

    // Policies of this plan that no grant in the plan brings in: checked on their own.
    let granted: BTreeSet<usize> = grants
        .iter()
        .filter_map(|g| g.source.policy_inst)
        .chain(roles.iter().flat_map(|r| {
            // A boundary policy is a limit, not a grant: never check it as an identity policy.
            r.sources
                .iter()
                .chain(r.boundary.iter())
                .filter_map(|s| s.policy_inst)
        }))
        .collect();
    let mut lone_policies: Vec<Source> = Vec::new();
    for (n, inst) in plan.instances.iter().enumerate() {
        if inst.rtype == "aws_iam_policy" && live(inst) && !granted.contains(&n) {
            lone_policies.push(ctx.policy_inst_source(n, inst, "policy", inst.change.is_change()));
        }
    }

    let mut findings = Vec::new();
    let mut checked = Vec::new();
    let mut unknowns = std::mem::take(&mut ctx.unknowns);
    let mut targets: Vec<Target<'_>> = Vec::new();
    for r in &roles {
        let inst = &plan.instances[r.inst];
        if !(r.changed_all || r.sources.iter().any(|s| s.changed)) {
            continue;
        }
        targets.push(Target {
            kind: "role",
            address: inst.address.clone(),
            role: r.name.clone(),
            role_address: Some(inst.address.clone()),
            sources: r.sources.iter().collect(),
            boundary: r.boundary.as_ref(),
            changed_all: r.changed_all,
            file: config_file(plan.config_of(inst)),
        });
    }
    for g in standalone {
        if !g.source.changed {
            continue;
        }
        targets.push(Target {
            kind: "policy",
            address: g.source.address.clone(),
            role: match &g.target {
                RoleTarget::Named(n) => Some(n.clone()),
                _ => None,
            },
            role_address: None,
            sources: vec![&g.source],
            boundary: None,
            changed_all: false,
            file: g.source.file.clone(),
        });
    }
    for s in &lone_policies {
        if !s.changed {
            continue;
        }
        targets.push(Target {
            kind: "policy",
            address: s.address.clone(),
            role: None,
            role_address: None,
            sources: vec![s],
            boundary: None,
            changed_all: false,
            file: s.file.clone(),
        });
    }
    for t in &targets {
        let n = evaluate_target(t, &cfg, &mut unknowns, &mut findings);
        if n > 0 {
            checked.push(Checked {
                subject: t.kind.to_string(),
                address: t.address.clone(),
                role: t.role.clone(),
                policies: n,
            });
        }
    }

    // Overrides: the first active entry covering a finding lets it through; expired entries
    // are counted and reported, and never apply.
    let mut violations = Vec::new();
    let mut warnings = Vec::new();
    let mut overridden = Vec::new();
    let mut expired_hits: Vec<usize> = vec![0; overrides.entries().len()];
    for f in findings {
        if f.decision == DecisionKind::ConditionallyAllowed.as_str() && !cfg.fail_on_conditional {
            warnings.push(f);
            continue;
        }
        let mut addresses = vec![f.address.clone()];
        addresses.extend(f.role_address.iter().cloned());
        addresses.extend(f.matched_statements.iter().map(|m| m.address.clone()));
        let subject = Subject {
            addresses: &addresses,
            role: f.role.as_deref(),
            action: &f.action,
        };
        let mut active = None;
        for (i, e) in overrides.entries().iter().enumerate() {
            if !e.covers(&subject, cfg.author.as_deref()) {
                continue;
            }
            if e.expired(cfg.today) {
                expired_hits[i] += 1;
            } else if active.is_none() {
                active = Some(e);
            }
        }
        match active {
            Some(e) => overridden.push(Overridden {
                finding: f,
                by: OverrideRef {
                    index: e.index,
                    entry: e.describe(),
                    reason: e.reason.clone(),
                    expires: e.expires,
                },
            }),
            None => violations.push(f),
        }
    }
    let expired_overrides = overrides
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.expired(cfg.today))
        .map(|(i, e)| ExpiredOverride {
            entry: OverrideRef {
                index: e.index,
                entry: e.describe(),
                reason: e.reason.clone(),
                expires: e.expires,
            },
            would_cover: expired_hits[i],
        })
        .collect();
    unknowns.sort_by(|a, b| (&a.address, &a.what).cmp(&(&b.address, &b.what)));

    Ok(PlanReport {
        schema_version: REPORT_SCHEMA_VERSION,
        plan: plan_path.display().to_string(),
        terraform_version: plan.terraform_version.clone(),
        managed_policies_source: managed.source().to_string(),
        today: cfg.today,
        author: cfg.author.clone(),
        fail_on_conditional: cfg.fail_on_conditional,
        check_all: cfg.check_all,
        sensitive_actions: cfg.sensitive_actions.clone(),
        checked,
        violations,
        warnings,
        overridden,
        expired_overrides,
        unknowns,
    })
}
