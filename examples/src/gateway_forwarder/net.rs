//! Small helpers the simulator and the bridge share: `host:port` parsing, a UDP socket
//! connected to a server, and the wall clock as Unix seconds.

use tokio::net::UdpSocket;

/// `host:port` split, the host without IPv6 brackets.
pub(crate) fn host_port(address: &str) -> Result<(String, u16), String> {
    address
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_matches(['[', ']']).to_owned(),
                p.parse::<u16>().ok()?,
            ))
        })
        .filter(|(h, _)| !h.is_empty())
        .ok_or_else(|| format!("address {address:?} is not host:port"))
}

/// A UDP socket bound to an ephemeral port of the server's address family and connected to
/// `server` (`host:port`, resolved once).
pub(crate) async fn udp_socket_to(server: &str) -> Result<UdpSocket, String> {
    let addr = tokio::net::lookup_host(server)
        .await
        .map_err(|e| format!("resolving {server}: {e}"))?
        .next()
        .ok_or_else(|| format!("{server} has no address"))?;
    let local = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| format!("binding a UDP socket: {e}"))?;
    socket
        .connect(addr)
        .await
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    Ok(socket)
}

/// The wall clock in Unix seconds (0 before 1970).
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_splits_names_and_ipv6() {
        assert_eq!(
            host_port("lns.example:1887"),
            Ok(("lns.example".into(), 1887))
        );
        assert_eq!(host_port("[::1]:1700"), Ok(("::1".into(), 1700)));
        assert!(host_port("lns.example").is_err());
        assert!(host_port(":1700").is_err());
        assert!(host_port("h:99999").is_err());
    }
}
