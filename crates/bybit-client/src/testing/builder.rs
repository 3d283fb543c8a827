//! Configuring and starting a [`MockBybit`].

use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::Value;

use super::faults::Fault;
use super::fixtures::{self, LINEAR_214, OPTION_500};
use super::lists::{Lists, Source};
use super::server::{DEFAULT_PAGE_SIZE, MockBybit};
use crate::models::{Category, Status};

/// Configures a [`MockBybit`].
#[derive(Default)]
pub struct MockBybitBuilder {
    lists: Lists,
    page_size: Option<usize>,
    no_trailing_cursor: bool,
    faults: Vec<Fault>,
    listener: Option<TcpListener>,
}

impl MockBybitBuilder {
    /// Serves these instruments (raw Bybit JSON objects) for a category instead of the fixture.
    pub fn instruments(mut self, category: Category, list: Vec<Value>) -> Self {
        self.lists.main.insert(category, Source::values(list));
        self
    }

    /// Serves a category's instruments from a file, read again on every request, so that
    /// a test (or another process) can change the list by rewriting the file. Write it
    /// whole and rename it into place: a request that reads half a file, or a file that is
    /// not a list, is answered with HTTP 500 and the reason. The file holds a Bybit
    /// response, its `result`, a serialized `InstrumentList` or a bare array.
    pub fn instruments_file(mut self, category: Category, path: impl Into<PathBuf>) -> Self {
        self.lists.main.insert(category, Source::File(path.into()));
        self
    }

    /// Serves these instruments to requests for a category with this `status`, e.g.
    /// pre-market contracts for `status=PreLaunch`.
    pub fn status_instruments(
        mut self,
        category: Category,
        status: Status,
        list: Vec<Value>,
    ) -> Self {
        self.lists
            .by_status
            .insert((category, status.as_str().to_owned()), Source::values(list));
        self
    }

    /// Like [`MockBybitBuilder::status_instruments`], from a file read on every request
    /// (see [`MockBybitBuilder::instruments_file`]).
    pub fn status_instruments_file(
        mut self,
        category: Category,
        status: Status,
        path: impl Into<PathBuf>,
    ) -> Self {
        self.lists.by_status.insert(
            (category, status.as_str().to_owned()),
            Source::File(path.into()),
        );
        self
    }

    /// Items per page (at most the request's `limit`); default [`DEFAULT_PAGE_SIZE`].
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = Some(page_size.max(1));
        self
    }

    /// Whether the last page with items still carries a cursor, as Bybit's can (default true).
    pub fn trailing_cursor(mut self, trailing: bool) -> Self {
        self.no_trailing_cursor = !trailing;
        self
    }

    /// Injects a fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    /// Serves on this listener (e.g. bound to a fixed port) instead of a free port.
    pub fn listener(mut self, listener: TcpListener) -> Self {
        self.listener = Some(listener);
        self
    }

    /// Starts the server.
    pub async fn start(self) -> MockBybit {
        let mut lists = self.lists;
        for (category, name) in [
            (Category::Linear, LINEAR_214),
            (Category::Option, OPTION_500),
            (Category::Inverse, "instruments-inverse-roq-bybit.json"),
            (Category::Spot, "instruments-spot-roq-bybit.json"),
        ] {
            lists
                .main
                .entry(category)
                .or_insert_with(|| Source::values(fixtures::values(name)));
        }
        let page_size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        MockBybit::serve(
            lists,
            page_size,
            !self.no_trailing_cursor,
            self.faults,
            self.listener,
        )
        .await
    }
}
