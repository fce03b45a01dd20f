//! The organization: its accounts (ListAccounts) and the SCPs over each
//! account (ListParents up to the root, ListPoliciesForTarget on every node,
//! DescribePolicy), with the caller's own identity. Lookups are cached and
//! single-flight across accounts: an OU's SCPs are read once per run.

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

/// One SCP attached to a node on an account's path.
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

type Cached<T> = Arc<OnceCell<Result<T, String>>>;
/// SCPs attached to a node: (policy id, name).
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
    /// The management account's id (DescribeOrganization), asked once.
    management: Cached<String>,
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
            out.organization
                .and_then(|o| o.master_account_id)
                .ok_or_else(|| OrgError {
                    message: "organizations:DescribeOrganization: no MasterAccountId".into(),
                    denied: false,
                })
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
        match self.try_scp_layers(account_id).await {
            Ok(levels) => ScpLayers {
                levels,
                warning: None,
            },
            Err(e) => ScpLayers {
                levels: Vec::new(),
                warning: Some(if e.denied {
                    format!(
                        "account {account_id}: SCPs not collected (access denied): {}; the snapshot has no SCP layer for this account",
                        e.message
                    )
                } else {
                    format!(
                        "account {account_id}: SCPs not collected: {}; the snapshot has no SCP layer for this account",
                        e.message
                    )
                }),
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

    async fn try_scp_layers(&self, account_id: &str) -> Result<Vec<Vec<LiveScp>>, OrgError> {
        let path = self.path_from_root(account_id).await?;
        let mut levels = Vec::new();
        for node in &path {
            let mut level = Vec::new();
            for (id, name) in self.attached(node).await? {
                level.push(LiveScp {
                    document: self.document(&id).await?,
                    id,
                    name,
                    target_id: node.clone(),
                });
            }
            // A node without SCPs is skipped (as the fixtures reader does):
            // AWS requires one on every node, so none means a partial view.
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
        let r = cell
            .get_or_init(|| async {
                fetch.await.map_err(|e| {
                    if e.denied {
                        format!("denied:{}", e.message)
                    } else {
                        e.message
                    }
                })
            })
            .await;
        r.clone().map_err(|m| match m.strip_prefix("denied:") {
            Some(m) => OrgError {
                message: m.to_string(),
                denied: true,
            },
            None => OrgError {
                message: m,
                denied: false,
            },
        })
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

    /// The SCPs attached to a node: (id, name).
    async fn attached(&self, target: &str) -> Result<Attached, OrgError> {
        let fetch = async {
            let mut pages = Pages::new(self.max_pages);
            let mut out = Vec::new();
            let op = format!("organizations:ListPoliciesForTarget {target}");
            while let Some(token) = pages.next_request() {
                let _permit = self.gate.acquire().await.ok();
                let page = self
                    .client
                    .list_policies_for_target()
                    .target_id(target)
                    .filter(PolicyType::ServiceControlPolicy)
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
        Self::cached(cell(&self.attached, target), fetch).await
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
