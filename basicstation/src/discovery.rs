//! Discovery (`GET /router-info`) on the LNS side: one request in, one response out.
//!
//! ```
//! use loragw_basicstation::discovery::handle_request;
//! let reply = handle_request(r#"{"router":"b827:ebff:fe61:5e1c"}"#, |eui| {
//!     Ok(format!("wss://lns.example.com:8887/traffic/eui-{:016X}", eui.0))
//! });
//! assert_eq!(
//!     reply,
//!     r#"{"router":"b827:ebff:fe61:5e1c","muxs":"muxs-::0","uri":"wss://lns.example.com:8887/traffic/eui-B827EBFFFE615E1C"}"#
//! );
//! ```
//!
//! The station side uses [`DiscoveryRequest::encode`] and [`DiscoveryResponse::decode`].

use crate::eui::Eui64;
pub use crate::message::{DiscoveryRequest, DiscoveryResponse, MAX_URI_LEN};

/// The muxs id written in responses.
pub const MUXS_ID: &str = "muxs-::0";

/// Checks a traffic URI the way the reference station does: `ws://` or `wss://`, with a port
/// and a path, at most [`MAX_URI_LEN`] bytes.
pub fn check_muxs_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_URI_LEN {
        return Err("muxs URI longer than 128 bytes");
    }
    let rest = uri
        .strip_prefix("wss://")
        .or_else(|| uri.strip_prefix("ws://"))
        .ok_or("muxs URI must start with ws:// or wss://")?;
    let (authority, path) = rest.split_at(rest.find('/').ok_or("muxs URI needs a path")?);
    if path.len() < 2 {
        return Err("muxs URI needs a path");
    }
    let port = authority
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty() && !p.contains(']') && p.bytes().all(|b| b.is_ascii_digit()))
        .ok_or("muxs URI needs a port")?;
    port.parse::<u16>()
        .map_err(|_| "muxs URI port out of range")?;
    Ok(())
}

/// Answers one discovery request. `resolve` maps the router EUI to its traffic URI, or to an
/// error text (unknown gateway, not authorised, ...). Returns the JSON text to send before
/// closing the websocket. Unparsable requests, a zero EUI and URIs the station would reject
/// get the error form `{"router":"<id6>","error":"<text>"}`.
pub fn handle_request<F>(text: &str, resolve: F) -> String
where
    F: FnOnce(Eui64) -> Result<String, String>,
{
    let response = match DiscoveryRequest::decode(text) {
        Err(e) => DiscoveryResponse::Error {
            router: Eui64(0),
            error: format!("failed to parse discovery request: {e}"),
        },
        Ok(req) if req.router == Eui64(0) => DiscoveryResponse::Error {
            router: req.router,
            error: "empty router EUI".to_owned(),
        },
        Ok(req) => match resolve(req.router) {
            Ok(uri) => match check_muxs_uri(&uri) {
                Ok(()) => DiscoveryResponse::Muxs {
                    router: req.router,
                    muxs: MUXS_ID.to_owned(),
                    uri,
                },
                Err(why) => DiscoveryResponse::Error {
                    router: req.router,
                    error: why.to_owned(),
                },
            },
            Err(error) => DiscoveryResponse::Error {
                router: req.router,
                error,
            },
        },
    };
    let mut out = String::new();
    if response.encode(&mut out).is_err() {
        // Only an over-long error text from the resolver can fail; answer without it.
        out = format!(
            r#"{{"router":"{}","error":"error text too long"}}"#,
            Eui64(0).id6()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_every_router_form() {
        let resolve = |eui: Eui64| Ok(format!("ws://127.0.0.1:6039/router-{:x}", eui.0));
        for req in [
            r#"{"router":"::1"}"#,
            r#"{"router":1}"#,
            r#"{"router":"00-00-00-00-00-00-00-01"}"#,
        ] {
            assert_eq!(
                handle_request(req, resolve),
                r#"{"router":"::1","muxs":"muxs-::0","uri":"ws://127.0.0.1:6039/router-1"}"#
            );
        }
    }

    #[test]
    fn error_forms() {
        assert_eq!(
            handle_request(r#"{"router":"b827:ebff:fe61:5e1c"}"#, |_| Err(
                "Router not provisioned".into()
            )),
            r#"{"router":"b827:ebff:fe61:5e1c","error":"Router not provisioned"}"#
        );
        assert_eq!(
            handle_request(r#"{"router":"::0"}"#, |_| Ok("ws://h:1/p".into())),
            r#"{"router":"::0","error":"empty router EUI"}"#
        );
        assert!(handle_request("{", |_| Ok("ws://h:1/p".into())).contains("failed to parse"));
        assert_eq!(
            handle_request(r#"{"router":"::2"}"#, |_| Ok("ws://host/router".into())),
            r#"{"router":"::2","error":"muxs URI needs a port"}"#
        );
    }

    #[test]
    fn station_side_reads_responses() {
        let r = DiscoveryResponse::decode(
            r#"{"router":"::1","muxs":"muxs-::0","uri":"ws://127.0.0.1:6039/router"}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            DiscoveryResponse::Muxs {
                router: Eui64(1),
                muxs: "muxs-::0".into(),
                uri: "ws://127.0.0.1:6039/router".into()
            }
        );
        // A missing uri is a rejection, as at the station.
        assert!(matches!(
            DiscoveryResponse::decode(r#"{"router":"::1","muxs":"muxs-::0"}"#).unwrap(),
            DiscoveryResponse::Error { .. }
        ));
        let mut out = String::new();
        DiscoveryRequest { router: Eui64(1) }
            .encode(&mut out)
            .unwrap();
        assert_eq!(out, r#"{"router":"::1"}"#);
        assert!(check_muxs_uri("wss://[::1]:8887/traffic").is_ok());
        assert!(check_muxs_uri("http://h:1/p").is_err());
        assert!(check_muxs_uri("ws://h:1/").is_err());
    }
}
