//! The websocket upgrade of the Basics Station listener: which endpoint, which gateway, and
//! whether its `Authorization` header grants the link right (checked before any upgrade).

use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::{DISCOVERY_PATH, Route, Shared, TRAFFIC_PREFIX};
use crate::ids::Eui64;
use crate::registry::{AuthError, Credential, authorize_link};

fn refuse(status: StatusCode, reason: String) -> (StatusCode, String) {
    (status, reason)
}

pub(super) fn error_response((status, reason): (StatusCode, String)) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(reason));
    *response.status_mut() = status;
    response
}

/// The gateway EUI of `eui-<16 hex>` (as The Things Stack requires).
fn traffic_eui(id: &str) -> Option<Eui64> {
    let hex = id.strip_prefix("eui-")?;
    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(Eui64::from_u64)
}

/// Checks the upgrade request: the route, and for traffic the gateway and its credential.
pub(super) fn check_upgrade(
    request: &Request,
    shared: &Shared,
) -> Result<Route, (StatusCode, String)> {
    let path = request.uri().path();
    if path == DISCOVERY_PATH {
        let traffic_base = match &shared.settings.traffic_base {
            Some(base) => base.clone(),
            None => {
                let scheme = if shared.tls { "wss" } else { "ws" };
                let host = request
                    .headers()
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .map_or_else(|| shared.local_addr.to_string(), str::to_owned);
                format!("{scheme}://{host}")
            }
        };
        return Ok(Route::Discovery { traffic_base });
    }
    let Some(id) = path.strip_prefix(TRAFFIC_PREFIX) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            format!(
                "{path}: not a Basics Station endpoint ({DISCOVERY_PATH}, {TRAFFIC_PREFIX}eui-<16 hex>)"
            ),
        ));
    };
    let eui = traffic_eui(id).ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            format!("{id}: invalid gateway id, expected eui-<16 hex digits>"),
        )
    })?;
    let authorization = request
        .headers()
        .get("authorization")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // An unknown gateway and a wrong key get the same answer: an unauthenticated client
    // learns nothing about which gateways exist.
    let unauthorized = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "unknown gateway or invalid credentials".to_owned(),
        )
    };
    let record = shared
        .registry
        .gateway_by_eui(eui)
        .ok_or_else(unauthorized)?;
    let credential = Credential::from_authorization_header(authorization.as_deref().unwrap_or(""));
    authorize_link(
        &*shared.registry,
        &record,
        credential,
        shared.settings.frontend.allow_unauthenticated,
    )
    .map_err(|e| match e {
        // Only a valid key of this gateway gets this far.
        AuthError::MissingRight { .. } => refuse(StatusCode::FORBIDDEN, e.to_string()),
        _ => unauthorized(),
    })?;
    Ok(Route::Traffic {
        record: Box::new(record),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_paths_need_sixteen_hex_digits() {
        assert_eq!(
            traffic_eui("eui-0102030405060708"),
            Some(Eui64::from_u64(0x0102_0304_0506_0708))
        );
        assert_eq!(
            traffic_eui("eui-aabbccddeeff0011"),
            Some(Eui64::from_u64(0xAABB_CCDD_EEFF_0011))
        );
        for bad in [
            "eui-0102",
            "0102030405060708",
            "eui-01020304050607080",
            "eui-+102030405060708",
            "eui-010203040506070g",
        ] {
            assert_eq!(traffic_eui(bad), None, "{bad}");
        }
    }
}
