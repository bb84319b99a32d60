//! The Tabs Hubs frontend: one [`TabsSession`] per hub websocket, seen through the one model.
//!
//! The endpoints, discovery, registry lookup and authentication are the Basics Station
//! frontend's ([`discovery_answer`], [`parse_traffic_path`], [`frequency_plans`],
//! [`authorize_station`]); a transport drives this frontend exactly like an [`LbsFrontend`]
//! (same [`LbsOutput`] and [`LbsError`]). Events carry
//! [`Protocol::Other`]`("tabs-hubs")` ([`PROTOCOL`]).
//!
//! On connect the gateway's first frequency plan becomes the Tabs `router_config` the hub gets
//! after `version` (which is also reported as a `Status`). Uplinks are translated with the
//! plan's region; each one with an `xtime` syncs the hub's clock. A downlink's `TxRequest` is
//! resolved with the first plan ([`schedule`](crate::reply::schedule)), as on every protocol;
//! downlinks are timed from the latest such uplink; before one, a downlink is refused with a
//! reason (`CommandError`), never dropped. Every downlink accepted ends in exactly one `TxAck`: the hub's `dntxed`, or a
//! failure (`Expired` after the session's `tx_confirm_timeout`, `Replaced` / `Disconnected`).
//!
//! [`LbsFrontend`]: super::lbs::LbsFrontend

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use loragw_basicstation::region::Region;
use loragw_basicstation::tabs::{TabsConfig, TabsEvent, TabsSession};
use loragw_ttnpb::DownlinkMessage;

pub use super::lbs::{LbsError, LbsOutput, discovery_answer, frequency_plans, parse_traffic_path};
use super::ws_table::{WsGateway, WsTable, queue_transmits, take_downlink};
use super::{ConnectionId, Frontend, Now};
use crate::adapter::lbs::region_of;
use crate::adapter::tabs::{
    TabsDownlinkContext, downlink_to_tabs, router_config, tx_confirmed_to_ack, tx_timeout_to_ack,
    uplink_to_message, version_to_status,
};
use crate::error::{CommandError, TranslateError};
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure};
use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds};
use crate::registry::{
    Authenticator, Credential, GatewayRecord, GatewayRegistry, authorize_station,
};
use crate::reply::resolve_command;

/// The protocol of Tabs Hubs events: `Protocol::Other("tabs-hubs")`.
pub const PROTOCOL: Protocol = Protocol::Other("tabs-hubs");

/// Settings of a [`TabsFrontend`].
#[derive(Debug, Clone, PartialEq)]
pub struct TabsFrontendConfig {
    /// Accept hubs without an `Authorization` header (unless their registry entry requires
    /// authentication). Off by default, as in The Things Stack.
    pub allow_unauthenticated: bool,
    /// Session settings; `router_config` is replaced by the one built from the gateway's plan.
    pub session: TabsConfig,
    /// `clksrc` of the `router_config` (the frequency plans do not say; 1 = radio 1).
    pub clksrc: u8,
    /// Downlinks in flight per hub; past this a downlink is refused. Default 64.
    pub remembered_downlinks: usize,
}

impl Default for TabsFrontendConfig {
    fn default() -> Self {
        TabsFrontendConfig {
            allow_unauthenticated: false,
            session: TabsConfig::default(),
            clksrc: 1,
            remembered_downlinks: 64,
        }
    }
}

#[derive(Debug)]
struct Hub {
    ids: GatewayIds,
    region: Region,
    /// The first frequency plan (the one `region` comes from), for resolving `TxRequest`s.
    plan: Arc<FrequencyPlan>,
    session: TabsSession,
    /// xtime of the latest uplink with one, and its receive time (Unix µs).
    reference: Option<(i64, i64)>,
    downlinks: VecDeque<(u16, DownlinkMessage)>,
}

impl WsGateway for Hub {
    fn ids(&self) -> &GatewayIds {
        &self.ids
    }

    fn downlinks_in_flight(&self) -> impl Iterator<Item = &DownlinkMessage> {
        self.downlinks.iter().map(|(_, m)| m)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.session.poll_timeout()
    }
}

fn unix_micros(now: Now) -> i64 {
    now.wall
        .seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(now.wall.nanos) / 1000)
}

/// Tabs hub connections on one listener. See the [module docs](self).
///
/// Drain order after every input: [`poll_output`](Self::poll_output), then
/// [`poll_event`](Frontend::poll_event), each until `None`; then
/// [`poll_timeout`](Frontend::poll_timeout).
#[derive(Debug)]
pub struct TabsFrontend<R: ?Sized> {
    config: TabsFrontendConfig,
    registry: Arc<R>,
    table: WsTable<Hub>,
}

impl<R: GatewayRegistry + Authenticator + ?Sized> TabsFrontend<R> {
    /// A frontend that looks hubs up and checks keys in `registry`.
    pub fn new(config: TabsFrontendConfig, registry: Arc<R>) -> Self {
        TabsFrontend {
            config,
            registry,
            table: WsTable::new(PROTOCOL),
        }
    }

    /// Hub messages that did not parse (each dropped), since the frontend started.
    pub fn decode_errors(&self) -> u64 {
        self.table.decode_errors
    }

    /// Answers a discovery request with [`discovery_answer`].
    pub fn handle_discovery(&self, text: &str, traffic_base: &str) -> String {
        discovery_answer(&*self.registry, text, traffic_base)
    }

    /// A hub opened `/traffic/eui-<eui>` with this `Authorization` header (if any):
    /// [`handle_connect_with`](Self::handle_connect_with) its API key.
    pub fn handle_connect(
        &mut self,
        now: Now,
        connection: ConnectionId,
        eui: Eui64,
        authorization: Option<&str>,
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError> {
        let credential = Credential::from_authorization_header(authorization.unwrap_or(""));
        self.handle_connect_with(now, connection, eui, credential, remote)
    }

    /// A hub opened `/traffic/eui-<eui>` presenting `credential` (for a transport of the
    /// embedder's own that verified a TLS client certificate: [`Credential::presented`]):
    /// looks it up, checks the credential, looks its frequency plans up and connects it. No
    /// state is created for a hub that is refused.
    pub fn handle_connect_with(
        &mut self,
        now: Now,
        connection: ConnectionId,
        eui: Eui64,
        credential: Credential<'_>,
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError> {
        let record = authorize_station(
            &*self.registry,
            eui,
            credential,
            self.config.allow_unauthenticated,
        )?;
        let plans = frequency_plans(&*self.registry, &record)
            .map_err(|source| LbsError::configuration(&record, source))?;
        self.connect_with_plans(now, connection, &record, &plans, remote)
    }

    fn build_session(
        &self,
        record: &GatewayRecord,
        plans: &[FrequencyPlan],
    ) -> Result<(Region, Arc<FrequencyPlan>, TabsSession), TranslateError> {
        let first = plans
            .first()
            .ok_or(TranslateError::Missing("frequency_plan_ids"))?;
        let region = region_of(first)?;
        let gain = (record.antenna_gain != 0.0).then_some(f64::from(record.antenna_gain));
        let config = router_config(plans, gain, self.config.clksrc)?;
        let session = TabsSession::new(TabsConfig {
            router_config: Some(config),
            ..self.config.session.clone()
        });
        Ok((region, Arc::new(first.clone()), session))
    }

    /// A hub already authenticated, with its frequency plans looked up (touches no registry).
    /// A connection of the same gateway still open is replaced.
    pub fn connect_with_plans(
        &mut self,
        now: Now,
        connection: ConnectionId,
        record: &GatewayRecord,
        plans: &[FrequencyPlan],
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError> {
        self.table.record_input(now);
        let (region, plan, session) = self
            .build_session(record, plans)
            .map_err(|source| LbsError::configuration(record, source))?;
        let hub = Hub {
            ids: record.ids.clone(),
            region,
            plan,
            session,
            reference: None,
            downlinks: VecDeque::new(),
        };
        Ok(self.table.insert(now, connection, hub, remote))
    }

    /// The gateway connected on another listener: closes its connection here, if any.
    pub fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        self.table.replaced(now, gateway_id);
    }

    /// A text frame from the hub.
    pub fn handle_message(
        &mut self,
        now: Now,
        connection: ConnectionId,
        text: &str,
    ) -> Result<(), LbsError> {
        self.table.record_input(now);
        let hub = self
            .table
            .connections
            .get_mut(&connection)
            .ok_or(LbsError::UnknownConnection(connection))?;
        hub.session.handle_message(now.unix_seconds(), text);
        self.drain(now, connection);
        Ok(())
    }

    /// The websocket closed: `Disconnected`, and a failed `TxAck` per downlink in flight.
    pub fn handle_close(&mut self, now: Now, connection: ConnectionId, reason: DisconnectReason) {
        self.table.close(now, connection, reason);
    }

    /// The next thing for the transport to do.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<LbsOutput> {
        self.table.outputs.pop_front()
    }

    /// Number of connected hubs.
    pub fn connected(&self) -> usize {
        self.table.connections.len()
    }

    /// Whether the gateway has a hub connected here.
    pub fn is_connected(&self, gateway_id: &str) -> bool {
        self.table.is_connected(gateway_id)
    }

    /// Downlinks in flight over all hubs.
    pub fn downlinks_in_flight(&self) -> usize {
        self.table.downlinks_in_flight()
    }

    fn drain(&mut self, now: Now, connection: ConnectionId) {
        let table = &mut self.table;
        let Some(hub) = table.connections.get_mut(&connection) else {
            return;
        };
        queue_transmits(&mut table.outputs, connection, |text| {
            hub.session.poll_transmit(text)
        });
        let gateway = hub.ids.clone();
        while let Some(event) = hub.session.poll_event() {
            let out = match event {
                TabsEvent::Connected(version) => Some(GatewayEvent::Status {
                    gateway: gateway.clone(),
                    protocol: PROTOCOL,
                    status: version_to_status(&version, Some(now.wall)),
                }),
                TabsEvent::Uplink(up) => {
                    hub.reference = Some((up.radio.upinfo.xtime, unix_micros(now)));
                    match uplink_to_message(&gateway, &up, hub.region, Some(now.wall)) {
                        Ok(message) => Some(GatewayEvent::Uplink {
                            gateway: gateway.clone(),
                            protocol: PROTOCOL,
                            message,
                        }),
                        Err(e) => {
                            tracing::debug!(gateway = %gateway, error = %e, "Tabs Hubs uplink dropped");
                            None
                        }
                    }
                }
                TabsEvent::TxConfirmed { seqno, .. } => Some(GatewayEvent::TxAck {
                    gateway: gateway.clone(),
                    protocol: PROTOCOL,
                    ack: tx_confirmed_to_ack(take_downlink(&mut hub.downlinks, seqno).as_ref()),
                    failure: None,
                }),
                TabsEvent::TxTimeout { seqno } => Some(GatewayEvent::TxAck {
                    gateway: gateway.clone(),
                    protocol: PROTOCOL,
                    ack: tx_timeout_to_ack(take_downlink(&mut hub.downlinks, seqno).as_ref()),
                    failure: Some(TxFailure::Expired),
                }),
                TabsEvent::InvalidMessage(e) => {
                    table.decode_errors += 1;
                    tracing::debug!(gateway = %gateway, error = %e, "Tabs Hubs message dropped");
                    None
                }
                other => {
                    tracing::debug!(gateway = %gateway, event = ?other, "Tabs Hubs session event");
                    None
                }
            };
            if let Some(e) = out {
                table.events.push_back(e);
            }
        }
        table.rearm(connection);
    }
}

impl<R: GatewayRegistry + Authenticator + ?Sized + 'static> Frontend for TabsFrontend<R> {
    fn protocol(&self) -> Protocol {
        PROTOCOL
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        self.table.record_input(now);
        let gateway_id = command.gateway().gateway_id.clone();
        let connection = self.table.connection_of(&gateway_id)?;
        match command {
            GatewayCommand::Downlink { gateway, message } => {
                let remember = self.config.remembered_downlinks.max(1);
                let hub = self
                    .table
                    .connections
                    .get_mut(&connection)
                    .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
                let message = resolve_command(
                    &*self.registry,
                    &gateway,
                    Some(&*hub.plan),
                    message,
                    now.wall,
                )?;
                if hub.downlinks.len() >= remember {
                    return Err(CommandError::Rejected {
                        gateway: gateway_id,
                        reason: format!("{remember} downlinks already in flight"),
                    });
                }
                let ctx = TabsDownlinkContext {
                    region: hub.region,
                    reference: hub.reference,
                    now_unix_us: unix_micros(now),
                };
                let downlink =
                    downlink_to_tabs(&message, &ctx).map_err(|source| CommandError::Translate {
                        gateway: gateway_id.clone(),
                        source,
                    })?;
                let seqno = hub
                    .session
                    .send_downlink(now.instant, now.unix_seconds(), downlink)
                    .map_err(|e| CommandError::Rejected {
                        gateway: gateway_id.clone(),
                        reason: e.to_string(),
                    })?;
                hub.downlinks.push_back((seqno, message));
                self.drain(now, connection);
            }
            GatewayCommand::Disconnect { .. } => self.table.disconnect(now, connection),
        }
        Ok(())
    }

    fn handle_timeout(&mut self, now: Now) {
        for connection in self.table.take_due(now) {
            if let Some(h) = self.table.connections.get_mut(&connection) {
                h.session.handle_timeout(now.instant);
            }
            self.drain(now, connection);
        }
    }

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.table.events.pop_front()
    }

    fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        TabsFrontend::handle_replaced(self, now, gateway_id)
    }

    /// The sessions' earliest timer; or, while an output or an event is queued, the latest
    /// input's time (already due).
    fn poll_timeout(&self) -> Option<Instant> {
        self.table.poll_timeout()
    }
}

#[cfg(test)]
#[path = "tabs_tests.rs"]
mod tests;
