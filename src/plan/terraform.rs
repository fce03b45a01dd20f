//! Reading `terraform show -json` plan output (Terraform's documented JSON format) into a flat
//! list of resource instances with their planned change, planned values and unknown markers,
//! plus lookups into `configuration` for expression references.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::plan::error::PlanError;

/// What the plan does to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Create,
    Update,
    /// `["delete","create"]` or `["create","delete"]`.
    Replace,
    Delete,
    NoOp,
    /// A data source read during apply (its values are unknown at plan time).
    Read,
    /// In `planned_values` / `prior_state` only (data sources read during plan).
    Present,
    /// An action this reader does not know (never checked).
    Other,
}

impl ChangeKind {
    /// Create, update or replace: the changes `check-plan` checks.
    pub fn is_change(self) -> bool {
        matches!(
            self,
            ChangeKind::Create | ChangeKind::Update | ChangeKind::Replace
        )
    }
}

/// One resource instance of the plan.
#[derive(Clone, Debug)]
pub(crate) struct Instance {
    /// Full address, e.g. `module.ci["a"].aws_iam_role.deployer[0]`.
    pub address: String,
    /// Module instance address (`module.ci["a"]`), empty for the root module.
    pub module: String,
    pub data: bool,
    pub rtype: String,
    pub name: String,
    pub change: ChangeKind,
    /// Planned values (`change.after`, or the values in `planned_values`); Null when deleted.
    pub after: Value,
    /// `change.after_unknown`: `true` where a value is known only after apply.
    pub after_unknown: Value,
    pub before: Value,
}

impl Instance {
    /// The address within its module (`aws_iam_policy.p["x"]`).
    pub fn local_address(&self) -> &str {
        if self.module.is_empty() {
            &self.address
        } else {
            self.address
                .strip_prefix(self.module.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .unwrap_or(&self.address)
        }
    }

    /// The planned value of attribute `key`, or why it is not known.
    pub fn attr(&self, key: &str) -> Attr<'_> {
        if is_unknown(&self.after_unknown, &[PathSeg::Key(key)]) {
            return Attr::Unknown;
        }
        match self.after.get(key) {
            None | Some(Value::Null) => Attr::Absent,
            Some(v) => Attr::Known(v),
        }
    }
}

/// A planned attribute value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attr<'a> {
    Known(&'a Value),
    Unknown,
    Absent,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

/// True when `after_unknown` marks the value at `path` (or any value containing it) unknown.
pub(crate) fn is_unknown(after_unknown: &Value, path: &[PathSeg<'_>]) -> bool {
    let mut cur = after_unknown;
    for seg in path {
        if cur == &Value::Bool(true) {
            return true;
        }
        let next = match (seg, cur) {
            (PathSeg::Key(k), Value::Object(m)) => m.get(*k),
            (PathSeg::Index(i), Value::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    cur == &Value::Bool(true)
}

/// The parts of a plan `check-plan` reads.
#[derive(Debug)]
pub(crate) struct Plan {
    pub terraform_version: Option<String>,
    pub instances: Vec<Instance>,
    /// `configuration.root_module`, or Null when the plan has none.
    pub config_root: Value,
}

fn action_kind(actions: &[Value]) -> ChangeKind {
    let a: Vec<&str> = actions.iter().filter_map(Value::as_str).collect();
    match a.as_slice() {
        ["create"] => ChangeKind::Create,
        ["update"] => ChangeKind::Update,
        ["delete", "create"] | ["create", "delete"] => ChangeKind::Replace,
        ["delete"] | ["forget"] => ChangeKind::Delete,
        ["no-op"] => ChangeKind::NoOp,
        ["read"] => ChangeKind::Read,
        _ => ChangeKind::Other,
    }
}

fn str_field<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// The module instance address of a resource address: everything before its last
/// `[data.]type.name[index]` part. Used when `module_address` is absent (planned_values).
fn module_of(address: &str) -> String {
    let segs = split_address(address);
    let mut module = String::new();
    let mut i = 0;
    while i + 1 < segs.len() && segs[i] == "module" {
        // `module` NAME[index]
        if !module.is_empty() {
            module.push('.');
        }
        module.push_str("module.");
        module.push_str(segs[i + 1]);
        i += 2;
    }
    module
}

/// Splits an address at the dots outside brackets and quotes: `module.a["x.y"].t.n[0]` →
/// `module`, `a["x.y"]`, `t`, `n[0]`.
pub(crate) fn split_address(address: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut start) = (0i32, false, false, 0usize);
    for (i, c) in address.char_indices() {
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                out.push(&address[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&address[start..]);
    out
}

/// The module call names of a module instance address: `module.a["x"].module.b[0]` → `a`, `b`.
pub(crate) fn module_path(module: &str) -> Vec<String> {
    if module.is_empty() {
        return Vec::new();
    }
    let segs = split_address(module);
    segs.chunks(2)
        .filter(|c| c.len() == 2 && c[0] == "module")
        .map(|c| c[1].split('[').next().unwrap_or(c[1]).to_string())
        .collect()
}

impl Plan {
    /// Reads the plan JSON. `path` names the file in errors.
    pub fn read(v: &Value, path: &Path) -> Result<Plan, PlanError> {
        let not_plan = |reason: &str| PlanError::NotAPlan {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let Value::Object(top) = v else {
            return Err(not_plan("the top level is not a JSON object"));
        };
        match top.get("format_version").and_then(Value::as_str) {
            Some(fv) if fv.starts_with("0.") || fv.starts_with("1.") => {}
            Some(fv) => {
                return Err(not_plan(&format!(
                    "format_version {fv:?} is not supported (expected 0.x or 1.x)"
                )));
            }
            None => return Err(not_plan("no \"format_version\"")),
        }
        if !top.contains_key("resource_changes") && !top.contains_key("planned_values") {
            return Err(not_plan(
                "neither \"resource_changes\" nor \"planned_values\" (is this state, not a plan?)",
            ));
        }
        let mut instances: Vec<Instance> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();

        if let Some(changes) = top.get("resource_changes") {
            let Value::Array(changes) = changes else {
                return Err(not_plan("\"resource_changes\" is not a list"));
            };
            for (i, rc) in changes.iter().enumerate() {
                let Some(address) = str_field(rc, "address") else {
                    return Err(not_plan(&format!("resource_changes[{i}] has no address")));
                };
                // A deposed object is an old copy being destroyed: never a new grant.
                if rc.get("deposed").is_some_and(|d| !d.is_null()) {
                    continue;
                }
                let bad = |reason: &str| PlanError::Resource {
                    path: path.to_path_buf(),
                    address: address.to_string(),
                    reason: reason.to_string(),
                };
                let (Some(rtype), Some(name)) = (str_field(rc, "type"), str_field(rc, "name"))
                else {
                    return Err(bad("resource change without \"type\" or \"name\""));
                };
                let Some(change) = rc.get("change").filter(|c| c.is_object()) else {
                    return Err(bad("resource change without a \"change\" object"));
                };
                let Some(Value::Array(actions)) = change.get("actions") else {
                    return Err(bad("change without an \"actions\" list"));
                };
                let inst = Instance {
                    address: address.to_string(),
                    module: str_field(rc, "module_address")
                        .map_or_else(|| module_of(address), str::to_string),
                    data: str_field(rc, "mode") == Some("data"),
                    rtype: rtype.to_string(),
                    name: name.to_string(),
                    change: action_kind(actions),
                    after: change.get("after").cloned().unwrap_or(Value::Null),
                    after_unknown: change.get("after_unknown").cloned().unwrap_or(Value::Null),
                    before: change.get("before").cloned().unwrap_or(Value::Null),
                };
                seen.insert(inst.address.clone(), instances.len());
                instances.push(inst);
            }
        }
        // Resources the plan does not change but that are in the planned state: notably data
        // sources read during planning, whose rendered values live only here.
        let mut extra = Vec::new();
        if let Some(root) = v.pointer("/planned_values/root_module") {
            collect_module(root, &mut extra, 0);
        }
        if let Some(root) = v.pointer("/prior_state/values/root_module") {
            let mut prior = Vec::new();
            collect_module(root, &mut prior, 0);
            // From prior state only data sources: a managed resource absent from the planned
            // values is not in the planned state.
            extra.extend(prior.into_iter().filter(|i| i.data));
        }
        for inst in extra {
            if let Some(&idx) = seen.get(&inst.address) {
                // Fill in values a sparse resource_changes entry lacks.
                let cur = &mut instances[idx];
                if cur.after.is_null() && cur.change != ChangeKind::Delete {
                    cur.after = inst.after;
                }
                continue;
            }
            seen.insert(inst.address.clone(), instances.len());
            instances.push(inst);
        }
        Ok(Plan {
            terraform_version: str_field(v, "terraform_version").map(str::to_string),
            instances,
            config_root: v
                .pointer("/configuration/root_module")
                .cloned()
                .unwrap_or(Value::Null),
        })
    }

    /// The `configuration` entry of an instance's resource block, if the plan has one.
    pub fn config_of(&self, inst: &Instance) -> Option<&Value> {
        let mut module = &self.config_root;
        for call in module_path(&inst.module) {
            module = module.get("module_calls")?.get(&call)?.get("module")?;
        }
        let want = if inst.data {
            format!("data.{}.{}", inst.rtype, inst.name)
        } else {
            format!("{}.{}", inst.rtype, inst.name)
        };
        module
            .get("resources")?
            .as_array()?
            .iter()
            .find(|r| str_field(r, "address") == Some(want.as_str()))
    }

    /// Resolves a configuration reference (`aws_iam_policy.x.arn`,
    /// `data.aws_iam_policy_document.d[0].json`) made from `from`'s module to one instance.
    /// `None` when it names no resource, or several instances and the reference has no literal
    /// index (that would be a guess).
    pub fn resolve_ref(&self, from: &Instance, reference: &str) -> Option<usize> {
        let segs = split_address(reference);
        let (data, rest) = match segs.first() {
            Some(&"data") => (true, &segs[1..]),
            Some(
                &("var" | "local" | "each" | "count" | "module" | "path" | "terraform" | "self"),
            ) => return None,
            _ => (false, &segs[..]),
        };
        let (rtype, name_idx) = (rest.first()?, rest.get(1)?);
        let (name, index) = match name_idx.split_once('[') {
            Some((n, i)) => (n, Some(format!("[{i}"))),
            None => (*name_idx, None),
        };
        let candidates: Vec<usize> = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| {
                i.data == data && i.rtype == *rtype && i.name == name && i.module == from.module
            })
            .filter(|(_, i)| {
                index
                    .as_ref()
                    .is_none_or(|idx| i.local_address().ends_with(&format!("{rtype}.{name}{idx}")))
            })
            .map(|(n, _)| n)
            .collect();
        match candidates.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// Walks a `root_module` / child module of `planned_values` or `prior_state`.
fn collect_module(module: &Value, out: &mut Vec<Instance>, depth: usize) {
    // Terraform nests modules only as deep as the configuration; the bound keeps a hostile
    // input from exhausting the stack.
    if depth > 64 {
        return;
    }
    if let Some(Value::Array(resources)) = module.get("resources") {
        for r in resources {
            let (Some(address), Some(rtype), Some(name)) = (
                str_field(r, "address"),
                str_field(r, "type"),
                str_field(r, "name"),
            ) else {
                continue;
            };
            out.push(Instance {
                address: address.to_string(),
                module: module_of(address),
                data: str_field(r, "mode") == Some("data"),
                rtype: rtype.to_string(),
                name: name.to_string(),
                change: ChangeKind::Present,
                after: r.get("values").cloned().unwrap_or(Value::Null),
                after_unknown: Value::Null,
                before: Value::Null,
            });
        }
    }
    if let Some(Value::Array(children)) = module.get("child_modules") {
        for c in children {
            collect_module(c, out, depth + 1);
        }
    }
}

/// The references of attribute `key` in a configuration resource block (`expressions`).
pub(crate) fn references<'c>(config: Option<&'c Value>, key: &str) -> Vec<&'c str> {
    config
        .and_then(|c| c.get("expressions"))
        .and_then(|e| e.get(key))
        .map(expr_references)
        .unwrap_or_default()
}

/// References of one expression object (`{"references": [...]}`), or of every expression in a
/// list of nested blocks.
pub(crate) fn expr_references(expr: &Value) -> Vec<&str> {
    match expr {
        Value::Object(m) => m
            .get("references")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Whether attribute `key` is set in the configuration block at all.
pub(crate) fn configured(config: Option<&Value>, key: &str) -> Option<bool> {
    let exprs = config?.get("expressions")?;
    Some(exprs.get(key).is_some())
}

/// The source file (and line) of a configuration block, when the plan records one. Terraform's
/// own JSON does not; tools that annotate plans add an HCL-style `range`.
pub(crate) fn config_file(config: Option<&Value>) -> (Option<String>, Option<u32>) {
    let Some(range) = config.and_then(|c| c.get("range")) else {
        return (None, None);
    };
    let file = range
        .get("filename")
        .and_then(Value::as_str)
        .map(str::to_string);
    let line = range
        .pointer("/start/line")
        .and_then(Value::as_u64)
        .and_then(|l| u32::try_from(l).ok());
    (file, line)
}
