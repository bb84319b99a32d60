//! A Semtech UDP gateway server that answers every class A uplink (RX1, or RX2 when RX1 is
//! too late); the README's
//! "Embedding" guide, run by `tests/embedding.rs`.
//!
//! `cargo run -p loragw-gateway-io --features udp --example embedding -- gateways.toml`

use loragw_gateway_io::freqplan::FrequencyPlan;
use loragw_gateway_io::reply;
use loragw_gateway_io::{GatewayEvent, GatewayServer, InMemoryRegistry, ServerError};

/// Serves the gateways of `config` (the registry's TOML) over Semtech UDP on `addr`.
pub(crate) async fn start(
    config: &str,
    addr: &str,
) -> Result<GatewayServer, Box<dyn std::error::Error>> {
    let registry = InMemoryRegistry::from_toml(config)?;
    let server = GatewayServer::builder()
        .registry(registry)
        .udp(addr)
        .start()
        .await?;
    Ok(server)
}

/// Answers every uplink (here with an empty unconfirmed downlink for device 0x01020304).
///
/// `reply::class_a` builds a `TxRequest` from the uplink's token: RX1 1 s after the uplink on
/// the plan's channel for it, RX2 on the plan's RX2 settings; the server resolves it for the
/// gateway, RX2 when RX1 is too late. The power is the plan's maximum EIRP (Semtech UDP sends
/// ERP, 2.15 dB less: 16 dBm becomes `"powe":13`) and `enable_crc` stays false (`"ncrc":true`):
/// LoRaWAN downlinks carry no physical-layer CRC.
pub(crate) async fn serve(server: &mut GatewayServer) -> Result<(), ServerError> {
    let plan = FrequencyPlan::builtin("EU_863_870").expect("a built-in plan");
    loop {
        match server.next_event().await? {
            GatewayEvent::Uplink {
                gateway, message, ..
            } => {
                let payload = vec![0x60, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0];
                let sent = match reply::class_a(&message, &plan, payload) {
                    Ok(reply) => server
                        .send_downlink(&gateway, reply)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(error) = sent {
                    tracing::warn!(%gateway, error, "downlink not sent");
                }
            }
            GatewayEvent::Refused {
                gateway, reason, ..
            } => tracing::warn!(%gateway, reason, "gateway refused"),
            other => tracing::info!(?other, "event"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init(); // shows the server's logs (refusals, malformed input)
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "gateways.toml".into());
    let mut server = start(&std::fs::read_to_string(path)?, "[::]:1700").await?;
    serve(&mut server).await?;
    Ok(())
}
