//! Salted SHA-256 hashes of gateway keys, compared in constant time.
//!
//! Text form: `sha256:<salt hex>:<digest hex>` with digest = SHA-256(salt ‖ key). Gateway API keys
//! are long random tokens, so a fast digest with a per-key salt is enough: there is nothing to
//! guess, and the salt keeps equal keys from having equal hashes in the config file.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::ids::hex_value;

/// Longest salt accepted, in bytes.
pub const MAX_SALT_LEN: usize = 64;

/// Salt length [`hash_key`] callers should use at least, in bytes.
pub const RECOMMENDED_SALT_LEN: usize = 16;

/// A salted SHA-256 hash of a key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyHash {
    salt: Box<[u8]>,
    digest: [u8; 32],
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The digest is not secret, but there is no reason to spray it into logs either.
        f.debug_struct("KeyHash")
            .field("salt_len", &self.salt.len())
            .finish_non_exhaustive()
    }
}

/// A key hash string that is not `sha256:<salt hex>:<64 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid key hash: {0} (expected `sha256:<salt hex, 1 to {MAX_SALT_LEN} bytes>:<64 hex digits>`)"
)]
pub struct InvalidKeyHash(pub &'static str);

impl KeyHash {
    /// Hashes `key` with `salt` (use at least [`RECOMMENDED_SALT_LEN`] random bytes; salts
    /// longer than [`MAX_SALT_LEN`] are cut to that length).
    pub fn compute(key: &str, salt: &[u8]) -> KeyHash {
        let salt: Box<[u8]> = salt[..salt.len().min(MAX_SALT_LEN)].into();
        let digest = digest(&salt, key);
        KeyHash { salt, digest }
    }

    /// Whether `key` hashes to this hash. The digests are compared in constant time.
    pub fn verify(&self, key: &str) -> bool {
        constant_time_eq(&digest(&self.salt, key), &self.digest)
    }
}

fn digest(salt: &[u8], key: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(key.as_bytes());
    hasher.finalize().into()
}

/// Compares two digests without an early exit, so timing does not tell how many bytes matched.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The config-file form of the hash of `key` with `salt`: `sha256:<salt hex>:<digest hex>`.
///
/// ```
/// let line = loragw_gateway_io::registry::hash_key("NNSXS.SECRET", b"0123456789abcdef");
/// assert!(line.starts_with("sha256:30313233343536373839616263646566:"));
/// ```
pub fn hash_key(key: &str, salt: &[u8]) -> String {
    KeyHash::compute(key, salt).to_string()
}

impl fmt::Display for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for b in &self.salt {
            write!(f, "{b:02x}")?;
        }
        f.write_str(":")?;
        for b in &self.digest {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| Some((hex_value(p[0])? << 4) | hex_value(p[1])?))
        .collect()
}

impl FromStr for KeyHash {
    type Err = InvalidKeyHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("sha256:")
            .ok_or(InvalidKeyHash("missing `sha256:` prefix"))?;
        let (salt, digest) = rest
            .split_once(':')
            .ok_or(InvalidKeyHash("missing `:` between salt and digest"))?;
        if salt.is_empty() || salt.len() > 2 * MAX_SALT_LEN {
            return Err(InvalidKeyHash("salt length out of range"));
        }
        let salt = decode_hex(salt).ok_or(InvalidKeyHash("salt is not hex"))?;
        let digest = decode_hex(digest)
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or(InvalidKeyHash("digest is not 64 hex digits"))?;
        Ok(KeyHash {
            salt: salt.into_boxed_slice(),
            digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_of_salted_key() {
        // SHA-256("salt" ‖ "key") = SHA-256("saltkey"), worked out independently:
        // echo -n saltkey | sha256sum
        let hash = KeyHash::compute("key", b"salt");
        assert_eq!(
            hash.to_string(),
            "sha256:73616c74:4a466ea0657e479545b1d6c2d994824f80d8eecd7030f3092ff42a9bcad751d8"
        );
    }

    #[test]
    fn verify_accepts_only_the_key() {
        let hash: KeyHash = hash_key("NNSXS.ABC", b"0123456789abcdef").parse().unwrap();
        assert!(hash.verify("NNSXS.ABC"));
        assert!(!hash.verify("NNSXS.ABD"));
        assert!(!hash.verify(""));
    }

    #[test]
    fn bad_strings_are_rejected_with_a_reason() {
        for (s, why) in [
            ("md5:00:00", "missing `sha256:` prefix"),
            ("sha256:0011", "missing `:` between salt and digest"),
            ("sha256::00", "salt length out of range"),
            ("sha256:zz:00", "salt is not hex"),
            ("sha256:00:abcd", "digest is not 64 hex digits"),
        ] {
            assert_eq!(s.parse::<KeyHash>(), Err(InvalidKeyHash(why)), "{s}");
        }
    }
}
