//! Offline testing support (feature `testing`): the recorded fixtures and a local mock
//! Bybit serving them in pages, with injected faults.
//!
//! ```no_run
//! use bybit_client::testing::{Fault, MockBybit};
//! use bybit_client::{BybitClient, ClientConfig};
//!
//! # async fn run() -> Result<(), bybit_client::Error> {
//! let mock = MockBybit::builder().fault(Fault::server_error(1)).start().await;
//! let client = BybitClient::new(ClientConfig::new(mock.base_url()))?;
//! let linear = client.linear_instruments().await?; // the 500 on page 1 is retried
//! assert_eq!(linear.len(), 214);
//! # Ok(())
//! # }
//! ```
//!
//! A running mock's lists can be replaced and edited ([`MockBybit::set_instruments`],
//! [`MockBybit::delist`], [`MockBybit::set_status`], ...) or read from a file on every
//! request ([`MockBybitBuilder::instruments_file`]), and `status=PreLaunch` requests can be
//! served a list of their own ([`MockBybit::set_status_instruments`]).
//!
//! The `mock-bybit` binary serves the same data: `mock-bybit --port 18080`; with
//! `--instruments linear=FILE` it serves a file it reads again on every request, so that a
//! test can change the list under a running program (`mock-bybit --help`).

mod builder;
mod edit;
mod faults;
pub mod fixtures;
mod lists;
mod server;

pub use builder::MockBybitBuilder;
pub use faults::{Fault, TOO_MANY_VISITS};
pub use server::{DEFAULT_PAGE_SIZE, MockBybit, MockRequest};
