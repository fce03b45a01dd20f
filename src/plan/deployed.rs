//! What is already deployed, from a lake snapshot: one account's roles with
//! their inline, managed and boundary policies, its customer managed
//! policies, and the SCPs and RCPs over it. `check-plan --lake` applies a plan's
//! changes on top of this, so a finding says what the change adds over what
//! a role could already do.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::{col, lit};
use serde_json::Value;

use crate::lake::layout::ManifestKind;
use crate::lake::manifest::Manifest;
use crate::lake::{Lake, LakeError, read};
use crate::plan::error::PlanError;
use crate::plan::terraform::Plan;

/// A role as the snapshot recorded it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeployedRole {
    pub arn: String,
    /// Inline policies: (name, document).
    pub inline: Vec<(String, Value)>,
    /// Attached managed policies (customer and AWS): (ARN, document).
    pub managed: Vec<(String, Value)>,
    /// The permissions boundary: (ARN, document).
    pub boundary: Option<(String, Value)>,
}

/// One account's deployed IAM state on a snapshot date.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployed {
    /// The lake, as given (`DIR` or `s3://…`).
    pub lake: String,
    pub snapshot_date: NaiveDate,
    pub account_id: String,
    /// Roles by name.
    pub roles: BTreeMap<String, DeployedRole>,
    /// Managed policy documents attached to any role of the account, by ARN.
    pub policies: BTreeMap<String, Value>,
    /// SCP levels over the account, root first: (policy id, document). `None` when the
    /// snapshot predates the `scps` table, so the guardrails are not known.
    pub scp_levels: Option<Vec<Vec<(String, Value)>>>,
    /// RCP levels over the account's resources, likewise (`rcps` table, schema version 5).
    pub rcp_levels: Option<Vec<Vec<(String, Value)>>>,
    /// The organization's id, the principals' `aws:PrincipalOrgID`, when the snapshot knew it.
    pub org_id: Option<String>,
}

/// The levels of `account` in `table` (`scps` or `rcps`, policies of `kind`), root first:
/// (policy id, document).
fn read_levels(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    kind: &str,
    account: &str,
) -> Result<Vec<Vec<(String, Value)>>, PlanError> {
    let mut levels: BTreeMap<i32, Vec<(String, Value)>> = BTreeMap::new();
    for (level, id, text) in read::org_policies(lake, manifest, table, account)? {
        let doc: Value = serde_json::from_str(&text).map_err(|e| LakeError::Read {
            lake: lake.label(),
            date: manifest.snapshot_date,
            table: table.into(),
            message: format!("{kind} {id}: document is not JSON: {e}"),
        })?;
        levels.entry(level).or_default().push((id, doc));
    }
    Ok(levels.into_values().collect())
}

/// The latest complete snapshot date of `lake`, on or before `date` when given.
pub fn latest_snapshot(
    lake: &Lake,
    date: Option<NaiveDate>,
) -> Result<(NaiveDate, Manifest), PlanError> {
    let chosen = lake
        .complete_dates(ManifestKind::Snapshot)?
        .into_iter()
        .filter(|d| date.is_none_or(|want| *d <= want))
        .max()
        .ok_or_else(|| PlanError::NoSnapshot {
            lake: lake.label().display().to_string(),
            reason: match date {
                Some(d) => format!("no complete snapshot on or before {d}"),
                None => "no complete snapshot (is it a lake? `iamlake snapshot` writes one)".into(),
            },
        })?;
    let manifest = lake
        .read_manifest(ManifestKind::Snapshot, chosen)?
        .ok_or_else(|| PlanError::NoSnapshot {
            lake: lake.label().display().to_string(),
            reason: format!("the manifest of {chosen} disappeared while reading"),
        })?;
    Ok((chosen, manifest))
}

/// The 12-digit account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`), when it has one
/// (AWS managed policies have `aws` there).
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The accounts a plan's IAM resources live in, from the ARNs they carry: existing resources'
/// `arn`, and the customer policies they attach or use as boundaries. Documents are not read:
/// a trust policy naming another account says nothing about where the plan applies.
pub fn plan_accounts(
    plan_json: &Value,
    plan_path: &std::path::Path,
) -> Result<BTreeSet<String>, PlanError> {
    let plan = Plan::read(plan_json, plan_path)?;
    let mut out = BTreeSet::new();
    for inst in plan
        .instances
        .iter()
        .filter(|i| i.rtype.starts_with("aws_iam_"))
    {
        for side in [&inst.before, &inst.after] {
            for key in [
                "arn",
                "policy_arn",
                "permissions_boundary",
                "managed_policy_arns",
            ] {
                let values: Vec<&str> = match side.get(key) {
                    Some(Value::String(s)) => vec![s.as_str()],
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                out.extend(
                    values
                        .into_iter()
                        .filter_map(arn_account)
                        .map(str::to_string),
                );
            }
        }
    }
    Ok(out)
}

impl Deployed {
    /// Reads `account`'s roles, policies and SCPs from the latest complete snapshot of `lake`
    /// (on or before `date`). The account must be in that snapshot and collected there.
    pub fn load(
        lake: &Lake,
        date: Option<NaiveDate>,
        account: &str,
    ) -> Result<Deployed, PlanError> {
        let (chosen, manifest) = latest_snapshot(lake, date)?;
        let label = lake.label().display().to_string();
        match manifest.accounts.iter().find(|a| a.account_id == account) {
            Some(a) if a.status == "ok" => {}
            Some(a) => {
                return Err(PlanError::DeployedAccount {
                    lake: label,
                    date: chosen,
                    account: account.to_string(),
                    reason: format!(
                        "was not collected in that snapshot ({}{})",
                        a.status,
                        a.reason
                            .as_deref()
                            .map_or_else(String::new, |r| format!(": {r}"))
                    ),
                });
            }
            None => {
                let known: Vec<&str> = manifest
                    .accounts
                    .iter()
                    .map(|a| a.account_id.as_str())
                    .collect();
                return Err(PlanError::DeployedAccount {
                    lake: label,
                    date: chosen,
                    account: account.to_string(),
                    reason: format!("is not in that snapshot (accounts: {})", known.join(", ")),
                });
            }
        }
        let of_account = || Some(col("account_id").eq(lit(account)));
        let table = crate::model::roles::TABLE.name;
        // Schema version 3 records why SCPs do not apply (`roles.scp_exempt`): in the
        // management account they never do.
        let mut cols = vec!["role_name", "arn"];
        if manifest.schema_version >= 3 {
            cols.push("scp_exempt");
        }
        let df = read::scan(lake, &manifest, table, of_account(), &cols)?;
        let err = read::frame_err(lake, chosen, table);
        let management = manifest.schema_version >= 3
            && read::strs(&df, "scp_exempt")
                .map_err(&err)?
                .iter()
                .any(|e| e.as_deref() == Some("management_account"));
        let mut roles: BTreeMap<String, DeployedRole> = BTreeMap::new();
        for (name, arn) in read::strs(&df, "role_name")
            .map_err(&err)?
            .into_iter()
            .zip(read::strs(&df, "arn").map_err(&err)?)
        {
            if let (Some(name), Some(arn)) = (name, arn) {
                roles.insert(
                    name,
                    DeployedRole {
                        arn,
                        ..DeployedRole::default()
                    },
                );
            }
        }

        let table = crate::model::role_policies::TABLE.name;
        let cols = ["role_name", "kind", "policy_name", "policy_arn", "document"];
        let df = read::scan_roles(lake, &manifest, table, of_account(), &cols)?;
        let err = read::frame_err(lake, chosen, table);
        let [names, kinds, pnames, arns, docs] = cols.map(|c| read::strs(&df, c));
        let (names, kinds, pnames, arns, docs) = (
            names.map_err(&err)?,
            kinds.map_err(&err)?,
            pnames.map_err(&err)?,
            arns.map_err(&err)?,
            docs.map_err(&err)?,
        );
        let mut policies = BTreeMap::new();
        for i in 0..df.height() {
            let (Some(name), Some(kind), Some(text)) = (&names[i], &kinds[i], &docs[i]) else {
                continue;
            };
            let doc: Value = serde_json::from_str(text).map_err(|e| LakeError::Read {
                lake: lake.label(),
                date: chosen,
                table: table.into(),
                message: format!("role {name}: policy document is not JSON: {e}"),
            })?;
            let Some(role) = roles.get_mut(name) else {
                continue;
            };
            match (kind.as_str(), &arns[i]) {
                ("inline", _) => role
                    .inline
                    .push((pnames[i].clone().unwrap_or_default(), doc)),
                ("boundary", Some(arn)) => role.boundary = Some((arn.clone(), doc)),
                (_, Some(arn)) => {
                    policies.insert(arn.clone(), doc.clone());
                    role.managed.push((arn.clone(), doc));
                }
                _ => {}
            }
        }

        // Snapshots written before the `scps` table (schema version 3) have no SCPs to apply,
        // before the `rcps` table (5) no RCPs; the management account has neither (AWS exempts
        // its principals from SCPs and its resources from RCPs).
        let levels_of = |table: crate::model::TableDef, kind: &str| {
            if management {
                Ok(Some(Vec::new()))
            } else if manifest.tables.contains_key(table.name) {
                read_levels(lake, &manifest, table.name, kind, account).map(Some)
            } else {
                Ok(None)
            }
        };
        let scp_levels = levels_of(crate::model::scps::TABLE, "SCP")?;
        let rcp_levels = levels_of(crate::model::scps::RCP_TABLE, "RCP")?;
        let org_id = manifest
            .accounts
            .iter()
            .find(|a| a.account_id == account)
            .and_then(|a| a.org_id.clone());
        Ok(Deployed {
            lake: label,
            snapshot_date: chosen,
            account_id: account.to_string(),
            roles,
            policies,
            scp_levels,
            rcp_levels,
            org_id,
        })
    }

    /// The account a plan applies to: `--account` when given, else the only account its ARNs
    /// name, else the lake snapshot's only account; `None` when nothing tells (no account ARN
    /// in the plan and several accounts in the lake).
    pub fn choose_account(
        given: Option<&str>,
        in_plan: &BTreeSet<String>,
        lake: &Lake,
        date: Option<NaiveDate>,
    ) -> Result<Option<String>, PlanError> {
        if let Some(a) = given {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PlanError::AccountNotKnown {
                    reason: format!("--account {a:?} is not an AWS account id (12 digits)"),
                });
            }
            return Ok(Some(a.to_string()));
        }
        match in_plan.len() {
            1 => return Ok(in_plan.iter().next().cloned()),
            0 => {}
            _ => {
                return Err(PlanError::AccountNotKnown {
                    reason: format!(
                        "the plan's ARNs name several accounts ({}): pass --account",
                        in_plan.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let (_, manifest) = latest_snapshot(lake, date)?;
        Ok(match manifest.accounts.as_slice() {
            [one] => Some(one.account_id.clone()),
            _ => None,
        })
    }
}
