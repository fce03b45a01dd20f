//! The result of `check-plan` and its three renderings: Markdown for a pull-request comment,
//! JSON (a stable, documented shape: `schema_version` 1), and SARIF 2.1.0 for code scanning.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Version of the JSON shape of [`PlanReport`]; bumped on incompatible changes.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Exit code when the plan passes.
pub const EXIT_PASS: u8 = 0;
/// Exit code when there are violations.
pub const EXIT_VIOLATIONS: u8 = 1;
/// Exit code when the plan could not be checked ([`crate::plan::PlanError`]).
pub const EXIT_ERROR: u8 = 2;

/// A statement that contributed to a finding's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingStatement {
    /// The policy: a resource address (`aws_iam_policy.ci`), an ARN, or
    /// `ADDRESS inline_policy "NAME"`.
    pub policy: String,
    /// The resource whose change brings the policy in (policy, attachment, role policy, role).
    pub address: String,
    /// `identity` or `boundary`.
    pub layer: String,
    /// 0-based position in the policy's `Statement` list.
    pub statement_index: u32,
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
    /// True when the statement applies only if its condition holds (keys unknown at plan time).
    pub conditional: bool,
}

/// One sensitive action a planned policy (or role) would grant on any resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The sensitive action, e.g. `iam:PassRole`; also the SARIF rule id.
    pub action: String,
    /// `allowed` or `conditionally_allowed`.
    pub decision: String,
    /// `role` (a role's combined policies in the planned state) or `policy` (one policy on its
    /// own, when the role it reaches is not in the plan or not known).
    pub subject: String,
    /// The resource address the finding is reported on (the role for `role` findings).
    pub address: String,
    /// The role name, when known.
    pub role: Option<String>,
    /// The role's address, when the role is in the plan.
    pub role_address: Option<String>,
    /// For `role`, `user` and `group` subjects: which kind of principal, its name (when
    /// known) and its address (when it is in the plan).
    #[serde(default)]
    pub principal_type: Option<String>,
    #[serde(default)]
    pub principal: Option<String>,
    #[serde(default)]
    pub principal_address: Option<String>,
    /// What the change adds: `newly_allowed` (the subject could not do this before the
    /// change), `already_allowed` (it could: context, never a violation), or
    /// `granted_by_change` (the state before is not known; a statement this plan adds or
    /// changes grants it).
    #[serde(default)]
    pub change: String,
    /// The decision before the change, when known (`implicit_deny`, `explicit_deny`, ...).
    #[serde(default)]
    pub before_decision: Option<String>,
    /// How widely the grant reaches (`any` or `account`: both are risky), when the
    /// principals' account is known (deployed context, or the one account the plan's ARNs
    /// name); absent otherwise, when only grants on any resource are judged.
    #[serde(default)]
    pub breadth: Option<String>,
    pub matched_statements: Vec<FindingStatement>,
    /// Condition keys whose absence at plan time made the decision conditional.
    pub missing_context_keys: Vec<String>,
    /// Why, in one sentence.
    pub why: String,
    /// How to fix it, most specific first.
    pub fixes: Vec<String>,
    /// Source file and line of the resource, when the plan records them.
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// An override as cited in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideRef {
    /// 0-based position in the override file.
    pub index: usize,
    /// What it names: `resource = "..."`, `role = "..."`, `author = "..."`.
    pub entry: String,
    pub reason: String,
    pub expires: Option<NaiveDate>,
}

/// A finding an active override let through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overridden {
    pub finding: Finding,
    #[serde(rename = "override")]
    pub by: OverrideRef,
}

/// An override past its expiry date: it no longer applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiredOverride {
    #[serde(flatten)]
    pub entry: OverrideRef,
    /// How many findings of this plan it would have covered (they stand as violations).
    pub would_cover: usize,
}

/// Something the plan does not tell before apply (or that cannot be resolved), reported instead
/// of guessed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unknown {
    pub address: String,
    /// The attribute or part concerned: `policy`, `policy_arn`, `role`, `inline_policy`, ...
    pub what: String,
    pub reason: String,
}

/// A name in a changed policy that the bundled service model does not know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyLint {
    /// The resource that brings the policy in.
    pub address: String,
    /// The policy id in findings.
    pub policy: String,
    /// JSON path in the document: `Statement[1].Action[0]`.
    pub path: String,
    /// `unknown action s3:GetObjekt (did you mean s3:GetObject?)`, ...
    pub message: String,
}

/// What was evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// `role` or `policy`.
    pub subject: String,
    pub address: String,
    pub role: Option<String>,
    /// Number of policies evaluated together.
    pub policies: usize,
}

/// The outcome of [`crate::plan::check_plan`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanReport {
    pub schema_version: u32,
    /// The plan file as given.
    pub plan: String,
    pub terraform_version: Option<String>,
    /// Where AWS managed policy documents came from.
    pub managed_policies_source: String,
    pub today: NaiveDate,
    pub author: Option<String>,
    pub fail_on_conditional: bool,
    pub check_all: bool,
    pub sensitive_actions: Vec<String>,
    pub checked: Vec<Checked>,
    /// Findings that fail the check.
    pub violations: Vec<Finding>,
    /// Conditionally allowed findings that do not fail the check (without
    /// `--fail-on-conditional`).
    pub warnings: Vec<Finding>,
    pub overridden: Vec<Overridden>,
    /// Findings the subject was already allowed before this change (with `--lake`): reported
    /// as context, never failing.
    #[serde(default)]
    pub already_allowed: Vec<Finding>,
    pub expired_overrides: Vec<ExpiredOverride>,
    pub unknowns: Vec<Unknown>,
    /// Actions and condition keys in the changed policies that AWS's service reference does
    /// not know: they grant (or restrict) nothing. Reported, never failing.
    #[serde(default)]
    pub lints: Vec<PolicyLint>,
    /// Where deployed state came from (`--lake`), or null.
    #[serde(default)]
    pub deployed: Option<DeployedContext>,
}

/// The deployed state a plan was judged against (`--lake`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedContext {
    /// The lake, as given.
    pub lake: String,
    /// The snapshot the deployed roles, policies and SCPs come from.
    pub snapshot_date: NaiveDate,
    pub account_id: String,
    /// Deployed roles whose policies were evaluated with this plan's changes applied.
    pub roles: Vec<String>,
    /// SCPs applied (all levels); null when the snapshot recorded none (written before the
    /// `scps` table), so SCPs were not applied.
    pub scps: Option<usize>,
    /// RCPs applied (all levels, `RCPFullAWSAccess` included); null when the snapshot
    /// recorded none (written before the `rcps` table, schema version 5).
    pub rcps: Option<usize>,
}

fn md_code(s: &str) -> String {
    // A backtick inside inline code would end it early; addresses rarely have one.
    format!("`{}`", s.replace('`', "'"))
}

impl PlanReport {
    /// True when there is no violation (warnings, unknowns and overridden findings do not fail).
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// 0 when passed, 1 with violations (2 is for errors, which never produce a report).
    pub fn exit_code(&self) -> u8 {
        if self.passed() {
            EXIT_PASS
        } else {
            EXIT_VIOLATIONS
        }
    }

    /// The documented JSON shape (see docs/CHECK_PLAN.md); round-trips through serde.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The report as OPA/conftest input: `{"iamlake": {...}}`, so a policy
    /// reads `input.iamlake.findings`. Every finding of the report is one
    /// entry with a `status` (`violation`, `warning`, `overridden`; an
    /// overridden one carries its `override`), beside the plan's `unknowns`
    /// and `expired_overrides` and iamlake's own verdict (`passed`).
    pub fn to_conftest(&self) -> Value {
        let entry = |f: &Finding, status: &str, with: Option<Value>| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("status".into(), Value::String(status.into()));
                m.insert("override".into(), with.unwrap_or(Value::Null));
            }
            v
        };
        let findings: Vec<Value> = self
            .violations
            .iter()
            .map(|f| entry(f, "violation", None))
            .chain(self.warnings.iter().map(|f| entry(f, "warning", None)))
            .chain(
                self.overridden
                    .iter()
                    .map(|o| entry(&o.finding, "overridden", serde_json::to_value(&o.by).ok())),
            )
            .chain(
                self.already_allowed
                    .iter()
                    .map(|f| entry(f, "already_allowed", None)),
            )
            .collect();
        serde_json::json!({
            "iamlake": {
                "schema_version": self.schema_version,
                "plan": self.plan,
                "passed": self.passed(),
                "sensitive_actions": self.sensitive_actions,
                "findings": findings,
                "unknowns": self.unknowns,
                "expired_overrides": self.expired_overrides,
                "deployed": self.deployed,
            }
        })
    }

    /// Markdown for a pull-request comment.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let status = if self.passed() {
            "✅ passed".to_string()
        } else {
            format!(
                "❌ {} violation{}",
                self.violations.len(),
                if self.violations.len() == 1 { "" } else { "s" }
            )
        };
        let _ = writeln!(s, "## iamlake check-plan: {status}\n");
        let _ = writeln!(
            s,
            "Plan {} · {} polic{}/role{} checked · sensitive actions: {} · AWS managed policies: {}\n",
            md_code(&self.plan),
            self.checked.len(),
            if self.checked.len() == 1 { "y" } else { "ies" },
            if self.checked.len() == 1 { "" } else { "s" },
            self.sensitive_actions
                .iter()
                .map(|a| md_code(a))
                .collect::<Vec<_>>()
                .join(", "),
            self.managed_policies_source
        );
        if let Some(d) = &self.deployed {
            let scps = d.scps.map_or_else(
                || "no SCPs recorded in that snapshot (not applied)".to_string(),
                |n| format!("{n} SCP{} applied", if n == 1 { "" } else { "s" }),
            );
            let rcps = match d.rcps {
                None => " · no RCPs recorded in that snapshot (not applied)".to_string(),
                Some(0) => String::new(),
                Some(n) => format!(" · {n} RCP{} applied", if n == 1 { "" } else { "s" }),
            };
            let roles = if d.roles.is_empty() {
                String::new()
            } else {
                format!(
                    " · deployed roles judged with this change: {}",
                    d.roles
                        .iter()
                        .map(|r| md_code(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                s,
                "Deployed context: lake {} snapshot {}, account {} · {scps}{rcps}{roles}\n",
                md_code(&d.lake),
                d.snapshot_date,
                d.account_id
            );
        }
        if !self.violations.is_empty() {
            let _ = writeln!(s, "### Violations\n");
            render_findings(&mut s, &self.violations);
        }
        if !self.expired_overrides.is_empty() {
            let _ = writeln!(s, "### Expired overrides (no longer applied)\n");
            for e in &self.expired_overrides {
                let _ = writeln!(
                    s,
                    "- entry {} ({}) expired {}: {} — would have covered {} finding{}",
                    e.entry.index,
                    e.entry.entry,
                    e.entry
                        .expires
                        .map_or_else(|| "?".to_string(), |d| d.to_string()),
                    e.entry.reason,
                    e.would_cover,
                    if e.would_cover == 1 { "" } else { "s" }
                );
            }
            s.push('\n');
        }
        if !self.lints.is_empty() {
            let _ = writeln!(
                s,
                "### Names AWS does not know (they grant nothing; not failing)\n"
            );
            for l in &self.lints {
                let _ = writeln!(s, "- {} `{}`: {}", md_code(&l.address), l.path, l.message);
            }
            s.push('\n');
        }
        if !self.unknowns.is_empty() {
            let _ = writeln!(s, "### Not known until apply (not checked)\n");
            for u in &self.unknowns {
                let _ = writeln!(s, "- {} `{}`: {}", md_code(&u.address), u.what, u.reason);
            }
            s.push('\n');
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(
                s,
                "### Conditionally allowed (not failing; `--fail-on-conditional` makes these violations)\n"
            );
            render_findings(&mut s, &self.warnings);
        }
        if !self.already_allowed.is_empty() {
            let _ = writeln!(s, "### Already allowed before this change (not failing)\n");
            render_findings(&mut s, &self.already_allowed);
        }
        if !self.overridden.is_empty() {
            let _ = writeln!(s, "### Overridden\n");
            for o in &self.overridden {
                let _ = writeln!(
                    s,
                    "- {} {} on {}: override entry {} ({}): {}{}",
                    md_code(&o.finding.action),
                    o.finding.decision,
                    md_code(&o.finding.address),
                    o.by.index,
                    o.by.entry,
                    o.by.reason,
                    o.by.expires
                        .map_or_else(String::new, |d| format!(" (until {d})"))
                );
            }
            s.push('\n');
        }
        if self.violations.is_empty()
            && self.warnings.is_empty()
            && self.unknowns.is_empty()
            && self.already_allowed.is_empty()
        {
            let _ = writeln!(
                s,
                "No planned IAM policy grants a sensitive action on any resource."
            );
        }
        s
    }

    /// SARIF 2.1.0: one rule per sensitive action, one result per finding (violations at level
    /// `error`, warnings at `warning`, overridden findings with an external suppression). A
    /// result has a `physicalLocation` only when the plan records the resource's file.
    pub fn to_sarif(&self) -> Value {
        self.to_sarif_with_fallback(None)
    }

    /// [`PlanReport::to_sarif`], but results whose file is unknown get a `physicalLocation` at
    /// `fallback_uri` (e.g. the Terraform root module's `main.tf`): GitHub code scanning rejects
    /// results that have only a logical location.
    pub fn to_sarif_with_fallback(&self, fallback_uri: Option<&str>) -> Value {
        let rule_index: BTreeMap<&str, usize> = self
            .sensitive_actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.as_str(), i))
            .collect();
        let rules: Vec<Value> = self
            .sensitive_actions
            .iter()
            .map(|a| {
                json!({
                    "id": a,
                    "name": format!("SensitiveAction{}", a.replace([':', '-', '*'], "")),
                    "shortDescription": {"text": format!("{a} granted on any resource")},
                    "fullDescription": {"text": format!(
                        "A planned IAM policy allows the sensitive action {a} on any resource (`*`)."
                    )},
                    "help": {"text": "Scope Resource to specific ARNs, add a condition, or remove \
                        wildcard actions; or record an override with a reason."},
                    "defaultConfiguration": {"level": "error"},
                })
            })
            .collect();
        let mut results = Vec::new();
        let mut push = |f: &Finding, level: &str, suppression: Option<&OverrideRef>| {
            let mut location = json!({
                "logicalLocations": [{
                    "fullyQualifiedName": f.address,
                    "name": f.address,
                    "kind": "resource",
                }],
            });
            let uri = f.file.as_deref().or(fallback_uri);
            if let Some(uri) = uri {
                let mut phys = json!({"artifactLocation": {"uri": uri}});
                if f.file.is_some()
                    && let Some(line) = f.line
                {
                    phys["region"] = json!({"startLine": line.max(1)});
                }
                location["physicalLocation"] = phys;
            }
            let mut result = json!({
                "ruleId": f.action,
                "level": level,
                "message": {"text": finding_message(f)},
                "locations": [location],
                "partialFingerprints": {
                    "iamlakeFinding/v1": format!("{}|{}|{}", f.address, f.action, f.subject),
                },
                "properties": {
                    "decision": f.decision,
                    "subject": f.subject,
                    "role": f.role,
                    "principalType": f.principal_type,
                    "principal": f.principal,
                    "change": f.change,
                    "beforeDecision": f.before_decision,
                    "fixes": f.fixes,
                },
            });
            if let Some(&i) = rule_index.get(f.action.as_str()) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(o) = suppression {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": format!("override entry {} ({}): {}", o.index, o.entry, o.reason),
                }]);
            }
            results.push(result);
        };
        for f in &self.violations {
            push(f, "error", None);
        }
        for f in &self.warnings {
            push(f, "warning", None);
        }
        for o in &self.overridden {
            push(&o.finding, "error", Some(&o.by));
        }
        // Context, not a problem this change introduces.
        for f in &self.already_allowed {
            push(f, "note", None);
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "iamlake",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/iamlake/iamlake",
                    "rules": rules,
                }},
                "results": results,
                "properties": {
                    "plan": self.plan,
                    "managedPoliciesSource": self.managed_policies_source,
                    "unknowns": self.unknowns.len(),
                    "deployed": self.deployed,
                },
            }],
        })
    }
}

/// One line saying what is wrong and where.
fn finding_message(f: &Finding) -> String {
    let mut m = format!(
        "{} is {} on any resource",
        f.action,
        f.decision.replace('_', " ")
    );
    match (&f.role, f.subject.as_str()) {
        (Some(r), "role") => {
            let _ = write!(m, " for role {r} ({})", f.address);
        }
        (Some(r), _) => {
            let _ = write!(m, " by {} (for role {r})", f.address);
        }
        (None, _) => {
            let _ = write!(m, " by {}", f.address);
        }
    }
    let _ = write!(m, ". {}", f.why);
    if let Some(fix) = f.fixes.first() {
        let _ = write!(m, " Fix: {fix}.");
    }
    m
}

fn render_findings(s: &mut String, findings: &[Finding]) {
    // Group by address so a role with many sensitive actions reads as one block.
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups.entry(f.address.as_str()).or_default().push(f);
    }
    for (address, fs) in groups {
        let Some(first) = fs.first().copied() else {
            continue;
        };
        let role = match (&first.role, first.subject.as_str()) {
            (Some(r), "role") => format!(" (role {})", md_code(r)),
            (Some(r), _) => format!(" (grants to role {})", md_code(r)),
            (None, _) => String::new(),
        };
        let file = first.file.as_deref().map_or_else(String::new, |f| {
            format!(
                " — {}",
                md_code(
                    &first
                        .line
                        .map_or_else(|| f.to_string(), |l| format!("{f}:{l}"))
                )
            )
        });
        let _ = writeln!(s, "#### {}{role}{file}\n", md_code(address));
        for f in fs {
            let _ = writeln!(s, "- **{}** {}: {}", md_code(&f.action), f.decision, f.why);
            for m in &f.matched_statements {
                let sid = m
                    .sid
                    .as_deref()
                    .map_or_else(String::new, |x| format!(" (Sid {})", md_code(x)));
                let via = if m.address == m.policy {
                    String::new()
                } else {
                    format!(" via {}", md_code(&m.address))
                };
                let _ = writeln!(
                    s,
                    "  - {} {} statement {}{sid}{via}: {}{}",
                    m.layer,
                    md_code(&m.policy),
                    m.statement_index,
                    m.effect,
                    if m.conditional { " (conditional)" } else { "" }
                );
            }
            if !f.missing_context_keys.is_empty() {
                let _ = writeln!(
                    s,
                    "  - depends on condition keys unknown at plan time: {}",
                    f.missing_context_keys
                        .iter()
                        .map(|k| md_code(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            for fix in &f.fixes {
                let _ = writeln!(s, "  - fix: {fix}");
            }
        }
        s.push('\n');
    }
}
