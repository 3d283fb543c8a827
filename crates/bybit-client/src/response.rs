//! Turning one HTTP response into a page or an [`Error`] a caller can match on.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, RET_CODE_RATE_LIMIT, snippet};
use crate::guard;
use crate::models::PageBody;
use crate::pagination::Page;
use crate::retry::RateLimitHeaders;

/// Bybit's v5 envelope; `result` is decoded only once `retCode` says there is one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    ret_code: i64,
    #[serde(default)]
    ret_msg: String,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
}

/// Decodes one response. `now_ms` dates the rate-limit headers; `max_body_size` bounds the
/// largest single allocation decoding may make (see [`crate::guard`]).
pub(crate) fn decode_page<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    limits: &RateLimitHeaders,
    now_ms: u64,
    max_body_size: usize,
) -> Result<Page<T>, Error> {
    let envelope = serde_json::from_slice::<Envelope<'_>>(body);
    let rate_limited = |ret_code| Error::RateLimited {
        status,
        ret_code,
        retry_after: limits.wait(now_ms),
    };
    if status == 403 || status == 429 {
        return Err(rate_limited(envelope.ok().map(|e| e.ret_code)));
    }
    if !(200..300).contains(&status) {
        return Err(match envelope {
            Ok(e) if e.ret_code == RET_CODE_RATE_LIMIT => rate_limited(Some(e.ret_code)),
            // A 4xx that carries a Bybit code is a parameter error: report Bybit's words.
            Ok(e) if e.ret_code != 0 && status < 500 => Error::Api {
                ret_code: e.ret_code,
                ret_msg: e.ret_msg,
            },
            _ => Error::Http {
                status,
                body: snippet(body),
            },
        });
    }
    let envelope = envelope.map_err(|e| Error::Malformed {
        reason: format!("not a Bybit JSON envelope: {e}"),
        snippet: snippet(body),
    })?;
    if envelope.ret_code == RET_CODE_RATE_LIMIT {
        return Err(rate_limited(Some(envelope.ret_code)));
    }
    if envelope.ret_code != 0 {
        return Err(Error::Api {
            ret_code: envelope.ret_code,
            ret_msg: envelope.ret_msg,
        });
    }
    let result = envelope.result.ok_or_else(|| Error::Malformed {
        reason: "retCode 0 without a result".into(),
        snippet: snippet(body),
    })?;
    let longest = guard::longest_array(result.get().as_bytes());
    let elem = size_of::<T>().max(size_of::<Value>());
    if guard::array_bytes(longest, elem) > max_body_size {
        return Err(Error::Malformed {
            reason: format!(
                "an array of {longest} items could take more than the body cap of \
                 {max_body_size} bytes (ClientConfig::max_body_size) to decode"
            ),
            snippet: snippet(body),
        });
    }
    let page: PageBody<T> = serde_json::from_str(result.get()).map_err(|e| Error::Malformed {
        reason: format!("result does not match the instrument model: {e}"),
        snippet: snippet(result.get().as_bytes()),
    })?;
    Ok(Page {
        category: page.category,
        list: page.list,
        next_cursor: page.next_page_cursor,
        wait_before_next: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::models::LinearInverseInstrument;

    const CAP: usize = 1 << 20;

    fn decode(status: u16, body: &str) -> Result<Page<LinearInverseInstrument>, Error> {
        decode_page(
            status,
            body.as_bytes(),
            &RateLimitHeaders::default(),
            0,
            CAP,
        )
    }

    #[test]
    fn nonzero_ret_code_with_http_200_is_an_api_error() {
        let body = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/bybit/error-10001-illegal-category-roq-bybit.json"
        ));
        match decode(200, body).unwrap_err() {
            Error::Api { ret_code, ret_msg } => {
                assert_eq!((ret_code, ret_msg.as_str()), (10001, "Illegal category"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ret_code_10006_is_a_rate_limit_dated_by_the_headers() {
        let limits = RateLimitHeaders {
            remaining: Some(0),
            reset_at_ms: Some(1_250),
            retry_after_s: None,
        };
        let body = br#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"time":1}"#;
        let err =
            decode_page::<LinearInverseInstrument>(200, body, &limits, 1_000, CAP).unwrap_err();
        assert!(
            matches!(err, Error::RateLimited { status: 200, ret_code: Some(10006), retry_after: Some(d) } if d.as_millis() == 250),
            "{err:?}"
        );
    }

    #[test]
    fn a_4xx_with_a_bybit_code_is_an_api_error_and_not_retryable() {
        let err = decode(
            400,
            r#"{"retCode":10001,"retMsg":"params error","result":{}}"#,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Api {
                ret_code: 10001,
                ..
            }
        ));
        assert!(!err.is_retryable());
    }

    #[test]
    fn a_list_that_would_outgrow_the_cap_is_refused_before_decoding() {
        let item = r#"{"symbol":"A"}"#;
        let n = CAP / (2 * size_of::<LinearInverseInstrument>()) + 1;
        let list = vec![item; n].join(",");
        let body = format!(r#"{{"retCode":0,"result":{{"category":"linear","list":[{list}]}}}}"#);
        assert!(body.len() < CAP);
        match decode(200, &body).unwrap_err() {
            Error::Malformed { reason, .. } => assert!(reason.contains("body cap"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let fewer = vec![item; n - 1].join(",");
        let body = format!(r#"{{"retCode":0,"result":{{"category":"linear","list":[{fewer}]}}}}"#);
        assert_eq!(decode(200, &body).unwrap().list.len(), n - 1);
    }

    #[test]
    fn html_is_malformed_with_200_and_http_with_502() {
        let html = "<html><body>502 Bad Gateway</body></html>";
        assert!(matches!(
            decode(200, html).unwrap_err(),
            Error::Malformed { .. }
        ));
        let err = decode(502, html).unwrap_err();
        assert!(
            matches!(err, Error::Http { status: 502, ref body } if body.contains("Bad Gateway"))
        );
        assert!(err.is_retryable());
    }

    #[test]
    fn a_hostile_body_or_ret_msg_is_escaped_when_shown() {
        let err = decode(400, "\x1b]0;pwned\x07").unwrap_err();
        assert!(matches!(&err, Error::Http { body, .. } if body == "\x1b]0;pwned\x07"));
        assert_eq!(err.to_string(), r"HTTP 400 from Bybit: \u{1b}]0;pwned\u{7}");
        let err = decode(
            400,
            r#"{"retCode":10001,"retMsg":"bad\u001b[2J\u202e","result":{}}"#,
        )
        .unwrap_err();
        assert!(matches!(&err, Error::Api { ret_msg, .. } if ret_msg == "bad\x1b[2J\u{202e}"));
        assert_eq!(
            err.to_string(),
            r"Bybit retCode 10001: bad\u{1b}[2J\u{202e}"
        );
    }
}
