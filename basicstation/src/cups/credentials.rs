//! Credential blobs (`cupsCred`, `tcCred`) and their CRC32 as the station computes it.
//!
//! Layout: `trust` ‖ `cert` ‖ `key`, where
//! - `trust` is the DER certificate (a SEQUENCE, first byte 0x30) of the CA that signs the
//!   server's certificate, or 4 zero bytes when there is none (no server check, plain ws/http);
//! - `cert` is the client certificate DER, or 4 zero bytes when there is none;
//! - `key` is the client private key DER (PKCS#1 RSA or SEC1 EC), or the token header line(s)
//!   (`Authorization: Bearer ...\r\n`, only with no cert), or 4 zero bytes for no key.
//!
//! The station splits the blob by reading the DER SEQUENCE lengths; it understands the short
//! form and the two-byte `0x82` long form only, so DER parts with any other length form are
//! rejected here rather than mis-split there.
//!
//! The CRC the station reports is CRC32 over its three files in that order, an empty or
//! missing file counting as 4 zero bytes, which equals the CRC of the blob built here.

use super::CupsError;

/// The CRC of "no credentials at all" (12 zero bytes), as a fresh station reports it.
pub const NO_CREDENTIALS_CRC: u32 = 2_077_607_535;

const ABSENT: [u8; 4] = [0; 4];

/// Largest blob: the u16 length field of the response.
const MAX_BLOB_LEN: usize = u16::MAX as usize;

/// How the station authenticates to the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// No client authentication (4 zero bytes for cert and key).
    #[default]
    None,
    /// TLS client certificate and key, both DER.
    Tls {
        /// Client certificate, DER.
        cert: Vec<u8>,
        /// Private key, DER (PKCS#1 or SEC1).
        key: Vec<u8>,
    },
    /// HTTP header line(s) the station adds to its requests, each ending in `\r\n`.
    Token(Vec<u8>),
}

impl ClientAuth {
    /// An `Authorization` header line: `Authorization: <value>\r\n` (trailing CR/LF of
    /// `value` removed, as The Things Stack does; no `Bearer ` is added).
    pub fn authorization(value: &str) -> ClientAuth {
        let v = value.trim_end_matches(['\r', '\n']);
        ClientAuth::Token(format!("Authorization: {v}\r\n").into_bytes())
    }
}

/// One credential set: what a station stores as `{cups,tc}.{trust,crt,key}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    /// CA certificate DER to check the server with; `None` = no check.
    pub trust: Option<Vec<u8>>,
    /// Client authentication.
    pub auth: ClientAuth,
}

fn cred_err(field: &str, part: &str, reason: impl Into<String>) -> CupsError {
    CupsError::Credentials {
        field: format!("{field}.{part}"),
        reason: reason.into(),
    }
}

/// Length of the DER SEQUENCE at the start of `b` as the station reads it (header included).
fn der_len(b: &[u8]) -> Result<usize, String> {
    match b {
        [0x30, n, ..] if *n < 0x80 => Ok(2 + usize::from(*n)),
        [0x30, 0x82, hi, lo, ..] => Ok(4 + (usize::from(*hi) << 8 | usize::from(*lo))),
        [0x30] | [0x30, 0x82, ..] => Err("DER header truncated".into()),
        [0x30, n, ..] => Err(format!(
            "DER length form {n:#04x} is not understood by the station (short form or 0x82 only)"
        )),
        [] => Err("missing".into()),
        [first, ..] => Err(format!("not a DER SEQUENCE (first byte {first:#04x})")),
    }
}

fn check_der(field: &str, part: &str, der: &[u8]) -> Result<(), CupsError> {
    let len = der_len(der).map_err(|r| cred_err(field, part, r))?;
    if len != der.len() {
        return Err(cred_err(
            field,
            part,
            format!("DER SEQUENCE says {len} bytes, value has {}", der.len()),
        ));
    }
    Ok(())
}

/// Read one trust/cert slot: DER or 4 zero bytes.
fn read_slot<'a>(
    field: &str,
    part: &str,
    b: &'a [u8],
) -> Result<(Option<&'a [u8]>, &'a [u8]), CupsError> {
    if b.starts_with(&ABSENT) {
        return Ok((None, &b[4..]));
    }
    let len = der_len(b).map_err(|r| cred_err(field, part, r))?;
    if len > b.len() {
        return Err(cred_err(
            field,
            part,
            format!("DER SEQUENCE says {len} bytes, {} left", b.len()),
        ));
    }
    let (der, rest) = b.split_at(len);
    Ok((Some(der), rest))
}

impl Credentials {
    /// Credentials with a CA and a token header line (`Authorization: <value>\r\n`).
    pub fn token(trust: Option<Vec<u8>>, authorization: &str) -> Self {
        Credentials {
            trust,
            auth: ClientAuth::authorization(authorization),
        }
    }

    /// Build the blob. `field` names it in errors (`cupsCred`, `tcCred`).
    ///
    /// Errors: a DER part that is not one SEQUENCE of exactly its length in a form the station
    /// reads; a token that starts with 0x30 or 0x00 (the station would take it for a key or
    /// for nothing) or is empty; a blob over 65,535 bytes.
    pub fn to_blob(&self, field: &str) -> Result<Vec<u8>, CupsError> {
        let mut out = Vec::new();
        match &self.trust {
            Some(der) => {
                check_der(field, "trust", der)?;
                out.extend_from_slice(der);
            }
            None => out.extend_from_slice(&ABSENT),
        }
        match &self.auth {
            ClientAuth::None => out.extend_from_slice(&[0; 8]),
            ClientAuth::Tls { cert, key } => {
                check_der(field, "cert", cert)?;
                check_der(field, "key", key)?;
                out.extend_from_slice(cert);
                out.extend_from_slice(key);
            }
            ClientAuth::Token(token) => {
                match token.first() {
                    None => return Err(cred_err(field, "key", "empty token")),
                    Some(0x30 | 0x00) => {
                        return Err(cred_err(
                            field,
                            "key",
                            "a token must not start with 0x30 or 0x00",
                        ));
                    }
                    Some(_) => {}
                }
                out.extend_from_slice(&ABSENT);
                out.extend_from_slice(token);
            }
        }
        if out.len() > MAX_BLOB_LEN {
            return Err(CupsError::TooLong {
                field: "credentials blob",
                len: out.len(),
                max: MAX_BLOB_LEN,
            });
        }
        Ok(out)
    }

    /// Split a blob the way the station does. `field` names it in errors.
    pub fn from_blob(field: &str, blob: &[u8]) -> Result<Self, CupsError> {
        let (trust, rest) = read_slot(field, "trust", blob)?;
        let (cert, rest) = if rest.is_empty() {
            return Err(cred_err(field, "cert", "missing (4 zero bytes for none)"));
        } else {
            read_slot(field, "cert", rest)?
        };
        let auth = match (cert, rest.first()) {
            (_, None) => return Err(cred_err(field, "key", "missing (4 zero bytes for none)")),
            (None, Some(0x00)) if rest == ABSENT => ClientAuth::None,
            (Some(_), Some(0x00)) => {
                return Err(cred_err(
                    field,
                    "key",
                    "a client certificate needs a DER key",
                ));
            }
            (_, Some(0x00)) => {
                return Err(cred_err(
                    field,
                    "key",
                    "zero bytes other than the 4-byte \"none\" marker",
                ));
            }
            (Some(cert), Some(0x30)) => {
                check_der(field, "key", rest)?;
                ClientAuth::Tls {
                    cert: cert.to_vec(),
                    key: rest.to_vec(),
                }
            }
            (None, Some(0x30)) => {
                return Err(cred_err(
                    field,
                    "cert",
                    "a client key needs a client certificate",
                ));
            }
            (None, Some(_)) => ClientAuth::Token(rest.to_vec()),
            (Some(_), Some(_)) => {
                return Err(cred_err(
                    field,
                    "key",
                    "a client certificate needs a DER key, not a token",
                ));
            }
        };
        Ok(Credentials {
            trust: trust.map(<[u8]>::to_vec),
            auth,
        })
    }

    /// CRC32 of the blob, which is what the station will report once it has installed it.
    pub fn crc(&self) -> Result<u32, CupsError> {
        Ok(crc32fast::hash(&self.to_blob("credentials")?))
    }

    /// The contents of the three files the station writes: `(trust, crt, key)`, empty for an
    /// absent part.
    pub fn files(&self) -> (&[u8], &[u8], &[u8]) {
        let trust = self.trust.as_deref().unwrap_or_default();
        match &self.auth {
            ClientAuth::None => (trust, &[], &[]),
            ClientAuth::Tls { cert, key } => (trust, cert, key),
            ClientAuth::Token(t) => (trust, &[], t),
        }
    }
}

/// The credential CRC a station reports, computed from its `trust`, `crt` and `key` files
/// (`None` or empty = missing = 4 zero bytes).
pub fn cred_crc_of_files(trust: Option<&[u8]>, cert: Option<&[u8]>, key: Option<&[u8]>) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for part in [trust, cert, key] {
        match part {
            Some(p) if !p.is_empty() => h.update(p),
            _ => h.update(&ABSENT),
        }
    }
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn no_credentials_crc() {
        assert_eq!(cred_crc_of_files(None, None, None), NO_CREDENTIALS_CRC);
        assert_eq!(cred_crc_of_files(Some(b""), None, Some(b"")), 2_077_607_535);
        let none = Credentials::default();
        assert_eq!(none.to_blob("tcCred").unwrap(), [0u8; 12]);
        assert_eq!(none.crc().unwrap(), 0x7BD5_C66F);
    }

    /// The Things Stack's CUPS `messages_test.go`: trust "LETS NOT ENCRYPT", token "token".
    /// That trust is not DER, so it is checked through `files` + `cred_crc_of_files` and the
    /// blob bytes are assembled the way `to_blob` does for a real DER trust.
    #[test]
    fn tts_token_blob_vector() {
        let expected: [u8; 42] = [
            0x4C, 0x45, 0x54, 0x53, 0x20, 0x4E, 0x4F, 0x54, 0x20, 0x45, 0x4E, 0x43, 0x52, 0x59,
            0x50, 0x54, 0x00, 0x00, 0x00, 0x00, 0x41, 0x75, 0x74, 0x68, 0x6F, 0x72, 0x69, 0x7A,
            0x61, 0x74, 0x69, 0x6F, 0x6E, 0x3A, 0x20, 0x74, 0x6F, 0x6B, 0x65, 0x6E, 0x0D, 0x0A,
        ];
        for token in ["token", "token\n", "token\r\n"] {
            let auth = ClientAuth::authorization(token);
            let ClientAuth::Token(line) = &auth else {
                panic!()
            };
            let mut blob = b"LETS NOT ENCRYPT".to_vec();
            blob.extend_from_slice(&[0; 4]);
            blob.extend_from_slice(line);
            assert_eq!(blob, expected);
            let c = Credentials {
                trust: Some(b"LETS NOT ENCRYPT".to_vec()),
                auth,
            };
            let (t, crt, key) = c.files();
            assert_eq!(
                cred_crc_of_files(Some(t), Some(crt), Some(key)),
                crc32fast::hash(&expected)
            );
            // The station cannot split a non-DER trust: our builder says so.
            assert_eq!(
                c.to_blob("tcCred").unwrap_err().to_string(),
                "tcCred.trust: not a DER SEQUENCE (first byte 0x4c)"
            );
        }
    }

    fn der(len: usize, fill: u8) -> Vec<u8> {
        let mut v = if len < 128 {
            vec![0x30, u8::try_from(len).unwrap()]
        } else {
            vec![0x30, 0x82, (len >> 8) as u8, len as u8]
        };
        v.resize(v.len() + len, fill);
        v
    }

    #[test]
    fn token_blob_with_der_trust() {
        let trust = der(3, 0xAA);
        let c = Credentials::token(Some(trust.clone()), "Bearer NNSXS.X");
        let blob = c.to_blob("tcCred").unwrap();
        let mut expected = vec![0x30, 0x03, 0xAA, 0xAA, 0xAA, 0, 0, 0, 0];
        expected.extend_from_slice(b"Authorization: Bearer NNSXS.X\r\n");
        assert_eq!(blob, expected);
        assert_eq!(Credentials::from_blob("tcCred", &blob).unwrap(), c);
        let (t, crt, key) = c.files();
        assert_eq!(
            cred_crc_of_files(Some(t), Some(crt), Some(key)),
            c.crc().unwrap()
        );
    }

    #[test]
    fn tls_blob_and_errors() {
        let c = Credentials {
            trust: Some(der(300, 1)),
            auth: ClientAuth::Tls {
                cert: der(200, 2),
                key: der(121, 3),
            },
        };
        let blob = c.to_blob("cupsCred").unwrap();
        assert_eq!(blob.len(), 304 + 204 + 123);
        assert_eq!(&blob[..4], &[0x30, 0x82, 0x01, 0x2C]);
        assert_eq!(Credentials::from_blob("cupsCred", &blob).unwrap(), c);

        let e = |c: Credentials| c.to_blob("cupsCred").unwrap_err().to_string();
        assert_eq!(
            e(Credentials {
                trust: Some(vec![0x30, 0x81, 0x80]),
                auth: ClientAuth::None
            }),
            "cupsCred.trust: DER length form 0x81 is not understood by the station (short form or 0x82 only)"
        );
        assert_eq!(
            e(Credentials {
                trust: Some(vec![0x30, 0x01]),
                auth: ClientAuth::None
            }),
            "cupsCred.trust: DER SEQUENCE says 3 bytes, value has 2"
        );
        assert_eq!(
            e(Credentials {
                trust: None,
                auth: ClientAuth::Token(Vec::new())
            }),
            "cupsCred.key: empty token"
        );
        let zero = Credentials {
            trust: None,
            auth: ClientAuth::Token(vec![0, 1]),
        };
        assert_eq!(
            e(zero),
            "cupsCred.key: a token must not start with 0x30 or 0x00"
        );
        let from = |b: &[u8]| Credentials::from_blob("tcCred", b).unwrap_err().to_string();
        assert_eq!(from(&[0; 8]), "tcCred.key: missing (4 zero bytes for none)");
        assert_eq!(
            from(&[0, 0, 0, 0, 0x30, 5, 1]),
            "tcCred.cert: DER SEQUENCE says 7 bytes, 3 left"
        );
        assert_eq!(
            from(&[0x31]),
            "tcCred.trust: not a DER SEQUENCE (first byte 0x31)"
        );
        assert_eq!(
            from(&[0; 9]),
            "tcCred.key: zero bytes other than the 4-byte \"none\" marker"
        );
        let mut cert_token = der(2, 9);
        cert_token.splice(0..0, [0u8; 4]);
        cert_token.extend_from_slice(b"Authorization: x\r\n");
        assert_eq!(
            from(&cert_token),
            "tcCred.key: a client certificate needs a DER key, not a token"
        );
    }

    fn arb_der() -> impl Strategy<Value = Vec<u8>> {
        (0usize..400, any::<u8>()).prop_map(|(n, f)| der(n, f))
    }

    fn arb_credentials() -> impl Strategy<Value = Credentials> {
        let token =
            proptest::collection::vec(1u8..=255, 1..64).prop_filter("not 0x30", |t| t[0] != 0x30);
        let auth = prop_oneof![
            Just(ClientAuth::None),
            (arb_der(), arb_der()).prop_map(|(cert, key)| ClientAuth::Tls { cert, key }),
            token.prop_map(ClientAuth::Token),
        ];
        (proptest::option::of(arb_der()), auth)
            .prop_map(|(trust, auth)| Credentials { trust, auth })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn blob_round_trip(c in arb_credentials()) {
            let blob = c.to_blob("tcCred").unwrap();
            prop_assert_eq!(Credentials::from_blob("tcCred", &blob).unwrap(), c.clone());
            let (t, crt, key) = c.files();
            prop_assert_eq!(cred_crc_of_files(Some(t), Some(crt), Some(key)), crc32fast::hash(&blob));
        }

        #[test]
        fn blob_split_is_canonical(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(c) = Credentials::from_blob("tcCred", &b) {
                prop_assert_eq!(c.to_blob("tcCred").unwrap(), b);
            }
        }
    }
}
