//! Gateway registry and authentication: who a gateway is, which plan it runs, and whether a
//! credential lets it connect.
//!
//! Two traits, so an application can back them with its own database:
//! - [`GatewayRegistry`] looks a gateway up by id or EUI and resolves frequency plans;
//! - [`Authenticator`] checks a [`Credential`] (API key, bearer token, MQTT password) for a
//!   [`Right`] on a gateway.
//!
//! [`InMemoryRegistry`] implements both from a TOML file (see [`RegistryConfig`]); keys are
//! stored as salted SHA-256 hashes ([`hash_key`]) and compared in constant time.
//!
//! The traits are synchronous: lookups are expected to be fast (in memory, or a cache in front of
//! a database); an async transport calls them from its connection task.

mod keyhash;
mod memory;

pub use keyhash::{InvalidKeyHash, KeyHash, MAX_SALT_LEN, RECOMMENDED_SALT_LEN, hash_key};
pub use memory::{
    GatewayConfig, InMemoryRegistry, KeyConfig, MAX_CONFIG_LEN, RegistryConfig, RegistryConfigError,
};

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

    /// The secret, if any.
    pub fn secret(&self) -> Option<&'a str> {
        match *self {
            Credential::None => None,
            Credential::ApiKey(s) | Credential::Token(s) | Credential::Password(s) => Some(s),
        }
    }
}

/// Never prints the secret.
impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::None => "Credential::None",
            Credential::ApiKey(_) => "Credential::ApiKey(..)",
            Credential::Token(_) => "Credential::Token(..)",
            Credential::Password(_) => "Credential::Password(..)",
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
    /// Whether the client failed to prove who it is: unknown gateway, no credential or a wrong
    /// one. These must look the same to the client (one status, one text), so that it cannot
    /// probe which gateways exist.
    pub fn is_unknown_or_invalid(&self) -> bool {
        matches!(
            self,
            AuthError::UnknownGateway(_)
                | AuthError::NoCredential(_)
                | AuthError::InvalidCredential(_)
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
/// require authentication; otherwise the credential must grant [`Right::Link`].
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
    authenticator.authenticate(&gateway.ids.gateway_id, credential, Right::Link)
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
}
