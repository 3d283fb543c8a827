//! cache-core's conformance suite against a standalone redis-server, through a key prefix.

mod common;

cache_core::conformance_tests!(common::Standalone::start("conformance-app:"));
