//! Where decoding should leave the async runtime: the cost of a hop to tokio's blocking pool
//! against the cost of decoding values of growing size inline, for the recorded 2023 linear
//! list and for the same list in today's shape (more fields per instrument, so fewer
//! instruments per decoded byte, and a different cost per byte).

use benches::List;
use bybit_client::{InstrumentList, LinearInverseInstrument};
use cache_core::{Codec, Compression, MemoryCache, TypedCache};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Instrument counts whose zstd-3 MessagePack values span about 1 KiB to 1 MiB decoded, finer
/// where the threshold falls.
const SIZES: [usize; 10] = [2, 8, 16, 32, 48, 64, 96, 128, 214, 856];

/// The bench's function names: the 2023 list keeps the names its earlier results have.
fn names(list: List) -> [&'static str; 2] {
    match list {
        List::Recorded2023 => ["decode-inline", "decode-inline-positional"],
        List::Today => ["decode-inline-today", "decode-inline-positional-today"],
    }
}

fn decoded_len(stored: &[u8]) -> u32 {
    u32::from_le_bytes(stored[16..20].try_into().expect("4 bytes"))
}

fn offload(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("offload");
    group.bench_function("spawn_blocking-roundtrip", |b| {
        b.to_async(&runtime)
            .iter(|| async { tokio::task::spawn_blocking(|| 1).await.expect("joins") });
    });
    // The hop the typed layer makes: a one-byte value decoded through `TypedCache::decode`
    // with every size sent off the runtime, against the same decode inline.
    let tiny = bytes::Bytes::from(Codec::msgpack().encode(&1u8).expect("encodes"));
    for (name, threshold) in [
        ("typed-decode-inline", usize::MAX),
        ("typed-decode-offloaded", 0),
    ] {
        let typed = TypedCache::new(
            MemoryCache::new(1 << 20),
            Codec::msgpack().with_blocking_threshold(threshold),
        );
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { typed.decode::<u8>(tiny.clone()).await.expect("decodes") });
        });
    }

    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .expect("valid level");
    for list in List::ALL {
        let recorded = list.instruments();
        let [maps, positional] = names(list);
        for count in SIZES {
            // Beyond the 214 instruments the list repeats itself, as a bigger list would.
            let subset: Vec<&LinearInverseInstrument> =
                recorded.iter().cycle().take(count).collect();
            let stored = codec.encode(&subset).expect("encodes");
            group.bench_with_input(
                BenchmarkId::new(maps, decoded_len(&stored)),
                &stored,
                |b, stored| {
                    b.iter(|| {
                        codec
                            .decode::<Vec<LinearInverseInstrument>>(stored)
                            .expect("decodes")
                    });
                },
            );
        }
        // The form market-data stores: an `InstrumentList`, whose instruments are positional.
        for count in SIZES {
            let subset: Vec<LinearInverseInstrument> =
                recorded.iter().cycle().take(count).cloned().collect();
            let stored = codec
                .encode(&InstrumentList::Linear(subset))
                .expect("encodes");
            group.bench_with_input(
                BenchmarkId::new(positional, decoded_len(&stored)),
                &stored,
                |b, stored| b.iter(|| codec.decode::<InstrumentList>(stored).expect("decodes")),
            );
        }
    }
    // What a borrowed `TypedCache::set` of today's list does on the calling thread (serialize,
    // uncompressed, sealed), against what an owned copy of it to send off the runtime costs.
    let today = InstrumentList::Linear(List::Today.instruments());
    let plain = Codec::msgpack();
    group.bench_function("serialize-inline-positional-today", |b| {
        b.iter(|| plain.encode(&today).expect("encodes"));
    });
    group.bench_function("clone-positional-today", |b| b.iter(|| today.clone()));
    group.finish();
}

criterion_group!(benches, offload);
criterion_main!(benches);
