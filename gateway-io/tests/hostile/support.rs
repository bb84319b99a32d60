//! The only module that uses the server's API (builder, settings, `next_event`,
//! `send_downlink`, registry loading): when that API changes, this file changes, the
//! batteries do not.
//!
//! A [`Harness`] runs one in-process `GatewayServer` on 127.0.0.1 with every listener (UDP,
//! LBS plain and TLS, CUPS plain and TLS, MQTT v3 and v2 plain and TLS) on port 0, and keeps
//! every event it sees so batteries can assert on them afterwards.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use loragw_basicstation::cups::{Credentials, CupsTarget, UpdateInfoRequest};
use loragw_basicstation::station::{Modulation, ReceivedFrame, StationEvent, TxStarted};
use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::frontend::mqtt::MqttVersion;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::registry::{GatewayRecord, InMemoryRegistry, hash_key};
use loragw_gateway_io::transport::cups::CupsSettings;
use loragw_gateway_io::transport::lbs::LbsSettings;
use loragw_gateway_io::transport::mqtt_server::MqttSettings;
use loragw_gateway_io::transport::tls::TlsConfig;
use loragw_gateway_io::transport::{DownlinkSender, GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::prost::Message as _;
use loragw_gateway_io::ttnpb::{DownlinkMessage, GatewayDown, TxAcknowledgment};
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio_rustls::TlsConnector;

use super::clients::{self, PULL_RESP, PUSH_ACK, PUSH_DATA, RawMqtt, Station, UdpGateway};
use super::fixtures::*;
use super::sanity;

/// Tests that measure the process (memory) run alone; the others share.
static PROCESS: RwLock<()> = RwLock::const_new(());

/// Taken by every test that does not measure the process.
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS.read().await
}

/// Taken by a test that measures the process's memory: no other test runs meanwhile.
pub async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS.write().await
}

/// Events kept for later assertions; past this many only the count grows.
const HISTORY_CAP: usize = 50_000;

/// The bound addresses of every listener.
#[derive(Debug, Clone, Copy)]
pub struct Addrs {
    pub udp: SocketAddr,
    pub lbs: SocketAddr,
    pub lbs_tls: SocketAddr,
    pub cups: SocketAddr,
    pub cups_tls: SocketAddr,
    pub mqtt3: SocketAddr,
    pub mqtt3_tls: SocketAddr,
    pub mqtt2: SocketAddr,
    pub mqtt2_tls: SocketAddr,
}

impl Addrs {
    /// Every TCP listener, with a name for messages.
    pub fn tcp(&self) -> [(&'static str, SocketAddr); 8] {
        [
            ("LBS", self.lbs),
            ("LBS/TLS", self.lbs_tls),
            ("CUPS", self.cups),
            ("CUPS/TLS", self.cups_tls),
            ("MQTT v3", self.mqtt3),
            ("MQTT v3/TLS", self.mqtt3_tls),
            ("MQTT v2", self.mqtt2),
            ("MQTT v2/TLS", self.mqtt2_tls),
        ]
    }
}

/// What waiting for an event gave.
#[derive(Debug)]
// Built once per wait and matched at once: boxing the event would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Next {
    Event(GatewayEvent),
    Timeout,
    /// The server says it (or a listener) stopped.
    Stopped(String),
}

/// A cloneable downlink handle for other tasks.
#[derive(Debug, Clone)]
pub struct Downlinks(DownlinkSender);

impl Downlinks {
    /// Sends a downlink to `gateway_id`; `Err(text)` when refused.
    pub async fn send(&self, gateway_id: &str, message: DownlinkMessage) -> Result<(), String> {
        let ids = GatewayIds::new(gateway_id, None);
        match tokio::time::timeout(STEP, self.0.send_downlink(&ids, message)).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("send_downlink did not return within {STEP:?}")),
        }
    }
}

/// One server with every listener, the events it produced, and a TLS client for it.
pub struct Harness {
    server: GatewayServer,
    pub addrs: Addrs,
    pub tls: TlsConnector,
    /// Events not yet taken by a wait.
    pending: Vec<GatewayEvent>,
    /// Every event seen (up to [`HISTORY_CAP`]).
    history: Vec<GatewayEvent>,
    /// When each event of `history` was received.
    received_at: Vec<std::time::Instant>,
    /// Events seen in all.
    pub events_seen: usize,
    stopped: Option<String>,
}

fn registry_toml() -> String {
    let h = |key: &str, salt: &[u8]| hash_key(key, salt);
    format!(
        r#"
[[gateway]]
id = "{UDP_ID}"
eui = "{UDP_EUI:016X}"
frequency_plans = ["EU_863_870"]

[[gateway]]
id = "{LBS_ID}"
eui = "{LBS_EUI:016X}"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
[[gateway.key]]
name = "lns"
hash = "{lbs}"
rights = ["link"]
[[gateway.key]]
name = "cups"
hash = "{cups}"
rights = ["info", "settings_basic", "read_secrets"]

[[gateway]]
id = "{MQTT3_ID}"
eui = "{MQTT3_EUI:016X}"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
[[gateway.key]]
name = "mqtt3"
hash = "{mqtt3}"
rights = ["link"]

[[gateway]]
id = "{MQTT2_ID}"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
[[gateway.key]]
name = "mqtt2"
hash = "{mqtt2}"
rights = ["link"]

[[gateway]]
id = "{RACE_ID}"
eui = "{RACE_EUI:016X}"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
[[gateway.key]]
name = "race"
hash = "{race}"
rights = ["link"]
"#,
        lbs = h(LBS_KEY, b"salt-hostile-lbs"),
        cups = h(CUPS_KEY, b"salt-hostile-cup"),
        mqtt3 = h(MQTT3_KEY, b"salt-hostile-mq3"),
        mqtt2 = h(MQTT2_KEY, b"salt-hostile-mq2"),
        race = h(RACE_KEY, b"salt-hostile-rce"),
    )
}

/// A self-signed `localhost` certificate as the server's TLS config, and its DER.
fn certificate() -> (TlsConfig, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let tls = TlsConfig::from_pem(
        certified.cert.pem().as_bytes(),
        certified.signing_key.serialize_pem().as_bytes(),
    )
    .expect("PEM certificate and key");
    (tls, certified.cert.der().to_vec())
}

fn cups_settings() -> CupsSettings {
    CupsSettings::new(|gateway: &GatewayRecord, _: &UpdateInfoRequest| {
        Some(CupsTarget {
            tc_uri: Some("ws://lns.example.com:1887".into()),
            tc_credentials: Some(Credentials::token(None, LBS_KEY)),
            ..Default::default()
        })
        .filter(|_| gateway.ids.gateway_id == LBS_ID)
    })
}

/// The next event; `Err` when a listener (or the whole server) stopped, with the server's
/// own description.
async fn next_raw(server: &mut GatewayServer) -> Result<GatewayEvent, String> {
    server.next_event().await.map_err(|e| e.to_string())
}

static MARKER: AtomicU16 = AtomicU16::new(1);

/// A fresh marker for uplinks and downlink tags.
pub fn marker() -> u16 {
    MARKER.fetch_add(1, Ordering::Relaxed)
}

impl Harness {
    /// Starts the server with every listener on 127.0.0.1, port 0.
    pub async fn start() -> Harness {
        let registry = InMemoryRegistry::from_toml(&registry_toml()).expect("registry TOML");
        let (tls, der) = certificate();
        let server = GatewayServer::builder()
            .registry(registry)
            .udp("127.0.0.1:0")
            .basic_station("127.0.0.1:0")
            .basic_station_tls("127.0.0.1:0", LbsSettings::default(), tls.clone())
            .cups("127.0.0.1:0", cups_settings())
            .cups_tls("127.0.0.1:0", cups_settings(), tls.clone())
            .mqtt_v3("127.0.0.1:0")
            .mqtt_tls(
                "127.0.0.1:0",
                MqttSettings::new(MqttVersion::V3),
                tls.clone(),
            )
            .mqtt_v2("127.0.0.1:0")
            .mqtt_tls("127.0.0.1:0", MqttSettings::new(MqttVersion::V2), tls)
            .start()
            .await
            .expect("server starts");
        let at = |kind| server.local_addr(kind).expect("listener bound");
        let addrs = Addrs {
            udp: at(ListenerKind::Udp),
            lbs: at(ListenerKind::BasicStation),
            lbs_tls: at(ListenerKind::BasicStationTls),
            cups: at(ListenerKind::Cups),
            cups_tls: at(ListenerKind::CupsTls),
            mqtt3: at(ListenerKind::MqttV3),
            mqtt3_tls: at(ListenerKind::MqttV3Tls),
            mqtt2: at(ListenerKind::MqttV2),
            mqtt2_tls: at(ListenerKind::MqttV2Tls),
        };
        Harness {
            server,
            addrs,
            tls: clients::tls_connector(&der),
            pending: Vec::new(),
            history: Vec::new(),
            received_at: Vec::new(),
            events_seen: 0,
            stopped: None,
        }
    }

    fn record(&mut self, event: Result<GatewayEvent, String>) -> Next {
        match event {
            Ok(event) => {
                self.events_seen += 1;
                if self.history.len() < HISTORY_CAP {
                    self.history.push(event.clone());
                    self.received_at.push(std::time::Instant::now());
                }
                Next::Event(event)
            }
            Err(why) => {
                self.stopped = Some(why.clone());
                Next::Stopped(why)
            }
        }
    }

    /// The next event not yet taken, waiting at most `wait`.
    pub async fn next_event_within(&mut self, wait: Duration) -> Next {
        if !self.pending.is_empty() {
            return Next::Event(self.pending.remove(0));
        }
        if let Some(why) = &self.stopped {
            return Next::Stopped(why.clone());
        }
        match tokio::time::timeout(wait, next_raw(&mut self.server)).await {
            Ok(event) => self.record(event),
            Err(_) => Next::Timeout,
        }
    }

    /// Waits at most `wait` for an event matching `pred`; the others stay pending. `Err`
    /// describes what was seen instead.
    pub async fn wait_for(
        &mut self,
        wait: Duration,
        mut pred: impl FnMut(&GatewayEvent) -> bool,
    ) -> Result<GatewayEvent, String> {
        if let Some(i) = self.pending.iter().position(&mut pred) {
            return Ok(self.pending.remove(i));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(why) = &self.stopped {
                return Err(format!("server stopped: {why}"));
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, next_raw(&mut self.server)).await {
                Err(_) => {
                    return Err(format!(
                        "not seen within {wait:?}; pending meanwhile: {}",
                        summarize(&self.pending)
                    ));
                }
                Ok(event) => match self.record(event) {
                    Next::Event(e) if pred(&e) => return Ok(e),
                    Next::Event(e) => self.pending.push(e),
                    _ => {}
                },
            }
        }
    }

    /// Every event arriving within `wait` (and those pending), taken.
    pub async fn drain_for(&mut self, wait: Duration) -> Vec<GatewayEvent> {
        let mut out = std::mem::take(&mut self.pending);
        let deadline = tokio::time::Instant::now() + wait;
        while self.stopped.is_none() {
            match tokio::time::timeout_at(deadline, next_raw(&mut self.server)).await {
                Err(_) => break,
                Ok(event) => {
                    if let Next::Event(e) = self.record(event) {
                        out.push(e);
                    }
                }
            }
        }
        out
    }

    /// Runs `work` while events keep being read (so a battery producing many events does
    /// not stall the listeners on a full event channel); they stay pending.
    pub async fn during<F: Future>(&mut self, work: F) -> F::Output {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                event = next_raw(&mut self.server), if self.stopped.is_none() => {
                    if let Next::Event(e) = self.record(event)
                        && self.pending.len() < HISTORY_CAP
                    {
                        self.pending.push(e);
                    }
                }
            }
        }
    }

    /// Forgets pending events (they stay in the history).
    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }

    /// Every event seen so far.
    pub fn history(&self) -> &[GatewayEvent] {
        &self.history
    }

    /// When the first event of the history matching `pred` was received from the server.
    pub fn received_at(
        &self,
        mut pred: impl FnMut(&GatewayEvent) -> bool,
    ) -> Option<std::time::Instant> {
        let i = self.history.iter().position(&mut pred)?;
        self.received_at.get(i).copied()
    }

    /// Why the server stopped, if it said so.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// A downlink handle for other tasks.
    pub fn downlinks(&self) -> Downlinks {
        Downlinks(self.server.downlink_sender())
    }

    /// Sends a downlink to `gateway_id`; `Err(text)` when refused.
    pub async fn send_downlink(
        &self,
        gateway_id: &str,
        message: DownlinkMessage,
    ) -> Result<(), String> {
        self.downlinks().send(gateway_id, message).await
    }

    /// Descriptions of events seen that carry an out-of-range number, one per event kind and
    /// field (at most 12).
    pub fn insane_events(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.history
            .iter()
            .filter_map(sanity::insane)
            .filter(|d| seen.insert(d.split(" = ").next().unwrap_or(d).to_owned()))
            .take(12)
            .collect()
    }

    /// Panics (naming `after`) if any event seen carries an out-of-range number.
    pub fn assert_events_sane(&self, after: &str) {
        let bad = self.insane_events();
        assert!(
            bad.is_empty(),
            "after {after}: the server passed numbers it should have range-checked into its events: {bad:#?}"
        );
    }

    /// Well-behaved gateways on every protocol get uplinks through and downlinks
    /// acknowledged; panics naming `after` and every protocol that failed.
    pub async fn assert_all_protocols_healthy(&mut self, after: &str) {
        let mut failures = Vec::new();
        if let Err(e) = self.udp_healthy().await {
            failures.push(format!("Semtech UDP: {e}"));
        }
        if let Err(e) = self.lbs_healthy().await {
            failures.push(format!("Basics Station: {e}"));
        }
        if let Err(e) = self.mqtt3_healthy().await {
            failures.push(format!("MQTT v3: {e}"));
        }
        if let Err(e) = self.mqtt2_healthy().await {
            failures.push(format!("MQTT v2: {e}"));
        }
        let resident = rss_bytes();
        if resident > PROCESS_MEMORY_BOUND {
            failures.push(format!(
                "the test process (servers and hostile clients together) holds {} KiB resident, \
                 over the {} KiB bound",
                resident / 1024,
                PROCESS_MEMORY_BOUND / 1024
            ));
        }
        assert!(
            failures.is_empty(),
            "after {after}, well-behaved gateways are no longer served:\n  {}",
            failures.join("\n  ")
        );
    }

    /// PUSH_DATA → PUSH_ACK and an Uplink; PULL_DATA → PULL_ACK; downlink → PULL_RESP →
    /// TX_ACK → TxAck.
    pub async fn udp_healthy(&mut self) -> Result<(), String> {
        let m = marker();
        let mut gw = UdpGateway::new(self.addrs.udp, UDP_EUI).await;
        let token = gw.send_kind(PUSH_DATA, &clients::rxpk_json(&phy(m))).await;
        gw.expect_reply(PUSH_ACK, token, STEP)
            .await
            .ok_or("no PUSH_ACK for a valid PUSH_DATA")?;
        self.wait_uplink(UDP_ID, m).await?;
        if !gw.pull(STEP).await {
            return Err("no PULL_ACK for PULL_DATA".into());
        }
        let tag = format!("health:udp:{m}");
        self.send_downlink(UDP_ID, downlink(&tag))
            .await
            .map_err(|e| format!("downlink refused: {e}"))?;
        let resp = gw
            .expect_reply(PULL_RESP, 0, STEP)
            .await
            .ok_or("no PULL_RESP for an accepted downlink")?;
        let mut ack = vec![2, resp[1], resp[2], clients::TX_ACK];
        ack.extend_from_slice(&UDP_EUI.to_be_bytes());
        ack.extend_from_slice(br#"{"txpk_ack":{"error":"NONE"}}"#);
        gw.send(&ack).await;
        self.wait_tx_ack(UDP_ID, &tag).await
    }

    /// A station: version → router_config; updf → Uplink; dnmsg → dntxed → TxAck.
    pub async fn lbs_healthy(&mut self) -> Result<(), String> {
        let m = marker();
        let mut station = Station::connect(self.addrs.lbs, LBS_EUI, LBS_KEY)
            .await
            .map_err(|s| format!("traffic upgrade refused (HTTP {s})"))?;
        match self.during(station.next_event_within(STEP)).await {
            Some(StationEvent::RouterConfig(_)) => {}
            other => return Err(format!("no router_config after version: {other:?}")),
        }
        let frame = ReceivedFrame {
            phy_payload: phy(m),
            freq: 868_100_000,
            modulation: Modulation::Lora {
                spreading_factor: 7,
                bandwidth_khz: 125,
            },
            xtime: 0x0023_0000_1234_5678,
            rctx: 0,
            gpstime: None,
            fts: None,
            rssi: -42,
            snr: 9.5,
            rxtime: 1_700_000_000.5,
        };
        station
            .session
            .send_uplink(std::time::Instant::now(), &frame)
            .map_err(|e| format!("station session refused the uplink: {e}"))?;
        station
            .flush()
            .await
            .map_err(|e| format!("updf not sent: {e}"))?;
        self.wait_uplink(LBS_ID, m).await?;
        let tag = format!("health:lbs:{m}");
        self.send_downlink(LBS_ID, lbs_downlink(&tag))
            .await
            .map_err(|e| format!("downlink refused: {e}"))?;
        let request = match self.during(station.next_event_within(STEP)).await {
            Some(StationEvent::Transmit(request)) => request,
            other => return Err(format!("no dnmsg for an accepted downlink: {other:?}")),
        };
        station
            .session
            .tx_started(
                std::time::Instant::now(),
                request.diid,
                TxStarted {
                    xtime: 0x0023_0000_2234_5678,
                    rctx: 0,
                    dr: request.options[0].dr,
                    freq: request.options[0].freq,
                    gpstime: None,
                },
            )
            .map_err(|e| format!("station session refused dntxed: {e}"))?;
        station
            .flush()
            .await
            .map_err(|e| format!("dntxed not sent: {e}"))?;
        self.wait_tx_ack(LBS_ID, &tag).await?;
        let _ = station.ws.close(None).await;
        Ok(())
    }

    /// CONNECT, SUBSCRIBE down; publish up → Uplink; downlink → PUBLISH down → down/ack →
    /// TxAck.
    pub async fn mqtt3_healthy(&mut self) -> Result<(), String> {
        let m = marker();
        let (mut raw, ack) = RawMqtt::connect(self.addrs.mqtt3, MQTT3_ID, MQTT3_KEY).await;
        match ack {
            Some(a) if a.code == ConnectReturnCode::Success => {}
            other => return Err(format!("CONNECT not accepted: {other:?}")),
        }
        let down_topic = format!("v3/{MQTT3_ID}/down");
        match raw.subscribe(&down_topic).await {
            Some(Packet::SubAck(_)) => {}
            other => return Err(format!("no SUBACK: {other:?}")),
        }
        raw.publish(
            &format!("v3/{MQTT3_ID}/up"),
            QoS::AtLeastOnce,
            1,
            uplink(m).encode_to_vec(),
        )
        .await;
        match self.during(raw.recv_within(STEP)).await {
            Some(Packet::PubAck(_)) => {}
            other => return Err(format!("no PUBACK for the uplink: {other:?}")),
        }
        self.wait_uplink(MQTT3_ID, m).await?;
        let tag = format!("health:mqtt3:{m}");
        self.send_downlink(MQTT3_ID, downlink(&tag))
            .await
            .map_err(|e| format!("downlink refused: {e}"))?;
        let down = match self.during(raw.recv_within(STEP)).await {
            Some(Packet::Publish(p)) if p.topic == down_topic => {
                GatewayDown::decode(&p.payload[..])
                    .map_err(|e| format!("the down PUBLISH is not a GatewayDown: {e}"))?
            }
            other => {
                return Err(format!(
                    "no down PUBLISH for an accepted downlink: {other:?}"
                ));
            }
        };
        let ids = down
            .downlink_message
            .map(|d| d.correlation_ids)
            .unwrap_or_default();
        let ack = TxAcknowledgment {
            correlation_ids: ids,
            result: 0,
            downlink_message: None,
        };
        raw.publish(
            &format!("v3/{MQTT3_ID}/down/ack"),
            QoS::AtMostOnce,
            0,
            ack.encode_to_vec(),
        )
        .await;
        self.wait_tx_ack(MQTT3_ID, &tag).await?;
        raw.send(Packet::Disconnect).await;
        Ok(())
    }

    /// CONNECT; publish a v2 uplink → Uplink; a downlink reaches the v2 down topic.
    pub async fn mqtt2_healthy(&mut self) -> Result<(), String> {
        let m = marker();
        let (mut raw, ack) = RawMqtt::connect(self.addrs.mqtt2, MQTT2_ID, MQTT2_KEY).await;
        match ack {
            Some(a) if a.code == ConnectReturnCode::Success => {}
            other => return Err(format!("CONNECT not accepted: {other:?}")),
        }
        let down_topic = format!("{MQTT2_ID}/down");
        match raw.subscribe(&down_topic).await {
            Some(Packet::SubAck(_)) => {}
            other => return Err(format!("no SUBACK: {other:?}")),
        }
        let v2 = loragw_mqtt_v2::uplink_from_v3(&uplink(m), MQTT2_ID)
            .map_err(|e| format!("test bug: {e}"))?;
        raw.publish(
            &format!("{MQTT2_ID}/up"),
            QoS::AtLeastOnce,
            1,
            v2.encode_to_vec(),
        )
        .await;
        match self.during(raw.recv_within(STEP)).await {
            Some(Packet::PubAck(_)) => {}
            other => return Err(format!("no PUBACK for the uplink: {other:?}")),
        }
        self.wait_uplink(MQTT2_ID, m).await?;
        let tag = format!("health:mqtt2:{m}");
        self.send_downlink(MQTT2_ID, downlink(&tag))
            .await
            .map_err(|e| format!("downlink refused: {e}"))?;
        match self.during(raw.recv_within(STEP)).await {
            Some(Packet::Publish(p)) if p.topic == down_topic => {}
            other => {
                return Err(format!(
                    "no down PUBLISH for an accepted downlink: {other:?}"
                ));
            }
        }
        raw.send(Packet::Disconnect).await;
        Ok(())
    }

    async fn wait_uplink(&mut self, gateway_id: &str, m: u16) -> Result<(), String> {
        let payload = phy(m);
        self.wait_for(STEP, |e| {
            matches!(e, GatewayEvent::Uplink { gateway, message, .. }
                if gateway.gateway_id == gateway_id && message.raw_payload == payload)
        })
        .await
        .map(drop)
        .map_err(|e| format!("Uplink event: {e}"))
    }

    async fn wait_tx_ack(&mut self, gateway_id: &str, tag: &str) -> Result<(), String> {
        self.wait_for(STEP, |e| {
            matches!(e, GatewayEvent::TxAck { gateway, ack, .. }
                if gateway.gateway_id == gateway_id && ack_carries(ack, tag))
        })
        .await
        .map(drop)
        .map_err(|e| format!("TxAck event for {tag}: {e}"))
    }

    /// A `POST /update-info` by the LBS gateway with its CUPS key: the HTTP status.
    pub async fn cups_status(&self) -> u16 {
        let body = clients::update_info_body(LBS_EUI);
        clients::http_status(
            self.addrs.cups,
            &clients::update_info_request(self.addrs.cups, CUPS_KEY, &body),
        )
        .await
    }
}

/// A short description of events, for failure messages.
pub fn summarize(events: &[GatewayEvent]) -> String {
    let parts: Vec<String> = events
        .iter()
        .take(12)
        .map(|e| {
            let kind = match e {
                GatewayEvent::Connected { .. } => "Connected".to_owned(),
                GatewayEvent::Uplink { .. } => "Uplink".to_owned(),
                GatewayEvent::Status { .. } => "Status".to_owned(),
                GatewayEvent::TxAck { .. } => "TxAck".to_owned(),
                GatewayEvent::Disconnected { reason, .. } => format!("Disconnected({reason})"),
                other => format!("{other:?}"),
            };
            format!("{kind} {} over {}", e.gateway().gateway_id, e.protocol())
        })
        .collect();
    let more = events.len().saturating_sub(12);
    if more > 0 {
        format!("[{}, and {more} more]", parts.join(", "))
    } else {
        format!("[{}]", parts.join(", "))
    }
}

/// Resident memory the whole test process may hold after any battery: every server of the
/// suite (the batteries run in parallel, each with its own server) with its hostile clients,
/// including the allocator's retained arenas (measured: about 160 MiB at the suite's peak).
/// A coarse ceiling that catches per-client state growing without bound; the precise
/// measurement is `floods::udp_flood_of_unregistered_euis_keeps_memory_bounded`, which runs
/// alone and bounds one server's growth under a 150,000-EUI flood.
pub const PROCESS_MEMORY_BOUND: u64 = 256 * 1024 * 1024;

/// Resident memory of this process (the in-process servers and the tests), in bytes.
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// The TxAck's downlink tag check, for batteries.
pub fn is_tx_ack_for(event: &GatewayEvent, gateway_id: &str) -> Option<TxAcknowledgment> {
    match event {
        GatewayEvent::TxAck { gateway, ack, .. } if gateway.gateway_id == gateway_id => {
            Some(ack.clone())
        }
        _ => None,
    }
}
