//! The calling thread's CPU time, for the manifest's `evaluation_seconds`.
//!
//! The snapshot evaluates on every core while a writer thread encodes
//! Parquet, so there are more busy threads than cores: a wall clock around
//! each role's evaluation also counts the time the thread waited for a
//! core, and understated the evaluator's decisions per second per core by
//! up to a half on 2 cores (#13). The thread's own CPU clock counts only
//! the time it ran.

use std::time::{Duration, Instant};

/// Runs `f`, adding to `total` the CPU time the calling thread spent in it
/// (the wall time where the thread CPU clock cannot be read: one clock for
/// both ends of an interval).
pub(crate) fn add_cpu_time<T>(total: &mut Duration, f: impl FnOnce() -> T) -> T {
    let wall = Instant::now();
    let start = thread_cpu_time();
    let out = f();
    *total += match (start, thread_cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    out
}

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a
    // constant that every supported Unix defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_work_done_and_not_sleep() {
        let mut slept = Duration::ZERO;
        add_cpu_time(&mut slept, || {
            std::thread::sleep(Duration::from_millis(200))
        });
        let mut busy = Duration::ZERO;
        add_cpu_time(&mut busy, || {
            let mut x = 0u64;
            let wall = Instant::now();
            while wall.elapsed() < Duration::from_millis(100) {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        });
        assert!(
            slept < Duration::from_millis(100),
            "sleeping counted {slept:?}"
        );
        assert!(
            busy > Duration::from_millis(20),
            "work counted only {busy:?}"
        );
    }
}
