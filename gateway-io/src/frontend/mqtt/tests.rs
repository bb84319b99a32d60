//! A scenario: connect, subscribe, uplink, downlink and its acknowledgement, reconnect.

use std::time::{Duration, Instant};

use loragw_ttnpb::downlink_message::Settings;
use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::tx_acknowledgment::Result as TxResult;
use loragw_ttnpb::{
    DataRate, DownlinkMessage, Timestamp, TxAcknowledgment, TxSettings, UplinkMessage,
};

use super::*;
use crate::registry::{InMemoryRegistry, hash_key};

fn registry() -> Arc<InMemoryRegistry> {
    let config = format!(
        "[[gateway]]\nid = \"gw-mqtt\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway.key]]\nname = \"k\"\nhash = \"{}\"\nrights = [\"link\"]\n",
        hash_key("SECRET", b"0123456789abcdef")
    );
    Arc::new(InMemoryRegistry::from_toml(&config).unwrap())
}

fn now() -> Now {
    Now::new(
        Instant::now(),
        Timestamp {
            seconds: 1_750_000_000,
            nanos: 0,
        },
    )
}

fn events<R: GatewayRegistry + Authenticator + 'static>(
    f: &mut MqttFrontend<R>,
) -> Vec<GatewayEvent> {
    std::iter::from_fn(|| f.poll_event()).collect()
}

fn uplink() -> UplinkMessage {
    UplinkMessage {
        raw_payload: vec![0x40, 1, 2, 3, 4, 0, 1, 0, 1, 2, 3, 4],
        settings: Some(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 5,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn v3_gateway_session() {
    let t = now();
    let mut f = MqttFrontend::new(MqttConfig::new(MqttVersion::V3), registry());
    let c1 = ConnectionId(1);
    assert!(matches!(
        f.handle_connect(t, c1, "gw-mqtt", Some("WRONG"), None),
        Err(MqttError::Unauthorized(AuthError::InvalidCredential(_)))
    ));
    assert!(matches!(
        f.handle_connect(t, c1, "gw-other", Some("SECRET"), None),
        Err(MqttError::Unauthorized(AuthError::UnknownGateway(_)))
    ));
    assert!(matches!(
        f.handle_connect(t, c1, "GW!", Some("SECRET"), None),
        Err(MqttError::BadUsername(_))
    ));
    let ids = f
        .handle_connect(t, c1, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    assert_eq!(
        events(&mut f),
        [GatewayEvent::Connected {
            gateway: ids.clone(),
            protocol: Protocol::MqttV3,
            remote: None
        }]
    );

    assert_eq!(
        f.handle_subscribe(c1, "v3/gw-mqtt/#").unwrap(),
        "v3/gw-mqtt/down"
    );
    assert!(matches!(
        f.handle_subscribe(c1, "v3/gw-other/down"),
        Err(MqttError::Denied(_))
    ));

    f.handle_publish(t, c1, "v3/gw-mqtt/up", &uplink().encode_to_vec())
        .unwrap();
    let Ok::<[GatewayEvent; 1], _>([GatewayEvent::Uplink { message, .. }]) =
        events(&mut f).try_into()
    else {
        panic!("no uplink")
    };
    assert_eq!(message.received_at, Some(t.wall));
    assert!(matches!(
        f.handle_publish(t, c1, "v3/gw-other/up", &[]),
        Err(MqttError::Denied(_))
    ));
    assert!(matches!(
        f.handle_publish(t, c1, "v3/gw-mqtt/up", &[0xFF]),
        Err(MqttError::Payload(_))
    ));

    // A downlink goes out on the gateway's topic; its acknowledgement comes back matched.
    let down = DownlinkMessage {
        raw_payload: vec![0x60, 1],
        correlation_ids: vec!["app:1".into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1_000_005,
            ..Default::default()
        })),
        ..Default::default()
    };
    f.handle_command(
        t,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down.clone(),
        },
    )
    .unwrap();
    let Some(MqttOutput::Publish {
        connection,
        topic,
        payload,
        ..
    }) = f.poll_output()
    else {
        panic!("no publish")
    };
    assert_eq!((connection, topic.as_str()), (c1, "v3/gw-mqtt/down"));
    let sent = loragw_mqtt_v3::codec::decode_down(&payload)
        .unwrap()
        .downlink_message
        .unwrap();
    let ack = TxAcknowledgment {
        correlation_ids: sent.correlation_ids.clone(),
        result: TxResult::Success as i32,
        downlink_message: None,
    };
    f.handle_publish(t, c1, "v3/gw-mqtt/down/ack", &ack.encode_to_vec())
        .unwrap();
    let Ok::<[GatewayEvent; 1], _>([GatewayEvent::TxAck { ack, .. }]) = events(&mut f).try_into()
    else {
        panic!("no ack")
    };
    assert_eq!(ack.downlink_message, Some(down));
    // The ack's own ids (the echoed token included); the downlink's are among them.
    assert_eq!(ack.correlation_ids, sent.correlation_ids);
    assert_eq!(ack.correlation_ids[0], "app:1");
    assert_eq!(ack.correlation_ids.len(), 2);

    // The gateway reconnects on a new connection: the old one is closed and replaced.
    let c2 = ConnectionId(2);
    let later = t.after(Duration::from_secs(5));
    f.handle_connect(later, c2, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    assert_eq!(f.poll_output(), Some(MqttOutput::Close { connection: c1 }));
    let evs = events(&mut f);
    assert!(matches!(
        evs[0],
        GatewayEvent::Disconnected {
            reason: DisconnectReason::Replaced,
            ..
        }
    ));
    assert!(matches!(evs[1], GatewayEvent::Connected { .. }));
    // The transport's late close of the old connection changes nothing.
    f.handle_disconnect(later, c1, DisconnectReason::ClosedByGateway);
    assert!(events(&mut f).is_empty());
    assert_eq!(f.connected(), 1);
    f.handle_disconnect(later, c2, DisconnectReason::ClosedByGateway);
    assert!(matches!(
        events(&mut f)[..],
        [GatewayEvent::Disconnected {
            reason: DisconnectReason::ClosedByGateway,
            ..
        }]
    ));
    assert!(matches!(
        f.handle_command(later, GatewayCommand::Disconnect { gateway: ids }),
        Err(CommandError::NotConnected(_))
    ));
}

#[test]
fn v2_gateway_uplink_and_downlink() {
    let t = now();
    let mut f = MqttFrontend::new(MqttConfig::new(MqttVersion::V2), registry());
    let c = ConnectionId(9);
    let ids = f
        .handle_connect(t, c, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    assert_eq!(
        f.handle_subscribe(c, "gw-mqtt/down").unwrap(),
        "gw-mqtt/down"
    );
    f.handle_publish(t, c, "connect", b"birth").unwrap();
    let v2 = loragw_mqtt_v2::uplink_from_v3(
        &UplinkMessage {
            rx_metadata: vec![Default::default()],
            ..uplink()
        },
        "gw-mqtt",
    )
    .unwrap();
    f.handle_publish(t, c, "gw-mqtt/up", &v2.encode_to_vec())
        .unwrap();
    let evs = events(&mut f);
    assert!(matches!(
        evs[..],
        [
            GatewayEvent::Connected { .. },
            GatewayEvent::Uplink {
                protocol: Protocol::MqttV2,
                ..
            }
        ]
    ));
    let down = DownlinkMessage {
        raw_payload: vec![0x60, 1],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 869_525_000,
            timestamp: 1,
            ..Default::default()
        })),
        ..Default::default()
    };
    f.handle_command(
        t,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down,
        },
    )
    .unwrap();
    assert!(
        matches!(f.poll_output(), Some(MqttOutput::Publish { topic, .. }) if topic == "gw-mqtt/down")
    );
    // An absolute-time downlink cannot be expressed in v2, unless the gateway's clock is known
    // from an uplink with a time.
    let absolute = DownlinkMessage {
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(9, 125_000, "4/5")),
            frequency: 869_525_000,
            time: Some(Timestamp {
                seconds: 1_750_000_010,
                nanos: 0,
            }),
            ..Default::default()
        })),
        ..Default::default()
    };
    let command = |message: &DownlinkMessage| GatewayCommand::Downlink {
        gateway: ids.clone(),
        message: message.clone(),
    };
    assert_eq!(
        f.handle_command(t, command(&absolute)),
        Err(CommandError::Unschedulable {
            gateway: "gw-mqtt".into(),
            protocol: "an MQTT v2 gateway",
            time: Timestamp {
                seconds: 1_750_000_010,
                nanos: 0
            },
            // The uplink above had no time: the counter is known, not its absolute time.
            reason: crate::clock::ClockError::NoAbsoluteTime,
        })
    );
    // An uplink at timestamp 5_000_000 with time 1_750_000_000 s: 10 s later is 15_000_000.
    let timed = loragw_mqtt_v2::uplink_from_v3(
        &UplinkMessage {
            settings: Some(TxSettings {
                timestamp: 5_000_000,
                ..uplink().settings.unwrap()
            }),
            rx_metadata: vec![loragw_ttnpb::RxMetadata {
                timestamp: 5_000_000,
                time: Some(Timestamp {
                    seconds: 1_750_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            }],
            ..uplink()
        },
        "gw-mqtt",
    )
    .unwrap();
    f.handle_publish(t, c, "gw-mqtt/up", &timed.encode_to_vec())
        .unwrap();
    f.handle_command(t, command(&absolute)).unwrap();
    let Some(MqttOutput::Publish { payload, .. }) = f.poll_output() else {
        panic!("no publish")
    };
    let v2 = loragw_mqtt_v2::codec::decode_downlink(&payload).unwrap();
    assert_eq!(v2.gateway_configuration.unwrap().timestamp, 15_000_000);
}

/// Sends `down` to `ids` and returns the correlation ids of what went out on the wire.
fn send_v3_downlink<R: GatewayRegistry + Authenticator + 'static>(
    f: &mut MqttFrontend<R>,
    t: Now,
    ids: &GatewayIds,
    down: DownlinkMessage,
) -> Vec<String> {
    f.handle_command(
        t,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: down,
        },
    )
    .unwrap();
    let Some(MqttOutput::Publish { payload, .. }) = f.poll_output() else {
        panic!("no publish")
    };
    loragw_mqtt_v3::codec::decode_down(&payload)
        .unwrap()
        .downlink_message
        .unwrap()
        .correlation_ids
}

fn scheduled(correlation: &str) -> DownlinkMessage {
    DownlinkMessage {
        raw_payload: vec![0x60, 1],
        correlation_ids: vec![correlation.into()],
        settings: Some(Settings::Scheduled(TxSettings {
            data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
            frequency: 868_100_000,
            timestamp: 1_000_005,
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn ack_event<R: GatewayRegistry + Authenticator + 'static>(
    f: &mut MqttFrontend<R>,
    t: Now,
    connection: ConnectionId,
    correlation_ids: Vec<String>,
) -> TxAcknowledgment {
    let ack = TxAcknowledgment {
        correlation_ids,
        result: TxResult::Success as i32,
        downlink_message: None,
    };
    f.handle_publish(t, connection, "v3/gw-mqtt/down/ack", &ack.encode_to_vec())
        .unwrap();
    let Ok::<[GatewayEvent; 1], _>([GatewayEvent::TxAck { ack, .. }]) = events(f).try_into() else {
        panic!("no ack")
    };
    ack
}

/// Every accepted downlink ends in exactly one `TxAck`: a reconnect fails the downlinks in
/// flight on the replaced connection (reason `Replaced`), a late acknowledgement of one of them
/// is dropped, tokens never restart (a stale acknowledgement never matches a newer downlink),
/// and the downlink of the new connection is matched to its acknowledgement.
#[test]
fn downlinks_end_once_and_tokens_never_repeat() {
    let t = now();
    let mut f = MqttFrontend::new(MqttConfig::new(MqttVersion::V3), registry());
    let (c1, c2) = (ConnectionId(1), ConnectionId(2));
    let ids = f
        .handle_connect(t, c1, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    f.handle_subscribe(c1, "v3/gw-mqtt/down").unwrap();
    let first = send_v3_downlink(&mut f, t, &ids, scheduled("app:first"));
    events(&mut f);
    assert_eq!(f.downlinks_in_flight(), 1);

    // Reconnect before acknowledging: the first downlink fails as replaced.
    f.handle_connect(t, c2, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    assert_eq!(f.poll_output(), Some(MqttOutput::Close { connection: c1 }));
    let evs = events(&mut f);
    let failed: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            GatewayEvent::TxAck { ack, failure, .. } => Some((ack, failure)),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{evs:?}");
    assert_eq!(failed[0].1, &Some(TxFailure::Replaced));
    assert_eq!(failed[0].0.correlation_ids, ["app:first"]);
    assert_eq!(failed[0].0.result(), TxResult::UnknownError);
    assert_eq!(f.downlinks_in_flight(), 0);

    f.handle_subscribe(c2, "v3/gw-mqtt/down").unwrap();
    let second = send_v3_downlink(&mut f, t, &ids, scheduled("app:second"));
    let token = |ids: &[String]| {
        ids.iter()
            .find(|c| c.starts_with("gs:down:token:"))
            .cloned()
            .unwrap()
    };
    assert_ne!(
        token(&first),
        token(&second),
        "tokens restart per connection"
    );

    // The second is acknowledged over the new connection.
    let ack = ack_event(&mut f, t, c2, second.clone());
    assert_eq!(ack.correlation_ids, second);
    assert_eq!(ack.correlation_ids[0], "app:second");
    assert_eq!(ack.downlink_message, Some(scheduled("app:second")));
    // A late acknowledgement of the failed first one, and a repeated one of the second: no
    // second `TxAck` for either.
    let ack = |ids: Vec<String>| TxAcknowledgment {
        correlation_ids: ids,
        result: TxResult::Success as i32,
        downlink_message: None,
    };
    for late in [first, second] {
        f.handle_publish(t, c2, "v3/gw-mqtt/down/ack", &ack(late).encode_to_vec())
            .unwrap();
        assert_eq!(events(&mut f), []);
    }
}

/// A downlink never acknowledged expires after `downlink_ack_timeout`, once; a disconnect
/// fails the ones still in flight; the in-flight cap refuses more.
#[test]
fn downlinks_expire_fail_on_disconnect_and_are_capped() {
    let t = now();
    let mut config = MqttConfig::new(MqttVersion::V3);
    config.tokens_capacity = 2;
    config.downlink_ack_timeout = Duration::from_secs(5);
    let mut f = MqttFrontend::new(config, registry());
    let c = ConnectionId(1);
    let ids = f
        .handle_connect(t, c, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    f.handle_subscribe(c, "v3/gw-mqtt/down").unwrap();
    events(&mut f);
    send_v3_downlink(&mut f, t, &ids, scheduled("app:1"));
    send_v3_downlink(
        &mut f,
        t.after(Duration::from_secs(1)),
        &ids,
        scheduled("app:2"),
    );
    let third = f.handle_command(
        t,
        GatewayCommand::Downlink {
            gateway: ids.clone(),
            message: scheduled("app:3"),
        },
    );
    assert!(
        matches!(third, Err(CommandError::Rejected { .. })),
        "{third:?}"
    );
    assert_eq!(f.poll_timeout(), Some(t.instant + Duration::from_secs(5)));

    f.handle_timeout(t.after(Duration::from_secs(5)));
    let evs = events(&mut f);
    let [GatewayEvent::TxAck { ack, failure, .. }] = &evs[..] else {
        panic!("{evs:?}")
    };
    assert_eq!(ack.correlation_ids, ["app:1"]);
    assert_eq!(failure, &Some(TxFailure::Expired));

    f.handle_disconnect(
        t.after(Duration::from_secs(5)),
        c,
        DisconnectReason::ClosedByGateway,
    );
    let evs = events(&mut f);
    let [
        GatewayEvent::TxAck { ack, failure, .. },
        GatewayEvent::Disconnected { .. },
    ] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(ack.correlation_ids, ["app:2"]);
    assert_eq!(
        failure,
        &Some(TxFailure::Disconnected(DisconnectReason::ClosedByGateway))
    );
    assert_eq!(f.poll_timeout(), None);
}

/// MQTT v2 has no acknowledgements: a written downlink ends silently, an unwritten one fails
/// when the connection ends.
#[test]
fn v2_downlinks_end_when_written_or_fail() {
    let t = now();
    let mut f = MqttFrontend::new(MqttConfig::new(MqttVersion::V2), registry());
    let c = ConnectionId(1);
    let ids = f
        .handle_connect(t, c, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    f.handle_subscribe(c, "gw-mqtt/down").unwrap();
    events(&mut f);
    let send = |f: &mut MqttFrontend<InMemoryRegistry>, name: &str| {
        f.handle_command(
            t,
            GatewayCommand::Downlink {
                gateway: ids.clone(),
                message: scheduled(name),
            },
        )
        .unwrap();
        let Some(MqttOutput::Publish { downlink, .. }) = f.poll_output() else {
            panic!("no publish")
        };
        downlink
    };
    let written = send(&mut f, "app:written");
    send(&mut f, "app:queued");
    f.handle_written(c, written);
    assert_eq!(f.downlinks_in_flight(), 1);
    // Through the trait, as `Frontends` calls it.
    Frontend::handle_replaced(&mut f, t, "gw-mqtt");
    assert_eq!(f.poll_output(), Some(MqttOutput::Close { connection: c }));
    let evs = events(&mut f);
    let [
        GatewayEvent::TxAck { ack, failure, .. },
        GatewayEvent::Disconnected { reason, .. },
    ] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(ack.correlation_ids, ["app:queued"]);
    assert_eq!(failure, &Some(TxFailure::Replaced));
    assert_eq!(reason, &DisconnectReason::Replaced);
}

/// Refused CONNECTs leave no state behind (identity before state).
#[test]
fn refused_connects_leave_no_state() {
    let t = now();
    let mut f = MqttFrontend::new(MqttConfig::new(MqttVersion::V3), registry());
    for i in 0..100 {
        let user = if i % 2 == 0 {
            "gw-mqtt".to_owned()
        } else {
            format!("gw-nobody-{i}")
        };
        assert!(
            f.handle_connect(t, ConnectionId(i), &user, Some("WRONG"), None)
                .is_err()
        );
    }
    assert_eq!(f.connected(), 0);
    assert!(f.tokens.is_empty());
    assert_eq!(events(&mut f), []);
    assert_eq!(f.poll_output(), None);
}

/// A payload with a number out of range is refused like an undecodable one: an error for the
/// transport to log, no event, the connection kept; the next good payload is served.
#[test]
fn out_of_range_numbers_are_dropped_and_the_connection_kept() {
    let t = now();
    for version in [MqttVersion::V3, MqttVersion::V2] {
        let mut f = MqttFrontend::new(MqttConfig::new(version), registry());
        let c = ConnectionId(3);
        f.handle_connect(t, c, "gw-mqtt", Some("SECRET"), None)
            .unwrap();
        let _ = events(&mut f);
        let (up_topic, status_topic) = match version {
            MqttVersion::V3 => ("v3/gw-mqtt/up", "v3/gw-mqtt/status"),
            MqttVersion::V2 => ("gw-mqtt/up", "gw-mqtt/status"),
        };
        let encode = |up: &UplinkMessage| match version {
            MqttVersion::V3 => up.encode_to_vec(),
            MqttVersion::V2 => loragw_mqtt_v2::uplink_from_v3(up, "gw-mqtt")
                .unwrap()
                .encode_to_vec(),
        };
        let mut nan = UplinkMessage {
            rx_metadata: vec![Default::default()],
            ..uplink()
        };
        nan.rx_metadata[0].snr = f32::NAN;
        let err = f.handle_publish(t, c, up_topic, &encode(&nan)).unwrap_err();
        let expected = match version {
            MqttVersion::V3 => {
                "payload: UplinkMessage.rx_metadata[0].snr: NaN is not a finite number"
            }
            MqttVersion::V2 => {
                "payload: converted v3 uplink: UplinkMessage.rx_metadata[0].snr: NaN is not a \
                 finite number"
            }
        };
        assert_eq!(err.to_string(), expected, "{version:?}");
        assert!(matches!(err, MqttError::Payload(_)), "{version:?}");
        let mut far = uplink();
        far.settings.as_mut().unwrap().frequency = 10_000_000_000;
        far.rx_metadata = vec![Default::default()];
        assert!(
            matches!(
                f.handle_publish(t, c, up_topic, &encode(&far)),
                Err(MqttError::Payload(_))
            ),
            "{version:?}"
        );
        assert_eq!(events(&mut f), [], "{version:?}: no event");
        assert!(f.is_connected("gw-mqtt"), "{version:?}");

        let good = UplinkMessage {
            rx_metadata: vec![Default::default()],
            ..uplink()
        };
        f.handle_publish(t, c, up_topic, &encode(&good)).unwrap();
        assert!(
            matches!(events(&mut f)[..], [GatewayEvent::Uplink { .. }]),
            "{version:?}"
        );

        // A status with a NaN metric keeps its other metrics.
        let status = match version {
            MqttVersion::V3 => loragw_ttnpb::GatewayStatus {
                metrics: [("temp".to_string(), f32::NAN), ("rxin".to_string(), 2.0)].into(),
                ..Default::default()
            }
            .encode_to_vec(),
            MqttVersion::V2 => loragw_mqtt_v2::pb::StatusMessage {
                rx_in: 2,
                os: Some(loragw_mqtt_v2::pb::status_message::OsMetrics {
                    temperature: f32::NAN,
                    ..Default::default()
                }),
                ..Default::default()
            }
            .encode_to_vec(),
        };
        f.handle_publish(t, c, status_topic, &status).unwrap();
        let Ok::<[GatewayEvent; 1], _>([GatewayEvent::Status { status, .. }]) =
            events(&mut f).try_into()
        else {
            panic!("{version:?}: no status")
        };
        assert_eq!(status.metrics.get("rxin"), Some(&2.0), "{version:?}");
        assert_eq!(status.metrics.get("temp"), None, "{version:?}");
    }
}

/// The whole machine without a transport: downlinks wait for the SUBSCRIBE (and expire there
/// unsent), silence past the keep-alive closes the connection, and so does publishing past the
/// rate limit, all on the caller's clock.
#[test]
fn keep_alive_rate_limit_and_subscribe_queue_run_on_the_callers_clock() {
    use super::RateLimit;

    let t = now();
    let mut config = MqttConfig::new(MqttVersion::V3);
    config.downlink_ack_timeout = Duration::from_secs(5);
    config.publish_rate_limit = Some(RateLimit {
        per_second: 1,
        burst: 2,
    });
    let mut f = MqttFrontend::new(config, registry());
    let c = ConnectionId(1);
    let ids = f
        .handle_connect(t, c, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    f.set_keep_alive(c, 10); // 15 s of silence at most
    events(&mut f);
    assert_eq!(f.poll_timeout(), Some(t.instant + Duration::from_secs(15)));

    // A downlink before the SUBSCRIBE waits; the SUBSCRIBE releases it.
    let command = |name: &str| GatewayCommand::Downlink {
        gateway: ids.clone(),
        message: scheduled(name),
    };
    f.handle_command(t, command("app:1")).unwrap();
    assert_eq!(f.poll_output(), None, "held until the gateway subscribes");
    f.handle_subscribe(c, "v3/gw-mqtt/down").unwrap();
    assert!(matches!(f.poll_output(), Some(MqttOutput::Publish { .. })));
    // After UNSUBSCRIBE, one waits again, and expires unsent.
    f.handle_unsubscribe(c, "v3/gw-mqtt/down");
    f.handle_command(t, command("app:2")).unwrap();
    assert_eq!(f.poll_output(), None);
    let t5 = t.after(Duration::from_secs(5));
    f.handle_activity(t5, c);
    f.handle_timeout(t5);
    let expired = events(&mut f);
    assert_eq!(expired.len(), 2, "both downlinks expired: {expired:?}");
    f.handle_subscribe(c, "v3/gw-mqtt/down").unwrap();
    assert_eq!(f.poll_output(), None, "an expired downlink is never sent");

    // Activity moves the keep-alive; silence past it closes the connection.
    assert_eq!(f.poll_timeout(), Some(t5.instant + Duration::from_secs(15)));
    let silent = t5.after(Duration::from_secs(15));
    f.handle_timeout(silent);
    assert_eq!(f.poll_output(), Some(MqttOutput::Close { connection: c }));
    assert!(matches!(
        &events(&mut f)[..],
        [GatewayEvent::Disconnected {
            reason: DisconnectReason::Timeout,
            ..
        }]
    ));

    // The rate limit: a burst of 2, then 1 per second; the third publish at once closes.
    let c2 = ConnectionId(2);
    f.handle_connect(silent, c2, "gw-mqtt", Some("SECRET"), None)
        .unwrap();
    events(&mut f);
    let up = uplink().encode_to_vec();
    f.handle_publish(silent, c2, "v3/gw-mqtt/up", &up).unwrap();
    f.handle_publish(silent, c2, "v3/gw-mqtt/up", &up).unwrap();
    let later = silent.after(Duration::from_secs(1));
    f.handle_publish(later, c2, "v3/gw-mqtt/up", &up).unwrap();
    assert_eq!(
        f.handle_publish(later, c2, "v3/gw-mqtt/up", &up),
        Err(MqttError::RateLimited)
    );
    assert_eq!(f.poll_output(), Some(MqttOutput::Close { connection: c2 }));
    let evs = events(&mut f);
    assert!(
        matches!(
            evs.last(),
            Some(GatewayEvent::Disconnected { reason: DisconnectReason::ProtocolError(text), .. })
                if text == "publish rate limit exceeded"
        ),
        "{evs:?}"
    );
    assert!(!f.is_connected("gw-mqtt"));
}
