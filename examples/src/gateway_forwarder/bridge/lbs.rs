//! The Basics Station upstream: the bridge acts as a station ([`StationSession`]) on a
//! websocket to the LNS, after discovery (`/router-info`) unless turned off.
//!
//! - Uplinks: `rxpk` → `UplinkMessage` (local side) → `updf`/`jreq`/`propdf` with gateway-io's
//!   [`uplink_to_up_message`], DR indices from the `router_config`'s region. The `xtime` is the
//!   concentrator `tmst` extended past its 32-bit rollover by a [`ConcentratorClock`], in a
//!   session id of the bridge's own (a new one when the concentrator restarts).
//! - Downlinks: each `dnmsg` option (RX1 first) → ttnpb scheduled settings → `txpk` with
//!   gateway-io's [`downlink_to_txpk`]: an `xtime` of the current session gives `tmst`, a GPS
//!   time `tmms`, class C `imme`. A TX_ACK error tries the next option (RX2); success sends
//!   `dntxed`. A downlink no option of which was sent is forgotten (the protocol has no
//!   negative acknowledgement).
//! - `getxtime` is answered from the clock; `timesync` runs every minute.
//! - The connection (`ws://` or `wss://`) is retried with the backoff; uplinks
//!   wait in the buffer meanwhile and until the next `router_config`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::message::{UpInfo, UpMessage};
use loragw_basicstation::region::Region;
use loragw_basicstation::station::{
    StationConfig, StationEvent, StationSession, TxOption, TxRequest, TxStarted, TxTime,
};
use loragw_basicstation::xtime;
use loragw_gateway_io::adapter::lbs::{data_rate_of_index, uplink_to_up_message};
use loragw_gateway_io::adapter::udp::{downlink_to_txpk, txpk_ack_to_tx_ack};
use loragw_gateway_io::clock::{ConcentratorClock, XTime};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::time::gps_micros_to_timestamp;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DownlinkMessage, TxSettings, tx_settings};
use loragw_semtech_udp::{GatewayEui, Txpk, TxpkAck};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::config::UpstreamConfig;
use super::link::{BridgedUplink, ToUpstream, UplinkBuffer, UpstreamCounters, UpstreamLink};
use crate::gateway_forwarder::net::unix_now;
use crate::gateway_forwarder::ws::{Connector, Ws};
/// `timesync` interval.
const TIMESYNC_INTERVAL: Duration = Duration::from_secs(60);
/// Downlinks remembered for their TX_ACK.
const MAX_PENDING: usize = 64;
/// TX power (dBm EIRP) when the `router_config` names no region the station knows.
const FALLBACK_TX_POWER: f32 = 16.15;

/// An uplink with its extended concentrator time and session id, fixed on arrival.
type Timed = (std::sync::Arc<BridgedUplink>, i64, u8);

/// A downlink waiting for its TX_ACK.
#[derive(Debug)]
struct PendingTx {
    request: TxRequest,
    /// Index of the option sent last.
    tried: usize,
    /// Which session it came from (stale after a reconnection).
    connection: u64,
}

/// What survives reconnections.
struct Station {
    link: UpstreamLink,
    config: UpstreamConfig,
    eui: GatewayEui,
    clock: ConcentratorClock,
    session_id: u8,
    resets_seen: u32,
    buffer: UplinkBuffer<Timed>,
    pending: BTreeMap<u64, PendingTx>,
    next_key: u64,
    /// Connections made (to tell stale downlinks apart).
    connection: u64,
}

/// One connected websocket.
struct Connected {
    session: StationSession,
    region: Option<Region>,
    tx_power: f32,
}

/// A random non-zero session id (bits 55..48 of every xtime).
fn new_session_id(eui: GatewayEui, salt: u32) -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = (eui.to_u64() ^ u64::from(nanos) ^ u64::from(salt).rotate_left(17))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((mixed >> 56) as u8).max(1)
}

/// Runs the upstream until the bridge stops.
pub(super) async fn run(
    link: UpstreamLink,
    config: UpstreamConfig,
    eui: GatewayEui,
    mut stop: watch::Receiver<bool>,
) {
    let connector = match Connector::new(config.tls_ca.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(upstream = %link.name, error = %e, "cannot set up TLS");
            return;
        }
    };
    let mut station = Station {
        buffer: UplinkBuffer::new(link.buffer_capacity),
        link,
        config,
        eui,
        clock: ConcentratorClock::new(),
        session_id: new_session_id(eui, 0),
        resets_seen: 0,
        pending: BTreeMap::new(),
        next_key: 0,
        connection: 0,
    };
    loop {
        let attempt = connector.connect(
            station.config.address.clone(),
            station.config.discovery,
            station.config.key.clone(),
            station.eui,
        );
        let ws = match station.offline(attempt, &mut stop).await {
            None => return,
            Some(Ok(ws)) => ws,
            Some(Err(e)) => {
                tracing::warn!(upstream = %station.link.name, error = %e, "LNS connection failed");
                let wait = tokio::time::sleep(station.link.backoff.next_wait());
                if station.offline(wait, &mut stop).await.is_none() {
                    return;
                }
                continue;
            }
        };
        station.connection += 1;
        if !station.online(ws, &mut stop).await {
            return;
        }
        station.link.counters.set_connected(false);
        let wait = tokio::time::sleep(station.link.backoff.next_wait());
        if station.offline(wait, &mut stop).await.is_none() {
            return;
        }
    }
}

impl Station {
    /// Runs `work` while the LNS is not connected, buffering uplinks; `None` when the bridge
    /// stops.
    async fn offline<F: std::future::Future>(
        &mut self,
        work: F,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<F::Output> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return Some(out),
                command = self.link.commands.recv() => match command {
                    None => return None,
                    Some(ToUpstream::Uplink(up)) => {
                        let timed = self.timed(up);
                        self.buffer.push(timed, &self.link.counters);
                    }
                    Some(ToUpstream::TxAck { key, .. }) => {
                        self.pending.remove(&key);
                    }
                    Some(ToUpstream::Status(_)) => {}
                },
                () = crate::gateway_forwarder::stopped(stop) => return None,
            }
        }
    }

    /// Fixes the uplink's concentrator time on arrival (`tmst` extended past rollover).
    fn timed(&mut self, up: std::sync::Arc<BridgedUplink>) -> Timed {
        let concentrator_us = self.clock.sync(up.rxpk.tmst, up.received);
        if self.clock.resets() != self.resets_seen {
            // The concentrator restarted: a new xtime session, as a station would start.
            self.resets_seen = self.clock.resets();
            self.session_id = new_session_id(self.eui, self.resets_seen);
        }
        (up, concentrator_us, self.session_id)
    }

    /// Serves one websocket; returns false when the bridge stops, true when the connection is
    /// lost.
    async fn online(&mut self, mut ws: Ws, stop: &mut watch::Receiver<bool>) -> bool {
        let now = std::time::Instant::now();
        let mut conn = Connected {
            session: StationSession::new(
                StationConfig {
                    timesync_interval: Some(TIMESYNC_INTERVAL),
                    ..StationConfig::default()
                },
                now,
            ),
            region: None,
            tx_power: FALLBACK_TX_POWER,
        };
        let mut text = String::new();
        loop {
            while conn.session.poll_transmit(&mut text) {
                if let Err(e) = ws.send(Message::text(text.clone())).await {
                    tracing::warn!(upstream = %self.link.name, error = %e, "LNS send failed");
                    return true;
                }
            }
            let mut more = false;
            while let Some(event) = conn.session.poll_event() {
                more |= self.on_event(&mut conn, event);
            }
            if more {
                continue;
            }
            let wake = conn
                .session
                .poll_timeout()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => conn.session.handle_message(std::time::Instant::now(), t.as_str()),
                    Some(Ok(Message::Close(_))) | None => {
                        tracing::warn!(upstream = %self.link.name, "LNS closed the connection");
                        return true;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::warn!(upstream = %self.link.name, error = %e, "LNS connection lost");
                        return true;
                    }
                },
                () = tokio::time::sleep_until(wake) => conn.session.handle_timeout(std::time::Instant::now()),
                command = self.link.commands.recv() => match command {
                    None => return false,
                    Some(ToUpstream::Uplink(up)) => {
                        let timed = self.timed(up);
                        if conn.region.is_some() && self.buffer.is_empty() {
                            self.send_uplink(&mut conn, &timed);
                        } else {
                            self.buffer.push(timed, &self.link.counters);
                        }
                    }
                    Some(ToUpstream::TxAck { key, ack }) => self.on_tx_ack(&mut conn, key, ack),
                    // Basics Station carries no gateway status.
                    Some(ToUpstream::Status(_)) => {}
                },
                () = crate::gateway_forwarder::stopped(stop) => {
                    let _ = ws.close(None).await;
                    return false;
                }
            }
        }
    }

    /// Handles a session event; true when it queued something to send.
    fn on_event(&mut self, conn: &mut Connected, event: StationEvent) -> bool {
        let now = std::time::Instant::now();
        match event {
            StationEvent::RouterConfig(cfg) => {
                conn.region = Region::from_name(&cfg.region);
                if conn.region.is_none() {
                    tracing::error!(upstream = %self.link.name, region = %cfg.region, "unknown region: uplinks wait");
                    return false;
                }
                conn.tx_power = cfg
                    .station_region()
                    .map_or(FALLBACK_TX_POWER, |r| r.default_tx_power_dbm() as f32);
                if let Some(max) = cfg.max_eirp {
                    conn.tx_power = conn.tx_power.min(max as f32);
                }
                self.link.counters.set_connected(true);
                self.link.backoff.reset();
                tracing::info!(upstream = %self.link.name, region = %cfg.region, "router_config applied");
                let waiting: Vec<Timed> = self.buffer.drain().collect();
                for timed in &waiting {
                    self.send_uplink(conn, timed);
                }
                !waiting.is_empty()
            }
            StationEvent::Transmit(request) => {
                let key = self.next_key;
                self.next_key += 1;
                self.pending.insert(
                    key,
                    PendingTx {
                        request: *request,
                        tried: 0,
                        connection: self.connection,
                    },
                );
                while self.pending.len() > MAX_PENDING {
                    self.pending.pop_first();
                }
                self.order_option(conn, key);
                true
            }
            StationEvent::XtimeRequested { mux_time } => {
                let micros = self.clock.concentrator_time_at(now).unwrap_or(0);
                let xtime = xtime::make(0, self.session_id, micros);
                if let Err(e) = conn
                    .session
                    .reply_xtime(now, unix_now(), mux_time, &[xtime])
                {
                    tracing::debug!(upstream = %self.link.name, error = %e, "getxtime not answered");
                }
                true
            }
            StationEvent::DownlinkDropped { diid, reason } => {
                tracing::info!(upstream = %self.link.name, diid, %reason, "downlink dropped");
                UpstreamCounters::add(&self.link.counters.downlinks_refused);
                false
            }
            other => {
                tracing::debug!(upstream = %self.link.name, event = ?other, "station event");
                false
            }
        }
    }

    fn send_uplink(&mut self, conn: &mut Connected, (up, concentrator_us, session): &Timed) {
        let Some(region) = conn.region else { return };
        let now = std::time::Instant::now();
        let ref_time = conn.session.ref_time(now);
        let sent = uplink_to_up_message(&up.message, region, *session, ref_time)
            .map_err(|e| e.to_string())
            .and_then(|mut msg| {
                if let Some(info) = upinfo_mut(&mut msg) {
                    info.xtime = xtime::make(xtime::txunit(info.xtime), *session, *concentrator_us);
                }
                conn.session.send_message(&msg).map_err(|e| e.to_string())
            });
        match sent {
            Ok(()) => UpstreamCounters::add(&self.link.counters.uplinks_forwarded),
            Err(e) => {
                tracing::warn!(upstream = %self.link.name, error = %e, "uplink not sent");
                UpstreamCounters::add(&self.link.counters.uplinks_failed);
            }
        }
    }

    /// Hands the next untried option of downlink `key` to the local side; forgets the
    /// downlink when none is left.
    fn order_option(&mut self, conn: &mut Connected, key: u64) {
        let Some(p) = self.pending.get_mut(&key) else {
            return;
        };
        while let Some(option) = p.request.options.get(p.tried).copied() {
            match txpk_of(conn, &self.clock, self.session_id, &p.request, &option) {
                Ok(txpk) => {
                    if !self.link.order_downlink(key, txpk) {
                        break;
                    }
                    return;
                }
                Err(e) => {
                    tracing::info!(upstream = %self.link.name, diid = p.request.diid, error = %e, "option skipped");
                    p.tried += 1;
                }
            }
        }
        let diid = p.request.diid;
        self.pending.remove(&key);
        conn.session.tx_failed(diid);
    }

    fn on_tx_ack(&mut self, conn: &mut Connected, key: u64, ack: TxpkAck) {
        let Some(p) = self.pending.get_mut(&key) else {
            return;
        };
        if p.connection != self.connection {
            self.pending.remove(&key);
            return;
        }
        let now = std::time::Instant::now();
        if txpk_ack_to_tx_ack(&ack).result == TxResult::Success as i32 {
            let p = self.pending.remove(&key).expect("looked up above");
            let Some(option) = p.request.options.get(p.tried) else {
                return;
            };
            let (xtime, gpstime) = match option.time {
                TxTime::Xtime(x) => (x, None),
                TxTime::Gps(us) => (self.xtime_now(now), Some(us)),
                TxTime::Asap => (self.xtime_now(now), None),
            };
            let started = TxStarted {
                xtime,
                rctx: p.request.rctx,
                dr: option.dr,
                freq: option.freq,
                gpstime,
            };
            if p.request.confirm {
                match conn.session.tx_started(now, p.request.diid, started) {
                    Ok(()) => UpstreamCounters::add(&self.link.counters.tx_acks_forwarded),
                    Err(e) => {
                        tracing::debug!(upstream = %self.link.name, error = %e, "dntxed not sent")
                    }
                }
            }
        } else {
            tracing::info!(upstream = %self.link.name, diid = p.request.diid, reason = ?ack.error, "option refused by the forwarder");
            p.tried += 1;
            self.order_option(conn, key);
        }
    }

    fn xtime_now(&self, now: std::time::Instant) -> i64 {
        let micros = self.clock.concentrator_time_at(now).unwrap_or(0);
        xtime::make(0, self.session_id, micros)
    }
}

/// The `updf`/`jreq`/`propdf` radio info, to set the extended xtime.
fn upinfo_mut(msg: &mut UpMessage) -> Option<&mut UpInfo> {
    match msg {
        UpMessage::Updf(m) => Some(&mut m.upinfo),
        UpMessage::Jreq(m) | UpMessage::Rejoin(m) => Some(&mut m.upinfo),
        UpMessage::Propdf(m) => Some(&mut m.upinfo),
        _ => None,
    }
}

/// The `txpk` of one transmit option, through ttnpb scheduled settings.
fn txpk_of(
    conn: &Connected,
    clock: &ConcentratorClock,
    session_id: u8,
    request: &TxRequest,
    option: &TxOption,
) -> Result<Txpk, String> {
    let region = conn.region.ok_or("no router_config")?;
    let data_rate = data_rate_of_index(region, option.dr).map_err(|e| e.to_string())?;
    let (timestamp, time) = match option.time {
        TxTime::Xtime(x) => {
            let x = XTime(x);
            if x.session() != session_id {
                return Err(format!(
                    "xtime of session {:#04x}, not the current {session_id:#04x}",
                    x.session()
                ));
            }
            // A concentrator time before the clock's first sync cannot be right.
            if clock.extend(x.timestamp()).is_none() {
                return Err("no uplink yet to relate xtime to tmst".into());
            }
            (x.timestamp(), None)
        }
        TxTime::Gps(us) => {
            let us = u64::try_from(us).map_err(|_| "negative GPS time")?;
            let t = gps_micros_to_timestamp(us).map_err(|e| e.to_string())?;
            (0, Some(t))
        }
        TxTime::Asap => (0, None),
    };
    let message = DownlinkMessage {
        raw_payload: request.pdu.clone(),
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(data_rate),
            frequency: u64::from(option.freq),
            timestamp,
            time,
            downlink: Some(tx_settings::Downlink {
                antenna_index: u32::from(xtime::rctx_txunit(request.rctx)),
                tx_power: conn.tx_power,
                invert_polarization: true,
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    downlink_to_txpk(&message).map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "lbs_tests.rs"]
mod tests;
