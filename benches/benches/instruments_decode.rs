//! What every instrument-cache hit pays: zstd-3 decompression plus rmp-serde decoding of the
//! real recorded lists (214 linear testnet instruments, 500 options; see
//! `fixtures/bybit/SOURCES.md`) into `bybit-client`'s typed models, from MessagePack maps
//! (`rmp_serde::to_vec_named`, the cache's format). The bytes are prepared outside the timed
//! loop. Reference (Python msgpack+zlib to dicts, same kind of machine): about 460 µs for the
//! linear list and 780 µs for the option list; the floor is 3× faster.
//!
//! `linear_today_214` is the same 214 instruments in the shape of Bybit's answers today (made,
//! not recorded; see `SOURCES.md`): every documented field, nested `riskParameters`, four
//! pre-market contracts with `preListingInfo` phases, `null` elsewhere, and one field no model
//! knows on every instrument. It is what a cache of today's lists decodes.
//!
//! For comparison it also times decompression alone, decoding alone, decoding into generic
//! `serde_json::Value` trees (what a dynamic-language cache does), and the positional form
//! (`Positional`, MessagePack arrays: no field names, only safe under a key that carries
//! `SCHEMA_VERSION`).
//!
//! `codec: envelope->InstrumentList` is what a cache hit runs today: the list as `MarketData`
//! stores it (an `InstrumentList` in the positional form, zstd-3, in the envelope), decoded by
//! `Codec::decode` (checksum, zstd, and cache-core's own MessagePack reader, which leaves
//! rmp-serde only for what it does not read itself).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use bybit_client::InstrumentList;
use bybit_client::models::{
    LinearInverseInstrument, OptionInstrument, Positional, WritePositional,
};
use bybit_client::testing::fixtures::{self, LINEAR_214, LINEAR_TODAY_214, OPTION_500};
use cache_core::{Codec, Compression};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Serialize;
use serde::de::DeserializeOwned;

const ZSTD_LEVEL: i32 = 3;

struct Prepared {
    packed: Vec<u8>,
    compressed: Vec<u8>,
    positional: Vec<u8>,
    positional_len: usize,
    /// The list as `MarketData` stores it: an envelope around the positional form, zstd-3.
    stored: Vec<u8>,
}

fn prepare<T: DeserializeOwned + Serialize + WritePositional>(
    fixture: &str,
    expected: usize,
    typed: fn(Vec<T>) -> InstrumentList,
) -> Prepared {
    let values = fixtures::values(fixture);
    let list: Vec<T> =
        serde_json::from_value(serde_json::Value::Array(values)).expect("fixture decodes");
    assert_eq!(list.len(), expected, "{fixture}");
    let packed = rmp_serde::to_vec_named(&list).expect("encodes");
    let compressed = zstd::bulk::compress(&packed, ZSTD_LEVEL).expect("compresses");
    let array = rmp_serde::to_vec(&Positional(&list)).expect("encodes");
    let positional = zstd::bulk::compress(&array, ZSTD_LEVEL).expect("compresses");
    let stored = cache_codec()
        .encode(&typed(list))
        .expect("the list encodes");
    Prepared {
        packed,
        compressed,
        positional,
        positional_len: array.len(),
        stored,
    }
}

/// The codec `MarketData` stores instruments with by default.
fn cache_codec() -> Codec {
    Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .expect("zstd-3 is valid")
}

fn bench_list<T: DeserializeOwned + Serialize + WritePositional>(
    c: &mut Criterion,
    name: &str,
    fixture: &str,
    expected: usize,
    typed: fn(Vec<T>) -> InstrumentList,
) {
    let p = prepare::<T>(fixture, expected, typed);
    let raw_len = p.packed.len();
    let mut group = c.benchmark_group(format!("instruments_decode/{name}"));
    group.bench_function("zstd3+msgpack_map->typed", |b| {
        b.iter(|| {
            let packed = zstd::bulk::decompress(black_box(&p.compressed), raw_len).unwrap();
            let list: Vec<T> = rmp_serde::from_slice(&packed).unwrap();
            assert_eq!(list.len(), expected);
            list
        })
    });
    group.bench_function("zstd3+msgpack_array->typed", |b| {
        b.iter(|| {
            let packed =
                zstd::bulk::decompress(black_box(&p.positional), p.positional_len).unwrap();
            let list: Vec<T> = rmp_serde::from_slice(&packed).unwrap();
            assert_eq!(list.len(), expected);
            list
        })
    });
    let codec = cache_codec();
    group.bench_function("codec: envelope->InstrumentList", |b| {
        b.iter(|| {
            let list = codec
                .decode::<InstrumentList>(black_box(&p.stored))
                .unwrap()
                .value;
            assert_eq!(list.len(), expected);
            list
        })
    });
    group.bench_function("msgpack_map->typed (no zstd)", |b| {
        b.iter(|| rmp_serde::from_slice::<Vec<T>>(black_box(&p.packed)).unwrap())
    });
    group.bench_function("zstd3 only", |b| {
        b.iter(|| zstd::bulk::decompress(black_box(&p.compressed), raw_len).unwrap())
    });
    group.bench_function("zstd3+msgpack_map->serde_json::Value", |b| {
        b.iter(|| {
            let packed = zstd::bulk::decompress(black_box(&p.compressed), raw_len).unwrap();
            rmp_serde::from_slice::<serde_json::Value>(&packed).unwrap()
        })
    });
    group.finish();
}

fn instruments_decode(c: &mut Criterion) {
    bench_list::<LinearInverseInstrument>(c, "linear_214", LINEAR_214, 214, InstrumentList::Linear);
    bench_list::<LinearInverseInstrument>(
        c,
        "linear_today_214",
        LINEAR_TODAY_214,
        214,
        InstrumentList::Linear,
    );
    bench_list::<OptionInstrument>(c, "option_500", OPTION_500, 500, InstrumentList::Option);
}

criterion_group!(benches, instruments_decode);
criterion_main!(benches);
