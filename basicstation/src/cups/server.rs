//! The server side: what to answer a station's `update-info` request with.

use super::CupsError;
use super::credentials::Credentials;
use super::eui::format_id6;
use super::request::UpdateInfoRequest;
use super::response::{MAX_URI_LEN, UpdateInfoResponse, UpdateSignature};

/// An update the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePackage {
    /// The version the station reports in `package` once it runs this update; the update is
    /// sent while the station reports anything else.
    pub version: String,
    /// The update data.
    pub data: Vec<u8>,
    /// Signatures over `data`, by different keys; the one by a key the station has is sent.
    pub signatures: Vec<UpdateSignature>,
}

/// What the server wants a station to have. `None` fields are not managed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CupsTarget {
    /// The CUPS URI the station should use.
    pub cups_uri: Option<String>,
    /// The credentials for `cups_uri` (or the station's current CUPS server).
    pub cups_credentials: Option<Credentials>,
    /// The LNS URI the station should use.
    pub tc_uri: Option<String>,
    /// The credentials for the LNS.
    pub tc_credentials: Option<Credentials>,
    /// An update to roll out.
    pub update: Option<UpdatePackage>,
}

fn uses_tls(uri: &str) -> bool {
    let scheme = uri.split_once("://").map_or("", |(s, _)| s);
    scheme.eq_ignore_ascii_case("wss") || scheme.eq_ignore_ascii_case("https")
}

/// Decide the response to `request` (a pure function of the request and the target).
///
/// - A URI is sent when the target has one and it differs from the station's.
/// - Credentials are sent when the target has them and their CRC differs from the one the
///   station reported.
/// - The update is sent when the station's `package` differs from the update's version. A
///   station with signing keys gets the signature by one of its keys (it refuses unsigned
///   updates); a station without keys gets the update unsigned (it refuses signed ones).
///
/// Errors say what is missing: a URI change without credentials configured for it, a TLS URI
/// whose credentials have no trust certificate, a station without an LNS URI when the target
/// has none either, no signature by a key the station has, malformed credentials.
pub fn decide_update(
    request: &UpdateInfoRequest,
    target: &CupsTarget,
) -> Result<UpdateInfoResponse, CupsError> {
    let missing = |what: String| CupsError::Missing {
        router: format_id6(request.router),
        missing: what,
    };
    let mut response = UpdateInfoResponse::default();

    let endpoints = [
        (
            "CUPS",
            "cupsCred",
            &target.cups_uri,
            &target.cups_credentials,
            &request.cups_uri,
            request.cups_cred_crc,
        ),
        (
            "LNS",
            "tcCred",
            &target.tc_uri,
            &target.tc_credentials,
            &request.tc_uri,
            request.tc_cred_crc,
        ),
    ];
    let mut answers = Vec::with_capacity(2);
    for (name, field, uri, creds, current_uri, current_crc) in endpoints {
        let new_uri = uri.as_ref().filter(|u| Some(*u) != current_uri.as_ref());
        if let Some(u) = new_uri {
            if u.len() > MAX_URI_LEN {
                return Err(CupsError::TooLong {
                    field: "URI",
                    len: u.len(),
                    max: MAX_URI_LEN,
                });
            }
            if creds.is_none() {
                return Err(missing(format!(
                    "the {name} URI changes to {u} but no {name} credentials are configured for it"
                )));
            }
        }
        let effective_uri = uri.as_ref().or(current_uri.as_ref());
        if let (Some(u), Some(c)) = (effective_uri, creds)
            && uses_tls(u)
            && c.trust.is_none()
        {
            return Err(missing(format!(
                "the {name} URI {u} uses TLS but the {name} credentials have no trust (CA) certificate"
            )));
        }
        let blob = match creds {
            Some(c) => {
                let blob = c.to_blob(field)?;
                (crc32fast::hash(&blob) != current_crc).then_some(blob)
            }
            None => None,
        };
        answers.push((new_uri.cloned(), blob));
    }
    if target.tc_uri.is_none() && request.tc_uri.is_none() {
        return Err(missing(
            "the station has no LNS URI and none is configured for it".into(),
        ));
    }
    let mut answers = answers.into_iter();
    if let Some((uri, cred)) = answers.next() {
        response.cups_uri = uri;
        response.cups_cred = cred;
    }
    if let Some((uri, cred)) = answers.next() {
        response.tc_uri = uri;
        response.tc_cred = cred;
    }

    if let Some(update) = &target.update
        && request.package.as_deref() != Some(update.version.as_str())
    {
        if update.data.is_empty() {
            return Err(missing(format!("update {} has no data", update.version)));
        }
        response.signature = if request.keys.is_empty() {
            None
        } else {
            let sig = update
                .signatures
                .iter()
                .find(|s| request.keys.contains(&s.key_crc));
            let offered: Vec<String> = update
                .signatures
                .iter()
                .map(|s| format!("{:#010x}", s.key_crc))
                .collect();
            let station: Vec<String> = request.keys.iter().map(|k| format!("{k:#010x}")).collect();
            Some(sig.cloned().ok_or_else(|| CupsError::Unsigned {
                version: update.version.clone(),
                reason: format!(
                    "the station only runs updates signed by keys [{}], the update has signatures by [{}]",
                    station.join(", "),
                    offered.join(", ")
                ),
            })?)
        };
        response.update = Some(update.data.clone());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cups::{ClientAuth, NO_CREDENTIALS_CRC};

    fn trust() -> Vec<u8> {
        vec![0x30, 0x03, 1, 2, 3]
    }

    fn fresh_station() -> UpdateInfoRequest {
        UpdateInfoRequest {
            router: 0xB827_EBFF_FE61_5E1C,
            cups_uri: Some("https://cups.example.com:443".into()),
            tc_uri: None,
            cups_cred_crc: NO_CREDENTIALS_CRC,
            tc_cred_crc: NO_CREDENTIALS_CRC,
            package: Some("1.0".into()),
            ..Default::default()
        }
    }

    fn lns_target() -> CupsTarget {
        CupsTarget {
            tc_uri: Some("wss://lns.example.com:8887".into()),
            tc_credentials: Some(Credentials::token(Some(trust()), "Bearer NNSXS.KEY")),
            ..Default::default()
        }
    }

    #[test]
    fn first_contact_gets_lns_uri_and_credentials_then_nothing() {
        let target = lns_target();
        let r = decide_update(&fresh_station(), &target).unwrap();
        assert_eq!(r.tc_uri.as_deref(), Some("wss://lns.example.com:8887"));
        let blob = r.tc_cred.clone().unwrap();
        let mut expected = trust();
        expected.extend_from_slice(&[0; 4]);
        expected.extend_from_slice(b"Authorization: Bearer NNSXS.KEY\r\n");
        assert_eq!(blob, expected);
        assert_eq!((r.cups_uri, r.cups_cred, r.update), (None, None, None));
        // After installing, the station reports the new URI and the CRC of its files.
        let mut next = fresh_station();
        next.tc_uri = Some("wss://lns.example.com:8887".into());
        next.tc_cred_crc = crate::cups::cred_crc_of_files(
            Some(&trust()),
            None,
            Some(b"Authorization: Bearer NNSXS.KEY\r\n"),
        );
        let r = decide_update(&next, &target).unwrap();
        assert!(r.is_empty());
        assert_eq!(r.to_bytes().unwrap(), crate::cups::NO_UPDATE_RESPONSE);
    }

    #[test]
    fn errors_say_what_is_missing() {
        let e = decide_update(&fresh_station(), &CupsTarget::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot answer update-info for router b827:ebff:fe61:5e1c: the station has no LNS URI and none is configured for it"
        );
        let target = CupsTarget {
            tc_uri: Some("wss://lns.example.com:8887".into()),
            ..Default::default()
        };
        assert_eq!(
            decide_update(&fresh_station(), &target)
                .unwrap_err()
                .to_string(),
            "cannot answer update-info for router b827:ebff:fe61:5e1c: the LNS URI changes to wss://lns.example.com:8887 but no LNS credentials are configured for it"
        );
        let target = CupsTarget {
            tc_credentials: Some(Credentials::token(None, "x")),
            ..lns_target()
        };
        assert!(decide_update(&fresh_station(), &target).unwrap_err().to_string().ends_with(
            "the LNS URI wss://lns.example.com:8887 uses TLS but the LNS credentials have no trust (CA) certificate"
        ));
        let target = CupsTarget {
            cups_uri: Some("https://other:443".into()),
            ..lns_target()
        };
        assert!(decide_update(&fresh_station(), &target).unwrap_err().to_string().ends_with(
            "the CUPS URI changes to https://other:443 but no CUPS credentials are configured for it"
        ));
        let bad = Credentials {
            trust: Some(vec![1, 2, 3]),
            auth: ClientAuth::None,
        };
        let target = CupsTarget {
            tc_credentials: Some(bad),
            ..lns_target()
        };
        assert_eq!(
            decide_update(&fresh_station(), &target)
                .unwrap_err()
                .to_string(),
            "tcCred.trust: not a DER SEQUENCE (first byte 0x01)"
        );
    }

    #[test]
    fn cups_credential_rotation_only_when_crc_differs() {
        let creds = Credentials::token(Some(trust()), "Bearer CUPS");
        let mut target = lns_target();
        target.cups_uri = Some("https://cups.example.com:443".into());
        target.cups_credentials = Some(creds.clone());
        let mut station = fresh_station();
        station.tc_uri = target.tc_uri.clone();
        station.tc_cred_crc = target.tc_credentials.as_ref().unwrap().crc().unwrap();
        let r = decide_update(&station, &target).unwrap();
        assert_eq!(r.cups_uri, None, "same URI is not re-sent");
        assert_eq!(r.cups_cred, Some(creds.to_blob("cupsCred").unwrap()));
        assert_eq!(r.tc_cred, None);
        station.cups_cred_crc = creds.crc().unwrap();
        assert!(decide_update(&station, &target).unwrap().is_empty());
    }

    #[test]
    fn update_signing_rules() {
        let sig_a = UpdateSignature {
            key_crc: 0x1D1E_9F14,
            der: vec![0x30, 0x02, 0x02, 0x00],
        };
        let sig_b = UpdateSignature {
            key_crc: 7,
            der: vec![0x30, 0x02, 0x02, 0x01],
        };
        let mut target = lns_target();
        target.update = Some(UpdatePackage {
            version: "2.0".into(),
            data: b"#!/bin/sh\n".to_vec(),
            signatures: vec![sig_b.clone(), sig_a.clone()],
        });
        let mut station = fresh_station();
        station.tc_uri = target.tc_uri.clone();
        station.tc_cred_crc = target.tc_credentials.as_ref().unwrap().crc().unwrap();
        // No keys installed: unsigned (a signed update would be refused).
        let r = decide_update(&station, &target).unwrap();
        assert_eq!(
            (r.update.as_deref(), r.signature),
            (Some(&b"#!/bin/sh\n"[..]), None)
        );
        // Keys installed: the signature by one of them.
        station.keys = vec![488_546_068];
        assert_eq!(
            decide_update(&station, &target).unwrap().signature,
            Some(sig_a)
        );
        station.keys = vec![5];
        assert_eq!(
            decide_update(&station, &target).unwrap_err().to_string(),
            "update 2.0: the station only runs updates signed by keys [0x00000005], the update has signatures by [0x00000007, 0x1d1e9f14]"
        );
        // Already at that version: nothing.
        station.package = Some("2.0".into());
        assert!(decide_update(&station, &target).unwrap().is_empty());
    }
}
