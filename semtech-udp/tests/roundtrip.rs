//! Property tests: every message type survives encode → decode unchanged, and what decodes
//! re-encodes to something that decodes to the same value.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use loragw_semtech_udp::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

fn version() -> impl Strategy<Value = ProtocolVersion> {
    prop_oneof![Just(ProtocolVersion::V1), Just(ProtocolVersion::V2)]
}

fn eui() -> impl Strategy<Value = GatewayEui> {
    any::<[u8; 8]>().prop_map(GatewayEui)
}

/// Finite floats as a forwarder would print them (any finite value must survive).
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-2000i32..2000).prop_map(|v| f64::from(v) / 10.0),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0i64..253_402_300_799, 0u32..1_000_000_000).prop_map(|(s, n)| Timestamp::new(s, n).unwrap())
}

fn data_rate() -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (5u8..=12, proptest::sample::select(Bandwidth::ALL.to_vec())).prop_map(|(sf, bw)| {
            DataRate::Lora {
                spreading_factor: sf,
                bandwidth: bw,
            }
        }),
        any::<u32>().prop_map(|bit_rate| DataRate::Fsk { bit_rate }),
        (any::<u8>(), any::<u32>()).prop_map(|(m, cw)| DataRate::LrFhss {
            modulation_type: m,
            operating_channel_width_khz: cw
        }),
    ]
}

fn coding_rate() -> impl Strategy<Value = CodingRate> {
    prop_oneof![
        Just(CodingRate::Cr4_5),
        Just(CodingRate::Cr4_6),
        Just(CodingRate::Cr4_7),
        Just(CodingRate::Cr4_8),
        Just(CodingRate::Cr1_3),
        Just(CodingRate::Cr2_3),
        Just(CodingRate::Cr1_2),
        Just(CodingRate::Cr5_6),
        Just(CodingRate::Off),
        "[a-z\"\\\\é ]{1,6}".prop_map(CodingRate::Other),
    ]
}

fn freq() -> impl Strategy<Value = Frequency> {
    // Never 0: an `rxpk` on 0 Hz is rejected.
    (1u64..=MAX_FREQUENCY_HZ).prop_map(Frequency::from_hz)
}

fn rsig() -> impl Strategy<Value = Rsig> {
    (
        (option::of(any::<u8>()), option::of(any::<u8>())),
        (
            option::of(any::<i16>()),
            option::of(any::<i16>()),
            option::of(any::<u16>()),
        ),
        option::of(float()),
        option::of(vec(any::<u8>(), 0..20)),
        (
            option::of(any::<u32>()),
            option::of(any::<i32>()),
            option::of(any::<i32>()),
        ),
    )
        .prop_map(
            |((ant, chan), (rssic, rssis, rssisd), lsnr, etime, (ftime, foff, fdri))| Rsig {
                ant,
                chan,
                rssic,
                rssis,
                rssisd,
                lsnr,
                etime,
                ftime,
                foff,
                fdri,
            },
        )
}

fn rxpk() -> impl Strategy<Value = Rxpk> {
    (
        (
            option::of(timestamp()),
            option::of(any::<u64>()),
            any::<u32>(),
            option::of(any::<u32>()),
            freq(),
        ),
        (
            option::of(any::<u8>()),
            option::of(any::<u8>()),
            option::of(any::<u16>()),
            option::of(any::<u32>()),
            option::of(any::<u8>()),
        ),
        (
            option::of(prop_oneof![
                Just(CrcStatus::Ok),
                Just(CrcStatus::Fail),
                Just(CrcStatus::NoCrc)
            ]),
            data_rate(),
            option::of(coding_rate()),
            option::of(any::<u32>()),
        ),
        (
            // Whole dBm, or tenths (forwarders that report a fractional `rssi`).
            option::of(prop_oneof![
                any::<i16>().prop_map(f64::from),
                (-2000i32..0).prop_map(|v| f64::from(v) / 10.0)
            ]),
            option::of(any::<i16>()),
            option::of(float()),
            option::of(any::<i32>()),
            option::of(any::<u32>()),
        ),
        vec(rsig(), 0..3),
        // A LoRaWAN frame: 1..=255 bytes (empty and longer `data` are rejected).
        vec(any::<u8>(), 1..64),
    )
        .prop_map(
            |(
                (time, tmms, tmst, ftime, freq),
                (chan, rfch, mid, brd, ant),
                (stat, datr, codr, hpw),
                (rssi, rssis, lsnr, foff, aesk),
                rsig,
                data,
            )| Rxpk {
                time,
                tmms,
                tmst,
                ftime,
                freq,
                chan,
                rfch,
                mid,
                brd,
                ant,
                stat,
                datr,
                codr,
                hpw,
                rssi,
                rssis,
                lsnr,
                foff,
                aesk,
                rsig,
                data,
            },
        )
}

fn stat() -> impl Strategy<Value = Stat> {
    (
        (option::of(timestamp()), option::of(timestamp())),
        (
            option::of(float()),
            option::of(float()),
            option::of(any::<i32>()),
        ),
        (
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(float()),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
        ),
        option::of(float()),
        (
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
        ),
        (
            option::of(".{0,8}"),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(
                (
                    option::of(any::<u32>()),
                    option::of(any::<u32>()),
                    option::of(any::<u32>()),
                )
                    .prop_map(|(fpga, dsp0, dsp1)| HardwareVersions {
                        fpga,
                        dsp0,
                        dsp1,
                    }),
            ),
        ),
        (
            option::of(".{0,8}"),
            option::of(".{0,8}"),
            option::of(".{0,8}"),
        ),
        vec(("x[a-z\"]{1,6}", any::<i32>()), 0..3),
    )
        .prop_map(
            |(
                (time, boot),
                (lati, long, alti),
                (rxnb, rxok, rxfw, ackr, dwnb, txnb),
                temp,
                (lpps, lmnw, lmst, lmok),
                (hal, fpga, dsp, hver),
                (pfrm, mail, desc),
                extras,
            )| {
                let mut extra: Vec<(String, String)> = Vec::new();
                for (k, v) in extras {
                    if !extra.iter().any(|(e, _)| *e == k) {
                        extra.push((k, format!("[{v},\"\\u00e9\"]")));
                    }
                }
                Stat {
                    time,
                    boot,
                    lati,
                    long,
                    alti,
                    rxnb,
                    rxok,
                    rxfw,
                    ackr,
                    dwnb,
                    txnb,
                    temp,
                    lpps,
                    lmnw,
                    lmst,
                    lmok,
                    hal,
                    fpga,
                    dsp,
                    hver,
                    pfrm,
                    mail,
                    desc,
                    extra,
                }
            },
        )
}

fn txpk() -> impl Strategy<Value = Txpk> {
    (
        prop_oneof![
            Just(TxTiming::Immediate),
            any::<u32>().prop_map(TxTiming::Timestamp),
            any::<u64>().prop_map(TxTiming::GpsTime),
        ],
        freq(),
        any::<u8>(),
        (
            option::of(any::<i8>()),
            option::of(any::<u8>()),
            option::of(any::<u32>()),
        ),
        data_rate(),
        option::of(coding_rate()),
        (
            option::of(any::<u32>()),
            option::of(any::<bool>()),
            option::of(any::<u16>()),
            option::of(any::<bool>()),
            option::of(any::<bool>()),
        ),
        vec(any::<u8>(), 0..256),
    )
        .prop_map(
            |(
                timing,
                freq,
                rfch,
                (powe, ant, brd),
                datr,
                codr,
                (fdev, ipol, prea, ncrc, nhdr),
                data,
            )| {
                Txpk {
                    timing,
                    freq,
                    rfch,
                    powe,
                    ant,
                    brd,
                    datr,
                    codr,
                    fdev,
                    ipol,
                    prea,
                    ncrc,
                    nhdr,
                    data,
                }
            },
        )
}

fn txpk_ack() -> impl Strategy<Value = TxpkAck> {
    (
        option::of(prop_oneof![
            Just(TxError::TooLate),
            Just(TxError::TooEarly),
            Just(TxError::CollisionPacket),
            Just(TxError::CollisionBeacon),
            Just(TxError::TxFreq),
            Just(TxError::TxPower),
            Just(TxError::GpsUnlocked),
            "[a-z]{1,8}".prop_map(TxError::Other),
        ]),
        option::of(prop_oneof![
            Just(TxWarning::TxPower),
            "[a-z]{1,8}".prop_map(TxWarning::Other)
        ]),
        option::of(prop_oneof![
            any::<i64>().prop_map(AckValue::Number),
            ".{0,8}".prop_map(AckValue::Text)
        ]),
    )
        .prop_map(|(error, warn, value)| TxpkAck { error, warn, value })
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (
            version(),
            any::<u16>(),
            eui(),
            vec(rxpk(), 0..4),
            option::of(stat())
        )
            .prop_map(
                |(version, token, gateway, rxpk, stat)| Packet::PushData(PushData {
                    version,
                    token,
                    gateway,
                    rxpk,
                    stat: stat.map(Box::new),
                    rejected: vec![],
                })
            ),
        (version(), any::<u16>())
            .prop_map(|(version, token)| Packet::PushAck(Ack { version, token })),
        (version(), any::<u16>(), eui()).prop_map(|(version, token, gateway)| {
            Packet::PullData(PullData {
                version,
                token,
                gateway,
            })
        }),
        (version(), any::<u16>(), txpk()).prop_map(|(version, token, txpk)| Packet::PullResp(
            PullResp {
                version,
                token,
                txpk
            }
        )),
        (version(), any::<u16>())
            .prop_map(|(version, token)| Packet::PullAck(Ack { version, token })),
        (version(), any::<u16>(), eui(), txpk_ack()).prop_map(|(version, token, gateway, ack)| {
            Packet::TxAck(TxAck {
                version,
                token,
                gateway,
                ack,
            })
        }),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(p in packet()) {
        let mut out = Vec::new();
        p.encode(&mut out).unwrap();
        let back = Packet::decode(&out).unwrap();
        prop_assert_eq!(back, p);
    }

    #[test]
    fn decode_never_panics_and_reencodes(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(p) = Packet::decode(&bytes) {
            let mut out = Vec::new();
            if p.encode(&mut out).is_ok() {
                let mut back = Packet::decode(&out).unwrap();
                if let (Packet::PushData(b), Packet::PushData(_)) = (&mut back, &p) {
                    b.rejected.clear();
                }
                let mut p = p;
                if let Packet::PushData(a) = &mut p {
                    a.rejected.clear();
                }
                prop_assert_eq!(back, p);
            }
        }
    }
}

/// Real datagrams with a few bytes changed: whatever still decodes must survive a round trip.
fn mutated_datagram() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = [
        (0u8, include_str!("data/push_data_1rxpk.json")),
        (0, include_str!("data/push_data_stat.json")),
        (3, include_str!("data/pull_resp_txpk.json")),
        (0, r#"{"rxpk":[{"tmst":879148780,"time":"2017-07-04T13:51:17.997099Z","freq":868.5,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","data":"gM+AMQcAvgQBlohnlJqUGOJKTDuTscQD","aesk":42,"rsig":[{"ant":0,"chan":7,"lsnr":14,"etime":"42QMzOlYSSPMMeqVPrY0fQ==","rssis":-92,"rssic":-95,"rssisd":0,"ftime":1255738435,"foff":-8898}]},{"tmst":1,"freq":869.1,"modu":"FSK","datr":50000,"data":"AA=="}],"stat":{"time":"2014-01-12 08:59:28 GMT","hver":{"fpga":1},"x":[1,{"y":null}]}}"#),
        (5, r#"{"txpk_ack":{"warn":"TX_POWER","value":20}}"#),
    ]
    .iter()
    .map(|(kind, json)| {
        let mut d = vec![2, 0x12, 0x34, *kind];
        if *kind != 3 {
            d.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        }
        d.extend_from_slice(json.trim().as_bytes());
        d
    })
    .collect();
    (
        proptest::sample::select(seeds),
        vec(
            (
                any::<prop::sample::Index>(),
                prop_oneof![
                    Just(b'"'),
                    Just(b'\\'),
                    Just(b'{'),
                    Just(b'}'),
                    Just(b','),
                    Just(b'0'),
                    Just(b'-'),
                    Just(b'.'),
                    Just(b'e'),
                    Just(b'n'),
                    any::<u8>()
                ],
            ),
            1..4,
        ),
    )
        .prop_map(|(mut d, edits)| {
            for (at, byte) in edits {
                let i = at.index(d.len());
                d[i] = byte;
            }
            d
        })
}

proptest! {
    #[test]
    fn mutated_datagrams_round_trip(bytes in mutated_datagram()) {
        if let Ok(mut p) = Packet::decode(&bytes) {
            if let Packet::PushData(a) = &mut p {
                a.rejected.clear();
            }
            let mut out = Vec::new();
            if p.encode(&mut out).is_ok() {
                let back = Packet::decode(&out).unwrap();
                prop_assert_eq!(back, p);
            }
        }
    }
}
