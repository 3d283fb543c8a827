//! `Subscribers` under re-entry: a listener that ends a subscription while it is called.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::Duration;

use cache_core::{Signal, Subscribers, Subscription};

/// Long enough for any announcement here; a hang is the failure being tested for.
const WATCHDOG: Duration = Duration::from_secs(10);

/// What a local cache is to its listener: a value that owns its own subscription and is
/// reached from the listener through a `Weak`.
struct Holder {
    subscription: Mutex<Option<Subscription>>,
}

#[test]
fn the_last_owner_of_a_subscription_dropped_inside_its_listener_does_not_deadlock() {
    let subscribers = Subscribers::new(true);
    let holder = Arc::new(Holder {
        subscription: Mutex::new(None),
    });
    let (upgraded_tx, upgraded) = mpsc::channel::<()>();
    let (released_tx, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let weak: Weak<Holder> = Arc::downgrade(&holder);
    let subscription = subscribers.subscribe(Arc::new(move |signal: &Signal<'_>| {
        if signal.key() != Some("k") {
            return;
        }
        let Some(held) = weak.upgrade() else {
            return;
        };
        upgraded_tx.send(()).unwrap();
        // Another thread drops its owner meanwhile: `held` is now the last one.
        released.lock().unwrap().recv().unwrap();
        drop(held);
    }));
    *holder.subscription.lock().unwrap() = Some(subscription);

    let announcer = subscribers.clone();
    let (done_tx, done) = mpsc::channel();
    thread::spawn(move || {
        announcer.announce(&Signal::Removed { key: "k" });
        announcer.announce(&Signal::Removed { key: "later" });
        done_tx.send(()).unwrap();
    });
    upgraded
        .recv_timeout(WATCHDOG)
        .expect("the listener is called");
    drop(holder);
    released_tx.send(()).unwrap();

    done.recv_timeout(WATCHDOG)
        .expect("announcing finishes although a listener unsubscribed from within");
    assert_eq!(subscribers.len(), 0, "the dropped subscription is removed");
    let again = subscribers.clone();
    let (next_tx, next) = mpsc::channel();
    thread::spawn(move || {
        again.set_up(false);
        next_tx.send(again.is_up()).unwrap();
    });
    assert_eq!(
        next.recv_timeout(WATCHDOG),
        Ok(false),
        "later changes go on"
    );
}

#[test]
fn announcements_reach_listeners_in_the_order_they_were_made_across_threads() {
    let subscribers = Subscribers::new(false);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let _subscription = subscribers.subscribe(Arc::new(move |signal: &Signal<'_>| {
        log.lock().unwrap().push(matches!(signal, Signal::Up));
    }));
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let subscribers = subscribers.clone();
            thread::spawn(move || {
                for i in 0..500 {
                    subscribers.set_up((i + n) % 2 == 0);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let seen = seen.lock().unwrap();
    // Each change is told once, so the states told alternate and end at the state held.
    assert!(seen.windows(2).all(|pair| pair[0] != pair[1]), "{seen:?}");
    assert_eq!(seen.last().copied(), Some(subscribers.is_up()));
}
