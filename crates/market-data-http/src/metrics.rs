//! [`Metrics`]: the sidecar's Prometheus metrics, `market_data_*`, in the conventions of cache
//! metrics (Micrometer's `cache_gets_total{result}`, FusionCache's stale and eager-refresh
//! counters).
//!
//! The cache's counters are read from [`MarketData::stats`] at each scrape; the HTTP ones
//! are counted as requests end. Each router has a recorder of its own, so that two routers in
//! one process (or a test's) do not mix their counts, and nothing global is installed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use market_data::{MarketData, Stats};
use metrics::{Counter, Histogram, Key, KeyName, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::encoding::Encoding;

const HTTP_REQUESTS: &str = "market_data_http_requests_total";
const HTTP_DURATION: &str = "market_data_http_request_duration_seconds";
const BODIES_BUILT: &str = "market_data_http_bodies_built_total";
/// Histogram samples wait in the recorder until drained; they are drained at least this
/// often in requests, so that a sidecar nobody scrapes does not hoard them.
const UPKEEP_EVERY: u64 = 4096;
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
const METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// The counters of one route.
struct Route {
    duration: Histogram,
    by_status: Vec<(u16, Counter)>,
}

pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    routes: Mutex<HashMap<String, Route>>,
    requests: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let builder = PrometheusBuilder::new();
        // The matcher and the buckets are constants: this cannot fail.
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let metrics = Self {
            recorder,
            handle,
            routes: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        };
        metrics.describe();
        metrics
    }

    fn describe(&self) {
        let counters = [
            (
                "market_data_cache_gets_total",
                "Dataset reads by result: hit (fresh), stale (served past its TTL), miss (waited for a fetch).",
            ),
            (
                "market_data_cache_eager_refreshes_total",
                "Refreshes started in the background by a read late in its TTL, or of a stale copy served meanwhile.",
            ),
            (
                "market_data_cache_local_hits_total",
                "Reads served from values held in memory: notified (no round trip) or validated (stamp checked in the cache).",
            ),
            (
                "market_data_cache_errors_total",
                "Cache reads or writes that failed, or entries that could not be decoded.",
            ),
            (
                "market_data_refresh_failures_total",
                "Refreshes of a dataset that failed: Bybit failed, was refused, or took past the deadline.",
            ),
            (
                "market_data_upstream_requests_total",
                "Fetches of a whole market from Bybit (every page), by outcome.",
            ),
            (
                "market_data_fleet_leases_total",
                "Fetch leases in the shared cache: won (fetched here), lost (waited on another process), expired (ran past the lease).",
            ),
            (HTTP_REQUESTS, "HTTP requests by route and status."),
            (
                BODIES_BUILT,
                "Response bodies built, by route and content coding: once per stored version.",
            ),
        ];
        for (name, help) in counters {
            self.recorder
                .describe_counter(KeyName::from(name), None, help.into());
        }
        self.recorder.describe_histogram(
            KeyName::from(HTTP_DURATION),
            Some(Unit::Seconds),
            "Time to answer an HTTP request (to the response's headers), by route.".into(),
        );
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    /// Counts a request to `route` answered with `status` after `took`.
    pub(crate) fn request(&self, route: &str, status: u16, took: Duration) {
        {
            let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
            if !routes.contains_key(route) {
                let duration = self.recorder.register_histogram(
                    &Key::from_parts(HTTP_DURATION, vec![Label::new("route", route.to_owned())]),
                    &METADATA,
                );
                let by_status = Vec::new();
                routes.insert(
                    route.to_owned(),
                    Route {
                        duration,
                        by_status,
                    },
                );
            }
            let Some(entry) = routes.get_mut(route) else {
                return;
            };
            entry.duration.record(took.as_secs_f64());
            match entry.by_status.iter().find(|(s, _)| *s == status) {
                Some((_, counter)) => counter.increment(1),
                None => {
                    let labels = vec![
                        Label::new("route", route.to_owned()),
                        Label::new("status", status.to_string()),
                    ];
                    let counter = self.counter(HTTP_REQUESTS, labels);
                    counter.increment(1);
                    entry.by_status.push((status, counter));
                }
            }
        }
        if self.requests.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }

    /// Counts a body of `route` built in `encoding`.
    pub(crate) fn body_built(&self, route: &'static str, encoding: Encoding) {
        let labels = vec![
            Label::new("route", route),
            Label::new("encoding", encoding.header().unwrap_or("identity")),
        ];
        self.counter(BODIES_BUILT, labels).increment(1);
    }

    /// The Prometheus text of every metric, the cache's as `data` counts them now.
    pub(crate) fn render(&self, data: &MarketData) -> String {
        let stats = data.stats();
        for (dataset, counts) in [
            ("instruments", stats.instruments),
            ("symbols", stats.symbols),
            ("funding_intervals", stats.funding_intervals),
        ] {
            self.dataset(dataset, &counts);
        }
        let total = |name: &'static str, label: &'static str, value: &'static str, n: u64| {
            self.counter(name, vec![Label::new(label, value)])
                .absolute(n);
        };
        let upstream = "market_data_upstream_requests_total";
        let failed = stats.upstream_failures;
        total(
            upstream,
            "outcome",
            "success",
            stats.upstream_fetches.saturating_sub(failed),
        );
        total(upstream, "outcome", "failure", failed);
        let leases = "market_data_fleet_leases_total";
        total(leases, "result", "won", stats.fleet.won);
        total(leases, "result", "lost", stats.fleet.lost);
        total(leases, "result", "expired", stats.fleet.expired);
        self.handle.run_upkeep();
        self.handle.render()
    }

    fn dataset(&self, dataset: &'static str, stats: &Stats) {
        let set = |name: &'static str, extra: Option<(&'static str, &'static str)>, n: u64| {
            let mut labels = vec![Label::new("dataset", dataset)];
            labels.extend(extra.map(|(k, v)| Label::new(k, v)));
            self.counter(name, labels).absolute(n);
        };
        let gets = "market_data_cache_gets_total";
        set(gets, Some(("result", "hit")), stats.hits);
        set(gets, Some(("result", "stale")), stats.stale);
        set(gets, Some(("result", "miss")), stats.misses);
        let local = "market_data_cache_local_hits_total";
        set(local, Some(("kind", "notified")), stats.notified_hits);
        let validated = stats.local_hits.saturating_sub(stats.notified_hits);
        set(local, Some(("kind", "validated")), validated);
        set(
            "market_data_cache_eager_refreshes_total",
            None,
            stats.refreshes_ahead,
        );
        set("market_data_cache_errors_total", None, stats.cache_errors);
        set(
            "market_data_refresh_failures_total",
            None,
            stats.fetch_errors,
        );
    }
}
