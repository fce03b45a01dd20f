//! Writes one date's partition of several tables, atomically.
//!
//! Files are written under `<lake>/_staging/<snapshot_id>/` and only moved into
//! the tables' folders once every table is complete; the manifest is written
//! last. A run that fails (bad input, full disk) leaves the date exactly as it
//! was before, and one killed mid-publish leaves no manifest, so readers treat
//! the date as incomplete rather than read half of it.

use super::LakeError;
use super::layout::{self, STAGING_DIR, TRASH_DIR};
use super::manifest::{FileEntry, Manifest, TableEntry};
use super::s3::{Lake, S3Lake};
use super::shard::Shard;
use super::upload_folder::UploadFolder;
use crate::model::TableDef;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group: small enough to stream an account at a time without
/// buffering much, large enough for good compression and fast scans. A
/// table's open row group is held in memory, encoded, with its dictionaries:
/// at 131,072 rows the eight snapshot tables held about 49 MB of a 20,000-role
/// snapshot's heap at its peak (heaptrack). At 32,768 the peak RSS is 12 MB
/// lower, the run no slower, and the files 2% smaller, because the
/// dictionaries of the ARN and id columns now fit a row group instead of
/// falling back to plain text part way (#13).
const ROW_GROUP_ROWS: usize = 32 * 1024;

/// A data page's size, at most (the writer's default is 1 MB). Each column
/// grows its page's buffers to this size before compressing them, and those
/// megabyte-sized buffers, freed and allocated anew page after page, had
/// the kernel zeroing fresh memory for about a quarter of the time spent
/// encoding Parquet (perf, #13). Snappy compresses 64 KB blocks whatever
/// the page size, so smaller pages cost nothing in size.
const DATA_PAGE_BYTES: usize = 128 * 1024;

/// A column's dictionary, at most, within a row group, before the rest of it
/// is written plain (the writer's default is 1 MB). Only columns with
/// thousands of distinct long values reach it (role ARNs and ids): past
/// 256 KB their dictionary saves little, and keeping it growing cost
/// memory and hashing time.
///
/// On the 20,000-role benchmark account these two limits together, against
/// the defaults: 5% less wall time, peak RSS 137 → 124 MB, files 0.4% smaller.
const DICTIONARY_PAGE_BYTES: usize = 256 * 1024;

/// Rows per file before a new `part-NNNNN.parquet` is started, so that one
/// huge table becomes several files warehouses can scan in parallel.
const FILE_ROWS: u64 = 4_000_000;

/// The writer properties of `table`'s files.
///
/// Snappy rather than ZSTD: every engine we target (Snowflake, Athena, DuckDB,
/// pyarrow, polars) reads it. `coerce_types` writes the standard list and map
/// names (`list`/`element`, `key_value`) that Athena and Snowflake expect.
/// Columns marked [`Column::without_dictionary`](crate::model::columns::Column::without_dictionary)
/// are written plain, and those marked
/// [`Column::without_statistics`](crate::model::columns::Column::without_statistics)
/// without min/max statistics.
pub fn writer_properties(table: &TableDef) -> WriterProperties {
    table
        .columns
        .iter()
        .fold(WriterProperties::builder(), |mut b, c| {
            if !c.dictionary {
                b = b.set_column_dictionary_enabled(ColumnPath::from(c.name), false);
            }
            if !c.statistics {
                b = b.set_column_statistics_enabled(
                    ColumnPath::from(c.name),
                    EnabledStatistics::None,
                );
            }
            b
        })
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_size_limit(DATA_PAGE_BYTES)
        .set_dictionary_page_size_limit(DICTIONARY_PAGE_BYTES)
        .set_coerce_types(true)
        .set_created_by(format!("iamlake {}", env!("CARGO_PKG_VERSION")))
        .build()
}

struct TableWriter {
    def: TableDef,
    /// Number of the first part file (non-zero for shards).
    first_part: usize,
    /// Staging folder of this table's partition.
    dir: PathBuf,
    writer: Option<ArrowWriter<File>>,
    current: Option<(PathBuf, u64)>,
    files: Vec<FileEntry>,
    rows: u64,
    date: NaiveDate,
}

impl TableWriter {
    fn open_next(&mut self) -> Result<(), LakeError> {
        let name = layout::part_file_name(
            self.first_part + self.files.len() + usize::from(self.current.is_some()),
        );
        let path = self.dir.join(&name);
        let file = File::create(&path).map_err(LakeError::io(&path, "creating"))?;
        let writer =
            ArrowWriter::try_new(file, self.def.schema(), Some(writer_properties(&self.def)))
                .map_err(|source| LakeError::Parquet {
                    path: path.clone(),
                    source,
                })?;
        self.writer = Some(writer);
        self.current = Some((path, 0));
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), LakeError> {
        let (Some(writer), Some((path, rows))) = (self.writer.take(), self.current.take()) else {
            return Ok(());
        };
        writer.close().map_err(|source| LakeError::Parquet {
            path: path.clone(),
            source,
        })?;
        let file = File::open(&path).map_err(LakeError::io(&path, "reopening"))?;
        file.sync_all()
            .map_err(LakeError::io(&path, "flushing to disk"))?;
        let bytes = file
            .metadata()
            .map_err(LakeError::io(&path, "reading size"))?
            .len();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        self.files.push(FileEntry {
            path: format!(
                "{}/{}/{}",
                self.def.name,
                layout::partition_dir_name(self.date),
                name
            ),
            rows,
            bytes,
        });
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), LakeError> {
        if self
            .current
            .as_ref()
            .is_some_and(|(_, rows)| *rows >= FILE_ROWS)
        {
            self.close_current()?;
            self.open_next()?;
        }
        let (Some(writer), Some((path, rows))) = (self.writer.as_mut(), self.current.as_mut())
        else {
            unreachable!("a table writer always has an open file until finish")
        };
        writer.write(batch).map_err(|source| LakeError::Parquet {
            path: path.clone(),
            source,
        })?;
        *rows += batch.num_rows() as u64;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }
}

/// Writes one date's partition of a set of tables.
pub struct PartitionWriter {
    /// The local lake written to: the lake itself, or for an S3 lake a
    /// temporary folder the partition is uploaded from.
    lake: PathBuf,
    /// The S3 lake the partition is published to, if any.
    remote: Option<Arc<S3Lake>>,
    /// Holds the temporary folder of an S3 lake's run until the writer goes.
    _temp: Option<UploadFolder>,
    date: NaiveDate,
    snapshot_id: String,
    staging: PathBuf,
    tables: Vec<TableWriter>,
    shard: Option<Shard>,
    published: bool,
}

impl PartitionWriter {
    /// Starts a partition for `date` in `lake`. Nothing outside
    /// `<lake>/_staging/<snapshot_id>` is touched until [`Self::publish`].
    pub fn create(
        lake: &Path,
        date: NaiveDate,
        snapshot_id: &str,
        tables: &[TableDef],
    ) -> Result<PartitionWriter, LakeError> {
        Self::create_sharded(lake, date, snapshot_id, tables, None)
    }

    /// Starts a partition of a local or S3 lake. For S3 the files are
    /// written to a temporary folder (under `TMPDIR`; see [`UploadFolder`])
    /// and uploaded by [`Self::publish`].
    pub fn create_in(
        lake: &Lake,
        date: NaiveDate,
        snapshot_id: &str,
        tables: &[TableDef],
        shard: Option<Shard>,
    ) -> Result<PartitionWriter, LakeError> {
        match lake {
            Lake::Local(path) => Self::create_sharded(path, date, snapshot_id, tables, shard),
            Lake::S3(remote) => {
                let temp = UploadFolder::create()?;
                let mut w = Self::create_sharded(temp.path(), date, snapshot_id, tables, shard)?;
                w.remote = Some(Arc::clone(remote));
                w._temp = Some(temp);
                Ok(w)
            }
        }
    }

    /// Like [`Self::create`], for one shard's share of the date when `shard`
    /// is given.
    pub fn create_sharded(
        lake: &Path,
        date: NaiveDate,
        snapshot_id: &str,
        tables: &[TableDef],
        shard: Option<Shard>,
    ) -> Result<PartitionWriter, LakeError> {
        let staging = lake.join(STAGING_DIR).join(snapshot_id);
        let mut out = PartitionWriter {
            lake: lake.to_path_buf(),
            remote: None,
            _temp: None,
            date,
            snapshot_id: snapshot_id.to_string(),
            staging: staging.clone(),
            tables: Vec::new(),
            shard,
            published: false,
        };
        for def in tables {
            let dir = staging
                .join(def.name)
                .join(layout::partition_dir_name(date));
            fs::create_dir_all(&dir).map_err(LakeError::io(&dir, "creating folder"))?;
            let mut tw = TableWriter {
                def: *def,
                first_part: shard.map_or(0, |s| s.first_part()),
                dir,
                writer: None,
                current: None,
                files: Vec::new(),
                rows: 0,
                date,
            };
            // Every table gets a file even when it has no rows, so a
            // warehouse sees an empty partition rather than a missing one.
            tw.open_next()?;
            out.tables.push(tw);
        }
        Ok(out)
    }

    /// Appends a batch to a table's partition.
    ///
    /// # Panics
    /// If `table` was not among the tables given to [`Self::create`]: that is
    /// a programming error, not bad input.
    pub fn write(&mut self, table: &str, batch: &RecordBatch) -> Result<(), LakeError> {
        let tw = self
            .tables
            .iter_mut()
            .find(|t| t.def.name == table)
            .unwrap_or_else(|| panic!("table {table} is not part of this partition"));
        if batch.num_rows() == 0 {
            return Ok(());
        }
        tw.write(batch)
    }

    /// Rows written so far to `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.def.name == table)
            .map_or(0, |t| t.rows)
    }

    /// Closes every file, moves the partition into place, then writes the
    /// manifest `manifest(tables)` returns (for an S3 lake: uploads, see
    /// [`super::s3`]). The order is what makes a re-run
    /// safe: the old manifest goes first (the date turns incomplete), the old
    /// folders move to `_trash`, the new ones move in, the new manifest is
    /// written, and only then is the old data deleted.
    pub fn publish(
        mut self,
        manifest: impl FnOnce(BTreeMap<String, TableEntry>) -> Manifest,
    ) -> Result<Manifest, LakeError> {
        // Each table's last row group is encoded and its file flushed to
        // disk side by side: one after the other, they were the tail of a
        // snapshot that left the other core idle (#13). The first table's
        // error, in table order, is the one reported.
        std::thread::scope(|scope| {
            let closing: Vec<_> = self
                .tables
                .iter_mut()
                .map(|tw| scope.spawn(move || tw.close_current()))
                .collect();
            closing
                .into_iter()
                .try_for_each(|c| c.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })?;
        let mut entries = BTreeMap::new();
        for tw in &self.tables {
            entries.insert(
                tw.def.name.to_string(),
                TableEntry {
                    rows: tw.rows,
                    files: tw.files.clone(),
                },
            );
        }
        let mut manifest = manifest(entries);
        if let Some(remote) = self.remote.clone() {
            manifest.shard = self.shard.map(|s| s.to_string());
            let published = remote.publish(&self.staging, &manifest)?;
            self.published = true;
            self.clean_up(&self.lake.join(TRASH_DIR));
            return Ok(published);
        }
        let trash = self.lake.join(TRASH_DIR).join(&self.snapshot_id);
        if let Some(shard) = self.shard {
            manifest.shard = Some(shard.to_string());
            let merged = self.publish_shard(shard, &manifest, &trash)?;
            self.published = true;
            self.clean_up(&trash);
            return Ok(merged.unwrap_or(manifest));
        }

        // A whole-date run supersedes any shard manifests of the date.
        let manifests_dir =
            layout::manifest_path_of(&self.lake, manifest.manifest_kind(), self.date)
                .parent()
                .expect("manifest has a folder")
                .to_path_buf();
        for (name, path) in shard_manifests(&manifests_dir)? {
            fs::create_dir_all(&trash).map_err(LakeError::io(&trash, "creating folder"))?;
            fs::rename(&path, trash.join(name))
                .map_err(LakeError::io(&path, "retiring shard manifest"))?;
        }
        let old_manifest =
            layout::manifest_path_of(&self.lake, manifest.manifest_kind(), self.date);
        if old_manifest.exists() {
            fs::create_dir_all(&trash).map_err(LakeError::io(&trash, "creating folder"))?;
            let to = trash.join("manifest.json");
            fs::rename(&old_manifest, &to)
                .map_err(LakeError::io(&old_manifest, "retiring old manifest"))?;
        }
        for tw in &self.tables {
            let target = layout::partition_dir(&self.lake, tw.def.name, self.date);
            if target.exists() {
                let to = trash.join(tw.def.name);
                fs::create_dir_all(&trash).map_err(LakeError::io(&trash, "creating folder"))?;
                fs::rename(&target, &to)
                    .map_err(LakeError::io(&target, "retiring old partition"))?;
            }
            let parent = target.parent().expect("partition has a table folder");
            fs::create_dir_all(parent).map_err(LakeError::io(parent, "creating folder"))?;
            fs::rename(&tw.dir, &target).map_err(LakeError::io(&target, "publishing partition"))?;
        }
        manifest.write(&self.lake)?;
        self.published = true;
        self.clean_up(&trash);
        Ok(manifest)
    }

    /// Old data and the empty staging folder go only once the new manifest
    /// is in place; failing to delete them loses nothing, so it is not an
    /// error.
    fn clean_up(&self, trash: &Path) {
        let _ = fs::remove_dir_all(trash);
        let _ = fs::remove_dir_all(&self.staging);
        remove_if_empty(&self.lake.join(TRASH_DIR));
        remove_if_empty(&self.lake.join(STAGING_DIR));
    }

    /// Publishes one shard: the date's merged manifest goes first (the date
    /// turns incomplete), this shard's old files and any whole-date files
    /// move to the trash, the new files move in, the shard manifest is
    /// written, and when all N shard manifests are present the merged
    /// manifest is written. Returns the merged manifest when this shard
    /// completed the set.
    fn publish_shard(
        &self,
        shard: Shard,
        manifest: &Manifest,
        trash: &Path,
    ) -> Result<Option<Manifest>, LakeError> {
        let merged_path = layout::manifest_path_of(&self.lake, manifest.manifest_kind(), self.date);
        let dir = merged_path
            .parent()
            .expect("manifest has a folder")
            .to_path_buf();
        let others = shard_manifests(&dir)?;
        if let Some((name, _)) = others
            .iter()
            .find(|(name, _)| !name.ends_with(&format!("-of-{}.json", shard.count)))
        {
            return Err(LakeError::Manifest {
                path: dir.join(name),
                message: format!(
                    "this date was collected with a different shard count than {}; re-run every shard with the same N, or remove the date's shard manifests",
                    shard.count
                ),
            });
        }
        fs::create_dir_all(trash).map_err(LakeError::io(trash, "creating folder"))?;
        if merged_path.exists() {
            fs::rename(&merged_path, trash.join("manifest.json"))
                .map_err(LakeError::io(&merged_path, "retiring old manifest"))?;
        }
        let own = dir.join(shard.manifest_name());
        if own.exists() {
            fs::rename(&own, trash.join(shard.manifest_name()))
                .map_err(LakeError::io(&own, "retiring shard manifest"))?;
        }
        for tw in &self.tables {
            let target = layout::partition_dir(&self.lake, tw.def.name, self.date);
            fs::create_dir_all(&target).map_err(LakeError::io(&target, "creating folder"))?;
            let table_trash = trash.join(tw.def.name);
            for entry in fs::read_dir(&target).map_err(LakeError::io(&target, "listing"))? {
                let path = entry.map_err(LakeError::io(&target, "listing"))?.path();
                let part = path.file_name().and_then(|n| n.to_str()).and_then(|n| {
                    n.strip_prefix("part-")?
                        .strip_suffix(".parquet")?
                        .parse::<usize>()
                        .ok()
                });
                // This shard's files, and files of a whole-date run (below
                // 1000), give way; other shards' files stay.
                if part.is_some_and(|p| p / 1000 == shard.index as usize || p < 1000) {
                    fs::create_dir_all(&table_trash)
                        .map_err(LakeError::io(&table_trash, "creating folder"))?;
                    let to = table_trash.join(path.file_name().expect("a file name"));
                    fs::rename(&path, &to).map_err(LakeError::io(&path, "retiring old file"))?;
                }
            }
            for entry in fs::read_dir(&tw.dir).map_err(LakeError::io(&tw.dir, "listing"))? {
                let path = entry.map_err(LakeError::io(&tw.dir, "listing"))?.path();
                let to = target.join(path.file_name().expect("a file name"));
                fs::rename(&path, &to).map_err(LakeError::io(&to, "publishing file"))?;
            }
        }
        manifest.write_at(&own)?;

        let shards: Vec<Manifest> = shard_manifests(&dir)?
            .into_iter()
            .map(|(_, path)| Manifest::read_at(&path))
            .collect::<Result<_, _>>()?;
        if shards.len() as u32 != shard.count {
            return Ok(None);
        }
        let merged = Manifest::merge_shards(&shards);
        merged.write_at(&merged_path)?;
        Ok(Some(merged))
    }
}

/// The shard manifests (`shard-K-of-N.json`) in a date's manifest folder.
fn shard_manifests(dir: &Path) -> Result<Vec<(String, PathBuf)>, LakeError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(LakeError::io(dir, "listing manifests")(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(LakeError::io(dir, "listing manifests"))?
            .path();
        if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && name.starts_with("shard-")
            && name.ends_with(".json")
        {
            out.push((name.to_string(), path.clone()));
        }
    }
    out.sort();
    Ok(out)
}

impl Drop for PartitionWriter {
    /// A run that never published removes its staging files, so a failed run
    /// leaves no trace beyond what was there before.
    fn drop(&mut self) {
        if !self.published {
            for tw in &mut self.tables {
                tw.writer.take();
            }
            let _ = fs::remove_dir_all(&self.staging);
            remove_if_empty(&self.lake.join(STAGING_DIR));
        }
    }
}

fn remove_if_empty(dir: &Path) {
    // remove_dir only succeeds on an empty folder, which is what we want.
    let _ = fs::remove_dir(dir);
}
