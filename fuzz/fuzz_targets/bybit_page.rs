//! `bybit_client::fuzzing::page`, the instruments page parser, on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bybit_client::fuzzing::page(data));
