//! Scalars for the JSON reader: the eight-bytes-at-a-time string scan, object key codes, and
//! [`Num`], a JSON number kept as exact decimal digits.

use std::borrow::Cow;

/// Index (0..8) of the first byte of a little-endian word that is `"`, `\\` or below 0x20;
/// 8 when there is none. (The lowest flagged byte of these bit tricks is always a true hit.)
#[inline]
pub(crate) fn first_special(x: u64) -> usize {
    (special_lanes(x).trailing_zeros() / 8) as usize
}

/// The high bit of each byte of a little-endian word that is `"`, `\\` or below 0x20, plus
/// possibly some false hits: a byte above a true hit may be flagged too, a byte below the
/// lowest true hit never is, and a true hit always is.
#[inline]
pub(crate) fn special_lanes(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let quote = x ^ (LO * u64::from(b'"'));
    let slash = x ^ (LO * u64::from(b'\\'));
    ((quote.wrapping_sub(LO) & !quote)
        | (slash.wrapping_sub(LO) & !slash)
        | (x.wrapping_sub(LO * 0x20) & !x))
        & HI
}

/// Whether none of the four bytes of `k` is below `#` (control characters, space, `!`, `"`)
/// or a backslash: cheaper than [`special_lanes`] on a whole word, and enough to know that
/// four bytes between `"` and `":` are a plain key (a key with a space or `!` only takes the
/// general path). Both tests are exact about whether some byte matches.
#[inline(always)]
pub(crate) fn plain_key4(k: u32) -> bool {
    const LO: u32 = 0x0101_0101;
    const HI: u32 = 0x8080_8080;
    let below = k.wrapping_sub(LO * 0x23) & !k;
    let b = k ^ (LO * u32::from(b'\\'));
    let backslash = b.wrapping_sub(LO) & !b;
    (below | backslash) & HI == 0
}

/// The first position at or after `p` holding `"`, `\\` or a control character (or the end),
/// looking at eight bytes at a time.
#[inline]
pub(crate) fn scan_plain(s: &[u8], mut p: usize) -> usize {
    while let Some(chunk) = s.get(p..p + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let q = first_special(u64::from_le_bytes(word));
        if q < 8 {
            return p + q;
        }
        p += 8;
    }
    while let Some(&b) = s.get(p) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return p;
        }
        p += 1;
    }
    p
}

/// The eight bytes at `p` as a little-endian word, if there are eight.
#[inline(always)]
pub(crate) fn word_at(s: &[u8], p: usize) -> Option<u64> {
    let chunk = s.get(p..p.checked_add(8)?)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_le_bytes(word))
}

/// The run of ASCII digits from `p` on: where it ends and `acc` followed by its digits, as
/// `acc × 10^len + digits` modulo 2^64 (callers count the digits and decide whether the value
/// is exact).
#[inline(always)]
pub(crate) fn digits(s: &[u8], mut p: usize, mut acc: u64) -> (usize, u64) {
    while let Some(&d) = s.get(p) {
        if !d.is_ascii_digit() {
            break;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        p += 1;
    }
    (p, acc)
}

/// The four hex digits of a `\\u` escape at `p` (exactly four digits: no sign, unlike
/// `u32::from_str_radix`).
pub(crate) fn hex4_at(s: &[u8], p: usize) -> Option<u32> {
    let digits = s.get(p..p.checked_add(4)?)?;
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = char::from(b).to_digit(16)?;
        Some(acc << 4 | d)
    })
}

/// An object key and its code for matching (see [`key_code`]).
pub struct Key<'a> {
    /// [`key_code`] of the key's bytes (escapes decoded).
    pub code: u64,
    /// The key's bytes, escapes decoded (borrowed from the input when it has none).
    pub bytes: Cow<'a, [u8]>,
}

/// Packs a key of up to eight bytes into a `u64` so that decoders match keys with integer
/// compares; longer keys and keys containing NUL get `u64::MAX` (no known key).
pub const fn key_code(s: &[u8]) -> u64 {
    if s.len() > 8 {
        return u64::MAX;
    }
    let mut v = 0u64;
    let mut i = 0;
    while i < s.len() {
        if s[i] == 0 {
            return u64::MAX;
        }
        v |= (s[i] as u64) << (8 * i);
        i += 1;
    }
    v
}

static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// A JSON number: its text and, when its digits fit in a `u64`, its exact value
/// `mantissa × 10^exp10`.
#[derive(Debug, Clone, Copy)]
pub struct Num<'a> {
    /// The number's text as written.
    pub text: &'a [u8],
    /// All its decimal digits as one integer (sign excluded); exact only when `exact`.
    pub mantissa: u64,
    /// The power of ten the mantissa is scaled by.
    pub exp10: i32,
    /// Whether a minus sign was written (also for `-0`).
    pub neg: bool,
    /// Whether `mantissa × 10^exp10` is the number exactly (at most 19 digits, a sane
    /// exponent); otherwise readers go back to `text`.
    pub exact: bool,
}

impl Num<'_> {
    /// The text for an error message, cut to 40 characters.
    pub fn show(&self) -> String {
        String::from_utf8_lossy(self.text)
            .chars()
            .take(40)
            .collect()
    }

    /// The value when it is a whole number (`50000`, `50000.0`, `5e4`).
    #[inline]
    pub fn to_i128(self) -> Option<i128> {
        if self.exact && self.exp10 == 0 {
            let m = i128::from(self.mantissa);
            return Some(if self.neg { -m } else { m });
        }
        if !self.exact {
            // Long plain integers (20 digits and more) are parsed from the text.
            if self.text.iter().all(|b| b.is_ascii_digit() || *b == b'-') {
                return std::str::from_utf8(self.text).ok()?.parse().ok();
            }
            return None;
        }
        let m = i128::from(self.mantissa);
        let v = if self.exp10 >= 0 {
            let e = usize::try_from(self.exp10).ok()?;
            if self.mantissa == 0 {
                0
            } else {
                m.checked_mul(i128::from(*POW10.get(e)?))?
            }
        } else {
            let e = usize::try_from(-i64::from(self.exp10)).ok()?;
            if self.mantissa == 0 {
                0
            } else {
                let d = i128::from(*POW10.get(e)?);
                if m % d != 0 {
                    return None;
                }
                m / d
            }
        };
        Some(if self.neg { -v } else { v })
    }

    /// The nearest `f64` (exact fast path when the digits and exponent allow, otherwise the
    /// standard library's correctly rounded parser); `None` if infinite.
    pub fn to_f64(self) -> Option<f64> {
        static EXACT: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let v = if self.exact && self.mantissa < (1 << 53) && self.exp10.abs() <= 22 {
            let m = self.mantissa as f64;
            let p = EXACT[self.exp10.unsigned_abs() as usize];
            if self.exp10 >= 0 { m * p } else { m / p }
        } else {
            std::str::from_utf8(self.text).ok()?.parse::<f64>().ok()?
        };
        // `-0`, `-0e5`: the exact path computes +0.0; the sign is the text's.
        let v = if self.neg && v.is_sign_positive() {
            -v
        } else {
            v
        };
        v.is_finite().then_some(v)
    }

    /// The value scaled by 10^6 and rounded to the nearest integer (MHz → Hz), exactly from
    /// the decimal digits; `None` when negative or above `max`.
    pub fn to_scaled_micro(self, max: u64) -> Option<u64> {
        if self.neg && self.mantissa != 0 {
            return None;
        }
        if !self.exact {
            let f = self.to_f64()? * 1e6;
            // In 0..=max (checked first; NaN fails the check): the cast only rounds.
            return (f >= 0.0 && f <= max as f64).then(|| f.round() as u64);
        }
        let e = i64::from(self.exp10) + 6;
        let v = if self.mantissa == 0 {
            0
        } else if e >= 0 {
            self.mantissa
                .checked_mul(*POW10.get(usize::try_from(e).ok()?)?)?
        } else {
            let Some(&d) = POW10.get(usize::try_from(-e).ok()?) else {
                return Some(0);
            };
            let q = self.mantissa / d;
            if (self.mantissa % d) * 2 >= d {
                q + 1
            } else {
                q
            }
        };
        (v <= max).then_some(v)
    }
}

#[cfg(test)]
mod scan_tests {
    use super::{digits, plain_key4, scan_plain};
    use proptest::prelude::*;

    /// The four-byte key test, exactly: every byte value in every position among plain ones.
    #[test]
    fn plain_key4_flags_exactly_quotes_backslashes_and_bytes_below_hash() {
        for b in 0..=255u8 {
            for at in 0..4 {
                let mut k = *b"aZ9_";
                k[at] = b;
                let expected = b >= b'#' && b != b'\\';
                assert_eq!(
                    plain_key4(u32::from_le_bytes(k)),
                    expected,
                    "{b:#x} at {at}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn plain_key4_matches_a_per_byte_test(k in any::<[u8; 4]>()) {
            let naive = k.iter().all(|&b| b >= b'#' && b != b'\\');
            prop_assert_eq!(plain_key4(u32::from_le_bytes(k)), naive);
        }

        #[test]
        fn swar_scan_matches_naive(s in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff], 0..40), p in 0usize..40) {
            let p = p.min(s.len());
            let naive = (p..s.len())
                .find(|&i| s[i] == b'"' || s[i] == b'\\' || s[i] < 0x20)
                .unwrap_or(s.len());
            prop_assert_eq!(scan_plain(&s, p), naive);
        }

        #[test]
        fn digits_match_a_per_digit_loop(
            s in proptest::collection::vec(
                prop_oneof![b'0'..=b'9', b'0'..=b'9', b'0'..=b'9', any::<u8>()], 0..48),
            p in 0usize..48,
            acc in prop_oneof![Just(0u64), any::<u64>()],
        ) {
            let p = p.min(s.len());
            let (mut end, mut v) = (p, acc);
            while end < s.len() && s[end].is_ascii_digit() {
                v = v.wrapping_mul(10).wrapping_add(u64::from(s[end] - b'0'));
                end += 1;
            }
            prop_assert_eq!(digits(&s, p, acc), (end, v));
        }
    }
}
