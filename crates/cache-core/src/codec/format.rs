//! Serialization formats: JSON and MessagePack.

use std::cell::Cell;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::msgpack_de;
use super::msgpack_len::value_len;
use crate::{BoxError, DecodeError};

/// How deep MessagePack values may nest, as deep as serde_json lets JSON nest.
///
/// Deserializing recurses once per level; rmp-serde's own limit, 1024, overflows the 2 MiB
/// stack of a tokio thread in a debug build well before it is reached, aborting the process.
pub(crate) const MAX_DEPTH: usize = 128;

/// How a value is serialized before it is (maybe) compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JSON (serde_json): readable with `redis-cli`, larger and slower.
    Json,
    /// MessagePack (rmp-serde) with structs encoded as maps of field names, so that a field
    /// added or removed later does not break entries already stored.
    MessagePack,
}

impl Format {
    /// The format's name, as error messages show it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::MessagePack => "MessagePack",
        }
    }

    pub(crate) const fn id(self) -> u8 {
        match self {
            Self::Json => 1,
            Self::MessagePack => 2,
        }
    }

    pub(crate) const fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Self::Json),
            2 => Some(Self::MessagePack),
            _ => None,
        }
    }

    pub(crate) fn serialize<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<u8>, BoxError> {
        Ok(match self {
            Self::Json => serde_json::to_vec(value)?,
            Self::MessagePack => rmp_serde::to_vec_named(value)?,
        })
    }

    /// Serializes `value` if it takes at most `limit` bytes and hands the bytes to `small`,
    /// stopping as soon as it takes more: `Ok(None)`.
    ///
    /// The bytes are written to a buffer the calling thread keeps for this (up to
    /// [`SCRATCH_LIMIT`]), not to one allocated per call: on a runtime thread, growing and
    /// freeing a buffer takes the allocator's locks, which glibc shares with the codec threads
    /// that free memory this thread allocated, and a runtime thread waiting there waits on a
    /// thread of the lowest priority.
    pub(crate) fn serialize_within<T: Serialize + ?Sized, R>(
        self,
        value: &T,
        limit: usize,
        small: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>, BoxError> {
        // Taken out, not borrowed: a `Serialize` that encodes through the cache meanwhile
        // finds none and makes its own.
        // Whatever the limit: past the kept size it grows like any buffer, and is dropped.
        let mut bytes = SCRATCH.try_with(Cell::take).unwrap_or_default();
        bytes.clear();
        bytes.reserve(limit.min(SCRATCH_LIMIT));
        let mut out = Bounded {
            bytes,
            limit,
            over: false,
        };
        let written = match self {
            Self::Json => serde_json::to_writer(&mut out, value).map_err(BoxError::from),
            Self::MessagePack => {
                rmp_serde::encode::write_named(&mut out, value).map_err(BoxError::from)
            }
        };
        // A serializer that swallowed the refused write and went on wrote a value with a
        // hole in it: over the limit is over, whatever it returned.
        let outcome = match written {
            _ if out.over => Ok(None),
            Ok(()) => Ok(Some(small(&out.bytes))),
            Err(error) => Err(error),
        };
        if out.bytes.capacity() <= SCRATCH_LIMIT {
            // Fails only while the thread's locals are torn down; the buffer is dropped then.
            let _ = SCRATCH.try_with(|scratch| scratch.set(out.bytes));
        }
        outcome
    }

    pub(crate) fn deserialize<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, DecodeError> {
        let error = |message: String| DecodeError::Deserialize {
            format: self.name(),
            message,
        };
        match self {
            // serde_json rejects anything but whitespace after the value by itself.
            Self::Json => serde_json::from_slice(bytes).map_err(|e| error(e.to_string())),
            Self::MessagePack => match msgpack_de::from_slice(bytes) {
                Ok((value, 0)) => Ok(value),
                Ok((_, extra)) => Err(DecodeError::TrailingBytes { extra }),
                Err(reason) => {
                    // The bytes after the value are the first thing wrong with them, as
                    // before the fast path, even when the value itself is wrong too.
                    if let Some(len) = value_len(bytes)
                        && len < bytes.len()
                    {
                        return Err(DecodeError::TrailingBytes {
                            extra: bytes.len() - len,
                        });
                    }
                    match reason {
                        msgpack_de::Error::DepthLimit => Err(error(reason.to_string())),
                        // The fast path declines whatever it does not decode as rmp-serde
                        // would, errors included: decoding again costs only the rare value
                        // that needs it, and keeps rmp-serde's results and messages exactly.
                        msgpack_de::Error::Retry => {
                            let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes);
                            deserializer.set_max_depth(MAX_DEPTH);
                            T::deserialize(&mut deserializer).map_err(|e| error(e.to_string()))
                        }
                    }
                }
            },
        }
    }
}

/// The largest buffer a thread keeps for [`Format::serialize_within`]: above the default
/// blocking threshold, the largest limit the typed layer asks for unless told otherwise.
const SCRATCH_LIMIT: usize = 32 * 1024;

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// A buffer that refuses to grow past `limit`, remembering that it did.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.over || self.bytes.len().saturating_add(data.len()) > self.limit {
            self.over = true;
            return Err(std::io::Error::other("over the size limit"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IgnoredAny;

    use super::{Format, MAX_DEPTH};
    use crate::DecodeError;

    /// `depth` one-element arrays around a nil.
    fn nested(depth: usize) -> Vec<u8> {
        let mut bytes = vec![0x91; depth];
        bytes.push(0xc0);
        bytes
    }

    #[test]
    fn message_pack_nests_as_deep_as_json_and_no_deeper() {
        let format = Format::MessagePack;
        assert!(
            format
                .deserialize::<IgnoredAny>(&nested(MAX_DEPTH - 1))
                .is_ok()
        );
        assert!(matches!(
            format.deserialize::<IgnoredAny>(&nested(MAX_DEPTH + 1)),
            Err(DecodeError::Deserialize { .. })
        ));
        let json = |depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let value = |depth| Format::Json.deserialize::<serde_json::Value>(json(depth).as_bytes());
        assert!(value(MAX_DEPTH - 1).is_ok());
        assert!(value(MAX_DEPTH + 1).is_err());
    }

    /// Writes a long string, ignores the writer's refusal, then writes a short one.
    struct Swallows;

    impl serde::Serialize for Swallows {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let mut seq = serializer.serialize_seq(Some(2))?;
            let _refused = seq.serialize_element(&"x".repeat(100));
            seq.serialize_element("y")?;
            seq.end()
        }
    }

    #[test]
    fn a_serializer_that_swallows_the_refusal_is_still_over_the_limit() {
        for format in [Format::Json, Format::MessagePack] {
            assert_eq!(
                format
                    .serialize_within(&Swallows, 50, <[u8]>::to_vec)
                    .unwrap(),
                None,
                "{format:?}"
            );
        }
    }

    /// Serializes, as part of itself, the length of its inner value serialized within a limit
    /// on the same thread: a value that goes through the cache while it is serialized.
    struct Nests(Vec<String>);

    impl serde::Serialize for Nests {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeSeq;
            let inner = Format::MessagePack
                .serialize_within(&self.0, 1024, <[u8]>::len)
                .map_err(serde::ser::Error::custom)?;
            let mut seq = serializer.serialize_seq(Some(2))?;
            seq.serialize_element(&inner)?;
            seq.serialize_element(&self.0)?;
            seq.end()
        }
    }

    #[test]
    fn a_value_serialized_within_a_limit_while_another_is_gets_bytes_of_its_own() {
        let value = Nests(vec!["x".repeat(10); 20]);
        for format in [Format::Json, Format::MessagePack] {
            let whole = format.serialize(&value).unwrap();
            for _ in 0..3 {
                let within = format
                    .serialize_within(&value, 4096, <[u8]>::to_vec)
                    .unwrap();
                assert_eq!(within.as_ref(), Some(&whole), "{format:?}");
            }
        }
    }

    #[test]
    fn serializing_within_a_limit_stops_past_it() {
        let value = vec!["x".repeat(10); 100];
        for format in [Format::Json, Format::MessagePack] {
            let whole = format.serialize(&value).unwrap();
            let within = |limit| {
                format
                    .serialize_within(&value, limit, <[u8]>::to_vec)
                    .unwrap()
            };
            assert_eq!(within(whole.len()), Some(whole.clone()), "{format:?}");
            assert_eq!(within(whole.len() - 1), None, "{format:?}");
            assert_eq!(within(0), None, "{format:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_within_a_tokio_sized_stack() {
        // A kilobyte of nesting, decoded where the typed layer decodes: on a 2 MiB stack.
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| {
                let value = Format::MessagePack.deserialize::<serde_json::Value>(&nested(1000));
                matches!(value, Err(DecodeError::Deserialize { .. }))
            })
            .unwrap()
            .join();
        assert!(matches!(outcome, Ok(true)), "{outcome:?}");
    }
}
