//! The typed layer over the memory backend: round trips across codecs, read-through, and
//! what `get_or_fetch` does with bad entries and failed fetches.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache_core::{Cache, Codec, Compression, Error, Format, MemoryCache, TypedCache};

const TTL: Duration = Duration::from_secs(60);

fn codecs() -> Vec<Codec> {
    let mut all = Vec::new();
    for format in [Format::Json, Format::MessagePack] {
        for compression in [Compression::None, Compression::ZLIB, Compression::ZSTD] {
            let codec = Codec::new(format).with_compression(compression).unwrap();
            all.push(codec.with_compress_min_size(0));
        }
    }
    all
}

fn typed(codec: Codec) -> TypedCache<MemoryCache> {
    TypedCache::new(MemoryCache::new(64 << 20), codec)
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Instrument {
    symbol: String,
    tick_size: String,
    funding_interval: Option<u32>,
}

fn sample() -> Vec<Instrument> {
    (0..300)
        .map(|i| Instrument {
            symbol: format!("SYM{i}USDT"),
            tick_size: "0.10".to_owned(),
            funding_interval: (i % 2 == 0).then_some(480),
        })
        .collect()
}

#[tokio::test]
async fn every_codec_reads_what_every_codec_wrote() {
    let backend = MemoryCache::new(64 << 20);
    for writer in codecs() {
        let key = format!("{writer:?}");
        TypedCache::new(&backend, writer)
            .set(&key, &sample(), TTL)
            .await
            .unwrap();
        for reader in codecs() {
            let got: Option<Vec<Instrument>> =
                TypedCache::new(&backend, reader).get(&key).await.unwrap();
            assert_eq!(
                got,
                Some(sample()),
                "written by {writer:?}, read by {reader:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_header_tells_how_and_when_it_was_written() {
    let cache = typed(
        Codec::msgpack()
            .with_compression(Compression::ZSTD)
            .unwrap(),
    );
    cache.set("k", &sample(), TTL).await.unwrap();
    let stored = cache
        .get_stored::<Vec<Instrument>>("k")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.header.format, Format::MessagePack);
    assert_eq!(stored.header.compression, cache_core::CompressionKind::Zstd);
    assert!(stored.header.age() < Duration::from_secs(5));
}

#[tokio::test]
async fn small_values_are_not_compressed_and_nothing_grows() {
    let cache = typed(
        Codec::msgpack()
            .with_compression(Compression::ZSTD)
            .unwrap(),
    );
    cache.set("small", &"BTCUSDT", TTL).await.unwrap();
    let stored = cache.get_stored::<String>("small").await.unwrap().unwrap();
    assert_eq!(stored.header.compression, cache_core::CompressionKind::None);
}

#[tokio::test]
async fn get_or_fetch_fetches_once_then_hits() {
    let cache = typed(Codec::msgpack());
    let calls = AtomicUsize::new(0);
    for _ in 0..3 {
        let value = cache
            .get_or_fetch("k", TTL, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(sample())
            })
            .await
            .unwrap();
        assert_eq!(value, sample());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_empty_list_or_map_is_a_hit() {
    let cache = typed(Codec::msgpack());
    let calls = AtomicUsize::new(0);
    let fetch = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Error>(Vec::<String>::new())
    };
    assert!(
        cache
            .get_or_fetch("list", TTL, fetch)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cache
            .get_or_fetch("list", TTL, fetch)
            .await
            .unwrap()
            .is_empty()
    );
    let map_fetch = || async {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<_, Error>(BTreeMap::<String, u32>::new())
    };
    assert!(
        cache
            .get_or_fetch("map", TTL, map_fetch)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cache
            .get_or_fetch("map", TTL, map_fetch)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_corrupt_entry_is_refetched_and_overwritten() {
    let cache = typed(Codec::msgpack());
    cache
        .cache()
        .set("k", "not an envelope".into(), TTL)
        .await
        .unwrap();
    assert!(matches!(
        cache.get::<Vec<Instrument>>("k").await,
        Err(Error::Decode(_))
    ));

    let value = cache
        .get_or_fetch("k", TTL, || async { Ok::<_, Error>(sample()) })
        .await;
    assert_eq!(value.unwrap(), sample());
    assert_eq!(
        cache.get::<Vec<Instrument>>("k").await.unwrap(),
        Some(sample())
    );
}

#[tokio::test]
async fn an_entry_of_another_type_is_refetched_and_overwritten() {
    let cache = typed(Codec::msgpack());
    cache.set("k", &vec![1u64, 2, 3], TTL).await.unwrap();
    let value = cache
        .get_or_fetch("k", TTL, || async { Ok::<_, Error>(sample()) })
        .await;
    assert_eq!(value.unwrap(), sample());
    assert_eq!(
        cache.get::<Vec<Instrument>>("k").await.unwrap(),
        Some(sample())
    );
}

#[derive(Debug, PartialEq)]
enum FetchError {
    Upstream,
    Cache(String),
}

impl From<Error> for FetchError {
    fn from(error: Error) -> Self {
        Self::Cache(error.to_string())
    }
}

#[tokio::test]
async fn a_failed_fetch_is_returned_and_nothing_is_stored() {
    let cache = typed(Codec::msgpack());
    let result = cache
        .get_or_fetch("k", TTL, || async {
            Err::<Vec<Instrument>, _>(FetchError::Upstream)
        })
        .await;
    assert_eq!(result, Err(FetchError::Upstream));
    assert_eq!(cache.cache().get("k").await.unwrap(), None);
}

#[tokio::test]
async fn an_invalid_ttl_is_an_error_before_fetching() {
    let cache = typed(Codec::msgpack());
    let calls = AtomicUsize::new(0);
    let result = cache
        .get_or_fetch("k", Duration::ZERO, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, FetchError>(sample())
        })
        .await;
    assert!(matches!(result, Err(FetchError::Cache(m)) if m.contains("ttl")));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_encode_error_is_reported() {
    let cache = typed(Codec::json());
    let key_is_not_a_string: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = cache.set("k", &key_is_not_a_string, TTL).await.unwrap_err();
    assert!(matches!(err, Error::Encode(_)), "{err:?}");
}

#[test]
fn compression_levels_are_checked() {
    for bad in [
        Compression::Zlib { level: 10 },
        Compression::Zstd { level: 23 },
    ] {
        let err = Codec::msgpack().with_compression(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    }
}
