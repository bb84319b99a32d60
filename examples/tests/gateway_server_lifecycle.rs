//! The `gateway-server` binary stops cleanly: with a Semtech UDP gateway, a Basics Station and
//! an MQTT v3 gateway connected, SIGTERM closes the station's websocket with a close frame and
//! the MQTT connection, prints every gateway's final `disconnected` line (reason `shutdown`),
//! and exits 0 within the grace period, also when nobody reads its stdout. Logs carry no colour
//! codes (stderr is a pipe).

#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use gateway_server_support::*;
use loragw_gateway_io::registry::hash_key;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpStream, UdpSocket};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const MQTT_KEY: &str = "NNSXS.LIFECYCLE-MQTT";

/// Reads the server's stdout lines until `want` lines satisfy `done`.
async fn lines_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    mut done: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    loop {
        let line = tokio::time::timeout(STEP, lines.next_line())
            .await
            .expect("a line within the step timeout")
            .unwrap()
            .expect("stdout open");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        if done(&value) {
            return value;
        }
    }
}

#[tokio::test]
async fn sigterm_closes_every_connection_and_exits_zero() {
    let (udp, lbs, mqtt) = (free_port(), free_port(), free_port());
    let dir = TempDir::new("lifecycle");
    let config = dir.file(
        "server.toml",
        format!(
            r#"
[listeners]
udp = "127.0.0.1:{udp}"
lbs = "127.0.0.1:{lbs}"
cups = ""
mqtt_v3 = "127.0.0.1:{mqtt}"
mqtt_v2 = ""
tabs_hubs = ""

[udp]
allow_unregistered = true

[lbs]
allow_unauthenticated = true

[[registry.gateway]]
id = "station-one"
eui = "0000000000000011"
frequency_plans = ["EU_863_870"]

[[registry.gateway]]
id = "mqtt-one@tenant-one"
frequency_plans = ["EU_863_870"]
[[registry.gateway.key]]
name = "link"
hash = "{}"
rights = ["link"]
"#,
            hash_key(MQTT_KEY, b"salt-lifecycle-1")
        )
        .as_bytes(),
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();

    // Wait until the server listens (the MQTT port accepts).
    let mut tries = 0;
    let mut mqtt_conn = loop {
        match TcpStream::connect(("127.0.0.1", mqtt)).await {
            Ok(s) => break s,
            Err(_) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("server did not start: {e}"),
        }
    };

    // MQTT v3 gateway.
    mqtt_conn
        .write_all(&connect_packet("mqtt-one", "mqtt-one@tenant-one", MQTT_KEY))
        .await
        .unwrap();
    let mut connack = [0u8; 4];
    tokio::time::timeout(STEP, mqtt_conn.read_exact(&mut connack))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(connack, [0x20, 2, 0, 0], "CONNACK accepted");
    lines_until(&mut lines, |v| {
        v["event"] == "connected" && v["gateway_id"] == "mqtt-one@tenant-one"
    })
    .await;

    // Basics Station.
    let request = format!("ws://127.0.0.1:{lbs}/traffic/eui-0000000000000011")
        .into_client_request()
        .unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", lbs)).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    ws.send(Message::text(
        r#"{"msgtype":"version","station":"2.0.6","firmware":"1.0","package":"1.0","model":"test","protocol":2,"features":""}"#,
    ))
    .await
    .unwrap();
    lines_until(&mut lines, |v| {
        v["event"] == "connected" && v["gateway_id"] == "station-one"
    })
    .await;

    // Semtech UDP forwarder.
    let forwarder = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut push = vec![2, 0x12, 0x34, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x22];
    push.extend_from_slice(br#"{"stat":{"time":"2024-01-01 00:00:00 GMT","rxnb":0}}"#);
    forwarder.send_to(&push, ("127.0.0.1", udp)).await.unwrap();
    lines_until(&mut lines, |v| {
        v["event"] == "connected" && v["gateway_id"] == "eui-0000000000000022"
    })
    .await;

    // SIGTERM.
    let pid = child.id().unwrap();
    let kill = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(kill.success());

    // Every gateway gets its final line, with reason `shutdown`.
    let mut closed = std::collections::BTreeSet::new();
    while closed.len() < 3 {
        let line = lines_until(&mut lines, |v| v["event"] == "disconnected").await;
        assert_eq!(line["reason"], "shutdown", "{line}");
        closed.insert(line["gateway_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        closed.into_iter().collect::<Vec<_>>(),
        ["eui-0000000000000022", "mqtt-one@tenant-one", "station-one"]
    );

    // The station sees a websocket close frame (after what was queued for it).
    let close = tokio::time::timeout(STEP, async {
        while let Some(frame) = ws.next().await {
            match frame {
                Ok(Message::Close(frame)) => return Some(frame),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .unwrap();
    assert!(close.is_some(), "a close frame before the connection ended");

    // The MQTT gateway's connection ends (EOF, not a reset).
    let mut rest = Vec::new();
    let read = tokio::time::timeout(STEP, mqtt_conn.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(read.is_ok(), "{read:?}");

    // Exit 0 within the grace period (5 s) plus start-up slack.
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exited in bounded time")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    assert!(log.contains("SIGTERM: stopping"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a piped log: {log}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let out = run(
        std::path::Path::new(env!("CARGO_BIN_EXE_gateway-server")),
        &[
            "--log-format",
            "json",
            "--config",
            "/nonexistent/server.toml",
        ],
    )
    .await;
    assert!(!out.status.success());
    let log = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["level"], "ERROR");
        assert_eq!(value["fields"]["message"], "cannot load the config");
    }
}

/// A stdout nobody reads (a full pipe, event lines dropped) does not hold the stop: SIGTERM
/// still ends the process, with status 0, within the grace period plus slack.
#[tokio::test]
async fn sigterm_exits_even_when_nobody_reads_stdout() {
    let udp = free_port();
    let dir = TempDir::new("stuck-stdout");
    let config = udp_only_config(&dir, udp);
    let mut child = spawn_server(&config);
    // stdout is piped and never read; stderr is read to the end in the background.
    let mut stderr = child.stderr.take().unwrap();
    let log = tokio::spawn(async move {
        let mut log = String::new();
        stderr.read_to_string(&mut log).await.unwrap();
        log
    });
    let forwarder = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut push = vec![2, 0, 0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x33];
    push.extend_from_slice(
        br#"{"stat":{"time":"2024-01-01 00:00:00 GMT","rxnb":0,"pfrm":"a platform name long enough to make each event line a few hundred bytes"}}"#,
    );
    // Far more lines (`connected` and `status` of 20,000 gateways, one status each, under the
    // per-gateway rate limit) than the pipe (64 KiB) and the writer's queue (16,384 lines) hold.
    for round in 0..20_u16 {
        for i in 0..1000_u16 {
            let n = round * 1000 + i;
            push[10..12].copy_from_slice(&n.to_be_bytes());
            forwarder.send_to(&push, ("127.0.0.1", udp)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    terminate(&child);
    let status = tokio::time::timeout(Duration::from_secs(12), child.wait())
        .await
        .expect("exited in bounded time with a stuck stdout")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let log = tokio::time::timeout(STEP, log).await.unwrap().unwrap();
    assert!(
        log.contains("stdout is not keeping up"),
        "stdout was really stuck: {log}"
    );
    assert!(log.contains("stopped"), "{log}");
}
