//! Tabs Hubs JSON message decoders (both directions). Invariants: no panic; whatever decodes
//! and re-encodes decodes again, and re-encoding is stable (same text twice).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_basicstation::tabs::{decode_down, decode_up};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut first = String::new();
    let mut second = String::new();
    if let Ok(msg) = decode_up(text)
        && msg.encode(&mut first).is_ok()
    {
        let again = decode_up(&first).expect("an encoded up message decodes");
        again.encode(&mut second).expect("re-encoding succeeds");
        assert_eq!(first, second);
    }
    if let Ok(msg) = decode_down(text)
        && msg.encode(&mut first).is_ok()
    {
        let again = decode_down(&first).expect("an encoded down message decodes");
        again.encode(&mut second).expect("re-encoding succeeds");
        assert_eq!(first, second);
    }
});
