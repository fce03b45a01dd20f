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
/// - Freed pages go back to the system after 250 ms rather than 10 s (and
///   at once from there, not after another 10 s): the snapshot frees each
///   chunk's rows once they are written, and a 20,000-role account kept
///   about 10 MB of them resident (153 → 144 MB) at no cost in time; 100 ms
///   held 140 MB but was 3% slower (#13).
/// - Not transparent huge pages (`thp:always`): run back to back, a 20,000-role
///   snapshot took 4–5% less CPU with them (26,000 page faults became 7,500),
///   but run after a few idle seconds, as a nightly job is, it took 6% more
///   wall time and 30% more system time, zeroing 2 MB pages it barely used
///   (#13). Longer decays (1 s, 5 s) made no difference after idle either.
/// - One background thread returns those pages, rather than whichever
///   thread happens to free memory when the decay is due: the snapshot's
///   threads stop paying for `madvise` and the TLB flushes it sends to the
///   other core. 1.5–3% less wall time on a 20,000-role account, back to
///   back and after idle alike (#13), for 2–4 MB more peak RSS.
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8] = b"percpu_arena:percpu,dirty_decay_ms:250,muzzy_decay_ms:0,background_thread:true,max_background_threads:1\0";

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
