//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}` ...)
//! inside Resource patterns and condition values.
//!
//! A value is tokenised once at parse time. Values without variables compile straight to
//! their final form; only values that really reference the request context are resolved per
//! request (which allocates, but such values are rare).

use crate::eval::context::Context;
use crate::eval::wildcard::{Tok, tokenize_wild};

/// A reference to a context key inside a value.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    /// The key as written (reported in `missing_context_keys`).
    pub key: Box<str>,
    /// Lower-cased key: context lookups are case-insensitive.
    pub key_lc: Box<str>,
    pub default: Option<Box<str>>,
}

#[derive(Clone, Debug)]
pub(crate) enum TTok {
    Tok(Tok),
    Var(Var),
}

/// The tokens with every variable replaced by a placeholder literal that no
/// ARN segment contains (no `:` or `/`): a variable stands for one name.
pub(crate) fn with_placeholders(toks: &[TTok]) -> Vec<Tok> {
    toks.iter()
        .map(|t| match t {
            TTok::Tok(t) => t.clone(),
            TTok::Var(_) => Tok::Lit("\u{1}var\u{1}".into()),
        })
        .collect()
}

/// Outcome of substituting variables.
pub(crate) enum Resolved {
    Tokens(Vec<Tok>),
    /// A variable's key is not in the context and absent keys are unknown.
    Unknown,
    /// A variable cannot be resolved (absent, empty or multi-valued): the value matches nothing.
    NoMatch,
}

/// Tokenises `s`. `wild` says whether bare `*`/`?` are wildcards; `vars` whether `${...}`
/// is a variable at all (only with policy Version 2012-10-17, as in AWS).
pub(crate) fn tokenize(s: &str, wild: bool, vars: bool) -> Vec<TTok> {
    let mut out: Vec<TTok> = Vec::new();
    let push_text = |out: &mut Vec<TTok>, text: &str| {
        if text.is_empty() {
            return;
        }
        if wild {
            out.extend(tokenize_wild(text).into_iter().map(TTok::Tok));
        } else {
            out.push(TTok::Tok(Tok::Lit(text.to_string())));
        }
    };
    if !vars {
        push_text(&mut out, s);
        return merge(out);
    }
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            break;
        };
        let inner = &after[..end];
        let tok = match inner {
            "*" => Some(TTok::Tok(Tok::Lit("*".into()))),
            "?" => Some(TTok::Tok(Tok::Lit("?".into()))),
            "$" => Some(TTok::Tok(Tok::Lit("$".into()))),
            _ => parse_var(inner).map(TTok::Var),
        };
        match tok {
            Some(t) => {
                push_text(&mut out, &rest[..start]);
                out.push(t);
            }
            // Not a well-formed variable: AWS keeps such text literally.
            None => push_text(&mut out, &rest[..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    push_text(&mut out, rest);
    merge(out)
}

fn parse_var(inner: &str) -> Option<Var> {
    let (key, default) = match inner.split_once(',') {
        Some((k, d)) => {
            let d = d.trim();
            let d = d.strip_prefix('\'')?.strip_suffix('\'')?;
            (k.trim(), Some(d.to_string().into_boxed_str()))
        }
        None => (inner.trim(), None),
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    Some(Var {
        key: key.into(),
        key_lc: key.to_lowercase().into_boxed_str(),
        default,
    })
}

/// Joins adjacent literals so patterns see one literal per run.
fn merge(toks: Vec<TTok>) -> Vec<TTok> {
    let mut out: Vec<TTok> = Vec::with_capacity(toks.len());
    for t in toks {
        if let (Some(TTok::Tok(Tok::Lit(prev))), TTok::Tok(Tok::Lit(l))) = (out.last_mut(), &t) {
            prev.push_str(l);
            continue;
        }
        out.push(t);
    }
    out
}

/// Returns the plain tokens when the value has no variables.
pub(crate) fn as_static(toks: &[TTok]) -> Option<Vec<Tok>> {
    toks.iter()
        .map(|t| match t {
            TTok::Tok(t) => Some(t.clone()),
            TTok::Var(_) => None,
        })
        .collect()
}

/// Joins tokens back to text, wildcards as their characters (for non-wildcard operators).
pub(crate) fn tokens_to_string(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Lit(l) => s.push_str(l),
            Tok::Star => s.push('*'),
            Tok::Q => s.push('?'),
        }
    }
    s
}

/// Substitutes the variables from `ctx`. Keys that are unknown are pushed on `missing`.
pub(crate) fn resolve<'p>(toks: &'p [TTok], ctx: &Context, missing: &mut Vec<&'p str>) -> Resolved {
    let mut out = Vec::with_capacity(toks.len());
    let mut unknown = false;
    for t in toks {
        match t {
            TTok::Tok(t) => out.push(t.clone()),
            TTok::Var(v) => {
                let value = match ctx.get_lc(&v.key_lc) {
                    Some([one]) => Some(one.as_str()),
                    // An empty key is present but has nothing to substitute: treat as absent.
                    Some([]) => match &v.default {
                        Some(d) => Some(&**d),
                        None => return Resolved::NoMatch,
                    },
                    // A multi-valued key cannot be substituted into a single value.
                    Some(_) => return Resolved::NoMatch,
                    None => match &v.default {
                        Some(d) => Some(&**d),
                        None if ctx.absent_is_unknown(&v.key_lc) => {
                            missing.push(&v.key);
                            unknown = true;
                            None
                        }
                        None => return Resolved::NoMatch,
                    },
                };
                if let Some(val) = value {
                    out.push(Tok::Lit(val.to_string()));
                }
            }
        }
    }
    if unknown {
        Resolved::Unknown
    } else {
        Resolved::Tokens(out)
    }
}
