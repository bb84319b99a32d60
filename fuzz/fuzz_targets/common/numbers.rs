#![allow(dead_code)] // each target uses the parts it needs
//! Structured generators for the number-audit targets: JSON number texts that reach the full
//! float and integer ranges (±1e300, the f64 limits, i64/u64 limits and one past them, -1, 0,
//! -0, subnormals, NaN/Infinity spellings that JSON forbids, `null`), spliced into templates of
//! every message of the JSON protocols at each `#`.

use arbitrary::Arbitrary;

/// Number texts a hostile or broken peer sends.
pub const SPECIAL: &[&str] = &[
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1e309",
    "-1e400",
    "5e-324",
    "-0",
    "0",
    "-0.0",
    "-1",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "-4294967296",
    "2147483647",
    "2147483648",
    "-2147483649",
    "65535",
    "65536",
    "255",
    "256",
    "-129",
    "127",
    "1e19",
    "1e-7",
    "0.5",
    "-0.5",
    "3.4028235e38",
    "3.5e38",
    "123456789012345678901234567890",
    "0.000000000000000000000000000001",
    "1795585800.123456789",
    "NaN",
    "Infinity",
    "-Infinity",
    "null",
    "\"7\"",
    "true",
];

/// One number as JSON text.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Num {
    /// One of [`SPECIAL`].
    Special(u8),
    /// Any i64.
    Int(i64),
    /// Any u64.
    Uint(u64),
    /// Any f64 (non-finite ones become one of [`SPECIAL`]).
    Float(f64),
    /// A small integer (the common case: indices, DRs, flags).
    Small(i8),
}

impl Num {
    /// The JSON text.
    pub fn text(self) -> String {
        match self {
            Num::Special(i) => SPECIAL[usize::from(i) % SPECIAL.len()].to_owned(),
            Num::Int(v) => v.to_string(),
            Num::Uint(v) => v.to_string(),
            Num::Float(v) if v.is_finite() => format!("{v:?}"),
            Num::Float(v) => SPECIAL[v.to_bits() as usize % SPECIAL.len()].to_owned(),
            Num::Small(v) => v.to_string(),
        }
    }
}

/// Replaces each `#` of `template` with the next number (cycling; `0` when there are none).
pub fn splice(template: &str, nums: &[Num]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * nums.len());
    let mut i = 0;
    for c in template.chars() {
        if c == '#' {
            match nums.get(i % nums.len().max(1)) {
                Some(n) => out.push_str(&n.text()),
                None => out.push('0'),
            }
            i += 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// Basics Station, station → LNS, every number replaced by `#`.
pub const LBS_UP: &[&str] = &[
    r##"{"msgtype":"version","station":"2.0.6","firmware":null,"package":null,"model":"linux","protocol":#,"features":"rmtsh"}"##,
    r##"{"msgtype":"updf","MHdr":#,"DevAddr":#,"FCtrl":#,"FCnt":#,"FOpts":"","FPort":#,"FRMPayload":"0102","MIC":#,"RefTime":#,"DR":#,"Freq":#,"upinfo":{"rctx":#,"xtime":#,"gpstime":#,"fts":#,"rssi":#,"snr":#,"rxtime":#}}"##,
    r##"{"msgtype":"jreq","MHdr":#,"JoinEui":"01-02-03-04-05-06-07-08","DevEui":"11-12-13-14-15-16-17-18","DevNonce":#,"MIC":#,"RefTime":#,"DR":#,"Freq":#,"upinfo":{"rctx":#,"xtime":#,"gpstime":#,"fts":#,"rssi":#,"snr":#,"rxtime":#}}"##,
    r##"{"msgtype":"rejoin","MHdr":#,"NetID":#,"DevEui":"11-12-13-14-15-16-17-18","RJcount0":#,"MIC":#,"RefTime":#,"DR":#,"Freq":#,"upinfo":{"rctx":#,"xtime":#,"gpstime":#,"rssi":#,"snr":#,"rxtime":#}}"##,
    r##"{"msgtype":"propdf","FRMPayload":"E0DEADBEEF","RefTime":#,"DR":#,"Freq":#,"upinfo":{"rctx":#,"xtime":#,"gpstime":#,"fts":#,"rssi":#,"snr":#,"rxtime":#}}"##,
    r##"{"msgtype":"dntxed","seqno":#,"diid":#,"DR":#,"Freq":#,"DevEui":"00-00-00-00-11-00-00-01","rctx":#,"xtime":#,"txtime":#,"gpstime":#}"##,
    r##"{"msgtype":"timesync","txtime":#}"##,
    r##"{"msgtype":"getxtime","MuxTime":#,"ustime":#,"UTCtime":#,"xtimes":[#,#,#,#]}"##,
    r##"{"msgtype":"rmtsh","rmtsh":[{"user":"u","started":true,"age":#,"pid":#}]}"##,
    r##"{"msgtype":"event","evcat":"x","evmsg":"y","ts":#}"##,
];

/// Basics Station, LNS → station, every number replaced by `#`.
pub const LBS_DOWN: &[&str] = &[
    r##"{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[#,#],"DRs":[[#,#,#],[#,#,#],[12,125,0]],"max_eirp":#,"JoinEui":[[#,#]],"NetID":[#],"sx1301_conf":[{"radio_0":{"enable":true,"freq":#},"chan_multiSF_0":{"enable":true,"radio":#,"if":#}}],"nocca":true,"MuxTime":#}"##,
    r##"{"msgtype":"dnmsg","DevEui":"00-00-00-00-11-00-00-01","dC":#,"diid":#,"pdu":"0102","RxDelay":#,"RX1DR":#,"RX1Freq":#,"RX2DR":#,"RX2Freq":#,"priority":#,"xtime":#,"rctx":#,"MuxTime":#}"##,
    r##"{"msgtype":"dnmsg","DevEui":"00-00-00-00-11-00-00-01","dC":1,"diid":#,"pdu":"0102","RxDelay":0,"RX1DR":#,"RX1Freq":#,"gpstime":#,"priority":#,"rctx":#}"##,
    r##"{"msgtype":"dnsched","schedule":[{"DR":#,"Freq":#,"ontime":#,"pdu":"00","priority":#,"rctx":#},{"DR":#,"Freq":#,"gpstime":#,"pdu":"01"},{"DR":#,"Freq":#,"xtime":#,"pdu":"02","diid":#}]}"##,
    r##"{"msgtype":"dnframe","DevEui":"00-00-00-00-11-00-00-01","diid":#,"pdu":"0102","DR":#,"Freq":#,"xtime":#,"rctx":#,"MuxTime":#}"##,
    r##"{"msgtype":"timesync","txtime":#,"gpstime":#,"MuxTime":#}"##,
    r##"{"msgtype":"timesync","xtime":#,"gpstime":#,"MuxTime":#}"##,
    r##"{"msgtype":"getxtime","MuxTime":#}"##,
    r##"{"msgtype":"runcmd","command":"ls","arguments":[]}"##,
    r##"{"msgtype":"rmtsh","start":#,"stop":#,"user":"u","term":"x"}"##,
];

/// Semtech UDP JSON bodies (after the 12-byte header of the type named first), every number
/// replaced by `#`.
pub const UDP: &[(u8, &str)] = &[
    (
        0,
        r##"{"rxpk":[{"time":"2013-03-31T16:21:17.528002Z","tmms":#,"tmst":#,"ftime":#,"chan":#,"rfch":#,"freq":#,"mid":#,"stat":#,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":#,"rssis":#,"lsnr":#,"foff":#,"hpw":#,"aesk":#,"size":#,"data":"QAEAAAA="},{"tmst":#,"freq":#,"brd":#,"ant":#,"datr":"SF9BW125","data":"QAEAAAA=","rsig":[{"ant":#,"chan":#,"rssic":#,"rssis":#,"rssisd":#,"lsnr":#,"etime":"AAAA","ftime":#,"foff":#,"fdri":#}]}]}"##,
    ),
    (
        0,
        r##"{"rxpk":[{"tmst":#,"freq":#,"datr":#,"modu":"FSK","data":"QAEAAAA="}],"stat":{"time":"2014-01-12 08:59:28 GMT","boot":"2014-01-12 08:59:28 GMT","lati":#,"long":#,"alti":#,"rxnb":#,"rxok":#,"rxfw":#,"ackr":#,"dwnb":#,"txnb":#,"temp":#,"lpps":#,"lmnw":#,"lmst":#,"lmok":#,"fpga":#,"dsp":#,"hver":{"fpga":#,"dsp0":#,"dsp1":#}}}"##,
    ),
    (
        3,
        r##"{"txpk":{"imme":false,"tmst":#,"tmms":#,"freq":#,"rfch":#,"powe":#,"ant":#,"brd":#,"modu":"LORA","datr":"SF11BW125","codr":"4/6","fdev":#,"ipol":true,"prea":#,"size":#,"ncrc":false,"nhdr":false,"data":"H3P3N2i9qc4yt7rK7ldqoeCVJGBybzPY5h1Dd7P7p8v"}}"##,
    ),
    (
        5,
        r##"{"txpk_ack":{"error":"TOO_LATE","warn":"TX_POWER","value":#}}"##,
    ),
];
