//! Where the probe's runtime and `redis-server` run.
//!
//! On a machine with two CPUs, tokio's default runtime has two workers; with `redis-server`
//! busy beside them, three threads want two cores, and the kernel takes a worker off its core
//! for a time slice now and then: a gap the probe sees that no poll of ours caused. The
//! `apart` layout gives the runtime a core of its own, as a latency-minded deployment would,
//! so that what remains in the probe's gaps is the runtime's own work. The codec threads stay
//! free to run on either core, as they would in a user's process: pinned beside
//! `redis-server`, one that holds an allocator lock the worker waits for could wait behind
//! it for milliseconds while the worker's core stood idle.

use anyhow::{Context, Result, bail};
use rustix::process::Pid;
use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};

/// Where the threads run during one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// tokio's default runtime (a worker per CPU); nothing pinned.
    Shared,
    /// A runtime of one worker on CPU `runtime`, `redis-server` on CPU `server`, the rest of
    /// this process (the codec threads among it) on any.
    Apart { runtime: usize, server: usize },
}

impl Layout {
    /// The layouts a run measures, from `--layout shared|apart|both`.
    pub(crate) fn parse(text: &str, cpus: &Cpus) -> Result<Vec<Self>> {
        let apart = || match cpus.list.as_slice() {
            [runtime, server, ..] => Ok(Self::Apart {
                runtime: *runtime,
                server: *server,
            }),
            _ => bail!("--layout apart needs two CPUs; this process may use one"),
        };
        Ok(match text {
            "shared" => vec![Self::Shared],
            "apart" => vec![apart()?],
            "both" => match apart() {
                Ok(apart) => vec![Self::Shared, apart],
                Err(_) => vec![Self::Shared],
            },
            _ => bail!("--layout is shared, apart or both, not {text}"),
        })
    }

    pub(crate) fn workers(self) -> Option<usize> {
        match self {
            Self::Shared => None,
            Self::Apart { .. } => Some(1),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::Apart { .. } => "apart",
        }
    }

    pub(crate) fn describe(self, cpus: &Cpus) -> String {
        match self {
            Self::Shared => format!("shared: {} workers, nothing pinned", cpus.list.len()),
            Self::Apart { runtime, server } => format!(
                "apart: 1 worker on CPU {runtime}, redis-server on CPU {server}, codec threads \
                 on any"
            ),
        }
    }
}

/// The CPUs this process could use when it started.
pub(crate) struct Cpus {
    set: CpuSet,
    list: Vec<usize>,
}

impl Cpus {
    pub(crate) fn at_start() -> Result<Self> {
        let set = sched_getaffinity(None).context("reading this process's CPUs")?;
        let list = (0..CpuSet::MAX_CPU)
            .filter(|&cpu| set.is_set(cpu))
            .collect();
        Ok(Self { set, list })
    }

    /// `redis-server`'s CPUs in `layout`, as `taskset` reads them.
    pub(crate) fn server_list(&self, layout: Layout) -> String {
        match layout {
            Layout::Shared => self
                .list
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Layout::Apart { server, .. } => server.to_string(),
        }
    }

    /// Lets the codec threads (`cache-codec-N`) run on every CPU this process started with:
    /// started by the first large encode, they inherit the CPUs of whichever thread made it,
    /// a pinned worker's among them.
    pub(crate) fn free_codec_threads(&self) -> Result<()> {
        for task in
            std::fs::read_dir("/proc/self/task").context("listing this process's threads")?
        {
            let task = task?;
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if !name.starts_with("cache-codec-") {
                continue;
            }
            let tid = task.file_name().to_string_lossy().parse::<i32>()?;
            if let Some(pid) = Pid::from_raw(tid) {
                set(Some(pid), &self.set)?;
            }
        }
        Ok(())
    }
}

/// Puts the calling thread (a runtime worker) on the runtime's CPU in `layout`; in the shared
/// layout it keeps the CPUs it inherited.
pub(crate) fn place_worker(layout: Layout) -> Result<()> {
    match layout {
        Layout::Shared => Ok(()),
        Layout::Apart { runtime, .. } => {
            let mut one = CpuSet::new();
            one.set(runtime);
            set(None, &one)
        }
    }
}

fn set(thread: Option<Pid>, cpus: &CpuSet) -> Result<()> {
    sched_setaffinity(thread, cpus).context("setting a thread's CPUs")
}
