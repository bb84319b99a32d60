//! TLS for the TCP listeners (Basics Station `wss://`, CUPS `https://`, MQTT over TLS): a
//! rustls server configuration from PEM files, with the `ring` crypto provider (it builds with
//! a C compiler alone; `aws-lc-rs` would also need cmake).
//!
//! In a listener the handshake counts against the listener's handshake deadline
//! ([`TcpLimits::handshake_timeout`](super::TcpLimits::handshake_timeout), 10 s by default,
//! together with the websocket upgrade, HTTP request or MQTT CONNECT that follows);
//! [`TlsConfig::accept`] on its own is bounded by [`HANDSHAKE_TIMEOUT`].
//!
//! **Client certificates** ([`TlsConfig::with_client_ca`]): the server then asks every client
//! for a certificate and verifies one it presents against the client CA (a certificate from
//! another CA fails the handshake); clients without a certificate still connect and
//! authenticate with their key as before. On the Basics Station LNS, CUPS and Tabs Hubs
//! listeners, a verified certificate naming a gateway EUI ([`client_certificate_eui`]) is the
//! credential `Credential::ClientCertificate` of the `registry` module when the station sends no
//! `Authorization` header. Without a client CA nothing is asked of clients.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::ids::Eui64;

/// How long [`TlsConfig::accept`] lets a client take to complete the TLS handshake when used
/// outside a listener (listeners apply their own, shorter, handshake deadline). Generous: slow
/// gateways with ECDSA certificates (the TTIG) need several seconds.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("{what}: {reason}")]
    Pem {
        /// Which input (`certificate chain`, `private key`, or the file name).
        what: String,
        /// Why.
        reason: String,
    },
    /// The PEM input holds no certificate.
    #[error("the certificate chain is empty")]
    NoCertificate,
    /// rustls refused the certificate or key.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client CA could not be used: no certificate in it, or one rustls refused.
    #[error("client CA: {0}")]
    ClientCa(String),
}

/// A TLS server configuration shared by listeners (cheap to clone).
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ServerConfig>,
    client_ca: bool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .field("client_ca", &self.client_ca)
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// From a PEM certificate chain file (leaf first) and a PEM private key file (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| TlsError::Pem {
                what: p.display().to_string(),
                reason: e.to_string(),
            })
        };
        let chain = read(cert_chain.as_ref())?;
        let key = read(private_key.as_ref())?;
        Self::from_pem(&chain, &key)
    }

    /// From PEM text: the certificate chain (leaf first) and the private key.
    pub fn from_pem(cert_chain_pem: &[u8], private_key_pem: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert_chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Pem {
                what: "certificate chain".into(),
                reason: e.to_string(),
            })?;
        let key = PrivateKeyDer::from_pem_slice(private_key_pem).map_err(|e| TlsError::Pem {
            what: "private key".into(),
            reason: e.to_string(),
        })?;
        Self::from_der(certs, key)
    }

    /// From DER: the certificate chain (leaf first) and the private key. No client
    /// certificates are asked for (gateways authenticate with their `Authorization` header)
    /// until [`with_client_ca`](Self::with_client_ca).
    pub fn from_der(
        cert_chain: Vec<CertificateDer<'static>>,
        private_key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsError> {
        if cert_chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(cert_chain, private_key)?;
        Ok(TlsConfig {
            config: Arc::new(config),
            client_ca: false,
        })
    }

    /// From a ready rustls configuration (client certificates, ALPN, session tickets, ...).
    /// A client certificate its verifier accepts is trusted as with
    /// [`with_client_ca`](Self::with_client_ca): a verifier that accepts any certificate would
    /// let anyone claim any gateway EUI.
    pub fn from_server_config(config: Arc<ServerConfig>) -> Self {
        TlsConfig {
            config,
            client_ca: false,
        }
    }

    /// The same server certificate, now asking clients for a certificate issued by one of the
    /// CA certificates in `ca_pem` (PEM, one or more). A client presenting a certificate from
    /// another CA fails the handshake; a client presenting none still connects (stations that
    /// authenticate with a key). The new configuration keeps the server certificate, crypto
    /// provider, ALPN protocols, session storage and ticketer, with rustls' safe default
    /// protocol versions.
    pub fn with_client_ca(self, ca_pem: &[u8]) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem) {
            let cert = cert.map_err(|e| TlsError::Pem {
                what: "client CA".into(),
                reason: e.to_string(),
            })?;
            roots.add(cert)?;
        }
        if roots.is_empty() {
            return Err(TlsError::ClientCa("no certificate in the PEM input".into()));
        }
        let old = &self.config;
        let provider = old.crypto_provider().clone();
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::ClientCa(e.to_string()))?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(old.cert_resolver.clone());
        config.alpn_protocols = old.alpn_protocols.clone();
        config.session_storage = old.session_storage.clone();
        config.ticketer = old.ticketer.clone();
        Ok(TlsConfig {
            config: Arc::new(config),
            client_ca: true,
        })
    }

    /// [`with_client_ca`](Self::with_client_ca) with the CA certificates read from a PEM file.
    pub fn with_client_ca_file(self, ca_pem: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = ca_pem.as_ref();
        let pem = std::fs::read(path).map_err(|e| TlsError::Pem {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?;
        self.with_client_ca(&pem)
    }

    /// Whether [`with_client_ca`](Self::with_client_ca) made this configuration ask clients
    /// for a certificate (one from [`from_server_config`](Self::from_server_config) may ask on
    /// its own; this does not look inside it).
    pub fn has_client_ca(&self) -> bool {
        self.client_ca
    }

    /// The rustls configuration.
    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Completes the server handshake on an accepted TCP connection, bounded by
    /// [`HANDSHAKE_TIMEOUT`].
    pub async fn accept(&self, stream: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        let acceptor = TlsAcceptor::from(self.config.clone());
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            )),
        }
    }
}

/// The gateway EUI a client certificate names, in its subject common name or a DNS subject
/// alternative name, in any form Basics Station peers write EUIs (`eui-0102030405060708`,
/// `01-02-03-04-05-06-07-08`, `0102030405060708`, ID6 `b827:ebff:fe61:5e1c`, ...; see
/// `loragw_basicstation::eui`). `None` when the certificate cannot be read, names no EUI, or
/// names two different ones (it then proves no single gateway's identity). The certificate
/// must already be verified (as the listener's client CA does): this only reads names.
pub fn client_certificate_eui(certificate: &CertificateDer<'_>) -> Option<Eui64> {
    use x509_parser::extensions::GeneralName;

    let (_, cert) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let common_names = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok());
    let san = cert.subject_alternative_name().ok().flatten();
    let dns_names = san.iter().flat_map(|san| {
        san.value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(*dns),
                _ => None,
            })
    });
    let mut named = None;
    for name in common_names.chain(dns_names) {
        let Ok(eui) = loragw_basicstation::Eui64::parse(name) else {
            continue;
        };
        let eui = Eui64::from_u64(eui.0);
        match named {
            None => named = Some(eui),
            Some(first) if first == eui => {}
            Some(_) => return None,
        }
    }
    named
}

/// The gateway EUI of the verified client certificate of an accepted connection, if it
/// presented one ([`client_certificate_eui`]).
#[cfg(any(feature = "lbs", feature = "cups", feature = "mqtt-server"))]
pub(crate) fn peer_eui(stream: &TlsStream<TcpStream>) -> Option<Eui64> {
    let leaf = stream.get_ref().1.peer_certificates()?.first()?;
    let eui = client_certificate_eui(leaf);
    if eui.is_none() {
        tracing::debug!("client certificate names no single gateway EUI");
    }
    eui
}
