//! Compression: none, zlib (flate2) or zstd, each with a level, all decoded within limits.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::DecodeError;

/// How a serialized value is compressed, with the level to compress at.
///
/// Decoding never needs the level; an entry says in its header how it was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Stored as serialized.
    None,
    /// zlib (RFC 1950) through flate2, level 0 (store) to 9 (smallest).
    Zlib {
        /// 0 to 9.
        level: u32,
    },
    /// Zstandard, level 1 (fastest) to 22 (smallest); negative levels trade size for speed.
    Zstd {
        /// -7 to 22.
        level: i32,
    },
}

impl Compression {
    /// zlib at flate2's default level, 6.
    pub const ZLIB: Self = Self::Zlib { level: 6 };
    /// zstd at its default level, 3.
    pub const ZSTD: Self = Self::Zstd { level: 3 };

    /// Which algorithm, without the level.
    pub const fn kind(self) -> CompressionKind {
        match self {
            Self::None => CompressionKind::None,
            Self::Zlib { .. } => CompressionKind::Zlib,
            Self::Zstd { .. } => CompressionKind::Zstd,
        }
    }

    pub(crate) fn validate(self) -> Result<(), String> {
        match self {
            Self::None => Ok(()),
            Self::Zlib { level } if level <= 9 => Ok(()),
            Self::Zlib { level } => Err(format!("zlib level {level} is not in 0..=9")),
            Self::Zstd { level } if (-7..=22).contains(&level) => Ok(()),
            Self::Zstd { level } => Err(format!("zstd level {level} is not in -7..=22")),
        }
    }

    pub(crate) fn compress(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Self::None => Ok(data.to_vec()),
            Self::Zlib { level } => {
                let mut out = Vec::with_capacity(data.len() / 4 + 64);
                let mut encoder =
                    flate2::write::ZlibEncoder::new(&mut out, flate2::Compression::new(level));
                std::io::Write::write_all(&mut encoder, data)?;
                encoder.finish()?;
                Ok(out)
            }
            Self::Zstd { level } => {
                // zstd frames carry no checksum by default, and a damaged frame can decode
                // into wrong bytes; with one, zstd itself refuses it.
                let mut compressor = zstd::bulk::Compressor::new(level)?;
                compressor.include_checksum(true)?;
                compressor.compress(data)
            }
        }
    }
}

/// A compression algorithm as an envelope header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CompressionKind {
    /// Not compressed.
    None,
    /// zlib.
    Zlib,
    /// Zstandard.
    Zstd,
}

impl CompressionKind {
    pub(crate) const fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Zlib => 1,
            Self::Zstd => 2,
        }
    }

    pub(crate) const fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Self::None),
            1 => Some(Self::Zlib),
            2 => Some(Self::Zstd),
            _ => None,
        }
    }

    /// Decompresses `payload` into exactly `declared` bytes, or fails.
    ///
    /// No buffer here grows past `declared`, and `declared` past `max`: a stream that would
    /// inflate further is cut off at the first byte beyond `declared`.
    pub(crate) fn decompress(
        self,
        payload: &[u8],
        declared: usize,
        max: usize,
    ) -> Result<Cow<'_, [u8]>, DecodeError> {
        if declared > max {
            return Err(DecodeError::TooLarge {
                size: declared as u64,
                max,
            });
        }
        let out = match self {
            Self::None if payload.len() == declared => return Ok(Cow::Borrowed(payload)),
            Self::None => return Err(mismatch(declared, payload.len())),
            Self::Zlib => inflate(payload, declared)?,
            Self::Zstd => unzstd(payload, declared)?,
        };
        if out.len() == declared {
            Ok(Cow::Owned(out))
        } else {
            Err(mismatch(declared, out.len()))
        }
    }
}

/// Deflate turns one input byte into at most 1032 output bytes (a 258-byte match coded in two
/// 1-bit codes, four to a byte), so a short payload that declares a large value gets a
/// buffer its own size can fill, not the declared one.
const DEFLATE_MAX_RATIO: usize = 1032;

fn inflate(payload: &[u8], declared: usize) -> Result<Vec<u8>, DecodeError> {
    use flate2::{FlushDecompress, Status};

    let corrupt = |e: flate2::DecompressError| {
        DecodeError::Decompress(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    };
    let cut_short = || {
        DecodeError::Decompress(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "zlib stream ends early",
        ))
    };
    let mut inflater = flate2::Decompress::new(true);
    let bound = payload
        .len()
        .saturating_mul(DEFLATE_MAX_RATIO)
        .saturating_add(64);
    // `decompress_vec` writes only into spare capacity and never grows the buffer; unlike
    // `read_to_end`, which doubles a full buffer and so could allocate twice the limit.
    let mut out = Vec::with_capacity(declared.min(bound));
    loop {
        let before = (inflater.total_in(), inflater.total_out());
        let input = &payload[consumed(&inflater, payload)..];
        let status = if out.len() < declared {
            if out.len() == out.capacity() {
                out.reserve_exact(declared - out.len());
            }
            inflater.decompress_vec(input, &mut out, FlushDecompress::None)
        } else {
            // Full: a single byte more means the stream is longer than declared.
            inflater.decompress(input, &mut [0u8; 1], FlushDecompress::None)
        }
        .map_err(corrupt)?;
        if inflater.total_out() > declared as u64 {
            return Err(mismatch(declared, declared.saturating_add(1)));
        }
        if status == Status::StreamEnd {
            break;
        }
        if (inflater.total_in(), inflater.total_out()) == before {
            // All the input read, room left, and no end of stream.
            return Err(cut_short());
        }
    }
    let rest = payload.len() - consumed(&inflater, payload);
    if rest > 0 {
        return Err(DecodeError::TrailingBytes { extra: rest });
    }
    Ok(out)
}

/// How much of `payload` the inflater has read, never past its end.
fn consumed(inflater: &flate2::Decompress, payload: &[u8]) -> usize {
    usize::try_from(inflater.total_in()).map_or(payload.len(), |n| n.min(payload.len()))
}

fn unzstd(payload: &[u8], declared: usize) -> Result<Vec<u8>, DecodeError> {
    let frame = zstd::zstd_safe::find_frame_compressed_size(payload)
        .map_err(|code| DecodeError::Decompress(zstd_error(code)))?;
    if frame < payload.len() {
        return Err(DecodeError::TrailingBytes {
            extra: payload.len() - frame,
        });
    }
    if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(payload)
        && size != declared as u64
    {
        return Err(DecodeError::LengthMismatch {
            declared: declared as u64,
            actual: size,
        });
    }
    // The bulk decoder writes into the capacity it is given and fails rather than grow it.
    let mut out = Vec::with_capacity(declared);
    with_decompressor(|d| d.decompress_to_buffer(payload, &mut out))
        .map_err(DecodeError::Decompress)?;
    Ok(out)
}

thread_local! {
    /// A zstd context for each thread that decompresses: making one costs about a third of
    /// decompressing a 26 KB value (~8 of 23 µs), and each call starts a new frame, so one
    /// left by a failed call decodes the next like a new one.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Runs `f` with this thread's decompressor, made on first use.
fn with_decompressor<R>(
    f: impl FnOnce(&mut zstd::bulk::Decompressor<'static>) -> std::io::Result<R>,
) -> std::io::Result<R> {
    // Taken out while in use, so that nothing borrows the cell across `f`.
    let mut decompressor = match DECOMPRESSOR.with(|cell| cell.borrow_mut().take()) {
        Some(d) => d,
        None => zstd::bulk::Decompressor::new()?,
    };
    let result = f(&mut decompressor);
    // A thread being torn down has no cell left: the context is then dropped here.
    let _ = DECOMPRESSOR.try_with(|cell| *cell.borrow_mut() = Some(decompressor));
    result
}

fn mismatch(declared: usize, actual: usize) -> DecodeError {
    DecodeError::LengthMismatch {
        declared: declared as u64,
        actual: actual as u64,
    }
}

fn zstd_error(code: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        zstd::zstd_safe::get_error_name(code),
    )
}
