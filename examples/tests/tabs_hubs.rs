//! The `gateway-forwarder` simulator playing a Tabs hub against the `gateway-server` core on
//! port 0: the demo gateway's uplinks arrive as generated (Tabs Hubs protocol), a downlink
//! timed from an uplink comes back as a successful TX acknowledgement.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use loragw_examples::gateway_forwarder::{self, ForwarderOptions, SimProtocol};
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::event::{GatewayEvent, Protocol};
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::ListenerKind;
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, TxSettings};
use tokio::sync::oneshot;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);
const SEED: u64 = 7;

#[tokio::test]
async fn a_simulated_tabs_hub_sends_uplinks_and_acknowledges_a_downlink() {
    let mut config = ServerConfig::demo();
    config.listeners.udp = None;
    config.listeners.lbs = None;
    config.listeners.cups = None;
    config.listeners.mqtt_v3 = None;
    config.listeners.mqtt_v2 = None;
    config.listeners.tabs_hubs = Some("127.0.0.1:0".into());
    let mut server = gateway_server::start(config).await.unwrap();
    let addr = server.local_addr(ListenerKind::TabsHubs).unwrap();
    assert_eq!(
        "tabs-hubs".parse::<SimProtocol>(),
        Ok(SimProtocol::TabsHubs)
    );
    let options = ForwarderOptions {
        protocol: SimProtocol::TabsHubs,
        gateways: 1,
        rate: 20.0,
        count: Some(2),
        seed: SEED,
        eui_base: 0x58A0_CBFF_FE80_0001,
        key: Some(gateway_server::DEMO_LNS_KEY.into()),
        ..ForwarderOptions::new(addr.to_string())
    };
    let mut generator = options.generator_of(0).unwrap();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(gateway_forwarder::run(options, async move {
        let _ = stop_rx.await;
    }));

    // Connected, the hub's status, then the generated uplinks.
    let mut last_timestamp = 0;
    let mut uplinks = 0;
    let mut status = false;
    while uplinks < 2 {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        match event {
            GatewayEvent::Connected {
                gateway, protocol, ..
            } => {
                assert_eq!(gateway.gateway_id, gateway_server::DEMO_GATEWAY_ID);
                assert_eq!(protocol, Protocol::Other("tabs-hubs"));
            }
            GatewayEvent::Status { status: s, .. } => {
                assert!(s.versions["platform"].starts_with("TabsHubs - Firmware "));
                status = true;
            }
            GatewayEvent::Uplink {
                message, protocol, ..
            } => {
                assert_eq!(protocol, Protocol::Other("tabs-hubs"));
                let want = generator.next_uplink();
                assert_eq!(message.raw_payload, want.phy_payload);
                let settings = message.settings.as_ref().unwrap();
                assert_eq!(settings.frequency, want.frequency);
                assert_eq!(
                    settings.data_rate,
                    Some(DataRate::lora(want.spreading_factor, want.bandwidth, "4/5"))
                );
                assert_eq!(message.rx_metadata[0].rssi, f32::from(want.rssi));
                assert_eq!(message.rx_metadata[0].snr, want.snr);
                last_timestamp = message.rx_metadata[0].timestamp;
                uplinks += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(status);

    // RX1 one second after the last uplink, on the hub's clock.
    let gateway = GatewayIds::new(gateway_server::DEMO_GATEWAY_ID, None);
    let downlink = DownlinkMessage {
        raw_payload: vec![0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: last_timestamp.wrapping_add(1_000_000),
            ..Default::default()
        })),
        correlation_ids: vec!["test:downlink:tabs".into()],
        ..Default::default()
    };
    timeout(STEP, server.send_downlink(&gateway, downlink))
        .await
        .unwrap()
        .unwrap();
    loop {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::TxAck { ack, failure, .. } = event {
            assert_eq!(failure, None);
            assert_eq!(ack.result, TxResult::Success as i32);
            assert_eq!(ack.correlation_ids, ["test:downlink:tabs"]);
            break;
        }
    }

    stop.send(()).unwrap();
    let summary = timeout(STEP, task).await.unwrap().unwrap().unwrap();
    assert_eq!(summary.uplinks_sent(), 2);
    let tabs = summary.protocol("tabs-hubs").unwrap();
    assert_eq!(tabs.uplinks_acked, None);
    assert_eq!(tabs.downlinks_received, 1);
    assert_eq!(tabs.tx_acks_sent, 1);
    assert_eq!(summary.lost(), 0);
}
