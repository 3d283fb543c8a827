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
//! The `mock-bybit` binary serves the same data: `mock-bybit --port 18080`.

mod faults;
pub mod fixtures;
mod server;

pub use faults::{Fault, TOO_MANY_VISITS};
pub use server::{DEFAULT_PAGE_SIZE, MockBybit, MockBybitBuilder, MockRequest};
