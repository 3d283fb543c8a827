//! The printer of `market-data watch`: lines written to stdout from a thread of its own, at
//! most [`MAX_QUEUED`] bytes of them waiting.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

/// The most bytes of lines waiting for stdout: some ten thousand change lines, more than
/// any one list change brings (a market lists a few hundred instruments), so that a reader
/// that keeps up loses nothing to a burst; and a bound on what one that stopped reading
/// costs in memory.
pub(crate) const MAX_QUEUED: usize = 1 << 20;

/// Writes lines to stdout from a thread of its own, each flushed as it comes (a watch is
/// usually read through a pipe). A reader that stops reading blocks that thread only: the
/// watch still stops on a signal, and the process exits without waiting for it.
pub(crate) struct Printer {
    pub(crate) lines: Lines,
    /// How the thread ended: stdout failed, or the lines ran out.
    pub(crate) ended: oneshot::Receiver<io::Result<()>>,
}

/// Where lines go to the printer's thread; dropping it ends the thread once it wrote them.
pub(crate) struct Lines {
    send: mpsc::Sender<String>,
    /// The bytes sent and not yet written.
    queued: Arc<AtomicUsize>,
}

/// A line refused: the bytes waiting would exceed [`MAX_QUEUED`].
#[derive(Debug)]
pub(crate) struct Full;

impl Printer {
    pub(crate) fn start() -> io::Result<Self> {
        let (send, queue) = mpsc::channel::<String>();
        let (report, ended) = oneshot::channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let written = queued.clone();
        std::thread::Builder::new()
            .name("stdout".to_owned())
            .spawn(move || {
                let mut out = io::stdout().lock();
                let outcome = queue.iter().try_for_each(|line| {
                    out.write_all(line.as_bytes())?;
                    out.flush()?;
                    written.fetch_sub(line.len(), Ordering::SeqCst);
                    Ok(())
                });
                let _ = report.send(outcome);
            })?;
        Ok(Self {
            lines: Lines { send, queued },
            ended,
        })
    }
}

impl Lines {
    /// Queues `line` unless the bytes waiting would then exceed [`MAX_QUEUED`]. A line
    /// the printer no longer takes (its thread ended) is dropped: the watch learns of the
    /// end from [`Printer::ended`].
    pub(crate) fn send(&self, line: String) -> Result<(), Full> {
        let len = line.len();
        let room = self
            .queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                let total = queued.checked_add(len)?;
                // A line longer than the bound on its own still goes out on an empty queue.
                (queued == 0 || total <= MAX_QUEUED).then_some(total)
            });
        if room.is_err() {
            return Err(Full);
        }
        if self.send.send(line).is_err() {
            self.queued.fetch_sub(len, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The bytes sent and not yet written.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }
}
