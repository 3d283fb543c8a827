//! Serialization formats: JSON and MessagePack.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{BoxError, DecodeError};

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

    pub(crate) fn deserialize<T: DeserializeOwned>(self, bytes: &[u8]) -> Result<T, DecodeError> {
        let error = |message: String| DecodeError::Deserialize {
            format: self.name(),
            message,
        };
        match self {
            // serde_json rejects anything but whitespace after the value by itself.
            Self::Json => serde_json::from_slice(bytes).map_err(|e| error(e.to_string())),
            Self::MessagePack => match super::msgpack_len::value_len(bytes) {
                Some(len) if len < bytes.len() => Err(DecodeError::TrailingBytes {
                    extra: bytes.len() - len,
                }),
                _ => rmp_serde::from_slice(bytes).map_err(|e| error(e.to_string())),
            },
        }
    }
}
