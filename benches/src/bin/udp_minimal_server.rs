//! The yardstick of the Semtech UDP throughput figures in the README: the least a tokio UDP
//! server can do for a gateway, receive a PUSH_DATA and answer the 4-byte PUSH_ACK with its
//! token. No decoding of the JSON, no state, no events: what `gateway-server` achieves is
//! reported as a fraction of what this achieves on the same machine in the same run.
//!
//! ```text
//! udp_minimal_server [LISTEN]        # default 127.0.0.1:1700
//! ```
//!
//! Its socket asks for the same 4 MiB receive buffer as gateway-io's UDP listener. Datagrams
//! that are not a PUSH_DATA (at least 12 bytes, type 0) are ignored.

use std::io::Write as _;
use std::process::ExitCode;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

/// GWMP header: version, token (2 bytes), type; a PUSH_DATA adds the gateway EUI (8 bytes).
const PUSH_DATA: u8 = 0x00;
const PUSH_ACK: u8 = 0x01;
const PUSH_DATA_HEADER_LEN: usize = 12;

/// Receive buffer asked for: what gateway-io's UDP listener asks for by default, so both meet
/// the same bursts with the same room.
const RECV_BUFFER: usize = 4 * 1024 * 1024;

fn bind(listen: &str) -> std::io::Result<UdpSocket> {
    let addr: std::net::SocketAddr = listen
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // The OS may cap it (Linux: `net.core.rmem_max`); the default is kept then.
    let _ = socket.set_recv_buffer_size(RECV_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:1700".to_owned());
    let socket = match bind(&listen) {
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
