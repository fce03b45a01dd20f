//! Lowering a thread's CPU priority, so that the serial step of a pipeline
//! gets a core whenever it has work (see `snapshot::in_order`).

/// Lowers the calling thread's CPU priority by `steps` (never below 19, the
/// lowest). Best effort: a failure leaves the priority as it was. Only Linux
/// has per-thread priorities; elsewhere this does nothing.
#[cfg(target_os = "linux")]
pub(crate) fn lower_this_thread(steps: i32) {
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
        libc::setpriority(libc::PRIO_PROCESS, tid, (now + steps).min(19));
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn lower_this_thread(_steps: i32) {}
