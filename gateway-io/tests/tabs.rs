//! Tabs Hubs over loopback: a raw tokio-tungstenite client playing a hub does discovery, then
//! traffic (version → router_config, a downlink refused before clock sync, updf → Uplink,
//! downlink → dnframe at an absolute xtime, dntxed → TxAck); a hub without its key is refused
//! before the upgrade; a reconnect replaces the old connection.

#![cfg(feature = "lbs")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use loragw_gateway_io::event::{DisconnectReason, GatewayEvent, Protocol};
use loragw_gateway_io::transport::{GatewayServer, ListenerKind, ServerError};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, TxSettings};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

use common::*;

type Ws = WebSocketStream<TcpStream>;

/// Session 0x2d, concentrator µs 11484700 (the reference's xtime).
const XTIME: i64 = 12_666_373_963_464_220;
const UPDF: &str = r#"{"msgtype":"updf","MHdr":64,"DevAddr":287454020,"FCtrl":48,"Fcnt":25,"FOpts":"fd","FPort":1,"FRMPayload":"5fcc","MIC":12345678,"RefTime":0,"regionid":1,"DR":5,"Freq":868100000,"upinfo":{"rxtime":1700000000.5,"rtcx":0,"xtime":12666373963464220,"rssi":-42.5,"snr":9.5}}"#;

async fn connect(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(a) = authorization {
        request
            .headers_mut()
            .insert("authorization", a.parse().unwrap());
    }
    let tcp = TcpStream::connect(addr).await.unwrap();
    client_async(request, tcp).await.map(|(ws, _)| ws)
}

async fn hub(addr: SocketAddr) -> Ws {
    let path = format!("/traffic/eui-{GW_EUI:016X}");
    timeout(STEP, connect(addr, &path, Some(LNS_KEY)))
        .await
        .unwrap()
        .unwrap()
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

/// The next text frame, as JSON (pings are answered by tungstenite).
async fn receive(ws: &mut Ws) -> Value {
    loop {
        match timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Close(_) => panic!("closed"),
            _ => {}
        }
    }
}

async fn next(server: &mut GatewayServer) -> GatewayEvent {
    timeout(STEP, server.next_event()).await.unwrap().unwrap()
}

async fn start() -> (GatewayServer, SocketAddr) {
    let server = GatewayServer::builder()
        .registry(registry())
        .tabs_hubs("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::TabsHubs).unwrap();
    (server, addr)
}

fn downlink(timestamp: u32) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA, 0xBB],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp,
            ..Default::default()
        })),
        correlation_ids: vec!["test:downlink:tabs".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn discovery_answers_the_traffic_uri_and_closes() {
    let (_server, addr) = start().await;
    let mut ws = timeout(STEP, connect(addr, "/router-info", None))
        .await
        .unwrap()
        .unwrap();
    send(&mut ws, r#"{"router":"0102:0304:0506:0708"}"#).await;
    let answer = receive(&mut ws).await;
    assert_eq!(
        answer["uri"],
        format!("ws://{addr}/traffic/eui-0102030405060708"),
        "{answer}"
    );
    assert_eq!(answer["muxs"], "muxs-::0");
    match timeout(STEP, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
        Some(Ok(other)) => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_hub_without_its_key_is_refused_before_the_upgrade() {
    let (_server, addr) = start().await;
    let path = format!("/traffic/eui-{GW_EUI:016X}");
    match timeout(STEP, connect(addr, &path, None)).await.unwrap() {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn traffic_uplink_downlink_tx_ack_and_reconnect() {
    let (mut server, addr) = start().await;
    let ids = gateway_ids();
    let mut ws = hub(addr).await;
    match next(&mut server).await {
        GatewayEvent::Connected {
            gateway, protocol, ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(protocol, Protocol::Other("tabs-hubs"));
        }
        other => panic!("unexpected {other:?}"),
    }

    // version → router_config (and a status).
    send(
        &mut ws,
        r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#,
    )
    .await;
    let config = receive(&mut ws).await;
    assert_eq!(config["msgtype"], "router_config");
    assert_eq!(config["region"], "EU863");
    assert_eq!(config["regionid"], 1);
    assert_eq!(config["protocol"], 1);
    assert_eq!(config["max_eirp"], 16);
    assert_eq!(config["config"]["region"], "EU863/tracknet");
    assert_eq!(config["DRs"][15], serde_json::json!([-1, 0, 0]));
    assert!(
        config["upchannels"]
            .as_array()
            .is_some_and(|u| u.len() == 8)
    );
    match next(&mut server).await {
        GatewayEvent::Status { status, .. } => {
            assert_eq!(status.versions["platform"], "TabsHubs - Firmware 2.0.0");
        }
        other => panic!("unexpected {other:?}"),
    }

    // Before any uplink the hub's clock is unknown: the downlink is refused, with the reason.
    match timeout(STEP, server.send_downlink(&ids, downlink(1)))
        .await
        .unwrap()
    {
        Err(ServerError::Command(e)) => assert!(e.to_string().contains("no clock sync"), "{e}"),
        other => panic!("unexpected {other:?}"),
    }

    // updf → Uplink (SF7 = DR5, FOptsLen rebuilt, RSSI fraction kept).
    send(&mut ws, UPDF).await;
    match next(&mut server).await {
        GatewayEvent::Uplink {
            gateway, message, ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(
                message.raw_payload,
                [
                    0x40, 0x44, 0x33, 0x22, 0x11, 0x31, 25, 0, 0xfd, 1, 0x5f, 0xcc, 0x4e, 0x61,
                    0xbc, 0
                ]
            );
            let settings = message.settings.unwrap();
            assert_eq!(settings.data_rate, Some(DataRate::lora(7, 125_000, "4/5")));
            assert_eq!(settings.timestamp, 11_484_700);
            assert_eq!(message.rx_metadata[0].rssi, -42.5);
        }
        other => panic!("unexpected {other:?}"),
    }

    // RX1 one second after the uplink → dnframe at the absolute xtime → dntxed → TxAck.
    timeout(
        STEP,
        server.send_downlink(&ids, downlink(11_484_700 + 1_000_000)),
    )
    .await
    .unwrap()
    .unwrap();
    let frame = receive(&mut ws).await;
    assert_eq!(frame["msgtype"], "dnframe");
    assert_eq!(frame["DevEui"], "00-00-00-00-00-00-00-00");
    assert_eq!(frame["seqno"], 1);
    assert_eq!(frame["DR"], 5);
    assert_eq!(frame["Freq"], 868_100_000);
    assert_eq!(frame["xtime"], (XTIME >> 48 << 48) | 12_484_700);
    assert_eq!(frame["pdu"], "6004030201000100aabb");
    send(
        &mut ws,
        r#"{"msgtype":"dntxed","seqno":1,"routerid":0,"DevEui":"::0"}"#,
    )
    .await;
    match next(&mut server).await {
        GatewayEvent::TxAck {
            gateway,
            ack,
            failure,
            ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(failure, None);
            assert_eq!(ack.result, TxResult::Success as i32);
            assert_eq!(ack.correlation_ids, ["test:downlink:tabs"]);
        }
        other => panic!("unexpected {other:?}"),
    }

    // A second connection of the hub replaces the first, which the server closes.
    let mut second = hub(addr).await;
    let mut replaced = false;
    let mut reconnected = false;
    while !(replaced && reconnected) {
        match next(&mut server).await {
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, DisconnectReason::Replaced);
                replaced = true;
            }
            GatewayEvent::Connected { .. } => reconnected = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    loop {
        match timeout(STEP, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    send(
        &mut second,
        r#"{"msgtype":"version","station":"test","firmware":"2.0.1"}"#,
    )
    .await;
    assert_eq!(receive(&mut second).await["msgtype"], "router_config");
}
