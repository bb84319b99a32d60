//! The JSON reader shared by loragw's protocol crates: `loragw-semtech-udp` reads the GWMP
//! bodies with it and `loragw-basicstation` the Basics Station uplinks.
//!
//! The package is `loragw-json-lex`; in code the crate is `loragw_json_lex`.
//!
//! It is a pull reader, not a parser into a tree: the caller walks an object with
//! [`Lexer::next_key`] and reads each value with a typed reader ([`Lexer::uint`],
//! [`Lexer::float`], [`Lexer::bytes`], ...) or skips it ([`Lexer::skip_value`];
//! [`Lexer::ignore_value`] skips exactly what serde_json's `IgnoredAny` skips, for decoders
//! replacing a serde-derived one). Strings are borrowed from the input unless they hold
//! escapes; numbers are read from their decimal digits (correctly rounded); nothing is
//! allocated on the usual paths. Compact object keys of up to 7
//! bytes are matched as integers ([`key_code`]), so a decoder is a `match` on constants.
//!
//! Two kinds of failure: [`Fatal`] (the text is not JSON: give up on it) and a value error
//! ([`Bad::Value`]: valid JSON with a value of the wrong type or range, already consumed, so the
//! reader stays in step and the caller can reject one element and go on).
//!
//! ```
//! use loragw_json_lex::{Lexer, key_code};
//!
//! const K_FREQ: u64 = key_code(b"freq");
//! let mut lx = Lexer::new(br#"{"freq":868.1,"chan":3,"x":[1,{"y":null}]}"#);
//! lx.begin_object().unwrap();
//! let (mut freq, mut chan) = (None, None);
//! let mut first = true;
//! while let Some(key) = lx.next_key(&mut first).unwrap() {
//!     match key.code {
//!         K_FREQ => freq = lx.float().unwrap(),
//!         _ if &*key.bytes == b"chan" => chan = lx.uint::<u8>().unwrap(),
//!         _ => lx.skip_value().unwrap(),
//!     }
//! }
//! lx.finish().unwrap();
//! assert_eq!((freq, chan), (Some(868.1), Some(3)));
//! ```

#![forbid(unsafe_code)]

mod lex;
mod scalar;

pub use lex::{Bad, Fatal, Lexer, MAX_DEPTH};
pub use scalar::{Key, Num, key_code};
