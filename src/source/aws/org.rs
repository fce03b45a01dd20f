//! The organization: its accounts (ListAccounts) and the SCPs and RCPs over
//! each account (ListParents up to the root, ListPoliciesForTarget on every
//! node, DescribePolicy), with the caller's own identity. Lookups are cached
//! and single-flight across accounts: an OU's policies are read once per run.

use super::config::{AwsConfig, is_account_id};
use super::convert;
use super::errors::{describe, is_access_denied};
use super::pages::Pages;
use crate::source::policy_doc;
use aws_sdk_organizations::types::{ParentType, PolicyType};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// Organizations calls in flight at once: its API allows few requests per
/// second per organization.
pub const ORGANIZATIONS_CONCURRENCY: usize = 4;

/// An account to collect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAccount {
    pub id: String,
    /// From ListAccounts; `None` for an explicit `--accounts` list.
    pub name: Option<String>,
    pub email: Option<String>,
}

/// One SCP (or RCP) attached to a node on an account's path.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveScp {
    /// Policy id (p-…).
    pub id: String,
    pub name: Option<String>,
    /// The decoded policy document.
    pub document: Value,
    /// The root, OU or account id it is attached to.
    pub target_id: String,
}

/// The SCP layers over one account, root first, account last; each level is
/// what is attached to that node. Empty with a warning when they could not
/// be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScpLayers {
    pub levels: Vec<Vec<LiveScp>>,
    pub warning: Option<String>,
}

type Cached<T> = Arc<OnceCell<Result<T, OrgError>>>;
/// Policies of one type attached to a node: (policy id, name).
type Attached = Vec<(String, Option<String>)>;

/// Cached, single-flight Organizations lookups.
#[derive(Debug)]
pub struct OrgReader {
    client: aws_sdk_organizations::Client,
    gate: Semaphore,
    max_pages: u32,
    parents: Mutex<HashMap<String, Cached<(String, bool)>>>,
    attached: Mutex<HashMap<String, Cached<Attached>>>,
    documents: Mutex<HashMap<String, Cached<Value>>>,
    /// The management account's id and the organization's id
    /// (DescribeOrganization), asked once.
    management: Cached<(String, Option<String>)>,
}

fn cell<T>(map: &Mutex<HashMap<String, Cached<T>>>, key: &str) -> Cached<T> {
    let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(m.entry(key.to_string()).or_default())
}

/// A failed Organizations read: the message, and whether it was a refusal.
#[derive(Debug, Clone)]
struct OrgError {
    message: String,
    denied: bool,
}

impl OrgReader {
    /// A reader using `client` (the caller's identity).
    pub fn new(client: aws_sdk_organizations::Client, cfg: &AwsConfig) -> OrgReader {
        OrgReader {
            client,
            gate: Semaphore::new(ORGANIZATIONS_CONCURRENCY),
            max_pages: cfg.max_pages,
            parents: Mutex::default(),
            attached: Mutex::default(),
            documents: Mutex::default(),
            management: Cached::default(),
        }
    }

    /// The organization's management account id (DescribeOrganization, one
    /// call per run). SCPs do not apply to it (AWS: "SCPs don't affect users
    /// or roles in the management account"), so the evaluator skips them
    /// there. `None` with the reason when Organizations cannot tell.
    pub async fn management_account_id(&self) -> Result<String, String> {
        self.describe_organization()
            .await
            .map(|(management, _)| management)
    }

    /// The organization's id (`o-…`), the value of `aws:PrincipalOrgID` for
    /// its principals; `None` when Organizations cannot tell. Shares
    /// [`Self::management_account_id`]'s one call.
    pub async fn organization_id(&self) -> Option<String> {
        self.describe_organization().await.ok()?.1
    }

    /// DescribeOrganization's management account and organization ids.
    async fn describe_organization(&self) -> Result<(String, Option<String>), String> {
        let fetch = async {
            let _permit = self.gate.acquire().await.map_err(|e| OrgError {
                message: e.to_string(),
                denied: false,
            })?;
            let out = self
                .client
                .describe_organization()
                .send()
                .await
                .map_err(|e| OrgError {
                    denied: is_access_denied(&e),
                    message: format!("organizations:DescribeOrganization: {}", describe(&e)),
                })?;
            let org = out.organization.ok_or_else(|| OrgError {
                message: "organizations:DescribeOrganization: no Organization".into(),
                denied: false,
            })?;
            let management = org.master_account_id.ok_or_else(|| OrgError {
                message: "organizations:DescribeOrganization: no MasterAccountId".into(),
                denied: false,
            })?;
            Ok((management, org.id))
        };
        Self::cached(Arc::clone(&self.management), fetch)
            .await
            .map_err(|e| e.message)
    }

    /// Every ACTIVE account of the organization, sorted by id.
    pub async fn list_accounts(&self) -> Result<Vec<LiveAccount>, String> {
        let mut pages = Pages::new(self.max_pages);
        let mut out = Vec::new();
        while let Some(token) = pages.next_request() {
            let _permit = self.gate.acquire().await.map_err(|e| e.to_string())?;
            let page = self
                .client
                .list_accounts()
                .set_next_token(token.map(str::to_string))
                .send()
                .await
                .map_err(|e| format!("organizations:ListAccounts: {}", describe(&e)))?;
            for a in page.accounts.unwrap_or_default() {
                if let Some(a) = convert::org_account(a).filter(|a| a.is_active()) {
                    out.push(LiveAccount {
                        id: a.id,
                        name: a.name,
                        email: a.email,
                    });
                }
            }
            pages
                .advance(page.next_token.is_some(), page.next_token)
                .map_err(|e| format!("organizations:ListAccounts: {e}"))?;
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// The SCP layers over `account_id`. Never fails: a refusal or error
    /// gives no layers and a warning.
    pub async fn scp_layers(&self, account_id: &str) -> ScpLayers {
        self.layers(account_id, PolicyType::ServiceControlPolicy, "SCP")
            .await
    }

    /// The RCP layers over `account_id`'s resources, root first. Never fails:
    /// an organization that has not enabled RCPs lists none on any node (no
    /// layer, no warning); a refusal or another error gives no layers and a
    /// warning.
    pub async fn rcp_layers(&self, account_id: &str) -> ScpLayers {
        self.layers(account_id, PolicyType::ResourceControlPolicy, "RCP")
            .await
    }

    /// The layers of policies of `kind` (`what`: `SCP`, `RCP`) over
    /// `account_id`, or none and a warning naming the account.
    async fn layers(&self, account_id: &str, kind: PolicyType, what: &str) -> ScpLayers {
        match self.try_layers(account_id, kind).await {
            Ok(levels) => ScpLayers {
                levels,
                warning: None,
            },
            Err(e) => ScpLayers {
                levels: Vec::new(),
                warning: Some(format!(
                    "account {account_id}: {what}s not collected{}: {}; the snapshot has no {what} layer for this account",
                    if e.denied { " (access denied)" } else { "" },
                    e.message
                )),
            },
        }
    }

    /// The account's place in the organization: the root and OU ids above
    /// it, root first, joined by `/` (`r-ab12/ou-ab12-11111111`), the
    /// account itself excluded. `None` when Organizations cannot tell (a
    /// refusal or error). Shares the cache of [`Self::scp_layers`], so
    /// after it this costs no call.
    pub async fn ou_path(&self, account_id: &str) -> Option<String> {
        let path = self.path_from_root(account_id).await.ok()?;
        Some(path[..path.len() - 1].join("/"))
    }

    /// The nodes from the root down to the account, both included.
    async fn path_from_root(&self, account_id: &str) -> Result<Vec<String>, OrgError> {
        // Walk up to the root (AWS nests OUs 5 deep at most).
        let mut path = vec![account_id.to_string()];
        let mut node = account_id.to_string();
        loop {
            let (parent, is_root) = self.parent(&node).await?;
            if path.contains(&parent) || path.len() > 16 {
                return Err(OrgError {
                    message: format!("ListParents loops at {parent}"),
                    denied: false,
                });
            }
            path.push(parent.clone());
            if is_root {
                break;
            }
            node = parent;
        }
        path.reverse();
        Ok(path)
    }

    /// The levels of policies of `kind` over `account_id`, root first.
    async fn try_layers(
        &self,
        account_id: &str,
        kind: PolicyType,
    ) -> Result<Vec<Vec<LiveScp>>, OrgError> {
        let path = self.path_from_root(account_id).await?;
        let mut levels = Vec::new();
        for node in &path {
            let mut level = Vec::new();
            for (id, name) in self.attached(node, &kind).await? {
                level.push(LiveScp {
                    document: self.document(&id).await?,
                    id,
                    name,
                    target_id: node.clone(),
                });
            }
            // A node without policies is skipped (as the fixtures reader
            // does): AWS attaches one to every node (FullAWSAccess,
            // RCPFullAWSAccess), so none means a partial view.
            if !level.is_empty() {
                levels.push(level);
            }
        }
        Ok(levels)
    }

    async fn cached<T: Clone>(
        cell: Cached<T>,
        fetch: impl Future<Output = Result<T, OrgError>>,
    ) -> Result<T, OrgError> {
        // Refusals are cached like answers: asking again would be refused too.
        cell.get_or_init(|| fetch).await.clone()
    }

    /// The parent of a node and whether it is the root.
    async fn parent(&self, child: &str) -> Result<(String, bool), OrgError> {
        let fetch = async {
            let _permit = self.gate.acquire().await.ok();
            let out = self
                .client
                .list_parents()
                .child_id(child)
                .send()
                .await
                .map_err(|e| OrgError {
                    denied: is_access_denied(&e),
                    message: format!("organizations:ListParents {child}: {}", describe(&e)),
                })?;
            let p = out
                .parents
                .unwrap_or_default()
                .into_iter()
                .next()
                .and_then(|p| Some((p.id?, p.r#type == Some(ParentType::Root))))
                .ok_or_else(|| OrgError {
                    message: format!("organizations:ListParents {child}: no parent"),
                    denied: false,
                })?;
            Ok(p)
        };
        Self::cached(cell(&self.parents, child), fetch).await
    }

    /// The policies of type `kind` attached to a node: (id, name).
    async fn attached(&self, target: &str, kind: &PolicyType) -> Result<Attached, OrgError> {
        let fetch = async {
            let mut pages = Pages::new(self.max_pages);
            let mut out = Vec::new();
            let op = format!(
                "organizations:ListPoliciesForTarget {target} {}",
                kind.as_str()
            );
            while let Some(token) = pages.next_request() {
                let _permit = self.gate.acquire().await.ok();
                let page = self
                    .client
                    .list_policies_for_target()
                    .target_id(target)
                    .filter(kind.clone())
                    .set_next_token(token.map(str::to_string))
                    .send()
                    .await
                    .map_err(|e| OrgError {
                        denied: is_access_denied(&e),
                        message: format!("{op}: {}", describe(&e)),
                    })?;
                out.extend(
                    page.policies
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|p| Some((p.id?, p.name))),
                );
                pages
                    .advance(page.next_token.is_some(), page.next_token)
                    .map_err(|e| OrgError {
                        message: format!("{op}: {e}"),
                        denied: false,
                    })?;
            }
            out.sort();
            Ok(out)
        };
        let key = format!("{}:{target}", kind.as_str());
        Self::cached(cell(&self.attached, &key), fetch).await
    }

    /// An SCP's decoded document.
    async fn document(&self, policy_id: &str) -> Result<Value, OrgError> {
        let fetch = async {
            let op = format!("organizations:DescribePolicy {policy_id}");
            let _permit = self.gate.acquire().await.ok();
            let out = self
                .client
                .describe_policy()
                .policy_id(policy_id)
                .send()
                .await
                .map_err(|e| OrgError {
                    denied: is_access_denied(&e),
                    message: format!("{op}: {}", describe(&e)),
                })?;
            let content = out.policy.and_then(|p| p.content).ok_or_else(|| OrgError {
                message: format!("{op}: no Content"),
                denied: false,
            })?;
            policy_doc::decode(&Value::String(content)).map_err(|m| OrgError {
                message: format!("{op}: {m}"),
                denied: false,
            })
        };
        Self::cached(cell(&self.documents, policy_id), fetch).await
    }
}

/// The accounts of an explicit `--accounts` list (validated, sorted, unique).
pub fn explicit_accounts(ids: &[String]) -> Vec<LiveAccount> {
    let mut ids: Vec<&String> = ids.iter().filter(|i| is_account_id(i)).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| LiveAccount {
            id: id.clone(),
            name: None,
            email: None,
        })
        .collect()
}
