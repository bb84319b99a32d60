//! The `gateway-forwarder` simulator against the `gateway-server` core on port 0: simulated
//! gateways' uplinks arrive with the generated payloads and radio settings, status reports
//! arrive, and a downlink sent to a simulated gateway comes back as a successful TX
//! acknowledgement; the summary counts all of it.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use loragw_examples::gateway_forwarder::{self, ForwarderOptions, SimProtocol, Summary};
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, TxSettings, UplinkMessage, tx_settings};
use loragw_ttnpb::data_rate::Modulation;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);
const SEED: u64 = 5;

fn demo_on_port_zero() -> ServerConfig {
    let mut config = ServerConfig::demo();
    config.listeners.udp = Some("127.0.0.1:0".into());
    config.listeners.lbs = Some("127.0.0.1:0".into());
    config.listeners.cups = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v3 = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v2 = Some("127.0.0.1:0".into());
    config.listeners.tabs_hubs = Some("127.0.0.1:0".into());
    config
}

/// Starts the forwarder core; it runs until the returned sender is used or dropped.
fn spawn_forwarder(
    options: ForwarderOptions,
) -> (
    oneshot::Sender<()>,
    JoinHandle<Result<Summary, gateway_forwarder::RunError>>,
) {
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway_forwarder::run(options, async move {
        let _ = stop_rx.await;
    }));
    (stop_tx, task)
}

/// Waits for `n` uplinks per gateway id in `ids`, in arrival order per gateway.
async fn uplinks_of(
    server: &mut GatewayServer,
    ids: &[String],
    n: usize,
) -> Vec<Vec<UplinkMessage>> {
    let mut seen = vec![Vec::new(); ids.len()];
    while seen.iter().any(|s| s.len() < n) {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::Uplink {
            gateway, message, ..
        } = event
        {
            let i = ids.iter().position(|id| *id == gateway.gateway_id).unwrap();
            seen[i].push(message);
        }
    }
    seen
}

/// The uplinks match what gateway `index`'s generator makes.
fn assert_generated(options: &ForwarderOptions, index: u32, uplinks: &[UplinkMessage]) {
    let mut generator = options.generator_of(index).unwrap();
    for (n, got) in uplinks.iter().enumerate() {
        let want = generator.next_uplink();
        assert_eq!(
            got.raw_payload, want.phy_payload,
            "gateway {index} frame {n}"
        );
        let settings = got.settings.as_ref().unwrap();
        assert_eq!(settings.frequency, want.frequency);
        let Some(Modulation::Lora(lora)) = &settings.data_rate.as_ref().unwrap().modulation else {
            panic!("not LoRa: {settings:?}");
        };
        assert_eq!(
            (lora.spreading_factor, lora.bandwidth),
            (want.spreading_factor, want.bandwidth)
        );
        let md = &got.rx_metadata[0];
        assert_eq!(md.rssi, f32::from(want.rssi));
        assert_eq!(md.snr, want.snr);
    }
}

fn downlink() -> DownlinkMessage {
    downlink_at(Some(1_000_000))
}

/// A downlink at concentrator time `timestamp`, or class C (at once) without one.
fn downlink_at(timestamp: Option<u32>) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
        ],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: timestamp.unwrap_or(0),
            downlink: Some(tx_settings::Downlink {
                tx_power: 14.0,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        correlation_ids: vec!["test:downlink:1".into()],
        ..Default::default()
    }
}

/// Sends the downlink to `gateway` and waits for its successful TX acknowledgement.
async fn downlink_is_acknowledged(server: &mut GatewayServer, gateway: &GatewayIds) {
    acknowledged(server, gateway, downlink()).await;
}

async fn acknowledged(server: &mut GatewayServer, gateway: &GatewayIds, downlink: DownlinkMessage) {
    timeout(STEP, server.send_downlink(gateway, downlink))
        .await
        .unwrap()
        .unwrap();
    loop {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::TxAck {
            gateway: from, ack, ..
        } = event
        {
            assert_eq!(from.gateway_id, gateway.gateway_id);
            assert_eq!(ack.result, TxResult::Success as i32);
            assert!(
                ack.correlation_ids.iter().any(|c| c == "test:downlink:1"),
                "{ack:?}"
            );
            return;
        }
    }
}

#[tokio::test]
async fn two_udp_gateways_send_uplinks_and_acknowledge_a_downlink() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let addr = server.local_addr(ListenerKind::Udp).unwrap();
    let options = ForwarderOptions {
        protocol: SimProtocol::Udp,
        gateways: 2,
        rate: 20.0,
        count: Some(3),
        seed: SEED,
        status_interval: Some(Duration::from_millis(50)),
        ..ForwarderOptions::new(addr.to_string())
    };
    // The UDP server names unregistered gateways after their EUI.
    let ids: Vec<String> = (0..2)
        .map(|i| format!("eui-{:016x}", u64::from_be_bytes(options.eui_of(i))))
        .collect();
    assert_eq!(ids[0], "eui-58a0cbfffe900000");
    let second = GatewayIds::from_eui(Eui64(options.eui_of(1)));
    let (stop, task) = spawn_forwarder(options.clone());

    let uplinks = uplinks_of(&mut server, &ids, 3).await;
    assert_generated(&options, 0, &uplinks[0]);
    assert_generated(&options, 1, &uplinks[1]);
    status_arrives(&mut server).await;
    downlink_is_acknowledged(&mut server, &second).await;

    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    let udp = summary.protocol("udp").unwrap();
    assert_eq!(udp.uplinks_sent, 6);
    // Status reports are PUSH_DATA too, but not counted as uplink acknowledgements.
    assert_eq!(udp.uplinks_acked, Some(6));
    assert!(udp.statuses_sent >= 1, "{udp:?}");
    assert_eq!(udp.downlinks_received, 1);
    assert_eq!(udp.tx_acks_sent, 1);
    assert_eq!(summary.lost(), 0);
    let latency = udp.latency.unwrap();
    assert_eq!(latency.samples, 6);
    assert!(
        latency.p50 <= latency.p99 && latency.p99 < STEP,
        "{latency:?}"
    );
    let json = summary.to_json();
    assert_eq!(json["protocols"]["udp"]["uplinks_acked"], 6);
    assert_eq!(json["gateways"][1]["gateway_id"], "sim-gateway-1");
    assert_eq!(json["gateways"][1]["uplinks_sent"], 3);
    assert_eq!(json["gateways"][1]["tx_acks_sent"], 1);
    assert_eq!(json["lost"], 0);
}

/// Waits for a status report.
async fn status_arrives(server: &mut GatewayServer) {
    loop {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::Status { .. } = event {
            return;
        }
    }
}

#[tokio::test]
async fn an_unanswered_udp_gateway_counts_its_uplinks_lost() {
    // Nothing answers on this port.
    let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = unused.local_addr().unwrap();
    let options = ForwarderOptions {
        rate: 50.0,
        count: Some(2),
        status_interval: None,
        drain: Duration::from_millis(300),
        ..ForwarderOptions::new(addr.to_string())
    };
    let (stop, task) = spawn_forwarder(options);
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    assert_eq!(summary.uplinks_sent(), 2);
    assert_eq!(summary.protocols[0].uplinks_acked, Some(0));
    assert_eq!(summary.lost(), 2);
    drop(unused);
}

#[tokio::test]
async fn an_mqtt_v3_gateway_sends_uplinks_and_acknowledges_a_downlink() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let addr = server.local_addr(ListenerKind::MqttV3).unwrap();
    let options = ForwarderOptions {
        protocol: SimProtocol::MqttV3,
        gateways: 1,
        rate: 20.0,
        count: Some(2),
        seed: SEED,
        gateway_id: Some(gateway_server::DEMO_GATEWAY_ID.into()),
        key: Some(gateway_server::DEMO_LNS_KEY.into()),
        status_interval: Some(Duration::from_millis(100)),
        ..ForwarderOptions::new(addr.to_string())
    };
    let (stop, task) = spawn_forwarder(options.clone());

    let ids = [gateway_server::DEMO_GATEWAY_ID.to_string()];
    let uplinks = uplinks_of(&mut server, &ids, 2).await;
    assert_generated(&options, 0, &uplinks[0]);
    status_arrives(&mut server).await;
    let gateway = GatewayIds::new(gateway_server::DEMO_GATEWAY_ID, None);
    downlink_is_acknowledged(&mut server, &gateway).await;

    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    let v3 = summary.protocol("mqtt-v3").unwrap();
    assert_eq!(v3.uplinks_sent, 2);
    assert_eq!(v3.uplinks_acked, None);
    assert_eq!(v3.downlinks_received, 1);
    assert_eq!(v3.tx_acks_sent, 1);
    assert!(v3.statuses_sent >= 1);
    // Uplink → downlink latency.
    assert_eq!(v3.latency.unwrap().samples, 1);
}

#[tokio::test]
async fn an_mqtt_v2_gateway_sends_uplinks_and_a_status_and_receives_a_downlink() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let addr = server.local_addr(ListenerKind::MqttV2).unwrap();
    let options = ForwarderOptions {
        protocol: SimProtocol::MqttV2,
        rate: 20.0,
        count: Some(3),
        seed: SEED,
        gateway_id: Some(gateway_server::DEMO_GATEWAY_ID.into()),
        key: Some(gateway_server::DEMO_LNS_KEY.into()),
        status_interval: Some(Duration::from_millis(100)),
        ..ForwarderOptions::new(addr.to_string())
    };
    // Progress reports show when the downlink is in (MQTT v2 has no TX acknowledgement).
    let (progress_tx, mut progress) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway_forwarder::run_with_progress(
        options.clone(),
        async move {
            let _ = stop_rx.await;
        },
        Duration::from_millis(20),
        move |summary: &Summary| {
            let _ = progress_tx.send(summary.clone());
        },
    ));

    let ids = [gateway_server::DEMO_GATEWAY_ID.to_string()];
    let uplinks = uplinks_of(&mut server, &ids, 3).await;
    assert_generated(&options, 0, &uplinks[0]);
    status_arrives(&mut server).await;
    let gateway = GatewayIds::new(gateway_server::DEMO_GATEWAY_ID, None);
    timeout(STEP, server.send_downlink(&gateway, downlink()))
        .await
        .unwrap()
        .unwrap();
    loop {
        let summary = timeout(STEP, progress.recv()).await.unwrap().unwrap();
        if summary.protocols[0].downlinks_received == 1 {
            assert!(
                summary.progress_line().starts_with("mqtt-v2: sent 3 "),
                "{summary:?}"
            );
            break;
        }
    }

    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    let v2 = summary.protocol("mqtt-v2").unwrap();
    assert_eq!(v2.uplinks_sent, 3);
    assert_eq!(v2.downlinks_received, 1);
    assert_eq!(v2.tx_acks_sent, 0);
    assert!(v2.statuses_sent >= 1);
    assert_eq!(summary.lost(), 0);
}

#[tokio::test]
async fn a_basics_station_sends_uplinks_and_acknowledges_a_downlink() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    let options = ForwarderOptions {
        protocol: SimProtocol::Lbs,
        gateways: 1,
        rate: 20.0,
        count: Some(2),
        seed: SEED,
        eui_base: 0x58A0_CBFF_FE80_0001,
        key: Some(gateway_server::DEMO_LNS_KEY.into()),
        ..ForwarderOptions::new(addr.to_string())
    };
    let (stop, task) = spawn_forwarder(options.clone());

    let ids = [gateway_server::DEMO_GATEWAY_ID.to_string()];
    let uplinks = uplinks_of(&mut server, &ids, 2).await;
    assert_generated(&options, 0, &uplinks[0]);
    let gateway = GatewayIds::new(gateway_server::DEMO_GATEWAY_ID, None);
    acknowledged(&mut server, &gateway, downlink_at(None)).await;

    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    let lbs = summary.protocol("lbs").unwrap();
    assert_eq!(lbs.uplinks_sent, 2);
    assert_eq!(lbs.uplinks_acked, None);
    assert_eq!(lbs.downlinks_received, 1);
    assert_eq!(lbs.tx_acks_sent, 1);
}

#[tokio::test]
async fn invalid_options_are_refused() {
    let options = ForwarderOptions {
        gateways: 0,
        ..ForwarderOptions::new("127.0.0.1:1")
    };
    let err = gateway_forwarder::run(options, async {}).await.unwrap_err();
    assert!(err.to_string().contains("gateways"), "{err}");
    let options = ForwarderOptions {
        frequency_plan: "XX_000".into(),
        ..ForwarderOptions::new("127.0.0.1:1")
    };
    let err = gateway_forwarder::run(options, async {}).await.unwrap_err();
    assert!(err.to_string().contains("frequency plan"), "{err}");
    let options = ForwarderOptions {
        rate: 0.0,
        ..ForwarderOptions::new("127.0.0.1:1")
    };
    assert!(gateway_forwarder::run(options, async {}).await.is_err());
    let options = ForwarderOptions {
        mixed: vec![(SimProtocol::Udp, "127.0.0.1:2".into())],
        ..ForwarderOptions::new("127.0.0.1:1")
    };
    let err = gateway_forwarder::run(options, async {}).await.unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
}

/// The binary: `--help` names both modes, and a simulation whose uplinks are never
/// acknowledged prints its summary and exits with status 2.
#[test]
fn the_binary_reports_lost_uplinks_with_exit_status_2() {
    let bin = env!("CARGO_BIN_EXE_gateway-forwarder");
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains("bridge") && help.contains("simulate"),
        "{help}"
    );
    let help = std::process::Command::new(bin)
        .args(["bridge", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8(help.stdout).unwrap().contains("--config"));

    let unused = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = unused.local_addr().unwrap().to_string();
    let out = std::process::Command::new(bin)
        .args([
            "simulate", "--server", &addr, "--count", "1", "--rate", "50",
        ])
        .args(["--duration", "0.2", "--status-interval", "0", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["protocols"]["udp"]["uplinks_sent"], 1);
    assert_eq!(summary["lost"], 1);
    drop(unused);
}

/// Gateways spread over two protocols: per-protocol and per-gateway counts.
#[tokio::test]
async fn gateways_over_udp_and_basics_station_are_counted_per_protocol() {
    let mut server = gateway_server::start(demo_on_port_zero()).await.unwrap();
    let udp = server.local_addr(ListenerKind::Udp).unwrap();
    let lbs = server.local_addr(ListenerKind::BasicStation).unwrap();
    // Gateway 0 (UDP) is an unregistered EUI; gateway 1 (Basics Station) the demo gateway.
    let options = ForwarderOptions {
        gateways: 2,
        mixed: vec![(SimProtocol::Lbs, lbs.to_string())],
        eui_base: 0x58A0_CBFF_FE80_0000,
        key: Some(gateway_server::DEMO_LNS_KEY.into()),
        rate: 20.0,
        count: Some(2),
        seed: SEED,
        ..ForwarderOptions::new(udp.to_string())
    };
    assert_eq!(options.protocol_of(1).0, SimProtocol::Lbs);
    let (stop, task) = spawn_forwarder(options.clone());
    let ids = [
        "eui-58a0cbfffe800000".to_string(),
        gateway_server::DEMO_GATEWAY_ID.to_string(),
    ];
    let uplinks = uplinks_of(&mut server, &ids, 2).await;
    assert_generated(&options, 0, &uplinks[0]);
    assert_generated(&options, 1, &uplinks[1]);
    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    let names: Vec<_> = summary.protocols.iter().map(|p| p.protocol).collect();
    assert_eq!(names, ["udp", "lbs"]);
    let (u, l) = (&summary.protocols[0], &summary.protocols[1]);
    assert_eq!(
        (u.gateways, u.uplinks_sent, u.uplinks_acked),
        (1, 2, Some(2))
    );
    assert_eq!((l.gateways, l.uplinks_sent, l.uplinks_acked), (1, 2, None));
    assert_eq!(summary.uplinks_sent(), 4);
    let json = summary.to_json();
    assert_eq!(json["gateways"][0]["protocol"], "udp");
    assert_eq!(json["gateways"][1]["protocol"], "lbs");
    assert_eq!(json["protocols"]["lbs"]["uplinks_sent"], 2);
    assert!(summary.progress_line().contains("udp: sent 2 acked 2"));
    assert!(summary.progress_line().contains(" | lbs: sent 2 "));
}
