//! The `update-info` request body (station → CUPS server, JSON).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::CupsError;
use crate::eui::Eui64;

/// Largest request body accepted by [`UpdateInfoRequest::parse`] (a station's is ~300 bytes).
pub const MAX_REQUEST_LEN: usize = 16 * 1024;

/// Most signing-key CRCs accepted in `keys`.
const MAX_KEYS: usize = 64;

/// What a station reports about itself when asking for updates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateInfoRequest {
    /// The router (gateway) EUI.
    pub router: u64,
    /// The CUPS URI the station uses now (`None` for `null` or `""`).
    pub cups_uri: Option<String>,
    /// The LNS URI the station uses now (`None` for `null` or `""`).
    pub tc_uri: Option<String>,
    /// CRC32 of the station's CUPS credentials ([`super::cred_crc_of_files`]).
    pub cups_cred_crc: u32,
    /// CRC32 of the station's LNS credentials.
    pub tc_cred_crc: u32,
    /// Station version and build date (`"2.0.6(linux/testsim) 2026-11-25 05:45:53"`).
    pub station: Option<String>,
    /// Platform model.
    pub model: Option<String>,
    /// Installed package version (`version.txt`).
    pub package: Option<String>,
    /// CRC32 of each installed signing key `sig-N.key`, in order.
    pub keys: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    router: Option<Value>,
    #[serde(default)]
    cups_uri: Option<String>,
    #[serde(default)]
    tc_uri: Option<String>,
    #[serde(default)]
    cups_cred_crc: Option<u32>,
    #[serde(default)]
    tc_cred_crc: Option<u32>,
    #[serde(default)]
    station: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    keys: Option<Vec<u32>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutWire<'a> {
    router: String,
    cups_uri: Option<&'a str>,
    tc_uri: Option<&'a str>,
    cups_cred_crc: u32,
    tc_cred_crc: u32,
    station: Option<&'a str>,
    model: Option<&'a str>,
    package: Option<&'a str>,
    keys: &'a [u32],
}

/// A router id in any text form [`Eui64::parse`] accepts (surrounding white space ignored).
fn parse_router_id(text: &str) -> Result<u64, CupsError> {
    Eui64::parse(text.trim())
        .map(|eui| eui.0)
        .map_err(|_| CupsError::InvalidRouterId(text.chars().take(64).collect()))
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl UpdateInfoRequest {
    /// Parse a request body. `router` may be an ID6, EUI-64 text or a JSON integer; a zero or
    /// missing router is an error, so are CRCs that are not u32 integer literals. Missing CRCs
    /// count as 0 (The Things Stack's test requests omit nothing, stations never do).
    pub fn parse(body: &[u8]) -> Result<Self, CupsError> {
        if body.len() > MAX_REQUEST_LEN {
            return Err(CupsError::Request(format!(
                "body is {} bytes, at most {MAX_REQUEST_LEN}",
                body.len()
            )));
        }
        let w: Wire =
            serde_json::from_slice(body).map_err(|e| CupsError::Request(e.to_string()))?;
        let router = match w.router {
            None | Some(Value::Null) => return Err(CupsError::Request("router: missing".into())),
            Some(Value::String(s)) => parse_router_id(&s)?,
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                CupsError::Request(format!("router: {n} is not an unsigned 64-bit integer"))
            })?,
            Some(other) => return Err(CupsError::Request(format!("router: unexpected {other}"))),
        };
        if router == 0 {
            return Err(CupsError::Request("router: zero EUI".into()));
        }
        let keys = w.keys.unwrap_or_default();
        if keys.len() > MAX_KEYS {
            return Err(CupsError::Request(format!(
                "keys: {} entries, at most {MAX_KEYS}",
                keys.len()
            )));
        }
        Ok(UpdateInfoRequest {
            router,
            cups_uri: non_empty(w.cups_uri),
            tc_uri: non_empty(w.tc_uri),
            cups_cred_crc: w.cups_cred_crc.unwrap_or(0),
            tc_cred_crc: w.tc_cred_crc.unwrap_or(0),
            station: w.station,
            model: w.model,
            package: w.package,
            keys,
        })
    }

    /// The body as the reference station writes it: its key order, router as ID6, `null` for
    /// absent values.
    pub fn to_json(&self) -> String {
        let out = OutWire {
            router: Eui64(self.router).id6().to_string(),
            cups_uri: self.cups_uri.as_deref(),
            tc_uri: self.tc_uri.as_deref(),
            cups_cred_crc: self.cups_cred_crc,
            tc_cred_crc: self.tc_cred_crc,
            station: self.station.as_deref(),
            model: self.model.as_deref(),
            package: self.package.as_deref(),
            keys: &self.keys,
        };
        serde_json::to_string(&out).expect("a struct of strings and integers always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live station's request.
    const LIVE: &str = r#"{"router":"::1","cupsUri":"http://127.0.0.1:6040","tcUri":null,"cupsCredCrc":2077607535,"tcCredCrc":2077607535,
 "station":"2.0.6(linux/testsim) 2026-11-25 05:45:53","model":"linux","package":null,"keys":[2743290475]}"#;

    #[test]
    fn live_station_request() {
        let r = UpdateInfoRequest::parse(LIVE.as_bytes()).unwrap();
        assert_eq!(
            r,
            UpdateInfoRequest {
                router: 1,
                cups_uri: Some("http://127.0.0.1:6040".into()),
                tc_uri: None,
                cups_cred_crc: 2_077_607_535,
                tc_cred_crc: 2_077_607_535,
                station: Some("2.0.6(linux/testsim) 2026-11-25 05:45:53".into()),
                model: Some("linux".into()),
                package: None,
                keys: vec![2_743_290_475],
            }
        );
        let back = UpdateInfoRequest::parse(r.to_json().as_bytes()).unwrap();
        assert_eq!(back, r);
        // Byte for byte what the station sent (the notes wrap the line after `tcCredCrc`).
        assert_eq!(r.to_json(), LIVE.replace("\n ", ""));
    }

    /// Every router-id form the CUPS side accepts, through the crate's EUI codec, and the ID6
    /// text `to_json` writes.
    #[test]
    fn router_id_forms_and_id6_output() {
        let cases: [(&str, u64); 14] = [
            ("::0", 0),
            ("::1", 1),
            ("b827:ebff:fe61:5e1c", 0xB827_EBFF_FE61_5E1C),
            ("58a0:cbff:fe80:19", 0x58A0_CBFF_FE80_0019),
            ("f::1", 0x000F_0000_0000_0001),
            ("1::", 0x0001_0000_0000_0000),
            ("router-80::fd46", 0x0080_0000_0000_FD46),
            ("muxs-::0", 0),
            ("aabb:01::", 0xAABB_0001_0000_0000),
            ("aa-bb-cc-01-02-03-42-ff", 0xAABB_CC01_0203_42FF),
            ("AA:BB:CC:01:02:03:42:FF", 0xAABB_CC01_0203_42FF),
            ("aabbcc01020342ff", 0xAABB_CC01_0203_42FF),
            (" ::a:b ", 0x0000_0000_000A_000B),
            ("eui-aabbcc01020342ff", 0xAABB_CC01_0203_42FF),
        ];
        for (text, id) in cases {
            assert_eq!(parse_router_id(text), Ok(id), "{text}");
        }
        for bad in [
            "",
            ":::",
            "1:2:3:4:5",
            "12345::",
            "aa-bb",
            "x::1",
            "1-::1",
            "aabbcc01020342f",
            "1::2::3",
            "g::",
        ] {
            assert_eq!(
                parse_router_id(bad),
                Err(CupsError::InvalidRouterId(bad.into())),
                "{bad}"
            );
        }
        let id6 = |router: u64| {
            let r = UpdateInfoRequest {
                router,
                ..Default::default()
            };
            let v: Value = serde_json::from_str(&r.to_json()).unwrap();
            v["router"].as_str().unwrap().to_owned()
        };
        assert_eq!(id6(1), "::1");
        assert_eq!(id6(0x0001_0000_0000_0000), "1::");
        assert_eq!(id6(0x000F_0000_0000_0001), "f::1");
        assert_eq!(id6(0x0000_0000_000A_000B), "::a:b");
        assert_eq!(id6(0xB827_EBFF_FE61_5E1C), "b827:ebff:fe61:5e1c");
        assert_eq!(id6(0x000F_A123_00F8_0100), "f:a123:f8:100");
    }

    /// The Things Stack's CUPS `server_test.go`.
    #[test]
    fn tts_test_request() {
        let body = r#"{"router":"58a0:cbff:fe80:19","cupsUri":"https://thethingsnetwork.org:443","tcUri":"","cupsCredCrc":1398343300,"tcCredCrc":0,
 "station":"2.0.0(minihub/debug) 2018-12-06 09:30:35","model":"minihub","package":"2.0.0","keys":[392840017]}"#;
        let r = UpdateInfoRequest::parse(body.as_bytes()).unwrap();
        assert_eq!(r.router, 0x58A0_CBFF_FE80_0019);
        assert_eq!(r.tc_uri, None);
        assert_eq!(r.cups_cred_crc, 1_398_343_300);
        assert_eq!(r.keys, [392_840_017]);
    }

    #[test]
    fn router_forms_and_errors() {
        for router in [
            r#""b8-27-eb-ff-fe-61-5e-1c""#,
            r#""B8:27:EB:FF:FE:61:5E:1C""#,
            "13269834311787437596",
            r#""b827:ebff:fe61:5e1c""#,
        ] {
            let body = format!(r#"{{"router":{router},"cupsCredCrc":1,"tcCredCrc":2}}"#);
            assert_eq!(
                UpdateInfoRequest::parse(body.as_bytes()).unwrap().router,
                0xB827_EBFF_FE61_5E1C,
                "{router}"
            );
        }
        let err = |body: &str| {
            UpdateInfoRequest::parse(body.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(r#"{"cupsUri":null}"#),
            "update-info request: router: missing"
        );
        assert_eq!(
            err(r#"{"router":"::0"}"#),
            "update-info request: router: zero EUI"
        );
        assert!(err(r#"{"router":-1}"#).contains("not an unsigned"));
        assert!(err(r#"{"router":"::1","cupsCredCrc":1.5}"#).starts_with("update-info request: "));
        assert!(
            err(r#"{"router":"::1","tcCredCrc":4294967296}"#).starts_with("update-info request: ")
        );
        assert!(err("[").starts_with("update-info request: "));
        let big = vec![b' '; MAX_REQUEST_LEN + 1];
        assert!(UpdateInfoRequest::parse(&big).is_err());
    }
}
