//! Condition blocks: operator parsing, value compilation and three-valued evaluation.
//!
//! Semantics follow AWS's documentation: operators and keys in a block are ANDed, the values
//! of one key are ORed (NOR for negated operators), a negated operator is true when its key is
//! absent, `...IfExists` is true when the key is absent, `ForAllValues:` is true on an absent
//! or empty key and `ForAnyValue:` false. With `Context::absent_keys_unknown` an absent key
//! makes the clause Unknown instead, because the real request might carry any value.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::eval::context::Context;
use crate::eval::template::{self, Resolved, TTok};
use crate::eval::wildcard::{Pattern, Tok};

/// Three-valued truth (Kleene logic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tri {
    False,
    True,
    Unknown,
}

impl Tri {
    pub(crate) fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    pub(crate) fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::True => Tri::False,
            Tri::Unknown => Tri::Unknown,
        }
    }
    pub(crate) fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
    pub(crate) fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn test<T: PartialOrd>(self, ctx: &T, policy: &T) -> bool {
        match self {
            Cmp::Eq => ctx == policy,
            Cmp::Lt => ctx < policy,
            Cmp::Le => ctx <= policy,
            Cmp::Gt => ctx > policy,
            Cmp::Ge => ctx >= policy,
        }
    }
}

/// What kind of comparison an operator performs (negation is kept separately).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    StrEquals,
    StrIgnoreCase,
    StrLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetMode {
    Single,
    ForAll,
    ForAny,
}

/// Parses an operator name (case-insensitive); `None` if it is not a known operator.
pub(crate) fn parse_operator(name: &str) -> Option<(Family, bool, bool, SetMode)> {
    let lower = name.to_ascii_lowercase();
    let (set, rest) = if let Some(r) = lower.strip_prefix("forallvalues:") {
        (SetMode::ForAll, r)
    } else if let Some(r) = lower.strip_prefix("foranyvalue:") {
        (SetMode::ForAny, r)
    } else {
        (SetMode::Single, lower.as_str())
    };
    let (if_exists, base) = match rest.strip_suffix("ifexists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    let (family, negated) = match base {
        "stringequals" => (Family::StrEquals, false),
        "stringnotequals" => (Family::StrEquals, true),
        "stringequalsignorecase" => (Family::StrIgnoreCase, false),
        "stringnotequalsignorecase" => (Family::StrIgnoreCase, true),
        "stringlike" => (Family::StrLike, false),
        "stringnotlike" => (Family::StrLike, true),
        "numericequals" => (Family::Numeric(Cmp::Eq), false),
        "numericnotequals" => (Family::Numeric(Cmp::Eq), true),
        "numericlessthan" => (Family::Numeric(Cmp::Lt), false),
        "numericlessthanequals" => (Family::Numeric(Cmp::Le), false),
        "numericgreaterthan" => (Family::Numeric(Cmp::Gt), false),
        "numericgreaterthanequals" => (Family::Numeric(Cmp::Ge), false),
        "dateequals" => (Family::Date(Cmp::Eq), false),
        "datenotequals" => (Family::Date(Cmp::Eq), true),
        "datelessthan" => (Family::Date(Cmp::Lt), false),
        "datelessthanequals" => (Family::Date(Cmp::Le), false),
        "dategreaterthan" => (Family::Date(Cmp::Gt), false),
        "dategreaterthanequals" => (Family::Date(Cmp::Ge), false),
        "bool" => (Family::Bool, false),
        "binaryequals" => (Family::Binary, false),
        "ipaddress" => (Family::Ip, false),
        "notipaddress" => (Family::Ip, true),
        "arnequals" | "arnlike" => (Family::Arn, false),
        "arnnotequals" | "arnnotlike" => (Family::Arn, true),
        // `NullIfExists` is meaningless (Null is itself the existence test).
        "null" if !if_exists => (Family::Null, false),
        _ => return None,
    };
    Some((family, negated, if_exists, set))
}

/// A policy-side value compiled for its operator family.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Str(Box<str>),
    Like(Pattern),
    Num(f64),
    Date((i64, u32)),
    Bool(Box<str>),
    Binary(Box<[u8]>),
    Ip(Cidr),
    Arn(ArnPattern),
    Null(bool),
}

#[derive(Clone, Debug)]
pub(crate) enum CondValue {
    Static(Val),
    /// Contains policy variables; compiled per request after substitution.
    Dynamic(Box<[TTok]>),
}

/// One `operator: { key: values }` entry.
#[derive(Clone, Debug)]
pub(crate) struct Clause {
    pub family: Family,
    pub negated: bool,
    pub if_exists: bool,
    pub set: SetMode,
    pub key: Box<str>,
    pub key_lc: Box<str>,
    pub values: Box<[CondValue]>,
}

/// Compiles one policy value (already tokenised) for `family`.
pub(crate) fn compile_value(family: Family, toks: &[Tok]) -> Result<Val, String> {
    if family == Family::StrLike {
        return Ok(Val::Like(Pattern::from_tokens(toks)));
    }
    let s = template::tokens_to_string(toks);
    Ok(match family {
        Family::StrEquals => Val::Str(s.into_boxed_str()),
        Family::StrIgnoreCase => Val::Str(s.to_lowercase().into_boxed_str()),
        Family::StrLike => Val::Like(Pattern::new(&s)),
        Family::Numeric(_) => {
            Val::Num(parse_number(&s).ok_or_else(|| format!("not a number: {s:?}"))?)
        }
        Family::Date(_) => Val::Date(parse_date(&s).ok_or_else(|| format!("not a date: {s:?}"))?),
        Family::Bool => Val::Bool(s.to_ascii_lowercase().into_boxed_str()),
        Family::Binary => Val::Binary(
            base64_decode(&s)
                .ok_or_else(|| format!("not base64: {s:?}"))?
                .into_boxed_slice(),
        ),
        Family::Ip => {
            Val::Ip(Cidr::parse(&s).ok_or_else(|| format!("not an IP address or CIDR: {s:?}"))?)
        }
        Family::Arn => Val::Arn(ArnPattern::from_tokens(toks)),
        Family::Null => match s.to_ascii_lowercase().as_str() {
            "true" => Val::Null(true),
            "false" => Val::Null(false),
            _ => return Err(format!("Null expects true or false, got {s:?}")),
        },
    })
}

/// Whether a family treats bare `*`/`?` in policy values as wildcards.
pub(crate) fn family_is_wild(family: Family) -> bool {
    matches!(family, Family::StrLike | Family::Arn)
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    // Rust also parses "inf"/"nan"; IAM numbers are plain decimals.
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses an ISO 8601 date/time (UTC when no offset is given) or epoch seconds into
/// (seconds, nanoseconds) since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<(i64, u32)> {
    let t = s.trim();
    if !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && !t[1..].contains('-')
    {
        if let Ok(secs) = t.parse::<i64>() {
            return Some((secs, 0));
        }
        let f = t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.abs() < 1e15)?;
        let secs = f.floor();
        let nanos = ((f - secs) * 1e9) as u32;
        return Some((secs as i64, nanos.min(999_999_999)));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some((d.timestamp(), d.timestamp_subsec_nanos()));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, fmt) {
            return Some((d.timestamp(), d.timestamp_subsec_nanos()));
        }
    }
    let no_z = t.strip_suffix('Z').unwrap_or(t);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(no_z, fmt) {
            let d = d.and_utc();
            return Some((d.timestamp(), d.timestamp_subsec_nanos()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(no_z, "%Y-%m-%d") {
        return Some((d.and_hms_opt(0, 0, 0)?.and_utc().timestamp(), 0));
    }
    None
}

/// Standard base64 (with or without padding; URL-safe characters accepted too).
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut pad = 0usize;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if pad > 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if pad > 2 {
        return None;
    }
    Some(out)
}

/// An IPv4 or IPv6 network (a plain address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                (u32::from(net) & mask) == (u32::from(a) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                (u128::from(net) & mask) == (u128::from(a) & mask)
            }
            _ => false,
        }
    }
}

fn parse_request_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse().ok().or_else(|| Cidr::parse(s).map(|c| c.addr))
}

/// Splits tokens at literal `sep` into at most `n` segments (the last keeps further separators).
pub(crate) fn split_tokens(toks: &[Tok], sep: char, n: usize) -> Vec<Vec<Tok>> {
    fn flush(cur: &mut String, segs: &mut [Vec<Tok>]) {
        if !cur.is_empty()
            && let Some(last) = segs.last_mut()
        {
            last.push(Tok::Lit(std::mem::take(cur)));
        }
    }
    let mut segs: Vec<Vec<Tok>> = Vec::with_capacity(n.min(8));
    segs.push(Vec::new());
    let mut cur = String::new();
    for t in toks {
        match t {
            Tok::Lit(l) => {
                // Literal runs between separators are copied whole: every
                // policy's resources are split here when it is compiled.
                let mut rest = l.as_str();
                while segs.len() < n
                    && let Some(i) = rest.find(sep)
                {
                    cur.push_str(&rest[..i]);
                    flush(&mut cur, &mut segs);
                    segs.push(Vec::new());
                    rest = &rest[i + sep.len_utf8()..];
                }
                cur.push_str(rest);
            }
            other => {
                flush(&mut cur, &mut segs);
                if let Some(last) = segs.last_mut() {
                    last.push(other.clone());
                }
            }
        }
    }
    flush(&mut cur, &mut segs);
    segs
}

/// An ARN condition value: six colon-separated segments matched one by one, each with its
/// own wildcards (a `*` does not cross a `:` except inside the resource segment).
#[derive(Clone, Debug)]
pub(crate) struct ArnPattern {
    segments: Option<Box<[Pattern]>>,
    whole: Pattern,
}

impl ArnPattern {
    pub(crate) fn from_tokens(toks: &[Tok]) -> ArnPattern {
        let segs = split_tokens(toks, ':', 6);
        let segments =
            (segs.len() == 6).then(|| segs.iter().map(|s| Pattern::from_tokens(s)).collect());
        ArnPattern {
            segments,
            whole: Pattern::from_tokens(toks),
        }
    }

    pub(crate) fn matches(&self, arn: &str) -> bool {
        match &self.segments {
            Some(segs) => {
                let mut parts = arn.splitn(6, ':');
                for p in segs.iter() {
                    match parts.next() {
                        Some(v) if p.matches(v) => {}
                        _ => return false,
                    }
                }
                true
            }
            // Values that are not six-part ARNs (such as a lone `*`) match as plain wildcards.
            None => self.whole.matches(arn),
        }
    }
}

fn ignore_case_eq(policy_lc: &str, ctx: &str) -> bool {
    if ctx.is_ascii() && policy_lc.is_ascii() {
        return policy_lc.eq_ignore_ascii_case(ctx);
    }
    policy_lc
        .chars()
        .eq(ctx.chars().flat_map(char::to_lowercase))
}

/// Does context value `c` match policy value `v`?
fn match_val(family: Family, v: &Val, c: &str) -> bool {
    match (family, v) {
        (Family::StrIgnoreCase, Val::Str(p)) => ignore_case_eq(p, c),
        (_, Val::Str(p)) => **p == *c,
        (_, Val::Like(p)) => p.matches(c),
        (Family::Numeric(cmp), Val::Num(p)) => parse_number(c).is_some_and(|n| cmp.test(&n, p)),
        (Family::Date(cmp), Val::Date(p)) => parse_date(c).is_some_and(|d| cmp.test(&d, p)),
        (_, Val::Bool(p)) => p.eq_ignore_ascii_case(c.trim()),
        (_, Val::Binary(p)) => base64_decode(c).is_some_and(|d| *d == **p),
        (_, Val::Ip(net)) => parse_request_ip(c).is_some_and(|ip| net.contains(ip)),
        (_, Val::Arn(p)) => p.matches(c),
        _ => false,
    }
}

impl Clause {
    /// Does `c` match any of the policy values? (Unknown when a value's variable is unknown.)
    fn any_value<'p>(&'p self, c: &str, ctx: &Context, missing: &mut Vec<&'p str>) -> Tri {
        let mut acc = Tri::False;
        for v in self.values.iter() {
            let r = match v {
                CondValue::Static(val) => Tri::from_bool(match_val(self.family, val, c)),
                CondValue::Dynamic(toks) => match template::resolve(toks, ctx, missing) {
                    Resolved::Unknown => Tri::Unknown,
                    Resolved::NoMatch => Tri::False,
                    Resolved::Tokens(t) => Tri::from_bool(
                        compile_value(self.family, &t)
                            .is_ok_and(|val| match_val(self.family, &val, c)),
                    ),
                },
            };
            acc = acc.or(r);
            if acc == Tri::True {
                break;
            }
        }
        acc
    }

    /// Result when the key is known to be absent (or present with no values).
    fn absent_result(&self) -> Tri {
        if self.family == Family::Null {
            return Tri::from_bool(
                self.values
                    .iter()
                    .any(|v| matches!(v, CondValue::Static(Val::Null(true)))),
            );
        }
        if self.if_exists {
            return Tri::True;
        }
        match self.set {
            SetMode::ForAll => Tri::True,
            SetMode::ForAny => Tri::False,
            SetMode::Single => Tri::from_bool(self.negated),
        }
    }

    /// Three-valued result of this clause; keys behind an Unknown result are pushed on
    /// `missing` (and only then: keys from sub-results that did not matter are dropped).
    pub(crate) fn eval<'p>(&'p self, ctx: &Context, missing: &mut Vec<&'p str>) -> Tri {
        let start = missing.len();
        let r = self.eval_inner(ctx, missing);
        if r != Tri::Unknown {
            missing.truncate(start);
        }
        r
    }

    fn eval_inner<'p>(&'p self, ctx: &Context, missing: &mut Vec<&'p str>) -> Tri {
        let vals = match ctx.get_lc(&self.key_lc) {
            Some(v) if !v.is_empty() => v,
            Some(_) => return self.absent_result(),
            None if ctx.absent_is_unknown(&self.key_lc) => {
                missing.push(&self.key);
                return Tri::Unknown;
            }
            None => return self.absent_result(),
        };
        if self.family == Family::Null {
            // Present: `Null: true` fails, `Null: false` holds.
            return Tri::from_bool(
                self.values
                    .iter()
                    .any(|v| matches!(v, CondValue::Static(Val::Null(false)))),
            );
        }
        match self.set {
            SetMode::Single => {
                let mut any = Tri::False;
                for c in vals {
                    any = any.or(self.any_value(c, ctx, missing));
                    if any == Tri::True {
                        break;
                    }
                }
                if self.negated { any.not() } else { any }
            }
            SetMode::ForAll => {
                let mut all = Tri::True;
                for c in vals {
                    let m = self.any_value(c, ctx, missing);
                    all = all.and(if self.negated { m.not() } else { m });
                    if all == Tri::False {
                        break;
                    }
                }
                all
            }
            SetMode::ForAny => {
                let mut any = Tri::False;
                for c in vals {
                    let m = self.any_value(c, ctx, missing);
                    any = any.or(if self.negated { m.not() } else { m });
                    if any == Tri::True {
                        break;
                    }
                }
                any
            }
        }
    }
}
