//! One account's IAM state (roles, customer managed policies, Access Advisor usage) and its day-by-day evolution: role churn, recreation, policy tightening and service usage.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::generate::catalog::{
    ADMIN, APPS, Catalog, DYNAMODB_READ_ONLY, LAMBDA_BASIC, PEOPLE, POWER_USER, READ_ONLY, REGIONS,
    S3_READ_ONLY, SERVICES, SSM_READ_ONLY, TEAMS,
};
use crate::generate::org::Org;
use crate::generate::output::{DAY, HEX, IAM_ID_ALPHABET, random_string, snapshot_ts, splitmix};
use crate::generate::policy::{
    Effect, OneOrMany, PolicyDocument, Principal, Statement, grants, is_tightenable, tighten,
};

/// A managed policy attached to a role or used as its boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManagedRef {
    /// Index into [`AWS_POLICIES`].
    Aws(usize),
    /// Name of a customer managed policy in the account.
    Customer(String),
}

pub(crate) struct PolicyVersion {
    pub number: u32,
    pub doc: PolicyDocument,
    pub created: i64,
}

pub(crate) struct CustomerPolicy {
    pub name: String,
    pub id: String,
    pub path: &'static str,
    pub created: i64,
    pub updated: i64,
    /// Oldest first; the last one is the default version. At most five, as IAM allows.
    pub versions: Vec<PolicyVersion>,
}

impl CustomerPolicy {
    pub fn default_doc(&self) -> &PolicyDocument {
        // `versions` is never empty: policies are created with version 1.
        &self.versions[self.versions.len() - 1].doc
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Lambda,
    Ecs,
    Ec2,
    Ci,
    Data,
    CrossAccount,
    Auditor,
    TeamAdmin,
    BreakGlass,
    OrgAccess,
    SsoAdmin,
    SsoReadOnly,
    SsoPowerUser,
}

/// Access Advisor state for one granted service of one role.
pub(crate) struct Usage {
    /// Index into [`SERVICES`].
    pub svc: usize,
    /// Daily probability of use while the service is in active use.
    active: Option<f32>,
    pub last: Option<i64>,
    /// Last use per tracked action (aligned with the service's `tracked`).
    pub actions: Vec<Option<i64>>,
    /// Tracked actions this role actually calls (bitmask).
    pref: u16,
}

impl Usage {
    fn touch(&mut self, t: i64, rng: &mut ChaCha8Rng) {
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        if self.pref != 0 {
            let bits: Vec<usize> = (0..16).filter(|b| self.pref & (1 << b) != 0).collect();
            let j = bits[rng.random_range(0..bits.len())];
            if let Some(slot) = self.actions.get_mut(j) {
                *slot = Some(slot.map_or(t, |l| l.max(t)));
            }
        }
    }
}

pub(crate) struct Role {
    pub name: String,
    pub path: &'static str,
    pub id: String,
    pub created: i64,
    team: usize,
    app: &'static str,
    pub description: Option<String>,
    pub max_session: u32,
    pub trust: PolicyDocument,
    pub inline: Vec<(String, PolicyDocument)>,
    pub managed: Vec<ManagedRef>,
    pub boundary: Option<ManagedRef>,
    /// The customer managed policy created for this role alone, if any.
    own_policy: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Cached result of [`grants`] over the role's policies (recomputed when
    /// they change): per service, `Some(tracked-action mask)` if granted.
    pub grants: Vec<Option<u16>>,
    /// Sorted by `svc`.
    pub usage: Vec<Usage>,
    /// Access Advisor job type: ACTION_LEVEL (most) or SERVICE_LEVEL.
    pub action_level: bool,
    pub region: &'static str,
    /// Landing-zone roles that are never deleted.
    core: bool,
}

impl Role {
    /// RoleLastUsed: the latest use of any service, with its region.
    pub fn last_used(&self) -> Option<(i64, &'static str)> {
        self.usage
            .iter()
            .filter_map(|u| u.last.map(|t| (t, u.svc)))
            .max()
            .map(|(t, svc)| (t, self.usage_region(svc)))
    }

    pub fn usage_region(&self, svc: usize) -> &'static str {
        if SERVICES[svc].global {
            "us-east-1"
        } else {
            self.region
        }
    }

    fn simulate_day(&mut self, rng: &mut ChaCha8Rng, lo: i64, hi: i64) {
        let floor = self.created + 60;
        for u in &mut self.usage {
            match u.active {
                Some(p) => {
                    if rng.random_bool(f64::from(p)) {
                        let t = rng.random_range(lo..hi).max(floor);
                        if t < hi {
                            u.touch(t, rng);
                        }
                    }
                    // Services fall out of use now and then, and age past 90 days.
                    if rng.random_bool(0.006) {
                        u.active = None;
                    }
                }
                None => {
                    // ...and unused permissions occasionally start being used.
                    if rng.random_bool(0.0015) {
                        u.active = Some(rng.random_range(0.2f32..0.9));
                    }
                }
            }
        }
    }
}

/// Role kinds drawn for non-core roles, with weights (≈ the mix of a real org).
const KIND_WEIGHTS: &[(Kind, u32)] = &[
    (Kind::Lambda, 22),
    (Kind::Ecs, 14),
    (Kind::Ec2, 9),
    (Kind::Ci, 16),
    (Kind::Data, 15),
    (Kind::CrossAccount, 7),
    (Kind::Auditor, 3),
    (Kind::TeamAdmin, 3),
];

/// Landing-zone roles every account has (as many as fit, see `core_count`).
const CORE: &[Kind] = &[
    Kind::BreakGlass,
    Kind::OrgAccess,
    Kind::Auditor,
    Kind::SsoAdmin,
    Kind::SsoReadOnly,
    Kind::SsoPowerUser,
];

/// Share of newly drawn roles that get a dangerous statement: higher for the
/// legacy roles present on day one than for roles created later, which with
/// tightening gives a slow downward trend in risky roles.
const RISKY_INITIAL: f64 = 0.30;
const RISKY_NEW: f64 = 0.12;
/// Daily chance that a role with a tightenable grant gets it scoped down.
const TIGHTEN_PER_DAY: f64 = 0.02;

pub(crate) struct AccountState<'a> {
    pub org: &'a Org,
    pub catalog: &'a Catalog,
    pub idx: usize,
    pub seed: u64,
    pub start: NaiveDate,
    /// Sorted by name.
    pub roles: Vec<Role>,
    pub policies: BTreeMap<String, CustomerPolicy>,
    rng: ChaCha8Rng,
    target: u32,
    /// Suffix shared by this account's IAM Identity Center roles and SAML provider.
    sso_suffix: String,
}

impl<'a> AccountState<'a> {
    /// The account as of the first day's snapshot.
    pub fn new(
        org: &'a Org,
        catalog: &'a Catalog,
        idx: usize,
        roles_per_account: u32,
        seed: u64,
        start: NaiveDate,
    ) -> Self {
        let stream = splitmix(seed ^ splitmix(idx as u64 + 1));
        let mut rng = ChaCha8Rng::seed_from_u64(stream);
        let sso_suffix = random_string(&mut rng, HEX, 16);
        let mut state = AccountState {
            org,
            catalog,
            idx,
            seed,
            start,
            roles: Vec::new(),
            policies: BTreeMap::new(),
            rng,
            target: roles_per_account,
            sso_suffix,
        };
        let s0 = snapshot_ts(start, 0);
        let core = (roles_per_account / 5).clamp(1, CORE.len() as u32) as usize;
        for &kind in &CORE[..core] {
            let created = state.initial_create_date(s0, true);
            state.add_role(kind, created, s0, false, true);
        }
        for _ in core..roles_per_account as usize {
            let kind = state.draw_kind();
            let created = state.initial_create_date(s0, false);
            state.add_role(kind, created, s0, false, false);
        }
        // Some legacy policies nobody attaches any more.
        let orphans = (roles_per_account / 40).min(5);
        for i in 0..orphans {
            let team = TEAMS[state.rng.random_range(0..TEAMS.len())];
            let created = s0 - state.rng.random_range(200..700) * DAY;
            let doc = PolicyDocument::new(vec![Statement::allow(
                &["s3:GetObject", "s3:PutObject"],
                &[&format!(
                    "arn:aws:s3:::{}-{team}-legacy-{i}/*",
                    state.account().name
                )],
            )]);
            state.ensure_policy(&format!("legacy-{team}-access-{i}"), "/", doc, created);
        }
        state
    }

    fn account(&self) -> &crate::generate::org::Account {
        &self.org.accounts[self.idx]
    }

    pub fn account_id(&self) -> &str {
        &self.account().id
    }

    /// Creation dates spread over the two years before the start, ~12% of
    /// them within the last 90 days. Core roles are as old as the account.
    fn initial_create_date(&mut self, s0: i64, core: bool) -> i64 {
        let days = if core {
            self.rng.random_range(700..730)
        } else if self.rng.random_bool(0.12) {
            self.rng.random_range(1..90)
        } else {
            self.rng.random_range(90..730)
        };
        s0 - days * DAY - self.rng.random_range(0..DAY)
    }

    fn draw_kind(&mut self) -> Kind {
        let total: u32 = KIND_WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.random_range(0..total);
        for &(k, w) in KIND_WEIGHTS {
            if r < w {
                return k;
            }
            r -= w;
        }
        Kind::Lambda
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }

    fn role_pos(&self, name: &str) -> Result<usize, usize> {
        self.roles.binary_search_by(|r| r.name.as_str().cmp(name))
    }

    fn unique_name(&self, base: String) -> String {
        if self.role_pos(&base).is_err() {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|c| self.role_pos(c).is_err())
            .unwrap_or(base)
    }

    fn new_role_id(&mut self) -> String {
        format!("AROA{}", random_string(&mut self.rng, IAM_ID_ALPHABET, 17))
    }

    /// Create a customer managed policy unless one with that name exists.
    fn ensure_policy(&mut self, name: &str, path: &'static str, doc: PolicyDocument, t: i64) {
        if self.policies.contains_key(name) {
            return;
        }
        let id = format!("ANPA{}", random_string(&mut self.rng, IAM_ID_ALPHABET, 17));
        self.policies.insert(
            name.to_string(),
            CustomerPolicy {
                name: name.to_string(),
                id,
                path,
                created: t,
                updated: t,
                versions: vec![PolicyVersion {
                    number: 1,
                    doc,
                    created: t,
                }],
            },
        );
    }

    /// Draw a complete role of `kind` created at `created`, seed its Access
    /// Advisor history as of `now` (or leave it blank when `fresh`), and insert it.
    fn add_role(&mut self, kind: Kind, created: i64, now: i64, fresh: bool, core: bool) {
        let acct = self.account().id.clone();
        let acct_name = self.account().name.clone();
        let acct_team = self.account().team;
        let sec = self.org.accounts[self.org.security].id.clone();
        let mgmt = self.org.accounts[self.org.management].id.clone();
        let team = if self.rng.random_bool(0.6) {
            acct_team
        } else {
            self.rng.random_range(0..TEAMS.len())
        };
        let t = TEAMS[team];
        let app = self.pick(APPS);
        let region = if self.rng.random_bool(0.9) {
            self.account().region
        } else {
            self.pick(REGIONS)
        };
        let other_acct = {
            let j = self.rng.random_range(0..self.org.accounts.len());
            self.org.accounts[j].id.clone()
        };

        let service = |svc: &str| Principal {
            service: Some(OneOrMany::of(&[svc])),
            ..Principal::default()
        };
        let aws = |arn: &str| Principal {
            aws: Some(OneOrMany::of(&[arn])),
            ..Principal::default()
        };
        let assume =
            |p: Principal| PolicyDocument::new(vec![Statement::trust(p, &["sts:AssumeRole"])]);
        let bucket = format!("arn:aws:s3:::{acct_name}-{t}-{app}");
        let table = format!("arn:aws:dynamodb:{region}:{acct}:table/{t}-{app}");
        let queue = format!("arn:aws:sqs:{region}:{acct}:{t}-{app}-queue");

        let mut stmts: Vec<Statement> = Vec::new();
        let mut managed: Vec<ManagedRef> = Vec::new();
        let mut max_session = if self.rng.random_bool(0.1) {
            self.pick(&[7200, 14400])
        } else {
            3600
        };
        let (base, path, trust, description): (
            String,
            &'static str,
            PolicyDocument,
            Option<String>,
        ) = match kind {
            Kind::Lambda => {
                if self.rng.random_bool(0.7) {
                    managed.push(ManagedRef::Aws(LAMBDA_BASIC));
                } else {
                    stmts.push(
                        Statement::allow(
                            &["logs:CreateLogStream", "logs:PutLogEvents"],
                            &[&format!(
                                "arn:aws:logs:{region}:{acct}:log-group:/aws/lambda/{t}-{app}:*"
                            )],
                        )
                        .sid("WriteLogs"),
                    );
                }
                self.data_statements(&mut stmts, &bucket, &table, &queue);
                (
                    format!("{t}-{app}-lambda"),
                    if self.rng.random_bool(0.5) {
                        "/service-role/"
                    } else {
                        "/"
                    },
                    assume(service("lambda.amazonaws.com")),
                    Some(format!("Execution role for the {t} {app} Lambda function")),
                )
            }
            Kind::Ecs | Kind::Ec2 => {
                self.data_statements(&mut stmts, &bucket, &table, &queue);
                if self.rng.random_bool(0.1) {
                    managed.push(ManagedRef::Aws(SSM_READ_ONLY));
                }
                if self.rng.random_bool(0.1) {
                    managed.push(ManagedRef::Aws(S3_READ_ONLY));
                }
                if kind == Kind::Ecs {
                    (
                        format!("{t}-{app}-task"),
                        "/",
                        assume(service("ecs-tasks.amazonaws.com")),
                        Some(format!("ECS task role for {t} {app}")),
                    )
                } else {
                    stmts.push(
                        Statement::allow(&["ec2:DescribeInstances", "ec2:DescribeTags"], &["*"])
                            .sid("Discovery"),
                    );
                    (
                        format!("{t}-{app}-instance"),
                        "/",
                        assume(service("ec2.amazonaws.com")),
                        Some(format!("Instance role for {t} {app} hosts")),
                    )
                }
            }
            Kind::Ci => {
                stmts.push(
                    Statement::allow(
                        &["s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                        &[
                            &format!("{bucket}-artifacts"),
                            &format!("{bucket}-artifacts/*"),
                        ],
                    )
                    .sid("UploadArtifacts"),
                );
                stmts.push(
                    Statement::allow(
                        &["lambda:UpdateFunctionCode", "lambda:GetFunction"],
                        &[&format!("arn:aws:lambda:{region}:{acct}:function:{t}-*")],
                    )
                    .sid("DeployFunctions"),
                );
                if self.rng.random_bool(0.5) {
                    stmts.push(Statement::allow(&["ecr:GetAuthorizationToken"], &["*"]));
                    stmts.push(Statement::allow(
                        &[
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:CompleteLayerUpload",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                        &[&format!("arn:aws:ecr:{region}:{acct}:repository/{t}/{app}")],
                    ));
                    stmts.push(Statement::allow(
                        &["ecs:UpdateService", "ecs:DescribeServices"],
                        &[&format!("arn:aws:ecs:{region}:{acct}:service/{t}/*")],
                    ));
                }
                if self.rng.random_bool(0.3) {
                    stmts.push(Statement::allow(
                        &["cloudformation:*"],
                        &[&format!(
                            "arn:aws:cloudformation:{region}:{acct}:stack/{t}-*/*"
                        )],
                    ));
                }
                // CI roles are where `iam:PassRole` on `*` usually hides.
                if self.rng.random_bool(0.35) {
                    let pass = self.pick(&["iam:PassRole", "iam:Pass*"]);
                    // Half of them on every role of the account, which is as
                    // risky (chosen by hash: the random stream is unchanged).
                    let all_roles = format!("arn:aws:iam::{acct}:role/*");
                    let resource =
                        if crate::generate::output::stable_hash(0, &[&acct, t, "PassRoles"])
                            .is_multiple_of(2)
                        {
                            all_roles.as_str()
                        } else {
                            "*"
                        };
                    stmts.push(Statement::allow(&[pass], &[resource]).sid("PassRoles"));
                } else {
                    stmts.push(
                        Statement::allow(
                            &["iam:PassRole"],
                            &[&format!("arn:aws:iam::{acct}:role/{t}-*")],
                        )
                        .sid("PassTeamRoles"),
                    );
                }
                if self.rng.random_bool(0.1) {
                    managed.push(ManagedRef::Aws(POWER_USER));
                } else if self.rng.random_bool(0.03) {
                    managed.push(ManagedRef::Aws(ADMIN));
                }
                let repo = match self.rng.random_range(0..10) {
                    0 => "repo:acme-corp/*".to_string(),
                    1..=3 => format!("repo:acme-corp/{t}-{app}:*"),
                    _ => format!("repo:acme-corp/{t}-{app}:ref:refs/heads/main"),
                };
                let mut st = Statement::trust(
                    Principal {
                        federated: Some(OneOrMany::of(&[&format!(
                            "arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com"
                        )])),
                        ..Principal::default()
                    },
                    &["sts:AssumeRoleWithWebIdentity"],
                )
                .cond(
                    "StringEquals",
                    "token.actions.githubusercontent.com:aud",
                    &["sts.amazonaws.com"],
                );
                st = st.cond(
                    "StringLike",
                    "token.actions.githubusercontent.com:sub",
                    &[&repo],
                );
                (
                    format!("github-{t}-{app}-deploy"),
                    "/ci/",
                    PolicyDocument::new(vec![st]),
                    Some(format!(
                        "GitHub Actions deployment role for acme-corp/{t}-{app}"
                    )),
                )
            }
            Kind::Data => {
                stmts.push(
                    Statement::allow(
                        &["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                        &[&format!("{bucket}-lake"), &format!("{bucket}-lake/*")],
                    )
                    .sid("Lake"),
                );
                stmts.push(Statement::allow(
                    &["glue:GetTable", "glue:GetPartitions", "glue:GetDatabase"],
                    &["*"],
                ));
                if self.rng.random_bool(0.5) {
                    stmts.push(Statement::allow(
                        &["athena:StartQueryExecution", "athena:GetQueryResults"],
                        &[&format!("arn:aws:athena:{region}:{acct}:workgroup/{t}")],
                    ));
                }
                if self.rng.random_bool(0.4) {
                    stmts.push(Statement::allow(
                        &["kms:Decrypt"],
                        &[&format!(
                            "arn:aws:kms:{region}:{acct}:key/{}",
                            self.fake_uuid()
                        )],
                    ));
                }
                if self.rng.random_bool(0.3) {
                    managed.push(ManagedRef::Aws(S3_READ_ONLY));
                }
                if self.rng.random_bool(0.15) {
                    managed.push(ManagedRef::Aws(DYNAMODB_READ_ONLY));
                }
                let (suffix, principal) = if self.rng.random_bool(0.6) {
                    ("etl", "glue.amazonaws.com")
                } else {
                    ("sagemaker", "sagemaker.amazonaws.com")
                };
                (
                    format!("{t}-{app}-{suffix}"),
                    if self.rng.random_bool(0.5) {
                        "/service-role/"
                    } else {
                        "/"
                    },
                    assume(service(principal)),
                    Some(format!("Data processing role for {t} {app}")),
                )
            }
            Kind::CrossAccount => {
                if self.rng.random_bool(0.3) {
                    // A monitoring vendor's account, with the usual ExternalId.
                    managed.push(ManagedRef::Aws(READ_ONLY));
                    let ext = random_string(&mut self.rng, HEX, 32);
                    let trust = PolicyDocument::new(vec![
                        Statement::trust(
                            aws("arn:aws:iam::464622532012:root"),
                            &["sts:AssumeRole"],
                        )
                        .cond("StringEquals", "sts:ExternalId", &[&ext]),
                    ]);
                    (
                        "datadog-integration".to_string(),
                        "/",
                        trust,
                        Some("Datadog AWS integration".to_string()),
                    )
                } else {
                    stmts.push(Statement::allow(
                        &["dynamodb:GetItem", "dynamodb:Query"],
                        &[&table],
                    ));
                    stmts.push(Statement::allow(&["sqs:SendMessage"], &[&queue]));
                    (
                        format!("{t}-{app}-cross-account"),
                        "/",
                        assume(aws(&format!(
                            "arn:aws:iam::{other_acct}:role/{t}-{app}-worker"
                        ))),
                        Some(format!("Lets {t} workers in another account reach {app}")),
                    )
                }
            }
            Kind::Auditor => {
                managed.push(ManagedRef::Aws(READ_ONLY));
                let name = if core {
                    "security-auditor".to_string()
                } else {
                    format!("{t}-readonly")
                };
                (
                    name,
                    "/",
                    assume(aws(&format!("arn:aws:iam::{sec}:root"))),
                    Some("Read-only access for audits".to_string()),
                )
            }
            Kind::TeamAdmin | Kind::BreakGlass => {
                managed.push(ManagedRef::Aws(ADMIN));
                let trust = PolicyDocument::new(vec![
                    Statement::trust(
                        aws(&format!("arn:aws:iam::{sec}:root")),
                        &["sts:AssumeRole"],
                    )
                    .cond("Bool", "aws:MultiFactorAuthPresent", &["true"]),
                ]);
                if kind == Kind::BreakGlass {
                    (
                        "BreakGlassAdmin".to_string(),
                        "/",
                        trust,
                        Some("Emergency administrator access; MFA required".to_string()),
                    )
                } else {
                    (format!("{t}-ops-admin"), "/", trust, None)
                }
            }
            Kind::OrgAccess => {
                managed.push(ManagedRef::Aws(ADMIN));
                (
                    "OrganizationAccountAccessRole".to_string(),
                    "/",
                    assume(aws(&format!("arn:aws:iam::{mgmt}:root"))),
                    None,
                )
            }
            Kind::SsoAdmin | Kind::SsoReadOnly | Kind::SsoPowerUser => {
                let (set, policy) = match kind {
                    Kind::SsoAdmin => ("AdministratorAccess", ADMIN),
                    Kind::SsoReadOnly => ("ReadOnlyAccess", READ_ONLY),
                    _ => ("PowerUserAccess", POWER_USER),
                };
                managed.push(ManagedRef::Aws(policy));
                max_session = 43_200;
                let provider = format!(
                    "arn:aws:iam::{acct}:saml-provider/AWSSSO_{}_DO_NOT_DELETE",
                    self.sso_suffix
                );
                let trust = PolicyDocument::new(vec![
                    Statement::trust(
                        Principal {
                            federated: Some(OneOrMany::of(&[&provider])),
                            ..Principal::default()
                        },
                        &["sts:AssumeRoleWithSAML", "sts:TagSession"],
                    )
                    .cond(
                        "StringEquals",
                        "SAML:aud",
                        &["https://signin.aws.amazon.com/saml"],
                    ),
                ]);
                (
                    format!("AWSReservedSSO_{set}_{}", self.sso_suffix),
                    "/aws-reserved/sso.amazonaws.com/",
                    trust,
                    None,
                )
            }
        };

        let workload = !core
            && matches!(
                kind,
                Kind::Lambda | Kind::Ecs | Kind::Ec2 | Kind::Ci | Kind::Data | Kind::CrossAccount
            );
        if workload && !stmts.is_empty() {
            self.add_risk(&mut stmts, fresh, t, region, &bucket);
        }
        // Core roles are created once per account, so their names are free.
        let name = if core { base } else { self.unique_name(base) };

        // Where the permissions live: inline (split in two now and then), or a
        // customer managed policy made for this role.
        let mut inline = Vec::new();
        let mut own_policy = None;
        if !stmts.is_empty() {
            if workload && self.rng.random_bool(0.35) {
                let pname = format!("{name}-policy");
                self.ensure_policy(&pname, "/", PolicyDocument::new(stmts), created);
                managed.push(ManagedRef::Customer(pname.clone()));
                own_policy = Some(pname);
            } else if stmts.len() >= 3 && self.rng.random_bool(0.3) {
                let rest = stmts.split_off(stmts.len() / 2);
                inline.push((format!("{app}-access"), PolicyDocument::new(stmts)));
                inline.push(("extra-permissions".to_string(), PolicyDocument::new(rest)));
            } else {
                let pname = self.pick(&["default", "inline-policy", "permissions"]);
                inline.push((format!("{app}-{pname}"), PolicyDocument::new(stmts)));
            }
        }
        if workload && self.rng.random_bool(0.2) {
            let pname = format!("{t}-shared-read");
            let doc = PolicyDocument::new(vec![
                Statement::allow(
                    &["s3:GetObject", "s3:ListBucket"],
                    &[
                        &format!("arn:aws:s3:::{acct_name}-{t}-shared"),
                        &format!("arn:aws:s3:::{acct_name}-{t}-shared/*"),
                    ],
                ),
                // Conditionally allowed: parameters tagged for the team only.
                Statement::allow(&["ssm:GetParameter", "ssm:GetParameters"], &["*"])
                    .sid("TeamParameters")
                    .cond("StringEquals", "aws:ResourceTag/team", &[t]),
            ]);
            self.ensure_policy(&pname, "/teams/", doc, created);
            managed.push(ManagedRef::Customer(pname));
        }
        let boundary = if workload && self.rng.random_bool(0.15) {
            if self.rng.random_bool(0.1) {
                Some(ManagedRef::Aws(POWER_USER))
            } else {
                let pname = "workload-permissions-boundary".to_string();
                let doc = PolicyDocument::new(vec![
                    Statement::not_action(
                        Effect::Allow,
                        &["iam:*", "organizations:*", "account:*"],
                    )
                    .sid("AllowEverythingButIam"),
                ]);
                let t0 = snapshot_ts(self.start, 0) - 800 * DAY;
                self.ensure_policy(&pname, "/boundaries/", doc, t0);
                Some(ManagedRef::Customer(pname))
            }
        } else {
            None
        };

        let sso = matches!(
            kind,
            Kind::SsoAdmin | Kind::SsoReadOnly | Kind::SsoPowerUser
        );
        let mut tags = Vec::new();
        if !sso {
            let r: f64 = self.rng.random();
            if r < 0.75 {
                tags.push(("team".to_string(), t.to_string()));
            } else if r < 0.85 {
                let owner = if self.rng.random_bool(0.5) {
                    format!("{}@acme-corp.example", self.pick(PEOPLE))
                } else {
                    t.to_string()
                };
                tags.push(("owner".to_string(), owner));
            }
            if !tags.is_empty() && self.rng.random_bool(0.4) {
                tags.push(("managed-by".to_string(), "terraform".to_string()));
            }
        }

        let id = self.new_role_id();
        let mut role = Role {
            name,
            path,
            id,
            created,
            team,
            app,
            description: description.filter(|_| core || self.rng.random_bool(0.6)),
            max_session,
            trust,
            inline,
            managed,
            boundary,
            own_policy,
            tags,
            grants: Vec::new(),
            usage: Vec::new(),
            action_level: self.rng.random_bool(0.85),
            region,
            core,
        };
        self.refresh_grants(&mut role);
        self.init_usage(&mut role, now, fresh);
        match self.role_pos(&role.name) {
            Ok(i) => self.roles[i] = role,
            Err(i) => self.roles.insert(i, role),
        }
    }

    /// Typical scoped data-plane access for a service role: two or three of
    /// S3, DynamoDB, SQS.
    fn data_statements(
        &mut self,
        stmts: &mut Vec<Statement>,
        bucket: &str,
        table: &str,
        queue: &str,
    ) {
        let n = self.rng.random_range(1..=3);
        let mut kinds = [0usize, 1, 2];
        for i in (1..kinds.len()).rev() {
            let j = self.rng.random_range(0..=i);
            kinds.swap(i, j);
        }
        for &k in &kinds[..n] {
            stmts.push(match k {
                0 => Statement::allow(&["s3:GetObject", "s3:PutObject"], &[&format!("{bucket}/*")])
                    .sid("Objects"),
                1 => Statement::allow(
                    &[
                        "dynamodb:GetItem",
                        "dynamodb:PutItem",
                        "dynamodb:Query",
                        "dynamodb:UpdateItem",
                    ],
                    &[table],
                )
                .sid("Table"),
                _ => Statement::allow(
                    &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"],
                    &[queue],
                )
                .sid("Queue"),
            });
        }
    }

    /// Sometimes add dangerous grants on `*` or on every resource of the
    /// account (`role/*`, `parameter/*`, `table/*`: as risky, and the most
    /// common real-world shape), some only under conditions; explicit Denies
    /// and NotAction statements.
    fn add_risk(
        &mut self,
        stmts: &mut Vec<Statement>,
        fresh: bool,
        team: &str,
        region: &str,
        bucket: &str,
    ) {
        let p = if fresh { RISKY_NEW } else { RISKY_INITIAL };
        if self.rng.random_bool(p) {
            let n = if self.rng.random_bool(0.2) { 2 } else { 1 };
            for _ in 0..n {
                let (actions, sid): (&[&str], &str) = match self.rng.random_range(0..7) {
                    0 => (
                        self.pick(&[&["iam:PassRole"][..], &["iam:Pass*"]]),
                        "PassAnyRole",
                    ),
                    1 => (&["sts:AssumeRole"], "AssumeAnyRole"),
                    2 => (
                        self.pick(&[
                            &["ssm:GetParameter", "ssm:GetParameters"][..],
                            &["ssm:*"],
                            &["ssm:Get*"],
                        ]),
                        "ReadParameters",
                    ),
                    3 => (
                        self.pick(&[&["s3:GetObject"][..], &["s3:Get*"]]),
                        "ReadAnyObject",
                    ),
                    4 => (
                        self.pick(&[
                            &["dynamodb:GetItem"][..],
                            &["dynamodb:GetItem", "dynamodb:Query"],
                        ]),
                        "ReadAnyTable",
                    ),
                    5 => (&["iam:CreateRole", "iam:AttachRolePolicy"], "CreateRoles"),
                    _ => (&["iam:PassRole", "ecs:RunTask"], "RunTasks"),
                };
                // Which grants are account-scoped comes from a hash, not the
                // random stream, so the rest of the organization is unchanged.
                let acct = self.account_id().to_string();
                let scoped = crate::generate::output::stable_hash(
                    0,
                    &[&acct, team, sid, &stmts.len().to_string()],
                ) % 5
                    < 3;
                let resource = match sid {
                    _ if !scoped => "*".to_string(),
                    "PassAnyRole" | "AssumeAnyRole" | "CreateRoles" | "RunTasks" => {
                        format!("arn:aws:iam::{acct}:role/*")
                    }
                    "ReadParameters" => format!("arn:aws:ssm:*:{acct}:parameter/*"),
                    "ReadAnyTable" => format!("arn:aws:dynamodb:*:{acct}:table/*"),
                    // S3 ARNs carry no account: every object is `*/*`.
                    _ => "arn:aws:s3:::*/*".to_string(),
                };
                let mut st = Statement::allow(actions, &[&resource]).sid(sid);
                if self.rng.random_bool(0.35) {
                    st = match self.rng.random_range(0..3) {
                        0 => st.cond("StringEquals", "aws:ResourceTag/team", &[team]),
                        1 => st.cond(
                            "StringEquals",
                            "aws:RequestedRegion",
                            &[region, "us-east-1"],
                        ),
                        _ => st.cond("StringEquals", "aws:PrincipalTag/team", &[team]),
                    };
                }
                stmts.push(st);
            }
        }
        if self.rng.random_bool(0.1) {
            stmts.push(if self.rng.random_bool(0.5) {
                Statement::deny(&["iam:CreateRole"], &["*"]).sid("NoRoleCreation")
            } else {
                let mut st = Statement::deny(&["s3:*"], &["*"]).sid("DenyOtherBuckets");
                st.resource = None;
                st.not_resource = Some(OneOrMany::of(&[bucket, &format!("{bucket}/*")]));
                st
            });
        }
        if self.rng.random_bool(0.03) {
            stmts.push(
                Statement::not_action(Effect::Allow, &["iam:*", "organizations:*"])
                    .sid("BroadAccessExceptIam"),
            );
        }
    }

    fn fake_uuid(&mut self) -> String {
        let h = random_string(&mut self.rng, HEX, 32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }

    fn refresh_grants(&self, role: &mut Role) {
        role.grants = role_grants(self.catalog, &self.policies, role);
    }

    /// Seed Access Advisor state for every granted service. Roles on the first
    /// day get a history (recent use, lapsed, stale > 90 days, never); roles
    /// created later (`fresh`) start unused, with some services about to be used.
    fn init_usage(&mut self, role: &mut Role, now: i64, fresh: bool) {
        let granted = role.grants.iter().filter(|g| g.is_some()).count();
        let broad = granted > 12;
        let idle_role = !fresh && !role.core && self.rng.random_bool(0.08);
        let floor = role.created + 60;
        role.usage.clear();
        for (svc, mask) in role.grants.iter().enumerate() {
            let Some(mask) = *mask else { continue };
            let mut pref = 0u16;
            for b in 0..16 {
                if mask & (1 << b) != 0 && self.rng.random_bool(0.5) {
                    pref |= 1 << b;
                }
            }
            if pref == 0 && mask != 0 {
                pref = 1 << mask.trailing_zeros();
            }
            let r: f64 = self.rng.random();
            let (a, l, s) = if broad {
                (0.08, 0.12, 0.25)
            } else {
                (0.5, 0.6, 0.8)
            };
            let (active, ago) = if idle_role {
                (None, None)
            } else if r < a {
                let p = self.rng.random_range(0.2f32..0.95);
                (Some(p), Some(self.rng.random_range(0..7 * DAY)))
            } else if r < l {
                (None, Some(self.rng.random_range(30 * DAY..89 * DAY)))
            } else if r < s {
                (None, Some(self.rng.random_range(91 * DAY..400 * DAY)))
            } else {
                (None, None)
            };
            let mut last = if fresh {
                None
            } else {
                ago.map(|a| now - 1 - a)
            };
            if let Some(t) = last
                && t < floor
            {
                // Younger than the drawn age: used some time since creation.
                last = (floor < now - 1).then(|| self.rng.random_range(floor..now - 1));
            }
            let mut actions = vec![None; SERVICES[svc].tracked.len()];
            if let Some(t) = last {
                for (j, slot) in actions.iter_mut().enumerate() {
                    if pref & (1 << j) != 0 && self.rng.random_bool(0.6) {
                        let back = self.rng.random_range(0..60 * DAY);
                        *slot = Some((t - back).max(floor).min(t));
                    }
                }
                let j = pref.trailing_zeros() as usize;
                if let Some(slot) = actions.get_mut(j) {
                    *slot = Some(t);
                }
            }
            role.usage.push(Usage {
                svc,
                active,
                last,
                actions,
                pref,
            });
        }
    }

    /// Advance to day `day` (≥ 1): a day of service usage, then churn,
    /// recreation and tightening, all stamped within the 24 hours before the
    /// day's snapshot.
    pub fn step(&mut self, day: u32) {
        let hi = snapshot_ts(self.start, day);
        let lo = hi - DAY;
        let mut roles = std::mem::take(&mut self.roles);
        for r in &mut roles {
            r.simulate_day(&mut self.rng, lo, hi);
        }
        self.roles = roles;

        let target = f64::from(self.target);
        let n = self.roles.len().max(1) as f64;
        let rate = (target * 0.004).clamp(0.35, 40.0);
        let deletions = self.poisson(rate * n / target);
        for _ in 0..deletions {
            if let Some(i) = self.random_non_core() {
                let role = self.roles.remove(i);
                if let Some(p) = role.own_policy
                    && self.rng.random_bool(0.8)
                {
                    self.policies.remove(&p);
                }
            }
        }
        let creations = self.poisson(rate * target / n);
        for _ in 0..creations {
            let kind = self.draw_kind();
            let created = self.rng.random_range(lo..hi - 600);
            self.add_role(kind, created, hi, true, false);
        }
        // Now and then a role is deleted and recreated under the same name:
        // new RoleId and CreateDate, Access Advisor history gone.
        if self.rng.random_bool((target * 0.001).clamp(0.15, 0.9))
            && let Some(i) = self.random_non_core()
        {
            let created = self.rng.random_range(lo..hi - 600);
            let id = self.new_role_id();
            let mut role = self.roles.remove(i);
            role.id = id;
            role.created = created;
            self.init_usage(&mut role, hi, true);
            self.roles.insert(i, role);
        }
        for i in 0..self.roles.len() {
            if self.rng.random_bool(TIGHTEN_PER_DAY) {
                let t = self.rng.random_range(lo..hi);
                self.tighten_role(i, t);
            }
        }
    }

    /// Scope the role's first dangerous `*` grant to a specific ARN, in its
    /// inline policies or (as a new default version) its own managed policy.
    fn tighten_role(&mut self, i: usize, t: i64) {
        let acct = self.account().id.clone();
        let acct_name = self.account().name.clone();
        let role = &mut self.roles[i];
        let (team, app, region) = (TEAMS[role.team], role.app, role.region);
        let scope = |svc: &str| match svc {
            "iam" => format!("arn:aws:iam::{acct}:role/{team}-*"),
            "sts" => format!("arn:aws:iam::{acct}:role/{team}-{app}-*"),
            "ssm" => format!("arn:aws:ssm:{region}:{acct}:parameter/{team}/{app}/*"),
            "s3" => format!("arn:aws:s3:::{acct_name}-{team}-{app}/*"),
            "dynamodb" => format!("arn:aws:dynamodb:{region}:{acct}:table/{team}-{app}"),
            other => format!("arn:aws:{other}:{region}:{acct}:*"),
        };
        let mut changed = false;
        'inline: for (_, doc) in &mut role.inline {
            for st in &mut doc.statement {
                if is_tightenable(st) {
                    tighten(st, &scope);
                    changed = true;
                    break 'inline;
                }
            }
        }
        if !changed
            && let Some(pname) = &role.own_policy
            && let Some(policy) = self.policies.get_mut(pname)
        {
            let mut doc = policy.default_doc().clone();
            if let Some(st) = doc.statement.iter_mut().find(|s| is_tightenable(s)) {
                tighten(st, &scope);
                let number = policy.versions[policy.versions.len() - 1].number + 1;
                policy.versions.push(PolicyVersion {
                    number,
                    doc,
                    created: t,
                });
                if policy.versions.len() > 5 {
                    policy.versions.remove(0);
                }
                policy.updated = t;
                changed = true;
            }
        }
        if changed {
            let g = role_grants(self.catalog, &self.policies, &self.roles[i]);
            self.roles[i].grants = g;
        }
    }

    fn random_non_core(&mut self) -> Option<usize> {
        let candidates = self.roles.iter().filter(|r| !r.core).count();
        if candidates == 0 {
            return None;
        }
        let k = self.rng.random_range(0..candidates);
        self.roles
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.core)
            .nth(k)
            .map(|(i, _)| i)
    }

    /// Knuth's Poisson sampler; fine for the small means used here.
    fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean.min(60.0)).exp();
        let mut k = 0u32;
        let mut p: f64 = self.rng.random();
        while p > limit {
            k += 1;
            p *= self.rng.random::<f64>();
        }
        k
    }
}

/// What the role's inline and attached policies grant, per catalog service.
fn role_grants(
    catalog: &Catalog,
    policies: &BTreeMap<String, CustomerPolicy>,
    role: &Role,
) -> Vec<Option<u16>> {
    let mut docs: Vec<&PolicyDocument> = role.inline.iter().map(|(_, d)| d).collect();
    for m in &role.managed {
        match m {
            ManagedRef::Aws(i) => docs.push(&catalog.aws_docs[*i]),
            ManagedRef::Customer(n) => {
                if let Some(p) = policies.get(n) {
                    docs.push(p.default_doc());
                }
            }
        }
    }
    grants(docs)
}
