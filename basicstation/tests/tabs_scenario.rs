//! The Tabs Hubs network session against the hub session on a virtual clock: discovery,
//! `version` → `router_config`, uplinks with clock sync, downlinks at an absolute xtime
//! confirmed with `dntxed` (in and out of order, duplicated), a lost `dnframe` timing out, an
//! uplink before the radio clock runs, and a reconnect with a new xtime session id.

use std::time::{Duration, Instant};

use loragw_basicstation::channel_plan::{
    ChannelPlan, ConcentratorPlan, MultiSfChannelPlan, RadioPlan,
};
use loragw_basicstation::discovery::{DiscoveryRequest, DiscoveryResponse, handle_request};
use loragw_basicstation::lns::UplinkKind;
use loragw_basicstation::region::{Modulation, Region};
use loragw_basicstation::tabs::{
    HubConfig, HubEvent, HubSession, TabsConfig, TabsDnframe, TabsDownlink, TabsEvent,
    TabsRouterConfigOptions, TabsSession, TabsUpInfo, build_tabs_router_config, xtime,
};
use loragw_basicstation::{Eui64, SessionError};

const WALL0: f64 = 1_795_585_800.0;
const HOP: Duration = Duration::from_millis(20);
const HUB: Eui64 = Eui64(0x0016_c001_ff10_a235);

fn plan() -> ChannelPlan {
    let ch = |freq, radio| MultiSfChannelPlan {
        freq,
        radio,
        min_dr: 0,
        max_dr: 5,
    };
    ChannelPlan {
        region: Region::Eu868,
        tx_freq_range: [863_000_000, 870_000_000],
        max_eirp_dbm: None,
        concentrators: vec![ConcentratorPlan {
            radios: [
                Some(RadioPlan {
                    freq: 867_500_000,
                    antenna_gain: None,
                }),
                Some(RadioPlan {
                    freq: 868_500_000,
                    antenna_gain: None,
                }),
            ],
            multi_sf: vec![ch(868_100_000, 1), ch(868_300_000, 1), ch(868_500_000, 1)],
            ..ConcentratorPlan::default()
        }],
        beacon: None,
    }
}

struct World {
    t0: Instant,
    now: Instant,
    server: TabsSession,
    hub: HubSession,
    radio_start: Instant,
    session_id: i64,
    server_events: Vec<TabsEvent>,
    /// Downlinks the hub received and has not transmitted yet.
    scheduled: Vec<TabsDnframe>,
    configured: bool,
    /// Drop the next n server → hub frames.
    lose_down: usize,
}

impl World {
    fn new(t0: Instant, now: Instant, session_id: i64) -> World {
        let config = build_tabs_router_config(&plan(), &TabsRouterConfigOptions::default())
            .expect("valid plan");
        World {
            t0,
            now,
            server: TabsSession::new(TabsConfig {
                router_config: Some(config),
                ..TabsConfig::default()
            }),
            hub: HubSession::new(HubConfig {
                router: HUB,
                station: "2.0.0".into(),
                firmware: "1.4".into(),
            }),
            radio_start: now,
            session_id,
            server_events: Vec::new(),
            scheduled: Vec::new(),
            configured: false,
            lose_down: 0,
        }
    }

    fn wall(&self) -> f64 {
        WALL0 + (self.now - self.t0).as_secs_f64()
    }

    fn micros_now(&self) -> i64 {
        i64::try_from((self.now - self.radio_start).as_micros()).expect("short runs")
    }

    /// Moves frames both ways (each hop costs `HOP`) until both sides are quiet.
    fn pump(&mut self) {
        let mut buf = String::new();
        loop {
            let mut moved = false;
            while self.hub.poll_transmit(&mut buf) {
                self.now += HOP;
                let wall = self.wall();
                self.server.handle_message(wall, &buf);
                moved = true;
            }
            while self.server.poll_transmit(&mut buf) {
                self.now += HOP;
                if self.lose_down > 0 {
                    self.lose_down -= 1;
                } else {
                    self.hub.handle_message(&buf);
                }
                moved = true;
            }
            while let Some(e) = self.hub.poll_event() {
                match e {
                    HubEvent::Configured(_) => self.configured = true,
                    HubEvent::Downlink(d) => self.scheduled.push(d),
                    other => panic!("unexpected hub event {other:?}"),
                }
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            if !moved {
                return;
            }
        }
    }

    /// Advances the clock to `until`, firing the server's timers and transmitting due
    /// downlinks at the hub (confirmed in schedule order).
    fn run_until(&mut self, until: Instant) {
        while self.now < until {
            self.now = (self.now + Duration::from_millis(100)).min(until);
            if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
                self.server.handle_timeout(self.now);
            }
            let now_us = self.micros_now();
            let (due, later): (Vec<_>, Vec<_>) = self
                .scheduled
                .drain(..)
                .partition(|d| xtime::micros_of(d.xtime) <= now_us);
            self.scheduled = later;
            for d in due {
                assert_eq!(xtime::session_of(d.xtime), self.session_id);
                self.hub.confirm(d.seqno).expect("small message");
            }
            self.pump();
        }
    }

    fn uplink(&mut self, phy: &[u8]) -> i64 {
        let x = xtime::downlink_xtime(self.session_id, self.micros_now());
        let dr = self
            .hub
            .uplink_dr(Modulation::Lora {
                spreading_factor: 9,
                bandwidth_khz: 125,
            })
            .expect("SF9 in the DRs table");
        self.hub
            .send_uplink(
                phy,
                dr,
                868_100_000,
                TabsUpInfo {
                    rxtime: self.wall(),
                    rtcx: 0,
                    xtime: x,
                    rssi: -80.0,
                    snr: 7.5,
                },
            )
            .expect("data frame");
        self.pump();
        x
    }

    fn take_events(&mut self) -> Vec<TabsEvent> {
        std::mem::take(&mut self.server_events)
    }
}

fn data_frame(fcnt: u8) -> Vec<u8> {
    vec![0x40, 1, 2, 3, 4, 0x00, fcnt, 0, 1, 0xaa, 0xbb, 1, 2, 3, 4]
}

fn connect(world: &mut World) {
    world.hub.start().expect("version");
    world.pump();
    assert!(world.configured);
    let events = world.take_events();
    assert!(matches!(&events[0], TabsEvent::Connected(v) if v.firmware == "1.4"));
    assert_eq!(events.len(), 1);
}

#[test]
fn discovery_then_traffic() {
    let mut req = String::new();
    DiscoveryRequest { router: HUB }.encode(&mut req).unwrap();
    let answer = handle_request(&req, |eui| {
        Ok(format!("ws://127.0.0.1:1888/traffic/eui-{:016X}", eui.0))
    });
    assert_eq!(
        DiscoveryResponse::decode(&answer).unwrap(),
        DiscoveryResponse::Muxs {
            router: HUB,
            muxs: "muxs-::0".into(),
            uri: "ws://127.0.0.1:1888/traffic/eui-0016C001FF10A235".into(),
        }
    );
}

#[test]
fn uplinks_and_downlinks_on_a_virtual_clock() {
    let t0 = Instant::now();
    let mut w = World::new(t0, t0, 0x2d);
    connect(&mut w);
    assert_eq!(
        w.hub.router_config().map(|c| c.region.as_str()),
        Some("EU863")
    );

    // Before any uplink there is no xtime session: the downlink is refused, not lost.
    let early = TabsDownlink {
        pdu: vec![0x60, 1],
        dr: 3,
        freq: 868_100_000,
        concentrator_micros: 1_000_000,
    };
    assert_eq!(
        w.server.send_downlink(w.now, w.wall(), early),
        Err(SessionError::NoXtimeSession)
    );

    w.now += Duration::from_secs(3);
    let up_xtime = w.uplink(&data_frame(1));
    let events = w.take_events();
    assert_eq!(
        events[0],
        TabsEvent::XtimeSession {
            session: 0x2d,
            previous: None
        }
    );
    let TabsEvent::Uplink(up) = &events[1] else {
        panic!("no uplink: {events:?}");
    };
    assert_eq!(up.kind, UplinkKind::Data);
    assert_eq!(up.phy_payload, data_frame(1));
    assert_eq!(up.radio.dr, 3);
    assert_eq!(
        up.modulation,
        Some(Modulation::Lora {
            spreading_factor: 9,
            bandwidth_khz: 125
        })
    );
    // RefTime echoes the router_config's MuxTime: a round trip of several hops.
    assert!(up.round_trip.is_some_and(|r| r >= HOP));
    assert_eq!(w.server.last_xtime(), Some(up_xtime));

    // RX1 one second after the uplink, on the hub's concentrator clock.
    let rx1 = xtime::micros_of(up_xtime) + 1_000_000;
    let seqno = w
        .server
        .send_downlink(
            w.now,
            w.wall(),
            TabsDownlink {
                pdu: vec![0x60, 1, 2, 3, 4],
                dr: 3,
                freq: 868_100_000,
                concentrator_micros: rx1,
            },
        )
        .unwrap();
    w.pump();
    assert_eq!(w.scheduled.len(), 1);
    assert_eq!(w.scheduled[0].xtime, xtime::downlink_xtime(0x2d, rx1));
    assert_eq!(w.scheduled[0].pdu, vec![0x60, 1, 2, 3, 4]);
    let until = w.now + Duration::from_secs(2);
    w.run_until(until);
    let events = w.take_events();
    assert!(
        matches!(events.as_slice(), [TabsEvent::TxConfirmed { seqno: s, .. }] if *s == seqno),
        "{events:?}"
    );

    // Two downlinks, the later one scheduled first: confirmed in TX order, both matched.
    let base = w.micros_now();
    let mut seqnos = Vec::new();
    for delay in [2_000_000, 1_000_000] {
        seqnos.push(
            w.server
                .send_downlink(
                    w.now,
                    w.wall(),
                    TabsDownlink {
                        pdu: vec![0x60],
                        dr: 0,
                        freq: 869_525_000,
                        concentrator_micros: base + delay,
                    },
                )
                .unwrap(),
        );
    }
    w.pump();
    let until = w.now + Duration::from_secs(3);
    w.run_until(until);
    let confirmed: Vec<u16> = w
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            TabsEvent::TxConfirmed { seqno, .. } => Some(seqno),
            _ => None,
        })
        .collect();
    assert_eq!(confirmed, vec![seqnos[1], seqnos[0]]);

    // A duplicated dntxed: the second one matches nothing.
    w.hub.confirm(i64::from(seqnos[0])).unwrap();
    w.pump();
    assert!(matches!(
        w.take_events().as_slice(),
        [TabsEvent::TxUnmatched(d)] if d.seqno == i64::from(seqnos[0])
    ));

    // A lost dnframe times out after the confirmation timeout.
    w.lose_down = 1;
    let lost = w
        .server
        .send_downlink(
            w.now,
            w.wall(),
            TabsDownlink {
                pdu: vec![0x60],
                dr: 0,
                freq: 869_525_000,
                concentrator_micros: w.micros_now() + 1_000_000,
            },
        )
        .unwrap();
    w.pump();
    assert!(w.scheduled.is_empty());
    let until = w.now + Duration::from_secs(11);
    w.run_until(until);
    assert_eq!(w.take_events(), vec![TabsEvent::TxTimeout { seqno: lost }]);
    assert_eq!(w.server.pending_downlinks(), 0);
}

#[test]
fn uplink_before_the_clock_runs_and_reconnect() {
    let t0 = Instant::now();
    let mut w = World::new(t0, t0, 7);
    connect(&mut w);
    // xtime 0: the hub's radio clock is not running; dropped, no session learnt.
    w.hub
        .send_uplink(&data_frame(1), 0, 868_100_000, TabsUpInfo::default())
        .unwrap();
    w.pump();
    assert_eq!(
        w.take_events(),
        vec![TabsEvent::UplinkWithoutXtime(UplinkKind::Data)]
    );
    assert_eq!(w.server.xtime_session(), None);
    w.uplink(&data_frame(2));
    assert_eq!(w.server.xtime_session(), Some(7));

    // The hub reconnects with a restarted radio: a new session, new session id.
    let now = w.now + Duration::from_secs(5);
    let mut w2 = World::new(t0, now, 8);
    connect(&mut w2);
    w2.uplink(&data_frame(3));
    assert!(matches!(
        w2.take_events().first(),
        Some(TabsEvent::XtimeSession {
            session: 8,
            previous: None
        })
    ));
    let seqno = w2
        .server
        .send_downlink(
            w2.now,
            w2.wall(),
            TabsDownlink {
                pdu: vec![0x60],
                dr: 0,
                freq: 869_525_000,
                concentrator_micros: w2.micros_now() + 500_000,
            },
        )
        .unwrap();
    assert_eq!(seqno, 1);
    w2.pump();
    let until = w2.now + Duration::from_secs(1);
    w2.run_until(until);
    assert!(matches!(
        w2.take_events().as_slice(),
        [TabsEvent::TxConfirmed { seqno: 1, .. }]
    ));
}
