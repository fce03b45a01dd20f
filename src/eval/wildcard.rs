//! Compiled IAM wildcard patterns (`*` = any run of characters, `?` = exactly one character).
//!
//! Patterns are split once, at policy parse time, into a literal prefix, literal-ish middle
//! chunks and a suffix, so that matching is a handful of `starts_with` / `find` / `ends_with`
//! calls with no allocation and no regex. Greedy leftmost matching of the middle chunks is
//! exact for this pattern language: if a chunk matches at several places, taking the leftmost
//! one leaves the most room for the chunks after it.

/// One token of a pattern before compilation. Literal `*`/`?` (from the `${*}` / `${?}` policy
/// variables) arrive as `Lit` and are therefore never wildcards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(String),
    Star,
    Q,
}

/// Splits a raw string into tokens, treating every `*` and `?` as a wildcard.
pub(crate) fn tokenize_wild(s: &str) -> Vec<Tok> {
    // Literal runs are sliced out whole: every policy's actions and
    // resources pass through here when it is compiled.
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['*', '?']) {
        if i > 0 {
            out.push(Tok::Lit(rest[..i].to_string()));
        }
        out.push(if rest.as_bytes()[i] == b'*' {
            Tok::Star
        } else {
            Tok::Q
        });
        rest = &rest[i + 1..];
    }
    if !rest.is_empty() {
        out.push(Tok::Lit(rest.to_string()));
    }
    out
}

/// A piece of a star-free chunk: literal text or a run of `?`.
#[derive(Clone, Debug)]
enum Seg {
    Lit(Box<str>),
    AnyChars(usize),
}

/// A run of the pattern between two `*`s.
#[derive(Clone, Debug, Default)]
struct Chunk {
    segs: Box<[Seg]>,
    /// Byte length when the chunk is purely literal (fast paths use it).
    lit_only: Option<usize>,
    /// Length in characters (literal characters plus `?` count).
    chars: usize,
}

impl Chunk {
    fn from_toks(toks: &[Tok]) -> Chunk {
        let mut segs: Vec<Seg> = Vec::new();
        let mut chars = 0usize;
        let mut lit = String::new();
        let mut q = 0usize;
        for t in toks {
            match t {
                Tok::Lit(s) => {
                    if q > 0 {
                        segs.push(Seg::AnyChars(q));
                        q = 0;
                    }
                    chars += s.chars().count();
                    lit.push_str(s);
                }
                Tok::Q => {
                    if !lit.is_empty() {
                        segs.push(Seg::Lit(std::mem::take(&mut lit).into_boxed_str()));
                    }
                    chars += 1;
                    q += 1;
                }
                // Callers split on stars before building chunks.
                Tok::Star => {}
            }
        }
        if q > 0 {
            segs.push(Seg::AnyChars(q));
        }
        if !lit.is_empty() {
            segs.push(Seg::Lit(lit.into_boxed_str()));
        }
        let lit_only = match segs.as_slice() {
            [] => Some(0),
            [Seg::Lit(l)] => Some(l.len()),
            _ => None,
        };
        Chunk {
            segs: segs.into_boxed_slice(),
            lit_only,
            chars,
        }
    }

    fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }

    /// Matches the chunk starting at byte `pos` of `s`; returns the end position.
    fn match_at(&self, s: &str, mut pos: usize) -> Option<usize> {
        for seg in self.segs.iter() {
            match seg {
                Seg::Lit(l) => {
                    if s.get(pos..)?.starts_with(&**l) {
                        pos += l.len();
                    } else {
                        return None;
                    }
                }
                Seg::AnyChars(n) => {
                    let rest = s.get(pos..)?;
                    let mut it = rest.char_indices();
                    for _ in 0..*n {
                        it.next()?;
                    }
                    pos += it.next().map_or(rest.len(), |(i, _)| i);
                }
            }
        }
        Some(pos)
    }

    /// Byte position where this chunk would have to start to end exactly at `s.len()`.
    fn suffix_start(&self, s: &str) -> Option<usize> {
        if let Some(n) = self.lit_only {
            let start = s.len().checked_sub(n)?;
            return s.is_char_boundary(start).then_some(start);
        }
        let mut start = s.len();
        for _ in 0..self.chars {
            let c = s.get(..start)?.chars().next_back()?;
            start -= c.len_utf8();
        }
        Some(start)
    }

    /// Leftmost occurrence of the chunk in `hay` at or after byte `from`; returns its end.
    fn find_end(&self, hay: &str, from: usize) -> Option<usize> {
        if let (Some(_), [Seg::Lit(l)]) = (self.lit_only, &*self.segs) {
            let i = hay.get(from..)?.find(&**l)?;
            return Some(from + i + l.len());
        }
        let rest = hay.get(from..)?;
        if let Some(Seg::Lit(first)) = self.segs.first() {
            // Only positions where the leading literal occurs can start a match. Occurrences
            // may overlap (`bb?b` in `bbbabb` starts at the second `b`), so every one is
            // tried, not only `match_indices`' non-overlapping ones.
            let mut at = 0;
            while let Some(i) = rest.get(at..).and_then(|r| r.find(&**first)) {
                let start = at + i;
                if let Some(e) = self.match_at(hay, from + start) {
                    return Some(e);
                }
                at = start + rest[start..].chars().next().map_or(1, char::len_utf8);
            }
            return None;
        }
        for (i, _) in rest.char_indices() {
            if let Some(e) = self.match_at(hay, from + i) {
                return Some(e);
            }
        }
        // An all-`?` chunk can never match at the very end (it needs characters), but an
        // empty chunk could; empty chunks are filtered out before we get here.
        None
    }
}

#[derive(Clone, Debug)]
enum Kind {
    /// No wildcard at all: plain equality.
    Exact(Box<str>),
    /// Only stars: matches everything.
    Any,
    /// `?` but no `*`: the chunk must cover the whole input.
    Fixed(Chunk),
    /// At least one `*`.
    Glob {
        prefix: Chunk,
        middles: Box<[Chunk]>,
        suffix: Chunk,
    },
}

/// A compiled wildcard pattern.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    kind: Kind,
}

impl Pattern {
    /// Compiles a pattern where every `*` and `?` in `s` is a wildcard.
    pub(crate) fn new(s: &str) -> Pattern {
        Pattern::from_tokens(&tokenize_wild(s))
    }

    /// Compiles a pattern from tokens.
    pub(crate) fn from_tokens(toks: &[Tok]) -> Pattern {
        let stars = toks.iter().filter(|t| matches!(t, Tok::Star)).count();
        let has_q = toks.iter().any(|t| matches!(t, Tok::Q));
        let kind = if stars == 0 && !has_q {
            let mut s = String::new();
            for t in toks {
                if let Tok::Lit(l) = t {
                    s.push_str(l);
                }
            }
            Kind::Exact(s.into_boxed_str())
        } else if stars == 0 {
            Kind::Fixed(Chunk::from_toks(toks))
        } else if stars == toks.len() {
            Kind::Any
        } else {
            let mut chunks: Vec<Chunk> = toks
                .split(|t| matches!(t, Tok::Star))
                .map(Chunk::from_toks)
                .collect();
            // `split` on a slice with at least one star yields at least two pieces.
            let suffix = chunks.pop().unwrap_or_default();
            let prefix = if chunks.is_empty() {
                Chunk::default()
            } else {
                chunks.remove(0)
            };
            chunks.retain(|c| !c.is_empty());
            Kind::Glob {
                prefix,
                middles: chunks.into_boxed_slice(),
                suffix,
            }
        };
        Pattern { kind }
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        match &self.kind {
            Kind::Exact(e) => **e == *s,
            Kind::Any => true,
            Kind::Fixed(c) => c.match_at(s, 0) == Some(s.len()),
            Kind::Glob {
                prefix,
                middles,
                suffix,
            } => {
                let Some(mut pos) = prefix.match_at(s, 0) else {
                    return false;
                };
                let Some(sfx) = suffix.suffix_start(s) else {
                    return false;
                };
                if sfx < pos || suffix.match_at(s, sfx) != Some(s.len()) {
                    return false;
                }
                let hay = &s[..sfx];
                for m in middles.iter() {
                    match m.find_end(hay, pos) {
                        Some(e) => pos = e,
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

/// Matches `pattern` (raw, `*` and `?` as wildcards) against `s`. Convenience for one-off
/// matches; the evaluator keeps patterns compiled from parse time.
pub fn wildcard_match(pattern: &str, s: &str) -> bool {
    Pattern::new(pattern).matches(s)
}
