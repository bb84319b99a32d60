//! Battery 2: extreme numbers (±1e300, `1e309`, NaN-ish literals, i64/u64 limits, -1, 0) in
//! every numeric field of every message type, one field at a time. After each message a probe
//! checks the listener still answers (so a failure names the exact input), and afterwards
//! every event must carry range-checked numbers and every protocol must still be served.

use loragw_gateway_io::ttnpb::prost::Message as _;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{ConnectReturnCode, Packet};

use crate::clients::{PUSH_DATA, RawMqtt, Station, TX_ACK, UdpGateway};
use crate::fixtures::*;
use crate::mutate::{Mutation, bytes_of, json_mutations, protobuf_mutations};
use crate::support::{Harness, shared};

/// Pause after each hostile datagram of a registered gateway, to stay under the server's
/// per-gateway rate limit (so a missing PULL_ACK means a broken listener, not a limit).
const PACE: std::time::Duration = std::time::Duration::from_millis(3);

const PHY_B64: &str = "QAQDAgGAKgAKAQIDBKGyw9Q=";

fn udp_templates() -> Vec<(&'static str, u8, String)> {
    vec![
        (
            "rxpk (v1 metadata)",
            PUSH_DATA,
            format!(
                r#"{{"rxpk":[{{"time":"2026-01-01T00:00:00.000001Z","tmms":1400000000000,"tmst":3000000123,"chan":2,"rfch":1,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","lsnr":9.5,"rssi":-42,"rssis":-43,"foff":-100,"brd":1,"aesk":1,"ftime":1000,"size":17,"data":"{PHY_B64}"}}]}}"#
            ),
        ),
        (
            "rxpk (v2 rsig metadata)",
            PUSH_DATA,
            format!(
                r#"{{"rxpk":[{{"jver":2,"tmst":3000000123,"tmms":1400000000000,"chan":2,"rfch":1,"mid":8,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","size":17,"data":"{PHY_B64}","rsig":[{{"ant":0,"chan":3,"rssic":-42,"rssis":-43,"rssisd":1,"lsnr":9.5,"etime":"AAECAwQFBgcICQoLDA0ODw==","ftime":1000,"foff":-12,"fdri":3}}]}}]}}"#
            ),
        ),
        (
            "rxpk (FSK)",
            PUSH_DATA,
            format!(
                r#"{{"rxpk":[{{"tmst":3000000123,"chan":2,"rfch":0,"freq":868.8,"stat":1,"modu":"FSK","datr":50000,"rssi":-60,"size":17,"data":"{PHY_B64}"}}]}}"#
            ),
        ),
        (
            "stat",
            PUSH_DATA,
            r#"{"stat":{"time":"2026-01-01 00:00:00 GMT","boot":"2026-01-01 00:00:00 GMT","lati":46.5,"long":6.25,"alti":400,"rxnb":10,"rxok":9,"rxfw":8,"ackr":100.0,"dwnb":2,"txnb":2,"temp":30.5,"lpps":1,"lmnw":1,"lmst":1,"lmok":1,"fpga":1,"dsp":1}}"#.to_owned(),
        ),
        ("txpk_ack", TX_ACK, r#"{"txpk_ack":{"error":"NONE","warn":"TX_POWER","value":14,"tmst":1}}"#.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_extreme_numbers_in_every_field() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let mut gw = UdpGateway::new(h.addrs.udp, UDP_EUI).await;
    let mut sent = 0usize;
    let stalled = h
        .during(async {
            for (name, kind, template) in udp_templates() {
                for m in json_mutations(&template) {
                    gw.send_kind(kind, &m.text).await;
                    sent += 1;
                    // Under the server's per-gateway rate limit (10 datagrams in 10 ms).
                    tokio::time::sleep(PACE).await;
                    if !gw.pull(STEP).await {
                        return Some(format!("{name} {} = {}: {}", m.field, m.value, m.text));
                    }
                }
            }
            None
        })
        .await;
    assert_eq!(
        stalled, None,
        "the UDP listener stopped answering after this datagram"
    );
    assert!(
        sent > 500,
        "only {sent} mutations: the templates lost their numbers"
    );
    h.assert_events_sane("extreme numbers over Semtech UDP");
    h.assert_all_protocols_healthy("extreme numbers over Semtech UDP")
        .await;
}

/// One template per upstream message type, every numeric field present; `getxtime` last
/// (it used to kill the listener's driver, which would hide the others).
const LBS_TEMPLATES: &[&str] = &[
    r#"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}"#,
    r#"{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":7,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
    r#"{"msgtype":"jreq","MHdr":0,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,"RefTime":1795585800.783759,"DR":2,"Freq":868300000,"upinfo":{"rctx":0,"xtime":41095346870193749,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585800.783765}}"#,
    r#"{"msgtype":"rejoin","MHdr":192,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":8482,"MIC":825373492,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
    r#"{"msgtype":"propdf","FRMPayload":"E0DEADBEEF","RefTime":1795585800.783773,"DR":3,"Freq":868500000,"upinfo":{"rctx":0,"xtime":41095346870193816,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585800.783773}}"#,
    r#"{"msgtype":"dntxed","seqno":1,"diid":1,"DR":5,"Freq":868100000,"DevEui":"00-00-00-00-11-00-00-01","rctx":0,"xtime":34902897383558425,"txtime":2993.253003,"gpstime":1}"#,
    r#"{"msgtype":"timesync","txtime":3170015805}"#,
    r#"{"msgtype":"rmtsh","rmtsh":[{"user":"x","started":true,"age":3,"pid":1234}]}"#,
    r#"{"msgtype":"event","evcat":"gps","evmsg":{"evtype":"fix","lat":46.5,"lon":6.25,"alt":400,"dilution":1.5,"satellites":7,"quality":1}}"#,
    r#"{"msgtype":"event","evcat":"gps","evmsg":{"evtype":"nofix","since":12000000}}"#,
    r#"{"msgtype":"alarm","text":"x","level":1}"#,
    r#"{"msgtype":"dndf","MHdr":96,"DevAddr":-2130574588,"FCtrl":33,"FCnt":10,"FOpts":"06","FPort":5,"FRMPayload":"","MIC":-186395967,"RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
    r#"{"msgtype":"jacc","FRMPayload":"20493EEB51FBA2116F810EDB3742975142","RefTime":1795585801.287379,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":41095346870695287,"gpstime":1,"fts":5,"rssi":-50,"snr":9,"rxtime":1795585801.28738}}"#,
    r#"{"msgtype":"getxtime","MuxTime":1795585773.55788,"ustime":3170.015805,"UTCtime":1795585773.558034,"xtimes":[52072870960908878,1,2,3]}"#,
];

/// Inputs that stop the LBS listener are collected, a fresh server started after each, up to
/// this many: one run names them all (each costs two probe waits).
const MAX_KILLERS: usize = 4;
/// How long a `timesync` probe may take before the listener is suspected dead.
const PROBE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends `mutations` over one station, probing after each. `Ok(closed)`: all served (the
/// number of times the server closed the station); `Err((index, closed))`: the listener no
/// longer serves stations after `mutations[index]`.
async fn lbs_run(
    addr: std::net::SocketAddr,
    mutations: &[&Mutation],
) -> Result<usize, (usize, usize)> {
    let mut closed = 0usize;
    let mut station = Station::connect(addr, LBS_EUI, LBS_KEY)
        .await
        .map_err(|_| (0, 0))?;
    for (i, m) in mutations.iter().enumerate() {
        let marker = 1_000_000 + 2 * i as u32;
        station.send_text(m.text.clone()).await;
        if station.probe(marker, PROBE_WAIT).await {
            continue;
        }
        // Closing a connection that sends nonsense is allowed; the listener must then still
        // take a new one and serve it.
        closed += 1;
        let served = match Station::connect(addr, LBS_EUI, LBS_KEY).await {
            Ok(mut fresh) => {
                let ok = fresh.probe(marker + 1, PROBE_WAIT).await;
                station = fresh;
                ok
            }
            Err(_) => false,
        };
        if !served {
            return Err((i, closed));
        }
    }
    Ok(closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lbs_extreme_numbers_in_every_upstream_message() {
    let _guard = shared().await;
    let mutations: Vec<Mutation> = LBS_TEMPLATES
        .iter()
        .flat_map(|t| json_mutations(t))
        .collect();
    assert!(
        mutations.len() > 1_000,
        "only {} mutations",
        mutations.len()
    );
    let mut h = Harness::start().await;
    let mut todo: Vec<&Mutation> = mutations.iter().collect();
    let (mut tried, mut closed) = (0usize, 0usize);
    let mut killers: Vec<&Mutation> = Vec::new();
    let mut insane = Vec::new();
    while !todo.is_empty() && killers.len() < MAX_KILLERS {
        let addr = h.addrs.lbs;
        match h.during(lbs_run(addr, &todo)).await {
            Ok(c) => {
                closed += c;
                tried += todo.len();
                todo.clear();
            }
            Err((i, c)) => {
                closed += c;
                tried += i + 1;
                let killer = todo[i];
                killers.push(killer);
                // The same field in other messages likely fails the same way: skip it, so
                // that the killers listed are different bugs.
                todo = todo[i + 1..]
                    .iter()
                    .copied()
                    .filter(|m| m.field != killer.field)
                    .collect();
                insane.extend(h.insane_events());
                h = Harness::start().await;
            }
        }
    }
    let killers: Vec<String> = killers
        .iter()
        .map(|m| format!("{} = {}: {}", m.field, m.value, m.text))
        .collect();
    assert!(
        killers.is_empty(),
        "the LBS listener stopped serving stations after each of these messages (a fresh \
         server was started after each, and other messages with the same field skipped; at \
         most {MAX_KILLERS} are listed; {tried} of {} messages tried): {killers:#?}",
        mutations.len()
    );
    assert!(
        closed < mutations.len(),
        "every hostile message closed the station"
    );
    insane.extend(h.insane_events());
    assert!(
        insane.is_empty(),
        "after extreme numbers over Basics Station: the server passed numbers it should have \
         range-checked into its events: {insane:#?}"
    );
    h.assert_all_protocols_healthy("extreme numbers over Basics Station")
        .await;
}

/// Publishes every mutation on `topic` with QoS 1; each must be acknowledged, or if the
/// server closes the connection, a new CONNECT must still be accepted.
async fn mqtt_battery(
    h: &mut Harness,
    addr: std::net::SocketAddr,
    user: &str,
    key: &str,
    cases: Vec<(String, Vec<Mutation>)>,
) -> Result<usize, String> {
    h.during(async {
        let connect = || async {
            let (raw, ack) = RawMqtt::connect(addr, user, key).await;
            (ack.map(|a| a.code) == Some(ConnectReturnCode::Success)).then_some(raw)
        };
        let mut raw = connect().await.ok_or("first CONNECT refused")?;
        let mut sent = 0usize;
        for (topic, mutations) in &cases {
            for m in mutations {
                let pkid = (sent % 60_000) as u16 + 1;
                sent += 1;
                raw.publish(topic, QoS::AtLeastOnce, pkid, bytes_of(m))
                    .await;
                if let Some(Packet::PubAck(_)) = raw.recv_within(STEP).await {
                    continue;
                }
                raw = connect().await.ok_or_else(|| {
                    format!(
                        "the listener refuses {user} after {topic} {} = {}",
                        m.field, m.value
                    )
                })?;
            }
        }
        Ok(sent)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_v3_extreme_numbers_in_every_field() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let cases = vec![
        (
            format!("v3/{MQTT3_ID}/up"),
            protobuf_mutations(&full_uplink().encode_to_vec()),
        ),
        (
            format!("v3/{MQTT3_ID}/status"),
            protobuf_mutations(&full_status().encode_to_vec()),
        ),
        (
            format!("v3/{MQTT3_ID}/down/ack"),
            protobuf_mutations(&full_tx_ack().encode_to_vec()),
        ),
    ];
    let addr = h.addrs.mqtt3;
    let sent = mqtt_battery(&mut h, addr, MQTT3_ID, MQTT3_KEY, cases)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sent > 300, "only {sent} mutations");
    h.assert_events_sane("extreme numbers over MQTT v3");
    h.assert_all_protocols_healthy("extreme numbers over MQTT v3")
        .await;
}

fn full_v2_status() -> loragw_mqtt_v2::pb::StatusMessage {
    use loragw_mqtt_v2::pb::{LocationMetadata, StatusMessage, status_message::OsMetrics};
    StatusMessage {
        timestamp: 1,
        time: 1_700_000_000_000_000_000,
        boot_time: 1_600_000_000_000_000_000,
        ip: vec!["192.0.2.1".into()],
        platform: "IMST + Rpi".into(),
        frequency_plan: "EU_863_870".into(),
        fpga: 1,
        dsp: 1,
        location: Some(LocationMetadata {
            time: 1,
            latitude: 46.5,
            longitude: 6.25,
            altitude: 400,
            accuracy: 3,
            source: 1,
        }),
        rtt: 1,
        rx_in: 1,
        rx_ok: 1,
        tx_in: 1,
        tx_ok: 1,
        lm_ok: 1,
        lm_st: 1,
        lm_nw: 1,
        l_pps: 1,
        os: Some(OsMetrics {
            load_1: 1.0,
            load_5: 1.0,
            load_15: 1.0,
            cpu_percentage: 1.0,
            memory_percentage: 1.0,
            temperature: 1.0,
        }),
        ..Default::default()
    }
}

fn full_v2_uplink() -> loragw_mqtt_v2::pb::UplinkMessage {
    use loragw_mqtt_v2::pb::{LocationMetadata, gateway_rx_metadata::Antenna};
    let mut up = loragw_mqtt_v2::uplink_from_v3(&full_uplink(), MQTT2_ID).expect("v2 uplink");
    if let Some(md) = up.gateway_metadata.as_mut() {
        md.time = 1_700_000_000_000_000_000;
        md.rf_chain = 1;
        md.channel = 2;
        md.frequency = 868_100_000;
        md.rssi = -42.0;
        md.snr = 9.5;
        md.antennas = vec![Antenna {
            antenna: 1,
            channel: 2,
            rssi: -42.0,
            snr: 9.5,
            channel_rssi: -42.0,
            rssi_standard_deviation: 1.0,
            frequency_offset: -10,
            encrypted_time: vec![],
            fine_time: 5,
        }];
        md.location = Some(LocationMetadata {
            time: 1,
            latitude: 46.5,
            longitude: 6.25,
            altitude: 400,
            accuracy: 3,
            source: 1,
        });
    }
    if let Some(lorawan) = up
        .protocol_metadata
        .as_mut()
        .and_then(|p| p.lorawan.as_mut())
    {
        lorawan.bit_rate = 1;
        lorawan.f_cnt = 7;
        lorawan.frequency_plan = 1;
    }
    up
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_v2_extreme_numbers_in_every_field() {
    let _guard = shared().await;
    let mut h = Harness::start().await;
    let cases = vec![
        (
            format!("{MQTT2_ID}/up"),
            protobuf_mutations(&full_v2_uplink().encode_to_vec()),
        ),
        (
            format!("{MQTT2_ID}/status"),
            protobuf_mutations(&full_v2_status().encode_to_vec()),
        ),
    ];
    let addr = h.addrs.mqtt2;
    let sent = mqtt_battery(&mut h, addr, MQTT2_ID, MQTT2_KEY, cases)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(sent > 300, "only {sent} mutations");
    h.assert_events_sane("extreme numbers over MQTT v2");
    h.assert_all_protocols_healthy("extreme numbers over MQTT v2")
        .await;
}
