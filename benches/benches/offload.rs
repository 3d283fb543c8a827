//! Where decoding should leave the async runtime: the cost of a hop to tokio's blocking pool
//! against the cost of decoding values of growing size inline.

use bybit_client::{InstrumentList, LinearInverseInstrument};
use cache_core::{Codec, Compression};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Instrument counts whose zstd-3 MessagePack values span about 1 KiB to 1 MiB decoded.
const SIZES: [usize; 8] = [2, 8, 16, 32, 64, 128, 214, 856];

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

    let recorded = benches::linear_instruments();
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .expect("valid level");
    for count in SIZES {
        // Beyond the 214 recorded instruments the list repeats itself, as a bigger list would.
        let subset: Vec<&LinearInverseInstrument> = recorded.iter().cycle().take(count).collect();
        let stored = codec.encode(&subset).expect("encodes");
        let decoded_len = u32::from_le_bytes(stored[16..20].try_into().expect("4 bytes"));
        group.bench_with_input(
            BenchmarkId::new("decode-inline", decoded_len),
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
        let decoded_len = u32::from_le_bytes(stored[16..20].try_into().expect("4 bytes"));
        group.bench_with_input(
            BenchmarkId::new("decode-inline-positional", decoded_len),
            &stored,
            |b, stored| b.iter(|| codec.decode::<InstrumentList>(stored).expect("decodes")),
        );
    }
    group.finish();
}

criterion_group!(benches, offload);
criterion_main!(benches);
