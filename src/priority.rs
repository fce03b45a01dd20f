//! Lowering a thread's CPU priority, so that the serial step of a pipeline
//! gets a core whenever it has work (see `snapshot::in_order`).

/// How much lower (in `nice` steps) a thread that feeds or runs beside a
/// pipeline's serial step runs than the process.
///
/// Why: a snapshot is a pipeline, the evaluating threads feeding one
/// writing thread (Parquet encoding, about a third of the work). With one
/// evaluating thread per core, the writer shares the cores with them; on
/// two cores a fair scheduler gives it two-thirds of one, barely what it
/// needs, so it fell behind, the window filled, the evaluators stopped,
/// and a core sat idle while the writer caught up: about a tenth of a
/// 20,000-role snapshot's wall time (#13). At five steps lower the writer
/// gets a core whenever it has work, and the evaluators take what is left.
/// The same holds before the first role: the index of the authorization
/// details is serial, the service model and `roles.json` load beside it.
/// Background threads of databases are lowered the same way (RocksDB's
/// `LowerThreadPoolCPUPriority`).
pub(crate) const BELOW_SERIAL_WORK: i32 = 5;

/// Lowers the calling thread's CPU priority by [`BELOW_SERIAL_WORK`] (never
/// below 19, the lowest). Best effort: a failure leaves the priority as it
/// was. Only Linux has per-thread priorities; elsewhere this does nothing.
#[cfg(target_os = "linux")]
pub(crate) fn lower_this_thread() {
    // SAFETY: plain system calls on this thread's own id. On Linux `nice`
    // is per thread, so PRIO_PROCESS with a thread id changes only it.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        // -1 is also a valid priority: errno tells them apart.
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if now == -1 && *libc::__errno_location() != 0 {
            return;
        }
        libc::setpriority(libc::PRIO_PROCESS, tid, (now + BELOW_SERIAL_WORK).min(19));
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn lower_this_thread() {}
