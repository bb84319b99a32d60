//! Gateway identifiers: the registry's gateway id and the 64-bit EUI.

use std::fmt;

/// Longest gateway id The Things Stack accepts.
pub const MAX_GATEWAY_ID_LEN: usize = 36;

pub use loragw_ttnpb::{Eui64, ParseEuiError};

pub(crate) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Serde helpers for an optional EUI written as a string (`"0102030405060708"`, dashed or
/// colon-separated), as in the registry config.
pub(crate) mod eui_string {
    use serde::{Deserialize, Deserializer};

    use super::Eui64;

    pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Eui64>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A gateway id that breaks The Things Stack's rule `^[a-z0-9](?:[-]?[a-z0-9]){2,}$`, at most
/// 36 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid gateway id `{0}`: 3 to 36 characters of a-z and 0-9, single dashes between them")]
pub struct InvalidGatewayId(pub String);

/// Checks a gateway id against The Things Stack's rule.
pub fn validate_gateway_id(id: &str) -> Result<(), InvalidGatewayId> {
    let b = id.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = (3..=MAX_GATEWAY_ID_LEN).contains(&b.len())
        && alnum(b[0])
        && alnum(b[b.len() - 1])
        && b.iter().all(|&c| alnum(c) || c == b'-')
        && !b.windows(2).any(|w| w == b"--");
    if ok {
        Ok(())
    } else {
        Err(InvalidGatewayId(id.chars().take(64).collect()))
    }
}

/// Checks a gateway unique id: a gateway id, or `gateway-id@tenant-id` on multi-tenant
/// deployments, each part following [`validate_gateway_id`]'s rule.
pub fn validate_gateway_uid(uid: &str) -> Result<(), InvalidGatewayId> {
    let bad = || InvalidGatewayId(uid.chars().take(64).collect());
    match uid.split_once('@') {
        None => validate_gateway_id(uid),
        Some((id, tenant)) => {
            validate_gateway_id(id).map_err(|_| bad())?;
            validate_gateway_id(tenant).map_err(|_| bad())
        }
    }
}

/// Who a gateway is: its registry id and, when known, its EUI.
///
/// On multi-tenant deployments `gateway_id` is the unique id `gateway-id@tenant-id` (the form
/// of MQTT usernames and topics): it is the key the registry, the routes and the events use, so
/// two tenants' gateways of one id never meet. [`tenant_id`](Self::tenant_id) and
/// [`plain_id`](Self::plain_id) split it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GatewayIds {
    /// The gateway id (`^[a-z0-9](?:[-]?[a-z0-9]){2,}$`).
    pub gateway_id: String,
    /// The gateway EUI, if it has one.
    pub eui: Option<Eui64>,
}

impl GatewayIds {
    /// Ids from a gateway id and an optional EUI.
    pub fn new(gateway_id: impl Into<String>, eui: Option<Eui64>) -> Self {
        GatewayIds {
            gateway_id: gateway_id.into(),
            eui,
        }
    }

    /// The tenant part of a `gateway-id@tenant-id` unique id; `None` on single-tenant ids.
    pub fn tenant_id(&self) -> Option<&str> {
        self.gateway_id.split_once('@').map(|(_, tenant)| tenant)
    }

    /// The gateway id without its tenant part.
    pub fn plain_id(&self) -> &str {
        self.gateway_id
            .split_once('@')
            .map_or(self.gateway_id.as_str(), |(id, _)| id)
    }

    /// The id The Things Stack gives an unregistered gateway: `eui-` and 16 lower-case hex digits.
    pub fn from_eui(eui: Eui64) -> Self {
        GatewayIds {
            gateway_id: format!("eui-{eui:x}"),
            eui: Some(eui),
        }
    }
}

impl fmt::Display for GatewayIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.eui {
            Some(eui) => write!(f, "{} ({eui})", self.gateway_id),
            None => f.write_str(&self.gateway_id),
        }
    }
}

impl GatewayIds {
    /// The ttnpb identifiers (`gateway_id`, the unique id with its tenant part if any, and
    /// `eui` as 8 bytes or empty).
    pub fn to_ttnpb(&self) -> loragw_ttnpb::GatewayIdentifiers {
        loragw_ttnpb::GatewayIdentifiers {
            gateway_id: self.gateway_id.clone(),
            eui: self.eui.map(|e| e.0.to_vec()).unwrap_or_default(),
        }
    }

    /// Ids from ttnpb identifiers; an `eui` that is not 8 bytes is dropped.
    pub fn from_ttnpb(ids: &loragw_ttnpb::GatewayIdentifiers) -> Self {
        GatewayIds {
            gateway_id: ids.gateway_id.clone(),
            eui: ids.eui64().ok().flatten(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ids_follow_the_tts_rule() {
        for ok in ["abc", "my-gateway-1", "eui-0102030405060708", "a1b"] {
            validate_gateway_id(ok).unwrap();
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "ABC", "a_bc", &"a".repeat(37)] {
            assert!(validate_gateway_id(bad).is_err(), "{bad}");
        }
        for ok in ["abc", "test-gtw@my-tenant"] {
            validate_gateway_uid(ok).unwrap();
        }
        for bad in ["test-gtw@", "@my-tenant", "a@b@c", "gtw@My-Tenant", "gtw@t"] {
            assert!(validate_gateway_uid(bad).is_err(), "{bad}");
        }
        let ids = GatewayIds::new("test-gtw@my-tenant", None);
        assert_eq!(
            (ids.plain_id(), ids.tenant_id()),
            ("test-gtw", Some("my-tenant"))
        );
        let ids = GatewayIds::new("test-gtw", None);
        assert_eq!((ids.plain_id(), ids.tenant_id()), ("test-gtw", None));
        assert_eq!(
            GatewayIds::from_eui(Eui64::from_u64(0xAA)).gateway_id,
            "eui-00000000000000aa"
        );
    }
}
