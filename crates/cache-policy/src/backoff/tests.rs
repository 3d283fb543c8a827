use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cache_core::{Cache, MemoryCache, MockCache};

use super::*;

/// An upstream's error, or the back-off's, as a caller's error type holds them.
#[derive(Debug)]
enum Failed {
    Status(u16),
    Later(BackingOff),
}

impl Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(status) => write!(f, "HTTP {status}"),
            Self::Later(later) => later.fmt(f),
        }
    }
}

impl From<BackingOff> for Failed {
    fn from(later: BackingOff) -> Self {
        Self::Later(later)
    }
}

fn classify(error: &Failed) -> FailureClass {
    match error {
        Failed::Status(403) => FailureClass::Banned,
        _ => FailureClass::Transient,
    }
}

#[test]
fn transient_pauses_double_from_the_first_to_the_longest() {
    let backoff = Backoff::new();
    for (failures, least) in [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)] {
        let pause = backoff.pause(FailureClass::Transient, failures);
        let least = Duration::from_secs(least);
        let most = (least * 3 / 2).min(DEFAULT_LONGEST_PAUSE);
        assert!(pause >= least && pause <= most, "{failures}: {pause:?}");
    }
    assert_eq!(backoff.pause(FailureClass::Banned, 1), DEFAULT_BAN_PAUSE);
}

#[test]
fn a_reset_time_is_waited_for_within_the_first_and_ban_pauses() {
    let backoff = Backoff::new();
    let in_seven = SystemTime::now() + Duration::from_secs(7);
    let pause = backoff.pause(FailureClass::Until(in_seven), 5);
    assert!(
        pause > Duration::from_secs(6) && pause <= Duration::from_secs(7),
        "{pause:?}"
    );
    let past = SystemTime::now() - Duration::from_secs(7);
    assert_eq!(
        backoff.pause(FailureClass::Until(past), 1),
        DEFAULT_FIRST_PAUSE
    );
    let far = SystemTime::now() + Duration::from_secs(86_400);
    assert_eq!(
        backoff.pause(FailureClass::Until(far), 1),
        DEFAULT_BAN_PAUSE
    );
}

#[test]
fn pauses_can_be_configured_and_are_checked() {
    let ms = Duration::from_millis;
    let backoff = Backoff::new()
        .with_pauses(ms(10), ms(40))
        .unwrap()
        .with_ban_pause(ms(500))
        .unwrap();
    let fourth = backoff.pause(FailureClass::Transient, 4);
    assert_eq!(fourth, ms(40), "80 ms or more, cut to the longest");
    assert_eq!(backoff.pause(FailureClass::Banned, 1), ms(500));
    assert!(Backoff::new().with_pauses(Duration::ZERO, ms(40)).is_err());
    assert!(Backoff::new().with_pauses(ms(50), ms(40)).is_err());
    assert!(Backoff::new().with_ban_pause(ms(10)).is_err());
}

#[tokio::test]
async fn a_failure_holds_back_every_process_until_a_success_clears_it() {
    let cache = MemoryCache::new(1 << 20);
    let (here, elsewhere) = (Backoff::new(), Backoff::new());
    let calls = AtomicUsize::new(0);
    let failing = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(Failed::Status(500))
    };
    let failed = here.run(&cache, "work", classify, failing).await;
    assert!(matches!(failed, Err(Failed::Status(500))), "{failed:?}");
    let stored = cache.get("work:failed").await.unwrap().unwrap();
    let marker = BackoffMarker::decode(&stored).unwrap();
    assert_eq!((marker.failures(), marker.cause()), (1, "HTTP 500"));

    let later = elsewhere.run(&cache, "work", classify, failing).await;
    match later {
        Err(Failed::Later(later)) => {
            assert_eq!(later.cause, "HTTP 500");
            assert!(later.retry_in <= Duration::from_millis(1500), "{later:?}");
        }
        other => panic!("expected a back-off, got {other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "asked once");

    // Due again (as when the pause is over): the next attempt is made, and its success
    // clears the marker for everyone.
    let due = BackoffMarker {
        until: SystemTime::now(),
        ..marker
    };
    cache.set("work:failed", due.encode(), HOUR).await.unwrap();
    let ok = elsewhere.run(&cache, "work", classify, || async { Ok(7) });
    assert_eq!(ok.await.unwrap(), 7);
    assert_eq!(cache.get("work:failed").await.unwrap(), None);
    assert_eq!(elsewhere.marker(&cache, "work").await, None);
}

const HOUR: Duration = Duration::from_secs(3600);

/// A marker as another process sees it: its time is stored to the millisecond.
fn seen(marker: &BackoffMarker) -> (u32, u128, &str) {
    let until = marker
        .until()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (marker.failures(), until.as_millis(), marker.cause())
}

#[tokio::test]
async fn failures_in_a_row_are_counted_across_processes() {
    let cache = MemoryCache::new(1 << 20);
    let (here, elsewhere) = (Backoff::new(), Backoff::new());
    let first = here
        .record_failure(&cache, "work", None, FailureClass::Transient, "HTTP 502")
        .await;
    let previous = elsewhere.marker(&cache, "work").await;
    assert_eq!(previous.as_ref().map(seen), Some(seen(&first)));
    let second = elsewhere
        .record_failure(
            &cache,
            "work",
            previous.as_ref(),
            FailureClass::Banned,
            "HTTP 403",
        )
        .await;
    assert_eq!(second.failures(), 2);
    assert!(second.retry_in() > Duration::from_secs(9 * 60));
}

#[tokio::test]
async fn bytes_that_are_not_a_marker_do_not_stop_the_work() {
    let cache = MemoryCache::new(1 << 20);
    let hostile = Bytes::from_static(b"\xff\xfe 99999999999999999999 \x1b[2J");
    cache.set("work:failed", hostile, HOUR).await.unwrap();
    let backoff = Backoff::new();
    assert_eq!(backoff.marker(&cache, "work").await, None);
    let done = backoff.run(&cache, "work", classify, || async { Ok(1) });
    assert_eq!(done.await.unwrap(), 1);
}

#[tokio::test]
async fn a_process_that_cannot_reach_the_cache_backs_off_by_its_own_markers() {
    let down = || cache_core::Error::unavailable("down", std::io::Error::other("refused"));
    let mut mock = MockCache::new();
    mock.expect_get().returning(move |_| Err(down()));
    mock.expect_set().returning(move |_, _, _| Err(down()));
    let backoff = Backoff::new();
    let calls = AtomicUsize::new(0);
    let failing = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err::<(), _>(Failed::Status(403))
    };
    let _ = backoff.run(&mock, "work", classify, failing).await;
    let again = backoff.run(&mock, "work", classify, failing).await;
    assert!(matches!(again, Err(Failed::Later(_))), "{again:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let other_process = Backoff::new().marker(&mock, "work").await;
    assert_eq!(other_process, None, "its markers are its own");
}

#[tokio::test]
async fn the_later_of_its_own_and_the_caches_marker_counts() {
    let cache = MemoryCache::new(1 << 20);
    let backoff = Backoff::new();
    let own = backoff
        .record_failure(&cache, "work", None, FailureClass::Banned, "HTTP 403")
        .await;
    // Another process overwrote it with a shorter pause, as after a transient failure.
    let shorter = BackoffMarker {
        failures: 1,
        until: SystemTime::now() + Duration::from_secs(1),
        cause: "HTTP 500".to_owned(),
    };
    cache
        .set("work:failed", shorter.encode(), HOUR)
        .await
        .unwrap();
    let found = backoff.marker(&cache, "work").await;
    assert_eq!(found.as_ref().map(seen), Some(seen(&own)));
    let other_process = Backoff::new().marker(&cache, "work").await;
    assert_eq!(other_process.as_ref().map(seen), Some(seen(&shorter)));
}

#[tokio::test]
async fn clearing_removes_both_markers() {
    let cache = MemoryCache::new(1 << 20);
    let backoff = Backoff::new();
    backoff
        .record_failure(&cache, "work", None, FailureClass::Banned, "HTTP 403")
        .await;
    backoff.clear(&cache, "work").await.unwrap();
    assert_eq!(backoff.marker(&cache, "work").await, None);
    assert_eq!(cache.get("work:failed").await.unwrap(), None);
}
