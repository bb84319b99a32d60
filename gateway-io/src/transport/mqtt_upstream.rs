//! Publishing gateway events to an upstream MQTT broker and taking downlinks from it, so several
//! servers (or other applications) share one broker (feature `mqtt-client`).
//!
//! # Topics
//!
//! The layout users of ChirpStack's Gateway Bridge know, under a configurable prefix (`gs`
//! below); `{gateway_id}` is the gateway's unique id (`gateway-id@tenant-id` for a tenant's
//! gateway). Payloads are ttnpb messages, binary protobuf ([`PayloadEncoding::Protobuf`], the
//! default) or proto3 JSON ([`PayloadEncoding::Json`], feature `serde`):
//!
//! | topic | direction | payload |
//! |---|---|---|
//! | `gs/gateway/{gateway_id}/event/up` | server → broker | `ttn.lorawan.v3.UplinkMessage` |
//! | `gs/gateway/{gateway_id}/event/status` | server → broker | `ttn.lorawan.v3.GatewayStatus` |
//! | `gs/gateway/{gateway_id}/event/ack` | server → broker | `ttn.lorawan.v3.TxAcknowledgment` |
//! | `gs/gateway/{gateway_id}/state/conn` | server → broker, retained | JSON [`GatewayState`]: `{"gateway_id", "state": "ONLINE" \| "OFFLINE", "instance", "protocol"}` |
//! | `gs/instance/{instance}/state/conn` | server → broker, retained; also the last will | JSON `{"instance", "state": "ONLINE" \| "OFFLINE"}`; the will adds `"reason": "connection lost"` |
//! | `gs/gateway/{gateway_id}/command/down` | broker → server | `ttn.lorawan.v3.DownlinkMessage` |
//!
//! # Scale-out
//!
//! An instance subscribes to a gateway's `command/down` topic only while that gateway is
//! connected to it (from its `Connected` to its `Disconnected` event), so N instances behind a
//! load balancer share one broker and a downlink published there reaches the one instance that
//! holds the gateway. When an instance dies, the broker publishes its last will: its
//! `instance/.../state/conn` becomes `OFFLINE`, and every gateway whose retained
//! `state/conn` names that instance went offline with it. Subscriptions and the ONLINE states
//! are made again on every reconnection to the broker; QoS 1 publishes not acknowledged when a
//! connection broke are sent again ([`MqttLink`]); while the broker is away, publishes wait in
//! a bounded queue, and those that find it full are dropped and counted
//! ([`LinkStatus::dropped_outgoing`](super::mqtt_client::LinkStatus::dropped_outgoing)).
//!
//! # What the broker's ACL must enforce
//!
//! [`UpstreamBroker::next_command`] takes a downlink for any gateway from anyone who can publish
//! to `{prefix}/gateway/+/command/down`: the broker must let only the network server (the
//! application that decides downlinks) publish there, and only the gateway servers publish to
//! `{prefix}/gateway/+/event/#`, `{prefix}/gateway/+/state/#` and `{prefix}/instance/#`.
//! Consumers need read access only. Use TLS (`mqtts://`) and per-client credentials.

use loragw_ttnpb::DownlinkMessage;
use loragw_ttnpb::prost::Message;

use crate::event::{GatewayCommand, GatewayEvent};
use crate::ids::GatewayIds;
use crate::transport::mqtt_client::{ClientError, MqttClientConfig, MqttLink};

/// How ttnpb messages are written on the upstream topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PayloadEncoding {
    /// Binary protobuf.
    #[default]
    Protobuf,
    /// ttnpb's proto3 JSON (original field names; feature `serde`).
    #[cfg(feature = "serde")]
    Json,
}

impl PayloadEncoding {
    /// `message` in this encoding; `protobuf` writes the binary form (`encode_exact`, or a
    /// hand-written encoder of the same bytes).
    fn encode<M: SerializeIfJson>(self, message: &M, protobuf: fn(&M) -> Vec<u8>) -> Vec<u8> {
        match self {
            PayloadEncoding::Protobuf => protobuf(message),
            #[cfg(feature = "serde")]
            PayloadEncoding::Json => serde_json_bytes(message),
        }
    }

    fn decode_downlink(self, payload: &[u8]) -> Option<DownlinkMessage> {
        match self {
            PayloadEncoding::Protobuf => DownlinkMessage::decode(payload).ok(),
            #[cfg(feature = "serde")]
            PayloadEncoding::Json => serde_json::from_slice(payload).ok(),
        }
    }
}

/// `serde::Serialize` when JSON is compiled in; nothing otherwise.
#[cfg(feature = "serde")]
trait SerializeIfJson: serde::Serialize {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize> SerializeIfJson for T {}
#[cfg(not(feature = "serde"))]
trait SerializeIfJson {}
#[cfg(not(feature = "serde"))]
impl<T> SerializeIfJson for T {}

#[cfg(feature = "serde")]
fn serde_json_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
    // ttnpb messages always serialize (pbjson); an empty payload marks the impossible case.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The retained connection state of a gateway (`.../state/conn`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayState {
    /// The gateway's unique id.
    pub gateway_id: String,
    /// Connected to `instance`.
    pub online: bool,
    /// The instance (the upstream client id) it is or was connected to.
    pub instance: String,
    /// Its protocol (`udp`, `lbs`, `mqtt-v3`, `mqtt-v2`).
    pub protocol: String,
}

impl GatewayState {
    /// The JSON payload.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"gateway_id":{},"state":"{}","instance":{},"protocol":{}}}"#,
            json_string(&self.gateway_id),
            if self.online { "ONLINE" } else { "OFFLINE" },
            json_string(&self.instance),
            json_string(&self.protocol),
        )
    }
}

/// A JSON string literal (ids and protocol names are plain ASCII; quotes and backslashes are
/// escaped all the same).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An upstream broker connection; see the [module docs](self).
#[derive(Debug)]
pub struct UpstreamBroker {
    link: MqttLink,
    prefix: String,
    instance: String,
    encoding: PayloadEncoding,
}

impl UpstreamBroker {
    /// Connects (reconnecting by itself) as instance `config.client_id`, with the last will
    /// that marks the instance offline, and publishes the instance's retained ONLINE state on
    /// every connection.
    pub fn connect(config: MqttClientConfig, prefix: impl Into<String>) -> Self {
        Self::connect_with(config, prefix, PayloadEncoding::default())
    }

    /// [`connect`](Self::connect) with a payload encoding.
    pub fn connect_with(
        config: MqttClientConfig,
        prefix: impl Into<String>,
        encoding: PayloadEncoding,
    ) -> Self {
        let prefix = prefix.into();
        let instance = config.client_id.clone();
        let topic = instance_topic(&prefix, &instance);
        let will = instance_will(&instance).into_bytes();
        let link = MqttLink::connect(config.last_will(topic.clone(), will, true), Vec::new());
        // Queued before anything else; made again on every reconnection.
        let _ = link.publish_state(&topic, instance_state(&instance, true).into_bytes(), true);
        UpstreamBroker {
            link,
            prefix,
            instance,
            encoding,
        }
    }

    /// The underlying link (status, waiting for readiness).
    pub fn link(&self) -> &MqttLink {
        &self.link
    }

    /// The instance name (the client id).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The topic of a gateway's `kind` (`event/up`, `state/conn`, `command/down`, ...).
    pub fn gateway_topic(&self, gateway_id: &str, kind: &str) -> String {
        format!("{}/gateway/{gateway_id}/{kind}", self.prefix)
    }

    /// Publishes an event without waiting (see [`MqttLink::try_publish`]): traffic on
    /// `event/…`, connection changes on the retained `state/conn`, which also start and stop
    /// the subscription to the gateway's `command/down`. [`ClientError::Full`] when the
    /// outgoing queue is full (the message is dropped and counted).
    pub fn publish_event(&self, event: &GatewayEvent) -> Result<(), ClientError> {
        let id = &event.gateway().gateway_id;
        let (kind, payload) = match event {
            GatewayEvent::Uplink { message, .. } => (
                "event/up",
                self.encoding.encode(message, loragw_ttnpb::encode_uplink),
            ),
            GatewayEvent::Status { status, .. } => (
                "event/status",
                self.encoding.encode(status, loragw_ttnpb::encode_exact),
            ),
            GatewayEvent::TxAck { ack, .. } => (
                "event/ack",
                self.encoding.encode(ack, loragw_ttnpb::encode_exact),
            ),
            GatewayEvent::Connected { protocol, .. }
            | GatewayEvent::Disconnected { protocol, .. } => {
                let online = matches!(event, GatewayEvent::Connected { .. });
                let command = self.gateway_topic(id, "command/down");
                if online {
                    self.link.subscribe(&command);
                } else {
                    self.link.unsubscribe(&command);
                }
                let state = GatewayState {
                    gateway_id: id.clone(),
                    online,
                    instance: self.instance.clone(),
                    protocol: protocol.name().to_owned(),
                };
                return self.link.publish_state(
                    &self.gateway_topic(id, "state/conn"),
                    state.to_json().into_bytes(),
                    online,
                );
            }
            // Events added to the model later are not published until mapped here.
            #[allow(unreachable_patterns)]
            _ => return Ok(()),
        };
        self.link
            .try_publish(self.gateway_topic(id, kind), payload, false)
    }

    /// The next downlink command taken from `{prefix}/gateway/{gateway_id}/command/down`;
    /// payloads that do not decode are skipped. `None` once the link is closed.
    pub async fn next_command(&mut self) -> Option<GatewayCommand> {
        loop {
            let (topic, payload) = self.link.next_publish().await?;
            let Some(gateway_id) = topic
                .strip_prefix(self.prefix.as_str())
                .and_then(|rest| rest.strip_prefix("/gateway/"))
                .and_then(|rest| rest.strip_suffix("/command/down"))
            else {
                continue;
            };
            let Some(message) = self.encoding.decode_downlink(&payload) else {
                tracing::debug!(%topic, "upstream downlink does not decode");
                continue;
            };
            return Some(GatewayCommand::Downlink {
                gateway: GatewayIds::new(gateway_id, None),
                message,
            });
        }
    }

    /// Stops cleanly: the instance's retained state becomes OFFLINE, what is queued is sent,
    /// and the link disconnects (so the broker does not publish the last will), within
    /// `timeout`.
    pub async fn close(&self, timeout: std::time::Duration) {
        let topic = instance_topic(&self.prefix, &self.instance);
        let _ = self.link.publish_state(
            &topic,
            instance_state(&self.instance, false).into_bytes(),
            false,
        );
        self.link.disconnect(timeout).await;
    }
}

fn instance_topic(prefix: &str, instance: &str) -> String {
    format!("{prefix}/instance/{instance}/state/conn")
}

/// The last will: OFFLINE, with the reason that tells it from a clean stop.
fn instance_will(instance: &str) -> String {
    format!(
        r#"{{"instance":{},"state":"OFFLINE","reason":"connection lost"}}"#,
        json_string(instance)
    )
}

fn instance_state(instance: &str, online: bool) -> String {
    format!(
        r#"{{"instance":{},"state":"{}"}}"#,
        json_string(instance),
        if online { "ONLINE" } else { "OFFLINE" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_json() {
        let state = GatewayState {
            gateway_id: "gw@t-one".into(),
            online: true,
            instance: "gs-\"a\"".into(),
            protocol: "udp".into(),
        };
        assert_eq!(
            state.to_json(),
            r#"{"gateway_id":"gw@t-one","state":"ONLINE","instance":"gs-\"a\"","protocol":"udp"}"#
        );
        assert_eq!(
            instance_state("gs-a", false),
            r#"{"instance":"gs-a","state":"OFFLINE"}"#
        );
        assert_eq!(
            instance_will("gs-a"),
            r#"{"instance":"gs-a","state":"OFFLINE","reason":"connection lost"}"#
        );
    }
}
