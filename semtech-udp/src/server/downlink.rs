//! Downlinks of the server: queueing, schedule-late release, TX_ACK matching and expiry.

use std::time::Instant;

use super::event::{DownlinkId, DownlinkPath, ExpiryReason, ServerEvent, UnmatchedReason};
use super::gateway::{Held, InFlight};
use super::{Outgoing, Server, TimerKind};
use crate::error::Error;
use crate::header::{GatewayEui, ProtocolVersion};
use crate::json::{TxTiming, Txpk, TxpkAck};
use crate::packet::{Packet, PullResp};

impl Server {
    pub(super) fn handle_tx_ack(
        &mut self,
        now: Instant,
        eui: GatewayEui,
        token: u16,
        ack: TxpkAck,
    ) {
        let quarantine_until = now + self.config.token_quarantine;
        let max_q = self.config.max_quarantined_tokens;
        let gw = self
            .gateways
            .get_mut(&eui)
            .expect("admitted gateway exists");
        gw.has_sent_tx_ack = true;
        // A TX_ACK keeps the downlink path alive (it proves the gateway still listens).
        if let Some(p) = gw.path.as_mut() {
            p.last_refresh = now;
        }
        match gw.in_flight.iter().position(|f| f.token == token) {
            Some(i) => {
                let f = gw.in_flight.swap_remove(i);
                gw.quarantine(token, quarantine_until, max_q);
                self.event(ServerEvent::TxAck {
                    gateway: eui,
                    downlink: f.id,
                    ack,
                    round_trip: now.saturating_duration_since(f.sent_at),
                });
            }
            None => {
                let reason = if gw.is_quarantined(token, now) {
                    UnmatchedReason::LateOrDuplicate
                } else {
                    UnmatchedReason::UnknownToken
                };
                self.event(ServerEvent::TxAckUnmatched {
                    gateway: eui,
                    token,
                    ack,
                    reason,
                });
            }
        }
    }

    /// Queues a downlink for a gateway with a live downlink path. Returns the id that the
    /// matching [`ServerEvent::TxAck`] or [`ServerEvent::DownlinkExpired`] will carry.
    ///
    /// With schedule-late configured, a `tmst` downlink for a gateway without a JIT queue is
    /// held until its transmit time minus the lead, using the concentrator clock learned from
    /// the gateway's uplinks; without a clock it is sent at once.
    pub fn send_downlink(
        &mut self,
        now: Instant,
        gateway: GatewayEui,
        txpk: Txpk,
    ) -> Result<DownlinkId, Error> {
        self.input_at(now);
        let path_expiry = self.config.downlink_path_expiry;
        let max_pending = self.config.max_pending_downlinks;
        let schedule_late = self.config.schedule_late;
        let gw = self
            .gateways
            .get_mut(&gateway)
            .ok_or(Error::UnknownGateway(gateway))?;
        let path = match gw.path {
            Some(p) if now.saturating_duration_since(p.last_refresh) < path_expiry => p.path,
            _ => return Err(Error::NoDownlinkPath(gateway)),
        };
        if gw.pending() >= max_pending {
            return Err(Error::TooManyPendingDownlinks {
                gateway,
                limit: max_pending,
            });
        }
        let token = gw.allocate_token(&mut self.rng, now);
        let tmst = match txpk.timing {
            TxTiming::Timestamp(t) => Some(t),
            _ => None,
        };
        let mut bytes_owned = Vec::with_capacity(256);
        Packet::PullResp(PullResp {
            version: path.version,
            token,
            txpk,
        })
        .encode(&mut bytes_owned)?;
        self.next_downlink += 1;
        let id = DownlinkId(self.next_downlink);

        let release_at = match (schedule_late, tmst) {
            (Some(sl), Some(tmst)) if !(sl.only_without_tx_ack && gw.has_sent_tx_ack) => gw
                .instant_of_tmst(tmst, now)
                .and_then(|at| at.checked_sub(sl.lead))
                .filter(|at| *at > now),
            _ => None,
        };
        match release_at {
            Some(at) => {
                gw.held.push(Held {
                    token,
                    id,
                    bytes: bytes_owned,
                });
                self.arm(at, TimerKind::Release(gateway, id));
            }
            None => self.send_now(now, gateway, path, token, id, bytes_owned),
        }
        Ok(id)
    }

    pub(super) fn send_now(
        &mut self,
        now: Instant,
        gateway: GatewayEui,
        path: DownlinkPath,
        token: u16,
        id: DownlinkId,
        bytes: Vec<u8>,
    ) {
        // Version 1 gateways never send TX_ACK; their downlinks are tracked all the same, so
        // that each one ends with an event (`NoTxAckInV1`) after its transmit window.
        let expires_at = now + self.config.tx_ack_timeout;
        if let Some(gw) = self.gateways.get_mut(&gateway) {
            gw.in_flight.push(InFlight {
                token,
                id,
                sent_at: now,
                expires_at,
                v1: path.version == ProtocolVersion::V1,
            });
        }
        self.arm(expires_at, TimerKind::AckTimeout(gateway, id));
        self.transmit(Outgoing::PullResp {
            destination: path.addr,
            gateway,
            downlink: id,
            bytes,
        });
    }

    pub(super) fn release(&mut self, now: Instant, eui: GatewayEui, id: DownlinkId) {
        let Some(gw) = self.gateways.get_mut(&eui) else {
            return;
        };
        let Some(i) = gw.held.iter().position(|h| h.id == id) else {
            return;
        };
        let held = gw.held.swap_remove(i);
        match gw.path {
            Some(p) => self.send_now(now, eui, p.path, held.token, id, held.bytes),
            None => self.event(ServerEvent::DownlinkExpired {
                gateway: eui,
                downlink: id,
                reason: ExpiryReason::PathExpired,
            }),
        }
    }

    pub(super) fn ack_timeout(&mut self, now: Instant, eui: GatewayEui, id: DownlinkId) {
        let until = now + self.config.token_quarantine;
        let max_q = self.config.max_quarantined_tokens;
        let Some(gw) = self.gateways.get_mut(&eui) else {
            return;
        };
        let Some(i) = gw
            .in_flight
            .iter()
            .position(|f| f.id == id && f.expires_at <= now)
        else {
            return;
        };
        let f = gw.in_flight.swap_remove(i);
        gw.quarantine(f.token, until, max_q);
        self.event(ServerEvent::DownlinkExpired {
            gateway: eui,
            downlink: id,
            reason: if f.v1 {
                ExpiryReason::NoTxAckInV1
            } else {
                ExpiryReason::NoTxAck
            },
        });
    }
}
