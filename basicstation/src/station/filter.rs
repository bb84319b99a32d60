//! The uplink filters a `router_config` sets at the station: `NetID` on data frames and
//! `JoinEui` ranges on join-requests, plus `device_mode`.

use crate::message::UpMessage;

/// The parts of `router_config` that filter uplinks, read from the message text (the shared
/// `RouterConfig` type does not carry them).
#[derive(serde::Deserialize)]
pub(super) struct RouterFilterWire {
    #[serde(rename = "NetID", default)]
    net_id: Option<Vec<u64>>,
    #[serde(rename = "JoinEui", alias = "JoinEUI", default)]
    join_eui: Option<Vec<[u64; 2]>>,
    #[serde(default)]
    device_mode: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct RouterFilter {
    /// Bit n set: NwkID n (DevAddr >> 25) accepted; `None` accepts all.
    nwk_ids: Option<u128>,
    /// Accepted JoinEUI ranges (at most 10, like the station); `None` accepts all.
    join_eui: Option<Vec<[u64; 2]>>,
    pub(super) device_mode: bool,
}

impl From<RouterFilterWire> for RouterFilter {
    fn from(w: RouterFilterWire) -> Self {
        RouterFilter {
            nwk_ids: w.net_id.map(|ids| {
                ids.iter()
                    .filter(|&&id| id < 128)
                    .fold(0u128, |acc, &id| acc | 1 << id)
            }),
            join_eui: w.join_eui.map(|mut r| {
                r.truncate(10);
                r
            }),
            device_mode: w.device_mode,
        }
    }
}

impl RouterFilter {
    pub(super) fn accepts(&self, msg: &UpMessage) -> bool {
        match msg {
            UpMessage::Updf(u) => self
                .nwk_ids
                .is_none_or(|ids| ids & (1u128 << (u.dev_addr >> 25)) != 0),
            UpMessage::Jreq(j) => self.join_eui.as_ref().is_none_or(|ranges| {
                ranges
                    .iter()
                    .any(|&[lo, hi]| (lo..=hi).contains(&j.join_eui.0))
            }),
            _ => true,
        }
    }
}
