//! Keys without writing Rust: hashing a new key with a random salt, the LNS keys CUPS hands
//! out (read from the config, a file or an environment variable), and the signed station
//! update CUPS hands out.

use loragw_basicstation::cups::{UpdatePackage, UpdateSignature, signing};
use loragw_gateway_io::registry::{RECOMMENDED_SALT_LEN, hash_key};

use super::config::{CupsGateway, CupsUpdate};

/// The config's `hash` line for `key`: `sha256:<salt hex>:<digest hex>`, with
/// [`RECOMMENDED_SALT_LEN`] bytes of salt from the operating system's random source.
pub fn hash_new_key(key: &str) -> Result<String, String> {
    if key.is_empty() {
        return Err("the key is empty".into());
    }
    let mut salt = [0u8; RECOMMENDED_SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| format!("no random salt from the OS: {e}"))?;
    Ok(hash_key(key, &salt))
}

/// The LNS key of a `[[cups.gateway]]` entry: exactly one of `lns_key` (plain text),
/// `lns_key_file` (the file's content, surrounding whitespace removed) or `lns_key_env` (the
/// variable's value).
pub fn cups_lns_key(gateway: &CupsGateway) -> Result<String, String> {
    let id = &gateway.id;
    let key = match (
        &gateway.lns_key,
        &gateway.lns_key_file,
        &gateway.lns_key_env,
    ) {
        (Some(key), None, None) => key.clone(),
        (None, Some(path), None) => std::fs::read_to_string(path)
            .map_err(|e| format!("cups.gateway `{id}`: lns_key_file {path}: {e}"))?
            .trim()
            .to_owned(),
        (None, None, Some(var)) => std::env::var(var)
            .map_err(|e| format!("cups.gateway `{id}`: lns_key_env {var}: {e}"))?
            .trim()
            .to_owned(),
        _ => {
            return Err(format!(
                "cups.gateway `{id}`: give exactly one of lns_key, lns_key_file, lns_key_env"
            ));
        }
    };
    if key.is_empty() {
        return Err(format!("cups.gateway `{id}`: the LNS key is empty"));
    }
    Ok(key)
}

/// The update package of `[cups.update]`: the data, and its signature by `signing_key` (made
/// now) or the given `signature` and `key_crc`.
pub fn cups_update(update: &CupsUpdate) -> Result<UpdatePackage, String> {
    let read = |path: &String| std::fs::read(path).map_err(|e| format!("cups.update: {path}: {e}"));
    let data = read(&update.file)?;
    let signatures = match (&update.signing_key, &update.signature, update.key_crc) {
        (Some(key), None, None) => {
            let pem = String::from_utf8(read(key)?)
                .map_err(|_| format!("cups.update: {key}: not PEM text"))?;
            let secret = p256::SecretKey::from_sec1_pem(&pem)
                .or_else(|_| {
                    use p256::pkcs8::DecodePrivateKey as _;
                    p256::SecretKey::from_pkcs8_pem(&pem)
                })
                .map_err(|_| {
                    format!("cups.update: {key}: not a P-256 private key (SEC1 or PKCS#8 PEM)")
                })?;
            let signature = signing::sign_update(&p256::ecdsa::SigningKey::from(&secret), &data)
                .map_err(|e| format!("cups.update: {e}"))?;
            vec![signature]
        }
        (None, Some(signature), Some(key_crc)) => vec![UpdateSignature {
            key_crc,
            der: read(signature)?,
        }],
        (None, None, None) => Vec::new(),
        _ => {
            return Err(
                "cups.update: give signing_key, or signature with key_crc, or neither".into(),
            );
        }
    };
    Ok(UpdatePackage {
        version: update.version.clone(),
        data,
        signatures,
    })
}
