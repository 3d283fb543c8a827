//! `cache_file::fuzzing::entry`, the on-disk entry layout, on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cache_file::fuzzing::entry(data));
