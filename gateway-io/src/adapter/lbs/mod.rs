//! LoRa Basics Station (LNS protocol) ↔ ttnpb.
//!
//! | direction | function |
//! |---|---|
//! | `updf`/`jreq`/`rejoin`/`propdf` → `UplinkMessage` | [`up_message_to_uplink`], [`radio_to_uplink`] (for [`LnsEvent::Uplink`](loragw_basicstation::lns::LnsEvent)) |
//! | `DownlinkMessage` → `dnmsg` | [`downlink_to_request`] (a [`DownlinkRequest`](loragw_basicstation::lns::DownlinkRequest) the LNS session turns into `dnmsg`) |
//! | `dntxed` → `TxAcknowledgment` | [`tx_confirmed_to_ack`], [`tx_timeout_to_ack`] |
//! | `version` → `GatewayStatus` | [`version_to_status`] |
//! | frequency plans → `router_config` | [`channel_plan`], [`router_config`] |
//!
//! and [`uplink_to_up_message`] for the station side (bridging ttnpb uplinks to an LNS).
//!
//! Differences from The Things Stack (its §8 bugs fixed): `rctx` is read (antenna index) and
//! `fts` becomes the fine timestamp; `propdf` and `rejoin` are forwarded; downlinks carry RX2 and
//! class C (`dC` 2) and may be sent before the first uplink (class C, class B); `router_config`
//! names a region the station knows, with `-1` for undefined DRs and `dnonly` flags.

mod downlink;
mod plan;
mod status;
mod uplink;

pub(crate) use downlink::window;
pub use downlink::{
    DownlinkContext, PLACEHOLDER_DEV_EUI, SCHEDULED_PRIORITY, downlink_to_request,
    tx_confirmed_to_ack, tx_timeout_to_ack,
};
pub use plan::{channel_plan, region_of, router_config};
pub use status::version_to_status;
pub(crate) use uplink::{GatewaySideRadio, gateway_side_radio};
pub use uplink::{radio_to_uplink, up_message_to_uplink, uplink_to_up_message};

use loragw_basicstation::region::{LrFhssCodingRate, Modulation, Region};
use loragw_ttnpb::DataRate;
use loragw_ttnpb::data_rate::Modulation as TtnModulation;

use crate::error::TranslateError;

/// The ttnpb data rate of DR index `dr` in `region`'s table.
pub fn data_rate_of_index(region: Region, dr: u8) -> Result<DataRate, TranslateError> {
    let d = region.data_rate(dr).ok_or_else(|| {
        TranslateError::invalid("DR", format!("{dr} is not defined in {}", region.name()))
    })?;
    Ok(match d.modulation {
        Modulation::Lora {
            spreading_factor,
            bandwidth_khz,
        } => DataRate::lora(
            u32::from(spreading_factor),
            u32::from(bandwidth_khz) * 1000,
            "4/5",
        ),
        Modulation::Fsk { bit_rate } => DataRate::fsk(bit_rate),
        Modulation::LrFhss {
            coding_rate,
            ocw_khz,
        } => DataRate::lrfhss(
            0,
            u32::from(ocw_khz) * 1000,
            match coding_rate {
                LrFhssCodingRate::OneThird => "1/3",
                LrFhssCodingRate::TwoThirds => "2/3",
            },
        ),
    })
}

/// The region-table modulation of a ttnpb data rate (LoRa coding rate 4/5 or unset).
pub(crate) fn modulation_of(
    dr: &DataRate,
    field: &'static str,
) -> Result<Modulation, TranslateError> {
    let khz = |hz: u32| {
        u16::try_from(hz / 1000)
            .ok()
            .filter(|_| hz.is_multiple_of(1000))
            .ok_or_else(|| TranslateError::invalid(field, format!("{hz} Hz is not whole kHz")))
    };
    match &dr.modulation {
        Some(TtnModulation::Lora(l)) => {
            if !(l.coding_rate.is_empty() || l.coding_rate == "4/5") {
                return Err(TranslateError::invalid(
                    field,
                    format!(
                        "LoRaWAN data rates use coding rate 4/5, not {}",
                        l.coding_rate
                    ),
                ));
            }
            Ok(Modulation::Lora {
                spreading_factor: u8::try_from(l.spreading_factor)
                    .map_err(|_| TranslateError::invalid(field, "spreading factor out of range"))?,
                bandwidth_khz: khz(l.bandwidth)?,
            })
        }
        Some(TtnModulation::Fsk(f)) => Ok(Modulation::Fsk {
            bit_rate: f.bit_rate,
        }),
        Some(TtnModulation::Lrfhss(l)) => Ok(Modulation::LrFhss {
            coding_rate: match l.coding_rate.as_str() {
                "1/3" => LrFhssCodingRate::OneThird,
                "2/3" => LrFhssCodingRate::TwoThirds,
                other => {
                    return Err(TranslateError::invalid(
                        field,
                        format!("LR-FHSS coding rate `{other}`"),
                    ));
                }
            },
            ocw_khz: khz(l.operating_channel_width)?,
        }),
        None => Err(TranslateError::Missing(field)),
    }
}

#[cfg(test)]
mod tests;
