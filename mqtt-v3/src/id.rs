//! Gateway and tenant identifiers and the gateway unique id (`uid`) used in topics and usernames.

use std::fmt;

/// Maximum length of a gateway id or a tenant id, in bytes (The Things Stack's rule).
pub const MAX_ID_LEN: usize = 36;

/// Why an identifier is not a valid gateway or tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is empty.
    #[error("identifier is empty")]
    Empty,
    /// The identifier is longer than [`MAX_ID_LEN`].
    #[error("identifier is {len} bytes long, more than the maximum of {MAX_ID_LEN}")]
    TooLong {
        /// Length of the rejected identifier in bytes.
        len: usize,
    },
    /// The identifier is shorter than 3 characters.
    #[error("identifier `{id}` is shorter than 3 characters")]
    TooShort {
        /// The rejected identifier.
        id: String,
    },
    /// The identifier contains a character other than `a-z`, `0-9` and `-`.
    #[error("identifier `{id}` has invalid character {ch:?} at byte {at} (allowed: a-z, 0-9, -)")]
    InvalidChar {
        /// The rejected identifier.
        id: String,
        /// The offending character.
        ch: char,
        /// Byte offset of the offending character.
        at: usize,
    },
    /// The identifier starts or ends with `-`, or has two `-` in a row.
    #[error("identifier `{id}` has a misplaced `-` at byte {at} (not first, last or doubled)")]
    MisplacedHyphen {
        /// The rejected identifier.
        id: String,
        /// Byte offset of the offending hyphen.
        at: usize,
    },
    /// A unique id has an `@` but nothing (or another `@`) after it.
    #[error("unique id `{uid}` has an invalid tenant part")]
    BadTenantSeparator {
        /// The rejected unique id.
        uid: String,
    },
}

/// Checks an identifier against The Things Stack's id rule: the regular expression
/// `^[a-z0-9](?:[-]?[a-z0-9]){2,}$` and at most [`MAX_ID_LEN`] bytes.
///
/// In words: lowercase letters, digits and single hyphens, at least 3 alphanumeric characters,
/// starting and ending with an alphanumeric character. The same rule applies to gateway ids and
/// tenant ids.
pub fn validate_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { len: id.len() });
    }
    let bytes = id.as_bytes();
    let mut alnum = 0usize;
    for (at, ch) in id.char_indices() {
        match ch {
            'a'..='z' | '0'..='9' => alnum += 1,
            '-' => {
                let last = at + 1 == bytes.len();
                if at == 0 || last || bytes[at - 1] == b'-' {
                    return Err(IdError::MisplacedHyphen { id: id.into(), at });
                }
            }
            _ => {
                return Err(IdError::InvalidChar {
                    id: id.into(),
                    ch,
                    at,
                });
            }
        }
    }
    if alnum < 3 {
        return Err(IdError::TooShort { id: id.into() });
    }
    Ok(())
}

/// The unique id of a gateway as it appears in MQTT topics and usernames.
///
/// Single-tenant deployments (open-source The Things Stack) use the bare gateway id,
/// `gateway-id`; multi-tenant deployments (The Things Stack Cloud / Enterprise) use
/// `gateway-id@tenant-id`. Both parts are validated with [`validate_id`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GatewayUid {
    /// The gateway id.
    pub gateway_id: String,
    /// The tenant id, present only in multi-tenant deployments.
    pub tenant_id: Option<String>,
}

impl GatewayUid {
    /// A single-tenant uid, after validating `gateway_id`.
    pub fn new(gateway_id: impl Into<String>) -> Result<Self, IdError> {
        let gateway_id = gateway_id.into();
        validate_id(&gateway_id)?;
        Ok(Self {
            gateway_id,
            tenant_id: None,
        })
    }

    /// A multi-tenant uid, after validating both ids.
    pub fn with_tenant(
        gateway_id: impl Into<String>,
        tenant_id: impl Into<String>,
    ) -> Result<Self, IdError> {
        let gateway_id = gateway_id.into();
        let tenant_id = tenant_id.into();
        validate_id(&gateway_id)?;
        validate_id(&tenant_id)?;
        Ok(Self {
            gateway_id,
            tenant_id: Some(tenant_id),
        })
    }

    /// Parses `gateway-id` or `gateway-id@tenant-id`.
    pub fn parse(uid: &str) -> Result<Self, IdError> {
        match uid.split_once('@') {
            None => Self::new(uid),
            Some((gateway_id, tenant_id)) => {
                if tenant_id.is_empty() || tenant_id.contains('@') {
                    return Err(IdError::BadTenantSeparator { uid: uid.into() });
                }
                Self::with_tenant(gateway_id, tenant_id)
            }
        }
    }
}

impl fmt::Display for GatewayUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tenant_id {
            None => f.write_str(&self.gateway_id),
            Some(tenant) => write!(f, "{}@{}", self.gateway_id, tenant),
        }
    }
}

impl std::str::FromStr for GatewayUid {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids() {
        for id in [
            "abc",
            "a-b-c",
            "eui-0102030405060708",
            "gateway-id",
            "000",
            "a1b",
            "abcdefghijklmnopqrstuvwxyz0123456789", // exactly 36
        ] {
            assert_eq!(validate_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn invalid_ids() {
        let cases: &[(&str, IdError)] = &[
            ("", IdError::Empty),
            ("ab", IdError::TooShort { id: "ab".into() }),
            ("a-b", IdError::TooShort { id: "a-b".into() }),
            (
                "-abc",
                IdError::MisplacedHyphen {
                    id: "-abc".into(),
                    at: 0,
                },
            ),
            (
                "abc-",
                IdError::MisplacedHyphen {
                    id: "abc-".into(),
                    at: 3,
                },
            ),
            (
                "ab--c",
                IdError::MisplacedHyphen {
                    id: "ab--c".into(),
                    at: 3,
                },
            ),
            (
                "Abc",
                IdError::InvalidChar {
                    id: "Abc".into(),
                    ch: 'A',
                    at: 0,
                },
            ),
            (
                "ab_c",
                IdError::InvalidChar {
                    id: "ab_c".into(),
                    ch: '_',
                    at: 2,
                },
            ),
            (
                "abé",
                IdError::InvalidChar {
                    id: "abé".into(),
                    ch: 'é',
                    at: 2,
                },
            ),
            (
                "abcdefghijklmnopqrstuvwxyz0123456789a",
                IdError::TooLong { len: 37 },
            ),
        ];
        for (id, err) in cases {
            assert_eq!(validate_id(id).as_ref(), Err(err), "{id}");
        }
    }

    #[test]
    fn uid_forms() {
        let single = GatewayUid::parse("gateway-id").unwrap();
        assert_eq!(single.gateway_id, "gateway-id");
        assert_eq!(single.tenant_id, None);
        assert_eq!(single.to_string(), "gateway-id");

        let multi = GatewayUid::parse("gateway-id@tenant-id").unwrap();
        assert_eq!(multi.gateway_id, "gateway-id");
        assert_eq!(multi.tenant_id.as_deref(), Some("tenant-id"));
        assert_eq!(multi.to_string(), "gateway-id@tenant-id");

        assert!(GatewayUid::parse("gateway-id@").is_err());
        assert!(GatewayUid::parse("@tenant").is_err());
        assert!(GatewayUid::parse("a@b@c").is_err());
        assert!(GatewayUid::parse("gateway-id@te").is_err());
        assert!(GatewayUid::parse("gw@tenant-id").is_err());
    }
}
