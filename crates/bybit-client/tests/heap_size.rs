//! `HeapSize` against what decoding a list really leaves allocated, measured by a counting
//! allocator, for every recorded list: what a cache bounded by bytes counts a list at.
#![allow(clippy::unwrap_used, missing_docs)]

use std::alloc::System;
use std::cell::Cell;

use bybit_client::InstrumentList;
use bybit_client::models::HeapSize;
use bybit_client::testing::fixtures::{self, FIXTURES};
use bybit_client::{Category, models::LinearInverseInstrument};
use serde_json::Value;
use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker, Allocator};

#[global_allocator]
static GLOBAL: Allocator<System> = Allocator::system();

thread_local! {
    /// Bytes allocated and not yet freed on this thread while measuring.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// Counts on the thread that allocates, so that tests running in parallel do not see each
/// other's allocations.
struct Live;

impl AllocationTracker for Live {
    fn allocated(&self, _addr: usize, size: usize, _wrapped: usize, _group: AllocationGroupId) {
        LIVE.with(|l| l.set(l.get() + size as isize));
    }

    fn deallocated(
        &self,
        _addr: usize,
        size: usize,
        _wrapped: usize,
        _source: AllocationGroupId,
        _current: AllocationGroupId,
    ) {
        LIVE.with(|l| l.set(l.get() - size as isize));
    }
}

/// Runs `f` and returns what it returned with the bytes it left allocated.
fn retained<R>(f: impl FnOnce() -> R) -> (R, usize) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        AllocationRegistry::set_global_tracker(Live).unwrap();
        AllocationRegistry::enable_tracking();
    });
    let before = LIVE.with(Cell::get);
    let result = f();
    let after = LIVE.with(Cell::get);
    (result, usize::try_from(after - before).unwrap())
}

fn list(category: Category, raw: Vec<Value>) -> InstrumentList {
    fixtures::typed_list(category, &raw).unwrap()
}

#[test]
fn a_decoded_list_owns_what_heap_size_says_within_a_twentieth() {
    let mut lists = 0;
    for f in FIXTURES {
        let Some(category) = f.category else { continue };
        // The cached form, as a cache reads it back.
        let packed = rmp_serde::to_vec(&list(category, fixtures::values(f.name))).unwrap();
        let (decoded, owned) =
            retained(|| rmp_serde::from_slice::<InstrumentList>(&packed).unwrap());
        let counted = decoded.heap_size();
        let (low, high) = (owned - owned / 20, owned + owned / 20);
        assert!(
            (low..=high).contains(&counted),
            "{}: heap_size {counted}, {owned} bytes allocated",
            f.name
        );
        lists += 1;
    }
    assert!(lists >= 16, "{lists} lists");
}

#[test]
fn unknown_fields_count_at_what_they_allocate_within_a_tenth() {
    // Maps are counted as whole nodes, one for a few unknown fields.
    let json = r#"{"symbol":"BTCUSDT","a":"a string long enough to be kept on the heap",
        "b":[1,2,3,{"c":"d"}],"e":{"f":null,"g":true},"h":1.5,"i":"short"}"#;
    let (instrument, owned) =
        retained(|| serde_json::from_str::<LinearInverseInstrument>(json).unwrap());
    let counted = instrument.heap_size();
    assert!(
        (owned - owned / 10..=owned + owned / 10).contains(&counted),
        "heap_size {counted}, {owned} bytes allocated"
    );
}
