//! The shared JSON reader: never panics, accepts exactly the texts `serde_json` accepts (but
//! numbers too large for an `f64`, which it leaves to the field readers), and `raw_value` ends
//! where the value ends; `ignore_value` accepts exactly what serde_json's `IgnoredAny` does.
//! Then every typed reader on the same text must agree with the skipper:
//! none may fail fatally where skipping succeeded.

#![no_main]

use libfuzzer_sys::fuzz_target;
use loragw_json_lex::{Bad, Lexer};

fuzz_target!(|data: &[u8]| {
    let mut lx = Lexer::new(data);
    let ours = lx.raw_value().is_ok() && lx.finish().is_ok();
    match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(_) => assert!(ours, "serde_json accepts what the reader refuses"),
        Err(e) if e.to_string().contains("out of range") => {}
        Err(e) => assert!(!ours, "the reader accepts what serde_json refuses: {e}"),
    }
    // `ignore_value` skips as serde_json ignores an unknown field: any depth, strings checked
    // but not decoded (so a lone surrogate escape passes).
    let mut lx = Lexer::new(data);
    let ignored = lx.ignore_value().is_ok() && lx.finish().is_ok();
    let serde_ignores = serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok();
    assert_eq!(ignored, serde_ignores, "ignore_value and serde_json's IgnoredAny disagree");
    if !ours {
        return;
    }
    // A valid value: a typed reader may refuse its type or range (a value error, consumed),
    // never call it "not JSON", and must end where the skipper ended.
    let end = {
        let mut lx = Lexer::new(data);
        lx.skip_value().expect("skipped once already");
        lx.position()
    };
    type Reader = fn(&mut Lexer<'_>) -> Result<(), Bad>;
    let readers: [Reader; 7] = [
        |lx| lx.uint::<u32>().map(drop),
        |lx| lx.int::<i64>().map(drop),
        |lx| lx.float().map(drop),
        |lx| lx.boolean().map(drop),
        |lx| lx.str().map(drop),
        |lx| lx.bytes().map(drop),
        |lx| lx.num().map(drop),
    ];
    for read in readers {
        let mut lx = Lexer::new(data);
        match read(&mut lx) {
            Ok(()) | Err(Bad::Value(_)) => assert_eq!(lx.position(), end, "reader out of step"),
            Err(Bad::Fatal(f)) => panic!("a typed reader called valid JSON fatal: {}", f.0),
        }
    }
});
