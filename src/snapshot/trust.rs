//! Roles' trust policies as the `roles` table stores them, decoded once per
//! distinct text within an account.
//!
//! Most roles of an account share a few trust policies (the generated
//! 20,000-role account has 1,107 distinct ones; real accounts repeat the
//! same service and SSO trusts). Decoding, normalizing and reading the
//! principals of each role's copy was about 5% of a snapshot (#13).

use crate::eval;
use crate::source::aws_json::DocText;
use crate::source::policy_doc;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// Distinct trust texts kept per account. Past it, trusts are decoded per
/// role, so an account whose every role has its own trust policy does not
/// hold them all.
const MAX_KEPT: usize = 4096;

/// A trust policy as the `roles` table stores it.
#[derive(Debug, PartialEq)]
pub(super) struct Trust {
    /// Normalized JSON text (see [`policy_doc::normalize`]).
    pub normalized: String,
    /// The principals it trusts (see [`eval::trusted_principals`]).
    pub principals: Vec<String>,
}

/// One account's trust policies by their text, shared by the threads that
/// collect its roles.
#[derive(Default)]
pub(super) struct Trusts {
    by_text: Mutex<FxHashMap<Box<str>, Arc<Trust>>>,
}

impl Trusts {
    /// The trust policy `doc`, or why it does not decode (not kept: the
    /// role's error names it).
    pub fn get(&self, doc: &DocText) -> Result<Arc<Trust>, String> {
        let text = doc.json();
        if let Some(t) = self.lock().get(text) {
            return Ok(Arc::clone(t));
        }
        // Decoded outside the lock; two threads meeting the same new text
        // both decode it, and the first one kept wins.
        let value = policy_doc::decode_text(doc)?;
        let trust = Arc::new(Trust {
            normalized: policy_doc::normalize(&value),
            principals: eval::trusted_principals(&value),
        });
        let mut kept = self.lock();
        if kept.len() < MAX_KEPT {
            kept.entry(text.into())
                .or_insert_with(|| Arc::clone(&trust));
        }
        Ok(trust)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<Box<str>, Arc<Trust>>> {
        // A panic while holding the lock leaves the map whole: entries are
        // inserted complete.
        self.by_text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> DocText {
        serde_json::from_str(json).unwrap()
    }

    const EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn a_trust_is_the_same_as_decoded_alone_and_shared_by_equal_texts() {
        let trusts = Trusts::default();
        let first = trusts.get(&doc(EC2)).unwrap();
        let value = policy_doc::decode_text(&doc(EC2)).unwrap();
        assert_eq!(first.normalized, policy_doc::normalize(&value));
        assert_eq!(first.principals, eval::trusted_principals(&value));
        assert_eq!(first.principals, ["service:ec2.amazonaws.com"]);
        let again = trusts.get(&doc(EC2)).unwrap();
        assert!(Arc::ptr_eq(&first, &again));

        // AWS's URL-encoded string form decodes to the same trust.
        let encoded = format!("\"{}\"", urlencode(EC2));
        let from_string = trusts.get(&doc(&encoded)).unwrap();
        assert_eq!(*from_string, *first);
    }

    #[test]
    fn a_trust_that_does_not_decode_is_an_error_and_is_not_kept() {
        let trusts = Trusts::default();
        let bad = doc(r#""%7B%22Statement%22""#);
        assert!(trusts.get(&bad).is_err());
        assert!(trusts.get(&bad).is_err());
        assert!(trusts.lock().is_empty());
    }

    #[test]
    fn past_the_limit_trusts_are_decoded_but_not_kept() {
        let trusts = Trusts::default();
        for i in 0..MAX_KEPT + 10 {
            let text = EC2.replace("ec2.amazonaws.com", &format!("svc{i}.amazonaws.com"));
            let t = trusts.get(&doc(&text)).unwrap();
            assert_eq!(t.principals, [format!("service:svc{i}.amazonaws.com")]);
        }
        assert_eq!(trusts.lock().len(), MAX_KEPT);
    }

    fn urlencode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
}
