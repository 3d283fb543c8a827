//! Finding the Python that runs the reference (`benches/reference/`), or saying why not.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The interpreter: `$PYTHON`, or `python3`.
pub fn interpreter() -> OsString {
    std::env::var_os("PYTHON").unwrap_or_else(|| OsString::from("python3"))
}

/// The reference's directory, `benches/reference`.
pub fn reference_dir() -> PathBuf {
    crate::workspace_root().join("benches/reference")
}

/// Whether `python` runs and imports the reference's packages; why not, if it does not.
///
/// # Errors
/// A sentence saying what is missing.
pub fn check(python: &OsString) -> Result<(), String> {
    let output = Command::new(python)
        .args(["-c", "import msgpack, redis.asyncio"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{}` did not run ({e})", python.to_string_lossy()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` lacks msgpack or redis",
            python.to_string_lossy()
        ))
    }
}

/// The line a report prints instead of the reference's figures, saying how to get them.
pub fn skipped(python: &OsString, why: &str) -> String {
    format!(
        "Python reference skipped: {why}. Install its packages with \
         `{} -m pip install -r benches/reference/requirements.txt` (from the workspace \
         root) to include it.",
        python.to_string_lossy(),
    )
}

/// Whether `python` runs and imports what the aiohttp service of `http_serve` needs
/// (aiohttp, and the reference's packages); why not, if it does not.
///
/// # Errors
/// A sentence saying what is missing.
pub fn check_aiohttp(python: &OsString) -> Result<(), String> {
    check(python)?;
    let output = Command::new(python)
        .args(["-c", "import aiohttp"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{}` did not run ({e})", python.to_string_lossy()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("`{}` lacks aiohttp", python.to_string_lossy()))
    }
}
