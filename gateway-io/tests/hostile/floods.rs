//! Battery 5: floods. 150,000 PULL_DATAs from random unregistered EUIs with a bound on the
//! server's memory growth; 500 TCP connections that never send anything and slowloris
//! handshakes (one byte per second) on every TCP listener, with well-behaved gateways served
//! meanwhile and every stalled connection closed by the handshake deadline.
//!
//! The attackers connect from 127.0.0.2 and 127.0.0.3 and the well-behaved gateways from
//! 127.0.0.1, so per-remote-IP caps refuse the attackers, not the gateways.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

use crate::Rng;
use crate::clients::{self, PULL_DATA, UdpGateway, gwmp};
use crate::fixtures::*;
use crate::support::{Harness, exclusive, rss_bytes, shared};

/// Unregistered EUIs in the UDP flood.
const FLOOD_EUIS: usize = 150_000;
/// Growth of the process's resident memory allowed over the UDP flood. Nothing may be kept
/// for an EUI before the registry admits it, so what may grow is buffers and allocator slack,
/// not tables: 16 MiB is ~110 bytes per flooding EUI, less than any per-EUI entry (an address,
/// tokens and timers in a hash map) would take.
const FLOOD_MEMORY_BOUND: u64 = 16 * 1024 * 1024;
/// PULL_DATAs in flight before waiting for their PULL_ACKs (keeps the server processing the
/// flood rather than the kernel dropping it).
const WINDOW: usize = 256;

#[allow(clippy::print_stderr)] // the measured figures, for the record
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_flood_of_unregistered_euis_keeps_memory_bounded() {
    let _guard = exclusive().await;
    let mut h = Harness::start().await;
    // Warm up every path once, so their one-time allocations are not counted.
    h.assert_all_protocols_healthy("start-up").await;
    let before = rss_bytes();
    let started = Instant::now();
    let addr = h.addrs.udp;
    let acked = h
        .during(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(addr).await.unwrap();
            let mut rng = Rng::new(0x5EED_0505);
            let mut buf = vec![0u8; 1024];
            let (mut outstanding, mut acked) = (0usize, 0usize);
            for i in 0..FLOOD_EUIS {
                // 0xFE in the top byte: no registered gateway has such an EUI.
                let eui = 0xFE00_0000_0000_0000 | (rng.next_u64() >> 8);
                let _ = socket.send(&gwmp(i as u16, PULL_DATA, eui, "")).await;
                outstanding += 1;
                if outstanding >= WINDOW {
                    // Wait for the acks (or, if the server stays silent for unregistered
                    // gateways, for a short pause).
                    while outstanding > WINDOW / 2 {
                        match tokio::time::timeout(Duration::from_millis(50), socket.recv(&mut buf))
                            .await
                        {
                            Ok(Ok(_)) => {
                                acked += 1;
                                outstanding -= 1;
                            }
                            _ => outstanding = 0,
                        }
                    }
                }
            }
            acked
        })
        .await;
    let flood_time = started.elapsed();
    h.drain_for(Duration::from_secs(1)).await;
    let after = rss_bytes();
    let growth = after.saturating_sub(before);
    eprintln!(
        "UDP flood: {FLOOD_EUIS} PULL_DATAs from unregistered EUIs in {flood_time:?}, {acked} acknowledged; \
         VmRSS {} KiB -> {} KiB (+{} KiB, bound {} KiB)",
        before / 1024,
        after / 1024,
        growth / 1024,
        FLOOD_MEMORY_BOUND / 1024
    );
    let mut gw = UdpGateway::new(h.addrs.udp, UDP_EUI).await;
    assert!(
        gw.pull(STEP).await,
        "the registered UDP gateway gets no PULL_ACK after the flood"
    );
    assert!(
        growth < FLOOD_MEMORY_BOUND,
        "resident memory grew by {} KiB over {FLOOD_EUIS} unregistered EUIs ({acked} PULL_ACKs; \
         bound {} KiB): state is allocated per EUI before the registry admits it",
        growth / 1024,
        FLOOD_MEMORY_BOUND / 1024
    );
    h.assert_all_protocols_healthy("a flood of unregistered EUIs")
        .await;
}

/// TCP connections that never send anything, spread over every TCP listener.
const IDLE_CONNECTIONS: usize = 500;
/// The handshake deadline the TCP listeners promise (~10 s covering TLS, the websocket
/// upgrade or the HTTP request, and CONNECT), with margin for a loaded machine.
const HANDSHAKE_BOUND: Duration = Duration::from_secs(20);

async fn connect_from(source: &str, addr: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(format!("{source}:0").parse().ok()?).ok()?;
    tokio::time::timeout(STEP, socket.connect(addr))
        .await
        .ok()?
        .ok()
}

/// The start of a valid handshake for each listener, to be sent one byte per second.
fn slow_handshake(name: &str, addr: SocketAddr) -> Vec<u8> {
    if name.ends_with("TLS") {
        // A TLS handshake record header announcing 512 bytes, then zeros.
        let mut b = vec![0x16, 0x03, 0x01, 0x02, 0x00];
        b.resize(517, 0);
        return b;
    }
    match name {
        "LBS" => format!(
            "GET /traffic/eui-{LBS_EUI:016X} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\nAuthorization: {LBS_KEY}\r\n\r\n"
        )
        .into_bytes(),
        "CUPS" => clients::update_info_request(addr, CUPS_KEY, &clients::update_info_body(LBS_EUI)),
        _ => vec![
            0x10, 34, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 60, 0, 2, b'i', b'd', 0, 8,
        ]
        .into_iter()
        .chain(*b"gw-mqtt3")
        .chain([0, 8])
        .chain(*b"password")
        .collect(),
    }
}

/// Sends `bytes` one per second until the server closes the connection (returns when, after
/// `start`) or `deadline` passes (`None`).
async fn dribble(
    mut tcp: TcpStream,
    bytes: Vec<u8>,
    start: Instant,
    deadline: Instant,
) -> Option<Duration> {
    let mut buf = [0u8; 256];
    for b in bytes.iter().cycle() {
        if tcp.write_all(&[*b]).await.is_err() {
            return Some(start.elapsed());
        }
        let pause = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                read = tcp.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return Some(start.elapsed()),
                    Ok(_) => {}
                },
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_and_slowloris_leave_gateways_served() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let listeners = h.addrs.tcp();
    let start = Instant::now();
    let deadline = start + HANDSHAKE_BOUND;

    let mut idle = Vec::new();
    let mut refused = 0usize;
    for i in 0..IDLE_CONNECTIONS {
        let (name, addr) = listeners[i % listeners.len()];
        match connect_from("127.0.0.2", addr).await {
            Some(tcp) => idle.push((name, tcp)),
            None => refused += 1,
        }
    }
    let slow: Vec<_> = listeners
        .iter()
        .map(|&(name, addr)| {
            let bytes = slow_handshake(name, addr);
            tokio::spawn(async move {
                let tcp = connect_from("127.0.0.3", addr).await?;
                dribble(tcp, bytes, start, deadline).await
            })
        })
        .collect();

    // Served while the flood is on.
    h.assert_all_protocols_healthy(&format!(
        "{} idle connections ({refused} refused at connect) and {} slowloris handshakes",
        idle.len(),
        slow.len()
    ))
    .await;

    // Every stalled connection is closed by the handshake deadline.
    let closed = join_all(idle.iter_mut().map(|(_, tcp)| {
        let left = deadline.saturating_duration_since(Instant::now());
        clients::closed_within(tcp, left)
    }))
    .await;
    let mut still_open = std::collections::BTreeMap::<&str, usize>::new();
    for ((name, _), closed) in idle.iter().zip(&closed) {
        if !closed {
            *still_open.entry(*name).or_default() += 1;
        }
    }
    let open_count = closed.iter().filter(|c| !**c).count();
    let mut slow_open = Vec::new();
    for ((name, _), task) in listeners.iter().zip(slow) {
        if task.await.expect("dribble task").is_none() {
            slow_open.push(*name);
        }
    }
    assert!(
        open_count == 0 && slow_open.is_empty(),
        "{HANDSHAKE_BOUND:?} after they opened, {open_count} idle connections were still open \
         (per listener: {still_open:?}) and slowloris handshakes were still open on {slow_open:?}: \
         the handshake deadline is missing"
    );
    drop(idle);
    h.assert_all_protocols_healthy("the idle connections and slowloris were closed")
        .await;
}
