//! The datasets derived from an instrument list.

use std::collections::BTreeMap;

use bybit_client::InstrumentList;

/// Symbol to funding interval in minutes.
pub type FundingIntervals = BTreeMap<String, i64>;

/// The symbols of `list`, in Bybit's order.
pub(crate) fn symbols(list: &InstrumentList) -> Vec<String> {
    list.symbols().into_iter().map(str::to_owned).collect()
}

/// The funding interval of every contract of `list` that states one.
pub(crate) fn funding_intervals(list: &InstrumentList) -> FundingIntervals {
    match list {
        InstrumentList::Linear(contracts) | InstrumentList::Inverse(contracts) => contracts
            .iter()
            .filter_map(|c| Some((c.symbol.to_string(), c.funding_interval?)))
            .collect(),
        InstrumentList::Spot(_) | InstrumentList::Option(_) => FundingIntervals::new(),
    }
}
