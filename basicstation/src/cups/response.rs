//! The binary `update-info` response (CUPS server → station).
//!
//! Layout, all lengths little endian, each segment empty for "no change":
//!
//! | field | size | content |
//! |---|---|---|
//! | cupsUriLen | u8 | CUPS URI |
//! | tcUriLen | u8 | LNS URI |
//! | cupsCredLen | u16 | CUPS credentials blob |
//! | tcCredLen | u16 | LNS credentials blob |
//! | sigLen | u32 | 0, or 4-byte key CRC (u32 LE) + DER signature (4..=128 bytes) |
//! | updLen | u32 | update data |
//!
//! `sigLen` **includes** the key CRC, and with `sigLen` 0 nothing follows it but `updLen`: that
//! is how the reference station parses it. The Things Stack writes `sigLen` without the CRC and
//! always writes the CRC; [`UpdateInfoResponse::decode_lenient`] accepts that too.

use super::CupsError;

/// "Nothing to update": 14 zero bytes.
pub const NO_UPDATE_RESPONSE: [u8; 14] = [0; 14];

/// Longest URI a u8 length can carry. (Not the station's 128-byte limit on the muxs URI from
/// discovery, [`crate::message::MAX_URI_LEN`]: that one applies to a different field.)
pub const MAX_URI_LEN: usize = u8::MAX as usize;

/// Longest DER signature the station accepts (sigLen ≤ 132 with the CRC).
pub const MAX_SIGNATURE_DER_LEN: usize = 128;

/// Shortest DER signature the station accepts (sigLen ≥ 8 with the CRC).
const MIN_SIGNATURE_DER_LEN: usize = 4;

/// The signature over the update data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSignature {
    /// CRC32 of the raw 64-byte public key that verifies it (which `sig-N.key`).
    pub key_crc: u32,
    /// ECDSA P-256 signature over SHA-512(update), DER.
    pub der: Vec<u8>,
}

/// Which byte layout a response was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseLayout {
    /// The reference station's layout (sigLen includes the key CRC).
    Station,
    /// The Things Stack's layout (sigLen excludes the CRC; the CRC is always there).
    TheThingsStack,
}

/// A decoded `update-info` response; `None` = no change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateInfoResponse {
    /// New CUPS URI.
    pub cups_uri: Option<String>,
    /// New LNS URI.
    pub tc_uri: Option<String>,
    /// New CUPS credentials blob ([`super::Credentials::to_blob`]).
    pub cups_cred: Option<Vec<u8>>,
    /// New LNS credentials blob.
    pub tc_cred: Option<Vec<u8>>,
    /// Signature over `update`.
    pub signature: Option<UpdateSignature>,
    /// Update data (the station runs it as a script or installs it).
    pub update: Option<Vec<u8>>,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, field: &'static str, n: usize) -> Result<&'a [u8], CupsError> {
        if n > self.0.len() {
            return Err(CupsError::Truncated {
                field,
                needed: n,
                available: self.0.len(),
            });
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u8(&mut self, field: &'static str) -> Result<usize, CupsError> {
        Ok(usize::from(self.take(field, 1)?[0]))
    }
    fn u16(&mut self, field: &'static str) -> Result<usize, CupsError> {
        let b = self.take(field, 2)?;
        Ok(usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
    fn u32(&mut self, field: &'static str) -> Result<u32, CupsError> {
        let b = self.take(field, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn len32(&mut self, field: &'static str) -> Result<usize, CupsError> {
        // A length that does not fit usize cannot fit the input either.
        Ok(usize::try_from(self.u32(field)?).unwrap_or(usize::MAX))
    }
}

fn opt_bytes(b: &[u8]) -> Option<Vec<u8>> {
    (!b.is_empty()).then(|| b.to_vec())
}

fn opt_str(field: &'static str, b: &[u8]) -> Result<Option<String>, CupsError> {
    if b.is_empty() {
        return Ok(None);
    }
    std::str::from_utf8(b)
        .map(|s| Some(s.to_owned()))
        .map_err(|_| CupsError::InvalidUtf8(field))
}

fn non_empty<'a>(
    field: &'static str,
    v: Option<&'a [u8]>,
    max: usize,
) -> Result<&'a [u8], CupsError> {
    match v {
        None => Ok(&[]),
        Some([]) => Err(CupsError::EmptySegment(field)),
        Some(b) if b.len() > max => Err(CupsError::TooLong {
            field,
            len: b.len(),
            max,
        }),
        Some(b) => Ok(b),
    }
}

impl UpdateInfoResponse {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == UpdateInfoResponse::default()
    }

    /// Append the encoding (station layout) to `out`.
    ///
    /// Errors: a `Some` that is empty (that would read as "no change"), a URI over 255 bytes, a
    /// blob over 65,535 bytes, a DER signature outside 4..=128 bytes, a signature without
    /// update data, update data over 4 GiB. Nothing is written on error.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CupsError> {
        let cups_uri = non_empty(
            "cupsUri",
            self.cups_uri.as_deref().map(str::as_bytes),
            MAX_URI_LEN,
        )?;
        let tc_uri = non_empty(
            "tcUri",
            self.tc_uri.as_deref().map(str::as_bytes),
            MAX_URI_LEN,
        )?;
        let cups_cred = non_empty("cupsCred", self.cups_cred.as_deref(), usize::from(u16::MAX))?;
        let tc_cred = non_empty("tcCred", self.tc_cred.as_deref(), usize::from(u16::MAX))?;
        let update = non_empty("update", self.update.as_deref(), u32::MAX as usize)?;
        if let Some(sig) = &self.signature {
            if !(MIN_SIGNATURE_DER_LEN..=MAX_SIGNATURE_DER_LEN).contains(&sig.der.len()) {
                return Err(CupsError::InvalidSigLen(
                    u32::try_from(sig.der.len() + 4).unwrap_or(u32::MAX),
                ));
            }
            if update.is_empty() {
                return Err(CupsError::Signature("a signature needs update data".into()));
            }
        }
        out.reserve(self.encoded_len());
        // Lengths were bounded above, so the casts cannot truncate.
        let len8 = |b: &[u8]| [u8::try_from(b.len()).expect("bounded by MAX_URI_LEN")];
        let len16 = |b: &[u8]| {
            u16::try_from(b.len())
                .expect("bounded by u16::MAX")
                .to_le_bytes()
        };
        out.extend_from_slice(&len8(cups_uri));
        out.extend_from_slice(cups_uri);
        out.extend_from_slice(&len8(tc_uri));
        out.extend_from_slice(tc_uri);
        out.extend_from_slice(&len16(cups_cred));
        out.extend_from_slice(cups_cred);
        out.extend_from_slice(&len16(tc_cred));
        out.extend_from_slice(tc_cred);
        match &self.signature {
            None => out.extend_from_slice(&0u32.to_le_bytes()),
            Some(sig) => {
                let len =
                    u32::try_from(sig.der.len() + 4).expect("bounded by MAX_SIGNATURE_DER_LEN");
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&sig.key_crc.to_le_bytes());
                out.extend_from_slice(&sig.der);
            }
        }
        out.extend_from_slice(
            &u32::try_from(update.len())
                .expect("bounded by u32::MAX")
                .to_le_bytes(),
        );
        out.extend_from_slice(update);
        Ok(())
    }

    /// The encoding as a new vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CupsError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Bytes [`Self::encode`] writes for a valid response.
    pub fn encoded_len(&self) -> usize {
        let len = |v: Option<&[u8]>| v.map_or(0, <[u8]>::len);
        14 + len(self.cups_uri.as_deref().map(str::as_bytes))
            + len(self.tc_uri.as_deref().map(str::as_bytes))
            + len(self.cups_cred.as_deref())
            + len(self.tc_cred.as_deref())
            + self.signature.as_ref().map_or(0, |s| 4 + s.der.len())
            + len(self.update.as_deref())
    }

    /// Decode the station layout strictly: bounds-checked, `sigLen` 0 or 8..=132, no bytes
    /// after the update data.
    pub fn decode(bytes: &[u8]) -> Result<Self, CupsError> {
        Self::decode_layout(bytes, ResponseLayout::Station)
    }

    /// Decode either layout: the station's first, then The Things Stack's (sigLen without the
    /// CRC, CRC always present). Returns which one matched; on failure the station-layout error.
    pub fn decode_lenient(bytes: &[u8]) -> Result<(Self, ResponseLayout), CupsError> {
        match Self::decode_layout(bytes, ResponseLayout::Station) {
            Ok(r) => Ok((r, ResponseLayout::Station)),
            Err(e) => Self::decode_layout(bytes, ResponseLayout::TheThingsStack)
                .map(|r| (r, ResponseLayout::TheThingsStack))
                .map_err(|_| e),
        }
    }

    fn decode_layout(bytes: &[u8], layout: ResponseLayout) -> Result<Self, CupsError> {
        let mut r = Reader(bytes);
        let n = r.u8("cupsUriLen")?;
        let cups_uri = opt_str("cupsUri", r.take("cupsUri", n)?)?;
        let n = r.u8("tcUriLen")?;
        let tc_uri = opt_str("tcUri", r.take("tcUri", n)?)?;
        let n = r.u16("cupsCredLen")?;
        let cups_cred = opt_bytes(r.take("cupsCred", n)?);
        let n = r.u16("tcCredLen")?;
        let tc_cred = opt_bytes(r.take("tcCred", n)?);
        let sig_len = r.u32("sigLen")?;
        let signature = match layout {
            ResponseLayout::Station => match sig_len {
                0 => None,
                8..=132 => {
                    let key_crc = r.u32("sigKeyCrc")?;
                    // 8..=132 (this arm): no underflow, and the length fits any usize.
                    let der = r.take("signature", (sig_len - 4) as usize)?.to_vec();
                    Some(UpdateSignature { key_crc, der })
                }
                other => return Err(CupsError::InvalidSigLen(other)),
            },
            ResponseLayout::TheThingsStack => {
                let key_crc = r.u32("sigKeyCrc")?;
                match sig_len {
                    0 => None,
                    4..=128 => Some(UpdateSignature {
                        key_crc,
                        der: r.take("signature", sig_len as usize)?.to_vec(),
                    }),
                    other => return Err(CupsError::InvalidSigLen(other)),
                }
            }
        };
        let n = r.len32("updLen")?;
        let update = opt_bytes(r.take("update", n)?);
        if !r.0.is_empty() {
            return Err(CupsError::TrailingBytes(r.0.len()));
        }
        Ok(UpdateInfoResponse {
            cups_uri,
            tc_uri,
            cups_cred,
            tc_cred,
            signature,
            update,
        })
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
