//! The Semtech UDP listener over loopback with faults injected: a registry lookup that panics
//! for one gateway, and a panic in the driver's frontend call for one datagram. Each is logged
//! and counted in `isolated_panics`; the other gateways keep getting uplinks through.

use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::{Instant, timeout};

use super::*;
use crate::event::GatewayEvent;
use crate::registry::{GatewayRegistry, InMemoryRegistry};
use crate::transport::{GatewayServer, ListenerKind};

const STEP: Duration = Duration::from_secs(10);

const EUI_A: u64 = 0xA;
const EUI_B: u64 = 0xB;
/// The gateway whose registry lookup panics.
const EUI_P: u64 = 0xF;

const PUSH_DATA: u8 = 0x00;
const PUSH_ACK: u8 = 0x01;

/// PHY payloads by tag byte, with their base64 (an rxpk's `data`).
const PHYS: [(u8, &str); 4] = [
    (0xA1, "QAQDAgGAoQABAgMEBQ=="),
    (0xB1, "QAQDAgGAsQABAgMEBQ=="),
    (0xA2, "QAQDAgGAogABAgMEBQ=="),
    (0xB2, "QAQDAgGAsgABAgMEBQ=="),
];

fn phy(tag: u8) -> Vec<u8> {
    vec![0x40, 4, 3, 2, 1, 0x80, tag, 0, 1, 2, 3, 4, 5]
}

fn rxpk(tag: u8) -> String {
    let (_, data) = PHYS.iter().find(|(t, _)| *t == tag).expect("a tag of PHYS");
    format!(
        r#"{{"rxpk":[{{"tmst":3000000123,"chan":2,"rfch":0,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":9.5,"rssi":-42,"size":13,"data":"{data}"}}]}}"#
    )
}

fn registry() -> InMemoryRegistry {
    let gateway = |id: &str, eui: u64| {
        format!(
            "[[gateway]]\nid = \"{id}\"\neui = \"{eui:016X}\"\nfrequency_plans = [\"EU_863_870\"]\n"
        )
    };
    let text = [
        gateway("gw-a", EUI_A),
        gateway("gw-b", EUI_B),
        gateway("gw-p", EUI_P),
    ]
    .concat();
    InMemoryRegistry::from_toml(&text).unwrap()
}

/// A registry whose lookup of [`EUI_P`] panics (a bug in an embedder's registry).
struct PanickingRegistry(InMemoryRegistry);

impl GatewayRegistry for PanickingRegistry {
    fn gateway_by_id(&self, id: &str) -> Option<GatewayRecord> {
        self.0.gateway_by_id(id)
    }
    fn gateway_by_eui(&self, eui: Eui64) -> Option<GatewayRecord> {
        assert_ne!(eui, Eui64::from_u64(EUI_P), "injected registry fault");
        self.0.gateway_by_eui(eui)
    }
}

impl crate::registry::Authenticator for PanickingRegistry {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: crate::registry::Credential<'_>,
        right: crate::registry::Right,
    ) -> Result<(), crate::registry::AuthError> {
        self.0.authenticate(gateway_id, credential, right)
    }
}

/// A GWMP v2 datagram.
fn datagram(token: u16, kind: u8, eui: u64, json: &str) -> Vec<u8> {
    let mut d = vec![2, (token >> 8) as u8, token as u8, kind];
    d.extend_from_slice(&eui.to_be_bytes());
    d.extend_from_slice(json.as_bytes());
    d
}

async fn gateway(server: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(server).await.unwrap();
    socket
}

/// The next datagram within `wait`, if any.
async fn recv(socket: &UdpSocket, wait: Duration) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65_536];
    match timeout(wait, socket.recv(&mut buf)).await {
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
        _ => None,
    }
}

/// Waits (bounded) until the server counted `n` isolated panics; the count reached.
async fn panics_reach(server: &GatewayServer, n: u64) -> u64 {
    let deadline = Instant::now() + STEP;
    while server.stats().isolated_panics < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stats().isolated_panics
}

/// Events until an `Uplink` of `gateway_id` carrying `payload` (bounded); the events before.
async fn uplink_seen(
    server: &mut GatewayServer,
    gateway_id: &str,
    payload: &[u8],
) -> Vec<GatewayEvent> {
    let mut before = Vec::new();
    loop {
        let event = timeout(STEP, server.next_event())
            .await
            .unwrap_or_else(|_| {
                panic!("no uplink of {gateway_id} within {STEP:?}; before: {before:?}")
            })
            .unwrap();
        if let GatewayEvent::Uplink {
            gateway, message, ..
        } = &event
            && gateway.gateway_id == gateway_id
            && message.raw_payload == payload
        {
            return before;
        }
        before.push(event);
    }
}

/// An uplink from `socket` (gateway `eui`, id `id`): PUSH_ACK with the token, then an
/// `Uplink` event; the events seen before it.
async fn uplink_through(
    server: &mut GatewayServer,
    socket: &UdpSocket,
    token: u16,
    eui: u64,
    id: &str,
    tag: u8,
) -> Vec<GatewayEvent> {
    socket
        .send(&datagram(token, PUSH_DATA, eui, &rxpk(tag)))
        .await
        .unwrap();
    let ack = recv(socket, STEP).await;
    assert_eq!(
        ack.as_deref().map(|a| &a[..4]),
        Some(&[2, (token >> 8) as u8, token as u8, PUSH_ACK][..]),
        "PUSH_ACK for {id}'s PUSH_DATA"
    );
    uplink_seen(server, id, &phy(tag)).await
}

#[tokio::test]
async fn panics_in_a_registry_lookup_or_a_datagram_are_isolated_and_counted() {
    let mut server = GatewayServer::builder()
        .registry(PanickingRegistry(registry()))
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::Udp).unwrap();
    let (a, b, p) = (
        gateway(addr).await,
        gateway(addr).await,
        gateway(addr).await,
    );

    // P's lookup panics on its blocking thread: caught there, logged and counted.
    p.send(&datagram(1, PUSH_DATA, EUI_P, &rxpk(0xA1)))
        .await
        .unwrap();
    assert_eq!(panics_reach(&server, 1).await, 1);

    // The others are admitted and their uplinks come through.
    let mut seen = uplink_through(&mut server, &a, 2, EUI_A, "gw-a", 0xA1).await;
    seen.extend(uplink_through(&mut server, &b, 3, EUI_B, "gw-b", 0xB1).await);

    // A datagram whose handling panics in the driver's frontend call: dropped unanswered,
    // counted, and the listener goes on.
    a.send(&datagram(
        4,
        PUSH_DATA,
        EUI_A,
        r#"{"test-fault:udp-datagram":1}"#,
    ))
    .await
    .unwrap();
    assert_eq!(panics_reach(&server, 2).await, 2);
    assert_eq!(
        recv(&a, Duration::from_millis(200)).await,
        None,
        "no PUSH_ACK"
    );

    // Both gateways, the one whose datagram panicked included, are still served.
    seen.extend(uplink_through(&mut server, &a, 5, EUI_A, "gw-a", 0xA2).await);
    seen.extend(uplink_through(&mut server, &b, 6, EUI_B, "gw-b", 0xB2).await);

    let stats = server.stats();
    assert_eq!(stats.isolated_panics, 2);
    let connected: Vec<&str> = seen
        .iter()
        .filter_map(|e| match e {
            GatewayEvent::Connected { gateway, .. } => Some(gateway.gateway_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(connected, ["gw-a", "gw-b"], "events: {seen:?}");
    assert!(
        seen.iter().all(|e| e.gateway().gateway_id != "gw-p"),
        "the gateway whose lookup panicked was served: {seen:?}"
    );
}

#[tokio::test]
async fn an_undecodable_datagram_is_counted() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .udp("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::Udp).unwrap();
    let a = gateway(addr).await;
    assert_eq!(server.stats().decode_errors_udp, 0);
    a.send(b"\xDE\xAD").await.unwrap();
    // Handled after the garbage, by the same driver: once its uplink is out, the count is in.
    uplink_through(&mut server, &a, 1, EUI_A, "gw-a", 0xA1).await;
    let stats = server.stats();
    assert_eq!(stats.decode_errors_udp, 1);
    assert_eq!(stats.decode_errors_basic_station, 0);
}
