//! `cargo xtask fuzz`: seeds the corpora, runs each cargo-fuzz target in turn for a fixed
//! time, and prints what each run did.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// One cargo-fuzz target and the libFuzzer limits it runs under.
struct Target {
    name: &'static str,
    /// The longest input libFuzzer makes: past each hook's limits (64 KiB decoded, 64-byte
    /// keys, 1 KiB values) and, for pages, room for inputs that amplify as the bybit-client
    /// hook asks, without so much room elsewhere that mutations spread thin.
    max_len: u32,
    /// The largest single allocation allowed: every hook caps what it decodes at 1 MiB or
    /// far less, so a larger allocation is an unbounded one that the input steered.
    malloc_limit_mb: u32,
}

/// Every target in `fuzz/fuzz_targets`.
const TARGETS: &[Target] = &[
    Target {
        name: "envelope",
        max_len: 4096,
        malloc_limit_mb: 1,
    },
    Target {
        name: "msgpack_len",
        max_len: 4096,
        malloc_limit_mb: 1,
    },
    Target {
        name: "cache_file_entry",
        max_len: 4096,
        malloc_limit_mb: 1,
    },
    Target {
        name: "bybit_page",
        max_len: 64 * 1024,
        malloc_limit_mb: 1,
    },
];

/// What one target's run came to.
struct Run {
    target: &'static str,
    seconds: u64,
    execs: Option<u64>,
    /// The inputs libFuzzer wrote for a crash, a leak, a timeout or an out-of-memory.
    artifacts: Vec<String>,
    /// Why the run failed without an artifact (a build error, say).
    failure: Option<String>,
}

/// `cargo xtask fuzz [TARGET] [--seconds N]`: every target, or the one named, for N seconds
/// each (600 by default). Fails when a target crashed or could not run.
pub(crate) fn fuzz(args: &[String]) -> Result<()> {
    let (only, seconds) = parse(args)?;
    let targets: Vec<_> = TARGETS
        .iter()
        .filter(|t| only.as_deref().is_none_or(|only| only == t.name))
        .collect();
    let root = workspace_root();
    // Seeds longer than any target's max_len would only be cut short.
    let seed_max_len = TARGETS
        .iter()
        .map(|t| t.max_len)
        .max()
        .unwrap_or(0)
        .to_string();
    nightly_cargo(&root, &["fuzz", "--version"])
        .context("cargo-fuzz is needed: cargo install cargo-fuzz --locked")?;
    nightly_cargo(
        &root,
        &[
            "run",
            "--quiet",
            "--manifest-path",
            "fuzz/Cargo.toml",
            "--example",
            "seed",
            "--",
            "fuzz/corpus",
            &seed_max_len,
        ],
    )
    .context("writing the seed corpora")?;

    let mut runs = Vec::new();
    for target in targets {
        runs.push(run(&root, target, seconds));
    }
    print_table(&runs);

    let mut bad = Vec::new();
    for run in &runs {
        bad.extend(run.artifacts.iter().map(|a| format!("{}: {a}", run.target)));
        bad.extend(run.failure.iter().map(|f| format!("{}: {f}", run.target)));
    }
    if !bad.is_empty() {
        bail!("fuzzing found problems:\n  {}", bad.join("\n  "));
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<(Option<String>, u64)> {
    let mut target = None;
    let mut seconds = 600;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--seconds" {
            Some(args.next().context("--seconds needs a number")?.as_str())
        } else {
            arg.strip_prefix("--seconds=")
        };
        if let Some(value) = value {
            seconds = value
                .parse()
                .with_context(|| format!("--seconds {value}: not a whole number"))?;
        } else if TARGETS.iter().any(|t| t.name == arg) && target.is_none() {
            target = Some(arg.clone());
        } else {
            let names: Vec<_> = TARGETS.iter().map(|t| t.name).collect();
            bail!(
                "unexpected argument {arg:?}; usage: cargo xtask fuzz [TARGET] [--seconds N], \
                 TARGET one of {}",
                names.join(", ")
            );
        }
    }
    Ok((target, seconds))
}

/// Builds `target`, then fuzzes it for `seconds`, echoing libFuzzer's output as it comes.
fn run(root: &Path, target: &Target, seconds: u64) -> Run {
    let Target {
        name: target,
        max_len,
        malloc_limit_mb,
    } = *target;
    let mut outcome = Run {
        target,
        seconds: 0,
        execs: None,
        artifacts: Vec::new(),
        failure: None,
    };
    if let Err(err) = nightly_cargo(root, &["fuzz", "build", target]) {
        outcome.failure = Some(format!("{err:#}"));
        return outcome;
    }
    let args = [
        "fuzz".to_owned(),
        "run".to_owned(),
        target.to_owned(),
        "--".to_owned(),
        format!("-max_total_time={seconds}"),
        "-rss_limit_mb=2048".to_owned(),
        format!("-malloc_limit_mb={malloc_limit_mb}"),
        // A hang shows up as a timeout artifact rather than a run that never ends.
        "-timeout=10".to_owned(),
        format!("-max_len={max_len}"),
        "-print_final_stats=1".to_owned(),
    ];
    eprintln!("$ cargo +nightly {}", args.join(" "));
    let started = Instant::now();
    let child = Command::new("cargo")
        .arg("+nightly")
        .args(&args)
        .current_dir(root)
        // A panic then reads as the panic it is: symbolizing a Rust backtrace allocates
        // megabytes, which the malloc limit would report as an out-of-memory instead.
        // libFuzzer prints its own stack trace of the crash.
        .env("RUST_BACKTRACE", "0")
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) => {
            outcome.failure = Some(format!("running cargo: {err}"));
            return outcome;
        }
    };
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            read_line(&line, &mut outcome);
        }
    }
    let status = child.wait();
    outcome.seconds = started.elapsed().as_secs();
    match status {
        Ok(status) if !status.success() && outcome.artifacts.is_empty() => {
            outcome.failure = Some(format!("cargo fuzz run failed ({status})"));
        }
        Err(err) => outcome.failure = Some(format!("waiting for cargo fuzz: {err}")),
        Ok(_) => {}
    }
    outcome
}

/// Picks the execution count and any artifact out of one line of libFuzzer's output.
fn read_line(line: &str, run: &mut Run) {
    if let Some(path) = line.split("Test unit written to ").nth(1) {
        run.artifacts.push(path.trim().to_owned());
    } else if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
        run.execs = n.trim().parse().ok().or(run.execs);
    } else if let Some(rest) = line.strip_prefix("Done ") {
        // "Done 123 runs in 600 second(s)", in case the final stats are missing.
        let n = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        run.execs = run.execs.or(n);
    }
}

fn print_table(runs: &[Run]) {
    println!();
    println!(
        "{:<18} {:>8} {:>14} {:>9} {:>8}  result",
        "target", "seconds", "execs", "execs/s", "crashes"
    );
    for run in runs {
        let execs = run.execs.map_or("-".to_owned(), |n| n.to_string());
        let rate = match run.execs {
            Some(n) if run.seconds > 0 => (n / run.seconds).to_string(),
            _ => "-".to_owned(),
        };
        let result = match (&run.failure, run.artifacts.first()) {
            (_, Some(artifact)) => artifact.as_str(),
            (Some(_), None) => "did not run (see above)",
            (None, None) => "clean",
        };
        println!(
            "{:<18} {:>8} {:>14} {:>9} {:>8}  {result}",
            run.target,
            run.seconds,
            execs,
            rate,
            run.artifacts.len()
        );
    }
}

/// Runs `cargo +nightly ARGS` through rustup's proxy: the `cargo` running xtask is stable's
/// own binary, which does not take a toolchain.
fn nightly_cargo(root: &Path, args: &[&str]) -> Result<()> {
    eprintln!("$ cargo +nightly {}", args.join(" "));
    let status = Command::new("cargo")
        .arg("+nightly")
        .args(args)
        .current_dir(root)
        .status()
        .context("running cargo +nightly")?;
    if !status.success() {
        bail!("`cargo +nightly {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Run {
        Run {
            target: "envelope",
            seconds: 0,
            execs: None,
            artifacts: Vec::new(),
            failure: None,
        }
    }

    #[test]
    fn reads_libfuzzer_output() {
        let mut run = empty();
        for line in [
            "#1024\tpulse  cov: 10 ft: 20 corp: 3/1Kb exec/s: 512 rss: 40Mb",
            "Done 7 runs in 1 second(s)",
            "artifact_prefix='/f/artifacts/envelope/'; Test unit written to /f/artifacts/envelope/crash-ab12",
            "stat::number_of_executed_units: 9",
        ] {
            read_line(line, &mut run);
        }
        assert_eq!(run.execs, Some(9), "the final stats win over Done");
        assert_eq!(run.artifacts, ["/f/artifacts/envelope/crash-ab12"]);
    }

    #[test]
    fn parses_arguments() {
        let args = |a: &[&str]| parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(args(&[]).unwrap(), (None, 600));
        assert_eq!(
            args(&["bybit_page", "--seconds", "5"]).unwrap(),
            (Some("bybit_page".to_owned()), 5)
        );
        assert_eq!(args(&["--seconds=7"]).unwrap(), (None, 7));
        assert!(args(&["nope"]).is_err());
        assert!(args(&["--seconds"]).is_err());
        assert!(args(&["envelope", "envelope"]).is_err());
    }
}
