//! `cache_core::fuzzing::envelope` on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cache_core::fuzzing::envelope(data));
