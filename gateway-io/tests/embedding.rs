//! The README's "Embedding" guide, run: its `gateways.toml` is the registry, its program
//! (`examples/embedding.rs`, which the README shows verbatim) serves a packet forwarder over
//! loopback, and the class A reply to the forwarder's uplink leaves as a PULL_RESP for RX1 with
//! the power and CRC settings the guide describes.

#![cfg(feature = "udp")]
#![allow(clippy::unwrap_used)]

#[allow(dead_code)] // its `main` is the example's entry point, not called here
#[path = "../examples/embedding.rs"]
mod embedding;

use std::time::Duration;

use loragw_gateway_io::ListenerKind;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const README: &str = include_str!("../../README.md");
const EXAMPLE: &str = include_str!("../examples/embedding.rs");

/// The body of the README's first fenced block opened with `fence` (e.g. "```toml") after
/// `marker`, without the indentation of its fence (blocks inside list items are indented).
fn block_after(marker: &str, fence: &str) -> String {
    let from = README
        .find(marker)
        .unwrap_or_else(|| panic!("README has {marker}"));
    let mut lines = README[from..].lines();
    let indent = lines
        .by_ref()
        .find_map(|l| (l.trim_start() == fence).then(|| l.len() - fence.len()))
        .unwrap_or_else(|| panic!("a {fence} block after {marker}"));
    let body: Vec<&str> = lines
        .take_while(|l| l.trim() != "```")
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect();
    body.join("\n")
}

#[test]
fn the_readme_shows_the_example_verbatim() {
    let shown = block_after("## Embedding", "```rust");
    assert_eq!(
        shown.trim_end(),
        EXAMPLE.trim_end(),
        "README and examples/embedding.rs differ"
    );
}

#[tokio::test]
async fn the_guide_serves_a_gateway_and_answers_its_uplink_in_rx1() {
    let config = block_after("## Embedding", "```toml");
    let mut server = embedding::start(&config, "127.0.0.1:0").await.unwrap();
    let addr = server.local_addr(ListenerKind::Udp).unwrap();
    let serving = tokio::spawn(async move { embedding::serve(&mut server).await });

    // A packet forwarder with the EUI of the README's gateway: PULL_DATA, then an uplink.
    let gateway = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    gateway.connect(addr).await.unwrap();
    let header = |token: u8, kind: u8| {
        vec![
            2, 0, token, kind, 0x58, 0xA0, 0xCB, 0xFF, 0xFE, 0x80, 0x00, 0x01,
        ]
    };
    gateway.send(&header(1, 2)).await.unwrap();
    let rxpk = br#"{"rxpk":[{"tmst":4294000000,"freq":868.3,"rfch":0,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","rssi":-60,"lsnr":7.5,"size":12,"data":"QAQDAgGAAQCqu8zd"}]}"#;
    gateway
        .send(&[header(2, 0), rxpk.to_vec()].concat())
        .await
        .unwrap();

    let mut buf = [0u8; 2048];
    let pull_resp = loop {
        let len = timeout(Duration::from_secs(10), gateway.recv(&mut buf))
            .await
            .expect("the PULL_RESP within 10 s")
            .unwrap();
        if buf[3] == 3 {
            break buf[..len].to_vec();
        }
    };
    let txpk: serde_json::Value = serde_json::from_slice(&pull_resp[4..]).unwrap();
    let txpk = &txpk["txpk"];
    // 4,294,000,000 + 1,000,000 wraps around the 32-bit counter.
    assert_eq!(txpk["tmst"], 32_704);
    assert_eq!(txpk["imme"], false);
    assert_eq!(txpk["freq"].as_f64(), Some(868.3));
    assert_eq!(txpk["datr"], "SF9BW125");
    assert_eq!(txpk["powe"], 13, "the plan's 16 dBm EIRP is 13 dBm ERP");
    assert_eq!(txpk["ncrc"], true);
    assert_eq!(txpk["ipol"], true);
    assert!(!serving.is_finished(), "still serving");
    serving.abort();
}
