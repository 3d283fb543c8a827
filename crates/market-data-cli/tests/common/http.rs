//! A small HTTP/1.1 client for the tests of `market-data serve`: whole answers, and event
//! streams read event by event.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Far beyond what an answer or an event takes to come.
pub(crate) const ANSWER_BOUND: Duration = Duration::from_secs(20);

/// A whole answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The value of header `name`, "" when absent.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

/// Sends `method path` with `headers` to `base` (`http://host:port`), on a connection of
/// its own, and returns the answer's head with its body not yet read.
async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> hyper::Response<Incoming> {
    let authority = base.strip_prefix("http://").expect("an http:// base");
    let stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", authority);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Empty::<Bytes>::new()).unwrap();
    sender.send_request(request).await.unwrap()
}

/// `GET path` with `headers`, its whole body read.
pub(crate) async fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(base, "GET", path, headers).await
}

/// `method path` with `headers`, its whole body read.
pub(crate) async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let answer = async {
        let response = send(base, method, path, headers).await;
        let (head, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: head.status,
            headers: head.headers,
            body,
        }
    };
    tokio::time::timeout(ANSWER_BOUND, answer)
        .await
        .unwrap_or_else(|_| panic!("no answer to {method} {path}"))
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) event: String,
    pub(crate) id: String,
    pub(crate) data: String,
}

impl Event {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// An event stream, read as its events come.
pub(crate) struct Events {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    body: Incoming,
    buffer: String,
    ready: VecDeque<Event>,
    ended: bool,
}

impl Events {
    /// Opens `path` on `base`, with `Last-Event-ID: last` when given.
    pub(crate) async fn open(base: &str, path: &str, last: Option<&str>) -> Self {
        let mut headers = vec![("accept", "text/event-stream")];
        if let Some(last) = last {
            headers.push(("last-event-id", last));
        }
        let response = tokio::time::timeout(ANSWER_BOUND, send(base, "GET", path, &headers))
            .await
            .expect("no answer to an event stream");
        let (head, body) = response.into_parts();
        Self {
            status: head.status,
            headers: head.headers,
            body,
            buffer: String::new(),
            ready: VecDeque::new(),
            ended: false,
        }
    }

    /// The next event, `None` once the stream ended; fails the test after `bound`.
    pub(crate) async fn next_within(&mut self, bound: Duration) -> Option<Event> {
        tokio::time::timeout(bound, self.next_event())
            .await
            .expect("no event came")
    }

    pub(crate) async fn next(&mut self) -> Option<Event> {
        self.next_within(ANSWER_BOUND).await
    }

    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.buffer.push_str(std::str::from_utf8(data).unwrap());
                        self.parse();
                    }
                }
                _ => self.ended = true,
            }
        }
    }

    /// Moves each whole event of the buffer to `ready`; comments and `retry:` are skipped.
    fn parse(&mut self) {
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let mut event = Event {
                event: String::new(),
                id: String::new(),
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    event.event = value.trim_start().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    event.id = value.trim_start().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    event.data.push_str(value.trim_start());
                }
            }
            if !event.event.is_empty() || !event.data.is_empty() {
                self.ready.push_back(event);
            }
        }
    }
}
