//! A Semtech UDP gateway server that answers every class A uplink in RX1; the README's
//! "Embedding" guide, run by `tests/embedding.rs`.
//!
//! `cargo run -p loragw-gateway-io --features udp --example embedding -- gateways.toml`

use loragw_gateway_io::ttnpb::downlink_message::Settings;
use loragw_gateway_io::ttnpb::{DownlinkMessage, TxSettings, UplinkMessage, tx_settings};
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

/// A class A reply in RX1: the uplink's frequency and data rate, 1 s (1,000,000 µs of the
/// gateway's counter) after the uplink. `tx_power` is EIRP; Semtech UDP sends ERP, 2.15 dB
/// less (16.15 → `"powe":14`). `enable_crc` stays false (`"ncrc":true`): LoRaWAN downlinks
/// carry no physical-layer CRC.
pub(crate) fn rx1_reply(uplink: &UplinkMessage, payload: Vec<u8>) -> Option<DownlinkMessage> {
    let rx = uplink.settings.as_ref()?;
    let tx = TxSettings {
        data_rate: rx.data_rate.clone(),
        frequency: rx.frequency,
        timestamp: rx.timestamp.wrapping_add(1_000_000),
        downlink: Some(tx_settings::Downlink {
            tx_power: 16.15,
            invert_polarization: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    Some(DownlinkMessage {
        raw_payload: payload,
        settings: Some(Settings::Scheduled(tx)),
        ..Default::default()
    })
}

/// Answers every uplink (here with an empty unconfirmed downlink for device 0x01020304).
pub(crate) async fn serve(server: &mut GatewayServer) -> Result<(), ServerError> {
    loop {
        match server.next_event().await? {
            GatewayEvent::Uplink {
                gateway, message, ..
            } => {
                let payload = vec![0x60, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0];
                if let Some(reply) = rx1_reply(&message, payload)
                    && let Err(e) = server.send_downlink(&gateway, reply).await
                {
                    tracing::warn!(%gateway, error = %e, "downlink not sent");
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
