//! What the probe counts: its poll gaps, how long the writers' polls ran, and what the
//! virtual machine's host took from its CPUs meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Poll gaps counted by the microsecond, in memory touched before the probe starts: a probe
/// that grew a list of its gaps took page faults for it (a hundred MB in 3 s), on a virtual
/// machine each a trip to the host, and saw its own stalls among ours.
pub(crate) struct Gaps {
    /// `counts[i]`: gaps of `i` µs; the last bucket holds every longer one.
    counts: Vec<u64>,
    pub(crate) max: Duration,
}

impl Gaps {
    const BUCKETS: usize = 100_000;

    pub(crate) fn new() -> Self {
        // Written, not only allocated, so that its pages are the process's before it counts.
        let mut counts = vec![u64::MAX; Self::BUCKETS];
        counts.fill(0);
        Self {
            counts,
            max: Duration::ZERO,
        }
    }

    pub(crate) fn record(&mut self, gap: Duration) {
        let micros = usize::try_from(gap.as_micros()).unwrap_or(usize::MAX);
        self.counts[micros.min(Self::BUCKETS - 1)] += 1;
        self.max = self.max.max(gap);
    }

    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The gap at quantile `q`, to the microsecond below.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        let rank = ((self.total().saturating_sub(1)) as f64 * q) as u64;
        let mut seen = 0;
        for (micros, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen > rank {
                return Duration::from_micros(micros as u64);
            }
        }
        self.max
    }

    /// How many gaps were longer than `floor` (a whole number of microseconds).
    pub(crate) fn over(&self, floor: Duration) -> u64 {
        let from = usize::try_from(floor.as_micros()).unwrap_or(usize::MAX) + 1;
        self.counts.get(from..).map_or(0, |tail| tail.iter().sum())
    }
}

/// A future whose every poll is timed: how long it ran on a runtime thread between two of its
/// `.await`s, which is what holds up the tasks queued behind it.
pub(crate) struct Timed<F> {
    inner: Pin<Box<F>>,
    polls: Polls,
    /// Polls are counted while this is set: while the probe runs, past the writers' first
    /// polls (which start the codec threads).
    counting: Arc<AtomicBool>,
}

/// The polls of a [`Timed`] future.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Polls {
    pub(crate) longest: Duration,
    /// The CPU time of the longest poll: shorter when its thread was off its core meanwhile.
    pub(crate) longest_on_cpu: Duration,
    /// The most CPU time any one poll took.
    pub(crate) most_cpu: Duration,
    /// Polls longer than [`Polls::LONG`].
    pub(crate) long: u64,
    /// Polls that took more than [`Polls::LONG`] of CPU time.
    pub(crate) long_on_cpu: u64,
    /// `cpu[i]`: polls that took `i` to `i + 1` steps of [`Polls::STEP`] of CPU time; the last
    /// bucket holds every longer one.
    cpu: [u32; Polls::BUCKETS],
}

impl Default for Polls {
    fn default() -> Self {
        Self {
            longest: Duration::ZERO,
            longest_on_cpu: Duration::ZERO,
            most_cpu: Duration::ZERO,
            long: 0,
            long_on_cpu: 0,
            cpu: [0; Polls::BUCKETS],
        }
    }
}

impl Polls {
    /// Work a task should not run inline between two `.await`s.
    pub(crate) const LONG: Duration = Duration::from_micros(100);
    const STEP: Duration = Duration::from_micros(5);
    const BUCKETS: usize = 100;

    /// The CPU time of a poll at quantile `q`, to the step above (never past the most);
    /// `None` without polls.
    pub(crate) fn cpu_quantile(&self, q: f64) -> Option<Duration> {
        let total: u64 = self.cpu.iter().map(|&n| u64::from(n)).sum();
        let rank = (total.checked_sub(1)? as f64 * q) as u64;
        let mut seen = 0;
        let bucket = self.cpu.iter().position(|&n| {
            seen += u64::from(n);
            seen > rank
        })?;
        Some((Self::STEP * (bucket as u32 + 1)).min(self.most_cpu))
    }

    pub(crate) fn merge(self, other: Self) -> Self {
        let longest = if other.longest > self.longest {
            other
        } else {
            self
        };
        Self {
            longest: longest.longest,
            longest_on_cpu: longest.longest_on_cpu,
            most_cpu: self.most_cpu.max(other.most_cpu),
            long: self.long + other.long,
            long_on_cpu: self.long_on_cpu + other.long_on_cpu,
            cpu: std::array::from_fn(|i| self.cpu[i] + other.cpu[i]),
        }
    }
}

impl<F: Future> Timed<F> {
    pub(crate) fn new(inner: F, counting: Arc<AtomicBool>) -> Self {
        Self {
            inner: Box::pin(inner),
            polls: Polls::default(),
            counting,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = (F::Output, Polls);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (start, cpu_start) = (Instant::now(), thread_cpu());
        let polled = self.inner.as_mut().poll(cx);
        let (took, cpu) = (start.elapsed(), thread_cpu().saturating_sub(cpu_start));
        if !self.counting.load(Ordering::Relaxed) {
            return polled.map(|output| (output, self.polls));
        }
        let polls = &mut self.polls;
        if took > polls.longest {
            polls.longest = took;
            polls.longest_on_cpu = cpu;
        }
        polls.most_cpu = polls.most_cpu.max(cpu);
        polls.long += u64::from(took > Polls::LONG);
        polls.long_on_cpu += u64::from(cpu > Polls::LONG);
        let bucket = (cpu.as_nanos() / Polls::STEP.as_nanos()) as usize;
        polls.cpu[bucket.min(Polls::BUCKETS - 1)] += 1;
        polled.map(|output| (output, self.polls))
    }
}

/// Time the machine's host ran something else on this virtual machine's CPUs (all of them
/// together), from the `steal` column of `/proc/stat`; `None` where there is none to read.
pub(crate) fn stolen() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|line| line.starts_with("cpu "))?;
    let ticks: u64 = cpu.split_whitespace().nth(8)?.parse().ok()?;
    // The kernel counts in USER_HZ, 100 per second on every Linux ABI in use.
    Some(Duration::from_millis(ticks * 10))
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(time.tv_sec).unwrap_or(0),
        u32::try_from(time.tv_nsec).unwrap_or(0),
    )
}

/// How often the threads named `name` left their cores since they started: by blocking (a
/// voluntary switch: waiting on a lock, or a worker parking for want of work) and by being
/// preempted (an involuntary one), summed from `/proc/self/task/*/status`; `None` where there is
/// no such file.
pub(crate) fn switches(name: &str) -> Option<Switches> {
    let mut sum = Switches::default();
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        for line in status.lines() {
            let count = |prefix: &str| {
                line.strip_prefix(prefix)
                    .and_then(|n| n.trim().parse::<u64>().ok())
            };
            if let Some(n) = count("voluntary_ctxt_switches:") {
                sum.blocked += n;
            } else if let Some(n) = count("nonvoluntary_ctxt_switches:") {
                sum.preempted += n;
            }
        }
    }
    Some(sum)
}

/// Context switches of a set of threads; see [`switches`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Switches {
    pub(crate) blocked: u64,
    pub(crate) preempted: u64,
}

impl std::ops::Sub for Switches {
    type Output = Self;

    fn sub(self, earlier: Self) -> Self {
        Self {
            blocked: self.blocked.saturating_sub(earlier.blocked),
            preempted: self.preempted.saturating_sub(earlier.preempted),
        }
    }
}
