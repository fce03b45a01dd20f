//! Policy documents: parsing `serde_json::Value` into compiled statements, and matching one
//! statement against a request.

use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

use crate::eval::any_resource::{self, Cover, NotCover};
use crate::eval::breadth::{self, Breadth};
use crate::eval::condition::{self, Clause, CondValue, Tri};
use crate::eval::context::Context;
use crate::eval::error::PolicyError;
use crate::eval::service_model::ServiceModel;
use crate::eval::template::{self, Resolved, TTok};
use crate::eval::wildcard::{Pattern, Tok};

/// A statement's effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    /// "Allow" or "Deny", as policies spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// The resource a request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestResource {
    /// "On any resource": see [`crate::eval::any_resource`] for what a statement must name.
    Any,
    /// One concrete ARN (matched case-sensitively).
    Arn(String),
    /// "On resources of at least this breadth, for a principal of `account`"
    /// (see [`crate::eval::breadth`]): an Allow statement matches when its
    /// resources reach that breadth; a Deny only when it reaches both that
    /// breadth and the whole account (a Deny on one role does not undo a grant
    /// on every other one, as a Deny on one bucket does not undo `*`).
    Breadth { level: Breadth, account: String },
}

#[derive(Clone, Debug)]
enum Actions {
    Action(Box<[Arc<Pattern>]>),
    NotAction(Box<[Arc<Pattern>]>),
}

#[derive(Clone, Debug)]
enum ResMatcher {
    Static(Pattern),
    Dynamic(Box<[TTok]>),
}

#[derive(Clone, Debug)]
struct ResPat {
    /// The pattern as written, for the service model's breadth rule.
    text: Box<str>,
    matcher: ResMatcher,
    /// The pattern's tokens for [`crate::eval::breadth`]; a policy variable
    /// is a placeholder literal (it stands for one name).
    toks: Option<Box<[Tok]>>,
    cover: Cover,
    not_cover: NotCover,
}

#[derive(Clone, Debug)]
enum Resources {
    /// Neither element (trust policies): matches any resource.
    Absent,
    Resource(Box<[Arc<ResPat>]>),
    NotResource(Box<[Arc<ResPat>]>),
}

/// A compiled statement.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    actions: Actions,
    resources: Resources,
    conditions: Box<[Clause]>,
    /// `Principal` / `NotPrincipal`, matched only for resource-based policies
    /// ([`crate::eval::resource`]); `None` when the statement has neither.
    pub principal: Option<Box<PrincipalSpec>>,
    /// This statement's breadth per (action, account), computed on first use:
    /// a managed policy is shared by every role of the account, so the
    /// service-model work is done once per account, not once per role.
    breadth: BreadthCache,
}

/// One cached answer: lower-case action, account, breadth of the statement's resources.
type BreadthEntry = (Box<str>, Box<str>, Option<Breadth>);

/// The answers of [`Statement::breadth_of`] so far.
#[derive(Debug, Default)]
struct BreadthCache(std::sync::Mutex<Vec<BreadthEntry>>);

impl Clone for BreadthCache {
    /// A clone starts empty: the cache is derived data.
    fn clone(&self) -> Self {
        BreadthCache::default()
    }
}

/// The breadth of a list of resource patterns, shared by every statement
/// that lists the same patterns (#13: a 20,000-role account's inline
/// policies have 40,000 statements but under 3,000 distinct resource lists,
/// and working out a breadth from the service model was half the evaluator's
/// time).
///
/// The answer depends only on the key's parts: the patterns' texts, whether
/// they are a `NotResource`, the action, and the principal's account and
/// partition. The account is left out when it cannot change the answer (see
/// [`key`]): an organization's accounts repeat the same roles with their own
/// account id in the ARNs, and each account working the same breadths out
/// again was a sixth of the evaluator's time on 50 accounts. Process-wide,
/// and emptied when it holds `CAP` answers so that a long run over many
/// accounts stays small.
mod shared_breadth {
    use super::{Arc, Breadth, ResPat};
    use rustc_hash::FxHashMap;
    use std::sync::{Mutex, OnceLock};

    /// Answers kept before the memo is emptied (each about 200 bytes).
    const CAP: usize = 100_000;

    /// What stands for the principal's account in a key that leaves it out.
    const OWN_ACCOUNT: &str = "\u{1}";

    /// Keyed with the Fx hash: the keys are long and built by us, and
    /// SipHash over them was a visible share of the evaluator's time.
    fn memo() -> &'static Mutex<FxHashMap<String, Option<Breadth>>> {
        static MEMO: OnceLock<Mutex<FxHashMap<String, Option<Breadth>>>> = OnceLock::new();
        MEMO.get_or_init(Default::default)
    }

    /// The key of a question: its parts joined by NUL, which no pattern,
    /// action, account or partition contains.
    ///
    /// When [`account_free`] holds, the key has no account and each copy of
    /// the account in a pattern becomes [`OWN_ACCOUNT`]: `role/*` of account
    /// A and of account B then share one answer. Keys of both kinds start
    /// with their kind, so they never meet.
    pub(super) fn key(
        pats: &[Arc<ResPat>],
        negated: bool,
        action_lc: &str,
        account: &str,
        partition: &str,
    ) -> String {
        let free = account_free(pats, account);
        let len = action_lc.len() + account.len() + partition.len() + 6;
        let mut key =
            String::with_capacity(len + pats.iter().map(|p| p.text.len() + 1).sum::<usize>());
        key.push(if free { 'F' } else { 'A' });
        for part in [if negated { "1" } else { "0" }, action_lc] {
            key.push_str(part);
            key.push('\0');
        }
        if !free {
            key.push_str(account);
            key.push('\0');
        }
        key.push_str(partition);
        for p in pats {
            key.push('\0');
            if free {
                push_replaced(&mut key, &p.text, account, OWN_ACCOUNT);
            } else {
                key.push_str(&p.text);
            }
        }
        key
    }

    /// Can the patterns' breadth not depend on which account `account` is?
    ///
    /// A breadth is decided by matching the patterns against ARNs of the
    /// action's resource types whose account segment is the principal's
    /// account (a 12-digit run between colons) and whose other parts are
    /// sentinels with no digits. A pattern's literal digits can then only
    /// meet digits of that account, and the answer stays the same for every
    /// account, when:
    /// - the account is 12 ASCII digits;
    /// - no pattern has a variable (`${aws:PrincipalAccount}` is the account)
    ///   or a NUL or [`OWN_ACCOUNT`] of its own;
    /// - once the account's copies are taken out, every run of digits left
    ///   follows a letter (`s3`, `ec2`, `route53`, `logs-v2`), so it can only
    ///   face the digits of a service name, never part of an account
    ///   (`arn:aws:iam::1234*:role/*` covers some accounts and not others),
    ///   and no copy of the account follows a digit.
    fn account_free(pats: &[Arc<ResPat>], account: &str) -> bool {
        account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && pats.iter().all(|p| {
                let text = &*p.text;
                !text.contains(['$', '\0', '\u{1}'])
                    && text.split(account).all(digit_runs_follow_letters)
                    && !text
                        .match_indices(account)
                        .any(|(i, _)| text[..i].ends_with(|c: char| c.is_ascii_digit()))
            })
    }

    /// Does every run of ASCII digits in `text` follow an ASCII letter? A
    /// run at the start follows whatever came before the piece, which is
    /// the account or the start of the pattern: not a letter.
    fn digit_runs_follow_letters(text: &str) -> bool {
        let mut prev: Option<u8> = None;
        for b in text.bytes() {
            let starts_run = b.is_ascii_digit() && !prev.is_some_and(|p| p.is_ascii_digit());
            if starts_run && !prev.is_some_and(|p| p.is_ascii_alphabetic()) {
                return false;
            }
            prev = Some(b);
        }
        true
    }

    /// Pushes `text` onto `out` with each `from` replaced by `to`.
    fn push_replaced(out: &mut String, text: &str, from: &str, to: &str) {
        let mut pieces = text.split(from);
        if let Some(first) = pieces.next() {
            out.push_str(first);
        }
        for piece in pieces {
            out.push_str(to);
            out.push_str(piece);
        }
    }

    pub(super) fn get(key: &str) -> Option<Option<Breadth>> {
        memo()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .copied()
    }

    pub(super) fn put(key: String, breadth: Option<Breadth>) {
        let mut memo = memo().lock().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= CAP {
            memo.clear();
        }
        memo.insert(key, breadth);
    }
}

/// The parts of a request a statement looks at, prepared once per request.
pub(crate) struct Prepared<'r> {
    /// `service:action`, lower-cased.
    pub action_lc: &'r str,
    /// The service prefix of the action, lower-cased.
    pub service_lc: &'r str,
    pub resource: &'r RequestResource,
    pub context: &'r Context,
}

/// A compiled policy document. Cloning is cheap (a reference count): a managed
/// policy is compiled once per account and shared by every role attaching it.
#[derive(Clone, Debug)]
pub struct Policy(std::sync::Arc<Compiled>);

#[derive(Debug)]
struct Compiled {
    id: String,
    version: Option<String>,
    statements: Vec<Statement>,
    /// Per lower-case action, the indices of the statements whose actions
    /// match it (see [`Policy::statements_naming`]); `None` for a policy
    /// parsed with [`Policy::parse_unshared`].
    naming: Option<NamingCache>,
}

/// A lower-case action and the indices of the statements naming it.
type NamingEntry = (Box<str>, Box<[u32]>);

/// Actions whose statement lists a policy keeps: the snapshot asks its
/// sensitive actions (7 by default) of every role. More (a `simulate` over
/// many actions) are worked out on each ask.
const NAMING_CACHE: usize = 8;

/// Append-only slots, read without a lock: every role of an account asks a
/// shared managed policy the same few actions from every core, and a mutex
/// around the list was a tenth of the evaluator's time (perf, #13).
#[derive(Debug, Default)]
struct NamingCache {
    slots: [std::sync::OnceLock<NamingEntry>; NAMING_CACHE],
    /// Held while a slot is filled, so that two threads asking the same
    /// new action fill one slot, not two.
    fill: std::sync::Mutex<()>,
}

impl NamingCache {
    /// The statements naming `action_lc`, if a slot holds them (slots fill
    /// in order, so the first empty one ends the search).
    fn find(&self, action_lc: &str) -> Option<&[u32]> {
        self.slots
            .iter()
            .map_while(|slot| slot.get())
            .find(|(a, _)| **a == *action_lc)
            .map(|(_, found)| &**found)
    }
}

type StmtResult<T> = Result<T, (String, String)>;

fn err(field: impl Into<String>, reason: impl Into<String>) -> (String, String) {
    (field.into(), reason.into())
}

/// A string or a list of strings.
fn str_list<'v>(v: &'v Value, field: &str) -> StmtResult<Vec<&'v str>> {
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str()
                    .ok_or_else(|| err(format!("{field}[{i}]"), "expected a string"))
            })
            .collect(),
        _ => Err(err(field, "expected a string or a list of strings")),
    }
}

/// A string, number or boolean, or a list of those, normalised to strings:
/// condition values in policies and context values in simulate requests.
/// On error, the field (with `[i]` for a bad list item) and why.
pub(crate) fn scalar_values(v: &Value, field: &str) -> Result<Vec<String>, (String, &'static str)> {
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                scalar(x).ok_or_else(|| {
                    (
                        format!("{field}[{i}]"),
                        "expected a string, number or boolean",
                    )
                })
            })
            .collect(),
        other => scalar(other).map(|s| vec![s]).ok_or_else(|| {
            (
                field.to_string(),
                "expected a string, number, boolean or a list of them",
            )
        }),
    }
}

/// A condition value: string, number or boolean, or a list of those.
fn cond_values(v: &Value, field: &str) -> StmtResult<Vec<String>> {
    scalar_values(v, field).map_err(|(field, reason)| err(field, reason))
}

/// A statement's `Principal` (or, `negated`, `NotPrincipal`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrincipalSpec {
    pub negated: bool,
    /// `"*"` or `{"AWS": "*"}`: everyone.
    pub everyone: bool,
    /// `AWS` entries as written (account ids, account root ARNs, role/user/session ARNs).
    pub aws: Box<[Box<str>]>,
    /// `Service` entries (`s3.amazonaws.com`).
    pub service: Box<[Box<str>]>,
    /// `Federated` entries: SAML or OIDC identity providers (`arn:aws:iam::A:saml-provider/P`,
    /// `accounts.google.com`), named in trust policies for `sts:AssumeRoleWith*`.
    pub federated: Box<[Box<str>]>,
    /// `CanonicalUser` entries: S3 canonical user ids (an account, or a CloudFront origin
    /// access identity).
    pub canonical_user: Box<[Box<str>]>,
}

fn parse_principal(v: &Value, field: &str, negated: bool) -> StmtResult<PrincipalSpec> {
    let mut spec = PrincipalSpec {
        negated,
        ..PrincipalSpec::default()
    };
    match v {
        Value::String(s) if s == "*" => spec.everyone = true,
        Value::Object(m) => {
            for (k, val) in m {
                let list = match k.as_str() {
                    "AWS" | "Service" | "Federated" | "CanonicalUser" => {
                        str_list(val, &format!("{field}.{k}"))?
                    }
                    _ => return Err(err(format!("{field}.{k}"), "unknown principal type")),
                };
                let owned = || list.iter().map(|s| Box::<str>::from(*s)).collect();
                match k.as_str() {
                    "AWS" if list.contains(&"*") => spec.everyone = true,
                    "AWS" => spec.aws = owned(),
                    "Service" => spec.service = owned(),
                    "Federated" => spec.federated = owned(),
                    _ => spec.canonical_user = owned(),
                }
            }
        }
        _ => return Err(err(field, "expected \"*\" or an object of principal types")),
    }
    Ok(spec)
}

fn parse_actions(list: &[&str]) -> Box<[Arc<Pattern>]> {
    list.iter().map(|a| compiled::action(a)).collect()
}

fn parse_resources(list: &[&str], vars: bool) -> Box<[Arc<ResPat>]> {
    list.iter().map(|r| compiled::resource(r, vars)).collect()
}

/// Compiles one `Resource` / `NotResource` pattern.
fn compile_resource(r: &str, vars: bool) -> ResPat {
    let toks = template::tokenize(r, true, vars);
    let not_cover = any_resource::not_cover_of(&toks);
    let (matcher, cover, static_toks) = match template::as_static(&toks) {
        Some(st) => (
            ResMatcher::Static(Pattern::from_tokens(&st)),
            any_resource::cover_of(&st),
            Some(st.into_boxed_slice()),
        ),
        None => {
            let placeholder = template::with_placeholders(&toks);
            (
                ResMatcher::Dynamic(toks.into_boxed_slice()),
                Cover::Never,
                Some(placeholder.into_boxed_slice()),
            )
        }
    };
    ResPat {
        text: r.into(),
        matcher,
        toks: static_toks,
        cover,
        not_cover,
    }
}

/// Compiled action and resource patterns, shared by every statement that
/// lists the same text. An account's policies repeat a few patterns many
/// times: the 20,000-role bench account's 62,000 statements list 146,000
/// actions but 155 distinct ones, and 70,000 resources but 3,800 distinct
/// ones, and compiling each copy again was about half of compiling a policy
/// (#13). A compiled pattern depends only on its text (and, for resources,
/// on whether policy variables are read), so a copy is as good as a fresh
/// compile.
///
/// One memo per thread, so that the evaluating threads never wait on each
/// other. Each is emptied when it holds `CAP` patterns, and on its next use
/// after [`forget_shared_patterns`] (the snapshot calls it as each account
/// starts: most resource patterns name their own account, and memos that
/// kept every account's were 15 MB more at the peak on 50 accounts).
mod compiled {
    use super::{Arc, Pattern, ResPat};
    use rustc_hash::FxHashMap;
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Patterns a memo keeps before it is emptied (each a few hundred bytes).
    const CAP: usize = 16_384;

    /// Bumped by [`forget`]; a memo filled in an earlier generation is
    /// emptied on its next use.
    static GENERATION: AtomicU64 = AtomicU64::new(0);

    thread_local! {
        static MEMO: RefCell<Memo> = RefCell::default();
    }

    /// Lets every thread's memo go (on its next use).
    pub(super) fn forget() {
        GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    /// The action pattern `text` (matched case-insensitively).
    pub(super) fn action(text: &str) -> Arc<Pattern> {
        with_memo(|m| m.action(text))
    }

    /// The resource pattern `text`; `vars`: whether `${...}` is a policy
    /// variable.
    pub(super) fn resource(text: &str, vars: bool) -> Arc<ResPat> {
        with_memo(|m| m.resource(text, vars))
    }

    /// Runs `f` on this thread's memo, renewed to the current generation.
    fn with_memo<R>(f: impl FnOnce(&mut Memo) -> R) -> R {
        MEMO.with_borrow_mut(|m| {
            m.renew(GENERATION.load(Ordering::Relaxed));
            f(m)
        })
    }

    /// One thread's compiled patterns, by their text.
    #[derive(Default)]
    struct Memo {
        generation: u64,
        actions: FxHashMap<Box<str>, Arc<Pattern>>,
        /// Indexed by whether policy variables are read.
        resources: [FxHashMap<Box<str>, Arc<ResPat>>; 2],
    }

    impl Memo {
        /// Empties the memo if it was filled in another generation.
        fn renew(&mut self, generation: u64) {
            if self.generation != generation {
                *self = Memo {
                    generation,
                    ..Memo::default()
                };
            }
        }

        fn action(&mut self, text: &str) -> Arc<Pattern> {
            get_or_compile(&mut self.actions, text, || {
                Pattern::new(&text.to_lowercase())
            })
        }

        fn resource(&mut self, text: &str, vars: bool) -> Arc<ResPat> {
            get_or_compile(&mut self.resources[usize::from(vars)], text, || {
                super::compile_resource(text, vars)
            })
        }
    }

    /// Finds `text` in `map`, or compiles and keeps it.
    fn get_or_compile<T>(
        map: &mut FxHashMap<Box<str>, Arc<T>>,
        text: &str,
        compile: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(found) = map.get(text) {
            return Arc::clone(found);
        }
        if map.len() >= CAP {
            map.clear();
        }
        let compiled = Arc::new(compile());
        map.insert(text.into(), Arc::clone(&compiled));
        compiled
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::eval::policy::ResMatcher;

        #[test]
        fn the_same_text_is_compiled_once() {
            let mut m = Memo::default();
            let a = m.resource("arn:aws:s3:::memo-bucket/*", true);
            assert!(Arc::ptr_eq(
                &a,
                &m.resource("arn:aws:s3:::memo-bucket/*", true)
            ));
            assert!(Arc::ptr_eq(
                &m.action("S3:GetObject"),
                &m.action("S3:GetObject")
            ));
            // A copy is as good as a fresh compile.
            let fresh = Memo::default().resource("arn:aws:s3:::memo-bucket/*", true);
            assert_eq!(format!("{:?}", *a), format!("{:?}", *fresh));
        }

        #[test]
        fn each_thread_has_its_own_memo() {
            let here = resource("arn:aws:s3:::memo-thread/*", false);
            let there = std::thread::spawn(|| resource("arn:aws:s3:::memo-thread/*", false))
                .join()
                .unwrap();
            assert!(!Arc::ptr_eq(&here, &there));
            assert_eq!(format!("{:?}", *here), format!("{:?}", *there));
        }

        #[test]
        fn variables_are_part_of_the_key() {
            let mut m = Memo::default();
            let text = "arn:aws:s3:::home/${aws:username}/*";
            assert!(matches!(
                m.resource(text, true).matcher,
                ResMatcher::Dynamic(_)
            ));
            assert!(matches!(
                m.resource(text, false).matcher,
                ResMatcher::Static(_)
            ));
        }

        #[test]
        fn actions_are_matched_case_insensitively_whatever_their_first_spelling() {
            let mut m = Memo::default();
            let first = m.action("IAM:PassRole");
            assert!(first.matches("iam:passrole"));
            let other = m.action("iam:passrole");
            assert!(other.matches("iam:passrole"));
            assert!(!Arc::ptr_eq(&first, &other), "keys are the text as written");
        }

        #[test]
        fn a_new_generation_empties_the_memo() {
            let mut m = Memo::default();
            let before = m.resource("arn:aws:s3:::forget-me", false);
            m.renew(m.generation);
            assert!(Arc::ptr_eq(
                &before,
                &m.resource("arn:aws:s3:::forget-me", false)
            ));
            m.renew(m.generation + 1);
            assert!(m.resources[0].is_empty());
            assert!(!Arc::ptr_eq(
                &before,
                &m.resource("arn:aws:s3:::forget-me", false)
            ));
        }

        #[test]
        fn forgetting_starts_a_new_generation() {
            let before = GENERATION.load(Ordering::Relaxed);
            forget();
            assert!(GENERATION.load(Ordering::Relaxed) > before);
        }

        #[test]
        fn a_full_memo_is_emptied_not_grown() {
            let mut m = Memo::default();
            for i in 0..CAP + 10 {
                m.resource(&format!("arn:aws:s3:::cap-{i}"), false);
            }
            assert_eq!(m.resources[0].len(), 10, "emptied when full, then refilled");
        }
    }
}

/// Lets the compiled patterns that policies share ([`compiled`]) go: they
/// are kept per thread until this is called or a memo fills. The snapshot
/// calls it as each account starts. Only memory changes: a pattern asked
/// again is compiled again, the same.
pub fn forget_shared_patterns() {
    compiled::forget();
}

fn parse_condition(v: &Value, vars: bool) -> Result<Vec<Clause>, PolicyErrorPart> {
    let Value::Object(ops) = v else {
        return Err(PolicyErrorPart::Field(err(
            "Condition",
            "expected an object",
        )));
    };
    let mut clauses = Vec::new();
    for (op, keys) in ops {
        let Some((family, negated, if_exists, set)) = condition::parse_operator(op) else {
            return Err(PolicyErrorPart::Operator(op.clone()));
        };
        let Value::Object(keys) = keys else {
            return Err(PolicyErrorPart::Field(err(
                format!("Condition.{op}"),
                "expected an object of condition keys",
            )));
        };
        for (key, vals) in keys {
            let field = format!("Condition.{op}.{key}");
            let raw = cond_values(vals, &field).map_err(PolicyErrorPart::Field)?;
            let wild = condition::family_is_wild(family);
            let mut values = Vec::with_capacity(raw.len());
            for (i, s) in raw.iter().enumerate() {
                let toks = template::tokenize(s, wild, vars);
                let value = match template::as_static(&toks) {
                    Some(st) => CondValue::Static(
                        condition::compile_value(family, &st)
                            .map_err(|r| PolicyErrorPart::Field(err(format!("{field}[{i}]"), r)))?,
                    ),
                    None => CondValue::Dynamic(toks.into_boxed_slice()),
                };
                values.push(value);
            }
            clauses.push(Clause {
                family,
                negated,
                if_exists,
                set,
                key: key.as_str().into(),
                key_lc: key.to_lowercase().into_boxed_str(),
                values: values.into_boxed_slice(),
            });
        }
    }
    Ok(clauses)
}

enum PolicyErrorPart {
    Field((String, String)),
    Operator(String),
}

fn parse_statement(v: &Value, vars: bool) -> Result<Statement, PolicyErrorPart> {
    let f = PolicyErrorPart::Field;
    let Value::Object(m) = v else {
        return Err(f(err("Statement", "expected an object")));
    };
    for k in m.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(f(err(k.as_str(), "unknown statement element")));
        }
    }
    let sid = match m.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(f(err("Sid", "expected a string"))),
    };
    let effect = match m.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(_) => return Err(f(err("Effect", "expected \"Allow\" or \"Deny\""))),
        None => return Err(f(err("Effect", "missing"))),
    };
    let actions = match (m.get("Action"), m.get("NotAction")) {
        (Some(a), None) => Actions::Action(parse_actions(&str_list(a, "Action").map_err(f)?)),
        (None, Some(a)) => Actions::NotAction(parse_actions(&str_list(a, "NotAction").map_err(f)?)),
        (Some(_), Some(_)) => return Err(f(err("NotAction", "cannot be combined with Action"))),
        (None, None) => return Err(f(err("Action", "missing (need Action or NotAction)"))),
    };
    let resources = match (m.get("Resource"), m.get("NotResource")) {
        (Some(r), None) => {
            Resources::Resource(parse_resources(&str_list(r, "Resource").map_err(f)?, vars))
        }
        (None, Some(r)) => Resources::NotResource(parse_resources(
            &str_list(r, "NotResource").map_err(f)?,
            vars,
        )),
        (Some(_), Some(_)) => {
            return Err(f(err("NotResource", "cannot be combined with Resource")));
        }
        (None, None) => Resources::Absent,
    };
    let principal = match (m.get("Principal"), m.get("NotPrincipal")) {
        (Some(p), None) => Some(Box::new(parse_principal(p, "Principal", false).map_err(f)?)),
        (None, Some(p)) => Some(Box::new(
            parse_principal(p, "NotPrincipal", true).map_err(f)?,
        )),
        (Some(_), Some(_)) => {
            return Err(f(err("NotPrincipal", "cannot be combined with Principal")));
        }
        (None, None) => None,
    };
    let conditions = match m.get("Condition") {
        Some(c) => parse_condition(c, vars)?,
        None => Vec::new(),
    };
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        conditions: conditions.into_boxed_slice(),
        principal,
        breadth: BreadthCache::default(),
    })
}

impl Policy {
    /// Parses and compiles a policy document. `id` names the policy in decisions and errors
    /// (an ARN, `inline:<name>`, an SCP id, ...).
    pub fn parse(id: impl Into<String>, doc: &Value) -> Result<Policy, PolicyError> {
        Policy::compile(id.into(), doc, true)
    }

    /// [`Policy::parse`] for a policy that one principal holds and that is
    /// asked each action once (a role's inline policy in the snapshot). It
    /// does not remember which of its statements name an action: for such a
    /// policy, filling that memory cost more than it saved (perf, #13).
    pub fn parse_unshared(id: impl Into<String>, doc: &Value) -> Result<Policy, PolicyError> {
        Policy::compile(id.into(), doc, false)
    }

    fn compile(id: String, doc: &Value, remember_naming: bool) -> Result<Policy, PolicyError> {
        let Value::Object(m) = doc else {
            return Err(PolicyError::NotAnObject { policy_id: id });
        };
        let doc_err = |field: &str, reason: &str| PolicyError::Document {
            policy_id: id.clone(),
            field: field.to_string(),
            reason: reason.to_string(),
        };
        for k in m.keys() {
            if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
                return Err(doc_err(k, "unknown policy element"));
            }
        }
        let version = match m.get("Version") {
            None => None,
            Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => Some(v.clone()),
            Some(_) => {
                return Err(doc_err(
                    "Version",
                    "expected \"2012-10-17\" or \"2008-10-17\"",
                ));
            }
        };
        if let Some(idv) = m.get("Id")
            && !idv.is_string()
        {
            return Err(doc_err("Id", "expected a string"));
        }
        // As in AWS, policy variables exist only in the 2012-10-17 language; older (or absent)
        // versions treat `${...}` as literal text.
        let vars = version.as_deref() == Some("2012-10-17");
        let raw: Vec<&Value> = match m.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            Some(_) => {
                return Err(doc_err(
                    "Statement",
                    "expected an object or a list of objects",
                ));
            }
            None => return Err(doc_err("Statement", "missing")),
        };
        let mut statements = Vec::with_capacity(raw.len());
        for (i, s) in raw.into_iter().enumerate() {
            match parse_statement(s, vars) {
                Ok(st) => statements.push(st),
                Err(PolicyErrorPart::Field((field, reason))) => {
                    return Err(PolicyError::Statement {
                        policy_id: id,
                        statement: i,
                        field,
                        reason,
                    });
                }
                Err(PolicyErrorPart::Operator(operator)) => {
                    return Err(PolicyError::UnknownOperator {
                        policy_id: id,
                        statement: i,
                        operator,
                    });
                }
            }
        }
        Ok(Policy(std::sync::Arc::new(Compiled {
            id,
            version,
            statements,
            naming: remember_naming.then(NamingCache::default),
        })))
    }

    /// Parses a policy document from raw bytes (as stored, or URL-decoded from IAM).
    pub fn parse_json(id: impl Into<String>, bytes: &[u8]) -> Result<Policy, PolicyError> {
        let id: String = id.into();
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => Policy::parse(id, &v),
            Err(e) => Err(PolicyError::InvalidJson {
                policy_id: id,
                reason: e.to_string(),
            }),
        }
    }

    /// The id given to [`Policy::parse`].
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The document's `Version`, if it had one.
    pub fn version(&self) -> Option<&str> {
        self.0.version.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.0.statements.len()
    }

    /// `(Sid, Effect)` of each statement, in document order.
    pub fn statements(&self) -> impl Iterator<Item = (Option<&str>, Effect)> {
        self.0
            .statements
            .iter()
            .map(|s| (s.sid.as_deref(), s.effect))
    }

    pub(crate) fn compiled_statements(&self) -> &[Statement] {
        &self.0.statements
    }

    /// The indices of the statements whose actions match `action_lc`, in
    /// order. Worked out once per action: a managed policy is shared by
    /// every role of the account attaching it, and matching every
    /// statement's action patterns again for each of them was a quarter of
    /// the evaluator's time (perf, #13). A policy parsed with
    /// [`Policy::parse_unshared`] works them out on each ask.
    pub(crate) fn statements_naming(&self, action_lc: &str) -> std::borrow::Cow<'_, [u32]> {
        use std::borrow::Cow;
        let matching = || -> Vec<u32> {
            (0u32..)
                .zip(&self.0.statements)
                .filter(|(_, s)| s.action_matches(action_lc))
                .map(|(i, _)| i)
                .collect()
        };
        let Some(cache) = &self.0.naming else {
            return Cow::Owned(matching());
        };
        if let Some(found) = cache.find(action_lc) {
            return Cow::Borrowed(found);
        }
        let found = matching();
        let _filling = cache.fill.lock().unwrap_or_else(|e| e.into_inner());
        for slot in &cache.slots {
            match slot.get() {
                // Filled by another thread since the look above.
                Some((a, found)) if **a == *action_lc => return Cow::Borrowed(found),
                Some(_) => {}
                None => {
                    let (_, found) = slot.get_or_init(|| (action_lc.into(), found.into()));
                    return Cow::Borrowed(found);
                }
            }
        }
        Cow::Owned(found)
    }

    /// Calls `f` with the index and the statement of each statement whose
    /// actions match `action_lc`, in order: [`Policy::statements_naming`]
    /// without a list in between when the policy does not remember it.
    pub(crate) fn each_statement_naming<'p>(
        &'p self,
        action_lc: &str,
        mut f: impl FnMut(usize, &'p Statement),
    ) {
        let statements = &self.0.statements;
        if self.0.naming.is_some() {
            for &index in self.statements_naming(action_lc).iter() {
                f(index as usize, &statements[index as usize]);
            }
        } else {
            for (index, stmt) in statements.iter().enumerate() {
                if stmt.action_matches(action_lc) {
                    f(index, stmt);
                }
            }
        }
    }
}

impl Statement {
    pub(crate) fn action_matches(&self, action_lc: &str) -> bool {
        match &self.actions {
            Actions::Action(p) => p.iter().any(|p| p.matches(action_lc)),
            Actions::NotAction(p) => !p.iter().any(|p| p.matches(action_lc)),
        }
    }

    fn resource_matches<'p>(&'p self, req: &Prepared<'_>, missing: &mut Vec<&'p str>) -> Tri {
        let (pats, negated) = match &self.resources {
            Resources::Absent => return Tri::True,
            Resources::Resource(p) => (p, false),
            Resources::NotResource(p) => (p, true),
        };
        match req.resource {
            RequestResource::Any => Tri::from_bool(if negated {
                // A wildcard-only action is authorized against the text `*`.
                let wildcard_only = ServiceModel::try_bundled()
                    .ok()
                    .and_then(|m| m.is_wildcard_only(req.action_lc))
                    .unwrap_or(false);
                if wildcard_only {
                    pats.iter().all(|p| match &p.matcher {
                        ResMatcher::Static(pat) => !pat.matches("*"),
                        ResMatcher::Dynamic(_) => true,
                    })
                } else {
                    pats.iter()
                        .all(|p| !p.not_cover.may_match_service(req.service_lc))
                }
            } else {
                pats.iter()
                    .any(|p| p.cover.covers(req.service_lc, req.action_lc))
            }),
            RequestResource::Breadth { level, account } => {
                let need = match self.effect {
                    Effect::Allow => *level,
                    Effect::Deny => (*level).max(Breadth::Account),
                };
                let b = self.breadth_of(pats, negated, req, account);
                Tri::from_bool(b.is_some_and(|b| b >= need))
            }
            RequestResource::Arn(arn) => {
                let mut any = Tri::False;
                for p in pats.iter() {
                    let r = match &p.matcher {
                        ResMatcher::Static(pat) => Tri::from_bool(pat.matches(arn)),
                        ResMatcher::Dynamic(toks) => {
                            match template::resolve(toks, req.context, missing) {
                                Resolved::Unknown => Tri::Unknown,
                                Resolved::NoMatch => Tri::False,
                                Resolved::Tokens(t) => {
                                    Tri::from_bool(Pattern::from_tokens(&t).matches(arn))
                                }
                            }
                        }
                    };
                    any = any.or(r);
                    if any == Tri::True {
                        break;
                    }
                }
                if negated { any.not() } else { any }
            }
        }
    }

    /// The widest breadth this statement's resources reach for the request's
    /// action (`Any` without a resource element), ignoring its conditions:
    /// no breadth wider than this can be allowed by it.
    pub(crate) fn reach(&self, req: &Prepared<'_>, account: &str) -> Option<Breadth> {
        match &self.resources {
            Resources::Absent => Some(Breadth::Any),
            Resources::Resource(p) => self.breadth_of(p, false, req, account),
            Resources::NotResource(p) => self.breadth_of(p, true, req, account),
        }
    }

    /// The breadth of this statement's resources for the request's action,
    /// for a principal of `account` (cached per action and account). With
    /// the service model's ARN formats when it knows the action, else by the
    /// ARN's shape ([`breadth::heuristic`]). `None`: no resource applies.
    fn breadth_of(
        &self,
        pats: &[Arc<ResPat>],
        negated: bool,
        req: &Prepared<'_>,
        account: &str,
    ) -> Option<Breadth> {
        let mut cache = self.breadth.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, b)) = cache
            .iter()
            .find(|(a, acct, _)| **a == *req.action_lc && **acct == *account)
        {
            return *b;
        }
        // The partition of the principal (`aws`, `aws-cn`, `aws-us-gov`).
        let partition: &str = match req.context.get_lc("aws:principalarn") {
            Some([arn]) => arn.split(':').nth(1).unwrap_or("aws"),
            _ => "aws",
        };
        // Another statement may have asked already: inline policies are
        // compiled per role, but repeat the same resources across roles.
        let key = shared_breadth::key(pats, negated, req.action_lc, account, partition);
        if let Some(b) = shared_breadth::get(&key) {
            cache.push((req.action_lc.into(), account.into(), b));
            return b;
        }
        let scope = breadth::Scope { account, partition };
        let texts: Vec<&str> = pats.iter().map(|p| &*p.text).collect();
        let model = ServiceModel::try_bundled().ok();
        let b = match model.and_then(|m| m.action(req.action_lc)) {
            Some(a) if negated => breadth::action_not_resource_breadth(a, &texts, &scope),
            Some(a) => breadth::action_breadth(a, &texts, &scope),
            None if negated => Some(breadth::heuristic::of_not_resource(
                pats.iter()
                    .map(|p| (p.toks.as_deref(), &p.not_cover, &p.cover)),
                req.service_lc,
                req.action_lc,
                account,
            )),
            None => pats
                .iter()
                .filter_map(|p| {
                    let toks = p.toks.as_deref()?;
                    // A variable's placeholder never covers: its cover is rebuilt.
                    let cover = match &p.matcher {
                        ResMatcher::Static(_) => p.cover.clone(),
                        ResMatcher::Dynamic(_) => any_resource::cover_of(toks),
                    };
                    breadth::heuristic::of_pattern(
                        toks,
                        &cover,
                        req.service_lc,
                        req.action_lc,
                        account,
                    )
                })
                .max(),
        };
        cache.push((req.action_lc.into(), account.into(), b));
        shared_breadth::put(key, b);
        b
    }

    /// Three-valued match of this statement against the request. Keys that made the result
    /// Unknown are appended to `missing` (only when the result is Unknown).
    pub(crate) fn matches<'p>(&'p self, req: &Prepared<'_>, missing: &mut Vec<&'p str>) -> Tri {
        if !self.action_matches(req.action_lc) {
            return Tri::False;
        }
        self.matches_named(req, missing)
    }

    /// As [`Statement::matches`], for a statement whose actions are known to
    /// match the request's.
    pub(crate) fn matches_named<'p>(
        &'p self,
        req: &Prepared<'_>,
        missing: &mut Vec<&'p str>,
    ) -> Tri {
        let start = missing.len();
        let mut acc = self.resource_matches(req, missing);
        if acc != Tri::False {
            for c in self.conditions.iter() {
                acc = acc.and(c.eval(req.context, missing));
                if acc == Tri::False {
                    break;
                }
            }
        }
        if acc != Tri::Unknown {
            missing.truncate(start);
        }
        acc
    }
}
