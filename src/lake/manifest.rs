//! The per-date manifest: written last, it is what makes a date's partition
//! complete. A date without one is ignored by every reader of ours.

use super::LakeError;
use super::layout::{self, ManifestKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

/// The manifest of one snapshot date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always "iamlake".
    pub tool: String,
    /// `snapshot` or `analyze`: which command wrote the partition.
    #[serde(default = "default_kind")]
    pub kind: String,
    /// The iamlake version that wrote the partition.
    pub tool_version: String,
    /// [`crate::model::SCHEMA_VERSION`] at write time.
    pub schema_version: u32,
    /// Unique id of this run; a re-run of the same date gets a new one.
    pub snapshot_id: String,
    /// The partition's date.
    pub snapshot_date: NaiveDate,
    /// Where the data came from (`fixtures:DIR`, …).
    pub source: String,
    /// When the run started and finished (UTC).
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `complete` when every account was collected, `partial` otherwise.
    pub status: String,
    /// The sensitive actions `simulations` was computed for.
    pub sensitive_actions: Vec<String>,
    /// Per table: row count and files.
    pub tables: BTreeMap<String, TableEntry>,
    /// Per account: whether it was collected (snapshot manifests).
    #[serde(default)]
    pub accounts: Vec<AccountEntry>,
    /// What the partition was computed from, e.g. the snapshot ids analyze
    /// read (`snapshot`, `previous_snapshot`).
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// Measurements of the run, e.g. `decisions` and `evaluation_seconds`
    /// (the local evaluator's CPU time, summed over its threads) or API call
    /// counts per operation.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// `K/N` on a shard's own manifest; absent on whole-date manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

fn default_kind() -> String {
    ManifestKind::Snapshot.as_str().to_string()
}

/// One table's part of the partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub rows: u64,
    pub files: Vec<FileEntry>,
}

/// One data file, by its path relative to the lake root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
}

/// One account's collection status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountEntry {
    pub account_id: String,
    pub account_name: Option<String>,
    /// The account's place in the organization, root first
    /// (`r-…/ou-…/…`), when it is known: kept for failed accounts too.
    #[serde(default)]
    pub ou_path: Option<String>,
    /// The organization's id (`o-…`), the `aws:PrincipalOrgID` its
    /// principals were evaluated with, when it is known (since schema
    /// version 5; `check-plan --lake` uses it the same way).
    #[serde(default)]
    pub org_id: Option<String>,
    /// `ok` or `failed`.
    pub status: String,
    /// Why it failed.
    pub reason: Option<String>,
    /// Roles collected.
    pub roles: u64,
    /// Roles for which no Access Advisor data was found.
    pub roles_without_last_accessed: u64,
}

impl Manifest {
    /// Reads the snapshot manifest of `date`, `None` when the date is incomplete.
    pub fn read(lake: &Path, date: NaiveDate) -> Result<Option<Manifest>, LakeError> {
        Manifest::read_kind(lake, ManifestKind::Snapshot, date)
    }

    /// Reads the manifest of either kind, `None` when there is none.
    pub fn read_kind(
        lake: &Path,
        kind: ManifestKind,
        date: NaiveDate,
    ) -> Result<Option<Manifest>, LakeError> {
        let path = layout::manifest_path_of(lake, kind, date);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(LakeError::io(&path, "reading manifest")(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| LakeError::Manifest {
                path,
                message: e.to_string(),
            })
    }

    /// Writes the manifest at its place in the lake, atomically.
    pub fn write(&self, lake: &Path) -> Result<(), LakeError> {
        self.write_at(&layout::manifest_path_of(
            lake,
            self.manifest_kind(),
            self.snapshot_date,
        ))
    }

    /// Reads a manifest file.
    pub fn read_at(path: &Path) -> Result<Manifest, LakeError> {
        let text = fs::read_to_string(path).map_err(LakeError::io(path, "reading manifest"))?;
        serde_json::from_str(&text).map_err(|e| LakeError::Manifest {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// The date's manifest made from all its shard manifests: files and
    /// accounts of every shard, rows and metrics summed, `partial` if any
    /// shard was.
    pub fn merge_shards(shards: &[Manifest]) -> Manifest {
        let first = &shards[0];
        let mut tables: BTreeMap<String, TableEntry> = BTreeMap::new();
        let mut metrics: BTreeMap<String, f64> = BTreeMap::new();
        let mut accounts = Vec::new();
        for m in shards {
            for (name, t) in &m.tables {
                let e = tables.entry(name.clone()).or_insert(TableEntry {
                    rows: 0,
                    files: Vec::new(),
                });
                e.rows += t.rows;
                e.files.extend(t.files.iter().cloned());
            }
            for (k, v) in &m.metrics {
                *metrics.entry(k.clone()).or_default() += v;
            }
            accounts.extend(m.accounts.iter().cloned());
        }
        accounts.sort_by(|a: &AccountEntry, b| a.account_id.cmp(&b.account_id));
        // Inputs (e.g. `simulator`) are the same for every shard of a date.
        let mut inputs = first.inputs.clone();
        inputs.insert("shards".to_string(), shards.len().to_string());
        Manifest {
            tool: first.tool.clone(),
            kind: first.kind.clone(),
            tool_version: first.tool_version.clone(),
            schema_version: first.schema_version,
            snapshot_id: shards
                .iter()
                .map(|m| m.snapshot_id.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            snapshot_date: first.snapshot_date,
            source: first.source.clone(),
            started_at: shards
                .iter()
                .map(|m| m.started_at)
                .min()
                .unwrap_or(first.started_at),
            finished_at: shards
                .iter()
                .map(|m| m.finished_at)
                .max()
                .unwrap_or(first.finished_at),
            status: if shards.iter().all(|m| m.status == "complete") {
                "complete"
            } else {
                "partial"
            }
            .into(),
            sensitive_actions: first.sensitive_actions.clone(),
            tables,
            accounts,
            inputs,
            metrics,
            shard: None,
        }
    }

    /// Writes the manifest at `path` atomically: a temporary file in the same
    /// folder, flushed to disk, then renamed over the final name.
    pub fn write_at(&self, path: &Path) -> Result<(), LakeError> {
        let path = path.to_path_buf();
        let dir = path.parent().expect("manifest path has a parent");
        fs::create_dir_all(dir).map_err(LakeError::io(dir, "creating folder"))?;
        let tmp = dir.join(format!(".manifest.{}.tmp", self.snapshot_id));
        let text = serde_json::to_string_pretty(self).expect("manifest serializes");
        let mut f = fs::File::create(&tmp).map_err(LakeError::io(&tmp, "creating"))?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(LakeError::io(&tmp, "writing"))?;
        fs::rename(&tmp, &path).map_err(LakeError::io(&path, "publishing manifest"))
    }
}

impl Manifest {
    /// The kind as an enum (unknown kinds are read as snapshot manifests,
    /// which is what manifests written before the field existed are).
    pub fn manifest_kind(&self) -> ManifestKind {
        if self.kind == ManifestKind::Analyze.as_str() {
            ManifestKind::Analyze
        } else {
            ManifestKind::Snapshot
        }
    }
}

/// The dates that have a snapshot manifest (complete partitions), oldest first.
pub fn complete_dates(lake: &Path) -> Result<Vec<NaiveDate>, LakeError> {
    complete_dates_of(lake, ManifestKind::Snapshot)
}

/// The dates that have a manifest of `kind`, oldest first.
pub fn complete_dates_of(lake: &Path, kind: ManifestKind) -> Result<Vec<NaiveDate>, LakeError> {
    let dir = layout::manifests_dir_of(lake, kind);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LakeError::io(&dir, "listing manifests")(e)),
    };
    let mut dates = Vec::new();
    for entry in entries {
        let entry = entry.map_err(LakeError::io(&dir, "listing manifests"))?;
        let name = entry.file_name();
        if let Some(date) = name.to_str().and_then(layout::parse_partition_dir_name)
            && entry.path().join("manifest.json").is_file()
        {
            dates.push(date);
        }
    }
    dates.sort();
    Ok(dates)
}
