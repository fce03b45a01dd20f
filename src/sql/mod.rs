//! Warehouse DDL generated from the lake's table definitions: Snowflake external tables and Athena tables with partition projection.
//!
//! Everything here is a pure function of [`crate::model::all_tables`] and a
//! lake location (`s3://bucket/prefix`), so the DDL always matches the files
//! the writer produces. `iamlake sql` prints or writes [`files`]; the copies
//! committed under `sql/<dialect>/` are generated for [`DEFAULT_LOCATION`] and
//! a test keeps them byte-identical. The hand-written views next to them
//! (`sql/<dialect>/queries/`) are not generated. docs/WAREHOUSE.md explains
//! the set-up and every difference between the two dialects.

use crate::model::TableDef;
use crate::model::columns::{ColType, Column};
use std::fmt::Write;

/// The location the committed files under `sql/` are generated for.
pub const DEFAULT_LOCATION: &str = "s3://YOUR-BUCKET/iamlake";

/// The file [`files`] puts the DDL in, relative to `sql/<dialect>/`.
pub const TABLES_FILE: &str = "tables.sql";

/// First date partition projection enumerates on Athena (a lake has no
/// earlier partition: iamlake did not exist before).
pub const PROJECTION_START: &str = "2020-01-01";

/// A warehouse the DDL is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Snowflake external tables over an external stage.
    Snowflake,
    /// Amazon Athena (engine v3) tables with partition projection.
    Athena,
}

impl Dialect {
    /// Every dialect, in the order the docs list them.
    pub const ALL: [Dialect; 2] = [Dialect::Snowflake, Dialect::Athena];

    /// Lower-case name, also the folder under `sql/`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Snowflake => "snowflake",
            Dialect::Athena => "athena",
        }
    }

    /// The dialect with this [`Dialect::name`].
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Checks a lake location before DDL is generated for it: an `s3://` URL with
/// a bucket, and no character that would need quoting inside a SQL string
/// literal or a Snowflake stage URL.
pub fn check_location(location: &str) -> Result<(), String> {
    let Some(rest) = location.strip_prefix("s3://") else {
        return Err(format!("{location}: the location must start with s3://"));
    };
    let bucket = rest.split('/').next().unwrap_or_default();
    if bucket.is_empty() {
        return Err(format!("{location}: the location has no bucket"));
    }
    if let Some(c) = location.chars().find(|c| {
        matches!(c, '\'' | '\\' | '"' | '$' | '{' | '}') || c.is_whitespace() || c.is_control()
    }) {
        return Err(format!("{location}: the location may not contain {c:?}"));
    }
    Ok(())
}

/// The fields of one entry of a snapshot manifest's `accounts`.
pub const MANIFEST_ACCOUNT: &[Column] = &[
    Column::required("account_id", ColType::Utf8, "12-digit AWS account id."),
    Column::optional(
        "account_name",
        ColType::Utf8,
        "Account name from AWS Organizations (kept for failed accounts).",
    ),
    Column::optional(
        "ou_path",
        ColType::Utf8,
        "The account's place in the organization, root first (r-.../ou-.../...), when known.",
    ),
    Column::required("status", ColType::Utf8, "ok | failed."),
    Column::optional(
        "reason",
        ColType::Utf8,
        "Why collection failed (null when ok).",
    ),
    Column::required("roles", ColType::Int64, "Roles collected."),
    Column::required(
        "roles_without_last_accessed",
        ColType::Int64,
        "Roles whose Access Advisor data could not be collected.",
    ),
];

const MANIFEST_COMMON: [Column; 9] = [
    Column::required("tool", ColType::Utf8, "Always iamlake."),
    Column::required("kind", ColType::Utf8, "snapshot | analyze."),
    Column::required(
        "tool_version",
        ColType::Utf8,
        "Version of iamlake that wrote the date.",
    ),
    Column::required(
        "schema_version",
        ColType::Int64,
        "Schema version of the date's files (see docs/LAKE.md).",
    ),
    Column::required(
        "snapshot_id",
        ColType::Utf8,
        "Id of the run, new for every run.",
    ),
    Column::required("source", ColType::Utf8, "Where the run read from."),
    Column::required(
        "started_at",
        ColType::Utf8,
        "Start of the run, RFC 3339 text in UTC.",
    ),
    Column::required(
        "finished_at",
        ColType::Utf8,
        "End of the run, RFC 3339 text in UTC.",
    ),
    Column::required("status", ColType::Utf8, "complete | partial."),
];

const SENSITIVE_ACTIONS: Column = Column::required(
    "sensitive_actions",
    ColType::List(&ColType::Utf8),
    "The sensitive actions the run evaluated on any resource.",
);

const SNAPSHOT_MANIFEST_COLUMNS: &[Column] = &[
    MANIFEST_COMMON[0],
    MANIFEST_COMMON[1],
    MANIFEST_COMMON[2],
    MANIFEST_COMMON[3],
    MANIFEST_COMMON[4],
    MANIFEST_COMMON[5],
    MANIFEST_COMMON[6],
    MANIFEST_COMMON[7],
    MANIFEST_COMMON[8],
    SENSITIVE_ACTIONS,
    Column::required(
        "accounts",
        ColType::List(&ColType::Struct(MANIFEST_ACCOUNT)),
        "Per account: whether collection succeeded, why not, and how many roles it holds.",
    ),
];

const ANALYZE_MANIFEST_COLUMNS: &[Column] = &[
    MANIFEST_COMMON[0],
    MANIFEST_COMMON[1],
    MANIFEST_COMMON[2],
    MANIFEST_COMMON[3],
    MANIFEST_COMMON[4],
    MANIFEST_COMMON[5],
    MANIFEST_COMMON[6],
    MANIFEST_COMMON[7],
    MANIFEST_COMMON[8],
    SENSITIVE_ACTIONS,
];

/// The snapshot manifests (`_manifests/snapshot_date=D/manifest.json`) as a
/// table: one row per complete snapshot date. Only the fields the queries
/// need are declared; the rest of the JSON is ignored.
pub const SNAPSHOT_MANIFESTS: TableDef = TableDef {
    name: "snapshot_manifests",
    doc: "One row per snapshot manifest (_manifests/snapshot_date=D/manifest.json): a date is complete only when it has one.",
    columns: SNAPSHOT_MANIFEST_COLUMNS,
};

/// The analyze manifests (`_manifests/analyze/snapshot_date=D/manifest.json`).
pub const ANALYZE_MANIFESTS: TableDef = TableDef {
    name: "analyze_manifests",
    doc: "One row per analyze manifest (_manifests/analyze/snapshot_date=D/manifest.json): the analyze tables of a date are complete only when it has one.",
    columns: ANALYZE_MANIFEST_COLUMNS,
};

/// Where a warehouse table's files live and how they are encoded.
#[derive(Debug, Clone, Copy)]
struct Source {
    table: TableDef,
    /// Folder under the lake holding the `snapshot_date=D/` folders.
    folder: &'static str,
    /// Parquet data files, or the JSON manifests.
    json: bool,
}

/// Every table the DDL declares: the lake's tables, then the manifests.
fn sources() -> Vec<Source> {
    let mut out: Vec<Source> = crate::model::all_tables()
        .map(|table| Source {
            table,
            folder: table.name,
            json: false,
        })
        .collect();
    out.push(Source {
        table: SNAPSHOT_MANIFESTS,
        folder: "_manifests",
        json: true,
    });
    out.push(Source {
        table: ANALYZE_MANIFESTS,
        folder: "_manifests/analyze",
        json: true,
    });
    out
}

const PARTITION_DOC: &str = "The snapshot date, from the folder name (snapshot_date=YYYY-MM-DD).";

/// Athena's spelling of a column type.
pub fn athena_type(ty: &ColType) -> String {
    match ty {
        ColType::Utf8 => "string".into(),
        ColType::Int32 => "int".into(),
        ColType::Int64 => "bigint".into(),
        ColType::Float64 => "double".into(),
        ColType::Boolean => "boolean".into(),
        ColType::Date => "date".into(),
        ColType::Timestamp => "timestamp".into(),
        ColType::List(inner) => format!("array<{}>", athena_type(inner)),
        ColType::Utf8Map => "map<string,string>".into(),
        ColType::Struct(cols) => {
            let fields: Vec<String> = cols
                .iter()
                .map(|c| format!("{}:{}", c.name, athena_type(&c.ty)))
                .collect();
            format!("struct<{}>", fields.join(","))
        }
    }
}

/// Snowflake's type for a column of an external table. Timestamps are
/// `TIMESTAMP_TZ(6)`: with `USE_LOGICAL_TYPE = TRUE` the Parquet scanner
/// yields instants (UTC-adjusted micros), and a cast to `TIMESTAMP_TZ` keeps
/// the instant whatever the session's `TIMEZONE`. Nested types stay
/// semi-structured: lists are `ARRAY`, structs and maps `OBJECT`.
pub fn snowflake_type(ty: &ColType) -> &'static str {
    match ty {
        ColType::Utf8 => "VARCHAR",
        ColType::Int32 => "NUMBER(10,0)",
        ColType::Int64 => "NUMBER(19,0)",
        ColType::Float64 => "FLOAT",
        ColType::Boolean => "BOOLEAN",
        ColType::Date => "DATE",
        ColType::Timestamp => "TIMESTAMP_TZ(6)",
        ColType::List(_) => "ARRAY",
        ColType::Utf8Map | ColType::Struct(_) => "OBJECT",
    }
}

/// Snowflake reserved words that occur as column names; they are written
/// quoted in upper case (the form an unquoted name resolves to), so queries
/// write them as `"ACCOUNT"`.
const SNOWFLAKE_RESERVED: &[&str] = &[
    "account",
    "all",
    "column",
    "current",
    "database",
    "increment",
    "issue",
    "order",
    "organization",
    "row",
    "rows",
    "sample",
    "schema",
    "start",
    "table",
    "values",
    "view",
];

/// A column name as Snowflake DDL and queries write it.
pub fn snowflake_ident(name: &str) -> String {
    if SNOWFLAKE_RESERVED.contains(&name) {
        format!("\"{}\"", name.to_uppercase())
    } else {
        name.to_string()
    }
}

/// The expression an external-table column reads from the row's `VALUE`.
pub fn snowflake_expr(col: &Column) -> String {
    format!("value:{}::{}", col.name, snowflake_type(&col.ty))
}

/// The partition expression: the date between `snapshot_date=` and the next
/// `/` of the file's path.
pub const SNOWFLAKE_SNAPSHOT_DATE: &str =
    "TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'snapshot_date=', 2), '/', 1))";

fn snowflake_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn athena_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn base(location: &str) -> &str {
    location.trim_end_matches('/')
}

/// The complete DDL file for a dialect and lake location: every lake table
/// plus the two manifest tables.
pub fn ddl(dialect: Dialect, location: &str) -> String {
    match dialect {
        Dialect::Snowflake => snowflake_ddl(location),
        Dialect::Athena => athena_ddl(location),
    }
}

/// The files `iamlake sql` writes under `sql/<dialect>/`: relative path and
/// content. One file, [`TABLES_FILE`], holding [`ddl`].
pub fn files(dialect: Dialect, location: &str) -> Vec<(String, String)> {
    vec![(TABLES_FILE.to_string(), ddl(dialect, location))]
}

fn header(out: &mut String, dialect: Dialect, location: &str) {
    let _ = writeln!(
        out,
        "-- iamlake warehouse tables for {} over the lake at {}/",
        match dialect {
            Dialect::Snowflake => "Snowflake",
            Dialect::Athena => "Amazon Athena",
        },
        base(location)
    );
    let _ = writeln!(
        out,
        "-- Generated from src/model by `iamlake sql --dialect {} --location {}`;",
        dialect.name(),
        base(location)
    );
    let _ = writeln!(
        out,
        "-- do not edit by hand. Schema version {}. Set-up: docs/WAREHOUSE.md.",
        crate::model::SCHEMA_VERSION
    );
}

fn snowflake_ddl(location: &str) -> String {
    let url = format!("{}/", base(location));
    let mut out = String::new();
    header(&mut out, Dialect::Snowflake, location);
    out.push_str(
        "--
-- Run in the database and schema that should hold the tables (USE SCHEMA ...).
-- Prerequisite, once per account (ACCOUNTADMIN): a storage integration the
-- stage uses to read the bucket, e.g.
--   CREATE STORAGE INTEGRATION iamlake_s3 TYPE = EXTERNAL_STAGE
--     STORAGE_PROVIDER = 'S3' ENABLED = TRUE
--     STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::<aws-account>:role/<snowflake-reader>'
",
    );
    let _ = writeln!(
        out,
        "--     STORAGE_ALLOWED_LOCATIONS = ({});",
        snowflake_string(&url)
    );
    out.push_str(
        "-- then DESC INTEGRATION iamlake_s3 and trust its IAM user in the role.
--
-- AUTO_REFRESH is FALSE: after every `iamlake snapshot` / `analyze` run,
--   ALTER EXTERNAL TABLE <table> REFRESH;
-- or set AUTO_REFRESH = TRUE and point the bucket's S3 event notifications at
-- the SQS queue shown in SHOW EXTERNAL TABLES (column notification_channel).

-- Timestamps are Parquet TIMESTAMP_MICROS adjusted to UTC; USE_LOGICAL_TYPE
-- makes the scanner read them as instants, so ::TIMESTAMP_TZ keeps the instant
-- whatever the session TIMEZONE.
CREATE FILE FORMAT IF NOT EXISTS iamlake_parquet
    TYPE = PARQUET
    USE_LOGICAL_TYPE = TRUE
    COMMENT = 'iamlake lake files: Snappy Parquet, timestamps as UTC micros';

-- The manifests are pretty-printed JSON documents, one per file.
CREATE FILE FORMAT IF NOT EXISTS iamlake_json
    TYPE = JSON
    COMMENT = 'iamlake manifests';

",
    );
    let _ = writeln!(
        out,
        "CREATE STAGE IF NOT EXISTS iamlake_lake\n    URL = {}\n    STORAGE_INTEGRATION = iamlake_s3\n    COMMENT = 'The iamlake lake root';",
        snowflake_string(&url)
    );
    for src in sources() {
        out.push('\n');
        snowflake_table(&mut out, &src);
    }
    out
}

fn snowflake_table(out: &mut String, src: &Source) {
    let t = &src.table;
    let _ = writeln!(out, "-- {}: {}", t.name, t.doc);
    let _ = writeln!(out, "CREATE OR REPLACE EXTERNAL TABLE {} (", t.name);
    let _ = writeln!(
        out,
        "    snapshot_date DATE AS ({SNOWFLAKE_SNAPSHOT_DATE}), -- {PARTITION_DOC}"
    );
    for (i, c) in t.columns.iter().enumerate() {
        let comma = if i + 1 == t.columns.len() { "" } else { "," };
        let _ = writeln!(
            out,
            "    {} {} AS ({}){comma} -- {}",
            snowflake_ident(c.name),
            snowflake_type(&c.ty),
            snowflake_expr(c),
            c.doc
        );
    }
    out.push_str(")\nPARTITION BY (snapshot_date)\n");
    let _ = writeln!(out, "LOCATION = @iamlake_lake/{}/", src.folder);
    let (pattern, format) = if src.json {
        (
            format!(
                ".*{}/snapshot_date=[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}/manifest[.]json",
                src.folder
            ),
            "iamlake_json",
        )
    } else {
        (
            ".*/snapshot_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/part-[0-9]+[.]parquet".to_string(),
            "iamlake_parquet",
        )
    };
    let _ = writeln!(out, "PATTERN = {}", snowflake_string(&pattern));
    let _ = writeln!(out, "FILE_FORMAT = (FORMAT_NAME = '{format}')");
    out.push_str("AUTO_REFRESH = FALSE\n");
    let _ = writeln!(out, "COMMENT = {};", snowflake_string(t.doc));
}

fn athena_ddl(location: &str) -> String {
    let mut out = String::new();
    header(&mut out, Dialect::Athena, location);
    out.push_str(
        "--
-- Athena runs one statement per query: run them one by one (or split on the
-- blank lines), with the database iamlake selected for the tables.
-- Partition projection computes the partitions from snapshot_date, so there
-- is no MSCK REPAIR TABLE or ALTER TABLE ADD PARTITION: a new date is
-- queryable as soon as its files are in S3. A date without files reads as
-- empty. To change a table's columns, DROP TABLE it and run its CREATE again
-- (the data in S3 is untouched).

CREATE DATABASE IF NOT EXISTS iamlake
COMMENT 'iamlake: AWS IAM roles, their grants and unused permissions, per day';
",
    );
    for src in sources() {
        out.push('\n');
        athena_table(&mut out, &src, location);
    }
    out
}

fn athena_table(out: &mut String, src: &Source, location: &str) {
    let t = &src.table;
    let table_location = format!("{}/{}/", base(location), src.folder);
    if src.json {
        out.push_str("-- Amazon Ion is a superset of JSON and, unlike the JSON SerDes, reads\n-- pretty-printed documents that span lines: hence STORED AS ION.\n");
    }
    let _ = writeln!(out, "CREATE EXTERNAL TABLE IF NOT EXISTS {} (", t.name);
    for (i, c) in t.columns.iter().enumerate() {
        let comma = if i + 1 == t.columns.len() { "" } else { "," };
        let _ = writeln!(
            out,
            "  `{}` {} COMMENT {}{comma}",
            c.name,
            athena_type(&c.ty),
            athena_string(c.doc)
        );
    }
    out.push_str(")\n");
    let _ = writeln!(out, "COMMENT {}", athena_string(t.doc));
    let _ = writeln!(
        out,
        "PARTITIONED BY (`snapshot_date` string COMMENT {})",
        athena_string(PARTITION_DOC)
    );
    if src.json {
        out.push_str("STORED AS ION\n");
    } else {
        out.push_str("STORED AS PARQUET\n");
    }
    let _ = writeln!(out, "LOCATION {}", athena_string(&table_location));
    out.push_str("TBLPROPERTIES (\n");
    let props = [
        ("projection.enabled", "true".to_string()),
        ("projection.snapshot_date.type", "date".to_string()),
        ("projection.snapshot_date.format", "yyyy-MM-dd".to_string()),
        (
            "projection.snapshot_date.range",
            format!("{PROJECTION_START},NOW"),
        ),
        ("projection.snapshot_date.interval", "1".to_string()),
        ("projection.snapshot_date.interval.unit", "DAYS".to_string()),
        (
            "storage.location.template",
            format!("{table_location}snapshot_date=${{snapshot_date}}/"),
        ),
    ];
    for (i, (k, v)) in props.iter().enumerate() {
        let comma = if i + 1 == props.len() { "" } else { "," };
        let _ = writeln!(out, "  {} = {}{comma}", athena_string(k), athena_string(v));
    }
    out.push_str(");\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{all_tables, simulations, summaries};

    #[test]
    fn athena_types_cover_every_col_type() {
        assert_eq!(athena_type(&ColType::Utf8), "string");
        assert_eq!(athena_type(&ColType::Int32), "int");
        assert_eq!(athena_type(&ColType::Int64), "bigint");
        assert_eq!(athena_type(&ColType::Float64), "double");
        assert_eq!(athena_type(&ColType::Boolean), "boolean");
        assert_eq!(athena_type(&ColType::Date), "date");
        assert_eq!(athena_type(&ColType::Timestamp), "timestamp");
        assert_eq!(athena_type(&ColType::List(&ColType::Utf8)), "array<string>");
        assert_eq!(athena_type(&ColType::Utf8Map), "map<string,string>");
        assert_eq!(
            athena_type(&ColType::List(&ColType::Struct(summaries::RISK_BY_ACTION))),
            "array<struct<action:string,allowed:int,conditionally_allowed:int>>"
        );
        assert_eq!(
            athena_type(&ColType::List(&ColType::Struct(
                simulations::MATCHED_STATEMENT
            ))),
            "array<struct<policy_id:string,layer:string,statement_index:int,sid:string,effect:string,conditional:boolean>>"
        );
    }

    #[test]
    fn snowflake_types_cover_every_col_type() {
        assert_eq!(snowflake_type(&ColType::Utf8), "VARCHAR");
        assert_eq!(snowflake_type(&ColType::Int32), "NUMBER(10,0)");
        assert_eq!(snowflake_type(&ColType::Int64), "NUMBER(19,0)");
        assert_eq!(snowflake_type(&ColType::Float64), "FLOAT");
        assert_eq!(snowflake_type(&ColType::Boolean), "BOOLEAN");
        assert_eq!(snowflake_type(&ColType::Date), "DATE");
        assert_eq!(snowflake_type(&ColType::Timestamp), "TIMESTAMP_TZ(6)");
        assert_eq!(snowflake_type(&ColType::List(&ColType::Utf8)), "ARRAY");
        assert_eq!(snowflake_type(&ColType::Utf8Map), "OBJECT");
        assert_eq!(
            snowflake_type(&ColType::Struct(summaries::RISK_BY_ACTION)),
            "OBJECT"
        );
    }

    #[test]
    fn snowflake_columns_read_the_value_and_quote_reserved_words() {
        let c = Column::optional("last_used_at", ColType::Timestamp, "x");
        assert_eq!(snowflake_expr(&c), "value:last_used_at::TIMESTAMP_TZ(6)");
        assert_eq!(snowflake_ident("account"), "\"ACCOUNT\"");
        assert_eq!(snowflake_ident("account_id"), "account_id");
        let ddl = ddl(Dialect::Snowflake, DEFAULT_LOCATION);
        assert!(ddl.contains("    \"ACCOUNT\" VARCHAR AS (value:account::VARCHAR),"));
    }

    #[test]
    fn every_table_and_column_is_declared_in_both_dialects() {
        let sf = ddl(Dialect::Snowflake, DEFAULT_LOCATION);
        let athena = ddl(Dialect::Athena, DEFAULT_LOCATION);
        for t in all_tables().chain([SNAPSHOT_MANIFESTS, ANALYZE_MANIFESTS]) {
            assert!(sf.contains(&format!("CREATE OR REPLACE EXTERNAL TABLE {} (\n", t.name)));
            assert!(athena.contains(&format!(
                "CREATE EXTERNAL TABLE IF NOT EXISTS {} (\n",
                t.name
            )));
            for c in t.columns {
                assert!(
                    athena.contains(&format!("  `{}` {} COMMENT ", c.name, athena_type(&c.ty))),
                    "{}.{}",
                    t.name,
                    c.name
                );
                assert!(
                    sf.contains(&format!("AS ({})", snowflake_expr(c))),
                    "{}.{}",
                    t.name,
                    c.name
                );
            }
        }
        assert_eq!(sf.matches("PARTITION BY (snapshot_date)").count(), 15);
        assert_eq!(
            athena
                .matches("'projection.snapshot_date.type' = 'date'")
                .count(),
            15
        );
    }

    #[test]
    fn athena_locations_and_projection_follow_the_lake_layout() {
        let athena = ddl(Dialect::Athena, "s3://b/p/");
        assert!(athena.contains("LOCATION 's3://b/p/roles/'\n"));
        assert!(athena.contains(
            "'storage.location.template' = 's3://b/p/roles/snapshot_date=${snapshot_date}/'"
        ));
        assert!(athena.contains("LOCATION 's3://b/p/_manifests/analyze/'\n"));
        assert!(athena.contains("'projection.snapshot_date.range' = '2020-01-01,NOW'"));
        // Hive string literals escape quotes with a backslash.
        assert!(athena.contains("The snapshot\\'s decision"));
        let sf = ddl(Dialect::Snowflake, "s3://b/p");
        assert!(sf.contains("URL = 's3://b/p/'\n"));
        assert!(sf.contains("LOCATION = @iamlake_lake/_manifests/analyze/\n"));
        assert!(sf.contains("analyze reads only the previous date''s ledger."));
    }

    #[test]
    fn files_hold_the_ddl_and_the_location_is_normalized() {
        for d in Dialect::ALL {
            assert_eq!(Dialect::from_name(d.name()), Some(d));
            let f = files(d, "s3://b/p");
            assert_eq!(f, vec![(TABLES_FILE.to_string(), ddl(d, "s3://b/p/"))]);
        }
        assert_eq!(Dialect::from_name("bigquery"), None);
    }

    #[test]
    fn locations_are_checked() {
        assert!(check_location(DEFAULT_LOCATION).is_ok());
        assert!(check_location("s3://bucket").is_ok());
        assert!(check_location("/tmp/lake").is_err());
        assert!(check_location("s3://").is_err());
        assert!(check_location("s3://b/it's").is_err());
        assert!(check_location("s3://b/a b").is_err());
    }
}
