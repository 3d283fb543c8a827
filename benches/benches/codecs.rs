//! Encode and decode of the linear instrument lists (typed models), the recorded 2023 one and
//! today's shape, with every format and compression.

use benches::{List, codecs};
use bybit_client::LinearInverseInstrument;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn encode_decode(c: &mut Criterion) {
    for list_kind in List::ALL {
        let list = list_kind.instruments();
        let decoded_len = serde_json::to_vec(&list).expect("serializable").len() as u64;
        let mut encode = c.benchmark_group("encode");
        encode.throughput(Throughput::Bytes(decoded_len));
        for (name, codec) in codecs() {
            encode.bench_function(BenchmarkId::new(&name, list_kind.name()), |b| {
                b.iter(|| codec.encode(&list).expect("encodes"));
            });
        }
        encode.finish();

        let mut decode = c.benchmark_group("decode");
        decode.throughput(Throughput::Bytes(decoded_len));
        for (name, codec) in codecs() {
            let stored = codec.encode(&list).expect("encodes");
            decode.bench_function(BenchmarkId::new(&name, list_kind.name()), |b| {
                b.iter(|| {
                    codec
                        .decode::<Vec<LinearInverseInstrument>>(&stored)
                        .expect("decodes")
                });
            });
        }
        decode.finish();
    }
}

criterion_group!(benches, encode_decode);
criterion_main!(benches);
