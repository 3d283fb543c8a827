//! Criterion benchmarks of the workspace, the inputs they share, and the reports that print
//! their tables (`cargo xtask bench`).
#![allow(clippy::print_stdout, reason = "reports print tables")]

use std::path::{Path, PathBuf};

use cache_core::{Codec, Compression, Format};

pub mod report;

/// The workspace root, where `fixtures/` lives.
pub fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The real 214-instrument linear list (Bybit testnet, February 2023; see
/// `fixtures/bybit/SOURCES.md`), as generic JSON values: `result.list` of the recorded file.
///
/// # Panics
/// When the fixture is missing or not the recorded shape: benches have nothing to measure then.
pub fn linear_instruments() -> serde_json::Value {
    let path = workspace_root()
        .join("fixtures/bybit/instruments-linear-hirokisan-testnet-2023-gostruct.json");
    let text = std::fs::read_to_string(&path).expect("the linear fixture is readable");
    let mut response: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let list = response["LinearInverse"]["list"].take();
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(214),
        "the recorded list"
    );
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
