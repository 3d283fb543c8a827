//! Cached Bybit market data: read-through caching per dataset over any `cache-core` backend and any instruments source.
