//! CUPS hands out a signed station update from the config (`[cups.update]` with a PEM signing
//! key): a station that has the public key (and lists its CRC) gets the update and its
//! signature, and the station side (`StationActions`) accepts it; a station with another key
//! refuses it.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_basicstation::cups::{
    NO_CREDENTIALS_CRC, StationActions, UpdateInfoResponse, UpdateVerdict, key_crc, signing,
};
use loragw_examples::gateway_server::{self, CupsUpdate, ServerConfig};
use loragw_gateway_io::transport::ListenerKind;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const UPDATE: &[u8] = b"#!/bin/sh\necho updated by CUPS\n";

/// POST /update-info as the demo station: status and body bytes.
async fn update_info(addr: std::net::SocketAddr, keys: &[u32]) -> (u16, Vec<u8>) {
    let keys: Vec<String> = keys.iter().map(u32::to_string).collect();
    let body = format!(
        r#"{{"router":"58a0:cbff:fe80:1","cupsUri":"http://localhost:1885","tcUri":"ws://localhost:1887","cupsCredCrc":{NO_CREDENTIALS_CRC},"tcCredCrc":{NO_CREDENTIALS_CRC},"station":"2.0.6","model":"rpi","package":"1.0.0","keys":[{}]}}"#,
        keys.join(",")
    );
    let request = format!(
        "POST /update-info HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        gateway_server::DEMO_CUPS_KEY,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(STEP, stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let status = std::str::from_utf8(&response[9..12])
        .unwrap()
        .parse()
        .unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let mut body = response[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line]).unwrap().trim(), 16).unwrap();
        data = &data[line + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn a_signed_update_reaches_the_station_that_has_the_key() {
    let dir = TempDir::new("cups-update");
    let secret = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
    let pem = secret.to_sec1_pem(Default::default()).unwrap();
    let key_file = dir.file("sig.pem", pem.as_bytes());
    let update_file = dir.file("update.sh", UPDATE);
    let station_key =
        signing::raw_public_key(p256::ecdsa::SigningKey::from(&secret).verifying_key());
    let crc = key_crc(&station_key);

    let mut config = ServerConfig::demo();
    config.listeners.udp = None;
    config.listeners.lbs = None;
    config.listeners.mqtt_v3 = None;
    config.listeners.mqtt_v2 = None;
    config.listeners.tabs_hubs = None;
    config.listeners.cups = Some("127.0.0.1:0".into());
    let mut update: CupsUpdate = toml_update("2.0.6-update1", &update_file, &key_file);
    config.cups.update = Some(update.clone());
    let server = gateway_server::start(config.clone()).await.unwrap();
    let addr = server.local_addr(ListenerKind::Cups).unwrap();

    let (status, body) = update_info(addr, &[crc]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let response = UpdateInfoResponse::decode(&body).unwrap();
    assert_eq!(response.signature.as_ref().unwrap().key_crc, crc);
    let actions = StationActions::from_response(&response, &[station_key]).unwrap();
    assert_eq!(actions.update, UpdateVerdict::Run(UPDATE.to_vec()));

    // A station with another key installed refuses what it cannot verify.
    let other = signing::raw_public_key(
        p256::ecdsa::SigningKey::from(&p256::SecretKey::from_slice(&[9u8; 32]).unwrap())
            .verifying_key(),
    );
    assert!(matches!(
        StationActions::from_response(&response, &[other])
            .unwrap()
            .update,
        UpdateVerdict::Rejected(_)
    ));

    // A signature made elsewhere, given as a DER file and the key's CRC, works alike.
    let signature = signing::sign_update(&p256::ecdsa::SigningKey::from(&secret), UPDATE).unwrap();
    update.signing_key = None;
    update.signature = Some(dir.file("update.sig", &signature.der).display().to_string());
    update.key_crc = Some(crc);
    config.cups.update = Some(update);
    drop(server);
    let server = gateway_server::start(config).await.unwrap();
    let (status, body) = update_info(server.local_addr(ListenerKind::Cups).unwrap(), &[crc]).await;
    assert_eq!(status, 200);
    let response = UpdateInfoResponse::decode(&body).unwrap();
    let actions = StationActions::from_response(&response, &[station_key]).unwrap();
    assert_eq!(actions.update, UpdateVerdict::Run(UPDATE.to_vec()));
}

fn toml_update(version: &str, file: &std::path::Path, key: &std::path::Path) -> CupsUpdate {
    let text = format!(
        "[cups.update]\nversion = \"{version}\"\nfile = \"{}\"\nsigning_key = \"{}\"\n",
        file.display(),
        key.display()
    );
    ServerConfig::from_toml(&text).unwrap().cups.update.unwrap()
}
