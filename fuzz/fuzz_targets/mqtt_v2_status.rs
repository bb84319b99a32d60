//! v2 `decode_status` and the v2 <-> v3 conversion on arbitrary bytes (conversion must not panic).
//! Invariant: a decoded message re-encodes to bytes that decode and re-encode to the same bytes
//! (bytes, not values, are compared so that NaN floats do not count as differences).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_mqtt_v2::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = codec::decode_status(data) {
        let mut first = Vec::new();
        codec::encode(&message, &mut first);
        let again = codec::decode_status(&first).expect("re-encoded message decodes");
        let mut second = Vec::new();
        codec::encode(&again, &mut second);
        assert_eq!(first, second);
        let v3 = loragw_mqtt_v2::status_to_v3(&message);
        let _ = loragw_mqtt_v2::status_from_v3(&v3);
    }
});
