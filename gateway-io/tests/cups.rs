//! CUPS over loopback: a hyper client POSTs `update-info` as a station would and parses the
//! binary answer with basicstation's station side.

#![cfg(feature = "cups")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use loragw_basicstation::cups::{
    ClientAuth, Credentials, CupsTarget, NO_CREDENTIALS_CRC, StationActions, UpdateInfoRequest,
    UpdateInfoResponse, UpdateVerdict,
};
use loragw_gateway_io::event::{GatewayEvent, Protocol};
use loragw_gateway_io::ids::Eui64;
use loragw_gateway_io::registry::GatewayRecord;
use loragw_gateway_io::transport::cups::CupsSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind, TcpLimits};
use tokio::time::timeout;

use common::*;

const LNS_URI: &str = "ws://lns.example.com:1887";

fn settings() -> CupsSettings {
    CupsSettings::new(|gateway: &GatewayRecord, _: &UpdateInfoRequest| {
        (gateway.ids.gateway_id == GW_ID).then(|| CupsTarget {
            tc_uri: Some(LNS_URI.into()),
            tc_credentials: Some(Credentials::token(None, LNS_KEY)),
            ..Default::default()
        })
    })
}

fn request_body() -> String {
    format!(
        r#"{{"router":"102:304:506:708","cupsUri":"http://cups.example.com:1885","tcUri":null,"cupsCredCrc":{NO_CREDENTIALS_CRC},"tcCredCrc":{NO_CREDENTIALS_CRC},"station":"2.0.6(rpi/std) 2022-01-01 00:00:00","model":"rpi","package":"1.0.0","keys":[]}}"#
    )
}

/// One request on a fresh connection: status, content type and body.
async fn post(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: String,
) -> (StatusCode, String, Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json");
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, body.to_vec())
}

#[tokio::test]
async fn update_info_gives_the_lns_uri_and_credentials() {
    let server = GatewayServer::builder()
        .registry(registry_with_cups_key())
        .cups("127.0.0.1:0", settings())
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::Cups).unwrap();

    let (status, content_type, body) = timeout(
        STEP,
        post(addr, "POST", "/update-info", Some(CUPS_KEY), request_body()),
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "application/octet-stream");
    let response = UpdateInfoResponse::decode(&body).unwrap();
    assert_eq!(response.tc_uri.as_deref(), Some(LNS_URI));
    assert_eq!(response.cups_uri, None);
    let actions = StationActions::from_response(&response, &[]).unwrap();
    assert_eq!(actions.tc_uri.as_deref(), Some(LNS_URI));
    let creds = actions.tc_credentials.unwrap();
    assert_eq!(creds.trust, None);
    assert_eq!(creds.auth, ClientAuth::authorization(LNS_KEY));
    assert_eq!(actions.update, UpdateVerdict::NoUpdate);
}

#[tokio::test]
async fn refusals_say_why() {
    let mut server = GatewayServer::builder()
        .registry(registry_with_cups_key())
        .cups("127.0.0.1:0", settings())
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::Cups).unwrap();
    let go = |method: &'static str,
              path: &'static str,
              auth: Option<&'static str>,
              body: String| { timeout(STEP, post(addr, method, path, auth, body)) };

    // No key, a wrong key and an unknown gateway get the same answer: an unauthenticated
    // client cannot tell whether a gateway exists.
    let (status, _, no_key) = go("POST", "/update-info", None, request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The application hears of the station that was refused, by the EUI it named.
    match timeout(STEP, server.next_event()).await.unwrap().unwrap() {
        GatewayEvent::Refused {
            gateway,
            protocol,
            remote,
            reason,
            ..
        } => {
            assert_eq!(gateway.eui, Some(Eui64::from_u64(0x0102_0304_0506_0708)));
            assert_eq!(protocol, Protocol::BasicStation);
            assert_eq!(remote.map(|r| r.ip()), Some(addr.ip()));
            assert!(reason.starts_with("401"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let (status, _, wrong_key) = go("POST", "/update-info", Some("NNSXS.WRONG"), request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let unknown = request_body().replace("102:304:506:708", "ffff::1");
    let (status, _, unknown_gateway) = go("POST", "/update-info", Some(CUPS_KEY), unknown)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_key, wrong_key);
    assert_eq!(no_key, unknown_gateway);
    assert!(!String::from_utf8_lossy(&no_key).contains("0102030405060708"));
    assert_eq!(server.stats().refused_unauthenticated, 3);
    // The LNS key is a valid key of this gateway, lacking the CUPS rights.
    let (status, _, body) = go("POST", "/update-info", Some(LNS_KEY), request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("lacks"));

    // Malformed body, wrong method and path.
    let (status, _, _) = go("POST", "/update-info", Some(CUPS_KEY), "{".into())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = go("GET", "/update-info", Some(CUPS_KEY), String::new())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _, _) = go("POST", "/other", Some(CUPS_KEY), request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A body over the bound is refused without being read to the end.
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let (status, _, _) = go("POST", "/update-info", Some(CUPS_KEY), huge)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A client that sends its request one byte every 200 ms (a slowloris) is cut at the
/// handshake deadline, counted; a client past the per-address cap is closed at once.
#[tokio::test]
async fn slow_and_excess_clients_are_cut() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut limits = TcpLimits::default();
    limits.handshake_timeout = Duration::from_secs(1);
    limits.max_connections_per_ip = 2;
    let server = GatewayServer::builder()
        .registry(registry_with_cups_key())
        .cups("127.0.0.1:0", settings().with_limits(limits))
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::Cups).unwrap();

    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The third connection from 127.0.0.1 is closed without an answer.
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = timeout(STEP, third.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    let request = b"POST /update-info HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}";
    let mut cut = None;
    for byte in request {
        if slow.write_all(&[*byte]).await.is_err() {
            cut = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Closed by the server: the read ends (EOF or reset).
        if let Ok(Ok(0) | Err(_)) = timeout(Duration::from_millis(1), slow.read(&mut buf)).await {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the slow client was never cut");
    assert!(
        cut >= Duration::from_millis(900) && cut < Duration::from_secs(3),
        "{cut:?}"
    );
    let n = timeout(STEP, idle.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    let stats = server.stats();
    assert_eq!(stats.refused_address_full, 1, "{stats:?}");
    assert_eq!(stats.refused_handshake_timeout, 2, "{stats:?}");
}
