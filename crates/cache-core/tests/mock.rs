//! A mocked `Cache` under the typed layer: what the layer asks of a backend, and how it
//! behaves when the backend is down.

use std::time::Duration;

use cache_core::{Codec, Error, MockCache, TypedCache};
use mockall::predicate::eq;

const TTL: Duration = Duration::from_secs(30);

fn down() -> Error {
    Error::unavailable("connection refused", std::io::Error::other("refused"))
}

#[tokio::test]
async fn typed_get_decodes_what_the_backend_returns() {
    let codec = Codec::msgpack();
    let stored = bytes::Bytes::from(codec.encode(&vec!["BTCUSDT"]).unwrap());
    let mut mock = MockCache::new();
    mock.expect_get()
        .with(eq("symbols"))
        .times(1)
        .returning(move |_| Ok(Some(stored.clone())));
    let cache = TypedCache::new(mock, codec);
    assert_eq!(
        cache.get::<Vec<String>>("symbols").await.unwrap(),
        Some(vec!["BTCUSDT".into()])
    );
}

#[tokio::test]
async fn get_or_fetch_serves_the_fetch_when_the_backend_is_down() {
    let mut mock = MockCache::new();
    mock.expect_max_ttl()
        .return_const(Duration::from_secs(3600));
    mock.expect_get().times(1).returning(|_| Err(down()));
    mock.expect_set()
        .withf(|key, _, ttl| key == "symbols" && *ttl == TTL)
        .times(1)
        .returning(|_, _, _| Err(down()));
    let cache = TypedCache::new(mock, Codec::msgpack());
    let value = cache
        .get_or_fetch("symbols", TTL, || async {
            Ok::<_, Error>(vec!["ETHUSDT".to_owned()])
        })
        .await
        .unwrap();
    assert_eq!(value, ["ETHUSDT"]);
}

#[tokio::test]
async fn a_backend_error_on_plain_get_is_returned() {
    let mut mock = MockCache::new();
    mock.expect_get()
        .returning(|_| Err(Error::Timeout(Duration::from_millis(250))));
    let cache = TypedCache::new(mock, Codec::msgpack());
    let err = cache.get::<String>("k").await.unwrap_err();
    assert!(err.is_temporary(), "{err:?}");
}
