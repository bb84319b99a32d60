//! The Tabs Hubs listener (The Things Stack's ports: 1888, TLS 8888): the Basics Station
//! websocket transport ([`super::lbs`]: the same endpoints `/router-info` and
//! `/traffic/eui-<16 hex>`, upgrade-time registry lookup and authentication, pings, connection
//! caps, stats, panic isolation) driving a [`TabsFrontend`] instead of the LNS frontend.
//!
//! Downlinks are `dnframe`s at an absolute concentrator time, timed from the hub's latest
//! uplink: before a hub sent one, `send_downlink` fails with the reason ("no clock sync yet").
//! Every `dnframe` sent ends in one `TxAck` (the hub's `dntxed`, or `Expired`, `Replaced`,
//! `Disconnected`).

use std::net::SocketAddr;

use super::accept::TlsOption;
use super::lbs::{LbsSettings, start_with};
use super::listener::{ListenerContext, Started};
use crate::frontend::lbs::LbsConfig;
use crate::frontend::tabs::{TabsFrontend, TabsFrontendConfig};

/// Settings of a Tabs Hubs listener.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TabsSettings {
    /// The frontend's settings (unauthenticated hubs, session timers, `clksrc`, downlinks in
    /// flight).
    pub frontend: TabsFrontendConfig,
    /// The websocket transport's settings: ping interval, missed pongs, discovery base,
    /// [`TcpLimits`](super::TcpLimits). Its `frontend` is not used (the hub frontend's
    /// settings are [`TabsSettings::frontend`]).
    pub websocket: LbsSettings,
}

impl TabsSettings {
    /// Settings with this frontend configuration and the default transport settings.
    pub fn new(frontend: TabsFrontendConfig) -> Self {
        TabsSettings {
            frontend,
            websocket: LbsSettings::default(),
        }
    }

    /// The same settings with other websocket transport settings.
    pub fn with_websocket(mut self, websocket: LbsSettings) -> Self {
        self.websocket = websocket;
        self
    }
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: TabsSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let frontend = TabsFrontend::new(settings.frontend.clone(), ctx.registry.clone());
    let websocket = LbsSettings {
        frontend: LbsConfig {
            allow_unauthenticated: settings.frontend.allow_unauthenticated,
            ..LbsConfig::default()
        },
        ..settings.websocket
    };
    start_with(addr, websocket, tls, ctx, frontend).await
}
