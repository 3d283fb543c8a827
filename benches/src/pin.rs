//! Pinning a measurement's processes to CPUs: the client (ours and the Python reference) on
//! one, `redis-server` on another, so that neither side's wake-ups land behind the other's
//! work and a ratio compares the two clients alone.
//!
//! It shells out to util-linux's `taskset`, which every Debian has, rather than calling
//! `sched_setaffinity` (which would need `unsafe` or another dependency for a benchmark).

use std::process::Command;

use anyhow::{Context, Result, bail};

/// Where the client and the server run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pinning {
    /// The CPU of this process, its threads, and the children it starts before the server.
    pub client: usize,
    /// The CPU of `redis-server`.
    pub server: usize,
}

impl Pinning {
    /// Reads `CLIENT,SERVER` (e.g. `0,1`), or `none` for no pinning.
    ///
    /// # Errors
    /// On anything else, or a CPU this machine does not have, or one CPU for both.
    pub fn parse(text: &str) -> Result<Option<Self>> {
        if text == "none" {
            return Ok(None);
        }
        let (client, server) = text
            .split_once(',')
            .with_context(|| format!("--pin is CLIENT,SERVER (e.g. 0,1) or none, not {text}"))?;
        let pinning = Self {
            client: client.trim().parse().context("--pin: the client's CPU")?,
            server: server.trim().parse().context("--pin: the server's CPU")?,
        };
        let cpus = cpus();
        if pinning.client == pinning.server || pinning.client.max(pinning.server) >= cpus {
            bail!("--pin needs two different CPUs below {cpus}, not {text}");
        }
        Ok(Some(pinning))
    }

    /// Client on CPU 0 and server on CPU 1 when the machine has two CPUs and `taskset`
    /// runs; otherwise none, with the reason.
    pub fn default_for_this_machine() -> std::result::Result<Self, String> {
        if cpus() < 2 {
            return Err("one CPU".into());
        }
        match Command::new("taskset").arg("--version").output() {
            Ok(out) if out.status.success() => Ok(Self {
                client: 0,
                server: 1,
            }),
            _ => Err("no `taskset` (util-linux)".into()),
        }
    }

    /// Pins this process (every thread it has now, and so every thread and child it starts
    /// later) to the client's CPU. Call it before starting a runtime.
    ///
    /// # Errors
    /// When `taskset` fails.
    pub fn pin_this_process(&self) -> Result<()> {
        pin(std::process::id(), self.client)
    }

    /// Pins the process `pid` (all its threads) to the server's CPU.
    ///
    /// # Errors
    /// When `taskset` fails.
    pub fn pin_server(&self, pid: u32) -> Result<()> {
        pin(pid, self.server)
    }
}

/// The CPUs this process may run on.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn pin(pid: u32, cpu: usize) -> Result<()> {
    pin_to_list(pid, &cpu.to_string())
}

/// Pins the process `pid` (all its threads) to the CPUs of `list`, as `taskset --cpu-list`
/// reads it (`1`, `0,1`, `0-3`).
///
/// # Errors
/// When `taskset` fails.
pub fn pin_to_list(pid: u32, list: &str) -> Result<()> {
    let out = Command::new("taskset")
        .args(["--all-tasks", "--pid", "--cpu-list", list])
        .arg(pid.to_string())
        .output()
        .context("running taskset")?;
    if !out.status.success() {
        bail!(
            "taskset could not pin process {pid} to CPUs {list}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The process id `redis-server` reports for itself (`INFO server`), from `redis-cli`'s
/// output.
///
/// # Errors
/// When the output holds no `process_id`.
pub fn redis_pid(info: &str) -> Result<u32> {
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .context("INFO server reported no process_id")?
        .trim()
        .parse()
        .context("INFO server's process_id")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_pairs_and_none_and_refuses_the_rest() {
        assert_eq!(Pinning::parse("none").unwrap(), None);
        if cpus() >= 2 {
            assert_eq!(
                Pinning::parse("0,1").unwrap(),
                Some(Pinning {
                    client: 0,
                    server: 1
                })
            );
        }
        for bad in ["0", "0,0", "a,1", "0,4096", ""] {
            assert!(Pinning::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_the_pid_from_info_server() {
        let info = "# Server\r\nredis_version:7.0.15\r\nprocess_id:4242\r\ntcp_port:6390\r\n";
        assert_eq!(redis_pid(info).unwrap(), 4242);
        assert!(redis_pid("# Server\r\nredis_version:7.0.15\r\n").is_err());
    }
}
