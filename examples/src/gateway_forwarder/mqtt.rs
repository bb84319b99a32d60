//! A simulated MQTT v3 or v2 gateway: [`GatewayMqttClient`] with the gateway id as username
//! and the API key as password.

use loragw_gateway_io::adapter::udp::stat_to_status;
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::transport::mqtt_client::{GatewayMqttClient, MqttClientConfig};
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_mqtt_v3::GatewayUid;
use tokio::time::MissedTickBehavior;

use super::net::host_port;
use super::report::GatewayCounters;
use super::{GatewaySim, RunError, SimProtocol, stopped};

/// How long to wait for the connection before each warning.
const NOT_READY_WARNING: std::time::Duration = std::time::Duration::from_secs(3);

/// Starts connecting (the client reconnects by itself).
pub(super) fn connect(
    server: &str,
    protocol: SimProtocol,
    key: Option<&str>,
    gw: &GatewaySim,
) -> Result<GatewayMqttClient, RunError> {
    client_for(server, protocol, key, &gw.gateway_id, MqttClientConfig::new)
}

/// Starts connecting as `gateway_id` with `key` as the password, the client configured by
/// `configure` from the server's host and port.
pub(super) fn client_for(
    server: &str,
    protocol: SimProtocol,
    key: Option<&str>,
    gateway_id: &str,
    configure: impl FnOnce(String, u16) -> MqttClientConfig,
) -> Result<GatewayMqttClient, RunError> {
    let (host, port) = host_port(server).map_err(RunError::Options)?;
    let uid = GatewayUid::new(gateway_id.to_owned())
        .map_err(|e| RunError::Options(format!("gateway id {gateway_id:?}: {e}")))?;
    let config = configure(host, port)
        .credentials(gateway_id.to_owned(), key.unwrap_or_default().to_owned());
    let version = match protocol {
        SimProtocol::MqttV2 => MqttVersion::V2,
        _ => MqttVersion::V3,
    };
    Ok(GatewayMqttClient::connect(config, version, uid))
}

/// Runs one gateway until the stop signal: waits for the connection and subscription, then
/// publishes uplinks and status reports and acknowledges downlinks (v3; v2 has no TX
/// acknowledgement).
pub(super) async fn run_gateway(mut gw: GatewaySim, mut client: GatewayMqttClient) {
    let mut stop = gw.stop.clone();
    let v3 = gw.protocol_stats().protocol == SimProtocol::MqttV3.name();
    loop {
        tokio::select! {
            status = client.link().wait_for(|s| s.is_ready()) => {
                tracing::info!(gateway = %gw.gateway_id, ?status, "connected");
                break;
            }
            () = stopped(&mut stop) => return,
            () = tokio::time::sleep(NOT_READY_WARNING) => {
                let status = client.link().status();
                tracing::warn!(
                    gateway = %gw.gateway_id,
                    error = ?status.last_error,
                    "not connected yet (wrong key or gateway id?)"
                );
            }
        }
    }
    let start = gw.first_uplink.max(tokio::time::Instant::now());
    let mut ticks = tokio::time::interval_at(start, gw.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut status_ticks = gw.status_ticks();
    loop {
        let sending = gw.remaining != Some(0);
        tokio::select! {
            _ = ticks.tick(), if sending => {
                let Some(uplink) = gw.next_uplink() else { continue };
                match client.publish_uplink(&uplink).await {
                    Ok(()) => gw.uplink_sent(),
                    Err(e) => tracing::warn!(gateway = %gw.gateway_id, error = %e, "uplink not sent"),
                }
            }
            _ = status_ticks.tick(), if gw.status_interval.is_some() => {
                let status = stat_to_status(&gw.stat(true), None);
                match client.publish_status(&status).await {
                    Ok(()) => GatewayCounters::add(&gw.counters.statuses_sent),
                    Err(e) => tracing::warn!(gateway = %gw.gateway_id, error = %e, "status not sent"),
                }
            }
            downlink = client.next_downlink() => {
                let Some(downlink) = downlink else { break };
                gw.downlink_received();
                tracing::info!(gateway = %gw.gateway_id, "downlink");
                if !v3 {
                    continue;
                }
                let ack = loragw_mqtt_v3::tx_ack_for(&downlink, TxResult::Success);
                match client.publish_tx_ack(&ack).await {
                    Ok(()) => GatewayCounters::add(&gw.counters.tx_acks_sent),
                    Err(e) => tracing::warn!(gateway = %gw.gateway_id, error = %e, "TX ack not sent"),
                }
            }
            () = stopped(&mut stop) => break,
        }
    }
}
