//! Protobuf written back to front into a buffer of known size.
//!
//! Writing the last field first means a nested message is complete before its length has to
//! be written in front of it, so no message's size is computed more than once (prost computes
//! the size of a message at every level that contains it, and so does any front-to-back
//! writer). The position is a plain index the optimiser keeps in a register across the
//! fields of a message, where prost's writer keeps its position behind a reference and reads
//! it back from memory for every varint.
//!
//! The field writers follow prost's proto3 rules exactly: a plain scalar, string or bytes
//! field is written only when it differs from its default (`!= 0`, `!= 0.0`, not empty, so
//! `-0.0` is not written and NaN is); an optional message is written whenever it is present,
//! even empty; repeated fields write every element.

use prost::Message;
use prost::encoding::encoded_len_varint;

/// Wire type of varint fields.
const VARINT: u32 = 0;
/// Wire type of 32-bit fixed-width fields (`float`).
const FIXED32: u32 = 5;
/// Wire type of length-delimited fields (bytes, strings, messages).
const LEN: u32 = 2;

/// A buffer filled from its end: each write goes just before the previous one.
pub(crate) struct BackWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> BackWriter<'a> {
    /// A writer that fills `buf` completely, last byte first.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        let pos = buf.len();
        Self { buf, pos }
    }

    /// How many bytes are still to be written.
    pub(crate) fn remaining(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.pos -= 1;
        self.buf[self.pos] = b;
    }

    #[inline(always)]
    fn raw(&mut self, bytes: &[u8]) {
        let start = self.pos - bytes.len();
        self.buf[start..self.pos].copy_from_slice(bytes);
        self.pos = start;
    }

    /// A base-128 varint; one byte inline, longer ones out of line.
    #[inline(always)]
    fn varint(&mut self, value: u64) {
        if value < 0x80 {
            self.byte(value as u8);
        } else {
            self.long_varint(value);
        }
    }

    #[inline]
    fn long_varint(&mut self, mut value: u64) {
        let start = self.pos - encoded_len_varint(value);
        let (last, rest) = self.buf[start..self.pos]
            .split_last_mut()
            .expect("a varint is at least one byte");
        for b in rest {
            *b = (value as u8) | 0x80;
            value >>= 7;
        }
        *last = value as u8;
        self.pos = start;
    }

    /// A field key: one byte for fields 1 to 15 (a constant store once inlined), two for the
    /// higher ones of `RxMetadata`.
    #[inline(always)]
    fn key(&mut self, tag: u32, wire_type: u32) {
        self.varint(u64::from((tag << 3) | wire_type));
    }

    /// A `uint32` / `uint64` field (also `bool`, as 0 or 1).
    #[inline(always)]
    pub(crate) fn uint(&mut self, tag: u32, value: u64) {
        if value != 0 {
            self.varint(value);
            self.key(tag, VARINT);
        }
    }

    /// An `int32` or enumeration field: negative values are ten bytes, sign-extended.
    #[inline(always)]
    pub(crate) fn int32(&mut self, tag: u32, value: i32) {
        self.int64(tag, i64::from(value));
    }

    /// An `int64` field: its two's complement as a varint.
    #[inline(always)]
    pub(crate) fn int64(&mut self, tag: u32, value: i64) {
        self.uint(tag, value as u64);
    }

    /// A `bool` field.
    #[inline(always)]
    pub(crate) fn bool(&mut self, tag: u32, value: bool) {
        self.uint(tag, u64::from(value));
    }

    /// A `float` field.
    #[inline(always)]
    pub(crate) fn float(&mut self, tag: u32, value: f32) {
        if value != 0.0 {
            self.raw(&value.to_le_bytes());
            self.key(tag, FIXED32);
        }
    }

    /// A `bytes` field.
    #[inline(always)]
    pub(crate) fn bytes(&mut self, tag: u32, value: &[u8]) {
        if !value.is_empty() {
            self.len_delimited(tag, value);
        }
    }

    /// A `string` field.
    #[inline(always)]
    pub(crate) fn string(&mut self, tag: u32, value: &str) {
        self.bytes(tag, value.as_bytes());
    }

    /// One element of a repeated `string` or `bytes` field: written even when empty.
    #[inline(always)]
    pub(crate) fn len_delimited(&mut self, tag: u32, value: &[u8]) {
        self.raw(value);
        self.varint(value.len() as u64);
        self.key(tag, LEN);
    }

    /// A message field whose fields `write_fields` writes (back to front, like everything
    /// here); then its length and key.
    #[inline(always)]
    pub(crate) fn message(&mut self, tag: u32, write_fields: impl FnOnce(&mut Self)) {
        let end = self.pos;
        write_fields(self);
        let len = end - self.pos;
        self.varint(len as u64);
        self.key(tag, LEN);
    }

    /// A message field of a type not written by hand here: its bytes are prost's.
    #[inline(never)]
    pub(crate) fn prost_message(&mut self, tag: u32, message: &impl Message) {
        let len = message.encoded_len();
        let start = self.pos - len;
        let mut slot = &mut self.buf[start..self.pos];
        message.encode_raw(&mut slot);
        assert!(
            slot.is_empty(),
            "encode_raw writes exactly encoded_len bytes"
        );
        self.pos = start;
        self.varint(len as u64);
        self.key(tag, LEN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut BackWriter<'_>), len: usize) -> Vec<u8> {
        let mut buf = vec![0xAA; len];
        let mut w = BackWriter::new(&mut buf);
        f(&mut w);
        assert_eq!(w.remaining(), 0, "the writer filled exactly {len} bytes");
        buf
    }

    #[test]
    fn varints_at_every_length_boundary() {
        for (value, bytes) in [
            (0u64, vec![0x08, 0x00]),
            (1, vec![0x08, 0x01]),
            (127, vec![0x08, 0x7F]),
            (128, vec![0x08, 0x80, 0x01]),
            (300, vec![0x08, 0xAC, 0x02]),
            (16_383, vec![0x08, 0xFF, 0x7F]),
            (16_384, vec![0x08, 0x80, 0x80, 0x01]),
            (
                u64::MAX,
                vec![
                    0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                ],
            ),
        ] {
            // `uint` skips 0 as proto3 does; the key and varint writers are checked directly.
            let got = written(
                |w| {
                    w.varint(value);
                    w.key(1, VARINT);
                },
                bytes.len(),
            );
            assert_eq!(got, bytes, "varint {value}");
        }
    }

    #[test]
    fn two_byte_keys_and_negative_int32() {
        // Field 99 (`advanced`), wire type 2: key 794 = 0x9A 0x06.
        assert_eq!(
            written(|w| w.len_delimited(99, b""), 3),
            vec![0x9A, 0x06, 0x00]
        );
        // -1 as int32 is ten bytes, sign-extended to 64 bits.
        let mut expected = vec![0x10];
        expected.extend([0xFF; 9]);
        expected.push(0x01);
        assert_eq!(written(|w| w.int32(2, -1), 11), expected);
    }

    #[test]
    fn defaults_are_not_written_but_nan_is() {
        assert_eq!(
            written(
                |w| {
                    w.uint(1, 0);
                    w.int32(2, 0);
                    w.float(3, 0.0);
                    w.float(3, -0.0);
                    w.bytes(4, b"");
                    w.string(5, "");
                    w.bool(6, false);
                },
                0
            ),
            Vec::<u8>::new()
        );
        let nan = written(|w| w.float(8, f32::NAN), 5);
        assert_eq!(nan[0], 0x45);
        assert!(f32::from_le_bytes(nan[1..].try_into().unwrap()).is_nan());
    }

    #[test]
    fn nested_messages_get_their_length_in_front() {
        let got = written(
            |w| {
                w.message(2, |w| {
                    w.string(1, "ab");
                    w.message(3, |_| {});
                });
            },
            8,
        );
        // Back to front: the field written first (1) ends up last on the wire. Key 2/LEN,
        // length 6, then the empty message 3, then field 1 = "ab".
        assert_eq!(got, vec![0x12, 0x06, 0x1A, 0x00, 0x0A, 0x02, b'a', b'b']);
    }
}
