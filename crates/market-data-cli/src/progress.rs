//! A spinner on stderr while Bybit is being fetched, when stderr is a terminal.

use std::time::Duration;

use async_trait::async_trait;
use bybit_client::{Error, InstrumentList, InstrumentSource, InstrumentsQuery};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// An instruments source that shows a spinner while its inner source fetches.
pub(crate) struct WithProgress<S> {
    pub inner: S,
    pub enabled: bool,
}

#[async_trait]
impl<S: InstrumentSource> InstrumentSource for WithProgress<S> {
    async fn instruments(&self, query: &InstrumentsQuery) -> Result<InstrumentList, Error> {
        // indicatif draws nothing when stderr is not a terminal.
        let target = if self.enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let spinner = ProgressBar::with_draw_target(None, target);
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(format!(
            "fetching {} instruments from Bybit, every page",
            query.category
        ));
        spinner.enable_steady_tick(Duration::from_millis(100));
        let result = self.inner.instruments(query).await;
        spinner.finish_and_clear();
        result
    }
}
