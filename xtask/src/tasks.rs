//! The tasks themselves.

use anyhow::Result;

use crate::cargo;

/// Every test of the workspace: unit, integration and doc tests, all features.
pub(crate) fn test(extra: &[String]) -> Result<()> {
    let mut args = vec!["test", "--workspace", "--all-features"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)
}

/// What `.ci/run` runs: formatting, lints, the API docs (no broken links), then every test.
pub(crate) fn ci() -> Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(&[
        "doc",
        "--workspace",
        "--no-deps",
        "--all-features",
        "--config",
        "build.rustdocflags=[\"-D\", \"warnings\"]",
    ])?;
    test(&[])
}

/// The criterion benchmarks, then the tables built from their results. Arguments after
/// `bench` go to criterion (e.g. a filter, or `--measurement-time 3`).
pub(crate) fn bench(extra: &[String]) -> Result<()> {
    let mut args = vec!["bench", "--package", "benches", "--benches", "--"];
    args.extend(extra.iter().map(String::as_str));
    cargo(&args)?;
    // The Python reference comes last; it prints a skip line when Python lacks its packages,
    // and so does `hit_path`, which runs it beside our reads.
    for report in [
        "codec_report",
        "redis_throughput",
        "steady_reads",
        "hit_path",
        "yield_probe",
        "http_serve",
        "reference",
    ] {
        cargo(&[
            "run",
            "--quiet",
            "--release",
            "--package",
            "benches",
            "--bin",
            report,
        ])?;
    }
    Ok(())
}
