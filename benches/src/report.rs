//! Reading criterion's results back, to print them as one table.

use std::path::Path;

use anyhow::{Context, Result};

/// The mean time of one benchmark, in nanoseconds, from criterion's `estimates.json` under
/// `criterion_dir/<group>/<id>/new/`.
///
/// # Errors
/// When the benchmark has not been run or its file is not criterion's.
pub fn mean_ns(criterion_dir: &Path, group: &str, id: &str) -> Result<f64> {
    let path = criterion_dir
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {} (run the bench first)", path.display()))?;
    let estimates: serde_json::Value = serde_json::from_str(&text)?;
    estimates["mean"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("no mean in {}", path.display()))
}

/// Formats nanoseconds as microseconds with one decimal.
pub fn micros(ns: f64) -> String {
    format!("{:.1} µs", ns / 1000.0)
}
