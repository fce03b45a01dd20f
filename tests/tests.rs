//! All integration tests, built as one binary (one link instead of many on a
//! 2-core CI machine). Each topic lives in its own file.

mod util;

mod analyze;
mod bad_input;
mod cli;
mod live;
mod plan_lake;
mod s3;
mod snapshot;
mod users;
