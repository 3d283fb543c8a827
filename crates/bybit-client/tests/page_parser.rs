//! Properties of the page parser: arbitrary bytes and mutated real pages never panic and
//! never make an allocation larger than the body cap, and valid pages round-trip exactly.
#![allow(clippy::unwrap_used, missing_docs)]

use std::alloc::System;
use std::cell::Cell;
use std::sync::OnceLock;

use bybit_client::fuzzing::{self, decode_list};
use bybit_client::models::{LinearInverseInstrument, OptionInstrument, SpotInstrument};
use bybit_client::testing::fixtures::{self, FIXTURES};
use bybit_client::{Category, Error};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker, Allocator};

#[global_allocator]
static GLOBAL: Allocator<System> = Allocator::system();

/// The cap the properties decode with: small, so that bodies of a few hundred KB can try to
/// amplify past it, and larger than every fixture page.
const CAP: usize = 512 * 1024;

thread_local! {
    /// The largest allocation made on this thread while measuring, if measuring.
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Records allocations on the thread that makes them, so that tests running in parallel do
/// not see each other's.
struct Largest;

impl AllocationTracker for Largest {
    fn allocated(&self, _addr: usize, size: usize, _wrapped: usize, _group: AllocationGroupId) {
        LARGEST.with(|l| {
            if let Some(max) = l.get() {
                l.set(Some(max.max(size)));
            }
        });
    }

    fn deallocated(
        &self,
        _addr: usize,
        _size: usize,
        _wrapped: usize,
        _source: AllocationGroupId,
        _current: AllocationGroupId,
    ) {
    }
}

/// Runs `f` and returns what it returned with the largest single allocation it made.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        AllocationRegistry::set_global_tracker(Largest).unwrap();
        AllocationRegistry::enable_tracking();
    });
    LARGEST.with(|l| l.set(Some(0)));
    let result = f();
    let largest = LARGEST.with(|l| l.replace(None)).unwrap_or(0);
    (result, largest)
}

/// Decodes `body` as a page of `category` and writes the list back as JSON.
fn decode(category: Category, body: &[u8]) -> Result<Value, Error> {
    fn list<T: DeserializeOwned + Serialize>(body: &[u8]) -> Result<Value, Error> {
        decode_list::<T>(body, CAP).map(|l| serde_json::to_value(l).unwrap())
    }
    match category {
        Category::Spot => list::<SpotInstrument>(body),
        Category::Linear | Category::Inverse => list::<LinearInverseInstrument>(body),
        Category::Option => list::<OptionInstrument>(body),
    }
}

/// Decodes as these categories, checking that no allocation passes the cap.
fn decode_within_cap(body: &[u8], categories: &[Category]) {
    for &category in categories {
        let (_, largest) = largest_allocation(|| decode(category, body));
        assert!(
            largest <= CAP,
            "{category}: a {largest}-byte allocation for a {}-byte body",
            body.len()
        );
    }
}

/// A Bybit response carrying `list` for `category`.
fn page(category: Category, list: &[Value]) -> String {
    json!({
        "retCode": 0,
        "retMsg": "OK",
        "result": {"category": category.as_str(), "list": list, "nextPageCursor": ""},
        "retExtInfo": {},
        "time": 1_700_000_000_000u64
    })
    .to_string()
}

/// The instruments of every fixture that has some, read once.
fn fixture_pages() -> &'static [(Category, Vec<Value>)] {
    static PAGES: OnceLock<Vec<(Category, Vec<Value>)>> = OnceLock::new();
    PAGES.get_or_init(|| {
        FIXTURES
            .iter()
            .filter_map(|f| Some((f.category?, fixtures::values(f.name))))
            .collect()
    })
}

/// Up to 40 consecutive real instruments of one fixture: debug builds decode a whole
/// 500-instrument page too slowly to do it hundreds of times.
fn fixture_slice() -> impl Strategy<Value = (Category, Vec<Value>)> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..40usize,
    )
        .prop_map(|(page, start, len)| {
            let (category, all) = page.get(fixture_pages());
            let start = start.index(all.len());
            let end = (start + len).min(all.len());
            (*category, all[start..end].to_vec())
        })
}

#[test]
fn the_tracker_sees_allocations() {
    let (v, largest) = largest_allocation(|| Vec::<u8>::with_capacity(123_456));
    assert!(v.capacity() >= 123_456 && largest >= 123_456, "{largest}");
}

#[test]
fn every_fixture_page_round_trips_exactly() {
    for (category, list) in fixture_pages() {
        let body = page(*category, list);
        assert!(body.len() <= CAP);
        assert_eq!(
            decode(*category, body.as_bytes()).unwrap(),
            Value::Array(list.clone())
        );
        fuzzing::page(body.as_bytes());
    }
}

/// Text made of JSON tokens, so that random input reaches past the first byte.
fn json_tokens() -> impl Strategy<Value = Vec<u8>> {
    let token = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"retCode\"",
        "\"result\"",
        "\"list\"",
        "\"symbol\"",
        "\"category\"",
        "\"nextPageCursor\"",
        "\"tickSize\"",
        "\"priceFilter\"",
        "0",
        "-1",
        "1e400",
        "\"0.50\"",
        "\"\"",
        "null",
        "true",
        "\"x\\u0000\"",
        "\"BTCUSDT\"",
    ]);
    prop::collection::vec(token, 0..200).prop_map(|t| t.concat().into_bytes())
}

#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(body: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::Set(i, b) if !body.is_empty() => {
            let i = at(*i, body.len());
            body[i] = *b;
        }
        Mutation::Delete(i, n) if !body.is_empty() => {
            let i = at(*i, body.len());
            body.drain(i..(i + n).min(body.len()));
        }
        Mutation::Insert(i, bytes) => {
            let i = at(*i, body.len() + 1);
            body.splice(i..i, bytes.iter().copied());
        }
        Mutation::Truncate(i) => body.truncate(at(*i, body.len() + 1)),
        _ => {}
    }
}

/// A page made to decode into far more memory than its size: many minimal instruments,
/// or an unknown field holding a long array. Written as text: building it as a `Value`
/// would take longer than decoding it.
fn amplifying_page() -> impl Strategy<Value = (Category, String)> {
    let category = prop::sample::select(Category::ALL.to_vec());
    let wrap = |c: Category, list: String| {
        format!(r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"{c}","list":[{list}]}}}}"#)
    };
    prop_oneof![
        (category.clone(), 1..25_000usize)
            .prop_map(move |(c, n)| { (c, wrap(c, vec![r#"{"symbol":"A"}"#; n].join(","))) }),
        (category, 1..120_000usize).prop_map(move |(c, n)| {
            let zeros = vec!["0"; n].join(",");
            (
                c,
                wrap(c, format!(r#"{{"symbol":"A","newField":[{zeros}]}}"#)),
            )
        }),
    ]
}

/// JSON a future Bybit might put in a field the models do not know.
fn unknown_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_nor_allocate_past_the_cap(
        data in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        fuzzing::page(&data);
        decode_within_cap(&data, &Category::ALL);
    }

    #[test]
    fn json_like_text_never_panics_nor_allocates_past_the_cap(data in json_tokens()) {
        fuzzing::page(&data);
        decode_within_cap(&data, &Category::ALL);
    }

    #[test]
    fn mutated_fixture_pages_never_panic_nor_allocate_past_the_cap(
        (category, list) in fixture_slice(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut body = page(category, &list).into_bytes();
        for m in &mutations {
            mutate(&mut body, m);
        }
        fuzzing::page(&body);
        decode_within_cap(&body, &[category]);
    }

    #[test]
    fn valid_pages_round_trip_exactly(
        (category, mut list) in fixture_slice(),
        additions in prop::collection::vec(
            (any::<prop::sample::Index>(), "[a-z]{1,8}", unknown_value()), 0..4),
    ) {
        for (item, name, value) in additions {
            if list.is_empty() {
                break;
            }
            let i = item.index(list.len());
            // A prefix no Bybit field has, so the field is unknown to the models.
            list[i][format!("zzUnknown{name}")] = value;
        }
        let body = page(category, &list);
        prop_assert_eq!(decode(category, body.as_bytes()).unwrap(), Value::Array(list));
        fuzzing::page(body.as_bytes());
    }
}

proptest! {
    // Each case writes and scans up to 375 KB in a debug build: fewer cases keep it quick.
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn amplifying_pages_are_refused_or_stay_within_the_cap((category, body) in amplifying_page()) {
        prop_assert!(body.len() <= CAP);
        let (result, largest) = largest_allocation(|| decode(category, body.as_bytes()));
        prop_assert!(largest <= CAP, "a {}-byte allocation for a {}-byte body", largest, body.len());
        if let Err(err) = result {
            prop_assert!(
                matches!(&err, Error::Malformed { reason, .. } if reason.contains("body cap")),
                "{:?}", err
            );
        }
    }
}
