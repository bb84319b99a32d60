//! Clients of every protocol, well-behaved and raw, that touch nothing of the server's API:
//! only sockets, the protocol crates and the fixtures' constants.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::station::{StationConfig, StationEvent, StationSession};
use rumqttc::mqttbytes::v4::{ConnAck, Connect, Packet, Publish, Subscribe};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

use super::fixtures::STEP;

// ---------------------------------------------------------------------------------------------
// Semtech UDP

/// A GWMP v2 datagram: version, token, type, EUI, then the JSON body.
pub fn gwmp(token: u16, kind: u8, eui: u64, json: &str) -> Vec<u8> {
    let mut d = vec![2, (token >> 8) as u8, token as u8, kind];
    d.extend_from_slice(&eui.to_be_bytes());
    d.extend_from_slice(json.as_bytes());
    d
}

pub const PUSH_DATA: u8 = 0x00;
pub const PUSH_ACK: u8 = 0x01;
pub const PULL_DATA: u8 = 0x02;
pub const PULL_RESP: u8 = 0x03;
pub const PULL_ACK: u8 = 0x04;
pub const TX_ACK: u8 = 0x05;

/// A Semtech UDP gateway on its own loopback socket, connected to the server.
pub struct UdpGateway {
    pub socket: UdpSocket,
    pub eui: u64,
    next_token: u16,
}

impl UdpGateway {
    pub async fn new(server: SocketAddr, eui: u64) -> UdpGateway {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind UDP client");
        socket.connect(server).await.expect("connect UDP client");
        UdpGateway {
            socket,
            eui,
            next_token: 0x0100,
        }
    }

    pub fn token(&mut self) -> u16 {
        self.next_token = self.next_token.wrapping_add(1);
        self.next_token
    }

    pub async fn send(&self, datagram: &[u8]) {
        // A datagram the kernel refuses (too big for the socket) is a test bug.
        self.socket.send(datagram).await.expect("UDP send");
    }

    /// Sends a datagram of `kind` with this gateway's EUI; returns its token.
    pub async fn send_kind(&mut self, kind: u8, json: &str) -> u16 {
        let token = self.token();
        self.send(&gwmp(token, kind, self.eui, json)).await;
        token
    }

    /// The next datagram from the server, or `None` after `wait`.
    pub async fn recv_within(&self, wait: Duration) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 65_536];
        match timeout(wait, self.socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                buf.truncate(n);
                Some(buf)
            }
            // ICMP unreachable and the like: nothing received.
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// Waits for a reply of `kind` with `token`, skipping others (late ACKs of earlier
    /// datagrams). `None` after `wait`.
    pub async fn expect_reply(&self, kind: u8, token: u16, wait: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let d = self.recv_within(left).await?;
            if d.len() >= 4 && d[3] == kind && (kind == PULL_RESP || d[1..3] == token.to_be_bytes())
            {
                return Some(d);
            }
        }
    }

    /// PULL_DATA and its PULL_ACK, retried every 250 ms (a PULL_DATA may meet the server's
    /// per-gateway rate limit) until `wait` passes: proof that the listener still answers
    /// this gateway.
    pub async fn pull(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            let token = self.send_kind(PULL_DATA, "").await;
            let left = deadline.saturating_duration_since(Instant::now());
            let attempt = left.min(Duration::from_millis(250));
            if self.expect_reply(PULL_ACK, token, attempt).await.is_some() {
                return true;
            }
        }
        false
    }
}

/// An `rxpk` PUSH_DATA body carrying `phy`.
pub fn rxpk_json(phy: &[u8]) -> String {
    format!(
        r#"{{"rxpk":[{{"tmst":3000000123,"chan":2,"rfch":0,"freq":868.100000,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":9.5,"rssi":-42,"size":{},"data":"{}"}}]}}"#,
        phy.len(),
        base64(phy)
    )
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Basics Station

pub type Ws = WebSocketStream<TcpStream>;

/// Opens a websocket on `path`; an HTTP refusal comes back as `Err(status)`.
pub async fn ws_connect(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
) -> Result<Ws, u16> {
    let Ok(Ok(tcp)) = timeout(STEP, TcpStream::connect(addr)).await else {
        return Err(0);
    };
    // Small frames back to back: no Nagle delay.
    let _ = tcp.set_nodelay(true);
    ws_connect_over(tcp, addr, path, authorization).await
}

/// As [`ws_connect`], over a TCP stream already connected to `addr`.
pub async fn ws_connect_over(
    tcp: TcpStream,
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
) -> Result<Ws, u16> {
    let mut request = format!("ws://{addr}{path}")
        .into_client_request()
        .expect("websocket request");
    if let Some(a) = authorization {
        request
            .headers_mut()
            .insert("authorization", a.parse().expect("header value"));
    }
    match timeout(STEP, client_async(request, tcp)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(response))) => Err(response.status().as_u16()),
        _ => Err(0),
    }
}

/// A TCP connection to `addr` whose receive buffer is as small as the OS allows, so that a
/// client that stops reading makes the server's writes block soon.
pub async fn tcp_small_receive_buffer(addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("TCP socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("a small receive buffer");
    socket.connect(addr).await.expect("TCP connect")
}

/// A second handle on the same TCP connection (a duplicated descriptor), so a flood can
/// write under a client that keeps the original (a websocket, an MQTT codec).
pub fn duplicate(tcp: &TcpStream) -> TcpStream {
    use std::os::fd::AsFd;
    let fd = tcp
        .as_fd()
        .try_clone_to_owned()
        .expect("duplicate a socket descriptor");
    let std = std::net::TcpStream::from(fd);
    std.set_nonblocking(true).expect("non-blocking socket");
    TcpStream::from_std(std).expect("register the duplicated socket")
}

/// How a [`flood`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flood {
    /// Whole requests written (the kernel took their bytes).
    pub requests: u64,
    /// When the last byte went out before the writes stopped making progress for
    /// [`FLOOD_STUCK`] (the server stopped reading), if they did.
    pub stuck_at: Option<Instant>,
    /// When a write failed (the server closed the connection), if one did.
    pub closed_at: Option<Instant>,
}

/// Writes that made no progress for this long mean the peer stopped reading.
pub const FLOOD_STUCK: Duration = Duration::from_millis(500);

/// Writes `request` over and over on `tcp` without ever reading, never blocking: each write
/// takes what the kernel accepts at once, and a full socket is waited on for at most 50 ms at
/// a time. Ends when a write fails (the server closed the connection) or at `until`.
/// `stuck` is told once when the writes stop making progress for [`FLOOD_STUCK`].
pub async fn flood(
    tcp: TcpStream,
    request: Vec<u8>,
    until: Instant,
    stuck: tokio::sync::watch::Sender<Option<Instant>>,
) -> Flood {
    assert!(!request.is_empty(), "test bug: an empty flood request");
    let batch = request.repeat((4096 / request.len()).max(1));
    let mut at = 0;
    let mut written: u64 = 0;
    let mut progress = Instant::now();
    let mut result = Flood {
        requests: 0,
        stuck_at: None,
        closed_at: None,
    };
    while Instant::now() < until {
        match tcp.try_write(&batch[at..]) {
            Ok(0) => {
                result.closed_at = Some(Instant::now());
                break;
            }
            Ok(n) => {
                written += n as u64;
                at = (at + n) % batch.len();
                progress = Instant::now();
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if result.stuck_at.is_none() && progress.elapsed() >= FLOOD_STUCK {
                    result.stuck_at = Some(progress);
                    let _ = stuck.send(Some(progress));
                }
                let _ = timeout(Duration::from_millis(50), tcp.writable()).await;
            }
            Err(_) => {
                result.closed_at = Some(Instant::now());
                break;
            }
        }
    }
    result.requests = written / request.len() as u64;
    result
}

/// A well-behaved station: basicstation's sans-IO session over a real websocket.
pub struct Station {
    pub ws: Ws,
    pub session: StationSession,
    /// Set once the server ended the connection.
    pub closed: bool,
}

impl Station {
    /// Connects to `/traffic/eui-…` with `key`; `Err(status)` if refused (0: no HTTP answer).
    pub async fn connect(addr: SocketAddr, eui: u64, key: &str) -> Result<Station, u16> {
        let ws = ws_connect(addr, &format!("/traffic/eui-{eui:016X}"), Some(key)).await?;
        Station::over(ws).await
    }

    /// As [`connect`](Self::connect), over `tcp` (already connected to `addr`).
    pub async fn connect_over(
        tcp: TcpStream,
        addr: SocketAddr,
        eui: u64,
        key: &str,
    ) -> Result<Station, u16> {
        let ws = ws_connect_over(tcp, addr, &format!("/traffic/eui-{eui:016X}"), Some(key)).await?;
        Station::over(ws).await
    }

    async fn over(ws: Ws) -> Result<Station, u16> {
        let mut station = Station {
            ws,
            session: StationSession::new(StationConfig::default(), Instant::now()),
            closed: false,
        };
        station.flush().await.map_err(|_| 0u16)?;
        Ok(station)
    }

    pub async fn flush(&mut self) -> Result<(), tungstenite::Error> {
        let mut text = String::new();
        while self.session.poll_transmit(&mut text) {
            self.ws.send(Message::text(text.clone())).await?;
        }
        Ok(())
    }

    /// The next session event within `wait` (time transfer answered on the way); `None` on
    /// timeout or when the connection ends.
    pub async fn next_event_within(&mut self, wait: Duration) -> Option<StationEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.session.poll_event() {
                Some(StationEvent::XtimeRequested { mux_time }) => {
                    let unix = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock after 1970")
                        .as_secs_f64();
                    let _ = self.session.reply_xtime(
                        Instant::now(),
                        unix,
                        mux_time,
                        &[0x0023_0000_1234_5678],
                    );
                    self.flush().await.ok()?;
                    continue;
                }
                Some(StationEvent::TimeTransfer { .. }) => continue,
                Some(event) => return Some(event),
                None => {}
            }
            let frame = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(frame))) => frame,
                Ok(_) => {
                    self.closed = true;
                    return None;
                }
            };
            match frame {
                Message::Text(text) => {
                    self.session.handle_message(Instant::now(), text.as_str());
                    if self.flush().await.is_err() {
                        self.closed = true;
                        return None;
                    }
                }
                Message::Close(_) => {
                    self.closed = true;
                    return None;
                }
                _ => {}
            }
        }
    }

    /// Sends a raw text frame (hostile content).
    pub async fn send_text(&mut self, text: String) -> bool {
        self.ws.send(Message::text(text)).await.is_ok()
    }

    /// A `timesync` round trip (the LNS answers each one with the same `txtime`, an integer
    /// number of microseconds): proof that the station's session is still served. False on
    /// timeout or close.
    pub async fn probe(&mut self, marker: u32, wait: Duration) -> bool {
        let marker = f64::from(marker);
        let text = format!(r#"{{"msgtype":"timesync","txtime":{marker}}}"#);
        if !self.send_text(text).await {
            return false;
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, self.ws.next()).await
            else {
                return false;
            };
            match frame {
                Message::Text(text) => {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
                        continue;
                    };
                    if v["msgtype"] == "timesync" && v["txtime"].as_f64() == Some(marker) {
                        return true;
                    }
                }
                Message::Close(_) => return false,
                _ => {}
            }
        }
    }
}

/// Reads until the server closes the stream (EOF, reset) or `wait` passes: true if closed.
pub async fn closed_within<S: AsyncRead + Unpin>(stream: &mut S, wait: Duration) -> bool {
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

/// A raw websocket: the HTTP upgrade written by hand, then hand-made frames (so invalid
/// UTF-8, lying lengths and truncated headers can be sent).
pub struct RawWs {
    pub tcp: TcpStream,
}

impl RawWs {
    /// Upgrades `path` with `key`; `Err(first response line)` when not switched.
    pub async fn open(addr: SocketAddr, path: &str, key: &str) -> Result<RawWs, String> {
        let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: {key}\r\n\r\n"
        );
        tcp.write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match timeout(STEP, tcp.read(&mut byte)).await {
                Ok(Ok(1)) => head.push(byte[0]),
                _ => {
                    return Err(format!(
                        "no upgrade answer: {:?}",
                        String::from_utf8_lossy(&head)
                    ));
                }
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        if head.starts_with("HTTP/1.1 101") {
            Ok(RawWs { tcp })
        } else {
            Err(head.lines().next().unwrap_or_default().to_owned())
        }
    }

    /// A client frame (masked with key 0, so the payload goes as is).
    pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x80 | opcode];
        let len = payload.len();
        if len < 126 {
            f.push(0x80 | len as u8);
        } else if len <= 0xFFFF {
            f.push(0x80 | 126);
            f.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            f.push(0x80 | 127);
            f.extend_from_slice(&(len as u64).to_be_bytes());
        }
        f.extend_from_slice(&[0, 0, 0, 0]);
        f.extend_from_slice(payload);
        f
    }

    pub async fn send(&mut self, bytes: &[u8]) -> bool {
        self.tcp.write_all(bytes).await.is_ok()
    }
}

// ---------------------------------------------------------------------------------------------
// MQTT

/// A client that writes and reads raw MQTT 3.1.1 packets (rumqttc's codec).
pub struct RawMqtt<S> {
    pub stream: S,
    buf: BytesMut,
    /// Set once the server ended the connection (or sent a malformed packet).
    pub closed: bool,
}

impl RawMqtt<TcpStream> {
    pub async fn open(addr: SocketAddr) -> RawMqtt<TcpStream> {
        let tcp = TcpStream::connect(addr)
            .await
            .expect("TCP connect to the MQTT listener");
        // Small packets back to back: no Nagle delay.
        let _ = tcp.set_nodelay(true);
        RawMqtt::over(tcp)
    }

    /// Opens and sends CONNECT as `user` / `pass`; the CONNACK if one came.
    pub async fn connect(
        addr: SocketAddr,
        user: &str,
        pass: &str,
    ) -> (RawMqtt<TcpStream>, Option<ConnAck>) {
        let mut raw = RawMqtt::open(addr).await;
        let ack = raw.login(user, pass).await;
        (raw, ack)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawMqtt<S> {
    pub fn over(stream: S) -> RawMqtt<S> {
        RawMqtt {
            stream,
            buf: BytesMut::new(),
            closed: false,
        }
    }

    pub async fn login(&mut self, user: &str, pass: &str) -> Option<ConnAck> {
        let mut connect = Connect::new(format!("hostile-{user}"));
        connect.keep_alive = 60;
        connect.set_login(user, pass);
        self.send(Packet::Connect(connect)).await;
        match self.recv_within(STEP).await {
            Some(Packet::ConnAck(ack)) => Some(ack),
            _ => None,
        }
    }

    pub async fn send(&mut self, packet: Packet) -> bool {
        let mut bytes = BytesMut::new();
        packet
            .write(&mut bytes, 1 << 24)
            .expect("a packet the codec can write");
        self.send_bytes(&bytes).await
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    pub async fn subscribe(&mut self, filter: &str) -> Option<Packet> {
        let mut subscribe = Subscribe::new(filter, QoS::AtMostOnce);
        subscribe.pkid = 1;
        self.send(Packet::Subscribe(subscribe)).await;
        self.recv_within(STEP).await
    }

    pub async fn publish(&mut self, topic: &str, qos: QoS, pkid: u16, payload: Vec<u8>) -> bool {
        let mut publish = Publish::new(topic, qos, payload);
        publish.pkid = pkid;
        self.send(Packet::Publish(publish)).await
    }

    /// The next packet within `wait`; `None` on timeout, close or a malformed packet.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Packet> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match Packet::read(&mut self.buf, 1 << 24) {
                Ok(packet) => return Some(packet),
                Err(CodecError::InsufficientBytes(_)) => {}
                Err(_) => {
                    self.closed = true;
                    return None;
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.closed = true;
                    return None;
                }
                Err(_) => return None,
                Ok(Ok(_)) => {}
            }
        }
    }

    /// True when the server closes the connection within `wait` (packets on the way skipped).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        closed_within(&mut self.stream, wait).await
    }
}

// ---------------------------------------------------------------------------------------------
// TLS

/// A client trusting exactly the harness's self-signed `localhost` certificate.
pub fn tls_connector(cert_der: &[u8]) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(cert_der.to_vec()))
        .expect("the test certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// TLS to `addr` as `localhost`; `None` when the handshake fails or stalls.
pub async fn tls_connect(
    connector: &TlsConnector,
    addr: SocketAddr,
) -> Option<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = ServerName::try_from("localhost").expect("server name");
    timeout(STEP, connector.connect(name, tcp)).await.ok()?.ok()
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP (CUPS)

/// One HTTP/1.1 request written by hand; the status code of the answer (0: none in time).
pub async fn http_status(addr: SocketAddr, request: &[u8]) -> u16 {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return 0;
    };
    if tcp.write_all(request).await.is_err() {
        return 0;
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + STEP;
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// A `POST /update-info` request with `authorization` and `body`.
pub fn update_info_request(addr: SocketAddr, authorization: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /update-info HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: {authorization}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The update-info body of a station with `eui`.
pub fn update_info_body(eui: u64) -> String {
    let crc = loragw_basicstation::cups::NO_CREDENTIALS_CRC;
    let router = eui
        .to_be_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join("-");
    format!(
        r#"{{"router":"{router}","cupsUri":"http://cups.example.com","tcUri":null,"cupsCredCrc":{crc},"tcCredCrc":{crc},"station":"2.0.6","model":"rpi","package":"1.0.0","keys":[]}}"#
    )
}
