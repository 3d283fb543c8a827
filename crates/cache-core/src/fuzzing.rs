//! Entry points for fuzzers (feature `fuzzing`): each feeds arbitrary bytes to a parser of
//! stored bytes, and panics only when an invariant breaks, never for input it rightly refuses.
//!
//! The proptests under `tests/` check the same invariants; a fuzzer looks for the inputs they
//! miss. Allocations are bounded by [`MAX_DECODED_SIZE`] here only where a buffer can be
//! inspected; run a fuzzer with a malloc limit to catch the rest.

use std::borrow::Cow;
use std::io::Cursor;

use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::codec::format::MAX_DEPTH;
use crate::codec::msgpack_de;
use crate::codec::msgpack_len::value_len;
use crate::envelope::{self, HEADER_LEN};
use crate::tamper::reseal;
use crate::{Codec, Compression, DecodeError, Error, Format};

/// The largest decoded value the hooks accept: small, so that a fuzzer reaches the limit.
pub const MAX_DECODED_SIZE: usize = 64 * 1024;

/// Decodes `data` as a stored value, as given and with its lengths and checksum made right
/// (so that mutations reach the decompressors and deserializers behind them), and encodes
/// `data` as a value with a codec its first byte picks, to decode it back.
///
/// # Panics
/// When an envelope that opens does not seal back to the same bytes, a payload decompresses
/// to other than its declared length or into a buffer beyond [`MAX_DECODED_SIZE`], or a
/// value does not survive encoding and decoding.
pub fn envelope(data: &[u8]) {
    check_stored(data);
    if data.len() >= HEADER_LEN {
        check_stored(&reseal(data.to_vec()));
    }
    round_trip(data);
}

/// Measures `data` as the MessagePack decoder does before deserializing it.
///
/// # Panics
/// When a measured value measures differently alone, still measures when cut by one byte, or
/// differs from the length rmp-serde reads for the same bytes, or the decoder's fast path
/// reads another length than rmp-serde (or fails where it succeeds).
pub fn msgpack_len(data: &[u8]) {
    let measured = value_len(data);
    if let Some(len) = measured {
        assert!(
            (1..=data.len()).contains(&len),
            "measured {len} of {} bytes",
            data.len()
        );
        assert_eq!(
            value_len(&data[..len]),
            Some(len),
            "alone, it measures otherwise"
        );
        assert_eq!(
            value_len(&data[..len - 1]),
            None,
            "cut by a byte, it still measures"
        );
    }
    let mut reader = rmp_serde::Deserializer::new(Cursor::new(data));
    reader.set_max_depth(MAX_DEPTH);
    let read = IgnoredAny::deserialize(&mut reader)
        .ok()
        .and_then(|_| usize::try_from(reader.position()).ok());
    if read.is_some() {
        assert_eq!(measured, read, "rmp-serde read another length");
    }
    // The decoder's own path, which refuses what follows the measured value.
    let _ = Format::MessagePack.deserialize::<IgnoredAny>(data);
    // Its fast path skips what rmp-serde reads, ext types included, and stops where it does.
    let fast = msgpack_fast::<IgnoredAny>(data).map(|(_, extra)| data.len() - extra);
    assert_eq!(
        fast, read,
        "the fast path read another length than rmp-serde"
    );
}

/// Decodes `data` with the MessagePack decoder's fast path alone: the value and the number of
/// bytes after it, or `None` where the decoder would leave the bytes to rmp-serde (or refuse
/// them, nested too deep). For tests that check it decodes as rmp-serde does, and not less.
pub fn msgpack_fast<T: DeserializeOwned>(data: &[u8]) -> Option<(T, usize)> {
    msgpack_de::from_slice(data).ok()
}

fn check_stored(bytes: &[u8]) {
    let Ok((header, payload)) = envelope::open(bytes) else {
        return;
    };
    let sealed = envelope::seal(&header, payload).expect("an opened payload is under 4 GiB");
    assert!(sealed == bytes, "open then seal changed the bytes");
    let declared = header.decoded_len as usize;
    if let Ok(serialized) = header
        .compression
        .decompress(payload, declared, MAX_DECODED_SIZE)
    {
        assert_eq!(serialized.len(), declared, "decompressed to another length");
        if let Cow::Owned(buffer) = &serialized {
            assert!(
                buffer.capacity() <= MAX_DECODED_SIZE,
                "a buffer of {} bytes",
                buffer.capacity()
            );
        }
    }
    let codec = Codec::default().with_max_decoded_size(MAX_DECODED_SIZE);
    if let Ok(stored) = codec.decode::<IgnoredAny>(bytes) {
        assert_eq!(
            stored.header, header,
            "decode read another header than open"
        );
    }
}

/// A value of the shapes cached data takes: text, bytes, numbers, an optional flag.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    text: String,
    bytes: Vec<u8>,
    numbers: Vec<i64>,
    flag: Option<bool>,
}

fn round_trip(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let format = if choice & 1 == 0 {
        Format::Json
    } else {
        Format::MessagePack
    };
    let compression = match (choice >> 1) % 3 {
        0 => Compression::None,
        1 => Compression::ZLIB,
        _ => Compression::ZSTD,
    };
    let codec = Codec::new(format)
        .with_compression(compression)
        .expect("the default levels are valid")
        .with_compress_min_size(0)
        .with_max_decoded_size(MAX_DECODED_SIZE);
    let sample = Sample {
        text: String::from_utf8_lossy(rest).into_owned(),
        bytes: rest.to_vec(),
        numbers: rest
            .chunks(8)
            .map(|c| c.iter().fold(0i64, |n, &b| (n << 8) | i64::from(b)))
            .collect(),
        flag: (choice & 0x80 != 0).then_some(choice & 0x40 != 0),
    };
    let bytes = codec.encode(&sample).expect("a sample always encodes");
    let (header, _) = envelope::open(&bytes).expect("what encode writes opens");
    assert_eq!(header.format, format);
    let decoded = codec.decode::<Sample>(&bytes);
    if header.decoded_len as usize > MAX_DECODED_SIZE {
        assert!(
            matches!(decoded, Err(Error::Decode(DecodeError::TooLarge { .. }))),
            "{decoded:?}"
        );
        return;
    }
    let stored = decoded.expect("what encode writes decodes");
    assert_eq!(stored.value, sample, "the value changed on the way");
    assert_eq!(stored.header, header);
}
