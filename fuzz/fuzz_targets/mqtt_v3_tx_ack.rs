//! v3 `decode_tx_ack` on arbitrary bytes.
//! Invariant: a decoded message re-encodes to bytes that decode and re-encode to the same bytes
//! (bytes, not values, are compared so that NaN floats do not count as differences).
#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_mqtt_v3::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = codec::decode_tx_ack(data) {
        let mut first = Vec::new();
        codec::encode(&message, &mut first);
        let again = codec::decode_tx_ack(&first).expect("re-encoded message decodes");
        let mut second = Vec::new();
        codec::encode(&again, &mut second);
        assert_eq!(first, second);
    }
});
