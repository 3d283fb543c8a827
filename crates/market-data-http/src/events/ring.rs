//! [`Ring`]: a market's latest events, kept for clients that reconnect.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most events kept whatever the retention: a bound on memory should a market change
/// without pause.
const MAX_KEPT: usize = 100_000;

/// One event as it goes out: its sequence number in its hub, its SSE `event:` name and its
/// `data:` line.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) seq: u64,
    pub(crate) kind: &'static str,
    pub(crate) data: String,
    at: Instant,
}

impl Sent {
    pub(crate) fn new(seq: u64, kind: &'static str, data: String) -> Self {
        Self {
            seq,
            kind,
            data,
            at: Instant::now(),
        }
    }
}

/// The events of the last `retention`, and the last `kept` whatever their age.
pub(crate) struct Ring {
    events: VecDeque<Arc<Sent>>,
    retention: Duration,
    kept: usize,
}

impl Ring {
    pub(crate) fn new(retention: Duration, kept: usize) -> Self {
        Self {
            events: VecDeque::new(),
            retention,
            kept,
        }
    }

    pub(crate) fn push(&mut self, event: Arc<Sent>) {
        self.events.push_back(event);
        self.trim();
    }

    /// Forgets what is past the retention beyond the last `kept`.
    pub(crate) fn trim(&mut self) {
        while let Some(oldest) = self.events.front() {
            let old = oldest.at.elapsed() > self.retention && self.events.len() > self.kept;
            if !old && self.events.len() <= MAX_KEPT {
                break;
            }
            self.events.pop_front();
        }
    }

    /// The events after the one numbered `seq`, when every one of them is still kept
    /// (`last` is the number of the latest event sent); `None` when some are forgotten, or
    /// `seq` was never sent.
    pub(crate) fn after(&self, seq: u64, last: u64) -> Option<Vec<Arc<Sent>>> {
        if seq > last {
            return None;
        }
        if seq == last {
            return Some(Vec::new());
        }
        let first = self.events.front()?.seq;
        if first > seq + 1 {
            return None;
        }
        Some(
            self.events
                .iter()
                .filter(|e| e.seq > seq)
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring_of(n: u64, kept: usize) -> Ring {
        let mut ring = Ring::new(Duration::ZERO, kept);
        for seq in 1..=n {
            ring.push(Arc::new(Sent::new(seq, "listed", String::new())));
        }
        ring
    }

    #[test]
    fn replays_what_followed_while_it_is_kept() {
        let ring = ring_of(10, 4);
        let seqs = |v: Vec<Arc<Sent>>| v.iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(ring.after(10, 10).map(seqs), Some(vec![]));
        assert_eq!(ring.after(6, 10).map(seqs), Some(vec![7, 8, 9, 10]));
        assert_eq!(ring.after(8, 10).map(seqs), Some(vec![9, 10]));
        // 6 is forgotten: the client cannot continue after 5.
        assert!(ring.after(5, 10).is_none());
        assert!(ring.after(11, 10).is_none());
    }

    #[test]
    fn keeps_the_retention_even_past_the_count() {
        let mut ring = Ring::new(Duration::from_secs(3600), 2);
        for seq in 1..=5 {
            ring.push(Arc::new(Sent::new(seq, "listed", String::new())));
        }
        assert_eq!(ring.after(0, 5).map(|v| v.len()), Some(5));
    }
}
