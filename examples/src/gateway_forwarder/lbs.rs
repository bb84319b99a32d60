//! A simulated LoRa Basics Station: [`StationSession`] over a tokio-tungstenite websocket,
//! straight to the LNS traffic endpoint `ws://{server}/traffic/eui-{EUI}` (no discovery).
//! The protocol has no status message: the `version` sent on connect is all the LNS gets.

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::station::{
    Modulation, ReceivedFrame, StationConfig, StationEvent, StationSession, TxStarted,
};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::net::unix_now;
use super::report::GatewayCounters;
use super::sim::SimUplink;
use super::ws::{Connector, Ws};
use super::{GatewaySim, RunError, stopped};

/// The xtime session id (bits 48..55) of the simulated radio.
pub(super) const XTIME_SESSION: i64 = 1 << 48;

/// Opens the traffic websocket, with `key` as the `Authorization` header.
pub(super) async fn connect(server: &str, eui: [u8; 8], key: Option<&str>) -> Result<Ws, RunError> {
    let url = format!("ws://{server}/traffic/eui-{:016X}", u64::from_be_bytes(eui));
    let plain = Connector::new(None).map_err(RunError::Options)?;
    plain.open(&url, key).await.map_err(RunError::Io)
}

/// The station's report of a simulated reception at concentrator time `xtime`, received now.
pub(super) fn received_frame(up: SimUplink, xtime: i64) -> ReceivedFrame {
    ReceivedFrame {
        phy_payload: up.phy_payload,
        freq: up.frequency as u32,
        modulation: Modulation::Lora {
            spreading_factor: up.spreading_factor as u8,
            bandwidth_khz: (up.bandwidth / 1000) as u16,
        },
        xtime,
        rctx: 0,
        gpstime: None,
        fts: None,
        rssi: i32::from(up.rssi),
        snr: f64::from(up.snr),
        rxtime: unix_now(),
    }
}

/// Runs one station until the stop signal or the server closes: uplinks start once the
/// `router_config` is in; every `dnmsg` is reported transmitted (`dntxed`).
pub(super) async fn run_gateway(mut gw: GatewaySim, mut ws: Ws) {
    let mut stop = gw.stop.clone();
    let mut session = StationSession::new(StationConfig::default(), std::time::Instant::now());
    let mut ticks = tokio::time::interval_at(gw.first_uplink, gw.period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut ready = false;
    let mut text = String::new();
    loop {
        while session.poll_transmit(&mut text) {
            if ws.send(Message::text(text.clone())).await.is_err() {
                return;
            }
        }
        let mut more = false;
        while let Some(event) = session.poll_event() {
            let now = std::time::Instant::now();
            match event {
                StationEvent::RouterConfig(_) => ready = true,
                StationEvent::XtimeRequested { mux_time } => {
                    let xtime = XTIME_SESSION + session.local_micros(now);
                    if let Err(e) = session.reply_xtime(now, unix_now(), mux_time, &[xtime]) {
                        tracing::debug!(gateway = gw.index, error = %e, "getxtime not answered");
                    }
                    more = true;
                }
                StationEvent::Transmit(request) => {
                    gw.downlink_received();
                    let Some(option) = request.options.first() else {
                        continue;
                    };
                    let started = TxStarted {
                        xtime: XTIME_SESSION + session.local_micros(now),
                        rctx: request.rctx,
                        dr: option.dr,
                        freq: option.freq,
                        gpstime: None,
                    };
                    if request.confirm {
                        match session.tx_started(now, request.diid, started) {
                            Ok(()) => GatewayCounters::add(&gw.counters.tx_acks_sent),
                            Err(e) => {
                                tracing::warn!(gateway = gw.index, error = %e, "dntxed not sent")
                            }
                        }
                        more = true;
                    }
                }
                other => tracing::debug!(gateway = gw.index, event = ?other, "station event"),
            }
        }
        if more {
            continue;
        }
        let wake = session
            .poll_timeout()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
        let sending = ready && gw.remaining != Some(0);
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => session.handle_message(std::time::Instant::now(), t.as_str()),
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(gateway = gw.index, error = %e, "websocket closed");
                    return;
                }
                None => return,
            },
            () = tokio::time::sleep_until(wake) => session.handle_timeout(std::time::Instant::now()),
            _ = ticks.tick(), if sending => {
                let Some(up) = gw.next_sim_uplink() else { continue };
                let now = std::time::Instant::now();
                let frame = received_frame(up, XTIME_SESSION + session.local_micros(now));
                match session.send_uplink(now, &frame) {
                    Ok(true) => gw.uplink_sent(),
                    Ok(false) => tracing::debug!(gateway = gw.index, "uplink filtered by router_config"),
                    Err(e) => tracing::warn!(gateway = gw.index, error = %e, "uplink not sent"),
                }
            }
            () = stopped(&mut stop) => {
                let _ = ws.close(None).await;
                return;
            }
        }
    }
}
