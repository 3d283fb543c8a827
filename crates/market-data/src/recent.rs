//! Taking the lists another process just stored, rather than fetching them again: what a
//! process that waited for the fetch lease, or took it just after another released it, finds.

use std::sync::Arc;
use std::time::SystemTime;

use bybit_client::InstrumentList;
use cache_core::{Result, Stamp};
use cache_policy::Refreshed;

use crate::derive;
use crate::fresh::{Derived, Fresh};
use crate::service::Inner;
use crate::vet::RefreshError;
use crate::{Dataset, Market};

impl Inner {
    /// The instruments of `market` if the cache holds a list young enough that no dataset
    /// derived from it would need a refresh (before every dataset's refresh-ahead point),
    /// having stored any derived dataset older than it; `None` otherwise.
    pub(crate) async fn recent(&self, market: &Market) -> Option<Result<Fresh, RefreshError>> {
        let key = |dataset| self.policy.cache_key(dataset, market);
        // Every dataset is derived from the list: it must be young enough for each of them.
        let young_enough = Dataset::ALL
            .into_iter()
            .filter(|dataset| dataset.applies_to(market.category()))
            .map(|dataset| {
                let freshness = self.policy.dataset(dataset).freshness;
                freshness.refresh_after(&key(dataset))
            })
            .min()?;
        let key = key(Dataset::Instruments);
        let written_at = stamped_at(self.instruments.stored_stamp(&key).await)?;
        if age_since(written_at) >= young_enough {
            return None;
        }
        // Read whole, so that the list is held in this process with its stamp.
        let (stored, stamp) = match self.instruments.get_stamped(&key).await {
            Ok(Some(read)) => read,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%market, %error, "cannot read the list another process stored");
                return None;
            }
        };
        let written_at = stored.header.written_at;
        let list = Arc::new(stored.value);
        let state = self.markets.of(&self.policy, market);
        let next = state.boundary.learn(&list, written_at);
        if next.is_some_and(crate::expiry::is_past) {
            return None;
        }
        let derived = self.complete(market, &list, written_at).await;
        let age = age_since(written_at);
        let list = Refreshed::found(list, age).with_stamp(stamp);
        Some(Ok(Fresh { list, derived }))
    }

    /// Learns `market`'s next announced change from the instruments list stored in the
    /// cache, for a derived dataset's version written at `derived` that was read without its
    /// list; notes that version as checked, found or not.
    pub(crate) async fn learn_boundary(
        &self,
        market: &Market,
        boundary: &crate::expiry::Boundary,
        derived: SystemTime,
    ) {
        let key = self.policy.cache_key(Dataset::Instruments, market);
        match self
            .instruments
            .cache()
            .get_stored::<InstrumentList>(&key)
            .await
        {
            Ok(Some(stored)) => {
                boundary.learn(&Arc::new(stored.value), stored.header.written_at);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(%market, %error, "cannot read the list for its announced changes");
            }
        }
        boundary.checked(derived);
    }

    /// Stores the datasets derived from `list` whose entries are missing or older than it.
    /// The process that stored the list stored them too, unless its write failed or they were
    /// removed since; a process that takes the list brings them up to date. Returns those it
    /// derived.
    async fn complete(
        &self,
        market: &Market,
        list: &InstrumentList,
        written_at: SystemTime,
    ) -> Derived {
        let mut made = Derived::default();
        let key = |dataset| self.policy.cache_key(dataset, market);
        let older = |at: Option<SystemTime>| at.is_none_or(|at| at < written_at);
        let symbols = key(Dataset::Symbols);
        if older(stamped_at(self.symbols.stored_stamp(&symbols).await)) {
            let derived = Arc::new(derive::symbols(list));
            if let Err(error) = self.symbols.put_shared(&symbols, derived.clone()).await {
                tracing::warn!(%market, %error, "cache write failed");
            }
            made.symbols = Some(derived);
        }
        let funding = key(Dataset::FundingIntervals);
        if Dataset::FundingIntervals.applies_to(market.category())
            && older(stamped_at(
                self.funding_intervals.stored_stamp(&funding).await,
            ))
        {
            let derived = Arc::new(derive::funding_intervals(list));
            let stored = self
                .funding_intervals
                .put_shared(&funding, derived.clone())
                .await;
            if let Err(error) = stored {
                tracing::warn!(%market, %error, "cache write failed");
            }
            made.funding_intervals = Some(derived);
        }
        made
    }
}

/// When an entry was written, from the stamp its header was read for; `None` when there is
/// none, or it could not be read.
fn stamped_at(stamp: Result<Option<Stamp>>) -> Option<SystemTime> {
    Some(stamp.ok()??.written_at())
}

/// How long ago `written_at` was; a write time ahead of our clock (another host's) counts as
/// just written.
fn age_since(written_at: SystemTime) -> std::time::Duration {
    SystemTime::now()
        .duration_since(written_at)
        .unwrap_or_default()
}
