//! Regression tests for what users of other GWMP implementations ran into (issue trackers of
//! packet forwarders and servers) that concerns the wire format. Server-side cases are in
//! `regressions_server.rs`.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use loragw_semtech_udp::*;

const EUI: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn datagram(version: u8, kind: u8, json: &[u8]) -> Vec<u8> {
    let mut d = vec![version, 0x42, 0x24, kind];
    d.extend_from_slice(&EUI);
    d.extend_from_slice(json);
    d
}

/// Case 1 (helium/semtech-udp#68): Kerlink sends TX_ACK whose body is a single NUL byte.
#[test]
fn case1_tx_ack_with_nul_body_is_success() {
    for body in [&b"\0"[..], b"", b"\0\0", b" \n", b"{}\0"] {
        let Packet::TxAck(t) = Packet::decode(&datagram(2, 5, body)).unwrap() else {
            panic!("not a TX_ACK")
        };
        assert!(t.ack.is_plain_success(), "{body:?}");
        assert_eq!(t.token, 0x4224);
    }
}

/// Case 2 (helium/helium-packet-router#268, gateway-rs#202): a non-standard `stat` (no `time`,
/// vendor fields) must not cost the `rxpk` of the same datagram; and neither may a broken one.
#[test]
fn case2_nonstandard_or_broken_stat_keeps_rxpk() {
    let json = br#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="}],"stat":{"rxnb":1,"pfrm":"Multitech","vendor":{"x":1},"temp":null}}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(2, 0, json)).unwrap() else {
        panic!()
    };
    assert_eq!(p.rxpk.len(), 1);
    let stat = p.stat.unwrap();
    assert_eq!(stat.time, None);
    assert_eq!(stat.temp, None);
    assert_eq!(stat.pfrm.as_deref(), Some("Multitech"));
    assert_eq!(
        stat.extra,
        vec![("vendor".to_owned(), r#"{"x":1}"#.to_owned())]
    );

    let json = br#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="}],"stat":{"time":"yesterday"}}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(2, 0, json)).unwrap() else {
        panic!()
    };
    assert_eq!(p.rxpk.len(), 1);
    assert!(p.stat.is_none());
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].element, Element::Stat);
    assert!(
        p.rejected[0]
            .to_string()
            .starts_with("stat: time: time `yesterday`"),
        "{}",
        p.rejected[0]
    );
}

/// One bad `rxpk` among good ones is reported by index; the others survive.
#[test]
fn one_bad_rxpk_keeps_the_others() {
    let json = br#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="},{"tmst":2,"freq":868.3,"datr":"SF13BW125","data":"AA=="},{"tmst":3,"freq":868.5,"modu":"FSK","datr":50000,"data":"AA=="}]}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(2, 0, json)).unwrap() else {
        panic!()
    };
    assert_eq!(p.rxpk.iter().map(|r| r.tmst).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].element, Element::Rxpk(1));
    let msg = p.rejected[0].to_string();
    assert!(
        msg.starts_with("rxpk[1]: datr: unknown data rate `SF13BW125`"),
        "{msg}"
    );
}

/// Case 3 (helium/gateway-rs#194): a Multitech Conduit speaks GWMP v1.
#[test]
fn case3_protocol_version_1_is_accepted() {
    let json = br#"{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA=="}]}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(1, 0, json)).unwrap() else {
        panic!()
    };
    assert_eq!(p.version, ProtocolVersion::V1);
    let Packet::PullData(p) = Packet::decode(&datagram(1, 2, b"")).unwrap() else {
        panic!()
    };
    assert_eq!(p.version, ProtocolVersion::V1);
}

/// Case 4 (lorawan-stack#608): forwarders reject a `txpk` carrying unset `brd`/`ant`.
#[test]
fn case4_unset_txpk_fields_are_omitted() {
    let txpk = Txpk {
        timing: TxTiming::Timestamp(1000),
        freq: Frequency::from_hz(869_525_000),
        rfch: 0,
        powe: Some(27),
        ant: None,
        brd: None,
        datr: DataRate::Lora {
            spreading_factor: 9,
            bandwidth: Bandwidth::Khz125,
        },
        codr: Some(CodingRate::Cr4_5),
        fdev: None,
        ipol: Some(true),
        prea: None,
        ncrc: None,
        nhdr: None,
        data: vec![1, 2, 3],
    };
    let mut out = Vec::new();
    Packet::PullResp(PullResp {
        version: ProtocolVersion::V2,
        token: 1,
        txpk,
    })
    .encode(&mut out)
    .unwrap();
    assert_eq!(
        &out[4..],
        br#"{"txpk":{"imme":false,"tmst":1000,"freq":869.525,"rfch":0,"powe":27,"modu":"LORA","datr":"SF9BW125","codr":"4/5","ipol":true,"size":3,"data":"AQID"}}"#
    );
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("null") && !text.contains("brd") && !text.contains("ant"));
}

/// Timed downlinks carry `"imme":false`: the published `semtech-udp` crate's gateway runtime
/// refuses a `tmst`/`tmms` PULL_RESP without it (``missing field `imme` ``), and The Things Stack
/// and ChirpStack always write it.
#[test]
fn timed_txpk_writes_imme_false() {
    let txpk = |timing| Txpk {
        timing,
        freq: Frequency::from_hz(868_100_000),
        rfch: 0,
        powe: Some(14),
        ant: None,
        brd: None,
        datr: DataRate::Lora {
            spreading_factor: 7,
            bandwidth: Bandwidth::Khz125,
        },
        codr: Some(CodingRate::Cr4_5),
        fdev: None,
        ipol: Some(true),
        prea: None,
        ncrc: None,
        nhdr: None,
        data: vec![0xff],
    };
    let encode = |timing| {
        let mut out = Vec::new();
        Packet::PullResp(PullResp {
            version: ProtocolVersion::V2,
            token: 0x0102,
            txpk: txpk(timing),
        })
        .encode(&mut out)
        .unwrap();
        out
    };
    let tmst = encode(TxTiming::Timestamp(5_000_000));
    assert_eq!(&tmst[..4], &[2, 0x01, 0x02, 3]);
    assert_eq!(
        &tmst[4..],
        br#"{"txpk":{"imme":false,"tmst":5000000,"freq":868.1,"rfch":0,"powe":14,"modu":"LORA","datr":"SF7BW125","codr":"4/5","ipol":true,"size":1,"data":"/w=="}}"#
    );
    assert_eq!(
        &encode(TxTiming::GpsTime(1_399_713_695_528))[4..],
        br#"{"txpk":{"imme":false,"tmms":1399713695528,"freq":868.1,"rfch":0,"powe":14,"modu":"LORA","datr":"SF7BW125","codr":"4/5","ipol":true,"size":1,"data":"/w=="}}"#
    );
    assert_eq!(
        &encode(TxTiming::Immediate)[4..],
        br#"{"txpk":{"imme":true,"freq":868.1,"rfch":0,"powe":14,"modu":"LORA","datr":"SF7BW125","codr":"4/5","ipol":true,"size":1,"data":"/w=="}}"#
    );
    // What we write decodes back to the same timing.
    let Packet::PullResp(back) = Packet::decode(&tmst).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert_eq!(back.txpk.timing, TxTiming::Timestamp(5_000_000));
}

/// Case 5 (lorawan-stack#4816): `tmms` without `time`; the GPS time must survive.
#[test]
fn case5_tmms_without_time() {
    let json = br#"{"rxpk":[{"tmst":1,"tmms":1399713695528,"freq":868.1,"datr":"SF7BW125","data":"AA=="}]}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(2, 0, json)).unwrap() else {
        panic!()
    };
    assert_eq!(p.rxpk[0].time, None);
    assert_eq!(p.rxpk[0].tmms, Some(1_399_713_695_528));
}

/// Case 9 (chirpstack-mqtt-forwarder#50): 923.3 MHz became 268.43 MHz on the way to the
/// forwarder. Every band's frequencies must come out with their exact decimals and back.
#[test]
fn case9_frequencies_exact_in_every_band() {
    let cases: [(u64, &str); 12] = [
        (868_100_000, "868.1"),
        (869_525_000, "869.525"),
        (923_300_000, "923.3"),
        (923_200_000, "923.2"),
        (902_300_000, "902.3"),
        (927_500_000, "927.5"),
        (916_800_000, "916.8"),
        (920_900_000, "920.9"),
        (865_062_500, "865.0625"),
        (470_300_000, "470.3"),
        (433_175_000, "433.175"),
        (2_403_000_000, "2403.0"),
    ];
    for (hz, text) in cases {
        let txpk = Txpk {
            timing: TxTiming::Immediate,
            freq: Frequency::from_hz(hz),
            rfch: 0,
            powe: None,
            ant: None,
            brd: None,
            datr: DataRate::Fsk { bit_rate: 50_000 },
            codr: None,
            fdev: None,
            ipol: None,
            prea: None,
            ncrc: None,
            nhdr: None,
            data: vec![],
        };
        let packet = Packet::PullResp(PullResp {
            version: ProtocolVersion::V2,
            token: 1,
            txpk,
        });
        let mut out = Vec::new();
        packet.encode(&mut out).unwrap();
        let json = String::from_utf8(out[4..].to_vec()).unwrap();
        assert!(json.contains(&format!("\"freq\":{text},")), "{json}");
        assert_eq!(Packet::decode(&out).unwrap(), packet);
    }
}

/// Unknown fields are ignored on decode and not written back.
#[test]
fn unknown_fields_ignored() {
    let json = br#"{"rxpk":[{"jver":1,"tmst":1,"freq":868.1,"datr":"SF7BW125","data":"AA==","future":{"a":[1,2]}}],"other":true}"#;
    let Packet::PushData(p) = Packet::decode(&datagram(2, 0, json)).unwrap() else {
        panic!()
    };
    assert!(p.rejected.is_empty());
    let mut out = Vec::new();
    Packet::PushData(p).encode(&mut out).unwrap();
    assert_eq!(
        &out[12..],
        br#"{"rxpk":[{"tmst":1,"freq":868.1,"modu":"LORA","datr":"SF7BW125","size":1,"data":"AA=="}]}"#
    );
}
