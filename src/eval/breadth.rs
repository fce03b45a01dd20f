//! Grant breadth: how much of an action's resources one `Resource` pattern
//! covers, from every resource everywhere (`any`) down to named resources
//! (`specific`). The snapshot reports, for each (role, sensitive action), the
//! widest breadth at which the action is allowed, and counts a role as risky
//! from `account` up: `iam:PassRole` on `arn:aws:iam::<own>:role/*` hands out
//! every role of the account, as `*` does.

use crate::eval::any_resource::{self, Cover};
use crate::eval::wildcard::{Pattern, Tok};

/// How widely a grant reaches, narrowest first (the derived order is used:
/// `Specific < Pattern < Account < Any`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Breadth {
    /// Named resources only (no wildcard): `arn:aws:iam::111122223333:role/deploy`.
    Specific,
    /// A wildcard that covers some names of the account, or one region:
    /// `role/app-*`, `arn:aws:ssm:eu-west-1:111122223333:parameter/*`.
    Pattern,
    /// Every resource of the action's resource types in the principal's own
    /// account, any region: `role/*`, `arn:aws:ssm:*:111122223333:parameter/*`.
    Account,
    /// Every resource everywhere: `*`, `arn:aws:s3:::*`, `arn:aws:iam::*:role/*`.
    Any,
}

impl Breadth {
    /// The lake's spelling: `specific | pattern | account | any`.
    pub fn as_str(self) -> &'static str {
        match self {
            Breadth::Specific => "specific",
            Breadth::Pattern => "pattern",
            Breadth::Account => "account",
            Breadth::Any => "any",
        }
    }

    /// Widest first: the order in which the snapshot asks.
    pub const WIDEST_FIRST: [Breadth; 4] = [
        Breadth::Any,
        Breadth::Account,
        Breadth::Pattern,
        Breadth::Specific,
    ];
}

fn all_stars(seg: &[Tok]) -> bool {
    !seg.is_empty() && seg.iter().all(|t| matches!(t, Tok::Star))
}

fn has_wildcard(toks: &[Tok]) -> bool {
    toks.iter().any(|t| matches!(t, Tok::Star | Tok::Q))
}

fn literal(seg: &[Tok]) -> Option<String> {
    let mut s = String::new();
    for t in seg {
        match t {
            Tok::Lit(l) => s.push_str(l),
            _ => return None,
        }
    }
    Some(s)
}

/// The breadth of one static `Resource` pattern for `action_lc` (of
/// `service_lc`) held by a principal of `account`; `None` when the pattern
/// cannot match any ARN of the service.
pub(crate) fn of_pattern(
    toks: &[Tok],
    cover: &Cover,
    service_lc: &str,
    action_lc: &str,
    account: &str,
) -> Option<Breadth> {
    if cover.covers(service_lc, action_lc) {
        return Some(Breadth::Any);
    }
    let segs = crate::eval::condition::split_tokens(toks, ':', 6);
    if segs.len() < 6 {
        // Not an ARN (and not all-`*`, which covers): a literal such as a
        // bucket name never matches an ARN.
        return None;
    }
    let arn_ok = Pattern::from_tokens(&segs[0]).matches("arn");
    let service_ok = Pattern::from_tokens(&segs[2]).matches(service_lc);
    if !arn_ok || !service_ok {
        return None;
    }
    let wild = has_wildcard(toks);
    let narrow = if wild {
        Breadth::Pattern
    } else {
        Breadth::Specific
    };
    let any_region = all_stars(&segs[3]) || segs[3].is_empty();
    let every_account = all_stars(&segs[4]);
    let own_account = literal(&segs[4]).is_some_and(|a| a == account && !a.is_empty());
    // Every name of a resource type is `<type>/…` or `<type>:…` followed by
    // a wildcard-only rest (`role/*`, `parameter/*`, `table/*`, `key/*`).
    let res = &segs[5];
    let every_name = all_stars(res) || type_prefix_then_stars(res);
    Some(
        match (any_region && every_name, every_account, own_account) {
            (true, true, _) => Breadth::Any,
            (true, _, true) => Breadth::Account,
            _ => narrow,
        },
    )
}

/// `<literal type>/<stars>` or `<literal type>:<stars>`.
fn type_prefix_then_stars(res: &[Tok]) -> bool {
    let Some((first, rest)) = res.split_first() else {
        return false;
    };
    let Tok::Lit(l) = first else {
        return false;
    };
    let Some(sep) = l.find(['/', ':']) else {
        return false;
    };
    // Exactly one separator, at the end of the literal: `role/`, not `role/app-`.
    sep + 1 == l.len() && sep > 0 && all_stars(rest)
}

/// The breadth of a `NotResource` list for the action: `Any` when none of its
/// patterns can match an ARN of the service; `Pattern` when one excludes every
/// resource of the own account; else `Account` (everything but some names).
pub(crate) fn of_not_resource<'a>(
    pats: impl Iterator<Item = (Option<&'a [Tok]>, &'a any_resource::NotCover, &'a Cover)>,
    service_lc: &str,
    action_lc: &str,
    account: &str,
) -> Breadth {
    let mut out = Breadth::Any;
    for (toks, not_cover, cover) in pats {
        if !not_cover.may_match_service(service_lc) {
            continue;
        }
        let excluded = toks.and_then(|t| of_pattern(t, cover, service_lc, action_lc, account));
        out = out.min(match excluded {
            Some(b) if b >= Breadth::Account => Breadth::Pattern,
            _ => Breadth::Account,
        });
    }
    out
}
