//! Publishing gateway events to an upstream MQTT broker and taking downlinks from it, so
//! several servers (or other applications) can share one broker (feature `mqtt-client`).
//!
//! Topics, under a configurable prefix (`gs` below), with protobuf payloads as on The Things
//! Stack's v3 gateway topics:
//!
//! | topic | payload |
//! |---|---|
//! | `gs/{gateway_id}/up` | `ttn.lorawan.v3.UplinkMessage` |
//! | `gs/{gateway_id}/status` | `ttn.lorawan.v3.GatewayStatus` |
//! | `gs/{gateway_id}/down/ack` | `ttn.lorawan.v3.TxAcknowledgment` |
//! | `gs/{gateway_id}/connected` | the protocol name as text (`mqtt-v3`, `udp/v2`, ...) |
//! | `gs/{gateway_id}/disconnected` | the reason as text |
//! | `gs/{gateway_id}/down` (subscribed) | `ttn.lorawan.v3.GatewayDown`, becomes a [`GatewayCommand::Downlink`] |

use loragw_ttnpb::prost::Message;

use crate::event::{GatewayCommand, GatewayEvent};
use crate::ids::GatewayIds;
use crate::transport::mqtt_client::{ClientError, MqttClientConfig, MqttLink};

/// An upstream broker connection; see the [module docs](self).
#[derive(Debug)]
pub struct UpstreamBroker {
    link: MqttLink,
    prefix: String,
}

impl UpstreamBroker {
    /// Connects (reconnecting by itself) and subscribes to `{prefix}/+/down`.
    pub fn connect(config: MqttClientConfig, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        let link = MqttLink::connect(config, vec![format!("{prefix}/+/down")]);
        UpstreamBroker { link, prefix }
    }

    /// The underlying link (status, waiting for readiness).
    pub fn link(&self) -> &MqttLink {
        &self.link
    }

    /// Publishes an event on its topic.
    pub async fn publish_event(&self, event: &GatewayEvent) -> Result<(), ClientError> {
        let id = &event.gateway().gateway_id;
        let (kind, payload) = match event {
            GatewayEvent::Uplink { message, .. } => ("up", message.encode_to_vec()),
            GatewayEvent::Status { status, .. } => ("status", status.encode_to_vec()),
            GatewayEvent::TxAck { ack, .. } => ("down/ack", ack.encode_to_vec()),
            GatewayEvent::Connected { protocol, .. } => {
                ("connected", protocol.to_string().into_bytes())
            }
            GatewayEvent::Disconnected { reason, .. } => {
                ("disconnected", reason.to_string().into_bytes())
            }
            // Events added to the model later are not published until mapped here.
            #[allow(unreachable_patterns)]
            _ => return Ok(()),
        };
        self.link
            .publish(format!("{}/{id}/{kind}", self.prefix), payload)
            .await
    }

    /// The next downlink command taken from `{prefix}/{gateway_id}/down`; payloads that do not
    /// decode are skipped. `None` once the link is closed.
    pub async fn next_command(&mut self) -> Option<GatewayCommand> {
        loop {
            let (topic, payload) = self.link.next_publish().await?;
            let Some(gateway_id) = topic
                .strip_prefix(self.prefix.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .and_then(|rest| rest.strip_suffix("/down"))
            else {
                continue;
            };
            let Ok(down) = loragw_mqtt_v3::codec::decode_down(&payload) else {
                continue;
            };
            if let Some(message) = down.downlink_message {
                return Some(GatewayCommand::Downlink {
                    gateway: GatewayIds::new(gateway_id, None),
                    message,
                });
            }
        }
    }
}
