//! Hand-written proptest strategies for the gateway messages. Enum fields take only defined
//! values (the JSON mapping cannot print unknown ones), floats are finite, timestamps valid.

use loragw_ttnpb::pb_struct::{Value, value::Kind};
use loragw_ttnpb::{
    BoolValue, DataRate, DlSettings, DownlinkMessage, DownlinkPath, Duration, EndDeviceIdentifiers,
    FCtrl, Fhdr, FloatValue, GatewayAntennaIdentifiers, GatewayDown, GatewayIdentifiers,
    GatewayStatus, GatewayUp, JoinAcceptPayload, JoinRequestPayload, Location, MacPayload, Message,
    Mhdr, PacketBrokerMetadata, PacketBrokerRouteHop, RejoinRequestPayload, RelayMetadata,
    RxMetadata, StringValue, Struct, Timestamp, TxAcknowledgment, TxRequest, TxSettings,
    UplinkMessage, UplinkToken, downlink_message, downlink_path, message, tx_settings,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of as maybe;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn float() -> impl Strategy<Value = f32> {
    prop::num::f32::NORMAL | prop::num::f32::ZERO | prop::num::f32::SUBNORMAL
}

fn double() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::ZERO
}

pub(crate) fn timestamp() -> impl Strategy<Value = Timestamp> {
    // 0001-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    (-62_135_596_800i64..=253_402_300_799, 0i32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Timestamp { seconds, nanos })
}

fn duration() -> impl Strategy<Value = Duration> {
    (0i64..100_000, 0i32..1_000_000_000).prop_map(|(seconds, nanos)| Duration { seconds, nanos })
}

fn gateway_ids() -> impl Strategy<Value = GatewayIdentifiers> {
    (
        "[a-z0-9-]{0,36}",
        prop_oneof![Just(Vec::new()), vec(any::<u8>(), 8)],
    )
        .prop_map(|(gateway_id, eui)| GatewayIdentifiers { gateway_id, eui })
}

fn data_rate() -> impl Strategy<Value = DataRate> {
    prop_oneof![
        (
            5u32..13,
            prop::sample::select(vec![125_000u32, 250_000, 500_000]),
            "4/[5-8]"
        )
            .prop_map(|(sf, bw, cr)| DataRate::lora(sf, bw, cr)),
        any::<u32>().prop_map(DataRate::fsk),
        (0u32..2, any::<u32>(), "[12]/3").prop_map(|(m, w, cr)| DataRate::lrfhss(m, w, cr)),
        Just(DataRate::default()),
    ]
}

fn location() -> impl Strategy<Value = Location> {
    (
        double(),
        double(),
        any::<i32>(),
        any::<i32>(),
        prop::sample::select(vec![0, 1, 3, 4, 5, 6, 7, 8, 9]),
    )
        .prop_map(
            |(latitude, longitude, altitude, accuracy, source)| Location {
                latitude,
                longitude,
                altitude,
                accuracy,
                source,
            },
        )
}

fn advanced() -> impl Strategy<Value = Struct> {
    // No `NullValue` (and no kindless Value): both print as JSON `null`, which parses back as
    // `NullValue`, so a kindless Value would not round-trip through JSON.
    let value = prop_oneof![
        double().prop_map(Kind::NumberValue),
        text().prop_map(Kind::StringValue),
        any::<bool>().prop_map(Kind::BoolValue),
    ];
    btree_map(text(), value, 0..4).prop_map(|fields| Struct {
        fields: fields
            .into_iter()
            .map(|(k, kind)| (k, Value { kind: Some(kind) }))
            .collect(),
    })
}

fn packet_broker() -> impl Strategy<Value = PacketBrokerMetadata> {
    (
        (text(), bytes(4), text(), text(), bytes(4), text()),
        vec(
            (maybe(timestamp()), text(), text(), text(), text()).prop_map(
                |(received_at, sender_name, sender_address, receiver_name, receiver_agent)| {
                    PacketBrokerRouteHop {
                        received_at,
                        sender_name,
                        sender_address,
                        receiver_name,
                        receiver_agent,
                    }
                },
            ),
            0..2,
        ),
        (text(), bytes(9), maybe(text())),
    )
        .prop_map(
            |((a, b, c, d, e, f), hops, (g, h, i))| PacketBrokerMetadata {
                message_id: a,
                forwarder_net_id: b,
                forwarder_tenant_id: c,
                forwarder_cluster_id: d,
                home_network_net_id: e,
                home_network_tenant_id: f,
                hops,
                home_network_cluster_id: g,
                forwarder_gateway_eui: h,
                forwarder_gateway_id: i.map(|value| StringValue { value }),
            },
        )
}

pub(crate) fn rx_metadata() -> impl Strategy<Value = RxMetadata> {
    (
        (
            maybe(gateway_ids()),
            0u32..8,
            maybe(timestamp()),
            any::<u32>(),
            any::<u64>(),
            bytes(17),
            text(),
        ),
        (
            float(),
            float(),
            float(),
            float(),
            any::<i64>(),
            maybe(location()),
            0i32..3,
        ),
        (
            bytes(40),
            maybe(float()),
            0u32..256,
            maybe(packet_broker()),
            any::<u32>(),
            any::<i32>(),
        ),
        (
            maybe(timestamp()),
            maybe(timestamp()),
            maybe(
                (text(), 0i32..2).prop_map(|(device_id, wor_channel)| RelayMetadata {
                    device_id,
                    wor_channel,
                }),
            ),
            maybe(advanced()),
        ),
    )
        .prop_map(|(a, b, c, d)| RxMetadata {
            gateway_ids: a.0,
            antenna_index: a.1,
            time: a.2,
            timestamp: a.3,
            fine_timestamp: a.4,
            encrypted_fine_timestamp: a.5,
            encrypted_fine_timestamp_key_id: a.6,
            rssi: b.0,
            channel_rssi: b.1,
            rssi_standard_deviation: b.2,
            snr: b.3,
            frequency_offset: b.4,
            location: b.5,
            downlink_path_constraint: b.6,
            uplink_token: c.0,
            signal_rssi: c.1.map(|value| FloatValue { value }),
            channel_index: c.2,
            packet_broker: c.3,
            hopping_width: c.4,
            frequency_drift: c.5,
            gps_time: d.0,
            received_at: d.1,
            relay: d.2,
            advanced: d.3,
        })
}

fn parsed_payload() -> impl Strategy<Value = Message> {
    let mac = (
        bytes(5),
        any::<[bool; 5]>(),
        0u32..65_536,
        bytes(15),
        0u32..256,
        bytes(20),
        any::<u32>(),
    )
        .prop_map(
            |(dev_addr, bits, f_cnt, f_opts, f_port, frm_payload, full_f_cnt)| {
                message::Payload::MacPayload(MacPayload {
                    f_hdr: Some(Fhdr {
                        dev_addr,
                        f_ctrl: Some(FCtrl {
                            adr: bits[0],
                            adr_ack_req: bits[1],
                            ack: bits[2],
                            f_pending: bits[3],
                            class_b: bits[4],
                        }),
                        f_cnt,
                        f_opts,
                    }),
                    f_port,
                    frm_payload,
                    decoded_payload: None,
                    full_f_cnt,
                })
            },
        );
    let join = (bytes(9), bytes(9), bytes(3)).prop_map(|(join_eui, dev_eui, dev_nonce)| {
        message::Payload::JoinRequestPayload(JoinRequestPayload {
            join_eui,
            dev_eui,
            dev_nonce,
        })
    });
    (0i32..8, bytes(5), maybe(prop_oneof![mac, join])).prop_map(|(m_type, mic, payload)| Message {
        m_hdr: Some(Mhdr { m_type, major: 0 }),
        mic,
        payload,
    })
}

fn uplink_settings() -> impl Strategy<Value = TxSettings> {
    (
        maybe(data_rate()),
        any::<u64>(),
        any::<bool>(),
        any::<u32>(),
        maybe(timestamp()),
        any::<i64>(),
    )
        .prop_map(
            |(data_rate, frequency, enable_crc, timestamp, time, concentrator_timestamp)| {
                TxSettings {
                    data_rate,
                    frequency,
                    enable_crc,
                    timestamp,
                    time,
                    downlink: None,
                    concentrator_timestamp,
                }
            },
        )
}

pub(crate) fn uplink_message() -> impl Strategy<Value = UplinkMessage> {
    (
        bytes(64),
        maybe(parsed_payload()),
        maybe(uplink_settings()),
        vec(rx_metadata(), 0..3),
        maybe(timestamp()),
        vec(text(), 0..3),
        0u32..256,
        maybe(duration()),
        maybe(any::<bool>()),
    )
        .prop_map(
            |(
                raw_payload,
                payload,
                settings,
                rx_metadata,
                received_at,
                correlation_ids,
                device_channel_index,
                consumed_airtime,
                crc,
            )| {
                UplinkMessage {
                    raw_payload,
                    payload,
                    settings,
                    rx_metadata,
                    received_at,
                    correlation_ids,
                    device_channel_index,
                    consumed_airtime,
                    crc_status: crc.map(|value| BoolValue { value }),
                }
            },
        )
}

fn scheduled_settings() -> impl Strategy<Value = TxSettings> {
    (uplink_settings(), 0u32..4, float(), any::<bool>()).prop_map(
        |(settings, antenna_index, tx_power, invert_polarization)| TxSettings {
            downlink: Some(tx_settings::Downlink {
                antenna_index,
                tx_power,
                invert_polarization,
            }),
            ..settings
        },
    )
}

fn tx_request() -> impl Strategy<Value = TxRequest> {
    let path = prop_oneof![
        bytes(40).prop_map(downlink_path::Path::UplinkToken),
        (maybe(gateway_ids()), 0u32..4).prop_map(|(gateway_ids, antenna_index)| {
            downlink_path::Path::Fixed(GatewayAntennaIdentifiers {
                gateway_ids,
                antenna_index,
            })
        }),
    ];
    (
        (
            0i32..3,
            vec(maybe(path).prop_map(|path| DownlinkPath { path }), 0..3),
            0i32..16,
        ),
        (
            maybe(data_rate()),
            any::<u64>(),
            maybe(data_rate()),
            any::<u64>(),
        ),
        (0i32..7, maybe(timestamp()), text(), maybe(advanced())),
    )
        .prop_map(|(a, b, c)| TxRequest {
            class: a.0,
            downlink_paths: a.1,
            rx1_delay: a.2,
            rx1_data_rate: b.0,
            rx1_frequency: b.1,
            rx2_data_rate: b.2,
            rx2_frequency: b.3,
            priority: c.0,
            absolute_time: c.1,
            frequency_plan_id: c.2,
            advanced: c.3,
        })
}

pub(crate) fn downlink_message() -> impl Strategy<Value = DownlinkMessage> {
    let end_device_ids = (text(), maybe(text()), bytes(9), bytes(9), bytes(5)).prop_map(
        |(device_id, application_id, dev_eui, join_eui, dev_addr)| EndDeviceIdentifiers {
            device_id,
            application_ids: application_id
                .map(|application_id| loragw_ttnpb::ApplicationIdentifiers { application_id }),
            dev_eui,
            join_eui,
            dev_addr,
        },
    );
    let settings = prop_oneof![
        scheduled_settings().prop_map(downlink_message::Settings::Scheduled),
        tx_request().prop_map(downlink_message::Settings::Request),
    ];
    (
        bytes(64),
        maybe(parsed_payload()),
        maybe(end_device_ids),
        maybe(settings),
        vec(text(), 0..3),
        bytes(16),
    )
        .prop_map(
            |(raw_payload, payload, end_device_ids, settings, correlation_ids, session_key_id)| {
                DownlinkMessage {
                    raw_payload,
                    payload,
                    end_device_ids,
                    settings,
                    correlation_ids,
                    session_key_id,
                }
            },
        )
}

pub(crate) fn gateway_down() -> impl Strategy<Value = GatewayDown> {
    maybe(downlink_message()).prop_map(|downlink_message| GatewayDown { downlink_message })
}

pub(crate) fn tx_acknowledgment() -> impl Strategy<Value = TxAcknowledgment> {
    (vec(text(), 0..3), 0i32..9, maybe(downlink_message())).prop_map(
        |(correlation_ids, result, downlink_message)| TxAcknowledgment {
            correlation_ids,
            result,
            downlink_message,
        },
    )
}

pub(crate) fn gateway_status() -> impl Strategy<Value = GatewayStatus> {
    (
        maybe(timestamp()),
        maybe(timestamp()),
        btree_map(text(), text(), 0..4),
        vec(location(), 0..3),
        vec(text(), 0..3),
        btree_map(text(), float(), 0..4),
        maybe(advanced()),
    )
        .prop_map(
            |(time, boot_time, versions, antenna_locations, ip, metrics, advanced)| GatewayStatus {
                time,
                boot_time,
                versions,
                antenna_locations,
                ip,
                metrics,
                advanced,
            },
        )
}

pub(crate) fn gateway_up() -> impl Strategy<Value = GatewayUp> {
    (
        vec(uplink_message(), 0..2),
        maybe(gateway_status()),
        maybe(tx_acknowledgment()),
    )
        .prop_map(
            |(uplink_messages, gateway_status, tx_acknowledgment)| GatewayUp {
                uplink_messages,
                gateway_status,
                tx_acknowledgment,
            },
        )
}

/// [`uplink_message`] with what the typed strategies leave out, for the binary encoders only
/// (the JSON mapping cannot print all of it): any enum number, any float bits, negative
/// `nanos`, empty optional messages, join-accept and rejoin payloads, a decoded payload and
/// downlink settings.
pub(crate) fn wild_uplink_message() -> impl Strategy<Value = UplinkMessage> {
    let odd_float = prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        Just(-0.0f32),
        Just(0.0f32),
        Just(f32::NAN),
        Just(f32::NEG_INFINITY),
    ];
    (
        uplink_message(),
        any::<[i32; 4]>(),
        [
            odd_float.clone(),
            odd_float.clone(),
            odd_float.clone(),
            odd_float.clone(),
            odd_float,
        ],
        any::<u32>(),
        any::<[bool; 6]>(),
        (any::<i64>(), any::<i32>()),
        maybe(advanced()),
        0u8..5,
        bytes(4),
    )
        .prop_map(
            |(mut m, ints, floats, number, flags, (seconds, nanos), decoded, payload_kind, raw)| {
                let float = |i: usize| floats[i];
                m.payload = match payload_kind {
                    0 => None,
                    1 => Some(Message::default()),
                    2 => Some(Message {
                        m_hdr: Some(Mhdr {
                            m_type: ints[0],
                            major: ints[1],
                        }),
                        mic: raw.clone(),
                        payload: Some(message::Payload::JoinAcceptPayload(JoinAcceptPayload {
                            encrypted: raw.clone(),
                            rx_delay: ints[2],
                            dl_settings: flags[0].then(DlSettings::default),
                            ..Default::default()
                        })),
                    }),
                    3 => Some(Message {
                        m_hdr: None,
                        mic: Vec::new(),
                        payload: Some(message::Payload::RejoinRequestPayload(
                            RejoinRequestPayload {
                                rejoin_type: ints[3],
                                net_id: raw.clone(),
                                rejoin_cnt: number,
                                ..Default::default()
                            },
                        )),
                    }),
                    _ => m.payload.map(|mut p| {
                        if let Some(message::Payload::MacPayload(mac)) = &mut p.payload {
                            mac.decoded_payload = decoded;
                            if flags[1] {
                                mac.f_hdr = Some(Fhdr::default());
                            }
                            if flags[2] {
                                mac.f_hdr = None;
                            }
                        }
                        if let Some(h) = &mut p.m_hdr {
                            h.major = ints[1];
                        }
                        p
                    }),
                };
                if let Some(s) = &mut m.settings {
                    s.downlink = flags[3].then_some(tx_settings::Downlink {
                        antenna_index: number,
                        tx_power: float(0),
                        invert_polarization: flags[4],
                    });
                    s.time = s.time.map(|_| Timestamp { seconds, nanos });
                } else if flags[5] {
                    m.settings = Some(TxSettings::default());
                }
                for md in &mut m.rx_metadata {
                    md.rssi = float(1);
                    md.snr = float(2);
                    md.signal_rssi = md.signal_rssi.map(|_| FloatValue { value: float(3) });
                    md.channel_rssi = float(4);
                    md.downlink_path_constraint = ints[2];
                    md.frequency_drift = ints[3];
                    md.gps_time = md.gps_time.map(|_| Timestamp { seconds, nanos });
                }
                m.consumed_airtime = m.consumed_airtime.map(|_| Duration { seconds, nanos });
                m.crc_status = m.crc_status.or(flags[0].then(BoolValue::default));
                m
            },
        )
}

/// `UplinkToken`s, with any counter values and negative times.
pub(crate) fn uplink_token() -> impl Strategy<Value = UplinkToken> {
    (
        maybe((maybe(gateway_ids()), any::<u32>())),
        any::<u32>(),
        maybe(timestamp()),
        any::<i64>(),
        maybe(timestamp()),
    )
        .prop_map(
            |(ids, timestamp, server_time, concentrator_time, gateway_time)| UplinkToken {
                ids: ids.map(|(gateway_ids, antenna_index)| GatewayAntennaIdentifiers {
                    gateway_ids,
                    antenna_index,
                }),
                timestamp,
                server_time,
                concentrator_time,
                gateway_time,
            },
        )
}
