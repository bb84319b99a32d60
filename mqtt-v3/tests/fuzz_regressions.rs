//! Inputs the fuzz targets found, kept as tests.

use loragw_mqtt_v3::codec;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// `mqtt_v3_status` failed its invariant (decode → encode → decode → encode gives the same
/// bytes) on this input: `advanced` (a `google.protobuf.Struct`) holds two keys, `""` and
/// `"\x12\x12\x122\x082"`, and the Struct's map was a `HashMap`, so two decodes could encode the
/// keys in different orders. The map is now a `BTreeMap`: keys in order, every time.
#[test]
fn status_with_two_struct_keys_reencodes_to_the_same_bytes() {
    let input = hex(
        "12000a06fd6c692b0a009a06080a06fd6c667067219a060a0a080a06121212320832400a4040404040404040402b0a009a06080a06fd06080a0601",
    );
    // time, boot_time, then advanced with "" before "\x12\x12\x122\x082".
    let expected = hex("0a0012009a060c0a000a080a06121212320832");
    for _ in 0..64 {
        let message = codec::decode_status(&input).expect("decodes");
        let fields = &message.advanced.as_ref().expect("advanced").fields;
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            ["", "\u{12}\u{12}\u{12}2\u{8}2"]
        );
        let mut first = Vec::new();
        codec::encode(&message, &mut first);
        assert_eq!(first, expected);
        let again = codec::decode_status(&first).expect("re-encoded message decodes");
        let mut second = Vec::new();
        codec::encode(&again, &mut second);
        assert_eq!(second, expected);
    }
}
