//! The settings of a Basics Station (or Tabs Hubs) websocket listener.

use std::time::Duration;

use crate::frontend::lbs::LbsConfig;
use crate::transport::accept::TcpLimits;

/// Settings of a Basics Station listener.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LbsSettings {
    /// The frontend's settings (unauthenticated stations, session timers, router_config).
    pub frontend: LbsConfig,
    /// Interval of server pings (The Things Stack: 30 s).
    pub ping_interval: Duration,
    /// Pongs a station may miss in a row once it has answered one (The Things Stack: 2).
    pub missed_pong_threshold: u32,
    /// The `scheme://host:port` put in discovery answers; by default taken from the request's
    /// `Host` header (`ws` or `wss` after the listener's TLS), else the listener's address.
    pub traffic_base: Option<String>,
    /// Connection caps, the handshake deadline (TLS + upgrade), the write timeout and the
    /// sessions cap ([`TcpLimits::default`]).
    pub limits: TcpLimits,
}

impl Default for LbsSettings {
    fn default() -> Self {
        LbsSettings {
            frontend: LbsConfig::default(),
            ping_interval: Duration::from_secs(30),
            missed_pong_threshold: 2,
            traffic_base: None,
            limits: TcpLimits::default(),
        }
    }
}

impl LbsSettings {
    /// Settings with this frontend configuration.
    pub fn new(frontend: LbsConfig) -> Self {
        LbsSettings {
            frontend,
            ..Default::default()
        }
    }

    /// The same settings with another ping interval.
    pub fn with_ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = interval;
        self
    }

    /// The same settings with another discovery base (`wss://lns.example.com:8887`).
    pub fn with_traffic_base(mut self, base: impl Into<String>) -> Self {
        self.traffic_base = Some(base.into());
        self
    }

    /// The same settings with other connection bounds.
    pub fn with_limits(mut self, limits: TcpLimits) -> Self {
        self.limits = limits;
        self
    }
}
