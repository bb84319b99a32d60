//! The dialect's xtime: session id in the top 16 bits, concentrator µs below; downlinks carry
//! only the low **40** bits of the counter (as The Things Stack sends them, about 12.7 days).

/// The concentrator bits a `dnframe.xtime` carries (and clock sync uses).
pub const MICROS_MASK: i64 = 0xFF_FFFF_FFFF;

/// The session id of an xtime: its top 16 bits, signed.
pub fn session_of(xtime: i64) -> i64 {
    xtime >> 48
}

/// The concentrator µs of an xtime (low 40 bits).
pub fn micros_of(xtime: i64) -> i64 {
    xtime & MICROS_MASK
}

/// The 32-bit gateway timestamp (µs) of an xtime, as a Semtech `tmst`.
pub fn timestamp_of(xtime: i64) -> u32 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // low 32 bits wanted
    let t = xtime as u32;
    t
}

/// The `dnframe.xtime` for concentrator time `micros` in session `session`.
pub fn downlink_xtime(session: i64, micros: i64) -> i64 {
    (session << 48) | (micros & MICROS_MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // 0x2D000000AF3E1C: session 45, timestamp 11484700.
        let x = 12_666_373_963_464_220;
        assert_eq!(session_of(x), 45);
        assert_eq!(timestamp_of(x), 11_484_700);
        assert_eq!(micros_of(x), 11_484_700);
        assert_eq!(downlink_xtime(0x11, 1_554_300), 4_785_074_605_635_452);
        // Bits 40..47 of the counter are not sent.
        assert_eq!(downlink_xtime(1, 1 << 40 | 5), 1 << 48 | 5);
        assert_eq!(session_of(downlink_xtime(-2, 7)), -2);
    }
}
