// Included from `uplink_read.rs` under `#[cfg(test)]`; the attribute is repeated here so the CI
// clock check (which scans each file up to its first `#[cfg(test)]`) sees a test file.
#[cfg(test)]
use super::*;

use std::cell::Cell;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::oracle::{check_jreq, check_propdf, check_updf};
use crate::json;
use crate::message::tests::{JREQ_LIVE, PROPDF_LIVE, UPDF_LIVE};

// ---------------------------------------------------------------------------------------------
// Byte-exact vectors.

/// The Basics Station 2.0.6 captures decode to the values they carry, field by field, and to
/// what the serde decoding gave.
#[test]
fn station_206_captures_decode_to_their_values() {
    let u = read_updf("updf", UPDF_LIVE).expect("updf");
    assert_eq!(
        u,
        Updf {
            mhdr: 0x40,
            dev_addr: 1,
            fctrl: 0,
            fcnt: 0,
            fopts: vec![],
            fport: Some(1),
            frm_payload: vec![1, 2],
            mic: 1,
            ref_time: Some(1_795_585_801.287_379),
            dr: 5,
            freq: 868_100_000,
            upinfo: UpInfo {
                rctx: 0,
                xtime: 41_095_346_870_695_287,
                gpstime: None,
                fts: None,
                rssi: -50,
                snr: 9.0,
                rxtime: 1_795_585_801.287_38,
            },
        }
    );
    let j = read_join_request("jreq", JREQ_LIVE).expect("jreq");
    assert_eq!(
        j,
        JoinRequest {
            mhdr: 0,
            join_eui: Eui64(0x0102_0304_0506_0708),
            dev_eui: Eui64(0x1112_1314_1516_1718),
            dev_nonce: 8482,
            mic: 825_373_492,
            ref_time: Some(1_795_585_800.783_759),
            dr: 2,
            freq: 868_300_000,
            upinfo: UpInfo {
                rctx: 0,
                xtime: 41_095_346_870_193_749,
                gpstime: None,
                fts: None,
                rssi: -50,
                snr: 9.0,
                rxtime: 1_795_585_800.783_765,
            },
        }
    );
    let p = read_propdf("propdf", PROPDF_LIVE).expect("propdf");
    assert_eq!(p.frm_payload, vec![0xE0, 0xDE, 0xAD, 0xBE, 0xEF]);
    assert_eq!((p.dr, p.freq), (3, 868_500_000));
    assert_eq!(p.ref_time, Some(1_795_585_800.783_773));
    assert!(check_updf(UPDF_LIVE).expect("agree"));
    assert!(check_jreq(JREQ_LIVE).expect("agree"));
    assert!(check_propdf(PROPDF_LIVE).expect("agree"));
}

/// Corner cases of the accepted language, each with the outcome both decoders give.
#[test]
fn corner_cases_match_serde() {
    let base = r#"{"msgtype":"updf","MHdr":64,"DevAddr":-1,"FCtrl":0,"FCnt":7,"MIC":-2147483648,"DR":5,"Freq":868100000#}"#;
    let cases: &[(&str, bool)] = &[
        ("", true),
        // Integers are integer literals; `-0`, `5.0`, `5e0` are floats to serde_json.
        (r#","FPort":-0"#, false),
        (r#","FPort":1.0"#, false),
        (r#","FPort":1e0"#, false),
        (r#","FPort":-1"#, true),
        (r#","FPort":null"#, false),
        (r#","FPort":256"#, false),
        // rssi rounds floats within i32.
        (r#","upinfo":{"rssi":-50.5}"#, true),
        (r#","upinfo":{"rssi":2147483646.6}"#, true),
        // The range is checked before rounding.
        (r#","upinfo":{"rssi":2147483647.4}"#, false),
        (r#","upinfo":{"rssi":-0}"#, true),
        // gpstime null or 0 is absent; fts negative is absent, null refused.
        (r#","upinfo":{"gpstime":null,"fts":-7}"#, true),
        (r#","upinfo":{"fts":null}"#, false),
        (r#","upinfo":{"snr":null}"#, false),
        (r#","upinfo":null"#, false),
        // upinfo in its array form, as a derived Deserialize took it.
        (r#","upinfo":[1,2,3,4,-5,6.5,7.5]"#, true),
        (r#","upinfo":[1,2]"#, true),
        (r#","upinfo":[]"#, true),
        (r#","upinfo":[1,2,3,4,5,6,7,8]"#, false),
        (r#","upinfo":[1,2,]"#, false),
        // Duplicates, also through an alias, are refused; unknown duplicates are not.
        (r#","Fcnt":7"#, false),
        (r#","DR":5"#, false),
        (r#","upinfo":{"rctx":1,"rctx":1}"#, false),
        (r#","x":1,"x":2"#, true),
        // Keys are case-sensitive, escapes decoded.
        (r#","fport":"junk""#, true),
        (r#","FP\u006frt":3"#, true),
        (r#","FP\u+06frt":3"#, false),
        // Unknown values: any depth, lone surrogates not decoded.
        (r#","x":"\ud800""#, true),
        (r#","upinfo":{"x":["\udc00",{"y":[[[]]]}]}"#, true),
        (r#","FOpts":"\ud800""#, false),
        // Hex either case, null empty, odd length refused.
        (r#","FOpts":"0aFf","FRMPayload":null"#, true),
        (r#","FOpts":"0aF""#, false),
        (r#","FOpts":"0\u0041""#, true),
        // RefTime 0, -0 and null are absent; floats out of range refused.
        (r#","RefTime":-0"#, true),
        (r#","RefTime":null"#, true),
        (r#","RefTime":1e400"#, false),
        (r#","RefTime":1e-400"#, true),
        (r#","RefTime":"1""#, false),
        // DevAddr/MIC limits.
        (r#","DevAddr":4294967295"#, false),
        // Whitespace anywhere, nothing after the object.
        ("\n,\t\"x\" :\r[ ] ", true),
    ];
    let deep = format!(r#","x":{}1{}"#, "[".repeat(500), "]".repeat(500));
    let all = cases
        .iter()
        .map(|&(tail, ok)| (base.replace('#', tail), ok))
        .chain([
            (base.replace('#', &deep), true),
            (base.replace('#', "") + " x", false),
            (base.replace('#', "") + "\n ", true),
            (
                base.replace("\"DevAddr\":-1", "\"DevAddr\":4294967295")
                    .replace('#', ""),
                true,
            ),
            (
                base.replace("\"MIC\":-2147483648", "\"MIC\":-2147483649")
                    .replace('#', ""),
                false,
            ),
        ]);
    for (text, ok) in all {
        let got = check_updf(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, ok, "{text}");
    }
    let jreq = r#"{"msgtype":"jreq","MHdr":0,"JoinEUI":#,"DevEui":"11-12-13-14-15-16-17-18","DevNonce":1,"MIC":1,"DR":0,"Freq":1}"#;
    for (eui, ok) in [
        (r#""01-02-03-04-05-06-07-08""#, true),
        (r#""01:02:03:04:05:06:07:08""#, true),
        (r#""eui-0102030405060708""#, true),
        (r#""router-80::fd46""#, true),
        ("18446744073709551615", true),
        ("18446744073709551616", false),
        ("-1", false),
        ("-0", false),
        ("1.0", false),
        ("null", false),
        (r#""01-02-03""#, false),
    ] {
        let text = jreq.replace('#', eui);
        assert_eq!(
            check_jreq(&text).unwrap_or_else(|e| panic!("{e}")),
            ok,
            "{text}"
        );
    }
    let both = jreq
        .replace('#', "1")
        .replace("\"DevNonce\"", "\"JoinEui\":2,\"DevNonce\"");
    assert!(!check_jreq(&both).unwrap_or_else(|e| panic!("{e}")));
}

/// Bad values name their field, as serde's messages did.
#[test]
fn errors_name_the_field() {
    let text = UPDF_LIVE.replace("\"DR\":5", "\"DR\":256");
    assert_eq!(
        read_updf("updf", &text).unwrap_err().to_string(),
        "updf: DR: invalid value: integer `256`, expected u8"
    );
    let text = UPDF_LIVE.replace("\"MHdr\":64,", "");
    assert_eq!(
        read_updf("updf", &text).unwrap_err().to_string(),
        "updf: MHdr: missing field `MHdr`"
    );
    let text = UPDF_LIVE.replace("\"FCnt\":0", "\"FCnt\":0,\"Fcnt\":1");
    assert_eq!(
        read_updf("dndf", &text).unwrap_err().to_string(),
        "dndf: FCnt: duplicate field `FCnt`"
    );
    let text = JREQ_LIVE.replace("\"01-02-03-04-05-06-07-08\"", "\"nope\"");
    let err = read_join_request("jreq", &text).unwrap_err().to_string();
    assert!(
        err.starts_with("jreq: JoinEui: invalid EUI `nope`"),
        "{err}"
    );
    // decode_up hands each msgtype to its reader, which names it.
    for (from, to) in [("updf", "dndf"), ("jreq", "rejoin"), ("propdf", "jacc")] {
        let live = match from {
            "updf" => UPDF_LIVE,
            "jreq" => JREQ_LIVE,
            _ => PROPDF_LIVE,
        };
        let text = live.replace(from, to).replace("\"Freq\":", "\"Freq\":-");
        let err = crate::message::decode_up(&text).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{to}: Freq: invalid value: integer `-")),
            "{err}"
        );
    }
    let err = read_propdf("propdf", "{\"DR\":1,").unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Json {
                msgtype: "propdf",
                ..
            }
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// The differential test: generated texts, both decoders.

/// JSON values of every kind, around every boundary the fields have, valid or not.
fn hostile() -> impl Strategy<Value = String> {
    let words = select(vec![
        "0",
        "-0",
        "1",
        "-1",
        "255",
        "256",
        "65535",
        "65536",
        "-32768",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "4294967295",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "5.0",
        "5e0",
        "1.5",
        "-0.0",
        "-0e0",
        "0.0",
        "1e300",
        "1e400",
        "-1e400",
        "1e-400",
        "-50.5",
        "-50.4",
        "2147483647.4",
        "2147483647.5",
        "-2147483648.4",
        "-2147483648.5",
        "1E2",
        "0.1e1",
        "868.1",
        "00",
        "1.",
        "-",
        "\"\"",
        "\"5\"",
        "\"0aFF\"",
        "\"0\"",
        "\"zz\"",
        "\"\\u0030A\"",
        "\"\\ud800\"",
        "\"\\u+041\"",
        "\"01-02-03-04-05-06-07-08\"",
        "\"::1\"",
        "\"eui-0102030405060708\"",
        "\"01:02:03:04:05:06:07:0G\"",
        "null",
        "true",
        "false",
        "nul",
        "{}",
        "[]",
        "[1,2]",
        "[1,]",
        "{\"a\":[{\"b\":null}]}",
        "{\"rctx\":1}",
        "[1,2,3,4,5,6.5,7.5]",
        "\"a\\\"b\"",
        "\"\u{e9}\"",
    ])
    .prop_map(String::from);
    prop_oneof![
        6 => words,
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| format!("{v:?}")),
        1 => (1usize..300).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        1 => (1usize..200).prop_map(|d| format!("{}{}", "{\"k\":[".repeat(d), "]}".repeat(d))),
    ]
}

/// Usually `valid`, sometimes any value.
fn mostly(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop_oneof![19 => valid, 1 => hostile()]
}

fn uint(max: u64) -> impl Strategy<Value = String> {
    (0..=max).prop_map(|v| v.to_string())
}

fn signed32() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i32>().prop_map(|v| v.to_string()),
        any::<u32>().prop_map(|v| v.to_string()),
    ]
}

fn hex_text(nullable: bool) -> impl Strategy<Value = String> {
    let hex = (prop::collection::vec(any::<u8>(), 0..8), any::<bool>()).prop_map(|(b, upper)| {
        let mut s = String::from("\"");
        if upper {
            json::write_hex_upper(&mut s, &b);
        } else {
            json::write_hex_lower(&mut s, &b);
        }
        s.push('"');
        s
    });
    let null = if nullable { "null" } else { "\"\"" };
    prop_oneof![5 => hex, 1 => Just(null.to_owned())]
}

fn float_text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "0",
            "-0",
            "9",
            "9.25",
            "-7.5",
            "1795585801.287379",
            "1e3"
        ])
        .prop_map(String::from),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| format!("{v:?}")),
        (-1_000_000_000i64..1_000_000_000, 0u32..7)
            .prop_map(|(m, e)| format!("{}", m as f64 / 10f64.powi(e as i32))),
    ]
}

fn eui_text() -> impl Strategy<Value = String> {
    (any::<u64>(), 0..6u8).prop_map(|(v, form)| {
        let e = Eui64(v);
        match form {
            0 => format!("\"{e}\""),
            1 => format!("\"{}\"", e.to_string().replace('-', ":").to_lowercase()),
            2 => format!("\"{v:016x}\""),
            3 => format!("\"eui-{v:016X}\""),
            4 => format!("\"{}\"", e.id6()),
            _ => v.to_string(),
        }
    })
}

fn upinfo_text() -> impl Strategy<Value = String> {
    let fields = (
        mostly(any::<i64>().prop_map(|v| v.to_string())),
        mostly(any::<i64>().prop_map(|v| v.to_string())),
        mostly(prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            Just("0".to_owned()),
            Just("null".to_owned()),
        ]),
        mostly(prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            Just("-1".to_owned()),
        ]),
        mostly(prop_oneof![
            (-140i32..0).prop_map(|v| v.to_string()),
            (-1400i32..0).prop_map(|v| format!("{}", f64::from(v) / 10.0)),
        ]),
        mostly(float_text()),
        mostly(float_text()),
    );
    let keys = ["rctx", "xtime", "gpstime", "fts", "rssi", "snr", "rxtime"];
    (
        fields,
        prop::collection::vec(any::<bool>(), 7),
        prop::collection::vec((key_pool(), hostile()), 0..3),
        0..10u8,
    )
        .prop_flat_map(move |((a, b, c, d, e, f, g), present, extra, form)| {
            let values = [a, b, c, d, e, f, g];
            if form == 0 {
                // The array form: a prefix of the fields, in order.
                let n = present.iter().filter(|&&p| p).count();
                let items: Vec<String> = values.iter().take(n).cloned().collect();
                return Just(format!("[{}]", items.join(","))).boxed();
            }
            let mut entries: Vec<(String, String)> = keys
                .iter()
                .zip(values)
                .zip(&present)
                .filter(|(_, p)| **p)
                .map(|((k, v), _)| ((*k).to_owned(), v))
                .collect();
            entries.extend(extra);
            Just(entries)
                .prop_shuffle()
                .prop_map(|e| render(&e, ""))
                .boxed()
        })
}

/// Keys beside the message's own: case variants, unknown keys, escaped spellings, every
/// known key (for duplicates).
fn key_pool() -> impl Strategy<Value = String> {
    select(vec![
        "MHdr",
        "DevAddr",
        "FCtrl",
        "FCnt",
        "Fcnt",
        "FOpts",
        "FPort",
        "FRMPayload",
        "MIC",
        "RefTime",
        "DR",
        "Freq",
        "upinfo",
        "JoinEui",
        "JoinEUI",
        "DevEui",
        "DevEUI",
        "DevNonce",
        "msgtype",
        "mhdr",
        "FCNT",
        "fcnt",
        "Joineui",
        "DEVEUI",
        "freq",
        "dr",
        "Upinfo",
        "x",
        "FRMPayloadX",
        "FRMPayloa",
        "rctx",
        "",
        "M\\u0048dr",
        "FRMPayl\\u006fad",
        "Fr\\u0065q",
        "D\\u0052",
        "a\\ud800b",
        "longer key than eight",
    ])
    .prop_map(String::from)
}

/// `{"k":v,...}` with the entries in order; `ws` is put around every token.
fn render(entries: &[(String, String)], ws: &str) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
        .collect();
    format!("{{{}{ws}}}", body.join(","))
}

/// A whole message text: the message's fields (each usually present and valid), extra
/// entries, `msgtype`, shuffled, with whitespace, sometimes trailing text or cut short.
fn message(
    fields: impl Strategy<Value = Vec<Option<(String, String)>>>,
    msgtype: &'static str,
) -> impl Strategy<Value = String> {
    (
        fields,
        prop::collection::vec((key_pool(), mostly(hostile())), 0..4),
        select(vec!["", "", "", " ", "\n", "\t ", "\r\n "]),
        prop_oneof![
            12 => Just(""),
            1 => select(vec![" ", "x", "}", "{}", ",", "\n\t"]),
        ],
        prop_oneof![19 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)],
    )
        .prop_flat_map(move |(fields, extra, ws, trailing, cut)| {
            let mut entries: Vec<(String, String)> = fields.into_iter().flatten().collect();
            entries.extend(extra);
            entries.push(("msgtype".to_owned(), format!("\"{msgtype}\"")));
            Just(entries).prop_shuffle().prop_map(move |e| {
                let mut text = render(&e, ws) + trailing;
                if let Some(i) = cut {
                    let mut at = i.index(text.len());
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    text.truncate(at);
                }
                text
            })
        })
}

/// A field that is present 19 times in 20 (under one of `keys`), usually valid.
fn field(
    keys: &'static [&'static str],
    valid: impl Strategy<Value = String> + 'static,
) -> BoxedStrategy<Option<(String, String)>> {
    prop::option::weighted(0.95, (select(keys).prop_map(String::from), mostly(valid))).boxed()
}

fn tail_fields() -> Vec<BoxedStrategy<Option<(String, String)>>> {
    vec![
        field(
            &["RefTime"],
            prop_oneof![float_text(), Just("null".to_owned())],
        ),
        field(&["DR"], uint(15)),
        field(&["Freq"], uint(u64::from(u32::MAX))),
        field(&["upinfo"], upinfo_text()),
    ]
}

fn updf_text() -> impl Strategy<Value = String> {
    let mut fields = vec![
        field(&["MHdr"], uint(255)),
        field(&["DevAddr"], signed32()),
        field(&["FCtrl"], uint(255)),
        field(&["FCnt", "Fcnt"], uint(65535)),
        field(&["FOpts"], hex_text(true)),
        field(&["FPort"], (-1i32..=255).prop_map(|v| v.to_string())),
        field(&["FRMPayload"], hex_text(true)),
        field(&["MIC"], signed32()),
    ];
    fields.extend(tail_fields());
    message(fields, "updf")
}

fn jreq_text() -> impl Strategy<Value = String> {
    let mut fields = vec![
        field(&["MHdr"], uint(255)),
        field(&["JoinEui", "JoinEUI"], eui_text()),
        field(&["DevEui", "DevEUI"], eui_text()),
        field(&["DevNonce"], uint(65535)),
        field(&["MIC"], signed32()),
    ];
    fields.extend(tail_fields());
    message(fields, "jreq")
}

fn propdf_text() -> impl Strategy<Value = String> {
    let mut fields = vec![field(&["FRMPayload"], hex_text(false))];
    fields.extend(tail_fields());
    message(fields, "propdf")
}

/// Runs `check` on `cases` generated texts; both outcomes must be common enough for the
/// comparison to mean something.
fn differential(
    strategy: impl Strategy<Value = String>,
    check: fn(&str) -> Result<bool, TestCaseError>,
    cases: u32,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (ok, total) = (Cell::new(0u32), Cell::new(0u32));
    runner
        .run(&strategy, |text| {
            let decoded = check(&text)?;
            total.set(total.get() + 1);
            ok.set(ok.get() + u32::from(decoded));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, total) = (ok.get(), total.get());
    assert!(
        ok * 10 >= total && (total - ok) * 10 >= total,
        "{ok} of {total} decoded: the generator is unbalanced"
    );
}

#[test]
fn updf_reader_agrees_with_serde() {
    differential(updf_text(), check_updf, 3000);
}

#[test]
fn jreq_reader_agrees_with_serde() {
    differential(jreq_text(), check_jreq, 2000);
}

#[test]
fn propdf_reader_agrees_with_serde() {
    differential(propdf_text(), check_propdf, 2000);
}
