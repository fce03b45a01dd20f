//! Live collection from AWS: the organization's accounts and SCPs, every
//! role's authorization details and Access Advisor data, turned into the
//! same [`aws_json`](crate::source::aws_json) shapes the fixtures reader
//! produces, so the snapshot pipeline has one code path. See docs/LIVE.md.
//!
//! - [`config`]: [`AwsConfig`], validation, the one client builder and the
//!   one retry policy;
//! - [`counters`]: per-operation API call counters and the retry classifier;
//! - [`pages`]: pagination as a tested state machine;
//! - [`org`]: accounts and SCP layers; [`creds`]: member-role credentials;
//! - [`collect`]: per-account collection, Access Advisor, progress;
//! - [`convert`]: SDK types → `aws_json` types;
//! - [`simulator`]: parity mode, AWS's policy simulator per role.

pub mod collect;
pub mod config;
pub mod convert;
pub mod counters;
pub mod creds;
pub mod errors;
pub mod org;
pub mod pages;
pub mod simulator;

pub use collect::{
    AccountFailure, AccountResult, AccountStats, CollectError, JobOutcome, LiveAccountData,
    LiveCollector, Progress, ProgressFn, RunSummary, Stage, Tally, drive, run_blocking,
};
pub use config::{AwsConfig, ConfigError};
pub use counters::{ApiCounters, OpCounts};
pub use org::{LiveAccount, LiveScp};

#[cfg(test)]
mod emulator_tests;
