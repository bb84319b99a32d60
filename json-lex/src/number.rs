//! The number readers of [`Lexer`]: the JSON number grammar, the integer and float readers,
//! and their fast paths for the plain forms forwarders write.

use super::{Bad, Fatal, Lexer};
use crate::scalar::{Num, digits};

impl<'a> Lexer<'a> {
    /// A number, checked against the JSON grammar; its decimal digits are kept exactly while
    /// they fit in a `u64`.
    pub fn number(&mut self) -> Result<Num<'a>, Fatal> {
        self.ws();
        let s = self.s;
        let start = self.pos;
        let mut p = start;
        let neg = s.get(p) == Some(&b'-');
        if neg {
            p += 1;
        }
        // Digits are accumulated with wrapping arithmetic and counted; more than 19 of them
        // (leading zeros included) mark the value inexact, and readers fall back to the text.
        let mut mantissa: u64 = 0;
        let mut count: u32 = 0;
        let mut exp10: i32 = 0;
        let int_start = p;
        (p, mantissa) = digits(s, p, mantissa);
        let int_len = p - int_start;
        if int_len == 0 || (int_len > 1 && s[int_start] == b'0') {
            self.pos = p;
            return Err(self.fatal("invalid number"));
        }
        count += int_len as u32;
        if s.get(p) == Some(&b'.') {
            p += 1;
            let frac_start = p;
            (p, mantissa) = digits(s, p, mantissa);
            let frac_len = p - frac_start;
            if frac_len == 0 {
                self.pos = p;
                return Err(self.fatal("invalid number"));
            }
            count = count.saturating_add(frac_len as u32);
            exp10 = -(frac_len.min(100_000) as i32);
        }
        let mut exact = true;
        if matches!(s.get(p), Some(b'e' | b'E')) {
            p += 1;
            let eneg = match s.get(p) {
                Some(b'-') => {
                    p += 1;
                    true
                }
                Some(b'+') => {
                    p += 1;
                    false
                }
                _ => false,
            };
            if !s.get(p).is_some_and(u8::is_ascii_digit) {
                self.pos = p;
                return Err(self.fatal("invalid number"));
            }
            let mut e: i32 = 0;
            while let Some(&d) = s.get(p) {
                if !d.is_ascii_digit() {
                    break;
                }
                e = e.saturating_mul(10).saturating_add(i32::from(d - b'0'));
                p += 1;
            }
            if e > 10_000 {
                exact = false;
            }
            exp10 = exp10.saturating_add(if eneg { -e } else { e });
        }
        if count > 19 {
            exact = false;
        }
        self.pos = p;
        Ok(Num {
            text: &s[start..p],
            mantissa,
            exp10,
            neg,
            exact,
        })
    }

    /// A number, or `None` for null.
    #[inline]
    pub fn num(&mut self) -> Result<Option<Num<'a>>, Bad> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => Ok(Some(self.number()?)),
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(self.wrong("a number")),
        }
    }

    /// An unsigned integer of type `T` (a fraction, an exponent or a sign only if the value is
    /// still a whole number in range), or `None` for null.
    #[inline(always)]
    pub fn uint<T: TryFrom<u64>>(&mut self) -> Result<Option<T>, Bad> {
        // Unsigned: a minus sign leaves the number to `int_slow` (`-0` is zero, anything else
        // out of range), which reads it whole.
        if let Some((_, v)) = self.plain_integer(false) {
            return T::try_from(v)
                .map(Some)
                .map_err(|_| not_in_range(v, "an unsigned integer"));
        }
        match self.int_slow()? {
            None => Ok(None),
            Some((v, n)) => u64::try_from(v)
                .ok()
                .and_then(|v| T::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| Bad::Value(format!("`{n}` is not an unsigned integer in range"))),
        }
    }

    /// Any other number (or null, or a wrong type) read as an integer: the value and its text.
    #[cold]
    #[inline(never)]
    fn int_slow(&mut self) -> Result<Option<(i128, String)>, Bad> {
        let Some(n) = self.num()? else {
            return Ok(None);
        };
        match n.to_i128() {
            Some(v) => Ok(Some((v, n.show()))),
            None => Err(Bad::Value(format!("`{}` is not an integer", n.show()))),
        }
    }

    /// A signed integer of type `T` (as [`Self::uint`]), or `None` for null.
    #[inline(always)]
    pub fn int<T: TryFrom<i128>>(&mut self) -> Result<Option<T>, Bad> {
        if let Some((neg, v)) = self.plain_integer(true) {
            let v = if neg { -i128::from(v) } else { i128::from(v) };
            return T::try_from(v)
                .map(Some)
                .map_err(|_| not_in_range(v, "an integer"));
        }
        match self.int_slow()? {
            None => Ok(None),
            Some((v, _)) => T::try_from(v)
                .map(Some)
                .map_err(|_| Bad::Value(format!("`{v}` is not an integer in range"))),
        }
    }

    /// Fast path for the common case: a minus if `signed`, and 1 to 19 digits (no leading
    /// zero), followed by neither a fraction nor an exponent. Consumes it and returns
    /// (negative, magnitude); otherwise consumes nothing.
    #[inline]
    fn plain_integer(&mut self, signed: bool) -> Option<(bool, u64)> {
        let s = self.s;
        let start = self.pos;
        // The usual small count or channel: one digit, then a byte that does not go on with
        // the number (the general path below gives the same for it).
        if let Some(&[d, next]) = s.get(start..start + 2)
            && d.is_ascii_digit()
            && !next.is_ascii_digit()
            && !matches!(next, b'.' | b'e' | b'E')
        {
            self.pos = start + 1;
            return Some((false, u64::from(d - b'0')));
        }
        let neg = signed && s.get(start) == Some(&b'-');
        let mut p = start + usize::from(neg);
        let first = p;
        let v;
        (p, v) = digits(s, p, 0);
        let n = p - first;
        if n == 0 || n > 19 || (n > 1 && s[first] == b'0') {
            return None;
        }
        if matches!(s.get(p), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.pos = p;
        Some((neg, v))
    }

    /// Fast path: an optional minus, 1 to 19 digits in all (no leading zero in the integer
    /// part), an optional fraction, no exponent. Consumes it and returns (negative, digits as
    /// an integer, number of fraction digits); otherwise consumes nothing.
    #[inline]
    pub fn plain_decimal(&mut self) -> Option<(bool, u64, u32)> {
        let s = self.s;
        let start = self.pos;
        let neg = s.get(start) == Some(&b'-');
        let mut p = start + usize::from(neg);
        let int_start = p;
        let mut v;
        (p, v) = digits(s, p, 0);
        let int_len = p - int_start;
        if int_len == 0 || (int_len > 1 && s[int_start] == b'0') {
            return None;
        }
        let mut frac_len = 0;
        if s.get(p) == Some(&b'.') {
            p += 1;
            let frac_start = p;
            (p, v) = digits(s, p, v);
            frac_len = p - frac_start;
            if frac_len == 0 {
                return None;
            }
        }
        if int_len + frac_len > 19 || matches!(s.get(p), Some(b'e' | b'E')) {
            return None;
        }
        self.pos = p;
        Some((neg, v, frac_len as u32))
    }

    /// A number as the nearest `f64`, or `None` for null.
    #[inline(always)]
    pub fn float(&mut self) -> Result<Option<f64>, Bad> {
        match self.plain_float() {
            Some(v) => Ok(Some(v)),
            None => self.float_general(),
        }
    }

    /// The fast path of [`Self::float`] alone: a plain decimal (see [`Self::plain_decimal`])
    /// whose digits fit in 53 bits, consumed and converted exactly (one correctly rounded
    /// division); otherwise nothing is consumed. A caller can store this result in line and
    /// leave the rest to [`Self::float_general`].
    #[inline(always)]
    pub fn plain_float(&mut self) -> Option<f64> {
        static EXACT: [f64; 20] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19,
        ];
        let save = self.pos;
        let (neg, m, frac) = self.plain_decimal()?;
        if m >= 1 << 53 {
            self.pos = save;
            return None;
        }
        let v = m as f64 / EXACT[frac as usize];
        Some(if neg { -v } else { v })
    }

    /// [`Self::float`] without its fast path: any number (or null, or a wrong type) read as a
    /// float. What to call once [`Self::plain_float`] gave `None`, so that the plain form is
    /// not tried twice.
    #[cold]
    #[inline(never)]
    pub fn float_general(&mut self) -> Result<Option<f64>, Bad> {
        let Some(n) = self.num()? else {
            return Ok(None);
        };
        n.to_f64()
            .map(Some)
            .ok_or_else(|| Bad::Value(format!("`{}` is out of range", n.show())))
    }
}

/// The value error of an integer outside its type's range, built out of line (the hot readers
/// stay small).
#[cold]
#[inline(never)]
fn not_in_range(v: impl std::fmt::Display, what: &str) -> Bad {
    Bad::Value(format!("`{v}` is not {what} in range"))
}
