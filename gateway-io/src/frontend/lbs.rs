//! The Basics Station frontend: one [`LnsSession`] per station websocket, seen through the one
//! model.
//!
//! The transport (a websocket server) answers discovery (`GET /router-info`) with
//! [`LbsFrontend::handle_discovery`], and for each traffic connection (`GET /traffic/eui-…`)
//! calls [`handle_connect`](LbsFrontend::handle_connect) with the EUI of the path and the
//! `Authorization` header, [`handle_message`](LbsFrontend::handle_message) for each text frame
//! and [`handle_close`](LbsFrontend::handle_close) when it ends. It writes what
//! [`poll_output`](LbsFrontend::poll_output) returns.
//!
//! On connect the gateway's frequency plans become the `router_config` the station gets after
//! `version`. Uplinks are translated with the plan's region table; downlinks use the xtime of
//! the station's latest uplink for timestamp-scheduled and class A transmissions, and need none
//! for class B and C. Every downlink accepted ends in exactly one `TxAck` with its correlation
//! ids: the station's `dntxed`, or a failure ([`TxFailure`]): `Expired` when no `dntxed` came
//! within the session's timeout, `Replaced` / `Disconnected` when the connection ended first.
//! A late `dntxed` of a downlink that already ended is dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use loragw_basicstation::channel_plan::RouterConfigOptions;
use loragw_basicstation::discovery;
use loragw_basicstation::lns::{LnsConfig, LnsEvent, LnsSession};
use loragw_basicstation::region::Region;
use loragw_basicstation::router_config::RouterConfig;
use loragw_ttnpb::DownlinkMessage;

pub use super::ws_table::LbsOutput;
use super::ws_table::{WsGateway, WsTable, queue_transmits, take_downlink};
use super::{ConnectionId, Frontend, Now};
use crate::adapter::lbs::{
    DownlinkContext, downlink_to_request, radio_to_uplink, region_of, router_config,
    tx_confirmed_to_ack, tx_timeout_to_ack, version_to_status,
};
use crate::error::{CommandError, TranslateError};
use crate::event::{DisconnectReason, GatewayCommand, GatewayEvent, Protocol, TxFailure};
use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds};
use crate::registry::{
    AuthError, Authenticator, Credential, GatewayRecord, GatewayRegistry, authorize_station,
    certificate_names,
};
use crate::reply::resolve_command;

/// Settings of an [`LbsFrontend`].
#[derive(Debug, Clone, PartialEq)]
pub struct LbsConfig {
    /// Accept stations without an `Authorization` header (unless their registry entry requires
    /// authentication). Off by default, as in The Things Stack.
    pub allow_unauthenticated: bool,
    /// Session settings for each station; `router_config` is replaced by the one built from the
    /// gateway's frequency plans.
    pub session: LnsConfig,
    /// How the `router_config` is built (region name spelling, `upchannels`, ...).
    pub router_config: RouterConfigOptions,
    /// Downlinks in flight per station (sent, waiting for `dntxed` or its timeout); a
    /// downlink past this is refused (`CommandError::Rejected`). Default 64.
    pub remembered_downlinks: usize,
}

impl Default for LbsConfig {
    fn default() -> Self {
        LbsConfig {
            allow_unauthenticated: false,
            session: LnsConfig::default(),
            router_config: RouterConfigOptions::default(),
            remembered_downlinks: 64,
        }
    }
}

/// Why a station connection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LbsError {
    /// Unknown gateway or bad credential (HTTP 401/403 before the upgrade).
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    /// The gateway's frequency plans cannot become a `router_config`.
    #[error("gateway `{gateway}`: {source}")]
    Configuration {
        /// The gateway id.
        gateway: String,
        /// Why.
        source: TranslateError,
    },
    /// No station on this connection.
    #[error("connection {0:?} has no station")]
    UnknownConnection(ConnectionId),
}

impl LbsError {
    /// The gateway's frequency plans cannot become a `router_config`.
    pub(crate) fn configuration(record: &GatewayRecord, source: TranslateError) -> Self {
        LbsError::Configuration {
            gateway: record.ids.gateway_id.clone(),
            source,
        }
    }
}

/// The station EUI of a traffic path, `/traffic/eui-<16 hex digits>` (the form discovery
/// hands out, either case); `None` for anything else (answer HTTP 404 before the upgrade).
pub fn parse_traffic_path(path: &str) -> Option<Eui64> {
    let hex = path.strip_prefix("/traffic/eui-")?.trim_end_matches('/');
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex.parse().ok()
}

#[derive(Debug)]
struct Station {
    ids: GatewayIds,
    region: Region,
    /// The first frequency plan (the one `region` comes from), for resolving `TxRequest`s.
    plan: Arc<FrequencyPlan>,
    session: LnsSession,
    last_xtime: Option<i64>,
    downlinks: VecDeque<(i64, DownlinkMessage)>,
}

impl WsGateway for Station {
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

/// The answer to a discovery request (`/router-info` text frame): the traffic URI of a
/// registered station is `<traffic_base>/traffic/eui-<16 upper-case hex>` (`traffic_base` such
/// as `wss://lns.example.com:8887`); unknown stations get an error reply. Touches only the
/// registry, so a transport may run it off its driver.
pub fn discovery_answer<R: GatewayRegistry + ?Sized>(
    registry: &R,
    text: &str,
    traffic_base: &str,
) -> String {
    discovery_answer_for(registry, text, traffic_base, None)
}

/// [`discovery_answer`] for a station whose verified TLS client certificate names
/// `certificate` (if any): a request for another router than that EUI gets an error reply, so a
/// certificate for one gateway does not even discover another.
pub fn discovery_answer_for<R: GatewayRegistry + ?Sized>(
    registry: &R,
    text: &str,
    traffic_base: &str,
    certificate: Option<Eui64>,
) -> String {
    discovery::handle_request(text, |eui| {
        let eui = Eui64::from_u64(eui.0);
        if !certificate_names(Credential::presented(None, certificate), Some(eui)) {
            return Err(format!(
                "the client certificate does not name gateway {eui}"
            ));
        }
        match registry.gateway_by_eui(eui) {
            Some(_) => Ok(format!(
                "{}/traffic/eui-{eui}",
                traffic_base.trim_end_matches('/')
            )),
            None => Err(format!("gateway {eui} is not registered")),
        }
    })
}

/// The frequency plans of a gateway, from the registry, in the record's order (the first one
/// gives the region); a transport may look them up off its driver and connect the station with
/// [`LbsFrontend::connect_with_plans`].
pub fn frequency_plans<R: GatewayRegistry + ?Sized>(
    registry: &R,
    record: &GatewayRecord,
) -> Result<Vec<FrequencyPlan>, TranslateError> {
    record
        .frequency_plan_ids
        .iter()
        .map(|id| {
            registry.frequency_plan(id).ok_or_else(|| {
                TranslateError::invalid("frequency_plan_ids", format!("unknown plan `{id}`"))
            })
        })
        .collect()
}

/// `value`, shared with the holders of an equal one in `pool`; values nobody else holds any
/// more are forgotten.
fn shared<T: PartialEq + Clone>(pool: &mut Vec<Arc<T>>, value: &T) -> Arc<T> {
    pool.retain(|p| Arc::strong_count(p) > 1);
    if let Some(shared) = pool.iter().find(|p| ***p == *value) {
        return shared.clone();
    }
    let shared = Arc::new(value.clone());
    pool.push(shared.clone());
    shared
}

/// Basics Station connections on one listener. See the [module docs](self).
///
/// Drain order after every input: [`poll_output`](Self::poll_output), then
/// [`poll_event`](Frontend::poll_event), each until `None`, and again while handling an event
/// queued more (a downlink command queues its `dnmsg`); then
/// [`poll_timeout`](Frontend::poll_timeout), which is due at once while anything is queued.
#[derive(Debug)]
pub struct LbsFrontend<R: ?Sized> {
    config: LbsConfig,
    registry: Arc<R>,
    table: WsTable<Station>,
    /// The distinct plans the stations run, shared instead of copied per station.
    plans: Vec<Arc<FrequencyPlan>>,
    /// The distinct `router_config`s the stations get (one per set of plans, antenna gain
    /// and options), shared likewise.
    router_configs: Vec<Arc<RouterConfig>>,
}

impl<R: GatewayRegistry + Authenticator + ?Sized> LbsFrontend<R> {
    /// A frontend that looks stations up and checks keys in `registry`.
    pub fn new(config: LbsConfig, registry: Arc<R>) -> Self {
        LbsFrontend {
            config,
            registry,
            table: WsTable::new(Protocol::BasicStation),
            plans: Vec::new(),
            router_configs: Vec::new(),
        }
    }

    /// Station messages that did not parse (each dropped, the session kept), since the
    /// frontend started.
    pub fn decode_errors(&self) -> u64 {
        self.table.decode_errors
    }

    /// Answers a discovery request (`/router-info` text frame) with [`discovery_answer`].
    pub fn handle_discovery(&self, text: &str, traffic_base: &str) -> String {
        discovery_answer(&*self.registry, text, traffic_base)
    }

    fn build_session(
        &mut self,
        record: &GatewayRecord,
        plans: &[FrequencyPlan],
    ) -> Result<(Region, LnsSession), TranslateError> {
        let first = plans
            .first()
            .ok_or(TranslateError::Missing("frequency_plan_ids"))?;
        let region = region_of(first)?;
        let gain = (record.antenna_gain != 0.0).then_some(f64::from(record.antenna_gain));
        let config = router_config(plans, gain, &self.config.router_config)?;
        let session = LnsSession::new(LnsConfig {
            router_config: Some(shared(&mut self.router_configs, &config)),
            ..self.config.session.clone()
        });
        Ok((region, session))
    }

    /// A station opened `/traffic/eui-<eui>` with this `Authorization` header (if any):
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

    /// A station opened `/traffic/eui-<eui>` presenting `credential` (for a transport of the
    /// embedder's own that verified a TLS client certificate: [`Credential::presented`]):
    /// looks it up, checks the credential, looks its frequency plans up and connects it. No
    /// state is created for a station that is refused.
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
        self.connect_authenticated(now, connection, &record, remote)
    }

    /// A station the caller already looked up and authenticated (for a transport that checks
    /// keys off its driver task): its frequency plans are looked up, then
    /// [`connect_with_plans`](Self::connect_with_plans).
    pub fn connect_authenticated(
        &mut self,
        now: Now,
        connection: ConnectionId,
        record: &GatewayRecord,
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError> {
        let plans = frequency_plans(&*self.registry, record)
            .map_err(|source| LbsError::configuration(record, source))?;
        self.connect_with_plans(now, connection, record, &plans, remote)
    }

    /// A station already authenticated, with its frequency plans already looked up (see
    /// [`frequency_plans`]; this touches no registry). A connection of the same station that is
    /// still open is replaced (closed, `Disconnected { Replaced }`, its downlinks in flight
    /// failed).
    pub fn connect_with_plans(
        &mut self,
        now: Now,
        connection: ConnectionId,
        record: &GatewayRecord,
        plans: &[FrequencyPlan],
        remote: Option<SocketAddr>,
    ) -> Result<GatewayIds, LbsError> {
        self.table.record_input(now);
        let (region, session) = self
            .build_session(record, plans)
            .map_err(|source| LbsError::configuration(record, source))?;
        // `build_session` succeeded: there is a first plan.
        let plan = shared(&mut self.plans, &plans[0]);
        let station = Station {
            ids: record.ids.clone(),
            region,
            plan,
            session,
            last_xtime: None,
            downlinks: VecDeque::new(),
        };
        Ok(self.table.insert(now, connection, station, remote))
    }

    /// The gateway connected on another listener: closes its connection here, if any
    /// (`Disconnected { Replaced }`, downlinks in flight failed as replaced).
    pub fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        self.table.replaced(now, gateway_id);
    }

    /// A text frame from the station.
    pub fn handle_message(
        &mut self,
        now: Now,
        connection: ConnectionId,
        text: &str,
    ) -> Result<(), LbsError> {
        self.table.record_input(now);
        let station = self
            .table
            .connections
            .get_mut(&connection)
            .ok_or(LbsError::UnknownConnection(connection))?;
        station
            .session
            .handle_message(now.instant, now.unix_seconds(), text);
        self.drain(now, connection);
        Ok(())
    }

    /// The websocket closed: the station is reported `Disconnected` and each downlink still in
    /// flight ends in a failed `TxAck`.
    pub fn handle_close(&mut self, now: Now, connection: ConnectionId, reason: DisconnectReason) {
        self.table.close(now, connection, reason);
    }

    /// Downlinks in flight (sent, not yet acknowledged or expired), over all stations.
    pub fn downlinks_in_flight(&self) -> usize {
        self.table.downlinks_in_flight()
    }

    /// The next thing for the transport to do.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<LbsOutput> {
        self.table.outputs.pop_front()
    }

    /// Number of connected stations.
    pub fn connected(&self) -> usize {
        self.table.connections.len()
    }

    /// Whether the gateway has a station connected here.
    pub fn is_connected(&self, gateway_id: &str) -> bool {
        self.table.is_connected(gateway_id)
    }

    /// Moves a session's output into the frontend's queues, translating its events.
    fn drain(&mut self, now: Now, connection: ConnectionId) {
        let table = &mut self.table;
        let Some(station) = table.connections.get_mut(&connection) else {
            return;
        };
        queue_transmits(&mut table.outputs, connection, |text| {
            station.session.poll_transmit(text)
        });
        let gateway = station.ids.clone();
        let protocol = Protocol::BasicStation;
        while let Some(event) = station.session.poll_event() {
            let out = match event {
                LnsEvent::Connected(version) => Some(GatewayEvent::Status {
                    gateway: gateway.clone(),
                    protocol,
                    status: version_to_status(&version),
                }),
                LnsEvent::Uplink(up) => {
                    station.last_xtime = Some(up.radio.upinfo.xtime);
                    match radio_to_uplink(
                        &gateway,
                        &up.phy_payload,
                        &up.radio,
                        station.region,
                        Some(now.wall),
                    ) {
                        Ok(message) => Some(GatewayEvent::Uplink {
                            gateway: gateway.clone(),
                            protocol,
                            message,
                        }),
                        Err(e) => {
                            tracing::debug!(gateway = %gateway, error = %e, "Basics Station uplink dropped");
                            None
                        }
                    }
                }
                LnsEvent::TxConfirmed { diid, dntxed } => {
                    if dntxed.xtime != 0 {
                        station.last_xtime = Some(dntxed.xtime);
                    }
                    let down = take_downlink(&mut station.downlinks, diid);
                    Some(GatewayEvent::TxAck {
                        gateway: gateway.clone(),
                        protocol,
                        ack: tx_confirmed_to_ack(down.as_ref()),
                        failure: None,
                    })
                }
                // A `dntxed` for a downlink that already ended (expired, or sent by an earlier
                // session): its one `TxAck` was reported.
                LnsEvent::TxUnmatched(d) => {
                    tracing::debug!(gateway = %gateway, diid = d.diid, "late dntxed dropped");
                    None
                }
                LnsEvent::TxTimeout { diid, .. } => {
                    let down = take_downlink(&mut station.downlinks, diid);
                    Some(GatewayEvent::TxAck {
                        gateway: gateway.clone(),
                        protocol,
                        ack: tx_timeout_to_ack(down.as_ref()),
                        failure: Some(TxFailure::Expired),
                    })
                }
                LnsEvent::InvalidMessage(e) => {
                    table.decode_errors += 1;
                    tracing::debug!(gateway = %gateway, error = %e, "Basics Station message dropped");
                    None
                }
                other => {
                    tracing::trace!(gateway = %gateway, event = ?other, "Basics Station session event");
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

impl<R: GatewayRegistry + Authenticator + ?Sized + 'static> Frontend for LbsFrontend<R> {
    fn protocol(&self) -> Protocol {
        Protocol::BasicStation
    }

    fn handle_command(&mut self, now: Now, command: GatewayCommand) -> Result<(), CommandError> {
        self.table.record_input(now);
        let gateway_id = command.gateway().gateway_id.clone();
        let connection = self.table.connection_of(&gateway_id)?;
        match command {
            GatewayCommand::Downlink { gateway, message } => {
                let remember = self.config.remembered_downlinks.max(1);
                let station = self
                    .table
                    .connections
                    .get_mut(&connection)
                    .ok_or_else(|| CommandError::NotConnected(gateway_id.clone()))?;
                let message = resolve_command(
                    &*self.registry,
                    &gateway,
                    Some(&*station.plan),
                    message,
                    now.wall,
                )?;
                if station.downlinks.len() >= remember {
                    return Err(CommandError::Rejected {
                        gateway: gateway_id,
                        reason: format!("{remember} downlinks already in flight"),
                    });
                }
                let ctx = DownlinkContext {
                    region: station.region,
                    reference_xtime: station.last_xtime,
                };
                let request = downlink_to_request(&message, &ctx).map_err(|source| {
                    CommandError::Translate {
                        gateway: gateway_id.clone(),
                        source,
                    }
                })?;
                let diid = station
                    .session
                    .send_downlink(now.instant, now.unix_seconds(), request)
                    .map_err(|e| CommandError::Rejected {
                        gateway: gateway_id.clone(),
                        reason: e.to_string(),
                    })?;
                station.downlinks.push_back((diid, message));
                self.drain(now, connection);
            }
            GatewayCommand::Disconnect { .. } => self.table.disconnect(now, connection),
        }
        Ok(())
    }

    fn handle_timeout(&mut self, now: Now) {
        for connection in self.table.take_due(now) {
            if let Some(s) = self.table.connections.get_mut(&connection) {
                s.session.handle_timeout(now.instant, now.unix_seconds());
            }
            self.drain(now, connection);
        }
    }

    fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.table.events.pop_front()
    }

    fn handle_replaced(&mut self, now: Now, gateway_id: &str) {
        LbsFrontend::handle_replaced(self, now, gateway_id)
    }

    /// The sessions' earliest timer; or, while an output or an event is queued, the latest
    /// input's time (already due).
    fn poll_timeout(&self) -> Option<Instant> {
        self.table.poll_timeout()
    }
}

#[cfg(test)]
mod tests;
