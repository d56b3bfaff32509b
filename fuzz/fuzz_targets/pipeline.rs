//! Fuzzes `specdeploy::fuzz::pipeline`; see its documentation for what the input holds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| specdeploy::fuzz::pipeline(data));
