//! The oracle harness: Bybit answers built from the recorded fixtures, ccxt run on them, and
//! a readable comparison of its markets with ours.

pub(crate) mod answers;
pub(crate) mod ccxt;
pub(crate) mod diff;
