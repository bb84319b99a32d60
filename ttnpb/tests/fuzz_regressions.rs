//! Inputs the fuzz targets found, kept as tests.

use loragw_ttnpb::UplinkMessage;
use loragw_ttnpb::prost::Message;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// `ttnpb_decode` compared decoded values with `==`, and this uplink's second `rx_metadata`
/// has `rssi` = NaN (fixed32 bytes `00 08 ff ff`, bits `0xFFFF0800`), which never equals
/// itself. The message does round-trip: decode → encode → decode → encode gives the same bytes,
/// which is what the target now compares.
#[test]
fn uplink_with_nan_rssi_round_trips_byte_for_byte() {
    // The crash input without its first byte (the target's message-type selector, 0 = uplink).
    let input = hex(concat!(
        "0a0d407856341200010001aabbccdd22290a0d0a0b08c8d00710071a03342f3520a0cff89d0330b9b6d4",
        "af50680c28d5baeeca0510f88bbadb032a480a114a056774772d311208aa555a00000001011a0c08d5",
        "ba10f8058bcaeebadb0320b9b6d4af01450000d6c24d0000d6c25d000030c1880102aa010c08d5baee",
        "ca0510f88bbadb032a360a070a056774772d31100120b9b6d4af01450008ffff4d0000bec25d0000e8",
        "4060bebaffffffffffffff018201050d0000b8c2880117320b08d6baeeca05108094ef3a5a020801",
    ));
    let message = UplinkMessage::decode(input.as_slice()).expect("decodes");
    assert_eq!(message.rx_metadata.len(), 2);
    assert_eq!(message.rx_metadata[1].rssi.to_bits(), 0xFFFF_0800);
    assert_eq!(message.rx_metadata[1].channel_rssi, -95.0);
    let encoded = message.encode_to_vec();
    assert_eq!(encoded.len(), message.encoded_len());
    let again = UplinkMessage::decode(encoded.as_slice()).expect("re-encoded message decodes");
    assert!(again.rx_metadata[1].rssi.is_nan());
    assert_eq!(
        again.rx_metadata[1].rssi.to_bits(),
        message.rx_metadata[1].rssi.to_bits()
    );
    assert_eq!(again.encode_to_vec(), encoded);
    // Value equality fails only because of the NaN.
    assert_ne!(again, message);
    let mut a = again.clone();
    let mut m = message.clone();
    a.rx_metadata[1].rssi = 0.0;
    m.rx_metadata[1].rssi = 0.0;
    assert_eq!(a, m);
}
