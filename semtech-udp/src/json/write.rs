//! A minimal JSON object writer for the encoders: keys are trusted ASCII literals, values are
//! written directly (integers with `itoa`, floats checked for finiteness, strings escaped only
//! when they may need it).

use crate::error::EncodeError;

/// Writes one JSON object into a caller buffer; `end` closes it.
pub(crate) struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub(crate) fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Writes `"key":` (with a leading comma when needed) and returns the buffer for the value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub(crate) fn uint(&mut self, key: &str, value: u64) {
        let mut buf = itoa::Buffer::new();
        let s = buf.format(value);
        self.key(key).extend_from_slice(s.as_bytes());
    }

    pub(crate) fn int(&mut self, key: &str, value: i64) {
        let mut buf = itoa::Buffer::new();
        let s = buf.format(value);
        self.key(key).extend_from_slice(s.as_bytes());
    }

    pub(crate) fn opt_uint(&mut self, key: &str, value: Option<impl Into<u64>>) {
        if let Some(v) = value {
            self.uint(key, v.into());
        }
    }

    pub(crate) fn opt_int(&mut self, key: &str, value: Option<impl Into<i64>>) {
        if let Some(v) = value {
            self.int(key, v.into());
        }
    }

    pub(crate) fn float(
        &mut self,
        key: &str,
        value: f64,
        field: &'static str,
    ) -> Result<(), EncodeError> {
        write_float(self.key(key), value, field)
    }

    pub(crate) fn opt_float(
        &mut self,
        key: &str,
        value: Option<f64>,
        field: &'static str,
    ) -> Result<(), EncodeError> {
        match value {
            Some(v) => self.float(key, v, field),
            None => Ok(()),
        }
    }

    pub(crate) fn bool(&mut self, key: &str, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.key(key).extend_from_slice(text);
    }

    pub(crate) fn opt_bool(&mut self, key: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.bool(key, v);
        }
    }

    /// A string known to need no escaping (enum names, formatted numbers and dates).
    pub(crate) fn plain_str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    }

    /// Any string, escaped as JSON requires.
    pub(crate) fn str(&mut self, key: &str, value: &str) {
        let out = self.key(key);
        write_escaped(out, value);
    }

    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// Writes a finite float in its shortest round-trip form.
pub(crate) fn write_float(
    out: &mut Vec<u8>,
    value: f64,
    field: &'static str,
) -> Result<(), EncodeError> {
    if !value.is_finite() {
        return Err(EncodeError::NotFinite { field });
    }
    // Fast path: a value that is exactly m / 10^k (as a decoder computes it) for k <= 6 is
    // written as that decimal; everything else through `Display`, which prints the shortest
    // text that parses back to the same value, without an exponent.
    static P10: [f64; 7] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];
    let magnitude = value.abs();
    if magnitude < 1e9 {
        for (k, p) in P10.iter().enumerate() {
            let m = (magnitude * p).round();
            if m / p == magnitude {
                let m = m as u64;
                if value.is_sign_negative() {
                    out.push(b'-');
                }
                let scale = 10u64.pow(k as u32);
                let mut buf = itoa::Buffer::new();
                out.extend_from_slice(buf.format(m / scale).as_bytes());
                out.push(b'.');
                if k == 0 {
                    out.push(b'0');
                } else {
                    let frac = buf.format(m % scale);
                    out.extend(std::iter::repeat_n(b'0', k - frac.len()));
                    out.extend_from_slice(frac.as_bytes());
                }
                return Ok(());
            }
        }
    }
    use std::io::Write as _;
    let start = out.len();
    let _ = write!(out, "{value}");
    if !out[start..].contains(&b'.') {
        out.extend_from_slice(b".0");
    }
    Ok(())
}

/// Writes a JSON string literal with escapes.
pub(crate) fn write_escaped(out: &mut Vec<u8>, value: &str) {
    if value
        .bytes()
        .all(|b| b >= 0x20 && b != b'"' && b != b'\\' && b < 0x7f)
    {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        out.push(b'"');
        for c in value.chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    let mut hex = [0u8; 6];
                    let n = c as u32;
                    hex.copy_from_slice(b"\\u0000");
                    hex[4] = HEX[(n >> 4) as usize & 0xf];
                    hex[5] = HEX[n as usize & 0xf];
                    out.extend_from_slice(&hex);
                }
                c => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        out.push(b'"');
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
