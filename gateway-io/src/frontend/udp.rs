//! The Semtech UDP frontend: the protocol crate's [`Server`] (many gateways on one socket) seen
//! through the one model.
//!
//! The transport (a UDP socket) feeds every datagram to
//! [`handle_datagram`](UdpFrontend::handle_datagram) and sends what
//! [`poll_transmit`](UdpFrontend::poll_transmit) writes. Semtech UDP carries no credentials:
//! a gateway is known by its EUI, so anyone who knows the EUI can speak for it. Registered
//! gateways are served unless their registry entry requires an authenticated connection (the
//! default for a gateway with keys, see [`GatewayRecord::require_authenticated_connection`]),
//! so an unauthenticated datagram never takes the downlink route of a gateway connected with
//! its key. Unregistered gateways are served only when [`UdpConfig::allow_unregistered`] is
//! set (with ids `eui-<hex>`). Datagrams of other gateways are still acknowledged by the
//! server (as The Things Stack does) but produce no events.
//!
//! # Identity before state
//!
//! Nothing is stored for a gateway before the registry said it is served: the server answers
//! unknown EUIs statelessly and keeps refusals in a bounded, expiring cache
//! ([`ServerConfig::max_refused_cached`]), so traffic from any number of unregistered EUIs
//! costs O(1) memory and never fills [`ServerConfig::max_gateways`]. The registry is asked
//! - inline, from `handle_datagram`, with [`UdpFrontend::new`] (simple embedders), or
//! - by the embedder, with [`UdpFrontend::deferred`]: requests come out of
//!   [`poll_admission`](UdpFrontend::poll_admission) and answers go in with
//!   [`handle_admission`](UdpFrontend::handle_admission), so a slow registry never holds up
//!   other gateways' traffic (the tokio transport runs the lookups on blocking threads).
//!   Datagrams of a gateway waiting for its answer are acknowledged but not reported; a
//!   PULL_DATA received meanwhile becomes its downlink path once admitted.
//!
//! # Downlink lifecycle
//!
//! Every accepted downlink is remembered until it ends, and ends exactly once:
//! - GWMP v2: one [`GatewayEvent::TxAck`] with the downlink's correlation ids: the gateway's
//!   verdict from its TX_ACK (a warning such as `TX_POWER` keeps `SUCCESS`, and is logged), or
//!   `UNKNOWN_ERROR` when no TX_ACK came within [`ServerConfig::tx_ack_timeout`], the
//!   downlink path expired before it was sent, or the gateway was disconnected;
//! - GWMP v1 (no TX_ACK in the protocol): forgotten without an event after
//!   [`ServerConfig::tx_ack_timeout`] (its transmit window), or a failure as above when the
//!   path expired or the gateway was disconnected first.
//!
//! A TX_ACK that matches no downlink (unknown token, repeated, or after expiry) produces no
//! event; it is logged. Malformed datagrams, dropped `rxpk`, guard drops, refused gateways and
//! downlink path changes are logged at most once per 10 s per kind, with a count of those
//! suppressed (loud lines at `info`/`warn`, the rest at `debug`: install a `tracing`
//! subscriber to see them). A refused gateway is also reported to the application: a
//! [`GatewayEvent::Refused`] under the same limit (with the number suppressed), and every
//! refusal in [`UdpFrontend::refused`].
//!
//! A downlink at an absolute time is sent with `tmms` to gateways whose uplinks carry GPS time;
//! to others it is sent at the `tmst` of that time, from a concentrator clock synced on their
//! uplinks' `time` (as accurate as the gateway's clock), when one is known.

mod log;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use loragw_semtech_udp::{
    Admission, DownlinkId, ExpiryReason, GatewayEui, ProtocolVersion, Server, ServerConfig,
    ServerEvent, Transmit, TxpkAck,
};
use loragw_ttnpb::DownlinkMessage;

use self::log::{LogKind, LogLimiter};
use super::{Frontend, LastInput, Now, with_timestamp};
use crate::adapter::lbs::tx_timeout_to_ack;
use crate::adapter::udp::{
    downlink_to_txpk, rxpks_into_uplinks, stat_to_status, txpk_ack_to_tx_ack,
};
use crate::clock::ConcentratorClock;
use crate::error::CommandError;
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure};
use crate::ids::{Eui64, GatewayIds};
use crate::registry::{GatewayRecord, GatewayRegistry};
use crate::reply::resolve_command;

/// Settings of a [`UdpFrontend`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UdpConfig {
    /// The protocol machine's settings (expiries, rate limit, schedule-late, bounds). Its
    /// `admission` is set by the frontend's constructor.
    pub server: ServerConfig,
    /// Serve gateways that are not in the registry, as `eui-<16 hex>`.
    pub allow_unregistered: bool,
}

/// A gateway waiting for its registry lookup ([`UdpFrontend::deferred`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionRequest {
    /// The gateway's EUI: look it up with [`GatewayRegistry::gateway_by_eui`].
    pub eui: Eui64,
    /// Source of its datagram.
    pub addr: SocketAddr,
}

#[derive(Debug)]
struct Gateway {
    ids: GatewayIds,
    /// Whether its uplinks carry GPS time (`tmms`): only then can it transmit at a GPS time.
    has_gps: bool,
    /// Its concentrator clock, synced on uplinks: turns an absolute-time downlink into a
    /// `tmst` for a gateway without GPS (at the accuracy of the gateway's `time`).
    clock: ConcentratorClock,
}

/// Semtech UDP gateways on one socket. See the [module docs](self).
///
/// Drain order after every input: [`poll_transmit`](Self::poll_transmit), then
/// [`poll_event`](Frontend::poll_event), each until `None`, and again while handling an event
/// queued more (a downlink command queues its PULL_RESP); then (deferred admission only)
/// [`poll_admission`](Self::poll_admission); then [`poll_timeout`](Frontend::poll_timeout),
/// which is due at once while anything is queued. The crate docs have this loop as a running
/// example.
#[derive(Debug)]
pub struct UdpFrontend<R: ?Sized> {
    config: UdpConfig,
    registry: Arc<R>,
    server: Server,
    /// Admission requests are surfaced instead of looked up inline.
    deferred: bool,
    /// Admitted gateways (the server holds their protocol state).
    gateways: HashMap<GatewayEui, Gateway>,
    by_gateway: HashMap<String, GatewayEui>,
    /// Requests for the embedder; at most `max_pending_admissions`.
    admissions: VecDeque<AdmissionRequest>,
    /// Accepted downlinks until they end (bounded by the server's per-gateway limit).
    downlinks: HashMap<DownlinkId, DownlinkMessage>,
    events: VecDeque<GatewayEvent>,
    logs: LogLimiter,
    last_input: LastInput,
    /// Gateways refused since the frontend started.
    refused: u64,
    /// Datagrams that did not decode and `rxpk`s that did not translate, since the frontend
    /// started.
    decode_errors: u64,
}

/// The ids a gateway is served as, or why it is not served.
fn decide(
    record: Option<GatewayRecord>,
    eui: Eui64,
    allow_unregistered: bool,
) -> Result<GatewayIds, &'static str> {
    match record {
        Some(record) if !record.require_authenticated_connection => Ok(record.ids),
        Some(_) => Err("requires an authenticated connection"),
        None if allow_unregistered => Ok(GatewayIds::from_eui(eui)),
        None => Err("is not registered"),
    }
}

/// Counts a refused gateway and reports it, at most once per log window: a log line at `info`
/// and a [`GatewayEvent::Refused`], each with the number suppressed since.
fn report_refusal(
    (logs, events, refused): (&mut LogLimiter, &mut VecDeque<GatewayEvent>, &mut u64),
    eui: Eui64,
    remote: Option<SocketAddr>,
    why: &'static str,
    now: Instant,
) {
    *refused += 1;
    match logs.allow(LogKind::Refused, now) {
        Some(suppressed) => {
            tracing::info!(%eui, ?remote, suppressed, "Semtech UDP gateway not served: it {why}");
            events.push_back(GatewayEvent::Refused {
                gateway: GatewayIds::from_eui(eui),
                protocol: Protocol::SemtechUdp { version: 2 },
                remote,
                reason: format!("gateway {why}"),
                suppressed,
            });
        }
        None => tracing::debug!(%eui, ?remote, "Semtech UDP gateway not served: it {why}"),
    }
}

impl<R: GatewayRegistry + ?Sized> UdpFrontend<R> {
    /// A frontend that looks gateways up in `registry` inline, on their first datagram.
    pub fn new(config: UdpConfig, registry: Arc<R>) -> Self {
        Self::build(config, registry, false)
    }

    /// A frontend that leaves registry lookups to the embedder: unknown gateways come out of
    /// [`poll_admission`](Self::poll_admission), answers go in with
    /// [`handle_admission`](Self::handle_admission).
    pub fn deferred(config: UdpConfig, registry: Arc<R>) -> Self {
        Self::build(config, registry, true)
    }

    fn build(config: UdpConfig, registry: Arc<R>, deferred: bool) -> Self {
        let server = Server::new(ServerConfig {
            admission: Admission::Ask,
            ..config.server.clone()
        });
        UdpFrontend {
            server,
            config,
            registry,
            deferred,
            gateways: HashMap::new(),
            by_gateway: HashMap::new(),
            admissions: VecDeque::new(),
            downlinks: HashMap::new(),
            events: VecDeque::new(),
            logs: LogLimiter::default(),
            last_input: LastInput::default(),
            refused: 0,
            decode_errors: 0,
        }
    }

    /// A datagram from `from`.
    pub fn handle_datagram(&mut self, now: Now, from: SocketAddr, bytes: &[u8]) {
        self.last_input.record(now.instant);
        if self.deferred {
            self.server.handle_datagram(now.instant, from, bytes);
        } else {
            let (registry, gateways) = (&self.registry, &mut self.gateways);
            let report = (&mut self.logs, &mut self.events, &mut self.refused);
            let allow = self.config.allow_unregistered;
            self.server
                .handle_datagram_with(now.instant, from, bytes, |eui, addr| {
                    let id = Eui64(eui.0);
                    match decide(registry.gateway_by_eui(id), id, allow) {
                        Ok(ids) => {
                            gateways.insert(eui, Gateway::new(ids));
                            true
                        }
                        Err(why) => {
                            report_refusal(report, id, Some(addr), why, now.instant);
                            false
                        }
                    }
                });
        }
        self.drain(now);
    }

    /// The next gateway to look up ([`deferred`](Self::deferred) frontends only). Answer each
    /// with [`handle_admission`](Self::handle_admission), or
    /// [`cancel_admission`](Self::cancel_admission) to have it asked again on the gateway's next
    /// datagram.
    #[must_use]
    pub fn poll_admission(&mut self) -> Option<AdmissionRequest> {
        self.admissions.pop_front()
    }

    /// The registry's answer for a gateway from [`poll_admission`](Self::poll_admission):
    /// served (and reported `Connected`) if `record` allows it, refused otherwise (remembered
    /// for [`ServerConfig::refusal_ttl`]).
    pub fn handle_admission(&mut self, now: Now, eui: Eui64, record: Option<GatewayRecord>) {
        self.last_input.record(now.instant);
        let geui = GatewayEui(eui.0);
        if self.gateways.contains_key(&geui) {
            return;
        }
        let allow = self.config.allow_unregistered;
        match decide(record, eui, allow) {
            Ok(ids) => {
                self.gateways.insert(geui, Gateway::new(ids));
                if !self.server.admit(now.instant, geui) {
                    // The request was forgotten meanwhile (the gateway will ask again) or the
                    // gateway table is full.
                    self.gateways.remove(&geui);
                }
            }
            Err(why) => {
                let remote = self.server.refuse(now.instant, geui);
                let report = (&mut self.logs, &mut self.events, &mut self.refused);
                report_refusal(report, eui, remote, why, now.instant);
            }
        }
        self.drain(now);
    }

    /// Forgets an admission request without an answer (e.g. too many lookups in flight): the
    /// gateway's next datagram asks again.
    pub fn cancel_admission(&mut self, now: Now, eui: Eui64) {
        self.last_input.record(now.instant);
        self.server.cancel_admission(now.instant, GatewayEui(eui.0));
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

    /// The protocol machine, for its counters and table sizes
    /// ([`Server::pending_admissions`], [`Server::refused_cached`], ...).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Gateways refused since the frontend started (unregistered EUIs, entries requiring an
    /// authenticated connection): every refusal, including those not reported as a
    /// [`GatewayEvent::Refused`] (at most one per 10 s). A refused EUI is remembered for
    /// [`ServerConfig::refusal_ttl`] and counted again only after that.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Malformed input since the frontend started: datagrams (or parts of one) that do not
    /// decode, and `rxpk`s that do not translate into an uplink. Every one is counted, also
    /// those whose log line was suppressed.
    pub fn decode_errors(&self) -> u64 {
        self.decode_errors
    }

    /// Accepted downlinks that have not ended yet.
    pub fn pending_downlinks(&self) -> usize {
        self.downlinks.len()
    }

    fn protocol_of(&self, eui: GatewayEui) -> Protocol {
        let version = self
            .server
            .protocol_version(eui)
            .unwrap_or(ProtocolVersion::V2);
        Protocol::SemtechUdp {
            version: version.to_byte(),
        }
    }

    fn log(&mut self, kind: LogKind, now: Now) -> Option<u64> {
        self.logs.allow(kind, now.instant)
    }

    fn drain(&mut self, now: Now) {
        while let Some(event) = self.server.poll_event() {
            self.handle_server_event(now, event);
        }
    }

    fn handle_server_event(&mut self, now: Now, event: ServerEvent) {
        match event {
            ServerEvent::AdmissionRequired { gateway, addr } => {
                let max = self.config.server.max_pending_admissions;
                if !self.deferred || self.admissions.len() >= max {
                    self.server.cancel_admission(now.instant, gateway);
                    return;
                }
                self.admissions.push_back(AdmissionRequest {
                    eui: Eui64(gateway.0),
                    addr,
                });
            }
            ServerEvent::Connected { gateway, addr } => {
                let protocol = self.protocol_of(gateway);
                let Some(g) = self.gateways.get(&gateway) else {
                    return;
                };
                let ids = g.ids.clone();
                self.by_gateway.insert(ids.gateway_id.clone(), gateway);
                self.events.push_back(GatewayEvent::Connected {
                    gateway: ids,
                    protocol,
                    remote: Some(addr),
                });
            }
            ServerEvent::Uplink { gateway, rxpk, .. } => {
                let protocol = self.protocol_of(gateway);
                let Some(g) = self.gateways.get_mut(&gateway) else {
                    return;
                };
                let (ups, errors) = rxpks_into_uplinks(&g.ids, rxpk, Some(now.wall));
                for message in ups {
                    g.has_gps |= message.rx_metadata.iter().any(|m| m.gps_time.is_some());
                    g.clock.sync_uplink(&message, now.instant, true);
                    self.events.push_back(GatewayEvent::Uplink {
                        gateway: g.ids.clone(),
                        protocol,
                        message,
                    });
                }
                let ids = g.ids.clone();
                for (i, e) in errors {
                    self.decode_errors += 1;
                    if let Some(suppressed) = self.log(LogKind::RxpkDropped, now) {
                        tracing::warn!(gateway = %ids, rxpk = i, error = %e, suppressed, "Semtech UDP rxpk dropped");
                    }
                }
            }
            ServerEvent::Status {
                gateway,
                addr,
                stat,
            } => {
                let protocol = self.protocol_of(gateway);
                let Some(g) = self.gateways.get(&gateway) else {
                    return;
                };
                self.events.push_back(GatewayEvent::Status {
                    gateway: g.ids.clone(),
                    protocol,
                    status: stat_to_status(&stat, Some(addr.ip())),
                });
            }
            ServerEvent::TxAck {
                gateway,
                downlink,
                ack,
                ..
            } => self.tx_ack(now, gateway, downlink, &ack),
            ServerEvent::TxAckUnmatched {
                gateway,
                token,
                ack,
                reason,
            } => {
                // No event: an acknowledgement without its downlink tells the application
                // nothing it can act on (and a late one would follow the downlink's failure).
                if let Some(suppressed) = self.log(LogKind::UnmatchedTxAck, now) {
                    tracing::warn!(%gateway, token, ?reason, ?ack, suppressed, "Semtech UDP TX_ACK matches no downlink; ignored");
                }
            }
            ServerEvent::DownlinkExpired {
                gateway,
                downlink,
                reason,
            } => {
                let protocol = self.protocol_of(gateway);
                let Some(down) = self.downlinks.remove(&downlink) else {
                    return;
                };
                let Some(g) = self.gateways.get(&gateway) else {
                    return;
                };
                if reason == ExpiryReason::NoTxAckInV1 {
                    tracing::debug!(gateway = %g.ids, "GWMP v1 downlink forgotten after its transmit window");
                    return;
                }
                tracing::debug!(gateway = %g.ids, ?reason, "Semtech UDP downlink failed");
                let failure = match reason {
                    ExpiryReason::Disconnected => {
                        TxFailure::Disconnected(DisconnectReason::Timeout)
                    }
                    // No TX_ACK in time, or the downlink path expired before a held
                    // (schedule-late) downlink was due.
                    _ => TxFailure::Expired,
                };
                self.events.push_back(GatewayEvent::TxAck {
                    gateway: g.ids.clone(),
                    protocol,
                    ack: tx_timeout_to_ack(Some(&down)),
                    failure: Some(failure),
                });
            }
            ServerEvent::Disconnected { gateway } => {
                let protocol = self.protocol_of(gateway);
                if let Some(g) = self.gateways.remove(&gateway) {
                    if self.by_gateway.get(&g.ids.gateway_id) == Some(&gateway) {
                        self.by_gateway.remove(&g.ids.gateway_id);
                    }
                    self.events.push_back(GatewayEvent::Disconnected {
                        gateway: g.ids,
                        protocol,
                        reason: DisconnectReason::Timeout,
                    });
                }
            }
            ServerEvent::DownlinkPath {
                gateway,
                path,
                previous,
            } => {
                if let Some(suppressed) = self.log(LogKind::PathChanged, now) {
                    let ids = self.gateways.get(&gateway).map(|g| g.ids.to_string());
                    tracing::info!(%gateway, ?ids, addr = %path.addr, version = path.version.to_byte(), previous = ?previous.map(|p| p.addr), suppressed, "Semtech UDP downlink path set");
                }
            }
            ServerEvent::Malformed {
                from,
                gateway,
                error,
            } => {
                self.decode_errors += 1;
                if let Some(suppressed) = self.log(LogKind::Malformed, now) {
                    tracing::warn!(%from, ?gateway, %error, suppressed, "malformed Semtech UDP datagram");
                }
            }
            ServerEvent::Rejected {
                from,
                gateway,
                reason,
            } => {
                if let Some(suppressed) = self.log(LogKind::Rejected, now) {
                    tracing::warn!(%from, %gateway, ?reason, suppressed, "Semtech UDP datagram dropped");
                }
            }
            other => tracing::trace!(event = ?other, "Semtech UDP server event"),
        }
    }

    fn tx_ack(&mut self, now: Now, gateway: GatewayEui, downlink: DownlinkId, ack: &TxpkAck) {
        let protocol = self.protocol_of(gateway);
        let Some(down) = self.downlinks.remove(&downlink) else {
            tracing::debug!(%gateway, ?downlink, "TX_ACK for a downlink not sent by this frontend");
            return;
        };
        let Some(g) = self.gateways.get(&gateway) else {
            return;
        };
        let ids = g.ids.clone();
        let mut tx_ack = txpk_ack_to_tx_ack(ack);
        tx_ack.correlation_ids = down.correlation_ids.clone();
        tx_ack.downlink_message = Some(down);
        if let Some(warn) = &ack.warn {
            // ttnpb's TxAcknowledgment has no warning field: SUCCESS stays, the warning is
            // logged so it is not lost.
            if let Some(suppressed) = self.log(LogKind::TxWarning, now) {
                tracing::warn!(gateway = %ids, warning = warn.as_str(), value = ?ack.value, correlation_ids = ?tx_ack.correlation_ids, suppressed, "downlink transmitted with a warning");
            }
        }
        self.events.push_back(GatewayEvent::TxAck {
            gateway: ids,
            protocol,
            ack: tx_ack,
            failure: None,
        });
    }
}

impl Gateway {
    fn new(ids: GatewayIds) -> Self {
        Gateway {
            ids,
            has_gps: false,
            clock: ConcentratorClock::new(),
        }
    }
}

impl<R: GatewayRegistry + ?Sized + 'static> Frontend for UdpFrontend<R> {
    fn protocol(&self) -> Protocol {
        Protocol::SemtechUdp { version: 2 }
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        self.last_input.record(now.instant);
        let gateway_id = command.gateway().gateway_id.clone();
        let eui = *self
            .by_gateway
            .get(&gateway_id)
            .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
        match command {
            GatewayCommand::Downlink { gateway, message } => {
                let message = resolve_command(&*self.registry, &gateway, None, message, now.wall)?;
                let message = match self.gateways.get(&eui) {
                    Some(g) if !g.has_gps => with_timestamp(
                        message,
                        &g.clock,
                        &gateway_id,
                        "a Semtech UDP gateway without GPS",
                    )?,
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
        self.last_input.record(now.instant);
        self.server.handle_timeout(now.instant);
        self.drain(now);
    }

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.events.pop_front()
    }

    /// The server's next timer; or, while a transmit, an event or an admission request is
    /// queued, the latest input's time (already due).
    fn poll_timeout(&self) -> Option<Instant> {
        let queued = !self.events.is_empty() || !self.admissions.is_empty();
        self.last_input.wake(self.server.poll_timeout(), queued)
    }
}

#[cfg(test)]
mod tests;
