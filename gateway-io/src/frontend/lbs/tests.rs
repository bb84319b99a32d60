//! A station's life on the frontend: discovery, connect, version → router_config, uplink,
//! downlink → dntxed, an unconfirmed downlink timing out, reconnect.

use std::time::{Duration, Instant};

use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{DataRate, Timestamp, TxSettings, tx_settings};
use serde_json::Value;

use super::*;
use crate::clock::XTime;
use crate::registry::{AuthMethod, InMemoryRegistry, hash_key};

const EUI: u64 = 0xB827_EBFF_FE61_5E1C;

fn registry() -> Arc<InMemoryRegistry> {
    let config = format!(
        "[[gateway]]\nid = \"station-a\"\neui = \"{EUI:016X}\"\nfrequency_plans = [\"EU_863_870\"]\nantenna_gain = 2.0\n[[gateway.key]]\nname = \"lns\"\nhash = \"{}\"\nrights = [\"link\"]\n",
        hash_key("NNSXS.KEY", b"0123456789abcdef")
    );
    Arc::new(InMemoryRegistry::from_toml(&config).unwrap())
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

fn frontend() -> LbsFrontend<InMemoryRegistry> {
    let mut config = LbsConfig::default();
    config.session.time_transfer_interval = None;
    LbsFrontend::new(config, registry())
}

fn sent(f: &mut LbsFrontend<InMemoryRegistry>) -> Vec<Value> {
    std::iter::from_fn(|| f.poll_output())
        .map(|o| match o {
            LbsOutput::Send { text, .. } => serde_json::from_str(&text).unwrap(),
            LbsOutput::Close { connection } => serde_json::json!({ "close": connection.0 }),
        })
        .collect()
}

fn events(f: &mut LbsFrontend<InMemoryRegistry>) -> Vec<GatewayEvent> {
    std::iter::from_fn(|| f.poll_event()).collect()
}

#[test]
fn discovery_answers_registered_stations_only() {
    let f = frontend();
    let reply: Value = serde_json::from_str(&f.handle_discovery(
        r#"{"router":"b827:ebff:fe61:5e1c"}"#,
        "wss://lns.example.com:8887/",
    ))
    .unwrap();
    assert_eq!(
        reply["uri"],
        "wss://lns.example.com:8887/traffic/eui-B827EBFFFE615E1C"
    );
    let reply: Value = serde_json::from_str(
        &f.handle_discovery(r#"{"router":"1::1"}"#, "wss://lns.example.com:8887"),
    )
    .unwrap();
    assert!(reply["error"].as_str().unwrap().contains("not registered"));
}

#[test]
fn station_session() {
    let t0 = start();
    let mut f = frontend();
    let c = ConnectionId(7);
    let eui = Eui64::from_u64(EUI);
    assert!(matches!(
        f.handle_connect(t0, c, eui, None, None),
        Err(LbsError::Unauthorized(AuthError::NoCredential(_)))
    ));
    assert!(matches!(
        f.handle_connect(t0, c, Eui64::from_u64(1), Some("NNSXS.KEY"), None),
        Err(LbsError::Unauthorized(AuthError::UnknownGateway(_)))
    ));
    // Stations send the raw `tc.key` line as the header value.
    let ids = f
        .handle_connect(t0, c, eui, Some("NNSXS.KEY\r\n"), None)
        .unwrap();
    assert_eq!(ids.gateway_id, "station-a");

    f.handle_message(t0, c, r#"{"msgtype":"version","station":"2.0.6","firmware":"1.0","package":null,"model":"rpi","protocol":2,"features":"prod gps"}"#).unwrap();
    let out = sent(&mut f);
    assert_eq!(out[0]["msgtype"], "router_config");
    assert_eq!(out[0]["region"], "EU863");
    assert_eq!(out[0]["sx1301_conf"][0]["radio_0"]["antenna_gain"], 2);
    let evs = events(&mut f);
    assert!(matches!(
        evs[0],
        GatewayEvent::Connected {
            protocol: Protocol::BasicStation,
            ..
        }
    ));
    let GatewayEvent::Status { status, .. } = &evs[1] else {
        panic!("no status")
    };
    assert_eq!(
        status.versions.get("station").map(String::as_str),
        Some("2.0.6")
    );

    let xtime = XTime::from_parts(0, 0x42, 5_000_000);
    let t1 = t0.after(Duration::from_millis(100));
    f.handle_message(
        t1,
        c,
        &format!(r#"{{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"AA","MIC":5,"RefTime":0,"DR":3,"Freq":867100000,"upinfo":{{"rctx":0,"xtime":{},"gpstime":0,"fts":-1,"rssi":-60,"snr":8,"rxtime":1750000000.1}}}}"#, xtime.0),
    )
    .unwrap();
    let [GatewayEvent::Uplink { message, .. }] = &events(&mut f)[..] else {
        panic!("no uplink")
    };
    assert_eq!(message.received_at, Some(t1.wall));
    assert_eq!(
        message.settings.as_ref().unwrap().data_rate,
        Some(DataRate::lora(9, 125_000, "4/5"))
    );

    // Class A RX1, one second after the uplink: a dnmsg in the uplink's xtime session.
    let down = DownlinkMessage {
        raw_payload: vec![0x60, 1, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4],
        correlation_ids: vec!["ns:down:1".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 867_100_000,
            timestamp: xtime.timestamp() + 1_000_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                invert_polarization: true,
                antenna_index: 0,
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    f.handle_command(
        t1,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down.clone(),
        },
    )
    .unwrap();
    let out = sent(&mut f);
    assert_eq!(out[0]["msgtype"], "dnmsg");
    assert_eq!(out[0]["xtime"], xtime.0);
    assert_eq!(out[0]["RxDelay"], 1);
    assert_eq!(out[0]["RX1DR"], 3);
    let diid = out[0]["diid"].as_i64().unwrap();
    f.handle_message(
        t1.after(Duration::from_secs(1)),
        c,
        &format!(r#"{{"msgtype":"dntxed","diid":{diid},"DevEui":"00-00-00-00-00-00-00-01","rctx":0,"xtime":{},"txtime":1.5,"gpstime":0}}"#, xtime.0 + 1_000_000),
    )
    .unwrap();
    let [GatewayEvent::TxAck { ack, .. }] = &events(&mut f)[..] else {
        panic!("no ack")
    };
    assert_eq!(ack.result(), TxResult::Success);
    assert_eq!(ack.correlation_ids, ["ns:down:1"]);

    // A second downlink is never confirmed: after the session's timeout it is reported failed.
    f.handle_command(
        t1,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down,
        },
    )
    .unwrap();
    let _ = sent(&mut f);
    let deadline = f.poll_timeout().unwrap();
    assert!(deadline > t1.instant);
    f.handle_timeout(t1.after(deadline - t1.instant));
    let [GatewayEvent::TxAck { ack, failure, .. }] = &events(&mut f)[..] else {
        panic!("no timeout ack")
    };
    assert_eq!(failure, &Some(TxFailure::Expired));
    assert_eq!(ack.result(), TxResult::UnknownError);
    assert_eq!(ack.correlation_ids, ["ns:down:1"]);

    // The station reconnects (link switch): the old websocket is closed and replaced.
    let c2 = ConnectionId(8);
    f.handle_connect(t1, c2, eui, Some("Bearer NNSXS.KEY"), None)
        .unwrap();
    assert_eq!(sent(&mut f), [serde_json::json!({ "close": 7 })]);
    let evs = events(&mut f);
    assert!(matches!(
        evs[..],
        [
            GatewayEvent::Disconnected {
                reason: DisconnectReason::Replaced,
                ..
            },
            GatewayEvent::Connected { .. }
        ]
    ));
    // Class C needs no uplink on the new connection... but the station has not sent `version`
    // yet, so the session refuses any downlink until router_config went out.
    let class_c = DownlinkMessage {
        raw_payload: vec![0x60],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    assert!(matches!(
        f.handle_command(
            t1,
            GatewayCommand::Downlink {
                gateway: ids.clone(),
                message: class_c.clone()
            }
        ),
        Err(CommandError::Rejected { .. })
    ));
    f.handle_message(
        t1,
        c2,
        r#"{"msgtype":"version","station":"2.0.6","protocol":2,"features":""}"#,
    )
    .unwrap();
    let _ = sent(&mut f);
    f.handle_command(
        t1,
        GatewayCommand::Downlink {
            gateway: ids,
            message: class_c,
        },
    )
    .unwrap();
    let out = sent(&mut f);
    assert_eq!(
        (out[0]["dC"].as_i64(), out[0]["RX2Freq"].as_i64()),
        (Some(2), Some(869_525_000))
    );
    let _ = events(&mut f);
    // The station goes before confirming it: the class C downlink ends in a failed TxAck.
    f.handle_close(t1, c2, DisconnectReason::ClosedByGateway);
    assert_eq!(f.connected(), 0);
    let evs = events(&mut f);
    let [
        GatewayEvent::TxAck { ack, failure, .. },
        GatewayEvent::Disconnected { .. },
    ] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(ack.result(), TxResult::UnknownError);
    assert_eq!(
        failure,
        &Some(TxFailure::Disconnected(DisconnectReason::ClosedByGateway))
    );
    assert_eq!(f.downlinks_in_flight(), 0);
}

/// Refused stations leave no state behind (identity before state).
#[test]
fn refused_connects_leave_no_state() {
    let mut f = frontend();
    let t = start();
    for i in 0..100u64 {
        let eui = Eui64::from_u64(if i % 2 == 0 { EUI } else { i });
        assert!(
            f.handle_connect(t, ConnectionId(i), eui, Some("Bearer NNSXS.WRONG"), None)
                .is_err()
        );
    }
    assert_eq!(f.connected(), 0);
    assert!(f.table.by_gateway.is_empty());
    assert_eq!(events(&mut f), []);
    assert_eq!(f.poll_output(), None);
}

#[test]
fn traffic_paths() {
    assert_eq!(
        parse_traffic_path("/traffic/eui-B827EBFFFE615E1C"),
        Some(Eui64::from_u64(EUI))
    );
    assert_eq!(
        parse_traffic_path("/traffic/eui-b827ebfffe615e1c/"),
        Some(Eui64::from_u64(EUI))
    );
    for bad in [
        "/traffic/eui-B827EBFFFE615E1",
        "/traffic/B827EBFFFE615E1C",
        "/router-info",
        "/traffic/eui-B827EBFFFE615E1G",
    ] {
        assert_eq!(parse_traffic_path(bad), None, "{bad}");
    }
}

/// At most `remembered_downlinks` are in flight per station; one more is refused, and a
/// confirmation makes room again.
#[test]
fn downlinks_in_flight_are_capped() {
    let t = start();
    let mut config = LbsConfig {
        remembered_downlinks: 2,
        ..LbsConfig::default()
    };
    config.session.time_transfer_interval = None;
    let mut f = LbsFrontend::new(config, registry());
    let c = ConnectionId(1);
    let ids = f
        .handle_connect(t, c, Eui64::from_u64(EUI), Some("NNSXS.KEY"), None)
        .unwrap();
    f.handle_message(
        t,
        c,
        r#"{"msgtype":"version","station":"2.0.6","protocol":2,"features":""}"#,
    )
    .unwrap();
    let _ = sent(&mut f);
    let class_c = || GatewayCommand::Downlink {
        gateway: ids.clone(),
        message: DownlinkMessage {
            raw_payload: vec![0x60],
            settings: Some(Settings::Scheduled(TxSettings {
                data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
                frequency: 869_525_000,
                ..Default::default()
            })),
            ..Default::default()
        },
    };
    f.handle_command(t, class_c()).unwrap();
    f.handle_command(t, class_c()).unwrap();
    assert_eq!(f.downlinks_in_flight(), 2);
    assert!(matches!(
        f.handle_command(t, class_c()),
        Err(CommandError::Rejected { .. })
    ));
    let diid = sent(&mut f)[0]["diid"].as_i64().unwrap();
    f.handle_message(
        t,
        c,
        &format!(r#"{{"msgtype":"dntxed","diid":{diid},"DevEui":"00-00-00-00-00-00-00-01","rctx":0,"xtime":0,"txtime":1.5,"gpstime":0}}"#),
    )
    .unwrap();
    assert_eq!(f.downlinks_in_flight(), 1);
    f.handle_command(t, class_c()).unwrap();
}

/// Stations with equal plans share one copy of the plan and of the `router_config` built from
/// it (which the session keeps after sending it); another plan or antenna gain gets its own;
/// what no station holds any more is dropped.
#[test]
fn stations_share_equal_plans_and_router_configs() {
    let mut f = frontend();
    let t = start();
    let eu = FrequencyPlan::builtin("EU_863_870").unwrap();
    let us = FrequencyPlan::builtin("US_902_928_FSB_2").unwrap();
    let record =
        |id: &str, plan: &str| GatewayRecord::new(GatewayIds::new(id, None), vec![plan.into()]);
    let version = r#"{"msgtype":"version","station":"2.0.6","protocol":2,"features":""}"#;
    for (i, (id, plan, gain)) in [
        ("gw-1", &eu, 0.0),
        ("gw-2", &eu, 0.0),
        ("gw-3", &us, 0.0),
        ("gw-4", &eu, 3.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut record = record(id, &plan.id);
        record.antenna_gain = gain;
        let connection = ConnectionId(i as u64);
        f.connect_with_plans(t, connection, &record, std::slice::from_ref(plan), None)
            .unwrap();
        f.handle_message(t, connection, version).unwrap();
    }
    let sent = sent(&mut f);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(sent.iter().all(|m| m["msgtype"] == "router_config"));
    assert_eq!(sent[0], sent[1], "equal plans, equal messages");
    assert_ne!(sent[0], sent[2]);
    assert_ne!(sent[0], sent[3], "the antenna gain lowers max_eirp");
    let plan_of = |f: &LbsFrontend<InMemoryRegistry>, c: u64| {
        f.table.connections[&ConnectionId(c)].plan.clone()
    };
    let config_of = |f: &LbsFrontend<InMemoryRegistry>, c: u64| {
        let config = f.table.connections[&ConnectionId(c)]
            .session
            .router_config();
        config.expect("sent") as *const RouterConfig
    };
    assert!(Arc::ptr_eq(&plan_of(&f, 0), &plan_of(&f, 1)));
    assert!(Arc::ptr_eq(&plan_of(&f, 0), &plan_of(&f, 3)));
    assert_eq!(*plan_of(&f, 2), us);
    assert_eq!(f.plans.len(), 2);
    assert_eq!(config_of(&f, 0), config_of(&f, 1));
    assert_ne!(config_of(&f, 0), config_of(&f, 2));
    assert_ne!(config_of(&f, 0), config_of(&f, 3));
    assert_eq!(f.router_configs.len(), 3);
    for c in 0..4 {
        f.handle_close(t, ConnectionId(c), DisconnectReason::ClosedByGateway);
    }
    f.connect_with_plans(
        t,
        ConnectionId(9),
        &record("gw-9", &us.id),
        std::slice::from_ref(&us),
        None,
    )
    .unwrap();
    assert_eq!(f.plans.len(), 1, "the EU plan went with its last station");
    assert_eq!(*plan_of(&f, 9), us);
    assert_eq!(f.router_configs.len(), 1, "so did its router_configs");
}

/// An embedder's transport that verified a client certificate connects the station with
/// `handle_connect_with`: a certificate naming the station's EUI opens it once the gateway
/// accepts certificates, one naming another EUI never does, and a key-only gateway refuses
/// certificates; nothing is kept for a refused station.
#[test]
fn a_certificate_credential_connects_only_the_station_it_names() {
    let t = start();
    let eui = Eui64::from_u64(EUI);
    let mut key_only = frontend();
    let refused = key_only.handle_connect_with(
        t,
        ConnectionId(1),
        eui,
        Credential::ClientCertificate(eui),
        None,
    );
    assert!(
        matches!(
            refused,
            Err(LbsError::Unauthorized(AuthError::MethodNotAccepted { .. }))
        ),
        "{refused:?}"
    );
    assert_eq!(key_only.connected(), 0);

    let mut registry = Arc::unwrap_or_clone(registry());
    assert!(registry.set_auth_methods(
        "station-a",
        &[AuthMethod::ApiKey, AuthMethod::ClientCertificate]
    ));
    let mut config = LbsConfig::default();
    config.session.time_transfer_interval = None;
    let mut f = LbsFrontend::new(config, Arc::new(registry));
    let other = Eui64::from_u64(EUI + 1);
    let forged = f.handle_connect_with(
        t,
        ConnectionId(2),
        eui,
        Credential::ClientCertificate(other),
        None,
    );
    assert!(
        matches!(
            forged,
            Err(LbsError::Unauthorized(
                AuthError::CertificateForAnotherGateway { .. }
            ))
        ),
        "{forged:?}"
    );
    assert_eq!(f.connected(), 0);
    let ids = f
        .handle_connect_with(
            t,
            ConnectionId(3),
            eui,
            Credential::ClientCertificate(eui),
            None,
        )
        .unwrap();
    assert_eq!(ids.gateway_id, "station-a");
    assert!(f.is_connected("station-a"));
}
