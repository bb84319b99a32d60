//! Battery 4: amplification. A spoofed source sends small datagrams; the server must never
//! answer with more bytes than it was sent (times a small factor), so it cannot be used to
//! flood a victim whose address the attacker writes as the source.

use std::time::Duration;

use crate::Rng;
use crate::clients::{PULL_DATA, PUSH_DATA, TX_ACK, UdpGateway, gwmp};
use crate::fixtures::*;
use crate::support::{Harness, shared};

/// Bytes the server may send back per byte received from an unverified source. GWMP ACKs are
/// 4 bytes for a datagram of at least 12: well under 1.
const AMPLIFICATION_FACTOR: usize = 1;
/// How long replies to one probe are counted.
const LISTEN: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_replies_are_never_larger_than_what_was_sent() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut rng = Rng::new(0x5EED_0404);
    let mut probes: Vec<(String, Vec<u8>)> = Vec::new();
    for (who, eui) in [
        ("unknown", UNKNOWN_EUI),
        ("gw-udp", UDP_EUI),
        ("gw-mqtt3", MQTT3_EUI),
    ] {
        probes.push((
            format!("PUSH_DATA {{}} as {who}"),
            gwmp(1, PUSH_DATA, eui, "{}"),
        ));
        probes.push((
            format!("empty PUSH_DATA as {who}"),
            gwmp(2, PUSH_DATA, eui, ""),
        ));
        probes.push((format!("PULL_DATA as {who}"), gwmp(3, PULL_DATA, eui, "")));
        probes.push((format!("TX_ACK as {who}"), gwmp(4, TX_ACK, eui, "")));
        probes.push((format!("unknown type as {who}"), gwmp(5, 0x7F, eui, "")));
        let mut v1 = gwmp(6, PULL_DATA, eui, "");
        v1[0] = 1;
        probes.push((format!("v1 PULL_DATA as {who}"), v1));
    }
    for len in [1usize, 4, 8, 12] {
        probes.push((format!("{len} random bytes"), rng.bytes(len)));
    }
    probes.push(("header only".into(), vec![2, 0, 7, PULL_DATA]));

    let mut offenders = Vec::new();
    let (mut sent_total, mut received_total) = (0usize, 0usize);
    for (what, datagram) in &probes {
        let spoofed = UdpGateway::new(h.addrs.udp, UNKNOWN_EUI).await;
        spoofed.send(datagram).await;
        let (mut replies, mut bytes) = (0usize, 0usize);
        while let Some(reply) = spoofed.recv_within(LISTEN).await {
            replies += 1;
            bytes += reply.len();
        }
        sent_total += datagram.len();
        received_total += bytes;
        if bytes > datagram.len() * AMPLIFICATION_FACTOR || replies > 1 {
            offenders.push(format!(
                "{what}: {} bytes in, {replies} replies of {bytes} bytes out",
                datagram.len()
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "the UDP listener amplifies (factor {AMPLIFICATION_FACTOR} allowed): {offenders:#?}"
    );
    assert!(
        received_total <= sent_total * AMPLIFICATION_FACTOR,
        "{received_total} bytes answered to {sent_total} bytes from spoofed sources"
    );
    h.assert_all_protocols_healthy("spoofed-source datagrams")
        .await;
}
