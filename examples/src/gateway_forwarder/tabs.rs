//! A simulated Tabs hub: basicstation's [`HubSession`] over a tokio-tungstenite websocket,
//! straight to the traffic endpoint `ws://{server}/traffic/eui-{EUI}` (opened as for a Basics
//! Station, [`super::lbs::connect`]: the key as the `Authorization` header).

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::Eui64;
use loragw_basicstation::region::Modulation;
use loragw_basicstation::tabs::xtime::downlink_xtime;
use loragw_basicstation::tabs::{HubConfig, HubEvent, HubSession, TabsUpInfo};
use tokio::time::MissedTickBehavior;
use tokio_tungstenite::tungstenite::Message;

use super::net::unix_now;
use super::report::GatewayCounters;
use super::ws::Ws;
use super::{GatewaySim, stopped};

/// The xtime session id (top 16 bits) of the simulated radio.
const SESSION: i64 = 1;

/// Runs one hub until the stop signal or the server closes: `version` first, uplinks once the
/// `router_config` is in; every `dnframe` is reported transmitted (`dntxed`).
pub(super) async fn run_gateway(mut gw: GatewaySim, mut ws: Ws) {
    let mut stop = gw.stop.clone();
    let mut session = HubSession::new(HubConfig {
        router: Eui64(u64::from_be_bytes(gw.eui)),
        station: "loragw-sim".into(),
        firmware: env!("CARGO_PKG_VERSION").into(),
    });
    if let Err(e) = session.start() {
        tracing::warn!(gateway = gw.index, error = %e, "version not sent");
        return;
    }
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
            match event {
                HubEvent::Configured(_) => ready = true,
                HubEvent::Downlink(frame) => {
                    gw.downlink_received();
                    match session.confirm(frame.seqno) {
                        Ok(()) => GatewayCounters::add(&gw.counters.tx_acks_sent),
                        Err(e) => tracing::warn!(gateway = gw.index, error = %e, "dntxed not sent"),
                    }
                    more = true;
                }
                other => tracing::debug!(gateway = gw.index, event = ?other, "hub event"),
            }
        }
        if more {
            continue;
        }
        let sending = ready && gw.remaining != Some(0);
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => session.handle_message(t.as_str()),
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(gateway = gw.index, error = %e, "websocket closed");
                    return;
                }
                None => return,
            },
            _ = ticks.tick(), if sending => {
                let Some(up) = gw.next_sim_uplink() else { continue };
                let modulation = Modulation::Lora {
                    spreading_factor: up.spreading_factor as u8,
                    bandwidth_khz: (up.bandwidth / 1000) as u16,
                };
                let Some(dr) = session.uplink_dr(modulation) else {
                    tracing::warn!(gateway = gw.index, ?modulation, "no DR in router_config");
                    continue;
                };
                let micros = gw.started.elapsed().as_micros() as i64;
                let upinfo = TabsUpInfo {
                    rxtime: unix_now(),
                    rtcx: 0,
                    xtime: downlink_xtime(SESSION, micros),
                    rssi: f64::from(up.rssi),
                    snr: f64::from(up.snr),
                };
                match session.send_uplink(&up.phy_payload, dr, up.frequency as u32, upinfo) {
                    Ok(()) => gw.uplink_sent(),
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
