//! A hub's life on the frontend: connect (authenticated), version → router_config and status,
//! a downlink refused before clock sync, uplink, downlink → dntxed → TxAck, an unconfirmed
//! downlink expiring, the connection replaced; a `TxRequest` resolved by the shared scheduler.

use std::time::{Duration, Instant};

use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{DataRate, Timestamp, TxSettings};
use serde_json::Value;

use super::*;
use crate::registry::{AuthError, InMemoryRegistry, hash_key};

const EUI: u64 = 0x0016_C001_FF10_A235;
const JREQ: &str = r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"2222:2222:2222:2222","DevEui":"1111:1111:1111:1111","DevNonce":18000,"MIC":12345678,"RefTime":0,"DR":1,"Freq":868300000,"upinfo":{"rxtime":1548059982,"rtcx":0,"xtime":12666373963464220,"rssi":89,"snr":9.25}}"#;

fn frontend() -> TabsFrontend<InMemoryRegistry> {
    let config = format!(
        "[[gateway]]\nid = \"hub-a\"\neui = \"{EUI:016X}\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway.key]]\nname = \"lns\"\nhash = \"{}\"\nrights = [\"link\"]\n",
        hash_key("NNSXS.KEY", b"0123456789abcdef")
    );
    let registry = Arc::new(InMemoryRegistry::from_toml(&config).unwrap());
    TabsFrontend::new(TabsFrontendConfig::default(), registry)
}

fn start() -> Now {
    Now::new(
        Instant::now(),
        Timestamp {
            seconds: 1_750_000_000,
            nanos: 0,
        },
    )
}

fn sent(f: &mut TabsFrontend<InMemoryRegistry>) -> Vec<Value> {
    std::iter::from_fn(|| f.poll_output())
        .map(|o| match o {
            LbsOutput::Send { text, .. } => serde_json::from_str(&text).unwrap(),
            LbsOutput::Close { connection } => serde_json::json!({ "close": connection.0 }),
        })
        .collect()
}

fn events(f: &mut TabsFrontend<InMemoryRegistry>) -> Vec<GatewayEvent> {
    std::iter::from_fn(|| f.poll_event()).collect()
}

fn downlink(gateway: &GatewayIds, timestamp: u32) -> GatewayCommand {
    GatewayCommand::Downlink {
        gateway: gateway.clone(),
        message: DownlinkMessage {
            raw_payload: vec![0x20, 1, 2, 3],
            correlation_ids: vec!["c1".into()],
            settings: Some(Settings::Scheduled(TxSettings {
                data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
                frequency: 869_525_000,
                timestamp,
                ..Default::default()
            })),
            ..Default::default()
        },
    }
}

#[test]
fn hub_session() {
    let t0 = start();
    let mut f = frontend();
    let c = ConnectionId(3);
    let eui = Eui64::from_u64(EUI);
    assert!(matches!(
        f.handle_connect(t0, c, eui, None, None),
        Err(LbsError::Unauthorized(AuthError::NoCredential(_)))
    ));
    let ids = f
        .handle_connect(t0, c, eui, Some("NNSXS.KEY"), None)
        .unwrap();
    assert!(matches!(
        events(&mut f).as_slice(),
        [GatewayEvent::Connected { protocol, .. }] if *protocol == PROTOCOL
    ));

    f.handle_message(
        t0,
        c,
        r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#,
    )
    .unwrap();
    let out = sent(&mut f);
    assert_eq!(out[0]["msgtype"], "router_config");
    assert_eq!(out[0]["region"], "EU863");
    assert_eq!(out[0]["regionid"], 1);
    assert_eq!(out[0]["config"]["region"], "EU863/tracknet");
    assert_eq!(out[0]["MuxTime"], 1_750_000_000);
    let evs = events(&mut f);
    let [GatewayEvent::Status { status, .. }] = evs.as_slice() else {
        panic!("{evs:?}");
    };
    assert_eq!(status.versions["platform"], "TabsHubs - Firmware 2.0.0");

    // No uplink yet: the downlink cannot be timed and is refused, not dropped.
    let err = f.handle_command(t0, downlink(&ids, 1)).unwrap_err();
    assert!(err.to_string().contains("no clock sync"), "{err}");

    f.handle_message(t0, c, JREQ).unwrap();
    let evs = events(&mut f);
    let [GatewayEvent::Uplink { message, .. }] = evs.as_slice() else {
        panic!("{evs:?}");
    };
    assert_eq!(message.rx_metadata[0].timestamp, 11_484_700);

    // RX2 one second after the uplink: absolute xtime in the uplink's session (45).
    f.handle_command(t0, downlink(&ids, 11_484_700 + 1_000_000))
        .unwrap();
    let out = sent(&mut f);
    assert_eq!(out[0]["msgtype"], "dnframe");
    assert_eq!(out[0]["seqno"], 1);
    assert_eq!(out[0]["DR"], 0);
    assert_eq!(out[0]["xtime"], 45_i64 << 48 | 12_484_700);
    assert_eq!(out[0]["pdu"], "20010203");
    f.handle_message(t0, c, r#"{"msgtype":"dntxed","seqno":1,"routerid":0}"#)
        .unwrap();
    let evs = events(&mut f);
    let [GatewayEvent::TxAck { ack, failure, .. }] = evs.as_slice() else {
        panic!("{evs:?}");
    };
    assert_eq!((ack.result, failure), (TxResult::Success as i32, &None));
    assert_eq!(ack.correlation_ids, ["c1"]);

    // Unconfirmed: expires after the session's timeout.
    f.handle_command(t0, downlink(&ids, 11_484_700 + 2_000_000))
        .unwrap();
    let _ = sent(&mut f);
    let later = t0.after(Duration::from_secs(11));
    assert!(f.poll_timeout().is_some_and(|t| t <= later.instant));
    f.handle_timeout(later);
    let evs = events(&mut f);
    assert!(matches!(
        evs.as_slice(),
        [GatewayEvent::TxAck { failure: Some(TxFailure::Expired), ack, .. }] if ack.correlation_ids == ["c1"]
    ));

    // A second connection replaces the first; its downlink in flight fails as replaced.
    f.handle_command(later, downlink(&ids, 11_484_700 + 3_000_000))
        .unwrap();
    let _ = sent(&mut f);
    f.handle_connect(later, ConnectionId(4), eui, Some("NNSXS.KEY"), None)
        .unwrap();
    assert_eq!(sent(&mut f), vec![serde_json::json!({ "close": 3 })]);
    let evs = events(&mut f);
    assert!(matches!(
        evs.as_slice(),
        [
            GatewayEvent::TxAck {
                failure: Some(TxFailure::Replaced),
                ..
            },
            GatewayEvent::Disconnected {
                reason: DisconnectReason::Replaced,
                ..
            },
            GatewayEvent::Connected { .. },
        ]
    ));
    assert_eq!(f.connected(), 1);
}

/// A class A `TxRequest` goes through `reply::schedule` with the hub's plan, as on every other
/// protocol: RX1 at the token's time + 1 s on the uplink's channel and data rate, RX2 (869.525
/// MHz, DR0, + 2 s) when answered too late for RX1; another gateway's token is refused.
#[test]
fn a_tx_request_is_resolved_with_the_hubs_plan() {
    let t0 = start();
    let mut f = frontend();
    let c = ConnectionId(3);
    let ids = f
        .handle_connect(t0, c, Eui64::from_u64(EUI), Some("NNSXS.KEY"), None)
        .unwrap();
    f.handle_message(t0, c, r#"{"msgtype":"version","firmware":"2.0.0"}"#)
        .unwrap();
    let _ = sent(&mut f);
    f.handle_message(t0, c, JREQ).unwrap();
    let evs = events(&mut f);
    let [.., GatewayEvent::Uplink { message, .. }] = evs.as_slice() else {
        panic!("{evs:?}");
    };
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    let reply = |payload: u8| crate::reply::class_a(message, &plan, vec![0x20, payload]).unwrap();
    let command = |message| GatewayCommand::Downlink {
        gateway: ids.clone(),
        message,
    };

    f.handle_command(t0.after(Duration::from_millis(100)), command(reply(1)))
        .unwrap();
    let out = sent(&mut f);
    assert_eq!(out[0]["msgtype"], "dnframe");
    assert_eq!(
        (
            &out[0]["xtime"],
            &out[0]["Freq"],
            &out[0]["DR"],
            &out[0]["pdu"]
        ),
        (
            &Value::from(45_i64 << 48 | (11_484_700 + 1_000_000)),
            &Value::from(868_300_000),
            &Value::from(1),
            &Value::from("2001"),
        )
    );

    f.handle_command(t0.after(Duration::from_millis(950)), command(reply(2)))
        .unwrap();
    let out = sent(&mut f);
    assert_eq!(
        (&out[0]["xtime"], &out[0]["Freq"], &out[0]["DR"]),
        (
            &Value::from(45_i64 << 48 | (11_484_700 + 2_000_000)),
            &Value::from(869_525_000),
            &Value::from(0),
        )
    );

    let mut other = message.clone();
    other.rx_metadata[0].uplink_token.clear();
    other.rx_metadata[0]
        .gateway_ids
        .as_mut()
        .unwrap()
        .gateway_id = "hub-b".into();
    crate::reply::stamp_uplink_tokens(&mut other, None);
    let stranger = crate::reply::class_a(&other, &plan, vec![0x20, 3]).unwrap();
    let err = f
        .handle_command(t0.after(Duration::from_millis(100)), command(stranger))
        .unwrap_err();
    assert!(err.to_string().contains("uplink token"), "{err}");
}

/// While an output or an event is queued, `poll_timeout` is the latest input's time (due at
/// once), so a run loop that sleeps until it cannot strand the hub's `router_config`; once
/// drained it is the session's own timer again (later).
#[test]
fn queued_output_is_due_at_once() {
    let t0 = start();
    let mut f = frontend();
    let c = ConnectionId(3);
    f.handle_connect(t0, c, Eui64::from_u64(EUI), Some("NNSXS.KEY"), None)
        .unwrap();
    let t1 = t0.after(Duration::from_millis(5));
    f.handle_message(t1, c, r#"{"msgtype":"version","firmware":"2.0.0"}"#)
        .unwrap();
    assert_eq!(f.poll_timeout(), Some(t1.instant));
    assert_eq!(sent(&mut f)[0]["msgtype"], "router_config");
    assert_eq!(events(&mut f).len(), 2, "Connected, Status");
    assert!(f.poll_timeout().is_none_or(|t| t > t1.instant));
}
