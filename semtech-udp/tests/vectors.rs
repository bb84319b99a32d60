//! Byte-exact vectors from Semtech's PROTOCOL documents (packet_forwarder v1, sx1302_hal v2),
//! The Things Stack's Semtech UDP tests and the shared benchmark datagrams.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use loragw_semtech_udp::*;

const EUI: [u8; 8] = [0xAA, 0x55, 0x5A, 0x00, 0x00, 0x00, 0x01, 0x01];

fn push_data(version: u8, token: [u8; 2], json: &str) -> Vec<u8> {
    let mut d = vec![version, token[0], token[1], 0x00];
    d.extend_from_slice(&EUI);
    d.extend_from_slice(json.as_bytes());
    d
}

fn decode_push(bytes: &[u8]) -> PushData {
    match Packet::decode(bytes).unwrap() {
        Packet::PushData(p) => p,
        other => panic!("not PUSH_DATA: {other:?}"),
    }
}

fn body(p: &Packet) -> String {
    let mut out = Vec::new();
    p.encode(&mut out).unwrap();
    let skip = if p.gateway().is_some() { 12 } else { 4 };
    String::from_utf8(out[skip..].to_vec()).unwrap()
}

#[test]
fn sx1302_rxpk_example() {
    let json = r#"{"rxpk":[
	{
		"tmst":3512348611,
		"time":"2020-10-01T09:30:52.592567Z",
		"tmms":1285579871592,
		"ftime":85224290,
		"chan":2,
		"rfch":0,
		"freq":866.349812,
		"mid":3,
		"stat":1,
		"modu":"LORA",
		"datr":"SF7BW125",
		"codr":"4/6",
		"rssi":-35,
		"lsnr":5.1,
		"foff":-3313,
		"size":32,
		"data":"-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84"
	},{
		"time":"2013-03-31T16:21:17.530974Z",
		"tmst":3512348514,
		"chan":9,
		"rfch":1,
		"freq":869.1,
		"stat":1,
		"modu":"FSK",
		"datr":50000,
		"rssi":-75,
		"size":16,
		"data":"VEVTVF9QQUNLRVRfMTIzNA=="
	},{
		"time":"2013-03-31T16:21:17.532038Z",
		"tmst":3316387610,
		"chan":0,
		"rfch":0,
		"freq":863.00981,
		"stat":1,
		"modu":"LORA",
		"datr":"SF10BW125",
		"codr":"4/7",
		"rssi":-38,
		"lsnr":5.5,
		"size":32,
		"data":"ysgRl452xNLep9S1NTIg2lomKDxUgn3DJ7DE+b00Ass"
	}
]}"#;
    let p = decode_push(&push_data(2, [0x12, 0x34], json));
    assert_eq!(p.version, ProtocolVersion::V2);
    assert_eq!(p.token, 0x1234);
    assert_eq!(p.gateway, GatewayEui(EUI));
    assert!(p.rejected.is_empty());
    assert_eq!(p.rxpk.len(), 3);
    let a = &p.rxpk[0];
    assert_eq!(a.tmst, 3_512_348_611);
    assert_eq!(a.tmms, Some(1_285_579_871_592));
    assert_eq!(a.ftime, Some(85_224_290));
    assert_eq!(a.freq.hz(), 866_349_812);
    assert_eq!(a.mid, Some(3));
    assert_eq!(a.stat, Some(CrcStatus::Ok));
    assert_eq!(a.codr, Some(CodingRate::Cr4_6));
    assert_eq!(a.lsnr, Some(5.1));
    assert_eq!(a.foff, Some(-3313));
    assert_eq!(
        a.data,
        [
            0xf8, 0x34, 0xb8, 0x08, 0x66, 0x83, 0x09, 0xd1, 0xbe, 0xe3, 0xc7, 0x89, 0x34, 0xcd,
            0xd5, 0x6a, 0x2f, 0xb3, 0x0e, 0x9b, 0x11, 0xef, 0x53, 0xe7, 0xf4, 0x23, 0xc0, 0xf6,
            0xe0, 0x8e, 0x37, 0xce
        ]
    );
    let time = a.time.unwrap();
    assert_eq!(
        (time.unix_seconds, time.nanos),
        (1_601_544_652, 592_567_000)
    );
    let b = &p.rxpk[1];
    assert_eq!(b.datr, DataRate::Fsk { bit_rate: 50_000 });
    assert_eq!(b.modulation(), Modulation::Fsk);
    assert_eq!(b.data, b"TEST_PACKET_1234");
    assert_eq!(p.rxpk[2].freq.hz(), 863_009_810);
    assert_eq!(
        p.rxpk[2].datr,
        DataRate::Lora {
            spreading_factor: 10,
            bandwidth: Bandwidth::Khz125
        }
    );

    // Re-encode the FSK packet alone: exact bytes.
    let fsk = Packet::PushData(PushData {
        rxpk: vec![b.clone()],
        ..p.clone()
    });
    assert_eq!(
        body(&fsk),
        r#"{"rxpk":[{"time":"2013-03-31T16:21:17.530974Z","tmst":3512348514,"freq":869.1,"chan":9,"rfch":1,"stat":1,"modu":"FSK","datr":50000,"rssi":-75,"size":16,"data":"VEVTVF9QQUNLRVRfMTIzNA=="}]}"#
    );
    // And the first one, whose mixed-alphabet unpadded base64 comes back standard and padded.
    let lora = Packet::PushData(PushData {
        rxpk: vec![a.clone()],
        ..p
    });
    assert_eq!(
        body(&lora),
        r#"{"rxpk":[{"time":"2020-10-01T09:30:52.592567Z","tmms":1285579871592,"tmst":3512348611,"ftime":85224290,"freq":866.349812,"chan":2,"rfch":0,"mid":3,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/6","rssi":-35,"lsnr":5.1,"foff":-3313,"size":32,"data":"+DS4CGaDCdG+48eJNM3Vai+zDpsR71Pn9CPA9uCON84="}]}"#
    );
}

#[test]
fn semtech_stat_example_v1() {
    // packet_forwarder PROTOCOL.TXT (v1 layout, sent here as version 1).
    let json = r#"{"stat":{
	"time":"2014-01-12 08:59:28 GMT",
	"lati":46.24000,
	"long":3.25230,
	"alti":145,
	"rxnb":2,
	"rxok":2,
	"rxfw":2,
	"ackr":100.0,
	"dwnb":2,
	"txnb":2
}}"#;
    let p = decode_push(&push_data(1, [0, 1], json));
    assert_eq!(p.version, ProtocolVersion::V1);
    assert!(p.rxpk.is_empty());
    let s = p.stat.clone().unwrap();
    assert_eq!(s.time.unwrap().unix_seconds, 1_389_517_168);
    assert_eq!(s.lati, Some(46.24));
    assert_eq!(s.long, Some(3.2523));
    assert_eq!(s.alti, Some(145));
    assert_eq!(s.ackr, Some(100.0));
    let mut out = Vec::new();
    Packet::PushData(p.clone()).encode(&mut out).unwrap();
    assert_eq!(out[..12], [1, 0, 1, 0, 0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]);
    assert_eq!(
        body(&Packet::PushData(p)),
        r#"{"stat":{"time":"2014-01-12 08:59:28 GMT","lati":46.24,"long":3.2523,"alti":145,"rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2}}"#
    );
}

#[test]
fn tts_status_raw() {
    let json = r#"{"stat":{"rxfw":0,"hal":"5.1.0","fpga":2,"dsp":31,"lpps":2,"lmnw":3,"lmst":1,"lmok":3,"temp":30.5,"lati":52.34223,"long":5.29685,"txnb":0,"dwnb":0,"alti":66,"rxok":0,"boot":"2017-06-07 09:40:42 GMT","time":"2017-06-08 09:40:42 GMT","rxnb":0,"ackr":0.0}}"#;
    let p = decode_push(&push_data(2, [0, 0], json));
    let s = p.stat.clone().unwrap();
    assert_eq!(s.hal.as_deref(), Some("5.1.0"));
    assert_eq!((s.fpga, s.dsp), (Some(2), Some(31)));
    assert_eq!(
        (s.lpps, s.lmnw, s.lmst, s.lmok),
        (Some(2), Some(3), Some(1), Some(3))
    );
    assert_eq!(s.temp, Some(30.5));
    assert_eq!(s.boot.unwrap().unix_seconds, 1_496_828_442);
    assert_eq!(s.time.unwrap().unix_seconds, 1_496_914_842);
    assert!(s.extra.is_empty());
    assert_eq!(
        body(&Packet::PushData(p)),
        r#"{"stat":{"time":"2017-06-08 09:40:42 GMT","boot":"2017-06-07 09:40:42 GMT","lati":52.34223,"long":5.29685,"alti":66,"rxnb":0,"rxok":0,"rxfw":0,"ackr":0.0,"dwnb":0,"txnb":0,"temp":30.5,"lpps":2,"lmnw":3,"lmst":1,"lmok":3,"hal":"5.1.0","fpga":2,"dsp":31}}"#
    );
}

#[test]
fn tts_lora_and_lrfhss_rxpk() {
    let json = r#"{"rxpk":[{"tmst":368384825,"chan":0,"rfch":0,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":-11,"rssi":-107,"size":108,"data":"Wqish6GV"},{"tmst":1,"freq":868.1,"modu":"LR-FHSS","datr":"M0CW125","codr":"4/6","hpw":52,"data":"Wqish6GV"}]}"#;
    let p = decode_push(&push_data(2, [0, 0], json));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    let r = &p.rxpk[0];
    assert_eq!(r.freq.hz(), 868_100_000);
    assert_eq!(r.tmst, 368_384_825);
    assert_eq!(r.stat, Some(CrcStatus::Ok));
    assert_eq!(r.lsnr, Some(-11.0));
    assert_eq!(r.rssi, Some(-107.0));
    assert_eq!(r.data, [0x5a, 0xa8, 0xac, 0x87, 0xa1, 0x95]);
    let l = &p.rxpk[1];
    assert_eq!(
        l.datr,
        DataRate::LrFhss {
            modulation_type: 0,
            operating_channel_width_khz: 125
        }
    );
    assert_eq!(l.hpw, Some(52));
    assert_eq!(l.codr, Some(CodingRate::Cr4_6));
    assert_eq!(
        body(&Packet::PushData(p)),
        r#"{"rxpk":[{"tmst":368384825,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-107,"lsnr":-11.0,"size":6,"data":"Wqish6GV"},{"tmst":1,"freq":868.1,"modu":"LR-FHSS","datr":"M0CW125","codr":"4/6","hpw":52,"size":6,"data":"Wqish6GV"}]}"#
    );
}

#[test]
fn tts_multi_antenna_rsig() {
    let json = r#"{"rxpk":[{"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","rfch":0,"freq":868.5,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":24,"data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD","aesk":42,"brd":1,"rsig":[{"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"rssisd":0,"ftime":1255738435,"foff":-8898,"ft2d":-251,"rfbsb":100,"rs2s1":97},{"ant":1,"chan":23,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-88,"rssic":-93,"rssisd":0,"ftime":1252538436,"foff":-8898}]}]}"#;
    let p = decode_push(&push_data(2, [0, 0], json));
    let r = &p.rxpk[0];
    assert_eq!(r.aesk, Some(42));
    assert_eq!(r.brd, Some(1));
    assert_eq!(
        r.data,
        [
            0x80, 0xcf, 0x80, 0x31, 0x07, 0x00, 0xbe, 0x04, 0x01, 0x96, 0x88, 0x67, 0x94, 0x9a,
            0x94, 0x18, 0xe2, 0x4a, 0x4c, 0x3b, 0x93, 0xb1, 0xc4, 0x03
        ]
    );
    assert_eq!(r.rsig.len(), 2);
    let a0 = &r.rsig[0];
    assert_eq!(
        a0.etime.as_deref(),
        Some(
            &[
                0xe3, 0x64, 0x0c, 0xcc, 0xe9, 0x58, 0x49, 0x23, 0xcc, 0x31, 0xea, 0x95, 0x3e, 0xb6,
                0x34, 0x7d
            ][..]
        )
    );
    assert_eq!((a0.ant, a0.chan), (Some(0), Some(7)));
    assert_eq!(
        (a0.rssic, a0.rssis, a0.rssisd),
        (Some(-95), Some(-92), Some(0))
    );
    assert_eq!(
        (a0.ftime, a0.foff, a0.lsnr),
        (Some(1_255_738_435), Some(-8898), Some(14.0))
    );
    let a1 = &r.rsig[1];
    assert_eq!(
        (a1.ant, a1.chan, a1.rssic, a1.rssis),
        (Some(1), Some(23), Some(-93), Some(-88))
    );
    assert_eq!(a1.ftime, Some(1_252_538_436));
}

#[test]
fn sx1302_txpk_examples_exact() {
    let mut lora = vec![2, 0xAB, 0xCD, 3];
    lora.extend_from_slice(br#"{"txpk":{"imme":true,"freq":864.123456,"rfch":0,"powe":14,"modu":"LORA","datr":"SF11BW125","codr":"4/6","ipol":false,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}}"#);
    let Packet::PullResp(p) = Packet::decode(&lora).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert_eq!(p.token, 0xABCD);
    assert_eq!(p.txpk.timing, TxTiming::Immediate);
    assert_eq!(p.txpk.freq.hz(), 864_123_456);
    assert_eq!(p.txpk.powe, Some(14));
    assert_eq!(p.txpk.ipol, Some(false));
    assert_eq!(p.txpk.data.len(), 32);
    let mut out = Vec::new();
    Packet::PullResp(p).encode(&mut out).unwrap();
    let mut expected = vec![2, 0xAB, 0xCD, 3];
    expected.extend_from_slice(br#"{"txpk":{"imme":true,"freq":864.123456,"rfch":0,"powe":14,"modu":"LORA","datr":"SF11BW125","codr":"4/6","ipol":false,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8s="}}"#);
    assert_eq!(out, expected);

    let mut fsk = vec![2, 0, 1, 3];
    fsk.extend_from_slice(br#"{"txpk":{"imme":true,"freq":861.3,"rfch":0,"powe":12,"modu":"FSK","datr":50000,"fdev":3000,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}}"#);
    let Packet::PullResp(p) = Packet::decode(&fsk).unwrap() else {
        panic!("not PULL_RESP")
    };
    assert_eq!(p.txpk.datr, DataRate::Fsk { bit_rate: 50_000 });
    assert_eq!(p.txpk.fdev, Some(3000));
    assert_eq!(
        body(&Packet::PullResp(p)),
        r#"{"txpk":{"imme":true,"freq":861.3,"rfch":0,"powe":12,"modu":"FSK","datr":50000,"fdev":3000,"size":32,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8s="}}"#
    );
}

#[test]
fn tts_downlink_sf10bw500_exact() {
    // translation_test.go FromDownlinkMessage: 925.7 MHz, tmst 1886440700, payload 7df38e.
    let txpk = Txpk {
        timing: TxTiming::Timestamp(1_886_440_700),
        freq: Frequency::from_hz(925_700_000),
        rfch: 0,
        powe: Some(20),
        ant: None,
        brd: None,
        datr: DataRate::Lora {
            spreading_factor: 10,
            bandwidth: Bandwidth::Khz500,
        },
        codr: Some(CodingRate::Cr4_5),
        fdev: None,
        ipol: Some(true),
        prea: None,
        ncrc: Some(true),
        nhdr: None,
        data: vec![0x7d, 0xf3, 0x8e],
    };
    let packet = Packet::PullResp(PullResp {
        version: ProtocolVersion::V2,
        token: 7,
        txpk,
    });
    assert_eq!(
        body(&packet),
        r#"{"txpk":{"imme":false,"tmst":1886440700,"freq":925.7,"rfch":0,"powe":20,"modu":"LORA","datr":"SF10BW500","codr":"4/5","ipol":true,"ncrc":true,"size":3,"data":"ffOO"}}"#
    );
}

#[test]
fn tx_ack_bodies() {
    let mut d = vec![2, 0x11, 0x22, 5];
    d.extend_from_slice(&EUI);
    let with = |json: &[u8]| {
        let mut x = d.clone();
        x.extend_from_slice(json);
        match Packet::decode(&x).unwrap() {
            Packet::TxAck(t) => t,
            other => panic!("{other:?}"),
        }
    };
    let t = with(br#"{"txpk_ack":{"error":"COLLISION_PACKET"}}"#);
    assert_eq!(t.token, 0x1122);
    assert_eq!(t.ack.error, Some(TxError::CollisionPacket));
    let t = with(br#"{"txpk_ack":{"warn":"TX_POWER","value":20}}"#);
    assert!(t.ack.is_success());
    assert_eq!(t.ack.warn, Some(TxWarning::TxPower));
    assert_eq!(t.ack.value, Some(AckValue::Number(20)));
    assert_eq!(
        body(&Packet::TxAck(t)),
        r#"{"txpk_ack":{"warn":"TX_POWER","value":20}}"#
    );
    let t = with(br#"{"txpk_ack":{"error":"NONE"}}"#);
    assert!(t.ack.is_plain_success());
    // Success is sent with no JSON, like the reference forwarder.
    assert_eq!(body(&Packet::TxAck(t)), "");
    assert!(with(b"").ack.is_plain_success());
}

#[test]
fn binary_framing_vectors() {
    // TTS udp_test.go TestRawData.
    assert!(matches!(
        Packet::decode(&[0x01, 0x02]),
        Err(DecodeError::TooShort { len: 2, .. })
    ));
    assert!(matches!(
        Packet::decode(&[0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01]),
        Err(DecodeError::TooShort { needed: 12, .. })
    ));
    assert_eq!(
        Packet::decode(&[0x01, 0x00, 0x00, 0x01]).unwrap(),
        Packet::PushAck(Ack {
            version: ProtocolVersion::V1,
            token: 0
        })
    );
    let p = Packet::decode(&[
        0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ])
    .unwrap();
    assert_eq!(
        p,
        Packet::PushData(PushData {
            version: ProtocolVersion::V1,
            token: 0,
            gateway: GatewayEui([1, 2, 3, 4, 5, 6, 7, 8]),
            rxpk: vec![],
            stat: None,
            rejected: vec![],
        })
    );
    // PULL_DATA encodes to exactly the documented 12 bytes; ACKs to 4.
    let mut out = Vec::new();
    Packet::PullData(PullData {
        version: ProtocolVersion::V2,
        token: 0xBEEF,
        gateway: GatewayEui(EUI),
    })
    .encode(&mut out)
    .unwrap();
    assert_eq!(out, [2, 0xBE, 0xEF, 2, 0xAA, 0x55, 0x5A, 0, 0, 0, 1, 1]);
    Packet::PullAck(Ack {
        version: ProtocolVersion::V1,
        token: 0x0102,
    })
    .encode(&mut out)
    .unwrap();
    assert_eq!(out, [1, 1, 2, 4]);
    assert!(matches!(
        Packet::decode(&[2, 0, 0, 4, b'x']),
        Err(DecodeError::TrailingBytes { extra: 1, .. })
    ));
    // A C-string terminator after a PULL_ACK is tolerated.
    assert!(matches!(
        Packet::decode(&[2, 0, 0, 4, 0]),
        Ok(Packet::PullAck(_))
    ));
    assert!(matches!(
        Packet::decode(&[2, 0, 0, 3]),
        Err(DecodeError::MissingBody(PacketType::PullResp))
    ));
    let err = Packet::decode(&push_data(2, [0, 0], "{nope")).unwrap_err();
    assert!(err.to_string().starts_with("PUSH_DATA body: "), "{err}");
}

#[test]
fn bench_datagrams_decode_and_pull_resp_encodes_minimal() {
    let one = include_str!("data/push_data_1rxpk.json");
    let p = decode_push(&push_data(2, [0x12, 0x34], one.trim()));
    assert_eq!(p.rxpk.len(), 1);
    assert_eq!(p.rxpk[0].rssis, Some(-46));
    let eight = include_str!("data/push_data_8rxpk.json");
    let p = decode_push(&push_data(2, [0x12, 0x34], eight.trim()));
    assert_eq!(p.rxpk.len(), 8);
    assert_eq!(p.rxpk[7].freq.hz(), 867_900_000);
    let stat = include_str!("data/push_data_stat.json");
    let p = decode_push(&push_data(2, [0x12, 0x34], stat.trim()));
    assert_eq!(p.stat.as_ref().unwrap().temp, Some(23.2));

    let resp = include_str!("data/pull_resp_txpk.json");
    let mut d = vec![2, 0x12, 0x34, 3];
    d.extend_from_slice(resp.trim().as_bytes());
    let packet = Packet::decode(&d).unwrap();
    assert_eq!(
        body(&packet),
        r#"{"txpk":{"imme":false,"tmst":3513348611,"freq":868.1,"rfch":0,"powe":14,"ant":0,"brd":0,"modu":"LORA","datr":"SF7BW125","codr":"4/5","ipol":true,"size":23,"data":"QF4SCyaAEgQBgNo0juhCnPZQqsWUh/Q="}}"#
    );
}
