//! Criterion benchmarks of the workspace, the inputs they share, and the reports that print
//! their tables (`cargo xtask bench`).
#![allow(clippy::print_stdout, reason = "reports print tables")]

use std::path::{Path, PathBuf};

use bybit_client::LinearInverseInstrument;
use bybit_client::testing::fixtures::{LINEAR_214, values};
use cache_core::{Codec, Compression, Format};

pub mod load;
pub mod pin;
pub mod python;
pub mod report;

/// The workspace root, where `fixtures/` lives.
pub fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The real 214-instrument linear list (Bybit testnet, February 2023; see
/// `fixtures/bybit/SOURCES.md`) as `bybit-client`'s typed models, what a cache hit decodes.
///
/// # Panics
/// When the fixture does not parse: benches have nothing to measure then.
pub fn linear_instruments() -> Vec<LinearInverseInstrument> {
    let list: Vec<LinearInverseInstrument> = values(LINEAR_214)
        .into_iter()
        .map(|v| serde_json::from_value(v).expect("the recorded instruments parse"))
        .collect();
    assert_eq!(list.len(), 214, "the recorded list");
    list
}

/// Every format and compression the benches compare, named as the table shows them.
pub fn codecs() -> Vec<(String, Codec)> {
    let compressions = [
        ("none", Compression::None),
        ("zlib-6", Compression::ZLIB),
        ("zstd-3", Compression::ZSTD),
    ];
    let mut all = Vec::new();
    for (format, name) in [(Format::Json, "json"), (Format::MessagePack, "msgpack")] {
        for (compression_name, compression) in compressions {
            let codec = Codec::new(format)
                .with_compression(compression)
                .expect("default levels are valid");
            all.push((format!("{name}+{compression_name}"), codec));
        }
    }
    all
}

/// Where criterion writes its results: `$CARGO_TARGET_DIR/criterion` or `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
        .join("criterion")
}
