//! [`Fresh`]: what one refresh of a market makes, shared by every caller that joined it.

use std::sync::Arc;

use bybit_client::InstrumentList;
use cache_policy::{Refreshed, Source};

use crate::derive::FundingIntervals;

/// A refresh's list, and the datasets it derived from that list to store them: its callers
/// are served those, rather than derive each one again (and hold a second copy beside the
/// one kept in memory with the stored bytes).
#[derive(Debug, Clone)]
pub(crate) struct Fresh {
    /// The list, fetched here or found stored by another process.
    pub(crate) list: Refreshed<InstrumentList>,
    /// The datasets derived from it here; none when they were found stored.
    pub(crate) derived: Derived,
}

/// The datasets a refresh derived from its list, each where it was derived.
#[derive(Debug, Clone, Default)]
pub(crate) struct Derived {
    pub(crate) symbols: Option<Arc<Vec<String>>>,
    pub(crate) funding_intervals: Option<Arc<FundingIntervals>>,
}

impl Fresh {
    /// A dataset of the refresh: `made` when the refresh derived it, else what `derive`
    /// makes of the list; fetched or found as the list was.
    pub(crate) fn dataset<T>(
        &self,
        made: Option<&Arc<T>>,
        derive: impl FnOnce(&InstrumentList) -> T,
    ) -> Refreshed<T> {
        let Some(made) = made else {
            return self.list.map(derive);
        };
        match self.list.source() {
            Source::Upstream => Refreshed::fetched(made.clone()),
            _ => Refreshed::found(made.clone(), self.list.age()),
        }
    }
}
