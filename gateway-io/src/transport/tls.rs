//! TLS for the TCP listeners (Basics Station `wss://`, CUPS `https://`, MQTT over TLS): a
//! rustls server configuration from PEM files, with the `ring` crypto provider (it builds with
//! a C compiler alone; `aws-lc-rs` would also need cmake).
//!
//! In a listener the handshake counts against the listener's handshake deadline
//! ([`TcpLimits::handshake_timeout`](super::TcpLimits::handshake_timeout), 10 s by default,
//! together with the websocket upgrade, HTTP request or MQTT CONNECT that follows);
//! [`TlsConfig::accept`] on its own is bounded by [`HANDSHAKE_TIMEOUT`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

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
}

/// A TLS server configuration shared by listeners (cheap to clone).
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &self.config.alpn_protocols)
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
    /// certificates are asked for; gateways authenticate with their `Authorization` header.
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
        })
    }

    /// From a ready rustls configuration (client certificates, ALPN, session tickets, ...).
    pub fn from_server_config(config: Arc<ServerConfig>) -> Self {
        TlsConfig { config }
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
