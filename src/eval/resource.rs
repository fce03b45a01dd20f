//! Resource-based policies (bucket policies, KMS key policies, role trust policies) combined
//! with the principal's own policies, by AWS's documented same-account and cross-account
//! rules (IAM user guide, "Policy evaluation logic" and "Cross-account policy evaluation
//! logic"). Used by `simulate --request` only: the snapshot never calls it, so its hot path
//! is untouched.

use crate::eval::condition::Tri;
use crate::eval::evaluate::evaluate;
use crate::eval::evaluate::{Decision, DecisionKind, Layer, MatchedStatement, PolicySet, Request};
use crate::eval::policy::{Effect, Policy, Prepared, PrincipalSpec};

/// Who makes the request, as a resource policy's `Principal` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requester {
    /// An IAM role, user or role session (`arn:aws:sts::A:assumed-role/R/S`).
    Aws {
        arn: String,
        account: String,
        /// For a role session: the role's name (its ARN's path is not in the session ARN).
        session_of: Option<String>,
        /// The S3 canonical user id of the requester's account, when known: a
        /// `{"CanonicalUser": id}` naming it names the account.
        canonical_user: Option<String>,
    },
    /// An AWS service principal (`s3.amazonaws.com`).
    Service(String),
    /// A user signed in to a SAML or OIDC identity provider, calling
    /// `sts:AssumeRoleWithSAML` / `sts:AssumeRoleWithWebIdentity`: named by the trust policy's
    /// `{"Federated": provider}`. Not an AWS identity, so it has no IAM policies of its own
    /// (IAM user guide: "there are no policies to evaluate because the caller of the API is
    /// not an AWS identity"); once the role is assumed, the caller is an assumed-role session
    /// ([`Requester::Aws`]).
    Federated(String),
    /// An identity known to a resource policy only by its S3 canonical user id, such as a
    /// CloudFront origin access identity: named by `{"CanonicalUser": id}`; no IAM policies.
    CanonicalUser(String),
}

impl Requester {
    /// An ARN, or a service principal (anything not starting with `arn:`).
    pub fn parse(s: &str) -> Requester {
        if !s.starts_with("arn:") {
            return Requester::Service(s.to_string());
        }
        let account = s.split(':').nth(4).unwrap_or("").to_string();
        let resource = s.splitn(6, ':').nth(5).unwrap_or("");
        let session_of = resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next())
            .map(str::to_string);
        Requester::Aws {
            arn: s.to_string(),
            account,
            session_of,
            canonical_user: None,
        }
    }

    /// Is the requester one that has no IAM policies at all (a federated caller, an identity
    /// known only by its canonical user id)? Only a resource policy can grant it.
    pub fn is_outside_iam(&self) -> bool {
        matches!(self, Requester::Federated(_) | Requester::CanonicalUser(_))
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Requester::Aws { account, .. } if !account.is_empty() => Some(account),
            _ => None,
        }
    }
}

/// How directly a resource policy statement names the requester (weakest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// The requester's account (`123456789012`, `arn:aws:iam::123456789012:root`): the
    /// account delegates to its own IAM policies.
    Account,
    /// The role ARN, or everyone (`*`): limited by the boundary and session policy.
    Role,
    /// The role session ARN itself, an IAM user ARN, or a service principal: not limited by
    /// the principal's identity policies, boundary or session policy.
    Direct,
}

/// The account of an account principal: a bare id or `arn:<partition>:iam::<id>:root`.
fn account_principal(entry: &str) -> Option<&str> {
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Some(entry);
    }
    let rest = entry.strip_prefix("arn:")?;
    let mut parts = rest.split(':');
    let (_partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "iam" && region.is_empty() && resource == "root").then_some(account)
}

/// `arn:<partition>:iam::<account>:role/…`
fn is_role_arn(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|r| r.starts_with("role/"))
        && arn.split(':').nth(2) == Some("iam")
}

/// How `spec` names `who`; `None` when it does not.
fn grant_of(spec: Option<&PrincipalSpec>, who: &Requester) -> Option<Grant> {
    // AWS requires a Principal in resource-based policies; a statement without one names
    // nobody here.
    let spec = spec?;
    let named = names(spec, who);
    if spec.negated {
        return if named.is_some() {
            None
        } else {
            Some(Grant::Role)
        };
    }
    named
}

fn names(spec: &PrincipalSpec, who: &Requester) -> Option<Grant> {
    if spec.everyone {
        return Some(Grant::Role);
    }
    match who {
        Requester::Service(name) => spec
            .service
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
            .then_some(Grant::Direct),
        // Provider ARNs are matched exactly, provider host names (accounts.google.com)
        // case-insensitively.
        Requester::Federated(provider) => spec
            .federated
            .iter()
            .any(|f| {
                **f == **provider
                    || (!provider.starts_with("arn:") && f.eq_ignore_ascii_case(provider))
            })
            .then_some(Grant::Direct),
        Requester::CanonicalUser(id) => spec
            .canonical_user
            .iter()
            .any(|c| c.eq_ignore_ascii_case(id))
            .then_some(Grant::Direct),
        Requester::Aws {
            arn,
            account,
            session_of,
            canonical_user,
        } => spec
            .canonical_user
            .iter()
            .any(|c| {
                canonical_user
                    .as_deref()
                    .is_some_and(|id| c.eq_ignore_ascii_case(id))
            })
            .then_some(Grant::Account)
            .into_iter()
            .chain(spec.aws.iter().filter_map(|e| {
                if **e == **arn {
                    // Only a role's own ARN is limited by its boundary and session policy;
                    // a session ARN, an IAM user ARN or a federated-user session ARN is
                    // granted directly (IAM user guide, "Policy evaluation logic": a grant
                    // to an IAM user ARN "is not limited by an implicit deny in an
                    // identity-based policy or permissions boundary").
                    return Some(if session_of.is_none() && is_role_arn(arn) {
                        Grant::Role
                    } else {
                        Grant::Direct
                    });
                }
                if account_principal(e) == Some(account.as_str()) {
                    return Some(Grant::Account);
                }
                // A role ARN names the sessions of that role.
                let role = session_of.as_deref()?;
                // arn:<partition>:iam::<account>:role/<path/>name
                let mut parts = e.strip_prefix("arn:")?.splitn(5, ':').skip(3);
                let (acct, res) = (parts.next()?, parts.next()?);
                let name = res.strip_prefix("role/")?.rsplit('/').next()?;
                (acct == account && name == role).then_some(Grant::Role)
            }))
            .max(),
    }
}

/// The resource side of a request.
#[derive(Clone, Copy, Debug)]
pub struct ResourceSide<'a> {
    /// The resource's policy, when known.
    pub policy: Option<&'a Policy>,
    /// The resource's account, when known.
    pub account: Option<&'a str>,
    /// Must the resource policy allow even within the account (a KMS key policy, a role's
    /// trust policy)? Identity policies then count only if it at least names the account.
    pub required: bool,
    /// What the policy is called in reasons: `resource policy`, `key policy`, `trust policy`.
    pub name: &'a str,
}

/// A resource policy statement that applies to the request.
struct Hit {
    grant: Grant,
    conditional: bool,
    matched: MatchedStatement,
    keys: Vec<String>,
}

fn tri_kind(t: Tri) -> DecisionKind {
    match t {
        Tri::True => DecisionKind::Allowed,
        Tri::Unknown => DecisionKind::ConditionallyAllowed,
        Tri::False => DecisionKind::ImplicitDeny,
    }
}

/// Both `a` and `b` must allow: the less permissive decides (`a` when both allow outright).
fn and(a: Decision, b: Decision) -> Decision {
    let first_by = a.decided_by;
    let first_conditional = a.decision == DecisionKind::ConditionallyAllowed;
    let (worse, better) = if b.decision.permissiveness() < a.decision.permissiveness() {
        (b, a)
    } else {
        (a, b)
    };
    if !worse.decision.is_allowed() {
        return worse;
    }
    let mut matched = better.matched_statements;
    matched.extend(worse.matched_statements);
    let mut keys = better.missing_context_keys;
    keys.extend(worse.missing_context_keys);
    keys.sort_unstable();
    keys.dedup();
    let decided_by = match worse.decision {
        DecisionKind::ConditionallyAllowed if first_conditional => first_by,
        DecisionKind::ConditionallyAllowed => worse.decided_by,
        _ => first_by,
    };
    Decision {
        decision: worse.decision,
        decided_by,
        matched_statements: matched,
        missing_context_keys: keys,
    }
}

/// The resource policy's allows naming the requester at least as directly as `min`.
fn resource_allows(allows: &[Hit], min: Grant) -> Decision {
    let hits: Vec<&Hit> = allows.iter().filter(|h| h.grant >= min).collect();
    let sure = hits.iter().any(|h| !h.conditional);
    let shown: Vec<&&Hit> = hits.iter().filter(|h| h.conditional != sure).collect();
    let tri = if sure {
        Tri::True
    } else if shown.is_empty() {
        Tri::False
    } else {
        Tri::Unknown
    };
    let mut keys: Vec<String> = shown.iter().flat_map(|h| h.keys.clone()).collect();
    keys.sort_unstable();
    keys.dedup();
    let decision = tri_kind(tri);
    Decision {
        decision,
        decided_by: Some(Layer::Resource),
        matched_statements: if decision.is_allowed() {
            shown.iter().map(|h| h.matched.clone()).collect()
        } else {
            Vec::new()
        },
        missing_context_keys: keys,
    }
}

/// Caps an allow at conditionally_allowed (the answer depends on something unknown).
fn at_most_conditional(mut d: Decision, layer: Layer) -> Decision {
    if d.decision == DecisionKind::Allowed {
        d.decision = DecisionKind::ConditionallyAllowed;
        d.decided_by = Some(layer);
    }
    d
}

/// The gates of `set` other than the identity policies (and, with `direct`, other than the
/// boundary and session policy): `set` evaluated as if its identity policies allowed
/// everything.
fn gates_only(
    set: &PolicySet<'_>,
    req: &Request<'_>,
    direct: bool,
    allow_all: &Policy,
) -> Decision {
    let identity = std::slice::from_ref(allow_all);
    let gates = PolicySet {
        identity,
        boundary: if direct { None } else { set.boundary },
        session: if direct { None } else { set.session },
        ..*set
    };
    let mut d = evaluate(&gates, req);
    d.matched_statements
        .retain(|m| !(m.layer == Layer::Identity && m.policy_id == allow_all.id()));
    if d.decided_by == Some(Layer::Identity) {
        d.decided_by = Some(Layer::Resource);
    }
    d
}

/// Evaluates `req` for `who` against its own policies (`set`) and the resource side; the
/// reasons explain answers that depend on what is not known.
pub fn evaluate_with_resource(
    set: &PolicySet<'_>,
    req: &Request<'_>,
    who: &Requester,
    side: &ResourceSide<'_>,
) -> (Decision, Vec<String>) {
    let mut reasons = Vec::new();
    let own = evaluate(set, req);
    let action_lc = req.action.to_lowercase();
    let prep = Prepared {
        action_lc: &action_lc,
        service_lc: action_lc.split_once(':').map_or("", |(s, _)| s),
        resource: &req.resource,
        context: req.context,
    };
    let (mut denies, mut unknown_denies, mut allows) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(policy) = side.policy {
        for (index, stmt) in policy.compiled_statements().iter().enumerate() {
            let Some(grant) = grant_of(stmt.principal.as_deref(), who) else {
                continue;
            };
            let mut missing = Vec::new();
            let conditional = match stmt.matches(&prep, &mut missing) {
                Tri::True => false,
                Tri::Unknown => true,
                Tri::False => continue,
            };
            let hit = Hit {
                grant,
                conditional,
                matched: MatchedStatement {
                    policy_id: policy.id().to_string(),
                    layer: Layer::Resource,
                    statement_index: u32::try_from(index).unwrap_or(u32::MAX),
                    sid: stmt.sid.clone(),
                    effect: stmt.effect,
                    conditional,
                },
                keys: missing.iter().map(|k| (*k).to_string()).collect(),
            };
            match (stmt.effect, conditional) {
                (Effect::Deny, false) => denies.push(hit),
                (Effect::Deny, true) => unknown_denies.push(hit),
                (Effect::Allow, _) => allows.push(hit),
            }
        }
    }

    // 1. An explicit deny anywhere wins.
    if own.decision == DecisionKind::ExplicitDeny || !denies.is_empty() {
        let mut d = if own.decision == DecisionKind::ExplicitDeny {
            own
        } else {
            Decision {
                decision: DecisionKind::ExplicitDeny,
                decided_by: Some(Layer::Resource),
                matched_statements: Vec::new(),
                missing_context_keys: Vec::new(),
            }
        };
        d.matched_statements
            .extend(denies.into_iter().map(|h| h.matched));
        return (d, reasons);
    }

    let same_account = match (side.account, who.account()) {
        (Some(r), Some(p)) => r == p,
        (None, _) => {
            if side.policy.is_some() || side.required {
                reasons.push(
                    "the resource's account is not known: judged as in the principal's account \
                     (give resource_account)"
                        .to_string(),
                );
            }
            true
        }
        // A service principal has no account: its access comes from the resource policy.
        (Some(_), None) => true,
    };
    let unknown = |what: &str| {
        format!(
            "the {} of {} is not known: {what}",
            side.name,
            match &req.resource {
                crate::eval::RequestResource::Arn(a) => a.as_str(),
                _ => "the resource",
            }
        )
    };

    // 2. The principal's own policies, with what the resource side must add to them.
    let needs_resource = side.required || !same_account;
    let identity_path = if !needs_resource {
        own
    } else if side.policy.is_none() {
        if own.decision.is_allowed() {
            reasons.push(unknown(if same_account {
                "it must allow the request"
            } else {
                "cross-account access needs it to allow the request too"
            }));
        }
        at_most_conditional(own, Layer::Resource)
    } else {
        and(own, resource_allows(&allows, Grant::Account))
    };

    // 3. Within the account, a resource policy naming the principal grants by itself: the
    //    SCPs and RCPs still apply, and for a role ARN (or `*`) the boundary and session
    //    policy too; for a session ARN or a service, not those.
    let allow_all = allow_all();
    let mut best = identity_path;
    if same_account && side.policy.is_some() {
        for (grant, direct) in [(Grant::Role, false), (Grant::Direct, true)] {
            let r = resource_allows(&allows, grant);
            if !r.decision.is_allowed() {
                continue;
            }
            let path = and(gates_only(set, req, direct, &allow_all), r);
            // When nothing allows, the granted path's failing gate says more than "no
            // identity policy allows".
            let both_denied = path.decision == DecisionKind::ImplicitDeny
                && best.decision == DecisionKind::ImplicitDeny;
            if both_denied || path.decision.permissiveness() > best.decision.permissiveness() {
                best = path;
            }
        }
    }

    // A caller without IAM policies (federated, canonical user) is denied for want of a
    // resource policy statement naming it, not of an identity policy.
    if who.is_outside_iam()
        && best.decision == DecisionKind::ImplicitDeny
        && best.decided_by == Some(Layer::Identity)
    {
        best.decided_by = Some(Layer::Resource);
    }

    // 4. Unknown denies in the resource policy make an allow conditional.
    if best.decision.is_allowed() && !unknown_denies.is_empty() {
        // The resource policy makes it conditional unless it already was.
        if best.decision == DecisionKind::Allowed {
            best.decided_by = Some(Layer::Resource);
        }
        best.decision = DecisionKind::ConditionallyAllowed;
        for h in unknown_denies {
            best.missing_context_keys.extend(h.keys);
            best.matched_statements.push(h.matched);
        }
        best.missing_context_keys.sort_unstable();
        best.missing_context_keys.dedup();
    }
    (best, reasons)
}

/// Allow everything: stands in for the identity policies when only the other gates matter.
fn allow_all() -> Policy {
    let doc = serde_json::json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    Policy::parse("(resource policy grant)", &doc).expect("a valid policy")
}
