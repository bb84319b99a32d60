//! Settings of an MQTT gateway listener (re-exported by [`mqtt_server`](super::mqtt_server)).

use std::time::Duration;

use super::accept::TcpLimits;
use crate::frontend::mqtt::{MqttConfig, MqttVersion, RateLimit};

/// Default [`MqttSettings::max_packet_size`]: 64 KiB of payload (the payload codecs' bound)
/// plus 1 KiB for the topic and the variable header.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 65 * 1024;

/// Settings of one MQTT listener.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MqttSettings {
    /// The frontend's settings: the protocol version (v3 or v2), downlinks in flight, the
    /// keep-alive bound for keep-alive 0 ([`MqttConfig::max_idle`]) and the publish rate limit
    /// ([`MqttConfig::publish_rate_limit`]).
    pub frontend: MqttConfig,
    /// Largest MQTT packet accepted, as the packet's "remaining length" (everything after the
    /// fixed header); a larger one closes the connection before it is read. Also bounds each
    /// connection's read buffer. Default [`DEFAULT_MAX_PACKET_SIZE`].
    pub max_packet_size: usize,
    /// Connection caps, the handshake deadline (TLS + CONNECT, 10 s), the write timeout and
    /// the sessions cap ([`TcpLimits::default`]). Downlinks queued per connection are bounded
    /// by the frontend's downlinks in flight ([`MqttConfig::tokens_capacity`]).
    pub limits: TcpLimits,
}

impl MqttSettings {
    /// Defaults for `version`.
    pub fn new(version: MqttVersion) -> Self {
        MqttSettings {
            frontend: MqttConfig::new(version),
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            limits: TcpLimits::default(),
        }
    }

    /// Sets the publish rate limit ([`MqttConfig::publish_rate_limit`]).
    pub fn with_publish_rate_limit(mut self, limit: RateLimit) -> Self {
        self.frontend.publish_rate_limit = Some(limit);
        self
    }

    /// Sets the longest silence of a gateway with keep-alive 0 ([`MqttConfig::max_idle`]).
    pub fn with_max_idle(mut self, max_idle: Duration) -> Self {
        self.frontend.max_idle = max_idle;
        self
    }

    /// Sets the handshake deadline (TLS + CONNECT, [`TcpLimits::handshake_timeout`]).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.limits.handshake_timeout = timeout;
        self
    }

    /// Sets the connection bounds.
    pub fn with_limits(mut self, limits: TcpLimits) -> Self {
        self.limits = limits;
        self
    }
}
