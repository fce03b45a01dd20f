//! `iamlake report`: one self-contained HTML page for leadership, from the
//! analyze tables of the lake: risky roles over time by sensitive action,
//! unused permissions and review progress per team, the teams with the most
//! open unused permissions, the newest risky roles, unused roles per team,
//! users and stale keys per account ([`audit`]) and an accounts summary.
//!
//! The page has no script and loads nothing: charts are inline SVG
//! ([`svg`]), styles are inline, and a Content-Security-Policy forbids any
//! fetch. Every string from the lake (role and team names come from tags) is
//! escaped. Only dates with an analyze manifest are read ([`read`]).

pub mod audit;
pub mod html;
pub mod read;
pub mod svg;

use crate::lake::LakeError;
use chrono::NaiveDate;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    /// The lake: a folder or an S3 prefix.
    pub lake: crate::lake::Lake,
    /// The date to report; default the latest date with an analyze manifest.
    pub date: Option<NaiveDate>,
}

/// What can go wrong making the report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No date of the lake has been analyzed.
    #[error(
        "{}: no date has an analyze manifest; run `iamlake analyze --lake {} --date D` first",
        lake.display(),
        lake.display()
    )]
    NoAnalyzedDates { lake: PathBuf },
    /// The date asked for has no analyze manifest.
    #[error(
        "{}: {date} has no analyze manifest (analyzed dates run from {first} to {last}); run `iamlake analyze --date {date}` first",
        lake.display()
    )]
    NotAnalyzed {
        lake: PathBuf,
        date: NaiveDate,
        first: NaiveDate,
        last: NaiveDate,
    },
    /// Reading a table failed (or its manifest does not list it).
    #[error("{}: reading {table} of {date}: {message}", lake.display())]
    Read {
        lake: PathBuf,
        date: NaiveDate,
        table: String,
        message: String,
    },
    /// Listing or reading manifests failed.
    #[error(transparent)]
    Lake(LakeError),
    /// Writing the output failed.
    #[error("{}: {action}: {source}", path.display())]
    Write {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
}

/// Tables are read through [`crate::lake::read`]; its read errors keep the
/// report's own variant, which names the lake, date and table.
impl From<LakeError> for ReportError {
    fn from(e: LakeError) -> Self {
        match e {
            LakeError::Read {
                lake,
                date,
                table,
                message,
            } => ReportError::Read {
                lake,
                date,
                table,
                message,
            },
            other => ReportError::Lake(other),
        }
    }
}

/// A rendered report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The date reported.
    pub date: NaiveDate,
    /// The analyzed dates the trend covers, oldest first.
    pub dates: Vec<NaiveDate>,
    /// The HTML page.
    pub html: String,
}

/// Reads the lake and renders the page.
pub fn build(cfg: &ReportConfig) -> Result<Report, ReportError> {
    let data = read::read(&cfg.lake, cfg.date)?;
    let html = html::page(&data, &cfg.lake.label().display().to_string());
    Ok(Report {
        date: data.date,
        dates: data.dates,
        html,
    })
}

/// The report as one HTML document.
pub fn render(cfg: &ReportConfig) -> Result<String, ReportError> {
    build(cfg).map(|r| r.html)
}

/// Renders the report and writes it to `out` atomically: a temporary file in
/// the same folder, flushed, then renamed over `out`, so a reader never sees
/// half a page. Returns the date reported.
pub fn write(cfg: &ReportConfig, out: &Path) -> Result<NaiveDate, ReportError> {
    let report = build(cfg)?;
    let err = |path: &Path, action: &'static str| {
        let path = path.to_path_buf();
        move |source| ReportError::Write {
            path,
            action,
            source,
        }
    };
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(err(&dir, "creating folder"))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.html".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(err(&tmp, "creating"))?;
        f.write_all(report.html.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(err(&tmp, "writing"))?;
        fs::rename(&tmp, out).map_err(err(out, "replacing"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|_| report.date)
}

#[cfg(test)]
mod tests;
