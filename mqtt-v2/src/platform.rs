//! The platform string of The Things Kickstarter Gateway, which carries its firmware version.

/// The model name reported for a gateway whose platform string is a Kickstarter one.
pub const KICKSTARTER_MODEL: &str = "The Things Kickstarter Gateway v1";

/// The parts of a Kickstarter gateway platform string:
/// `The Things Gateway v1 - BL {bootloader} ({date}) - Firmware {firmware} ({date})`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KickstarterPlatform<'a> {
    /// Bootloader version, such as `r9-12345678`.
    pub bootloader: &'a str,
    /// Bootloader build date, such as `2006-01-02T15:04:05Z`.
    pub bootloader_date: &'a str,
    /// Firmware version, such as `v1.2.3-12345678`.
    pub firmware: &'a str,
    /// Firmware build date.
    pub firmware_date: &'a str,
}

impl<'a> KickstarterPlatform<'a> {
    /// Parses a platform string; `None` when it is not a Kickstarter gateway's.
    ///
    /// The bootloader version must start with `r` and the firmware version with `v`; neither
    /// may contain a space, and the dates must be in parentheses.
    pub fn parse(platform: &'a str) -> Option<Self> {
        let rest = platform.strip_prefix("The Things Gateway v1 - BL ")?;
        let (bootloader, rest) = rest.split_once(' ')?;
        let (bootloader_date, rest) = rest.strip_prefix('(')?.split_once(')')?;
        let rest = rest.strip_prefix(" - Firmware ")?;
        let (firmware, rest) = rest.split_once(' ')?;
        let firmware_date = rest.strip_prefix('(')?.strip_suffix(')')?;
        let plain = |s: &str| !s.is_empty() && !s.contains(['(', ')', ' ']);
        let ok = bootloader.len() > 1
            && bootloader.starts_with('r')
            && firmware.len() > 1
            && firmware.starts_with('v')
            && plain(bootloader_date)
            && plain(firmware_date);
        ok.then_some(Self {
            bootloader,
            bootloader_date,
            firmware,
            firmware_date,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_platform() {
        let p = "The Things Gateway v1 - BL r9-12345678 (2006-01-02T15:04:05Z) - Firmware v1.2.3-12345678 (2006-01-02T15:04:05Z)";
        assert_eq!(
            KickstarterPlatform::parse(p),
            Some(KickstarterPlatform {
                bootloader: "r9-12345678",
                bootloader_date: "2006-01-02T15:04:05Z",
                firmware: "v1.2.3-12345678",
                firmware_date: "2006-01-02T15:04:05Z",
            })
        );
    }

    #[test]
    fn other_platforms() {
        for p in [
            "",
            "IMST + Rpi",
            "The Things Gateway v1",
            "The Things Gateway v1 - BL r9-1 (d) - Firmware v1 (d) ",
            "The Things Gateway v1 - BL 9-1 (d) - Firmware v1 (d)",
            "The Things Gateway v1 - BL r9-1 (d) - Firmware 1.0 (d)",
            "The Things Gateway v1 - BL r9-1 () - Firmware v1 (d)",
            "The Things Gateway v1 - BL r9-1 (d) - Firmware v1 (d) (e)",
            "The Things Gateway v2 - BL r9-1 (d) - Firmware v1 (d)",
        ] {
            assert_eq!(KickstarterPlatform::parse(p), None, "{p}");
        }
    }
}
