//! The Basics Station load: every gateway is a station ([`StationSession`]) on a websocket of
//! its own to the LNS traffic endpoint (the simulator's [`crate::gateway_forwarder::lbs`]
//! connection, the key as `Authorization`); once its `router_config` is in, it sends `updf`
//! messages of its simulated data uplink, the FCnt counting up ([`super::events`]). The
//! protocol acknowledges no uplink: the server's count ([`super::counted`]) is the measure.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::station::{StationConfig, StationEvent, StationSession};
use tokio::sync::mpsc::Sender;
use tokio_tungstenite::tungstenite::Message;

use super::counted::{self, Gate};
use super::events::{EventTracker, mark};
use super::udp::Counts;
use super::{LoadOptions, LoadProgress};
use crate::gateway_forwarder::RunError;
use crate::gateway_forwarder::lbs::{XTIME_SESSION, connect, received_frame};
use crate::gateway_forwarder::sim::SimUplink;
use crate::gateway_forwarder::ws::Ws;

/// Runs the load; see the [module docs](self).
pub(super) fn run(
    options: &LoadOptions,
    events: Option<Arc<EventTracker>>,
    progress: &mut dyn FnMut(&LoadProgress),
) -> Result<Counts, RunError> {
    let sim = options.forwarder_options();
    counted::run(
        options,
        "lbs",
        events,
        |index, ready, gate| {
            let server = options.server.clone();
            let key = options.key.clone();
            let eui = sim.eui_of(index);
            let uplink = super::data_uplink(&sim, index);
            async move {
                let uplink = match uplink {
                    Ok(u) => u,
                    Err(e) => {
                        let _ = ready.send(Err(e)).await;
                        return;
                    }
                };
                match connect(&server, eui, key.as_deref()).await {
                    Ok(ws) => station(ws, index, uplink, ready, gate).await,
                    Err(e) => {
                        let _ = ready.send(Err(e)).await;
                    }
                }
            }
        },
        progress,
    )
}

/// One station (gateway `index`): the `version` / `router_config` handshake, then uplinks
/// (`uplink` with FCnt counting up) while the gate is open; answers the LNS's messages (time
/// sync) throughout.
async fn station(
    mut ws: Ws,
    index: u32,
    uplink: SimUplink,
    ready: Sender<Result<(), RunError>>,
    mut gate: Gate,
) {
    let mut session = StationSession::new(StationConfig::default(), std::time::Instant::now());
    let mut text = String::new();
    let mut configured = false;
    let mut ready = Some(ready);
    let mut sending = false;
    let mut stop = gate.sending.clone();
    let mut ticker = None;
    let mut seq = 0u32;
    loop {
        while session.poll_transmit(&mut text) {
            if ws.send(Message::text(text.clone())).await.is_err() {
                return;
            }
        }
        while let Some(event) = session.poll_event() {
            if let StationEvent::RouterConfig(_) = event {
                configured = true;
            }
        }
        if configured && let Some(ready) = ready.take() {
            let _ = ready.send(Ok(())).await;
            sending = gate.started().await;
            if !sending {
                break;
            }
            ticker = gate.ticker(index);
        }
        tokio::select! {
            biased;
            () = Gate::stopped(&mut stop), if sending => break,
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    session.handle_message(std::time::Instant::now(), t.as_str());
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    if let Some(ready) = ready.take() {
                        let _ = ready
                            .send(Err(RunError::Io("the LNS closed the websocket".into())))
                            .await;
                    }
                    return;
                }
            },
            () = Gate::tick(&mut ticker), if sending => {
                let now = std::time::Instant::now();
                let mut up = uplink.clone();
                mark(&mut up.phy_payload, seq);
                let frame = received_frame(up, XTIME_SESSION + session.local_micros(now));
                if let Ok(true) = session.send_uplink(now, &frame) {
                    gate.stamp(index, seq);
                    seq = seq.wrapping_add(1);
                    while session.poll_transmit(&mut text) {
                        if ws.send(Message::text(text.clone())).await.is_err() {
                            return;
                        }
                    }
                    gate.sent_one();
                }
            }
        }
    }
    let _ = ws.close(None).await;
    // The close handshake: the server's close frame (briefly: the run waits for every task).
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
