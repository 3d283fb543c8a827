//! cache-core's conformance suite against a three-master Redis Cluster.

mod common;

cache_core::conformance_tests!(common::Cluster::start(""));
