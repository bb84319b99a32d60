//! `gateway-forwarder load` against the `gateway-server` binary: 20 gateways for at most 2 s
//! at a modest rate; every PUSH_DATA is acknowledged (sent == acked, none lost), every one
//! came out of the server as an uplink event line, and the summary carries its fields (ack
//! latency, the server's CPU time and peak RSS) on stdout, in the `--json` file and on stderr.
//! No timing is asserted. With `--events none` the server acknowledges the same way and writes
//! no event line.
//!
//! `--protocol lbs` and `--protocol mqtt-v3` against a server listing the load's gateways
//! (the tables `--print-registry` printed, one salted hash per gateway): every uplink sent is
//! counted by the server's `/metrics`, none lost.
//!
//! With the server's stdout piped into `--events-from -`, every uplink sent over each protocol
//! is matched to its event line (the event latency). `--datagram-len N` makes every PUSH_DATA
//! N bytes (checked on a stand-in socket), and lengths no PHYPayload fits are refused.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use std::time::Duration;

use gateway_server_support::{STEP, TempDir, free_port, udp_only_config, wait_for_tcp};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::UdpSocket;

/// A UDP port nobody uses now.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the server answers a PULL_DATA with a PULL_ACK.
async fn wait_ready(port: u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let pull = [2, 0x55, 0x66, 0x02, 0xAA, 0, 0, 0, 0, 0, 0, 1];
    let mut ack = [0u8; 16];
    for _ in 0..100 {
        socket.send_to(&pull, ("127.0.0.1", port)).await.unwrap();
        if let Ok(Ok((4, _))) =
            tokio::time::timeout(Duration::from_millis(100), socket.recv_from(&mut ack)).await
        {
            assert_eq!(ack[..4], [2, 0x55, 0x66, 0x04], "PULL_ACK");
            return;
        }
    }
    panic!("gateway-server did not answer on UDP {port}");
}

/// Sends `n` PUSH_DATA of one gateway one at a time, each acknowledged before the next, at
/// most one per 2 ms.
async fn push_acknowledged(port: u16, n: u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut ack = [0u8; 16];
    for token in 0..n {
        let [hi, lo] = token.to_be_bytes();
        let mut push = vec![2, hi, lo, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x33];
        push.extend_from_slice(format!(
            r#"{{"rxpk":[{{"tmst":{token},"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"lsnr":9.5,"size":14,"data":"QAECAwQAAQABqgECAwQ="}}]}}"#
        ).as_bytes());
        socket.send_to(&push, ("127.0.0.1", port)).await.unwrap();
        let (len, _) = tokio::time::timeout(STEP, socket.recv_from(&mut ack))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ack[..len], [2, hi, lo, 0x01], "PUSH_ACK");
        // Under the per-gateway rate limit (10 datagrams within 10 ms).
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Runs `gateway-server` on a UDP-only config with `extra` arguments, sends 20 acknowledged
/// PUSH_DATA, stops it with SIGTERM and returns what it left.
async fn serve_twenty_uplinks(dir: &TempDir, extra: &[&str]) -> std::process::Output {
    let port = free_udp_port();
    let config = udp_only_config(dir, port);
    let server = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap()])
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_ready(port).await;
    push_acknowledged(port, 20).await;
    tokio::process::Command::new("kill")
        .args(["-TERM", &server.id().unwrap().to_string()])
        .status()
        .await
        .unwrap();
    tokio::time::timeout(STEP, server.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn with_events_none_uplinks_are_acknowledged_and_no_line_is_written() {
    let dir = TempDir::new("load-none");
    let output = serve_twenty_uplinks(&dir, &["--events", "none"]).await;
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stdout), "", "no event line");

    // The same traffic without the flag: a line per event (connected, 20 uplinks, and the
    // disconnected of the stop).
    let output = serve_twenty_uplinks(&dir, &[]).await;
    let uplinks = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"] == "uplink")
        .count();
    assert_eq!(uplinks, 20);
}

#[tokio::test]
async fn load_against_the_example_server_loses_nothing_and_reports_its_fields() {
    let port = free_udp_port();
    let dir = TempDir::new("load");
    let config = udp_only_config(&dir, port);
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = server.id().unwrap();
    // Count the uplink event lines while the load runs.
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let uplinks = tokio::spawn(async move {
        let mut n = 0u64;
        while let Ok(Some(line)) = lines.next_line().await {
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            if value["event"] == "uplink" {
                n += 1;
            }
        }
        n
    });
    wait_ready(port).await;

    let results = dir.0.join("results.jsonl");
    let output = tokio::time::timeout(
        STEP,
        tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-forwarder"))
            .args([
                "load",
                "--server",
                &format!("127.0.0.1:{port}"),
                "--gateways",
                "20",
                "--in-flight",
                "16",
                "--rate",
                "500",
                "--duration",
                "2",
                "--count",
                "600",
                "--server-pid",
                &pid.to_string(),
                "--label",
                "e2e",
                "--json",
                results.to_str().unwrap(),
            ])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the load finished within the step timeout")
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}\n{stderr}", output.status);

    let stdout = String::from_utf8(output.stdout).unwrap();
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let sent = summary["sent"].as_u64().unwrap();
    assert!(sent > 0 && sent <= 600, "{summary}");
    assert_eq!(summary["acked"].as_u64(), Some(sent), "{summary}");
    assert_eq!(summary["lost"], 0, "{summary}");
    assert_eq!(summary["unexpected"], 0, "{summary}");
    assert_eq!(summary["label"], "e2e");
    assert_eq!(summary["gateways"], 20);
    assert!(summary["acked_per_s"].as_f64().unwrap() > 0.0, "{summary}");
    assert!(summary["datagram_len"].as_u64().unwrap() > 100, "{summary}");
    let latency = &summary["latency"];
    assert_eq!(latency["samples"].as_u64(), Some(sent), "{summary}");
    assert!(latency["p50_us"].as_u64().unwrap() <= latency["p99_us"].as_u64().unwrap());
    let usage = &summary["server"];
    assert!(usage["cpu_s"].as_f64().unwrap() >= 0.0, "{summary}");
    assert!(usage["peak_rss_kib"].as_u64().unwrap() > 0, "{summary}");
    // The results file holds the same line.
    let file = std::fs::read_to_string(&results).unwrap();
    assert_eq!(file.trim(), stdout.trim());
    // Progress and the human summary went to stderr.
    assert!(stderr.contains("acked/s"), "{stderr}");
    assert!(stderr.contains("ack latency p50"), "{stderr}");
    assert!(stderr.contains("peak rss"), "{stderr}");

    // Each acknowledged PUSH_DATA came out of the server as one uplink event.
    tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    let status = tokio::time::timeout(STEP, server.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let uplinks = tokio::time::timeout(STEP, uplinks).await.unwrap().unwrap();
    assert_eq!(uplinks, sent);
}

/// The load's `--print-registry` tables for `gateways` gateways with `key`.
async fn printed_registry(gateways: u32, key: &str) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-forwarder"))
        .args([
            "load",
            "--protocol",
            "lbs",
            "--print-registry",
            "--key",
            key,
        ])
        .args(["--gateways", &gateways.to_string()])
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn lbs_and_mqtt_v3_loads_are_counted_by_the_server_and_lose_nothing() {
    const KEY: &str = "NNSXS.LOAD-TEST-KEY";
    let registry = printed_registry(5, KEY).await;
    assert_eq!(
        registry.matches("[[registry.gateway]]").count(),
        5,
        "{registry}"
    );
    assert!(registry.contains("id = \"load-gw-4\""), "{registry}");
    assert!(
        registry.contains("eui = \"58-A0-CB-FF-FE-90-00-04\""),
        "{registry}"
    );
    // A fresh salt per gateway: no two hash lines alike.
    let hashes: std::collections::HashSet<_> = registry
        .lines()
        .filter(|l| l.starts_with("hash = "))
        .collect();
    assert_eq!(hashes.len(), 5, "{registry}");

    let (lbs, mqtt, web) = (free_port(), free_port(), free_port());
    let dir = TempDir::new("load-counted");
    let config = dir.file(
        "server.toml",
        format!(
            r#"
[listeners]
udp = ""
lbs = "127.0.0.1:{lbs}"
cups = ""
mqtt_v3 = "127.0.0.1:{mqtt}"
mqtt_v2 = ""
tabs_hubs = ""

[metrics]
listen = "127.0.0.1:{web}"

{registry}"#
        )
        .as_bytes(),
    );
    let _server = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap(), "--events", "none"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for port in [lbs, mqtt, web] {
        wait_for_tcp(port).await;
    }
    for (protocol, port) in [("lbs", lbs), ("mqtt-v3", mqtt)] {
        let output = tokio::time::timeout(
            STEP,
            tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-forwarder"))
                .args(["load", "--protocol", protocol, "--key", KEY, "--quiet"])
                .args(["--server", &format!("127.0.0.1:{port}")])
                .args(["--metrics", &format!("http://127.0.0.1:{web}/metrics")])
                .args(["--gateways", "5", "--rate", "200", "--duration", "2"])
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("the load finished within the step timeout")
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{protocol}: {:?}\n{stderr}",
            output.status
        );
        let summary: serde_json::Value =
            serde_json::from_str(String::from_utf8(output.stdout).unwrap().trim()).unwrap();
        let sent = summary["sent"].as_u64().unwrap();
        assert!(sent > 0, "{summary}");
        assert_eq!(summary["acked"].as_u64(), Some(sent), "{summary}");
        assert_eq!(summary["lost"], 0, "{summary}");
        assert_eq!(summary["unexpected"], 0, "{summary}");
        assert_eq!(summary["protocol"], protocol, "{summary}");
        assert!(
            summary["measure"]
                .as_str()
                .unwrap()
                .contains("server counted"),
            "{summary}"
        );
        assert!(stderr.contains("no per-uplink ack"), "{stderr}");
    }
}

/// Runs `gateway-forwarder load` with `args` (and `stdin`, e.g. the server's event lines)
/// within the step timeout: its exit status, JSON summary (`Null` without one) and stderr.
async fn run_load(
    args: &[&str],
    stdin: std::process::Stdio,
) -> (std::process::ExitStatus, serde_json::Value, String) {
    let output = tokio::time::timeout(
        STEP,
        tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-forwarder"))
            .arg("load")
            .args(args)
            .stdin(stdin)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the load finished within the step timeout")
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let summary = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (
        output.status,
        summary,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `gateway-server` on `config` (events as JSON lines), its stdout handed over as a stdin.
fn server_with_events(config: &std::path::Path) -> (tokio::process::Child, std::process::Stdio) {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let events = server.stdout.take().unwrap().try_into().unwrap();
    (server, events)
}

/// Every uplink sent was matched to its event line, and the summary says so on stdout and
/// stderr.
fn assert_every_uplink_matched(summary: &serde_json::Value, stderr: &str) {
    let sent = summary["sent"].as_u64().unwrap();
    assert!(sent > 0, "{summary}");
    let events = &summary["event_latency"];
    assert_eq!(events["measure"], "sent → event line", "{summary}");
    assert_eq!(events["matched"].as_u64(), Some(sent), "{summary}");
    assert_eq!(events["unmatched"], 0, "{summary}");
    assert_eq!(events["foreign"], 0, "{summary}");
    assert_eq!(events["samples"].as_u64(), Some(sent), "{summary}");
    assert!(
        events["p50_us"].as_u64().unwrap() <= events["p99_us"].as_u64().unwrap(),
        "{summary}"
    );
    assert!(
        stderr.contains("event latency (sent → event line) p50 ")
            && stderr.contains(&format!("matched {sent} of {sent}  unmatched 0")),
        "{stderr}"
    );
}

#[tokio::test]
async fn udp_load_with_piped_events_matches_every_uplink_at_the_chosen_datagram_len() {
    let port = free_udp_port();
    let dir = TempDir::new("load-events-udp");
    let (mut server, events) = server_with_events(&udp_only_config(&dir, port));
    wait_ready(port).await;
    let server_arg = format!("127.0.0.1:{port}");
    let (status, summary, stderr) = run_load(
        &[
            "--server",
            &server_arg,
            "--gateways",
            "20",
            "--in-flight",
            "16",
            "--rate",
            "500",
            "--duration",
            "2",
            "--count",
            "400",
            "--datagram-len",
            "321",
            "--events-from",
            "-",
            "--quiet",
        ],
        events,
    )
    .await;
    assert!(status.success(), "{status:?}\n{stderr}");
    let sent = summary["sent"].as_u64().unwrap();
    assert_eq!(summary["acked"].as_u64(), Some(sent), "{summary}");
    assert_eq!(summary["datagram_len"], 321, "{summary}");
    assert!(stderr.contains("321 B PUSH_DATA"), "{stderr}");
    // The PUSH_ACK latency stays, the event latency comes in addition.
    assert_eq!(
        summary["latency"]["samples"].as_u64(),
        Some(sent),
        "{summary}"
    );
    assert_every_uplink_matched(&summary, &stderr);
    server.start_kill().unwrap();
}

#[tokio::test]
async fn datagrams_are_exactly_the_chosen_length_and_impossible_lengths_are_refused() {
    // A stand-in server that records every datagram and acknowledges it.
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server_arg = socket.local_addr().unwrap().to_string();
    let received = tokio::spawn(async move {
        let mut datagrams = Vec::new();
        let mut buf = [0u8; 2048];
        while let Ok(Ok((len, from))) =
            tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf)).await
        {
            socket.send_to(&[2, buf[1], buf[2], 1], from).await.unwrap();
            datagrams.push(buf[..len].to_vec());
        }
        datagrams
    });
    let lengths = [193, 194, 195, 196, 321, 400];
    for len in lengths {
        let (status, summary, stderr) = run_load(
            &[
                "--server",
                &server_arg,
                "--gateways",
                "3",
                "--count",
                "6",
                "--datagram-len",
                &len.to_string(),
                "--quiet",
            ],
            std::process::Stdio::null(),
        )
        .await;
        assert!(status.success(), "{len}: {status:?}\n{stderr}");
        assert_eq!(summary["datagram_len"], len, "{summary}");
        assert_eq!(summary["acked"], 6, "{summary}");
    }
    let datagrams = received.await.unwrap();
    assert_eq!(datagrams.len(), 6 * lengths.len());
    for (i, datagram) in datagrams.iter().enumerate() {
        assert_eq!(datagram.len(), lengths[i / 6], "datagram {i}");
        // A well-formed PUSH_DATA whose uplink's FCnt is its gateway's datagram number.
        match loragw_semtech_udp::Packet::decode(datagram).unwrap() {
            loragw_semtech_udp::Packet::PushData(push) => {
                let phy = &push.rxpk[0].data;
                assert_eq!(phy[0], 0x40, "unconfirmed data uplink");
                let nth = (i % 6 / 3) as u16;
                assert_eq!(u16::from_le_bytes([phy[6], phy[7]]), nth, "datagram {i}");
                assert!(phy.len() <= 255);
            }
            other => panic!("{other:?}"),
        }
    }

    // Below an empty FRMPayload, above a 255-byte PHYPayload, and for another protocol.
    for (args, refusal) in [
        (&["--datagram-len", "100"][..], "datagram_len 100"),
        (&["--datagram-len", "2000"], "datagram_len 2000"),
        (
            &["--datagram-len", "321", "--protocol", "lbs"],
            "udp protocol only",
        ),
    ] {
        let (status, summary, stderr) = run_load(
            &[&["--server", "127.0.0.1:9", "--count", "1"][..], args].concat(),
            std::process::Stdio::null(),
        )
        .await;
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(summary, serde_json::Value::Null);
        assert!(stderr.contains(refusal), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn lbs_and_mqtt_v3_loads_with_piped_events_match_every_uplink() {
    const KEY: &str = "NNSXS.LOAD-EVENTS-KEY";
    let registry = printed_registry(5, KEY).await;
    for protocol in ["lbs", "mqtt-v3"] {
        let (port, web) = (free_port(), free_port());
        let dir = TempDir::new("load-events-counted");
        let listener = |name: &str| {
            if protocol.replace('-', "_") == name {
                format!("127.0.0.1:{port}")
            } else {
                String::new()
            }
        };
        let config = dir.file(
            "server.toml",
            format!(
                r#"
[listeners]
udp = ""
lbs = "{}"
cups = ""
mqtt_v3 = "{}"
mqtt_v2 = ""
tabs_hubs = ""

[metrics]
listen = "127.0.0.1:{web}"

{registry}"#,
                listener("lbs"),
                listener("mqtt_v3"),
            )
            .as_bytes(),
        );
        let (mut server, events) = server_with_events(&config);
        for port in [port, web] {
            wait_for_tcp(port).await;
        }
        let (status, summary, stderr) = run_load(
            &[
                "--protocol",
                protocol,
                "--key",
                KEY,
                "--quiet",
                "--server",
                &format!("127.0.0.1:{port}"),
                "--metrics",
                &format!("http://127.0.0.1:{web}/metrics"),
                "--gateways",
                "5",
                "--rate",
                "200",
                "--duration",
                "2",
                "--events-from",
                "-",
            ],
            events,
        )
        .await;
        assert!(status.success(), "{protocol}: {status:?}\n{stderr}");
        let sent = summary["sent"].as_u64().unwrap();
        assert_eq!(summary["acked"].as_u64(), Some(sent), "{summary}");
        assert_eq!(summary["protocol"], protocol, "{summary}");
        assert_every_uplink_matched(&summary, &stderr);
        server.start_kill().unwrap();
    }
}
