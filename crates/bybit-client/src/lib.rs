//! A client for Bybit v5 public market data: `GET /v5/market/instruments-info` with cursor pagination and typed models.
