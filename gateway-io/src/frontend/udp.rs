//! The Semtech UDP frontend: the protocol crate's [`Server`] (many gateways on one socket) seen
//! through the one model.
//!
//! The transport (a UDP socket) feeds every datagram to
//! [`handle_datagram`](UdpFrontend::handle_datagram) and sends what
//! [`poll_transmit`](UdpFrontend::poll_transmit) writes. Semtech UDP carries no credentials:
//! a gateway is known by its EUI. Registered gateways are served unless their registry entry
//! requires an authenticated connection; unregistered ones only when
//! [`UdpConfig::allow_unregistered`] is set (with ids `eui-<hex>`). Datagrams of other gateways
//! are still acknowledged by the server (as The Things Stack does) but produce no events.
//!
//! A downlink at an absolute time is sent with `tmms` to gateways whose uplinks carry GPS time;
//! to others it is sent at the `tmst` of that time, from a concentrator clock synced on their
//! uplinks' `time` (as accurate as the gateway's clock), when one is known.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use loragw_semtech_udp::{
    DownlinkId, ExpiryReason, GatewayEui, Server, ServerConfig, ServerEvent, Transmit,
};
use loragw_ttnpb::DownlinkMessage;

use super::{Frontend, Now, with_timestamp};
use crate::adapter::lbs::tx_timeout_to_ack;
use crate::adapter::udp::{downlink_to_txpk, rxpks_to_uplinks, stat_to_status, txpk_ack_to_tx_ack};
use crate::clock::ConcentratorClock;
use crate::error::CommandError;
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol};
use crate::ids::{Eui64, GatewayIds};
use crate::registry::GatewayRegistry;

/// Settings of a [`UdpFrontend`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UdpConfig {
    /// The protocol machine's settings (expiries, rate limit, schedule-late, bounds).
    pub server: ServerConfig,
    /// Serve gateways that are not in the registry, as `eui-<16 hex>`.
    pub allow_unregistered: bool,
}

#[derive(Debug)]
struct Gateway {
    ids: GatewayIds,
    version: u8,
    /// Whether the gateway ever sent a TX_ACK (v1 forwarders never do: a missing one means
    /// nothing then).
    acknowledges: bool,
    /// Whether its uplinks carry GPS time (`tmms`): only then can it transmit at a GPS time.
    has_gps: bool,
    /// Its concentrator clock, synced on uplinks: turns an absolute-time downlink into a
    /// `tmst` for a gateway without GPS (at the accuracy of the gateway's `time`).
    clock: ConcentratorClock,
}

/// Semtech UDP gateways on one socket. See the [module docs](self).
///
/// Drain order after every input: [`poll_transmit`](Self::poll_transmit), then
/// [`poll_event`](Frontend::poll_event), each until `None`; then
/// [`poll_timeout`](Frontend::poll_timeout).
#[derive(Debug)]
pub struct UdpFrontend<R: ?Sized> {
    config: UdpConfig,
    registry: Arc<R>,
    server: Server,
    gateways: HashMap<GatewayEui, Gateway>,
    by_gateway: HashMap<String, GatewayEui>,
    /// Gateways heard from that are not served (unknown, or requiring authentication).
    refused: HashSet<GatewayEui>,
    /// Protocol version of each gateway's latest datagram.
    versions: HashMap<GatewayEui, u8>,
    downlinks: HashMap<DownlinkId, DownlinkMessage>,
    events: VecDeque<GatewayEvent>,
}

impl<R: GatewayRegistry + ?Sized> UdpFrontend<R> {
    /// A frontend that looks gateways up in `registry`.
    pub fn new(config: UdpConfig, registry: Arc<R>) -> Self {
        UdpFrontend {
            server: Server::new(config.server.clone()),
            config,
            registry,
            gateways: HashMap::new(),
            by_gateway: HashMap::new(),
            refused: HashSet::new(),
            versions: HashMap::new(),
            downlinks: HashMap::new(),
            events: VecDeque::new(),
        }
    }

    /// A datagram from `from`.
    pub fn handle_datagram(&mut self, now: Now, from: SocketAddr, bytes: &[u8]) {
        // The version byte and EUI of gateway → server datagrams, for `Protocol::SemtechUdp`.
        if let (Some(&v), Some(eui)) = (bytes.first(), bytes.get(4..12))
            && (v == 1 || v == 2)
            && let Ok(eui) = <[u8; 8]>::try_from(eui)
        {
            self.versions.insert(GatewayEui(eui), v);
            if let Some(g) = self.gateways.get_mut(&GatewayEui(eui)) {
                g.version = v;
            }
        }
        self.server.handle_datagram(now.instant, from, bytes);
        self.drain(now);
    }

    /// The next datagram to send (ACKs and PULL_RESPs), written into `buf`.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.server.poll_transmit(buf)
    }

    /// Gateways served.
    pub fn connected(&self) -> usize {
        self.gateways.len()
    }

    fn protocol_of(&self, eui: GatewayEui) -> Protocol {
        Protocol::SemtechUdp {
            version: self.versions.get(&eui).copied().unwrap_or(2),
        }
    }

    fn connect(&mut self, eui: GatewayEui, addr: SocketAddr) {
        let id = Eui64(eui.0);
        let ids = match self.registry.gateway_by_eui(id) {
            Some(record) if !record.require_authenticated_connection => record.ids,
            Some(record) => {
                tracing::debug!(gateway = %record.ids, "UDP gateway requires an authenticated connection; ignored");
                self.refused.insert(eui);
                return;
            }
            None if self.config.allow_unregistered => GatewayIds::from_eui(id),
            None => {
                tracing::debug!(eui = %id, "unregistered UDP gateway ignored");
                self.refused.insert(eui);
                return;
            }
        };
        self.refused.remove(&eui);
        let protocol = self.protocol_of(eui);
        self.by_gateway.insert(ids.gateway_id.clone(), eui);
        self.gateways.insert(
            eui,
            Gateway {
                ids: ids.clone(),
                version: self.versions.get(&eui).copied().unwrap_or(2),
                acknowledges: false,
                has_gps: false,
                clock: ConcentratorClock::new(),
            },
        );
        self.events.push_back(GatewayEvent::Connected {
            gateway: ids,
            protocol,
            remote: Some(addr),
        });
    }

    fn drain(&mut self, now: Now) {
        while let Some(event) = self.server.poll_event() {
            match event {
                ServerEvent::Connected { gateway, addr } => self.connect(gateway, addr),
                ServerEvent::Uplink { gateway, rxpk, .. } => {
                    let Some(g) = self.gateways.get_mut(&gateway) else {
                        continue;
                    };
                    let protocol = Protocol::SemtechUdp { version: g.version };
                    let (ups, errors) = rxpks_to_uplinks(&g.ids, &rxpk, Some(now.wall));
                    for (i, e) in errors {
                        tracing::debug!(gateway = %g.ids, rxpk = i, error = %e, "rxpk dropped");
                    }
                    for message in ups {
                        g.has_gps |= message.rx_metadata.iter().any(|m| m.gps_time.is_some());
                        g.clock.sync_uplink(&message, now.instant, true);
                        self.events.push_back(GatewayEvent::Uplink {
                            gateway: g.ids.clone(),
                            protocol,
                            message,
                        });
                    }
                }
                ServerEvent::Status {
                    gateway,
                    addr,
                    stat,
                } => {
                    let Some(g) = self.gateways.get(&gateway) else {
                        continue;
                    };
                    self.events.push_back(GatewayEvent::Status {
                        gateway: g.ids.clone(),
                        protocol: Protocol::SemtechUdp { version: g.version },
                        status: stat_to_status(&stat, Some(addr.ip())),
                    });
                }
                ServerEvent::TxAck {
                    gateway,
                    downlink,
                    ack,
                    ..
                } => {
                    let down = self.downlinks.remove(&downlink);
                    let Some(g) = self.gateways.get_mut(&gateway) else {
                        continue;
                    };
                    g.acknowledges = true;
                    let mut tx_ack = txpk_ack_to_tx_ack(&ack);
                    if let Some(d) = down {
                        tx_ack.correlation_ids = d.correlation_ids.clone();
                        tx_ack.downlink_message = Some(d);
                    }
                    self.events.push_back(GatewayEvent::TxAck {
                        gateway: g.ids.clone(),
                        protocol: Protocol::SemtechUdp { version: g.version },
                        ack: tx_ack,
                        failure: None,
                    });
                }
                ServerEvent::TxAckUnmatched {
                    gateway,
                    ack,
                    reason,
                    ..
                } => {
                    // Reported like The Things Stack does: the result, without correlation ids.
                    let Some(g) = self.gateways.get_mut(&gateway) else {
                        continue;
                    };
                    g.acknowledges = true;
                    tracing::debug!(gateway = %g.ids, ?reason, "TX_ACK matched no downlink");
                    self.events.push_back(GatewayEvent::TxAck {
                        gateway: g.ids.clone(),
                        protocol: Protocol::SemtechUdp { version: g.version },
                        ack: txpk_ack_to_tx_ack(&ack),
                        failure: None,
                    });
                }
                ServerEvent::DownlinkExpired {
                    gateway,
                    downlink,
                    reason,
                } => {
                    let down = self.downlinks.remove(&downlink);
                    let Some(g) = self.gateways.get(&gateway) else {
                        continue;
                    };
                    // Forwarders that never acknowledge (GWMP v1) say nothing by silence.
                    if reason == ExpiryReason::NoTxAck && !g.acknowledges {
                        continue;
                    }
                    self.events.push_back(GatewayEvent::TxAck {
                        gateway: g.ids.clone(),
                        protocol: Protocol::SemtechUdp { version: g.version },
                        ack: tx_timeout_to_ack(down.as_ref()),
                        failure: Some(crate::event::TxFailure::Expired),
                    });
                }
                ServerEvent::Disconnected { gateway } => {
                    self.refused.remove(&gateway);
                    if let Some(g) = self.gateways.remove(&gateway) {
                        if self.by_gateway.get(&g.ids.gateway_id) == Some(&gateway) {
                            self.by_gateway.remove(&g.ids.gateway_id);
                        }
                        self.events.push_back(GatewayEvent::Disconnected {
                            gateway: g.ids,
                            protocol: Protocol::SemtechUdp { version: g.version },
                            reason: DisconnectReason::Timeout,
                        });
                    }
                }
                other => tracing::trace!(event = ?other, "Semtech UDP server event"),
            }
        }
    }
}

impl<R: GatewayRegistry + ?Sized + 'static> Frontend for UdpFrontend<R> {
    fn protocol(&self) -> Protocol {
        Protocol::SemtechUdp { version: 2 }
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        let gateway_id = command.gateway().gateway_id.clone();
        let eui = *self
            .by_gateway
            .get(&gateway_id)
            .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
        match command {
            GatewayCommand::Downlink { message, .. } => {
                let message = match self.gateways.get(&eui) {
                    Some(g) if !g.has_gps => with_timestamp(message, &g.clock),
                    _ => message,
                };
                let txpk =
                    downlink_to_txpk(&message).map_err(|source| CommandError::Translate {
                        gateway: gateway_id.clone(),
                        source,
                    })?;
                let id = self
                    .server
                    .send_downlink(now.instant, eui, txpk)
                    .map_err(|e| CommandError::Rejected {
                        gateway: gateway_id.clone(),
                        reason: e.to_string(),
                    })?;
                self.downlinks.insert(id, message);
                self.drain(now);
                Ok(())
            }
            GatewayCommand::Disconnect { .. } => Err(CommandError::Rejected {
                gateway: gateway_id,
                reason: "Semtech UDP has no connection to close".into(),
            }),
        }
    }

    fn handle_timeout(&mut self, now: Now) {
        self.server.handle_timeout(now.instant);
        self.drain(now);
    }

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.server.poll_timeout()
    }
}

#[cfg(test)]
mod tests;
