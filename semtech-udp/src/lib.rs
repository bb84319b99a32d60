//! Sans-IO Semtech UDP packet forwarder protocol (GWMP v1/v2): wire format, server and forwarder
//! state machines.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod header;
pub mod json;
pub mod packet;

pub use error::{DecodeError, Element, ElementError, EncodeError, Error};
pub use header::{GatewayEui, Header, PacketType, ProtocolVersion};
pub use json::{
    AckValue, Bandwidth, CodingRate, CrcStatus, DataRate, Frequency, HardwareVersions,
    MAX_FREQUENCY_HZ, Modulation, Rsig, Rxpk, Stat, Timestamp, TxError, TxTiming, TxWarning, Txpk,
    TxpkAck,
};
pub use packet::{
    Ack, MAX_DATAGRAM_LEN, MAX_PULL_RESP_LEN, Packet, PullData, PullResp, PushData, TxAck,
};
