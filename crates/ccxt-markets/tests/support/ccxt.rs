//! Runs ccxt's `bybit().fetch_markets()` (the script beside this harness) on our answers.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::answers::Answer;

const INSTALL: &str =
    "install the oracle with: pip install -r crates/ccxt-markets/tests/oracle/requirements.txt";

/// What ccxt did: the queries it sent (without `limit`, as a map each) and its markets.
pub(crate) struct Run {
    pub(crate) asked: Vec<Value>,
    pub(crate) markets: Vec<Value>,
}

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

/// The ccxt version pinned in `requirements.txt`.
fn pinned_version() -> String {
    let text = std::fs::read_to_string(oracle_dir().join("requirements.txt"))
        .expect("tests/oracle/requirements.txt");
    text.lines()
        .find_map(|l| l.trim().strip_prefix("ccxt=="))
        .expect("requirements.txt pins ccxt==VERSION")
        .trim()
        .to_owned()
}

/// Runs ccxt with `options` as its `options['fetchMarkets']`, answering from `answers`.
///
/// # Panics
/// When Python or ccxt is missing, ccxt is not the pinned version, or ccxt fails: the
/// oracle is part of the test, never skipped.
pub(crate) fn fetch_markets(options: Value, answers: &[Answer]) -> Run {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let responses: Vec<Value> = answers
        .iter()
        .map(|a| json!({"query": a.query_json(), "body": a.body}))
        .collect();
    let scenario = json!({"options": options, "responses": responses});
    let mut child = Command::new(&python)
        .arg(oracle_dir().join("ccxt_fetch_markets.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); {INSTALL}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(scenario.to_string().as_bytes())
        .expect("write the scenario");
    let out = child.wait_with_output().expect("wait for ccxt");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ccxt failed ({}):\n{stderr}\n{INSTALL}",
        out.status
    );
    let mut doc: Value = serde_json::from_slice(&out.stdout).expect("ccxt printed JSON");
    let pinned = pinned_version();
    assert_eq!(
        doc["ccxt"].as_str(),
        Some(pinned.as_str()),
        "ccxt {} is installed, the oracle is pinned to {pinned}; {INSTALL}",
        doc["ccxt"]
    );
    let take = |v: &mut Value| match v.take() {
        Value::Array(a) => a,
        other => panic!("expected an array, ccxt printed {other}"),
    };
    Run {
        asked: take(&mut doc["asked"]),
        markets: take(&mut doc["markets"]),
    }
}
