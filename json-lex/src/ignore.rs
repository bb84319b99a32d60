//! [`Lexer::ignore_value`]: skipping a value the way serde_json ignores an unknown field, for
//! decoders that must accept exactly what a serde-derived decoder accepted.

use super::{Fatal, Lexer};
use crate::scalar::{hex4_at, scan_plain};

impl Lexer<'_> {
    /// Skips any value exactly as serde_json's `IgnoredAny` does (its `ignore_value`): nesting
    /// of any depth (an explicit stack, not recursion, so the depth cannot exhaust the thread's
    /// stack), and strings checked against the grammar (escapes well formed, no control
    /// characters) but not decoded, so nothing is allocated for them and a lone surrogate
    /// escape (`"\ud800"`) passes. [`Self::skip_value`] instead decodes strings and limits the
    /// depth to [`crate::MAX_DEPTH`].
    #[inline]
    pub fn ignore_value(&mut self) -> Result<(), Fatal> {
        if self.plain_decimal().is_some() || self.plain_string().is_some() {
            return Ok(());
        }
        self.ignore_slow()
    }

    #[inline(never)]
    fn ignore_slow(&mut self) -> Result<(), Fatal> {
        // The closing byte of each open container, innermost last (allocated only when a
        // container is nested in the skipped value).
        let mut open: Vec<u8> = Vec::new();
        loop {
            // One value; containers push their closer and go on with their first element.
            let closed = match self.peek() {
                Some(b'"') => {
                    self.ignore_string()?;
                    true
                }
                Some(c @ (b'{' | b'[')) => {
                    self.pos += 1;
                    let close = if c == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        true
                    } else {
                        open.push(close);
                        if close == b'}' {
                            self.ignore_key()?;
                        }
                        false
                    }
                }
                Some(b't') => self.literal(b"true").map(|()| true)?,
                Some(b'f') => self.literal(b"false").map(|()| true)?,
                Some(b'n') => self.literal(b"null").map(|()| true)?,
                Some(b'-' | b'0'..=b'9') => self.number().map(|_| true)?,
                _ => return Err(self.fatal("expected a value")),
            };
            if !closed {
                continue;
            }
            // After a value: close containers until a comma starts the next element.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.ignore_key()?;
                        }
                        break;
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.fatal("expected `,` or the end of the container")),
                }
            }
        }
    }

    /// An object key and its colon, skipped as [`Self::ignore_string`] skips strings.
    fn ignore_key(&mut self) -> Result<(), Fatal> {
        if self.peek() != Some(b'"') {
            return Err(self.fatal("expected a string key"));
        }
        self.ignore_string()?;
        self.expect(b':', "expected `:` after key")
    }

    /// The string at the reader (its opening quote next): escapes checked, not decoded.
    fn ignore_string(&mut self) -> Result<(), Fatal> {
        let s = self.s;
        let mut p = self.pos + 1;
        loop {
            p = scan_plain(s, p);
            match s.get(p) {
                Some(b'"') => {
                    self.pos = p + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let len = match s.get(p + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                        Some(b'u') if hex4_at(s, p + 2).is_some() => 6,
                        _ => {
                            self.pos = p;
                            return Err(self.fatal("invalid escape in string"));
                        }
                    };
                    p += len;
                }
                Some(_) => {
                    self.pos = p;
                    return Err(self.fatal("control character in string"));
                }
                None => {
                    self.pos = p;
                    return Err(self.fatal("unterminated string"));
                }
            }
        }
    }
}
