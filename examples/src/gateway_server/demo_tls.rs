//! The demo's TLS material, generated on first start: a CA and a server certificate it signed
//! for `localhost`, `127.0.0.1` and `::1`, so a real Basics Station can connect over `wss://`
//! with the CA as its `tc.trust` (and MQTT gateways over TLS with it as their CA file).

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// Where the demo's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DemoTls {
    /// The CA certificate (PEM): the stations' `tc.trust` / `cups.trust`.
    pub ca: PathBuf,
    /// The server's certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
}

/// The server names the certificate is valid for.
pub const DEMO_TLS_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The files in `dir`, generated when one is missing (the CA's key is not kept: a new server
/// certificate comes with a new CA).
pub fn ensure(dir: &Path) -> Result<DemoTls, String> {
    let tls = DemoTls {
        ca: dir.join("ca.pem"),
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    if tls.ca.is_file() && tls.cert.is_file() && tls.key.is_file() {
        return Ok(tls);
    }
    let error = |e: rcgen::Error| format!("generating the demo certificates: {e}");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "loragw gateway-server demo CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(error)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(error)?;
    let names: Vec<String> = DEMO_TLS_NAMES.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).map_err(error)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().map_err(error)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let cert = params.signed_by(&key, &issuer).map_err(error)?;

    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&tls.ca, ca_cert.pem())?;
    write(&tls.cert, format!("{}{}", cert.pem(), ca_cert.pem()))?;
    write(&tls.key, key.serialize_pem())?;
    Ok(tls)
}
