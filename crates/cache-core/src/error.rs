//! The one error type of the crate, and the reasons a stored value cannot be decoded.

use std::time::Duration;

/// A boxed error from a backend or a serializer, kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result of a cache operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a cache operation.
///
/// Backends map their own errors into these variants, so a caller matches on what happened,
/// not on which backend it happened in. [`Error::is_temporary`] tells whether trying again
/// later may succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The backend could not be reached: connection refused or dropped, server down.
    #[error("cache backend unavailable: {message}")]
    Unavailable {
        /// What failed, without secrets.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<BoxError>,
    },
    /// The operation did not finish within its time limit.
    #[error("cache operation timed out after {0:?}")]
    Timeout(Duration),
    /// The backend answered, but refused the operation (out of memory, wrong type, ...).
    #[error("cache backend error: {message}")]
    Backend {
        /// What the backend said, without secrets.
        message: String,
        /// The backend's own error.
        #[source]
        source: Option<BoxError>,
    },
    /// A value could not be serialized or compressed.
    #[error("cannot encode value: {0}")]
    Encode(#[source] BoxError),
    /// A stored entry could not be decoded; the reason says why.
    #[error("cannot decode stored value: {0}")]
    Decode(#[from] DecodeError),
    /// An argument was rejected before anything was sent: a zero TTL, a TTL too long for the
    /// backend, a bad configuration value.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A write fenced by a lease ([`Fence`](crate::Fence)) was not made: the lease is no
    /// longer held with the fence's token (it expired, and another process may hold it now).
    /// Nothing was written.
    #[error("not stored: the lease {name:?} is no longer held by this writer")]
    LeaseLost {
        /// The lease's name.
        name: String,
    },
    /// The backend does not offer this operation (for instance a lease whose writes cannot be
    /// fenced in one step); the caller may fall back to another way.
    #[error("not supported by this backend: {0}")]
    Unsupported(String),
}

impl Error {
    /// Builds [`Error::Unavailable`] from a message and the backend's error.
    pub fn unavailable(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Builds [`Error::Backend`] from a message and the backend's error.
    pub fn backend(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Backend {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Builds [`Error::Unsupported`].
    pub fn unsupported(what: impl Into<String>) -> Self {
        Self::Unsupported(what.into())
    }

    /// Builds [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// Whether the same call may succeed later without any change: true for
    /// [`Error::Unavailable`] and [`Error::Timeout`].
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Timeout(_))
    }

    /// Whether the error is about the stored bytes rather than the backend: the entry is
    /// foreign, corrupt or of another type, and overwriting it is the remedy.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode(_))
    }
}

/// Why stored bytes could not be turned back into a value.
///
/// Every case is detected before any wrong value is returned; none panics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes do not start with the envelope's magic: not written by this crate.
    #[error("not a cache envelope (bad magic)")]
    BadMagic,
    /// The envelope was written by a newer, unknown version of the layout.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// The header names a serialization format this reader does not know.
    #[error("unknown format id {0}")]
    UnknownFormat(u8),
    /// The header names a compression this reader does not know.
    #[error("unknown compression id {0}")]
    UnknownCompression(u8),
    /// Reserved header bits are set.
    #[error("reserved header flags set: {0:#04x}")]
    ReservedFlags(u8),
    /// Fewer bytes than the header or its declared payload length.
    #[error("truncated: expected {expected} bytes, found {actual}")]
    Truncated {
        /// Bytes the envelope declares.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// More bytes than the envelope declares, or bytes left after the decoded value.
    #[error("{extra} trailing bytes after the value")]
    TrailingBytes {
        /// How many bytes are left over.
        extra: usize,
    },
    /// The header and payload do not match their checksum.
    #[error("checksum mismatch: the entry is corrupt")]
    ChecksumMismatch,
    /// The write time is beyond what this platform's clock can represent.
    #[error("write time {0} ms is out of range")]
    BadTimestamp(u64),
    /// The declared or actual decoded size exceeds the reader's limit.
    #[error("decoded size {size} exceeds the limit of {max} bytes")]
    TooLarge {
        /// The declared size, or the size reached when decoding stopped.
        size: u64,
        /// The configured maximum.
        max: usize,
    },
    /// The decompressed size differs from the size the header declares.
    #[error("decoded length {actual} differs from the declared {declared}")]
    LengthMismatch {
        /// What the header declares.
        declared: u64,
        /// What decompression produced (at least this many bytes).
        actual: u64,
    },
    /// The compressed stream is corrupt.
    #[error("corrupt compressed stream: {0}")]
    Decompress(#[source] std::io::Error),
    /// The serialized value does not match the requested type, or is malformed.
    #[error("cannot deserialize {format}: {message}")]
    Deserialize {
        /// The format named in the header.
        format: &'static str,
        /// The deserializer's message.
        message: String,
    },
    /// A decode task on the blocking pool failed to complete.
    #[error("decode task failed: {0}")]
    Task(String),
}
