//! What the websocket listener needs of a frontend, so that one transport (upgrade checks,
//! discovery, pings, caps, stats, panic isolation) serves both the Basics Station LNS protocol
//! and its Tabs Hubs dialect.

use std::net::SocketAddr;

use crate::event::{DisconnectReason, Protocol};
use crate::freqplan::FrequencyPlan;
use crate::frontend::lbs::{LbsError, LbsFrontend, LbsOutput};
use crate::frontend::tabs::TabsFrontend;
use crate::frontend::{ConnectionId, Frontend, Now};
use crate::ids::GatewayIds;
use crate::registry::GatewayRecord;
use crate::transport::listener::{DecodeListener, Registry};

/// A sans-IO websocket frontend the listener drives (see [`super::start_with`]).
pub(crate) trait WsFrontend: Frontend + Send + 'static {
    /// The listener's name in logs and panic reports.
    const NAME: &'static str;
    /// The protocol its gateways' events (and refusals) carry.
    const PROTOCOL: Protocol;
    /// Where its malformed messages are counted.
    const DECODE: DecodeListener;
    fn connected(&self) -> usize;
    /// Messages that did not parse since the frontend started.
    fn decode_errors(&self) -> u64;
    fn is_connected(&self, gateway_id: &str) -> bool;
    fn connect_with_plans(
        &mut self,
        now: Now,
        connection: ConnectionId,
        record: &GatewayRecord,
        plans: &[FrequencyPlan],
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError>;
    fn handle_message(
        &mut self,
        now: Now,
        connection: ConnectionId,
        text: &str,
    ) -> Result<(), LbsError>;
    fn handle_close(&mut self, now: Now, connection: ConnectionId, reason: DisconnectReason);
    fn poll_output(&mut self) -> Option<LbsOutput>;
}

/// Implements [`WsFrontend`] by delegating to the frontend's inherent methods of the same names.
macro_rules! ws_frontend {
    ($frontend:ident, $name:literal, $protocol:expr, $decode:expr) => {
        impl WsFrontend for $frontend<dyn Registry> {
            const NAME: &'static str = $name;
            const PROTOCOL: Protocol = $protocol;
            const DECODE: DecodeListener = $decode;
            fn connected(&self) -> usize {
                $frontend::connected(self)
            }
            fn decode_errors(&self) -> u64 {
                $frontend::decode_errors(self)
            }
            fn is_connected(&self, gateway_id: &str) -> bool {
                $frontend::is_connected(self, gateway_id)
            }
            fn connect_with_plans(
                &mut self,
                now: Now,
                connection: ConnectionId,
                record: &GatewayRecord,
                plans: &[FrequencyPlan],
                remote: Option<SocketAddr>,
            ) -> Result<GatewayIds, LbsError> {
                $frontend::connect_with_plans(self, now, connection, record, plans, remote)
            }
            fn handle_message(
                &mut self,
                now: Now,
                connection: ConnectionId,
                text: &str,
            ) -> Result<(), LbsError> {
                $frontend::handle_message(self, now, connection, text)
            }
            fn handle_close(
                &mut self,
                now: Now,
                connection: ConnectionId,
                reason: DisconnectReason,
            ) {
                $frontend::handle_close(self, now, connection, reason)
            }
            fn poll_output(&mut self) -> Option<LbsOutput> {
                $frontend::poll_output(self)
            }
        }
    };
}

ws_frontend!(
    LbsFrontend,
    "Basics Station",
    Protocol::BasicStation,
    DecodeListener::BasicStation
);
ws_frontend!(
    TabsFrontend,
    "Tabs Hubs",
    crate::frontend::tabs::PROTOCOL,
    DecodeListener::TabsHubs
);
