//! Whole datagrams: [`Packet`] with `decode` and `encode`.

use crate::error::{DecodeError, ElementError, EncodeError};
use crate::header::{GatewayEui, Header, PacketType, ProtocolVersion};
use crate::json::{self, Rxpk, Stat, Txpk, TxpkAck};

/// Largest datagram decoded or encoded: the largest UDP payload over IPv4 (65 535 − 8 − 20).
pub const MAX_DATAGRAM_LEN: usize = 65_507;

/// Largest PULL_RESP encoded: the reference packet forwarders read downstream datagrams into a
/// 1000-byte buffer and would truncate anything longer.
pub const MAX_PULL_RESP_LEN: usize = 1000;

/// PUSH_DATA: uplinks and/or status from a gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct PushData {
    /// Protocol version of the datagram.
    pub version: ProtocolVersion,
    /// Token, echoed in the PUSH_ACK.
    pub token: u16,
    /// The sending gateway.
    pub gateway: GatewayEui,
    /// Received packets (`rxpk`), in order, without the rejected ones.
    pub rxpk: Vec<Rxpk>,
    /// Status report (`stat`), if present and valid. Boxed: a `Stat` is large and rare (one
    /// every 30 s per gateway), and inline it made every decoded packet 416 bytes to move.
    pub stat: Option<Box<Stat>>,
    /// Elements of the body that were rejected (decode only; ignored by `encode`).
    pub rejected: Vec<ElementError>,
}

/// PULL_DATA: a gateway's keepalive that opens the downlink path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullData {
    /// Protocol version of the datagram.
    pub version: ProtocolVersion,
    /// Token, echoed in the PULL_ACK.
    pub token: u16,
    /// The sending gateway.
    pub gateway: GatewayEui,
}

/// PUSH_ACK or PULL_ACK: a server's acknowledgement, four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// Protocol version (that of the acknowledged datagram).
    pub version: ProtocolVersion,
    /// Token of the acknowledged datagram.
    pub token: u16,
}

/// PULL_RESP: a downlink for the gateway to transmit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullResp {
    /// Protocol version (that of the gateway's PULL_DATA).
    pub version: ProtocolVersion,
    /// Token, echoed in the gateway's TX_ACK (unused by version 1 gateways).
    pub token: u16,
    /// The packet.
    pub txpk: Txpk,
}

/// TX_ACK: a gateway's verdict on a PULL_RESP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxAck {
    /// Protocol version of the datagram.
    pub version: ProtocolVersion,
    /// Token of the PULL_RESP.
    pub token: u16,
    /// The sending gateway.
    pub gateway: GatewayEui,
    /// The verdict; success when the datagram had no JSON.
    pub ack: TxpkAck,
}

/// Any GWMP datagram.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// 0x00, gateway → server.
    PushData(PushData),
    /// 0x01, server → gateway.
    PushAck(Ack),
    /// 0x02, gateway → server.
    PullData(PullData),
    /// 0x03, server → gateway.
    PullResp(PullResp),
    /// 0x04, server → gateway.
    PullAck(Ack),
    /// 0x05, gateway → server.
    TxAck(TxAck),
}

impl Packet {
    /// The packet type.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::PushData(_) => PacketType::PushData,
            Packet::PushAck(_) => PacketType::PushAck,
            Packet::PullData(_) => PacketType::PullData,
            Packet::PullResp(_) => PacketType::PullResp,
            Packet::PullAck(_) => PacketType::PullAck,
            Packet::TxAck(_) => PacketType::TxAck,
        }
    }

    /// The header fields.
    pub fn header(&self) -> Header {
        let (version, token) = match self {
            Packet::PushData(p) => (p.version, p.token),
            Packet::PushAck(a) | Packet::PullAck(a) => (a.version, a.token),
            Packet::PullData(p) => (p.version, p.token),
            Packet::PullResp(p) => (p.version, p.token),
            Packet::TxAck(p) => (p.version, p.token),
        };
        Header {
            version,
            token,
            packet_type: self.packet_type(),
        }
    }

    /// The gateway EUI, for the three gateway-to-server types.
    pub fn gateway(&self) -> Option<GatewayEui> {
        match self {
            Packet::PushData(p) => Some(p.gateway),
            Packet::PullData(p) => Some(p.gateway),
            Packet::TxAck(p) => Some(p.gateway),
            _ => None,
        }
    }

    /// Decodes one datagram of at most [`MAX_DATAGRAM_LEN`] bytes.
    ///
    /// Tolerant where real forwarders differ from the documents: a trailing NUL or whitespace
    /// around the JSON is ignored, PUSH_DATA may have no JSON, a TX_ACK without JSON (or with
    /// only NULs) is a success, unknown JSON fields are skipped, and one rejected `rxpk` or
    /// `stat` is listed in [`PushData::rejected`] without losing the rest. Trailing bytes after
    /// an ACK or PULL_DATA are rejected (a NUL terminator or whitespace is tolerated).
    pub fn decode(bytes: &[u8]) -> Result<Packet, DecodeError> {
        if bytes.len() > MAX_DATAGRAM_LEN {
            return Err(DecodeError::TooLong {
                len: bytes.len(),
                max: MAX_DATAGRAM_LEN,
            });
        }
        let (header, eui, body) = Header::parse(bytes)?;
        let Header {
            version,
            token,
            packet_type,
        } = header;
        let no_body = |packet: Packet| {
            // A NUL terminator or whitespace after the header is tolerated.
            if json::trim_body(body).is_empty() {
                Ok(packet)
            } else {
                Err(DecodeError::TrailingBytes {
                    packet_type,
                    extra: body.len(),
                })
            }
        };
        match (packet_type, eui) {
            (PacketType::PushData, Some(gateway)) => {
                let mut p = PushData {
                    version,
                    token,
                    gateway,
                    rxpk: Vec::new(),
                    stat: None,
                    rejected: Vec::new(),
                };
                json::decode_push_body(
                    body,
                    json::PushBody {
                        rxpk: &mut p.rxpk,
                        stat: &mut p.stat,
                        rejected: &mut p.rejected,
                    },
                )?;
                Ok(Packet::PushData(p))
            }
            (PacketType::PullData, Some(gateway)) => no_body(Packet::PullData(PullData {
                version,
                token,
                gateway,
            })),
            (PacketType::TxAck, Some(gateway)) => Ok(Packet::TxAck(TxAck {
                version,
                token,
                gateway,
                ack: json::decode_tx_ack_body(body)?,
            })),
            (PacketType::PushAck, _) => no_body(Packet::PushAck(Ack { version, token })),
            (PacketType::PullAck, _) => no_body(Packet::PullAck(Ack { version, token })),
            (PacketType::PullResp, _) => Ok(Packet::PullResp(PullResp {
                version,
                token,
                txpk: json::decode_pull_resp_body(body)?,
            })),
            // `Header::parse` returns an EUI for exactly these three types.
            (PacketType::PushData | PacketType::PullData | PacketType::TxAck, None) => {
                Err(DecodeError::TooShort {
                    len: bytes.len(),
                    needed: crate::header::HEADER_WITH_EUI_LEN,
                    what: "header with gateway EUI",
                })
            }
        }
    }

    /// Encodes into `out` (cleared first). Fails if a value has no wire form or the datagram
    /// would exceed [`MAX_DATAGRAM_LEN`] ([`MAX_PULL_RESP_LEN`] for PULL_RESP).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.clear();
        self.header().write(out);
        if let Some(eui) = self.gateway() {
            out.extend_from_slice(&eui.0);
        }
        let max = match self {
            Packet::PushData(p) => {
                json::encode_push_body(&p.rxpk, p.stat.as_deref(), out)?;
                MAX_DATAGRAM_LEN
            }
            Packet::PullResp(p) => {
                json::encode_pull_resp_body(&p.txpk, out)?;
                MAX_PULL_RESP_LEN
            }
            Packet::TxAck(p) => {
                json::encode_tx_ack_body(&p.ack, out)?;
                MAX_DATAGRAM_LEN
            }
            Packet::PushAck(_) | Packet::PullAck(_) | Packet::PullData(_) => MAX_DATAGRAM_LEN,
        };
        if out.len() > max {
            let len = out.len();
            out.clear();
            return Err(EncodeError::TooLong {
                packet_type: self.packet_type(),
                len,
                max,
            });
        }
        Ok(())
    }
}
