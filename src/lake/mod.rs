//! The lake on disk: where each table's partitions and each date's manifest
//! live ([`layout`]), writing a date's partition atomically ([`writer`]), the
//! manifest that marks a date complete ([`manifest`]), the lint that keeps
//! files readable by Snowflake and Athena ([`lint`]), reading back
//! ([`read`]) and lakes on S3 ([`s3`], staged in an [`upload_folder`]).

pub mod layout;
pub mod lint;
pub mod manifest;
pub mod read;
pub mod s3;
pub mod shard;
pub mod upload_folder;
pub mod writer;

pub use s3::{Lake, LakeLocation};
use std::io;
use std::path::PathBuf;

/// What can go wrong writing or reading the lake.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// A file or folder operation failed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// Writing Parquet failed.
    #[error("{}: writing Parquet: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A table of a complete partition could not be read.
    #[error("lake {}: reading {table} of {date}: {message}", lake.display())]
    Read {
        lake: PathBuf,
        date: chrono::NaiveDate,
        table: String,
        message: String,
    },
    /// An S3 request of an S3 lake failed.
    #[error("{uri}: {action}: {message}")]
    S3 {
        uri: String,
        action: &'static str,
        message: String,
    },
    /// A manifest could not be parsed.
    #[error("{}: not a valid manifest: {message}", path.display())]
    Manifest { path: PathBuf, message: String },
}

/// A new run's id: its start time (UTC, microseconds) and process id, so a
/// re-run of the same date gets a different one and staging folders of runs
/// in parallel never collide.
pub fn new_run_id(started_at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}-{:x}",
        started_at.format("%Y%m%dT%H%M%S%.6fZ"),
        std::process::id()
    )
}

impl LakeError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(io::Error) -> LakeError {
        let path = path.into();
        move |source| LakeError::Io {
            path,
            action,
            source,
        }
    }
}
