//! cache-core's conformance suite against a standalone redis-server, through a key prefix.

mod common;

cache_core::conformance_tests!(common::Standalone::start("conformance-app:"));

mod notifications {
    use super::common;

    cache_core::notification_conformance_tests!(common::Standalone::start("conformance-app:"));
}
