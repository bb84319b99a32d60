//! The listener over loopback with faults injected: a panic while handling one station's
//! message or connection closes only that connection; a listener that really stops is
//! reported by `next_event`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

use super::*;
use crate::event::GatewayEvent;
use crate::frontend::lbs::LbsConfig;
use crate::registry::{InMemoryRegistry, hash_key};
use crate::transport::{GatewayServer, ListenerKind, ServerError};

const STEP: Duration = Duration::from_secs(10);

fn registry() -> InMemoryRegistry {
    let gateway = |id: &str, eui: &str, key: &str| {
        format!(
            "[[gateway]]\nid = \"{id}\"\neui = \"{eui}\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway.key]]\nname = \"k\"\nhash = \"{}\"\nrights = [\"link\"]\n",
            hash_key(key, b"0123456789abcdef")
        )
    };
    let text = [
        gateway("gw-a", "000000000000000A", "KEY-A"),
        gateway("gw-b", "000000000000000B", "KEY-B"),
    ]
    .concat();
    InMemoryRegistry::from_toml(&text).unwrap()
}

type Ws = WebSocketStream<TcpStream>;

async fn station(addr: SocketAddr, eui: u64, key: &str) -> Result<Ws, tungstenite::Error> {
    let mut request = format!("ws://{addr}/traffic/eui-{eui:016X}")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", key.parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    client_async(request, tcp).await.map(|(ws, _)| ws)
}

/// A server with one Basics Station listener on the test registry, and its address.
async fn start_server() -> (GatewayServer, SocketAddr) {
    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    (server, addr)
}

async fn next(server: &mut GatewayServer) -> Result<GatewayEvent, ServerError> {
    timeout(STEP, server.next_event()).await.unwrap()
}

/// Reads until the server closes the websocket.
async fn closed(ws: &mut Ws) {
    loop {
        match timeout(STEP, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
            Some(Ok(_)) => {}
        }
    }
}

async fn connected(server: &mut GatewayServer, id: &str) {
    match next(server).await {
        Ok(GatewayEvent::Connected { gateway, .. }) => assert_eq!(gateway.gateway_id, id),
        other => panic!("expected {id} connected, got {other:?}"),
    }
}

const VERSION: &str = r#"{"msgtype":"version","station":"2.0.6","protocol":2,"features":""}"#;

async fn version_answered(server: &mut GatewayServer, ws: &mut Ws, id: &str) {
    ws.send(Message::text(VERSION)).await.unwrap();
    match next(server).await {
        Ok(GatewayEvent::Status { gateway, .. }) => assert_eq!(gateway.gateway_id, id),
        other => panic!("expected {id} status, got {other:?}"),
    }
    // router_config comes back.
    match timeout(STEP, ws.next()).await.unwrap() {
        Some(Ok(Message::Text(t))) => assert!(t.as_str().contains("router_config"), "{t}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_panic_on_one_station_closes_only_that_station() {
    let (mut server, addr) = start_server().await;
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    let mut b = station(addr, 0xB, "KEY-B").await.unwrap();
    connected(&mut server, "gw-b").await;
    assert_eq!(server.stats().sessions, 2);

    // A bug in the driver while handling a's message: a is closed and reported, b carries on.
    a.send(Message::text(fault::DRIVER)).await.unwrap();
    closed(&mut a).await;
    match next(&mut server).await {
        Ok(GatewayEvent::Disconnected {
            gateway,
            reason: DisconnectReason::InternalError(text),
            ..
        }) => {
            assert_eq!(gateway.gateway_id, "gw-a");
            assert!(text.contains("injected driver fault"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.stats().isolated_panics, 1);
    version_answered(&mut server, &mut b, "gw-b").await;

    // A bug in a connection task: the driver learns the connection ended.
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    a.send(Message::text(fault::CONNECTION)).await.unwrap();
    closed(&mut a).await;
    match next(&mut server).await {
        Ok(GatewayEvent::Disconnected {
            gateway,
            reason: DisconnectReason::InternalError(text),
            ..
        }) => {
            assert_eq!(gateway.gateway_id, "gw-a");
            assert!(text.contains("injected connection fault"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.stats().isolated_panics, 2);
    assert_eq!(server.stats().sessions, 1);

    // The listener still takes new stations.
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    version_answered(&mut server, &mut a, "gw-a").await;
}

#[tokio::test]
async fn a_listener_that_stops_is_reported_and_the_others_keep_serving() {
    let mut server = GatewayServer::builder()
        .registry(registry())
        .basic_station("127.0.0.1:0")
        .basic_station("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let (first, second) = (server.listeners()[0].1, server.listeners()[1].1);
    let mut a = station(first, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    a.send(Message::text(fault::LISTENER)).await.unwrap();
    match next(&mut server).await {
        Err(ServerError::ListenerStopped { listener, reason }) => {
            assert_eq!(listener, ListenerKind::BasicStation);
            assert!(reason.contains("injected listener fault"), "{reason}");
        }
        other => panic!("expected ListenerStopped, got {other:?}"),
    }
    // The second listener serves on.
    let mut b = station(second, 0xB, "KEY-B").await.unwrap();
    connected(&mut server, "gw-b").await;
    version_answered(&mut server, &mut b, "gw-b").await;

    // The stopped listener accepts no more connections (its accept loop was stopped with it).
    let refused = timeout(STEP, TcpStream::connect(first)).await.unwrap();
    assert!(
        refused.is_err(),
        "a stopped listener still accepts connections"
    );

    // Once the other stops too, the server says it has stopped instead of waiting forever.
    b.send(Message::text(fault::LISTENER)).await.unwrap();
    assert!(matches!(
        next(&mut server).await,
        Err(ServerError::ListenerStopped { .. })
    ));
    assert!(matches!(next(&mut server).await, Err(ServerError::Stopped)));
    assert!(matches!(next(&mut server).await, Err(ServerError::Stopped)));
}

#[test]
fn ping_intervals_stay_within_ten_percent_and_spread() {
    let base = Duration::from_secs(30);
    let spread: Vec<Duration> = (1..=50)
        .map(|id| jittered(base, ConnectionId(id)))
        .collect();
    for d in &spread {
        assert!(
            *d >= Duration::from_secs(27) && *d <= Duration::from_secs(33),
            "{d:?}"
        );
    }
    let (min, max) = (spread.iter().min().unwrap(), spread.iter().max().unwrap());
    assert!(*max - *min > Duration::from_secs(3), "{min:?}..{max:?}");
}

/// A station that never reads is disconnected once its queue and socket are full, within the
/// write timeout, and does not hold up another station.
#[tokio::test]
async fn a_station_that_never_reads_is_disconnected_without_blocking_others() {
    use loragw_ttnpb::downlink_message::Settings;
    use loragw_ttnpb::{DataRate, DownlinkMessage, TxSettings};

    let frontend = LbsConfig {
        remembered_downlinks: 1_000_000,
        ..Default::default()
    };
    let mut settings = LbsSettings::new(frontend);
    settings.limits.write_timeout = Duration::from_millis(500);
    let mut server = GatewayServer::builder()
        .registry(registry())
        .basic_station_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    version_answered(&mut server, &mut a, "gw-a").await;
    let mut b = station(addr, 0xB, "KEY-B").await.unwrap();
    connected(&mut server, "gw-b").await;

    // `a` stops reading; class C downlinks of 200 bytes pile up.
    let down = DownlinkMessage {
        raw_payload: vec![0x60; 200],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    let ids = crate::ids::GatewayIds::new("gw-a", None);
    let started = std::time::Instant::now();
    let mut sent = 0;
    while server.send_downlink(&ids, down.clone()).await.is_ok() {
        sent += 1;
        assert!(sent < 200_000, "never disconnected");
    }
    // Each accepted downlink ended in a failed TxAck, then the disconnect.
    let mut failed = 0;
    let reason = loop {
        match next(&mut server).await {
            Ok(GatewayEvent::TxAck { failure, .. }) => {
                assert!(failure.is_some());
                failed += 1;
            }
            Ok(GatewayEvent::Disconnected {
                gateway, reason, ..
            }) => {
                assert_eq!(gateway.gateway_id, "gw-a");
                break reason;
            }
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(reason, DisconnectReason::Transport(_)), "{reason}");
    assert_eq!(failed, sent);
    assert!(started.elapsed() < STEP, "{:?}", started.elapsed());
    // `b` is served as ever.
    version_answered(&mut server, &mut b, "gw-b").await;
    drop(a);
}

/// A registry that takes a second to answer for `gw-a`'s EUI.
struct SlowRegistry(InMemoryRegistry);

impl crate::registry::GatewayRegistry for SlowRegistry {
    fn gateway_by_id(&self, id: &str) -> Option<crate::registry::GatewayRecord> {
        self.0.gateway_by_id(id)
    }
    fn gateway_by_eui(&self, eui: crate::ids::Eui64) -> Option<crate::registry::GatewayRecord> {
        if eui == crate::ids::Eui64::from_u64(0xA) {
            std::thread::sleep(Duration::from_secs(1));
        }
        self.0.gateway_by_eui(eui)
    }
}

impl crate::registry::Authenticator for SlowRegistry {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: crate::registry::Credential<'_>,
        right: crate::registry::Right,
    ) -> Result<(), crate::registry::AuthError> {
        self.0.authenticate(gateway_id, credential, right)
    }
}

/// A registry slow for one station stalls only that station (on a single-threaded runtime,
/// so a lookup on a runtime thread would stall everything): another connects and is served
/// meanwhile.
#[tokio::test]
async fn a_slow_registry_stalls_nobody_else() {
    let mut server = GatewayServer::builder()
        .registry(SlowRegistry(registry()))
        .basic_station("127.0.0.1:0")
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    let slow = tokio::spawn(async move { station(addr, 0xA, "KEY-A").await.unwrap() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    let mut b = station(addr, 0xB, "KEY-B").await.unwrap();
    connected(&mut server, "gw-b").await;
    version_answered(&mut server, &mut b, "gw-b").await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(800), "{took:?}");
    let _a = timeout(STEP, slow).await.unwrap().unwrap();
    connected(&mut server, "gw-a").await;
}

/// An upgrade request sent one byte every 100 ms is cut at the handshake deadline; nothing
/// reaches the frontend.
#[tokio::test]
async fn a_slow_upgrade_is_cut_at_the_handshake_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut settings = LbsSettings::default();
    settings.limits.handshake_timeout = Duration::from_millis(500);
    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    let request = "GET /traffic/eui-000000000000000A HTTP/1.1\r\nHost: x\r\nAuthorization: KEY-A\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut cut = None;
    for byte in request.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut buf = [0u8; 8];
        if let Ok(Ok(0) | Err(_)) = timeout(Duration::from_millis(1), stream.read(&mut buf)).await {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow upgrade was never cut");
    assert!(
        cut >= Duration::from_millis(450) && cut < Duration::from_secs(2),
        "{cut:?}"
    );
    let stats = server.stats();
    assert_eq!(stats.refused_handshake_timeout, 1, "{stats:?}");
    assert_eq!(stats.sessions, 0);
}

#[tokio::test]
async fn a_message_that_does_not_parse_is_counted_and_the_session_stays_up() {
    let (mut server, addr) = start_server().await;
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    assert_eq!(server.stats().decode_errors_basic_station, 0);

    a.send(Message::text("{not json")).await.unwrap();
    // Handled after the malformed message: the version is answered, so the session is up.
    version_answered(&mut server, &mut a, "gw-a").await;
    let stats = server.stats();
    assert_eq!(stats.decode_errors_basic_station, 1);
    assert_eq!(stats.decode_errors_tabs_hubs, 0);
    assert_eq!(stats.sessions, 1);
}

/// The 512-byte read buffer grows for a large message: a `version` of exactly
/// `MAX_MESSAGE_LEN` bytes is answered, and so is a small one after it.
#[tokio::test]
async fn a_message_of_the_largest_legal_size_passes_the_small_read_buffer() {
    let (mut server, addr) = start_server().await;
    let mut a = station(addr, 0xA, "KEY-A").await.unwrap();
    connected(&mut server, "gw-a").await;
    let head = r#"{"msgtype":"version","station":""#;
    let tail = r#"","protocol":2,"features":""}"#;
    let station_name = "x".repeat(MAX_MESSAGE_LEN - head.len() - tail.len());
    let large = format!("{head}{station_name}{tail}");
    assert_eq!(large.len(), MAX_MESSAGE_LEN);
    assert!(large.len() > 100 * READ_BUFFER_SIZE);
    a.send(Message::text(large)).await.unwrap();
    match next(&mut server).await {
        Ok(GatewayEvent::Status {
            gateway, status, ..
        }) => {
            assert_eq!(gateway.gateway_id, "gw-a");
            // Decoded whole (the adapter bounds the text it passes on).
            let station = status.versions.get("station").expect("station version");
            assert!(station.len() >= 64 && station.bytes().all(|b| b == b'x'));
        }
        other => panic!("expected gw-a status, got {other:?}"),
    }
    // router_config comes back, after the large message and again after a small one (the
    // time transfer's `getxtime` frames may come in between).
    for _ in 0..2 {
        loop {
            match timeout(STEP, a.next()).await.unwrap() {
                Some(Ok(Message::Text(t))) if t.as_str().contains("router_config") => break,
                Some(Ok(Message::Text(t))) => assert!(t.as_str().contains("getxtime"), "{t}"),
                other => panic!("{other:?}"),
            }
        }
        a.send(Message::text(VERSION)).await.unwrap();
    }
}

/// Reads one frame's bytes (header and payload) as the server sent them.
async fn raw_frame(tcp: &mut TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut frame = vec![0u8; 2];
    timeout(STEP, tcp.read_exact(&mut frame))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame[1] & 0x80, 0, "server frames are not masked");
    let extended = match frame[1] & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    frame.resize(2 + extended, 0);
    tcp.read_exact(&mut frame[2..]).await.unwrap();
    let len = match extended {
        0 => usize::from(frame[1] & 0x7F),
        _ => frame[2..].iter().fold(0, |n, b| n << 8 | usize::from(*b)),
    };
    let start = frame.len();
    frame.resize(start + len, 0);
    tcp.read_exact(&mut frame[start..]).await.unwrap();
    frame
}

/// Text frames are written past tungstenite's write buffer, with the same bytes it would
/// write: the `router_config` is one final unmasked text frame (not fragmented), exactly
/// tungstenite's framing of its text, and the pong tungstenite owed the station's ping goes
/// out before it.
#[tokio::test]
async fn router_config_is_one_text_frame_after_the_pong_owed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tungstenite::protocol::frame::Frame;
    use tungstenite::protocol::frame::coding::{Data, OpCode};

    let (mut server, addr) = start_server().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let upgrade = format!(
        "GET /traffic/eui-000000000000000A HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: KEY-A\r\n\r\n"
    );
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(timeout(STEP, tcp.read_u8()).await.unwrap().unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
    connected(&mut server, "gw-a").await;

    // A ping, then `version`, masked as a client must.
    let mut frames = Vec::new();
    let mut ping = Frame::ping(b"are you there".to_vec());
    ping.header_mut().mask = Some([1, 2, 3, 4]);
    ping.format(&mut frames).unwrap();
    let mut version = Frame::message(VERSION, OpCode::Data(Data::Text), true);
    version.header_mut().mask = Some([5, 6, 7, 8]);
    version.format(&mut frames).unwrap();
    tcp.write_all(&frames).await.unwrap();

    assert_eq!(raw_frame(&mut tcp).await, b"\x8a\x0dare you there");
    let frame = raw_frame(&mut tcp).await;
    assert_eq!(&frame[..2], [0x81, 126], "final text frame, 16-bit length");
    let text = String::from_utf8(frame[4..].to_vec()).unwrap();
    assert!(text.starts_with(r#"{"msgtype":"router_config""#), "{text}");
    assert_eq!(frame, write::text_frame(text));
}

#[test]
fn text_frames_are_framed_as_the_websocket_rfc_says() {
    assert_eq!(write::text_frame("hello".into()), b"\x81\x05hello");
    let long = "x".repeat(200);
    assert_eq!(
        write::text_frame(long.clone()),
        [&[0x81, 126, 0, 200][..], long.as_bytes()].concat()
    );
    let largest = "y".repeat(MAX_MESSAGE_LEN);
    let frame = write::text_frame(largest.clone());
    assert_eq!(&frame[..4], [0x81, 126, 0xFF, 0xFF]);
    assert_eq!(&frame[4..], largest.as_bytes());
}
