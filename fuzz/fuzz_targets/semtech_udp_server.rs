//! Semtech UDP server state machine: an arbitrary sequence of datagrams (from a few source
//! addresses), downlink commands and timeouts on a monotonic clock never panics, and the
//! outputs stay consistent (every transmit goes to a known kind of destination, timeouts are
//! not in the past after handling). Admission is fuzzed too: either every gateway is admitted,
//! or the input answers the server's admission requests; the admitted, pending and refused
//! tables never exceed their bounds.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_semtech_udp::{
    Admission, Bandwidth, DataRate, Frequency, GatewayEui, PacketType, Server, ServerConfig,
    TxTiming, Txpk,
};

#[derive(Arbitrary, Debug)]
enum Step {
    Datagram {
        from: u8,
        advance_ms: u16,
        bytes: Vec<u8>,
    },
    Downlink {
        gateway: u8,
        advance_ms: u16,
        tmst: Option<u32>,
    },
    Timeout {
        advance_ms: u32,
    },
    /// Answer (or drop) an admission request for gateway `gateway % 4`.
    Answer {
        gateway: u8,
        admit: Option<bool>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    ask: bool,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let Input { ask, steps } = input;
    let t0 = Instant::now();
    let mut now = t0;
    let config = ServerConfig {
        schedule_late: Some(Default::default()),
        address_change_block: Some(Duration::from_secs(1)),
        admission: if ask {
            Admission::Ask
        } else {
            Admission::AdmitAll
        },
        max_gateways: 8,
        max_pending_admissions: 2,
        max_refused_cached: 2,
        ..ServerConfig::default()
    };
    let mut server = Server::new(config);
    let mut buf = Vec::new();
    for step in steps.into_iter().take(256) {
        match step {
            Step::Datagram {
                from,
                advance_ms,
                bytes,
            } => {
                now += Duration::from_millis(u64::from(advance_ms));
                let addr = SocketAddr::from(([10, 0, 0, from % 4], 1700 + u16::from(from % 3)));
                server.handle_datagram(now, addr, &bytes);
            }
            Step::Downlink {
                gateway,
                advance_ms,
                tmst,
            } => {
                now += Duration::from_millis(u64::from(advance_ms));
                let txpk = Txpk {
                    timing: tmst.map_or(TxTiming::Immediate, TxTiming::Timestamp),
                    freq: Frequency::from_hz(869_525_000),
                    rfch: 0,
                    powe: Some(14),
                    ant: None,
                    brd: None,
                    datr: DataRate::Lora {
                        spreading_factor: 9,
                        bandwidth: Bandwidth::Khz125,
                    },
                    codr: None,
                    fdev: None,
                    ipol: Some(true),
                    prea: None,
                    ncrc: None,
                    nhdr: None,
                    data: vec![gateway; 12],
                };
                let _ =
                    server.send_downlink(now, GatewayEui([0, 0, 0, 0, 0, 0, 0, gateway % 4]), txpk);
            }
            Step::Answer { gateway, admit } => {
                let eui = GatewayEui([0, 0, 0, 0, 0, 0, 0, gateway % 4]);
                match admit {
                    Some(true) => {
                        let admitted = server.admit(now, eui);
                        assert_eq!(admitted, server.protocol_version(eui).is_some());
                    }
                    Some(false) => {
                        let _ = server.refuse(now, eui);
                    }
                    None => server.cancel_admission(now, eui),
                }
            }
            Step::Timeout { advance_ms } => {
                now += Duration::from_millis(u64::from(advance_ms % 600_000));
                server.handle_timeout(now);
                if let Some(next) = server.poll_timeout() {
                    assert!(next > now || server.has_output(), "a due timer survived handle_timeout");
                }
            }
        }
        while let Some(t) = server.poll_transmit(&mut buf) {
            assert!(matches!(
                t.packet_type,
                PacketType::PushAck | PacketType::PullAck | PacketType::PullResp
            ));
            assert_eq!(buf[3], t.packet_type.to_byte());
        }
        while server.poll_event().is_some() {}
        assert!(server.gateway_count() <= 8);
        assert!(server.pending_admissions() <= 2);
        assert!(server.refused_cached() <= 2);
    }
});
