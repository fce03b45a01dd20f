//! The synthetic AWS Organization: accounts, OUs and SCPs, and writing them as `list-accounts`, a tree file and `describe-policy` + `list-targets-for-policy` files.

use std::path::Path;

use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::generate::GenerateError;
use crate::generate::catalog::{REGIONS, TEAMS};
use crate::generate::output::{DAY, LOWER_ALNUM, Output, Ts, random_string, snapshot_ts};
use crate::generate::policy::{Effect, PolicyDocument, Statement};

/// Stream id mixed into the seed for the organization's random choices, so
/// they never collide with an account's stream.
const ORG_STREAM: u64 = 0x6f72_6761_6e69_7a65;

pub(crate) struct Account {
    pub id: String,
    pub name: String,
    /// Index into [`TEAMS`] of the team owning most of the account's roles.
    pub team: usize,
    pub region: &'static str,
    parent: Parent,
    joined: i64,
}

#[derive(Clone, Copy)]
enum Parent {
    Root,
    Ou(usize),
}

struct Ou {
    id: String,
    name: &'static str,
    parent: Parent,
}

#[derive(Clone, Copy)]
enum Target {
    Root,
    Ou(usize),
    Account(usize),
}

struct Scp {
    id: String,
    name: &'static str,
    description: &'static str,
    aws_managed: bool,
    doc: PolicyDocument,
    targets: Vec<Target>,
}

pub(crate) struct Org {
    id: String,
    root_id: String,
    pub accounts: Vec<Account>,
    ous: Vec<Ou>,
    scps: Vec<Scp>,
    /// Index of the security account (trusted by break-glass and audit roles).
    pub security: usize,
    /// Index of the management account (trusted by OrganizationAccountAccessRole).
    pub management: usize,
}

const OU_SECURITY: usize = 0;
const OU_INFRA: usize = 1;
const OU_WORKLOADS: usize = 2;
const OU_PROD: usize = 3;
const OU_STAGING: usize = 4;
const OU_DEV: usize = 5;

/// Account names in order; the first six are the usual landing-zone accounts
/// interleaved with workloads so small orgs still get a workload account.
fn account_names(n: usize) -> Vec<String> {
    let mut names: Vec<String> = [
        "management",
        "security",
        "prod-payments",
        "staging-web",
        "log-archive",
        "shared-services",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let envs = ["prod", "staging", "dev"];
    let mut i = 0usize;
    while names.len() < n {
        let team = TEAMS[i % TEAMS.len()];
        let env = envs[(i / TEAMS.len()) % envs.len()];
        let cycle = i / (TEAMS.len() * envs.len());
        let name = if cycle == 0 {
            format!("{env}-{team}")
        } else {
            format!("{env}-{team}-{}", cycle + 1)
        };
        if !names.contains(&name) {
            names.push(name);
        }
        i += 1;
    }
    names.truncate(n);
    names
}

fn team_index(name: &str) -> usize {
    match name {
        "management" | "shared-services" => 6,
        "security" | "log-archive" => 7,
        _ => TEAMS.iter().position(|t| name.contains(t)).unwrap_or(6),
    }
}

fn parent_of(name: &str) -> Parent {
    match name {
        "management" => Parent::Root,
        "security" | "log-archive" => Parent::Ou(OU_SECURITY),
        "shared-services" => Parent::Ou(OU_INFRA),
        n if n.starts_with("prod-") => Parent::Ou(OU_PROD),
        n if n.starts_with("staging-") => Parent::Ou(OU_STAGING),
        _ => Parent::Ou(OU_DEV),
    }
}

impl Org {
    pub fn build(seed: u64, n_accounts: u32, start: NaiveDate) -> Org {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ORG_STREAM);
        let id = format!("o-{}", random_string(&mut rng, LOWER_ALNUM, 10));
        let root4 = random_string(&mut rng, LOWER_ALNUM, 4);
        let root_id = format!("r-{root4}");
        let ou_names: [(&str, Parent); 6] = [
            ("Security", Parent::Root),
            ("Infrastructure", Parent::Root),
            ("Workloads", Parent::Root),
            ("Production", Parent::Ou(OU_WORKLOADS)),
            ("Staging", Parent::Ou(OU_WORKLOADS)),
            ("Development", Parent::Ou(OU_WORKLOADS)),
        ];
        let ous = ou_names
            .iter()
            .map(|(name, parent)| Ou {
                id: format!("ou-{root4}-{}", random_string(&mut rng, LOWER_ALNUM, 8)),
                name,
                parent: *parent,
            })
            .collect();

        let s0 = snapshot_ts(start, 0);
        let mgmt_joined = s0 - rng.random_range(4 * 365..6 * 365) * DAY - rng.random_range(0..DAY);
        let mut ids: Vec<u64> = Vec::new();
        let accounts = account_names(n_accounts as usize)
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                // Real account ids are 12 random digits; redraw on the rare clash.
                let mut n = rng.random_range(100_000_000_000u64..1_000_000_000_000);
                while ids.contains(&n) {
                    n = rng.random_range(100_000_000_000u64..1_000_000_000_000);
                }
                ids.push(n);
                let joined = if i == 0 {
                    mgmt_joined
                } else {
                    rng.random_range(mgmt_joined + DAY..s0 - 30 * DAY)
                };
                Account {
                    id: n.to_string(),
                    team: team_index(&name),
                    region: REGIONS[rng.random_range(0..REGIONS.len())],
                    parent: parent_of(&name),
                    name,
                    joined,
                }
            })
            .collect::<Vec<_>>();

        let n = accounts.len();
        let security = if n > 1 { 1 } else { 0 };
        let scp_target_account = n.min(3) - 1;
        let mut scp_id = || format!("p-{}", random_string(&mut rng, LOWER_ALNUM, 8));

        let mut full_targets = vec![Target::Root];
        full_targets.extend((0..6).map(Target::Ou));
        full_targets.extend((0..n).map(Target::Account));
        let scps = vec![
            // Attached everywhere, as AWS does by default: SCPs need an Allow
            // at every level between the root and the account.
            Scp {
                id: "p-FullAWSAccess".to_string(),
                name: "FullAWSAccess",
                description: "Allows access to every operation",
                aws_managed: true,
                doc: PolicyDocument::new(vec![Statement::allow(&["*"], &["*"])]),
                targets: full_targets,
            },
            Scp {
                id: scp_id(),
                name: "DenyLeaveOrgAndUnusedRegions",
                description: "Workloads may not leave the organization or use unapproved regions",
                aws_managed: false,
                doc: PolicyDocument::new(vec![
                    Statement::deny(&["organizations:LeaveOrganization"], &["*"])
                        .sid("DenyLeaveOrganization"),
                    Statement::not_action(
                        Effect::Deny,
                        &[
                            "iam:*",
                            "organizations:*",
                            "route53:*",
                            "cloudfront:*",
                            "sts:*",
                            "support:*",
                            "budgets:*",
                        ],
                    )
                    .sid("DenyUnapprovedRegions")
                    .cond(
                        "StringEquals",
                        "aws:RequestedRegion",
                        &["ap-east-1", "me-south-1"],
                    ),
                ]),
                targets: vec![Target::Ou(OU_WORKLOADS)],
            },
            Scp {
                id: scp_id(),
                name: "DenyCreateRoleExceptBreakGlass",
                description: "Only the break-glass role may create IAM roles",
                aws_managed: false,
                doc: PolicyDocument::new(vec![
                    Statement::deny(&["iam:CreateRole"], &["*"])
                        .sid("DenyCreateRole")
                        .cond(
                            "ArnNotLike",
                            "aws:PrincipalArn",
                            &[&format!(
                                "arn:aws:iam::{}:role/BreakGlassAdmin",
                                accounts[scp_target_account].id
                            )],
                        ),
                ]),
                targets: vec![Target::Account(scp_target_account)],
            },
        ];

        Org {
            id,
            root_id,
            accounts,
            ous,
            scps,
            security,
            management: 0,
        }
    }

    fn mgmt_id(&self) -> &str {
        &self.accounts[self.management].id
    }

    fn account_arn(&self, i: usize) -> String {
        format!(
            "arn:aws:organizations::{}:account/{}/{}",
            self.mgmt_id(),
            self.id,
            self.accounts[i].id
        )
    }

    fn root_arn(&self) -> String {
        format!(
            "arn:aws:organizations::{}:root/{}/{}",
            self.mgmt_id(),
            self.id,
            self.root_id
        )
    }

    fn ou_arn(&self, i: usize) -> String {
        format!(
            "arn:aws:organizations::{}:ou/{}/{}",
            self.mgmt_id(),
            self.id,
            self.ous[i].id
        )
    }

    fn parent_id(&self, p: Parent) -> &str {
        match p {
            Parent::Root => &self.root_id,
            Parent::Ou(i) => &self.ous[i].id,
        }
    }

    /// Write `accounts.json`, `tree.json` and `scps/<id>.json` into `dir`.
    pub fn write(&self, out: &mut Output, dir: &Path) -> Result<(), GenerateError> {
        let scp_dir = dir.join("scps");
        out.create_dir(&scp_dir)?;

        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct ListAccounts {
            accounts: Vec<AccountOut>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct AccountOut {
            id: String,
            arn: String,
            email: String,
            name: String,
            status: &'static str,
            joined_method: &'static str,
            joined_timestamp: Ts,
        }
        let list = ListAccounts {
            accounts: self
                .accounts
                .iter()
                .enumerate()
                .map(|(i, a)| AccountOut {
                    id: a.id.clone(),
                    arn: self.account_arn(i),
                    email: format!("aws+{}@acme-corp.example", a.name),
                    name: a.name.clone(),
                    status: "ACTIVE",
                    joined_method: "CREATED",
                    joined_timestamp: Ts(a.joined),
                })
                .collect(),
        };
        out.write_json(&dir.join("accounts.json"), &list, true)?;

        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Tree {
            roots: Vec<RootOut>,
            organizational_units: Vec<OuOut>,
            accounts: Vec<TreeAccount>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct RootOut {
            id: String,
            arn: String,
            name: &'static str,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct OuOut {
            id: String,
            arn: String,
            name: &'static str,
            parent_id: String,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct TreeAccount {
            id: String,
            parent_id: String,
        }
        let tree = Tree {
            roots: vec![RootOut {
                id: self.root_id.clone(),
                arn: self.root_arn(),
                name: "Root",
            }],
            organizational_units: self
                .ous
                .iter()
                .enumerate()
                .map(|(i, ou)| OuOut {
                    id: ou.id.clone(),
                    arn: self.ou_arn(i),
                    name: ou.name,
                    parent_id: self.parent_id(ou.parent).to_string(),
                })
                .collect(),
            accounts: self
                .accounts
                .iter()
                .map(|a| TreeAccount {
                    id: a.id.clone(),
                    parent_id: self.parent_id(a.parent).to_string(),
                })
                .collect(),
        };
        out.write_json(&dir.join("tree.json"), &tree, true)?;

        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct ScpFile {
            policy: PolicyOut,
            targets: Vec<TargetOut>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct PolicyOut {
            policy_summary: Summary,
            content: String,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Summary {
            id: String,
            arn: String,
            name: &'static str,
            description: &'static str,
            #[serde(rename = "Type")]
            kind: &'static str,
            aws_managed: bool,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct TargetOut {
            target_id: String,
            arn: String,
            name: String,
            #[serde(rename = "Type")]
            kind: &'static str,
        }
        for scp in &self.scps {
            let arn = if scp.aws_managed {
                format!(
                    "arn:aws:organizations::aws:policy/service_control_policy/{}",
                    scp.id
                )
            } else {
                format!(
                    "arn:aws:organizations::{}:policy/{}/service_control_policy/{}",
                    self.mgmt_id(),
                    self.id,
                    scp.id
                )
            };
            // SCP content is the text the author saved; pretty JSON is typical.
            let content = serde_json::to_string_pretty(&scp.doc).map_err(|source| {
                GenerateError::Serialize {
                    path: scp_dir.join(format!("{}.json", scp.id)),
                    source,
                }
            })?;
            let targets = scp
                .targets
                .iter()
                .map(|t| match *t {
                    Target::Root => TargetOut {
                        target_id: self.root_id.clone(),
                        arn: self.root_arn(),
                        name: "Root".to_string(),
                        kind: "ROOT",
                    },
                    Target::Ou(i) => TargetOut {
                        target_id: self.ous[i].id.clone(),
                        arn: self.ou_arn(i),
                        name: self.ous[i].name.to_string(),
                        kind: "ORGANIZATIONAL_UNIT",
                    },
                    Target::Account(i) => TargetOut {
                        target_id: self.accounts[i].id.clone(),
                        arn: self.account_arn(i),
                        name: self.accounts[i].name.clone(),
                        kind: "ACCOUNT",
                    },
                })
                .collect();
            let file = ScpFile {
                policy: PolicyOut {
                    policy_summary: Summary {
                        id: scp.id.clone(),
                        arn,
                        name: scp.name,
                        description: scp.description,
                        kind: "SERVICE_CONTROL_POLICY",
                        aws_managed: scp.aws_managed,
                    },
                    content,
                },
                targets,
            };
            out.write_json(&scp_dir.join(format!("{}.json", scp.id)), &file, true)?;
        }
        Ok(())
    }
}
