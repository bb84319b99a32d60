//! Simulated gateways for load and integration tests: N gateways send LoRaWAN uplinks to a
//! Gateway Server over Semtech UDP, MQTT v3 or Basics Station LNS and acknowledge every downlink; at the end, a
//! one-line JSON summary goes to stdout (logs go to stderr, `RUST_LOG` filters them).
//!
//! ```text
//! gateway-forwarder --server 127.0.0.1:1700 --gateways 10 --rate 2 --duration 30
//! gateway-forwarder --protocol mqtt-v3 --server 127.0.0.1:1882 \
//!     --gateway-id demo-gateway --key NNSXS.DEMO-LNS-KEY
//! ```

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use loragw_examples::gateway_forwarder::{self, ForwarderOptions, SimProtocol};

/// Simulated LoRaWAN gateways (Semtech UDP, MQTT v3 or Basics Station).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Gateway Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:1700")]
    server: String,
    /// Protocol: udp, mqtt-v3, lbs or tabs-hubs.
    #[arg(long, default_value = "udp")]
    protocol: SimProtocol,
    /// Number of simulated gateways.
    #[arg(long, default_value_t = 1)]
    gateways: u32,
    /// Uplinks per second per gateway.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds to run (default: until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Uplinks per gateway, then only downlinks are answered (default: no limit).
    #[arg(long)]
    count: Option<u64>,
    /// API key, the MQTT password.
    #[arg(long)]
    key: Option<String>,
    /// Gateway ids are `<id-prefix>-<index>`.
    #[arg(long, default_value = "sim-gateway")]
    id_prefix: String,
    /// The id of a single gateway (with --gateways 1), e.g. demo-gateway.
    #[arg(long)]
    gateway_id: Option<String>,
    /// EUI of gateway 0 in hex; gateway i has this plus i.
    #[arg(long, default_value = "58A0CBFFFE900000")]
    eui_base: String,
    /// Seed of the simulated traffic.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let eui_base = match u64::from_str_radix(&args.eui_base.replace(['-', ':'], ""), 16) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(eui_base = %args.eui_base, error = %e, "not a hex EUI");
            return ExitCode::FAILURE;
        }
    };
    let duration = match args.duration.map(Duration::try_from_secs_f64).transpose() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "invalid --duration");
            return ExitCode::FAILURE;
        }
    };
    let options = ForwarderOptions {
        protocol: args.protocol,
        gateways: args.gateways,
        rate: args.rate,
        duration,
        count: args.count,
        eui_base,
        id_prefix: args.id_prefix,
        gateway_id: args.gateway_id,
        key: args.key,
        seed: args.seed,
        ..ForwarderOptions::new(args.server)
    };
    let stop = async {
        tokio::signal::ctrl_c().await.ok();
    };
    match gateway_forwarder::run(options, stop).await {
        Ok(summary) => {
            let mut stdout = std::io::stdout();
            if writeln!(stdout, "{}", summary.to_json()).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot run");
            ExitCode::FAILURE
        }
    }
}
