//! The Tabs Hubs conversion vectors of the reference notes (tabs-hubs.md §10.2, §10.3, §10.5,
//! §10.6) and the clock-sync rules of downlinks.

use std::time::Instant;

use loragw_basicstation::tabs::{TabsConfig, TabsEvent, TabsSession, TabsUplink, TabsVersion};
use loragw_ttnpb::message::Payload;
use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{
    Class, DataRate, DownlinkMessage, DownlinkPath, FCtrl, JoinRequestPayload, Timestamp,
    TxRequest, TxSettings, UplinkToken, downlink_path,
};

use super::*;
use crate::ids::GatewayIds;

const XTIME: i64 = 12_666_373_963_464_220;
const JREQ: &str = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"rssi":89,"snr":9.25}}"#;
const UPDF: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":287454020,"FCtrl":48,"Fcnt":25,"FOpts":"FD","FPort":0,"FRMPayload":"5fcc","MIC":12345678,"RefTime":0,"regionid":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rctx":1,"xtime":12666373963464220,"rssi":-89.5,"snr":9.25}}"#;

fn gw() -> GatewayIds {
    GatewayIds::new("eui-1122334455667788", None)
}

fn uplink_of(text: &str) -> TabsUplink {
    let mut s = TabsSession::new(TabsConfig::default());
    s.handle_message(1.0, text);
    loop {
        match s.poll_event() {
            Some(TabsEvent::Uplink(up)) => return *up,
            Some(_) => {}
            None => panic!("no uplink from {text}"),
        }
    }
}

#[test]
fn jreq_vector() {
    let up = uplink_to_message(&gw(), &uplink_of(JREQ), Region::Eu868, None).unwrap();
    let payload = up.payload.as_ref().unwrap();
    assert_eq!(payload.mic, [0x4E, 0x61, 0xBC, 0x00]);
    assert_eq!(
        payload.payload,
        Some(Payload::JoinRequestPayload(JoinRequestPayload {
            join_eui: vec![0x22; 8],
            dev_eui: vec![0x11; 8],
            dev_nonce: vec![0x46, 0x50],
        }))
    );
    let settings = up.settings.as_ref().unwrap();
    assert_eq!(settings.data_rate, Some(DataRate::lora(11, 125_000, "4/5")));
    assert_eq!(settings.frequency, 868_300_000);
    assert_eq!(settings.timestamp, 11_484_700);
    let time = Some(Timestamp {
        seconds: 1_548_059_982,
        nanos: 0,
    });
    assert_eq!(settings.time, time);
    let md = &up.rx_metadata[0];
    assert_eq!((md.rssi, md.channel_rssi, md.snr), (89.0, 89.0, 9.25));
    assert_eq!((md.timestamp, md.time), (11_484_700, time));
    assert_eq!(md.gateway_ids, Some(gw().to_ttnpb()));
}

#[test]
fn updf_vector_keeps_rssi_fraction_and_antenna() {
    let up = uplink_to_message(&gw(), &uplink_of(UPDF), Region::Eu868, None).unwrap();
    assert_eq!(
        up.raw_payload,
        [
            0x40, 0x44, 0x33, 0x22, 0x11, 0x31, 0x19, 0x00, 0xFD, 0x00, 0x5F, 0xCC, 0x4E, 0x61,
            0xBC, 0x00
        ]
    );
    let p = up.payload.as_ref().unwrap();
    assert_eq!(p.m_hdr.as_ref().map(|m| (m.m_type, m.major)), Some((2, 0)));
    let Some(Payload::MacPayload(mac)) = &p.payload else {
        panic!("no MACPayload")
    };
    let fhdr = mac.f_hdr.as_ref().unwrap();
    assert_eq!((fhdr.f_cnt, fhdr.f_opts.as_slice()), (25, &[0xFD][..]));
    assert_eq!(
        fhdr.f_ctrl,
        Some(FCtrl {
            ack: true,
            class_b: true,
            ..Default::default()
        })
    );
    let md = &up.rx_metadata[0];
    // The Things Stack reads only `rtcx` (antenna 0) and truncates nothing; here `rctx` counts
    // and the RSSI keeps its half dB.
    assert_eq!(
        (md.antenna_index, md.rssi, md.channel_rssi),
        (1, -89.5, -89.5)
    );
}

#[test]
fn version_status() {
    let status = version_to_status(
        &TabsVersion {
            station: "test".into(),
            firmware: "2.0.0".into(),
        },
        Some(Timestamp {
            seconds: 5,
            nanos: 0,
        }),
    );
    assert_eq!(status.versions["platform"], "TabsHubs - Firmware 2.0.0");
    assert_eq!(status.versions["station"], "test");
    assert_eq!(status.versions["firmware"], "2.0.0");
    assert_eq!(status.time.map(|t| t.seconds), Some(5));
}

fn scheduled(timestamp: u32, time: Option<Timestamp>) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: b"Ymxhamthc25kJ3M==".to_vec(),
        correlation_ids: vec!["correlation1".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(10, 125_000, "4/5")),
            frequency: 868_500_000,
            timestamp,
            time,
            ..Default::default()
        })),
        ..Default::default()
    }
}

#[test]
fn downlinks_need_clock_sync() {
    let mut ctx = TabsDownlinkContext {
        region: Region::Eu868,
        reference: None,
        now_unix_us: 1_554_300_787_000_000,
    };
    let err = downlink_to_tabs(&scheduled(1_553_300_787, None), &ctx).unwrap_err();
    assert!(err.to_string().contains("no clock sync"), "{err}");
    // §10.6: the uplink's xtime (session 0x11) gives the session and the counter's upper bits.
    let reference = 0x11_i64 << 48 | 1_500_000_000;
    ctx.reference = Some((reference, 1_554_300_000_000_000));
    let d = downlink_to_tabs(&scheduled(1_554_300_785, None), &ctx).unwrap();
    assert_eq!((d.dr, d.freq), (2, 868_500_000));
    assert_eq!(d.pdu, b"Ymxhamthc25kJ3M==");
    assert_eq!(d.concentrator_micros, 1_554_300_785);
    // An absolute time: through the reference uplink's receive time.
    let at = Timestamp {
        seconds: 1_554_300_001,
        nanos: 500_000_000,
    };
    let d = downlink_to_tabs(&scheduled(0, Some(at)), &ctx).unwrap();
    assert_eq!(d.concentrator_micros, 1_500_000_000 + 1_500_000);
    // A TxRequest is the scheduler's to resolve (the frontend does, `reply::schedule`).
    let token = UplinkToken {
        timestamp: 1_500_000_000,
        ..Default::default()
    };
    let request = DownlinkMessage {
        raw_payload: vec![0x60],
        settings: Some(Settings::Request(TxRequest {
            class: Class::A as i32,
            downlink_paths: vec![DownlinkPath {
                path: Some(downlink_path::Path::UplinkToken(token.encode_to_vec())),
            }],
            rx1_delay: 5,
            rx1_data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            rx1_frequency: 868_100_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    let err = downlink_to_tabs(&request, &ctx).unwrap_err();
    assert!(err.to_string().contains("resolved first"), "{err}");
}

/// §10.5: the session's `seqno` matches the `dntxed`, and the acknowledgement carries the
/// downlink's correlation ids; an unknown seqno is not acknowledged.
#[test]
fn tx_acknowledgement() {
    let mut s = TabsSession::new(TabsConfig {
        router_config: Some(Default::default()),
        ..TabsConfig::default()
    });
    s.handle_message(1.0, r#"{"msgtype":"version"}"#);
    s.handle_message(1.0, JREQ);
    let ctx = TabsDownlinkContext {
        region: Region::Eu868,
        reference: Some((XTIME, 0)),
        now_unix_us: 0,
    };
    let mut down = scheduled(11_484_700 + 1_000_000, None);
    down.correlation_ids = vec![
        "i3N84kvunPAS8wOmiEKbhsP62wNMRdmn".into(),
        "deK3h59wUZhR0xb17eumTkauGQxoB5xn".into(),
    ];
    let seqno = s
        .send_downlink(Instant::now(), 2.0, downlink_to_tabs(&down, &ctx).unwrap())
        .unwrap();
    assert_eq!(seqno, 1);
    s.handle_message(3.0, r#"{"msgtype":"dntxed","seqno":1}"#);
    let confirmed = std::iter::from_fn(|| s.poll_event())
        .any(|e| matches!(e, TabsEvent::TxConfirmed { seqno: 1, .. }));
    assert!(confirmed);
    let ack = tx_confirmed_to_ack(Some(&down));
    assert_eq!(ack.correlation_ids, down.correlation_ids);
    assert_eq!(ack.result, TxResult::Success as i32);
    assert_eq!(
        tx_timeout_to_ack(Some(&down)).result,
        TxResult::UnknownError as i32
    );
}

#[test]
fn hub_side_uplink() {
    let up = uplink_to_message(&gw(), &uplink_of(JREQ), Region::Eu868, None).unwrap();
    let (dr, freq, upinfo) = uplink_to_hub(&up, Region::Eu868, 45).unwrap();
    assert_eq!((dr, freq), (1, 868_300_000));
    assert_eq!(upinfo.xtime, XTIME);
    assert_eq!(
        (upinfo.rssi, upinfo.snr, upinfo.rxtime),
        (89.0, 9.25, 1_548_059_982.0)
    );
}
