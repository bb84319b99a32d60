//! `[tls] client_ca` end to end: the gateway server from a config file, a gateway whose
//! registry entry accepts only client certificates, and a station that presents a
//! certificate naming its EUI (and no key) over `wss://` gets its `router_config`; a station
//! with a certificate for another EUI is refused.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use gateway_server_support::*;
use loragw_examples::gateway_server::{self, ServerConfig, demo_tls};
use loragw_gateway_io::transport::ListenerKind;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::client_async;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

const EUI: &str = "58A0CBFFFE800001";

#[tokio::test]
async fn a_station_authenticates_with_its_client_certificate() {
    let dir = TempDir::new("client-cert");
    // The server's certificate (the demo's generator) and a CA for the stations.
    let server_tls = demo_tls::ensure(&dir.0.join("tls")).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "stations CA");
    let stations_ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let client_ca = dir.file("stations-ca.pem", stations_ca.pem().as_bytes());

    let config = format!(
        r#"
[listeners]
udp = ""
lbs = ""
cups = ""
mqtt_v3 = ""
mqtt_v2 = ""
tabs_hubs = ""
lbs_tls = "127.0.0.1:0"

[tls]
cert = "{cert}"
key = "{key}"
client_ca = "{client_ca}"

[[registry.gateway]]
id = "gw-cert"
eui = "{EUI}"
frequency_plans = ["EU_863_870"]
auth = ["client-certificate"]
"#,
        cert = server_tls.cert.display(),
        key = server_tls.key.display(),
        client_ca = client_ca.display(),
    );
    let mut server = gateway_server::start(ServerConfig::from_toml(&config).unwrap())
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStationTls).unwrap();

    // A station trusting the server's CA, presenting a certificate for `common_name`.
    let connect = |common_name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &stations_ca).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        let server_ca = std::fs::read(&server_tls.ca).unwrap();
        roots
            .add(CertificateDer::from_pem_slice(&server_ca).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        async move {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let stream = TlsConnector::from(Arc::new(client))
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap();
            let request = format!("wss://localhost:{}/traffic/eui-{EUI}", addr.port())
                .into_client_request()
                .unwrap();
            client_async(request, stream).await.map(|(ws, _)| ws)
        }
    };

    let mut ws = tokio::time::timeout(STEP, connect(&format!("eui-{EUI}")))
        .await
        .unwrap()
        .unwrap();
    ws.send(Message::text(
        r#"{"msgtype":"version","station":"2.0.6","firmware":"1.0","model":"rpi","protocol":2}"#,
    ))
    .await
    .unwrap();
    let config = tokio::time::timeout(STEP, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let config: serde_json::Value = serde_json::from_str(config.to_text().unwrap()).unwrap();
    assert_eq!(config["msgtype"], "router_config");
    let connected = next_line(&mut server).await;
    assert_eq!(connected["event"], "connected");
    assert_eq!(connected["gateway_id"], "gw-cert");

    // A certificate for another EUI opens nothing.
    let refused = tokio::time::timeout(STEP, connect("eui-58A0CBFFFE800002"))
        .await
        .unwrap();
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("unexpected {:?}", other.map(|_| "upgraded")),
    }
}
