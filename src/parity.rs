//! `iamlake verify-simulator`: parity between the local evaluator and AWS's
//! policy simulator. Reads a snapshot from the lake, draws a seeded sample of
//! its roles, asks `iam:SimulatePrincipalPolicy` about each sensitive action
//! with the resource `*` (same principal context) in each role's account, and
//! lists every decision that differs. Like with like: AWS reads `*` as the
//! literal text, so the local side is evaluated the same way from the
//! snapshot's policies (see [`literal_star_decisions`]).
//!
//! Offline first: the lake already holds the local answers, so the only
//! calls are one AssumeRole per sampled account and one simulator call per
//! role per [`ACTIONS_PER_CALL`](crate::source::aws::simulator::ACTIONS_PER_CALL)
//! actions. See docs/EVALUATION.md, "Parity with the AWS simulator".

use crate::eval::Context;
use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::read;
use crate::lake::{Lake, LakeError};
use crate::model::roles;
use crate::simulate::{StoredDecision, stored_decisions};
use crate::source::aws::simulator::{ApiDecision, ApiVerdict, RoleQuery, RoleSimulation};
use crate::source::aws::{AwsConfig, LiveCollector, OpCounts};
use arrow::array::{Array, AsArray};
use aws_config::SdkConfig;
use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// A validated `verify-simulator` request.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// The lake: a folder or an S3 prefix.
    pub lake: Lake,
    /// Snapshot date.
    pub date: NaiveDate,
    /// Roles to check (all of them when the snapshot has fewer).
    pub sample: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// How to reach AWS and the member accounts.
    pub aws: AwsConfig,
}

/// What can stop a parity check.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    /// The date has no snapshot.
    #[error("lake {}: no snapshot for {date}", lake.display())]
    NoSnapshot { lake: PathBuf, date: NaiveDate },
    /// The snapshot's decisions came from AWS already: nothing to compare.
    #[error(
        "lake {}: the snapshot of {date} was taken with --simulator aws; its decisions are AWS's own (verify a --simulator local snapshot)",
        lake.display()
    )]
    NotLocal { lake: PathBuf, date: NaiveDate },
    /// The snapshot holds no role.
    #[error("lake {}: the snapshot of {date} holds no role", lake.display())]
    NoRoles { lake: PathBuf, date: NaiveDate },
    /// AWS could not be reached at all (settings, runtime).
    #[error("AWS: {0}")]
    Aws(String),
}

/// A role of the snapshot, as needed to ask AWS about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeRole {
    pub account_id: String,
    pub arn: String,
    pub tags: Vec<(String, String)>,
}

/// How a local decision compares with AWS's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    /// Same decision.
    Agree,
    /// Local `conditionally_allowed`, AWS `implicitDeny` for want of
    /// context (`MissingContextValues` non-empty): both say "only if the
    /// request carries what the conditions ask".
    Expected,
    /// Anything else.
    Disagree,
}

/// Compares one local decision with AWS's for the same role and action.
pub fn compare(local: &str, api: &ApiDecision) -> Agreement {
    if local == api.verdict.decision() {
        Agreement::Agree
    } else if local == "conditionally_allowed"
        && api.verdict == ApiVerdict::ImplicitDeny
        && !api.missing_context.is_empty()
    {
        Agreement::Expected
    } else {
        Agreement::Disagree
    }
}

/// One compared (role, action) that is not a plain agreement.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub role_arn: String,
    pub action: String,
    pub agreement: Agreement,
    /// The local decision on the question AWS's simulator answers (the
    /// resource is the literal text `*`); `None` when the lake has none.
    pub local: Option<StoredDecision>,
    /// The snapshot's own decision on any resource (iamlake's rule), when
    /// it differs from `local`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_any_resource: Option<String>,
    pub api: ApiDecision,
}

/// A sampled role AWS could not answer for (AssumeRole refused, simulator
/// denied or throttled past the retries).
#[derive(Debug, Clone, Serialize)]
pub struct Unchecked {
    pub role_arn: String,
    pub reason: String,
}

/// The outcome of a parity check.
#[derive(Debug, Clone, Serialize)]
pub struct ParityReport {
    pub snapshot_date: NaiveDate,
    pub seed: u64,
    pub actions: Vec<String>,
    /// The sampled roles, sorted.
    pub roles: Vec<String>,
    /// (role, action) pairs compared.
    pub compared: u64,
    pub agreements: u64,
    /// Expected differences (see [`Agreement::Expected`]).
    pub expected: Vec<Finding>,
    pub disagreements: Vec<Finding>,
    pub unchecked: Vec<Unchecked>,
    /// API counts by `service:Operation`.
    pub api: BTreeMap<String, OpCounts>,
}

impl ParityReport {
    /// A report with nothing compared yet.
    pub fn new(
        snapshot_date: NaiveDate,
        seed: u64,
        actions: Vec<String>,
        roles: Vec<String>,
    ) -> ParityReport {
        ParityReport {
            snapshot_date,
            seed,
            actions,
            roles,
            compared: 0,
            agreements: 0,
            expected: Vec::new(),
            disagreements: Vec::new(),
            unchecked: Vec::new(),
            api: BTreeMap::new(),
        }
    }

    /// 0 when every compared decision agrees (expected differences
    /// allowed) and every sampled role was checked, else 1.
    pub fn exit_code(&self) -> u8 {
        if self.disagreements.is_empty() && self.unchecked.is_empty() {
            0
        } else {
            1
        }
    }
}

/// A seeded sample of `n` roles (all when there are fewer), sorted by ARN:
/// the same roles, seed and `n` always give the same sample.
pub fn sample_roles(roles: &[LakeRole], n: usize, seed: u64) -> Vec<LakeRole> {
    let mut pool: Vec<&LakeRole> = roles.iter().collect();
    pool.sort_by(|a, b| a.arn.cmp(&b.arn));
    pool.dedup_by(|a, b| a.arn == b.arn);
    let n = n.min(pool.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Partial Fisher–Yates: the first n slots are the sample.
    for i in 0..n {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    let mut out: Vec<LakeRole> = pool[..n].iter().map(|r| (*r).clone()).collect();
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    out
}

/// Compares the local decisions (by role ARN) with AWS's answers.
pub fn compare_all(
    local: &HashMap<String, Vec<StoredDecision>>,
    api: Vec<RoleSimulation>,
    report: &mut ParityReport,
) {
    compare_all_with(local, &HashMap::new(), api, report)
}

/// [`compare_all`], noting where the snapshot's decision on any resource
/// (`stored`, by role ARN) differs from the local answer compared.
pub fn compare_all_with(
    local: &HashMap<String, Vec<StoredDecision>>,
    stored: &HashMap<String, Vec<StoredDecision>>,
    api: Vec<RoleSimulation>,
    report: &mut ParityReport,
) {
    for (role_arn, result) in api {
        let decisions = match result {
            Ok(d) => d,
            Err(e) => {
                report.unchecked.push(Unchecked {
                    role_arn,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let find = |m: &HashMap<String, Vec<StoredDecision>>, action: &str| {
            m.get(&role_arn).and_then(|s| {
                s.iter()
                    .find(|x| x.action.eq_ignore_ascii_case(action))
                    .cloned()
            })
        };
        for d in decisions {
            let l = find(local, &d.action);
            let any = find(stored, &d.action)
                .map(|a| a.decision)
                .filter(|a| l.as_ref().is_none_or(|l| &l.decision != a));
            report.compared += 1;
            let agreement = l
                .as_ref()
                .map_or(Agreement::Disagree, |l| compare(&l.decision, &d));
            let finding = || Finding {
                role_arn: role_arn.clone(),
                action: d.action.clone(),
                agreement,
                local: l.clone(),
                local_any_resource: any.clone(),
                api: d.clone(),
            };
            match agreement {
                Agreement::Agree => report.agreements += 1,
                Agreement::Expected => report.expected.push(finding()),
                Agreement::Disagree => report.disagreements.push(finding()),
            }
        }
    }
}

/// Reads every role of the snapshot (account, ARN, tags).
pub fn lake_roles(lake: &Lake, manifest: &Manifest) -> Result<Vec<LakeRole>, LakeError> {
    let mut out = Vec::new();
    for batch in read::batches(lake, manifest, roles::TABLE.name)? {
        let col = |name: &str| {
            batch
                .column_by_name(name)
                .expect("schema defines the column")
        };
        let account = col("account_id").as_string::<i32>();
        let arn = col("arn").as_string::<i32>();
        let tags = col("tags").as_map();
        for row in 0..batch.num_rows() {
            let entries = tags.value(row);
            let (k, v) = (
                entries.column(0).as_string::<i32>(),
                entries.column(1).as_string::<i32>(),
            );
            out.push(LakeRole {
                account_id: account.value(row).to_string(),
                arn: arn.value(row).to_string(),
                tags: (0..entries.len())
                    .map(|j| (k.value(j).to_string(), v.value(j).to_string()))
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// Runs a parity check with the default credential chain: the lake is
/// read and the sample drawn before the SDK is even configured.
pub fn run(cfg: &VerifyConfig) -> Result<ParityReport, VerifyError> {
    let prepared = prepare(cfg)?;
    let rt = runtime()?;
    let sdk = rt
        .block_on(cfg.aws.load_sdk_config())
        .map_err(|e| VerifyError::Aws(e.to_string()))?;
    ask_aws(cfg, prepared, &rt, sdk)
}

fn runtime() -> Result<tokio::runtime::Runtime, VerifyError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| VerifyError::Aws(format!("starting the async runtime: {e}")))
}

/// [`run`] with an SDK configuration built by the caller (tests swap its
/// HTTP layer), on `rt`.
pub fn run_with_sdk(
    cfg: &VerifyConfig,
    rt: &tokio::runtime::Runtime,
    sdk: SdkConfig,
) -> Result<ParityReport, VerifyError> {
    ask_aws(cfg, prepare(cfg)?, rt, sdk)
}

/// What the lake says, before any call.
struct Prepared {
    sample: Vec<LakeRole>,
    /// The local answers to AWS's question (literal `*`).
    local: HashMap<String, Vec<StoredDecision>>,
    /// The snapshot's stored decisions on any resource.
    stored: HashMap<String, Vec<StoredDecision>>,
    actions: Vec<String>,
}

/// Everything offline: the settings, the snapshot, its roles, the sample
/// and their local decisions.
fn prepare(cfg: &VerifyConfig) -> Result<Prepared, VerifyError> {
    cfg.aws
        .validate()
        .map_err(|e| VerifyError::Aws(e.to_string()))?;
    let manifest = cfg
        .lake
        .read_manifest(ManifestKind::Snapshot, cfg.date)?
        .ok_or_else(|| VerifyError::NoSnapshot {
            lake: cfg.lake.label(),
            date: cfg.date,
        })?;
    if manifest.inputs.get("simulator").map(String::as_str) == Some("aws") {
        return Err(VerifyError::NotLocal {
            lake: cfg.lake.label(),
            date: cfg.date,
        });
    }
    let lake = &cfg.lake;
    let sample = sample_roles(&lake_roles(lake, &manifest)?, cfg.sample, cfg.seed);
    if sample.is_empty() {
        return Err(VerifyError::NoRoles {
            lake: cfg.lake.label(),
            date: cfg.date,
        });
    }
    let wanted: BTreeSet<&str> = sample.iter().map(|r| r.arn.as_str()).collect();
    let mut stored: HashMap<String, Vec<StoredDecision>> = HashMap::new();
    for (arn, d) in stored_decisions(lake, &manifest, |a| wanted.contains(a), |_, _| None)? {
        stored.entry(arn).or_default().push(d);
    }
    let actions = manifest.sensitive_actions.clone();
    let local = literal_star_decisions(lake, cfg.date, &sample, &actions, &stored);
    Ok(Prepared {
        sample,
        local,
        stored,
        actions,
    })
}

/// The local evaluator's answers to the question AWS's simulator really
/// answers: given `ResourceArns: ["*"]`, it matches the *text* `*` against
/// each statement's Resource patterns, so `arn:aws:s3:::*/*` or
/// `arn:aws:iam::123456789012:role/*` grant nothing there, while iamlake's
/// "any resource" rule counts the first. Each sampled role is evaluated
/// again from the snapshot's own `role_policies` and `scps` (with the
/// management account and service-linked roles exempt from SCPs, as the
/// snapshot did), with the resource the literal `*`. An account whose
/// policies cannot be read that way (a snapshot before the `scps` table, or
/// a date that is not complete) keeps the stored decisions.
fn literal_star_decisions(
    lake: &Lake,
    date: NaiveDate,
    sample: &[LakeRole],
    actions: &[String],
    stored: &HashMap<String, Vec<StoredDecision>>,
) -> HashMap<String, Vec<StoredDecision>> {
    use crate::eval::{Policy, PolicySet, Request, evaluate};
    let mut out = stored.clone();
    let accounts: BTreeSet<&str> = sample.iter().map(|r| r.account_id.as_str()).collect();
    for account in accounts {
        let Ok(deployed) = crate::plan::Deployed::load(lake, Some(date), account) else {
            continue;
        };
        let Some(levels) = deployed.scp_levels.as_ref() else {
            continue;
        };
        if deployed.snapshot_date != date {
            continue;
        }
        let parse = |id: &str, doc: &serde_json::Value| Policy::parse(id.to_string(), doc).ok();
        let scps: Vec<Vec<Policy>> = levels
            .iter()
            .map(|l| l.iter().filter_map(|(id, d)| parse(id, d)).collect())
            .collect();
        for role in sample.iter().filter(|r| r.account_id == account) {
            let name = role.arn.rsplit('/').next().unwrap_or_default();
            let Some(dr) = deployed.roles.get(name).filter(|d| d.arn == role.arn) else {
                continue;
            };
            let identity: Vec<Policy> = dr
                .inline
                .iter()
                .filter_map(|(n, d)| parse(&format!("inline:{n}"), d))
                .chain(dr.managed.iter().filter_map(|(arn, d)| parse(arn, d)))
                .collect();
            let boundary = dr.boundary.as_ref().and_then(|(arn, d)| parse(arn, d));
            let exempt = role.arn.contains(":role/aws-service-role/");
            let set = PolicySet {
                identity: &identity,
                boundary: boundary.as_ref(),
                scp_levels: if exempt { &[] } else { &scps },
                ..PolicySet::default()
            };
            let ctx = Context::for_role(
                &role.account_id,
                &role.arn,
                role.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
            let decisions = actions
                .iter()
                .map(|action| {
                    let d = evaluate(&set, &Request::on(action, "*", &ctx));
                    StoredDecision {
                        action: action.clone(),
                        decision: d.decision.as_str().to_string(),
                        breadth: None,
                        breadth_decision: None,
                        decided_by: d.decided_by.map(|l| l.as_str().to_string()),
                        matched_statements: d
                            .matched_statements
                            .into_iter()
                            .map(|m| crate::simulate::QuotedStatement {
                                policy_id: m.policy_id,
                                layer: m.layer.as_str().to_string(),
                                statement_index: m.statement_index as i32,
                                sid: m.sid,
                                effect: m.effect.as_str().to_string(),
                                conditional: m.conditional,
                                statement: None,
                            })
                            .collect(),
                        missing_context_keys: d.missing_context_keys,
                    }
                })
                .collect();
            out.insert(role.arn.clone(), decisions);
        }
    }
    out
}

/// Asks AWS about the sample, one account at a time, its roles
/// concurrently, and compares.
fn ask_aws(
    cfg: &VerifyConfig,
    prepared: Prepared,
    rt: &tokio::runtime::Runtime,
    sdk: SdkConfig,
) -> Result<ParityReport, VerifyError> {
    let Prepared {
        sample,
        local,
        stored,
        actions,
    } = prepared;
    let mut by_account: BTreeMap<&str, Vec<RoleQuery>> = BTreeMap::new();
    for r in &sample {
        by_account
            .entry(r.account_id.as_str())
            .or_default()
            .push(RoleQuery {
                role_arn: r.arn.clone(),
                context: Context::for_role(
                    &r.account_id,
                    &r.arn,
                    r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                )
                .entries(),
            });
    }
    let collector = LiveCollector::with_sdk_config(cfg.aws.clone(), sdk, None);
    let mut report = ParityReport::new(
        cfg.date,
        cfg.seed,
        actions.clone(),
        sample.iter().map(|r| r.arn.clone()).collect(),
    );
    for (account_id, queries) in by_account {
        let arns: Vec<String> = queries.iter().map(|q| q.role_arn.clone()).collect();
        match rt.block_on(collector.simulate_account(account_id, queries, &actions)) {
            Ok(results) => compare_all_with(&local, &stored, results, &mut report),
            Err(failure) => report
                .unchecked
                .extend(arns.into_iter().map(|role_arn| Unchecked {
                    role_arn,
                    reason: failure.to_string(),
                })),
        }
    }
    report.api = collector.counters().snapshot();
    Ok(report)
}

fn local_reason(d: &StoredDecision) -> String {
    let mut parts = vec![d.decision.clone()];
    if let Some(l) = &d.decided_by {
        parts.push(format!("by {l}"));
    }
    for s in &d.matched_statements {
        parts.push(format!(
            "{} {} {}#{}",
            s.layer, s.effect, s.policy_id, s.statement_index
        ));
    }
    if !d.missing_context_keys.is_empty() {
        parts.push(format!("needs {}", d.missing_context_keys.join(",")));
    }
    parts.join("; ")
}

fn api_reason(d: &ApiDecision) -> String {
    let mut parts = vec![format!("{} (by {})", d.verdict.as_str(), d.decided_by)];
    for s in &d.matched_statements {
        parts.push(format!(
            "{} {}@{}:{}",
            s.source_policy_type.as_deref().unwrap_or("?"),
            s.source_policy_id.as_deref().unwrap_or("?"),
            s.start_line.unwrap_or(0),
            s.start_column.unwrap_or(0)
        ));
    }
    if !d.missing_context.is_empty() {
        parts.push(format!("missing {}", d.missing_context.join(",")));
    }
    parts.join("; ")
}

/// The report as a table for a terminal.
pub fn render_text(r: &ParityReport) -> String {
    let mut out = format!(
        "{}: {} roles (seed {}), {} actions, {} decisions compared: {} agree, {} expected differences, {} disagreements{}\n",
        r.snapshot_date,
        r.roles.len(),
        r.seed,
        r.actions.len(),
        r.compared,
        r.agreements,
        r.expected.len(),
        r.disagreements.len(),
        if r.unchecked.is_empty() {
            String::new()
        } else {
            format!(", {} roles not checked", r.unchecked.len())
        }
    );
    for (title, list) in [
        ("Disagreements", &r.disagreements),
        (
            "Expected differences (local conditionally_allowed, AWS implicitDeny for want of context)",
            &r.expected,
        ),
    ] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{title}:\n"));
        let rw = list.iter().map(|f| f.role_arn.len()).max().unwrap_or(4);
        let aw = list.iter().map(|f| f.action.len()).max().unwrap_or(6);
        out.push_str(&format!(
            "{:<rw$}  {:<aw$}  local | aws\n",
            "role", "action"
        ));
        for f in list {
            out.push_str(&format!(
                "{:<rw$}  {:<aw$}  {} | {}\n",
                f.role_arn,
                f.action,
                f.local
                    .as_ref()
                    .map_or("(no local decision)".to_string(), |l| {
                        let mut r = local_reason(l);
                        if let Some(any) = &f.local_any_resource {
                            r.push_str(&format!(" (iamlake on any resource: {any})"));
                        }
                        r
                    }),
                api_reason(&f.api)
            ));
        }
    }
    if !r.unchecked.is_empty() {
        out.push_str("\nNot checked:\n");
        for u in &r.unchecked {
            out.push_str(&format!("{}  {}\n", u.role_arn, u.reason));
        }
    }
    let sim = r
        .api
        .get("iam:SimulatePrincipalPolicy")
        .copied()
        .unwrap_or_default();
    out.push_str(&format!(
        "\niam:SimulatePrincipalPolicy: {} calls, {} throttled attempts\n",
        sim.calls, sim.throttles
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::aws::simulator::SimulatorError;

    fn api(action: &str, verdict: ApiVerdict, missing: &[&str]) -> ApiDecision {
        ApiDecision {
            action: action.into(),
            verdict,
            decided_by: "identity",
            matched_statements: Vec::new(),
            missing_context: missing.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn local(action: &str, decision: &str) -> StoredDecision {
        StoredDecision {
            action: action.into(),
            decision: decision.into(),
            breadth: None,
            breadth_decision: None,
            decided_by: Some("identity".into()),
            matched_statements: Vec::new(),
            missing_context_keys: Vec::new(),
        }
    }

    #[test]
    fn same_decisions_agree() {
        use ApiVerdict::*;
        for (l, v) in [
            ("allowed", Allowed),
            ("implicit_deny", ImplicitDeny),
            ("explicit_deny", ExplicitDeny),
        ] {
            assert_eq!(compare(l, &api("a:B", v, &[])), Agreement::Agree, "{l}");
        }
    }

    #[test]
    fn conditional_against_missing_context_is_expected_only_then() {
        use ApiVerdict::*;
        let missing = api("a:B", ImplicitDeny, &["aws:SourceIp"]);
        assert_eq!(
            compare("conditionally_allowed", &missing),
            Agreement::Expected
        );
        // Without missing context AWS really denies: a disagreement.
        assert_eq!(
            compare("conditionally_allowed", &api("a:B", ImplicitDeny, &[])),
            Agreement::Disagree
        );
        assert_eq!(
            compare("conditionally_allowed", &api("a:B", Allowed, &[])),
            Agreement::Disagree
        );
        // Missing context does not excuse a plain local answer.
        assert_eq!(compare("allowed", &missing), Agreement::Disagree);
        assert_eq!(
            compare("explicit_deny", &api("a:B", ImplicitDeny, &[])),
            Agreement::Disagree
        );
    }

    #[test]
    fn comparison_sorts_agreements_expected_disagreements_and_failures() {
        let local: HashMap<String, Vec<StoredDecision>> = HashMap::from([(
            "r1".to_string(),
            vec![
                local("iam:PassRole", "allowed"),
                local("s3:GetObject", "conditionally_allowed"),
                local("sts:AssumeRole", "implicit_deny"),
            ],
        )]);
        let answers = vec![
            (
                "r1".to_string(),
                Ok(vec![
                    api("iam:PassRole", ApiVerdict::Allowed, &[]),
                    api("s3:GetObject", ApiVerdict::ImplicitDeny, &["aws:SourceIp"]),
                    api("sts:AssumeRole", ApiVerdict::Allowed, &[]),
                    // AWS answered an action the lake has no row for.
                    api("ssm:GetParameter", ApiVerdict::Allowed, &[]),
                ]),
            ),
            (
                "r2".to_string(),
                Err(SimulatorError {
                    role_arn: "r2".into(),
                    message: "AccessDenied: no".into(),
                    throttled: false,
                    denied: true,
                }),
            ),
        ];
        let mut report = ParityReport::new(
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            1,
            Vec::new(),
            vec!["r1".into(), "r2".into()],
        );
        compare_all(&local, answers, &mut report);
        assert_eq!((report.compared, report.agreements), (4, 1));
        assert_eq!(report.expected.len(), 1);
        assert_eq!(report.expected[0].action, "s3:GetObject");
        let dis: Vec<_> = report
            .disagreements
            .iter()
            .map(|f| {
                (
                    f.action.as_str(),
                    f.local.as_ref().map(|l| l.decision.as_str()),
                )
            })
            .collect();
        assert_eq!(
            dis,
            [
                ("sts:AssumeRole", Some("implicit_deny")),
                ("ssm:GetParameter", None)
            ]
        );
        assert_eq!(report.unchecked[0].role_arn, "r2");
        assert_eq!(report.exit_code(), 1);
        let text = render_text(&report);
        assert!(text.contains("2 disagreements"), "{text}");
        assert!(
            text.contains("sts:AssumeRole    implicit_deny; by identity | allowed (by identity)"),
            "{text}"
        );
        assert!(text.contains("missing aws:SourceIp"), "{text}");
        assert!(text.contains("AccessDenied: no"), "{text}");

        report.disagreements.clear();
        report.unchecked.clear();
        assert_eq!(report.exit_code(), 0, "expected differences pass");
    }

    #[test]
    fn the_sample_is_seeded_sorted_and_bounded() {
        let roles: Vec<LakeRole> = (0..50)
            .map(|i| LakeRole {
                account_id: "111122223333".into(),
                arn: format!("arn:aws:iam::111122223333:role/r{i:02}"),
                tags: Vec::new(),
            })
            .collect();
        let a = sample_roles(&roles, 5, 7);
        let mut reversed = roles.clone();
        reversed.reverse();
        // Same seed, same roles in any order: same sample.
        assert_eq!(a, sample_roles(&reversed, 5, 7));
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0].arn < w[1].arn));
        assert_ne!(a, sample_roles(&roles, 5, 8));
        assert_eq!(sample_roles(&roles, 500, 1).len(), 50);
    }

    /// A local snapshot of the fixture folder `src` with two sensitive actions.
    fn snapshot_two_actions(src: std::path::PathBuf, lake: &std::path::Path, date: NaiveDate) {
        crate::snapshot::run(&crate::snapshot::SnapshotConfig {
            source: crate::source::SourceSpec::Fixtures(src),
            lake: Lake::Local(lake.to_path_buf()),
            date,
            sensitive_actions: vec!["iam:PassRole".into(), "s3:GetObject".into()],
            owner_tag_keys: Vec::new(),
            progress: false,
            shard: None,
            aws: AwsConfig::default(),
            simulator: crate::snapshot::Simulator::Local,
            guard: Default::default(),
        })
        .unwrap();
    }

    /// AWS's simulator matches the text `*` against Resource patterns:
    /// `arn:aws:s3:::*/*` grants nothing there, although it covers every
    /// object (iamlake's "any resource"). The local side of the comparison is
    /// evaluated that way from the snapshot's policies; the stored decision
    /// is kept beside it.
    #[test]
    fn the_local_side_answers_the_simulators_literal_star() {
        fn copy(from: &std::path::Path, to: &std::path::Path) {
            std::fs::create_dir_all(to).unwrap();
            for e in std::fs::read_dir(from).unwrap() {
                let e = e.unwrap();
                let dest = to.join(e.file_name());
                if e.file_type().unwrap().is_dir() {
                    copy(&e.path(), &dest);
                } else {
                    std::fs::copy(e.path(), dest).unwrap();
                }
            }
        }
        let work = tempfile::tempdir().unwrap();
        let src = work.path().join("org");
        let mini = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini");
        copy(&mini, &src);
        // `bounded` (boundary: s3:*) gains s3:GetObject on every object.
        let details = src.join("111111111111/authorization-details.json");
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&details).unwrap()).unwrap();
        for role in doc["RoleDetailList"].as_array_mut().unwrap() {
            if role["RoleName"] == "bounded" {
                role["RolePolicyList"] = serde_json::json!([{"PolicyName": "objects", "PolicyDocument":
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::*/*"}]}}]);
            }
        }
        std::fs::write(&details, doc.to_string()).unwrap();
        let lake = work.path().join("lake");
        let date = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        snapshot_two_actions(src, &lake, date);
        let cfg = VerifyConfig {
            lake: Lake::Local(lake),
            date,
            sample: 100,
            seed: 1,
            aws: crate::source::aws::simulator::tests::test_config(),
        };
        let p = prepare(&cfg).unwrap();
        let get = |m: &HashMap<String, Vec<StoredDecision>>, role: &str, action: &str| {
            m.iter()
                .find(|(arn, _)| arn.ends_with(&format!("role/{role}")))
                .and_then(|(_, ds)| ds.iter().find(|d| d.action == action))
                .map(|d| d.decision.clone())
                .unwrap()
        };
        assert_eq!(get(&p.stored, "bounded", "s3:GetObject"), "allowed");
        assert_eq!(get(&p.local, "bounded", "s3:GetObject"), "implicit_deny");
        // `*` (AdministratorAccess) is `*` in both readings; the SCP deny stays.
        assert_eq!(get(&p.local, "admin", "s3:GetObject"), "allowed");
        assert_eq!(
            get(&p.stored, "admin", "iam:PassRole"),
            get(&p.local, "admin", "iam:PassRole")
        );
    }

    #[test]
    fn end_to_end_over_a_replayed_aws() {
        use crate::source::aws::simulator::tests::{
            Replay, action_names, allowed, page, replay_sdk, test_config,
        };
        let work = tempfile::tempdir().unwrap();
        let lake = work.path().join("lake");
        let date = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let mini = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mini");
        snapshot_two_actions(mini, &lake, date);
        // AWS allows everything: every local non-allowed answer disagrees.
        let replay = Replay::new(|form, _| match form["Action"].as_str() {
            "AssumeRole" => (200, ASSUMED.to_string()),
            "SimulatePrincipalPolicy" => {
                let results: Vec<String> = action_names(form).iter().map(|a| allowed(a)).collect();
                page(&results, None)
            }
            other => panic!("unexpected call {other}"),
        });
        let cfg = VerifyConfig {
            lake: Lake::Local(lake),
            date,
            sample: 3,
            seed: 1,
            aws: test_config(),
        };
        let rt = runtime().unwrap();
        let sdk = rt.block_on(replay_sdk(&cfg.aws, &replay));
        let report = run_with_sdk(&cfg, &rt, sdk).unwrap();
        assert_eq!(report.roles.len(), 3);
        assert_eq!(report.compared, 6);
        assert_eq!(
            report.compared,
            report.agreements + (report.expected.len() + report.disagreements.len()) as u64
        );
        assert!(
            report.expected.is_empty(),
            "AWS reported no missing context"
        );
        assert!(
            report
                .disagreements
                .iter()
                .all(|f| f.local.as_ref().is_some_and(|l| l.decision != "allowed"))
        );
        assert_eq!(
            report.exit_code(),
            u8::from(!report.disagreements.is_empty())
        );
        let accounts: BTreeSet<&str> = report
            .roles
            .iter()
            .map(|a| a.split(':').nth(4).unwrap())
            .collect();
        assert_eq!(report.api["sts:AssumeRole"].calls, accounts.len() as u64);
        assert_eq!(report.api["iam:SimulatePrincipalPolicy"].calls, 3);
        // Each role was asked about itself, with the principal context.
        let asked: BTreeSet<String> = replay
            .requests()
            .iter()
            .filter(|f| f["Action"] == "SimulatePrincipalPolicy")
            .inspect(|f| {
                assert_eq!(
                    f["ContextEntries.member.1.ContextKeyName"],
                    "aws:PrincipalAccount"
                );
                assert_eq!(action_names(f), ["iam:PassRole", "s3:GetObject"]);
            })
            .map(|f| f["PolicySourceArn"].clone())
            .collect();
        assert_eq!(asked, report.roles.iter().cloned().collect());
    }

    const ASSUMED: &str = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
        <Credentials><AccessKeyId>ASIATEST</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>\
        <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROATEST:s</AssumedRoleId>\
        <Arn>arn:aws:sts::111111111111:assumed-role/iamlake-reader/s</Arn></AssumedRoleUser></AssumeRoleResult>\
        <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>";
}
