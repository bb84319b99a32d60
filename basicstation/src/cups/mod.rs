//! CUPS, the Configuration and Update Server protocol of Basics Station, both sides, sans-IO.
//!
//! The station POSTs an [`UpdateInfoRequest`] (JSON) to `{cups.uri}/update-info`; the server
//! answers HTTP 200 with a binary [`UpdateInfoResponse`]. Each length-prefixed segment is either
//! empty ("no change") or a replacement: the CUPS URI, the LNS (`tc`) URI, a CUPS or LNS
//! [`Credentials`] blob, and update data with an optional ECDSA signature.
//!
//! ```text
//! station                                         server
//!   UpdateInfoRequest::to_json ──POST /update-info──▶ UpdateInfoRequest::parse
//!                                                    decide_update(&request, &target)
//!   UpdateInfoResponse::decode ◀──── 200, binary ──── UpdateInfoResponse::encode
//!   StationActions::from_response(&response, &keys)
//!     → write credentials, switch URIs, run the verified update
//! ```
//!
//! The binary layout follows the reference station's parser (`cups.c`), not The Things Stack's
//! encoder: `sigLen` counts the 4-byte key CRC and, when 0, no key CRC follows.
//! [`UpdateInfoResponse::decode_lenient`] also accepts The Things Stack's layout.
//!
//! Signatures (ECDSA P-256 over SHA-512, DER) are created and verified with the
//! `cups-signing` feature, module `signing`.
//!
//! ```
//! use loragw_basicstation::cups::*;
//!
//! // Server: a fresh station asks; it gets the LNS URI and a token credential.
//! let body = br#"{"router":"b827:ebff:fe61:5e1c","cupsUri":"https://cups.example.com:443","tcUri":null,
//!   "cupsCredCrc":2077607535,"tcCredCrc":2077607535,"station":"2.0.6","model":"linux","package":null,"keys":[]}"#;
//! let request = UpdateInfoRequest::parse(body)?;
//! let ca_der = vec![0x30, 0x03, 1, 2, 3]; // the LNS server's CA certificate, DER
//! let target = CupsTarget {
//!     tc_uri: Some("wss://lns.example.com:8887".into()),
//!     tc_credentials: Some(Credentials::token(Some(ca_der), "Bearer NNSXS.SECRET")),
//!     ..Default::default()
//! };
//! let response = decide_update(&request, &target)?;
//! let bytes = response.to_bytes()?; // the HTTP 200 body
//!
//! // Station: decode and act.
//! let actions = StationActions::from_response(&UpdateInfoResponse::decode(&bytes)?, &[])?;
//! assert_eq!(actions.tc_uri.as_deref(), Some("wss://lns.example.com:8887"));
//! assert!(actions.restarts_lns());
//! assert_eq!(actions.update, UpdateVerdict::NoUpdate);
//! # Ok::<(), CupsError>(())
//! ```

mod credentials;
mod error;
mod eui;
mod request;
mod response;
mod server;
#[cfg(feature = "cups-signing")]
pub mod signing;
mod station;

pub use credentials::{ClientAuth, Credentials, NO_CREDENTIALS_CRC, cred_crc_of_files};
pub use error::CupsError;
pub use request::{MAX_REQUEST_LEN, UpdateInfoRequest};
pub use response::{
    MAX_SIGNATURE_DER_LEN, MAX_URI_LEN, NO_UPDATE_RESPONSE, ResponseLayout, UpdateInfoResponse,
    UpdateSignature,
};
pub use server::{CupsTarget, UpdatePackage, decide_update};
pub use station::{CUPS_REGULAR_INTERVAL, CUPS_RETRY_INTERVAL, StationActions, UpdateVerdict};

/// CRC32 (IEEE, zlib) of a raw 64-byte signing public key (`sig-N.key`), as listed in `keys`.
pub fn key_crc(raw_key: &[u8; 64]) -> u32 {
    crc32fast::hash(raw_key)
}
