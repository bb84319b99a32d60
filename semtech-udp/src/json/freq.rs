//! [`Frequency`]: an exact integer number of hertz, written as MHz with up to six decimals.

use std::fmt;

/// Highest frequency accepted on decode, 10 GHz (the 2.4 GHz band is the highest in use).
pub const MAX_FREQUENCY_HZ: u64 = 10_000_000_000;

/// A radio frequency in whole hertz.
///
/// The wire carries MHz as a JSON number with "Hz precision". Decoding rounds to the nearest
/// hertz (The Things Stack truncates, which turns `868.1` into 868099999 Hz on some inputs);
/// encoding prints the exact decimal, so 923.3 MHz is always `923.3`, never `923.29999…`.
///
/// `Display` writes the unit: format it with `{}` alone, not `{} MHz`.
///
/// ```
/// use loragw_semtech_udp::Frequency;
///
/// let f = Frequency::from_hz(923_300_000);
/// assert_eq!(format!("downlink on {f}"), "downlink on 923.3 MHz");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Frequency(pub u64);

impl Frequency {
    /// From hertz.
    pub const fn from_hz(hz: u64) -> Self {
        Self(hz)
    }

    /// Hertz.
    pub const fn hz(self) -> u64 {
        self.0
    }

    /// From MHz as a float, rounded to the nearest hertz. `None` for negative, non-finite or
    /// values above [`MAX_FREQUENCY_HZ`].
    pub fn from_mhz(mhz: f64) -> Option<Self> {
        if !mhz.is_finite() || mhz < 0.0 {
            return None;
        }
        let hz = (mhz * 1e6).round();
        if hz > MAX_FREQUENCY_HZ as f64 {
            return None;
        }
        // Whole, finite and in 0..=MAX_FREQUENCY_HZ (checked above): exact.
        Some(Self(hz as u64))
    }

    /// Appends the MHz decimal form (`868.1`, `864.123456`, `869.0`) to `out`.
    pub(crate) fn write_mhz(self, out: &mut Vec<u8>) {
        let mut int = itoa::Buffer::new();
        out.extend_from_slice(int.format(self.0 / 1_000_000).as_bytes());
        out.push(b'.');
        let mut frac = (self.0 % 1_000_000) as u32;
        if frac == 0 {
            out.push(b'0');
            return;
        }
        let mut digits = [b'0'; 6];
        for d in digits.iter_mut().rev() {
            *d = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        let len = digits.iter().rposition(|&d| d != b'0').map_or(1, |p| p + 1);
        out.extend_from_slice(&digits[..len]);
    }
}

impl fmt::Display for Frequency {
    /// MHz with the exact decimals, for example `868.1 MHz`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(16);
        self.write_mhz(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)?;
        f.write_str(" MHz")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mhz_text(hz: u64) -> String {
        let mut out = Vec::new();
        Frequency(hz).write_mhz(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prints_exact_decimals() {
        assert_eq!(mhz_text(923_300_000), "923.3");
        assert_eq!(mhz_text(868_100_000), "868.1");
        assert_eq!(mhz_text(864_123_456), "864.123456");
        assert_eq!(mhz_text(869_000_000), "869.0");
        assert_eq!(mhz_text(2_403_000_000), "2403.0");
        assert_eq!(mhz_text(902_300_001), "902.300001");
        assert_eq!(Frequency(868_100_000).to_string(), "868.1 MHz");
    }

    #[test]
    fn parses_with_rounding() {
        assert_eq!(Frequency::from_mhz(868.1), Some(Frequency(868_100_000)));
        assert_eq!(Frequency::from_mhz(923.3), Some(Frequency(923_300_000)));
        assert_eq!(
            Frequency::from_mhz(866.349812),
            Some(Frequency(866_349_812))
        );
        assert_eq!(Frequency::from_mhz(-1.0), None);
        assert_eq!(Frequency::from_mhz(f64::NAN), None);
        assert_eq!(Frequency::from_mhz(863.00981), Some(Frequency(863_009_810)));
        assert_eq!(Frequency::from_mhz(868.0), Some(Frequency(868_000_000)));
    }

    proptest::proptest! {
        #[test]
        fn every_hz_value_round_trips(hz in 0u64..=MAX_FREQUENCY_HZ) {
            let text = mhz_text(hz);
            let back = Frequency::from_mhz(text.parse().unwrap()).unwrap();
            proptest::prop_assert_eq!(back, Frequency(hz));
        }
    }
}
