//! Codecs: a [`Format`] and a [`Compression`], with the limits a reader enforces.

mod compression;
pub(crate) mod format;
pub(crate) mod msgpack_de;
pub(crate) mod msgpack_len;

use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use compression::{Compression, CompressionKind};
pub use format::Format;

use crate::envelope::{self, Header};
use crate::{Error, Result};

/// Values whose serialized form is shorter than this are stored uncompressed by default:
/// compressing them saves a few bytes at best and costs a compression context.
pub const DEFAULT_COMPRESS_MIN_SIZE: usize = 512;
/// The largest decoded value a reader accepts by default: 64 MiB.
pub const DEFAULT_MAX_DECODED_SIZE: usize = 64 * 1024 * 1024;
/// Above this decoded size (24 KiB), the typed layer decodes and compresses off the async
/// runtime's threads.
///
/// Set where an inline decode of the slowest form per byte that the workspace stores reaches
/// about 100 µs: the Bybit linear list in today's shape, positional, as `market-data` stores
/// it, at about 4.2 µs per KiB (21 236 bytes in 90 µs, 35 366 bytes, the 214-instrument list,
/// in 145 µs; the 2023 shape decodes at about 3 µs per KiB). Crossing costs 4 µs on the codec
/// threads, a twentieth of the decode it moves at the threshold. The `offload` bench measures
/// both (`cargo bench -p benches --bench offload`); the crate docs give its table.
pub const DEFAULT_BLOCKING_THRESHOLD: usize = 24 * 1024;

/// A value decoded from an envelope, with the header it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The value.
    pub value: T,
    /// The envelope header: format, compression, and when it was written.
    pub header: Header,
}

/// How values are written (format, compression) and the limits within which any stored
/// value is read.
///
/// Decoding follows the entry's own header, not this configuration: a codec set to JSON reads
/// a zstd-compressed MessagePack entry as well as a JSON one.
///
/// ```
/// use cache_core::{Codec, Compression};
///
/// let codec = Codec::msgpack().with_compression(Compression::ZSTD).unwrap();
/// let bytes = codec.encode(&vec!["BTCUSDT", "ETHUSDT"]).unwrap();
/// let back: Vec<String> = codec.decode(&bytes).unwrap().value;
/// assert_eq!(back, ["BTCUSDT", "ETHUSDT"]);
///
/// // Any codec reads what any other wrote.
/// let json_reader = Codec::json();
/// assert_eq!(json_reader.decode::<Vec<String>>(&bytes).unwrap().value, back);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    format: Format,
    compression: Compression,
    compress_min_size: usize,
    max_decoded_size: usize,
    blocking_threshold: usize,
}

impl Default for Codec {
    /// MessagePack, uncompressed.
    fn default() -> Self {
        Self::msgpack()
    }
}

impl Codec {
    /// A codec of `format`, uncompressed, with the default limits.
    pub const fn new(format: Format) -> Self {
        Self {
            format,
            compression: Compression::None,
            compress_min_size: DEFAULT_COMPRESS_MIN_SIZE,
            max_decoded_size: DEFAULT_MAX_DECODED_SIZE,
            blocking_threshold: DEFAULT_BLOCKING_THRESHOLD,
        }
    }

    /// JSON, uncompressed.
    pub const fn json() -> Self {
        Self::new(Format::Json)
    }

    /// MessagePack with structs as maps, uncompressed.
    pub const fn msgpack() -> Self {
        Self::new(Format::MessagePack)
    }

    /// Compresses values with `compression` from now on.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the level is out of the algorithm's range.
    pub fn with_compression(mut self, compression: Compression) -> Result<Self> {
        compression.validate().map_err(Error::InvalidArgument)?;
        self.compression = compression;
        Ok(self)
    }

    /// Stores values whose serialized form is shorter than `bytes` uncompressed.
    pub const fn with_compress_min_size(mut self, bytes: usize) -> Self {
        self.compress_min_size = bytes;
        self
    }

    /// Refuses to decode a value larger than `bytes` once decompressed, before allocating it.
    pub const fn with_max_decoded_size(mut self, bytes: usize) -> Self {
        self.max_decoded_size = bytes;
        self
    }

    /// In the typed layer, decodes values larger than `bytes`, and encodes owned or shared
    /// ones, off the async runtime's threads (cache-core's codec threads on a multi-thread
    /// runtime, tokio's blocking pool on a current-thread one). A borrowed
    /// [`TypedCache::set`](crate::TypedCache::set) leaves past the lower of `bytes` and
    /// [`BORROWED_INLINE_LIMIT`](crate::BORROWED_INLINE_LIMIT) whatever `bytes` is;
    /// [`TypedCache::set_inline`](crate::TypedCache::set_inline) serializes on the calling
    /// thread whatever `bytes` is.
    pub const fn with_blocking_threshold(mut self, bytes: usize) -> Self {
        self.blocking_threshold = bytes;
        self
    }

    /// The format values are written in.
    pub const fn format(&self) -> Format {
        self.format
    }

    /// The compression values are written with.
    pub const fn compression(&self) -> Compression {
        self.compression
    }

    /// The decoded size above which the typed layer leaves the async runtime's threads.
    pub const fn blocking_threshold(&self) -> usize {
        self.blocking_threshold
    }

    /// The largest decoded value this codec accepts.
    pub const fn max_decoded_size(&self) -> usize {
        self.max_decoded_size
    }

    /// Serializes `value` and wraps it in an envelope, compressed if it is large enough.
    ///
    /// # Errors
    /// [`Error::Encode`] when serialization fails (a map with non-string keys in JSON, say) or
    /// the value exceeds 4 GiB.
    pub fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        let serialized = self.serialize(value)?;
        self.seal(&serialized)
    }

    /// Decodes an envelope written by any codec into a `T`.
    ///
    /// # Errors
    /// [`Error::Decode`] for anything wrong with the bytes; see [`DecodeError`](crate::DecodeError).
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<Stored<T>> {
        let (header, payload) = envelope::open(bytes)?;
        self.decode_opened(header, payload)
    }

    /// Decodes the payload of an envelope that [`envelope::open`] already checked, so that a
    /// reader that looked at the header first verifies the checksum once, not twice.
    pub(crate) fn decode_opened<T: DeserializeOwned>(
        &self,
        header: Header,
        payload: &[u8],
    ) -> Result<Stored<T>> {
        let serialized = header.compression.decompress(
            payload,
            header.decoded_len as usize,
            self.max_decoded_size,
        )?;
        let value = header.format.deserialize(&serialized)?;
        Ok(Stored { value, header })
    }

    pub(crate) fn serialize<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        self.format.serialize(value).map_err(Error::Encode)
    }

    /// Serializes `value` and hands its bytes to `small`, unless it takes more than `limit`
    /// bytes (`Ok(None)`), stopping there.
    pub(crate) fn serialize_within<T: Serialize + ?Sized, R>(
        &self,
        value: &T,
        limit: usize,
        small: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        self.format
            .serialize_within(value, limit, small)
            .map_err(Error::Encode)
    }

    /// Compresses (when worth it) and wraps already serialized bytes.
    pub(crate) fn seal(&self, serialized: &[u8]) -> Result<Vec<u8>> {
        let decoded_len = u32::try_from(serialized.len()).map_err(|_| {
            Error::Encode(format!("value of {} bytes exceeds 4 GiB", serialized.len()).into())
        })?;
        let mut compression = self.compression;
        if serialized.len() < self.compress_min_size {
            compression = Compression::None;
        }
        let compressed = match compression {
            Compression::None => None,
            _ => Some(
                compression
                    .compress(serialized)
                    .map_err(|e| Error::Encode(e.into()))?,
            ),
        };
        // A value that does not shrink is stored as it is: never larger than uncompressed.
        let (kind, payload) = match &compressed {
            Some(bytes) if bytes.len() < serialized.len() => (compression.kind(), &bytes[..]),
            _ => (CompressionKind::None, serialized),
        };
        let header = Header {
            format: self.format,
            compression: kind,
            written_at: SystemTime::now(),
            decoded_len,
        };
        envelope::seal(&header, payload).map_err(|e| Error::Encode(e.into()))
    }
}
