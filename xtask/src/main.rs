//! Developer tasks for the workspace, run as `cargo xtask <task>`.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool talks on its terminal"
)]

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

mod demo;
mod fuzz;
mod tasks;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test    run every test of the workspace (unit, integration, doc)
  ci      what CI runs: cargo fmt --check, clippy -D warnings, then `test`
  bench   run the criterion benchmarks and print their tables
  demo    run market-data twice against the local mock Bybit: fetched, then cached
  fuzz [TARGET] [--seconds N]
          run each cargo-fuzz target (or TARGET) for N seconds, 600 by default, one after
          another, and print a table of the runs; needs nightly and cargo-fuzz
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => tasks::test(&args[1..]),
        Some("ci") => tasks::ci(),
        Some("bench") => tasks::bench(&args[1..]),
        Some("demo") => demo::demo(),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            if let Some(task) = other {
                eprintln!("\nunknown task: {task}");
            }
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo` with `args` in the workspace root, failing when it fails.
pub(crate) fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("$ cargo {}", args.join(" "));
    let status = Command::new(&cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .with_context(|| format!("running {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}
