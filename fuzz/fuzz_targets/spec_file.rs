//! Fuzzes `specdeploy::fuzz::spec_file`; see its documentation for what the input holds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| specdeploy::fuzz::spec_file(data));
