//! The Semtech UDP listener: one tokio `UdpSocket` driving the sans-IO
//! [`UdpFrontend`] (the protocol crate's `Server` plus the adapter).
//!
//! One task owns the socket and the frontend: it receives datagrams, hands them in, writes what
//! `poll_transmit` gives (ACKs, PULL_RESPs), forwards events, carries out downlink commands and
//! sleeps until `poll_timeout`. The socket's receive buffer is raised to
//! [`UdpSettings::recv_buffer_size`] where the OS allows, so bursts of PUSH_DATA are not lost
//! while the task is busy.

use std::net::SocketAddr;

use loragw_semtech_udp::MAX_DATAGRAM_LEN;
use socket2::{Domain, Protocol as IpProtocol, Socket, Type};
use tokio::net::UdpSocket;

use super::hub::{Publisher, sleep_until};
use super::listener::{ListenerContext, Registry, Started, now};
use crate::frontend::Frontend;
use crate::frontend::udp::{UdpConfig, UdpFrontend};

/// Settings of a Semtech UDP listener.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UdpSettings {
    /// The frontend's settings (server expiries, rate limits, unregistered gateways).
    pub frontend: UdpConfig,
    /// Socket receive buffer to ask the OS for, in bytes (4 MiB: the default ~208 KiB
    /// overflows under bursts). The OS may cap it (Linux: `net.core.rmem_max`).
    pub recv_buffer_size: usize,
}

impl Default for UdpSettings {
    fn default() -> Self {
        UdpSettings {
            frontend: UdpConfig::default(),
            recv_buffer_size: 4 * 1024 * 1024,
        }
    }
}

impl UdpSettings {
    /// Settings with this frontend configuration.
    pub fn new(frontend: UdpConfig) -> Self {
        UdpSettings {
            frontend,
            ..Default::default()
        }
    }
}

fn bind(addr: SocketAddr, recv_buffer_size: usize) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::DGRAM,
        Some(IpProtocol::UDP),
    )?;
    if let Err(e) = socket.set_recv_buffer_size(recv_buffer_size) {
        tracing::debug!(error = %e, "cannot raise the UDP receive buffer");
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: UdpSettings,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let socket = bind(addr, settings.recv_buffer_size)?;
    let local_addr = socket.local_addr()?;
    let frontend = UdpFrontend::new(settings.frontend, ctx.registry.clone());
    let task = tokio::spawn(drive(socket, frontend, ctx));
    Ok(Started {
        local_addr,
        tasks: vec![task],
    })
}

async fn drive(socket: UdpSocket, mut frontend: UdpFrontend<dyn Registry>, ctx: ListenerContext) {
    let ListenerContext {
        id,
        hub,
        mut commands,
        ..
    } = ctx;
    let mut publisher = Publisher::new(hub, id);
    let mut input = vec![0u8; MAX_DATAGRAM_LEN];
    let mut output = Vec::with_capacity(1024);
    let mut commands_open = true;
    loop {
        let deadline = frontend.poll_timeout();
        tokio::select! {
            biased;
            request = commands.recv(), if commands_open => match request {
                Some(request) => {
                    let result = frontend.handle_command(now(), request.command);
                    // The caller may have given up waiting; nothing to do then.
                    let _ = request.reply.send(result);
                }
                None => commands_open = false,
            },
            () = publisher.deliver(), if publisher.has_pending() => {}
            () = sleep_until(deadline) => frontend.handle_timeout(now()),
            received = socket.recv_from(&mut input), if !publisher.is_backlogged() => {
                match received {
                    Ok((len, from)) => frontend.handle_datagram(now(), from, &input[..len]),
                    // E.g. ICMP port unreachable reported on the next receive: not fatal.
                    Err(e) => tracing::debug!(error = %e, "UDP receive"),
                }
            }
        }
        while let Some(transmit) = frontend.poll_transmit(&mut output) {
            if let Err(e) = socket.send_to(&output, transmit.destination).await {
                tracing::debug!(destination = %transmit.destination, error = %e, "UDP send");
            }
        }
        while let Some(event) = frontend.poll_event() {
            publisher.push(event);
        }
    }
}
