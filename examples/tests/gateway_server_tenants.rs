//! Tenants end to end: gateways registered as `gateway-id@tenant-id` connect over MQTT v3 / v2
//! (Debian's `mosquitto_pub`) and Semtech UDP, their events carry the tenant, and a username or
//! topic of another tenant (or of none) gets nothing with their key.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::registry::hash_key;
use loragw_gateway_io::transport::{GatewayServer, ListenerKind};
use loragw_ttnpb::prost::Message as _;

const KEY_MINE: &str = "NNSXS.MY-TENANT-KEY";
const KEY_PLAIN: &str = "NNSXS.NO-TENANT-KEY";

async fn start() -> GatewayServer {
    let text = format!(
        r#"
[listeners]
udp = "127.0.0.1:0"
lbs = ""
cups = ""
mqtt_v3 = "127.0.0.1:0"
mqtt_v2 = "127.0.0.1:0"
tabs_hubs = ""

[[registry.gateway]]
id = "test-gtw@my-tenant"
eui = "0000000000000001"
frequency_plans = ["EU_863_870"]
[[registry.gateway.key]]
name = "link"
hash = "{mine}"
rights = ["link"]

[[registry.gateway]]
id = "test-gtw"
frequency_plans = ["EU_863_870"]
[[registry.gateway.key]]
name = "link"
hash = "{plain}"
rights = ["link"]

[[registry.gateway]]
id = "udp-gtw"
tenant = "my-tenant"
eui = "0000000000000002"
frequency_plans = ["EU_863_870"]
"#,
        mine = hash_key(KEY_MINE, b"salt-tenant-mine"),
        plain = hash_key(KEY_PLAIN, b"salt-no-tenant-1"),
    );
    gateway_server::start(ServerConfig::from_toml(&text).unwrap())
        .await
        .unwrap()
}

fn uplink() -> Vec<u8> {
    loragw_ttnpb::UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, 1, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD],
        settings: Some(loragw_ttnpb::TxSettings {
            data_rate: Some(loragw_ttnpb::DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 42,
            ..Default::default()
        }),
        rx_metadata: vec![loragw_ttnpb::RxMetadata {
            timestamp: 42,
            rssi: -70.0,
            snr: 8.5,
            ..Default::default()
        }],
        ..Default::default()
    }
    .encode_to_vec()
}

#[tokio::test]
async fn tenant_gateways_connect_only_under_their_own_tenant() {
    let Some(tools) = mosquitto_tools(&["mosquitto_pub"]) else {
        return;
    };
    let mosquitto_pub = &tools[0];
    let mut server = start().await;
    let v3 = server
        .local_addr(ListenerKind::MqttV3)
        .unwrap()
        .port()
        .to_string();
    let v2 = server
        .local_addr(ListenerKind::MqttV2)
        .unwrap()
        .port()
        .to_string();
    let dir = TempDir::new("tenants");
    let up = dir.file("up.bin", &uplink());
    let up = up.to_str().unwrap();
    let publish = |port: &str, user: &str, key: &str, topic: &str| {
        let args: Vec<String> = [
            "-h",
            "127.0.0.1",
            "-p",
            port,
            "-V",
            "mqttv311",
            "-q",
            "1",
            "-u",
            user,
            "-P",
            key,
            "-t",
            topic,
            "-f",
            up,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let bin = mosquitto_pub.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&bin, &args).await
        }
    };

    // Another tenant, or no tenant, with my tenant's key: refused at CONNECT (v3 and v2); the
    // only events are `refused` ones (at most one a second per listener).
    for (port, user, key) in [
        (&v3, "test-gtw@other-tenant", KEY_MINE),
        (&v3, "test-gtw", KEY_MINE),
        (&v3, "test-gtw@other-tenant", KEY_PLAIN),
        (&v3, "test-gtw@my-tenant", KEY_PLAIN),
        (&v2, "test-gtw@other-tenant", KEY_MINE),
    ] {
        let out = publish(port, user, key, &format!("v3/{user}/up")).await;
        assert!(!out.status.success(), "{user} with a foreign key: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bad user name or password")
                || stderr.contains("not authorised")
                || stderr.contains("Connection Refused"),
            "{user}: {stderr}"
        );
    }

    // The gateway of my tenant, on its own topic: connected and uplink, tenant in every line.
    let out = publish(
        &v3,
        "test-gtw@my-tenant",
        KEY_MINE,
        "v3/test-gtw@my-tenant/up",
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let mut connected = next_line(&mut server).await;
    while connected["event"] == "refused" {
        assert_ne!(connected["reason"], "", "{connected}");
        connected = next_line(&mut server).await;
    }
    assert_eq!(connected["event"], "connected");
    assert_eq!(connected["gateway_id"], "test-gtw@my-tenant");
    assert_eq!(connected["tenant_id"], "my-tenant");
    let uplink = next_line(&mut server).await;
    assert_eq!(uplink["event"], "uplink");
    assert_eq!(uplink["tenant_id"], "my-tenant");
    assert_eq!(
        uplink["message"]["rx_metadata"][0]["gateway_ids"]["gateway_id"],
        "test-gtw@my-tenant"
    );
    assert_eq!(next_line(&mut server).await["event"], "disconnected");

    // The single-tenant gateway of the same id keeps working, without a tenant.
    let out = publish(&v3, "test-gtw", KEY_PLAIN, "v3/test-gtw/up").await;
    assert!(out.status.success(), "{out:?}");
    let connected = next_line(&mut server).await;
    assert_eq!(connected["gateway_id"], "test-gtw");
    assert!(connected.get("tenant_id").is_none());
    assert_eq!(next_line(&mut server).await["event"], "uplink");
    assert_eq!(next_line(&mut server).await["event"], "disconnected");

    // My gateway publishing on the topic of the tenant-less `test-gtw`: the connection is
    // closed as a protocol error and no uplink comes out.
    let out = publish(&v3, "test-gtw@my-tenant", KEY_MINE, "v3/test-gtw/up").await;
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(next_line(&mut server).await["event"], "connected");
    let closed = next_line(&mut server).await;
    assert_eq!(closed["event"], "disconnected");
    assert_eq!(closed["gateway_id"], "test-gtw@my-tenant");
    assert_eq!(
        closed["reason"],
        "protocol error: publish refused: denied: topic `v3/test-gtw/up` belongs to gateway \
         `test-gtw`, not to `test-gtw@my-tenant`"
    );

    // Semtech UDP finds the gateway by EUI, and so its tenant.
    let udp = server.local_addr(ListenerKind::Udp).unwrap();
    let gateway = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut push = vec![2, 0x12, 0x34, 0x00, 0, 0, 0, 0, 0, 0, 0, 2];
    push.extend_from_slice(br#"{"stat":{"time":"2024-01-01 00:00:00 GMT","rxnb":0}}"#);
    gateway.send_to(&push, udp).await.unwrap();
    let connected = next_line(&mut server).await;
    assert_eq!(connected["event"], "connected");
    assert_eq!(connected["gateway_id"], "udp-gtw@my-tenant");
    assert_eq!(connected["tenant_id"], "my-tenant");
    let status = next_line(&mut server).await;
    assert_eq!(status["event"], "status");
    assert_eq!(status["tenant_id"], "my-tenant");
}
