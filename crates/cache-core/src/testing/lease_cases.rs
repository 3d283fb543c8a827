//! The conformance cases of [`Lease`]: exclusive, token-guarded, expiring, and apart from
//! the cache's keys.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::key;
use crate::{Cache, Error, Lease, LeaseToken};

const MINUTE: Duration = Duration::from_secs(60);

fn lease_of(cache: &Arc<dyn Cache>) -> &dyn Lease {
    cache
        .lease()
        .expect("every backend of the workspace has a lease")
}

async fn take(lease: &dyn Lease, name: &str, ttl: Duration) -> LeaseToken {
    lease
        .try_acquire(name, ttl)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("nobody holds {name}"))
}

async fn is_held(lease: &dyn Lease, name: &str) -> bool {
    match lease.try_acquire(name, MINUTE).await.unwrap() {
        None => true,
        Some(token) => {
            assert!(lease.release(name, &token).await.unwrap());
            false
        }
    }
}

/// A held lease cannot be taken again, other names can; of many tasks that try one name at
/// once, exactly one wins.
pub async fn lease_exclusive(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let (a, b) = (key("lease_exclusive", "a"), key("lease_exclusive", "b"));
    let token = take(lease, &a, MINUTE).await;
    assert_eq!(lease.try_acquire(&a, MINUTE).await.unwrap(), None, "taken");
    let other = take(lease, &b, MINUTE).await;
    assert_ne!(token, other, "each lease has its own token");

    let contended = key("lease_exclusive", "contended");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (cache, name) = (cache.clone(), contended.clone());
        tasks.spawn(async move { lease_of(&cache).try_acquire(&name, MINUTE).await.unwrap() });
    }
    let winners = tasks.join_all().await.into_iter().flatten().count();
    assert_eq!(winners, 1, "one of 16 concurrent attempts takes the lease");
}

/// Releasing frees the name for the next taker, with a new token; a second release of the
/// same token finds nothing.
pub async fn lease_release(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_release", "n");
    let first = take(lease, &name, MINUTE).await;
    assert!(
        lease.release(&name, &first).await.unwrap(),
        "ours to release"
    );
    assert!(!lease.release(&name, &first).await.unwrap(), "already gone");
    let second = take(lease, &name, MINUTE).await;
    assert_ne!(first, second, "a new holder, a new token");
    assert!(!lease.release(&name, &first).await.unwrap());
    assert!(is_held(lease, &name).await, "the old token freed nothing");
    assert!(lease.release(&name, &second).await.unwrap());
    assert!(!is_held(lease, &name).await);
}

/// Extending or releasing with a token that is not the holder's returns false and leaves
/// the holder's lease as it was.
pub async fn lease_wrong_token(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_wrong_token", "n");
    let never_held = key("lease_wrong_token", "never-held");
    let holder = take(lease, &name, MINUTE).await;
    let stranger = LeaseToken::random().unwrap();
    assert!(!lease.extend(&name, &stranger, MINUTE).await.unwrap());
    assert!(!lease.release(&name, &stranger).await.unwrap());
    assert!(!lease.extend(&never_held, &holder, MINUTE).await.unwrap());
    assert!(!lease.release(&never_held, &holder).await.unwrap());
    assert!(
        !is_held(lease, &never_held).await,
        "a failed extend took nothing"
    );
    assert!(is_held(lease, &name).await, "still the holder's");
    assert!(lease.extend(&name, &holder, MINUTE).await.unwrap());
    assert!(lease.release(&name, &holder).await.unwrap());
}

/// A lease not extended ends after its TTL: another taker gets it, and the old token no
/// longer extends or releases anything.
pub async fn lease_expiry(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_expiry", "n");
    let old = take(lease, &name, Duration::from_millis(300)).await;
    assert_eq!(lease.try_acquire(&name, MINUTE).await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!lease.extend(&name, &old, MINUTE).await.unwrap(), "expired");
    let new = take(lease, &name, MINUTE).await;
    assert!(!lease.release(&name, &old).await.unwrap());
    assert!(
        is_held(lease, &name).await,
        "the old token released nothing"
    );
    assert!(lease.release(&name, &new).await.unwrap());
}

/// Extending a lease before it ends keeps it past its first TTL.
pub async fn lease_extend(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_extend", "n");
    let first_ttl = Duration::from_millis(1500);
    let token = take(lease, &name, first_ttl).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(lease.extend(&name, &token, MINUTE).await.unwrap());
    tokio::time::sleep(first_ttl).await;
    assert!(is_held(lease, &name).await, "held past the first TTL");
    assert!(lease.extend(&name, &token, MINUTE).await.unwrap());
    assert!(lease.release(&name, &token).await.unwrap());
}

/// Leases and cache entries never meet: a lease named like a key neither blocks, reads,
/// nor deletes it, and the key's operations leave the lease alone.
pub async fn lease_apart_from_keys(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_apart_from_keys", "n");
    // The same string, and strings a backend might build lease keys from.
    let keys = [
        name.clone(),
        format!("lease:{name}"),
        format!("lease/{name}"),
    ];
    for k in &keys {
        cache
            .set(k, Bytes::from_static(b"v"), MINUTE)
            .await
            .unwrap();
    }
    let token = take(lease, &name, MINUTE).await;
    for k in &keys {
        assert_eq!(
            cache.get(k).await.unwrap().as_deref(),
            Some(&b"v"[..]),
            "{k}"
        );
        assert!(cache.delete(k).await.unwrap(), "{k}");
        assert_eq!(cache.get(k).await.unwrap(), None, "{k}");
        assert_eq!(cache.ttl(k).await.unwrap(), None, "{k}");
        assert!(
            !cache.delete(k).await.unwrap(),
            "{k}: the lease is no entry"
        );
    }
    assert!(
        is_held(lease, &name).await,
        "deleting the keys left the lease"
    );
    cache
        .set(&name, Bytes::from_static(b"w"), MINUTE)
        .await
        .unwrap();
    assert!(lease.extend(&name, &token, MINUTE).await.unwrap());
    assert!(lease.release(&name, &token).await.unwrap());
    assert_eq!(cache.get(&name).await.unwrap().as_deref(), Some(&b"w"[..]));
}

/// A zero TTL, or one above the backend's maximum, is refused and takes or extends nothing.
pub async fn lease_invalid_ttl(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    let name = key("lease_invalid_ttl", "n");
    let invalid = |r: Result<_, Error>| matches!(r, Err(Error::InvalidArgument(_)));
    assert!(invalid(
        lease.try_acquire(&name, Duration::ZERO).await.map(drop)
    ));
    let too_long = cache.max_ttl().checked_add(Duration::from_millis(1));
    if let Some(too_long) = too_long {
        assert!(invalid(lease.try_acquire(&name, too_long).await.map(drop)));
    }
    let token = take(lease, &name, MINUTE).await;
    assert!(invalid(
        lease.extend(&name, &token, Duration::ZERO).await.map(drop)
    ));
    if let Some(too_long) = too_long {
        assert!(invalid(
            lease.extend(&name, &token, too_long).await.map(drop)
        ));
    }
    assert!(lease.release(&name, &token).await.unwrap(), "still held");
}

/// A write fenced by a lease ([`Lease::set_if_held`]) is made while the token holds the
/// lease, and refused, writing nothing, once it does not: a wrong token, a released lease,
/// one that expired, one another process took since.
pub async fn lease_fenced_write(cache: Arc<dyn Cache>) {
    let lease = lease_of(&cache);
    // One hash tag for the lease and the entry, so that a cluster can check and write in
    // one step as a single server does.
    let tag = key("lease_fenced_write", "tag").replace(':', "-");
    let (name, entry) = (format!("{{{tag}}}lease"), format!("{{{tag}}}entry"));
    let set = |token: &LeaseToken, value: &'static str| {
        let (name, entry, token) = (name.clone(), entry.clone(), token.clone());
        let cache = cache.clone();
        async move {
            lease_of(&cache)
                .set_if_held(&name, &token, &entry, Bytes::from(value), MINUTE)
                .await
                .unwrap()
        }
    };
    let stored = || async { cache.get(&entry).await.unwrap() };

    let token = take(lease, &name, MINUTE).await;
    assert!(set(&token, "first").await, "held: written");
    assert_eq!(stored().await.as_deref(), Some(&b"first"[..]));
    let remaining = cache.ttl(&entry).await.unwrap().expect("stored with a TTL");
    assert!(
        remaining > MINUTE / 2 && remaining <= MINUTE,
        "{remaining:?}"
    );

    let stranger = LeaseToken::random().unwrap();
    assert!(
        !set(&stranger, "stranger").await,
        "another token writes nothing"
    );
    assert!(lease.release(&name, &token).await.unwrap());
    assert!(
        !set(&token, "released").await,
        "a released lease writes nothing"
    );
    assert_eq!(stored().await.as_deref(), Some(&b"first"[..]));

    let lapsing = take(lease, &name, Duration::from_millis(300)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !set(&lapsing, "expired").await,
        "an expired lease writes nothing"
    );
    let next = take(lease, &name, MINUTE).await;
    assert!(!set(&lapsing, "late").await, "nor once another holds it");
    assert!(set(&next, "second").await);
    assert_eq!(stored().await.as_deref(), Some(&b"second"[..]));
    assert!(lease.release(&name, &next).await.unwrap());
}
