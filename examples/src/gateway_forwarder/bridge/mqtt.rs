//! The MQTT v3 / v2 upstream: gateway-io's [`GatewayMqttClient`] as The Things Stack's gateway
//! MQTT client (`up`, `status`, `down`, and `down/ack` in v3).
//!
//! The client reconnects by itself at the backoff's first interval and subscribes again after
//! every reconnection. While it is not connected and subscribed, uplinks wait in the buffer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use loragw_gateway_io::adapter::udp::{downlink_to_txpk, txpk_ack_to_tx_ack};
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::transport::mqtt_client::{ClientTls, GatewayMqttClient, MqttClientConfig};
use loragw_gateway_io::ttnpb::DownlinkMessage;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_mqtt_v3::GatewayUid;
use tokio::sync::watch;

use super::config::{UpstreamConfig, UpstreamProtocol};
use super::link::{BridgedUplink, ToUpstream, UplinkBuffer, UpstreamCounters, UpstreamLink};
use crate::gateway_forwarder::net::host_port;

/// How often the link status is looked at.
const STATUS_POLL: Duration = Duration::from_millis(50);
/// Downlinks remembered for their acknowledgement (v3).
const MAX_PENDING: usize = 64;

/// Runs the upstream until the bridge stops.
pub(super) async fn run(
    mut link: UpstreamLink,
    config: UpstreamConfig,
    mut stop: watch::Receiver<bool>,
) {
    let version = match config.protocol {
        UpstreamProtocol::MqttV2 => MqttVersion::V2,
        _ => MqttVersion::V3,
    };
    let gateway_id = config.gateway_id.clone().unwrap_or_default();
    let (uid, (host, port)) = match (
        GatewayUid::new(gateway_id.clone()),
        host_port(&config.address),
    ) {
        (Ok(uid), Ok(hp)) => (uid, hp),
        (Err(e), _) => {
            tracing::error!(upstream = %link.name, error = %e, "invalid gateway_id");
            return;
        }
        (_, Err(e)) => {
            tracing::error!(upstream = %link.name, error = %e, "invalid address");
            return;
        }
    };
    let mut client_config =
        MqttClientConfig::new(host, port).reconnect_interval(link.backoff.next_wait());
    // With `tls_ca`, TLS trusting only those CA certificates (the server name is `host`).
    if let Some(path) = &config.tls_ca {
        let tls = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| ClientTls::from_pem(&pem, None).map_err(|e| e.to_string()));
        match tls {
            Ok(tls) => client_config = client_config.tls(tls),
            Err(e) => {
                tracing::error!(upstream = %link.name, path = %path.display(), error = %e, "tls_ca not usable");
                return;
            }
        }
    }
    if let Some(key) = &config.key {
        client_config = client_config.credentials(gateway_id, key.clone());
    }
    let mut client = GatewayMqttClient::connect(client_config, version, uid);
    let mut buffer: UplinkBuffer<Arc<BridgedUplink>> = UplinkBuffer::new(link.buffer_capacity);
    let mut downlinks: BTreeMap<u64, DownlinkMessage> = BTreeMap::new();
    let mut next_key = 0u64;
    let mut ready = false;
    let mut status_poll = tokio::time::interval(STATUS_POLL);
    loop {
        tokio::select! {
            _ = status_poll.tick() => {
                let now_ready = client.link().status().is_ready();
                if now_ready != ready {
                    ready = now_ready;
                    link.counters.set_connected(ready);
                    tracing::info!(upstream = %link.name, connected = ready, "MQTT link");
                }
                if ready && !buffer.is_empty() {
                    let waiting: Vec<_> = buffer.drain().collect();
                    for up in waiting {
                        publish_uplink(&client, &link, &up).await;
                    }
                }
            }
            command = link.commands.recv() => match command {
                None => return,
                Some(ToUpstream::Uplink(up)) => {
                    if ready && buffer.is_empty() {
                        publish_uplink(&client, &link, &up).await;
                    } else {
                        buffer.push(up, &link.counters);
                    }
                }
                Some(ToUpstream::Status(status)) => {
                    if ready && client.publish_status(&status.status).await.is_ok() {
                        UpstreamCounters::add(&link.counters.statuses_forwarded);
                    }
                }
                Some(ToUpstream::TxAck { key, ack }) => {
                    let Some(downlink) = downlinks.remove(&key) else { continue };
                    let mut tx_ack = txpk_ack_to_tx_ack(&ack);
                    tx_ack.correlation_ids = downlink.correlation_ids;
                    let success = tx_ack.result == TxResult::Success as i32;
                    match client.publish_tx_ack(&tx_ack).await {
                        Ok(()) if success => UpstreamCounters::add(&link.counters.tx_acks_forwarded),
                        Ok(()) => {
                            tracing::info!(upstream = %link.name, reason = ?ack.error, "downlink failed");
                            UpstreamCounters::add(&link.counters.tx_failures_forwarded);
                        }
                        Err(e) => tracing::warn!(upstream = %link.name, error = %e, "TX ack not sent"),
                    }
                }
            },
            downlink = client.next_downlink() => {
                let Some(downlink) = downlink else { return };
                let ordered = match downlink_to_txpk(&downlink) {
                    Ok(txpk) => {
                        let key = next_key;
                        next_key += 1;
                        let ordered = link.order_downlink(key, txpk);
                        // MQTT v2 has no acknowledgement: nothing to remember.
                        if ordered && version == MqttVersion::V3 {
                            downlinks.insert(key, downlink.clone());
                            while downlinks.len() > MAX_PENDING {
                                downlinks.pop_first();
                            }
                        }
                        ordered
                    }
                    Err(e) => {
                        tracing::warn!(upstream = %link.name, error = %e, "downlink not translated");
                        UpstreamCounters::add(&link.counters.downlinks_refused);
                        false
                    }
                };
                if !ordered && version == MqttVersion::V3 {
                    // Not transmitted: the server hears so at once.
                    let ack = loragw_mqtt_v3::tx_ack_for(&downlink, TxResult::UnknownError);
                    if client.publish_tx_ack(&ack).await.is_ok() {
                        UpstreamCounters::add(&link.counters.tx_failures_forwarded);
                    }
                }
            }
            () = crate::gateway_forwarder::stopped(&mut stop) => return,
        }
    }
}

async fn publish_uplink(client: &GatewayMqttClient, link: &UpstreamLink, up: &BridgedUplink) {
    match client.publish_uplink(&up.message).await {
        Ok(()) => UpstreamCounters::add(&link.counters.uplinks_forwarded),
        Err(e) => {
            tracing::warn!(upstream = %link.name, error = %e, "uplink not published");
            UpstreamCounters::add(&link.counters.uplinks_failed);
        }
    }
}
