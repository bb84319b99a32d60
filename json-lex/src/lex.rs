//! The reader itself: object and array walking, keys, strings, literals and skipping. Numbers
//! are in `number.rs`, serde-compatible skipping in `ignore.rs`.
//!
//! Two kinds of failure: [`Fatal`] (the text is not JSON; a GWMP datagram is lost) and a value
//! error (`Bad::Value`: valid JSON with a wrong value; the reader has consumed the value and can
//! go on, so one bad `rxpk` costs only itself).

use std::borrow::Cow;

use super::scalar::{Key, first_special, hex4_at, key_code, plain_key4, scan_plain, word_at};

/// Deepest nesting accepted in skipped values (protects the stack).
pub const MAX_DEPTH: u32 = 64;

/// The text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal(
    /// What was wrong and at which byte.
    pub String,
);

/// Why a value was not read.
#[derive(Debug)]
pub enum Bad {
    /// Not JSON: give up on the datagram.
    Fatal(Fatal),
    /// Valid JSON, unusable value (already consumed).
    Value(String),
}

impl From<Fatal> for Bad {
    fn from(f: Fatal) -> Self {
        Bad::Fatal(f)
    }
}

/// A reader over one JSON text; see the crate docs for the walk.
pub struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// A reader at the start of `s`.
    #[inline]
    pub fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0 }
    }

    fn fatal(&self, what: &str) -> Fatal {
        Fatal(format!("{what} at byte {}", self.pos))
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next byte after any whitespace (which it consumes), without consuming the byte.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, c: u8, what: &str) -> Result<(), Fatal> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fatal(what))
        }
    }

    /// The byte offset the reader is at.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The text from the current position on.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.s.get(self.pos..).unwrap_or_default()
    }

    /// Moves the reader to a byte offset (back to a saved [`Self::position`], or past a value
    /// the caller read from [`Self::rest`] itself).
    #[inline]
    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// After the whole body: only whitespace may remain.
    #[inline]
    pub fn finish(&mut self) -> Result<(), Fatal> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.fatal("trailing characters after the JSON object")),
        }
    }

    /// Consumes the `{` that must come next.
    #[inline]
    pub fn begin_object(&mut self) -> Result<(), Fatal> {
        self.expect(b'{', "expected `{`")
    }

    /// The next key of an object, or `None` at its end. `first` tracks the comma.
    #[inline(always)]
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Key<'a>>, Fatal> {
        let s = self.s;
        let p = self.pos;
        // Fastest path, the usual GWMP key: `,"abcd":` is exactly one 8-byte word (`"abcd":`
        // and one more byte for the first key, shifted to look the same).
        if let Some(chunk) = s.get(p..p + 8) {
            const FRAME_LANES: u64 = 0xFFFF_0000_0000_FFFF;
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let no_comma = usize::from(*first);
            let x = if *first {
                (x << 8) | u64::from(b',')
            } else {
                x
            };
            let code = (x >> 16) & 0xFFFF_FFFF;
            // The four key bytes hide no `"`, `\\` or control character (checked on the four
            // bytes only, see `plain_key4`).
            if x & FRAME_LANES == u64::from_le_bytes(*b",\"\0\0\0\0\":") && plain_key4(code as u32)
            {
                *first = false;
                let key = p + 2 - no_comma;
                self.pos = key + 6;
                return Ok(Some(Key {
                    code,
                    bytes: Cow::Borrowed(&s[key..key + 4]),
                }));
            }
        }
        if s.get(p) == Some(&b'}') {
            self.pos = p + 1;
            return Ok(None);
        }
        self.next_key_compact(first)
    }

    /// Consumes the next key if it is the four-byte key whose [`key_code`] is `code`, written
    /// compactly (`,"abcd":`, or `"abcd":` and one byte more for the first key: eight bytes
    /// of text, as on the fast path of [`Self::next_key`]); otherwise consumes nothing and
    /// returns `false` (and [`Self::next_key`] reads the key, whatever it is). When it returns
    /// `true`, [`Self::next_key`] would have returned that same key and left the reader at the
    /// same place: a decoder that expects its fields in a usual order tries them with this
    /// first, and meets no other language.
    ///
    /// `code` must be a key of exactly four bytes, each at least `#` and none a backslash;
    /// for any other code this returns `false`. With a constant `code` the whole test is one
    /// 8-byte compare.
    #[inline(always)]
    pub fn next_key_is(&mut self, first: &mut bool, code: u64) -> bool {
        if code >> 32 != 0 || !plain_key4(code as u32) {
            return false;
        }
        let Some(x) = word_at(self.s, self.pos) else {
            return false;
        };
        if *first {
            // `"abcd":` and one byte more, as in `next_key`.
            let want = u64::from_le_bytes(*b"\"\0\0\0\0\":\0") | (code << 8);
            if x & 0x00FF_FFFF_FFFF_FFFF != want {
                return false;
            }
            *first = false;
            self.pos += 7;
        } else {
            if x != u64::from_le_bytes(*b",\"\0\0\0\0\":") | (code << 16) {
                return false;
            }
            self.pos += 8;
        }
        true
    }

    /// Compact keys of up to 7 bytes (`"key":` or `,"key":`), else the general reader.
    #[inline(never)]
    fn next_key_compact(&mut self, first: &mut bool) -> Result<Option<Key<'a>>, Fatal> {
        // Fast path for compact JSON: `"key":` or `,"key":` with a plain key of at most 7
        // bytes, read as one 8-byte word whose low bytes are the key code.
        let s = self.s;
        let mut p = self.pos;
        if !*first && s.get(p) == Some(&b',') {
            p += 1;
        }
        if (p > self.pos || *first)
            && s.get(p) == Some(&b'"')
            && let Some(chunk) = s.get(p + 1..p + 9)
        {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let q = first_special(x);
            if q < 8 && chunk[q] == b'"' && s.get(p + 2 + q) == Some(&b':') {
                *first = false;
                self.pos = p + 3 + q;
                return Ok(Some(Key {
                    code: x & ((1u64 << (8 * q)) - 1),
                    bytes: Cow::Borrowed(&s[p + 1..p + 1 + q]),
                }));
            }
        }
        self.next_key_slow(first)
    }

    #[cold]
    #[inline(never)]
    fn next_key_slow(&mut self, first: &mut bool) -> Result<Option<Key<'a>>, Fatal> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            _ if *first => {}
            _ => return Err(self.fatal("expected `,` or `}` in object")),
        }
        *first = false;
        let bytes = self.str_bytes()?;
        self.expect(b':', "expected `:` after key")?;
        Ok(Some(Key {
            code: key_code(&bytes),
            bytes,
        }))
    }

    /// Whether another array element follows (consuming its comma), `false` at the `]`.
    /// `first` tracks the comma, as in [`Self::next_key`].
    #[inline]
    pub fn next_element(&mut self, first: &mut bool) -> Result<bool, Fatal> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            Some(b',') if !*first => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            _ => Err(self.fatal("expected `,` or `]` in array")),
        }
    }

    /// Fast path: a string with neither escape nor control character that starts right here,
    /// scanned eight bytes at a time. Consumes it and returns its bytes; otherwise consumes
    /// nothing.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let s = self.s;
        if s.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos + 1;
        let mut p = start;
        let end = loop {
            let Some(x) = word_at(s, p) else {
                break scan_plain(s, p);
            };
            let q = first_special(x);
            if q < 8 {
                break p + q;
            }
            p += 8;
        };
        if s.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        Some(&s[start..end])
    }

    /// A string's bytes with escapes decoded (UTF-8 not checked: see [`Self::string`]).
    #[inline]
    pub fn str_bytes(&mut self) -> Result<Cow<'a, [u8]>, Fatal> {
        match self.plain_string() {
            Some(b) => Ok(Cow::Borrowed(b)),
            None => self.str_bytes_slow(),
        }
    }

    /// [`Self::str_bytes`] for whitespace before the string, escapes and errors.
    #[inline(never)]
    fn str_bytes_slow(&mut self) -> Result<Cow<'a, [u8]>, Fatal> {
        self.ws();
        let s = self.s;
        let mut p = self.pos;
        if s.get(p) != Some(&b'"') {
            return Err(self.fatal("expected a string"));
        }
        p += 1;
        let start = p;
        p = scan_plain(s, p);
        while let Some(&b) = s.get(p) {
            if b == b'"' {
                self.pos = p + 1;
                return Ok(Cow::Borrowed(&s[start..p]));
            }
            if b == b'\\' {
                self.pos = p;
                return self.escaped(start).map(Cow::Owned);
            }
            if b < 0x20 {
                self.pos = p;
                return Err(self.fatal("control character in string"));
            }
            p += 1;
        }
        self.pos = p;
        Err(self.fatal("unterminated string"))
    }

    /// A string, checked to be UTF-8.
    #[inline]
    pub fn string(&mut self) -> Result<Cow<'a, str>, Fatal> {
        match self.str_bytes()? {
            Cow::Borrowed(b) => std::str::from_utf8(b)
                .map(Cow::Borrowed)
                .map_err(|_| self.fatal("invalid UTF-8 in string")),
            Cow::Owned(v) => String::from_utf8(v)
                .map(Cow::Owned)
                .map_err(|_| self.fatal("invalid UTF-8 in string")),
        }
    }

    /// The rest of a string with escapes, from `start` (just after the quote); `pos` is at the
    /// first backslash.
    fn escaped(&mut self, start: usize) -> Result<Vec<u8>, Fatal> {
        let mut out: Vec<u8> = self.s[start..self.pos].to_vec();
        loop {
            match self.s.get(self.pos) {
                None => return Err(self.fatal("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.s.get(self.pos).copied();
                    self.pos += 1;
                    let ch = match c {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.fatal("invalid escape in string")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                Some(&b) if b < 0x20 => return Err(self.fatal("control character in string")),
                Some(&b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Fatal> {
        let v = hex4_at(self.s, self.pos).ok_or_else(|| self.fatal("bad \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, Fatal> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.s.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.fatal("lone surrogate in \\u escape"));
            }
            self.pos += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.fatal("invalid surrogate pair"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.fatal("invalid \\u escape"))
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Fatal> {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.fatal("invalid literal"))
        }
    }

    /// Consumes `null` if it is next.
    #[inline]
    pub fn null(&mut self) -> Result<bool, Fatal> {
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Skips any value (plain numbers and strings on the fast paths).
    #[inline]
    pub fn skip_value(&mut self) -> Result<(), Fatal> {
        if self.plain_decimal().is_some() || self.plain_string().is_some() {
            return Ok(());
        }
        self.skip_inner(0)
    }

    /// Skips any value and returns its text, checked to be UTF-8.
    pub fn raw_value(&mut self) -> Result<&'a str, Fatal> {
        self.ws();
        let start = self.pos;
        self.skip_inner(0)?;
        std::str::from_utf8(&self.s[start..self.pos]).map_err(|_| self.fatal("invalid UTF-8"))
    }

    fn skip_inner(&mut self, depth: u32) -> Result<(), Fatal> {
        if depth > MAX_DEPTH {
            return Err(self.fatal("nesting too deep"));
        }
        match self.peek() {
            Some(b'"') => self.str_bytes().map(drop),
            Some(b'{') => {
                self.pos += 1;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip_inner(depth + 1)?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.pos += 1;
                let mut first = true;
                while self.next_element(&mut first)? {
                    self.skip_inner(depth + 1)?;
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.fatal("expected a value")),
        }
    }

    // ---- typed readers: `Ok(None)` for `null`; a value of the wrong type is skipped and
    // reported as `Bad::Value`.

    fn wrong(&mut self, expected: &str) -> Bad {
        self.ws();
        let start = self.pos;
        match self.skip_value() {
            Ok(()) => {
                let shown: String = String::from_utf8_lossy(&self.s[start..self.pos])
                    .chars()
                    .take(40)
                    .collect();
                Bad::Value(format!("expected {expected}, found `{shown}`"))
            }
            Err(f) => Bad::Fatal(f),
        }
    }

    /// `true` or `false`, or `None` for null.
    #[inline(always)]
    pub fn boolean(&mut self) -> Result<Option<bool>, Bad> {
        // Fast path: the literal right here, compared as a whole.
        let rest = self.rest();
        if rest.starts_with(b"true") {
            self.pos += 4;
            return Ok(Some(true));
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return Ok(Some(false));
        }
        self.boolean_slow()
    }

    /// [`Self::boolean`] after whitespace, for null, and for errors.
    #[inline(never)]
    fn boolean_slow(&mut self) -> Result<Option<bool>, Bad> {
        match self.peek() {
            Some(b't') => {
                self.literal(b"true")?;
                Ok(Some(true))
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Ok(Some(false))
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(self.wrong("true or false")),
        }
    }

    /// A string checked to be UTF-8, or `None` for null.
    #[inline]
    pub fn str(&mut self) -> Result<Option<Cow<'a, str>>, Bad> {
        match self.peek() {
            Some(b'"') => Ok(Some(self.string()?)),
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(self.wrong("a string")),
        }
    }

    /// A string's bytes (escapes decoded), or `None` for null.
    #[inline]
    pub fn bytes(&mut self) -> Result<Option<Cow<'a, [u8]>>, Bad> {
        match self.plain_string() {
            Some(b) => Ok(Some(Cow::Borrowed(b))),
            None => self.bytes_slow(),
        }
    }

    /// [`Self::bytes`] off its fast path.
    #[inline(never)]
    fn bytes_slow(&mut self) -> Result<Option<Cow<'a, [u8]>>, Bad> {
        match self.peek() {
            Some(b'"') => Ok(Some(self.str_bytes()?)),
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(None)
            }
            _ => Err(self.wrong("a string")),
        }
    }

    /// Checks that an object follows (or null, giving `false`); a wrong type is skipped.
    #[inline]
    pub fn object_start(&mut self) -> Result<bool, Bad> {
        self.container_start(b'{', "an object")
    }

    /// Checks that an array follows (or null, giving `false`); a wrong type is skipped.
    #[inline]
    pub fn array_start(&mut self) -> Result<bool, Bad> {
        self.container_start(b'[', "an array")
    }

    /// Consumes `open` (`true`), or `null` (`false`); anything else is skipped as a value error
    /// naming `what`.
    #[inline]
    fn container_start(&mut self, open: u8, what: &str) -> Result<bool, Bad> {
        match self.peek() {
            Some(b) if b == open => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(false)
            }
            _ => Err(self.wrong(what)),
        }
    }
}

#[path = "ignore.rs"]
mod ignore;
#[path = "number.rs"]
mod number;

#[cfg(test)]
#[path = "lex_tests.rs"]
mod tests;
