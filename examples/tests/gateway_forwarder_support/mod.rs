//! Test support for the bridge tests: a local `lora_pkt_fwd` (a `semtech_udp::Forwarder` on a
//! loopback socket), example servers on port 0, and the radio view of an uplink.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use loragw_examples::gateway_forwarder::ForwarderOptions;
use loragw_examples::gateway_forwarder::bridge::{Bridge, BridgeConfig, BridgeSummary};
use loragw_examples::gateway_forwarder::sim::data_up_frame;
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::adapter::udp::uplink_to_rxpk;
use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::GatewayServer;
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{
    DataRate, DownlinkMessage, TxAcknowledgment, TxSettings, UplinkMessage, tx_settings,
};
use loragw_semtech_udp::{
    Forwarder, ForwarderConfig, ForwarderEvent, GatewayEui, Rxpk, Stat, Txpk, TxpkAck,
};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// Longest wait for one expected thing.
pub const STEP: Duration = Duration::from_secs(10);
/// How long to watch for something that must not happen.
pub const QUIET: Duration = Duration::from_millis(700);
/// The demo gateway's EUI (the one registered in the example server's demo config).
pub const DEMO_EUI: u64 = 0x58A0_CBFF_FE80_0001;

/// The example server's demo config with every listener on port 0.
pub fn demo_on_port_zero() -> ServerConfig {
    let mut config = ServerConfig::demo();
    config.listeners.udp = Some("127.0.0.1:0".into());
    config.listeners.lbs = Some("127.0.0.1:0".into());
    config.listeners.cups = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v3 = Some("127.0.0.1:0".into());
    config.listeners.mqtt_v2 = Some("127.0.0.1:0".into());
    config.listeners.tabs_hubs = Some("127.0.0.1:0".into());
    config
}

/// Starts the example server.
pub async fn start_server() -> GatewayServer {
    gateway_server::start(demo_on_port_zero()).await.unwrap()
}

/// Starts a bridge for the demo EUI from the upstream tables in `upstreams` (TOML).
pub async fn start_bridge(upstreams: &str) -> Bridge {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ngateway_eui = \"{DEMO_EUI:016X}\"\nreconnect_min_ms = 100\nreconnect_max_ms = 400\n{upstreams}"
    );
    Bridge::start(BridgeConfig::from_toml(&text).unwrap())
        .await
        .unwrap()
}

/// Waits until `check` holds for the bridge's summary.
pub async fn wait_summary(bridge: &Bridge, check: impl Fn(&BridgeSummary) -> bool) {
    let deadline = Instant::now() + STEP;
    loop {
        let summary = bridge.summary();
        if check(&summary) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out; summary: {summary:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

enum Command {
    Push(Box<Rxpk>),
    Stat(Box<Stat>),
    Ack(u16, TxpkAck),
}

/// A local packet forwarder: pushes `rxpk`s to the bridge, reports what comes back.
pub struct LocalForwarder {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<ForwarderEvent>,
}

impl LocalForwarder {
    /// Starts one, EUI [`DEMO_EUI`], sending to `bridge`.
    pub async fn start(bridge: SocketAddr) -> LocalForwarder {
        Self::start_with_eui(bridge, DEMO_EUI).await
    }

    /// Starts one with another EUI.
    pub async fn start_with_eui(bridge: SocketAddr, eui: u64) -> LocalForwarder {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(bridge).await.unwrap();
        let config = ForwarderConfig {
            gateway: GatewayEui::from_u64(eui),
            keepalive_interval: Duration::from_millis(500),
            ..ForwarderConfig::default()
        };
        let mut forwarder = Forwarder::new(config, std::time::Instant::now());
        let (commands, mut command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut out = Vec::new();
            let mut buf = vec![0u8; 65_536];
            loop {
                while forwarder.poll_transmit(&mut out).is_some() {
                    let _ = socket.send(&out).await;
                }
                while let Some(event) = forwarder.poll_event() {
                    if event_tx.send(event).is_err() {
                        return;
                    }
                }
                let wake = forwarder
                    .poll_timeout()
                    .map(Instant::from_std)
                    .unwrap_or_else(|| Instant::now() + Duration::from_secs(60));
                tokio::select! {
                    n = socket.recv(&mut buf) => if let Ok(n) = n {
                        forwarder.handle_datagram(std::time::Instant::now(), &buf[..n]);
                    },
                    () = tokio::time::sleep_until(wake) => forwarder.handle_timeout(std::time::Instant::now()),
                    command = command_rx.recv() => match command {
                        Some(Command::Push(rxpk)) => forwarder.push_uplinks(std::time::Instant::now(), vec![*rxpk]).unwrap(),
                        Some(Command::Stat(stat)) => forwarder.push_status(std::time::Instant::now(), *stat).unwrap(),
                        Some(Command::Ack(token, ack)) => forwarder.send_tx_ack(std::time::Instant::now(), token, ack).unwrap(),
                        None => return,
                    },
                }
            }
        });
        LocalForwarder { commands, events }
    }

    /// Pushes one frame (PUSH_DATA).
    pub fn push(&self, rxpk: &Rxpk) {
        let _ = self.commands.send(Command::Push(Box::new(rxpk.clone())));
    }

    /// Pushes a status report.
    pub fn status(&self, stat: Stat) {
        let _ = self.commands.send(Command::Stat(Box::new(stat)));
    }

    /// Answers downlink `token`.
    pub fn ack(&self, token: u16, ack: TxpkAck) {
        let _ = self.commands.send(Command::Ack(token, ack));
    }

    /// The next PULL_RESP.
    pub async fn next_downlink(&mut self) -> (u16, Txpk) {
        loop {
            let event = timeout(STEP, self.events.recv()).await.unwrap().unwrap();
            if let ForwarderEvent::Downlink { token, txpk } = event {
                return (token, txpk);
            }
        }
    }

    /// Asserts that no PULL_RESP arrives for a while.
    pub async fn no_downlink(&mut self) {
        let deadline = Instant::now() + QUIET;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, self.events.recv()).await {
            assert!(
                !matches!(event, ForwarderEvent::Downlink { .. }),
                "unexpected downlink {event:?}"
            );
        }
    }
}

/// Frame `n` of the test traffic: the simulator's radio values with a data-up frame of
/// `dev_addr`, FCnt `n`, concentrator time `tmst`, and a GPS time (`tmms`).
pub fn rxpk(dev_addr: u32, n: u16, tmst: u32) -> Rxpk {
    let options = ForwarderOptions {
        seed: 11,
        ..ForwarderOptions::new("unused:1")
    };
    let mut up = options.generator_of(u32::from(n)).unwrap().next_uplink();
    up.phy_payload = data_up_frame(dev_addr, n, 1, &[n as u8; 4], [1, 2, 3, 4]);
    let mut rxpk = uplink_to_rxpk(&up.to_ttnpb("local", DEMO_EUI.to_be_bytes(), tmst)).unwrap();
    rxpk.tmms = Some(1_400_000_000_000 + u64::from(tmst / 1000));
    rxpk
}

/// What an uplink says about the radio: the fields every protocol carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Radio {
    pub raw_payload: Vec<u8>,
    pub data_rate: Option<DataRate>,
    pub frequency: u64,
    pub timestamp: u32,
    pub rssi: f32,
    pub channel_rssi: f32,
    pub snr: f32,
    pub antenna_index: u32,
    /// `None` where the protocol cannot carry it (Basics Station).
    pub channel_index: Option<u32>,
    /// GPS time of reception; `None` where the protocol cannot carry it (MQTT v2).
    pub gps_time: Option<loragw_gateway_io::ttnpb::Timestamp>,
}

/// The radio view of `up`; `channel` false leaves out the channel index, `gps` false the GPS
/// time.
pub fn radio(up: &UplinkMessage, channel: bool, gps: bool) -> Radio {
    let settings = up.settings.clone().unwrap();
    let md = &up.rx_metadata[0];
    Radio {
        raw_payload: up.raw_payload.clone(),
        data_rate: settings.data_rate,
        frequency: settings.frequency,
        timestamp: settings.timestamp,
        rssi: md.rssi,
        channel_rssi: md.channel_rssi,
        snr: md.snr,
        antenna_index: md.antenna_index,
        channel_index: channel.then_some(md.channel_index),
        gps_time: if gps { md.gps_time } else { None },
    }
}

/// The next `n` uplinks the server reports (other events skipped), with the gateway.
pub async fn uplinks(server: &mut GatewayServer, n: usize) -> Vec<(GatewayIds, UplinkMessage)> {
    let mut out = Vec::new();
    while out.len() < n {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::Uplink {
            gateway, message, ..
        } = event
        {
            out.push((gateway, message));
        }
    }
    out
}

/// Asserts that the server reports no uplink for a while.
pub async fn no_uplink(server: &mut GatewayServer) {
    let deadline = Instant::now() + QUIET;
    while let Ok(event) = tokio::time::timeout_at(deadline, server.next_event()).await {
        if let GatewayEvent::Uplink { message, .. } = event.unwrap() {
            panic!("unexpected uplink {:?}", message.raw_payload);
        }
    }
}

/// The next TX acknowledgement the server reports.
pub async fn tx_ack(server: &mut GatewayServer) -> TxAcknowledgment {
    loop {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::TxAck { ack, .. } = event {
            return ack;
        }
    }
}

/// A class A downlink at concentrator time `timestamp` (0: class C, at once).
pub fn downlink(timestamp: u32) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
        ],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.15,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        correlation_ids: vec!["test:bridge:1".into()],
        ..Default::default()
    }
}

/// The next status the server reports.
pub async fn status(server: &mut GatewayServer) -> loragw_gateway_io::ttnpb::GatewayStatus {
    loop {
        let event = timeout(STEP, server.next_event()).await.unwrap().unwrap();
        if let GatewayEvent::Status { status, .. } = event {
            return status;
        }
    }
}
