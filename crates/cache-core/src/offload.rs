//! Where the typed layer's large encodes and decodes run: off the async runtime's threads, on
//! threads that yield the CPU to them.
//!
//! tokio's blocking pool would take the work off the runtime, but its threads run at the
//! runtime's own priority: on a machine with as many busy threads as cores, the kernel then
//! shares each core between a worker and a codec thread by time slice, and a task waits a
//! slice or more (milliseconds) for its worker to come back. So on a multi-thread runtime
//! the work goes to a few threads of this crate's own, which lower their priority once when
//! they start (to the lowest, nice 19, on Linux): a runtime worker that wakes takes the core
//! from them at once. An unprivileged thread cannot raise its priority again, which is why
//! these threads are not tokio's: its blocking pool runs other work (file I/O, DNS) that must
//! not be slowed.
//!
//! What a codec thread is given to work on (a copy, the bytes to decode, the bytes to
//! compress) goes back to its caller with the result, to be freed on a runtime thread rather
//! than a codec thread. glibc frees memory
//! into the arena of the thread that allocated it, under that arena's lock: a codec thread
//! freeing a runtime thread's memory holds that thread's lock, and at the lowest priority it
//! may be taken off its core while it does, leaving the runtime thread to wait for it. (What
//! the caller gets from a decode, and the sealed bytes of a large encode, were allocated on a
//! codec thread and are freed into its arena wherever they are dropped; nothing in this crate
//! can change that.)
//!
//! On a current-thread runtime the work stays on tokio's blocking pool: that is where tokio's
//! paused test clock looks for work in progress before it jumps ahead, and such a runtime has
//! one thread to keep a core for, which the kernel shares fairly enough.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::oneshot;

/// Why work handed off came back without its result.
pub(crate) enum Lost {
    /// It panicked; the payload, to resume the panic with.
    Panicked(Box<dyn Any + Send>),
    /// It never ran: the runtime shut down first.
    Cancelled,
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panicked(_) => f.write_str("the codec work panicked"),
            Self::Cancelled => f.write_str("the codec work was cancelled"),
        }
    }
}

impl From<tokio::task::JoinError> for Lost {
    fn from(error: tokio::task::JoinError) -> Self {
        if error.is_panic() {
            Self::Panicked(error.into_panic())
        } else {
            Self::Cancelled
        }
    }
}

impl From<Lost> for Box<dyn std::error::Error + Send + Sync> {
    fn from(lost: Lost) -> Self {
        lost.to_string().into()
    }
}

/// Runs `work` off the runtime's threads (see the module's docs) and returns its result.
pub(crate) async fn offload<R>(work: impl FnOnce() -> R + Send + 'static) -> Result<R, Lost>
where
    R: Send + 'static,
{
    if let Ok(handle) = Handle::try_current()
        && handle.runtime_flavor() == RuntimeFlavor::CurrentThread
    {
        return Ok(tokio::task::spawn_blocking(work).await?);
    }
    let (send, receive) = oneshot::channel();
    pool().submit(Box::new(move || {
        // A caller that stopped waiting wants no result: the work is skipped.
        if send.is_closed() {
            return;
        }
        let _ = send.send(catch_unwind(AssertUnwindSafe(work)));
    }));
    match receive.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(Lost::Panicked(panic)),
        // Only a pool whose every thread failed to start drops work unrun.
        Err(_) => Err(Lost::Cancelled),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The codec threads, one per core: at their priority they take only what the rest of the
/// process leaves, so more would only queue behind one another.
struct Pool {
    jobs: Sender<Job>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        for n in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("cache-codec-{n}"))
                .spawn(move || run(&queue));
            if let Err(error) = spawned {
                tracing::warn!(%error, "a codec thread did not start");
            }
        }
        Pool { jobs }
    })
}

impl Pool {
    fn submit(&self, job: Job) {
        // Fails only when no thread holds the queue; the job is dropped and its caller told.
        let _ = self.jobs.send(job);
    }
}

fn run(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // Jobs catch their own panics, so the lock is never poisoned by one.
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Lowers the calling thread's CPU priority to the lowest nice value. On Linux a thread has a
/// nice value of its own, set through its thread id; elsewhere the call would set the whole
/// process's, so the threads keep the process's priority there.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(error) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), LOWEST_PRIORITY)
    {
        tracing::debug!(%error, "a codec thread kept its priority");
    }
}

#[cfg(target_os = "linux")]
const LOWEST_PRIORITY: i32 = 19;
