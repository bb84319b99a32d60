//! The registry config file's format: what [`InMemoryRegistry`](super::InMemoryRegistry)
//! is built from.

use serde::Deserialize;

use super::{AuthMethod, InvalidKeyHash, Right};
use crate::freqplan::{FrequencyPlan, FrequencyPlanError};
use crate::ids::{Eui64, InvalidGatewayId};

/// Largest config file [`InMemoryRegistry::from_toml`](super::InMemoryRegistry::from_toml)
/// reads, in bytes.
pub const MAX_CONFIG_LEN: usize = 16 * 1024 * 1024;

/// The registry config file.
///
/// ```toml
/// # custom plans (optional); the built-in ones need no entry
/// [[frequency_plan]]
/// id = "MY_PLAN"
/// band_id = "EU_863_870"
/// # ... the fields of `FrequencyPlan`
///
/// [[gateway]]
/// id = "my-gateway"                       # or "my-gateway@my-tenant" (multi-tenant)
/// tenant = "my-tenant"                    # optional; the same as the `@my-tenant` suffix
/// eui = "0102030405060708"                # optional; `01-02-…` and `01:02:…` work too
/// frequency_plans = ["EU_863_870"]        # at least one
/// require_authenticated_connection = true # optional; default: true when the gateway has a
///                                         # key, false without keys
/// antenna_gain = 3.0                      # optional, dBi, default 0
/// auth = ["api-key", "client-certificate"] # optional; default ["api-key"]
///
/// [[gateway.key]]
/// name = "lns"                            # shown in logs, never the key
/// hash = "sha256:<salt hex>:<digest hex>" # from `registry::hash_key`
/// rights = ["link"]                       # link, info, settings_basic, read_secrets, all
/// ```
///
/// A gateway with a key is, by default, served only over connections that present a valid
/// credential: Semtech UDP carries none, so anyone who knows the EUI could otherwise speak for
/// the gateway and take its downlink route. The Things Stack has the same per-gateway setting
/// ("Require authenticated connection"). Set `require_authenticated_connection = false` to
/// serve a keyed gateway over Semtech UDP too (e.g. while it migrates), or `true` to refuse a
/// keyless one everywhere.
///
/// **Authentication methods.** `auth` lists how the gateway may prove who it is:
/// `"api-key"` (one of its `[[gateway.key]]`s, in an `Authorization` header or as MQTT
/// password) and `"client-certificate"` (a TLS client certificate, verified by the listener's
/// client CA, naming the gateway's `eui`; it grants every right on that gateway). A credential
/// of a method not listed is refused even when valid; the default, `["api-key"]`, is the
/// behaviour without the setting. A gateway that accepts client certificates requires an
/// authenticated connection by default, as a keyed one does.
///
/// **Tenants.** A gateway of a tenant is registered, looked up and authenticated by its unique
/// id `gateway-id@tenant-id` (see [`GatewayIds`](crate::ids::GatewayIds)): the MQTT username `test-gtw@other-tenant`
/// finds no entry `test-gtw@my-tenant`, so it cannot connect with that gateway's key. An EUI
/// names one gateway across all tenants (Semtech UDP and Basics Station find the gateway, and
/// so its tenant, by EUI). Entries without a tenant serve single-tenant deployments.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Custom frequency plans, looked up before the built-in ones.
    #[serde(default, rename = "frequency_plan")]
    pub frequency_plans: Vec<FrequencyPlan>,
    /// Registered gateways.
    #[serde(default, rename = "gateway")]
    pub gateways: Vec<GatewayConfig>,
}

/// One `[[gateway]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Gateway id, or unique id `gateway-id@tenant-id`.
    pub id: String,
    /// Tenant id (multi-tenant deployments); the entry's unique id becomes `{id}@{tenant}`.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Gateway EUI.
    #[serde(default, deserialize_with = "crate::ids::eui_string::deserialize_opt")]
    pub eui: Option<Eui64>,
    /// Frequency plan ids.
    pub frequency_plans: Vec<String>,
    /// Refuse connections without a valid key (Semtech UDP, and listeners that allow
    /// unauthenticated gateways). `None` (absent from the file): `true` when the gateway has at
    /// least one key, `false` otherwise; see [`RegistryConfig`] for why.
    #[serde(default)]
    pub require_authenticated_connection: Option<bool>,
    /// Gain of antenna 0 in dBi.
    #[serde(default)]
    pub antenna_gain: f32,
    /// Authentication methods the gateway accepts; `None` (absent from the file): API keys
    /// only. See [`RegistryConfig`].
    #[serde(default)]
    pub auth: Option<Vec<AuthMethod>>,
    /// API keys of the gateway.
    #[serde(default, rename = "key")]
    pub keys: Vec<KeyConfig>,
}

/// One `[[gateway.key]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Key name (for config errors; never shown to clients).
    pub name: String,
    /// `sha256:<salt hex>:<digest hex>`.
    pub hash: String,
    /// Rights the key grants.
    pub rights: Vec<Right>,
}

/// Why a registry config was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryConfigError {
    /// Larger than [`MAX_CONFIG_LEN`].
    #[error("registry config is {0} bytes, at most {MAX_CONFIG_LEN}")]
    TooLarge(usize),
    /// Not valid TOML, or not the expected shape.
    #[error("registry config: {0}")]
    Syntax(String),
    /// A gateway id (or its tenant part) breaks the id rule.
    #[error("gateway[{index}]: {source}")]
    InvalidGatewayId {
        /// Position in the file.
        index: usize,
        /// The rule broken.
        source: InvalidGatewayId,
    },
    /// Two gateways with one id.
    #[error("gateway id `{0}` registered twice")]
    DuplicateId(String),
    /// Two gateways with one EUI.
    #[error("gateway EUI {0} registered twice")]
    DuplicateEui(Eui64),
    /// A gateway names a plan that is neither custom nor built in.
    #[error(
        "gateway `{gateway}`: unknown frequency plan `{plan}`; known plans: {}",
        .known.join(", ")
    )]
    UnknownFrequencyPlan {
        /// The gateway id.
        gateway: String,
        /// The plan id.
        plan: String,
        /// The ids it could have been: the config's custom plans, then the built-in ones.
        known: Vec<String>,
    },
    /// A gateway names no plan.
    #[error("gateway `{0}`: no frequency plan")]
    NoFrequencyPlan(String),
    /// A custom plan is not usable.
    #[error(transparent)]
    InvalidFrequencyPlan(#[from] FrequencyPlanError),
    /// A key hash does not parse.
    #[error("gateway `{gateway}` key `{key}`: {source}")]
    InvalidKeyHash {
        /// The gateway id.
        gateway: String,
        /// The key name.
        key: String,
        /// What is wrong.
        source: InvalidKeyHash,
    },
}
