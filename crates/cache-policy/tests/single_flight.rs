//! SingleFlight: shared calls, shared errors, cancelled leaders, panics and deadlines.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache_policy::{FetchError, SingleFlight};
use tokio::sync::Notify;

mod support;
use support::{NotifyOnDrop, QuietPanics};

#[tokio::test]
async fn an_error_is_shared_by_every_caller() {
    let flights = SingleFlight::<u32, String>::new();
    let gate = Arc::new(Notify::new());
    let call = || {
        let gate = gate.clone();
        flights.run("k", move || async move {
            gate.notified().await;
            Err("boom".to_owned())
        })
    };
    let (a, b, _) = tokio::join!(call(), call(), async { gate.notify_one() });
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert_eq!(a.upstream().map(|e| e.as_str()), Some("boom"));
    assert!(
        Arc::ptr_eq(a.upstream().unwrap(), b.upstream().unwrap()),
        "one error, shared"
    );
    assert_eq!(flights.in_flight(), 0);
}

#[tokio::test]
async fn a_follower_finishes_the_flight_of_a_cancelled_leader() {
    let flights = Arc::new(SingleFlight::<u32, String>::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Notify::new());
    let start = |flights: Arc<SingleFlight<u32, String>>| {
        let (calls, gate) = (calls.clone(), gate.clone());
        tokio::spawn(async move {
            flights
                .run("k", move || async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    gate.notified().await;
                    Ok(7)
                })
                .await
        })
    };
    let leader = start(flights.clone());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let follower = start(flights.clone());
    tokio::time::sleep(Duration::from_millis(20)).await;
    leader.abort();
    gate.notify_one();
    assert_eq!(*follower.await.unwrap().unwrap(), 7);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the follower joined, it did not start over"
    );
    assert_eq!(flights.in_flight(), 0, "the finished flight is retired");
}

#[tokio::test]
async fn distinct_keys_fly_separately_and_later_calls_start_anew() {
    let flights = SingleFlight::<usize, String>::new();
    let calls = AtomicUsize::new(0);
    let call = |key: &'static str| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        flights.run(key, move || async move { Ok(n) })
    };
    let (a, b) = tokio::join!(call("a"), call("b"));
    assert_ne!(*a.unwrap(), *b.unwrap());
    let later = call("a").await.unwrap();
    assert_eq!(*later, 2, "a finished flight is not a cache");
}

#[tokio::test]
async fn a_panicking_call_frees_its_key() {
    let flights = SingleFlight::<u32, String>::new();
    let outcome = flights.run("k", || async { panic!("upstream bug") }).await;
    assert!(
        matches!(outcome, Err(FetchError::Panicked(ref m)) if m == "upstream bug"),
        "{outcome:?}"
    );
    assert_eq!(flights.in_flight(), 0);
    assert_eq!(
        *flights.run("k", || async { Ok(5) }).await.unwrap(),
        5,
        "the key works again"
    );
}

/// A `Shared` future whose inner future panics is poisoned: the waiters polled at that moment
/// were never woken, and the others panicked with "inner future panicked during poll".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_waiter_of_a_panicking_call_gets_the_panic_as_an_error() {
    // One panic a round, each of which would print its message.
    let _quiet = QuietPanics::new("upstream bug");
    for round in 0..20 {
        let flights = Arc::new(SingleFlight::<u32, String>::new());
        let mut waiters = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let flights = flights.clone();
            waiters.spawn(async move {
                flights
                    .run("k", || async {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        panic!("upstream bug")
                    })
                    .await
            });
        }
        let all = async {
            let mut outcomes = Vec::new();
            while let Some(joined) = waiters.join_next().await {
                outcomes.push(joined.expect("a waiter panicked"));
            }
            outcomes
        };
        let outcomes = tokio::time::timeout(Duration::from_secs(10), all)
            .await
            .unwrap_or_else(|_| panic!("round {round}: a waiter was stranded"));
        for outcome in outcomes {
            assert!(
                matches!(outcome, Err(FetchError::Panicked(ref m)) if m == "upstream bug"),
                "round {round}: {outcome:?}"
            );
        }
        assert_eq!(flights.in_flight(), 0, "round {round}: the key is free");
    }
}

#[tokio::test(start_paused = true)]
async fn a_call_past_its_deadline_is_abandoned_for_every_caller() {
    let flights = SingleFlight::<u32, String>::new();
    let dropped = Arc::new(Notify::new());
    let call = || {
        let dropped = dropped.clone();
        flights.run_within("k", Duration::from_secs(30), move || async move {
            let _guard = NotifyOnDrop(dropped);
            std::future::pending::<Result<u32, String>>().await
        })
    };
    let both = async { tokio::join!(call(), call(), dropped.notified()) };
    let (a, b, _) = tokio::time::timeout(Duration::from_secs(3600), both)
        .await
        .expect("the call was not abandoned");
    for outcome in [a, b] {
        assert!(
            matches!(outcome, Err(FetchError::Deadline(d)) if d == Duration::from_secs(30)),
            "{outcome:?}"
        );
    }
    assert_eq!(flights.in_flight(), 0);
    let quick = flights.run_within("k", Duration::from_secs(30), || async { Ok(1) });
    assert_eq!(*quick.await.unwrap(), 1, "a call within its deadline");
}

#[tokio::test]
async fn a_call_whose_callers_all_left_finishes_and_is_not_resumed_later() {
    let flights = SingleFlight::<&'static str, String>::new();
    let gate = Arc::new(Notify::new());
    let finished = Arc::new(AtomicUsize::new(0));
    let (g, f) = (gate.clone(), finished.clone());
    let abandoned = flights.run("k", move || async move {
        g.notified().await;
        f.fetch_add(1, Ordering::SeqCst);
        Ok("old")
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(20), abandoned)
            .await
            .is_err()
    );
    gate.notify_one();
    for _ in 0..100 {
        if flights.in_flight() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the call ran to its end on its own"
    );
    assert_eq!(flights.in_flight(), 0);
    let fresh = flights.run("k", || async { Ok("new") }).await.unwrap();
    assert_eq!(*fresh, "new", "a new call, not the old one resumed");
}

#[test]
fn a_call_whose_runtime_shuts_down_is_cancelled_for_its_waiters() {
    let flights = Arc::new(SingleFlight::<u32, String>::new());
    let first = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let leader = flights.clone();
    first.spawn(async move {
        leader
            .run("k", std::future::pending::<Result<u32, String>>)
            .await
    });
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        while flights.in_flight() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The waiter joins the call first, then the runtime it runs on goes away.
        let waiter = flights.run("k", || async { Ok(0) });
        let (outcome, ()) = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(waiter, async { first.shutdown_background() })
        })
        .await
        .expect("the waiter was stranded");
        assert!(matches!(outcome, Err(FetchError::Cancelled)), "{outcome:?}");
    });
    assert_eq!(flights.in_flight(), 0, "the key is free");
}
