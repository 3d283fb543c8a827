//! Entry points for fuzzing the parser of Bybit's responses (feature `fuzzing`).
//!
//! [`page`] panics only when an invariant breaks, never on input that is merely bad:
//! - a body is received within its cap: a buffer never reserves past it, and a body is
//!   refused exactly when it is longer;
//! - a page accepted as any of the three instrument models writes JSON that decodes to an
//!   equal list and writes the very same JSON again (a fixpoint: what Bybit sends in its
//!   canonical form comes back byte for byte, which `tests/page_parser.rs` checks on the real
//!   fixtures).
//!
//! No single allocation while decoding may exceed [`PAGE_CAP`]; a fuzzer catches one with
//! its own malloc limit (libFuzzer: `-malloc_limit_mb=1`, with `-max_len` of 64 KiB or more
//! so that inputs can amplify), and the proptests measure it with a tracking allocator.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::body::CappedBody;
use crate::error::Error;
use crate::models::{LinearInverseInstrument, OptionInstrument, SpotInstrument};
use crate::response::decode_page;
use crate::retry::RateLimitHeaders;

/// The body cap [`page`] decodes with: 1 MiB.
pub const PAGE_CAP: usize = 1 << 20;

/// Feeds `data` to the body reader and to the page decoder of every category.
pub fn page(data: &[u8]) {
    receive(data, false);
    receive(data, true);
    round_trip::<LinearInverseInstrument>(data);
    round_trip::<SpotInstrument>(data);
    round_trip::<OptionInstrument>(data);
}

/// Decodes a `200 OK` body as a page of `T` with this body cap, as the client does.
///
/// # Errors
/// Whatever the client would return for this body.
pub fn decode_list<T: DeserializeOwned>(
    body: &[u8],
    max_body_size: usize,
) -> Result<Vec<T>, Error> {
    decode_page::<T>(200, body, &RateLimitHeaders::default(), 0, max_body_size).map(|p| p.list)
}

/// Receives `data` in chunks under a cap small enough for fuzzer-sized inputs to pass it;
/// the first two bytes pick the cap and the chunk size.
fn receive(data: &[u8], declare_length: bool) {
    let cap = data.first().map_or(0, |&b| usize::from(b) * 64);
    let chunk = data.get(1).map_or(1, |&b| usize::from(b) + 1);
    let declared = declare_length.then_some(data.len() as u64);
    let fits = data.len() <= cap;
    let mut body = match CappedBody::new(cap, declared) {
        Ok(body) => body,
        Err(Error::BodyTooLarge { .. }) => {
            assert!(
                !fits && declare_length,
                "refused a declared {} <= {cap}",
                data.len()
            );
            return;
        }
        Err(other) => panic!("unexpected error {other:?}"),
    };
    for piece in data.chunks(chunk) {
        let pushed = body.push(piece);
        assert!(
            body.capacity() <= cap,
            "{} reserved over the cap {cap}",
            body.capacity()
        );
        if let Err(err) = pushed {
            assert!(
                !fits,
                "refused {} bytes under the cap {cap}: {err}",
                data.len()
            );
            return;
        }
    }
    assert!(fits, "accepted {} bytes over the cap {cap}", data.len());
    assert_eq!(body.finish(), data);
}

fn round_trip<T>(data: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(list) = decode_list::<T>(data, PAGE_CAP) else {
        return;
    };
    let written = serde_json::to_string(&list).expect("an accepted list serializes");
    let again: Vec<T> = serde_json::from_str(&written).expect("a written list decodes");
    assert_eq!(
        again, list,
        "the written list decodes to another one: {written}"
    );
    let rewritten = serde_json::to_string(&again).expect("a written list serializes");
    assert_eq!(rewritten, written, "writing is not a fixpoint");
}
