//! Semtech UDP datagram decoder: never panics, and what decodes re-encodes to bytes that
//! decode to the same value (decode → encode → decode).

#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_semtech_udp::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(mut first) = Packet::decode(data) else {
        return;
    };
    if let Packet::PushData(p) = &mut first {
        // Rejected elements are reported on decode and not encoded.
        p.rejected.clear();
    }
    let mut out = Vec::new();
    // Encoding may refuse a value (for example a PULL_RESP over its size limit), never panic.
    if first.encode(&mut out).is_err() {
        return;
    }
    let second = Packet::decode(&out).expect("an encoded datagram decodes");
    assert_eq!(second, first, "decode(encode(x)) != x");
});
