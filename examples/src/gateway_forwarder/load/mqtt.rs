//! The MQTT v3 load: every gateway is a [`GatewayMqttClient`] of its own (the simulator's
//! [`crate::gateway_forwarder::mqtt`] client: the gateway id as username, the key as
//! password) publishing its simulated data uplink, the FCnt counting up
//! ([`super::events`]), on `v3/{id}/up` at QoS 1, so the broker's
//! PUBACKs pace each connection (rumqttc keeps at most its in-flight window unacknowledged).
//! The client does not surface the PUBACKs, so, as for Basics Station, the server's count
//! ([`super::counted`]) is the measure.

use std::sync::Arc;

use loragw_gateway_io::transport::mqtt_client::{GatewayMqttClient, MqttClientConfig, QoS};
use tokio::sync::mpsc::Sender;

use super::counted::{self, Gate};
use super::events::{EventTracker, mark};
use super::udp::Counts;
use super::{LoadOptions, LoadProgress};
use crate::gateway_forwarder::mqtt::client_for;
use crate::gateway_forwarder::sim::SimUplink;
use crate::gateway_forwarder::{RunError, SimProtocol};

/// How long a gateway waits for its connection, and for its queue to empty at the end.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Runs the load; see the [module docs](self).
pub(super) fn run(
    options: &LoadOptions,
    events: Option<Arc<EventTracker>>,
    progress: &mut dyn FnMut(&LoadProgress),
) -> Result<Counts, RunError> {
    let sim = options.forwarder_options();
    counted::run(
        options,
        "mqtt-v3",
        events,
        |index, ready, gate| {
            let id = sim.gateway_id_of(index);
            let eui = sim.eui_of(index);
            let client = super::data_uplink(&sim, index).and_then(|u| {
                let client = client_for(
                    &options.server,
                    SimProtocol::MqttV3,
                    options.key.as_deref(),
                    &id,
                    |host, port| MqttClientConfig::new(host, port).publish_qos(QoS::AtLeastOnce),
                )?;
                Ok((u, client))
            });
            async move {
                match client {
                    Ok((uplink, client)) => {
                        let me = Me { index, id, eui };
                        gateway(client, uplink, me, ready, gate).await;
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e)).await;
                    }
                }
            }
        },
        progress,
    )
}

/// A gateway of the load.
struct Me {
    index: u32,
    id: String,
    eui: [u8; 8],
}

/// One gateway: waits for its connection, publishes `uplink` (FCnt counting up) while the
/// gate is open, then disconnects after what is queued.
async fn gateway(
    client: GatewayMqttClient,
    uplink: SimUplink,
    me: Me,
    ready: Sender<Result<(), RunError>>,
    mut gate: Gate,
) {
    let connected = tokio::time::timeout(WAIT, client.link().wait_for(|s| s.is_ready())).await;
    if connected.is_err() {
        let error = client.link().status().last_error.unwrap_or_default();
        let _ = ready
            .send(Err(RunError::Io(format!(
                "gateway {}: not connected within {WAIT:?} (wrong key?): {error}",
                me.id
            ))))
            .await;
        return;
    }
    let _ = ready.send(Ok(())).await;
    if !gate.started().await {
        return;
    }
    let mut stop = gate.sending.clone();
    let mut ticker = gate.ticker(me.index);
    let mut timestamp = 0u32;
    let mut seq = 0u32;
    loop {
        tokio::select! {
            biased;
            () = Gate::stopped(&mut stop) => break,
            () = Gate::tick(&mut ticker) => {
                timestamp = timestamp.wrapping_add(1000);
                let mut message = uplink.to_ttnpb(&me.id, me.eui, timestamp);
                mark(&mut message.raw_payload, seq);
                gate.stamp(me.index, seq);
                if client.publish_uplink(&message).await.is_ok() {
                    seq = seq.wrapping_add(1);
                    gate.sent_one();
                }
            }
        }
    }
    client.link().disconnect(WAIT).await;
}
