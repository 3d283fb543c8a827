//! The mock's lists changed while it runs: replaced, edited, per status, and read from a
//! file (by the library and by the `mock-bybit` binary), seen through the client and `diff`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bybit_client::diff::{Change, diff};
use bybit_client::models::Status;
use bybit_client::testing::fixtures::{self, LINEAR_214};
use bybit_client::testing::{MockBybit, MockBybitBuilder};
use bybit_client::{
    BybitClient, Category, ClientConfig, Error, InstrumentList, InstrumentsQuery, RetryPolicy,
};
use serde_json::{Value, json};

const BIO: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";

fn client(base_url: &str) -> BybitClient {
    let retry = RetryPolicy::new(2, Duration::from_millis(1), Duration::from_millis(5));
    BybitClient::new(ClientConfig::new(base_url).with_retry(retry)).unwrap()
}

async fn linear(c: &BybitClient) -> InstrumentList {
    c.instruments(&InstrumentsQuery::linear()).await.unwrap()
}

fn pages(mock: &MockBybit) -> Vec<usize> {
    mock.requests().iter().map(|r| r.page).collect()
}

/// A fresh path in the system's temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("mock-lists-{}-{tag}-{n}.json", std::process::id());
        Self(std::env::temp_dir().join(name))
    }

    /// Writes beside the file and renames into place, as the mock's docs ask.
    fn write(&self, doc: &Value) {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(doc).unwrap()).unwrap();
        std::fs::rename(&tmp, &self.0).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_replaced_list_is_served_whole_across_pages_and_requests_keep_counting() {
    let mock = MockBybit::start().await;
    let c = client(&mock.base_url());
    assert_eq!(linear(&c).await.len(), 214);
    assert_eq!(pages(&mock), vec![0, 1, 2, 3]);

    let mut longer = fixtures::values(LINEAR_214);
    for (i, v) in fixtures::values(LINEAR_214)
        .into_iter()
        .take(50)
        .enumerate()
    {
        let mut v = v;
        v["symbol"] = json!(format!("NEW{i}USDT"));
        longer.push(v);
    }
    mock.set_instruments(Category::Linear, longer.clone());
    let list = linear(&c).await;
    assert_eq!(
        serde_json::to_value(&list).unwrap()["list"],
        Value::Array(longer.clone())
    );
    assert_eq!(pages(&mock), vec![0, 1, 2, 3, 0, 1, 2, 3]);
    assert_eq!(mock.request_count(), 8);
    assert_eq!(mock.instruments(Category::Linear), longer);
    // Other categories are untouched.
    assert_eq!(mock.instruments(Category::Inverse).len(), 2);

    let typed = InstrumentList::Linear(serde_json::from_value(json!(longer[..3])).unwrap());
    mock.set_instrument_list(&typed);
    assert_eq!(linear(&c).await, typed);
}

#[tokio::test]
async fn edits_show_up_in_the_next_fetch_as_exactly_those_changes() {
    let mock = MockBybit::start().await;
    let c = client(&mock.base_url());
    let before = linear(&c).await;

    assert!(mock.delist(Category::Linear, "1000BONKUSDT"));
    assert!(!mock.delist(Category::Linear, "NOSUCHUSDT"));
    assert!(mock.set_status(Category::Linear, "BTCUSDT", Status::Closed));
    assert!(mock.set_tick_size(Category::Linear, "BTCUSDT", "1.0"));
    assert!(mock.set_field(
        Category::Linear,
        "ETHUSDT",
        "lotSizeFilter.qtyStep",
        json!("0.1")
    ));
    assert!(mock.set_field(Category::Linear, "XRPUSDT", "someNewField", json!({"a": 1})));
    assert!(!mock.set_status(Category::Linear, "NOSUCHUSDT", Status::Closed));
    let bio = fixtures::values(BIO).remove(0);
    mock.list_instrument(Category::Linear, bio.clone());
    let mut bio_trading = bio.clone();
    bio_trading["status"] = json!("Trading");
    mock.list_instrument(Category::Linear, bio_trading);

    let after = linear(&c).await;
    assert_eq!(after.len(), 214);
    assert_eq!(
        after.symbols().last(),
        Some(&"BIOUSDT"),
        "replaced in place, listed at the end"
    );
    assert_eq!(
        diff(&before, &after).unwrap(),
        vec![
            Change::Delisted {
                symbol: "1000BONKUSDT".into()
            },
            Change::Listed {
                symbol: "BIOUSDT".into()
            },
            Change::Status {
                symbol: "BTCUSDT".into(),
                from: Some(Status::Trading),
                to: Some(Status::Closed),
            },
            Change::Changed {
                symbol: "BTCUSDT".into(),
                fields: vec!["priceFilter.tickSize".into()],
            },
            Change::Changed {
                symbol: "ETHUSDT".into(),
                fields: vec!["lotSizeFilter.qtyStep".into()],
            },
            Change::Changed {
                symbol: "XRPUSDT".into(),
                fields: vec!["someNewField".into()],
            },
        ]
    );
    let pulled = mock.edit_instruments(Category::Linear, |list| list.drain(..10).count());
    assert_eq!(pulled, 10);
    assert_eq!(linear(&c).await.len(), 204);
}

#[tokio::test]
async fn prelaunch_requests_get_their_own_list_or_the_list_filtered_to_the_status() {
    let mut trading = fixtures::values(LINEAR_214);
    trading.truncate(20);
    let mut with_prelaunch = trading.clone();
    with_prelaunch.extend(fixtures::values(BIO));
    let mock = MockBybit::builder()
        .instruments(Category::Linear, with_prelaunch)
        .start()
        .await;
    let c = client(&mock.base_url());
    let prelaunch_query = InstrumentsQuery::linear().with_status(Status::PreLaunch);
    let filtered = c.instruments(&prelaunch_query).await.unwrap();
    assert_eq!(filtered.symbols(), ["BIOUSDT"]);
    let trading_only = c
        .instruments(&InstrumentsQuery::linear().with_status(Status::Trading))
        .await
        .unwrap();
    assert_eq!(trading_only.len(), 20);
    let statuses: Vec<Option<String>> = mock.requests().iter().map(|r| r.status.clone()).collect();
    assert!(statuses.iter().all(|s| s.is_some()));
    assert_eq!(statuses[0].as_deref(), Some("PreLaunch"));

    // A list of its own for status=PreLaunch; the default list is untouched by it.
    mock.set_instruments(Category::Linear, trading.clone());
    let zro = fixtures::values("instruments-linear-prelisting-jkorf-docsderived.json");
    mock.set_status_instruments(
        Category::Linear,
        Status::PreLaunch,
        [fixtures::values(BIO), zro].concat(),
    );
    let prelaunch = c.instruments(&prelaunch_query).await.unwrap();
    assert_eq!(prelaunch.symbols(), ["BIOUSDT", "PRE02ZROUSDT"]);
    let default = linear(&c).await;
    assert_eq!(default.len(), 20);
    let all = default.merge(prelaunch).unwrap();
    assert_eq!(all.len(), 22);
    assert_eq!(all.symbols()[20..], ["BIOUSDT", "PRE02ZROUSDT"]);
}

#[tokio::test]
async fn a_list_file_is_read_on_every_request() {
    let file = TempFile::new("linear");
    let prelaunch_file = TempFile::new("prelaunch");
    let values = fixtures::values(LINEAR_214);
    file.write(&json!(values[..120]));
    prelaunch_file
        .write(&serde_json::from_str::<Value>(fixtures::fixture(BIO).unwrap().json).unwrap());
    let mock = MockBybitBuilder::default()
        .instruments_file(Category::Linear, file.path())
        .status_instruments_file(Category::Linear, Status::PreLaunch, prelaunch_file.path())
        .start()
        .await;
    let c = client(&mock.base_url());
    assert_eq!(linear(&c).await.len(), 120);
    let prelaunch = c
        .instruments(&InstrumentsQuery::linear().with_status(Status::PreLaunch))
        .await
        .unwrap();
    assert_eq!(prelaunch.symbols(), ["BIOUSDT"]);

    // As the serialized list, with a symbol delisted.
    let mut edited = values[..120].to_vec();
    edited.remove(3);
    file.write(&json!({"category": "linear", "list": edited}));
    let after = linear(&c).await;
    assert_eq!(after.len(), 119);
    assert_eq!(mock.instruments(Category::Linear), edited);

    // A file that holds no list is an HTTP 500 naming the file.
    file.write(&json!({"retCode": 10001, "result": {}}));
    let err = c
        .instruments(&InstrumentsQuery::linear())
        .await
        .unwrap_err();
    match err {
        Error::Http { status: 500, body } => {
            assert!(body.contains("holds no list"), "{body}");
            assert!(body.contains(&file.path().display().to_string()), "{body}");
        }
        other => panic!("{other:?}"),
    }
    // Edits replace the file with the edited list in memory.
    file.write(&json!(values[..5]));
    assert!(mock.delist(Category::Linear, values[0]["symbol"].as_str().unwrap()));
    std::fs::remove_file(file.path()).unwrap();
    assert_eq!(
        linear(&c).await.symbols(),
        values[1..5]
            .iter()
            .map(|v| v["symbol"].as_str().unwrap())
            .collect::<Vec<_>>()
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_a_file_it_rereads_and_explains_how_in_its_help() {
    let bin = env!("CARGO_BIN_EXE_mock-bybit");
    let help = Command::new(bin).arg("--help").output().unwrap();
    assert!(help.status.success());
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("--instruments CATEGORY=FILE"), "{help}");
    assert!(help.contains("read again on every request"), "{help}");
    let missing = Command::new(bin)
        .args(["--instruments", "linear=/nonexistent/list.json"])
        .output()
        .unwrap();
    assert!(!missing.status.success());

    let file = TempFile::new("bin");
    let prelaunch = TempFile::new("bin-prelaunch");
    let values = fixtures::values(LINEAR_214);
    file.write(&json!(values));
    prelaunch.write(&json!(fixtures::values(BIO)));
    let mut child = Command::new(bin)
        .arg("--instruments")
        .arg(format!("linear={}", file.path().display()))
        .arg("--prelaunch")
        .arg(format!("linear={}", prelaunch.path().display()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url).unwrap();
    let c = client(url.trim());

    let before = linear(&c).await;
    assert_eq!(before.len(), 214);
    let mut edited = values.clone();
    edited.retain(|v| v["symbol"] != "ETHUSDT");
    file.write(&json!(edited));
    let after = linear(&c).await;
    assert_eq!(
        diff(&before, &after).unwrap(),
        vec![Change::Delisted {
            symbol: "ETHUSDT".into()
        }]
    );
    let pre = c
        .instruments(&InstrumentsQuery::linear().with_status(Status::PreLaunch))
        .await
        .unwrap();
    assert_eq!(pre.symbols(), ["BIOUSDT"]);
    drop(server);
}
