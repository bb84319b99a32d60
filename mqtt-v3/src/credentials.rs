//! The MQTT CONNECT credentials convention: username = gateway uid, password = API key.

use std::fmt;

use crate::id::{GatewayUid, IdError};

/// The credentials a gateway sends in MQTT CONNECT.
///
/// * `username` is the gateway's unique id: `gateway-id` on single-tenant deployments,
///   `gateway-id@tenant-id` on multi-tenant ones (see [`GatewayUid`]).
/// * `password` is an API key of that gateway with the "link as Gateway to a Gateway Server"
///   right (`RIGHT_GATEWAY_LINK`). The server checks it as a bearer token for the gateway
///   ([`Credentials::authorization`] gives the header value The Things Stack uses).
///
/// Checking the key is the embedding server's job (for example through `gateway-io`'s
/// registry); this type only carries and parses. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The MQTT username: the gateway uid.
    pub username: String,
    /// The MQTT password: the API key.
    pub password: String,
}

/// Why MQTT CONNECT credentials cannot identify a gateway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// CONNECT had no username.
    #[error("CONNECT has no username (expected the gateway uid)")]
    MissingUsername,
    /// CONNECT had no password.
    #[error("CONNECT has no password (expected an API key)")]
    MissingPassword,
    /// The password is not UTF-8 text (API keys are ASCII).
    #[error("CONNECT password is not UTF-8 text")]
    PasswordNotUtf8,
    /// The username is not a valid gateway uid.
    #[error("CONNECT username `{username}` is not a gateway uid: {source}")]
    BadUsername {
        /// The rejected username.
        username: String,
        /// What is wrong with it.
        source: IdError,
    },
}

impl Credentials {
    /// Credentials for a gateway (client side): the uid as username, `api_key` as password.
    pub fn new(uid: &GatewayUid, api_key: impl Into<String>) -> Self {
        Self {
            username: uid.to_string(),
            password: api_key.into(),
        }
    }

    /// Takes the optional username and binary password of an MQTT CONNECT packet (server side).
    pub fn from_connect(
        username: Option<&str>,
        password: Option<&[u8]>,
    ) -> Result<Self, CredentialsError> {
        let username = username.ok_or(CredentialsError::MissingUsername)?;
        let password = password.ok_or(CredentialsError::MissingPassword)?;
        let password =
            std::str::from_utf8(password).map_err(|_| CredentialsError::PasswordNotUtf8)?;
        Ok(Self {
            username: username.into(),
            password: password.into(),
        })
    }

    /// Parses the username into the gateway uid.
    pub fn uid(&self) -> Result<GatewayUid, CredentialsError> {
        GatewayUid::parse(&self.username).map_err(|source| CredentialsError::BadUsername {
            username: self.username.clone(),
            source,
        })
    }

    /// The API key (the password).
    pub fn api_key(&self) -> &str {
        &self.password
    }

    /// The HTTP-style authorization value The Things Stack checks the key with:
    /// `Bearer <api key>`.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.password)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_username() {
        let c =
            Credentials::from_connect(Some("gateway-id@tenant-id"), Some(b"NNSXS.KEY")).unwrap();
        assert_eq!(
            c.uid().unwrap(),
            GatewayUid::with_tenant("gateway-id", "tenant-id").unwrap()
        );
        assert_eq!(c.api_key(), "NNSXS.KEY");
        assert_eq!(c.authorization(), "Bearer NNSXS.KEY");
        let c = Credentials::from_connect(Some("gateway-id"), Some(b"k")).unwrap();
        assert_eq!(c.uid().unwrap(), GatewayUid::new("gateway-id").unwrap());
    }

    #[test]
    fn bad_connect() {
        assert_eq!(
            Credentials::from_connect(None, Some(b"k")),
            Err(CredentialsError::MissingUsername)
        );
        assert_eq!(
            Credentials::from_connect(Some("gateway-id"), None),
            Err(CredentialsError::MissingPassword)
        );
        assert_eq!(
            Credentials::from_connect(Some("gateway-id"), Some(&[0xff])),
            Err(CredentialsError::PasswordNotUtf8)
        );
        let c = Credentials::from_connect(Some("Gateway"), Some(b"k")).unwrap();
        assert!(matches!(c.uid(), Err(CredentialsError::BadUsername { .. })));
    }

    #[test]
    fn debug_hides_password() {
        let uid = GatewayUid::new("gateway-id").unwrap();
        let c = Credentials::new(&uid, "secret-key");
        assert_eq!(c.username, "gateway-id");
        let debug = format!("{c:?}");
        assert!(!debug.contains("secret-key"), "{debug}");
        assert!(debug.contains("gateway-id"), "{debug}");
    }
}
