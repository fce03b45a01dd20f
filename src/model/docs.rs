//! Generates docs/LAKE.md from the table definitions, so the documented
//! schema is the written schema (a test compares the committed file).

use super::columns::{ColType, Column};
use super::{ANALYZE_TABLES, SCHEMA_VERSION, SNAPSHOT_TABLES, TableDef};
use std::fmt::Write;

/// The type as written in the docs: Athena's spelling (it reads well),
/// with the timestamp's unit and zone spelled out.
pub fn type_name(ty: &ColType) -> String {
    match ty {
        ColType::Timestamp => "timestamp (µs, UTC)".into(),
        other => crate::sql::athena_type(other),
    }
}

fn table_section(out: &mut String, t: &TableDef) {
    let _ = writeln!(out, "### `{}`\n\n{}\n", t.name, t.doc);
    let _ = writeln!(
        out,
        "| column | type | null | meaning |\n| --- | --- | --- | --- |"
    );
    for c in t.columns {
        row(out, c);
    }
    let _ = writeln!(
        out,
        "| snapshot_date | string (partition, YYYY-MM-DD) | no | The snapshot date, from the folder name. |\n"
    );
}

fn row(out: &mut String, c: &Column) {
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} |",
        c.name,
        type_name(&c.ty).replace('|', "\\|"),
        if c.nullable { "yes" } else { "no" },
        c.doc.replace('|', "\\|")
    );
}

/// The whole of docs/LAKE.md.
pub fn lake_markdown() -> String {
    let mut out = String::new();
    out.push_str(include_str!("lake_intro.md"));
    let _ = writeln!(out, "\n## Tables (schema version {SCHEMA_VERSION})\n");
    out.push_str("Generated from `src/model/` by `iamlake docs lake`; do not edit by hand.\n\n");
    out.push_str("Written by `snapshot`:\n\n");
    for t in SNAPSHOT_TABLES {
        table_section(&mut out, &t);
    }
    out.push_str("Written by `analyze` (manifest at `_manifests/analyze/snapshot_date=D/manifest.json`):\n\n");
    for t in ANALYZE_TABLES {
        table_section(&mut out, &t);
    }
    out.trim_end().to_string() + "\n"
}
