//! The websocket upgrade of the Basics Station listener: which endpoint, which gateway, and
//! whether its credential grants the link right (checked before any upgrade): the
//! `Authorization` header, or without one the EUI of its verified TLS client certificate
//! ([`Credential::presented`]).
//!
//! The request head is read here first (at most [`MAX_REQUEST_HEAD`] bytes), checked against
//! the registry on a blocking thread, answered with a plain HTTP refusal if need be, and only
//! then replayed into tungstenite's handshake ([`Prefixed`]): a slow registry stalls only the
//! one connection, never a runtime thread or the driver.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_tungstenite::tungstenite::handshake::server::Request;
use tokio_tungstenite::tungstenite::http::StatusCode;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::freqplan::FrequencyPlan;
use crate::frontend::lbs::frequency_plans;
use crate::ids::Eui64;
use crate::registry::GatewayRecord;
use crate::registry::{AuthError, Credential, authorize_station};
use crate::transport::listener::Registry;

/// The discovery path.
pub const DISCOVERY_PATH: &str = "/router-info";

/// The prefix of traffic paths (`/traffic/eui-<16 hex>`).
pub const TRAFFIC_PREFIX: &str = "/traffic/";

/// What the upgrade request asked for.
#[derive(Debug, Clone)]
pub(super) enum Route {
    Discovery {
        traffic_base: String,
    },
    Traffic {
        record: Box<GatewayRecord>,
        plans: Vec<FrequencyPlan>,
    },
}

/// What the check of an upgrade request needs of its listener.
pub(super) struct Endpoint {
    pub(super) registry: Arc<dyn Registry>,
    /// The configured discovery base, if any.
    pub(super) traffic_base: Option<String>,
    pub(super) tls: bool,
    pub(super) local_addr: SocketAddr,
    pub(super) allow_unauthenticated: bool,
}

/// Largest upgrade request head (request line and headers) read.
pub(super) const MAX_REQUEST_HEAD: usize = 8 * 1024;

type Refusal = crate::transport::accept::Refusal<StatusCode>;

fn refuse(status: StatusCode, reason: String) -> Refusal {
    Refusal::new(status, reason)
}

/// How every upgrade request starts.
const UPGRADE_METHOD: &[u8] = b"GET ";

/// Reads until the end of the request head; returns everything read (the head and any bytes
/// after it). `InvalidData` past [`MAX_REQUEST_HEAD`].
pub(super) async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        // A websocket upgrade is a GET: anything else is refused as soon as its first bytes
        // show it, rather than held until the handshake deadline.
        let start = buf.len().min(UPGRADE_METHOD.len());
        if buf[..start] != UPGRADE_METHOD[..start] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an HTTP GET request",
            ));
        }
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(buf);
        }
        if buf.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The request line and headers of a head, as an `http` request (for [`check_upgrade`]);
/// `None` when it is not HTTP (tungstenite then answers the replayed bytes itself).
pub(super) fn parse_head(bytes: &[u8]) -> Option<Request> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    let mut request = Request::builder().method(method).uri(target);
    for line in lines {
        let (name, value) = line.split_once(':')?;
        request = request.header(name.trim(), value.trim());
    }
    request.body(()).ok()
}

/// Writes a refusal (the status and the reason as plain text), then closes.
pub(super) async fn write_refusal<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: StatusCode,
    reason: &str,
) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reason}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        reason.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// A stream whose first bytes are replayed from `prefix` (the request head already read).
pub(super) struct Prefixed<S> {
    prefix: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S> Prefixed<S> {
    pub(super) fn new(prefix: Vec<u8>, inner: S) -> Self {
        Prefixed {
            prefix,
            at: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.prefix.len() {
            let n = buf.remaining().min(this.prefix.len() - this.at);
            buf.put_slice(&this.prefix[this.at..this.at + n]);
            this.at += n;
            if this.at == this.prefix.len() {
                this.prefix = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The gateway EUI of `eui-<16 hex>` (as The Things Stack requires).
fn traffic_eui(id: &str) -> Option<Eui64> {
    let hex = id.strip_prefix("eui-")?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(Eui64::from_u64)
}

/// Checks the upgrade request: the route, and for traffic the gateway and its credential
/// (`client_eui`: what the connection's verified TLS client certificate names).
pub(super) fn check_upgrade(
    request: &Request,
    shared: &Endpoint,
    client_eui: Option<Eui64>,
) -> Result<Route, Refusal> {
    let path = request.uri().path();
    if path == DISCOVERY_PATH {
        let traffic_base = match &shared.traffic_base {
            Some(base) => base.clone(),
            None => {
                let scheme = if shared.tls { "wss" } else { "ws" };
                let host = request
                    .headers()
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .map_or_else(|| shared.local_addr.to_string(), str::to_owned);
                format!("{scheme}://{host}")
            }
        };
        return Ok(Route::Discovery { traffic_base });
    }
    let Some(id) = path.strip_prefix(TRAFFIC_PREFIX) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!(
                "{path}: not a Basics Station endpoint ({DISCOVERY_PATH}, {TRAFFIC_PREFIX}eui-<16 hex>)"
            ),
        ));
    };
    let eui = traffic_eui(id).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("{id}: invalid gateway id, expected eui-<16 hex digits>"),
        )
    })?;
    let authorization = request
        .headers()
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // An unknown gateway and a wrong key get the same answer: an unauthenticated client
    // learns nothing about which gateways exist (the log and the refusal event say why).
    let credential = Credential::presented(authorization.as_deref(), client_eui);
    let record = authorize_station(
        &*shared.registry,
        eui,
        credential,
        shared.allow_unauthenticated,
    )
    .map_err(|e| match e {
        // Only a valid credential of this gateway gets this far.
        AuthError::MissingRight { .. } => refuse(StatusCode::FORBIDDEN, e.to_string()),
        _ => Refusal::unauthenticated(StatusCode::UNAUTHORIZED, Some(&e)),
    })?;
    // The frequency plans too are looked up here, off the driver.
    let plans = frequency_plans(&*shared.registry, &record).map_err(|e| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("gateway `{}`: {e}", record.ids.gateway_id),
        )
    })?;
    Ok(Route::Traffic {
        record: Box::new(record),
        plans,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_parse_and_replay() {
        let bytes = b"GET /traffic/eui-0102030405060708 HTTP/1.1\r\nHost: lns:1887\r\nAuthorization: Bearer K\r\n\r\nrest";
        let request = parse_head(bytes).unwrap();
        assert_eq!(request.uri().path(), "/traffic/eui-0102030405060708");
        assert_eq!(request.headers()["authorization"], "Bearer K");
        assert_eq!(request.headers()["host"], "lns:1887");
        assert!(parse_head(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n").is_none());
        assert!(parse_head(b"GET / HTTP/1.1\r\n").is_none());
    }

    #[tokio::test]
    async fn the_head_is_replayed_before_the_rest() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b"after").await.unwrap();
        drop(client);
        let mut stream = Prefixed::new(b"head ".to_vec(), server);
        let mut all = String::new();
        stream.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "head after");
    }

    #[tokio::test]
    async fn anything_but_a_get_is_refused_without_waiting_for_more() {
        // The client keeps its end open: a refusal that waited for the end of the head (or for
        // EOF) would hang here.
        for first in [
            &b"\x00\xFF\xFE GET /"[..],
            b"POST /router-info",
            b"G\x00",
            b"get /",
        ] {
            let (mut client, mut server) = tokio::io::duplex(1024);
            client.write_all(first).await.unwrap();
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(5), read_head(&mut server))
                    .await;
            let error = read.expect("refused at once").expect_err("not a GET");
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{first:?}");
            drop(client);
        }
        let (mut client, mut server) = tokio::io::duplex(1024);
        client.write_all(b"GE").await.unwrap();
        let pending =
            tokio::time::timeout(std::time::Duration::from_millis(50), read_head(&mut server))
                .await;
        assert!(pending.is_err(), "a GET still arriving is waited for");
    }

    #[test]
    fn traffic_paths_need_sixteen_hex_digits() {
        assert_eq!(
            traffic_eui("eui-0102030405060708"),
            Some(Eui64::from_u64(0x0102_0304_0506_0708))
        );
        assert_eq!(
            traffic_eui("eui-aabbccddeeff0011"),
            Some(Eui64::from_u64(0xAABB_CCDD_EEFF_0011))
        );
        for bad in [
            "eui-0102",
            "0102030405060708",
            "eui-01020304050607080",
            "eui-+102030405060708",
            "eui-010203040506070g",
        ] {
            assert_eq!(traffic_eui(bad), None, "{bad}");
        }
    }
}
