//! Reads an organization from a folder of AWS CLI/API output (docs/FIXTURES.md):
//! the bundled fixtures, `iamlake fixtures generate` output, or a real export.
//!
//! Every error names the file, and the JSON field or role it is about, because
//! the person fixing it has a text editor open on that file.

use super::aws_json::{
    AuthorizationDetails, DescribeOrganization, DetailsWithoutRoles, ListAccounts, ListRoles,
    OrgAccount, OrgTree, ScpFile, ServiceLastAccessedDetails,
};
use super::policy_doc;
use super::role_list::{RoleList, RoleSpan, RolesInFile};
use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// An account's credential report in a fixture folder, as
/// `aws iam get-credential-report --query Content --output text | base64 -d`
/// writes it.
pub const CREDENTIAL_REPORT: &str = "credential_report.csv";

/// What can go wrong reading a fixture folder.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file exists but could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not JSON at all (truncated, not text, …).
    #[error("{}: not valid JSON (line {line}, column {column}): {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file is JSON but not of the expected shape.
    #[error("{}: field {field}: {message}", path.display())]
    Shape {
        path: PathBuf,
        field: String,
        message: String,
    },
    /// A policy document (or other per-role value) is unusable.
    #[error("{}: role {role}: {what}: {message}", path.display())]
    Role {
        path: PathBuf,
        role: String,
        what: String,
        message: String,
    },
    /// A file changed between being indexed and being read again (see
    /// [`super::role_list`]).
    #[error("{}: changed while the snapshot was reading it; run the snapshot again on a file that stays put", path.display())]
    ChangedWhileRead { path: PathBuf },
    /// The folder holds no organization.
    #[error(
        "{}: not a fixtures folder: neither {date}/organization/accounts.json nor organization/accounts.json exists in it",
        dir.display()
    )]
    NotAFixtureDir { dir: PathBuf, date: NaiveDate },
    /// An account listed in accounts.json has no authorization details.
    #[error(
        "account {account_id}: {} is missing; every active account in organization/accounts.json needs one",
        path.display()
    )]
    MissingAuthorizationDetails { account_id: String, path: PathBuf },
    /// The credential report is unusable (names the file and line).
    #[error(transparent)]
    CredentialReport(#[from] super::credential_report::ReportError),
    /// An SCP is attached to something the organization tree does not know.
    #[error("{}: SCP {scp_id} targets {target_type} {target_id}, which is not in {tree}", path.display())]
    UnknownScpTarget {
        path: PathBuf,
        scp_id: String,
        target_type: String,
        target_id: String,
        tree: String,
    },
}

impl SourceError {
    /// The [`SourceError::Read`] of `path`, for `map_err`.
    pub(crate) fn read(path: &Path) -> impl Fn(io::Error) -> SourceError + Copy + '_ {
        move |source| SourceError::Read {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A fixture folder for one snapshot date.
#[derive(Debug, Clone)]
pub struct FixtureSource {
    root: PathBuf,
}

/// One SCP attached somewhere on an account's path from the root.
#[derive(Debug, Clone)]
pub struct Scp {
    /// Policy id (p-…), used as the policy id in decisions.
    pub id: String,
    /// The decoded policy document.
    pub document: Value,
    /// The file it came from, for error messages.
    pub file: PathBuf,
}

/// An account to collect, with the SCPs that apply to it.
#[derive(Debug, Clone)]
pub struct AccountInfo {
    pub id: String,
    pub name: Option<String>,
    /// Root and OU ids above the account, root first, joined by `/`
    /// (`r-ab12/ou-ab12-11111111`); `None` when the folder has no
    /// `organization/tree.json` or it does not place the account under a
    /// root.
    pub ou_path: Option<String>,
    /// SCP levels from the root down to the account; each level is the SCPs
    /// attached to that node. Empty when the folder has no SCPs.
    pub scp_levels: Vec<Vec<Scp>>,
    /// RCP levels over the account's resources, like `scp_levels`, each
    /// level starting with AWS's `RCPFullAWSAccess` (see
    /// [`complete_rcp_levels`]). Empty when the folder has no RCPs
    /// (`organization/rcps/`).
    pub rcp_levels: Vec<Vec<Scp>>,
    /// The organization's id (`o-…`), the value of `aws:PrincipalOrgID` for
    /// the account's principals: from `organization/organization.json`
    /// (`Id`) when present, else from the accounts' ARNs; `None` when
    /// neither says.
    pub org_id: Option<String>,
    /// The organization's management account: SCPs do not apply to its
    /// roles, nor RCPs to its resources. From `organization/organization.json` (DescribeOrganization's
    /// `MasterAccountId`) when present, else from the accounts' ARNs.
    pub management: bool,
}

/// Everything collected for one account.
#[derive(Debug)]
pub struct AccountData {
    /// The merged authorization details, but for the roles.
    pub details: DetailsWithoutRoles,
    /// The roles, handed out a chunk at a time.
    pub roles: RoleList,
    /// The file they came from.
    pub details_path: PathBuf,
    /// role id → (description, max session duration), from roles.json.
    pub listed: HashMap<String, (Option<String>, Option<i32>)>,
    /// The credential report's lines (`credential_report.csv`, or the live
    /// GetCredentialReport); `None` when there is none (the account's
    /// credentials are then unknown).
    pub credentials: Option<Vec<crate::model::credentials::CredentialRow>>,
}

impl FixtureSource {
    /// Opens `dir` for `date`: the day folder `dir/<date>/` when the folder
    /// holds a series of days, else `dir` itself (a single export).
    pub fn open(dir: &Path, date: NaiveDate) -> Result<FixtureSource, SourceError> {
        let day = dir.join(date.to_string());
        for root in [day, dir.to_path_buf()] {
            if root.join("organization").join("accounts.json").is_file() {
                return Ok(FixtureSource { root });
            }
        }
        Err(SourceError::NotAFixtureDir {
            dir: dir.to_path_buf(),
            date,
        })
    }

    /// The folder this source reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the active accounts and the SCP levels over each, sorted by id.
    pub fn organization(&self) -> Result<Vec<AccountInfo>, SourceError> {
        let org = self.root.join("organization");
        let accounts_path = org.join("accounts.json");
        let accounts: Vec<OrgAccount> = read_pages(&accounts_path, |p: ListAccounts| p.accounts)?;
        let tree_path = org.join("tree.json");
        let tree: Option<OrgTree> = if tree_path.is_file() {
            Some(read_json(&tree_path)?)
        } else {
            None
        };
        let scps = self.read_scps(&org.join("scps"))?;
        let placement = ScpPlacement::new(tree.as_ref(), &tree_path, scps)?;
        // RCPs sit in the same tree, in a folder of the same shape.
        let rcps = self.read_scps(&org.join("rcps"))?;
        let rcp_placement = ScpPlacement::new(tree.as_ref(), &tree_path, rcps)?;
        let described = org.join("organization.json");
        let from_arns = || {
            accounts
                .iter()
                .find_map(|a| a.management_account_id().map(str::to_string))
        };
        let org_from_arns = || {
            accounts
                .iter()
                .find_map(|a| a.organization_id().map(str::to_string))
        };
        let (management, org_id): (Option<String>, Option<String>) = if described.is_file() {
            let described = read_json::<DescribeOrganization>(&described)?.organization;
            (
                Some(described.master_account_id),
                described.id.or_else(org_from_arns),
            )
        } else {
            (from_arns(), org_from_arns())
        };

        let mut out: Vec<AccountInfo> = accounts
            .into_iter()
            .filter(OrgAccount::is_active)
            .map(|a| AccountInfo {
                management: management.as_deref() == Some(a.id.as_str()),
                scp_levels: placement.levels_for(&a.id),
                rcp_levels: complete_rcp_levels(rcp_placement.levels_for(&a.id)),
                org_id: org_id.clone(),
                ou_path: placement.ou_path(&a.id),
                id: a.id,
                name: a.name,
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn read_scps(&self, dir: &Path) -> Result<Vec<(ScpFile, PathBuf)>, SourceError> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut paths = json_files(dir)?;
        paths.sort();
        paths
            .into_iter()
            .map(|p| Ok((read_json::<ScpFile>(&p)?, p)))
            .collect()
    }

    /// Reads an account's authorization details (and roles.json if present).
    pub fn account(&self, account_id: &str) -> Result<AccountData, SourceError> {
        let dir = self.root.join(account_id);
        let details_path = dir.join("authorization-details.json");
        if !details_path.is_file() {
            return Err(SourceError::MissingAuthorizationDetails {
                account_id: account_id.to_string(),
                path: details_path,
            });
        }
        // `roles.json` (a quarter of the authorization details' size on
        // large accounts) is read beside them: loading an account is serial
        // work the evaluating cores wait for (#13).
        let roles_path = dir.join("roles.json");
        let (indexed, listed) = std::thread::scope(|scope| {
            let listed = scope.spawn(|| -> Result<_, SourceError> {
                // Below the index, the serial step the cores wait for (see
                // `snapshot::run_fixtures`).
                crate::priority::lower_this_thread();
                if !roles_path.is_file() {
                    return Ok(HashMap::new());
                }
                Ok(read_pages(&roles_path, |p: ListRoles| p.roles)?
                    .into_iter()
                    .map(|r| (r.role_id, (r.description, r.max_session_duration)))
                    .collect())
            });
            let indexed = index_details(&details_path);
            let listed = listed
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (indexed, listed)
        });
        // The authorization details' error comes first, as when read in turn.
        let (details, roles) = indexed?;
        let listed = listed?;
        let report_path = dir.join(CREDENTIAL_REPORT);
        let credentials = if report_path.is_file() {
            Some(super::credential_report::read(&report_path, account_id)?)
        } else {
            None
        };
        Ok(AccountData {
            details,
            roles,
            details_path,
            listed,
            credentials,
        })
    }

    /// The path Access Advisor data for a role is read from:
    /// `<account>/last-accessed/<role-name>.json`.
    pub fn last_accessed_path(&self, account_id: &str, role_name: &str) -> PathBuf {
        self.access_path(account_id, "last-accessed", role_name)
    }

    /// The path Access Advisor data for an IAM user is read from:
    /// `last-accessed/users/<user-name>.json` (a folder no role's file can
    /// collide with, since role names cannot contain `/`).
    pub fn user_last_accessed_path(&self, account_id: &str, user_name: &str) -> PathBuf {
        self.access_path(account_id, "last-accessed/users", user_name)
    }

    /// `<root>/<account_id>/<folder>/<name>.json`, built in one buffer: asked
    /// once per role, and a chain of joins and a `format!` was four
    /// allocations each time.
    fn access_path(&self, account_id: &str, folder: &str, name: &str) -> PathBuf {
        let root = self.root.as_os_str();
        let mut path =
            PathBuf::with_capacity(root.len() + account_id.len() + folder.len() + name.len() + 8);
        path.push(root);
        path.push(account_id);
        path.push(folder);
        path.push(name);
        path.as_mut_os_string().push(".json");
        path
    }

    /// Reads the Access Advisor data at `path` (pages concatenated) and
    /// hands it to `f`, `None` when the file is absent. The data borrows
    /// from the file's text, read into a buffer each thread reuses, so `f`
    /// must not read another Access Advisor file itself.
    pub fn with_last_accessed_at<R>(
        &self,
        path: &Path,
        f: impl FnOnce(Option<&ServiceLastAccessedDetails<'_>>) -> R,
    ) -> Result<R, SourceError> {
        SMALL_FILE.with_borrow_mut(|buf| {
            let read_err = SourceError::read(path);
            // Open first and look at the path only when that fails: a stat
            // per role was a visible share of a large account's snapshot.
            let mut file = match fs::File::open(path) {
                Ok(file) => file,
                Err(e) if path.is_file() => return Err(read_err(e)),
                Err(_) => return Ok(f(None)),
            };
            let mut len = read_on(&mut file, buf, 0).map_err(read_err)?;
            loop {
                let parsed = last_accessed_pages(path, &buf[..len]);
                let error = match parsed {
                    Ok(details) => return Ok(f(details.as_ref())),
                    Err(e) => e,
                };
                // Perhaps a short read that was not the end (see `read_on`):
                // read on, and parse again only if there was more.
                let before = len;
                len = read_on(&mut file, buf, len).map_err(read_err)?;
                if len == before {
                    return Err(error);
                }
            }
        })
    }
}

/// An Access Advisor file's pages, concatenated; `None` for an empty list
/// of pages.
fn last_accessed_pages<'b>(
    path: &Path,
    bytes: &'b [u8],
) -> Result<Option<ServiceLastAccessedDetails<'b>>, SourceError> {
    let mut pages = pages_of::<ServiceLastAccessedDetails>(path, bytes)?
        .0
        .into_iter();
    let Some(mut all) = pages.next() else {
        return Ok(None);
    };
    for page in pages {
        all.services_last_accessed
            .extend(page.services_last_accessed);
    }
    Ok(Some(all))
}

/// Room for a typical Access Advisor file (a few kilobytes) in one read:
/// the size a thread's buffer starts at.
const SMALL_FILE_START: usize = 16 * 1024;

/// Reads `file` on into `buf` from `len` (the bytes of it read so far)
/// until a read returns fewer bytes than asked, growing `buf` when it is
/// full; returns the new length.
///
/// The buffer is kept whole (its length is its capacity, its bytes
/// initialized) from file to file, so no file pays for zeroing or
/// allocating it; only the returned length of it is this file's.
///
/// A read that returns fewer bytes than asked is taken as the end of the
/// file. For a regular file on a local file system it is, and confirming it
/// with one more read (returning nothing) was a system call per role, 20,000
/// on a large account. Where it is not (a pipe, some network file systems),
/// the text is cut short and does not parse, and the caller reads on
/// (calls this again) before it reports an error.
fn read_on(file: &mut fs::File, buf: &mut Vec<u8>, mut len: usize) -> std::io::Result<usize> {
    use std::io::Read;
    loop {
        if len == buf.len() {
            let grow = buf.len().max(SMALL_FILE_START);
            buf.resize(buf.len() + grow, 0);
        }
        let asked = buf.len() - len;
        let n = match file.read(&mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        len += n;
        if n < asked {
            return Ok(len);
        }
    }
}

/// The id AWS gives `RCPFullAWSAccess`, the RCP attached to every root, OU and
/// account of an organization with RCPs enabled.
pub const RCP_FULL_AWS_ACCESS_ID: &str = "p-RCPFullAWSAccess";

/// `levels` with AWS's `RCPFullAWSAccess` first on each level that does not
/// list it. AWS attaches it to every node and it cannot be detached, so a
/// level of an export that omits it (a hand-written fixture, an export of
/// custom policies only) still allows what its Deny statements do not deny,
/// instead of denying everything. The lake's `rcps` table lists it too.
pub fn complete_rcp_levels(mut levels: Vec<Vec<Scp>>) -> Vec<Vec<Scp>> {
    for level in &mut levels {
        if !level.iter().any(|p| p.id == RCP_FULL_AWS_ACCESS_ID) {
            level.insert(
                0,
                Scp {
                    id: RCP_FULL_AWS_ACCESS_ID.to_string(),
                    document: crate::eval::rcp_full_aws_access_document(),
                    file: "aws:RCPFullAWSAccess".into(),
                },
            );
        }
    }
    levels
}

/// Where each SCP (or RCP) sits in the tree, resolved to per-account levels.
struct ScpPlacement {
    /// node id → parent id (accounts and OUs).
    parents: HashMap<String, String>,
    /// node id → SCPs attached to it.
    attached: BTreeMap<String, Vec<Scp>>,
    /// Root ids (normally one).
    roots: Vec<String>,
}

impl ScpPlacement {
    fn new(
        tree: Option<&OrgTree>,
        tree_path: &Path,
        scps: Vec<(ScpFile, PathBuf)>,
    ) -> Result<ScpPlacement, SourceError> {
        let mut parents = HashMap::new();
        let mut known: HashMap<String, &'static str> = HashMap::new();
        let mut roots = Vec::new();
        if let Some(tree) = tree {
            for r in &tree.roots {
                known.insert(r.id.clone(), "ROOT");
                roots.push(r.id.clone());
            }
            for node in tree.organizational_units.iter().chain(&tree.accounts) {
                if let Some(p) = &node.parent_id {
                    parents.insert(node.id.clone(), p.clone());
                }
            }
            for ou in &tree.organizational_units {
                known.insert(ou.id.clone(), "ORGANIZATIONAL_UNIT");
            }
        }
        let mut attached: BTreeMap<String, Vec<Scp>> = BTreeMap::new();
        for (file, path) in scps {
            let document =
                policy_doc::decode(&file.policy.content).map_err(|message| SourceError::Shape {
                    path: path.clone(),
                    field: "Policy.Content".into(),
                    message,
                })?;
            for target in &file.targets {
                let node = match target.target_type.as_str() {
                    // Without a tree there is one implicit root.
                    "ROOT" if tree.is_none() => "<root>".to_string(),
                    "ACCOUNT" => target.target_id.clone(),
                    _ if known.contains_key(&target.target_id) => target.target_id.clone(),
                    _ => {
                        return Err(SourceError::UnknownScpTarget {
                            path,
                            scp_id: file.policy.policy_summary.id.clone(),
                            target_type: target.target_type.clone(),
                            target_id: target.target_id.clone(),
                            tree: if tree.is_some() {
                                tree_path.display().to_string()
                            } else {
                                "the organization (there is no organization/tree.json)".into()
                            },
                        });
                    }
                };
                attached.entry(node).or_default().push(Scp {
                    id: file.policy.policy_summary.id.clone(),
                    document: document.clone(),
                    file: path.clone(),
                });
            }
        }
        if tree.is_none() {
            roots.push("<root>".to_string());
        }
        Ok(ScpPlacement {
            parents,
            attached,
            roots,
        })
    }

    /// The nodes above the account up to its root, nearest first, and
    /// whether the walk reached a root of the tree.
    fn ancestors(&self, account_id: &str) -> (Vec<String>, bool) {
        let mut path = vec![account_id.to_string()];
        let mut cur = account_id.to_string();
        // Bounded walk: a cyclic tree.json must not hang the snapshot.
        while let Some(p) = self.parents.get(&cur) {
            if path.len() > 64 || path.contains(p) {
                break;
            }
            path.push(p.clone());
            cur = p.clone();
        }
        path.remove(0);
        (path, self.roots.contains(&cur))
    }

    /// The account's OU path, root first (see [`AccountInfo::ou_path`]).
    fn ou_path(&self, account_id: &str) -> Option<String> {
        let (mut above, placed) = self.ancestors(account_id);
        if !placed || above.is_empty() {
            return None;
        }
        above.reverse();
        Some(above.join("/"))
    }

    /// SCP levels from the root down to the account. A node with no SCP in
    /// the export is skipped rather than treated as deny-all: AWS requires
    /// every node to have at least one SCP, so an empty node means the export
    /// is partial, and guessing "deny everything" would hide every risk.
    fn levels_for(&self, account_id: &str) -> Vec<Vec<Scp>> {
        let (above, placed) = self.ancestors(account_id);
        let mut path = vec![account_id.to_string()];
        path.extend(above);
        if !placed {
            // The account is not placed under a root in tree.json (or there is
            // no tree): root-level SCPs apply to every account regardless.
            if let Some(root) = self.roots.first() {
                path.push(root.clone());
            }
        }
        path.reverse();
        path.iter()
            .filter_map(|node| self.attached.get(node))
            .filter(|scps| !scps.is_empty())
            .cloned()
            .collect()
    }
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let read_err = SourceError::read(dir);
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(out)
}

/// Reads an authorization-details file: its policies, users and groups
/// parsed, its roles only indexed (see [`super::role_list`]). The whole file
/// is checked to be JSON here, so a truncated file fails before any role is
/// evaluated.
fn index_details(path: &Path) -> Result<(DetailsWithoutRoles, RoleList), SourceError> {
    let bytes = map_bytes(path)?;
    let bytes: &[u8] = &bytes;
    let (pages, paged) = pages_of::<AuthorizationDetails<&RawValue>>(path, bytes)?;
    let mut details = DetailsWithoutRoles::default();
    let mut spans = Vec::new();
    for (page_index, page) in pages.into_iter().enumerate() {
        let (roles, rest) = page.split_roles();
        for (index, role) in roles.into_iter().enumerate() {
            // The raw text borrows from `bytes`: its offset is where it is.
            let start = role.get().as_ptr() as usize - bytes.as_ptr() as usize;
            spans.push(RoleSpan {
                start,
                end: start + role.get().len(),
                page: paged.then_some(page_index),
                index,
            });
        }
        details.extend_from(rest);
    }
    Ok((
        details,
        RoleList::InFile(RolesInFile::new(path.to_path_buf(), spans)?),
    ))
}

/// A fixture file's bytes, mapped into memory rather than read. Indexing an
/// account's authorization details is serial work before its roles can be
/// evaluated, and a third of it was the kernel copying the file into a
/// fresh buffer (48 MB for 20,000 roles; #13).
fn map_bytes(path: &Path) -> Result<memmap2::Mmap, SourceError> {
    let file = fs::File::open(path).map_err(SourceError::read(path))?;
    // SAFETY: the map is only read, and dropped once the account is indexed.
    // Another process truncating the file meanwhile would fault the read, a
    // risk ripgrep takes for the same reason; a file changed after indexing
    // is caught when its roles are read (`RolesInFile` checks its size and
    // modification time).
    //
    // `populate` has the kernel map every page up front: faulting 48 MB in
    // 4 KB at a time as the parser reaches it was a visible part of the
    // account's serial load.
    unsafe { memmap2::MmapOptions::new().populate().map(&file) }.map_err(SourceError::read(path))
}

thread_local! {
    /// The buffer each thread reads Access Advisor files into: one per role,
    /// a few kilobytes each, read 20,000 times on a large account.
    static SMALL_FILE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a fixture file's bytes.
fn read_bytes(path: &Path) -> Result<Vec<u8>, SourceError> {
    fs::read(path).map_err(SourceError::read(path))
}

/// The "not valid JSON" error of `e`, with its line and column.
fn json_error(path: &Path, e: &serde_json::Error) -> SourceError {
    SourceError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Deserializes a file's `bytes` (or a part of it whose JSON path is
/// `prefix`) as `T` straight into the structs.
///
/// Good files are parsed once, without tracking where in the JSON the parser
/// is (that tracking cost about a third of the parse). Only a file that fails
/// is parsed again: with the tracking, to name the field, and, when that
/// fails on a shape, with an allocation-free pass (`IgnoredAny`) over the
/// whole file, so that a file that is not JSON at all is always reported as
/// "not valid JSON" with its line and column, even when an earlier field
/// would also have the wrong shape. (Going through a `serde_json::Value`
/// first, as this once did, spent a third of a 20,000-role snapshot in the
/// allocator.)
pub(super) fn from_bytes<'de, T: Deserialize<'de>>(
    path: &Path,
    prefix: &str,
    bytes: &'de [u8],
) -> Result<T, SourceError> {
    // Checked as UTF-8 once, whole, then parsed as text: parsing bytes
    // checks every string on its own, and those checks were a tenth of
    // reading a role's Access Advisor file (perf, #13).
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(value) = serde_json::from_str::<T>(text)
    {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        if e.inner().is_syntax() || e.inner().is_eof() {
            return json_error(path, e.inner());
        }
        match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            Err(syntax) => json_error(path, &syntax),
            Ok(_) => shape_error(path, prefix, e),
        }
    })?;
    // Trailing characters after the document make it invalid JSON too.
    de.end().map_err(|e| json_error(path, &e))?;
    Ok(value)
}

/// The "field … is not of the expected shape" error of `e`, its JSON path
/// under `prefix` (the path of the value that was parsed, if not the file).
fn shape_error(
    path: &Path,
    prefix: &str,
    e: serde_path_to_error::Error<serde_json::Error>,
) -> SourceError {
    let inner = e.path().to_string();
    let field = match (prefix.is_empty(), inner.as_str()) {
        (true, _) => inner,
        (false, ".") => prefix.to_string(),
        (false, _) => format!("{prefix}.{inner}"),
    };
    let inner = e.into_inner();
    // The message without serde_json's " at line L column C": the field's
    // JSON path says where, the same for every way the file is read.
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let message = inner.to_string();
    let message = message
        .strip_suffix(&position)
        .unwrap_or(&message)
        .to_string();
    SourceError::Shape {
        path: path.to_path_buf(),
        field,
        message,
    }
}

/// Reads one JSON document of type `T`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, SourceError> {
    from_bytes(path, "", &read_bytes(path)?)
}

/// Reads a file holding either one document or a JSON list of pages (as
/// saved from paginated calls), flattening each page with `items`.
pub fn read_pages<P, T>(path: &Path, items: impl Fn(P) -> Vec<T>) -> Result<Vec<T>, SourceError>
where
    P: DeserializeOwned,
{
    // Mapped like the authorization details: `roles.json` is 13 MB on a
    // 20,000-role account, read while the cores wait for the account to
    // load, and copying it into a fresh buffer was a third of its cost.
    let bytes = map_bytes(path)?;
    let (pages, _) = pages_of::<P>(path, &bytes)?;
    Ok(pages.into_iter().flat_map(items).collect())
}

/// The pages of a file's `bytes`: one document, or a JSON list of pages (as
/// saved from paginated calls); `true` when it is a list.
fn pages_of<'de, P: Deserialize<'de>>(
    path: &Path,
    bytes: &'de [u8],
) -> Result<(Vec<P>, bool), SourceError> {
    // A list of pages starts with `[`; a single document with `{`.
    let is_pages = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'[');
    if is_pages {
        Ok((from_bytes(path, "", bytes)?, true))
    } else {
        Ok((vec![from_bytes(path, "", bytes)?], false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS attaches RCPFullAWSAccess to every node: a level that lacks it
    /// gets it first, a level that lists it is left as it is.
    #[test]
    fn rcp_levels_are_completed_with_rcp_full_aws_access() {
        let deny = |id: &str| Scp {
            id: id.into(),
            document: serde_json::json!({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}}),
            file: "f.json".into(),
        };
        let full = Scp {
            id: RCP_FULL_AWS_ACCESS_ID.into(),
            document: crate::eval::rcp_full_aws_access_document(),
            file: "export.json".into(),
        };
        let ids = |levels: &[Vec<Scp>]| -> Vec<Vec<String>> {
            levels
                .iter()
                .map(|l| l.iter().map(|p| p.id.clone()).collect())
                .collect()
        };
        let done = complete_rcp_levels(vec![vec![deny("p-a")], vec![deny("p-b"), full.clone()]]);
        assert_eq!(
            ids(&done),
            [
                vec!["p-RCPFullAWSAccess", "p-a"],
                vec!["p-b", "p-RCPFullAWSAccess"]
            ]
        );
        assert_eq!(done[1][1].file, Path::new("export.json"));
        assert_eq!(
            done[0][0].document,
            crate::eval::rcp_full_aws_access_document()
        );
        assert!(complete_rcp_levels(Vec::new()).is_empty());
    }

    /// An Access Advisor answer with `services` services.
    fn access_advisor_json(services: usize) -> String {
        let services: Vec<String> = (0..services)
            .map(|i| {
                format!(
                    r#"{{"ServiceName":"Service {i}","ServiceNamespace":"svc{i}","LastAuthenticated":"2026-01-0{}T00:00:00Z","TotalAuthenticatedEntities":1}}"#,
                    1 + i % 9
                )
            })
            .collect();
        format!(
            r#"{{"JobStatus":"COMPLETED","JobType":"SERVICE_LEVEL","ServicesLastAccessed":[{}]}}"#,
            services.join(",")
        )
    }

    fn namespaces(source: &FixtureSource, path: &Path) -> Result<Vec<String>, SourceError> {
        source.with_last_accessed_at(path, |d| {
            d.map(|d| {
                d.services_last_accessed
                    .iter()
                    .map(|s| s.service_namespace.to_string())
                    .collect()
            })
            .unwrap_or_default()
        })
    }

    #[test]
    fn access_advisor_files_of_any_size_are_read_whole_with_one_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let source = FixtureSource {
            root: dir.path().to_path_buf(),
        };
        // Larger than the first buffer (several reads and a grown buffer),
        // then smaller ones: what an earlier file left in the buffer past
        // this file's length is never parsed.
        for services in [400, 3, 0, 1] {
            let path = dir.path().join(format!("{services}.json"));
            std::fs::write(&path, access_advisor_json(services)).unwrap();
            let got = namespaces(&source, &path).unwrap();
            assert_eq!(got.len(), services, "{services} services");
            assert_eq!(
                got.last().cloned(),
                services.checked_sub(1).map(|i| format!("svc{i}"))
            );
        }
        assert!(access_advisor_json(400).len() > SMALL_FILE_START);
        // An absent file is no data; an empty one is not valid JSON.
        assert_eq!(
            namespaces(&source, &dir.path().join("absent.json")).unwrap(),
            Vec::<String>::new()
        );
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "").unwrap();
        let err = namespaces(&source, &empty).unwrap_err().to_string();
        assert!(
            err.contains("empty.json") && err.contains("not valid JSON"),
            "{err}"
        );
    }

    /// A short read that is not the end of the file (a pipe here; some
    /// network file systems too) is read on, not taken as a cut-short file.
    #[cfg(unix)]
    #[test]
    fn a_short_read_that_is_not_the_end_is_read_on() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe.json");
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path and a plain mode.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let text = access_advisor_json(5);
        let (first, rest) = text.split_at(text.len() / 2);
        let (first, rest) = (first.to_string(), rest.to_string());
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new()
                .write(true)
                .open(writer_path)
                .unwrap();
            pipe.write_all(first.as_bytes()).unwrap();
            pipe.flush().unwrap();
            // The reader's first read returns the first half only.
            std::thread::sleep(std::time::Duration::from_millis(100));
            pipe.write_all(rest.as_bytes()).unwrap();
        });
        let source = FixtureSource {
            root: dir.path().to_path_buf(),
        };
        let got = namespaces(&source, &path).unwrap();
        writer.join().unwrap();
        assert_eq!(got, ["svc0", "svc1", "svc2", "svc3", "svc4"]);
    }

    #[test]
    fn a_principals_access_advisor_file_is_named_after_it_in_its_accounts_folder() {
        let source = FixtureSource {
            root: PathBuf::from("/data/org/2026-01-01"),
        };
        for name in ["app", "svc.v2", "", "a-b_c@d"] {
            assert_eq!(
                source.last_accessed_path("111122223333", name),
                Path::new("/data/org/2026-01-01/111122223333/last-accessed")
                    .join(format!("{name}.json")),
                "{name:?}"
            );
            assert_eq!(
                source.user_last_accessed_path("111122223333", name),
                Path::new("/data/org/2026-01-01/111122223333/last-accessed/users")
                    .join(format!("{name}.json")),
                "{name:?}"
            );
        }
    }
}
