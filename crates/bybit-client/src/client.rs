//! The HTTP client.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;

use crate::body::CappedBody;
use crate::config::{ClientConfig, redacted};
use crate::error::Error;
use crate::models::Category;
use crate::models::{InstrumentList, LinearInverseInstrument, OptionInstrument, SpotInstrument};
use crate::offload::decode_page_offloaded;
use crate::pagination::{Page, collect_pages};
use crate::query::InstrumentsQuery;
use crate::retry::{RateLimitHeaders, now_ms, retry_delay};

const INSTRUMENTS_PATH: &str = "/v5/market/instruments-info";

/// A client for Bybit's public market data. Cheap to clone (the connection pool is shared).
///
/// Its `Debug` and its errors never show the base URL's username or password.
#[derive(Clone)]
pub struct BybitClient {
    http: reqwest::Client,
    url: reqwest::Url,
    config: ClientConfig,
}

impl fmt::Debug for BybitClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BybitClient")
            .field("http", &self.http)
            .field("url", &redacted(self.url.clone()).as_str())
            .field("config", &self.config)
            .finish()
    }
}

impl BybitClient {
    /// Builds a client; fails on a base URL that does not parse.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let url = format!(
            "{}{INSTRUMENTS_PATH}",
            config.base_url.trim_end_matches('/')
        );
        // The text is not quoted: it may hold a password, and when it does not parse there
        // is no telling which part. url's messages name what is wrong without quoting it.
        let url = reqwest::Url::parse(&url)
            .map_err(|e| Error::Config(format!("base URL does not parse: {e}")))?;
        if !(1..=1000).contains(&config.page_limit) {
            return Err(Error::Config(format!(
                "page_limit {} not in 1..=1000",
                config.page_limit
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self { http, url, config })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Every instrument matching `query`, all pages, or an error.
    pub async fn instruments(&self, query: &InstrumentsQuery) -> Result<InstrumentList, Error> {
        Ok(match query.category {
            Category::Spot => InstrumentList::Spot(self.fetch_all(query).await?),
            Category::Linear => InstrumentList::Linear(self.fetch_all(query).await?),
            Category::Inverse => InstrumentList::Inverse(self.fetch_all(query).await?),
            Category::Option => InstrumentList::Option(self.fetch_all(query).await?),
        })
    }

    /// Every spot pair.
    pub async fn spot_instruments(&self) -> Result<Vec<SpotInstrument>, Error> {
        self.fetch_all(&InstrumentsQuery::spot()).await
    }

    /// Every linear contract.
    pub async fn linear_instruments(&self) -> Result<Vec<LinearInverseInstrument>, Error> {
        self.fetch_all(&InstrumentsQuery::linear()).await
    }

    /// Every inverse contract.
    pub async fn inverse_instruments(&self) -> Result<Vec<LinearInverseInstrument>, Error> {
        self.fetch_all(&InstrumentsQuery::inverse()).await
    }

    /// Every option on `base_coin` (e.g. `"BTC"`).
    pub async fn option_instruments(
        &self,
        base_coin: &str,
    ) -> Result<Vec<OptionInstrument>, Error> {
        self.fetch_all(&InstrumentsQuery::option(base_coin)).await
    }

    async fn fetch_all<T: DeserializeOwned + Send + 'static>(
        &self,
        query: &InstrumentsQuery,
    ) -> Result<Vec<T>, Error> {
        query.validate()?;
        let params = query.params();
        let category = query.category.as_str();
        collect_pages(category, self.config.max_pages, |cursor| {
            self.fetch_page(&params, cursor)
        })
        .await
    }

    /// One page, retried on rate limits and transient failures.
    async fn fetch_page<T: DeserializeOwned + Send + 'static>(
        &self,
        params: &[(&'static str, String)],
        cursor: Option<String>,
    ) -> Result<Page<T>, Error> {
        let policy = &self.config.retry;
        let mut attempt = 0;
        loop {
            match self.fetch_page_once(params, cursor.as_deref()).await {
                Ok((mut page, limits)) => {
                    // The window is used up: the next request waits for its reset rather
                    // than be refused (collect_pages waits only if there is one).
                    page.wait_before_next = limits
                        .exhausted_wait(now_ms())
                        .map(|wait| wait.min(policy.max_delay));
                    return Ok(page);
                }
                Err(err) if err.is_retryable() && attempt < policy.max_retries => {
                    let server_wait = match &err {
                        Error::RateLimited { retry_after, .. } => {
                            retry_after.filter(|d| !d.is_zero())
                        }
                        _ => None,
                    };
                    let delay = retry_delay(policy, attempt, server_wait);
                    attempt += 1;
                    tracing::warn!(error = %err, attempt, ?delay, "retrying instruments-info");
                    tokio::time::sleep(delay).await;
                }
                Err(err) => return Err(err),
            }
        }
    }

    async fn fetch_page_once<T: DeserializeOwned + Send + 'static>(
        &self,
        params: &[(&'static str, String)],
        cursor: Option<&str>,
    ) -> Result<(Page<T>, RateLimitHeaders), Error> {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .extend_pairs(params)
            .append_pair("limit", &self.config.page_limit.to_string());
        if let Some(cursor) = cursor {
            append_cursor(&mut url, cursor);
        }
        let request = self.http.get(url);
        let mut response = request.send().await.map_err(Error::from_reqwest)?;
        let status = response.status().as_u16();
        let limits = RateLimitHeaders::from_headers(response.headers());
        let mut body = CappedBody::new(self.config.max_body_size, response.content_length())?;
        while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
            body.push(&chunk)?;
        }
        let cap = self.config.max_body_size;
        let page = decode_page_offloaded(status, body.finish(), limits, now_ms(), cap).await?;
        Ok((page, limits))
    }
}

/// What of a cursor is escaped: everything but unreserved characters and `%`.
const CURSOR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'%')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `cursor=` with Bybit's cursor as Bybit sent it. Bybit sends it percent-encoded
/// (`first%3D1%26last%3D50`) and reads the query decoded once, as its own SDK (pybit) and
/// ccxt send it back: its escapes are kept, not escaped again (`%253D` would reach Bybit as
/// `%3D`, a cursor it never issued). Anything a query cannot carry as it is is escaped.
fn append_cursor(url: &mut reqwest::Url, cursor: &str) {
    let escaped = utf8_percent_encode(cursor, CURSOR);
    let query = match url.query() {
        Some(query) if !query.is_empty() => format!("{query}&cursor={escaped}"),
        _ => format!("cursor={escaped}"),
    };
    url.set_query(Some(&query));
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn a_cursor_keeps_bybits_escapes_and_escapes_what_a_query_cannot_carry() {
        let mut url =
            reqwest::Url::parse("http://127.0.0.1/v5/market/instruments-info?limit=1").unwrap();
        append_cursor(&mut url, "first%3D1%26last%3D50 x&y#z");
        assert_eq!(
            url.query(),
            Some("limit=1&cursor=first%3D1%26last%3D50%20x%26y%23z")
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[1].1, "first=1&last=50 x&y#z", "what Bybit reads");
    }
}
