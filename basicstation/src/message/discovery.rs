//! Discovery (`GET /router-info`): one request from the station, one response from the LNS.

use serde::Deserialize;

use crate::error::{DecodeError, EncodeError};
use crate::eui::Eui64;
use crate::json::{ObjWriter, check_len};

/// Longest muxs URI the reference station accepts (MAX_URI_LEN).
pub const MAX_URI_LEN: usize = 128;

/// The station's request: `{"router": ID6 | EUI | integer}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct DiscoveryRequest {
    /// The router (gateway) EUI.
    pub router: Eui64,
}

impl DiscoveryRequest {
    /// Decodes a request (any EUI form accepted).
    pub fn decode(text: &str) -> Result<DiscoveryRequest, DecodeError> {
        super::check_input_len(text)?;
        serde_json::from_str(text).map_err(|e| DecodeError::json("router-info", &e, text))
    }

    /// Encodes the request as the reference station does (router id in ID6 form).
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        out.clear();
        out.push_str("{\"router\":\"");
        out.push_str(&self.router.id6().to_string());
        out.push_str("\"}");
        Ok(())
    }
}

/// The LNS's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryResponse {
    /// Where to connect.
    Muxs {
        /// The router, echoed.
        router: Eui64,
        /// Id of the muxs endpoint (only logged by the station), e.g. `muxs-::0`.
        muxs: String,
        /// The `ws://` or `wss://` URI of the traffic endpoint (with port and path).
        uri: String,
    },
    /// The router is not known (the station treats this as REJECTED).
    Error {
        /// The router, echoed.
        router: Eui64,
        /// The reason.
        error: String,
    },
}

#[derive(Deserialize)]
struct ResponseWire {
    #[serde(default)]
    router: Option<Eui64>,
    #[serde(default)]
    muxs: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl DiscoveryResponse {
    /// Encodes the response; `router` is written in ID6 form.
    pub fn encode(&self, out: &mut String) -> Result<(), EncodeError> {
        out.clear();
        out.push('{');
        // Not a `msgtype` message: write the fields by hand through a throwaway writer.
        let mut body = String::new();
        let mut w = ObjWriter::element(&mut body, "router-info");
        match self {
            DiscoveryResponse::Muxs { router, muxs, uri } => {
                w.str("router", &router.id6().to_string());
                w.str("muxs", muxs);
                w.str("uri", uri);
            }
            DiscoveryResponse::Error { router, error } => {
                w.str("router", &router.id6().to_string());
                w.str("error", error);
            }
        }
        w.end()?;
        out.clear();
        out.push_str(&body);
        check_len("router-info", out)
    }

    /// Decodes a response the way the station reads it: an `error` field, or a missing `uri`,
    /// makes it [`DiscoveryResponse::Error`].
    pub fn decode(text: &str) -> Result<DiscoveryResponse, DecodeError> {
        super::check_input_len(text)?;
        let w: ResponseWire =
            serde_json::from_str(text).map_err(|e| DecodeError::json("router-info", &e, text))?;
        let router = w.router.unwrap_or_default();
        match (w.error, w.uri) {
            (None, Some(uri)) => Ok(DiscoveryResponse::Muxs {
                router,
                muxs: w.muxs.unwrap_or_default(),
                uri,
            }),
            (Some(error), _) => Ok(DiscoveryResponse::Error { router, error }),
            (None, None) => Ok(DiscoveryResponse::Error {
                router,
                error: "no uri in response".to_owned(),
            }),
        }
    }
}
