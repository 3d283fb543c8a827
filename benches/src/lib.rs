//! Criterion benchmarks of the workspace, the inputs they share, and the reports that print
//! their tables (`cargo xtask bench`).
#![allow(clippy::print_stdout, reason = "reports print tables")]

use std::path::{Path, PathBuf};

use bybit_client::LinearInverseInstrument;
use bybit_client::testing::fixtures::{LINEAR_214, LINEAR_TODAY_214, values};
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
    List::Recorded2023.instruments()
}

/// The linear lists every codec and hit-path figure is given for: the same 214 instruments
/// as recorded in 2023, and in the shape of Bybit's answers today, whose extra fields (and one
/// no model knows) make every value larger and slower to encode and decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum List {
    /// `LINEAR_214`: the recorded testnet list, February 2023.
    Recorded2023,
    /// `LINEAR_TODAY_214`: the recorded list with today's fields (see `SOURCES.md`).
    Today,
}

impl List {
    /// Both, in the order tables show them.
    pub const ALL: [Self; 2] = [Self::Recorded2023, Self::Today];

    /// The fixture's file name.
    pub const fn fixture(self) -> &'static str {
        match self {
            Self::Recorded2023 => LINEAR_214,
            Self::Today => LINEAR_TODAY_214,
        }
    }

    /// Its name in bench ids and tables.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Recorded2023 => "linear_214",
            Self::Today => "linear_today_214",
        }
    }

    /// A few words for a table heading.
    pub const fn about(self) -> &'static str {
        match self {
            Self::Recorded2023 => "the recorded 2023 linear list",
            Self::Today => "the same list in today's shape",
        }
    }

    /// The list as `bybit-client`'s typed models.
    ///
    /// # Panics
    /// When the fixture does not parse: benches have nothing to measure then.
    pub fn instruments(self) -> Vec<LinearInverseInstrument> {
        let list: Vec<LinearInverseInstrument> = values(self.fixture())
            .into_iter()
            .map(|v| serde_json::from_value(v).expect("the instruments parse"))
            .collect();
        assert_eq!(list.len(), 214, "the 214 instruments of {}", self.name());
        list
    }
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
