//! Conversion between the v2 messages and ttn.lorawan.v3 (`ttnpb`), both ways.
//!
//! Server side (what The Things Stack does): [`uplink_to_v3`], [`status_to_v3`],
//! [`downlink_from_v3`]. Gateway side (a bridge or simulator speaking v2 to a server):
//! [`uplink_from_v3`], [`status_from_v3`], [`downlink_to_v3`].
//!
//! The mapping follows The Things Stack field by field, except where it has bugs:
//!
//! * A v2 time of 0 means "unknown" and stays unset; The Things Stack turns it into
//!   1970-01-01T00:00:00Z (uplink metadata `time`, status `time` and `boot_time`).
//! * FSK downlinks carry `frequency_deviation = bit_rate / 2`; The Things Stack leaves it 0.
//! * Antennas' `fine_time` and `encrypted_time` become `fine_timestamp` and
//!   `encrypted_fine_timestamp`, and `channel` becomes `channel_index`; The Things Stack drops
//!   them. An antenna that reports both a channel RSSI and a signal RSSI keeps the latter as
//!   `signal_rssi`.
//! * The transmit power is rounded, not truncated, when going from EIRP to ERP
//!   ([`eirp_to_erp`](crate::datarate::eirp_to_erp)).
//! * Every number is range-checked as in a v3 message ([`loragw_mqtt_v3::validate`]): an uplink
//!   with a non-finite RSSI or SNR, a frequency of 0 or of 10 GHz or more or an empty payload is
//!   refused; a status loses its non-finite OS metrics; a status location is dropped when off
//!   the globe, at (0, 0), at the Kickstarter placeholder (10, 20) or with |latitude| ≥ 89.99,
//!   as The Things Stack drops them.
//! * A downlink scheduled at an absolute time only (no concentrator timestamp) cannot be
//!   expressed in v2 and is an error; The Things Stack sends it with timestamp 0, which a
//!   packet forwarder transmits at once.

mod downlink;
mod status;
mod uplink;

pub use downlink::{downlink_from_v3, downlink_to_v3};
pub use status::{location_is_plausible, status_from_v3, status_to_v3};
pub use uplink::{uplink_from_v3, uplink_to_v3};

use loragw_ttnpb::{DataRate, Timestamp, data_rate};

use crate::datarate::{format_lora, parse_lora};
use crate::pb;

/// Why a message cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// A v2 uplink without `protocol_metadata.lorawan`.
    #[error("v2 uplink has no protocol_metadata.lorawan")]
    MissingLorawanMetadata,
    /// A v2 uplink without `gateway_metadata`.
    #[error("v2 uplink has no gateway_metadata")]
    MissingGatewayMetadata,
    /// A v2 downlink without `protocol_configuration.lorawan`.
    #[error("v2 downlink has no protocol_configuration.lorawan")]
    MissingLorawanConfiguration,
    /// A v2 downlink without `gateway_configuration`.
    #[error("v2 downlink has no gateway_configuration")]
    MissingGatewayConfiguration,
    /// A v2 modulation value other than LORA (0) and FSK (1).
    #[error("unknown v2 modulation {0}")]
    UnknownModulation(i32),
    /// A v2 LoRa data rate that is not `SF{5..12}BW{kHz}`.
    #[error("invalid v2 LoRa data rate `{0}`")]
    BadDataRate(String),
    /// A v3 message without a data rate, or with an empty one.
    #[error("{0} has no data rate")]
    MissingDataRate(&'static str),
    /// A modulation v2 cannot express (LR-FHSS).
    #[error("{0} modulation cannot be expressed in v2")]
    UnsupportedModulation(&'static str),
    /// A v3 downlink without scheduled settings (a `TxRequest` must be scheduled first).
    #[error("v3 downlink has no scheduled TxSettings")]
    NotScheduled,
    /// A v3 downlink scheduled at an absolute time without a concentrator timestamp.
    #[error("v3 downlink is scheduled at an absolute time only, which v2 cannot express")]
    AbsoluteTimeOnly,
    /// A v2 uplink with more antennas than a v3 uplink may carry `rx_metadata` entries
    /// ([`loragw_mqtt_v3::codec::MAX_RX_METADATA`]).
    #[error("v2 uplink has {0} antennas, more than the maximum of {max}", max = loragw_mqtt_v3::codec::MAX_RX_METADATA)]
    TooManyAntennas(usize),
    /// A v3 uplink without settings.
    #[error("v3 uplink has no settings")]
    MissingSettings,
    /// The converted v3 uplink fails the range checks every v3 uplink passes
    /// ([`loragw_mqtt_v3::validate::uplink`]): a non-finite RSSI or SNR, a frequency of 0 or
    /// of 10 GHz or more, an empty payload.
    #[error("converted v3 uplink: {0}")]
    Invalid(#[from] loragw_mqtt_v3::codec::PayloadError),
    /// A timestamp that does not fit in `int64` Unix nanoseconds (years before 1678 or after
    /// 2262).
    #[error("{0} is out of the range of v2 Unix nanoseconds")]
    TimeOutOfRange(&'static str),
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// v2 Unix nanoseconds → `Timestamp`; 0 ("unknown") gives `None`.
pub(crate) fn unix_nanos_to_timestamp(nanos: i64) -> Option<Timestamp> {
    (nanos != 0).then(|| Timestamp {
        seconds: nanos.div_euclid(NANOS_PER_SECOND),
        // The remainder is in 0..1e9, which fits in i32.
        nanos: nanos.rem_euclid(NANOS_PER_SECOND) as i32,
    })
}

/// `Timestamp` → v2 Unix nanoseconds; `None` gives 0.
pub(crate) fn timestamp_to_unix_nanos(
    timestamp: Option<&Timestamp>,
    what: &'static str,
) -> Result<i64, ConvertError> {
    let Some(ts) = timestamp else {
        return Ok(0);
    };
    ts.seconds
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|n| n.checked_add(i64::from(ts.nanos)))
        .ok_or(ConvertError::TimeOutOfRange(what))
}

/// v2 modulation fields → v3 data rate.
pub(crate) fn data_rate_from_v2(
    modulation: i32,
    data_rate: &str,
    bit_rate: u32,
    coding_rate: &str,
) -> Result<DataRate, ConvertError> {
    match pb::Modulation::try_from(modulation) {
        Ok(pb::Modulation::Lora) => {
            let (sf, bw) =
                parse_lora(data_rate).ok_or_else(|| ConvertError::BadDataRate(data_rate.into()))?;
            Ok(DataRate::lora(sf, bw, coding_rate))
        }
        Ok(pb::Modulation::Fsk) => Ok(DataRate::fsk(bit_rate)),
        Err(_) => Err(ConvertError::UnknownModulation(modulation)),
    }
}

/// The v2 modulation fields of a v3 data rate.
pub(crate) struct V2DataRate {
    pub(crate) modulation: pb::Modulation,
    pub(crate) data_rate: String,
    pub(crate) bit_rate: u32,
    pub(crate) coding_rate: String,
}

/// v3 data rate → v2 modulation fields.
pub(crate) fn data_rate_to_v2(
    data_rate: Option<&DataRate>,
    what: &'static str,
) -> Result<V2DataRate, ConvertError> {
    match data_rate.and_then(|d| d.modulation.as_ref()) {
        Some(data_rate::Modulation::Lora(lora)) => Ok(V2DataRate {
            modulation: pb::Modulation::Lora,
            data_rate: format_lora(lora.spreading_factor, lora.bandwidth),
            bit_rate: 0,
            coding_rate: lora.coding_rate.clone(),
        }),
        Some(data_rate::Modulation::Fsk(fsk)) => Ok(V2DataRate {
            modulation: pb::Modulation::Fsk,
            data_rate: String::new(),
            bit_rate: fsk.bit_rate,
            coding_rate: String::new(),
        }),
        Some(data_rate::Modulation::Lrfhss(_)) => {
            Err(ConvertError::UnsupportedModulation("LR-FHSS"))
        }
        None => Err(ConvertError::MissingDataRate(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_nanos() {
        assert_eq!(unix_nanos_to_timestamp(0), None);
        assert_eq!(
            unix_nanos_to_timestamp(1_500_000_000_123_456_789),
            Some(Timestamp {
                seconds: 1_500_000_000,
                nanos: 123_456_789
            })
        );
        assert_eq!(
            unix_nanos_to_timestamp(-1),
            Some(Timestamp {
                seconds: -1,
                nanos: 999_999_999
            })
        );
        let ts = Timestamp {
            seconds: -1,
            nanos: 999_999_999,
        };
        assert_eq!(timestamp_to_unix_nanos(Some(&ts), "t"), Ok(-1));
        assert_eq!(timestamp_to_unix_nanos(None, "t"), Ok(0));
        let far = Timestamp {
            seconds: i64::MAX / 2,
            nanos: 0,
        };
        assert_eq!(
            timestamp_to_unix_nanos(Some(&far), "t"),
            Err(ConvertError::TimeOutOfRange("t"))
        );
    }
}
