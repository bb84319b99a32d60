//! Gateway registry and authentication: who a gateway is, which plan it runs, and whether a
//! credential lets it connect.
//!
//! Two traits, so an application can back them with its own database:
//! - [`GatewayRegistry`] looks a gateway up by id or EUI and resolves frequency plans;
//! - [`Authenticator`] checks a [`Credential`] (API key, bearer token, MQTT password, or the
//!   EUI of a verified TLS client certificate) for a [`Right`] on a gateway.
//!
//! [`InMemoryRegistry`] implements both from a TOML file (see [`RegistryConfig`]); keys are
//! stored as salted SHA-256 hashes ([`hash_key`]) and compared in constant time.
//!
//! The traits are synchronous: lookups are expected to be fast (in memory, or a cache in front of
//! a database); an async transport calls them from its connection task.

mod config;
mod keyhash;
mod memory;
mod split;
#[cfg(test)]
mod stream_tests;

pub use config::{GatewayConfig, KeyConfig, MAX_CONFIG_LEN, RegistryConfig, RegistryConfigError};
pub use keyhash::{InvalidKeyHash, KeyHash, MAX_SALT_LEN, RECOMMENDED_SALT_LEN, hash_key};
pub use memory::InMemoryRegistry;
pub use split::{GatewayTables, parse_gateway_table, split_gateway_tables};

use serde::{Deserialize, Serialize};

use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds};

/// What a registry knows about one gateway.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GatewayRecord {
    /// Id and EUI.
    pub ids: GatewayIds,
    /// Ids of the frequency plans the gateway runs (one per concentrator).
    pub frequency_plan_ids: Vec<String>,
    /// When true, connections without a valid credential are refused even on listeners that
    /// allow unauthenticated gateways, and Semtech UDP (which has no credentials) does not serve
    /// the gateway at all, so nobody who merely knows its EUI can take its downlink route.
    /// [`InMemoryRegistry`] sets it for every gateway with a key unless its entry says
    /// otherwise (The Things Stack's "Require authenticated connection").
    pub require_authenticated_connection: bool,
    /// Gain of antenna 0 in dBi, subtracted from EIRP limits when scheduling.
    pub antenna_gain: f32,
}

impl GatewayRecord {
    /// A record with the given ids and plans, no authentication required, 0 dBi antenna.
    /// A registry whose gateway has keys should set `require_authenticated_connection`, or
    /// anyone who knows the EUI can connect as the gateway over Semtech UDP.
    pub fn new(ids: GatewayIds, frequency_plan_ids: Vec<String>) -> Self {
        GatewayRecord {
            ids,
            frequency_plan_ids,
            require_authenticated_connection: false,
            antenna_gain: 0.0,
        }
    }
}

/// Looks gateways and frequency plans up.
pub trait GatewayRegistry: Send + Sync {
    /// The gateway with this id, if registered. On multi-tenant deployments the id is the
    /// unique id `gateway-id@tenant-id` ([`GatewayIds`]), and a gateway of one tenant is not
    /// found under another tenant's (or no tenant's) id.
    fn gateway_by_id(&self, gateway_id: &str) -> Option<GatewayRecord>;

    /// The gateway with this EUI, if registered.
    fn gateway_by_eui(&self, eui: Eui64) -> Option<GatewayRecord>;

    /// A frequency plan by id. The default knows the built-in plans
    /// ([`FrequencyPlan::builtin`]).
    fn frequency_plan(&self, id: &str) -> Option<FrequencyPlan> {
        FrequencyPlan::builtin(id)
    }
}

/// What a gateway presented to prove who it is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// Nothing (Semtech UDP, or a station without `tc.key`).
    None,
    /// An API key, e.g. the raw `Authorization` header value Basics Station sends.
    ApiKey(&'a str),
    /// A bearer token (`Authorization: Bearer …`).
    Token(&'a str),
    /// An MQTT CONNECT password.
    Password(&'a str),
    /// A TLS client certificate that the listener's client CA verified during the handshake,
    /// naming this gateway EUI (Basics Station LNS, CUPS and Tabs Hubs listeners with a client
    /// CA, see `TlsConfig::with_client_ca` in the `transport::tls` module). Proof of the EUI
    /// only: it is accepted for the gateway registered with that EUI (never another, see
    /// [`certificate_names`]), when the registry lets that gateway use
    /// [`AuthMethod::ClientCertificate`].
    ClientCertificate(Eui64),
}

impl<'a> Credential<'a> {
    /// The credential of an HTTP `Authorization` header value: `Bearer <token>` gives
    /// [`Credential::Token`], anything else non-empty an [`Credential::ApiKey`] (Basics Station
    /// sends the raw key); surrounding whitespace and CR/LF are ignored.
    pub fn from_authorization_header(value: &'a str) -> Self {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            return Credential::None;
        }
        let bearer = value
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .map(|_| value[7..].trim_start());
        match bearer {
            Some("") => Credential::None,
            Some(token) => Credential::Token(token),
            None => Credential::ApiKey(value),
        }
    }

    /// What a Basics Station (LNS, CUPS) or Tabs hub presented: its `Authorization` header
    /// when it sent a non-empty one (a station configured with a key means that key), else the
    /// EUI of its verified TLS client certificate, else nothing.
    pub fn presented(authorization: Option<&'a str>, certificate: Option<Eui64>) -> Self {
        match (
            Credential::from_authorization_header(authorization.unwrap_or("")),
            certificate,
        ) {
            (Credential::None, Some(eui)) => Credential::ClientCertificate(eui),
            (credential, _) => credential,
        }
    }

    /// The secret, if any (a certificate carries none).
    pub fn secret(&self) -> Option<&'a str> {
        match *self {
            Credential::None | Credential::ClientCertificate(_) => None,
            Credential::ApiKey(s) | Credential::Token(s) | Credential::Password(s) => Some(s),
        }
    }

    /// The authentication method of the credential (`None` for [`Credential::None`]).
    pub fn method(&self) -> Option<AuthMethod> {
        match self {
            Credential::None => None,
            Credential::ApiKey(_) | Credential::Token(_) | Credential::Password(_) => {
                Some(AuthMethod::ApiKey)
            }
            Credential::ClientCertificate(_) => Some(AuthMethod::ClientCertificate),
        }
    }
}

/// Whether `credential` may speak for the gateway with EUI `eui`: always for a secret (the
/// key check decides), and for a [`Credential::ClientCertificate`] only when the certificate
/// names exactly that EUI. A certificate for gateway A never gives access to gateway B, nor to a
/// gateway without an EUI.
pub fn certificate_names(credential: Credential<'_>, eui: Option<Eui64>) -> bool {
    match credential {
        Credential::ClientCertificate(named) => eui == Some(named),
        _ => true,
    }
}

/// How a gateway may prove who it is; the registry says per gateway which it accepts
/// (`auth = ["api-key", "client-certificate"]` in [`RegistryConfig`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// A key of the gateway: an API key or bearer token in an `Authorization` header, or an
    /// MQTT password ([`Credential::ApiKey`], [`Credential::Token`],
    /// [`Credential::Password`]).
    ApiKey,
    /// A TLS client certificate naming the gateway's EUI ([`Credential::ClientCertificate`]);
    /// it grants every right on that gateway (Basics Station uses one certificate for LNS and
    /// CUPS).
    ClientCertificate,
}

/// Never prints the secret.
impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::None => "Credential::None",
            Credential::ApiKey(_) => "Credential::ApiKey(..)",
            Credential::Token(_) => "Credential::Token(..)",
            Credential::Password(_) => "Credential::Password(..)",
            Credential::ClientCertificate(eui) => {
                return write!(f, "Credential::ClientCertificate({eui})");
            }
        })
    }
}

/// A right a credential may grant on a gateway (The Things Stack's `RIGHT_GATEWAY_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Right {
    /// Connect as the gateway and exchange traffic (`RIGHT_GATEWAY_LINK`).
    Link,
    /// Read the gateway's information (`RIGHT_GATEWAY_INFO`; CUPS).
    Info,
    /// Update basic settings (`RIGHT_GATEWAY_SETTINGS_BASIC`; CUPS).
    SettingsBasic,
    /// Read secrets such as LNS credentials (`RIGHT_GATEWAY_READ_SECRETS`; CUPS).
    ReadSecrets,
    /// Every right.
    All,
}

/// Why a credential was refused.
///
/// The variants and their `Display` texts are for the server's logs. What a client that has
/// not authenticated is told must not reveal whether a gateway exists: answer with
/// [`public_description`](Self::public_description), and map
/// [`is_unknown_or_invalid`](Self::is_unknown_or_invalid) errors to one status (HTTP 401,
/// CONNACK "bad user name or password"). No text names which stored key matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The gateway is not registered.
    #[error("gateway `{0}` is not registered")]
    UnknownGateway(String),
    /// No credential was presented.
    #[error("gateway `{0}`: no credential presented")]
    NoCredential(String),
    /// The credential matches none of the gateway's keys.
    #[error("gateway `{0}`: credential does not match any key")]
    InvalidCredential(String),
    /// The credential is of a method the gateway does not accept (an API key for a gateway
    /// that accepts only client certificates, or the other way round).
    #[error("gateway `{gateway}`: does not accept authentication by {method:?}")]
    MethodNotAccepted {
        /// The gateway id.
        gateway: String,
        /// The method presented.
        method: AuthMethod,
    },
    /// A client certificate naming another EUI than the gateway's.
    #[error(
        "gateway `{gateway}`: the client certificate names EUI {certificate}, not this gateway"
    )]
    CertificateForAnotherGateway {
        /// The gateway id.
        gateway: String,
        /// The EUI the certificate names.
        certificate: Eui64,
    },
    /// A valid credential that does not grant the right.
    #[error("gateway `{gateway}`: credential lacks the {right:?} right")]
    MissingRight {
        /// The gateway id.
        gateway: String,
        /// The right asked for.
        right: Right,
    },
}

impl AuthError {
    /// Whether the client failed to prove who it is: unknown gateway, no credential, a wrong
    /// one, one of a method the gateway does not accept, or a certificate for another gateway.
    /// These must look the same to the client (one status, one text), so that it cannot probe
    /// which gateways exist.
    pub fn is_unknown_or_invalid(&self) -> bool {
        matches!(
            self,
            AuthError::UnknownGateway(_)
                | AuthError::NoCredential(_)
                | AuthError::InvalidCredential(_)
                | AuthError::MethodNotAccepted { .. }
                | AuthError::CertificateForAnotherGateway { .. }
        )
    }

    /// The text to show the client: the same for every
    /// [`is_unknown_or_invalid`](Self::is_unknown_or_invalid) error, and no gateway id or key
    /// name in any.
    pub fn public_description(&self) -> &'static str {
        if self.is_unknown_or_invalid() {
            "unknown gateway or invalid credential"
        } else {
            "credential lacks the required right"
        }
    }
}

/// Checks credentials.
pub trait Authenticator: Send + Sync {
    /// Whether `credential` grants `right` on the gateway with id `gateway_id` (the unique id,
    /// tenant included, as in [`GatewayRegistry::gateway_by_id`]).
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: Credential<'_>,
        right: Right,
    ) -> Result<(), AuthError>;
}

/// The common link check of every frontend: a gateway that presented no credential may
/// connect only where the listener allows unauthenticated gateways and the gateway does not
/// require authentication; a client certificate must name the gateway's EUI
/// ([`certificate_names`], checked here whatever the [`Authenticator`]); otherwise the
/// credential must grant [`Right::Link`].
pub fn authorize_link<A: Authenticator + ?Sized>(
    authenticator: &A,
    gateway: &GatewayRecord,
    credential: Credential<'_>,
    allow_unauthenticated: bool,
) -> Result<(), AuthError> {
    if credential == Credential::None
        && allow_unauthenticated
        && !gateway.require_authenticated_connection
    {
        return Ok(());
    }
    authorize(authenticator, gateway, credential, Right::Link)
}

/// The station found by `eui` (Basics Station and Tabs Hubs traffic endpoints), checked with
/// [`authorize_link`]: its record, or why it is refused. Nothing is created for a refused one.
pub fn authorize_station<R: GatewayRegistry + Authenticator + ?Sized>(
    registry: &R,
    eui: Eui64,
    credential: Credential<'_>,
    allow_unauthenticated: bool,
) -> Result<GatewayRecord, AuthError> {
    let record = registry
        .gateway_by_eui(eui)
        .ok_or_else(|| AuthError::UnknownGateway(GatewayIds::from_eui(eui).gateway_id))?;
    authorize_link(registry, &record, credential, allow_unauthenticated)?;
    Ok(record)
}

/// `credential` grants `right` on `gateway`: a client certificate must name the gateway's EUI
/// ([`certificate_names`]), then the [`Authenticator`] decides.
pub fn authorize<A: Authenticator + ?Sized>(
    authenticator: &A,
    gateway: &GatewayRecord,
    credential: Credential<'_>,
    right: Right,
) -> Result<(), AuthError> {
    if let Credential::ClientCertificate(certificate) = credential
        && !certificate_names(credential, gateway.ids.eui)
    {
        return Err(AuthError::CertificateForAnotherGateway {
            gateway: gateway.ids.gateway_id.clone(),
            certificate,
        });
    }
    authenticator.authenticate(&gateway.ids.gateway_id, credential, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header_forms() {
        assert_eq!(
            Credential::from_authorization_header("Bearer NNSXS.X\r\n"),
            Credential::Token("NNSXS.X")
        );
        assert_eq!(
            Credential::from_authorization_header("bearer  abc"),
            Credential::Token("abc")
        );
        assert_eq!(
            Credential::from_authorization_header("NNSXS.RAW"),
            Credential::ApiKey("NNSXS.RAW")
        );
        assert_eq!(
            Credential::from_authorization_header("  "),
            Credential::None
        );
        assert_eq!(
            Credential::from_authorization_header("Bearer "),
            Credential::None
        );
        assert_eq!(
            format!("{:?}", Credential::Password("s3cret")),
            "Credential::Password(..)"
        );
    }

    /// `gw-key` (default methods, a key), `gw-cert` (certificates only, a key that must not
    /// work), `gw-both` (either).
    fn methods_registry() -> InMemoryRegistry {
        let h = hash_key("K", b"salt-methods-16b");
        let gateway = |id: &str, eui: u8, auth: &str| {
            format!(
                "[[gateway]]\nid = \"{id}\"\neui = \"00000000000000{eui:02X}\"\nfrequency_plans = [\"EU_863_870\"]\n{auth}\n[[gateway.key]]\nname = \"k\"\nhash = \"{h}\"\nrights = [\"link\"]\n"
            )
        };
        let text = [
            gateway("gw-key", 1, ""),
            gateway("gw-cert", 2, "auth = [\"client-certificate\"]"),
            gateway("gw-both", 3, "auth = [\"api-key\", \"client-certificate\"]"),
        ]
        .concat();
        InMemoryRegistry::from_toml(&text).unwrap()
    }

    #[test]
    fn each_gateway_accepts_only_its_methods() {
        let reg = methods_registry();
        let cert = |eui| Credential::ClientCertificate(Eui64::from_u64(eui));
        // Default: keys only, a certificate for the right EUI is refused.
        reg.authenticate("gw-key", Credential::ApiKey("K"), Right::Link)
            .unwrap();
        assert_eq!(
            reg.authenticate("gw-key", cert(1), Right::Link),
            Err(AuthError::MethodNotAccepted {
                gateway: "gw-key".into(),
                method: AuthMethod::ClientCertificate
            })
        );
        // Certificates only: its valid key is refused, a certificate grants every right.
        assert_eq!(
            reg.authenticate("gw-cert", Credential::ApiKey("K"), Right::Link),
            Err(AuthError::MethodNotAccepted {
                gateway: "gw-cert".into(),
                method: AuthMethod::ApiKey
            })
        );
        assert!(matches!(
            reg.authenticate("gw-cert", Credential::Password("K"), Right::Link),
            Err(AuthError::MethodNotAccepted { .. })
        ));
        for right in [Right::Link, Right::Info, Right::ReadSecrets] {
            reg.authenticate("gw-cert", cert(2), right).unwrap();
        }
        // A certificate for another gateway's EUI (forged identity) gets nothing.
        assert_eq!(
            reg.authenticate("gw-cert", cert(3), Right::Link),
            Err(AuthError::CertificateForAnotherGateway {
                gateway: "gw-cert".into(),
                certificate: Eui64::from_u64(3)
            })
        );
        // Both.
        reg.authenticate("gw-both", Credential::Token("K"), Right::Link)
            .unwrap();
        reg.authenticate("gw-both", cert(3), Right::Link).unwrap();
        for e in [
            reg.authenticate("gw-key", cert(1), Right::Link),
            reg.authenticate("gw-both", cert(2), Right::Link),
        ] {
            let e = e.unwrap_err();
            assert!(e.is_unknown_or_invalid(), "{e:?}");
        }
        // Accepting certificates makes a connection authenticated by default.
        let text = "[[gateway]]\nid = \"gw-x\"\neui = \"0000000000000009\"\nfrequency_plans = [\"EU_863_870\"]\nauth = [\"client-certificate\"]\n";
        let reg = InMemoryRegistry::from_toml(text).unwrap();
        assert!(
            reg.gateway_by_id("gw-x")
                .unwrap()
                .require_authenticated_connection
        );
        assert!(matches!(
            InMemoryRegistry::from_toml(&text.replace("client-certificate", "password"))
                .unwrap_err(),
            RegistryConfigError::Syntax(_)
        ));
    }

    #[test]
    fn authorize_checks_the_certificate_names_the_gateway() {
        let mut reg = methods_registry();
        assert!(reg.set_auth_methods("gw-key", &[AuthMethod::ClientCertificate]));
        assert!(!reg.set_auth_methods("nobody", &[AuthMethod::ApiKey]));
        let gw = reg.gateway_by_id("gw-key").unwrap();
        let cert = |eui| Credential::ClientCertificate(Eui64::from_u64(eui));
        authorize_link(&reg, &gw, cert(1), false).unwrap();
        assert_eq!(
            authorize_link(&reg, &gw, cert(2), false),
            Err(AuthError::CertificateForAnotherGateway {
                gateway: "gw-key".into(),
                certificate: Eui64::from_u64(2)
            })
        );
        // Also for an authenticator that would accept anything.
        struct Lenient;
        impl Authenticator for Lenient {
            fn authenticate(&self, _: &str, _: Credential<'_>, _: Right) -> Result<(), AuthError> {
                Ok(())
            }
        }
        assert!(authorize(&Lenient, &gw, cert(2), Right::Info).is_err());
        let no_eui = GatewayRecord::new(GatewayIds::new("gw-no-eui", None), Vec::new());
        assert!(authorize(&Lenient, &no_eui, cert(2), Right::Link).is_err());
        assert!(authorize(&Lenient, &no_eui, Credential::ApiKey("K"), Right::Link).is_ok());
    }

    #[test]
    fn a_header_wins_over_a_certificate() {
        let eui = Eui64::from_u64(7);
        assert_eq!(
            Credential::presented(Some("NNSXS.K"), Some(eui)),
            Credential::ApiKey("NNSXS.K")
        );
        assert_eq!(
            Credential::presented(Some(" "), Some(eui)),
            Credential::ClientCertificate(eui)
        );
        assert_eq!(
            Credential::presented(None, Some(eui)),
            Credential::ClientCertificate(eui)
        );
        assert_eq!(Credential::presented(None, None), Credential::None);
        assert_eq!(
            format!("{:?}", Credential::ClientCertificate(eui)),
            format!("Credential::ClientCertificate({eui})")
        );
        assert_eq!(Credential::ClientCertificate(eui).secret(), None);
    }
}
