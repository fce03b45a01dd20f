//! iamlake: snapshot every AWS IAM role of an organization into a
//! hive-partitioned Parquet lake, evaluate sensitive grants locally, and
//! analyze unused permissions, owners, reviews and trends from the lake.
//!
//! Start at [`app::run`] for what each command does; [`model`] defines the
//! lake's tables, [`source`] reads roles, [`eval`] decides, [`lake`] writes.

pub mod analyze;
pub mod app;
pub mod cli;
pub mod config;
pub mod eval;
pub mod generate;
pub mod lake;
pub mod model;
pub mod parity;
pub mod plan;
mod priority;
pub mod report;
pub mod simulate;
pub mod snapshot;
pub mod source;
pub mod sql;
