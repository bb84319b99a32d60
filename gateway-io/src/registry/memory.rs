//! The in-memory registry, loaded from a TOML config file.

use std::collections::HashMap;

use super::config::{GatewayConfig, MAX_CONFIG_LEN, RegistryConfig, RegistryConfigError};
use super::split::{parse_gateway_table, split_gateway_tables};
use super::{
    AuthError, AuthMethod, Authenticator, Credential, GatewayRecord, GatewayRegistry, KeyHash,
    Right, certificate_names,
};
use crate::freqplan::FrequencyPlan;
use crate::ids::{Eui64, GatewayIds, validate_gateway_uid};

// Boxed slices rather than vectors: one entry per registered gateway, and a collected
// vector keeps spare capacity (four keys' room for one key).
#[derive(Debug, Clone, PartialEq)]
struct StoredKey {
    hash: KeyHash,
    rights: Box<[Right]>,
}

/// The authentication methods a gateway accepts, one bit per [`AuthMethod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Methods(u8);

impl Methods {
    /// API keys only: the behaviour of a gateway entry without `auth`.
    const DEFAULT: Methods = Methods(Methods::bit(AuthMethod::ApiKey));

    const fn bit(method: AuthMethod) -> u8 {
        match method {
            AuthMethod::ApiKey => 1,
            AuthMethod::ClientCertificate => 2,
        }
    }

    fn of(methods: &[AuthMethod]) -> Methods {
        Methods(methods.iter().fold(0, |bits, m| bits | Methods::bit(*m)))
    }

    fn accepts(self, method: AuthMethod) -> bool {
        self.0 & Methods::bit(method) != 0
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    record: GatewayRecord,
    keys: Box<[StoredKey]>,
    methods: Methods,
}

/// A registry and authenticator held in memory; see [`RegistryConfig`] for the file format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InMemoryRegistry {
    // Boxed ids: one per registered gateway in each map, 8 bytes less per slot than `String`.
    gateways: HashMap<Box<str>, Entry>,
    by_eui: HashMap<Eui64, Box<str>>,
    plans: HashMap<String, FrequencyPlan>,
}

impl InMemoryRegistry {
    /// Parses and checks a TOML config (see [`RegistryConfig`]).
    ///
    /// The gateway tables are parsed one at a time (see [`split_gateway_tables`]) and each
    /// is registered at once, so the parser never holds the whole document. Where that cut is
    /// unsure, or anything in the file is wrong, the whole document is parsed instead: the
    /// result and the error are the same either way.
    pub fn from_toml(text: &str) -> Result<Self, RegistryConfigError> {
        if text.len() > MAX_CONFIG_LEN {
            return Err(RegistryConfigError::TooLarge(text.len()));
        }
        if let Some(registry) = Self::from_toml_by_gateway(text) {
            return Ok(registry);
        }
        let config: RegistryConfig =
            toml::from_str(text).map_err(|e| RegistryConfigError::Syntax(e.to_string()))?;
        Self::from_config(config)
    }

    /// [`from_toml`](Self::from_toml) one gateway table at a time; `None` on anything unsure
    /// or wrong.
    pub(super) fn from_toml_by_gateway(text: &str) -> Option<Self> {
        let tables = split_gateway_tables(text, "gateway")?;
        let rest: RegistryConfig = toml::from_str(&tables.rest).ok()?;
        if !rest.gateways.is_empty() {
            return None;
        }
        let mut registry = InMemoryRegistry::default();
        for plan in rest.frequency_plans {
            registry.add_frequency_plan(plan).ok()?;
        }
        for table in tables.gateways {
            let gateway = parse_gateway_table(table, "gateway")?;
            registry.add_config_gateway(gateway).ok()?;
        }
        Some(registry)
    }

    /// Checks a parsed config and builds the registry.
    pub fn from_config(config: RegistryConfig) -> Result<Self, RegistryConfigError> {
        let mut registry = InMemoryRegistry::default();
        for plan in config.frequency_plans {
            registry.add_frequency_plan(plan)?;
        }
        for gateway in config.gateways {
            registry.add_config_gateway(gateway)?;
        }
        Ok(registry)
    }

    /// Checks and adds a custom frequency plan (a `[[frequency_plan]]` entry). Add the plans
    /// before the gateways that use them.
    pub fn add_frequency_plan(&mut self, plan: FrequencyPlan) -> Result<(), RegistryConfigError> {
        plan.validate()?;
        self.plans.insert(plan.id.clone(), plan);
        Ok(())
    }

    /// Checks and adds one `[[gateway]]` entry, as [`from_config`](Self::from_config) does for
    /// each; an [`InvalidGatewayId`](RegistryConfigError::InvalidGatewayId) error gives as
    /// `index` the number of gateways registered before.
    pub fn add_config_gateway(
        &mut self,
        mut gateway: GatewayConfig,
    ) -> Result<(), RegistryConfigError> {
        let index = self.len();
        if let Some(tenant) = gateway.tenant.take() {
            gateway.id = format!("{}@{tenant}", gateway.id);
        }
        validate_gateway_uid(&gateway.id)
            .map_err(|source| RegistryConfigError::InvalidGatewayId { index, source })?;
        if gateway.frequency_plans.is_empty() {
            return Err(RegistryConfigError::NoFrequencyPlan(gateway.id));
        }
        for plan in &gateway.frequency_plans {
            if self.frequency_plan(plan).is_none() {
                let mut known: Vec<String> = self.plans.keys().cloned().collect();
                known.sort();
                known.extend(FrequencyPlan::BUILTIN_IDS.iter().map(|id| (*id).to_owned()));
                return Err(RegistryConfigError::UnknownFrequencyPlan {
                    gateway: gateway.id.clone(),
                    plan: plan.clone(),
                    known,
                });
            }
        }
        let keys = gateway
            .keys
            .iter()
            .map(|k| {
                Ok(StoredKey {
                    hash: k
                        .hash
                        .parse()
                        .map_err(|source| RegistryConfigError::InvalidKeyHash {
                            gateway: gateway.id.clone(),
                            key: k.name.clone(),
                            source,
                        })?,
                    rights: k.rights.as_slice().into(),
                })
            })
            .collect::<Result<Box<[_]>, RegistryConfigError>>()?;
        let methods = gateway
            .auth
            .as_deref()
            .map_or(Methods::DEFAULT, Methods::of);
        // Parsed lists and strings keep spare capacity; the record lives as long as the
        // registry.
        gateway.frequency_plans.shrink_to_fit();
        gateway.id.shrink_to_fit();
        let record = GatewayRecord {
            ids: GatewayIds::new(gateway.id, gateway.eui),
            frequency_plan_ids: gateway.frequency_plans,
            require_authenticated_connection: gateway
                .require_authenticated_connection
                .unwrap_or(!keys.is_empty() || methods.accepts(AuthMethod::ClientCertificate)),
            antenna_gain: gateway.antenna_gain,
        };
        self.insert(record, keys, methods)
    }

    fn insert(
        &mut self,
        record: GatewayRecord,
        keys: Box<[StoredKey]>,
        methods: Methods,
    ) -> Result<(), RegistryConfigError> {
        let id: Box<str> = record.ids.gateway_id.as_str().into();
        if self.gateways.contains_key(&id) {
            return Err(RegistryConfigError::DuplicateId(id.into()));
        }
        if let Some(eui) = record.ids.eui {
            if self.by_eui.contains_key(&eui) {
                return Err(RegistryConfigError::DuplicateEui(eui));
            }
            self.by_eui.insert(eui, id.clone());
        }
        self.gateways.insert(
            id,
            Entry {
                record,
                keys,
                methods,
            },
        );
        Ok(())
    }

    /// Adds a gateway with one key, given in plain text and stored hashed with `salt`.
    /// `record.require_authenticated_connection` is taken as given ([`GatewayRecord::new`]
    /// leaves it `false`): set it to `true` unless the gateway must also be served over
    /// Semtech UDP, which carries no credential.
    pub fn add_gateway(
        &mut self,
        record: GatewayRecord,
        key_name: &str,
        key: &str,
        salt: &[u8],
        rights: &[Right],
    ) -> Result<(), RegistryConfigError> {
        // The name only matters in config errors; none can occur here.
        let _ = key_name;
        let keys = Box::new([StoredKey {
            hash: KeyHash::compute(key, salt),
            rights: rights.into(),
        }]);
        self.insert(record, keys, Methods::DEFAULT)
    }

    /// Sets the authentication methods a registered gateway accepts (API keys only unless
    /// set; see [`RegistryConfig`]). `false` when no gateway has this id.
    pub fn set_auth_methods(&mut self, gateway_id: &str, methods: &[AuthMethod]) -> bool {
        match self.gateways.get_mut(gateway_id) {
            Some(entry) => {
                entry.methods = Methods::of(methods);
                true
            }
            None => false,
        }
    }

    /// Number of registered gateways.
    pub fn len(&self) -> usize {
        self.gateways.len()
    }

    /// Whether no gateway is registered.
    pub fn is_empty(&self) -> bool {
        self.gateways.is_empty()
    }
}

impl GatewayRegistry for InMemoryRegistry {
    fn gateway_by_id(&self, gateway_id: &str) -> Option<GatewayRecord> {
        self.gateways.get(gateway_id).map(|e| e.record.clone())
    }

    fn gateway_by_eui(&self, eui: Eui64) -> Option<GatewayRecord> {
        self.by_eui.get(&eui).and_then(|id| self.gateway_by_id(id))
    }

    fn frequency_plan(&self, id: &str) -> Option<FrequencyPlan> {
        self.plans
            .get(id)
            .cloned()
            .or_else(|| FrequencyPlan::builtin(id))
    }
}

impl Authenticator for InMemoryRegistry {
    fn authenticate(
        &self,
        gateway_id: &str,
        credential: Credential<'_>,
        right: Right,
    ) -> Result<(), AuthError> {
        let entry = self
            .gateways
            .get(gateway_id)
            .ok_or_else(|| AuthError::UnknownGateway(gateway_id.into()))?;
        let method = credential
            .method()
            .ok_or_else(|| AuthError::NoCredential(gateway_id.into()))?;
        if !entry.methods.accepts(method) {
            return Err(AuthError::MethodNotAccepted {
                gateway: gateway_id.into(),
                method,
            });
        }
        let secret = match credential {
            Credential::ClientCertificate(certificate) => {
                // Verified by the listener's client CA: proof of the EUI, every right on the
                // gateway of that EUI and on no other.
                return if certificate_names(credential, entry.record.ids.eui) {
                    Ok(())
                } else {
                    Err(AuthError::CertificateForAnotherGateway {
                        gateway: gateway_id.into(),
                        certificate,
                    })
                };
            }
            _ => credential
                .secret()
                .ok_or_else(|| AuthError::NoCredential(gateway_id.into()))?,
        };
        // Check every key, so the time taken does not depend on which one matched.
        let mut matched: Option<&StoredKey> = None;
        for key in &entry.keys {
            if key.hash.verify(secret) && matched.is_none() {
                matched = Some(key);
            }
        }
        let key = matched.ok_or_else(|| AuthError::InvalidCredential(gateway_id.into()))?;
        if key.rights.contains(&right) || key.rights.contains(&Right::All) {
            Ok(())
        } else {
            Err(AuthError::MissingRight {
                gateway: gateway_id.into(),
                right,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::hash_key;
    use super::*;

    fn config() -> String {
        format!(
            r#"
[[frequency_plan]]
id = "ONE_CHANNEL"
band_id = "EU_863_870"
downlink_channels = [868100000]
radios = [{{ frequency = 868500000, tx = {{ min = 863000000, max = 870000000 }} }}]
uplink_channels = [{{ frequency = 868100000, radio = 0, min_data_rate = 0, max_data_rate = 5 }}]
rx2 = {{ frequency = 869525000, data_rate = 0 }}

[[gateway]]
id = "gw-one"
eui = "01-02-03-04-05-06-07-08"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
antenna_gain = 3.0

[[gateway.key]]
name = "lns"
hash = "{lns}"
rights = ["link"]

[[gateway.key]]
name = "cups"
hash = "{cups}"
rights = ["info", "settings_basic", "read_secrets"]

[[gateway]]
id = "gw-two"
frequency_plans = ["ONE_CHANNEL"]
"#,
            lns = hash_key("LNS-KEY", b"salt-one-16bytes"),
            cups = hash_key("CUPS-KEY", b"salt-two-16bytes"),
        )
    }

    #[test]
    fn lookups_by_id_and_eui() {
        let reg = InMemoryRegistry::from_toml(&config()).unwrap();
        assert_eq!(reg.len(), 2);
        let eui: Eui64 = "0102030405060708".parse().unwrap();
        let gw = reg.gateway_by_eui(eui).unwrap();
        assert_eq!(gw.ids, GatewayIds::new("gw-one", Some(eui)));
        assert_eq!(gw.frequency_plan_ids, ["EU_863_870"]);
        assert!(gw.require_authenticated_connection);
        assert_eq!(gw.antenna_gain, 3.0);
        assert_eq!(reg.gateway_by_id("gw-two").unwrap().ids.eui, None);
        assert!(reg.gateway_by_id("gw-three").is_none());
        assert!(reg.gateway_by_eui(Eui64::from_u64(1)).is_none());
        assert_eq!(
            reg.frequency_plan("ONE_CHANNEL")
                .unwrap()
                .uplink_channels
                .len(),
            1
        );
        assert_eq!(
            reg.frequency_plan("US_902_928_FSB_2").unwrap().band_id,
            "US_902_928"
        );
    }

    #[test]
    fn credentials_are_checked_for_the_right() {
        let reg = InMemoryRegistry::from_toml(&config()).unwrap();
        reg.authenticate("gw-one", Credential::ApiKey("LNS-KEY"), Right::Link)
            .unwrap();
        reg.authenticate("gw-one", Credential::Password("LNS-KEY"), Right::Link)
            .unwrap();
        reg.authenticate("gw-one", Credential::Token("CUPS-KEY"), Right::ReadSecrets)
            .unwrap();
        assert_eq!(
            reg.authenticate("gw-one", Credential::Token("CUPS-KEY"), Right::Link),
            Err(AuthError::MissingRight {
                gateway: "gw-one".into(),
                right: Right::Link
            })
        );
        assert_eq!(
            reg.authenticate("gw-one", Credential::ApiKey("LNS-KEY "), Right::Link),
            Err(AuthError::InvalidCredential("gw-one".into()))
        );
        assert_eq!(
            reg.authenticate("gw-one", Credential::None, Right::Link),
            Err(AuthError::NoCredential("gw-one".into()))
        );
        assert_eq!(
            reg.authenticate("gw-two", Credential::ApiKey("LNS-KEY"), Right::Link),
            Err(AuthError::InvalidCredential("gw-two".into()))
        );
        assert_eq!(
            reg.authenticate("nobody", Credential::ApiKey("x"), Right::Link),
            Err(AuthError::UnknownGateway("nobody".into()))
        );
    }

    #[test]
    fn keyed_gateways_require_authentication_by_default() {
        let text = format!(
            r#"
[[gateway]]
id = "keyed"
eui = "0000000000000001"
frequency_plans = ["EU_863_870"]
[[gateway.key]]
name = "k"
hash = "{h}"
rights = ["link"]

[[gateway]]
id = "keyed-udp-allowed"
eui = "0000000000000002"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = false
[[gateway.key]]
name = "k"
hash = "{h}"
rights = ["link"]

[[gateway]]
id = "keyless"
eui = "0000000000000003"
frequency_plans = ["EU_863_870"]

[[gateway]]
id = "keyless-locked"
eui = "0000000000000004"
frequency_plans = ["EU_863_870"]
require_authenticated_connection = true
"#,
            h = hash_key("K", b"salt-three-16byt"),
        );
        let reg = InMemoryRegistry::from_toml(&text).unwrap();
        let required = |id: &str| {
            reg.gateway_by_id(id)
                .unwrap()
                .require_authenticated_connection
        };
        assert!(required("keyed"));
        assert!(!required("keyed-udp-allowed"));
        assert!(!required("keyless"));
        assert!(required("keyless-locked"));
    }

    #[test]
    fn auth_errors_do_not_tell_strangers_what_exists() {
        let reg = InMemoryRegistry::from_toml(&config()).unwrap();
        let unknown = reg
            .authenticate("nobody", Credential::ApiKey("x"), Right::Link)
            .unwrap_err();
        let wrong = reg
            .authenticate("gw-one", Credential::ApiKey("x"), Right::Link)
            .unwrap_err();
        let none = reg
            .authenticate("gw-one", Credential::None, Right::Link)
            .unwrap_err();
        for e in [&unknown, &wrong, &none] {
            assert!(e.is_unknown_or_invalid(), "{e:?}");
            assert_eq!(
                e.public_description(),
                "unknown gateway or invalid credential"
            );
        }
        let lacking = reg
            .authenticate("gw-one", Credential::Token("CUPS-KEY"), Right::Link)
            .unwrap_err();
        assert!(!lacking.is_unknown_or_invalid());
        assert_eq!(
            lacking.public_description(),
            "credential lacks the required right"
        );
        // No key name in any text.
        assert_eq!(
            lacking.to_string(),
            "gateway `gw-one`: credential lacks the Link right"
        );
    }

    #[test]
    fn add_gateway_stores_the_key_hashed() {
        let mut reg = InMemoryRegistry::default();
        let ids = GatewayIds::new("gw-x", None);
        reg.add_gateway(
            GatewayRecord::new(ids, vec!["EU_863_870".into()]),
            "k",
            "secret",
            b"0123456789abcdef",
            &[Right::All],
        )
        .unwrap();
        reg.authenticate("gw-x", Credential::ApiKey("secret"), Right::Info)
            .unwrap();
        assert!(!format!("{reg:?}").contains("secret"));
    }

    #[test]
    fn tenants_are_part_of_the_id_and_euis_stay_unique_across_them() {
        let text = format!(
            r#"
[[gateway]]
id = "test-gtw@my-tenant"
eui = "0000000000000001"
frequency_plans = ["EU_863_870"]
[[gateway.key]]
name = "k"
hash = "{h}"
rights = ["link"]

[[gateway]]
id = "test-gtw"
tenant = "other-tenant"
eui = "0000000000000002"
frequency_plans = ["EU_863_870"]

[[gateway]]
id = "test-gtw"
frequency_plans = ["EU_863_870"]
"#,
            h = hash_key("K", b"salt-tenant-16by"),
        );
        let reg = InMemoryRegistry::from_toml(&text).unwrap();
        assert_eq!(reg.len(), 3);
        let mine = reg.gateway_by_eui(Eui64::from_u64(1)).unwrap();
        assert_eq!(mine.ids.gateway_id, "test-gtw@my-tenant");
        assert_eq!(mine.ids.tenant_id(), Some("my-tenant"));
        let other = reg.gateway_by_eui(Eui64::from_u64(2)).unwrap();
        assert_eq!(other.ids.gateway_id, "test-gtw@other-tenant");
        reg.authenticate("test-gtw@my-tenant", Credential::Password("K"), Right::Link)
            .unwrap();
        for wrong in ["test-gtw@other-tenant", "test-gtw"] {
            assert_eq!(
                reg.authenticate(wrong, Credential::Password("K"), Right::Link),
                Err(AuthError::InvalidCredential(wrong.into()))
            );
        }
        assert!(reg.gateway_by_id("test-gtw@third-tenant").is_none());

        // One EUI in two tenants is refused.
        let dup = "[[gateway]]\nid = \"gw-a@tenant-a\"\neui = \"0000000000000001\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway]]\nid = \"gw-a\"\ntenant = \"tenant-b\"\neui = \"0000000000000001\"\nfrequency_plans = [\"EU_863_870\"]\n";
        assert_eq!(
            InMemoryRegistry::from_toml(dup).unwrap_err(),
            RegistryConfigError::DuplicateEui(Eui64::from_u64(1))
        );
        // A tenant given twice, or a bad one, breaks the id rule.
        for id in ["id = \"gw-a@t-one\"\ntenant = \"t-two\"", "id = \"gw-a@T\""] {
            let text = format!("[[gateway]]\n{id}\nfrequency_plans = [\"EU_863_870\"]\n");
            assert!(matches!(
                InMemoryRegistry::from_toml(&text).unwrap_err(),
                RegistryConfigError::InvalidGatewayId { index: 0, .. }
            ));
        }
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let dup = "[[gateway]]\nid = \"gw-a\"\nfrequency_plans = [\"EU_863_870\"]\n".repeat(2);
        assert_eq!(
            InMemoryRegistry::from_toml(&dup).unwrap_err(),
            RegistryConfigError::DuplicateId("gw-a".into())
        );
        let dup_eui = "[[gateway]]\nid = \"gw-a\"\neui = \"0000000000000001\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway]]\nid = \"gw-b\"\neui = \"0000000000000001\"\nfrequency_plans = [\"EU_863_870\"]\n";
        assert_eq!(
            InMemoryRegistry::from_toml(dup_eui).unwrap_err(),
            RegistryConfigError::DuplicateEui(Eui64::from_u64(1))
        );
        let plan = "[[gateway]]\nid = \"gw-a\"\nfrequency_plans = [\"MARS_1\"]\n";
        let err = InMemoryRegistry::from_toml(plan).unwrap_err();
        let known: Vec<String> = FrequencyPlan::BUILTIN_IDS
            .iter()
            .map(|id| (*id).to_owned())
            .collect();
        assert_eq!(
            err,
            RegistryConfigError::UnknownFrequencyPlan {
                gateway: "gw-a".into(),
                plan: "MARS_1".into(),
                known,
            }
        );
        // The message names what would have worked (e.g. `EU868` is spelled `EU_863_870`).
        let text = err.to_string();
        assert!(
            text.starts_with("gateway `gw-a`: unknown frequency plan `MARS_1`; known plans: "),
            "{text}"
        );
        assert!(text.contains("EU_863_870, "), "{text}");
        let id = "[[gateway]]\nid = \"GW_A\"\nfrequency_plans = [\"EU_863_870\"]\n";
        assert!(matches!(
            InMemoryRegistry::from_toml(id).unwrap_err(),
            RegistryConfigError::InvalidGatewayId { index: 0, .. }
        ));
        let key = "[[gateway]]\nid = \"gw-a\"\nfrequency_plans = [\"EU_863_870\"]\n[[gateway.key]]\nname = \"k\"\nhash = \"plain-text\"\nrights = [\"link\"]\n";
        assert!(matches!(
            InMemoryRegistry::from_toml(key).unwrap_err(),
            RegistryConfigError::InvalidKeyHash { .. }
        ));
        assert!(matches!(
            InMemoryRegistry::from_toml("[[gateway]]\nname = 1").unwrap_err(),
            RegistryConfigError::Syntax(_)
        ));
    }
}
