//! Breadth of a grant: how much of an action's resources a `Resource` (or `NotResource`)
//! element covers, judged with the ARN formats of AWS's service model.
//!
//! The question is "how wide is this grant", not "is this request allowed": conditions,
//! principals and other statements are not considered here. The rule, per ARN format of a
//! resource type (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`):
//!
//! * the format's `${Partition}` is the principal's partition; every other `${Var}` stands for
//!   any name. To ask whether a pattern covers *every* name, each `${Var}` is replaced by a
//!   sentinel text of control characters (no `:` or `/`), once 1 and once 9 characters long:
//!   no literal of a policy can match it, and `?` runs cannot match both lengths, so only a
//!   `*` (or `?*`) can absorb it. The pattern covers every name exactly when it matches both.
//!   The account segment's variable is 12 sentinel characters (account ids have 12 digits, so
//!   `????????????` covers every account);
//! * [`Breadth::Any`]: the pattern matches the format with every variable a sentinel (every
//!   ARN of the type, every account and region): `*`, `arn:aws:iam::*:role/*`, `arn:aws:s3:::*`;
//! * [`Breadth::Account`]: the same with the account segment set to the principal's account:
//!   `arn:aws:iam::123456789012:role/*`, `arn:aws:ssm:*:123456789012:parameter/*`. A pattern
//!   naming one region is narrower (`Pattern`);
//! * otherwise the pattern must be able to match some ARN of the type (the pattern and the
//!   format with variables as "one or more characters" have a common string; when both have
//!   as many colons, colon-separated piece by piece), else the type does not apply (`None`):
//!   a bucket ARN for an object action, an S3 ARN for `iam:PassRole`, `document/*` for a
//!   parameter;
//! * [`Breadth::Pattern`] if it has a `*` or `?` wildcard, else [`Breadth::Specific`]. One
//!   AWS idiom is `Specific` despite its `?`s: a Secrets Manager secret name followed by
//!   `-??????`, the random suffix AWS appends to name exactly one secret.
//!
//! Policy variables (`${aws:username}`) resolve to one value per request: they never absorb a
//! sentinel (so they make a pattern at most `Pattern`), count as "any text" for the
//! applicability test, and `${aws:PrincipalAccount}` is the principal's account. `${*}`,
//! `${?}` and `${$}` are literal characters. Patterns are read as in a `2012-10-17` policy.
//!
//! An action's breadth is the widest over its resource types, their ARN formats and the
//! statement's patterns. Wildcard-only actions (no resource type) are authorized against `*`:
//! only a pattern that matches the text `*` applies, and then the breadth is `Any`.
//! `NotResource`: a type none of whose ARNs any pattern can match is covered entirely (`Any`);
//! a type one pattern covers entirely (`Any` for that pattern) is excluded (`None`); a type
//! of which one pattern excludes the whole own account gives `Pattern` (what is left is other
//! accounts'); a type the patterns exclude only some names of gives `Account` (everything of
//! the account but those names: `NotResource: role/admin` hands out every other role).

use crate::eval::service_model::ActionRef;
use crate::eval::template::{TTok, tokenize};
use crate::eval::wildcard::{Pattern, Tok};

/// How much of an action's resources a grant covers, narrowest first (so `max` is "widest").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Breadth {
    /// Named resources only.
    Specific,
    /// A wildcard covering some names (`role/app-*`), or one region, or another account.
    Pattern,
    /// Every resource of the type in the principal's own account, in every region.
    Account,
    /// Every resource of the type in every account and region.
    Any,
}

impl Breadth {
    /// Widest first: the order in which the snapshot asks.
    pub const WIDEST_FIRST: [Breadth; 4] = [
        Breadth::Any,
        Breadth::Account,
        Breadth::Pattern,
        Breadth::Specific,
    ];

    /// Lower-case name as in the lake and JSON: `specific`, `pattern`, `account`, `any`.
    pub fn as_str(self) -> &'static str {
        match self {
            Breadth::Specific => "specific",
            Breadth::Pattern => "pattern",
            Breadth::Account => "account",
            Breadth::Any => "any",
        }
    }
}

impl std::fmt::Display for Breadth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose grant it is: the principal's own account id and partition (`aws`, `aws-cn`, ...).
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub account: &'a str,
    pub partition: &'a str,
}

/// Sentinels for "any name": control characters no policy literal contains, no `:` or `/`.
const SENTINELS: [&str; 2] = ["\u{1}", "\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{e}\u{f}"];
/// "Any account": account ids are always 12 characters, so `????????????` covers them too.
const ANY_ACCOUNT: &str = "\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}\u{1}";
/// What a policy variable becomes in the covering tests: one unknown value, never a sentinel.
const VAR_TEXT: &str = "\u{10}";

/// One piece of an ARN format.
enum Piece<'f> {
    Lit(&'f str),
    Partition,
    /// The variable filling the whole account segment (`${Account}`, `${AccountId}`, ...).
    Account,
    /// Any other variable; `free` when it may contain `/` and `:` (see [`pieces`]).
    Name {
        free: bool,
    },
}

/// Splits an ARN format into literal text and `${Var}`s.
///
/// A variable followed by more of the format is one name without `/` or `:` (the bucket in
/// `${BucketName}/${ObjectName}`, the table in `table/${TableName}/index/${IndexName}`). The
/// last variable may contain both (paths of roles, keys of objects, hierarchical parameter
/// names, Lambda qualifiers), except `${BucketName}`: S3 bucket names have neither.
fn pieces(format: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = format;
    let mut colons = 0usize;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let before = &rest[..start];
        colons += before.matches(':').count();
        if !before.is_empty() {
            out.push(Piece::Lit(before));
        }
        let name = &rest[start + 2..start + len];
        let after = &rest[start + len + 1..];
        // The account segment is the fifth (after four colons) and the variable fills it.
        let whole_segment = before.ends_with(':') && (after.is_empty() || after.starts_with(':'));
        out.push(if name == "Partition" {
            Piece::Partition
        } else if colons == 4 && whole_segment {
            Piece::Account
        } else {
            Piece::Name {
                free: after.is_empty() && name != "BucketName",
            }
        });
        rest = after;
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

/// The format with the partition filled in, the account segment the principal's account (if
/// `own_account`) or [`ANY_ACCOUNT`], every other variable replaced by `sentinel`.
fn instance(pieces: &[Piece<'_>], scope: &Scope<'_>, own_account: bool, sentinel: &str) -> String {
    let mut s = String::new();
    for p in pieces {
        s.push_str(match p {
            Piece::Lit(l) => l,
            Piece::Partition => scope.partition,
            Piece::Account if own_account => scope.account,
            Piece::Account => ANY_ACCOUNT,
            Piece::Name { .. } => sentinel,
        });
    }
    s
}

/// A resource pattern read for breadth: compiled for the covering tests, and as symbols
/// (variables as "any text") for the applicability test.
struct Parsed {
    covering: Pattern,
    syms: Vec<Sym>,
    wild: bool,
    /// Static text (no wildcard, no variable) when the pattern is one ARN.
    literal: Option<String>,
    /// Ends in `-??????` with no other wildcard (the Secrets Manager suffix idiom).
    secret_suffix: bool,
}

fn parse(pattern: &str, scope: &Scope<'_>) -> Parsed {
    let toks = tokenize(pattern, true, true);
    let mut cover = Vec::with_capacity(toks.len());
    let mut syms = Vec::new();
    let mut has_var = false;
    for t in &toks {
        match t {
            TTok::Tok(Tok::Lit(l)) => {
                cover.push(Tok::Lit(l.clone()));
                syms.extend(l.chars().map(Sym::Char));
            }
            TTok::Tok(Tok::Star) => {
                cover.push(Tok::Star);
                syms.push(Sym::Star);
            }
            TTok::Tok(Tok::Q) => {
                cover.push(Tok::Q);
                syms.push(Sym::One);
            }
            TTok::Var(v) => {
                has_var = true;
                let text = if v.key_lc.as_ref() == "aws:principalaccount" {
                    scope.account
                } else {
                    VAR_TEXT
                };
                cover.push(Tok::Lit(text.to_string()));
                syms.push(Sym::Star);
            }
        }
    }
    let wild = toks
        .iter()
        .any(|t| matches!(t, TTok::Tok(Tok::Star | Tok::Q)));
    let literal = (!wild && !has_var).then(|| pattern.to_string());
    let q_tail = toks
        .iter()
        .rev()
        .take_while(|t| matches!(t, TTok::Tok(Tok::Q)))
        .count();
    let secret_suffix = q_tail == 6
        && toks.len() > 6
        && matches!(&toks[toks.len() - 7], TTok::Tok(Tok::Lit(l)) if l.ends_with('-'))
        && toks[..toks.len() - 6]
            .iter()
            .all(|t| !matches!(t, TTok::Tok(Tok::Star | Tok::Q)));
    Parsed {
        covering: Pattern::from_tokens(&cover),
        syms,
        wild,
        literal,
        secret_suffix,
    }
}

/// A symbol of a wildcard pattern for the intersection test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sym {
    Char(char),
    /// Any one character.
    One,
    /// Any run of characters.
    Star,
    /// Any one character but `/` and `:` (inside a name of an ARN format).
    NameOne,
    /// Any run of characters without `/` and `:`.
    NameStar,
}

impl Sym {
    fn is_star(self) -> bool {
        matches!(self, Sym::Star | Sym::NameStar)
    }

    /// Can both symbols consume the same character?
    fn overlaps(self, other: Sym) -> bool {
        let name_char = |c: char| c != '/' && c != ':';
        match (self, other) {
            (Sym::Char(x), Sym::Char(y)) => x == y,
            (Sym::Char(c), Sym::NameOne | Sym::NameStar)
            | (Sym::NameOne | Sym::NameStar, Sym::Char(c)) => name_char(c),
            _ => true,
        }
    }
}

/// The format as symbols: variables are one or more characters.
fn format_syms(pieces: &[Piece<'_>], scope: &Scope<'_>) -> Vec<Sym> {
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Lit(l) => out.extend(l.chars().map(Sym::Char)),
            Piece::Partition => out.extend(scope.partition.chars().map(Sym::Char)),
            // AWS-owned resources have an empty account (public SSM parameters:
            // `arn:aws:ssm:us-east-1::parameter/aws/service/...`).
            Piece::Account => out.push(Sym::NameStar),
            Piece::Name { free: false } => out.extend([Sym::NameOne, Sym::NameStar]),
            Piece::Name { free: true } => out.extend([Sym::One, Sym::Star]),
        }
    }
    out
}

/// Can the pattern match some ARN of the format? When the pattern has as many literal colons
/// as the format, they are taken to be the same colons and the pieces between them are
/// matched pairwise, as AWS's `ArnLike` does, so `arn:aws:ssm:*:123456789012:document/*`
/// does not reach across the account into a parameter name (a `*` crossing a colon there
/// would need a name containing one). Otherwise (`*`, `arn:aws:*`,
/// `arn:aws:secretsmanager:*:secret:x`, a Lambda qualifier) the whole text is matched.
fn can_match(pattern: &[Sym], format: &[Sym]) -> bool {
    let colon = |s: &Sym| *s == Sym::Char(':');
    let colons = |syms: &[Sym]| syms.iter().filter(|s| colon(s)).count();
    if colons(pattern) == colons(format) {
        pattern
            .split(colon)
            .zip(format.split(colon))
            .all(|(a, b)| intersects(a, b))
    } else {
        intersects(pattern, format)
    }
}

/// Is there a string both wildcard patterns match? A search over pairs of positions (the
/// product of the two patterns' automata): a star may be skipped or absorb one character and
/// stay; any other symbol consumes one character both sides accept.
fn intersects(a: &[Sym], b: &[Sym]) -> bool {
    let (n, m) = (a.len(), b.len());
    let mut seen = vec![false; (n + 1) * (m + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let k = i * (m + 1) + j;
        if seen[k] {
            continue;
        }
        seen[k] = true;
        if i == n && j == m {
            return true;
        }
        if i < n && a[i].is_star() {
            stack.push((i + 1, j));
        }
        if j < m && b[j].is_star() {
            stack.push((i, j + 1));
        }
        if i < n && j < m && a[i].overlaps(b[j]) {
            let ni = if a[i].is_star() { i } else { i + 1 };
            let nj = if b[j].is_star() { j } else { j + 1 };
            stack.push((ni, nj));
        }
    }
    false
}

fn breadth_parsed(p: &Parsed, format: &str, scope: &Scope<'_>) -> Option<Breadth> {
    let pieces = pieces(format);
    let covers = |account: bool| {
        SENTINELS
            .iter()
            .all(|s| p.covering.matches(&instance(&pieces, scope, account, s)))
    };
    if covers(false) {
        return Some(Breadth::Any);
    }
    if pieces.iter().any(|x| matches!(x, Piece::Account)) && covers(true) {
        return Some(Breadth::Account);
    }
    let fsyms = format_syms(&pieces, scope);
    let applies = match &p.literal {
        Some(text) => {
            let only_text: Vec<Sym> = text.chars().map(Sym::Char).collect();
            can_match(&only_text, &fsyms)
        }
        None => can_match(&p.syms, &fsyms),
    };
    if !applies {
        return None;
    }
    let secret = p.secret_suffix && format.contains(":secretsmanager:");
    Some(if p.wild && !secret {
        Breadth::Pattern
    } else {
        Breadth::Specific
    })
}

/// Breadth of one `Resource` pattern for one ARN format of a resource type; `None` when the
/// pattern can match no ARN of that format. See the module documentation for the rule.
pub fn pattern_breadth(pattern: &str, arn_format: &str, scope: &Scope<'_>) -> Option<Breadth> {
    breadth_parsed(&parse(pattern, scope), arn_format, scope)
}

/// Does the pattern authorize a wildcard-only action (is the text `*` matched)?
fn covers_star(p: &Parsed) -> bool {
    p.covering.matches("*")
}

/// Breadth of a statement's `Resource` list for one action: the widest over the patterns and
/// the action's resource types and ARN formats; `None` when no pattern applies.
pub fn action_breadth<S: AsRef<str>>(
    action: ActionRef<'_>,
    resources: &[S],
    scope: &Scope<'_>,
) -> Option<Breadth> {
    let parsed: Vec<Parsed> = resources.iter().map(|r| parse(r.as_ref(), scope)).collect();
    if action.is_wildcard_only() {
        return parsed.iter().any(covers_star).then_some(Breadth::Any);
    }
    let mut best = None;
    for rt in action.resource_types() {
        for format in rt.arn_formats() {
            for p in &parsed {
                best = best.max(breadth_parsed(p, format, scope));
                if best == Some(Breadth::Any) {
                    return best;
                }
            }
        }
    }
    best
}

/// Breadth of a statement's `NotResource` list for one action (see the module
/// documentation); `None` when the list excludes every resource of the action.
pub fn action_not_resource_breadth<S: AsRef<str>>(
    action: ActionRef<'_>,
    not_resources: &[S],
    scope: &Scope<'_>,
) -> Option<Breadth> {
    let parsed: Vec<Parsed> = not_resources
        .iter()
        .map(|r| parse(r.as_ref(), scope))
        .collect();
    if action.is_wildcard_only() {
        return (!parsed.iter().any(covers_star)).then_some(Breadth::Any);
    }
    let mut best = None;
    for rt in action.resource_types() {
        for format in rt.arn_formats() {
            // What the patterns exclude, widest: everything, the whole own
            // account (what is left is other accounts': a pattern), or some
            // names (everything but those: the account).
            let excluded = parsed
                .iter()
                .filter_map(|p| breadth_parsed(p, format, scope))
                .max();
            let here = match excluded {
                Some(Breadth::Any) => None,
                Some(Breadth::Account) => Some(Breadth::Pattern),
                Some(_) => Some(Breadth::Account),
                None => Some(Breadth::Any),
            };
            best = best.max(here);
        }
    }
    best
}

/// The rule for actions the service model does not know (a new action, or a
/// typo): the ARN's shape alone. A pattern reaches `account` when its region
/// is `*` or empty, its account is the principal's and its resource part is
/// `*` or `<type>/` or `<type>:` followed by wildcards only; with account `*`,
/// `any`. This was the whole rule before the service model was bundled.
pub(crate) mod heuristic {
    use super::Breadth;
    use crate::eval::any_resource::{self, Cover, all_stars};
    use crate::eval::wildcard::{Pattern, Tok};

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::service_model::ServiceModel;

    const ME: Scope<'static> = Scope {
        account: "123456789012",
        partition: "aws",
    };

    /// The (single) ARN format of `rtype` as the bundled model gives it for `action`.
    fn format(action: &str, rtype: &str) -> &'static str {
        let a = ServiceModel::bundled().action(action).unwrap();
        let rt = a.resource_types().find(|r| r.name() == rtype).unwrap();
        let formats: Vec<_> = rt.arn_formats().collect();
        assert_eq!(formats.len(), 1, "{action} {rtype}: {formats:?}");
        formats[0]
    }

    fn table(fmt: &str, cases: &[(&str, Option<Breadth>)]) {
        let mut wrong = Vec::new();
        for &(pattern, want) in cases {
            let got = pattern_breadth(pattern, fmt, &ME);
            if got != want {
                wrong.push(format!("{pattern}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{fmt}:\n{}", wrong.join("\n"));
    }

    use Breadth::{Account, Any, Pattern, Specific};

    #[test]
    fn iam_role_empty_region_with_path() {
        let fmt = format("iam:PassRole", "role");
        assert_eq!(
            fmt,
            "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
        );
        table(
            fmt,
            &[
                ("*", Some(Any)),
                ("arn:aws:iam::*:role/*", Some(Any)),
                ("arn:*:iam::*:*", Some(Any)),
                ("arn:aws:iam::*:*", Some(Any)),
                ("arn:aws:*", Some(Any)),
                ("arn:aws:iam:*:*:role/*", Some(Any)),
                ("arn:aws:iam::????????????:role/*", Some(Any)),
                ("arn:aws:iam::123456789012:role/*", Some(Account)),
                ("arn:aws:iam::123456789012:*", Some(Account)),
                ("arn:aws:iam::${aws:PrincipalAccount}:role/*", Some(Account)),
                ("arn:aws:iam::123456789012:role/app-*", Some(Pattern)),
                // AWS's path example: every role under a path.
                (
                    "arn:aws:iam::123456789012:role/division_abc/subdivision_xyz/*",
                    Some(Pattern),
                ),
                // Only roles with a path: not every role.
                ("arn:aws:iam::*:role/*/*", Some(Pattern)),
                ("arn:aws:iam::123456789012:role/???", Some(Pattern)),
                (
                    "arn:aws:iam::123456789012:role/${aws:username}-*",
                    Some(Pattern),
                ),
                // Another account's roles: a slice, not the principal's account.
                ("arn:aws:iam::999999999999:role/*", Some(Pattern)),
                ("arn:aws:iam::123456789012:role/admin", Some(Specific)),
                ("arn:aws:iam::123456789012:role/ops/admin", Some(Specific)),
                (
                    "arn:aws:iam::123456789012:role/${aws:username}",
                    Some(Specific),
                ),
                // Cannot be a role ARN: other type, other service, other partition, a
                // region where IAM has none.
                ("arn:aws:iam::123456789012:user/*", None),
                ("arn:aws:s3:::*", None),
                ("arn:aws-cn:iam::*:role/*", None),
                ("arn:aws:iam:us-east-1:123456789012:role/*", None),
            ],
        );
    }

    #[test]
    fn s3_object_and_bucket_empty_region_and_account() {
        let object = format("s3:GetObject", "object");
        assert_eq!(object, "arn:${Partition}:s3:::${BucketName}/${ObjectName}");
        table(
            object,
            &[
                ("*", Some(Any)),
                ("arn:aws:s3:::*", Some(Any)),
                ("arn:aws:s3:::*/*", Some(Any)),
                ("arn:aws:s3:*:*:*", Some(Any)),
                ("arn:aws:s3:::my-bucket/*", Some(Pattern)),
                ("arn:aws:s3:::my-bucket*", Some(Pattern)),
                // AWS's per-user home folder example.
                (
                    "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
                    Some(Pattern),
                ),
                ("arn:aws:s3:::my-bucket/report.csv", Some(Specific)),
                // A bucket ARN is no object ARN.
                ("arn:aws:s3:::my-bucket", None),
                ("arn:aws:s3:us-east-1::my-bucket/*", None),
            ],
        );
        let bucket = format("s3:ListBucket", "bucket");
        assert_eq!(bucket, "arn:${Partition}:s3:::${BucketName}");
        table(
            bucket,
            &[
                ("arn:aws:s3:::*", Some(Any)),
                ("arn:aws:s3:::my-bucket*", Some(Pattern)),
                ("arn:aws:s3:::my-bucket", Some(Specific)),
                // Bucket names have no `/`: object patterns never name a bucket.
                ("arn:aws:s3:::*/*", None),
                ("arn:aws:s3:::my-bucket/*", None),
            ],
        );
    }

    #[test]
    fn regional_ssm_dynamodb_kms() {
        let parameter = format("ssm:GetParameter", "parameter");
        assert_eq!(
            parameter,
            "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}"
        );
        table(
            parameter,
            &[
                ("arn:aws:ssm:*:*:parameter/*", Some(Any)),
                ("arn:aws:ssm:*:123456789012:parameter/*", Some(Account)),
                ("arn:aws:ssm:*:123456789012:*", Some(Account)),
                // One region only.
                (
                    "arn:aws:ssm:us-east-1:123456789012:parameter/*",
                    Some(Pattern),
                ),
                ("arn:aws:ssm:*:123456789012:parameter/prod/*", Some(Pattern)),
                (
                    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
                    Some(Specific),
                ),
                ("arn:aws:ssm:*:123456789012:document/*", None),
            ],
        );
        let table_fmt = format("dynamodb:GetItem", "table");
        assert_eq!(
            table_fmt,
            "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"
        );
        table(
            table_fmt,
            &[
                ("arn:aws:dynamodb:*:*:table/*", Some(Any)),
                ("arn:aws:dynamodb:*:123456789012:table/*", Some(Account)),
                (
                    "arn:aws:dynamodb:us-west-2:123456789012:table/*",
                    Some(Pattern),
                ),
                (
                    "arn:aws:dynamodb:us-west-2:123456789012:table/Books",
                    Some(Specific),
                ),
                ("arn:aws:dynamodb:us-west-2:123456789012:stream/*", None),
            ],
        );
        let key = format("kms:Decrypt", "key");
        assert_eq!(
            key,
            "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
        );
        table(
            key,
            &[
                ("arn:aws:kms:*:*:key/*", Some(Any)),
                ("arn:aws:kms:*:123456789012:key/*", Some(Account)),
                (
                    "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    Some(Specific),
                ),
                ("arn:aws:kms:*:123456789012:alias/*", None),
            ],
        );
    }

    #[test]
    fn secrets_manager_random_suffix_is_specific() {
        let secret = format("secretsmanager:GetSecretValue", "Secret");
        assert_eq!(
            secret,
            "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}"
        );
        table(
            secret,
            &[
                (
                    "arn:aws:secretsmanager:*:123456789012:secret:*",
                    Some(Account),
                ),
                ("arn:aws:secretsmanager:*:*:secret:*", Some(Any)),
                // AWS's idiom for exactly one secret: its name and the 6-character suffix.
                (
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????",
                    Some(Specific),
                ),
                (
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*",
                    Some(Pattern),
                ),
                (
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-???",
                    Some(Pattern),
                ),
                (
                    "arn:aws:secretsmanager:*:123456789012:secret:db-*-??????",
                    Some(Pattern),
                ),
                // A `*` may cross the account's colon: any region and account, secret `x`.
                ("arn:aws:secretsmanager:*:secret:x", Some(Pattern)),
                // Found by the property test below: a `*` crossing the first colon.
                ("*aws:secretsmanager:0:123456789012:secret:a", Some(Pattern)),
            ],
        );
        // The idiom is Secrets Manager's only: elsewhere six `?` are a pattern.
        assert_eq!(
            pattern_breadth(
                "arn:aws:iam::123456789012:role/app-??????",
                format("iam:PassRole", "role"),
                &ME
            ),
            Some(Pattern)
        );
    }

    #[test]
    fn other_partitions_use_the_principals() {
        let cn = Scope {
            account: "123456789012",
            partition: "aws-cn",
        };
        let role = format("iam:PassRole", "role");
        assert_eq!(
            pattern_breadth("arn:aws-cn:iam::123456789012:role/*", role, &cn),
            Some(Account)
        );
        assert_eq!(
            pattern_breadth("arn:aws:iam::123456789012:role/*", role, &cn),
            None
        );
        assert_eq!(pattern_breadth("arn:*:iam::*:role/*", role, &cn), Some(Any));
    }

    fn act(name: &str) -> ActionRef<'static> {
        ServiceModel::bundled().action(name).unwrap()
    }

    #[test]
    fn the_issues_account_wide_grants() {
        assert_eq!(
            action_breadth(
                act("iam:PassRole"),
                &["arn:aws:iam::123456789012:role/*"],
                &ME
            ),
            Some(Account)
        );
        let params = ["arn:aws:ssm:*:123456789012:parameter/*"];
        let expanded = ServiceModel::bundled().expand("ssm:GetParameter*");
        assert_eq!(expanded.len(), 4);
        for a in expanded {
            assert_eq!(action_breadth(act(a), &params, &ME), Some(Account), "{a}");
        }
    }

    #[test]
    fn action_breadth_is_the_widest_over_patterns_and_types() {
        let get = act("s3:GetObject");
        assert_eq!(
            action_breadth(get, &["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"], &ME),
            Some(Pattern)
        );
        assert_eq!(action_breadth(get, &["arn:aws:s3:::bucket"], &ME), None);
        assert_eq!(action_breadth(get, &["arn:aws:s3:::*/*"], &ME), Some(Any));
        let list = act("s3:ListBucket");
        assert_eq!(
            action_breadth(list, &["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"], &ME),
            Some(Specific)
        );
        let pass = act("iam:PassRole");
        assert_eq!(
            action_breadth(
                pass,
                &[
                    "arn:aws:iam::123456789012:role/app",
                    "arn:aws:iam::*:role/*"
                ],
                &ME
            ),
            Some(Any)
        );
        assert_eq!(action_breadth(pass, &["*"], &ME), Some(Any));
        assert_eq!(action_breadth::<&str>(pass, &[], &ME), None);
        // Access point objects are a second resource type of GetObject.
        assert_eq!(
            action_breadth(
                get,
                &["arn:aws:s3:*:123456789012:accesspoint/*/object/*"],
                &ME
            ),
            Some(Account)
        );
    }

    #[test]
    fn wildcard_only_actions_need_a_star() {
        for name in ["s3:ListAllMyBuckets", "sts:GetCallerIdentity"] {
            let a = act(name);
            assert!(a.is_wildcard_only());
            assert_eq!(action_breadth(a, &["*"], &ME), Some(Any), "{name}");
            assert_eq!(action_breadth(a, &["arn:aws:s3:::*"], &ME), None, "{name}");
            assert_eq!(action_breadth(a, &["arn:*"], &ME), None, "{name}");
            assert_eq!(
                action_not_resource_breadth(a, &["arn:aws:s3:::bucket"], &ME),
                Some(Any),
                "{name}"
            );
            assert_eq!(action_not_resource_breadth(a, &["*"], &ME), None, "{name}");
        }
    }

    #[test]
    fn not_resource() {
        let pass = act("iam:PassRole");
        // Excludes nothing of the role type: every role.
        assert_eq!(
            action_not_resource_breadth(pass, &["arn:aws:s3:::bucket/*"], &ME),
            Some(Any)
        );
        // Every role but one: as good as every role of the account.
        assert_eq!(
            action_not_resource_breadth(pass, &["arn:aws:iam::123456789012:role/admin"], &ME),
            Some(Account)
        );
        // Every role of other accounts.
        assert_eq!(
            action_not_resource_breadth(pass, &["arn:aws:iam::123456789012:role/*"], &ME),
            Some(Pattern)
        );
        assert_eq!(
            action_not_resource_breadth(pass, &["arn:aws:iam::*:role/*"], &ME),
            None
        );
        assert_eq!(action_not_resource_breadth(pass, &["*"], &ME), None);
        // Bucket names have no `/`: excluding every object excludes no bucket.
        assert_eq!(
            action_not_resource_breadth(act("s3:ListBucket"), &["arn:aws:s3:::*/*"], &ME),
            Some(Any)
        );
        // GetObject's access point objects are untouched by a bucket exclusion.
        assert_eq!(
            action_not_resource_breadth(act("s3:GetObject"), &["arn:aws:s3:::secret/*"], &ME),
            Some(Any)
        );
        assert_eq!(
            action_not_resource_breadth(
                act("s3:GetObject"),
                &["arn:aws:s3:::secret/*", "arn:aws:s3:*:*:accesspoint/*"],
                &ME
            ),
            Some(Account)
        );
    }

    #[test]
    fn lambda_qualifiers_contain_colons() {
        let function = format("lambda:InvokeFunction", "function");
        assert_eq!(
            function,
            "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"
        );
        table(
            function,
            &[
                ("arn:aws:lambda:*:123456789012:function:*", Some(Account)),
                (
                    "arn:aws:lambda:*:123456789012:function:my-fn:*",
                    Some(Pattern),
                ),
                (
                    "arn:aws:lambda:us-east-1:123456789012:function:my-fn:PROD",
                    Some(Specific),
                ),
            ],
        );
    }

    /// The breadth agrees with the evaluator's own matcher on real ARNs: a pattern judged
    /// not to apply matches none of them, one judged `Any` matches all of them, and one
    /// judged `Account` matches all of the principal's.
    #[test]
    fn agrees_with_the_matcher_on_concrete_arns() {
        use crate::eval::wildcard::wildcard_match;
        let samples: &[(&str, &str, &[&str])] = &[
            (
                "iam:PassRole",
                "role",
                &[
                    "arn:aws:iam::123456789012:role/admin",
                    "arn:aws:iam::123456789012:role/ops/deploy",
                    "arn:aws:iam::999999999999:role/x",
                ],
            ),
            (
                "s3:GetObject",
                "object",
                &["arn:aws:s3:::b/k", "arn:aws:s3:::my-bucket/a/b.csv"],
            ),
            (
                "s3:ListBucket",
                "bucket",
                &["arn:aws:s3:::b", "arn:aws:s3:::my-bucket"],
            ),
            (
                "ssm:GetParameter",
                "parameter",
                &[
                    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db",
                    "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
                    "arn:aws:ssm:eu-west-1:210987654321:parameter/x",
                ],
            ),
        ];
        let patterns = [
            "*",
            "arn:aws:*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*",
            "arn:aws:s3:::my-bucket",
            "arn:aws:s3:::my-bucket/*",
            "arn:aws:ssm:*:123456789012:parameter/*",
            "arn:aws:ssm:*:*:parameter/*",
            "arn:aws:ssm:*:123456789012:document/*",
        ];
        for (action, rtype, arns) in samples {
            let fmt = format(action, rtype);
            for p in patterns {
                let b = pattern_breadth(p, fmt, &ME);
                for arn in *arns {
                    let m = wildcard_match(p, arn);
                    let own = arn.contains(":123456789012:")
                        || !arn.contains(":iam:") && !arn.contains(":ssm:");
                    match b {
                        None => assert!(!m, "{p} judged not to apply to {fmt} but matches {arn}"),
                        Some(Any) => assert!(m, "{p} judged any for {fmt} but misses {arn}"),
                        Some(Account) if own => {
                            assert!(m, "{p} judged account for {fmt} but misses {arn}")
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Fills a format's variables: the account segment with `account`, middle names with
    /// `name` (no `/`), the last one with `last`.
    fn concrete(fmt: &str, account: &str, name: &str, last: &str) -> String {
        let mut out = String::new();
        for p in pieces(fmt) {
            out.push_str(match p {
                Piece::Lit(l) => l,
                Piece::Partition => "aws",
                Piece::Account => account,
                Piece::Name { free: false } => name,
                Piece::Name { free: true } => last,
            });
        }
        out.replace("${Region}", "us-east-1")
    }

    proptest::proptest! {
        /// Random patterns cut from real ARNs: the breadth never contradicts the matcher.
        #[test]
        fn breadth_is_consistent_with_matching(
            f in 0usize..6,
            names in proptest::collection::vec("[a-z0-9][a-z0-9-]{0,6}", 3),
            path in "[a-z]{1,3}(/[a-z]{1,3}){0,2}",
            other_account in proptest::bool::ANY,
            cut in 0usize..60,
            len in 0usize..20,
            q in proptest::bool::ANY,
        ) {
            let fmt = [
                format("iam:PassRole", "role"),
                format("s3:GetObject", "object"),
                format("s3:ListBucket", "bucket"),
                format("ssm:GetParameter", "parameter"),
                format("dynamodb:GetItem", "table"),
                format("secretsmanager:GetSecretValue", "Secret"),
            ][f];
            let account = if other_account { "999999999999" } else { "123456789012" };
            let arn = concrete(fmt, account, &names[0], &path);
            // A pattern: the ARN with a slice replaced by `*` (or each of its characters by `?`).
            let start = cut.min(arn.len());
            let end = (start + len).min(arn.len());
            let (start, end) = (arn.floor_char_boundary(start), arn.floor_char_boundary(end));
            let middle = if q { "?".repeat(arn[start..end].chars().count()) } else { "*".into() };
            let pattern = format!("{}{middle}{}", &arn[..start], &arn[end..]);
            let b = pattern_breadth(&pattern, fmt, &ME);
            // The pattern matches the ARN it was cut from, so it applies.
            proptest::prop_assert!(b.is_some(), "{pattern} on {fmt}: {b:?}");
            // `any` / `account` claims hold on other ARNs of the type.
            for (acct, n, l) in [
                ("123456789012", &names[1], &names[2]),
                ("210987654321", &names[2], &format!("{}/{}", names[1], names[0])),
            ] {
                let other = concrete(fmt, acct, n, l);
                let m = crate::eval::wildcard::wildcard_match(&pattern, &other);
                if b == Some(Any) || (b == Some(Account) && acct == ME.account) {
                    proptest::prop_assert!(m, "{pattern} judged {b:?} on {fmt} but misses {other}");
                }
            }
        }
    }

    /// Real Resource lists from AWS's managed policies (the check-plan snapshot).
    #[test]
    fn aws_managed_policies() {
        let text = include_str!("../../data/managed-policies/policies.json");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let policies = v["policies"].as_object().unwrap();
        let statements = |name: &str| -> Vec<serde_json::Value> {
            let doc = &policies[&format!("arn:aws:iam::aws:policy/{name}")];
            match &doc["Statement"] {
                serde_json::Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            }
        };
        let strings = |v: &serde_json::Value| -> Vec<String> {
            match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect(),
                serde_json::Value::String(s) => vec![s.clone()],
                _ => vec![],
            }
        };
        // The widest breadth for `action` over the policy's Allow statements naming it.
        let widest = |name: &str, action: &str| {
            let mut best = None;
            for st in statements(name) {
                let grants = strings(&st["Action"]).iter().any(|p| {
                    crate::eval::wildcard::wildcard_match(
                        &p.to_ascii_lowercase(),
                        &action.to_ascii_lowercase(),
                    )
                });
                if st["Effect"] == "Allow" && grants {
                    best = best.max(action_breadth(act(action), &strings(&st["Resource"]), &ME));
                }
            }
            best
        };
        for a in [
            "iam:PassRole",
            "ssm:GetParameter",
            "s3:GetObject",
            "sts:GetCallerIdentity",
        ] {
            assert_eq!(widest("AdministratorAccess", a), Some(Any), "{a}");
        }
        // AWS's public parameters have no account: `arn:aws:ssm:*::parameter/aws/service/*`.
        assert_eq!(
            widest("EC2ImageBuilderExecutionPolicy", "ssm:GetParameter"),
            Some(Pattern)
        );
        // `arn:*:kms:*:${aws:PrincipalAccount}:key/*`
        assert_eq!(
            widest(
                "aws-service-role/AmazonTimestreamInfluxDBServiceRolePolicy",
                "kms:Decrypt"
            ),
            Some(Account)
        );
        // `arn:aws:iam::*:role/AWS-SSM-DiagnosisAdminRole*`: a name prefix in every account.
        assert_eq!(
            widest(
                "AWS-SSM-DiagnosisAutomation-AdministrationRolePolicy",
                "iam:PassRole"
            ),
            Some(Pattern)
        );
        // Names built from principal tags: one object per principal.
        assert_eq!(
            widest(
                "service-role/SageMakerStudioBedrockPromptUserRolePolicy",
                "s3:GetObject"
            ),
            Some(Specific)
        );
    }

    #[test]
    fn intersection_of_wildcard_patterns() {
        let syms = |s: &str| -> Vec<Sym> {
            s.chars()
                .map(|c| match c {
                    '*' => Sym::Star,
                    '?' => Sym::One,
                    c => Sym::Char(c),
                })
                .collect()
        };
        let x = |a: &str, b: &str| intersects(&syms(a), &syms(b));
        assert!(x("a*", "*b"));
        assert!(x("abc", "a?c"));
        assert!(x("", "*"));
        assert!(!x("", "?"));
        assert!(!x("a*", "b*"));
        assert!(!x("*a", "*b"));
        assert!(x("*a*", "*b*"));
        assert!(!x("a?", "abc"));
        assert!(x("a*c*e", "ab*de"));
        let name = [Sym::Char('x'), Sym::NameOne, Sym::NameStar];
        assert!(intersects(&syms("x*"), &name));
        assert!(!intersects(&syms("x*/*"), &name));
        assert!(!intersects(&syms("x:"), &name));
    }
}
