//! Terraform state files (JSON state format v4, Terraform 0.12 and later):
//! which state, module and resource address manage each IAM role and user,
//! and which policy resources grant them what — so an owner can be found
//! from the code that made a role, and a finding names the line to change.
//!
//! States are read from local files, folders (every `*.tfstate` below them)
//! and `s3://bucket/prefix` (every `*.tfstate` object under the prefix, as
//! Terraform's S3 backend stores them: `key`, or `env:/<workspace>/key` for
//! workspaces). Only `managed` resources count: a `data` source reads a
//! role, it does not manage it.

use super::AnalyzeError;
use crate::lake::s3::{S3Lake, S3Location, S3Options};
use crate::source::aws::AwsConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a resource is defined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IacRef {
    /// The state it is in: the file path or the `s3://` URI of the object.
    pub state: String,
    /// Module address (`module.app`, `module.app.module.role["api"]`);
    /// `None` in the root module.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Full resource address (`module.app.aws_iam_role.this["api"]`).
    pub address: String,
}

/// A policy resource of a state that can grant a role permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyResource {
    pub at: IacRef,
    /// The policy document, when the state holds it.
    pub document: Option<String>,
}

/// What a set of states manages.
#[derive(Debug, Clone, Default)]
pub struct TerraformIndex {
    /// Role and user ARNs → where they are managed.
    by_arn: HashMap<String, IacRef>,
    /// (state, role name, inline policy name) → the `aws_iam_role_policy`
    /// (or the role's own `inline_policy` block).
    inline: HashMap<(String, String, String), PolicyResource>,
    /// Customer managed policy ARN → its `aws_iam_policy`.
    managed: HashMap<String, PolicyResource>,
    /// (state, role name, policy ARN) → the attachment resource
    /// (`aws_iam_role_policy_attachment`, `aws_iam_policy_attachment`).
    attachments: HashMap<(String, String, String), IacRef>,
    /// How many state files were read.
    pub states: usize,
}

/// A state location as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSource {
    /// A state file, or a folder searched for `*.tfstate` files.
    Local(PathBuf),
    /// Every `*.tfstate` object under an S3 prefix.
    S3(S3Location),
}

impl std::str::FromStr for StateSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("s3://") {
            S3Location::from_str(s).map(StateSource::S3)
        } else if s.is_empty() {
            Err("empty state location".into())
        } else {
            Ok(StateSource::Local(PathBuf::from(s)))
        }
    }
}

impl std::fmt::Display for StateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateSource::Local(p) => write!(f, "{}", p.display()),
            StateSource::S3(l) => write!(f, "{l}"),
        }
    }
}

/// How S3 state prefixes are reached (the same identity as an S3 lake).
#[derive(Debug, Clone, Default)]
pub struct StateAccess {
    pub aws: AwsConfig,
    pub s3: S3Options,
}

fn bad(state: &str, at: impl Into<String>, message: impl Into<String>) -> AnalyzeError {
    AnalyzeError::InputFile {
        path: PathBuf::from(state),
        at: at.into(),
        message: message.into(),
    }
}

impl TerraformIndex {
    /// Reads every state of `sources`; any unreadable or malformed state is
    /// an error naming it (an ownership half-read would silently move roles
    /// to other owners).
    pub fn load(sources: &[StateSource], access: &StateAccess) -> Result<Self, AnalyzeError> {
        let mut index = TerraformIndex::default();
        for source in sources {
            match source {
                StateSource::Local(path) => {
                    let mut files = Vec::new();
                    local_states(path, &mut files)?;
                    if files.is_empty() {
                        return Err(bad(
                            &path.display().to_string(),
                            "folder",
                            "no *.tfstate file in it",
                        ));
                    }
                    for f in files {
                        let label = f.display().to_string();
                        let text = std::fs::read(&f)
                            .map_err(|e| bad(&label, "file", format!("cannot read: {e}")))?;
                        index.add_state(&label, &text)?;
                    }
                }
                StateSource::S3(location) => {
                    let lake = S3Lake::connect(location.clone(), &access.aws, access.s3.clone())?;
                    let mut keys: Vec<String> = lake
                        .list("")?
                        .into_iter()
                        .filter(|k| k.ends_with(".tfstate"))
                        .collect();
                    keys.sort();
                    if keys.is_empty() {
                        return Err(bad(
                            &location.to_string(),
                            "prefix",
                            "no *.tfstate object under it",
                        ));
                    }
                    for key in keys {
                        let label = format!("s3://{}/{key}", location.bucket);
                        let rel = location.rel(&key).unwrap_or(&key).to_string();
                        let bytes = lake
                            .get(&rel)?
                            .ok_or_else(|| bad(&label, "object", "listed but gone"))?;
                        index.add_state(&label, &bytes)?;
                    }
                }
            }
        }
        Ok(index)
    }

    /// Adds one state file's resources; `state` names it in errors and refs.
    pub fn add_state(&mut self, state: &str, bytes: &[u8]) -> Result<(), AnalyzeError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| {
            bad(
                state,
                format!("line {} column {}", e.line(), e.column()),
                format!("not JSON: {e}"),
            )
        })?;
        match doc.get("version").and_then(Value::as_u64) {
            Some(4) => {}
            Some(v) => {
                return Err(bad(
                    state,
                    "version",
                    format!(
                        "state format version {v}: only version 4 (Terraform 0.12 and later) is read; `terraform state pull` with a current Terraform upgrades it"
                    ),
                ));
            }
            None => {
                return Err(bad(
                    state,
                    "version",
                    "no state format version: not a Terraform state",
                ));
            }
        }
        let empty = Vec::new();
        let resources = match doc.get("resources") {
            None | Some(Value::Null) => &empty,
            Some(Value::Array(r)) => r,
            Some(_) => return Err(bad(state, "resources", "not a list")),
        };
        for (ri, res) in resources.iter().enumerate() {
            let at = |field: &str| format!("resources[{ri}]{field}");
            let text = |field: &str| -> Result<&str, AnalyzeError> {
                res.get(field)
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(state, at(&format!(".{field}")), "missing or not a string"))
            };
            let mode = text("mode")?;
            let ty = text("type")?;
            let name = text("name")?;
            if mode != "managed" {
                continue;
            }
            let module = match res.get("module") {
                None | Some(Value::Null) => None,
                Some(Value::String(m)) if m.is_empty() => None,
                Some(Value::String(m)) => Some(m.clone()),
                Some(_) => return Err(bad(state, at(".module"), "not a string")),
            };
            let Some(instances) = res.get("instances").and_then(Value::as_array) else {
                return Err(bad(state, at(".instances"), "missing or not a list"));
            };
            for (ii, inst) in instances.iter().enumerate() {
                let key = match inst.get("index_key") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::Number(n)) => format!("[{n}]"),
                    // Terraform writes for_each keys as quoted HCL strings.
                    Some(Value::String(s)) => format!("[{}]", Value::String(s.clone())),
                    Some(_) => {
                        return Err(bad(
                            state,
                            at(&format!(".instances[{ii}].index_key")),
                            "neither a number nor a string",
                        ));
                    }
                };
                let address = match &module {
                    Some(m) => format!("{m}.{ty}.{name}{key}"),
                    None => format!("{ty}.{name}{key}"),
                };
                let at_ref = IacRef {
                    state: state.to_string(),
                    module: module.clone(),
                    address,
                };
                let attrs = inst.get("attributes").unwrap_or(&Value::Null);
                let attr = |k: &str| attrs.get(k).and_then(Value::as_str).map(str::to_string);
                match ty {
                    "aws_iam_role" | "aws_iam_user" => {
                        if let Some(arn) = attr("arn") {
                            // Inline policies written in the role itself.
                            if let (Some(role), Some(blocks)) = (
                                attr("name"),
                                attrs.get("inline_policy").and_then(Value::as_array),
                            ) {
                                for b in blocks {
                                    let Some(pname) = b.get("name").and_then(Value::as_str) else {
                                        continue;
                                    };
                                    if pname.is_empty() {
                                        continue;
                                    }
                                    self.inline.insert(
                                        (state.to_string(), role.clone(), pname.to_string()),
                                        PolicyResource {
                                            at: at_ref.clone(),
                                            document: b
                                                .get("policy")
                                                .and_then(Value::as_str)
                                                .map(str::to_string),
                                        },
                                    );
                                }
                            }
                            self.by_arn.insert(arn, at_ref);
                        }
                    }
                    "aws_iam_role_policy" => {
                        // `id` is `role:name`; `role` and `name` are separate
                        // attributes in every provider version that writes v4.
                        if let (Some(role), Some(pname)) = (attr("role"), attr("name")) {
                            self.inline.insert(
                                (state.to_string(), role, pname),
                                PolicyResource {
                                    at: at_ref,
                                    document: attr("policy"),
                                },
                            );
                        }
                    }
                    "aws_iam_policy" => {
                        if let Some(arn) = attr("arn") {
                            self.managed.insert(
                                arn,
                                PolicyResource {
                                    at: at_ref,
                                    document: attr("policy"),
                                },
                            );
                        }
                    }
                    "aws_iam_role_policy_attachment" => {
                        if let (Some(role), Some(parn)) = (attr("role"), attr("policy_arn")) {
                            self.attachments
                                .insert((state.to_string(), role, parn), at_ref);
                        }
                    }
                    "aws_iam_policy_attachment" => {
                        if let (Some(parn), Some(roles)) = (
                            attr("policy_arn"),
                            attrs.get("roles").and_then(Value::as_array),
                        ) {
                            for r in roles.iter().filter_map(Value::as_str) {
                                self.attachments.insert(
                                    (state.to_string(), r.to_string(), parn.clone()),
                                    at_ref.clone(),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        self.states += 1;
        Ok(())
    }

    /// Where the role or user with this ARN is managed.
    pub fn lookup(&self, arn: &str) -> Option<&IacRef> {
        self.by_arn.get(arn)
    }

    /// Roles and users managed, in all states.
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// Whether no role or user is managed by the states read.
    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }

    /// The resource that defines the inline policy `policy` of `role_name`,
    /// when the role is managed in `state`.
    pub fn inline_policy(
        &self,
        state: &str,
        role_name: &str,
        policy: &str,
    ) -> Option<&PolicyResource> {
        self.inline
            .get(&(state.to_string(), role_name.to_string(), policy.to_string()))
    }

    /// The `aws_iam_policy` of a customer managed policy, in any state.
    pub fn managed_policy(&self, arn: &str) -> Option<&PolicyResource> {
        self.managed.get(arn)
    }

    /// The attachment of `policy_arn` to `role_name` in `state`.
    pub fn attachment(&self, state: &str, role_name: &str, policy_arn: &str) -> Option<&IacRef> {
        self.attachments.get(&(
            state.to_string(),
            role_name.to_string(),
            policy_arn.to_string(),
        ))
    }
}

/// `path` itself when it is a file, else every `*.tfstate` below it (in
/// name order; `.terraform` folders hold provider caches, not states).
fn local_states(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), AnalyzeError> {
    let label = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| bad(&label, "file", format!("cannot read: {e}")))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| bad(&label, "folder", format!("cannot list: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if name != ".terraform" {
                local_states(&p, out)?;
            }
        } else if name.ends_with(".tfstate") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/terraform")
    }

    fn at<'a>(i: &'a TerraformIndex, arn: &str) -> (&'a str, Option<&'a str>) {
        let r = i.lookup(arn).unwrap_or_else(|| panic!("{arn} not indexed"));
        (r.address.as_str(), r.module.as_deref())
    }

    #[test]
    fn v4_states_map_roles_and_users_to_addresses() {
        let dir = fixtures();
        let index =
            TerraformIndex::load(&[StateSource::Local(dir.clone())], &StateAccess::default())
                .unwrap();
        // The folder holds two states (old-v3.tfstate.json is not *.tfstate).
        assert_eq!(index.states, 2);
        let role = |n: &str| format!("arn:aws:iam::111111111111:role/{n}");
        assert_eq!(at(&index, &role("payments-ci")), ("aws_iam_role.ci", None));
        assert_eq!(
            at(&index, &role("payments-api")),
            ("module.app.aws_iam_role.this[\"api\"]", Some("module.app"))
        );
        assert_eq!(
            at(&index, &role("payments-worker")).0,
            "module.app.aws_iam_role.this[\"worker\"]"
        );
        assert_eq!(
            at(&index, &role("payments-batch-1")),
            ("module.batch.aws_iam_role.job[1]", Some("module.batch"))
        );
        assert_eq!(
            at(&index, &role("irsa-logs")),
            (
                "module.platform.module.irsa[\"logs\"].aws_iam_role.this",
                Some("module.platform.module.irsa[\"logs\"]")
            )
        );
        assert_eq!(
            at(&index, "arn:aws:iam::111111111111:user/payments-deploy").0,
            "aws_iam_user.deploy"
        );
        assert_eq!(
            at(&index, "arn:aws:iam::222222222222:role/data-etl").0,
            "aws_iam_role.etl"
        );
        // A data source reads a role; it does not manage it.
        assert!(index.lookup(&role("legacy-admin")).is_none());
        // 7 roles and 1 user.
        assert_eq!(index.len(), 8);
        let payments = dir.join("payments/terraform.tfstate").display().to_string();
        assert_eq!(index.lookup(&role("payments-api")).unwrap().state, payments);

        // Policy resources: separate inline policy, the role's own
        // inline_policy block, customer managed policy and its attachment.
        let inline = index
            .inline_policy(&payments, "payments-api", "payments-api-inline")
            .unwrap();
        assert_eq!(
            inline.at.address,
            "module.app.aws_iam_role_policy.this[\"api\"]"
        );
        assert!(inline.document.as_deref().unwrap().contains("dynamodb:*"));
        assert_eq!(
            index
                .inline_policy(&payments, "irsa-logs", "logs-write")
                .unwrap()
                .at
                .address,
            "module.platform.module.irsa[\"logs\"].aws_iam_role.this"
        );
        let shared = "arn:aws:iam::111111111111:policy/payments-shared";
        assert_eq!(
            index.managed_policy(shared).unwrap().at.address,
            "aws_iam_policy.shared"
        );
        assert_eq!(
            index
                .attachment(&payments, "payments-api", shared)
                .unwrap()
                .address,
            "module.app.aws_iam_role_policy_attachment.shared[\"api\"]"
        );
    }

    #[test]
    fn bad_states_are_errors_naming_the_file() {
        let dir = fixtures();
        let err = TerraformIndex::load(
            &[StateSource::Local(dir.join("old-v3.tfstate.json"))],
            &StateAccess::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("old-v3.tfstate.json") && err.contains("state format version 3"),
            "{err}"
        );
        let mut i = TerraformIndex::default();
        let err = i
            .add_state(
                "x.tfstate",
                b"{\"version\": 4,\n \"resources\": [{\"mode\": \"managed\"}]}",
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.tfstate: resources[0].type"), "{err}");
        let err = i
            .add_state("y.tfstate", b"{\"version\": 4,\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("y.tfstate: line 2"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = TerraformIndex::load(
            &[StateSource::Local(empty.path().to_path_buf())],
            &StateAccess::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("no *.tfstate"), "{err}");
    }
}
