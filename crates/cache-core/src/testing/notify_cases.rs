//! The conformance cases of [`Notifications`], for backends that have them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use super::key;
use crate::envelope::{self, HEADER_LEN};
use crate::{Cache, Codec, Entry, Notifications, Signal, Subscription};

const MINUTE: Duration = Duration::from_secs(60);
/// How long an announcement may take to arrive before the case fails: far beyond any
/// delivery on one machine, so that only a lost announcement trips it.
const PATIENCE: Duration = Duration::from_secs(10);

/// A signal as a listener saw it, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Up,
    Down,
    Written(String, Vec<u8>),
    Removed(String),
}

#[derive(Default)]
struct Log(Mutex<Vec<Seen>>);

impl Log {
    fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    /// The changes seen to keys that start with `prefix`, in order.
    fn changes(&self, prefix: &str) -> Vec<Seen> {
        let mine = |seen: &Seen| match seen {
            Seen::Written(key, _) | Seen::Removed(key) => key.starts_with(prefix),
            Seen::Up | Seen::Down => false,
        };
        self.all().into_iter().filter(mine).collect()
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} not seen within {PATIENCE:?}; seen: {:?}",
                self.all()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn notifications_of(cache: &Arc<dyn Cache>) -> &dyn Notifications {
    cache
        .notifications()
        .expect("a backend under the notification cases announces its changes")
}

fn listen(notifications: &dyn Notifications) -> (Arc<Log>, Subscription) {
    let log = Arc::new(Log::default());
    let seen = log.clone();
    let subscription = notifications.subscribe(Arc::new(move |signal: &Signal<'_>| {
        let owned = match *signal {
            Signal::Up => Seen::Up,
            Signal::Down => Seen::Down,
            Signal::Written { key, head } => Seen::Written(key.to_owned(), head.to_vec()),
            Signal::Removed { key } => Seen::Removed(key.to_owned()),
        };
        seen.0.lock().unwrap().push(owned);
    }));
    (log, subscription)
}

/// A subscriber is told the state first, then that announcements flow; every `set`,
/// `set_many` and `delete` is then announced with its key (as the caller named it) and, for a
/// write, the value's first [`HEADER_LEN`] bytes, from which the written value's stamp is
/// read; changes to one key arrive in the order they were made; a dropped subscription hears
/// nothing more.
pub async fn notifications_announce_changes(cache: Arc<dyn Cache>) {
    let notifications = notifications_of(&cache);
    let (log, subscription) = listen(notifications);
    let first = log.all().first().cloned();
    assert!(
        matches!(first, Some(Seen::Up | Seen::Down)),
        "the state comes first: {first:?}"
    );
    log.wait_for("Up", |log| log.all().contains(&Seen::Up))
        .await;

    let prefix = key("notifications_announce_changes", "");
    let (a, b, c) = (
        format!("{prefix}a"),
        format!("{prefix}b"),
        format!("{prefix}c"),
    );
    let value = Bytes::from(Codec::msgpack().encode(&["BTCUSDT", "ETHUSDT"]).unwrap());
    cache.set(&a, value.clone(), MINUTE).await.unwrap();
    let short = Bytes::from_static(b"short");
    let batch = vec![
        Entry::new(&b, value.clone(), MINUTE),
        Entry::new(&c, short.clone(), MINUTE),
    ];
    cache.set_many(batch).await.unwrap();
    assert!(cache.delete(&a).await.unwrap());
    log.wait_for("four changes", |log| log.changes(&prefix).len() >= 4)
        .await;

    let changes = log.changes(&prefix);
    let head = value[..HEADER_LEN].to_vec();
    let of = |key: &str| -> Vec<Seen> {
        let key = key.to_owned();
        changes
            .iter()
            .filter(|seen| matches!(seen, Seen::Written(k, _) | Seen::Removed(k) if *k == key))
            .cloned()
            .collect()
    };
    assert_eq!(
        of(&a),
        [
            Seen::Written(a.clone(), head.clone()),
            Seen::Removed(a.clone())
        ]
    );
    assert_eq!(of(&b), [Seen::Written(b.clone(), head.clone())]);
    assert_eq!(of(&c), [Seen::Written(c.clone(), short.to_vec())]);
    let announced = Signal::Written {
        key: &a,
        head: &head,
    };
    assert_eq!(announced.stamp(), Some(envelope::stamp(&value).unwrap()));
    assert_eq!(changes.len(), 4, "nothing else: {changes:?}");

    // Listeners are called in one order: once a second one hears a later change, the
    // first, dropped before it, would have heard the earlier one.
    drop(subscription);
    let before = log.all().len();
    cache.set(&a, value.clone(), MINUTE).await.unwrap();
    let (second, _kept) = listen(notifications);
    second
        .wait_for("Up", |log| log.all().contains(&Seen::Up))
        .await;
    cache.delete(&b).await.unwrap();
    second
        .wait_for("the delete", |log| {
            log.changes(&prefix).contains(&Seen::Removed(b.clone()))
        })
        .await;
    assert_eq!(
        log.all().len(),
        before,
        "a dropped subscription hears nothing"
    );
}
