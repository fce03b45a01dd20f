//! Evaluation of a request against a role's policies (identity, permissions boundary, session
//! policy, SCPs, RCPs), following AWS's documented order: explicit deny anywhere wins; then
//! every gate (each RCP level, each SCP level, the boundary, the session policy, the identity
//! policies) must have an Allow.

use std::borrow::Cow;
use std::iter;

use serde::Serialize;
use smallvec::{SmallVec, smallvec};

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
    breadth_with(&mut Naming::default(), set, action, context, account)
}

/// [`evaluate_breadth`] for each of `actions`, in order. The snapshot asks
/// every principal its sensitive actions this way: one buffer of candidate
/// statements serves them all, instead of two allocations per action.
pub fn evaluate_breadths<'a>(
    set: &PolicySet<'_>,
    actions: impl IntoIterator<Item = &'a str>,
    context: &Context,
    account: &str,
) -> Vec<BreadthDecision> {
    let mut naming = Naming::default();
    actions
        .into_iter()
        .map(|action| breadth_with(&mut naming, set, action, context, account))
        .collect()
}

/// [`evaluate_breadth`], finding the statements naming the action in
/// `naming` (emptied first).
fn breadth_with<'p>(
    naming: &mut Naming<'p>,
    set: &PolicySet<'p>,
    action: &str,
    context: &Context,
    account: &str,
) -> BreadthDecision {
    // Lower-cased once: every question below then borrows it.
    let mut buf = [0u8; ACTION_BUF];
    let action_lc = lower_action(action, &mut buf);
    let action = action_lc.as_ref();
    let service = action.split_once(':').map_or("", |(s, _)| s);
    let set = applicable(set, service);
    // The statements naming the action are found once: every question below
    // differs only in its resource, and most statements name other actions.
    naming.fill(&set, action);
    let naming = &*naming;
    let any_resource = RequestResource::Any;
    let any_prep = Prepared {
        action_lc: action,
        service_lc: service,
        resource: &any_resource,
        context,
    };
    let any = naming.decide(&any_prep);
    if any.decision.is_allowed() {
        return BreadthDecision {
            breadth: Some(Breadth::Any),
            breadth_decision: any.decision,
            at_breadth: None,
            any,
        };
    }
    if any.decision == DecisionKind::ImplicitDeny && !naming.every_gate_allows_somewhere() {
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
    let widest = naming
        .statements
        .iter()
        .filter(|c| c.layer == Layer::Identity && c.stmt.effect == Effect::Allow)
        .filter_map(|c| c.stmt.reach(&any_prep, account))
        .max();
    let mut last = any.decision;
    let Some(widest) = widest else {
        return BreadthDecision {
            breadth: None,
            breadth_decision: last,
            at_breadth: None,
            any,
        };
    };
    let mut resource = RequestResource::Breadth {
        level: widest,
        account: account.to_string(),
    };
    for level in Breadth::WIDEST_FIRST.iter().filter(|l| **l <= widest) {
        // One resource for every level asked: the account is copied once.
        if let RequestResource::Breadth { level: asked, .. } = &mut resource {
            *asked = *level;
        }
        let d = naming.decide(&Prepared {
            resource: &resource,
            ..any_prep
        });
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

/// `set` without its RCPs when they do not apply to actions of `service_lc`.
fn applicable<'a>(set: &PolicySet<'a>, service_lc: &str) -> PolicySet<'a> {
    if rcp_applies(service_lc) {
        *set
    } else {
        PolicySet {
            rcp_levels: &[],
            ..*set
        }
    }
}

/// A statement whose actions match the request's, with where it sits.
struct Candidate<'p> {
    /// Index of its gate in [`gates`] order.
    gate: usize,
    layer: Layer,
    policy: &'p Policy,
    index: usize,
    stmt: &'p Statement,
}

/// The gates of a policy set and, in evaluation order (gate, policy,
/// statement), the statements whose actions match one action: all that
/// evaluating that action needs, whatever the resource asked about.
#[derive(Default)]
struct Naming<'p> {
    /// The action is `sts:GetCallerIdentity`, which needs no permission.
    always_allowed: bool,
    /// Each gate's layer, in [`gates`] order.
    gates: Vec<Layer>,
    statements: Vec<Candidate<'p>>,
}

impl<'p> Naming<'p> {
    fn of(set: &PolicySet<'p>, action_lc: &str) -> Naming<'p> {
        let mut naming = Naming::default();
        naming.fill(set, action_lc);
        naming
    }

    /// Makes this the naming of `action_lc` in `set`, keeping the buffers.
    fn fill(&mut self, set: &PolicySet<'p>, action_lc: &str) {
        self.always_allowed = action_lc == "sts:getcalleridentity";
        self.gates.clear();
        self.statements.clear();
        for (gate, (layer, policies)) in gates(set).enumerate() {
            self.gates.push(layer);
            for policy in policies {
                policy.each_statement_naming(action_lc, |index, stmt| {
                    self.statements.push(Candidate {
                        gate,
                        layer,
                        policy,
                        index,
                        stmt,
                    });
                });
            }
        }
    }

    /// Does every gate have an Allow statement naming the action (whatever
    /// its resources and conditions)?
    fn every_gate_allows_somewhere(&self) -> bool {
        (0..self.gates.len()).all(|g| {
            self.statements
                .iter()
                .any(|c| c.gate == g && c.stmt.effect == Effect::Allow)
        })
    }

    /// The decision on `prep`'s resource: AWS's order over the statements
    /// naming the action.
    fn decide(&self, prep: &Prepared<'_>) -> Decision {
        if self.always_allowed {
            // AWS: "No permissions are required to perform this operation",
            // and an explicit deny does not stop it (STS API reference,
            // GetCallerIdentity).
            return Decision {
                decision: DecisionKind::Allowed,
                decided_by: None,
                matched_statements: Vec::new(),
                missing_context_keys: Vec::new(),
            };
        }
        let mut missing: Vec<&str> = Vec::new();
        let hit = |c, r, start, end| Hit {
            candidate: c,
            conditional: r == Tri::Unknown,
            keys: start..end,
        };

        // 1. Explicit denies, anywhere.
        let mut true_denies: Hits<'_> = SmallVec::new();
        let mut unknown_denies: Hits<'_> = SmallVec::new();
        for c in self
            .statements
            .iter()
            .filter(|c| c.stmt.effect == Effect::Deny)
        {
            let start = missing.len();
            match c.stmt.matches_named(prep, &mut missing) {
                Tri::True => true_denies.push(hit(c, Tri::True, start, missing.len())),
                Tri::Unknown => unknown_denies.push(hit(c, Tri::Unknown, start, missing.len())),
                Tri::False => {}
            }
        }
        if let Some(first) = true_denies.first() {
            return Decision {
                decision: DecisionKind::ExplicitDeny,
                decided_by: Some(first.candidate.layer),
                matched_statements: true_denies.iter().map(Hit::to_matched).collect(),
                missing_context_keys: Vec::new(),
            };
        }

        // 2. Every gate must have an Allow (True or Unknown). Per gate: had a
        // True allow, had an Unknown allow.
        let mut allows: Hits<'_> = SmallVec::new();
        let mut gate_true: Gates = smallvec![false; self.gates.len()];
        let mut gate_unknown: Gates = smallvec![false; self.gates.len()];
        for c in self
            .statements
            .iter()
            .filter(|c| c.stmt.effect == Effect::Allow)
        {
            let start = missing.len();
            let r = c.stmt.matches_named(prep, &mut missing);
            if r == Tri::False {
                continue;
            }
            gate_true[c.gate] |= r == Tri::True;
            gate_unknown[c.gate] |= r == Tri::Unknown;
            allows.push(hit(c, r, start, missing.len()));
        }
        let allowed = |g: usize| gate_true[g] || gate_unknown[g];
        if let Some(g) = (0..self.gates.len()).find(|&g| !allowed(g)) {
            let any_allow = (0..self.gates.len()).any(allowed);
            return Decision {
                decision: DecisionKind::ImplicitDeny,
                decided_by: Some(if any_allow {
                    self.gates[g]
                } else {
                    Layer::Identity
                }),
                matched_statements: Vec::new(),
                missing_context_keys: Vec::new(),
            };
        }
        let conditional_layer = unknown_denies
            .first()
            .map(|h| h.candidate.layer)
            .or_else(|| {
                (0..self.gates.len())
                    .find(|&g| !gate_true[g])
                    .map(|g| self.gates[g])
            });

        // 3. Allowed, possibly only conditionally. A gate with a True allow is
        // reported by its True allows; a gate with only Unknown allows by
        // those, and their keys are the missing ones.
        let contributing = allows
            .iter()
            .filter(|h| gate_true[h.candidate.gate] != h.conditional)
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
}

/// The statements one decision matched, kept on the stack while few: the
/// snapshot decides every role seven times or more, and growing these lists
/// on the heap was about 5% of the evaluator's time (perf, #13).
type Hits<'c> = SmallVec<[Hit<'c>; 4]>;

/// One flag per gate (identity, boundary, SCP levels, ...), on the stack.
type Gates = SmallVec<[bool; 16]>;

/// A statement that matched, and the context keys it misses (a range of the
/// evaluation's list) when it matched only Unknown.
struct Hit<'c> {
    candidate: &'c Candidate<'c>,
    conditional: bool,
    keys: std::ops::Range<usize>,
}

impl Hit<'_> {
    fn to_matched(&self) -> MatchedStatement {
        let c = self.candidate;
        MatchedStatement {
            policy_id: c.policy.id().to_string(),
            layer: c.layer,
            statement_index: u32::try_from(c.index).unwrap_or(u32::MAX),
            sid: c.stmt.sid.clone(),
            effect: c.stmt.effect,
            conditional: self.conditional,
        }
    }
}

/// Room for an action name lower-cased on the stack (the longest AWS
/// action is under 100 bytes).
pub(crate) const ACTION_BUF: usize = 128;

/// `action` lower-cased: itself when it already is, else in `buf` when it is
/// ASCII and fits. The snapshot asks `iam:PassRole` and its like for every
/// role, and allocating the lower-case copy each time showed in perf (#13);
/// so did [`super::ServiceModel::action`]'s, asked for every action of every
/// policy compiled and linted.
pub(crate) fn lower_action<'a>(action: &'a str, buf: &'a mut [u8; ACTION_BUF]) -> Cow<'a, str> {
    if !action
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        return Cow::Borrowed(action);
    }
    match buf.get_mut(..action.len()) {
        Some(out) if action.is_ascii() => {
            out.copy_from_slice(action.as_bytes());
            out.make_ascii_lowercase();
            // ASCII in, ASCII out: always valid UTF-8.
            Cow::Borrowed(std::str::from_utf8(out).unwrap_or_default())
        }
        _ => Cow::Owned(action.to_lowercase()),
    }
}

/// Evaluates `req` against the policies in `set`.
pub fn evaluate(set: &PolicySet<'_>, req: &Request<'_>) -> Decision {
    let mut buf = [0u8; ACTION_BUF];
    let action_lc = lower_action(req.action, &mut buf);
    let service_lc = action_lc.split_once(':').map_or("", |(s, _)| s);
    Naming::of(&applicable(set, service_lc), &action_lc).decide(&Prepared {
        action_lc: &action_lc,
        service_lc,
        resource: &req.resource,
        context: req.context,
    })
}

#[cfg(test)]
mod tests {
    use super::{ACTION_BUF, lower_action};
    use std::borrow::Cow;

    /// Lower-case names are borrowed as they are, short ASCII ones are
    /// lower-cased on the stack, and the rest (too long, non-ASCII) are
    /// lower-cased by `str::to_lowercase`: the same text in every case.
    #[test]
    fn actions_are_lower_cased_without_allocating_when_they_fit() {
        let mut buf = [0u8; ACTION_BUF];
        let lc = "iam:passrole";
        assert!(matches!(lower_action(lc, &mut buf), Cow::Borrowed(s) if std::ptr::eq(s, lc)));
        let mut buf = [0u8; ACTION_BUF];
        assert!(matches!(
            lower_action("IAM:PassRole", &mut buf),
            Cow::Borrowed("iam:passrole")
        ));
        let long = format!("s3:{}", "A".repeat(ACTION_BUF));
        let mut buf = [0u8; ACTION_BUF];
        assert!(matches!(lower_action(&long, &mut buf), Cow::Owned(s) if s == long.to_lowercase()));
        let mut buf = [0u8; ACTION_BUF];
        assert!(
            matches!(lower_action("s3:GetÖbject", &mut buf), Cow::Owned(s) if s == "s3:getöbject")
        );
    }
}
