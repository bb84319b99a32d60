//! Semtech UDP over loopback: a gateway (raw GWMP datagrams on a tokio socket) pushes an
//! uplink, pulls, gets a downlink as PULL_RESP and acknowledges it.

#![cfg(feature = "udp")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use loragw_gateway_io::event::{GatewayEvent, Protocol};
use loragw_gateway_io::ids::{Eui64, GatewayIds};
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, TxSettings, tx_settings};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use common::*;

const EUI_BYTES: [u8; 8] = UDP_EUI.to_be_bytes();

fn datagram(token: u16, kind: u8, json: &str) -> Vec<u8> {
    let mut d = vec![2, (token >> 8) as u8, token as u8, kind];
    d.extend_from_slice(&EUI_BYTES);
    d.extend_from_slice(json.as_bytes());
    d
}

async fn recv(socket: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 65536];
    let (n, _) = timeout(STEP, socket.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    buf.truncate(n);
    buf
}

async fn next(server: &mut GatewayServer) -> GatewayEvent {
    timeout(STEP, server.next_event()).await.unwrap().unwrap()
}

#[tokio::test]
async fn uplink_downlink_and_tx_ack() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr(ListenerKind::Udp).unwrap();
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    gateway.connect(addr).await.unwrap();
    let ids = GatewayIds::new(UDP_ID, Some(Eui64::from_u64(UDP_EUI)));
    let udp = Protocol::SemtechUdp { version: 2 };

    // PUSH_DATA with one rxpk: acknowledged with PUSH_ACK (same token).
    let rxpk = r#"{"rxpk":[{"tmst":3000000123,"chan":2,"rfch":0,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":9.5,"rssi":-42,"size":17,"data":"QAQDAgGAKgAKAQIDBKGyw9Q="}]}"#;
    gateway.send(&datagram(0x1234, 0x00, rxpk)).await.unwrap();
    assert_eq!(recv(&gateway).await, [2, 0x12, 0x34, 0x01]);

    let mut uplink = None;
    while uplink.is_none() {
        match next(&mut server).await {
            GatewayEvent::Connected {
                gateway, protocol, ..
            } => {
                assert_eq!(gateway, ids);
                assert_eq!(protocol, udp);
            }
            GatewayEvent::Uplink {
                gateway,
                protocol,
                message,
            } => {
                assert_eq!(gateway, ids);
                assert_eq!(protocol, udp);
                uplink = Some(message);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let uplink = uplink.unwrap();
    assert_eq!(
        uplink.raw_payload,
        [
            0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x2A, 0x00, 0x0A, 0x01, 0x02, 0x03, 0x04, 0xA1,
            0xB2, 0xC3, 0xD4
        ]
    );
    let settings = uplink.settings.as_ref().unwrap();
    assert_eq!(settings.frequency, 868_100_000);
    assert_eq!(settings.timestamp, 3_000_000_123);
    assert_eq!(settings.data_rate, Some(DataRate::lora(7, 125_000, "4/5")));
    let md = &uplink.rx_metadata[0];
    assert_eq!((md.rssi, md.snr, md.channel_index), (-42.0, 9.5, 2));
    assert!(uplink.received_at.is_some());

    // PULL_DATA opens the downlink path: PULL_ACK.
    gateway.send(&datagram(0x0101, 0x02, "")).await.unwrap();
    assert_eq!(recv(&gateway).await, [2, 0x01, 0x01, 0x04]);

    // A downlink goes out as PULL_RESP.
    let downlink = DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
        ],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 3_001_000_123,
            downlink: Some(tx_settings::Downlink {
                tx_power: 14.0,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        correlation_ids: vec!["test:downlink:1".into()],
        ..Default::default()
    };
    timeout(STEP, server.send_downlink(&ids, downlink))
        .await
        .unwrap()
        .unwrap();
    let pull_resp = recv(&gateway).await;
    assert_eq!(pull_resp[0], 2);
    assert_eq!(pull_resp[3], 0x03, "PULL_RESP");
    let txpk: serde_json::Value = serde_json::from_slice(&pull_resp[4..]).unwrap();
    assert_eq!(txpk["txpk"]["tmst"], 3_001_000_123u64);
    assert_eq!(txpk["txpk"]["freq"].as_f64(), Some(868.1));
    assert_eq!(txpk["txpk"]["datr"], "SF7BW125");
    assert_eq!(txpk["txpk"]["ipol"], true);
    assert_eq!(txpk["txpk"]["data"], "YAQDAgEAAQCqu8zd");

    // TX_ACK with the PULL_RESP's token: a successful TxAck with the correlation ids.
    let mut ack = vec![2, pull_resp[1], pull_resp[2], 0x05];
    ack.extend_from_slice(&EUI_BYTES);
    ack.extend_from_slice(br#"{"txpk_ack":{"error":"NONE"}}"#);
    gateway.send(&ack).await.unwrap();
    match next(&mut server).await {
        GatewayEvent::TxAck {
            gateway,
            protocol,
            ack,
            ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(protocol, udp);
            assert_eq!(ack.result, TxResult::Success as i32);
            assert!(
                ack.correlation_ids.iter().any(|c| c == "test:downlink:1")
                    || ack
                        .downlink_message
                        .as_ref()
                        .is_some_and(|d| d.correlation_ids.iter().any(|c| c == "test:downlink:1")),
                "{ack:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn downlink_to_an_unknown_gateway_is_refused() {
    let server = GatewayServer::builder()
        .registry(registry())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let ids = GatewayIds::new("nobody", None);
    let err = server
        .send_downlink(&ids, DownlinkMessage::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");
}

/// The test registry, with one gateway whose lookup takes a second.
struct SlowRegistry {
    inner: loragw_gateway_io::registry::InMemoryRegistry,
}

const SLOW_EUI: [u8; 8] = [0x51, 0x0E, 0, 0, 0, 0, 0, 1];

impl loragw_gateway_io::registry::GatewayRegistry for SlowRegistry {
    fn gateway_by_id(
        &self,
        gateway_id: &str,
    ) -> Option<loragw_gateway_io::registry::GatewayRecord> {
        self.inner.gateway_by_id(gateway_id)
    }

    fn gateway_by_eui(&self, eui: Eui64) -> Option<loragw_gateway_io::registry::GatewayRecord> {
        if eui.0 == SLOW_EUI {
            std::thread::sleep(std::time::Duration::from_secs(1));
            let ids = GatewayIds::new("gw-slow", Some(eui));
            return Some(loragw_gateway_io::registry::GatewayRecord::new(
                ids,
                vec!["EU_863_870".into()],
            ));
        }
        self.inner.gateway_by_eui(eui)
    }
}

impl loragw_gateway_io::registry::Authenticator for SlowRegistry {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: loragw_gateway_io::registry::Credential<'_>,
        right: loragw_gateway_io::registry::Right,
    ) -> Result<(), loragw_gateway_io::registry::AuthError> {
        self.inner.authenticate(gateway_id, credential, right)
    }
}

/// A registry lookup that takes a second for one gateway does not hold up another gateway's
/// uplinks: the lookups run off the listener's task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_registry_lookup_delays_only_its_gateway() {
    let mut server = GatewayServer::builder()
        .registry(SlowRegistry { inner: registry() })
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr(ListenerKind::Udp).unwrap();
    let slow = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    slow.connect(addr).await.unwrap();
    let fast = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    fast.connect(addr).await.unwrap();
    let rxpk = r#"{"rxpk":[{"tmst":1000,"freq":868.1,"datr":"SF7BW125","codr":"4/5","rssi":-42,"lsnr":9,"data":"QAQDAgGAKgAK"}]}"#;

    // The slow gateway speaks first (and is acknowledged at once), then the fast one.
    let mut first = datagram(1, 0x00, rxpk);
    first[4..12].copy_from_slice(&SLOW_EUI);
    slow.send(&first).await.unwrap();
    assert_eq!(recv(&slow).await, [2, 0, 1, 0x01]);
    fast.send(&datagram(2, 0x00, rxpk)).await.unwrap();
    assert_eq!(recv(&fast).await, [2, 0, 2, 0x01]);

    // The fast gateway's Connected and Uplink come while the slow lookup is still running.
    let fast_ids = GatewayIds::new(UDP_ID, Some(Eui64::from_u64(UDP_EUI)));
    let quick = std::time::Duration::from_millis(300);
    let connected = timeout(quick, server.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&connected, GatewayEvent::Connected { gateway, .. } if *gateway == fast_ids),
        "{connected:?}"
    );
    let uplink = timeout(quick, server.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&uplink, GatewayEvent::Uplink { gateway, .. } if *gateway == fast_ids),
        "{uplink:?}"
    );

    // Then the slow gateway is admitted, and the uplink it sent while waiting is reported;
    // its next uplinks are served as usual.
    let connected = timeout(STEP, server.next_event()).await.unwrap().unwrap();
    assert!(
        matches!(&connected, GatewayEvent::Connected { gateway, .. } if gateway.gateway_id == "gw-slow"),
        "{connected:?}"
    );
    let mut again = datagram(3, 0x00, rxpk);
    again[4..12].copy_from_slice(&SLOW_EUI);
    slow.send(&again).await.unwrap();
    assert_eq!(recv(&slow).await, [2, 0, 3, 0x01]);
    for _ in 0..2 {
        let uplink = next(&mut server).await;
        assert!(
            matches!(&uplink, GatewayEvent::Uplink { gateway, .. } if gateway.gateway_id == "gw-slow"),
            "{uplink:?}"
        );
    }
}

/// A forger who knows the EUI of a gateway with a key sends PULL_DATA over UDP: acknowledged
/// like any datagram, but no `Connected`, and no downlink goes to it.
#[tokio::test]
async fn a_keyed_gateway_eui_over_udp_takes_no_route() {
    use loragw_gateway_io::registry::{InMemoryRegistry, hash_key};
    let toml = format!(
        "[[gateway]]\nid = \"keyed\"\neui = \"0102030405060708\"\nfrequency_plans = [\"EU_863_870\"]\n\
         [[gateway.key]]\nname = \"lns\"\nhash = \"{}\"\nrights = [\"link\"]\n\
         [[gateway]]\nid = \"{UDP_ID}\"\neui = \"{UDP_EUI:016X}\"\nfrequency_plans = [\"EU_863_870\"]\n",
        hash_key("LNS", b"salt-for-keyed-1")
    );
    let mut server = GatewayServer::builder()
        .registry(InMemoryRegistry::from_toml(&toml).unwrap())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr(ListenerKind::Udp).unwrap();
    let forger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    forger.connect(addr).await.unwrap();
    let mut pull = datagram(7, 0x02, "");
    pull[4..12].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    forger.send(&pull).await.unwrap();
    assert_eq!(recv(&forger).await, [2, 0, 7, 0x04]);

    // The forger is reported refused (no `Connected`); a keyless registered gateway after it
    // connects.
    match next(&mut server).await {
        GatewayEvent::Refused {
            gateway, reason, ..
        } => {
            assert_eq!(gateway.eui, Some(Eui64::from_u64(0x0102_0304_0506_0708)));
            assert_eq!(reason, "gateway requires an authenticated connection");
        }
        other => panic!("unexpected {other:?}"),
    }
    let honest = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    honest.connect(addr).await.unwrap();
    honest.send(&datagram(8, 0x02, "")).await.unwrap();
    assert_eq!(recv(&honest).await, [2, 0, 8, 0x04]);
    match next(&mut server).await {
        GatewayEvent::Connected { gateway, .. } => assert_eq!(gateway.gateway_id, UDP_ID),
        other => panic!("unexpected {other:?}"),
    }
    let keyed = GatewayIds::new("keyed", Some(Eui64::from_u64(0x0102_0304_0506_0708)));
    let err = server
        .send_downlink(&keyed, DownlinkMessage::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not connected"), "{err}");
}

/// An uplink at 868.5 MHz SF9 with `tmst` pushed by `gateway`, as the server reports it.
async fn push_uplink(
    gateway: &UdpSocket,
    server: &mut GatewayServer,
    tmst: u32,
) -> loragw_gateway_io::ttnpb::UplinkMessage {
    let push = format!(
        r#"{{"rxpk":[{{"tmst":{tmst},"chan":2,"rfch":0,"freq":868.500000,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","lsnr":9.5,"rssi":-42,"size":17,"data":"QAQDAgGAKgAKAQIDBKGyw9Q="}}]}}"#
    );
    gateway.send(&datagram(0x1234, 0x00, &push)).await.unwrap();
    assert_eq!(recv(gateway).await, [2, 0x12, 0x34, 0x01]);
    loop {
        if let GatewayEvent::Uplink { message, .. } = next(server).await {
            assert!(!message.rx_metadata[0].uplink_token.is_empty());
            return message;
        }
    }
}

/// A class A answer built with `reply::class_a` from the uplink (its uplink token) goes out in
/// RX1 (`tmst` + 1 s on the uplink channel) while there is time, else in RX2 (`tmst` + 2 s on
/// 869.525 MHz SF12).
#[tokio::test]
async fn class_a_reply_by_uplink_token() {
    use loragw_gateway_io::freqplan::FrequencyPlan;
    use loragw_gateway_io::reply;

    let mut server = GatewayServer::builder()
        .registry(registry())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr(ListenerKind::Udp).unwrap();
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    gateway.connect(addr).await.unwrap();
    gateway.send(&datagram(0x0101, 0x02, "")).await.unwrap();
    assert_eq!(recv(&gateway).await, [2, 0x01, 0x01, 0x04]);
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();

    // RX1: answered at once.
    let uplink = push_uplink(&gateway, &mut server, 4_294_000_000).await;
    let ids = GatewayIds::new(UDP_ID, Some(Eui64::from_u64(UDP_EUI)));
    let down = reply::class_a(&uplink, &plan, vec![0x60, 1, 2, 3]).unwrap();
    timeout(STEP, server.send_downlink(&ids, down))
        .await
        .unwrap()
        .unwrap();
    let pull_resp = recv(&gateway).await;
    assert_eq!(pull_resp[3], 0x03, "PULL_RESP");
    let txpk: serde_json::Value = serde_json::from_slice(&pull_resp[4..]).unwrap();
    let txpk = &txpk["txpk"];
    // 4_294_000_000 + 1_000_000 wraps the 32-bit counter.
    assert_eq!(txpk["tmst"], 32_704u64, "{txpk}");
    assert_eq!(txpk["imme"], false);
    assert_eq!(txpk["freq"].as_f64(), Some(868.5));
    assert_eq!(txpk["datr"], "SF9BW125");
    assert_eq!(txpk["ipol"], true);
    // EIRP 16 dBm (EU868 default) as ERP: 16 - 2.15 rounded down.
    assert_eq!(txpk["powe"], 13);
    // LoRaWAN downlinks carry no payload CRC.
    assert_eq!(txpk["ncrc"], true);
    assert_eq!(txpk["data"], "YAECAw==");

    // RX2: answered 950 ms after the uplink, too late for RX1.
    let uplink = push_uplink(&gateway, &mut server, 1_000_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(950)).await;
    let down = reply::class_a(&uplink, &plan, vec![0x60, 4]).unwrap();
    timeout(STEP, server.send_downlink(&ids, down))
        .await
        .unwrap()
        .unwrap();
    let pull_resp = recv(&gateway).await;
    let txpk: serde_json::Value = serde_json::from_slice(&pull_resp[4..]).unwrap();
    let txpk = &txpk["txpk"];
    assert_eq!(txpk["tmst"], 3_000_000u64, "{txpk}");
    assert_eq!(txpk["freq"].as_f64(), Some(869.525));
    assert_eq!(txpk["datr"], "SF12BW125");

    // A token that is not one of this gateway's: refused, nothing sent.
    let mut foreign = reply::class_a(&uplink, &plan, vec![0x60]).unwrap();
    if let Some(Settings::Request(r)) = &mut foreign.settings {
        for p in &mut r.downlink_paths {
            p.path = Some(loragw_gateway_io::ttnpb::downlink_path::Path::UplinkToken(
                vec![0xFF, 0x00],
            ));
        }
    }
    let err = server.send_downlink(&ids, foreign).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("no uplink token of gateway `gw-udp` in downlink_paths"),
        "{err}"
    );
}

/// A forwarder configured with a mistyped EUI is acknowledged (as The Things Stack does) but
/// not served: the application hears of it as `Refused`, and `stats()` counts it.
#[tokio::test]
async fn a_mistyped_eui_is_reported_refused() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr: SocketAddr = server.local_addr(ListenerKind::Udp).unwrap();
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    gateway.connect(addr).await.unwrap();
    // The registered EUI with two digits swapped.
    let typo = 0xAA55_5A00_0000_1001_u64;
    let mut push = datagram(0x0102, 0x00, r#"{"stat":{"rxnb":0}}"#);
    push[4..12].copy_from_slice(&typo.to_be_bytes());
    gateway.send(&push).await.unwrap();
    assert_eq!(
        recv(&gateway).await,
        [2, 0x01, 0x02, 0x01],
        "PUSH_ACK all the same"
    );
    match next(&mut server).await {
        GatewayEvent::Refused {
            gateway: claimed,
            protocol,
            remote,
            reason,
            suppressed,
        } => {
            assert_eq!(claimed, GatewayIds::from_eui(Eui64::from_u64(typo)));
            assert_eq!(protocol, Protocol::SemtechUdp { version: 2 });
            assert_eq!(remote, Some(gateway.local_addr().unwrap()));
            assert_eq!(reason, "gateway is not registered");
            assert_eq!(suppressed, 0);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(server.stats().refused_udp, 1);
}
