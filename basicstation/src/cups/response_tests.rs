use super::*;
use proptest::prelude::*;

#[test]
fn no_update_is_14_zero_bytes() {
    let r = UpdateInfoResponse::decode(&[0u8; 14]).unwrap();
    assert!(r.is_empty());
    assert_eq!(
        UpdateInfoResponse::default().to_bytes().unwrap(),
        NO_UPDATE_RESPONSE
    );
    assert_eq!(
        UpdateInfoResponse::decode_lenient(&NO_UPDATE_RESPONSE)
            .unwrap()
            .1,
        ResponseLayout::Station
    );
}

/// A live CUPS response: tcUri set and a signed 82-byte update. The capture elides the middle
/// of the signature and of the script; those bytes are filled in here.
#[test]
fn live_response_layout() {
    let mut der = vec![0x30, 0x45, 0x02, 0x20, 0x0b, 0xbb, 0x31];
    der.resize(68, 0x5A);
    der.extend_from_slice(&[0xbb, 0xa5, 0x52]);
    assert_eq!(der.len(), 71);
    let mut update = b"#!/bin/sh\n".to_vec();
    update.resize(82, b'#');
    let r = UpdateInfoResponse {
        tc_uri: Some("ws://127.0.0.1:6038".into()),
        signature: Some(UpdateSignature {
            key_crc: 0xA383_4A6B,
            der: der.clone(),
        }),
        update: Some(update.clone()),
        ..Default::default()
    };
    let bytes = r.to_bytes().unwrap();
    let head: [u8; 33] = [
        0x00, // cupsUri len 0
        0x13, 0x77, 0x73, 0x3a, 0x2f, 0x2f, 0x31, 0x32, 0x37, 0x2e, 0x30, 0x2e, 0x30, 0x2e, 0x31,
        0x3a, 0x36, 0x30, 0x33, 0x38, // tcUri "ws://127.0.0.1:6038"
        0x00, 0x00, // cupsCred len 0
        0x00, 0x00, // tcCred len 0
        0x4b, 0x00, 0x00, 0x00, // sigLen 75 = 4 + 71
        0x6b, 0x4a, 0x83, 0xa3, // sigKeyCrc 0xA3834A6B
    ];
    assert_eq!(&bytes[..33], &head);
    assert_eq!(&bytes[33..40], &[0x30, 0x45, 0x02, 0x20, 0x0b, 0xbb, 0x31]);
    assert_eq!(&bytes[101..104], &[0xbb, 0xa5, 0x52]);
    assert_eq!(&bytes[104..108], &[0x52, 0x00, 0x00, 0x00]); // updLen 82
    assert_eq!(
        &bytes[108..118],
        &[0x23, 0x21, 0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x73, 0x68, 0x0a]
    );
    assert_eq!(bytes.len(), 108 + 82);
    assert_eq!(r.encoded_len(), bytes.len());
    assert_eq!(UpdateInfoResponse::decode(&bytes).unwrap(), r);
}

/// What The Things Stack writes: sigLen without the CRC, and the CRC always there.
fn tts_layout(r: &UpdateInfoResponse) -> Vec<u8> {
    let mut out = Vec::new();
    let s = |v: &Option<String>| v.clone().unwrap_or_default().into_bytes();
    let b = |v: &Option<Vec<u8>>| v.clone().unwrap_or_default();
    out.push(s(&r.cups_uri).len() as u8);
    out.extend(s(&r.cups_uri));
    out.push(s(&r.tc_uri).len() as u8);
    out.extend(s(&r.tc_uri));
    out.extend((b(&r.cups_cred).len() as u16).to_le_bytes());
    out.extend(b(&r.cups_cred));
    out.extend((b(&r.tc_cred).len() as u16).to_le_bytes());
    out.extend(b(&r.tc_cred));
    let (crc, der) = r
        .signature
        .as_ref()
        .map_or((0, Vec::new()), |s| (s.key_crc, s.der.clone()));
    out.extend((der.len() as u32).to_le_bytes());
    out.extend(crc.to_le_bytes());
    out.extend(der);
    out.extend((b(&r.update).len() as u32).to_le_bytes());
    out.extend(b(&r.update));
    out
}

#[test]
fn tts_layout_is_accepted_leniently() {
    // "Empty": 18 zero bytes; the station reads 14 and ignores the rest.
    let empty = [0u8; 18];
    assert_eq!(tts_layout(&UpdateInfoResponse::default()), empty);
    assert_eq!(
        UpdateInfoResponse::decode(&empty),
        Err(CupsError::TrailingBytes(4))
    );
    assert_eq!(
        UpdateInfoResponse::decode_lenient(&empty).unwrap(),
        (
            UpdateInfoResponse::default(),
            ResponseLayout::TheThingsStack
        )
    );
    // "Full" (messages_test.go): URIs, credentials, key CRC 12345678, signature and update.
    let full = UpdateInfoResponse {
        cups_uri: Some("https://cups.example.com".into()),
        tc_uri: Some("https://lns.example.com".into()),
        cups_cred: Some(vec![0x30, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]),
        tc_cred: Some(vec![0x30, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]),
        signature: Some(UpdateSignature {
            key_crc: 12_345_678,
            der: vec![0x30, 0x06, 2, 1, 1, 2, 1, 1],
        }),
        update: Some(b"update".to_vec()),
    };
    let tts = tts_layout(&full);
    assert!(UpdateInfoResponse::decode(&tts).is_err());
    assert_eq!(
        UpdateInfoResponse::decode_lenient(&tts).unwrap(),
        (full.clone(), ResponseLayout::TheThingsStack)
    );
    // Our own encoding of the same is the station layout, 4 bytes... the same length here,
    // but sigLen differs by 4 and the CRC sits inside it.
    let ours = full.to_bytes().unwrap();
    assert_eq!(
        UpdateInfoResponse::decode_lenient(&ours).unwrap(),
        (full, ResponseLayout::Station)
    );
}

#[test]
fn errors() {
    assert_eq!(
        UpdateInfoResponse::decode(&[0x05, b'h', b't']),
        Err(CupsError::Truncated {
            field: "cupsUri",
            needed: 5,
            available: 2
        })
    );
    assert_eq!(
        UpdateInfoResponse::decode(&[]),
        Err(CupsError::Truncated {
            field: "cupsUriLen",
            needed: 1,
            available: 0
        })
    );
    let mut sig4 = vec![0u8; 6];
    sig4.extend(4u32.to_le_bytes());
    sig4.extend([0u8; 8]);
    assert_eq!(
        UpdateInfoResponse::decode(&sig4),
        Err(CupsError::InvalidSigLen(4))
    );
    let mut sig133 = vec![0u8; 6];
    sig133.extend(133u32.to_le_bytes());
    assert_eq!(
        UpdateInfoResponse::decode(&sig133),
        Err(CupsError::InvalidSigLen(133))
    );
    let mut huge = vec![0u8; 10];
    huge.extend(u32::MAX.to_le_bytes());
    assert!(matches!(
        UpdateInfoResponse::decode(&huge),
        Err(CupsError::Truncated {
            field: "update",
            ..
        })
    ));
    assert_eq!(
        UpdateInfoResponse::decode(&[1, 0xFF, 0]),
        Err(CupsError::InvalidUtf8("cupsUri"))
    );
    let e = UpdateInfoResponse {
        tc_uri: Some(String::new()),
        ..Default::default()
    }
    .to_bytes();
    assert_eq!(e, Err(CupsError::EmptySegment("tcUri")));
    let e = UpdateInfoResponse {
        cups_uri: Some("x".repeat(256)),
        ..Default::default()
    }
    .to_bytes();
    assert_eq!(
        e.unwrap_err().to_string(),
        "cupsUri: 256 bytes, at most 255"
    );
    let sig = Some(UpdateSignature {
        key_crc: 1,
        der: vec![0; 129],
    });
    let e = UpdateInfoResponse {
        signature: sig,
        update: Some(vec![1]),
        ..Default::default()
    }
    .to_bytes();
    assert_eq!(e, Err(CupsError::InvalidSigLen(133)));
    let sig = Some(UpdateSignature {
        key_crc: 1,
        der: vec![0; 8],
    });
    let e = UpdateInfoResponse {
        signature: sig,
        ..Default::default()
    }
    .to_bytes();
    assert!(matches!(e, Err(CupsError::Signature(_))));
}

fn arb_opt_bytes(max: usize) -> impl Strategy<Value = Option<Vec<u8>>> {
    proptest::option::of(proptest::collection::vec(any::<u8>(), 1..max))
}

fn arb_response() -> impl Strategy<Value = UpdateInfoResponse> {
    let uri = || proptest::option::of("[a-z:/.0-9]{1,255}");
    let sig = proptest::option::of((
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 4..=128),
    ));
    (
        uri(),
        uri(),
        arb_opt_bytes(300),
        arb_opt_bytes(300),
        sig,
        arb_opt_bytes(300),
    )
        .prop_map(
            |(cups_uri, tc_uri, cups_cred, tc_cred, sig, update)| UpdateInfoResponse {
                cups_uri,
                tc_uri,
                cups_cred,
                tc_cred,
                signature: if update.is_some() {
                    sig.map(|(key_crc, der)| UpdateSignature { key_crc, der })
                } else {
                    None
                },
                update,
            },
        )
}

proptest! {
    #[test]
    fn round_trip(r in arb_response()) {
        let bytes = r.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), r.encoded_len());
        prop_assert_eq!(UpdateInfoResponse::decode(&bytes).unwrap(), r.clone());
        prop_assert_eq!(UpdateInfoResponse::decode_lenient(&bytes).unwrap(), (r.clone(), ResponseLayout::Station));
        // The Things Stack's layout of the same response is understood leniently.
        let (tts, _) = UpdateInfoResponse::decode_lenient(&tts_layout(&r)).unwrap();
        prop_assert_eq!(tts, r);
    }

    #[test]
    fn decode_is_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(r) = UpdateInfoResponse::decode(&bytes)
            && let Ok(again) = r.to_bytes()
        {
            prop_assert_eq!(&again, &bytes);
        }
        let _ = UpdateInfoResponse::decode_lenient(&bytes);
    }
}
