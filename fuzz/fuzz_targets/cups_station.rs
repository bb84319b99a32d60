//! The CUPS station side: an `update-info` response built from arbitrary parts (URIs,
//! credential blobs made from arbitrary certificates/keys/tokens or raw bytes, a signature,
//! update data), encoded, optionally damaged, decoded the way a station does, and turned into
//! `StationActions` with arbitrary installed signing keys (one of them real when asked, so
//! signed updates verify). Invariants: no panic; an undamaged response decodes to itself; the
//! verdict follows the station's rules (no update → nothing to run; unsigned with no key →
//! run; unsigned with a key → rejected; signed and verified by an installed key → run).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use loragw_basicstation::cups::{
    CUPS_REGULAR_INTERVAL, ClientAuth, Credentials, StationActions, UpdateInfoResponse,
    UpdateVerdict,
};

#[derive(Arbitrary, Debug)]
enum Blob {
    Raw(Vec<u8>),
    Creds {
        trust: Option<Vec<u8>>,
        auth: u8,
        a: Vec<u8>,
        b: Vec<u8>,
    },
}

impl Blob {
    fn bytes(self, field: &str) -> Vec<u8> {
        match self {
            Blob::Raw(b) => b,
            Blob::Creds { trust, auth, a, b } => {
                let auth = match auth % 3 {
                    0 => ClientAuth::None,
                    1 => ClientAuth::Tls { cert: a, key: b },
                    _ => ClientAuth::Token(a),
                };
                Credentials { trust, auth }
                    .to_blob(field)
                    .unwrap_or_default()
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    cups_uri: Option<String>,
    tc_uri: Option<String>,
    cups_cred: Option<Blob>,
    tc_cred: Option<Blob>,
    update: Option<Vec<u8>>,
    /// Sign the update with the real key (0), sign garbage (1), leave unsigned (other).
    sign: u8,
    garbage_sig: Vec<u8>,
    install_real_key: bool,
    other_keys: Vec<[u8; 32]>,
    /// Damage: flip the byte at this position, or truncate.
    damage: Option<(u16, u8, bool)>,
}

fn signing_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("a valid P-256 scalar")
}

fuzz_target!(|input: Input| {
    use loragw_basicstation::cups::signing::{raw_public_key, sign_update};
    let key = signing_key();
    let update = input.update.filter(|u| !u.is_empty());
    let signature = match (&update, input.sign % 3) {
        (Some(u), 0) => Some(sign_update(&key, u).expect("signing succeeds")),
        (Some(_), 1) => Some(loragw_basicstation::cups::UpdateSignature {
            key_crc: 0x1234_5678,
            der: input.garbage_sig.iter().copied().take(128).collect(),
        }),
        _ => None,
    };
    let response = UpdateInfoResponse {
        cups_uri: input.cups_uri.filter(|s| !s.is_empty()),
        tc_uri: input.tc_uri.filter(|s| !s.is_empty()),
        cups_cred: input
            .cups_cred
            .map(|b| b.bytes("cupsCred"))
            .filter(|b| !b.is_empty()),
        tc_cred: input
            .tc_cred
            .map(|b| b.bytes("tcCred"))
            .filter(|b| !b.is_empty()),
        signature,
        update,
    };
    let mut keys: Vec<[u8; 64]> = input
        .other_keys
        .iter()
        .take(3)
        .map(|k| {
            let mut raw = [0u8; 64];
            raw[..32].copy_from_slice(k);
            raw[32..].copy_from_slice(k);
            raw
        })
        .collect();
    if input.install_real_key {
        keys.push(raw_public_key(key.verifying_key()));
    }
    let Ok(mut bytes) = response.to_bytes() else {
        return;
    };
    let damaged = input.damage.is_some();
    if let Some((at, xor, truncate)) = input.damage {
        let at = usize::from(at) % bytes.len().max(1);
        if truncate {
            bytes.truncate(at);
        } else if let Some(b) = bytes.get_mut(at) {
            *b ^= xor | 1;
        }
    }
    let Ok((decoded, _layout)) = UpdateInfoResponse::decode_lenient(&bytes) else {
        assert!(damaged, "an undamaged response does not decode");
        return;
    };
    if !damaged {
        assert_eq!(decoded, response);
    }
    let Ok(actions) = StationActions::from_response(&decoded, &keys) else {
        return;
    };
    assert_eq!(
        actions.restarts_lns(),
        decoded.tc_uri.is_some() || actions.tc_credentials.is_some()
    );
    if !actions.reconnects_cups() {
        assert_eq!(actions.next_check(), CUPS_REGULAR_INTERVAL);
    }
    match (&decoded.update, &decoded.signature) {
        (None, _) => assert_eq!(actions.update, UpdateVerdict::NoUpdate),
        (Some(u), None) if keys.is_empty() => {
            assert_eq!(actions.update, UpdateVerdict::Run(u.clone()))
        }
        (Some(_), None) => assert!(matches!(actions.update, UpdateVerdict::Rejected(_))),
        (Some(u), Some(_)) if !damaged && input.sign % 3 == 0 && input.install_real_key => {
            assert_eq!(actions.update, UpdateVerdict::Run(u.clone()));
        }
        (Some(_), Some(_)) if keys.is_empty() => {
            assert!(matches!(actions.update, UpdateVerdict::Rejected(_)));
        }
        _ => {}
    }
});
