//! [`Bodies`]: each route's JSON body for a market, and its compressed forms, built once
//! per stored version and shared by every request for it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use market_data::{Dataset, Market, MarketData, Stamp};
use tokio::sync::OnceCell;

use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// How many (route, market) bodies are kept: far more than the markets Bybit has, and a
/// bound on what clients naming made-up base coins cost.
const MAX_SLOTS: usize = 1024;

/// A body built from one stored version, in each coding asked for so far.
pub(crate) struct Built {
    /// The opaque part of the version's entity tags.
    pub(crate) tag: String,
    /// How long the version is fresh from its write: its key's TTL (jitter included).
    pub(crate) fresh_for: Duration,
    route: &'static str,
    identity: Bytes,
    gzip: OnceCell<Bytes>,
    zstd: OnceCell<Bytes>,
}

impl Built {
    /// The body in `encoding`, compressed at the first request for it (on the blocking
    /// pool), then shared.
    pub(crate) async fn body(
        &self,
        encoding: Encoding,
        metrics: &Metrics,
    ) -> Result<Bytes, ApiError> {
        let cell = match encoding {
            Encoding::Identity => return Ok(self.identity.clone()),
            Encoding::Gzip => &self.gzip,
            Encoding::Zstd => &self.zstd,
        };
        let identity = self.identity.clone();
        let body = cell
            .get_or_try_init(|| async move {
                let encoded = tokio::task::spawn_blocking(move || encoding.encode(&identity))
                    .await
                    .map_err(|e| internal(format!("compressing failed: {e}")))?
                    .map_err(|e| internal(format!("compressing failed: {e}")))?;
                metrics.body_built(self.route, encoding);
                Ok::<_, ApiError>(encoded)
            })
            .await?;
        Ok(body.clone())
    }
}

/// Which body: that of `route` for `market`, made from its `dataset`.
pub(crate) struct BodyOf<'a> {
    pub(crate) route: &'static str,
    pub(crate) dataset: Dataset,
    pub(crate) market: &'a Market,
}

/// The body of one (route, market): the value it was built from, held so that a request
/// served the same value (the same allocation, as a value held in memory is) finds it
/// without asking for its stamp.
struct Slot {
    held: Arc<dyn Any + Send + Sync>,
    stamp: Option<Stamp>,
    built: Arc<Built>,
}

/// The bodies of every (route, market), one version each.
pub(crate) struct Bodies {
    slots: Mutex<HashMap<(&'static str, Market), Slot>>,
    /// Builds take turns: each version is built once, however many requests come for it
    /// at once. Builds are rare (once per version), and short.
    building: tokio::sync::Mutex<()>,
}

impl Bodies {
    pub(crate) fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
        }
    }

    /// The body of `route` for `market` built from `value`, served by a read of `dataset`:
    /// the one built already for its stored version, or one built now with `to_json`.
    pub(crate) async fn get<T: Send + Sync + 'static>(
        &self,
        data: &MarketData,
        BodyOf {
            route,
            dataset,
            market,
        }: BodyOf<'_>,
        value: &Arc<T>,
        to_json: fn(&T) -> serde_json::Result<Vec<u8>>,
        metrics: &Metrics,
    ) -> Result<Arc<Built>, ApiError> {
        let key = (route, market.clone());
        if let Some(built) = self.find(&key, value, None) {
            return Ok(built);
        }
        let stamp = data.held_stamp(dataset, market, value).await;
        let _turn = self.building.lock().await;
        if let Some(built) = self.find(&key, value, stamp) {
            return Ok(built);
        }
        let from = value.clone();
        let json = tokio::task::spawn_blocking(move || to_json(&from))
            .await
            .map_err(|e| internal(format!("building the body failed: {e}")))?
            .map_err(|e| internal(format!("building the body failed: {e}")))?;
        let tag = match stamp {
            Some(stamp) => stamp_tag(&stamp),
            // Not stored (the cache refused the write, or holds nothing in memory): named by
            // its bytes, which every process serving the same list agrees on too.
            None => format!("c{:08x}-{:x}", crc32fast::hash(&json), json.len()),
        };
        let policy = data.policy().dataset(dataset);
        let built = Arc::new(Built {
            tag,
            fresh_for: policy.freshness.fresh_for(&data.key(dataset, market)),
            route,
            identity: json.into(),
            gzip: OnceCell::new(),
            zstd: OnceCell::new(),
        });
        metrics.body_built(route, Encoding::Identity);
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let full = slots.len() >= MAX_SLOTS && !slots.contains_key(&key);
        if let Some(any) = slots.keys().next().cloned().filter(|_| full) {
            slots.remove(&any);
        }
        let held: Arc<dyn Any + Send + Sync> = value.clone();
        let slot = Slot {
            held,
            stamp,
            built: built.clone(),
        };
        slots.insert(key, slot);
        Ok(built)
    }

    /// The body built for `value`: from the same allocation, or from the same stored
    /// version (`stamp`), which the slot then holds by the new allocation.
    fn find<T: Send + Sync + 'static>(
        &self,
        key: &(&'static str, Market),
        value: &Arc<T>,
        stamp: Option<Stamp>,
    ) -> Option<Arc<Built>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get_mut(key)?;
        if std::ptr::addr_eq(Arc::as_ptr(&slot.held), Arc::as_ptr(value)) {
            return Some(slot.built.clone());
        }
        if stamp.is_some() && slot.stamp == stamp {
            slot.held = value.clone();
            return Some(slot.built.clone());
        }
        None
    }
}

/// A stored version's tag: its write time, checksum and length, which every process
/// reading the same stored bytes reads alike.
fn stamp_tag(stamp: &Stamp) -> String {
    let written = stamp
        .written_at()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!(
        "{written:x}-{:08x}-{:x}",
        stamp.checksum(),
        stamp.payload_len()
    )
}

fn internal(message: String) -> ApiError {
    ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, message)
}
