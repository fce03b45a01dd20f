//! Where roles come from: a folder of AWS CLI/API output ("fixtures"), read
//! by [`fixtures`], or the live organization, read by [`aws`]; both produce
//! the shapes in [`aws_json`].

pub mod aws;
pub mod aws_json;
pub mod credential_report;
pub mod fixtures;
pub mod policy_doc;
pub mod role_list;

pub use fixtures::{FixtureSource, SourceError};

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A `--source` argument, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// `fixtures:DIR`: a folder in AWS's own output shapes (see docs/FIXTURES.md).
    Fixtures(PathBuf),
    /// `aws`: the live organization (see docs/LIVE.md).
    Aws,
}

impl FromStr for SourceSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "aws" {
            return Ok(SourceSpec::Aws);
        }
        match s.split_once(':') {
            Some(("fixtures", dir)) if !dir.is_empty() => Ok(SourceSpec::Fixtures(dir.into())),
            _ => Err(format!(
                "unknown source {s:?}: expected fixtures:DIR or aws"
            )),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Fixtures(dir) => write!(f, "fixtures:{}", dir.display()),
            SourceSpec::Aws => write!(f, "aws"),
        }
    }
}
