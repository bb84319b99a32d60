//! Every numeric field of every JSON message (Basics Station both directions, Semtech UDP
//! rxpk/stat/txpk/txpk_ack) filled with extreme numbers (±1e300, f64/i64/u64 limits and one
//! past them, -1, 0, NaN spellings...) and fed to the decoders, the sessions and the gateway-io
//! adapters. Invariants: no panic (overflow checks are on in fuzz builds); decode → encode →
//! decode → encode is stable; the adapters never produce more `rx_metadata` than
//! `MAX_RX_METADATA` or a non-finite `snr`/`rssi`.
#![no_main]

#[path = "common/numbers.rs"]
mod numbers;

use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_basicstation::lns::{LnsConfig, LnsSession};
use loragw_basicstation::message::{decode_down, decode_up};
use loragw_basicstation::region::Region;
use loragw_basicstation::router_config::RouterConfig;
use loragw_basicstation::station::{StationConfig, StationSession};
use loragw_gateway_io::adapter::{lbs, udp};
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::ttnpb::UplinkMessage;
use loragw_mqtt_v3::codec::{MAX_RX_METADATA, validate_uplink};
use loragw_semtech_udp::Packet;
use numbers::{LBS_DOWN, LBS_UP, Num, UDP, splice};

#[derive(Arbitrary, Debug)]
struct Input {
    which: u8,
    nums: Vec<Num>,
    advance_ms: u32,
}

const STATION_CONFIG: &str = r#"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0]],"MuxTime":1795585800.0}"#;
const VERSION: &str = r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#;

fn check_uplink(up: &UplinkMessage) {
    assert!(
        up.rx_metadata.len() <= MAX_RX_METADATA,
        "{} rx_metadata",
        up.rx_metadata.len()
    );
    assert!(validate_uplink(up).is_ok());
    for md in &up.rx_metadata {
        assert!(md.snr.is_finite() && md.rssi.is_finite() && md.channel_rssi.is_finite());
    }
}

fn lbs_up(text: &str, later: Duration) {
    let mut first = String::new();
    let mut second = String::new();
    if let Ok(msg) = decode_up(text) {
        if msg.encode(&mut first).is_ok() {
            let again = decode_up(&first).expect("an encoded up message decodes");
            again.encode(&mut second).expect("re-encoding succeeds");
            assert_eq!(first, second);
        }
        let gw = GatewayIds::new("fuzz-gw", None);
        if let Ok(up) = lbs::up_message_to_uplink(&gw, &msg, Region::Eu868, None) {
            check_uplink(&up);
        }
    }
    let t0 = Instant::now();
    let mut s = LnsSession::new(LnsConfig {
        router_config: Some(
            RouterConfig {
                region: "EU868".into(),
                hwspec: "sx1301/1".into(),
                drs: vec![[12, 125, 0], [11, 125, 0], [7, 125, 0]],
                ..RouterConfig::default()
            }
            .into(),
        ),
        ..LnsConfig::default()
    });
    let unix = 1_795_585_800.0;
    s.handle_message(t0, unix, VERSION);
    s.handle_message(t0, unix, text);
    let later_unix = unix + later.as_secs_f64();
    s.handle_timeout(t0 + later, later_unix);
    let mut buf = String::new();
    while s.poll_transmit(&mut buf) {
        decode_down(&buf).expect("the LNS writes decodable messages");
    }
    while s.poll_event().is_some() {}
}

fn lbs_down(text: &str, later: Duration) {
    let mut first = String::new();
    let mut second = String::new();
    if let Ok(msg) = decode_down(text)
        && msg.encode(&mut first).is_ok()
    {
        let again = decode_down(&first).expect("an encoded down message decodes");
        again.encode(&mut second).expect("re-encoding succeeds");
        assert_eq!(first, second);
    }
    let t0 = Instant::now();
    let mut s = StationSession::new(
        StationConfig {
            timesync_interval: Some(Duration::from_secs(5)),
            ..StationConfig::default()
        },
        t0,
    );
    s.handle_message(t0, STATION_CONFIG);
    s.handle_timeout(t0);
    s.handle_message(t0 + Duration::from_millis(1), text);
    let _ = s.gps_time(t0 + later);
    let _ = s.ref_time(t0 + later);
    s.handle_timeout(t0 + later);
    let mut buf = String::new();
    while s.poll_transmit(&mut buf) {
        decode_up(&buf).expect("the station writes decodable messages");
    }
    while s.poll_event().is_some() {}
}

fn udp_datagram(kind: u8, body: &str) {
    let mut d = vec![2, 0x42, 0x24, kind];
    if kind != 3 {
        d.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    }
    d.extend_from_slice(body.as_bytes());
    let Ok(mut first) = Packet::decode(&d) else {
        return;
    };
    let gw = GatewayIds::new("fuzz-gw", None);
    match &mut first {
        Packet::PushData(p) => {
            assert!(p.rxpk.len() <= loragw_semtech_udp::MAX_RXPK);
            for r in &p.rxpk {
                assert!(r.rsig.len() <= loragw_semtech_udp::MAX_RSIG);
            }
            let (ups, _) = udp::rxpks_to_uplinks(&gw, &p.rxpk, None);
            ups.iter().for_each(check_uplink);
            if let Some(stat) = &p.stat {
                let status = udp::stat_to_status(stat, None);
                assert!(status.metrics.values().all(|v| v.is_finite()));
            }
            p.rejected.clear();
        }
        Packet::PullResp(p) => {
            let _ = udp::txpk_to_downlink(&p.txpk);
        }
        Packet::TxAck(a) => {
            let _ = udp::txpk_ack_to_tx_ack(&a.ack);
        }
        _ => {}
    }
    let mut out = Vec::new();
    if first.encode(&mut out).is_err() {
        return;
    }
    let second = Packet::decode(&out).expect("an encoded datagram decodes");
    assert_eq!(second, first, "decode(encode(x)) != x");
}

fuzz_target!(|input: Input| {
    let nums = &input.nums[..input.nums.len().min(128)];
    let later = Duration::from_millis(u64::from(input.advance_ms));
    let total = LBS_UP.len() + LBS_DOWN.len() + UDP.len();
    let i = usize::from(input.which) % total;
    if i < LBS_UP.len() {
        lbs_up(&splice(LBS_UP[i], nums), later);
    } else if i < LBS_UP.len() + LBS_DOWN.len() {
        lbs_down(&splice(LBS_DOWN[i - LBS_UP.len()], nums), later);
    } else {
        let (kind, template) = UDP[i - LBS_UP.len() - LBS_DOWN.len()];
        udp_datagram(kind, &splice(template, nums));
    }
});
