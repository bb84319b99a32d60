//! The station side: what to install from an `update-info` response.

use super::CupsError;
use std::time::Duration;

use super::credentials::Credentials;
use super::response::UpdateInfoResponse;

/// When a station checks CUPS again after an exchange that changed nothing for CUPS.
pub const CUPS_REGULAR_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// When a station tries CUPS again after a failed exchange (after more than 6 failures in a
/// row, or at once on a non-200 status, it also rotates to its backup credential set).
pub const CUPS_RETRY_INTERVAL: Duration = Duration::from_secs(60);

/// What happens to the update data of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateVerdict {
    /// The response carries no update.
    NoUpdate,
    /// Run it (verified, or unsigned with no signing key installed).
    Run(Vec<u8>),
    /// Do not run it, and why.
    Rejected(String),
}

/// The actions a station takes after a successful `update-info` exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationActions {
    /// New CUPS URI to save.
    pub cups_uri: Option<String>,
    /// New LNS URI to save.
    pub tc_uri: Option<String>,
    /// New CUPS credentials to write as `cups.{trust,crt,key}`.
    pub cups_credentials: Option<Credentials>,
    /// New LNS credentials to write as `tc.{trust,crt,key}`.
    pub tc_credentials: Option<Credentials>,
    /// The update data's fate.
    pub update: UpdateVerdict,
}

impl StationActions {
    /// Work out the actions for `response`, given the raw 64-byte signing keys installed
    /// (`sig-0.key`, `sig-1.key`, ...), the way the reference station does:
    /// - a signed update runs if any installed key verifies it (none installed: refused);
    /// - an unsigned update runs only if no key is installed.
    ///
    /// Verification needs the `cups-signing` feature; without it a signed update is rejected.
    /// Errors: a credentials blob the station could not split.
    pub fn from_response(
        response: &UpdateInfoResponse,
        installed_keys: &[[u8; 64]],
    ) -> Result<Self, CupsError> {
        let cups_credentials = response
            .cups_cred
            .as_deref()
            .map(|b| Credentials::from_blob("cupsCred", b))
            .transpose()?;
        let tc_credentials = response
            .tc_cred
            .as_deref()
            .map(|b| Credentials::from_blob("tcCred", b))
            .transpose()?;
        let update = match (&response.update, &response.signature) {
            (None, _) => UpdateVerdict::NoUpdate,
            (Some(data), None) if installed_keys.is_empty() => UpdateVerdict::Run(data.clone()),
            (Some(_), None) => UpdateVerdict::Rejected(
                "a signing key is installed but the update is unsigned".into(),
            ),
            (Some(_), Some(_)) if installed_keys.is_empty() => UpdateVerdict::Rejected(
                "the update is signed but no signing key is installed".into(),
            ),
            (Some(data), Some(sig)) => verdict_for_signed(data, &sig.der, installed_keys),
        };
        Ok(StationActions {
            cups_uri: response.cups_uri.clone(),
            tc_uri: response.tc_uri.clone(),
            cups_credentials,
            tc_credentials,
            update,
        })
    }

    /// Whether the LNS connection restarts (new LNS URI or credentials).
    pub fn restarts_lns(&self) -> bool {
        self.tc_uri.is_some() || self.tc_credentials.is_some()
    }

    /// Whether the station contacts CUPS again at once (new CUPS URI or credentials); otherwise
    /// the next regular check follows.
    pub fn reconnects_cups(&self) -> bool {
        self.cups_uri.is_some() || self.cups_credentials.is_some()
    }

    /// How long until the next CUPS check: at once after a CUPS change, otherwise
    /// [`CUPS_REGULAR_INTERVAL`].
    pub fn next_check(&self) -> Duration {
        if self.reconnects_cups() {
            Duration::ZERO
        } else {
            CUPS_REGULAR_INTERVAL
        }
    }
}

#[cfg(feature = "cups-signing")]
fn verdict_for_signed(data: &[u8], der: &[u8], keys: &[[u8; 64]]) -> UpdateVerdict {
    if keys
        .iter()
        .any(|k| super::signing::verify_update(k, data, der).is_ok())
    {
        UpdateVerdict::Run(data.to_vec())
    } else {
        UpdateVerdict::Rejected(format!(
            "no installed key verifies the signature (tried {})",
            keys.len()
        ))
    }
}

#[cfg(not(feature = "cups-signing"))]
fn verdict_for_signed(_data: &[u8], _der: &[u8], _keys: &[[u8; 64]]) -> UpdateVerdict {
    UpdateVerdict::Rejected("signature verification needs the `cups-signing` feature".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cups::UpdateSignature;

    #[test]
    fn install_rules() {
        let creds = Credentials::token(Some(vec![0x30, 0x00]), "Bearer X");
        let response = UpdateInfoResponse {
            tc_uri: Some("wss://lns:8887".into()),
            tc_cred: Some(creds.to_blob("tcCred").unwrap()),
            update: Some(b"#!/bin/sh\n".to_vec()),
            ..Default::default()
        };
        let a = StationActions::from_response(&response, &[]).unwrap();
        assert_eq!(a.tc_credentials, Some(creds));
        assert!(a.restarts_lns() && !a.reconnects_cups());
        assert_eq!(a.update, UpdateVerdict::Run(b"#!/bin/sh\n".to_vec()));
        let a = StationActions::from_response(&response, &[[1; 64]]).unwrap();
        assert_eq!(
            a.update,
            UpdateVerdict::Rejected("a signing key is installed but the update is unsigned".into())
        );
        let signed = UpdateInfoResponse {
            signature: Some(UpdateSignature {
                key_crc: 1,
                der: vec![0x30, 0x02, 0x02, 0x00],
            }),
            ..response.clone()
        };
        let a = StationActions::from_response(&signed, &[]).unwrap();
        assert_eq!(
            a.update,
            UpdateVerdict::Rejected("the update is signed but no signing key is installed".into())
        );
        let a = StationActions::from_response(&signed, &[[1; 64]]).unwrap();
        assert!(matches!(a.update, UpdateVerdict::Rejected(_)));
        let bad = UpdateInfoResponse {
            cups_cred: Some(vec![0x31, 0]),
            ..Default::default()
        };
        assert!(StationActions::from_response(&bad, &[]).is_err());
        let none = StationActions::from_response(&UpdateInfoResponse::default(), &[]).unwrap();
        assert_eq!(none.update, UpdateVerdict::NoUpdate);
        assert!(!none.restarts_lns() && !none.reconnects_cups());
        assert_eq!(none.next_check(), Duration::from_secs(86_400));
        let cups = UpdateInfoResponse {
            cups_uri: Some("https://c:443".into()),
            ..Default::default()
        };
        assert_eq!(
            StationActions::from_response(&cups, &[])
                .unwrap()
                .next_check(),
            Duration::ZERO
        );
    }
}
