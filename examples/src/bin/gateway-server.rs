//! A gateway server for every protocol: Semtech UDP, Basics Station LNS and CUPS (plain and
//! TLS), on The Things Stack's default ports.
//!
//! Events go to stdout, one JSON object per line; logs go to stderr (`RUST_LOG` filters them).
//! Downlinks are read from stdin, one JSON object per line:
//! `{"gateway_id":"demo-gateway","downlink":{...ttnpb DownlinkMessage JSON...}}`.
//!
//! ```text
//! gateway-server                      # built-in demo config (see --help)
//! gateway-server --config server.toml
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use loragw_examples::gateway_server::{self, ServerConfig};
use loragw_gateway_io::transport::ServerError;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Gateway server for Semtech UDP, Basics Station LNS and CUPS.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    /// Config file (TOML with `listeners`, `tls`, `udp`, `lbs`, `cups`, `registry` tables). Without one,
    /// a demo config: gateway `demo-gateway` (EUI 58-A0-CB-FF-FE-80-00-01, EU868) with LNS key
    /// `NNSXS.DEMO-LNS-KEY` and CUPS key `NNSXS.DEMO-CUPS-KEY`, and any UDP forwarder accepted.
    #[arg(long, short)]
    config: Option<PathBuf>,
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
    let config = match &args.config {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| ServerConfig::from_toml(&text))
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(config = %path.display(), error = %e, "cannot load the config");
                return ExitCode::FAILURE;
            }
        },
        None => {
            tracing::info!(
                gateway = gateway_server::DEMO_GATEWAY_ID,
                eui = gateway_server::DEMO_GATEWAY_EUI,
                lns_key = gateway_server::DEMO_LNS_KEY,
                cups_key = gateway_server::DEMO_CUPS_KEY,
                "no --config: running the demo config"
            );
            ServerConfig::demo()
        }
    };
    let mut server = match gateway_server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };

    let downlinks = server.downlink_sender();
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim().is_empty() {
                continue;
            }
            match gateway_server::parse_downlink(&line) {
                Ok((gateway, message)) => match downlinks.send_downlink(&gateway, message).await {
                    Ok(()) => tracing::info!(%gateway, "downlink sent"),
                    Err(e) => tracing::warn!(%gateway, error = %e, "downlink refused"),
                },
                Err(e) => tracing::warn!(error = %e, "not a downlink line"),
            }
        }
    });

    let mut stdout = std::io::stdout();
    loop {
        tokio::select! {
            event = server.next_event() => {
                let event = match event {
                    Ok(event) => event,
                    // One listener stopped (a bug): the others keep serving; say so and go on.
                    Err(e @ ServerError::ListenerStopped { .. }) => {
                        tracing::error!(error = %e, "listener stopped");
                        continue;
                    }
                    Err(_) => break,
                };
                let line = gateway_server::event_json(&event);
                if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    ExitCode::SUCCESS
}
