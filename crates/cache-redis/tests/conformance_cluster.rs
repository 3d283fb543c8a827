//! cache-core's conformance suite against a three-master Redis Cluster.

mod common;

cache_core::conformance_tests!(common::Cluster::start(""));

mod notifications {
    use super::common;

    cache_core::notification_conformance_tests!(common::Cluster::start(""));
}
