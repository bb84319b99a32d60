//! Websockets to an LNS, for the simulated stations and the bridge: discovery
//! (`/router-info`), then the traffic endpoint with the key as `Authorization`; `ws://`, or
//! `wss://` trusting the CA certificates of a PEM file (rustls with the ring provider).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::Eui64 as StationEui;
use loragw_basicstation::discovery::{DiscoveryRequest, DiscoveryResponse};
use loragw_semtech_udp::GatewayEui;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};

/// Longest wait for a TCP connection plus TLS and websocket handshakes, or a discovery answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A plain or TLS byte stream.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A websocket to the LNS.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// Opens websockets to one LNS.
pub(crate) struct Connector {
    tls: Option<TlsConnector>,
}

impl Connector {
    /// Loads the CA certificates of `tls_ca` (PEM), if given; without, only `ws://` works.
    pub(crate) fn new(tls_ca: Option<&std::path::Path>) -> Result<Connector, String> {
        let Some(path) = tls_ca else {
            return Ok(Connector { tls: None });
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in
            CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))?
        {
            let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if roots.is_empty() {
            return Err(format!("{}: no certificate", path.display()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Connector {
            tls: Some(TlsConnector::from(Arc::new(tls))),
        })
    }

    /// Discovery at `{address}/router-info` (with `discovery`), then the traffic websocket
    /// (the discovered URI, or `{address}/traffic/eui-{EUI}`) with `key` as `Authorization`.
    pub(crate) async fn connect(
        &self,
        address: String,
        discovery: bool,
        key: Option<String>,
        eui: GatewayEui,
    ) -> Result<Ws, String> {
        let base = address.trim_end_matches('/');
        let traffic = if discovery {
            let url = format!("{base}/router-info");
            let mut ws = self.open(&url, None).await?;
            let mut request = String::new();
            DiscoveryRequest {
                router: StationEui(eui.to_u64()),
            }
            .encode(&mut request)
            .map_err(|e| e.to_string())?;
            ws.send(Message::text(request))
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let reply = tokio::time::timeout(CONNECT_TIMEOUT, ws.next())
                .await
                .map_err(|_| format!("{url}: no answer"))?;
            let _ = ws.close(None).await;
            let text = match reply {
                Some(Ok(Message::Text(t))) => t,
                other => return Err(format!("{url}: unexpected answer {other:?}")),
            };
            match DiscoveryResponse::decode(text.as_str()).map_err(|e| e.to_string())? {
                DiscoveryResponse::Muxs { uri, .. } => uri,
                DiscoveryResponse::Error { error, .. } => {
                    return Err(format!("{url}: refused: {error}"));
                }
            }
        } else {
            format!("{base}/traffic/eui-{:016X}", eui.to_u64())
        };
        tracing::info!(%traffic, "connecting to the LNS");
        self.open(&traffic, key.as_deref()).await
    }

    /// Opens one websocket to `url`, with `key` as `Authorization`.
    pub(crate) async fn open(&self, url: &str, key: Option<&str>) -> Result<Ws, String> {
        let mut request = url
            .into_client_request()
            .map_err(|e| format!("{url}: {e}"))?;
        if let Some(key) = key {
            let value = key.parse().map_err(|e| format!("key: {e}"))?;
            request.headers_mut().insert("authorization", value);
        }
        let (secure, rest) = if let Some(rest) = url.strip_prefix("wss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("ws://") {
            (false, rest)
        } else {
            return Err(format!("{url}: not a ws:// or wss:// URI"));
        };
        let authority = rest.split('/').next().unwrap_or(rest);
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .trim_matches(['[', ']']);
        let handshake = async {
            let tcp = TcpStream::connect(authority)
                .await
                .map_err(|e| format!("{authority}: {e}"))?;
            let stream: Box<dyn Io> = if secure {
                let tls = self
                    .tls
                    .as_ref()
                    .ok_or_else(|| format!("{url}: wss:// needs tls_ca in the config"))?;
                let name =
                    ServerName::try_from(host.to_owned()).map_err(|e| format!("{url}: {e}"))?;
                Box::new(
                    tls.connect(name, tcp)
                        .await
                        .map_err(|e| format!("{url}: TLS: {e}"))?,
                )
            } else {
                Box::new(tcp)
            };
            let (ws, _) = client_async(request, stream)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            Ok(ws)
        };
        tokio::time::timeout(CONNECT_TIMEOUT, handshake)
            .await
            .map_err(|_| format!("{url}: timed out"))?
    }
}
