//! Shared pieces of the `gateway-server` end-to-end tests: locating the mosquitto binaries,
//! running a client with a time bound, temporary files, and waiting for events.

#![allow(dead_code, unreachable_pub)] // each test file uses a different subset
#![allow(clippy::print_stderr, clippy::unwrap_used)] // the skip note; test helpers

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use loragw_gateway_io::transport::GatewayServer;
use serde_json::Value;
use tokio::time::timeout;

/// How long any single step of a test may take (a loaded 2-core machine is slow).
pub const STEP: Duration = Duration::from_secs(15);

/// The path of `name` on `PATH`, if installed.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
}

/// The binaries, or `None` (with a note) when one is missing, unless `CI` is set.
pub fn mosquitto_tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Vec<_> = names.iter().map(|n| find_binary(n)).collect();
    if found.iter().all(Option::is_some) {
        return Some(found.into_iter().flatten().collect());
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs {names:?} (apt-get install mosquitto mosquitto-clients)"
    );
    eprintln!("skipping: {names:?} not all installed");
    None
}

/// Runs a program to completion within [`STEP`].
pub async fn run(binary: &Path, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(binary);
    command.args(args).kill_on_drop(true);
    timeout(STEP, command.output())
        .await
        .expect("client finished within the step timeout")
        .expect("client started")
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory named after `tag`, the process and a counter.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("loragw-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// Writes `contents` to `name` in the directory.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The next event of `server` as its JSON line, within [`STEP`].
pub async fn next_line(server: &mut GatewayServer) -> Value {
    let event = timeout(STEP, server.next_event())
        .await
        .expect("an event within the step timeout")
        .expect("the server is running");
    let line = loragw_examples::gateway_server::event_json(&event);
    eprintln!("event: {line}");
    line
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An MQTT 3.1.1 CONNECT with username and password, clean session, keep-alive 60 s.
pub fn connect_packet(client_id: &str, user: &str, password: &str) -> Vec<u8> {
    let field = |s: &str| {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(s.as_bytes());
        v
    };
    let mut body = field("MQTT");
    body.extend_from_slice(&[4, 0xC2, 0, 60]);
    body.extend(field(client_id));
    body.extend(field(user));
    body.extend(field(password));
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    packet
}

/// One HTTP/1.1 request over a fresh connection: the status code and the body.
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    timeout(STEP, stream.read_to_end(&mut response))
        .await
        .unwrap()
        .unwrap();
    let response = String::from_utf8(response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Starts the `gateway-server` binary with a config file, stdout and stderr piped.
pub fn spawn_server(config: &Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_gateway-server"))
        .args(["--config", config.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub async fn wait_for_tcp(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing listens on port {port}");
}
