//! TLS client certificates over loopback: a CA, a server certificate and station certificates
//! naming gateway EUIs, all generated at test time. A station with a certificate for its EUI
//! connects to the LNS and to CUPS without any key; a certificate for another gateway, one
//! from an untrusted CA, a certificate for a gateway that accepts only keys, and a key for a
//! gateway that accepts only certificates are all refused; stations with a key and no
//! certificate still connect to a listener with a client CA.

#![cfg(all(feature = "tls", feature = "lbs", feature = "cups"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use loragw_basicstation::cups::{
    Credentials, CupsTarget, NO_CREDENTIALS_CRC, UpdateInfoRequest, UpdateInfoResponse,
};
use loragw_basicstation::station::{Modulation, ReceivedFrame, StationConfig, StationSession};
use loragw_gateway_io::event::{GatewayEvent, Protocol};
use loragw_gateway_io::ids::Eui64;
use loragw_gateway_io::registry::{GatewayRecord, InMemoryRegistry, hash_key};
use loragw_gateway_io::transport::cups::CupsSettings;
use loragw_gateway_io::transport::lbs::LbsSettings;
use loragw_gateway_io::transport::tabs::TabsSettings;
use loragw_gateway_io::transport::tls::{TlsConfig, client_certificate_eui};
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

use common::STEP;

/// Accepts certificates only (its key must not work).
const CERT_EUI: u64 = 0x0102_0304_0506_0708;
/// Accepts keys only (the default).
const KEY_EUI: u64 = 0x00AA_0000_0000_0002;
/// Accepts both.
const BOTH_EUI: u64 = 0x00AA_0000_0000_0003;
const KEY: &str = "NNSXS.CLIENT-CERT-TESTS";

/// `gw-cert`, `gw-key` and `gw-both`, each with the key [`KEY`] granting every right.
fn registry() -> InMemoryRegistry {
    let gateway = |id: &str, eui: u64, auth: &str| {
        format!(
            "[[gateway]]\nid = \"{id}\"\neui = \"{eui:016X}\"\nfrequency_plans = [\"EU_863_870\"]\n{auth}\n[[gateway.key]]\nname = \"k\"\nhash = \"{h}\"\nrights = [\"all\"]\n",
            h = hash_key(KEY, b"salt-client-cert"),
        )
    };
    let text = [
        gateway("gw-cert", CERT_EUI, "auth = [\"client-certificate\"]"),
        gateway("gw-key", KEY_EUI, ""),
        gateway(
            "gw-both",
            BOTH_EUI,
            "auth = [\"api-key\", \"client-certificate\"]",
        ),
    ]
    .concat();
    InMemoryRegistry::from_toml(&text).unwrap()
}

/// A certificate authority generated for the test.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A client certificate with this subject CN and DNS names.
    fn client(&self, common_name: &str, dns: &[&str]) -> Identity {
        let mut params =
            CertificateParams::new(dns.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity {
            cert: cert.der().clone(),
            key: key.serialize_der(),
        }
    }

    /// The server's certificate for `localhost`, and its TLS configuration.
    fn server(&self) -> TlsConfig {
        let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        TlsConfig::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap()
    }
}

/// A client certificate and its PKCS#8 key.
#[derive(Clone)]
struct Identity {
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

/// A client trusting `server_ca`, presenting `identity` if any.
fn connector(server_ca: &Ca, identity: Option<&Identity>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_ca.issuer.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match identity {
        Some(id) => builder
            .with_client_auth_cert(
                vec![id.cert.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    TlsConnector::from(Arc::new(config))
}

async fn tls(connector: &TlsConnector, addr: SocketAddr) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

type Ws = WebSocketStream<TlsStream<TcpStream>>;

/// Opens `/traffic/eui-<eui>` over TLS, with `key` as `Authorization` if any.
async fn open(
    connector: &TlsConnector,
    addr: SocketAddr,
    eui: u64,
    key: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let stream = tls(connector, addr).await?;
    let mut request = format!("wss://localhost:{}/traffic/eui-{eui:016X}", addr.port())
        .into_client_request()
        .unwrap();
    if let Some(key) = key {
        request
            .headers_mut()
            .insert("authorization", key.parse().unwrap());
    }
    client_async(request, stream).await.map(|(ws, _)| ws)
}

fn http_status(result: Result<Ws, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(_) => panic!("upgrade accepted"),
    }
}

async fn next(server: &mut GatewayServer) -> GatewayEvent {
    timeout(STEP, server.next_event()).await.unwrap().unwrap()
}

/// The next `Refused` event's reason (other events are skipped).
async fn next_refusal(server: &mut GatewayServer) -> (Eui64, String) {
    loop {
        if let GatewayEvent::Refused {
            gateway,
            protocol,
            reason,
            ..
        } = next(server).await
        {
            assert_eq!(protocol, Protocol::BasicStation);
            return (gateway.eui.unwrap(), reason);
        }
    }
}

async fn lns(ca: &Ca, client_ca: &Ca) -> (GatewayServer, SocketAddr) {
    let tls = ca
        .server()
        .with_client_ca(client_ca.pem().as_bytes())
        .unwrap();
    assert!(tls.has_client_ca());
    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station_tls("127.0.0.1:0", LbsSettings::default(), tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStationTls).unwrap();
    (server, addr)
}

#[test]
fn the_eui_is_read_from_the_common_name_or_a_dns_name() {
    let ca = Ca::new("station CA");
    let eui = |id: &Identity| client_certificate_eui(&id.cert);
    for cn in [
        "eui-0102030405060708",
        "0102030405060708",
        "01-02-03-04-05-06-07-08",
        "102:304:506:708",
    ] {
        assert_eq!(
            eui(&ca.client(cn, &[])),
            Some(Eui64::from_u64(CERT_EUI)),
            "{cn}"
        );
    }
    assert_eq!(
        eui(&ca.client("my station", &["eui-0102030405060708"])),
        Some(Eui64::from_u64(CERT_EUI))
    );
    // Names no EUI, or two different ones: proves no single gateway.
    assert_eq!(eui(&ca.client("my station", &["station.example"])), None);
    assert_eq!(
        eui(&ca.client("eui-0102030405060708", &["eui-00aa000000000002"])),
        None
    );
    assert_eq!(
        eui(&ca.client("eui-0102030405060708", &["eui-0102030405060708"])),
        Some(Eui64::from_u64(CERT_EUI))
    );
}

/// (a) A station with a certificate for its EUI and no key connects, gets its
/// `router_config`, and its uplink arrives.
#[tokio::test]
async fn a_station_with_a_certificate_for_its_eui_needs_no_key() {
    let ca = Ca::new("loragw test CA");
    let (mut server, addr) = lns(&ca, &ca).await;
    let station_cert = ca.client(&format!("eui-{CERT_EUI:016X}"), &[]);
    let ws = timeout(
        STEP,
        open(&connector(&ca, Some(&station_cert)), addr, CERT_EUI, None),
    )
    .await
    .unwrap()
    .unwrap();
    let mut ws = ws;
    let mut session = StationSession::new(StationConfig::default(), Instant::now());
    let mut text = String::new();
    while session.poll_transmit(&mut text) {
        ws.send(Message::text(text.clone())).await.unwrap();
    }
    let config = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let config: serde_json::Value = serde_json::from_str(config.to_text().unwrap()).unwrap();
    assert_eq!(config["msgtype"], "router_config");
    session.handle_message(Instant::now(), &config.to_string());
    let frame = ReceivedFrame {
        phy_payload: vec![0x40, 1, 2, 3, 4, 0x80, 1, 0, 1, 0xA1, 0xB2, 0xC3, 0xD4],
        freq: 868_100_000,
        modulation: Modulation::Lora {
            spreading_factor: 7,
            bandwidth_khz: 125,
        },
        xtime: 0x0023_0000_1234_5678,
        rctx: 0,
        gpstime: None,
        fts: None,
        rssi: -42,
        snr: 9.5,
        rxtime: 1_700_000_000.5,
    };
    session.send_uplink(Instant::now(), &frame).unwrap();
    while session.poll_transmit(&mut text) {
        ws.send(Message::text(text.clone())).await.unwrap();
    }
    loop {
        match next(&mut server).await {
            GatewayEvent::Uplink {
                gateway, message, ..
            } => {
                assert_eq!(gateway.gateway_id, "gw-cert");
                assert_eq!(gateway.eui, Some(Eui64::from_u64(CERT_EUI)));
                assert_eq!(message.raw_payload, frame.phy_payload);
                break;
            }
            GatewayEvent::Refused { reason, .. } => panic!("refused: {reason}"),
            _ => {}
        }
    }
    assert_eq!(server.stats().refused_unauthenticated, 0);
}

/// (c) A certificate for another gateway (forged identity) is refused with an event saying
/// why; one from an untrusted CA fails the TLS handshake; discovery for another router than
/// the certificate's gets an error.
#[tokio::test]
async fn a_certificate_never_opens_another_gateway() {
    let ca = Ca::new("loragw test CA");
    let (mut server, addr) = lns(&ca, &ca).await;
    // `gw-both` accepts certificates, but this one names `gw-cert`.
    let forged = connector(&ca, Some(&ca.client(&format!("eui-{CERT_EUI:016X}"), &[])));
    let status = http_status(
        timeout(STEP, open(&forged, addr, BOTH_EUI, None))
            .await
            .unwrap(),
    );
    assert_eq!(status, 401);
    let (eui, reason) = next_refusal(&mut server).await;
    assert_eq!(eui, Eui64::from_u64(BOTH_EUI));
    assert!(
        reason.starts_with("401 Unauthorized: unknown gateway or invalid credentials ("),
        "{reason}"
    );
    assert!(reason.contains("names EUI 0102030405060708"), "{reason}");
    assert_eq!(server.stats().refused_unauthenticated, 1);

    // Discovery for another router than the certificate's.
    let stream = tls(&forged, addr).await.unwrap();
    let request = format!("wss://localhost:{}/router-info", addr.port())
        .into_client_request()
        .unwrap();
    let (mut ws, _) = client_async(request, stream).await.unwrap();
    ws.send(Message::text(r#"{"router":"00-AA-00-00-00-00-00-03"}"#))
        .await
        .unwrap();
    let answer = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("client certificate does not name gateway"),
        "{answer}"
    );
    assert!(answer.get("uri").is_none(), "{answer}");

    // A certificate for the right EUI from a CA the server does not trust: no connection
    // (with TLS 1.3 the client learns it at its first read).
    let rogue = Ca::new("rogue CA");
    let untrusted = connector(
        &ca,
        Some(&rogue.client(&format!("eui-{CERT_EUI:016X}"), &[])),
    );
    let result = timeout(STEP, open(&untrusted, addr, CERT_EUI, None))
        .await
        .unwrap();
    assert!(
        matches!(
            result,
            Err(tungstenite::Error::Io(_)
                | tungstenite::Error::Tls(_)
                | tungstenite::Error::Protocol(_))
        ),
        "{:?}",
        result.map(|_| "upgraded")
    );
    assert_eq!(server.stats().sessions, 0);
}

/// (d) A gateway that accepts only keys refuses a certificate for its EUI; one that accepts
/// only certificates refuses its valid key. (e) A station with a key and no certificate
/// connects to a listener with a client CA.
#[tokio::test]
async fn each_gateway_accepts_only_its_methods() {
    let ca = Ca::new("loragw test CA");
    let (mut server, addr) = lns(&ca, &ca).await;
    let cert_for = |eui: u64| connector(&ca, Some(&ca.client(&format!("eui-{eui:016X}"), &[])));
    let no_cert = connector(&ca, None);

    let status = http_status(
        timeout(STEP, open(&cert_for(KEY_EUI), addr, KEY_EUI, None))
            .await
            .unwrap(),
    );
    assert_eq!(status, 401);
    let (eui, reason) = next_refusal(&mut server).await;
    assert_eq!(eui, Eui64::from_u64(KEY_EUI));
    assert!(
        reason.contains("does not accept authentication by ClientCertificate"),
        "{reason}"
    );

    // Refusal events are limited to one a second per listener: the next on a fresh one.
    let (mut server, addr) = lns(&ca, &ca).await;
    let status = http_status(
        timeout(STEP, open(&no_cert, addr, CERT_EUI, Some(KEY)))
            .await
            .unwrap(),
    );
    assert_eq!(status, 401);
    let (eui, reason) = next_refusal(&mut server).await;
    assert_eq!(eui, Eui64::from_u64(CERT_EUI));
    assert!(
        reason.contains("does not accept authentication by ApiKey"),
        "{reason}"
    );
    assert_eq!(server.stats().refused_unauthenticated, 1);

    // Keys still work without a certificate, and `gw-both` takes either.
    for (connector, eui, key) in [
        (&no_cert, KEY_EUI, Some(KEY)),
        (&no_cert, BOTH_EUI, Some(KEY)),
        (&cert_for(BOTH_EUI), BOTH_EUI, None),
    ] {
        let mut ws = timeout(STEP, open(connector, addr, eui, key))
            .await
            .unwrap()
            .unwrap();
        ws.send(Message::text(
            r#"{"msgtype":"version","station":"test","firmware":"2.0.0","protocol":2}"#,
        ))
        .await
        .unwrap();
        let config = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
        assert!(config.to_text().unwrap().contains("router_config"));
    }
    assert_eq!(server.stats().refused_unauthenticated, 1);
}

/// (b) CUPS answers a station that presents a certificate for its `router` EUI and no key;
/// a certificate for another router is refused.
#[tokio::test]
async fn cups_answers_a_station_by_its_certificate() {
    let ca = Ca::new("loragw test CA");
    let settings = CupsSettings::new(|_: &GatewayRecord, _: &UpdateInfoRequest| {
        Some(CupsTarget {
            tc_uri: Some("ws://lns.example.com:1887".into()),
            tc_credentials: Some(Credentials::token(None, KEY)),
            ..Default::default()
        })
    });
    let server_tls = ca.server().with_client_ca(ca.pem().as_bytes()).unwrap();
    let server = GatewayServer::builder()
        .registry(registry())
        .cups_tls("127.0.0.1:0", settings, server_tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::CupsTls).unwrap();
    let station = connector(&ca, Some(&ca.client(&format!("eui-{CERT_EUI:016X}"), &[])));
    let update_info = |router: u64| {
        let station = station.clone();
        async move {
            let stream = tls(&station, addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            let body = format!(
                r#"{{"router":"{router:016X}","cupsUri":"https://localhost","tcUri":null,"cupsCredCrc":{NO_CREDENTIALS_CRC},"tcCredCrc":{NO_CREDENTIALS_CRC},"station":"2.0.6","model":"rpi","package":null,"keys":[]}}"#
            );
            let request = hyper::Request::post("/update-info")
                .header("host", "localhost")
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let response = sender.send_request(request).await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.into_body().collect().await.unwrap().to_bytes(),
            )
        }
    };
    let (status, body) = timeout(STEP, update_info(CERT_EUI)).await.unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let response = UpdateInfoResponse::decode(&body).unwrap();
    assert_eq!(
        response.tc_uri.as_deref(),
        Some("ws://lns.example.com:1887")
    );
    let (status, body) = timeout(STEP, update_info(BOTH_EUI)).await.unwrap();
    assert_eq!(status, 401);
    assert_eq!(&body[..], b"unknown gateway or invalid credentials");
    assert_eq!(server.stats().refused_unauthenticated, 1);
}

/// Tabs Hubs shares the websocket transport: a hub with a certificate for its EUI connects.
#[tokio::test]
async fn tabs_hubs_accept_a_hub_by_its_certificate() {
    let ca = Ca::new("loragw test CA");
    let tls = ca.server().with_client_ca(ca.pem().as_bytes()).unwrap();
    let server = GatewayServer::builder()
        .registry(registry())
        .tabs_hubs_tls("127.0.0.1:0", TabsSettings::default(), tls)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::TabsHubsTls).unwrap();
    let hub = connector(&ca, Some(&ca.client(&format!("eui-{CERT_EUI:016X}"), &[])));
    let mut ws = timeout(STEP, open(&hub, addr, CERT_EUI, None))
        .await
        .unwrap()
        .unwrap();
    ws.send(Message::text(
        r#"{"msgtype":"version","station":"test","firmware":"2.0.0"}"#,
    ))
    .await
    .unwrap();
    let config = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let config: serde_json::Value = serde_json::from_str(config.to_text().unwrap()).unwrap();
    assert_eq!(config["msgtype"], "router_config");
    let status = http_status(
        timeout(STEP, open(&hub, addr, BOTH_EUI, None))
            .await
            .unwrap(),
    );
    assert_eq!(status, 401);
}

#[test]
fn a_client_ca_must_hold_a_certificate() {
    let ca = Ca::new("loragw test CA");
    let err = ca.server().with_client_ca(b"").unwrap_err();
    assert!(err.to_string().contains("client CA"), "{err}");
    let err = ca
        .server()
        .with_client_ca_file("/nonexistent/ca.pem")
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    assert!(!ca.server().has_client_ca());
}
