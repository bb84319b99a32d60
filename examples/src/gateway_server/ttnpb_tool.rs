//! `gateway-server ttnpb`: ttnpb messages between proto3 JSON and binary protobuf, for the
//! files `mosquitto_pub -f` sends and what `mosquitto_sub` receives.

use loragw_ttnpb::prost::Message;
use loragw_ttnpb::{GatewayDown, GatewayStatus, TxAcknowledgment, UplinkMessage};

/// The message types the tool converts: what a gateway publishes over MQTT v3 and what it
/// receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageType {
    /// `ttnpb.UplinkMessage` (`v3/{uid}/up`).
    UplinkMessage,
    /// `ttnpb.GatewayStatus` (`v3/{uid}/status`).
    GatewayStatus,
    /// `ttnpb.TxAcknowledgment` (`v3/{uid}/down/ack`).
    TxAcknowledgment,
    /// `ttnpb.GatewayDown` (`v3/{uid}/down`).
    GatewayDown,
}

/// Decodes, re-encodes, and names the type in errors.
fn convert<M>(input: &[u8], to_binary: bool) -> Result<Vec<u8>, String>
where
    M: Message + Default + serde::Serialize + serde::de::DeserializeOwned,
{
    let type_name = std::any::type_name::<M>().rsplit("::").next().unwrap_or("");
    if to_binary {
        let message: M = serde_json::from_slice(input)
            .map_err(|e| format!("not a {type_name} in proto3 JSON: {e}"))?;
        Ok(message.encode_to_vec())
    } else {
        let message = M::decode(input).map_err(|e| format!("not a binary {type_name}: {e}"))?;
        let mut json = serde_json::to_vec_pretty(&message).map_err(|e| e.to_string())?;
        json.push(b'\n');
        Ok(json)
    }
}

/// Proto3 JSON to binary protobuf.
pub fn json_to_binary(kind: MessageType, json: &[u8]) -> Result<Vec<u8>, String> {
    dispatch(kind, json, true)
}

/// Binary protobuf to proto3 JSON (pretty, original field names, newline at the end).
pub fn binary_to_json(kind: MessageType, binary: &[u8]) -> Result<Vec<u8>, String> {
    dispatch(kind, binary, false)
}

fn dispatch(kind: MessageType, input: &[u8], to_binary: bool) -> Result<Vec<u8>, String> {
    match kind {
        MessageType::UplinkMessage => convert::<UplinkMessage>(input, to_binary),
        MessageType::GatewayStatus => convert::<GatewayStatus>(input, to_binary),
        MessageType::TxAcknowledgment => convert::<TxAcknowledgment>(input, to_binary),
        MessageType::GatewayDown => convert::<GatewayDown>(input, to_binary),
    }
}
