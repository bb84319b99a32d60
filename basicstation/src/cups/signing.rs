//! CUPS update signatures: ECDSA P-256 over SHA-512 of the update data, DER-encoded
//! (feature `cups-signing`).
//!
//! The station keeps public keys as `sig-N.key`, the raw 64 bytes X‖Y, and lists their CRC32s in
//! its request (`keys`). The 64-byte SHA-512 digest is truncated to the curve size as ECDSA
//! specifies (bits2int), which is what mbedtls does on the station and what
//! `verify_prehash`/`sign_prehash` do here; the test vector from the reference station's
//! regression tests checks it.

use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha512};

use super::response::UpdateSignature;
use super::{CupsError, key_crc};

/// The raw 64-byte X‖Y form of a public key, as a station stores it in `sig-N.key`.
pub fn raw_public_key(key: &VerifyingKey) -> [u8; 64] {
    let point = key.to_encoded_point(false);
    let mut raw = [0u8; 64];
    // An uncompressed SEC1 point is 0x04 ‖ X ‖ Y.
    raw.copy_from_slice(&point.as_bytes()[1..65]);
    raw
}

/// Parse a raw 64-byte X‖Y public key.
pub fn verifying_key_from_raw(raw: &[u8; 64]) -> Result<VerifyingKey, CupsError> {
    let mut sec1 = [0u8; 65];
    sec1[0] = 0x04;
    sec1[1..].copy_from_slice(raw);
    VerifyingKey::from_sec1_bytes(&sec1)
        .map_err(|_| CupsError::Signature("the key is not a P-256 point".into()))
}

/// Sign update data: SHA-512, ECDSA P-256 (deterministic nonces, RFC 6979), DER. The key CRC
/// names the public key for the station.
pub fn sign_update(key: &SigningKey, data: &[u8]) -> Result<UpdateSignature, CupsError> {
    let digest = Sha512::digest(data);
    let sig: Signature = key
        .sign_prehash(&digest)
        .map_err(|e| CupsError::Signature(e.to_string()))?;
    Ok(UpdateSignature {
        key_crc: key_crc(&raw_public_key(key.verifying_key())),
        der: sig.to_der().as_bytes().to_vec(),
    })
}

/// Verify a DER signature over update data with a raw 64-byte public key.
pub fn verify_update(raw_key: &[u8; 64], data: &[u8], der: &[u8]) -> Result<(), CupsError> {
    let key = verifying_key_from_raw(raw_key)?;
    let sig = Signature::from_der(der)
        .map_err(|_| CupsError::Signature("not a DER ECDSA signature".into()))?;
    let digest = Sha512::digest(data);
    key.verify_prehash(&digest, &sig)
        .map_err(|_| CupsError::Signature("does not verify".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cups::{StationActions, UpdateInfoResponse, UpdateVerdict};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Basics Station's `regr-tests/test4-cups`: `sig-0.key`, `v1.bin`, `v1.bin.sig-0`.
    const KEY: &str = "83891ff51948a77aa5bb1b1aff1b674c264ea897214f036ed2e32852671332282ec40d2ff19fcb818ba39203dfac47af700b09324a323da7fdd5f8e093e779b6";
    const SIG: &str = "3046022100a8cb658317da9ef0efddeffdb3456b0e96d9d30d67da86e507170d2a12a1ab59022100d5448df417a59a52edd390662f3c8c859b0036e005e8c43f7216619d853292fa";
    const V1_BIN: &[u8] = b"#!/bin/bash\necho \"v1\" > _shome/version.txt\necho $UPDTEST > _shome/updtest.txt\nrm -f /tmp/update.bin\necho \"update.bin: update completed\"\n";

    fn key() -> [u8; 64] {
        hex(KEY).try_into().unwrap()
    }

    #[test]
    fn reference_vector_verifies() {
        assert_eq!(V1_BIN.len(), 136);
        let sig = hex(SIG);
        assert_eq!(sig.len(), 72);
        assert_eq!(key_crc(&key()), 488_546_068);
        assert_eq!(key_crc(&key()), 0x1D1E_9F14);
        verify_update(&key(), V1_BIN, &sig).unwrap();
        // One changed byte of data or signature fails.
        let mut data = V1_BIN.to_vec();
        data[20] ^= 1;
        assert_eq!(
            verify_update(&key(), &data, &sig),
            Err(CupsError::Signature("does not verify".into()))
        );
        let mut bad = sig.clone();
        bad[40] ^= 1;
        assert!(verify_update(&key(), V1_BIN, &bad).is_err());
        assert!(verify_update(&[0; 64], V1_BIN, &sig).is_err());
        assert!(verify_update(&key(), V1_BIN, &sig[..10]).is_err());
        // The station logic runs it with that key installed and refuses it with another.
        let response = UpdateInfoResponse {
            signature: Some(UpdateSignature {
                key_crc: key_crc(&key()),
                der: sig,
            }),
            update: Some(V1_BIN.to_vec()),
            ..Default::default()
        };
        let bytes = response.to_bytes().unwrap();
        assert_eq!(&bytes[6..14], &[76, 0, 0, 0, 0x14, 0x9F, 0x1E, 0x1D]);
        let decoded = UpdateInfoResponse::decode(&bytes).unwrap();
        let other = raw_public_key(SigningKey::from_slice(&[7; 32]).unwrap().verifying_key());
        let a = StationActions::from_response(&decoded, &[other, key()]).unwrap();
        assert_eq!(a.update, UpdateVerdict::Run(V1_BIN.to_vec()));
        let a = StationActions::from_response(&decoded, &[other]).unwrap();
        assert!(matches!(a.update, UpdateVerdict::Rejected(_)));
    }

    #[test]
    fn sign_then_verify() {
        let sk = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let raw = raw_public_key(sk.verifying_key());
        assert_eq!(verifying_key_from_raw(&raw).unwrap(), *sk.verifying_key());
        let sig = sign_update(&sk, V1_BIN).unwrap();
        assert_eq!(sig.key_crc, key_crc(&raw));
        assert!((8..=72).contains(&sig.der.len()));
        verify_update(&raw, V1_BIN, &sig.der).unwrap();
        // Deterministic (RFC 6979).
        assert_eq!(sign_update(&sk, V1_BIN).unwrap(), sig);
        assert!(verify_update(&raw, b"other", &sig.der).is_err());
    }
}
