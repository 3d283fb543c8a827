//! A local HTTP server that answers `GET /v5/market/instruments-info` like Bybit does.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::builder::MockBybitBuilder;
use super::faults::{Fault, FaultKind};
use super::lists::Lists;
use crate::models::Category;
use crate::retry::now_ms;

/// Items per page unless set: small, so that the recorded lists span several pages.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// One request the mock server received.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockRequest {
    /// `category`.
    pub category: Option<String>,
    /// `cursor`.
    pub cursor: Option<String>,
    /// `limit`.
    pub limit: Option<usize>,
    /// `baseCoin`.
    pub base_coin: Option<String>,
    /// `symbol`.
    pub symbol: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// The page the cursor points to (0 without a cursor).
    pub page: usize,
    /// `User-Agent`.
    pub user_agent: Option<String>,
}

/// A mock Bybit on loopback serving the recorded fixtures in pages, with injected faults.
///
/// Linear serves the 214-instrument testnet list, option the 500-instrument one (filtered by
/// `baseCoin`, which like Bybit defaults to BTC), inverse and spot the small real lists.
/// Spot is not paginated, as on Bybit; other categories carry a cursor on every page
/// with items, the last one included, so a complete fetch ends on an empty page.
///
/// A request with `status` is served the list set for that status
/// ([`MockBybitBuilder::status_instruments`], [`MockBybit::set_status_instruments`]), or
/// else the category's list filtered to instruments of that status, as Bybit filters;
/// one without is served the whole list. The lists can be replaced or edited while the
/// server runs (see [`MockBybit::set_instruments`]); each request, each page included,
/// is served from the lists as they are when it arrives.
pub struct MockBybit {
    server: MockServer,
    pub(super) state: Arc<State>,
}

impl MockBybit {
    /// Starts a server with the default data on a free loopback port.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// A builder for data, page size, faults and port.
    pub fn builder() -> MockBybitBuilder {
        MockBybitBuilder::default()
    }

    /// Starts serving these lists on `listener`, or on a free loopback port.
    pub(super) async fn serve(
        lists: Lists,
        page_size: usize,
        trailing_cursor: bool,
        faults: Vec<Fault>,
        listener: Option<TcpListener>,
    ) -> Self {
        let state = Arc::new(State {
            lists: Mutex::new(lists),
            page_size,
            trailing_cursor,
            faults: Mutex::new(faults),
            requests: Mutex::new(Vec::new()),
        });
        let mut builder = MockServer::builder();
        if let Some(listener) = listener {
            builder = builder.listener(listener);
        }
        let server = builder.start().await;
        Mock::given(method("GET"))
            .and(path("/v5/market/instruments-info"))
            .respond_with(Responder(Arc::clone(&state)))
            .mount(&server)
            .await;
        MockBybit { server, state }
    }

    /// The base URL to give `ClientConfig::new`, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// Every instruments-info request received so far, in order.
    pub fn requests(&self) -> Vec<MockRequest> {
        lock(&self.state.requests).clone()
    }

    /// How many instruments-info requests were received so far.
    pub fn request_count(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// The instruments served now for a category without `status` (before any `baseCoin`
    /// filter); empty when its file cannot be read.
    pub fn instruments(&self, category: Category) -> Vec<Value> {
        let list = lock(&self.state.lists).main_list(category);
        list.map(|l| l.to_vec()).unwrap_or_default()
    }
}

pub(super) struct State {
    pub(super) lists: Mutex<Lists>,
    page_size: usize,
    trailing_cursor: bool,
    faults: Mutex<Vec<Fault>>,
    requests: Mutex<Vec<MockRequest>>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide what the server recorded.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opaque to clients, like Bybit's; URL-encoded like Bybit's (`0%2C500`).
fn cursor_for(page: usize) -> String {
    format!("mock-page%3D{page}")
}

/// The page of a cursor as Bybit reads it: the query decoded once, so `mock-page=N` for the
/// `mock-page%3DN` it sent, given back as is (as Bybit's own SDK and ccxt do).
fn page_of(cursor: &str) -> Option<usize> {
    cursor.strip_prefix("mock-page=")?.parse().ok()
}

fn envelope(ret_code: i64, ret_msg: &str, result: Value) -> String {
    json!({"retCode": ret_code, "retMsg": ret_msg, "result": result, "retExtInfo": {}, "time": now_ms()})
        .to_string()
}

fn json_response(status: u16, body: String) -> ResponseTemplate {
    let now = now_ms();
    ResponseTemplate::new(status)
        .set_body_raw(body, "application/json")
        .insert_header("X-Bapi-Limit", "600")
        .insert_header("X-Bapi-Limit-Status", "599")
        .insert_header("X-Bapi-Limit-Reset-Timestamp", now.to_string().as_str())
}

/// Headers saying the rate-limit window is used up until `after` from now.
fn exhausted(response: ResponseTemplate, after: Duration) -> ResponseTemplate {
    let reset = now_ms().saturating_add(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
    response
        .insert_header("X-Bapi-Limit-Status", "0")
        .insert_header("X-Bapi-Limit-Reset-Timestamp", reset.to_string().as_str())
}

struct Responder(Arc<State>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

impl State {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let cursor = query.get("cursor").cloned();
        let page = cursor.as_deref().and_then(page_of);
        lock(&self.requests).push(MockRequest {
            category: query.get("category").cloned(),
            cursor: cursor.clone(),
            limit: query.get("limit").and_then(|l| l.parse().ok()),
            base_coin: query.get("baseCoin").cloned(),
            symbol: query.get("symbol").cloned(),
            status: query.get("status").cloned(),
            page: page.unwrap_or(0),
            user_agent: request
                .headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
        let category = match query.get("category").map(String::as_str) {
            Some("spot") => Category::Spot,
            Some("linear") => Category::Linear,
            Some("inverse") => Category::Inverse,
            Some("option") => Category::Option,
            _ => return json_response(200, envelope(10001, "Illegal category", json!({}))),
        };
        let page = match (cursor, page) {
            (Some(_), None) => {
                return json_response(200, envelope(10001, "Invalid cursor", json!({})));
            }
            (_, page) => page.unwrap_or(0),
        };
        let fault = {
            let mut faults = lock(&self.faults);
            faults
                .iter_mut()
                .find(|f| f.page == page && f.times > 0)
                .map(|f| {
                    f.times -= 1;
                    f.kind.clone()
                })
        };
        let limit = query
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(500usize);
        let served = lock(&self.lists).serve(category, query.get("status").map(String::as_str));
        let all = match served {
            Ok(all) => all,
            Err(reason) => {
                return ResponseTemplate::new(500)
                    .set_body_raw(format!("mock-bybit: {reason}"), "text/plain");
            }
        };
        let body = self.page_body(&all, category, page, limit, &query, fault.as_ref());
        match fault {
            None | Some(FaultKind::RepeatCursor) => json_response(200, body),
            Some(FaultKind::Hang(delay)) => json_response(200, body).set_delay(delay),
            Some(FaultKind::WindowExhausted(after)) => exhausted(json_response(200, body), after),
            Some(FaultKind::Padded { len, chunked }) => {
                let mut body = body.into_bytes();
                body.resize(body.len().max(len), b' ');
                let response =
                    json_response(200, String::new()).set_body_raw(body, "application/json");
                if chunked {
                    // hyper then frames the body in chunks and sends no Content-Length.
                    response.insert_header("Transfer-Encoding", "chunked")
                } else {
                    response
                }
            }
            Some(FaultKind::Truncated) => json_response(200, body[..body.len() / 2].to_owned()),
            Some(FaultKind::RetCode {
                ret_code,
                ret_msg,
                reset_after,
            }) => {
                let response = json_response(200, envelope(ret_code, &ret_msg, json!({})));
                match reset_after {
                    Some(after) => exhausted(response, after),
                    None => response,
                }
            }
            Some(FaultKind::Status {
                status,
                content_type,
                body,
                retry_after_s,
            }) => {
                let mut response = ResponseTemplate::new(status).set_body_raw(body, content_type);
                if let Some(seconds) = retry_after_s {
                    response = response.insert_header("Retry-After", seconds.to_string().as_str());
                }
                response
            }
        }
    }

    fn page_body(
        &self,
        all: &[Value],
        category: Category,
        page: usize,
        limit: usize,
        query: &HashMap<String, String>,
        fault: Option<&FaultKind>,
    ) -> String {
        let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        // Like Bybit: options are listed per base coin, BTC when none is named.
        let base_coin = query
            .get("baseCoin")
            .cloned()
            .or_else(|| (category == Category::Option).then(|| "BTC".to_owned()));
        let matching: Vec<&Value> = all
            .iter()
            .filter(|v| base_coin.is_none() || field(v, "baseCoin") == base_coin)
            .filter(|v| {
                query
                    .get("symbol")
                    .is_none_or(|s| field(v, "symbol").as_ref() == Some(s))
            })
            .collect();
        if category == Category::Spot {
            return envelope(0, "OK", json!({"category": "spot", "list": matching}));
        }
        let size = self.page_size.min(limit.max(1));
        let start = page.saturating_mul(size).min(matching.len());
        let end = start.saturating_add(size).min(matching.len());
        let items = &matching[start..end];
        let next = if matches!(fault, Some(FaultKind::RepeatCursor)) {
            cursor_for(page)
        } else if end < matching.len() || (self.trailing_cursor && !items.is_empty()) {
            cursor_for(page + 1)
        } else {
            String::new()
        };
        envelope(
            0,
            "OK",
            json!({"category": category.as_str(), "list": items, "nextPageCursor": next}),
        )
    }
}
