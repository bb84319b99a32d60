//! Per-gateway connection stats, as The Things Stack's `GetGatewayConnectionStats` gives them:
//! kept from `Connected` to `Disconnected`, fed by the events and the downlinks sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use loragw_gateway_io::event::GatewayEvent;
use loragw_ttnpb::Timestamp;
use serde::Serialize;
use serde_json::Value;

/// What the API answers for a connected gateway (field names as The Things Stack's
/// `GatewayConnectionStats`, plus `gateway_id` and `remote_addr`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct ConnectionStats {
    /// The gateway's (unique) id.
    pub gateway_id: String,
    /// `udp`, `lbs`, `mqtt-v3` or `mqtt-v2`.
    pub protocol: &'static str,
    /// The gateway's address, when the protocol has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_addr: Option<String>,
    /// When it connected.
    pub connected_at: Timestamp,
    /// When its last uplink arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_uplink_received_at: Option<Timestamp>,
    /// Uplinks since it connected.
    pub uplink_count: u64,
    /// When its last status arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status_received_at: Option<Timestamp>,
    /// Its last status (ttnpb `GatewayStatus` JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<Value>,
    /// When the last downlink was sent to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_downlink_received_at: Option<Timestamp>,
    /// Downlinks sent to it since it connected.
    pub downlink_count: u64,
    /// When its last TX acknowledgement arrived (or a downlink of it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_tx_acknowledgment_received_at: Option<Timestamp>,
    /// Its last TX acknowledgement (ttnpb `TxAcknowledgment` JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_tx_acknowledgment: Option<Value>,
    /// TX acknowledgements since it connected.
    pub tx_acknowledgment_count: u64,
}

/// One gateway's stats as kept (the id is the table's key; the address is formatted, and the
/// last status and acknowledgement parsed, only when asked for): the last status and
/// acknowledgement as compact JSON text (a `serde_json::Value` map of a status is several
/// times larger, once per gateway).
#[derive(Debug)]
struct Kept {
    protocol: &'static str,
    remote_addr: Option<SocketAddr>,
    connected_at: Timestamp,
    last_uplink_received_at: Option<Timestamp>,
    uplink_count: u64,
    last_status_received_at: Option<Timestamp>,
    last_status: Option<Box<str>>,
    last_downlink_received_at: Option<Timestamp>,
    downlink_count: u64,
    last_tx_acknowledgment_received_at: Option<Timestamp>,
    last_tx_acknowledgment: Option<Box<str>>,
    tx_acknowledgment_count: u64,
}

fn json_text<T: Serialize>(value: &T) -> Option<Box<str>> {
    serde_json::to_string(value)
        .ok()
        .map(String::into_boxed_str)
}

fn json_value(text: &Option<Box<str>>) -> Option<Value> {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok())
}

/// The stats of every connected gateway.
#[derive(Debug, Default)]
pub struct ConnectionTable {
    /// Boxed: the map keeps spare slots, and the stats are a few hundred bytes.
    gateways: Mutex<HashMap<String, Box<Kept>>>,
}

fn now() -> Timestamp {
    loragw_ttnpb::time::system_time_to_timestamp(SystemTime::now()).unwrap_or_default()
}

impl ConnectionTable {
    /// Follows one event.
    pub fn observe(&self, event: &GatewayEvent) {
        let id = &event.gateway().gateway_id;
        let mut gateways = self.gateways.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            GatewayEvent::Connected {
                protocol, remote, ..
            } => {
                let kept = Kept {
                    protocol: protocol.name(),
                    remote_addr: *remote,
                    connected_at: now(),
                    last_uplink_received_at: None,
                    uplink_count: 0,
                    last_status_received_at: None,
                    last_status: None,
                    last_downlink_received_at: None,
                    downlink_count: 0,
                    last_tx_acknowledgment_received_at: None,
                    last_tx_acknowledgment: None,
                    tx_acknowledgment_count: 0,
                };
                gateways.insert(id.clone(), Box::new(kept));
            }
            GatewayEvent::Disconnected { .. } => {
                gateways.remove(id);
            }
            GatewayEvent::Uplink { .. } => {
                if let Some(k) = gateways.get_mut(id) {
                    k.last_uplink_received_at = Some(now());
                    k.uplink_count += 1;
                }
            }
            GatewayEvent::Status { status, .. } => {
                if let Some(k) = gateways.get_mut(id) {
                    k.last_status_received_at = Some(now());
                    k.last_status = json_text(status);
                }
            }
            GatewayEvent::TxAck { ack, .. } => {
                if let Some(k) = gateways.get_mut(id) {
                    k.last_tx_acknowledgment_received_at = Some(now());
                    k.last_tx_acknowledgment = json_text(ack);
                    k.tx_acknowledgment_count += 1;
                }
            }
            _ => {}
        }
    }

    /// A downlink went to the gateway.
    pub fn downlink_sent(&self, gateway_id: &str) {
        let mut gateways = self.gateways.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = gateways.get_mut(gateway_id) {
            k.last_downlink_received_at = Some(now());
            k.downlink_count += 1;
        }
    }

    /// The stats of a connected gateway.
    pub fn get(&self, gateway_id: &str) -> Option<ConnectionStats> {
        self.gateways
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_key_value(gateway_id)
            .map(|(id, k)| ConnectionStats {
                gateway_id: id.clone(),
                protocol: k.protocol,
                remote_addr: k.remote_addr.map(|r| r.to_string()),
                connected_at: k.connected_at,
                last_uplink_received_at: k.last_uplink_received_at,
                uplink_count: k.uplink_count,
                last_status_received_at: k.last_status_received_at,
                last_status: json_value(&k.last_status),
                last_downlink_received_at: k.last_downlink_received_at,
                downlink_count: k.downlink_count,
                last_tx_acknowledgment_received_at: k.last_tx_acknowledgment_received_at,
                last_tx_acknowledgment: json_value(&k.last_tx_acknowledgment),
                tx_acknowledgment_count: k.tx_acknowledgment_count,
            })
    }
}
