//! Memory of the real `gateway-server` binary per registered gateway and per idle connection.
//!
//! ```text
//! cargo build --release -p loragw-examples --bin gateway-server
//! cargo run --release -p loragw-benches --bin idle_memory -- registry 10000
//! cargo run --release -p loragw-benches --bin idle_memory -- lbs 10000
//! cargo run --release -p loragw-benches --bin idle_memory -- mqtt 10000
//! ```
//!
//! Arguments: `registry|lbs|mqtt <N> [path to gateway-server]` (default
//! `target/release/gateway-server`). Every run writes a config with N gateways, one key each
//! (the `sha256:` form of `registry::hash_key`), starts the server on it and reads its resident
//! set size (`VmRSS` of `/proc/<pid>/status`) once it listens.
//!
//! - `registry`: the same with 0 gateways first; prints (RSS(N) − RSS(0)) / N.
//! - `lbs`: then opens N Basics Station traffic websockets (`/traffic/eui-<EUI>` with the key
//!   as `Authorization`), sends `version` on each and waits for `router_config`; once all are
//!   in and idle, prints (RSS after − RSS before) / N.
//! - `mqtt`: the same with N MQTT v3 connections (CONNECT with the gateway id and key,
//!   SUBSCRIBE `v3/{id}/down`, CONNACK and SUBACK awaited).
//!
//! The whole run is bounded by [`RUN_DEADLINE`].

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool printing its figures

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use loragw_gateway_io::registry::hash_key;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{Connect, Subscribe};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The whole run, start to last figure.
const RUN_DEADLINE: Duration = Duration::from_secs(600);
/// One connection's handshake, from TCP connect to `router_config` or SUBACK.
const CONNECT_DEADLINE: Duration = Duration::from_secs(30);
/// Connections opened at once.
const CONCURRENCY: usize = 64;
/// Time the server is given to settle before each reading.
const SETTLE: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Registry,
    Lbs,
    Mqtt,
}

fn gateway_id(i: usize) -> String {
    format!("gw-{i}")
}

fn gateway_eui(i: usize) -> u64 {
    0x0102_0300_0000_0000 | (i as u64 + 1)
}

fn gateway_key(i: usize) -> String {
    format!("NNSXS.IDLE-MEMORY-BENCH-KEY-{i:08}")
}

/// A free TCP port on the loopback interface.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The server config: only the listener measured, limits above `n`, `n` gateways.
fn config(n: usize, lbs: u16, mqtt: u16) -> String {
    let mut text = format!(
        r#"[listeners]
udp = ""
lbs = "127.0.0.1:{lbs}"
cups = ""
mqtt_v3 = "127.0.0.1:{mqtt}"
mqtt_v2 = ""
tabs_hubs = ""

[limits]
max_connections = {cap}
max_connections_per_ip = {cap}
max_sessions = {cap}
handshake_timeout_secs = 60

"#,
        cap = n + 100,
    );
    for i in 0..n {
        let salt = format!("salt-{i:011}");
        text.push_str(&format!(
            "[[registry.gateway]]\nid = \"{id}\"\neui = \"{eui:016X}\"\nfrequency_plans = [\"EU_863_870\"]\n[[registry.gateway.key]]\nname = \"lns\"\nhash = \"{hash}\"\nrights = [\"link\"]\n\n",
            id = gateway_id(i),
            eui = gateway_eui(i),
            hash = hash_key(&gateway_key(i), salt.as_bytes()),
        ));
    }
    text
}

/// `VmRSS` of a process, in bytes.
fn rss(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS line")?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .map_err(|e| format!("VmRSS: {e}"))?;
    Ok(kib * 1024)
}

/// A running server and its listen addresses.
struct Server {
    child: Child,
    lbs: SocketAddr,
    mqtt: SocketAddr,
}

impl Server {
    /// Writes the config of `n` gateways to `dir`, starts `binary` on it and waits until both
    /// listeners accept.
    async fn start(binary: &Path, dir: &Path, n: usize) -> Result<Server, String> {
        let (lbs, mqtt) = (
            free_port().map_err(|e| e.to_string())?,
            free_port().map_err(|e| e.to_string())?,
        );
        let path = dir.join(format!("idle-memory-{n}.toml"));
        std::fs::write(&path, config(n, lbs, mqtt)).map_err(|e| e.to_string())?;
        let child = Command::new(binary)
            .arg("--config")
            .arg(&path)
            .env("RUST_LOG", "error")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let server = Server {
            child,
            lbs: SocketAddr::from(([127, 0, 0, 1], lbs)),
            mqtt: SocketAddr::from(([127, 0, 0, 1], mqtt)),
        };
        for addr in [server.lbs, server.mqtt] {
            let mut tries = 0;
            while TcpStream::connect(addr).await.is_err() {
                tries += 1;
                if tries > 600 {
                    return Err(format!("server does not listen on {addr}"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let _ = std::fs::remove_file(&path);
        Ok(server)
    }

    fn pid(&self) -> Result<u32, String> {
        self.child.id().ok_or_else(|| "server exited".to_owned())
    }

    /// RSS after [`SETTLE`].
    async fn settled_rss(&self) -> Result<u64, String> {
        tokio::time::sleep(SETTLE).await;
        rss(self.pid()?)
    }
}

/// One idle Basics Station: traffic websocket, `version`, `router_config`; then reads (and so
/// answers pings) until the process ends.
async fn station(addr: SocketAddr, i: usize) -> Result<(), String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut request = format!("ws://{addr}/traffic/eui-{:016X}", gateway_eui(i))
        .into_client_request()
        .map_err(|e| e.to_string())?;
    let key = gateway_key(i).parse().map_err(|_| "key header")?;
    request.headers_mut().insert("Authorization", key);
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let version = r#"{"msgtype":"version","station":"2.0.6","firmware":"1.0","package":"1.0","model":"bench","protocol":2,"features":""}"#;
    ws.send(Message::text(version))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains("router_config") => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("closed before router_config".into()),
        }
    }
    tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
    Ok(())
}

/// One idle MQTT v3 gateway: CONNECT, SUBSCRIBE, CONNACK and SUBACK; then reads until the
/// process ends.
async fn mqtt_gateway(addr: SocketAddr, i: usize) -> Result<(), String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let id = gateway_id(i);
    let mut connect = Connect::new(id.clone());
    connect.keep_alive = 0;
    connect.set_login(id.clone(), gateway_key(i));
    let mut out = BytesMut::new();
    connect.write(&mut out).map_err(|e| format!("{e:?}"))?;
    Subscribe::new(format!("v3/{id}/down"), QoS::AtMostOnce)
        .write(&mut out)
        .map_err(|e| format!("{e:?}"))?;
    tcp.write_all(&out).await.map_err(|e| e.to_string())?;
    // CONNACK (4 bytes, return code last) then SUBACK (5 bytes for one filter).
    let mut answer = [0u8; 9];
    tcp.read_exact(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    if answer[0] != 0x20 || answer[3] != 0 || answer[4] != 0x90 || answer[8] > 2 {
        return Err(format!("refused: {answer:02x?}"));
    }
    tokio::spawn(async move {
        let mut buf = [0u8; 256];
        while let Ok(1..) = tcp.read(&mut buf).await {}
    });
    Ok(())
}

/// Opens the idle connections `gateways` of `mode`; returns how many failed and the first
/// error.
async fn connect_all(
    mode: Mode,
    server: &Server,
    gateways: std::ops::Range<usize>,
) -> (usize, Option<String>) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(gateways.len());
    for i in gateways {
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (lbs, mqtt) = (server.lbs, server.mqtt);
        tasks.push(tokio::spawn(async move {
            let result = tokio::time::timeout(CONNECT_DEADLINE, async {
                match mode {
                    Mode::Lbs => station(lbs, i).await,
                    _ => mqtt_gateway(mqtt, i).await,
                }
            })
            .await
            .unwrap_or_else(|_| Err("handshake deadline".into()));
            drop(permit);
            result
        }));
    }
    let mut failed = 0;
    let mut first = None;
    for task in tasks {
        if let Err(e) = task.await.unwrap_or_else(|e| Err(e.to_string())) {
            failed += 1;
            first.get_or_insert(e);
        }
    }
    (failed, first)
}

/// With `IDLE_MEMORY_HOLD_SECS` set, keeps the server and its connections up that long after
/// the reading, e.g. for `vgdb --pid=<pid> snapshot` of a server run under `valgrind
/// --tool=massif`.
async fn hold() {
    if let Some(secs) = std::env::var("IDLE_MEMORY_HOLD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
}

fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

async fn run(mode: Mode, n: usize, binary: PathBuf) -> Result<(), String> {
    let dir = std::env::temp_dir();
    if mode == Mode::Registry {
        let empty = Server::start(&binary, &dir, 0).await?;
        let base = empty.settled_rss().await?;
        drop(empty);
        let full = Server::start(&binary, &dir, n).await?;
        let loaded = full.settled_rss().await?;
        hold().await;
        println!(
            "registry: RSS {} with 0 gateways, {} with {n}: {} bytes per registered gateway",
            kib(base as f64),
            kib(loaded as f64),
            (loaded as f64 - base as f64) / n as f64
        );
        return Ok(());
    }
    let server = Server::start(&binary, &dir, n).await?;
    let before = server.settled_rss().await?;
    let started = std::time::Instant::now();
    // In two halves: the first may partly fill memory the allocator already holds (freed by
    // the config parser), so the second half's growth is the marginal cost per connection.
    let half = n / 2;
    let (failed_first, first_error) = connect_all(mode, &server, 0..half).await;
    let middle = server.settled_rss().await?;
    let (failed_second, second_error) = connect_all(mode, &server, half..n).await;
    let failed = failed_first + failed_second;
    let first = first_error.or(second_error);
    let after = server.settled_rss().await?;
    let name = if mode == Mode::Lbs {
        "Basics Station"
    } else {
        "MQTT v3"
    };
    let per =
        |from: u64, to: u64, count: usize| kib((to as f64 - from as f64) / count.max(1) as f64);
    println!(
        "{name}: {} idle connections in {:.1} s ({failed} failed{}); RSS {} before, {} after {half}, {} after all: {} per connection overall, {} per connection of the second half",
        n - failed,
        started.elapsed().as_secs_f64(),
        first.map(|e| format!(", first: {e}")).unwrap_or_default(),
        kib(before as f64),
        kib(middle as f64),
        kib(after as f64),
        per(before, after, n - failed),
        per(middle, after, n - half - failed_second),
    );
    hold().await;
    if failed > 0 {
        return Err(format!("{failed} connections failed"));
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.first().map(String::as_str) {
        Some("registry") => Mode::Registry,
        Some("lbs") => Mode::Lbs,
        Some("mqtt") => Mode::Mqtt,
        _ => {
            eprintln!("usage: idle_memory registry|lbs|mqtt <N> [gateway-server binary]");
            return std::process::ExitCode::FAILURE;
        }
    };
    let Some(n) = args
        .get(1)
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
    else {
        eprintln!("N: a number of gateways above 0");
        return std::process::ExitCode::FAILURE;
    };
    let binary = args.get(2).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/release/gateway-server"
            ))
        },
        PathBuf::from,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        tokio::time::timeout(RUN_DEADLINE, run(mode, n, binary))
            .await
            .unwrap_or_else(|_| Err(format!("not done within {RUN_DEADLINE:?}")))
    });
    // The idle connections' tasks never end on their own.
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idle_memory: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
