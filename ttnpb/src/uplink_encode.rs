//! The uplink path's messages written by hand: [`UplinkMessage`] and [`UplinkToken`], the two
//! messages a Gateway Server encodes for every received frame.
//!
//! The bytes are exactly prost's (`tests/roundtrip.rs` compares them on generated messages,
//! and the `ttnpb_decode` fuzz target on whatever decodes); this writer only gets there with
//! fewer instructions ([`BackWriter`] says how). Every struct is destructured in full, so a
//! field added to the schema fails to compile here instead of being silently dropped. The
//! rarely set nested messages (`location`, `packet_broker`, `relay`, `advanced`,
//! `decoded_payload`, the join payloads) are written by prost's own code.

use crate::back_writer::BackWriter;
use crate::data_rate::Modulation;
use crate::encode::zeroed_buffer;
use crate::message::Payload;
use crate::{
    BoolValue, DataRate, Duration, FCtrl, Fhdr, FloatValue, FskDataRate, GatewayAntennaIdentifiers,
    GatewayIdentifiers, LoRaDataRate, LrfhssDataRate, MacPayload, Message, Mhdr, RxMetadata,
    Timestamp, TxSettings, UplinkMessage, UplinkToken, tx_settings,
};
use prost::Message as _;

/// The protobuf bytes of an [`UplinkMessage`]: the same bytes as prost's
/// [`encode_to_vec`](prost::Message::encode_to_vec) and [`encode_exact`](crate::encode_exact),
/// in about 60 % of the latter's instructions and 40 % of its time (the bench uplink of
/// `benches/src/lib.rs`: callgrind, and the `gateway_io/uplink_to_protobuf` criterion group).
///
/// ```
/// use loragw_ttnpb::prost::Message as _;
/// use loragw_ttnpb::{DataRate, TxSettings, UplinkMessage, encode_uplink};
///
/// let up = UplinkMessage {
///     raw_payload: vec![0x40, 1, 2, 3, 4],
///     settings: Some(TxSettings {
///         data_rate: Some(DataRate::lora(7, 125_000, "4/5")),
///         frequency: 868_100_000,
///         ..Default::default()
///     }),
///     ..Default::default()
/// };
/// assert_eq!(encode_uplink(&up), up.encode_to_vec());
/// ```
pub fn encode_uplink(message: &UplinkMessage) -> Vec<u8> {
    write_all(message.encoded_len(), |w| uplink_message(w, message))
}

/// The protobuf bytes of an [`UplinkToken`], as [`encode_uplink`] for an uplink.
pub fn encode_uplink_token(token: &UplinkToken) -> Vec<u8> {
    write_all(token.encoded_len(), |w| uplink_token(w, token))
}

/// A buffer of `len` bytes filled back to front by `write`, which must fill it exactly.
fn write_all(len: usize, write: impl FnOnce(&mut BackWriter<'_>)) -> Vec<u8> {
    let mut out = zeroed_buffer(len);
    let mut w = BackWriter::new(&mut out);
    write(&mut w);
    assert_eq!(
        w.remaining(),
        0,
        "the hand-written fields are exactly prost's encoded_len"
    );
    out
}

// Every writer below writes its fields in descending field-number order, so that they end up
// ascending on the wire, as prost writes them.

fn uplink_message(w: &mut BackWriter<'_>, m: &UplinkMessage) {
    let UplinkMessage {
        raw_payload,
        payload,
        settings,
        rx_metadata,
        received_at,
        correlation_ids,
        device_channel_index,
        consumed_airtime,
        crc_status,
    } = m;
    if let Some(BoolValue { value }) = crc_status {
        w.message(11, |w| w.bool(1, *value));
    }
    if let Some(Duration { seconds, nanos }) = consumed_airtime {
        w.message(10, |w| seconds_and_nanos(w, *seconds, *nanos));
    }
    w.uint(9, u64::from(*device_channel_index));
    for id in correlation_ids.iter().rev() {
        w.len_delimited(7, id.as_bytes());
    }
    if let Some(t) = received_at {
        w.message(6, |w| timestamp(w, t));
    }
    for md in rx_metadata.iter().rev() {
        w.message(5, |w| rx_metadatum(w, md));
    }
    if let Some(s) = settings {
        w.message(4, |w| tx_settings(w, s));
    }
    if let Some(p) = payload {
        w.message(2, |w| lorawan_message(w, p));
    }
    w.bytes(1, raw_payload);
}

#[inline(always)]
fn timestamp(w: &mut BackWriter<'_>, t: &Timestamp) {
    let Timestamp { seconds, nanos } = t;
    seconds_and_nanos(w, *seconds, *nanos);
}

/// The fields of a `google.protobuf.Timestamp` or `Duration`: `seconds` (1), `nanos` (2).
#[inline(always)]
fn seconds_and_nanos(w: &mut BackWriter<'_>, seconds: i64, nanos: i32) {
    w.int32(2, nanos);
    w.int64(1, seconds);
}

#[inline(always)]
fn gateway_identifiers(w: &mut BackWriter<'_>, ids: &GatewayIdentifiers) {
    let GatewayIdentifiers { gateway_id, eui } = ids;
    w.bytes(2, eui);
    w.string(1, gateway_id);
}

fn lorawan_message(w: &mut BackWriter<'_>, m: &Message) {
    let Message {
        m_hdr,
        mic,
        payload,
    } = m;
    match payload {
        Some(Payload::MacPayload(p)) => w.message(3, |w| mac_payload(w, p)),
        Some(Payload::JoinRequestPayload(p)) => w.prost_message(4, p),
        Some(Payload::JoinAcceptPayload(p)) => w.prost_message(5, p),
        Some(Payload::RejoinRequestPayload(p)) => w.prost_message(6, p),
        None => {}
    }
    w.bytes(2, mic);
    if let Some(Mhdr { m_type, major }) = m_hdr {
        w.message(1, |w| {
            w.int32(2, *major);
            w.int32(1, *m_type);
        });
    }
}

fn mac_payload(w: &mut BackWriter<'_>, p: &MacPayload) {
    let MacPayload {
        f_hdr,
        f_port,
        frm_payload,
        decoded_payload,
        full_f_cnt,
    } = p;
    w.uint(5, u64::from(*full_f_cnt));
    if let Some(s) = decoded_payload {
        w.prost_message(4, s);
    }
    w.bytes(3, frm_payload);
    w.uint(2, u64::from(*f_port));
    if let Some(h) = f_hdr {
        w.message(1, |w| fhdr(w, h));
    }
}

#[inline(always)]
fn fhdr(w: &mut BackWriter<'_>, h: &Fhdr) {
    let Fhdr {
        dev_addr,
        f_ctrl,
        f_cnt,
        f_opts,
    } = h;
    w.bytes(4, f_opts);
    w.uint(3, u64::from(*f_cnt));
    if let Some(c) = f_ctrl {
        let FCtrl {
            adr,
            adr_ack_req,
            ack,
            f_pending,
            class_b,
        } = c;
        w.message(2, |w| {
            w.bool(5, *class_b);
            w.bool(4, *f_pending);
            w.bool(3, *ack);
            w.bool(2, *adr_ack_req);
            w.bool(1, *adr);
        });
    }
    w.bytes(1, dev_addr);
}

fn tx_settings(w: &mut BackWriter<'_>, s: &TxSettings) {
    let TxSettings {
        data_rate,
        frequency,
        enable_crc,
        timestamp: concentrator_tmst,
        time,
        downlink,
        concentrator_timestamp,
    } = s;
    w.int64(9, *concentrator_timestamp);
    if let Some(tx_settings::Downlink {
        antenna_index,
        tx_power,
        invert_polarization,
    }) = downlink
    {
        w.message(8, |w| {
            w.bool(3, *invert_polarization);
            w.float(2, *tx_power);
            w.uint(1, u64::from(*antenna_index));
        });
    }
    if let Some(t) = time {
        w.message(7, |w| timestamp(w, t));
    }
    w.uint(6, u64::from(*concentrator_tmst));
    w.bool(5, *enable_crc);
    w.uint(4, *frequency);
    if let Some(DataRate { modulation }) = data_rate {
        w.message(1, |w| match modulation {
            Some(Modulation::Lora(LoRaDataRate {
                bandwidth,
                spreading_factor,
                coding_rate,
            })) => w.message(1, |w| {
                w.string(3, coding_rate);
                w.uint(2, u64::from(*spreading_factor));
                w.uint(1, u64::from(*bandwidth));
            }),
            Some(Modulation::Fsk(FskDataRate { bit_rate })) => {
                w.message(2, |w| w.uint(1, u64::from(*bit_rate)))
            }
            Some(Modulation::Lrfhss(LrfhssDataRate {
                modulation_type,
                operating_channel_width,
                coding_rate,
            })) => w.message(3, |w| {
                w.string(3, coding_rate);
                w.uint(2, u64::from(*operating_channel_width));
                w.uint(1, u64::from(*modulation_type));
            }),
            None => {}
        });
    }
}

fn rx_metadatum(w: &mut BackWriter<'_>, md: &RxMetadata) {
    let RxMetadata {
        gateway_ids,
        antenna_index,
        time,
        timestamp: concentrator_tmst,
        fine_timestamp,
        encrypted_fine_timestamp,
        encrypted_fine_timestamp_key_id,
        rssi,
        channel_rssi,
        rssi_standard_deviation,
        snr,
        frequency_offset,
        location,
        downlink_path_constraint,
        uplink_token,
        signal_rssi,
        channel_index,
        packet_broker,
        hopping_width,
        frequency_drift,
        gps_time,
        received_at,
        relay,
        advanced,
    } = md;
    if let Some(s) = advanced {
        w.prost_message(99, s);
    }
    if let Some(r) = relay {
        w.prost_message(23, r);
    }
    if let Some(t) = received_at {
        w.message(22, |w| timestamp(w, t));
    }
    if let Some(t) = gps_time {
        w.message(21, |w| timestamp(w, t));
    }
    w.int32(20, *frequency_drift);
    w.uint(19, u64::from(*hopping_width));
    if let Some(pb) = packet_broker {
        w.prost_message(18, pb);
    }
    w.uint(17, u64::from(*channel_index));
    if let Some(FloatValue { value }) = signal_rssi {
        w.message(16, |w| w.float(1, *value));
    }
    w.bytes(15, uplink_token);
    w.int32(14, *downlink_path_constraint);
    if let Some(l) = location {
        w.prost_message(13, l);
    }
    w.int64(12, *frequency_offset);
    w.float(11, *snr);
    w.float(10, *rssi_standard_deviation);
    w.float(9, *channel_rssi);
    w.float(8, *rssi);
    w.string(7, encrypted_fine_timestamp_key_id);
    w.bytes(6, encrypted_fine_timestamp);
    w.uint(5, *fine_timestamp);
    w.uint(4, u64::from(*concentrator_tmst));
    if let Some(t) = time {
        w.message(3, |w| timestamp(w, t));
    }
    w.uint(2, u64::from(*antenna_index));
    if let Some(ids) = gateway_ids {
        w.message(1, |w| gateway_identifiers(w, ids));
    }
}

fn uplink_token(w: &mut BackWriter<'_>, t: &UplinkToken) {
    let UplinkToken {
        ids,
        timestamp: concentrator_tmst,
        server_time,
        concentrator_time,
        gateway_time,
    } = t;
    if let Some(t) = gateway_time {
        w.message(5, |w| timestamp(w, t));
    }
    w.int64(4, *concentrator_time);
    if let Some(t) = server_time {
        w.message(3, |w| timestamp(w, t));
    }
    w.uint(2, u64::from(*concentrator_tmst));
    if let Some(GatewayAntennaIdentifiers {
        gateway_ids,
        antenna_index,
    }) = ids
    {
        w.message(1, |w| {
            w.uint(2, u64::from(*antenna_index));
            if let Some(g) = gateway_ids {
                w.message(1, |w| gateway_identifiers(w, g));
            }
        });
    }
}
