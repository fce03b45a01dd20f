//! The check itself: finds every IAM policy a plan would create or change, works out which role
//! each reaches (and each role's whole planned policy set), evaluates the sensitive actions on
//! any resource with the local evaluator, and applies overrides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde_json::Value;

use crate::eval::{self, Context, DecisionKind, Layer, Policy, PolicySet, Request, RequestFacts};
use crate::plan::PlanCheckConfig;
use crate::plan::deployed::{Deployed, DeployedRole};
use crate::plan::error::PlanError;
use crate::plan::managed::{ManagedPolicies, is_aws_managed_arn};
use crate::plan::overrides::{Overrides, Subject};
use crate::plan::report::{
    Checked, DeployedContext, ExpiredOverride, Finding, FindingStatement, Overridden, OverrideRef,
    PlanReport, PolicyLint, REPORT_SCHEMA_VERSION, Unknown,
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

/// The kind of IAM principal a policy reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Role,
    User,
    Group,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
        }
    }

    /// The Terraform resource type of the principal itself.
    fn rtype(self) -> &'static str {
        match self {
            Kind::Role => "aws_iam_role",
            Kind::User => "aws_iam_user",
            Kind::Group => "aws_iam_group",
        }
    }
}

#[derive(Clone, Debug)]
enum PrincipalRef {
    /// A principal (`aws_iam_role`, `aws_iam_user`, `aws_iam_group`) instance of the plan.
    InPlan(usize),
    /// A principal outside the plan, by name.
    Named(Kind, String),
    /// Not known at plan time: which kind of principal, and why.
    Unknown(Kind, String),
}

#[derive(Clone, Debug)]
struct Grant {
    source: Source,
    target: PrincipalRef,
    /// The instance of the resource that grants.
    from: usize,
}

/// A user's membership in a group, from `aws_iam_group_membership` or
/// `aws_iam_user_group_membership`.
#[derive(Clone, Debug)]
struct Membership {
    user: PrincipalRef,
    group: PrincipalRef,
    /// New with this plan.
    changed: bool,
    address: String,
}

/// This plan's changes to a role of the lake.
#[derive(Clone, Debug, Default)]
struct LakeRole {
    /// Ids of deployed policies it removes or replaces (inline `ARN inline_policy "NAME"`,
    /// managed by ARN).
    removed: BTreeSet<String>,
    /// Policies it adds (or new documents of replaced ones).
    added: Vec<Source>,
    /// A new document of the role's boundary policy.
    boundary: Option<Source>,
    /// Grants in the plan that it does not change: there before and after.
    kept: Vec<Source>,
}

impl LakeRole {
    /// True when this plan changes the role's policies at all.
    fn touched(&self) -> bool {
        !(self.removed.is_empty() && self.added.is_empty() && self.boundary.is_none())
    }
}

/// The principal outside the plan named `name`, added when first seen (`address`: the
/// resource that names it, where its findings are reported).
fn named_principal<'r>(
    principals: &'r mut Vec<Principal>,
    kind: Kind,
    name: &str,
    address: &str,
) -> &'r mut Principal {
    let at = principals
        .iter()
        .position(|r| r.kind == kind && r.inst.is_none() && r.name.as_deref() == Some(name));
    let at = at.unwrap_or_else(|| {
        principals.push(Principal {
            kind,
            inst: None,
            name: Some(name.to_string()),
            address: address.to_string(),
            changed_all: false,
            sources: Vec::new(),
            boundary: None,
            before: None,
        });
        principals.len() - 1
    });
    &mut principals[at]
}

/// What gates every principal the plan touches: the account's SCP and RCP levels from the
/// deployed context (none without it), and what is known of its requests.
struct Guardrails {
    scps: Vec<Vec<Policy>>,
    rcps: Vec<Vec<Policy>>,
    /// The snapshot's request facts ([`Context::insert_request_facts`]), with the
    /// organization's id when the lake knows it: check-plan asks the snapshot's question.
    context: Context,
}

impl Guardrails {
    /// The deployed context's guardrails; a policy that does not parse is reported and left
    /// out.
    fn new(deployed: Option<&Deployed>, unknowns: &mut Vec<Unknown>) -> Guardrails {
        let mut context = Context::new();
        context.insert_request_facts(&RequestFacts::new(
            deployed.and_then(|d| d.org_id.as_deref()),
        ));
        Guardrails {
            scps: compile_levels(
                deployed.and_then(|d| d.scp_levels.as_ref()),
                "scp",
                unknowns,
            ),
            rcps: compile_levels(
                deployed.and_then(|d| d.rcp_levels.as_ref()),
                "rcp",
                unknowns,
            ),
            context,
        }
    }
}

/// Compiled SCP or RCP levels (`what`); a policy that does not parse is reported and left out.
fn compile_levels(
    levels: Option<&Vec<Vec<(String, Value)>>>,
    what: &str,
    unknowns: &mut Vec<Unknown>,
) -> Vec<Vec<Policy>> {
    let Some(levels) = levels else {
        return Vec::new();
    };
    levels
        .iter()
        .map(|level| {
            level
                .iter()
                .filter_map(|(id, doc)| match Policy::parse(id.clone(), doc) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        unknowns.push(Unknown {
                            address: id.clone(),
                            what: what.into(),
                            reason: format!(
                                "the {} does not parse ({e}); evaluated without it",
                                what.to_uppercase()
                            ),
                        });
                        None
                    }
                })
                .collect()
        })
        .collect()
}

/// A principal whose policies are evaluated together: a role, user or group of the plan, a
/// user or group the plan names, or (with `--lake`) a deployed role the plan changes.
#[derive(Debug)]
struct Principal {
    kind: Kind,
    /// Its instance in the plan, if it is in the plan.
    inst: Option<usize>,
    name: Option<String>,
    /// Where findings are reported: the principal's address, else (outside the plan) the
    /// first resource that reaches it, or a deployed role's ARN.
    address: String,
    /// Created, replaced or its boundary changed: every grant of it counts as new.
    changed_all: bool,
    sources: Vec<Source>,
    boundary: Option<Source>,
    /// The policies before this change, when known: (identity, boundary).
    before: Option<(Vec<Source>, Option<Source>)>,
}

struct Ctx<'a> {
    plan: &'a Plan,
    managed: &'a ManagedPolicies,
    deployed: Option<&'a Deployed>,
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
        let lake_doc = || self.deployed.and_then(|d| d.policies.get(arn));
        let doc = match self.managed.get(arn).or_else(lake_doc) {
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

    /// The principals a name attribute (`role`, `users`, ...) names.
    fn principal_targets(
        &self,
        inst: &Instance,
        key: &str,
        kind: Kind,
        principals: &[Principal],
    ) -> Vec<PrincipalRef> {
        let by_name = |name: &str| {
            principals
                .iter()
                .find(|r| r.kind == kind && r.inst.is_some() && r.name.as_deref() == Some(name))
                .and_then(|r| r.inst)
                .map_or_else(
                    || PrincipalRef::Named(kind, name.to_string()),
                    PrincipalRef::InPlan,
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
                        _ => out.push(self.unknown_principal(inst, key, kind, principals)),
                    }
                }
                out
            }
            Attr::Known(_) | Attr::Absent => Vec::new(),
            Attr::Unknown => {
                let targets = self.ref_targets(inst, key, kind.rtype(), false);
                let in_plan: Vec<PrincipalRef> = targets
                    .iter()
                    .filter(|t| principals.iter().any(|r| r.inst == Some(**t)))
                    .map(|t| PrincipalRef::InPlan(*t))
                    .collect();
                if !in_plan.is_empty() && in_plan.len() == targets.len() {
                    in_plan
                } else {
                    vec![PrincipalRef::Unknown(
                        kind,
                        format!(
                            "{key} is known only after apply and does not reference a {} of this plan",
                            kind.as_str()
                        ),
                    )]
                }
            }
        }
    }

    fn unknown_principal(
        &self,
        inst: &Instance,
        key: &str,
        kind: Kind,
        principals: &[Principal],
    ) -> PrincipalRef {
        let targets = self.ref_targets(inst, key, kind.rtype(), false);
        match targets.as_slice() {
            [t] if principals.iter().any(|r| r.inst == Some(*t)) => PrincipalRef::InPlan(*t),
            _ => {
                PrincipalRef::Unknown(kind, format!("an entry of {key} is known only after apply"))
            }
        }
    }

    /// Reads an `aws_iam_role` (name, inline policies, managed_policy_arns, boundary), an
    /// `aws_iam_user` (name, boundary) or an `aws_iam_group` (name).
    fn principal_info(&mut self, idx: usize, kind: Kind) -> Principal {
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
        // A principal the plan creates had nothing before; one it keeps or replaces had
        // what the lake recorded (roles only: the lake holds no users or groups).
        let before = if inst.change == ChangeKind::Create {
            Some((Vec::new(), None))
        } else {
            match (kind, &name, self.deployed) {
                (Kind::Role, Some(n), Some(d)) => d.roles.get(n).map(deployed_sources),
                _ => None,
            }
        };
        Principal {
            kind,
            inst: Some(idx),
            name,
            address: inst.address.clone(),
            changed_all,
            sources,
            boundary,
            before,
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

/// A subject to evaluate: a principal with all its planned policies, or one grant on its own.
struct Target<'s> {
    /// `role`, `user`, `group` or `policy`.
    kind: &'static str,
    address: String,
    role: Option<String>,
    role_address: Option<String>,
    /// For principal subjects: its kind, name (when known) and address in the plan.
    principal: Option<(Kind, Option<String>, Option<String>)>,
    sources: Vec<&'s Source>,
    boundary: Option<&'s Source>,
    /// The same subject before this change, when known: identity policies and boundary.
    before: Option<(Vec<&'s Source>, Option<&'s Source>)>,
    changed_all: bool,
    file: (Option<String>, Option<u32>),
}

/// The policies of a deployed role as sources: none of them is changed by the plan.
fn deployed_sources(role: &DeployedRole) -> (Vec<Source>, Option<Source>) {
    let source = |id: String, what: &str, doc: &Value, arn: Option<&str>| Source {
        id,
        address: role.arn.clone(),
        what: what.to_string(),
        doc: Doc::Known(doc.clone()),
        changed: false,
        aws_managed: arn.filter(|a| is_aws_managed_arn(a)).map(str::to_string),
        policy_inst: None,
        file: (None, None),
    };
    let mut sources: Vec<Source> = role
        .inline
        .iter()
        .map(|(n, doc)| {
            source(
                format!("{} inline_policy {n:?}", role.arn),
                "inline_policy",
                doc,
                None,
            )
        })
        .collect();
    sources.extend(
        role.managed
            .iter()
            .map(|(arn, doc)| source(arn.clone(), "policy_arn", doc, Some(arn))),
    );
    let boundary = role
        .boundary
        .as_ref()
        .map(|(arn, doc)| source(arn.clone(), "permissions_boundary", doc, Some(arn)));
    (sources, boundary)
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

/// The values of a finding's `change`: the state before the change did not allow the action.
pub(crate) const NEWLY_ALLOWED: &str = "newly_allowed";
/// It did: the finding is context, never a violation.
pub(crate) const ALREADY_ALLOWED: &str = "already_allowed";
/// The state before is not known (no deployed context for this subject); a statement the plan
/// adds or changes grants it.
pub(crate) const GRANTED_BY_CHANGE: &str = "granted_by_change";

/// Policies compiled for evaluation, with the sources they came from by policy id.
struct Compiled<'s> {
    identity: Vec<Policy>,
    boundary: Option<Policy>,
    by_id: HashMap<String, &'s Source>,
}

/// Parses the known documents of `sources` and `boundary` (the first source of an id wins);
/// unknown or unparsable ones go to `unknowns` when given.
fn compile<'s>(
    sources: &[&'s Source],
    boundary: Option<&'s Source>,
    mut unknowns: Option<&mut Vec<Unknown>>,
) -> Compiled<'s> {
    let mut record_unknown = |s: &Source, reason: String| {
        let Some(list) = unknowns.as_deref_mut() else {
            return;
        };
        let u = Unknown {
            address: s.address.clone(),
            what: s.what.clone(),
            reason,
        };
        if !list.contains(&u) {
            list.push(u);
        }
    };
    let mut out = Compiled {
        identity: Vec::new(),
        boundary: None,
        by_id: HashMap::new(),
    };
    for s in sources {
        if out.by_id.contains_key(&s.id) {
            continue;
        }
        match &s.doc {
            Doc::Known(v) => match Policy::parse(s.id.clone(), v) {
                Ok(p) => {
                    out.identity.push(p);
                    out.by_id.insert(s.id.clone(), s);
                }
                Err(e) => record_unknown(s, format!("the policy does not parse: {e}")),
            },
            Doc::Unknown(r) => record_unknown(s, r.clone()),
        }
    }
    if let Some(b) = boundary {
        match &b.doc {
            Doc::Known(v) => match Policy::parse(b.id.clone(), v) {
                Ok(p) => {
                    out.by_id.insert(b.id.clone(), b);
                    out.boundary = Some(p);
                }
                Err(e) => record_unknown(
                    b,
                    format!("the permissions boundary does not parse: {e}; evaluated without it"),
                ),
            },
            Doc::Unknown(r) => {
                record_unknown(
                    b,
                    format!("{r}; evaluated without the permissions boundary"),
                );
            }
        }
    }
    out
}

/// The decision that makes a finding: with the principals' account known, the action
/// allowed at `account` breadth or wider (every role of the account is as risky as `*`,
/// the snapshot's rule: docs/EVALUATION.md#grant-breadth), with the statements granting it
/// at that breadth; without it, allowed on any resource. `None` when not allowed so.
fn risky_decision(
    set: &PolicySet<'_>,
    action: &str,
    context: &Context,
    account: Option<&str>,
) -> Option<(eval::Decision, eval::Breadth)> {
    match account {
        Some(acct) => {
            let b = eval::evaluate_breadth(set, action, context, acct);
            let wide = b.breadth.filter(|w| *w >= eval::Breadth::Account)?;
            b.breadth_decision
                .is_allowed()
                .then(|| (b.decision_at_breadth().clone(), wide))
        }
        None => {
            let d = eval::evaluate(set, &Request::any(action, context));
            d.decision.is_allowed().then_some((d, eval::Breadth::Any))
        }
    }
}

/// Evaluates one subject for every sensitive action, after the change and (when known)
/// before it, under the account's guardrails (none without deployed context), for
/// principals of `account` when it is known.
fn evaluate_target(
    t: &Target<'_>,
    cfg: &PlanCheckConfig,
    account: Option<&str>,
    guard: &Guardrails,
    ctx_unknowns: &mut Vec<Unknown>,
    findings: &mut Vec<Finding>,
) -> usize {
    let after = compile(&t.sources, t.boundary, Some(ctx_unknowns));
    if after.identity.is_empty() {
        return 0;
    }
    let before = t
        .before
        .as_ref()
        .map(|(sources, boundary)| compile(sources, *boundary, None));
    let by_id = &after.by_id;
    let set = PolicySet {
        identity: &after.identity,
        boundary: after.boundary.as_ref(),
        scp_levels: &guard.scps,
        rcp_levels: &guard.rcps,
        ..PolicySet::default()
    };
    let context = &guard.context;
    for action in &cfg.sensitive_actions {
        let Some((d, breadth)) = risky_decision(&set, action, context, account) else {
            continue;
        };
        let allows: Vec<_> = d
            .matched_statements
            .iter()
            .filter(|m| m.layer == Layer::Identity && m.effect == eval::Effect::Allow)
            .collect();
        // A statement this plan adds or changes allows it.
        let by_change = allows
            .iter()
            .any(|m| by_id.get(&m.policy_id).is_some_and(|s| s.changed));
        let (change, before_decision) = match &before {
            Some(b) => {
                let before_set = PolicySet {
                    identity: &b.identity,
                    boundary: b.boundary.as_ref(),
                    scp_levels: &guard.scps,
                    rcp_levels: &guard.rcps,
                    ..PolicySet::default()
                };
                let bd = match risky_decision(&before_set, action, context, account) {
                    Some((bd, _)) => bd,
                    // Not allowed at the breadth that counts (so not on `*` either):
                    // the decision on `*` says how it was denied.
                    None => eval::evaluate(&before_set, &Request::any(action, context)),
                };
                if bd.decision.permissiveness() >= d.decision.permissiveness() {
                    // Already as allowed before: context when the change grants it again.
                    if !(by_change || cfg.check_all) {
                        continue;
                    }
                    (ALREADY_ALLOWED, Some(bd.decision))
                } else {
                    (NEWLY_ALLOWED, Some(bd.decision))
                }
            }
            // Only what this plan changes is flagged: an allow that only unchanged policies
            // give was there before (use check_all to see it).
            None if cfg.check_all || t.changed_all || by_change => (GRANTED_BY_CHANGE, None),
            None => continue,
        };
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
        let then = match (change, before_decision) {
            (NEWLY_ALLOWED, Some(b)) => {
                format!("; newly allowed (before this change: {})", b.as_str())
            }
            (NEWLY_ALLOWED, None) => "; newly allowed".to_string(),
            (ALREADY_ALLOWED, _) => "; already allowed before this change".to_string(),
            _ => String::new(),
        };
        let reach = match (breadth, account) {
            (eval::Breadth::Account, Some(a)) => {
                format!("allowed on every resource of its type in account {a} (breadth account)")
            }
            _ => "allowed on any resource".to_string(),
        };
        let why = format!("{reach}{cond} by {}{then}", why_parts.join(", "));
        // An SCP that allows is only the guardrail letting the grant through: not a cause.
        let matched = d
            .matched_statements
            .iter()
            .filter(|m| !(m.layer == Layer::Scp && m.effect == eval::Effect::Allow))
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
            principal_type: t.principal.as_ref().map(|p| p.0.as_str().to_string()),
            principal: t.principal.as_ref().and_then(|p| p.1.clone()),
            principal_address: t.principal.as_ref().and_then(|p| p.2.clone()),
            change: change.to_string(),
            before_decision: before_decision.map(|b| b.as_str().to_string()),
            breadth: account.map(|_| breadth.as_str().to_string()),
            matched_statements: matched,
            missing_context_keys: d.missing_context_keys.clone(),
            why,
            fixes,
            file: t.file.0.clone(),
            line: t.file.1,
        });
    }
    after.identity.len()
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
    deployed: Option<&Deployed>,
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
        deployed,
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
    let principal_kind = |rtype: &str| match rtype {
        "aws_iam_role" | "aws_iam_role_policy" | "aws_iam_role_policy_attachment" => {
            Some(Kind::Role)
        }
        "aws_iam_user" | "aws_iam_user_policy" | "aws_iam_user_policy_attachment" => {
            Some(Kind::User)
        }
        "aws_iam_group" | "aws_iam_group_policy" | "aws_iam_group_policy_attachment" => {
            Some(Kind::Group)
        }
        _ => None,
    };

    // Roles, users and groups in the planned state.
    let mut principals: Vec<Principal> = Vec::new();
    for (n, i) in plan.instances.iter().enumerate() {
        if let Some(kind) = principal_kind(&i.rtype)
            && i.rtype == kind.rtype()
            && live(i)
        {
            principals.push(ctx.principal_info(n, kind));
        }
    }

    // Grants from separate resources, and group memberships.
    let mut grants: Vec<Grant> = Vec::new();
    let mut memberships: Vec<Membership> = Vec::new();
    for (from, inst) in plan.instances.iter().enumerate() {
        if !live(inst) {
            continue;
        }
        let changed = inst.change.is_change() || cfg.check_all;
        let kind = principal_kind(&inst.rtype);
        match inst.rtype.as_str() {
            "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy" => {
                let kind = kind.expect("a principal's policy");
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
                for target in ctx.principal_targets(inst, kind.as_str(), kind, &principals) {
                    grants.push(Grant {
                        source: source.clone(),
                        target,
                        from,
                    });
                }
            }
            "aws_iam_role_policy_attachment"
            | "aws_iam_user_policy_attachment"
            | "aws_iam_group_policy_attachment"
            | "aws_iam_policy_attachment" => {
                let Some(source) = ctx.arn_attr_source(inst, "policy_arn", changed) else {
                    ctx.unknown(&inst.address, "policy_arn", "policy_arn is not set");
                    continue;
                };
                let keys = match kind {
                    Some(k) => vec![(k.as_str(), k)],
                    None => vec![
                        ("roles", Kind::Role),
                        ("users", Kind::User),
                        ("groups", Kind::Group),
                    ],
                };
                for (key, kind) in keys {
                    for target in ctx.principal_targets(inst, key, kind, &principals) {
                        grants.push(Grant {
                            source: source.clone(),
                            target,
                            from,
                        });
                    }
                }
            }
            "aws_iam_group_membership" | "aws_iam_user_group_membership" => {
                let (one_key, one_kind, list_key, list_kind) =
                    if inst.rtype == "aws_iam_group_membership" {
                        ("group", Kind::Group, "users", Kind::User)
                    } else {
                        ("user", Kind::User, "groups", Kind::Group)
                    };
                let before: Vec<&str> = strings(inst.before.get(list_key));
                let names: Vec<Option<&str>> = match inst.after.get(list_key) {
                    Some(Value::Array(a)) => a.iter().map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let listed = ctx.principal_targets(inst, list_key, list_kind, &principals);
                for one in ctx.principal_targets(inst, one_key, one_kind, &principals) {
                    for (i, other) in listed.iter().enumerate() {
                        // A pair already in the membership before this change is not new.
                        let was = names
                            .get(i)
                            .copied()
                            .flatten()
                            .is_some_and(|n| before.contains(&n))
                            && inst.change == ChangeKind::Update;
                        let (user, group) = if one_kind == Kind::User {
                            (one.clone(), other.clone())
                        } else {
                            (other.clone(), one.clone())
                        };
                        memberships.push(Membership {
                            user,
                            group,
                            changed: changed && !was,
                            address: inst.address.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    // Attach grants to their principals: those of the plan, users and groups it names, and
    // (with deployed context) roles of the lake, which get their deployed policies with this
    // plan's changes applied.
    let mut lake_roles: BTreeMap<String, LakeRole> = BTreeMap::new();
    let mut standalone: Vec<&Grant> = Vec::new();
    for g in &grants {
        match &g.target {
            PrincipalRef::InPlan(r) => {
                if let Some(role) = principals.iter_mut().find(|x| x.inst == Some(*r)) {
                    role.sources.push(g.source.clone());
                }
            }
            PrincipalRef::Named(Kind::Role, n) => match deployed {
                Some(d) if d.roles.contains_key(n) && !g.source.changed => {
                    // Unchanged by this plan: deployed before and after (the snapshot may
                    // predate it).
                    lake_roles
                        .entry(n.clone())
                        .or_default()
                        .kept
                        .push(g.source.clone());
                }
                Some(d) if d.roles.contains_key(n) => {
                    let inst = &plan.instances[g.from];
                    let lr = lake_roles.entry(n.clone()).or_default();
                    if inst.rtype == "aws_iam_role_policy"
                        && let Attr::Known(Value::String(pname)) = inst.attr("name")
                    {
                        // Putting an inline policy replaces the one of that name.
                        lr.removed
                            .insert(format!("{} inline_policy {pname:?}", d.roles[n].arn));
                    }
                    if let Attr::Known(Value::String(arn)) = inst.attr("policy_arn")
                        && g.source.policy_inst.is_some()
                    {
                        // The plan's document of an existing policy replaces the lake's.
                        lr.removed.insert(arn.clone());
                    }
                    lr.added.push(g.source.clone());
                }
                Some(d) => {
                    ctx.unknown(
                        &g.source.address,
                        "role",
                        format!(
                            "role {n} is not in lake {} snapshot {} of account {}: its policy is checked on its own, without the role's other policies",
                            d.lake, d.snapshot_date, d.account_id
                        ),
                    );
                    standalone.push(g);
                }
                None => standalone.push(g),
            },
            PrincipalRef::Named(kind, n) => {
                named_principal(&mut principals, *kind, n, &g.source.address)
                    .sources
                    .push(g.source.clone());
            }
            PrincipalRef::Unknown(kind, reason) => {
                ctx.unknown(&g.source.address, kind.as_str(), reason.clone());
                standalone.push(g);
            }
        }
    }

    // Users get the policies of the groups they are (or become) members of.
    let mut pairs: Vec<(usize, usize, bool)> = Vec::new();
    for m in &memberships {
        let mut index = |t: &PrincipalRef, kind: Kind| match t {
            PrincipalRef::InPlan(i) => principals.iter().position(|r| r.inst == Some(*i)),
            PrincipalRef::Named(_, n) => {
                named_principal(&mut principals, kind, n, &m.address);
                principals.iter().position(|r| {
                    r.kind == kind && r.inst.is_none() && r.name.as_deref() == Some(n)
                })
            }
            PrincipalRef::Unknown(_, reason) => {
                ctx.unknown(&m.address, kind.as_str(), reason.clone());
                None
            }
        };
        if let (Some(u), Some(g)) = (index(&m.user, Kind::User), index(&m.group, Kind::Group)) {
            pairs.push((u, g, m.changed));
        }
    }
    for (u, g, changed) in pairs {
        let from_group: Vec<Source> = principals[g]
            .sources
            .iter()
            .map(|s| Source {
                changed: s.changed || changed || principals[g].changed_all,
                ..s.clone()
            })
            .collect();
        principals[u].sources.extend(from_group);
    }

    // What the plan does not change was there before too, even where the snapshot predates it.
    for p in &mut principals {
        if let Some((before, _)) = &mut p.before {
            before.extend(p.sources.iter().filter(|s| !s.changed).cloned());
        }
    }

    // Deployed roles changed by this plan without a grant: policies detached or deleted, and
    // customer policies whose document the plan changes.
    let mut via_lake: BTreeSet<usize> = BTreeSet::new();
    if let Some(d) = deployed {
        for (n, inst) in plan.instances.iter().enumerate() {
            if inst.data {
                continue;
            }
            let gone = inst.change == ChangeKind::Delete;
            let names = |key: &str, side: &Value| -> Vec<String> {
                strings(side.get(key))
                    .into_iter()
                    .filter(|r| d.roles.contains_key(*r))
                    .map(str::to_string)
                    .collect()
            };
            match inst.rtype.as_str() {
                // Deleted, or replaced (its old name goes; the grant puts the new one).
                "aws_iam_role_policy" if gone || inst.change == ChangeKind::Replace => {
                    if let Some(pname) = inst.before.get("name").and_then(Value::as_str) {
                        for r in names("role", &inst.before) {
                            let id = format!("{} inline_policy {pname:?}", d.roles[&r].arn);
                            lake_roles.entry(r).or_default().removed.insert(id);
                        }
                    }
                }
                "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                    let key = if inst.rtype == "aws_iam_policy_attachment" {
                        "roles"
                    } else {
                        "role"
                    };
                    let Some(arn) = inst.before.get("policy_arn").and_then(Value::as_str) else {
                        continue;
                    };
                    let after = if gone {
                        Vec::new()
                    } else {
                        names(key, &inst.after)
                    };
                    // A replacement with another policy detaches the old one everywhere.
                    let same_arn = inst.after.get("policy_arn") == inst.before.get("policy_arn");
                    for r in names(key, &inst.before) {
                        if !same_arn || !after.contains(&r) {
                            lake_roles
                                .entry(r)
                                .or_default()
                                .removed
                                .insert(arn.to_string());
                        }
                    }
                }
                // Provider 5.x resources that make a role's set of managed or inline policies
                // exactly the listed ones: every other deployed one is detached or deleted.
                "aws_iam_role_policy_attachments_exclusive" | "aws_iam_role_policies_exclusive"
                    if inst.change.is_change() =>
                {
                    let managed = inst.rtype == "aws_iam_role_policy_attachments_exclusive";
                    let key = if managed {
                        "policy_arns"
                    } else {
                        "policy_names"
                    };
                    if is_unknown(&inst.after_unknown, &[PathSeg::Key(key)]) {
                        ctx.unknown(
                            &inst.address,
                            key,
                            format!("{key} is known only after apply"),
                        );
                        continue;
                    }
                    let keep = strings(inst.after.get(key));
                    for r in names("role_name", &inst.after) {
                        let role = &d.roles[&r];
                        let gone: Vec<String> = if managed {
                            role.managed
                                .iter()
                                .filter(|(a, _)| !keep.contains(&a.as_str()))
                                .map(|(a, _)| a.clone())
                                .collect()
                        } else {
                            role.inline
                                .iter()
                                .filter(|(n, _)| !keep.contains(&n.as_str()))
                                .map(|(n, _)| format!("{} inline_policy {n:?}", role.arn))
                                .collect()
                        };
                        lake_roles.entry(r).or_default().removed.extend(gone);
                    }
                }
                "aws_iam_policy"
                    if matches!(inst.change, ChangeKind::Update | ChangeKind::Replace) =>
                {
                    let Some(arn) = inst.before.get("arn").and_then(Value::as_str) else {
                        continue;
                    };
                    for (r, role) in &d.roles {
                        let attached = role.managed.iter().any(|(a, _)| a == arn);
                        let bounds = role.boundary.as_ref().is_some_and(|(a, _)| a == arn);
                        if !(attached || bounds) {
                            continue;
                        }
                        via_lake.insert(n);
                        let source = ctx.policy_inst_source(n, inst, "policy", true);
                        let lr = lake_roles.entry(r.clone()).or_default();
                        if attached {
                            lr.removed.insert(arn.to_string());
                            lr.added.push(source.clone());
                        }
                        if bounds {
                            lr.boundary = Some(source);
                        }
                    }
                }
                _ => {}
            }
        }
        for (name, lr) in lake_roles.iter().filter(|(_, lr)| lr.touched()) {
            let role = &d.roles[name];
            let (mut before, boundary) = deployed_sources(role);
            before.extend(lr.kept.iter().cloned());
            let mut sources: Vec<Source> = before
                .iter()
                .filter(|s| !lr.removed.contains(&s.id))
                .cloned()
                .collect();
            sources.extend(lr.added.iter().cloned());
            principals.push(Principal {
                kind: Kind::Role,
                inst: None,
                name: Some(name.clone()),
                address: role.arn.clone(),
                changed_all: false,
                sources,
                boundary: lr.boundary.clone().or_else(|| boundary.clone()),
                before: Some((before, boundary)),
            });
        }
    }

    // Policies of this plan that no grant in the plan brings in: checked on their own.
    let granted: BTreeSet<usize> = grants
        .iter()
        .filter_map(|g| g.source.policy_inst)
        .chain(principals.iter().flat_map(|r| {
            // A boundary policy is a limit, not a grant: never check it as an identity policy.
            r.sources
                .iter()
                .chain(r.boundary.iter())
                .filter_map(|s| s.policy_inst)
        }))
        .chain(via_lake)
        .collect();
    let mut lone_policies: Vec<(Source, Option<Vec<Source>>)> = Vec::new();
    for (n, inst) in plan.instances.iter().enumerate() {
        if inst.rtype == "aws_iam_policy" && live(inst) && !granted.contains(&n) {
            let source = ctx.policy_inst_source(n, inst, "policy", inst.change.is_change());
            // What the policy allowed before: nothing when it is new, else its old document.
            let before = match inst.change {
                ChangeKind::Create => Some(Vec::new()),
                ChangeKind::Update => match doc_of_value(&inst.before["policy"]) {
                    doc @ Doc::Known(_) => Some(vec![Source {
                        doc,
                        changed: false,
                        ..source.clone()
                    }]),
                    Doc::Unknown(_) => None,
                },
                _ => None,
            };
            lone_policies.push((source, before));
        }
    }

    let mut findings = Vec::new();
    let mut checked = Vec::new();
    let mut unknowns = std::mem::take(&mut ctx.unknowns);
    let mut targets: Vec<Target<'_>> = Vec::new();
    for r in &principals {
        let lake_role = r.inst.is_none() && r.kind == Kind::Role;
        if !(lake_role || r.changed_all || r.sources.iter().any(|s| s.changed)) {
            continue;
        }
        let in_plan = r.inst.map(|i| plan.instances[i].address.clone());
        targets.push(Target {
            kind: r.kind.as_str(),
            address: r.address.clone(),
            role: (r.kind == Kind::Role).then(|| r.name.clone()).flatten(),
            role_address: if r.kind == Kind::Role {
                in_plan.clone()
            } else {
                None
            },
            principal: Some((r.kind, r.name.clone(), in_plan)),
            sources: r.sources.iter().collect(),
            boundary: r.boundary.as_ref(),
            before: r
                .before
                .as_ref()
                .map(|(s, b)| (s.iter().collect(), b.as_ref())),
            changed_all: r.changed_all,
            file: r.inst.map_or((None, None), |i| {
                config_file(plan.config_of(&plan.instances[i]))
            }),
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
                PrincipalRef::Named(Kind::Role, n) => Some(n.clone()),
                _ => None,
            },
            role_address: None,
            principal: None,
            sources: vec![&g.source],
            boundary: None,
            before: None,
            changed_all: false,
            file: g.source.file.clone(),
        });
    }
    for (s, before) in &lone_policies {
        if !s.changed {
            continue;
        }
        targets.push(Target {
            kind: "policy",
            address: s.address.clone(),
            role: None,
            role_address: None,
            principal: None,
            sources: vec![s],
            boundary: None,
            before: before.as_ref().map(|b| (b.iter().collect(), None)),
            changed_all: false,
            file: s.file.clone(),
        });
    }
    let guard = Guardrails::new(deployed, &mut unknowns);
    // Whose grants these are: the deployed context's account, else the one account the
    // plan's ARNs name. Without one, only grants on any resource can be judged.
    let account: Option<String> = match deployed {
        Some(d) => Some(d.account_id.clone()),
        None => {
            let named = crate::plan::plan_accounts(plan_json, plan_path)?;
            (named.len() == 1)
                .then(|| named.into_iter().next())
                .flatten()
        }
    };
    for t in &targets {
        let n = evaluate_target(
            t,
            &cfg,
            account.as_deref(),
            &guard,
            &mut unknowns,
            &mut findings,
        );
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
    let mut already_allowed = Vec::new();
    let mut expired_hits: Vec<usize> = vec![0; overrides.entries().len()];
    for f in findings {
        // What the principal could already do is context: it never fails the check.
        if f.change == ALREADY_ALLOWED {
            already_allowed.push(f);
            continue;
        }
        if f.decision == DecisionKind::ConditionallyAllowed.as_str() && !cfg.fail_on_conditional {
            warnings.push(f);
            continue;
        }
        let mut addresses = vec![f.address.clone()];
        addresses.extend(f.role_address.iter().cloned());
        addresses.extend(f.principal_address.iter().cloned());
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

    // Names AWS does not know grant nothing, silently: the changed documents are checked
    // against the bundled service model.
    let mut lints = Vec::new();
    if let Ok(model) = eval::ServiceModel::try_bundled() {
        let mut seen = BTreeSet::new();
        for src in targets.iter().flat_map(|t| t.sources.iter()) {
            if !src.changed || !seen.insert(src.id.as_str()) {
                continue;
            }
            if let Doc::Known(doc) = &src.doc {
                lints.extend(model.lint_document(doc).into_iter().map(|l| PolicyLint {
                    address: src.address.clone(),
                    policy: src.id.clone(),
                    path: l.path,
                    message: l.lint.to_string(),
                }));
            }
        }
    }

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
        already_allowed,
        expired_overrides,
        unknowns,
        lints,
        deployed: deployed.map(|d| DeployedContext {
            lake: d.lake.clone(),
            snapshot_date: d.snapshot_date,
            account_id: d.account_id.clone(),
            roles: targets
                .iter()
                .filter(|t| t.kind == "role" && t.before.is_some())
                .filter_map(|t| t.role.clone())
                .filter(|n| d.roles.contains_key(n))
                .collect(),
            scps: d.scp_levels.as_ref().map(|l| l.iter().map(Vec::len).sum()),
            rcps: d.rcp_levels.as_ref().map(|l| l.iter().map(Vec::len).sum()),
        }),
    })
}
