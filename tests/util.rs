//! Shared harness: run the real binary, locate test data, read lake tables
//! back with the arrow reader.

use arrow::array::{Array, AsArray, RecordBatch, RecordBatchReader};
use arrow::compute::concat_batches;
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The `iamlake` binary under test, run with no config file in scope.
pub fn iamlake() -> Command {
    let mut cmd = Command::cargo_bin("iamlake").expect("binary is built");
    cmd.current_dir(std::env::temp_dir());
    cmd
}

/// A folder under tests/data.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Copies a folder tree (for tests that corrupt a fixture).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Rewrites one JSON file of a (copied) fixture folder in place with `edit`.
pub fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut doc: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    edit(&mut doc);
    fs::write(path, serde_json::to_string(&doc).unwrap()).unwrap();
}

/// The command that runs `snapshot` of `source` into `lake` for `date`.
fn snapshot_cmd(source: &Path, lake: &Path, date: &str) -> Command {
    let mut cmd = iamlake();
    cmd.args(["snapshot", "--quiet", "--date", date])
        .arg("--source")
        .arg(format!("fixtures:{}", source.display()))
        .arg("--lake")
        .arg(lake);
    cmd
}

/// Runs `snapshot` of `source` into `lake` for `date`, asserting success.
pub fn snapshot_ok(source: &Path, lake: &Path, date: &str) {
    snapshot_cmd(source, lake, date).assert().success();
}

/// Runs `snapshot` of `source` into `lake` for `date`, asserting failure;
/// its stderr.
pub fn snapshot_fails(source: &Path, lake: &Path, date: &str) -> String {
    let out = snapshot_cmd(source, lake, date).assert().failure();
    String::from_utf8_lossy(&out.get_output().stderr).to_string()
}

/// Reads one date's partition of a table, all files, as one batch.
pub fn read_table(lake: &Path, table: &str, date: &str) -> RecordBatch {
    let dir = lake.join(table).join(format!("snapshot_date={date}"));
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut batches = Vec::new();
    let mut schema = None;
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&f).unwrap())
            .unwrap()
            .build()
            .unwrap();
        schema = Some(reader.schema());
        for b in reader {
            batches.push(b.unwrap());
        }
    }
    concat_batches(&schema.expect("at least one file"), &batches).unwrap()
}

/// A string column's value at `row` (None for null).
pub fn str_at(batch: &RecordBatch, col: &str, row: usize) -> Option<String> {
    let a = batch
        .column_by_name(col)
        .unwrap_or_else(|| panic!("no column {col}"));
    let a = a.as_string::<i32>();
    (!a.is_null(row)).then(|| a.value(row).to_string())
}

/// Reads the date's manifest as JSON.
pub fn manifest(lake: &Path, date: &str) -> serde_json::Value {
    let p = lake.join(format!("_manifests/snapshot_date={date}/manifest.json"));
    serde_json::from_str(&fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// Every file under `dir` with its bytes, for "nothing changed" checks.
pub fn tree_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// `simulate --json` of the mini organization's `app` role on 2026-10-01;
/// add `--lake`.
pub const SIMULATE_MINI_APP: [&str; 6] = [
    "simulate",
    "--json",
    "--date",
    "2026-10-01",
    "--role",
    "arn:aws:iam::111111111111:role/service-role/app",
];

/// `check-plan` with JSON output on a fixed day; add the plan file.
pub const CHECK_PLAN_JSON: [&str; 6] = [
    "check-plan",
    "--format",
    "json",
    "--today",
    "2026-11-21",
    "--plan",
];

/// Writes an RCP file (describe-policy output with its targets, as the
/// fixtures reader takes them) into `src`'s `organization/rcps/`.
pub fn write_rcp(src: &Path, id: &str, statements: serde_json::Value, targets: &[&str]) {
    let dir = src.join("organization/rcps");
    fs::create_dir_all(&dir).unwrap();
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let file = serde_json::json!({
        "Policy": {
            "PolicySummary": {"Id": id, "Name": id, "Type": "RESOURCE_CONTROL_POLICY"},
            "Content": doc.to_string(),
        },
        "Targets": targets
            .iter()
            .map(|t| serde_json::json!({"TargetId": t, "Type": "ACCOUNT"}))
            .collect::<Vec<_>>(),
    });
    fs::write(dir.join(format!("{id}.json")), file.to_string()).unwrap();
}

/// Writes `src`'s `organization/organization.json` (describe-organization
/// output) naming `management` the management account of `o-example`.
pub fn write_management_account(src: &Path, management: &str) {
    fs::write(
        src.join("organization/organization.json"),
        format!(r#"{{"Organization": {{"Id": "o-example", "MasterAccountId": "{management}"}}}}"#),
    )
    .unwrap()
}
