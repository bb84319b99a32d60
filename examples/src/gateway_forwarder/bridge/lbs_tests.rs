//! The station side of the bridge on a sans-IO session, without sockets: xtime from the
//! rolled-over `tmst`, `dnmsg` → `txpk` with the `tmst` of RX1, RX2 after a refused RX1,
//! `dntxed` after a successful TX_ACK, and downlinks of another xtime session refused.

use std::sync::Arc;
use std::time::{Duration, Instant};

use loragw_basicstation::channel_plan::RouterConfigOptions;
use loragw_gateway_io::adapter::lbs::router_config;
use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_gateway_io::freqplan::FrequencyPlan;
use loragw_semtech_udp::{TxError, TxTiming};
use tokio::sync::mpsc;

use super::super::config::Backoff;
use super::super::link::DownlinkOrder;
use super::*;
use crate::gateway_forwarder::ForwarderOptions;

const SESSION: u8 = 0x42;

fn station() -> (Station, mpsc::Receiver<DownlinkOrder>) {
    let (_commands_tx, commands) = mpsc::channel(4);
    let (downlinks, orders) = mpsc::channel(16);
    let link = UpstreamLink {
        index: 0,
        name: "test".into(),
        downlink: true,
        commands,
        downlinks,
        counters: Arc::default(),
        buffer_capacity: 8,
        backoff: Backoff::new(Duration::from_millis(1), Duration::from_millis(2)),
    };
    let config: UpstreamConfig =
        toml::from_str("protocol = \"lbs\"\naddress = \"ws://127.0.0.1:1\"").unwrap();
    let station = Station {
        buffer: UplinkBuffer::new(8),
        link,
        config,
        eui: GatewayEui::from_u64(1),
        clock: ConcentratorClock::new(),
        session_id: SESSION,
        resets_seen: 0,
        pending: BTreeMap::new(),
        next_key: 0,
        connection: 1,
    };
    (station, orders)
}

/// A session that applied the EU868 `router_config`.
fn connected(station: &mut Station, now: Instant) -> Connected {
    let mut conn = Connected {
        session: StationSession::new(StationConfig::default(), now),
        region: None,
        tx_power: FALLBACK_TX_POWER,
    };
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    let rc = router_config(&[plan], None, &RouterConfigOptions::default()).unwrap();
    conn.session
        .handle_message(now, &rc.to_message_json().unwrap());
    drain_events(station, &mut conn);
    assert_eq!(conn.region, Some(Region::Eu868));
    let mut text = String::new();
    while conn.session.poll_transmit(&mut text) {} // `version`
    conn
}

fn drain_events(station: &mut Station, conn: &mut Connected) {
    while let Some(event) = conn.session.poll_event() {
        station.on_event(conn, event);
    }
}

fn uplink(tmst: u32, received: Instant) -> Arc<BridgedUplink> {
    let options = ForwarderOptions::new("unused:1");
    let up = options.generator_of(0).unwrap().next_uplink();
    let rxpk = uplink_to_rxpk(&up.to_ttnpb("gw", [0; 8], tmst)).unwrap();
    let ids = loragw_gateway_io::ids::GatewayIds::new("gw", None);
    let message = loragw_gateway_io::adapter::udp::rxpk_to_uplink(&ids, &rxpk, None).unwrap();
    Arc::new(BridgedUplink {
        rxpk,
        message,
        received,
    })
}

fn dnmsg(xtime: i64) -> String {
    format!(
        r#"{{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":7,"pdu":"60AABB","RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"xtime":{xtime},"rctx":0,"priority":0}}"#
    )
}

#[test]
fn xtime_counts_on_past_the_tmst_rollover() {
    let (mut station, _orders) = station();
    let t0 = Instant::now();
    let (_, before, s1) = station.timed(uplink(0xFFFF_FF00, t0));
    let (_, after, s2) = station.timed(uplink(0x100, t0 + Duration::from_micros(0x200)));
    assert_eq!(before, 0xFFFF_FF00);
    assert_eq!(after, (1 << 32) + 0x100);
    assert_eq!((s1, s2), (SESSION, SESSION));
    // The xtime an uplink goes out with carries the session and the extended time.
    let mut conn = connected(&mut station, t0);
    station.send_uplink(&mut conn, &(uplink(0x100, t0), after, s2));
    let mut text = String::new();
    assert!(conn.session.poll_transmit(&mut text));
    let expected = xtime::make(0, SESSION, (1 << 32) + 0x100);
    assert!(text.contains(&format!("\"xtime\":{expected}")), "{text}");
    assert_eq!(
        station.link.counters.snapshot("t", "lbs").uplinks_forwarded,
        1
    );
}

#[test]
fn a_dnmsg_goes_out_on_rx1_then_rx2_and_is_confirmed() {
    let (mut station, mut orders) = station();
    let now = Instant::now();
    let tmst = 5_000_000u32;
    let (_, concentrator_us, _) = station.timed(uplink(tmst, now));
    let mut conn = connected(&mut station, now);
    let uplink_xtime = xtime::make(0, SESSION, concentrator_us);
    conn.session.handle_message(now, &dnmsg(uplink_xtime));
    drain_events(&mut station, &mut conn);

    // RX1: 1 s after the uplink, DR5 = SF7BW125 at 868.1 MHz.
    let rx1 = orders.try_recv().unwrap();
    assert_eq!(rx1.txpk.timing, TxTiming::Timestamp(tmst + 1_000_000));
    assert_eq!(rx1.txpk.freq.hz(), 868_100_000);
    assert_eq!(rx1.txpk.data, [0x60, 0xAA, 0xBB]);
    // The forwarder refuses RX1: RX2 (2 s, DR0 = SF12 at 869.525 MHz) is tried.
    station.on_tx_ack(&mut conn, rx1.key, TxpkAck::rejected(TxError::TooLate));
    let rx2 = orders.try_recv().unwrap();
    assert_eq!(rx2.key, rx1.key);
    assert_eq!(rx2.txpk.timing, TxTiming::Timestamp(tmst + 2_000_000));
    assert_eq!(rx2.txpk.freq.hz(), 869_525_000);
    // Sent: the LNS hears `dntxed`.
    station.on_tx_ack(&mut conn, rx2.key, TxpkAck::success());
    let mut text = String::new();
    assert!(conn.session.poll_transmit(&mut text));
    assert!(text.contains("\"msgtype\":\"dntxed\""), "{text}");
    assert!(text.contains("\"diid\":7"), "{text}");
    assert!(text.contains("\"Freq\":869525000"), "{text}");
    assert!(station.pending.is_empty());
    assert_eq!(
        station.link.counters.snapshot("t", "lbs").tx_acks_forwarded,
        1
    );
}

#[test]
fn a_dnmsg_of_another_xtime_session_is_not_sent() {
    let (mut station, mut orders) = station();
    let now = Instant::now();
    let (_, concentrator_us, _) = station.timed(uplink(5_000_000, now));
    let mut conn = connected(&mut station, now);
    conn.session
        .handle_message(now, &dnmsg(xtime::make(0, SESSION + 1, concentrator_us)));
    drain_events(&mut station, &mut conn);
    assert!(orders.try_recv().is_err());
    assert!(station.pending.is_empty());
}

#[test]
fn class_b_goes_out_at_its_gps_time_and_class_c_at_once() {
    let (mut station, mut orders) = station();
    let now = Instant::now();
    station.timed(uplink(5_000_000, now));
    let mut conn = connected(&mut station, now);
    // Class B: gpstime in µs since the GPS epoch becomes `tmms` in ms.
    let gps_us: i64 = 1_400_000_000_250_000;
    conn.session.handle_message(
        now,
        &format!(
            r#"{{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-02","dC":1,"diid":8,"pdu":"60AA","RX2DR":3,"RX2Freq":869525000,"gpstime":{gps_us},"priority":0}}"#
        ),
    );
    // Class C: no time, sent at once.
    conn.session.handle_message(
        now,
        r#"{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-03","dC":2,"diid":9,"pdu":"60BB","RX2DR":0,"RX2Freq":869525000,"priority":0}"#,
    );
    drain_events(&mut station, &mut conn);
    let class_b = orders.try_recv().unwrap();
    assert_eq!(class_b.txpk.timing, TxTiming::GpsTime(1_400_000_000_250));
    let class_c = orders.try_recv().unwrap();
    assert_eq!(class_c.txpk.timing, TxTiming::Immediate);
    assert_eq!(class_c.txpk.freq.hz(), 869_525_000);
}
