//! Reading the lake back: only files a manifest lists (a partition without a
//! manifest is never read), lazily with polars for columnar work, or as Arrow
//! record batches where nested columns are needed as they are.

use super::LakeError;
use super::manifest::Manifest;
use super::s3::Lake;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use polars::prelude::*;

fn read_err(lake: &Lake, date: NaiveDate, table: &str, message: impl ToString) -> LakeError {
    LakeError::Read {
        lake: lake.label(),
        date,
        table: table.to_string(),
        message: message.to_string(),
    }
}

fn files<'m>(
    lake: &Lake,
    manifest: &'m Manifest,
    table: &str,
) -> Result<&'m [super::manifest::FileEntry], LakeError> {
    manifest
        .tables
        .get(table)
        .map(|t| t.files.as_slice())
        .ok_or_else(|| {
            read_err(
                lake,
                manifest.snapshot_date,
                table,
                "the manifest lists no such table",
            )
        })
}

/// A lazy polars scan of exactly the files the manifest lists for `table`
/// (on S3: with the credentials aws-config resolved).
pub fn scan_lazy(lake: &Lake, manifest: &Manifest, table: &str) -> Result<LazyFrame, LakeError> {
    let date = manifest.snapshot_date;
    let cloud_options = match lake {
        Lake::Local(_) => None,
        Lake::S3(s3) => Some(s3.polars_options().clone()),
    };
    let args = || ScanArgsParquet {
        cloud_options: cloud_options.clone(),
        // The date comes from the manifest; parsing it again from the path
        // would only add a column nobody reads.
        hive_options: HiveOptions {
            enabled: Some(false),
            ..Default::default()
        },
        ..Default::default()
    };
    let frames = files(lake, manifest, table)?
        .iter()
        .map(|f| LazyFrame::scan_parquet(PlRefPath::new(lake.file(&f.path)), args()))
        .collect::<PolarsResult<Vec<_>>>()
        .map_err(|e| read_err(lake, date, table, e))?;
    concat(frames, UnionArgs::default()).map_err(|e| read_err(lake, date, table, e))
}

/// Collects `columns` of `table` (after an optional filter).
pub fn scan(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    filter: Option<Expr>,
    columns: &[&str],
) -> Result<DataFrame, LakeError> {
    let lf = scan_lazy(lake, manifest, table)?;
    select(lake, manifest, table, lf, filter, columns)
}

/// Collects `columns` of `lf` (after an optional filter).
fn select(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    mut lf: LazyFrame,
    filter: Option<Expr>,
    columns: &[&str],
) -> Result<DataFrame, LakeError> {
    if let Some(f) = filter {
        lf = lf.filter(f);
    }
    lf.select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .collect()
        .map_err(|e| read_err(lake, manifest.snapshot_date, table, e))
}

/// One account's rows of an organization-policy table (`scps` or `rcps`, which share
/// their columns): (level, policy id, document text), in file order. None when the
/// snapshot wrote no file of `table` (it predates the table, or no account had any).
pub fn org_policies(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    account: &str,
) -> Result<Vec<(i32, String, String)>, LakeError> {
    if manifest
        .tables
        .get(table)
        .is_none_or(|t| t.files.is_empty())
    {
        return Ok(Vec::new());
    }
    let df = scan(
        lake,
        manifest,
        table,
        Some(col("account_id").eq(lit(account))),
        &["level", "policy_id", "document"],
    )?;
    let err = frame_err(lake, manifest.snapshot_date, table);
    let levels: Vec<Option<i32>> = df
        .column("level")
        .and_then(|c| c.i32().map(|a| a.iter().collect()))
        .map_err(&err)?;
    let ids = strs(&df, "policy_id").map_err(&err)?;
    let docs = strs(&df, "document").map_err(&err)?;
    Ok(levels
        .into_iter()
        .zip(ids)
        .zip(docs)
        .filter_map(|((level, id), doc)| Some((level?, id?, doc?)))
        .collect())
}

/// As [`scan`], keeping only roles' rows of a table that holds roles' and
/// users' (`role_policies`, `simulations`, `last_accessed`: see
/// [`crate::model::principal`]). Files written before `principal_type`
/// existed hold roles only and are read whole.
pub fn scan_roles(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    filter: Option<Expr>,
    columns: &[&str],
) -> Result<DataFrame, LakeError> {
    let lf = scan_lazy(lake, manifest, table)?;
    let name = crate::model::principal::COLUMN.name;
    let roles = has_column(lake, manifest, table, name)?.then(|| {
        col(name)
            .is_null()
            .or(col(name).eq(lit(crate::model::principal::PrincipalType::Role.as_str())))
    });
    let filter = match (filter, roles) {
        (Some(f), Some(r)) => Some(f.and(r)),
        (f, r) => f.or(r),
    };
    select(lake, manifest, table, lf, filter, columns)
}

/// Whether the files of `table` on the manifest's date have `column` (a
/// column added after they were written is absent).
pub fn has_column(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
    column: &str,
) -> Result<bool, LakeError> {
    Ok(scan_lazy(lake, manifest, table)?
        .collect_schema()
        .map_err(|e| read_err(lake, manifest.snapshot_date, table, e))?
        .contains(column))
}

/// Every record batch of `table`, read with the Arrow reader (keeps nested
/// columns such as `matched_statements` as Arrow lists of structs).
pub fn batches(
    lake: &Lake,
    manifest: &Manifest,
    table: &str,
) -> Result<Vec<RecordBatch>, LakeError> {
    let date = manifest.snapshot_date;
    let mut out = Vec::new();
    for f in files(lake, manifest, table)? {
        let reader = match lake {
            Lake::Local(root) => {
                let path = root.join(&f.path);
                let file = std::fs::File::open(&path).map_err(LakeError::io(&path, "opening"))?;
                ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build())
            }
            Lake::S3(s3) => {
                let bytes = s3.get(&f.path)?.ok_or_else(|| {
                    read_err(
                        lake,
                        date,
                        table,
                        format!("{} is listed but missing", f.path),
                    )
                })?;
                ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
                    .and_then(|b| b.build())
            }
        }
        .map_err(|e| read_err(lake, date, table, e))?;
        for batch in reader {
            out.push(batch.map_err(|e| read_err(lake, date, table, e))?);
        }
    }
    Ok(out)
}

/// A text column as owned values.
pub fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A list-of-text column as owned lists (a null list reads as empty).
pub fn str_lists(df: &DataFrame, name: &str) -> PolarsResult<Vec<Vec<String>>> {
    let list = df.column(name)?.list()?;
    let mut out = Vec::with_capacity(df.height());
    for entry in list.series_iter() {
        out.push(match entry {
            Some(items) => items.str()?.iter().flatten().map(str::to_string).collect(),
            None => Vec::new(),
        });
    }
    Ok(out)
}

/// A microsecond timestamp column as microseconds since the epoch.
pub fn timestamps(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
    let col = df.column(name)?;
    match col.dtype() {
        DataType::Datetime(TimeUnit::Microseconds, _) => {
            Ok(col.datetime()?.physical().iter().collect())
        }
        other => Err(PolarsError::SchemaMismatch(
            format!("column {name} is {other}, expected a microsecond timestamp").into(),
        )),
    }
}

/// A date column as days since the epoch.
pub fn dates(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
    Ok(df.column(name)?.date()?.physical().iter().collect())
}

/// Converts a polars error on a collected frame into a lake error.
pub fn frame_err(lake: &Lake, date: NaiveDate, table: &str) -> impl Fn(PolarsError) -> LakeError {
    let lake = lake.clone();
    let table = table.to_string();
    move |e| read_err(&lake, date, &table, e)
}
