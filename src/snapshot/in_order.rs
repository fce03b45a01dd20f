//! Numbered jobs run on the rayon pool a few at a time, their results handed
//! back in number order on the calling thread.
//!
//! Why: an account's roles were evaluated a chunk at a time, each chunk a
//! parallel pass the calling thread waited for before it read the next
//! chunk's text and merged and sent the last one's rows. Those steps left a
//! core idle at every chunk's end (about an eighth of a 20,000-role
//! snapshot's wall time, #13). Here the pool always has the next jobs
//! queued while the caller merges and sends, and the window bounds how many
//! jobs' results are in memory at once.
//!
//! The jobs run on a pool of their own whose threads run at a slightly lower
//! CPU priority than the rest of the process (see
//! [`BELOW_SERIAL_WORK`](crate::priority::BELOW_SERIAL_WORK)).

use crate::priority::lower_this_thread;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Once, mpsc};

/// Starts rayon's global pool, the evaluating threads (one per core, as by
/// default), each lowered by
/// [`BELOW_SERIAL_WORK`](crate::priority::BELOW_SERIAL_WORK) as it starts. Nothing else
/// in iamlake uses that pool (polars has its own). If it was started
/// already, it is used as it is.
fn start_evaluators() {
    static START: Once = Once::new();
    START.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("iamlake-eval-{i}"))
            .start_handler(|_| lower_this_thread())
            .build_global();
    });
}

/// Runs `job(0)`, `job(1)`, … `job(count - 1)` on the rayon pool, at most
/// `window` started and not yet delivered at any time, and hands each result
/// to `deliver` in job order on this thread.
///
/// The first error `deliver` returns stops the run: no further job starts,
/// the jobs already started finish (their results are dropped), and that
/// error is returned. A job that panics makes this panic with its payload
/// once every started job is done, as a `rayon::scope` would.
pub(super) fn run<T, E>(
    count: usize,
    window: usize,
    job: impl Fn(usize) -> T + Sync,
    mut deliver: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E>
where
    T: Send,
{
    let window = window.max(1);
    let (tx, rx) = mpsc::channel::<(usize, std::thread::Result<T>)>();
    let job = &job;
    start_evaluators();
    rayon::in_place_scope(|scope| {
        // Results that came back before an earlier job's: slot `i` holds
        // job `delivered + i`.
        let mut early: VecDeque<Option<std::thread::Result<T>>> = VecDeque::new();
        let (mut started, mut delivered) = (0, 0);
        while delivered < count {
            while started < count && started < delivered + window {
                let (tx, index) = (tx.clone(), started);
                scope.spawn(move |_| {
                    let result = panic::catch_unwind(AssertUnwindSafe(|| job(index)));
                    // The receiver outlives the scope: a send cannot fail.
                    let _ = tx.send((index, result));
                });
                started += 1;
            }
            // The next job to deliver may already be back; wait otherwise.
            while early.front().is_none_or(Option::is_none) {
                let (index, result) = rx.recv().expect("this thread holds a sender");
                let slot = index - delivered;
                if early.len() <= slot {
                    early.resize_with(slot + 1, || None);
                }
                early[slot] = Some(result);
            }
            let result = early
                .pop_front()
                .flatten()
                .expect("the loop above waited for it");
            delivered += 1;
            let value = result.unwrap_or_else(|payload| panic::resume_unwind(payload));
            deliver(value)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_come_back_in_job_order_whatever_order_the_jobs_end_in() {
        let mut seen = Vec::new();
        run(
            40,
            6,
            |i| {
                // Earlier jobs sleep longer, so later ones end first.
                std::thread::sleep(Duration::from_micros(((40 - i) * 50) as u64));
                i * 10
            },
            |v| {
                seen.push(v);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..40).map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_than_the_window_is_started_and_undelivered() {
        let (started, delivered) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let most = AtomicUsize::new(0);
        run(
            100,
            3,
            |_| {
                let ahead =
                    started.fetch_add(1, Ordering::SeqCst) + 1 - delivered.load(Ordering::SeqCst);
                most.fetch_max(ahead, Ordering::SeqCst);
            },
            |()| {
                delivered.fetch_add(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(started.load(Ordering::SeqCst), 100);
        assert!(most.load(Ordering::SeqCst) <= 3, "{most:?}");
    }

    #[test]
    fn the_first_error_stops_the_run_and_no_job_starts_after_it() {
        let started = AtomicUsize::new(0);
        let mut delivered = Vec::new();
        let result = run(
            1000,
            4,
            |i| {
                started.fetch_add(1, Ordering::SeqCst);
                i
            },
            |i| {
                if i == 7 {
                    return Err(format!("job {i}"));
                }
                delivered.push(i);
                Ok(())
            },
        );
        assert_eq!(result, Err("job 7".to_string()));
        assert_eq!(delivered, (0..7).collect::<Vec<_>>());
        // Jobs 0..=7 plus at most the window's worth begun after job 7.
        assert!(started.load(Ordering::SeqCst) <= 8 + 4, "{started:?}");
    }

    #[test]
    fn a_job_that_panics_panics_the_caller_with_its_message() {
        let caught = panic::catch_unwind(|| {
            run(
                10,
                2,
                |i| {
                    if i == 4 {
                        panic!("job four broke");
                    }
                    i
                },
                |_| Ok::<(), ()>(()),
            )
        });
        let payload = caught.expect_err("the job's panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"job four broke"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn jobs_run_below_the_calling_threads_priority() {
        fn nice() -> i32 {
            // SAFETY: reads this thread's priority.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
        }
        let caller = nice();
        let mut seen = Vec::new();
        run(
            4,
            2,
            |_| nice(),
            |n| {
                seen.push(n);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        let expected = (caller + crate::priority::BELOW_SERIAL_WORK).min(19);
        assert!(
            seen.iter().all(|&n| n == expected),
            "{seen:?}, caller {caller}"
        );
    }

    #[test]
    fn no_jobs_deliver_nothing() {
        let mut calls = 0;
        run(
            0,
            4,
            |i| i,
            |_| {
                calls += 1;
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(calls, 0);
    }
}
