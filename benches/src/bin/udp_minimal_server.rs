//! The yardstick of the Semtech UDP throughput figures in the README: the least a tokio UDP
//! server can do for a gateway, receive a PUSH_DATA and answer the 4-byte PUSH_ACK with its
//! token. No decoding of the JSON, no state, no events: what `gateway-server` achieves is
//! reported as a fraction of what this achieves on the same machine in the same run.
//!
//! ```text
//! udp_minimal_server [LISTEN]        # default 127.0.0.1:1700
//! ```
//!
//! Datagrams that are not a PUSH_DATA (at least 12 bytes, type 0) are ignored.

use std::io::Write as _;
use std::process::ExitCode;

use tokio::net::UdpSocket;

/// GWMP header: version, token (2 bytes), type; a PUSH_DATA adds the gateway EUI (8 bytes).
const PUSH_DATA: u8 = 0x00;
const PUSH_ACK: u8 = 0x01;
const PUSH_DATA_HEADER_LEN: usize = 12;

#[tokio::main]
async fn main() -> ExitCode {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1700".to_owned());
    let socket = match UdpSocket::bind(&listen).await {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "udp_minimal_server: {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(addr) = socket.local_addr() {
        let _ = writeln!(std::io::stderr(), "udp_minimal_server: listening on {addr}");
    }
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((len, from)) = socket.recv_from(&mut buf).await else {
            continue; // e.g. ICMP port unreachable from an earlier send
        };
        let datagram = &buf[..len];
        if len < PUSH_DATA_HEADER_LEN || datagram[3] != PUSH_DATA {
            continue;
        }
        let ack = [datagram[0], datagram[1], datagram[2], PUSH_ACK];
        let _ = socket.send_to(&ack, from).await;
    }
}
