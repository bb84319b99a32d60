//! CUPS `update-info` request parser and the server decision on it.
//!
//! Invariants: no panic; a parsed request re-encodes to JSON that parses to the same value;
//! the server decision on any parsed request returns a value or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_basicstation::cups::{Credentials, CupsTarget, UpdateInfoRequest, decide_update};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = UpdateInfoRequest::parse(data) else { return };
    let again = UpdateInfoRequest::parse(request.to_json().as_bytes());
    assert_eq!(again.as_ref(), Ok(&request));
    let target = CupsTarget {
        tc_uri: Some("wss://lns.example.com:8887".into()),
        tc_credentials: Some(Credentials::token(Some(vec![0x30, 0x00]), "Bearer K")),
        ..Default::default()
    };
    if let Ok(response) = decide_update(&request, &target) {
        assert!(response.to_bytes().is_ok());
    }
});
