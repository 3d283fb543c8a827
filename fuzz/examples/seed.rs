//! Writes the seed corpora: a few valid values of each layout, encoded by the crates
//! themselves, and the small recorded Bybit pages. Run by `cargo xtask fuzz` before each
//! target, so no binary seed is kept in the repository and seeds follow format changes.
//!
//! Usage: `seed CORPUS_ROOT [MAX_LEN]` writes `CORPUS_ROOT/<target>/seed-*`, overwriting
//! earlier seeds of the same name. Fixtures longer than MAX_LEN (4096 by default) are
//! skipped: libFuzzer would only cut them short.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cache_core::envelope::HEADER_LEN;
use cache_core::{Codec, Compression, Format};
use serde::Serialize;

/// A value of the shapes cached data takes, as in the envelope hook.
#[derive(Serialize)]
struct Sample {
    text: String,
    bytes: Vec<u8>,
    numbers: Vec<i64>,
    flag: Option<bool>,
}

/// A small instrument-like record, with nesting and a map.
#[derive(Serialize)]
struct Record {
    symbol: &'static str,
    tick: f64,
    levels: Vec<Vec<u32>>,
    tags: BTreeMap<&'static str, i32>,
    next: Option<Box<Record>>,
}

fn record() -> Record {
    Record {
        symbol: "BTCUSDT",
        tick: 0.1,
        levels: vec![vec![1, 2, 3], vec![], vec![u32::MAX]],
        tags: BTreeMap::from([("a", -1), ("b", i32::MIN)]),
        next: Some(Box::new(Record {
            symbol: "",
            tick: f64::MAX,
            levels: vec![],
            tags: BTreeMap::new(),
            next: None,
        })),
    }
}

fn sample() -> Sample {
    Sample {
        text: "grüße \u{1F600}".to_owned(),
        bytes: (0..=255).collect(),
        numbers: vec![0, -1, i64::MIN, i64::MAX, 1 << 40],
        flag: Some(true),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: seed CORPUS_ROOT [MAX_LEN]")?);
    let max_len: usize = match args.next() {
        Some(arg) => arg.to_str().ok_or("MAX_LEN is not text")?.parse()?,
        None => 4096,
    };

    let compressions = [
        ("none", Compression::None),
        ("zlib", Compression::ZLIB),
        ("zstd", Compression::ZSTD),
    ];
    for format in [Format::Json, Format::MessagePack] {
        for (name, compression) in compressions {
            let codec = Codec::new(format)
                .with_compression(compression)?
                .with_compress_min_size(0);
            let prefix = format!("{}-{name}", format.name().to_lowercase());
            write(
                &root,
                "envelope",
                &format!("{prefix}-sample"),
                &codec.encode(&sample())?,
            )?;
            write(
                &root,
                "envelope",
                &format!("{prefix}-record"),
                &codec.encode(&record())?,
            )?;
            write(
                &root,
                "envelope",
                &format!("{prefix}-unit"),
                &codec.encode(&())?,
            )?;
        }
    }

    // MessagePack as the decoder sees it: the payload of an uncompressed envelope.
    let msgpack = Codec::msgpack().with_compression(Compression::None)?;
    let values: [(&str, Vec<u8>); 5] = [
        ("sample", msgpack.encode(&sample())?),
        ("record", msgpack.encode(&record())?),
        ("nested", msgpack.encode(&vec![vec![vec![vec![1u8]]]])?),
        ("string", msgpack.encode(&"x".repeat(300))?),
        ("float", msgpack.encode(&-1.5f64)?),
    ];
    for (name, bytes) in values {
        write(&root, "msgpack_len", name, &bytes[HEADER_LEN..])?;
    }

    let entries: [(&str, &[u8], &[u8], u64); 4] = [
        ("empty", b"", b"", 0),
        (
            "small",
            b"instruments:linear",
            b"{\"a\":1}",
            1_700_000_000_000,
        ),
        ("limit", &[b'k'; 64], &[0xAB; 1024], u64::MAX),
        ("binary", b"\0\xff", &[0, 1, 2, 3, 255], 1),
    ];
    for (name, key, value, expires_at_ms) in entries {
        let bytes = cache_file::fuzzing::encode(key, value, expires_at_ms);
        write(&root, "cache_file_entry", name, &bytes)?;
    }

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bybit");
    for file in fs::read_dir(&fixtures)? {
        let path = file?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            let bytes = fs::read(&path)?;
            if bytes.len() <= max_len {
                let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
                write(&root, "bybit_page", name, &bytes)?;
            }
        }
    }
    Ok(())
}

fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let dir = root.join(target);
    fs::create_dir_all(&dir)?;
    fs::write(dir.join(format!("seed-{name}")), bytes)
}
