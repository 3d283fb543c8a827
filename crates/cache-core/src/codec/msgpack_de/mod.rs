//! A MessagePack deserializer over a borrowed slice, for what rmp-serde writes.
//!
//! rmp-serde reads every marker and length through its `Read`/`ReadSlice` traits: walking the
//! 214-instrument linear list (26 KB) into `IgnoredAny` took it 49 µs, and indexing the slice
//! takes 31 µs. The position the decode ends at also says whether bytes follow the value,
//! without walking them a second time.
//!
//! It calls the visitor exactly as `rmp_serde::Deserializer::from_read_ref` does for input it
//! accepts (same visit methods, same integer widths, `is_human_readable() == false`). For
//! anything else it gives up with [`Error::Retry`], and the caller decodes again with
//! rmp-serde, which then decides: errors and the rare shapes left to it (ext types, 128-bit
//! integers) keep rmp-serde's behaviour and messages exactly.
//!
//! One difference is deliberate: an enum written as a map counts as a level towards
//! [`MAX_DEPTH`], which rmp-serde does not count, so that a recursive enum cannot overflow the
//! stack. A value nesting more than [`MAX_DEPTH`] arrays, maps and enums together is refused,
//! even when rmp-serde would have read it.

mod access;
mod de;

use std::fmt;

use serde::de::DeserializeOwned;

use super::format::MAX_DEPTH;

/// Why the fast path stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Error {
    /// Anything else: let rmp-serde decode the bytes and decide.
    Retry,
    /// Nested deeper than [`MAX_DEPTH`]. Final: rmp-serde refuses the same arrays and maps at
    /// the same depth, and has no limit for enums, which this deserializer counts too.
    DepthLimit,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Retry => "not decoded by the fast path",
            // rmp-serde's own message for the same error.
            Self::DepthLimit => "depth limit exceeded",
        })
    }
}

impl std::error::Error for Error {}

impl serde::de::Error for Error {
    // The message would be thrown away: on a retry, rmp-serde's own error is the one shown.
    #[cold]
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Self::Retry
    }
}

/// Deserializes the first value of `bytes`, returning it with the number of bytes after it.
pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), Error> {
    let mut de = Deserializer {
        input: bytes,
        depth: MAX_DEPTH,
        diverged: false,
    };
    let value = T::deserialize(&mut de)?;
    if de.diverged {
        // A visitor swallowed an error this deserializer raised (a default-on-error field,
        // say); rmp-serde might not have raised it, so the value could differ.
        return Err(Error::Retry);
    }
    Ok((value, de.input.len()))
}

/// The state of one decode: the bytes not read yet, and how many more levels may nest.
pub(crate) struct Deserializer<'de> {
    input: &'de [u8],
    /// Counts down like rmp-serde's: entering the level that takes it to zero fails.
    depth: usize,
    /// Set whenever this deserializer raised an error of its own.
    diverged: bool,
}

impl<'de> Deserializer<'de> {
    #[cold]
    fn fail(&mut self) -> Error {
        self.diverged = true;
        Error::Retry
    }

    /// Enters an array, a map, an ext or an enum's map: one level deeper.
    #[inline]
    fn enter(&mut self) -> Result<(), Error> {
        // Checked: a visitor that swallowed the error may go on entering levels.
        match self.depth.checked_sub(1) {
            Some(depth) if depth > 0 => {
                self.depth = depth;
                Ok(())
            }
            _ => {
                self.depth = 0;
                self.diverged = true;
                Err(Error::DepthLimit)
            }
        }
    }

    /// Leaves a level entered with [`Self::enter`]; skipped on errors, as rmp-serde does.
    #[inline]
    fn leave(&mut self) {
        self.depth += 1;
    }

    #[inline]
    fn peek(&mut self) -> Result<u8, Error> {
        match self.input.first() {
            Some(&byte) => Ok(byte),
            None => Err(self.fail()),
        }
    }

    #[inline]
    fn byte(&mut self) -> Result<u8, Error> {
        match self.input.split_first() {
            Some((&byte, rest)) => {
                self.input = rest;
                Ok(byte)
            }
            None => Err(self.fail()),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        match self.input.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.input = rest;
                Ok(*head)
            }
            None => Err(self.fail()),
        }
    }

    #[inline]
    fn take(&mut self, len: usize) -> Result<&'de [u8], Error> {
        match self.input.split_at_checked(len) {
            Some((head, rest)) => {
                self.input = rest;
                Ok(head)
            }
            None => Err(self.fail()),
        }
    }

    #[inline]
    fn len8(&mut self) -> Result<usize, Error> {
        self.byte().map(usize::from)
    }

    #[inline]
    fn len16(&mut self) -> Result<usize, Error> {
        self.array().map(|b| usize::from(u16::from_be_bytes(b)))
    }

    #[inline]
    fn len32(&mut self) -> Result<usize, Error> {
        // A length past the address space cannot fit in the bytes left anyway.
        self.array()
            .map(|b| usize::try_from(u32::from_be_bytes(b)).unwrap_or(usize::MAX))
    }

    /// Skips one value, checked as rmp-serde checks what it reads into `IgnoredAny`: complete,
    /// no reserved marker, nested no deeper than the limit; strings are not checked for UTF-8.
    fn skip(&mut self) -> Result<(), Error> {
        let marker = self.byte()?;
        // A container enters a level even when empty, as in rmp-serde.
        let (body, items) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => return Ok(()),
            0x80..=0x8f => (0, Some(2 * usize::from(marker & 0x0f))),
            0x90..=0x9f => (0, Some(usize::from(marker & 0x0f))),
            0xa0..=0xbf => (usize::from(marker & 0x1f), None),
            0xc4 | 0xd9 => (self.len8()?, None),
            0xc5 | 0xda => (self.len16()?, None),
            0xc6 | 0xdb => (self.len32()?, None),
            0xcc | 0xd0 => (1, None),
            0xcd | 0xd1 => (2, None),
            0xca | 0xce | 0xd2 => (4, None),
            0xcb | 0xcf | 0xd3 => (8, None),
            0xdc => (0, Some(self.len16()?)),
            0xdd => (0, Some(self.len32()?)),
            0xde => (0, Some(self.len16()?.saturating_mul(2))),
            0xdf => (0, Some(self.len32()?.saturating_mul(2))),
            0xc7..=0xc9 | 0xd4..=0xd8 => {
                let len = match marker {
                    0xc7 => self.len8()?,
                    0xc8 => self.len16()?,
                    0xc9 => self.len32()?,
                    fixed => 1 << (fixed - 0xd4),
                };
                // rmp-serde visits an ext as a level of its own: its type byte, then its data.
                self.enter()?;
                self.take(len.saturating_add(1))?;
                self.leave();
                return Ok(());
            }
            0xc1 => return Err(self.fail()),
        };
        self.take(body)?;
        if let Some(items) = items {
            self.check_items(items)?;
            self.enter()?;
            for _ in 0..items {
                self.skip()?;
            }
            self.leave();
        }
        Ok(())
    }

    /// Refuses a count of values that the bytes left cannot hold (each takes one at least),
    /// before anything is sized by it.
    #[inline]
    fn check_items(&mut self, items: usize) -> Result<(), Error> {
        if items > self.input.len() {
            return Err(self.fail());
        }
        Ok(())
    }
}
