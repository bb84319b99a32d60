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
use loragw_gateway_io::registry::GatewayRecord;
use loragw_gateway_io::transport::cups::CupsSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
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
    let server = GatewayServer::builder()
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

    // No key, a wrong key, and the LNS key (which lacks the CUPS rights).
    let (status, _, body) = go("POST", "/update-info", None, request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&body).contains("no credential"));
    let (status, _, _) = go("POST", "/update-info", Some("NNSXS.WRONG"), request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = go("POST", "/update-info", Some(LNS_KEY), request_body())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("lacks"));

    // Unknown gateway, malformed body, wrong method and path.
    let unknown = request_body().replace("102:304:506:708", "ffff::1");
    let (status, _, body) = go("POST", "/update-info", Some(CUPS_KEY), unknown)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("not registered"));
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
