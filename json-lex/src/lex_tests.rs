// Included from `lex.rs` under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;
use crate::scalar::Num;

#[test]
fn strings_and_escapes() {
    let mut l = Lexer::new(br#""plain" "a\"b\\c\u00e9\ud83d\ude00\n""#);
    assert_eq!(l.string().unwrap(), "plain");
    assert_eq!(l.string().unwrap(), "a\"b\\c\u{e9}\u{1F600}\n");
    // `\u` takes exactly four hex digits: no sign (found by the json_lex fuzz target).
    for bad in [
        &br#""abc"#[..],
        b"\"\\x\"",
        b"\"\\ud800\"",
        b"\"a\x01\"",
        br#""\u+0e0""#,
        br#""\u-0e0""#,
        br#""\u 0e0""#,
    ] {
        assert!(Lexer::new(bad).string().is_err());
    }
}

#[test]
fn numbers() {
    for ok in ["0", "-0", "12", "-1.5", "1e5", "2.5E-3"] {
        assert_eq!(
            Lexer::new(ok.as_bytes()).number().unwrap().text,
            ok.as_bytes()
        );
    }
    for bad in ["-", "01x", "1.", ".5", "1e", "+1"] {
        let mut l = Lexer::new(bad.as_bytes());
        let r = l.number();
        assert!(r.is_err() || l.finish().is_err(), "{bad}");
    }
    fn n(t: &str) -> Num<'_> {
        Lexer::new(t.as_bytes()).number().unwrap()
    }
    assert_eq!(n("50000.0").to_i128(), Some(50_000));
    assert_eq!(n("5e4").to_i128(), Some(50_000));
    assert_eq!(n("1.5").to_i128(), None);
    assert_eq!(n("-3").to_i128(), Some(-3));
    assert_eq!(n("868.100000").to_scaled_micro(u64::MAX), Some(868_100_000));
    assert_eq!(n("863.00981").to_scaled_micro(u64::MAX), Some(863_009_810));
    assert_eq!(
        n("868.1000005").to_scaled_micro(u64::MAX),
        Some(868_100_001)
    );
    assert_eq!(n("0.1e-30").to_scaled_micro(u64::MAX), Some(0));
    assert_eq!(n("-1").to_scaled_micro(u64::MAX), None);
    assert_eq!(n("9.5").to_f64(), Some(9.5));
    assert_eq!(n("-0.1").to_f64(), Some(-0.1));
    assert_eq!(n("1e400").to_f64(), None);
    assert_eq!(
        n("12345678901234567890123").to_f64(),
        Some(1.2345678901234568e22)
    );
}

#[test]
fn keys_in_one_word_and_their_lookalikes() {
    fn keys(text: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, Fatal> {
        let mut l = Lexer::new(text);
        l.begin_object()?;
        let mut first = true;
        let mut out = Vec::new();
        while let Some(k) = l.next_key(&mut first)? {
            out.push((k.code, k.bytes.into_owned()));
            l.skip_value()?;
        }
        l.finish()?;
        Ok(out)
    }
    // `,"\"ab":` has the shape of a four-byte key but holds an escape.
    let got = keys(br#"{"a":1,"rxnb":2,"\"ab":3,"hal":4,"abcde":5, "tmst" :6}"#).unwrap();
    let want: [&[u8]; 6] = [b"a", b"rxnb", b"\"ab", b"hal", b"abcde", b"tmst"];
    assert_eq!(got.len(), want.len());
    for ((code, bytes), w) in got.iter().zip(want) {
        assert_eq!(bytes, w);
        assert_eq!(*code, key_code(w));
    }
    // The first key in one word too, empty objects, nesting.
    let got = keys(br#"{"rxnb":{},"tmst":{"freq":{"\"abc":[]}},"datr":"x"}"#).unwrap();
    let want: [&[u8]; 3] = [b"rxnb", b"tmst", b"datr"];
    assert_eq!(got.len(), want.len());
    for ((code, bytes), w) in got.iter().zip(want) {
        assert_eq!(bytes, w);
        assert_eq!(*code, key_code(w));
    }
    assert_eq!(keys(b"{}").unwrap(), []);
    assert_eq!(
        keys(br#"{"\"ab":1}"#).unwrap(),
        [(key_code(b"\"ab"), b"\"ab".to_vec())]
    );
    assert!(keys(b"{\"ab\x01c\":2}").is_err());
    // A control character in a four-byte key is still an error.
    assert!(keys(b"{\"a\":1,\"ab\x01c\":2}").is_err());
    assert!(keys(b"{\"a\":1,\"ab\x1fc\":2}").is_err());
}

#[test]
fn skips_nested_and_bounds_depth() {
    let mut l = Lexer::new(br#"{"a":[1,{"b":null},true,"x"],"c":{}} 7"#);
    assert_eq!(
        l.raw_value().unwrap(),
        r#"{"a":[1,{"b":null},true,"x"],"c":{}}"#
    );
    let deep = "[".repeat(100) + &"]".repeat(100);
    assert!(Lexer::new(deep.as_bytes()).skip_value().is_err());
}

#[test]
fn wrong_types_are_value_errors_and_consumed() {
    let mut l = Lexer::new(br#"{"x":1} 5"#);
    assert!(matches!(l.uint::<u32>(), Err(Bad::Value(_))));
    assert_eq!(l.uint::<u32>().unwrap(), Some(5));
    let mut l = Lexer::new(b"300");
    assert!(matches!(l.uint::<u8>(), Err(Bad::Value(_))));
}

/// The fast path consumed a negative number before `uint` refused it; the reader then read
/// again past it and lost the whole datagram. It now reports the value and stays in step.
#[test]
fn negative_unsigned_is_a_value_error_and_the_reader_stays_in_step() {
    let mut l = Lexer::new(b"-1,-0,-18446744073709551616,7");
    match l.uint::<u32>() {
        Err(Bad::Value(m)) => assert_eq!(m, "`-1` is not an unsigned integer in range"),
        other => panic!("{:?}", other.map_err(|_| ())),
    }
    assert_eq!(l.peek(), Some(b','));
    l.pos += 1;
    assert!(matches!(l.uint::<u32>(), Ok(Some(0))));
    l.pos += 1;
    assert!(matches!(l.uint::<u32>(), Err(Bad::Value(_))));
    assert_eq!(l.peek(), Some(b','));
    l.pos += 1;
    assert!(matches!(l.uint::<u32>(), Ok(Some(7))));
}

#[test]
fn next_key_is_takes_only_the_compact_key_asked_for() {
    let t = br#"{"time":1,"lati":2, "long":3,"alt":4,"\"abc":5,"rxnb" :6,"txnb":7}"#;
    let mut l = Lexer::new(t);
    l.begin_object().unwrap();
    let mut first = true;
    assert!(!l.next_key_is(&mut first, key_code(b"lati")));
    assert!(first && l.position() == 1);
    assert!(l.next_key_is(&mut first, key_code(b"time")));
    assert!(!first && l.position() == 8);
    assert_eq!(l.uint::<u8>().unwrap(), Some(1));
    assert!(l.next_key_is(&mut first, key_code(b"lati")));
    l.skip_value().unwrap();
    // Whitespace, a three-byte key, an escape, a space before the colon: the general reader's.
    for (key, bytes) in [
        (key_code(b"long"), &b"long"[..]),
        (key_code(b"alt\""), b"alt"),
        (key_code(b"\"abc"), b"\"abc"),
        (key_code(b"rxnb"), b"rxnb"),
    ] {
        let at = l.position();
        assert!(!l.next_key_is(&mut first, key), "{at}");
        assert_eq!(l.position(), at);
        assert_eq!(&*l.next_key(&mut first).unwrap().unwrap().bytes, bytes);
        l.skip_value().unwrap();
    }
    // Codes that are not four plain bytes are never taken.
    for code in [u64::MAX, key_code(b"txn"), key_code(b"txnb") | 1 << 40] {
        assert!(!l.next_key_is(&mut first, code));
    }
    assert!(l.next_key_is(&mut first, key_code(b"txnb")));
    assert_eq!(l.uint::<u8>().unwrap(), Some(7));
    assert!(l.next_key(&mut first).unwrap().is_none());
    l.finish().unwrap();
}

mod fast_paths {
    use super::*;
    use proptest::prelude::*;

    /// A value-ish text: strings with and without escapes or control characters, numbers of
    /// every shape, literals, and arbitrary bytes, followed by what usually comes next.
    fn value_text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"\"".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"\\u00e9".to_vec()),
            Just(b"-".to_vec()),
            Just(b".".to_vec()),
            Just(b"e".to_vec()),
            Just(b" ".to_vec()),
            proptest::collection::vec(b'0'..=b'9', 1..12),
            proptest::collection::vec(b'a'..=b'z', 1..12),
            proptest::collection::vec(any::<u8>(), 1..3),
        ];
        (
            prop_oneof![Just(b"\"".to_vec()), Just(Vec::new())],
            proptest::collection::vec(piece, 0..6),
            prop_oneof![Just(b",".to_vec()), Just(b"}]}".to_vec()), Just(Vec::new())],
        )
            .prop_map(|(a, mid, z)| {
                let mut t = a;
                t.extend(mid.concat());
                t.extend(z);
                t
            })
    }

    /// Text where a key may come next: whitespace, commas, quotes, colons, braces, usual keys
    /// and arbitrary bytes, in any order.
    fn key_text() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b",".to_vec()),
            Just(b"\"".to_vec()),
            Just(b":".to_vec()),
            Just(b" ".to_vec()),
            Just(b"}".to_vec()),
            Just(b"\\".to_vec()),
            Just(b",\"time\":".to_vec()),
            Just(b"\"lati\":".to_vec()),
            Just(b"time".to_vec()),
            Just(b"rxnb".to_vec()),
            proptest::collection::vec(b'a'..=b'z', 1..6),
            proptest::collection::vec(any::<u8>(), 1..5),
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
    }

    /// A key code to look for: usual four-byte keys, codes of any four bytes, any code.
    fn key_code_to_try() -> impl Strategy<Value = u64> {
        prop_oneof![
            Just(key_code(b"time")),
            Just(key_code(b"lati")),
            Just(key_code(b"rxnb")),
            Just(key_code(b"abc")),
            any::<[u8; 4]>().prop_map(|k| u64::from(u32::from_le_bytes(k))),
            any::<u64>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// `next_key_is` takes a key only where `next_key` returns that key and stops at the
        /// same place; otherwise it consumes nothing.
        #[test]
        fn next_key_is_agrees_with_next_key(
            t in key_text(), first in any::<bool>(), code in key_code_to_try(), at in 0usize..4
        ) {
            let at = at.min(t.len());
            let mut fast = Lexer::new(&t);
            fast.pos = at;
            let mut fast_first = first;
            if fast.next_key_is(&mut fast_first, code) {
                let mut slow = Lexer::new(&t);
                slow.pos = at;
                let mut slow_first = first;
                let key = slow.next_key(&mut slow_first);
                let key = key.ok().flatten().map(|k| (k.code, k.bytes.into_owned()));
                prop_assert_eq!(key, Some((code, code.to_le_bytes()[..4].to_vec())));
                prop_assert_eq!(fast.position(), slow.position());
                prop_assert!(!fast_first && !slow_first);
            } else {
                prop_assert_eq!(fast.position(), at);
                prop_assert_eq!(fast_first, first);
            }
        }

        /// The number readers' fast paths (plain integers and decimals right at the reader)
        /// give what the general reader gives for the same text after a space: the value bit
        /// for bit, the same value error, the same end.
        #[test]
        fn number_fast_paths_match_general(t in value_text()) {
            fn both<T: PartialEq + std::fmt::Debug>(
                t: &[u8],
                read: impl Fn(&mut Lexer<'_>) -> Result<Option<T>, Bad>,
            ) -> Result<(), TestCaseError> {
                let spaced = [b" ", t].concat();
                let (mut fast, mut slow) = (Lexer::new(t), Lexer::new(&spaced));
                match (read(&mut fast), read(&mut slow)) {
                    (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                    (Err(Bad::Value(a)), Err(Bad::Value(b))) => prop_assert_eq!(a, b),
                    (Err(Bad::Fatal(_)), Err(Bad::Fatal(_))) => return Ok(()),
                    (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
                }
                prop_assert_eq!(fast.position() + 1, slow.position());
                Ok(())
            }
            both(&t, |l| l.uint::<u32>())?;
            both(&t, |l| l.uint::<u64>())?;
            both(&t, |l| l.int::<i32>())?;
            both(&t, |l| l.float().map(|v| v.map(f64::to_bits)))?;
        }

        /// The string fast path gives what the general reader gives (bytes, error, position).
        #[test]
        fn string_fast_path_matches_general(t in value_text()) {
            let mut fast = Lexer::new(&t);
            let mut slow = Lexer::new(&t);
            let a = fast.str_bytes();
            let b = slow.str_bytes_slow();
            prop_assert_eq!(a.is_ok(), b.is_ok());
            if let (Ok(a), Ok(b)) = (a, b) {
                prop_assert_eq!(a, b);
                prop_assert_eq!(fast.position(), slow.position());
            }
        }

        /// Skipping a value with the fast paths ends where (and fails when) the general
        /// skipper does.
        #[test]
        fn skip_fast_paths_match_general(t in value_text()) {
            let mut fast = Lexer::new(&t);
            let mut slow = Lexer::new(&t);
            let a = fast.skip_value();
            let b = slow.skip_inner(0);
            prop_assert_eq!(a.is_ok(), b.is_ok());
            if a.is_ok() {
                prop_assert_eq!(fast.position(), slow.position());
            }
        }
    }
}

/// The reader accepts exactly the JSON texts `serde_json` accepts, and `raw_value` returns the
/// value's text as written: checked on token soups that are mostly almost-JSON.
mod versus_serde_json {
    use super::*;
    use proptest::prelude::*;

    fn token_soup() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            Just(&b"{"[..]),
            Just(&b"}"[..]),
            Just(&b"["[..]),
            Just(&b"]"[..]),
            Just(&b","[..]),
            Just(&b":"[..]),
            Just(&b"\""[..]),
            Just(&b"\"k\":"[..]),
            Just(&b"\\"[..]),
            Just(&b"\\u00e9"[..]),
            Just(&b"\\ud83d\\ude00"[..]),
            Just(&b"\\ud800"[..]),
            Just(&b"\\n"[..]),
            Just(&b"true"[..]),
            Just(&b"fals"[..]),
            Just(&b"null"[..]),
            Just(&b"-"[..]),
            Just(&b"0"[..]),
            Just(&b"12"[..]),
            Just(&b"."[..]),
            Just(&b"e"[..]),
            Just(&b"E+"[..]),
            Just(&b" "[..]),
            Just(&b"\t\n"[..]),
            Just(&b"ab"[..]),
            Just("é".as_bytes()),
            Just(&b"\xff"[..]),
            Just(&b"\x01"[..]),
        ];
        proptest::collection::vec(token, 0..24).prop_map(|t| t.concat())
    }

    /// A few valid documents whose values a lexer must walk completely.
    fn document() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            any::<f64>()
                .prop_filter("finite", |v| v.is_finite())
                .prop_map(|v| format!("{v:e}")),
            "[ -~é\u{1F600}]{0,12}".prop_map(|s| serde_json::to_string(&s).expect("a string")),
            Just("true".to_string()),
            Just("null".to_string()),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("[a-zA-Z\"\\\\]{0,9}", inner), 0..6).prop_map(|v| {
                    let fields: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{}: {v}", serde_json::to_string(&k).expect("a key")))
                        .collect();
                    format!("{{ {} }}", fields.join(" ,"))
                }),
            ]
        })
        .prop_map(String::into_bytes)
    }

    fn ours(t: &[u8]) -> Option<usize> {
        let mut lx = Lexer::new(t);
        let raw = lx.raw_value().ok()?;
        lx.finish().ok()?;
        Some(raw.len())
    }

    fn theirs(t: &[u8]) -> Result<(), String> {
        serde_json::from_slice::<serde_json::Value>(t)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn accepts_what_serde_json_accepts(t in token_soup()) {
            let theirs = theirs(&t);
            // serde_json's `Value` turns numbers into f64 and refuses infinite ones; the reader
            // keeps number text and leaves the range to the field reader.
            prop_assume!(!theirs.as_ref().is_err_and(|e| e.contains("out of range")));
            prop_assert_eq!(ours(&t).is_some(), theirs.is_ok(), "{:?}", String::from_utf8_lossy(&t));
        }

        #[test]
        fn walks_valid_documents_whole(t in document()) {
            prop_assert!(theirs(&t).is_ok());
            let trimmed = t.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
            prop_assert_eq!(ours(&t), Some(trimmed));
        }
    }
}

#[test]
fn unicode_escapes_take_exactly_four_hex_digits() {
    // `u32::from_str_radix` would take `+041`; JSON (and serde_json) does not.
    for bad in [
        &br#""\u+041""#[..],
        br#""\u-041""#,
        br#""\u04 1""#,
        br#""\u041""#,
    ] {
        assert!(Lexer::new(bad).string().is_err(), "{bad:?}");
        assert!(Lexer::new(bad).ignore_value().is_err(), "{bad:?}");
    }
    assert_eq!(
        Lexer::new(br#""\u0041\u00E9""#).string().unwrap(),
        "A\u{e9}"
    );
}

#[test]
fn negative_zero_keeps_its_sign() {
    for t in ["-0", "-0.0", "-0e5", "-0.0E-3"] {
        let v = Lexer::new(t.as_bytes()).number().unwrap().to_f64().unwrap();
        assert!(v == 0.0 && v.is_sign_negative(), "{t}: {v}");
        let f = Lexer::new(t.as_bytes()).float().unwrap().unwrap();
        assert!(f == 0.0 && f.is_sign_negative(), "{t}: {f}");
    }
}

#[test]
fn ignore_value_skips_like_serde_ignored_any() {
    // Any depth (the recursive skipper stops at MAX_DEPTH), lone surrogates undecoded.
    let deep = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    let deep_obj = format!("{}{}", r#"{"a":"#.repeat(300), "}".repeat(300));
    let deep_obj = deep_obj.replacen(r#"{"a":}"#, r#"{"a":null}"#, 1);
    for ok in [
        "1",
        "-0.5e-3",
        r#""plain""#,
        r#""\ud800 lone\udc00""#,
        r#""esc\"\\\/\b\f\n\r\t\u00e9""#,
        "true",
        "false",
        "null",
        "[]",
        "{}",
        " [ 1 , { \"k\" : [ ] } , \"x\" ] ",
        r#"{"a":{"b":[1,2,{"c":null}]},"d":"e"}"#,
        deep.as_str(),
        deep_obj.as_str(),
    ] {
        let mut l = Lexer::new(ok.as_bytes());
        l.ignore_value().unwrap_or_else(|e| panic!("{ok}: {e:?}"));
        l.finish().unwrap_or_else(|e| panic!("{ok}: {e:?}"));
    }
    for bad in [
        "",
        "[1,]",
        "[1 2]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{1:2}",
        "[}",
        "{\"a\":1]",
        "[1",
        "\"open",
        "\"ctl\u{1}\"",
        r#""\x""#,
        "nul",
        "01",
        "-",
        "1.",
        "+1",
    ] {
        let mut l = Lexer::new(bad.as_bytes());
        assert!(
            l.ignore_value().is_err() || l.finish().is_err(),
            "{bad:?} was accepted"
        );
    }
}
