//! Encode and decode of the real instrument list (typed models) with every format and
//! compression.

use benches::{codecs, linear_instruments};
use bybit_client::LinearInverseInstrument;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn encode_decode(c: &mut Criterion) {
    let list = linear_instruments();
    let decoded_len = serde_json::to_vec(&list).expect("serializable").len() as u64;
    let mut encode = c.benchmark_group("encode");
    encode.throughput(Throughput::Bytes(decoded_len));
    for (name, codec) in codecs() {
        encode.bench_function(&name, |b| b.iter(|| codec.encode(&list).expect("encodes")));
    }
    encode.finish();

    let mut decode = c.benchmark_group("decode");
    decode.throughput(Throughput::Bytes(decoded_len));
    for (name, codec) in codecs() {
        let stored = codec.encode(&list).expect("encodes");
        decode.bench_function(&name, |b| {
            b.iter(|| {
                codec
                    .decode::<Vec<LinearInverseInstrument>>(&stored)
                    .expect("decodes")
            });
        });
    }
    decode.finish();
}

criterion_group!(benches, encode_decode);
criterion_main!(benches);
