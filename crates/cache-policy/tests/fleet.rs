//! `Fleet`: callers that share a cache take turns at the work through its lease.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cache_core::{Cache, MemoryCache, MockCache};
use cache_policy::Fleet;

/// Where the holder's result lands, as a cache entry would.
#[derive(Clone, Default)]
struct Stored(Arc<Mutex<Option<u32>>>);

impl Stored {
    fn ready(&self) -> impl FnMut() -> std::future::Ready<Option<u32>> + use<> {
        let stored = self.clone();
        move || std::future::ready(*stored.0.lock().unwrap())
    }
}

/// Work that takes `time`, counts its runs and stores `value` unless told not to.
fn work(
    runs: &Arc<AtomicUsize>,
    stored: &Stored,
    time: Duration,
    value: Option<u32>,
) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = u32> + Send>> + use<> {
    let (runs, stored) = (runs.clone(), stored.clone());
    move || {
        Box::pin(async move {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(time).await;
            if let Some(value) = value {
                *stored.0.lock().unwrap() = Some(value);
            }
            value.unwrap_or(0)
        })
    }
}

fn fleet() -> Fleet {
    Fleet::new()
        .with_poll(Duration::from_millis(5), Duration::from_millis(20))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_works_and_the_others_get_its_result() {
    let cache = MemoryCache::new(1 << 20);
    let (runs, stored, fleet) = (Arc::new(AtomicUsize::new(0)), Stored::default(), fleet());
    let mut calls = Vec::new();
    for _ in 0..10 {
        let (cache, fleet, stored) = (cache.clone(), fleet.clone(), stored.clone());
        let work = work(&runs, &stored, Duration::from_millis(200), Some(7));
        calls.push(tokio::spawn(async move {
            fleet
                .run(&cache, "refresh:linear", stored.ready(), work)
                .await
        }));
    }
    for call in calls {
        assert_eq!(call.await.unwrap(), 7);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1, "one run of the work");
    let stats = fleet.stats();
    assert_eq!(
        (stats.won, stats.lost, stats.waited),
        (1, 9, 9),
        "{stats:?}"
    );
    assert_eq!((stats.gave_up, stats.unleased, stats.expired), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_finds_a_result_stored_just_before_it_took_the_lease() {
    let cache = MemoryCache::new(1 << 20);
    let (runs, stored, fleet) = (Arc::new(AtomicUsize::new(0)), Stored::default(), fleet());
    *stored.0.lock().unwrap() = Some(3);
    let work = work(&runs, &stored, Duration::ZERO, Some(9));
    assert_eq!(fleet.run(&cache, "n", stored.ready(), work).await, 3);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    let lease = cache.lease().unwrap();
    let ttl = Duration::from_secs(1);
    assert!(
        lease.try_acquire("n", ttl).await.unwrap().is_some(),
        "released"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_takes_over_when_the_holder_stores_nothing() {
    let cache = MemoryCache::new(1 << 20);
    let (runs, stored, fleet) = (Arc::new(AtomicUsize::new(0)), Stored::default(), fleet());
    let failing = work(&runs, &stored, Duration::from_millis(100), None);
    let holder = {
        let (cache, fleet, stored) = (cache.clone(), fleet.clone(), stored.clone());
        tokio::spawn(async move { fleet.run(&cache, "n", stored.ready(), failing).await })
    };
    while runs.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let storing = work(&runs, &stored, Duration::ZERO, Some(5));
    assert_eq!(fleet.run(&cache, "n", stored.ready(), storing).await, 5);
    assert_eq!(holder.await.unwrap(), 0);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "the waiter worked after the holder"
    );
    let stats = fleet.stats();
    assert_eq!(
        (stats.won, stats.lost, stats.waited),
        (2, 1, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_extended_while_a_long_work_runs() {
    let cache = MemoryCache::new(1 << 20);
    let (runs, stored) = (Arc::new(AtomicUsize::new(0)), Stored::default());
    let fleet = fleet().with_lease_ttl(Duration::from_millis(60)).unwrap();
    let long = work(&runs, &stored, Duration::from_millis(400), Some(1));
    let holder = {
        let (cache, fleet, stored) = (cache.clone(), fleet.clone(), stored.clone());
        tokio::spawn(async move { fleet.run(&cache, "n", stored.ready(), long).await })
    };
    while runs.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let other = work(&runs, &stored, Duration::ZERO, Some(2));
    assert_eq!(fleet.run(&cache, "n", stored.ready(), other).await, 1);
    assert_eq!(holder.await.unwrap(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the lease never lapsed");
    assert_eq!(fleet.stats().expired, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_works_itself_after_max_wait() {
    let cache = MemoryCache::new(1 << 20);
    let (runs, stored) = (Arc::new(AtomicUsize::new(0)), Stored::default());
    let fleet = fleet().with_max_wait(Duration::from_millis(50));
    let slow = work(&runs, &stored, Duration::from_millis(600), Some(1));
    let holder = {
        let (cache, fleet, stored) = (cache.clone(), fleet.clone(), stored.clone());
        tokio::spawn(async move { fleet.run(&cache, "n", stored.ready(), slow).await })
    };
    while runs.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let own = work(&runs, &stored, Duration::ZERO, Some(2));
    assert_eq!(fleet.run(&cache, "n", stored.ready(), own).await, 2);
    assert_eq!(fleet.stats().gave_up, 1);
    holder.await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cache_without_leases_lets_every_caller_work() {
    let cache = Arc::new(MockCache::new());
    let (runs, stored, fleet) = (Arc::new(AtomicUsize::new(0)), Stored::default(), fleet());
    for _ in 0..3 {
        let work = work(&runs, &stored, Duration::ZERO, Some(4));
        assert_eq!(fleet.run(&cache, "n", stored.ready(), work).await, 4);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(fleet.stats().unleased, 3);
}

#[test]
fn bad_settings_are_refused() {
    assert!(
        Fleet::new()
            .with_lease_ttl(Duration::from_millis(10))
            .is_err()
    );
    let (a, b) = (Duration::from_millis(50), Duration::from_millis(10));
    assert!(Fleet::new().with_poll(a, b).is_err());
    assert!(Fleet::new().with_poll(Duration::ZERO, b).is_err());
}

/// How long (in the paused clock) a waiter polling every 20 s waits for a holder that stores
/// its result under `result` after 1 s, watching that key or not.
async fn waited_for_a_stored_result(watching: bool) -> Duration {
    let cache = MemoryCache::new(1 << 20);
    let slow = Fleet::new()
        .with_poll(Duration::from_secs(20), Duration::from_secs(20))
        .unwrap()
        .with_max_wait(Duration::from_secs(60));
    let (runs, stored) = (Arc::new(AtomicUsize::new(0)), Stored::default());
    let holder = {
        let (cache, fleet, stored, runs) =
            (cache.clone(), slow.clone(), stored.clone(), runs.clone());
        tokio::spawn(async move {
            let work = || async {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                *stored.0.lock().unwrap() = Some(7);
                cache
                    .set("result", vec![7].into(), Duration::from_secs(60))
                    .await
                    .unwrap();
                7
            };
            fleet.run(&cache, "refresh", stored.ready(), work).await
        })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    let started = tokio::time::Instant::now();
    let never = work(&runs, &stored, Duration::ZERO, Some(0));
    let got = if watching {
        slow.run_watching(&cache, "refresh", "result", stored.ready(), never)
            .await
    } else {
        slow.run(&cache, "refresh", stored.ready(), never).await
    };
    assert_eq!((got, holder.await.unwrap()), (7, 7));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(slow.stats().waited, 1, "{:?}", slow.stats());
    started.elapsed()
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_waiter_watching_the_result_s_key_looks_when_it_is_written() {
    let watched = waited_for_a_stored_result(true).await;
    assert!(watched < Duration::from_secs(2), "{watched:?}");
    // Without the announcement it waits for its next look, 10 s at the soonest.
    let polled = waited_for_a_stored_result(false).await;
    assert!(polled >= Duration::from_secs(10), "{polled:?}");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_waiter_that_starts_after_the_result_was_written_looks_at_once() {
    let cache = MemoryCache::new(1 << 20);
    let slow = Fleet::new()
        .with_poll(Duration::from_secs(20), Duration::from_secs(20))
        .unwrap();
    let (runs, stored) = (Arc::new(AtomicUsize::new(0)), Stored::default());
    // The holder stores its result at once, then keeps the lease a minute longer.
    let holder = {
        let (cache, fleet, stored) = (cache.clone(), slow.clone(), stored.clone());
        let work = work(&runs, &stored, Duration::ZERO, Some(7));
        tokio::spawn(async move {
            let work = || async {
                let value = work().await;
                cache
                    .set("result", vec![7].into(), Duration::from_secs(60))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_secs(60)).await;
                value
            };
            fleet.run(&cache, "refresh", stored.ready(), work).await
        })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        *stored.0.lock().unwrap(),
        Some(7),
        "written before the waiter came"
    );
    let started = tokio::time::Instant::now();
    let never = work(&runs, &stored, Duration::ZERO, Some(0));
    let got = slow
        .run_watching(&cache, "refresh", "result", stored.ready(), never)
        .await;
    assert_eq!(got, 7);
    // No announcement comes after it subscribed: it looked on its subscription being up.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    holder.abort();
}
