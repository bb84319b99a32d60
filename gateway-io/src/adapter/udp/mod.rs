//! Semtech UDP (GWMP) ↔ ttnpb.
//!
//! | direction | function |
//! |---|---|
//! | `rxpk` → `UplinkMessage` | [`rxpk_to_uplink`], [`rxpks_to_uplinks`] / [`rxpks_into_uplinks`] (with mirror collapsing) |
//! | `stat` → `GatewayStatus` | [`stat_to_status`] |
//! | `DownlinkMessage` → `txpk` | [`downlink_to_txpk`] |
//! | `txpk_ack` → `TxAcknowledgment` | [`txpk_ack_to_tx_ack`] |
//!
//! and the reverse of each for the gateway side (bridging a local packet forwarder to any
//! protocol): [`uplink_to_rxpk`], [`status_to_stat`], [`txpk_to_downlink`], [`tx_ack_to_txpk_ack`].
//!
//! Differences from The Things Stack (its §8 bugs fixed): the frequency is rounded to the nearest
//! hertz (by the wire decoder), `ant`/`chan`/`rssis` of single-antenna `rxpk`s are kept, a `warn`
//! in `txpk_ack` is a success, LR-FHSS downlinks are refused with a clear error, and unset
//! `ant`/`codr` are omitted from `txpk` rather than sent empty.

mod ack;
mod downlink;
mod status;
mod uplink;

pub use ack::{tx_ack_to_txpk_ack, txpk_ack_to_tx_ack};
pub use downlink::{ERP_EIRP_DELTA_DB, downlink_to_txpk, txpk_to_downlink};
pub use status::{GATEWAY_SERVER_VERSION_KEY, is_valid_location, stat_to_status, status_to_stat};
pub use uplink::{rxpk_to_uplink, rxpks_into_uplinks, rxpks_to_uplinks, uplink_to_rxpk};

use loragw_semtech_udp::Timestamp as UdpTime;
use loragw_ttnpb::Timestamp;

pub(crate) fn from_udp_time(t: UdpTime) -> Option<Timestamp> {
    super::timestamp(t.unix_seconds, t.nanos)
}

pub(crate) fn to_udp_time(t: &Timestamp) -> Option<UdpTime> {
    UdpTime::new(t.seconds, u32::try_from(t.nanos).ok()?).filter(|t| t.is_writable())
}

#[cfg(test)]
mod tests;
