//! Basics Station over loopback: a tokio-tungstenite client driving basicstation's station
//! session does discovery, then traffic (version → router_config, updf → Uplink, downlink →
//! dnmsg → dntxed → TxAck); a reconnect replaces the old session; bad credentials are refused
//! before the upgrade; a station that stops answering pings is disconnected.

#![cfg(feature = "lbs")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use loragw_basicstation::station::{
    Modulation, ReceivedFrame, StationConfig, StationEvent, StationSession, TxStarted,
};
use loragw_gateway_io::event::{DisconnectReason, GatewayEvent, Protocol, TxFailure};
use loragw_gateway_io::ids::Eui64;
use loragw_gateway_io::transport::lbs::LbsSettings;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_gateway_io::ttnpb::{DataRate, DownlinkMessage, TxSettings, tx_settings};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{WebSocketStream, client_async};

use common::*;

const PHY: [u8; 17] = [
    0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x2A, 0x00, 0x0A, 0x01, 0x02, 0x03, 0x04, 0xA1, 0xB2, 0xC3,
    0xD4,
];

type Ws = WebSocketStream<TcpStream>;

async fn connect(
    addr: SocketAddr,
    path: &str,
    authorization: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(a) = authorization {
        request
            .headers_mut()
            .insert("authorization", a.parse().unwrap());
    }
    let tcp = TcpStream::connect(addr).await.unwrap();
    client_async(request, tcp).await.map(|(ws, _)| ws)
}

/// A station: the sans-IO session over a real websocket.
struct Station {
    ws: Ws,
    session: StationSession,
}

impl Station {
    async fn connect(addr: SocketAddr) -> Station {
        let ws = timeout(
            STEP,
            connect(addr, &format!("/traffic/eui-{GW_EUI:016X}"), Some(LNS_KEY)),
        )
        .await
        .unwrap()
        .unwrap();
        let mut station = Station {
            ws,
            session: StationSession::new(StationConfig::default(), Instant::now()),
        };
        station.flush().await;
        station
    }

    async fn flush(&mut self) {
        let mut text = String::new();
        while self.session.poll_transmit(&mut text) {
            self.ws.send(Message::text(text.clone())).await.unwrap();
        }
    }

    /// Reads frames until the session reports an event. Time transfer (`getxtime`, which the
    /// LNS starts on its own timer) is answered here, as a station would.
    async fn next_event(&mut self) -> StationEvent {
        loop {
            match self.session.poll_event() {
                Some(StationEvent::XtimeRequested { mux_time }) => {
                    let unix = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs_f64();
                    self.session
                        .reply_xtime(Instant::now(), unix, mux_time, &[0x0023_0000_1234_5678])
                        .unwrap();
                    self.flush().await;
                    continue;
                }
                Some(StationEvent::TimeTransfer { .. }) => continue,
                Some(event) => return event,
                None => {}
            }
            let frame = timeout(STEP, self.ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(text) = frame {
                self.session.handle_message(Instant::now(), text.as_str());
                self.flush().await;
            }
        }
    }
}

async fn next(server: &mut GatewayServer) -> GatewayEvent {
    timeout(STEP, server.next_event()).await.unwrap().unwrap()
}

async fn start(settings: LbsSettings) -> (GatewayServer, SocketAddr) {
    let server = GatewayServer::builder()
        .registry(registry())
        .basic_station_with("127.0.0.1:0", settings)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr(ListenerKind::BasicStation).unwrap();
    (server, addr)
}

#[tokio::test]
async fn discovery_answers_the_traffic_uri_and_closes() {
    let (_server, addr) = start(LbsSettings::default()).await;
    let mut ws = timeout(STEP, connect(addr, "/router-info", None))
        .await
        .unwrap()
        .unwrap();
    ws.send(Message::text(r#"{"router":"0102:0304:0506:0708"}"#))
        .await
        .unwrap();
    let answer = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert_eq!(
        answer["uri"],
        format!("ws://{addr}/traffic/eui-0102030405060708"),
        "{answer}"
    );
    assert_eq!(answer["muxs"], "muxs-::0");
    // Then the server closes with a well-formed close frame: code 1000 and a short reason.
    expect_normal_close(&mut ws).await;

    // An unknown station gets an error answer (logged as a refusal), then the same close.
    let mut ws = timeout(STEP, connect(addr, "/router-info", None))
        .await
        .unwrap()
        .unwrap();
    ws.send(Message::text(r#"{"router":"00FF:0000:0000:0001"}"#))
        .await
        .unwrap();
    let answer = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
    assert!(
        answer["error"].as_str().unwrap().contains("not registered"),
        "{answer}"
    );
    expect_normal_close(&mut ws).await;
}

/// Reads the close frame tungstenite's client parsed: code 1000, reason "discovery answered".
async fn expect_normal_close(ws: &mut Ws) {
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    match timeout(STEP, ws.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::Normal);
            assert_eq!(u16::from(frame.code), 1000);
            assert_eq!(frame.reason.as_str(), "discovery answered");
        }
        other => panic!("expected a close frame with a status code, got {other:?}"),
    }
}

#[tokio::test]
async fn traffic_uplink_downlink_tx_ack_and_reconnect() {
    let (mut server, addr) = start(LbsSettings::default()).await;
    let ids = gateway_ids();
    let mut station = Station::connect(addr).await;

    // version → router_config; the server reports Connected and the station's status.
    match station.next_event().await {
        StationEvent::RouterConfig(config) => {
            assert!(config.region.starts_with("EU"), "{}", config.region)
        }
        other => panic!("unexpected {other:?}"),
    }
    match next(&mut server).await {
        GatewayEvent::Connected {
            gateway, protocol, ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(protocol, Protocol::BasicStation);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Status { .. }
    ));

    // updf → Uplink.
    let frame = ReceivedFrame {
        phy_payload: PHY.to_vec(),
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
    station.session.send_uplink(Instant::now(), &frame).unwrap();
    station.flush().await;
    match next(&mut server).await {
        GatewayEvent::Uplink {
            gateway, message, ..
        } => {
            assert_eq!(gateway, ids);
            assert_eq!(message.raw_payload, PHY);
            let settings = message.settings.unwrap();
            assert_eq!(settings.frequency, 868_100_000);
            assert_eq!(settings.data_rate, Some(DataRate::lora(7, 125_000, "4/5")));
            assert_eq!(message.rx_metadata[0].rssi, -42.0);
            assert_eq!(message.rx_metadata[0].snr, 9.5);
        }
        other => panic!("unexpected {other:?}"),
    }

    // A class C downlink (RX2 at once) → dnmsg → the station transmits → dntxed → TxAck.
    let downlink = DownlinkMessage {
        raw_payload: vec![
            0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x01, 0x00, 0xAA, 0xBB, 0xCC, 0xDD,
        ],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            downlink: Some(tx_settings::Downlink {
                tx_power: 16.0,
                invert_polarization: true,
                ..Default::default()
            }),
            ..Default::default()
        })),
        correlation_ids: vec!["test:downlink:lbs".into()],
        ..Default::default()
    };
    timeout(STEP, server.send_downlink(&ids, downlink))
        .await
        .unwrap()
        .unwrap();
    let request = match station.next_event().await {
        StationEvent::Transmit(request) => request,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(request.pdu[0], 0x60);
    assert_eq!(request.options[0].freq, 869_525_000);
    assert!(request.confirm);
    station
        .session
        .tx_started(
            Instant::now(),
            request.diid,
            TxStarted {
                xtime: 0x0023_0000_2234_5678,
                rctx: 0,
                dr: request.options[0].dr,
                freq: request.options[0].freq,
                gpstime: None,
            },
        )
        .unwrap();
    station.flush().await;
    match next(&mut server).await {
        GatewayEvent::TxAck { gateway, ack, .. } => {
            assert_eq!(gateway, ids);
            assert_eq!(ack.result, TxResult::Success as i32);
            let carries_ids = |c: &Vec<String>| c.iter().any(|c| c == "test:downlink:lbs");
            assert!(
                carries_ids(&ack.correlation_ids)
                    || ack
                        .downlink_message
                        .as_ref()
                        .is_some_and(|d| carries_ids(&d.correlation_ids)),
                "{ack:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }

    // The station reconnects (say, after a link switch) while the old socket still looks
    // open: the new session replaces the old one, which the server closes.
    let mut second = Station::connect(addr).await;
    assert!(matches!(
        second.next_event().await,
        StationEvent::RouterConfig(_)
    ));
    let mut replaced = false;
    let mut reconnected = false;
    while !(replaced && reconnected) {
        match next(&mut server).await {
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(reason, DisconnectReason::Replaced);
                replaced = true;
            }
            GatewayEvent::Connected { .. } => reconnected = true,
            GatewayEvent::Status { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    loop {
        match timeout(STEP, station.ws.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    // Downlinks now go to the new session.
    let class_c = DownlinkMessage {
        raw_payload: vec![0x60, 0x04, 0x03, 0x02, 0x01, 0x00, 0x02, 0x00, 1, 2, 3, 4],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(12, 125_000, "4/5")),
            frequency: 869_525_000,
            ..Default::default()
        })),
        ..Default::default()
    };
    timeout(STEP, server.send_downlink(&ids, class_c))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        second.next_event().await,
        StationEvent::Transmit(_)
    ));

    // The station closes without confirming the class C downlink: that downlink ends in a
    // failed TxAck, then Disconnected, ClosedByGateway; the route is gone.
    second.ws.close(None).await.unwrap();
    let mut failed = 0;
    loop {
        match next(&mut server).await {
            // The second station's `version`, if not yet seen.
            GatewayEvent::Status { .. } => {}
            GatewayEvent::TxAck { ack, failure, .. } => {
                assert_eq!(ack.result, TxResult::UnknownError as i32);
                assert_eq!(
                    failure,
                    Some(TxFailure::Disconnected(DisconnectReason::ClosedByGateway))
                );
                failed += 1;
            }
            GatewayEvent::Disconnected { reason, .. } => {
                assert_eq!(failed, 1, "one failed TxAck before the disconnect");
                assert_eq!(reason, DisconnectReason::ClosedByGateway);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        server
            .send_downlink(&ids, DownlinkMessage::default())
            .await
            .is_err()
    );
}

fn http_status(result: Result<Ws, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(_) => panic!("upgrade accepted"),
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_before_the_upgrade() {
    let (mut server, addr) = start(LbsSettings::default()).await;
    let path = format!("/traffic/eui-{GW_EUI:016X}");
    let attempt = |path: String, auth: Option<&'static str>| async move {
        timeout(STEP, connect(addr, &path, auth)).await.unwrap()
    };
    assert_eq!(http_status(attempt(path.clone(), None).await), 401);
    assert_eq!(
        http_status(attempt(path.clone(), Some("NNSXS.WRONG")).await),
        401
    );
    // An unknown gateway gets the same answer as a wrong key.
    assert_eq!(
        http_status(attempt("/traffic/eui-FFFFFFFFFFFFFFFF".into(), Some(LNS_KEY)).await),
        401
    );
    assert_eq!(
        http_status(attempt("/traffic/gw-one".into(), Some(LNS_KEY)).await),
        400
    );
    assert_eq!(
        http_status(attempt("/elsewhere".into(), Some(LNS_KEY)).await),
        404
    );
    assert_eq!(server.stats().refused_unauthenticated, 3);
    // None of these produced a session; a good key does. The refusals are reported as
    // `Refused` (at most one a second), the first naming the station that was refused.
    assert_eq!(server.stats().sessions, 0);
    let _ok = attempt(path, Some(LNS_KEY)).await.unwrap();
    let mut refusals = 0;
    loop {
        match next(&mut server).await {
            GatewayEvent::Refused {
                gateway,
                protocol,
                remote,
                suppressed,
                ..
            } => {
                if refusals == 0 {
                    assert_eq!(gateway.eui, Some(Eui64::from_u64(GW_EUI)));
                    assert_eq!(protocol, Protocol::BasicStation);
                    assert!(remote.is_some_and(|r| r.ip().is_loopback()));
                }
                refusals += 1 + suppressed;
            }
            GatewayEvent::Connected { .. } => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((1..=3).contains(&refusals), "{refusals}");
}

#[tokio::test]
async fn a_station_that_stops_answering_pings_is_disconnected() {
    let settings = LbsSettings::default().with_ping_interval(Duration::from_millis(100));
    let (mut server, addr) = start(settings).await;
    let mut ws = timeout(
        STEP,
        connect(addr, &format!("/traffic/eui-{GW_EUI:016X}"), Some(LNS_KEY)),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    // Answer the first ping (tungstenite queues the pong while reading, sends it on flush),
    // then stop reading altogether.
    loop {
        let frame = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Ping(_) = frame {
            ws.flush().await.unwrap();
            break;
        }
    }
    match next(&mut server).await {
        GatewayEvent::Disconnected { reason, .. } => {
            assert_eq!(reason, DisconnectReason::MissedPongs)
        }
        other => panic!("unexpected {other:?}"),
    }
    drop(ws);
}

#[tokio::test]
async fn dropping_the_server_closes_station_connections() {
    let (mut server, addr) = start(LbsSettings::default()).await;
    let mut station = Station::connect(addr).await;
    assert!(matches!(
        station.next_event().await,
        StationEvent::RouterConfig(_)
    ));
    assert!(matches!(
        next(&mut server).await,
        GatewayEvent::Connected { .. }
    ));
    drop(server);
    loop {
        match timeout(STEP, station.ws.next()).await.unwrap() {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
}

/// `shutdown` returns only once each station's connection has written its close frame, so a
/// runtime stopped right after it (as the `gateway-server` binary stops its runtime on exit)
/// drops no goodbye. The server runs on a current-thread runtime that is shut down the moment
/// `shutdown` returns; the station runs on a thread of its own.
#[test]
fn shutdown_returns_after_every_close_frame_is_written() {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let server_runtime = runtime();
    let (mut server, addr) = server_runtime.block_on(start(LbsSettings::default()));
    let station = std::thread::spawn(move || {
        runtime().block_on(async move {
            let mut station = Station::connect(addr).await;
            loop {
                match timeout(STEP, station.ws.next()).await {
                    Ok(Some(Ok(Message::Close(_)))) => return true,
                    Ok(Some(Ok(_))) => {}
                    _ => return false,
                }
            }
        })
    });
    server_runtime.block_on(async {
        assert!(matches!(
            next(&mut server).await,
            GatewayEvent::Connected { .. }
        ));
        let events = server.shutdown(Duration::from_secs(5)).await;
        assert!(
            events.iter().any(|e| matches!(
                e,
                GatewayEvent::Disconnected {
                    reason: DisconnectReason::Shutdown,
                    ..
                }
            )),
            "{events:?}"
        );
    });
    server_runtime.shutdown_background();
    assert!(
        station.join().unwrap(),
        "the station's connection ended without a close frame"
    );
}

/// A class A answer built with `reply::class_a` from a station uplink (its uplink token) goes
/// out as a `dnmsg` whose RX1 is one second after the uplink's `xtime`, on the uplink channel
/// and data rate.
#[tokio::test]
async fn class_a_reply_by_uplink_token() {
    use loragw_basicstation::station::TxTime;
    use loragw_gateway_io::freqplan::FrequencyPlan;
    use loragw_gateway_io::reply;

    let (mut server, addr) = start(LbsSettings::default()).await;
    let ids = gateway_ids();
    let mut station = Station::connect(addr).await;
    assert!(matches!(
        station.next_event().await,
        StationEvent::RouterConfig(_)
    ));
    let xtime = 0x0023_0000_1234_5678;
    let frame = ReceivedFrame {
        phy_payload: PHY.to_vec(),
        freq: 868_300_000,
        modulation: Modulation::Lora {
            spreading_factor: 9,
            bandwidth_khz: 125,
        },
        xtime,
        rctx: 0,
        gpstime: None,
        fts: None,
        rssi: -42,
        snr: 9.5,
        rxtime: 1_700_000_000.5,
    };
    station.session.send_uplink(Instant::now(), &frame).unwrap();
    station.flush().await;
    let uplink = loop {
        if let GatewayEvent::Uplink { message, .. } = next(&mut server).await {
            break message;
        }
    };
    let token = reply::decode_uplink_token(&uplink.rx_metadata[0].uplink_token).unwrap();
    assert_eq!(token.timestamp, 0x1234_5678);
    let plan = FrequencyPlan::builtin("EU_863_870").unwrap();
    let down = reply::class_a(&uplink, &plan, vec![0x60, 1, 2, 3]).unwrap();
    timeout(STEP, server.send_downlink(&ids, down))
        .await
        .unwrap()
        .unwrap();
    let request = match station.next_event().await {
        StationEvent::Transmit(request) => request,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(request.pdu, [0x60, 1, 2, 3]);
    let rx1 = request.options[0];
    assert_eq!(
        (rx1.time, rx1.freq, rx1.dr),
        (TxTime::Xtime(xtime + 1_000_000), 868_300_000, 3)
    );
}

/// Time transfer over loopback: the LNS sends `getxtime` after `router_config`, the station
/// answers with the xtime of its (simulated) concentrator clock, and the GPS time the LNS
/// assigns to that xtime is within 1 ms of the truth (the station's own clock). TCP_NODELAY on
/// the LNS socket keeps the request from waiting in Nagle's buffer behind `router_config`.
#[tokio::test]
async fn time_transfer_is_accurate_to_a_millisecond() {
    use loragw_basicstation::xtime::gps_micros_to_unix;
    use std::time::{SystemTime, UNIX_EPOCH};

    let (_server, addr) = start(LbsSettings::default()).await;
    let request = format!("ws://{addr}/traffic/eui-{GW_EUI:016X}");
    let mut request = request.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", LNS_KEY.parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (ws, _) = timeout(STEP, client_async(request, tcp))
        .await
        .unwrap()
        .unwrap();
    let mut station = Station {
        ws,
        session: StationSession::new(StationConfig::default(), Instant::now()),
    };
    station.flush().await;

    // The concentrator clock: session 0x23, counting µs from `base` (plus one second).
    let base = Instant::now();
    let base_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    const XBASE: i64 = (0x23 << 48) + 1_000_000;
    let xtime_now = || XBASE + i64::try_from(base.elapsed().as_micros()).unwrap();
    let true_unix_of = |xtime: i64| base_unix + (xtime - XBASE) as f64 / 1e6;

    let (xtime, gpstime) = 'transfer: loop {
        while let Some(event) = station.session.poll_event() {
            match event {
                StationEvent::XtimeRequested { mux_time } => {
                    let unix = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap()
                        .as_secs_f64();
                    station
                        .session
                        .reply_xtime(Instant::now(), unix, mux_time, &[xtime_now()])
                        .unwrap();
                    station.flush().await;
                }
                StationEvent::TimeTransfer { xtime, gpstime } => break 'transfer (xtime, gpstime),
                _ => {}
            }
        }
        let frame = timeout(STEP, station.ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = frame {
            station
                .session
                .handle_message(Instant::now(), text.as_str());
            station.flush().await;
        }
    };
    let error_ms = (gps_micros_to_unix(gpstime) - true_unix_of(xtime)) * 1e3;
    assert!(
        error_ms.abs() <= 1.0,
        "xtime {xtime:#x} transferred as GPS {gpstime} µs: {error_ms:.3} ms off"
    );
}

/// A plain `ws://` station sends no `Authorization` (the station sends `tc.key` only over TLS
/// with a trust file): refused by default (HTTP 401), served by a listener that explicitly
/// allows unauthenticated stations, unless its registry entry requires authentication.
#[tokio::test]
async fn plain_ws_stations_need_an_explicitly_unauthenticated_listener() {
    use loragw_gateway_io::frontend::lbs::LbsConfig;

    let udp_gw = format!("/traffic/eui-{UDP_EUI:016X}");
    let keyed_gw = format!("/traffic/eui-{GW_EUI:016X}");
    let (_server, addr) = start(LbsSettings::default()).await;
    match timeout(STEP, connect(addr, &udp_gw, None)).await.unwrap() {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }

    let open = LbsSettings::new(LbsConfig {
        allow_unauthenticated: true,
        ..LbsConfig::default()
    });
    let (_server, addr) = start(open).await;
    let ws = timeout(STEP, connect(addr, &udp_gw, None))
        .await
        .unwrap()
        .unwrap();
    let mut station = Station {
        ws,
        session: StationSession::new(StationConfig::default(), Instant::now()),
    };
    station.flush().await;
    assert!(matches!(
        station.next_event().await,
        StationEvent::RouterConfig(_)
    ));
    // A gateway whose entry requires authentication is still refused there.
    match timeout(STEP, connect(addr, &keyed_gw, None)).await.unwrap() {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
}
