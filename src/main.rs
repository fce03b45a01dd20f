//! The `iamlake` binary: parse the command line, run it, report errors.

use clap::Parser;
use std::process::ExitCode;

// See Cargo.toml: allocation-heavy snapshots of large accounts run markedly
// faster on mimalloc than on glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = iamlake::cli::Cli::parse();
    match iamlake::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole chain: "snapshot failed: <file>: <field>: <why>".
            eprintln!("error: {err:#}");
            ExitCode::from(iamlake::app::EXIT_FAILED)
        }
    }
}
