//! The `iamlake` binary: parse the command line, run it, report errors.

use clap::Parser;
use std::process::ExitCode;

// See Cargo.toml: allocation-heavy snapshots of large accounts run markedly
// faster on jemalloc than on glibc malloc, in less memory than on mimalloc.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`. `_RJEM_MALLOC_CONF` in the
/// environment still overrides them.
/// - One arena per CPU rather than jemalloc's four: the snapshot's threads
///   are one per core, and every arena holds freed pages of its own, so four
///   per core multiplied the resident memory of a large account for no speed
///   (#13).
/// - Freed pages go back to the system after 1 s rather than 10 s (and at
///   once from there, not after another 10 s): the snapshot frees each
///   chunk's rows once they are written, and a 20,000-role account kept
///   about 10 MB of them resident at 10 s (#13).
/// - The heap asks for transparent huge pages (`thp:always`; a system with
///   THP off ignores it). The snapshot's heap is mostly short-lived rows,
///   freshly faulted in 4 KB at a time: 26,000 page faults, about a fifth
///   of its system time, on the 20,000-role benchmark account. With huge
///   pages it takes 7,500, and 4–5% less CPU in alternating runs (0.98 →
///   0.93 s), for 7–10 MB more peak RSS (100 → 108 MB). Huge pages alone
///   freed at 250 ms gave nothing on 50 accounts of 2,000 roles, where
///   jemalloc gave them back and faulted them in again account after
///   account; at 1 s that run is 3% faster (5.41 → 5.26 s CPU, 104 MB).
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8] =
    b"percpu_arena:percpu,thp:always,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

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
