//! The typed layer: serde values over any [`Cache`], and read-through with [`TypedCache::get_or_fetch`].

use std::borrow::Borrow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cache::check_ttl;
use crate::codec::{Codec, Compression, Stored};
use crate::envelope::{self, Stamp};
use crate::offload::{Lost, offload};
use crate::{Cache, DecodeError, Error, Fence, Result};

/// Serde values over a byte [`Cache`], each stored in a self-describing envelope.
///
/// Large values are decoded (and compressed) off the async runtime's threads, so that a big
/// entry never stalls it: on a multi-thread runtime on codec threads of this crate's own, which
/// give way to the runtime's (lowest CPU priority), on a current-thread runtime on tokio's
/// blocking pool. Small ones inline, where a thread hop would cost more than the work.
/// [`Codec::with_blocking_threshold`] sets the size.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cache_core::Error> {
/// use std::time::Duration;
/// use cache_core::{Codec, Compression, MemoryCache, TypedCache};
///
/// let codec = Codec::msgpack().with_compression(Compression::ZSTD)?;
/// let cache = TypedCache::new(MemoryCache::new(64 << 20), codec);
///
/// let symbols = cache
///     .get_or_fetch("symbols:linear", Duration::from_secs(3600), || async {
///         // A slow upstream call goes here; its errors convert from cache_core::Error.
///         Ok::<_, cache_core::Error>(vec!["BTCUSDT".to_owned(), "ETHUSDT".to_owned()])
///     })
///     .await?;
/// assert_eq!(symbols.len(), 2);
/// assert_eq!(cache.get::<Vec<String>>("symbols:linear").await?, Some(symbols));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TypedCache<C> {
    cache: C,
    codec: Codec,
}

impl<C: Cache> TypedCache<C> {
    /// Wraps `cache`, writing with `codec` and reading within its limits.
    pub const fn new(cache: C, codec: Codec) -> Self {
        Self { cache, codec }
    }

    /// The byte cache underneath.
    pub const fn cache(&self) -> &C {
        &self.cache
    }

    /// The codec values are written with.
    pub const fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Returns the value under `key`, or `None` when there is none.
    ///
    /// # Errors
    /// [`Error::Decode`] when the entry is foreign, corrupt or of another type; the backend's
    /// errors as they come.
    pub async fn get<T>(&self, key: &str) -> Result<Option<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        Ok(self.get_stored(key).await?.map(|stored| stored.value))
    }

    /// Like [`TypedCache::get`], with the entry's header: when it was written, how it is
    /// stored.
    ///
    /// # Errors
    /// As [`TypedCache::get`].
    pub async fn get_stored<T>(&self, key: &str) -> Result<Option<Stored<T>>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        match self.cache.get(key).await? {
            Some(bytes) => self.decode(bytes).await.map(Some),
            None => Ok(None),
        }
    }

    /// Stores `value` under `key` for `ttl`.
    ///
    /// A small value is encoded on the calling thread. One whose serialized form exceeds
    /// [`BORROWED_INLINE_LIMIT`] (or the codec's [blocking
    /// threshold](Codec::with_blocking_threshold), when that is lower) is copied with
    /// [`ToOwned`] and serialized and compressed off the async runtime's threads, as
    /// [`TypedCache::set_shared`] does: a copy costs a fraction of a serialization. A value
    /// that is dear to copy is better stored with [`TypedCache::set_shared`]; one that cannot
    /// be copied (a view borrowing its parts, a type that is not `Clone`) with
    /// [`TypedCache::set_inline`], which encodes on the calling thread whatever the size.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero or too long TTL, [`Error::Encode`] when the value
    /// cannot be serialized or when the runtime shuts down while a large one is encoded off
    /// its threads, and the backend's errors.
    ///
    /// # Panics
    /// When serializing `value` panics, off the runtime's threads or inline.
    pub async fn set<T>(&self, key: &str, value: &T, ttl: Duration) -> Result<()>
    where
        T: Serialize + ToOwned + ?Sized + 'static,
        T::Owned: Send + 'static,
    {
        self.set_stamped(key, value, ttl).await.map(drop)
    }

    /// Like [`TypedCache::set`], returning the [`Stamp`] of the bytes written: a reader that
    /// finds that stamp under `key` later finds this value.
    ///
    /// # Errors
    /// As [`TypedCache::set`].
    ///
    /// # Panics
    /// As [`TypedCache::set`].
    pub async fn set_stamped<T>(&self, key: &str, value: &T, ttl: Duration) -> Result<Stamp>
    where
        T: Serialize + ToOwned + ?Sized + 'static,
        T::Owned: Send + 'static,
    {
        check_ttl(ttl, self.cache.max_ttl())?;
        let bytes = self.encode_borrowed(value).await?;
        self.store(key, bytes, ttl, &Fence::none()).await
    }

    /// Stores `value` under `key` for `ttl`, serialized on the calling thread whatever its
    /// size, as [`TypedCache::set`] did before it sent large values off the runtime's threads:
    /// [`TypedCache::encode`], then the write.
    ///
    /// For a value that cannot be copied (a view borrowing its parts, a type that is not
    /// `Clone`), or whose `Serialize` must run on this thread. A large value holds the
    /// runtime's thread while it is serialized (about 0.1 ms for a list of a few hundred
    /// instruments); it is compressed off it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), cache_core::Error> {
    /// use std::time::Duration;
    /// use cache_core::{Codec, MemoryCache, TypedCache};
    ///
    /// #[derive(serde::Serialize)]
    /// struct View<'a> {
    ///     symbol: &'a str,
    /// }
    ///
    /// let typed = TypedCache::new(MemoryCache::new(1 << 20), Codec::msgpack());
    /// let symbol = String::from("BTCUSDT");
    /// let view = View { symbol: &symbol };
    /// let stamp = typed.set_inline("view", &view, Duration::from_secs(60)).await?;
    /// let read: Option<std::collections::BTreeMap<String, String>> = typed.get("view").await?;
    /// assert_eq!(read.unwrap()["symbol"], "BTCUSDT");
    /// # let _ = stamp;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`TypedCache::set`].
    ///
    /// # Panics
    /// When serializing `value` panics.
    pub async fn set_inline<T>(&self, key: &str, value: &T, ttl: Duration) -> Result<Stamp>
    where
        T: Serialize + ?Sized,
    {
        check_ttl(ttl, self.cache.max_ttl())?;
        let bytes = self.encode(value).await?;
        self.store(key, bytes, ttl, &Fence::none()).await
    }

    /// Writes encoded bytes through `fence` and returns their stamp.
    async fn store(&self, key: &str, bytes: Bytes, ttl: Duration, fence: &Fence) -> Result<Stamp> {
        // Bytes this layer just sealed always have one.
        let stamp = envelope::stamp(&bytes)?;
        fence.set(&self.cache, key, bytes, ttl).await?;
        Ok(stamp)
    }

    /// Removes `key`; returns whether it was there.
    ///
    /// # Errors
    /// The backend's errors.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        self.cache.delete(key).await
    }

    /// Returns the value under `key`, or calls `fetch`, stores what it returns for `ttl`, and
    /// returns that.
    ///
    /// # Behavior
    /// - A stored empty list or map is a value: a hit, not a miss.
    /// - An entry that cannot be decoded (foreign, corrupt, another type) counts as a miss:
    ///   the value is fetched and overwrites it, and a warning is logged.
    /// - The cache never fails a call that `fetch` can answer: when the backend cannot be read
    ///   or written, the value is fetched and returned, and a warning is logged.
    /// - Concurrent callers on a miss each call `fetch`; `cache_policy::ReadThrough`
    ///   shares one fetch among them and keeps a stale copy for when it fails.
    ///
    /// # Errors
    /// `fetch`'s error, or [`Error::InvalidArgument`] (converted into `E`) for a zero or too
    /// long `ttl`, which is checked before anything else. [`Error::Encode`] (converted) when
    /// a current-thread runtime shuts down while a large fetched value is being encoded on its
    /// blocking pool: the value went with the pool's task.
    pub async fn get_or_fetch<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Duration,
        fetch: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        E: From<Error>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        check_ttl(ttl, self.cache.max_ttl())?;
        match self.get(key).await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error @ Error::Decode(_)) => {
                tracing::warn!(key, %error, "cache entry unreadable; refetching to overwrite it");
            }
            Err(error) => tracing::warn!(key, %error, "cache read failed; fetching"),
        }
        let value = fetch().await?;
        let (value, encoded) = self.encode_moved::<T, T>(value).await?;
        let written = match encoded {
            Ok(bytes) => self.cache.set(key, bytes, ttl).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            tracing::warn!(key, %error, "cache write failed; value returned uncached");
        }
        Ok(value)
    }

    /// Like [`TypedCache::set`] for a shared value, which a large one lets leave the async
    /// runtime's threads whole: serialized as well as compressed off them.
    ///
    /// # Errors
    /// As [`TypedCache::set`]; [`Error::Encode`] also when a current-thread runtime shuts down
    /// before its blocking pool encoded a large value.
    ///
    /// # Panics
    /// When serializing `value` panics, on the pool or inline, as [`TypedCache::set`] would.
    pub async fn set_shared<T>(&self, key: &str, value: Arc<T>, ttl: Duration) -> Result<()>
    where
        T: Serialize + Send + Sync + ?Sized + 'static,
    {
        self.set_shared_stamped(key, value, ttl).await.map(drop)
    }

    /// Like [`TypedCache::set_shared`], returning the [`Stamp`] of the bytes written.
    ///
    /// # Errors
    /// As [`TypedCache::set_shared`].
    ///
    /// # Panics
    /// As [`TypedCache::set_shared`].
    pub async fn set_shared_stamped<T>(
        &self,
        key: &str,
        value: Arc<T>,
        ttl: Duration,
    ) -> Result<Stamp>
    where
        T: Serialize + Send + Sync + ?Sized + 'static,
    {
        self.set_shared_fenced(key, value, ttl, &Fence::none())
            .await
    }

    /// Like [`TypedCache::set_shared_stamped`], writing only as `fence` allows: while the
    /// lease the value was made under is still held (see [`Fence`]).
    ///
    /// # Errors
    /// As [`TypedCache::set_shared`]; [`Error::LeaseLost`](crate::Error::LeaseLost) when the
    /// fence's lease is no longer held, and nothing was written.
    ///
    /// # Panics
    /// As [`TypedCache::set_shared`].
    pub async fn set_shared_fenced<T>(
        &self,
        key: &str,
        value: Arc<T>,
        ttl: Duration,
        fence: &Fence,
    ) -> Result<Stamp>
    where
        T: Serialize + Send + Sync + ?Sized + 'static,
    {
        check_ttl(ttl, self.cache.max_ttl())?;
        let (_, bytes) = self.encode_moved::<Arc<T>, T>(value).await?;
        self.store(key, bytes?, ttl, fence).await
    }

    /// Decodes stored bytes, off the runtime's threads when they are large.
    ///
    /// # Errors
    /// [`Error::Decode`].
    pub async fn decode<T>(&self, bytes: Bytes) -> Result<Stored<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let codec = self.codec;
        if !self.is_large(bytes.len().max(declared_len(&bytes))) {
            return codec.decode(&bytes);
        }
        // The bytes come back to be freed by the caller, on a runtime thread (see the
        // `offload` module).
        let (decoded, _bytes) = offload(move || (codec.decode(&bytes), bytes))
            .await
            .map_err(|e| DecodeError::Task(e.to_string()))?;
        decoded
    }

    /// Decodes the payload of an envelope that [`envelope::open`](crate::envelope::open)
    /// already checked (`header` and `payload` are what it returned), off the runtime's threads
    /// when it is large: the checksum is not verified a second time. For a reader that looks at the
    /// header before it decides to decode.
    ///
    /// # Errors
    /// [`Error::Decode`].
    pub async fn decode_opened<T>(
        &self,
        header: crate::envelope::Header,
        payload: Bytes,
    ) -> Result<Stored<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let codec = self.codec;
        if !self.is_large(payload.len().max(header.decoded_len as usize)) {
            return codec.decode_opened(header, &payload);
        }
        let (decoded, _payload) = offload(move || (codec.decode_opened(header, &payload), payload))
            .await
            .map_err(|e| DecodeError::Task(e.to_string()))?;
        decoded
    }

    /// Encodes `value`, compressing off the runtime's threads when it is large.
    ///
    /// # Behavior
    /// The value is serialized on the calling thread, whatever its size: it may be neither
    /// `Send` nor `Sync`, nor copied, and a thread that waited for another to serialize it
    /// would be blocked all the same. `tokio::task::block_in_place` is no way out for a
    /// library: it panics on a current-thread runtime and inside a `LocalSet`. A value that
    /// can be copied, moved or shared can leave: [`TypedCache::set`],
    /// [`TypedCache::get_or_fetch`] and [`TypedCache::set_shared`] serialize a large one off
    /// the runtime's threads.
    ///
    /// # Errors
    /// [`Error::Encode`].
    pub async fn encode<T>(&self, value: &T) -> Result<Bytes>
    where
        T: Serialize + ?Sized,
    {
        let codec = self.codec;
        let serialized = codec.serialize(value)?;
        let sealed = if codec.compression() == Compression::None || !self.is_large(serialized.len())
        {
            codec.seal(&serialized)?
        } else {
            let (sealed, _serialized) = offload(move || (codec.seal(&serialized), serialized))
                .await
                .map_err(|e| Error::Encode(e.into()))?;
            sealed?
        };
        Ok(Bytes::from(sealed))
    }

    /// Encodes a borrowed value: inline when it is small, else from a copy made here,
    /// serialized and compressed off the runtime's threads.
    ///
    /// The size is probed as [`TypedCache::encode_moved`] does, but only up to
    /// [`BORROWED_INLINE_LIMIT`]: past it, copying the value (a quarter of serializing it, for
    /// Bybit's instrument lists) costs less than serializing on to the blocking threshold
    /// would, only to serialize again on the pool.
    async fn encode_borrowed<T>(&self, value: &T) -> Result<Bytes>
    where
        T: Serialize + ToOwned + ?Sized + 'static,
        T::Owned: Send + 'static,
    {
        let codec = self.codec;
        let limit = codec.blocking_threshold().min(BORROWED_INLINE_LIMIT);
        if let Some(sealed) = codec.serialize_within(value, limit, |small| codec.seal(small))? {
            return sealed.map(Bytes::from);
        }
        // The copy comes back to be freed by this task, on a runtime thread (the one that
        // made it unless the task moved while it waited): freed on a codec thread, its
        // memory would leave the runtime threads' allocator caches, and the next copy, made
        // in fresh memory, would cost about five times as much (113 µs against 21 µs with
        // the free, for the 214 linear instruments in today's shape, on one worker).
        let (_copy, encoded) = self.encode_away::<T::Owned, T>(value.to_owned()).await?;
        encoded
    }

    /// Encodes a value that can move: inline when it is small, else serialized and compressed
    /// off the runtime's threads; the value comes back either way.
    ///
    /// The encoded size is unknown until the value is serialized, and nothing cheaper predicts
    /// it (serde gives no size for a map or a string's escapes ahead of time). So the value is
    /// serialized inline into a buffer that refuses to grow past the blocking threshold: that
    /// costs at most the work the threshold already allows inline, and a small value's bytes
    /// are kept. A large one is serialized again, whole, on the pool: the first threshold's
    /// worth is done twice.
    ///
    /// The outer error is a value lost with its encode: [`Error::Encode`] when the runtime
    /// shut down before its blocking pool ran it. A panic while serializing resumes here.
    async fn encode_moved<V, T>(&self, value: V) -> Result<(V, Result<Bytes>)>
    where
        V: Borrow<T> + Send + 'static,
        T: Serialize + ?Sized + 'static,
    {
        let codec = self.codec;
        let seal = |small: &[u8]| codec.seal(small);
        match codec.serialize_within(value.borrow(), codec.blocking_threshold(), seal) {
            Ok(Some(sealed)) => return Ok((value, sealed.map(Bytes::from))),
            Ok(None) => {}
            Err(error) => return Ok((value, Err(error))),
        }
        self.encode_away(value).await
    }

    /// Serializes and compresses `value` off the runtime's threads; the value comes back.
    /// Errors as [`TypedCache::encode_moved`]'s.
    async fn encode_away<V, T>(&self, value: V) -> Result<(V, Result<Bytes>)>
    where
        V: Borrow<T> + Send + 'static,
        T: Serialize + ?Sized + 'static,
    {
        let codec = self.codec;
        let encoded = offload(move || {
            let encoded = codec.encode(value.borrow());
            (value, encoded)
        })
        .await;
        match encoded {
            Ok((value, encoded)) => Ok((value, encoded.map(Bytes::from))),
            // The value is lost with the thread; so is a panic raised inline.
            Err(Lost::Panicked(panic)) => std::panic::resume_unwind(panic),
            Err(lost @ Lost::Cancelled) => Err(Error::Encode(lost.into())),
        }
    }

    fn is_large(&self, size: usize) -> bool {
        size > self.codec.blocking_threshold()
    }
}

/// The serialized size up to which [`TypedCache::set`] encodes a borrowed value on the calling
/// thread: about 10 µs of serializing Bybit's instrument lists. A larger one is copied and
/// encoded off the runtime's threads.
pub const BORROWED_INLINE_LIMIT: usize = 4 * 1024;

/// The decoded length an envelope declares, read before validating it, to decide where to
/// decode; zero when the bytes are too short to say.
fn declared_len(bytes: &[u8]) -> usize {
    bytes
        .get(16..20)
        .and_then(|b| b.try_into().ok())
        .map_or(0, |b| u32::from_le_bytes(b) as usize)
}
