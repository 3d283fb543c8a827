//! `market-data serve`'s event streams: a snapshot, then each change as `watch --json`
//! prints it, on every sidecar sharing the cache, and `Last-Event-ID` to continue.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use bybit_client::testing::MockBybit;
use hyper::StatusCode;
use redis_test_server::RedisServer;

use common::changes::{change_four, four_changes, snapshot};
use common::http::{Event, Events};
use common::sidecar::Sidecar;

const PATH: &str = "/v1/bybit/linear/events";

/// The next `n` events, each named as its data says.
async fn changes(events: &mut Events, n: usize) -> Vec<Event> {
    let mut got = Vec::new();
    for _ in 0..n {
        let event = events.next().await.expect("the stream ended");
        assert_eq!(event.json()["event"], event.event.as_str(), "{event:?}");
        got.push(event);
    }
    got
}

fn data(events: &[Event]) -> BTreeSet<String> {
    events.iter().map(|e| e.json().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sidecar_streams_each_change_once_and_a_client_continues_after_its_last_event() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s"];
    let started = Instant::now();
    let a = Sidecar::start(&redis.url(), &bybit.base_url(), &args).await;
    let b = Sidecar::start(&redis.url(), &bybit.base_url(), &args).await;
    let mut streams = [
        Events::open(&a.base, PATH, None).await,
        Events::open(&b.base, PATH, None).await,
    ];
    let mut snapshot_ids = Vec::new();
    for events in &mut streams {
        assert_eq!(events.status, StatusCode::OK);
        let kind = events
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(kind, "text/event-stream");
        let first = events.next().await.unwrap();
        assert_eq!(
            (first.event.as_str(), first.json()),
            ("snapshot", snapshot(214))
        );
        snapshot_ids.push(first.id);
    }

    change_four(&bybit);
    let mut seen = Vec::new();
    for events in &mut streams {
        let got = changes(events, 4).await;
        assert_eq!(data(&got), four_changes());
        let ids: BTreeSet<&str> = got.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), 4, "one id each: {got:?}");
        seen.push(got);
    }
    // About one fetch per refresh period between the two, not one each.
    let periods = started.elapsed().as_secs_f64() / 0.8;
    let runs = bybit.requests().iter().filter(|r| r.page == 0).count();
    assert!(
        runs as f64 <= periods + 2.0,
        "{runs} runs in {periods:.1} periods"
    );

    // Reconnecting after the second change: the third and fourth follow, no snapshot.
    let on_a = &seen[0];
    let mut resumed = Events::open(&a.base, PATH, Some(&on_a[1].id)).await;
    assert_eq!(changes(&mut resumed, 2).await, on_a[2..].to_vec());
    // After the snapshot: every change.
    let mut resumed = Events::open(&a.base, PATH, Some(&snapshot_ids[0])).await;
    assert_eq!(changes(&mut resumed, 4).await, on_a.clone());
    // An id this sidecar never sent (another sidecar's, or one forgotten): a new snapshot,
    // counted after the changes.
    for unknown in [on_a[1].id.as_str(), "elsewhere-2", "garbage"] {
        let base = if unknown == on_a[1].id {
            &b.base
        } else {
            &a.base
        };
        let mut fresh = Events::open(base, PATH, Some(unknown)).await;
        let first = fresh.next().await.unwrap();
        assert_eq!(
            (first.event.as_str(), first.json()),
            ("snapshot", snapshot(214))
        );
    }
}
