//! Paths inside a lake. Tables are hive-partitioned by date:
//! `<lake>/<table>/snapshot_date=YYYY-MM-DD/part-NNNNN.parquet`; manifests sit
//! outside every table folder at `<lake>/_manifests/snapshot_date=YYYY-MM-DD/manifest.json`,
//! because Athena reads every file under a table's location.

use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// The partition column's name, in paths and in the warehouse.
pub const PARTITION_KEY: &str = "snapshot_date";

/// Folder (under the lake) holding the manifests.
pub const MANIFESTS_DIR: &str = "_manifests";

/// Folder (under the lake) where a run writes before it publishes.
pub const STAGING_DIR: &str = "_staging";

/// Folder (under the lake) holding a replaced partition until the new one is
/// published.
pub const TRASH_DIR: &str = "_trash";

/// `snapshot_date=YYYY-MM-DD`.
pub fn partition_dir_name(date: NaiveDate) -> String {
    format!("{PARTITION_KEY}={date}")
}

/// `<lake>/<table>/snapshot_date=D`.
pub fn partition_dir(lake: &Path, table: &str, date: NaiveDate) -> PathBuf {
    lake.join(table).join(partition_dir_name(date))
}

/// `part-NNNNN.parquet`.
pub fn part_file_name(index: usize) -> String {
    format!("part-{index:05}.parquet")
}

/// Which command wrote a partition; each has its own manifest per date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// The snapshot tables: `<lake>/_manifests/snapshot_date=D/manifest.json`.
    Snapshot,
    /// The analyze tables: `<lake>/_manifests/analyze/snapshot_date=D/manifest.json`.
    Analyze,
}

impl ManifestKind {
    /// The value of the manifest's `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestKind::Snapshot => "snapshot",
            ManifestKind::Analyze => "analyze",
        }
    }
}

/// `<lake>/_manifests/snapshot_date=D/manifest.json`: the snapshot manifest.
pub fn manifest_path(lake: &Path, date: NaiveDate) -> PathBuf {
    manifest_path_of(lake, ManifestKind::Snapshot, date)
}

/// The manifest path of either kind.
pub fn manifest_path_of(lake: &Path, kind: ManifestKind, date: NaiveDate) -> PathBuf {
    manifests_dir_of(lake, kind)
        .join(partition_dir_name(date))
        .join("manifest.json")
}

/// The folder holding one `snapshot_date=D` folder per manifest of `kind`.
pub fn manifests_dir_of(lake: &Path, kind: ManifestKind) -> PathBuf {
    match kind {
        ManifestKind::Snapshot => lake.join(MANIFESTS_DIR),
        ManifestKind::Analyze => lake.join(MANIFESTS_DIR).join("analyze"),
    }
}

/// Parses a `snapshot_date=YYYY-MM-DD` folder name.
pub fn parse_partition_dir_name(name: &str) -> Option<NaiveDate> {
    let date = name.strip_prefix(PARTITION_KEY)?.strip_prefix('=')?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Whether a folder directly under the lake is one of iamlake's own
/// (manifests, staging, trash) rather than a table.
pub fn is_internal_dir(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_documented_layout() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
        assert_eq!(
            partition_dir(Path::new("/l"), "roles", d),
            PathBuf::from("/l/roles/snapshot_date=2026-10-03")
        );
        assert_eq!(
            manifest_path(Path::new("/l"), d),
            PathBuf::from("/l/_manifests/snapshot_date=2026-10-03/manifest.json")
        );
        assert_eq!(part_file_name(7), "part-00007.parquet");
        assert_eq!(
            parse_partition_dir_name("snapshot_date=2026-10-03"),
            Some(d)
        );
        assert_eq!(parse_partition_dir_name("snapshot_date=2026-13-03"), None);
        assert!(is_internal_dir("_manifests") && !is_internal_dir("roles"));
    }
}
