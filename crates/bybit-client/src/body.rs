//! Receiving a response body within [`ClientConfig::max_body_size`](crate::ClientConfig).

use crate::error::Error;

/// A body being received, refused as soon as it declares or reaches more than `limit` bytes.
///
/// Its buffer never holds more than `limit` bytes of capacity, whatever the server declares
/// or sends: a `Content-Length` is only a hint for the first allocation, and growth past it
/// is clamped to the cap.
#[derive(Debug)]
pub(crate) struct CappedBody {
    buf: Vec<u8>,
    limit: usize,
}

impl CappedBody {
    /// Starts a body; refuses at once one whose `Content-Length` is over the cap.
    pub(crate) fn new(limit: usize, content_length: Option<u64>) -> Result<Self, Error> {
        let declared = match content_length {
            Some(len) if len > limit as u64 => {
                return Err(Error::BodyTooLarge {
                    limit,
                    declared: Some(len),
                });
            }
            Some(len) => usize::try_from(len).unwrap_or(limit),
            None => 0,
        };
        Ok(Self {
            buf: Vec::with_capacity(declared),
            limit,
        })
    }

    /// Appends a chunk, or refuses the body if it would pass the cap.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        let needed = self
            .buf
            .len()
            .checked_add(chunk.len())
            .filter(|n| *n <= self.limit)
            .ok_or(Error::BodyTooLarge {
                limit: self.limit,
                declared: None,
            })?;
        if needed > self.buf.capacity() {
            // Doubling as Vec would, but never past the cap.
            let target = needed.max(self.buf.capacity().saturating_mul(2).min(self.limit));
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// The buffer's capacity: never more than the cap.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_length_over_the_cap_is_refused_before_any_byte() {
        let err = CappedBody::new(10, Some(11)).unwrap_err();
        assert!(matches!(
            err,
            Error::BodyTooLarge {
                limit: 10,
                declared: Some(11)
            }
        ));
        assert!(!err.is_retryable());
        assert!(err.to_string().contains("10 bytes"), "{err}");
    }

    #[test]
    fn bytes_past_the_cap_are_refused_and_the_buffer_stays_within_it() {
        let mut body = CappedBody::new(10, None).unwrap();
        for _ in 0..3 {
            body.push(b"abc").unwrap();
            assert!(body.capacity() <= 10);
        }
        assert!(matches!(
            body.push(b"ab").unwrap_err(),
            Error::BodyTooLarge {
                limit: 10,
                declared: None
            }
        ));
        let mut exact = CappedBody::new(4, Some(2)).unwrap();
        exact.push(b"ab").unwrap();
        exact.push(b"cd").unwrap();
        assert!(exact.capacity() <= 4);
        assert_eq!(exact.finish(), b"abcd");
    }
}
