//! The LNS session against the station session on a virtual clock: connect, config, uplinks,
//! class A/B/C downlinks with `dntxed`, a dropped downlink timing out, time transfer, timesync,
//! duplicates, and a reconnect with a new xtime session id.

use std::time::{Duration, Instant};

use loragw_basicstation::lns::{
    DownlinkRequest, DownlinkSchedule, LnsConfig, LnsEvent, LnsSession, UplinkKind,
};
use loragw_basicstation::message::TxWindow;
use loragw_basicstation::router_config::RouterConfig;
use loragw_basicstation::station::{
    Modulation, ReceivedFrame, StationConfig, StationEvent, StationSession, TxStarted, TxTime,
};
use loragw_basicstation::{Eui64, SessionError, xtime};

const WALL0: f64 = 1_795_585_800.0;
const HOP: Duration = Duration::from_millis(20);

struct World {
    t0: Instant,
    now: Instant,
    lns: LnsSession,
    station: StationSession,
    radio_start: Instant,
    xtime_session: u8,
    lns_events: Vec<LnsEvent>,
    station_events: Vec<StationEvent>,
    /// Drop the next n station → LNS frames.
    lose_up: usize,
    /// Deliver the next n station → LNS frames twice.
    dup_up: usize,
}

fn eu868() -> RouterConfig {
    RouterConfig {
        region: "EU868".into(),
        hwspec: "sx1301/1".into(),
        freq_range: Some([863_000_000, 870_000_000]),
        drs: vec![
            [12, 125, 0],
            [11, 125, 0],
            [10, 125, 0],
            [9, 125, 0],
            [8, 125, 0],
            [7, 125, 0],
            [7, 250, 0],
            [0, 0, 0],
        ],
        // `mux_time` and the fields the router_config builder adds stay at their defaults.
        ..RouterConfig::default()
    }
}

impl World {
    fn new(t0: Instant, now: Instant, xtime_session: u8, station: StationConfig) -> World {
        World {
            t0,
            now,
            lns: LnsSession::new(LnsConfig {
                router_config: Some(eu868().into()),
                ..LnsConfig::default()
            }),
            station: StationSession::new(station, now),
            radio_start: now,
            xtime_session,
            lns_events: Vec::new(),
            station_events: Vec::new(),
            lose_up: 0,
            dup_up: 0,
        }
    }

    fn wall(&self) -> f64 {
        WALL0 + (self.now - self.t0).as_secs_f64()
    }

    fn xtime_now(&self) -> i64 {
        let us =
            i64::try_from((self.now - self.radio_start).as_micros()).expect("test runs are short");
        xtime::make(0, self.xtime_session, us + 1)
    }

    fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        // Fire timers on the way.
        loop {
            let next = [self.lns.poll_timeout(), self.station.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|&t| t <= target)
                .min();
            match next {
                Some(t) => {
                    self.now = self.now.max(t);
                    let wall = self.wall();
                    self.lns.handle_timeout(self.now, wall);
                    self.station.handle_timeout(self.now);
                    self.pump();
                }
                None => break,
            }
        }
        self.now = target;
        let wall = self.wall();
        self.lns.handle_timeout(self.now, wall);
        self.station.handle_timeout(self.now);
        self.pump();
    }

    /// Moves frames both ways (one hop of latency each) until both sides are quiet.
    fn pump(&mut self) {
        let mut buf = String::new();
        loop {
            let mut up = Vec::new();
            while self.station.poll_transmit(&mut buf) {
                up.push(buf.clone());
            }
            while let Some(e) = self.station.poll_event() {
                self.station_events.push(e);
            }
            let mut down = Vec::new();
            while self.lns.poll_transmit(&mut buf) {
                down.push(buf.clone());
            }
            while let Some(e) = self.lns.poll_event() {
                self.lns_events.push(e);
            }
            if up.is_empty() && down.is_empty() {
                return;
            }
            self.now += HOP;
            let wall = self.wall();
            for m in up {
                if self.lose_up > 0 {
                    self.lose_up -= 1;
                    continue;
                }
                self.lns.handle_message(self.now, wall, &m);
                if self.dup_up > 0 {
                    self.dup_up -= 1;
                    self.lns.handle_message(self.now, wall, &m);
                }
            }
            for m in down {
                self.station.handle_message(self.now, &m);
            }
        }
    }

    fn receive(&mut self, phy: &[u8], sf: u8) -> i64 {
        let xtime = self.xtime_now();
        let frame = ReceivedFrame {
            phy_payload: phy.to_vec(),
            freq: 868_100_000,
            modulation: Modulation::Lora {
                spreading_factor: sf,
                bandwidth_khz: 125,
            },
            xtime,
            rctx: 0,
            gpstime: None,
            fts: Some(123_456),
            rssi: -80,
            snr: 7.5,
            rxtime: self.wall(),
        };
        let forwarded = self
            .station
            .send_uplink(self.now, &frame)
            .expect("the station accepts the frame");
        assert!(forwarded, "no router_config filter applies");
        self.pump();
        xtime
    }

    /// Plays the radio: starts every requested transmission at its first option.
    fn transmit_all(&mut self) -> usize {
        let mut n = 0;
        let events = std::mem::take(&mut self.station_events);
        for e in events {
            if let StationEvent::Transmit(tx) = e {
                let opt = tx.options[0];
                let (xtime, gpstime) = match opt.time {
                    TxTime::Xtime(x) => (x, None),
                    TxTime::Gps(g) => (self.xtime_now(), Some(g)),
                    TxTime::Asap => (self.xtime_now(), None),
                };
                if tx.confirm {
                    self.station
                        .tx_started(
                            self.now,
                            tx.diid,
                            TxStarted {
                                xtime,
                                rctx: tx.rctx,
                                dr: opt.dr,
                                freq: opt.freq,
                                gpstime,
                            },
                        )
                        .expect("a confirmed downlink is pending");
                }
                n += 1;
            } else {
                self.station_events.push(e);
            }
        }
        self.pump();
        n
    }

    fn take_lns(&mut self) -> Vec<LnsEvent> {
        std::mem::take(&mut self.lns_events)
    }
}

fn data_frame(fcnt: u8) -> Vec<u8> {
    vec![
        0x40, 0x04, 0x03, 0x02, 0x01, 0x80, fcnt, 0x00, 0x01, 0xAA, 0xBB, 0x11, 0x22, 0x33, 0x44,
    ]
}

const JOIN_REQUEST: [u8; 23] = [
    0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12,
    0x11, 0x22, 0x21, 0x34, 0x33, 0x32, 0x31,
];

fn request(dev_eui: u64, schedule: DownlinkSchedule) -> DownlinkRequest {
    DownlinkRequest {
        dev_eui: Eui64(dev_eui),
        pdu: vec![0x60, 1, 2, 3, 4, 0, 0, 0, 9, 9, 9, 9],
        priority: 0,
        rctx: Some(0),
        schedule,
    }
}

#[test]
fn lns_and_station_on_a_virtual_clock() {
    let t0 = Instant::now();
    let mut w = World::new(t0, t0, 0x92, StationConfig::default());

    // Connect: version, then router_config; the LNS starts its time-transfer timer.
    w.pump();
    assert!(matches!(&w.take_lns()[0], LnsEvent::Connected(v) if v.protocol == 2));
    assert!(matches!(&w.station_events[0], StationEvent::RouterConfig(c) if c.region == "EU868"));
    w.station_events.clear();

    // LNS-initiated time transfer: getxtime -> station reply -> timesync xtime+gpstime.
    w.advance(Duration::ZERO);
    let Some(StationEvent::XtimeRequested { mux_time }) = w.station_events.pop() else {
        panic!("{:?}", w.station_events)
    };
    let (now, wall, x) = (w.now, w.wall(), w.xtime_now());
    w.station
        .reply_xtime(now, wall, mux_time, &[x, 0, 0, 0])
        .unwrap();
    w.pump();
    let transfer = w
        .station_events
        .iter()
        .find_map(|e| match e {
            StationEvent::TimeTransfer { xtime, gpstime } => Some((*xtime, *gpstime)),
            _ => None,
        })
        .expect("time transfer reached the station");
    // The GPS time maps the xtime to the LNS wall clock at the sampling instant (±1 hop).
    let gps_at_sample = xtime::unix_to_gps_micros(wall);
    assert_eq!(transfer.0, x);
    assert!(
        (transfer.1 - gps_at_sample).abs() <= 20_000,
        "{transfer:?} vs {gps_at_sample}"
    );
    w.station_events.clear();
    w.take_lns();

    // Uplinks: exact PHYPayload, radio metadata and a round trip from RefTime.
    w.advance(Duration::from_secs(3));
    let up_xtime = w.receive(&data_frame(1), 7);
    w.receive(&JOIN_REQUEST, 10);
    w.receive(&[0xE0, 0xDE, 0xAD], 12);
    let ev = w.take_lns();
    let ups: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            LnsEvent::Uplink(u) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(ups.len(), 3);
    assert_eq!(
        (ups[0].kind, &ups[0].phy_payload),
        (UplinkKind::Data, &data_frame(1))
    );
    assert_eq!(ups[0].radio.dr, 5);
    assert_eq!(
        ups[0].modulation,
        Some(Modulation::Lora {
            spreading_factor: 7,
            bandwidth_khz: 125
        })
    );
    assert_eq!(ups[0].radio.upinfo.xtime, up_xtime);
    assert_eq!(ups[0].radio.upinfo.fts, Some(123_456));
    assert_eq!(ups[0].radio.upinfo.snr, 7.5);
    // RefTime = MuxTime (sent with the last LNS message) + elapsed; RTT ≈ 2 hops.
    let rtt = ups[0].round_trip.expect("RTT from RefTime");
    assert!(rtt >= HOP && rtt <= 3 * HOP, "{rtt:?}");
    assert_eq!(
        (ups[1].kind, ups[1].phy_payload.as_slice()),
        (UplinkKind::JoinRequest, &JOIN_REQUEST[..])
    );
    assert_eq!(ups[1].radio.dr, 2);
    assert_eq!(ups[2].kind, UplinkKind::Proprietary);
    assert_eq!(w.lns.xtime_session(), Some(0x92));

    // Class A: RX1 one second after the uplink's xtime; confirmed by diid.
    let (now, wall) = (w.now, w.wall());
    let a = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0102,
                DownlinkSchedule::ClassA {
                    uplink_xtime: up_xtime,
                    rx_delay: 1,
                    rx1: Some(TxWindow {
                        dr: 5,
                        freq: 868_100_000,
                    }),
                    rx2: Some(TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    }),
                },
            ),
        )
        .unwrap();
    w.pump();
    let StationEvent::Transmit(tx) = &w.station_events[0] else {
        panic!()
    };
    assert_eq!(
        tx.options[0].time,
        TxTime::Xtime(xtime::add_micros(up_xtime, 1_000_000))
    );
    assert_eq!(
        tx.options[1].time,
        TxTime::Xtime(xtime::add_micros(up_xtime, 2_000_000))
    );
    assert_eq!(
        tx.options[0].modulation,
        Modulation::Lora {
            spreading_factor: 7,
            bandwidth_khz: 125
        }
    );
    assert_eq!(w.transmit_all(), 1);
    let ev = w.take_lns();
    assert!(
        matches!(&ev[0], LnsEvent::TxConfirmed { diid, dntxed } if *diid == a && dntxed.xtime == xtime::add_micros(up_xtime, 1_000_000)),
        "{ev:?}"
    );

    // Class B at a GPS time, and class C as soon as possible.
    let (now, wall) = (w.now, w.wall());
    let gps = xtime::unix_to_gps_micros(wall + 30.0);
    let b = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0B,
                DownlinkSchedule::ClassB {
                    gpstime: gps,
                    window: TxWindow {
                        dr: 3,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    let c = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0C,
                DownlinkSchedule::ClassC {
                    window: TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    w.pump();
    assert_eq!(w.transmit_all(), 2);
    let ev = w.take_lns();
    assert!(ev.iter().any(|e| matches!(e, LnsEvent::TxConfirmed { diid, dntxed } if *diid == b && dntxed.gpstime == Some(gps))), "{ev:?}");
    assert!(
        ev.iter()
            .any(|e| matches!(e, LnsEvent::TxConfirmed { diid, .. } if *diid == c)),
        "{ev:?}"
    );

    // A DR the sent router_config does not define (DR9) is refused by the LNS up front, since
    // the station would drop it silently.
    let (now, wall) = (w.now, w.wall());
    let refused = w.lns.send_downlink(
        now,
        wall,
        request(
            0x0D,
            DownlinkSchedule::ClassC {
                window: TxWindow {
                    dr: 9,
                    freq: 869_525_000,
                },
            },
        ),
    );
    assert!(
        matches!(refused, Err(SessionError::UnknownDataRate(_))),
        "{refused:?}"
    );
    // A downlink the radio fails to send (too late, duty cycle, CCA): no dntxed exists in the
    // protocol, so the LNS reports a timeout once the deadline passes.
    let dropped = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0D,
                DownlinkSchedule::ClassC {
                    window: TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    w.pump();
    let Some(StationEvent::Transmit(tx)) = w.station_events.pop() else {
        panic!("{:?}", w.station_events)
    };
    w.station.tx_failed(tx.diid);
    w.advance(Duration::from_secs(11));
    assert!(w.take_lns().contains(&LnsEvent::TxTimeout {
        diid: dropped,
        dev_eui: Eui64(0x0D)
    }));

    // A lost dntxed also times out; its late duplicate is reported unmatched.
    let (now, wall) = (w.now, w.wall());
    let lost = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0E,
                DownlinkSchedule::ClassC {
                    window: TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    w.pump();
    w.lose_up = 1;
    w.transmit_all();
    w.advance(Duration::from_secs(11));
    assert!(w.take_lns().contains(&LnsEvent::TxTimeout {
        diid: lost,
        dev_eui: Eui64(0x0E)
    }));

    // A duplicated dntxed: the first confirms, the copy is reported unmatched.
    let (now, wall) = (w.now, w.wall());
    let dup = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0F,
                DownlinkSchedule::ClassC {
                    window: TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    w.pump();
    w.dup_up = 1;
    w.transmit_all();
    let ev = w.take_lns();
    assert!(
        matches!(&ev[0], LnsEvent::TxConfirmed { diid, .. } if *diid == dup),
        "{ev:?}"
    );
    assert!(
        matches!(&ev[1], LnsEvent::TxUnmatched(d) if d.diid == dup),
        "{ev:?}"
    );
    assert_eq!(w.lns.pending_downlinks(), 0);

    // Reconnect: new websocket, new sessions, radio restarted with a new xtime session id.
    let old_xtime = up_xtime;
    let now = w.now;
    let mut w = World::new(
        t0,
        now,
        0x17,
        StationConfig {
            timesync_interval: Some(Duration::from_secs(60)),
            ..StationConfig::default()
        },
    );
    w.pump();
    w.take_lns();
    w.station_events.clear();
    // Class C works before the first uplink of the new session.
    let (now, wall) = (w.now, w.wall());
    let early = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                0x0C,
                DownlinkSchedule::ClassC {
                    window: TxWindow {
                        dr: 0,
                        freq: 869_525_000,
                    },
                },
            ),
        )
        .unwrap();
    w.pump();
    w.transmit_all();
    assert!(
        w.take_lns()
            .iter()
            .any(|e| matches!(e, LnsEvent::TxConfirmed { diid, .. } if *diid == early))
    );
    // Station-initiated timesync (PPS station): answered, and the station knows GPS time.
    w.advance(Duration::ZERO);
    assert!(
        w.take_lns()
            .iter()
            .any(|e| matches!(e, LnsEvent::TimesyncAnswered { .. }))
    );
    let gps_now = w.station.gps_time(w.now).expect("timesync completed");
    let expect = xtime::unix_to_gps_micros(w.wall());
    assert!((gps_now - expect).abs() <= 20_000, "{gps_now} vs {expect}");
    // The class C dntxed already revealed the new session id (a fresh LnsSession has none
    // before); a class A reply to an old-session uplink is refused.
    assert_eq!(w.lns.xtime_session(), Some(0x17));
    w.advance(Duration::from_secs(1));
    let new_up = w.receive(&data_frame(2), 9);
    let (now, wall) = (w.now, w.wall());
    let stale = w.lns.send_downlink(
        now,
        wall,
        request(
            1,
            DownlinkSchedule::ClassA {
                uplink_xtime: old_xtime,
                rx_delay: 1,
                rx1: Some(TxWindow {
                    dr: 3,
                    freq: 868_100_000,
                }),
                rx2: None,
            },
        ),
    );
    assert!(
        matches!(stale, Err(SessionError::InvalidArgument(_))),
        "{stale:?}"
    );
    let fresh = w
        .lns
        .send_downlink(
            now,
            wall,
            request(
                1,
                DownlinkSchedule::ClassA {
                    uplink_xtime: new_up,
                    rx_delay: 1,
                    rx1: Some(TxWindow {
                        dr: 3,
                        freq: 868_100_000,
                    }),
                    rx2: None,
                },
            ),
        )
        .unwrap();
    w.pump();
    w.transmit_all();
    assert!(
        w.take_lns()
            .iter()
            .any(|e| matches!(e, LnsEvent::TxConfirmed { diid, .. } if *diid == fresh))
    );
}
