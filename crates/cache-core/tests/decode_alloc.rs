//! Decoding allocates no more than the configured maximum decoded size, whatever the bytes
//! claim: measured with a counting allocator, so this binary holds one test, which runs its
//! cases one after the other.

mod support;

use std::io::Write;

use cache_core::{Codec, fuzzing::MAX_DECODED_SIZE};
use peak_alloc::PeakAlloc;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::de::IgnoredAny;
use support::with_header;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// What decoding may allocate beside its decompressor's fixed state and the decoded buffer:
/// error messages and the like.
const SLACK: usize = 4 * 1024;

/// The most `decode` had allocated at once above what was allocated before it.
fn peak_decoding(bytes: &[u8]) -> usize {
    let codec = Codec::msgpack().with_max_decoded_size(MAX_DECODED_SIZE);
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let _ = std::hint::black_box(codec.decode::<IgnoredAny>(bytes));
    ALLOCATOR.peak_usage().saturating_sub(before)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn zstd_unsized(data: &[u8]) -> Vec<u8> {
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    encoder.include_contentsize(false).unwrap();
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn decoding_allocates_within_the_maximum() {
    // The counts are process-wide, so the cases run in this one test, never side by side.
    // zlib keeps a fixed state (its 32 KiB window among it) whatever it inflates.
    let fixed = peak_decoding(&with_header(2, 1, 0, &zlib(b"")));
    a_stream_longer_than_the_maximum_is_cut_off_within_it(fixed);
    a_short_zlib_stream_declaring_the_maximum_gets_a_buffer_its_own_size(fixed);
    no_stored_bytes_allocate_past_the_maximum(fixed);
}

fn a_stream_longer_than_the_maximum_is_cut_off_within_it(fixed: usize) {
    // Declares exactly the maximum, inflates to four times it.
    let zeros = vec![0u8; 4 * MAX_DECODED_SIZE];
    for (compression, payload) in [(1, zlib(&zeros)), (2, zstd_unsized(&zeros))] {
        let bytes = with_header(2, compression, MAX_DECODED_SIZE as u32, &payload);
        let peak = peak_decoding(&bytes);
        assert!(
            peak <= MAX_DECODED_SIZE + fixed + SLACK,
            "compression {compression}: {peak} bytes"
        );
    }
}

fn a_short_zlib_stream_declaring_the_maximum_gets_a_buffer_its_own_size(fixed: usize) {
    let payload = zlib(b"x"); // nine bytes that claim to be 64 KiB
    let bytes = with_header(2, 1, MAX_DECODED_SIZE as u32, &payload);
    let bound = payload.len() * 1032 + 64 + fixed + SLACK;
    assert!(
        bound < MAX_DECODED_SIZE,
        "the test needs a bound below the maximum"
    );
    let peak = peak_decoding(&bytes);
    assert!(
        peak <= bound,
        "{peak} bytes for {} of payload",
        payload.len()
    );
}

fn no_stored_bytes_allocate_past_the_maximum(fixed: usize) {
    let stored = (
        0u8..3,
        prop_oneof![
            Just(MAX_DECODED_SIZE as u32),
            0u32..=2 * MAX_DECODED_SIZE as u32,
            any::<u32>(),
        ],
        0usize..4 * MAX_DECODED_SIZE,
        prop::collection::vec(any::<u8>(), 0..64),
    );
    let mut runner = TestRunner::new(Config::default());
    let outcome = runner.run(&stored, |(compression, decoded_len, zeros, noise)| {
        let mut data = vec![0u8; zeros];
        data.extend(&noise);
        let payload = match compression {
            0 => data,
            1 => zlib(&data),
            _ => zstd_unsized(&data),
        };
        let bytes = with_header(2, compression, decoded_len, &payload);
        let peak = peak_decoding(&bytes);
        prop_assert!(peak <= MAX_DECODED_SIZE + fixed + SLACK, "{} bytes", peak);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
