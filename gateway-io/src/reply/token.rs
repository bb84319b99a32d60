//! Uplink tokens: what every uplink's `rx_metadata[].uplink_token` carries, so a `TxRequest`
//! can find its way back to the gateway antenna and the concentrator time of the uplink.

use loragw_ttnpb::prost::Message as _;
use loragw_ttnpb::{GatewayAntennaIdentifiers, UplinkMessage, UplinkToken};

/// Fills `uplink_token` of every `rx_metadata` entry that has none (one from the gateway, as an
/// MQTT gateway may send, is kept): a protobuf [`UplinkToken`] with
///
/// - `ids`: the entry's gateway ids and `antenna_index`;
/// - `timestamp`: the entry's 32-bit concentrator timestamp (`tmst`, or the low 32 bits of a
///   Basics Station `xtime`);
/// - `server_time`: the message's `received_at` (the server's receive time);
/// - `concentrator_time`: `concentrator_time_ns` when given (Basics Station: the `xtime`'s
///   48-bit microsecond counter in nanoseconds), else `timestamp` in nanoseconds;
/// - `gateway_time`: the entry's `gps_time`, when the gateway knows GPS time.
///
/// The Things Stack's message and field numbers, so the token is as opaque to a network server
/// as The Things Stack's own. Entries without gateway ids get no token.
pub fn stamp_uplink_tokens(message: &mut UplinkMessage, concentrator_time_ns: Option<i64>) {
    let server_time = message.received_at;
    for md in &mut message.rx_metadata {
        if !md.uplink_token.is_empty() {
            continue;
        }
        // Lent to the token and given back after encoding: no copy of the ids' strings.
        let Some(gateway_ids) = md.gateway_ids.take() else {
            continue;
        };
        let token = UplinkToken {
            ids: Some(GatewayAntennaIdentifiers {
                gateway_ids: Some(gateway_ids),
                antenna_index: md.antenna_index,
            }),
            timestamp: md.timestamp,
            server_time,
            concentrator_time: concentrator_time_ns
                .unwrap_or_else(|| i64::from(md.timestamp) * 1000),
            gateway_time: md.gps_time,
        };
        md.uplink_token = loragw_ttnpb::encode_uplink_token(&token);
        md.gateway_ids = token.ids.and_then(|ids| ids.gateway_ids);
    }
}

/// The [`UplinkToken`] in `bytes`, `None` when they are not one (or name no gateway).
pub fn decode_uplink_token(bytes: &[u8]) -> Option<UplinkToken> {
    UplinkToken::decode(bytes)
        .ok()
        .filter(|t| t.ids.as_ref().is_some_and(|i| i.gateway_ids.is_some()))
}
