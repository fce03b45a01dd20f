//! Checks a lake against the conventions Snowflake and Athena need, which
//! DuckDB and pyarrow do not enforce (they read all of these happily):
//! lower_snake_case names, microsecond UTC timestamps with the legacy
//! TIMESTAMP_MICROS annotation, no unsigned integers, no INT96, and nothing
//! but Parquet inside a table's folder (Athena reads every file under a
//! table's location).

use super::LakeError;
use super::layout::{self, PARTITION_KEY};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use std::fmt;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// One thing wrong with one file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintIssue {
    pub path: PathBuf,
    pub problem: String,
}

impl fmt::Display for LintIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

/// Lints every table folder under `lake` and every Parquet file in them.
pub fn lint_lake(lake: &Path) -> Result<Vec<LintIssue>, LakeError> {
    let mut issues = Vec::new();
    for table in sorted_entries(lake)? {
        let name = file_name(&table);
        if !table.is_dir() || layout::is_internal_dir(&name) {
            continue;
        }
        if !is_lower_snake(&name) {
            issues.push(issue(
                &table,
                format!("table folder name {name:?} is not lower_snake_case"),
            ));
        }
        for part in sorted_entries(&table)? {
            let part_name = file_name(&part);
            if !part.is_dir() || layout::parse_partition_dir_name(&part_name).is_none() {
                issues.push(issue(
                    &part,
                    format!("only {PARTITION_KEY}=YYYY-MM-DD folders may sit in a table folder"),
                ));
                continue;
            }
            for file in sorted_entries(&part)? {
                let fname = file_name(&file);
                if file.is_dir() || !fname.ends_with(".parquet") || fname.starts_with(['.', '_']) {
                    issues.push(issue(
                        &file,
                        "not a Parquet data file: Athena would read it as table data".to_string(),
                    ));
                    continue;
                }
                issues.extend(lint_parquet_file(&file)?);
            }
        }
    }
    Ok(issues)
}

/// Lints one Parquet file's schema.
pub fn lint_parquet_file(path: &Path) -> Result<Vec<LintIssue>, LakeError> {
    let file = File::open(path).map_err(LakeError::io(path, "opening"))?;
    let reader = SerializedFileReader::new(file).map_err(|source| LakeError::Parquet {
        path: path.to_path_buf(),
        source,
    })?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let mut issues = Vec::new();
    for col in schema.columns() {
        let parts = col.path().parts();
        let dotted = parts.join(".");
        if parts.first().is_some_and(|p| p == PARTITION_KEY) {
            issues.push(issue(
                path,
                format!(
                    "column {dotted} repeats the partition key; engines disagree on which wins"
                ),
            ));
        }
        for part in parts {
            if !is_lower_snake(part) {
                issues.push(issue(
                    path,
                    format!("column {dotted}: name {part:?} is not lower_snake_case"),
                ));
            }
        }
        if col.physical_type() == PhysicalType::INT96 {
            issues.push(issue(
                path,
                format!("column {dotted}: INT96 timestamp (write microsecond timestamps)"),
            ));
        }
        match col.logical_type_ref() {
            Some(LogicalType::Timestamp(t)) => {
                if t.unit != TimeUnit::MICROS {
                    issues.push(issue(
                        path,
                        format!(
                            "column {dotted}: timestamp unit is {:?}, not microseconds",
                            t.unit
                        ),
                    ));
                }
                if !t.is_adjusted_to_u_t_c {
                    issues.push(issue(
                        path,
                        format!(
                            "column {dotted}: timestamp has no time zone (not adjusted to UTC)"
                        ),
                    ));
                }
                if col.converted_type() != ConvertedType::TIMESTAMP_MICROS {
                    issues.push(issue(
                        path,
                        format!("column {dotted}: timestamp lacks the TIMESTAMP_MICROS annotation Snowflake reads"),
                    ));
                }
            }
            Some(LogicalType::Integer(i)) if !i.is_signed => {
                issues.push(issue(
                    path,
                    format!("column {dotted}: unsigned {}-bit integer", i.bit_width),
                ));
            }
            _ => {}
        }
        if matches!(
            col.converted_type(),
            ConvertedType::UINT_8
                | ConvertedType::UINT_16
                | ConvertedType::UINT_32
                | ConvertedType::UINT_64
        ) {
            issues.push(issue(
                path,
                format!("column {dotted}: unsigned integer annotation"),
            ));
        }
    }
    issues.dedup();
    Ok(issues)
}

/// `^[a-z][a-z0-9_]*$`: what both Snowflake (unquoted) and Athena accept
/// without case surprises.
pub fn is_lower_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn issue(path: &Path, problem: String) -> LintIssue {
    LintIssue {
        path: path.to_path_buf(),
        problem,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LakeError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(LakeError::io(dir, "listing"))? {
        out.push(entry.map_err(LakeError::io(dir, "listing"))?.path());
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, TimestampNanosecondArray, UInt32Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use std::sync::Arc;

    fn write(path: &Path, fields: Vec<Field>, cols: Vec<ArrayRef>) {
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
        let mut w =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn flags_what_warehouses_reject() {
        let lake = tempfile::tempdir().unwrap();
        let part = lake.path().join("roles/snapshot_date=2026-01-01");
        fs::create_dir_all(&part).unwrap();
        let ns = Arc::new(TimestampNanosecondArray::from(vec![1]).with_timezone("UTC")) as ArrayRef;
        let naive = Arc::new(arrow::array::TimestampMicrosecondArray::from(vec![1])) as ArrayRef;
        write(
            &part.join("part-00000.parquet"),
            vec![
                Field::new("NanoTs", ns.data_type().clone(), false),
                Field::new("naive_ts", naive.data_type().clone(), false),
                Field::new("count", DataType::UInt32, false),
            ],
            vec![ns, naive, Arc::new(UInt32Array::from(vec![1]))],
        );
        fs::write(part.join("_SUCCESS"), "").unwrap();
        fs::write(lake.path().join("roles/notes.txt"), "").unwrap();
        let found: Vec<String> = lint_lake(lake.path())
            .unwrap()
            .iter()
            .map(|i| i.problem.clone())
            .collect();
        let has = |s: &str| found.iter().any(|p| p.contains(s));
        assert!(has("\"NanoTs\" is not lower_snake_case"), "{found:#?}");
        assert!(has("NanoTs: timestamp unit is NANOS"), "{found:#?}");
        assert!(has("naive_ts: timestamp has no time zone"), "{found:#?}");
        assert!(has("count: unsigned 32-bit integer"), "{found:#?}");
        assert!(has("not a Parquet data file"), "{found:#?}");
        assert!(has("only snapshot_date=YYYY-MM-DD folders"), "{found:#?}");
    }

    #[test]
    fn snake_case_rule() {
        assert!(is_lower_snake("role_id2"));
        assert!(
            !is_lower_snake("RoleId")
                && !is_lower_snake("_x")
                && !is_lower_snake("a-b")
                && !is_lower_snake("")
        );
    }
}
