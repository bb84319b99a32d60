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

/// A mosquitto broker on a free loopback port, with persistence in a temporary directory
/// (subscriptions of persistent sessions and retained messages survive a restart); killed on
/// drop.
pub struct Broker {
    binary: PathBuf,
    dir: TempDir,
    /// The port it listens on.
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl Broker {
    /// Starts mosquitto; retries with another port when the chosen one was taken meanwhile.
    pub async fn start(binary: &Path) -> Broker {
        let dir = TempDir::new("broker");
        // mosquitto started as root runs as user `mosquitto`, which must be able to write its
        // persistence file here.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let mut broker = Broker {
            binary: binary.to_owned(),
            dir,
            port: 0,
            child: None,
        };
        for _ in 0..5 {
            broker.port = free_port();
            broker.spawn();
            if broker.listening().await {
                return broker;
            }
        }
        panic!("mosquitto did not start listening");
    }

    fn spawn(&mut self) {
        let config = format!(
            "listener {} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\n",
            self.port,
            self.dir.0.display()
        );
        let config = self.dir.file("mosquitto.conf", config.as_bytes());
        let child = tokio::process::Command::new(&self.binary)
            .arg("-c")
            .arg(config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("mosquitto starts");
        self.child = Some(child);
    }

    async fn listening(&mut self) -> bool {
        for _ in 0..200 {
            if let Some(child) = &mut self.child
                && child.try_wait().unwrap().is_some()
            {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    }

    /// Stops the broker with SIGTERM (it saves its persistence file) and waits for it.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&child);
            let _ = timeout(STEP, child.wait()).await;
        }
    }

    /// Starts it again on the same port.
    pub async fn restart(&mut self) {
        self.spawn();
        assert!(self.listening().await, "mosquitto restarted");
    }
}

/// Sends SIGTERM to a child process.
pub fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The UDP-only config of a server on `port` serving any EUI.
pub fn udp_only_config(dir: &TempDir, port: u16) -> PathBuf {
    dir.file(
        "server.toml",
        format!(
            r#"
[listeners]
udp = "127.0.0.1:{port}"
lbs = ""
cups = ""
mqtt_v3 = ""
mqtt_v2 = ""
tabs_hubs = ""

[udp]
allow_unregistered = true
"#
        )
        .as_bytes(),
    )
}
