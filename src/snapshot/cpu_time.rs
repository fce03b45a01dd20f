//! The calling thread's CPU time, for the manifest's `evaluation_seconds`.
//!
//! The snapshot evaluates on every core while a writer thread encodes
//! Parquet, so there are more busy threads than cores: a wall clock around
//! each role's evaluation also counts the time the thread waited for a
//! core, and understated the evaluator's decisions per second per core by
//! up to a half on 2 cores (#13). The thread's own CPU clock counts only
//! the time it ran.

use std::time::Duration;

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
pub(crate) fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a
    // constant that every supported Unix defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return wall_since_start();
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Where the thread CPU clock is not available: the wall clock.
#[cfg(not(unix))]
pub(crate) fn thread_cpu_time() -> Duration {
    wall_since_start()
}

fn wall_since_start() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_work_done_and_not_sleep() {
        let start = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(200));
        let slept = thread_cpu_time() - start;
        let mut x = 0u64;
        let busy_from = thread_cpu_time();
        let wall = std::time::Instant::now();
        while wall.elapsed() < Duration::from_millis(100) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let busy = thread_cpu_time() - busy_from;
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
