//! Evaluation of a request against a role's policies (identity, permissions boundary, session
//! policy, SCPs, RCPs), following AWS's documented order: explicit deny anywhere wins; then
//! every gate (each RCP level, each SCP level, the boundary, the session policy, the identity
//! policies) must have an Allow.

use std::borrow::Cow;
use std::iter;

use serde::Serialize;

use crate::eval::breadth::Breadth;
use crate::eval::condition::Tri;
use crate::eval::context::Context;
use crate::eval::policy::{Effect, Policy, Prepared, RequestResource, Statement};

/// Which kind of policy a statement came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Identity,
    Boundary,
    Scp,
    /// A resource control policy (AWS Organizations), next to the SCPs.
    Rcp,
    /// The session policy passed when the role's session was created.
    Session,
    /// A resource-based policy (bucket policy, KMS key policy, role trust policy).
    Resource,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Identity => "identity",
            Layer::Boundary => "boundary",
            Layer::Scp => "scp",
            Layer::Rcp => "rcp",
            Layer::Session => "session",
            Layer::Resource => "resource",
        }
    }
}

/// The outcome of an evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Allowed,
    ConditionallyAllowed,
    ImplicitDeny,
    ExplicitDeny,
}

impl DecisionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Allowed => "allowed",
            DecisionKind::ConditionallyAllowed => "conditionally_allowed",
            DecisionKind::ImplicitDeny => "implicit_deny",
            DecisionKind::ExplicitDeny => "explicit_deny",
        }
    }

    /// Rank by permissiveness: explicit_deny 0 < implicit_deny 1 < conditionally_allowed 2 <
    /// allowed 3.
    pub fn permissiveness(self) -> u8 {
        match self {
            DecisionKind::ExplicitDeny => 0,
            DecisionKind::ImplicitDeny => 1,
            DecisionKind::ConditionallyAllowed => 2,
            DecisionKind::Allowed => 3,
        }
    }

    /// Allowed or conditionally allowed.
    pub fn is_allowed(self) -> bool {
        matches!(
            self,
            DecisionKind::Allowed | DecisionKind::ConditionallyAllowed
        )
    }
}

/// A statement that contributed to a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    pub policy_id: String,
    pub layer: Layer,
    /// 0-based position in the policy's `Statement` list.
    pub statement_index: u32,
    pub sid: Option<String>,
    pub effect: Effect,
    /// True when the statement matched only Unknown (it depends on missing context keys).
    pub conditional: bool,
}

/// The result of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub decision: DecisionKind,
    /// The deciding layer: the layer of the explicit deny (the first in RCP, SCP, boundary,
    /// session, identity order when several deny), the gate that had no Allow (identity
    /// when nothing allows at all), `identity` when allowed, and for conditionally_allowed the
    /// first layer (in the same order) whose unknown deny or unknown-only allows
    /// made it conditional.
    pub decided_by: Option<Layer>,
    pub matched_statements: Vec<MatchedStatement>,
    /// Sorted, deduplicated context keys whose absence made the decision conditional.
    pub missing_context_keys: Vec<String>,
}

/// One request: an action on a resource with a context.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// `service:action`, any case.
    pub action: &'a str,
    pub resource: RequestResource,
    pub context: &'a Context,
}

impl<'a> Request<'a> {
    /// `action` on any resource.
    pub fn any(action: &'a str, context: &'a Context) -> Request<'a> {
        Request {
            action,
            resource: RequestResource::Any,
            context,
        }
    }

    /// `action` on the resource `arn`.
    pub fn on(action: &'a str, arn: impl Into<String>, context: &'a Context) -> Request<'a> {
        Request {
            action,
            resource: RequestResource::Arn(arn.into()),
            context,
        }
    }
}

/// The answer of [`evaluate_breadth`] for one action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreadthDecision {
    /// The decision on any resource (`*`), exactly as [`evaluate`] gives it.
    pub any: Decision,
    /// The widest breadth at which the action is allowed (or conditionally
    /// allowed); `None` when it is allowed at none.
    pub breadth: Option<Breadth>,
    /// The decision at `breadth`; without one, the decision at the narrowest
    /// breadth asked (`specific`, or `*` when no gate names the action).
    pub breadth_decision: DecisionKind,
    /// The whole decision at `breadth` (its statements: what grants it) when
    /// it is not the decision on `*` (see [`BreadthDecision::decision_at_breadth`]).
    pub at_breadth: Option<Decision>,
}

impl BreadthDecision {
    /// Allowed outright at `account` breadth or wider: what makes a role risky.
    pub fn is_risky(&self) -> bool {
        self.breadth >= Some(Breadth::Account) && self.breadth_decision == DecisionKind::Allowed
    }

    /// The decision at `breadth`, with the statements that grant it.
    pub fn decision_at_breadth(&self) -> &Decision {
        self.at_breadth.as_ref().unwrap_or(&self.any)
    }
}

/// Evaluates `action` for a principal of `account` on any resource, then, if
/// that is not allowed, at each breadth from the widest down until one is:
/// the widest breadth the grant reaches (see [`crate::eval::breadth`]). The
/// decision on `*` keeps its own rule (docs/EVALUATION.md, "any resource"),
/// so that it stays comparable across schema versions; the breadth `any`
/// also counts grants such as `arn:aws:iam::*:role/*` that reach every role
/// of every account. When no gate
/// could allow the action at all (no Allow statement names it in some gate),
/// the narrower questions are skipped: they cannot be allowed either.
pub fn evaluate_breadth(
    set: &PolicySet<'_>,
    action: &str,
    context: &Context,
    account: &str,
) -> BreadthDecision {
    // Lower-cased once: every question below then borrows it (`evaluate`
    // would lower-case the action again, allocating, for each of them).
    let action_lc = lower_action(action);
    let action = action_lc.as_ref();
    let any = evaluate(set, &Request::any(action, context));
    if any.decision.is_allowed() {
        return BreadthDecision {
            breadth: Some(Breadth::Any),
            breadth_decision: any.decision,
            at_breadth: None,
            any,
        };
    }
    if any.decision == DecisionKind::ImplicitDeny && !every_gate_names(set, action) {
        return BreadthDecision {
            breadth: None,
            breadth_decision: any.decision,
            at_breadth: None,
            any,
        };
    }
    // No breadth wider than the widest identity Allow statement naming the
    // action can be allowed: start the questions there (a reach is worked
    // out once per resource list, action and account, then shared).
    let probe = RequestResource::Any;
    let prep = Prepared {
        action_lc: action,
        service_lc: action.split_once(':').map_or("", |(s, _)| s),
        resource: &probe,
        context,
    };
    let widest = set
        .identity
        .iter()
        .flat_map(|p| p.compiled_statements())
        .filter(|s| s.effect == Effect::Allow && s.action_matches(action))
        .filter_map(|s| s.reach(&prep, account))
        .max();
    let mut last = any.decision;
    for level in Breadth::WIDEST_FIRST
        .iter()
        .filter(|l| widest.is_some_and(|w| **l <= w))
    {
        let d = evaluate(
            set,
            &Request {
                action,
                resource: RequestResource::Breadth {
                    level: *level,
                    account: account.to_string(),
                },
                context,
            },
        );
        if d.decision.is_allowed() {
            return BreadthDecision {
                breadth: Some(*level),
                breadth_decision: d.decision,
                at_breadth: Some(d),
                any,
            };
        }
        last = d.decision;
    }
    BreadthDecision {
        breadth: None,
        breadth_decision: last,
        at_breadth: None,
        any,
    }
}

/// Does every gate have an Allow statement whose actions match `action_lc`
/// (whatever its resources and conditions)?
fn every_gate_names(set: &PolicySet<'_>, action_lc: &str) -> bool {
    let rcps = rcp_applies(action_lc.split_once(':').map_or("", |(s, _)| s));
    gates(set).all(|(layer, policies)| {
        (layer == Layer::Rcp && !rcps)
            || policies.iter().any(|p| {
                p.compiled_statements()
                    .iter()
                    .any(|s| s.effect == Effect::Allow && s.action_matches(action_lc))
            })
    })
}

/// The policies that apply to a role. Build it with `..PolicySet::default()` for the layers
/// a caller does not have (the snapshot has no RCPs or session policies: absent layers cost
/// nothing).
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicySet<'a> {
    /// Inline and managed identity policies.
    pub identity: &'a [Policy],
    pub boundary: Option<&'a Policy>,
    /// SCP levels, root first; each level must allow (at least one of its policies).
    pub scp_levels: &'a [Vec<Policy>],
    /// RCP levels of the resource's account, root first; each level must allow. AWS attaches
    /// `RCPFullAWSAccess` (allow everything) to every level and it cannot be detached, so a
    /// caller modelling a real organization includes it (the request file does, see
    /// [`crate::eval::SimulateRequest`]). Applied only to actions of the services RCPs
    /// support ([`rcp_applies`]).
    pub rcp_levels: &'a [Vec<Policy>],
    /// The session policy: a gate like the boundary.
    pub session: Option<&'a Policy>,
}

/// The services whose resources RCPs apply to (AWS Organizations user guide, "Resource control
/// policies (RCPs)", "List of AWS services that support RCPs"); for other services' actions
/// RCPs are not evaluated.
const RCP_SERVICES: [&str; 10] = [
    "s3",
    "sts",
    "sqs",
    "kms",
    "secretsmanager",
    "cognito-identity",
    "ecr",
    "aoss",
    "dynamodb",
    "logs",
];

/// Do RCPs apply to an action of `service_lc` (lower case)?
pub fn rcp_applies(service_lc: &str) -> bool {
    RCP_SERVICES.contains(&service_lc)
}

/// The gates in evaluation order.
fn gates<'s>(set: &PolicySet<'s>) -> impl Iterator<Item = (Layer, &'s [Policy])> + use<'s> {
    set.rcp_levels
        .iter()
        .map(|l| (Layer::Rcp, l.as_slice()))
        .chain(set.scp_levels.iter().map(|l| (Layer::Scp, l.as_slice())))
        .chain(
            set.boundary
                .map(|b| (Layer::Boundary, std::slice::from_ref(b))),
        )
        .chain(
            set.session
                .map(|b| (Layer::Session, std::slice::from_ref(b))),
        )
        .chain(iter::once((Layer::Identity, set.identity)))
}

struct Hit<'p> {
    gate: usize,
    layer: Layer,
    policy: &'p Policy,
    index: usize,
    stmt: &'p Statement,
    conditional: bool,
    keys: std::ops::Range<usize>,
}

impl Hit<'_> {
    fn to_matched(&self) -> MatchedStatement {
        MatchedStatement {
            policy_id: self.policy.id().to_string(),
            layer: self.layer,
            statement_index: u32::try_from(self.index).unwrap_or(u32::MAX),
            sid: self.stmt.sid.clone(),
            effect: self.stmt.effect,
            conditional: self.conditional,
        }
    }
}

fn lower_action(action: &str) -> Cow<'_, str> {
    if action
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(action.to_lowercase())
    } else {
        Cow::Borrowed(action)
    }
}

/// Evaluates `req` against the policies in `set`.
pub fn evaluate(set: &PolicySet<'_>, req: &Request<'_>) -> Decision {
    let action_lc = lower_action(req.action);
    let service_lc = action_lc.split_once(':').map_or("", |(s, _)| s);
    let without_rcps;
    let set = if set.rcp_levels.is_empty() || rcp_applies(service_lc) {
        set
    } else {
        without_rcps = PolicySet {
            rcp_levels: &[],
            ..*set
        };
        &without_rcps
    };
    if action_lc == "sts:getcalleridentity" {
        // AWS: "No permissions are required to perform this operation", and an
        // explicit deny does not stop it (STS API reference, GetCallerIdentity).
        return Decision {
            decision: DecisionKind::Allowed,
            decided_by: None,
            matched_statements: Vec::new(),
            missing_context_keys: Vec::new(),
        };
    }
    let prep = Prepared {
        action_lc: &action_lc,
        service_lc,
        resource: &req.resource,
        context: req.context,
    };
    let mut missing: Vec<&str> = Vec::new();

    // 1. Explicit denies, anywhere.
    let mut true_denies: Vec<Hit<'_>> = Vec::new();
    let mut unknown_denies: Vec<Hit<'_>> = Vec::new();
    for (gate, (layer, policies)) in gates(set).enumerate() {
        for policy in policies {
            for (index, stmt) in policy.compiled_statements().iter().enumerate() {
                if stmt.effect != Effect::Deny {
                    continue;
                }
                let start = missing.len();
                let r = stmt.matches(&prep, &mut missing);
                let hit = |conditional| Hit {
                    gate,
                    layer,
                    policy,
                    index,
                    stmt,
                    conditional,
                    keys: start..missing.len(),
                };
                match r {
                    Tri::True => true_denies.push(hit(false)),
                    Tri::Unknown => unknown_denies.push(hit(true)),
                    Tri::False => {}
                }
            }
        }
    }
    if let Some(first) = true_denies.first() {
        return Decision {
            decision: DecisionKind::ExplicitDeny,
            decided_by: Some(first.layer),
            matched_statements: true_denies.iter().map(Hit::to_matched).collect(),
            missing_context_keys: Vec::new(),
        };
    }

    // 2. Every gate must have an Allow (True or Unknown).
    let mut allows: Vec<Hit<'_>> = Vec::new();
    // Per gate: (layer, had a True allow, had an Unknown allow).
    let mut first_fail: Option<Layer> = None;
    let mut any_allow = false;
    let mut gate_true: Vec<bool> = Vec::new();
    let mut conditional_layer: Option<Layer> = unknown_denies.first().map(|h| h.layer);
    for (gate, (layer, policies)) in gates(set).enumerate() {
        let (mut t, mut u) = (false, false);
        for policy in policies {
            for (index, stmt) in policy.compiled_statements().iter().enumerate() {
                if stmt.effect != Effect::Allow {
                    continue;
                }
                let start = missing.len();
                let r = stmt.matches(&prep, &mut missing);
                let conditional = match r {
                    Tri::True => false,
                    Tri::Unknown => true,
                    Tri::False => continue,
                };
                t |= !conditional;
                u |= conditional;
                allows.push(Hit {
                    gate,
                    layer,
                    policy,
                    index,
                    stmt,
                    conditional,
                    keys: start..missing.len(),
                });
            }
        }
        if !t && !u {
            first_fail.get_or_insert(layer);
        } else {
            any_allow = true;
        }
        if !t && u && conditional_layer.is_none() {
            conditional_layer = Some(layer);
        }
        gate_true.push(t);
    }
    if let Some(layer) = first_fail {
        return Decision {
            decision: DecisionKind::ImplicitDeny,
            decided_by: Some(if any_allow { layer } else { Layer::Identity }),
            matched_statements: Vec::new(),
            missing_context_keys: Vec::new(),
        };
    }

    // 3. Allowed, possibly only conditionally. A gate with a True allow is reported by its True
    // allows; a gate with only Unknown allows by those, and their keys are the missing ones.
    let contributing = allows
        .iter()
        .filter(|h| gate_true.get(h.gate).copied().unwrap_or(false) != h.conditional)
        .chain(unknown_denies.iter());
    let mut matched_statements = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for h in contributing {
        matched_statements.push(h.to_matched());
        if h.conditional {
            keys.extend(missing[h.keys.clone()].iter().map(|k| (*k).to_string()));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    let (decision, decided_by) = match conditional_layer {
        None => (DecisionKind::Allowed, Layer::Identity),
        Some(l) => (DecisionKind::ConditionallyAllowed, l),
    };
    Decision {
        decision,
        decided_by: Some(decided_by),
        matched_statements,
        missing_context_keys: keys,
    }
}
