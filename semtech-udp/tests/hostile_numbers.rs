//! Extreme and out-of-range numbers in PUSH_DATA: one bad `rxpk` is rejected on its own, the
//! bounds on `rsig` and `rxpk` hold exactly, and nothing panics (debug build).

// Test helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use loragw_semtech_udp::*;

fn push_data(json: &str) -> PushData {
    let mut d = vec![2, 0x42, 0x24, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    d.extend_from_slice(json.as_bytes());
    match Packet::decode(&d).unwrap() {
        Packet::PushData(p) => p,
        other => panic!("not a PUSH_DATA: {other:?}"),
    }
}

const GOOD: &str = r#"{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":"AA=="}"#;

/// Issue 14: `"tmst":-1` in one rxpk cost the valid rxpk beside it (the lexer consumed the
/// number in its fast path, then read again and lost its place).
#[test]
fn negative_unsigned_field_rejects_only_its_rxpk() {
    for field in [
        "tmst", "tmms", "chan", "rfch", "ftime", "mid", "brd", "ant", "hpw", "aesk",
    ] {
        let bad = GOOD.replacen('{', &format!(r#"{{"{field}":-1,"#), 1);
        let p = push_data(&format!(r#"{{"rxpk":[{bad},{GOOD}]}}"#));
        assert_eq!(p.rxpk.len(), 1, "{field}");
        assert_eq!(p.rxpk[0].tmst, 7);
        assert_eq!(p.rejected.len(), 1, "{field}");
        assert_eq!(p.rejected[0].element, Element::Rxpk(0));
        assert_eq!(
            p.rejected[0].message,
            format!("{field}: `-1` is not an unsigned integer in range"),
        );
    }
    // Inside rsig too, and `-0` is zero.
    let bad =
        r#"{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":"AA==","rsig":[{"ant":-3,"chan":0}]}"#;
    let p = push_data(&format!(r#"{{"rxpk":[{GOOD},{bad}]}}"#));
    assert_eq!(p.rxpk.len(), 1);
    assert_eq!(p.rejected[0].element, Element::Rxpk(1));
    assert_eq!(
        p.rejected[0].message,
        "rsig[0].ant: `-3` is not an unsigned integer in range"
    );
    let p = push_data(&format!(
        r#"{{"rxpk":[{}]}}"#,
        GOOD.replace("\"tmst\":7", "\"tmst\":-0")
    ));
    assert_eq!(p.rxpk[0].tmst, 0);
}

/// ±1e300, i64/u64 limits and other extremes in every numeric field: the element is rejected
/// (or the value kept when in range), the neighbour survives, nothing panics.
#[test]
fn extreme_numbers_in_every_rxpk_field() {
    let extremes = [
        "1e300",
        "-1e300",
        "1.7976931348623157e308",
        "-9223372036854775808",
        "9223372036854775807",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "0",
        "4294967296",
        "1e-300",
    ];
    let fields = [
        "tmst", "tmms", "ftime", "freq", "chan", "rfch", "mid", "brd", "ant", "stat", "hpw",
        "rssi", "rssis", "lsnr", "foff", "aesk",
    ];
    for field in fields {
        for v in extremes {
            let bad = GOOD.replacen('{', &format!(r#"{{"{field}":{v},"#), 1);
            let p = push_data(&format!(r#"{{"rxpk":[{bad},{GOOD}]}}"#));
            assert_eq!(p.rxpk.len() + p.rejected.len(), 2, "{field}={v}");
            assert_eq!(p.rxpk.last().unwrap().tmst, 7, "{field}={v}");
            if let Some(r) = p.rejected.first() {
                assert_eq!(r.element, Element::Rxpk(0));
                assert!(
                    r.message.starts_with(&format!("{field}: ")),
                    "{field}={v}: {}",
                    r.message
                );
            }
        }
    }
    // Spot checks of the outcome.
    let p = push_data(&format!(
        r#"{{"rxpk":[{}]}}"#,
        GOOD.replace("\"tmst\":7", "\"tmst\":4294967296")
    ));
    assert_eq!(
        p.rejected[0].message,
        "tmst: `4294967296` is not an unsigned integer in range"
    );
    let p = push_data(&format!(
        r#"{{"rxpk":[{}]}}"#,
        GOOD.replace("868.1", "1e300")
    ));
    assert!(p.rxpk.is_empty());
    assert!(
        p.rejected[0].message.starts_with("freq: "),
        "{}",
        p.rejected[0].message
    );
}

fn with_rsig(n: usize) -> String {
    let rsig = vec![r#"{"ant":0,"chan":1,"rssic":-50,"lsnr":7.5}"#; n].join(",");
    format!(r#"{{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":"AA==","rsig":[{rsig}]}}"#)
}

#[test]
fn rsig_bound_is_exact() {
    let p = push_data(&format!(r#"{{"rxpk":[{}]}}"#, with_rsig(MAX_RSIG)));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.rxpk[0].rsig.len(), MAX_RSIG);

    let p = push_data(&format!(
        r#"{{"rxpk":[{},{GOOD}]}}"#,
        with_rsig(MAX_RSIG + 1)
    ));
    assert_eq!(p.rxpk.len(), 1);
    assert_eq!(p.rxpk[0].tmst, 7);
    assert!(p.rxpk[0].rsig.is_empty());
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].element, Element::Rxpk(0));
    assert_eq!(p.rejected[0].message, "rsig: more than 16 entries");
}

/// The issue's case: a 60 KB PUSH_DATA of empty `rsig` objects.
#[test]
fn sixty_kilobytes_of_empty_rsig_is_one_rejected_rxpk() {
    let rsig = vec!["{}"; 19_000].join(",");
    let json = format!(
        r#"{{"rxpk":[{{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":"AA==","rsig":[{rsig}]}}]}}"#
    );
    assert!(json.len() > 55_000 && json.len() < MAX_DATAGRAM_LEN - 12);
    let p = push_data(&json);
    assert!(p.rxpk.is_empty());
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].message, "rsig: more than 16 entries");
}

#[test]
fn rxpk_bound_is_exact() {
    let body = |n: usize| format!(r#"{{"rxpk":[{}]}}"#, vec![GOOD; n].join(","));
    let p = push_data(&body(MAX_RXPK));
    assert_eq!(p.rxpk.len(), MAX_RXPK);
    assert!(p.rejected.is_empty());

    let p = push_data(&body(MAX_RXPK + 3));
    assert_eq!(p.rxpk.len(), MAX_RXPK);
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].element, Element::Rxpk(MAX_RXPK));
    assert_eq!(
        p.rejected[0].to_string(),
        "rxpk[255]: more than 255 rxpk in one PUSH_DATA: the last 3 dropped"
    );
}

/// Issue 14: what The Things Stack rejects in an `rxpk` (frequency 0, no payload, more than a
/// LoRaWAN frame) is rejected here too, each on its own (the valid neighbour stays), with a
/// message naming the field.
#[test]
fn what_the_things_stack_rejects_in_an_rxpk() {
    // Base64 of `n` bytes 0xAB: "q6ur" per three bytes, "qw==" for one more.
    let b64 = |n: usize| "q6ur".repeat(n / 3) + if n % 3 == 1 { "qw==" } else { "" };
    let cases = [
        (
            r#"{"tmst":7,"freq":0,"datr":"SF7BW125","data":"AA=="}"#.to_owned(),
            "freq: 0 Hz",
        ),
        (
            r#"{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":""}"#.to_owned(),
            "data: empty",
        ),
        (
            format!(
                r#"{{"tmst":7,"freq":868.1,"datr":"SF7BW125","data":"{}"}}"#,
                b64(256)
            ),
            "data: 256 bytes, a LoRaWAN frame has at most 255",
        ),
    ];
    for (bad, message) in cases {
        let p = push_data(&format!(r#"{{"rxpk":[{bad},{GOOD}]}}"#));
        assert_eq!(p.rxpk.len(), 1, "{bad}");
        assert_eq!(p.rxpk[0].tmst, 7);
        assert_eq!(p.rejected.len(), 1, "{bad}");
        assert_eq!(p.rejected[0].element, Element::Rxpk(0));
        assert_eq!(p.rejected[0].message, message);
    }
    // `size` is ignored, as The Things Stack ignores it: 5 for 1 byte is kept.
    let p =
        push_data(r#"{"rxpk":[{"tmst":7,"freq":868.1,"datr":"SF7BW125","size":5,"data":"AA=="}]}"#);
    assert_eq!((p.rxpk.len(), p.rejected.len()), (1, 0));
    // At the limits: 255 bytes are kept.
    let p = push_data(&format!(
        r#"{{"rxpk":[{{"tmst":7,"freq":868.1,"datr":"SF7BW125","size":255,"data":"{}"}}]}}"#,
        b64(255)
    ));
    assert_eq!((p.rxpk.len(), p.rejected.len()), (1, 0));
    assert_eq!(p.rxpk[0].data, [0xAB; 255]);
}

/// Issue 14: a fractional `rssi` is kept (The Things Stack takes it as a float) and written
/// back as it came; a whole one is still written as an integer.
#[test]
fn fractional_rssi_is_kept_and_written_back() {
    let p = push_data(
        r#"{"rxpk":[{"tmst":7,"freq":868.1,"datr":"SF7BW125","rssi":-35.5,"data":"AA=="},{"tmst":8,"freq":868.1,"datr":"SF7BW125","rssi":-35,"data":"AA=="}]}"#,
    );
    assert_eq!(p.rejected, []);
    assert_eq!((p.rxpk[0].rssi, p.rxpk[1].rssi), (Some(-35.5), Some(-35.0)));
    let mut out = Vec::new();
    Packet::PushData(p).encode(&mut out).unwrap();
    assert_eq!(
        std::str::from_utf8(&out[12..]).unwrap(),
        r#"{"rxpk":[{"tmst":7,"freq":868.1,"modu":"LORA","datr":"SF7BW125","rssi":-35.5,"size":1,"data":"AA=="},{"tmst":8,"freq":868.1,"modu":"LORA","datr":"SF7BW125","rssi":-35,"size":1,"data":"AA=="}]}"#
    );
}
