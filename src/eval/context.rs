//! The request context: known condition keys and their (multi-)values.

use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Keys by lower-cased name: (the name as given, the values).
type Keys = FxHashMap<Box<str>, (Box<str>, Vec<String>)>;

/// What is known of any request a principal of the organization `org_id`
/// makes through AWS's SDKs and CLI (the snapshot's and check-plan's
/// question), built once and shared by every context given it
/// ([`Context::insert_request_facts`]):
///
/// * `aws:PrincipalOrgID` = `org_id`, when known: the data-perimeter RCPs and
///   SCPs AWS publishes deny requests whose principal is *outside* the
///   organization, and a principal of the organization is not, so they must
///   not make its grants `conditionally_allowed`;
/// * `aws:PrincipalIsAWSService` = `false`: the principal calls with its own
///   credentials, it is not a service principal;
/// * `aws:SecureTransport` = `true`: the SDKs and the CLI always use TLS, so a
///   guardrail that only denies plain HTTP (AWS's sample "HTTPS only" RCP)
///   takes nothing away.
#[derive(Clone, Debug)]
pub struct RequestFacts(Arc<Keys>);

impl RequestFacts {
    /// The facts for principals of the organization `org_id` (`None`: unknown).
    pub fn new(org_id: Option<&str>) -> RequestFacts {
        let mut facts = Context::new();
        if let Some(org) = org_id {
            facts.insert("aws:PrincipalOrgID", vec![org.to_string()]);
        }
        facts.insert("aws:PrincipalIsAWSService", vec!["false".to_string()]);
        facts.insert("aws:SecureTransport", vec!["true".to_string()]);
        RequestFacts(Arc::new(facts.values))
    }
}

/// Request context keys with their values. Key lookup is case-insensitive (IAM condition key
/// names are), values are kept as given.
#[derive(Clone, Debug)]
pub struct Context {
    /// By lower-cased key. FxHash: a snapshot builds one context per role
    /// and asks it per condition; SipHash's DoS resistance buys nothing here.
    values: Keys,
    /// Keys shared with other contexts ([`RequestFacts`]), consulted after
    /// `values`: one reference instead of a copy per role.
    shared: Option<Arc<Keys>>,
    /// When true (the default, for "what can this role do" questions), a key a condition needs
    /// that is not in the context makes that condition Unknown and is reported as missing.
    /// When false, absent keys are absent with AWS semantics (IfExists true, Null per its value,
    /// negated operators true, others false).
    pub absent_keys_unknown: bool,
    /// Lower-cased key prefixes whose keys are all known even when
    /// `absent_keys_unknown` is set: a role's tags are known in full, so an
    /// absent `aws:PrincipalTag/x` is absent, not unknown.
    complete_prefixes: Vec<Box<str>>,
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl Context {
    /// An empty context where absent keys are unknown.
    pub fn new() -> Context {
        Context {
            values: FxHashMap::default(),
            shared: None,
            absent_keys_unknown: true,
            complete_prefixes: Vec::new(),
        }
    }

    /// An empty context where absent keys are simply absent (a fully described request).
    pub fn new_complete() -> Context {
        Context {
            absent_keys_unknown: false,
            ..Context::new()
        }
    }

    /// Builder form of setting [`Context::absent_keys_unknown`].
    pub fn with_absent_keys_unknown(mut self, unknown: bool) -> Context {
        self.absent_keys_unknown = unknown;
        self
    }

    /// Sets `key` (case-insensitive) to `values`, replacing any earlier values.
    pub fn insert(&mut self, key: impl Into<String>, values: Vec<String>) {
        let key: String = key.into();
        let lc = key.to_lowercase().into_boxed_str();
        self.values.insert(lc, (key.into_boxed_str(), values));
    }

    /// Values of `key` (case-insensitive), if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_lc(&key.to_lowercase())
    }

    /// True when `key` (case-insensitive) is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.all_values().count()
    }

    /// True when no key is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys as first inserted (original spelling), in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.all_values().map(|(k, _)| &**k)
    }

    /// The context a snapshot evaluates a role with: `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType` (`AssumedRole`) and one
    /// `aws:PrincipalTag/<key>` per tag, tags declared complete (a condition
    /// on a tag the role lacks is absent, not unknown). Everything else a
    /// condition might ask is unknown. See docs/EVALUATION.md.
    pub fn for_role<'t>(
        account_id: &str,
        role_arn: &str,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Context {
        let mut ctx = Context::new();
        ctx.insert("aws:PrincipalArn", vec![role_arn.to_string()]);
        ctx.insert("aws:PrincipalAccount", vec![account_id.to_string()]);
        ctx.insert("aws:PrincipalType", vec!["AssumedRole".to_string()]);
        for (key, value) in tags {
            ctx.insert(format!("aws:PrincipalTag/{key}"), vec![value.to_string()]);
        }
        ctx.mark_complete_prefix("aws:PrincipalTag/");
        ctx
    }

    /// Adds what is known of any request of the principal ([`RequestFacts`]).
    /// The facts are shared, not copied: a snapshot gives the same ones to
    /// every role of an account.
    pub fn insert_request_facts(&mut self, facts: &RequestFacts) {
        self.shared = Some(Arc::clone(&facts.0));
    }

    /// The keys of `self` and of its request facts; a key of its own hides
    /// the fact of the same name.
    fn all_values(&self) -> impl Iterator<Item = &(Box<str>, Vec<String>)> {
        let shared = self
            .shared
            .iter()
            .flat_map(|m| m.iter())
            .filter(|(lc, _)| !self.values.contains_key(*lc))
            .map(|(_, v)| v);
        self.values.values().chain(shared)
    }

    /// The known keys (original spelling) with their values, sorted by key:
    /// e.g. to send the same context to AWS's simulator.
    pub fn entries(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = self
            .all_values()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        out.sort();
        out
    }

    /// Declares every key starting with `prefix` (case-insensitive) fully
    /// known: absent ones are absent even when absent keys are otherwise
    /// unknown.
    pub fn mark_complete_prefix(&mut self, prefix: &str) {
        self.complete_prefixes
            .push(prefix.to_lowercase().into_boxed_str());
    }

    /// Whether an absent key (already lower-cased) counts as unknown.
    pub(crate) fn absent_is_unknown(&self, key_lc: &str) -> bool {
        self.absent_keys_unknown
            && !self
                .complete_prefixes
                .iter()
                .any(|p| key_lc.starts_with(&**p))
    }

    /// Lookup with an already lower-cased key (the hot path: no allocation).
    pub(crate) fn get_lc(&self, key_lc: &str) -> Option<&[String]> {
        self.values
            .get(key_lc)
            .or_else(|| self.shared.as_ref()?.get(key_lc))
            .map(|(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Request facts are read through every context given them, as if
    /// inserted; a key of the context's own hides the fact of that name.
    #[test]
    fn request_facts_are_shared_keys() {
        let facts = RequestFacts::new(Some("o-example"));
        let mut ctx = Context::for_role("123456789012", "arn:aws:iam::123456789012:role/r", []);
        ctx.insert_request_facts(&facts);
        assert_eq!(
            ctx.get("AWS:PrincipalOrgId"),
            Some(&["o-example".to_string()][..])
        );
        assert_eq!(
            ctx.get("aws:SecureTransport"),
            Some(&["true".to_string()][..])
        );
        assert_eq!(ctx.len(), 6);
        let keys: Vec<String> = ctx.entries().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "aws:PrincipalAccount",
                "aws:PrincipalArn",
                "aws:PrincipalIsAWSService",
                "aws:PrincipalOrgID",
                "aws:PrincipalType",
                "aws:SecureTransport"
            ]
        );
        ctx.insert("aws:SecureTransport", vec!["false".into()]);
        assert_eq!(
            ctx.get("aws:securetransport"),
            Some(&["false".to_string()][..])
        );
        assert_eq!(ctx.len(), 6);
        // Without the organization's id, it stays unknown.
        let mut other = Context::new();
        other.insert_request_facts(&RequestFacts::new(None));
        assert!(!other.contains("aws:PrincipalOrgID"));
        assert!(other.contains("aws:PrincipalIsAWSService"));
        assert_eq!(other.keys().count(), 2);
    }
}
