//! The oracle harness: Bybit answers built from the recorded fixtures, ccxt run on them, and
//! a readable comparison of its markets with ours.

// Each test binary compiles the whole harness and uses part of it.
#![allow(dead_code)]

pub(crate) mod answers;
pub(crate) mod ccxt;
pub(crate) mod diff;
pub(crate) mod scenario;
