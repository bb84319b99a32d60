//! Admission: what happens to a datagram from a gateway the server holds no state for, and the
//! embedder's answers ([`Server::admit`], [`Server::refuse`], [`Server::cancel_admission`]).

use std::net::SocketAddr;
use std::time::Instant;

use super::Server;
use super::cache::{HeldPush, Pending, PendingPull};
use super::event::{DownlinkPath, RejectReason, ServerEvent};
use super::gateway::{Gateway, Path};
use crate::header::{GatewayEui, Header, PacketType, ProtocolVersion};
use crate::packet::Packet;

impl Server {
    /// A datagram from a gateway without state: answered statelessly unless `decide` admits it
    /// now. Returns whether the gateway is admitted (its datagram is then processed).
    pub(super) fn admit_unknown<F: FnOnce(GatewayEui, SocketAddr) -> bool>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        header: Header,
        bytes: &[u8],
        eui: GatewayEui,
        decide: Option<F>,
    ) -> bool {
        if self.refused.get_mut(now, eui).is_some() {
            self.ack_unadmitted(from, eui, header, bytes);
            return false;
        }
        if self.gateways.len() >= self.config.max_gateways {
            self.event(ServerEvent::Rejected {
                from,
                gateway: eui,
                reason: RejectReason::TooManyGateways,
            });
            return false;
        }
        match decide.map(|decide| decide(eui, from)) {
            Some(true) => {
                self.create(now, eui, from, header.version, None);
                if let Some(rl) = self.config.rate_limit {
                    let gw = self.gateways.get_mut(&eui).expect("just created");
                    gw.admit(now, rl.max_datagrams, rl.window);
                }
                true
            }
            Some(false) => {
                let until = now + self.config.refusal_ttl;
                self.refused.insert(now, eui, until, ());
                self.ack_unadmitted(from, eui, header, bytes);
                false
            }
            None => {
                let pull = (header.packet_type == PacketType::PullData
                    && Packet::decode(bytes).is_ok())
                .then_some(PendingPull {
                    addr: from,
                    version: header.version,
                });
                let push = (header.packet_type == PacketType::PushData
                    && bytes.len() <= self.config.max_held_push_len)
                    .then(|| HeldPush {
                        at: now,
                        from,
                        bytes: bytes.to_vec(),
                    });
                match self.pending.get_mut(now, eui) {
                    Some(p) => {
                        p.addr = from;
                        p.pull = pull.or(p.pull);
                        if p.push.is_none() {
                            p.push = push;
                        }
                    }
                    None => {
                        let until = now + self.config.admission_timeout;
                        let pending = Pending {
                            addr: from,
                            pull,
                            push,
                        };
                        self.pending.insert(now, eui, until, pending);
                        self.event(ServerEvent::AdmissionRequired {
                            gateway: eui,
                            addr: from,
                        });
                    }
                }
                self.ack_unadmitted(from, eui, header, bytes);
                false
            }
        }
    }

    /// The stateless answer to a gateway that is not admitted: PUSH_ACK for PUSH_DATA,
    /// PULL_ACK for a well-formed PULL_DATA, nothing otherwise.
    pub(super) fn ack_unadmitted(
        &mut self,
        from: SocketAddr,
        eui: GatewayEui,
        h: Header,
        bytes: &[u8],
    ) {
        self.unadmitted_datagrams += 1;
        match h.packet_type {
            PacketType::PushData => self.ack(from, eui, h, PacketType::PushAck),
            PacketType::PullData if Packet::decode(bytes).is_ok() => {
                self.ack(from, eui, h, PacketType::PullAck)
            }
            _ => {}
        }
    }

    /// Creates the state of an admitted gateway (with its downlink path when it already sent
    /// a PULL_DATA) and reports it.
    fn create(
        &mut self,
        now: Instant,
        eui: GatewayEui,
        from: SocketAddr,
        version: ProtocolVersion,
        pull: Option<PendingPull>,
    ) {
        let mut gw = Gateway::new(from, version, now);
        let path = pull.map(|p| DownlinkPath {
            addr: p.addr,
            version: p.version,
        });
        gw.path = path.map(|path| Path {
            path,
            last_refresh: now,
        });
        self.gateways.insert(eui, gw);
        let at = now
            + if path.is_some() {
                self.config
                    .connection_expiry
                    .min(self.config.downlink_path_expiry)
            } else {
                self.config.connection_expiry
            };
        self.arm_gateway(eui, at);
        self.event(ServerEvent::Connected {
            gateway: eui,
            addr: from,
        });
        if let Some(path) = path {
            self.event(ServerEvent::DownlinkPath {
                gateway: eui,
                path,
                previous: None,
            });
        }
    }

    /// Admits a gateway that asked ([`ServerEvent::AdmissionRequired`]): its state is created
    /// (with the downlink path of a PULL_DATA received meanwhile),
    /// [`ServerEvent::Connected`] reported, and its first PUSH_DATA received meanwhile (if
    /// held) reported as if it arrived now. Returns whether the gateway is now admitted: `false`
    /// when its request was forgotten (timed out or evicted; it asks again with its next
    /// datagram) or [`ServerConfig::max_gateways`](super::ServerConfig::max_gateways) are tracked.
    pub fn admit(&mut self, now: Instant, gateway: GatewayEui) -> bool {
        self.input_at(now);
        if self.gateways.contains_key(&gateway) {
            return true;
        }
        let Some(p) = self.pending.remove(now, gateway) else {
            return false;
        };
        self.refused.remove(now, gateway);
        if self.gateways.len() >= self.config.max_gateways {
            self.event(ServerEvent::Rejected {
                from: p.addr,
                gateway,
                reason: RejectReason::TooManyGateways,
            });
            return false;
        }
        let version = p.pull.map_or(ProtocolVersion::V2, |pull| pull.version);
        self.create(now, gateway, p.addr, version, p.pull);
        // The PUSH_DATA held while waiting is processed now, as of when it arrived (it was
        // acknowledged then).
        if let Some(held) = p.push
            && let Ok((header, _, _)) = Header::parse(&held.bytes)
        {
            self.dispatch(held.at, held.from, header, gateway, &held.bytes, false);
        }
        true
    }

    /// Refuses a gateway that asked: it is remembered (for [`ServerConfig::refusal_ttl`](super::ServerConfig::refusal_ttl), in a
    /// bounded cache) and its datagrams are acknowledged without asking again. Does nothing to
    /// an admitted gateway. Returns the source address of the gateway's latest datagram when
    /// its request was still pending (for the embedder's report of the refusal).
    pub fn refuse(&mut self, now: Instant, gateway: GatewayEui) -> Option<SocketAddr> {
        self.input_at(now);
        let pending = self.pending.remove(now, gateway);
        if !self.gateways.contains_key(&gateway) {
            let until = now + self.config.refusal_ttl;
            self.refused.insert(now, gateway, until, ());
        }
        pending.map(|p| p.addr)
    }

    /// Forgets a pending admission request without deciding (e.g. the embedder could not look
    /// the gateway up now): the gateway's next datagram asks again.
    pub fn cancel_admission(&mut self, now: Instant, gateway: GatewayEui) {
        self.input_at(now);
        self.pending.remove(now, gateway);
    }
}
