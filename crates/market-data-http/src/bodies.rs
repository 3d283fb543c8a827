//! [`Bodies`]: each route's JSON body for its parameters, and its compressed forms, built
//! once per stored version and shared by every request for it.
//!
//! A body is made from one or more dataset reads (its [`Part`]s: one for a dataset's route,
//! several for a route that merges markets); its version is theirs together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bybit_client::InstrumentList;
use bytes::Bytes;
use market_data::{Dataset, FundingIntervals, Market, MarketData, Stamp};
use tokio::sync::OnceCell;

use crate::encoding::Encoding;
use crate::error::ApiError;
use crate::metrics::Metrics;

/// How many (route, parameters) bodies are kept: far more than the markets Bybit has, and a
/// bound on what clients naming made-up base coins cost.
const MAX_SLOTS: usize = 1024;

/// A value as a read of its dataset served it.
#[derive(Clone)]
pub(crate) enum Held {
    Instruments(Arc<InstrumentList>),
    Symbols(Arc<Vec<String>>),
    FundingIntervals(Arc<FundingIntervals>),
}

impl Held {
    const fn dataset(&self) -> Dataset {
        match self {
            Self::Instruments(_) => Dataset::Instruments,
            Self::Symbols(_) => Dataset::Symbols,
            Self::FundingIntervals(_) => Dataset::FundingIntervals,
        }
    }

    /// The value's allocation: a value held in memory is served as the same one each time.
    fn address(&self) -> *const () {
        match self {
            Self::Instruments(value) => Arc::as_ptr(value).cast(),
            Self::Symbols(value) => Arc::as_ptr(value).cast(),
            Self::FundingIntervals(value) => Arc::as_ptr(value).cast(),
        }
    }

    async fn stamp(&self, data: &MarketData, market: &Market) -> Option<Stamp> {
        let dataset = self.dataset();
        match self {
            Self::Instruments(value) => data.held_stamp(dataset, market, value).await,
            Self::Symbols(value) => data.held_stamp(dataset, market, value).await,
            Self::FundingIntervals(value) => data.held_stamp(dataset, market, value).await,
        }
    }
}

/// One read a body is made from: `held`, a dataset of `market`.
#[derive(Clone)]
pub(crate) struct Part {
    pub(crate) market: Market,
    pub(crate) held: Held,
}

/// Which body: `route`'s for `params` (its market, say), made from `parts` by `to_json`.
pub(crate) struct BodyOf {
    pub(crate) route: &'static str,
    pub(crate) params: String,
    pub(crate) parts: Vec<Part>,
    pub(crate) to_json: Box<dyn FnOnce() -> serde_json::Result<Vec<u8>> + Send>,
}

/// A body built from one stored version, in each coding asked for so far.
pub(crate) struct Built {
    /// The opaque part of the version's entity tags.
    pub(crate) tag: String,
    /// How long the version is fresh from its write: its key's TTL (jitter included); the
    /// shortest of its parts'.
    pub(crate) fresh_for: Duration,
    /// The policy's stale-while-revalidate window and `max_stale`, of its first part.
    pub(crate) stale_while_revalidate: Duration,
    pub(crate) max_stale: Duration,
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

/// The body of one (route, parameters), and the values it was built from, held so that a
/// request served the same values (the same allocations, as values held in memory are)
/// finds it without asking for their stamps.
struct Slot {
    parts: Vec<Part>,
    stamps: Option<Vec<Stamp>>,
    built: Arc<Built>,
}

/// The bodies of every (route, parameters), one version each.
pub(crate) struct Bodies {
    slots: Mutex<HashMap<(&'static str, String), Slot>>,
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

    /// The body `of` names: the one built already for the stored versions of its parts, or
    /// one built now.
    pub(crate) async fn get(
        &self,
        data: &MarketData,
        of: BodyOf,
        metrics: &Metrics,
    ) -> Result<Arc<Built>, ApiError> {
        let key = (of.route, of.params);
        if let Some(built) = self.find(&key, &of.parts, None) {
            return Ok(built);
        }
        let mut stamps = Vec::with_capacity(of.parts.len());
        for part in &of.parts {
            stamps.push(part.held.stamp(data, &part.market).await);
        }
        // Not stored (the cache refused the write, or holds nothing in memory): named by its
        // bytes instead, which every process serving the same lists agrees on too.
        let stamps: Option<Vec<Stamp>> = stamps.into_iter().collect();
        let _turn = self.building.lock().await;
        if let Some(built) = self.find(&key, &of.parts, stamps.as_deref()) {
            return Ok(built);
        }
        let json = tokio::task::spawn_blocking(of.to_json)
            .await
            .map_err(|e| internal(format!("building the body failed: {e}")))?
            .map_err(|e| internal(format!("building the body failed: {e}")))?;
        let tag = match stamps.as_deref() {
            Some([stamp]) => stamp_tag(stamp),
            Some(several) => {
                let tags: Vec<String> = several.iter().map(stamp_tag).collect();
                let joined = tags.join(",");
                format!(
                    "m{:08x}-{:x}",
                    crc32fast::hash(joined.as_bytes()),
                    joined.len()
                )
            }
            None => format!("c{:08x}-{:x}", crc32fast::hash(&json), json.len()),
        };
        let built = Arc::new(built(data, &of.parts, of.route, tag, json.into()));
        metrics.body_built(of.route, Encoding::Identity);
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let full = slots.len() >= MAX_SLOTS && !slots.contains_key(&key);
        if let Some(any) = slots.keys().next().cloned().filter(|_| full) {
            slots.remove(&any);
        }
        let slot = Slot {
            parts: of.parts,
            stamps,
            built: built.clone(),
        };
        slots.insert(key, slot);
        Ok(built)
    }

    /// The body built from `parts`: from the same allocations, or from the same stored
    /// versions (`stamps`), which the slot then holds by the new allocations.
    fn find(
        &self,
        key: &(&'static str, String),
        parts: &[Part],
        stamps: Option<&[Stamp]>,
    ) -> Option<Arc<Built>> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get_mut(key)?;
        let same = slot.parts.len() == parts.len()
            && (slot.parts.iter())
                .zip(parts)
                .all(|(a, b)| a.held.address() == b.held.address());
        if same {
            return Some(slot.built.clone());
        }
        if stamps.is_some() && slot.stamps.as_deref() == stamps {
            slot.parts = parts.to_vec();
            return Some(slot.built.clone());
        }
        None
    }
}

fn built(
    data: &MarketData,
    parts: &[Part],
    route: &'static str,
    tag: String,
    json: Bytes,
) -> Built {
    let policy = |part: &Part| data.policy().dataset(part.held.dataset());
    let fresh_for = parts
        .iter()
        .map(|part| {
            let key = data.key(part.held.dataset(), &part.market);
            policy(part).freshness.fresh_for(&key)
        })
        .min()
        .unwrap_or_default();
    let first = parts.first().map(|part| &policy(part).freshness);
    Built {
        tag,
        fresh_for,
        stale_while_revalidate: first
            .map(|f| f.stale_while_revalidate())
            .unwrap_or_default(),
        max_stale: first.map(|f| f.max_stale()).unwrap_or_default(),
        route,
        identity: json,
        gzip: OnceCell::new(),
        zstd: OnceCell::new(),
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
