//! `version` → `GatewayStatus`.

use loragw_basicstation::message::Version;
use loragw_ttnpb::GatewayStatus;

/// The status a station's `version` message reports: versions `station`, `firmware`,
/// `package` (when known), `model`, `protocol`, `features`, and `platform` =
/// `"<model> - Firmware <firmware> - Protocol <protocol>"` as The Things Stack writes it.
pub fn version_to_status(version: &Version) -> GatewayStatus {
    let mut status = GatewayStatus::default();
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            status
                .versions
                .insert(k.into(), v.chars().take(128).collect());
        }
    };
    put("station", version.station.clone());
    put("firmware", version.firmware.clone().unwrap_or_default());
    put("package", version.package.clone().unwrap_or_default());
    put("model", version.model.clone());
    put("protocol", version.protocol.to_string());
    put("features", version.features.clone());
    put(
        "platform",
        format!(
            "{} - Firmware {} - Protocol {}",
            version.model,
            version.firmware.as_deref().unwrap_or(""),
            version.protocol
        ),
    );
    status
}
