//! [`AppState`]: what every handler of a router shares.

use std::sync::Arc;

use market_data::MarketData;

use crate::bodies::Bodies;
use crate::events::Hubs;
use crate::metrics::Metrics;
use crate::options::Options;

pub(crate) struct AppState {
    pub(crate) data: Arc<MarketData>,
    pub(crate) options: Options,
    pub(crate) bodies: Bodies,
    pub(crate) hubs: Arc<Hubs>,
    pub(crate) metrics: Metrics,
}

impl AppState {
    pub(crate) fn new(data: Arc<MarketData>, options: Options) -> Self {
        Self {
            data,
            bodies: Bodies::new(),
            hubs: Hubs::new(options.clone()),
            metrics: Metrics::new(),
            options,
        }
    }
}
