//! The `stat` reader's fast paths (keys in the usual order taken with one compare each, the
//! usual time layout, plain numbers) change nothing: a `stat` object decodes exactly as the
//! same object with a space after `{`, every `,` and every `:`, which no fast path takes.

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use loragw_semtech_udp::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// The decoded `stat` and rejections in full (`{:?}` tells every f64 bit pattern apart), or
/// `Err` when the datagram is not JSON (its message names a byte offset, so only the fact is
/// compared).
fn decode_stat(object: &str) -> Result<String, ()> {
    let mut d = vec![2, 0x42, 0x24, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    d.extend_from_slice(format!(r#"{{"stat":{object}}}"#).as_bytes());
    match Packet::decode(&d) {
        Ok(Packet::PushData(p)) => Ok(format!("{:?} {:?}", p.stat, p.rejected)),
        Ok(other) => panic!("not a PUSH_DATA: {other:?}"),
        Err(_) => Err(()),
    }
}

/// The object as written (`compact`) and with a space after `{`, `,` and `:`.
fn texts(fields: &[(String, String)]) -> (String, String) {
    let compact: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    let spaced: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    (
        format!("{{{}}}", compact.join(",")),
        format!("{{ {}}}", spaced.join(", ")),
    )
}

const USUAL: [&str; 11] = [
    "time", "lati", "long", "alti", "rxnb", "rxok", "rxfw", "ackr", "dwnb", "txnb", "temp",
];

/// Any key: the usual ones, the other known ones, unknown ones, look-alikes and an escaped
/// spelling of `time`.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(USUAL.to_vec()),
        proptest::sample::select(vec![
            "boot",
            "lpps",
            "lmnw",
            "lmst",
            "lmok",
            "hal",
            "fpga",
            "dsp",
            "pfrm",
            "mail",
            "desc",
            "x",
            "tim",
            "timex",
            "temp2",
            "t\\u0069me",
            "lat",
        ]),
    ]
    .prop_map(str::to_owned)
}

/// A `YYYY-MM-DD hh:mm:ss GMT` time, every field a little past its range at times, sometimes
/// with one byte replaced.
fn expanded_time() -> impl Strategy<Value = String> {
    (
        (0u32..=9999, 0u32..=13, 0u32..=32),
        (0u32..=24, 0u32..=60, 0u32..=61),
        proptest::option::weighted(0.2, (0usize..23, 0x20u8..0x7f)),
    )
        .prop_map(|((y, mo, d), (h, mi, s), change)| {
            let mut t = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} GMT").into_bytes();
            if let Some((at, b)) = change
                && b != b'"'
                && b != b'\\'
            {
                t[at] = b;
            }
            format!("\"{}\"", String::from_utf8(t).unwrap())
        })
}

/// Any value: numbers of every shape, times, strings, literals, containers, and a few texts
/// that are not JSON.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "-?(0|[1-9][0-9]{0,21})(\\.[0-9]{1,21})?([eE][-+]?[0-9]{1,3})?",
        1 => any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(|v| format!("{v:?}")),
        2 => expanded_time(),
        2 => proptest::sample::select(vec![
            "\"2024-05-14T09:21:17.528002Z\"",
            "\"2024-05-14 09:21:17 UTC\"",
            "\"2024-05-14 09:21:17\"",
            "\"2024-05-14\\u002009:21:17 GMT\"",
            "\"x\"",
            "null",
            "true",
            "[1,{\"a\":null}]",
            "{\"fpga\":1,\"dsp0\":2}",
        ])
        .prop_map(str::to_owned),
        1 => proptest::sample::select(vec!["01", "1.", "-", ".5", "\"abc"]).prop_map(str::to_owned),
    ]
}

/// A value for `key`: mostly of its type (times, decimals, signed or unsigned integers, some
/// out of range), sometimes anything.
fn value_for(key: &str) -> BoxedStrategy<String> {
    let typed = match key {
        "time" | "boot" => expanded_time().boxed(),
        "lati" | "long" | "ackr" | "temp" => "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,7})?".boxed(),
        "alti" => "-?(0|[1-9][0-9]{0,5})".boxed(),
        _ => "0|[1-9][0-9]{0,9}".boxed(),
    };
    prop_oneof![19 => typed, 1 => any_value()].boxed()
}

/// Mostly the usual fields in the usual order, each possibly missing, with other fields
/// (duplicates, unknown keys) slipped in anywhere.
fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
    let usual: Vec<_> = USUAL
        .iter()
        .map(|k| proptest::option::weighted(0.85, value_for(k)))
        .collect();
    (usual, vec((0usize..12, any_field()), 0..3)).prop_map(|(usual, others)| {
        let mut f: Vec<(String, String)> = USUAL
            .iter()
            .zip(usual)
            .filter_map(|(k, v)| Some(((*k).to_owned(), v?)))
            .collect();
        for (at, kv) in others {
            f.insert(at.min(f.len()), kv);
        }
        f
    })
}

/// Any key with a value mostly of its type.
fn any_field() -> impl Strategy<Value = (String, String)> {
    key().prop_flat_map(|k| (Just(k.clone()), value_for(&k)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn stat_decodes_as_without_fast_paths(f in fields()) {
        let (compact, spaced) = texts(&f);
        prop_assert_eq!(decode_stat(&compact), decode_stat(&spaced), "{}", compact);
    }

    /// The same in any order.
    #[test]
    fn stat_in_any_order_decodes_as_without_fast_paths(f in vec(any_field(), 0..14)) {
        let (compact, spaced) = texts(&f);
        prop_assert_eq!(decode_stat(&compact), decode_stat(&spaced), "{}", compact);
    }
}

/// The benchmark's `stat` (the reference forwarder's order, every fast path taken) gives every
/// value exactly, and a space anywhere gives the same.
#[test]
fn usual_stat_values_exactly() {
    let compact = r#"{"time":"2024-05-14 09:21:17 GMT","lati":46.24000,"long":3.25230,"alti":145,"rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":2,"txnb":2,"temp":23.2}"#;
    let mut d = vec![2, 0x42, 0x24, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    d.extend_from_slice(format!(r#"{{"stat":{compact}}}"#).as_bytes());
    let Packet::PushData(p) = Packet::decode(&d).unwrap() else {
        panic!("not a PUSH_DATA");
    };
    let s = p.stat.unwrap();
    assert!(p.rejected.is_empty());
    assert_eq!(s.time, Some(Timestamp::new(1_715_678_477, 0).unwrap()));
    assert_eq!(s.lati.map(f64::to_bits), Some(46.24_f64.to_bits()));
    assert_eq!(s.long.map(f64::to_bits), Some(3.2523_f64.to_bits()));
    assert_eq!(s.alti, Some(145));
    assert_eq!((s.rxnb, s.rxok, s.rxfw), (Some(2), Some(2), Some(2)));
    assert_eq!(s.ackr.map(f64::to_bits), Some(100.0_f64.to_bits()));
    assert_eq!((s.dwnb, s.txnb), (Some(2), Some(2)));
    assert_eq!(s.temp.map(f64::to_bits), Some(23.2_f64.to_bits()));
    assert!(s.extra.is_empty() && s.boot.is_none() && s.lpps.is_none());
    // Every place outside a string where JSON allows whitespace (this object has no `,`,
    // `{` or `}` inside a string, and a `:` in one follows a digit).
    let b = compact.as_bytes();
    let mut places = 0;
    for at in 1..b.len() {
        let after = matches!(b[at - 1], b'{' | b',') || b[at - 2..at] == *b"\":";
        let before = matches!(b[at], b',' | b'}') || b[at - 1..=at] == *b"\":";
        if after || before {
            let spaced = format!("{} {}", &compact[..at], &compact[at..]);
            assert_eq!(decode_stat(&spaced), decode_stat(compact), "{spaced}");
            places += 1;
        }
    }
    assert_eq!(places, 11 * 4);
}
