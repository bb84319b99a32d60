//! A gateway server for every protocol: Semtech UDP, Basics Station LNS and CUPS (plain and
//! TLS), MQTT v3 and v2, on The Things Stack's default ports.
//!
//! Events go to stdout, one JSON object per line (`--events none`: not written, only counted);
//! logs go to stderr (`RUST_LOG` filters them).
//! Downlinks are read from stdin, one JSON object per line:
//! `{"gateway_id":"demo-gateway","downlink":{...ttnpb DownlinkMessage JSON...}}`.
//!
//! ```text
//! gateway-server                      # built-in demo config on 127.0.0.1 (see --help)
//! gateway-server --config server.toml
//! gateway-server hash-key             # reads a key on stdin, prints sha256:<salt>:<digest>
//! gateway-server ttnpb encode uplink-message < up.json > test-uplink-message
//! gateway-server ttnpb decode gateway-down < down.bin
//! ```

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use loragw_examples::gateway_server::{self, EventFormat, ServerConfig, ttnpb_tool};

/// Gateway server for Semtech UDP, Basics Station LNS and CUPS, MQTT v3 and v2.
#[derive(Debug, Parser)]
#[command(version, about = "Gateway server for Semtech UDP, Basics Station LNS and CUPS, MQTT v3 and v2", long_about = None)]
struct Args {
    /// Config file (TOML with `listeners`, `tls`, `udp`, `lbs`, `cups`, `registry`, ...
    /// tables). Without one, a demo config on 127.0.0.1 only: gateway `demo-gateway` (EUI
    /// 58-A0-CB-FF-FE-80-00-01, EU868) with LNS key `NNSXS.DEMO-LNS-KEY` and CUPS key
    /// `NNSXS.DEMO-CUPS-KEY`, MQTT gateway `test-gtw@my-tenant` with key
    /// `NNSXS.VEEBURF3KR77ZR.DEMO-TEST-GTW-KEY`, and any UDP forwarder accepted.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Where the demo (no --config) keeps the TLS certificate and CA it generates on first
    /// start for its TLS listeners (LNS 8887, CUPS 8885, MQTT 8882).
    #[arg(long, default_value = "gateway-server-demo-tls")]
    demo_tls_dir: PathBuf,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Events on stdout: `json` (one line each) or `none` (only counted in `/metrics` and
    /// published upstream).
    #[arg(long, value_enum, default_value_t = Events::Json)]
    events: Events,
    /// A tool instead of the server.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable; colours only when stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Events {
    /// One JSON object per line.
    Json,
    /// Not written.
    None,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reads an API key (first line of stdin, or --key) and prints the line for the config's
    /// `hash` field: `sha256:<salt hex>:<digest hex>`, with 16 random bytes of salt from the OS.
    HashKey {
        /// The key (else read from stdin, which keeps it out of the shell history).
        #[arg(long)]
        key: Option<String>,
    },
    /// Converts a ttnpb message between proto3 JSON and binary protobuf (stdin to stdout).
    Ttnpb {
        /// `encode` (JSON to binary) or `decode` (binary to JSON).
        #[arg(value_enum)]
        direction: Direction,
        /// The message type.
        #[arg(value_enum)]
        message: ttnpb_tool::MessageType,
        /// Input file (default: stdin).
        #[arg(long, short)]
        input: Option<PathBuf>,
        /// Output file (default: stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Direction {
    /// Proto3 JSON to binary.
    Encode,
    /// Binary to proto3 JSON.
    Decode,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.command {
        Some(Command::HashKey { key }) => hash_key(key),
        Some(Command::Ttnpb {
            direction,
            message,
            input,
            output,
        }) => ttnpb(direction, message, input, output),
        None => {
            init_logging(args.log_format);
            let format = match args.events {
                Events::Json => EventFormat::Json,
                Events::None => EventFormat::None,
            };
            return serve(args.config, &args.demo_tls_dir, format);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "gateway-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

fn hash_key(key: Option<String>) -> Result<(), String> {
    let key = match key {
        Some(key) => key,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("stdin: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let line = gateway_server::hash_new_key(&key)?;
    writeln!(std::io::stdout(), "{line}").map_err(|e| format!("stdout: {e}"))
}

fn ttnpb(
    direction: Direction,
    message: ttnpb_tool::MessageType,
    input: Option<PathBuf>,
    output: Option<PathBuf>,
) -> Result<(), String> {
    let data = match &input {
        Some(path) => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
        None => {
            let mut data = Vec::new();
            std::io::stdin()
                .read_to_end(&mut data)
                .map_err(|e| format!("stdin: {e}"))?;
            data
        }
    };
    let converted = match direction {
        Direction::Encode => ttnpb_tool::json_to_binary(message, &data)?,
        Direction::Decode => ttnpb_tool::binary_to_json(message, &data)?,
    };
    match &output {
        Some(path) => {
            std::fs::write(path, converted).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout();
            stdout
                .write_all(&converted)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("stdout: {e}"))
        }
    }
}

fn serve(config: Option<PathBuf>, demo_tls_dir: &std::path::Path, format: EventFormat) -> ExitCode {
    let config = match &config {
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
                host = gateway_server::DEMO_HOST,
                gateway = gateway_server::DEMO_GATEWAY_ID,
                eui = gateway_server::DEMO_GATEWAY_EUI,
                lns_key = gateway_server::DEMO_LNS_KEY,
                cups_key = gateway_server::DEMO_CUPS_KEY,
                mqtt_gateway = gateway_server::DEMO_MQTT_GATEWAY_ID,
                mqtt_key = gateway_server::DEMO_MQTT_KEY,
                "no --config: running the demo config, listening on 127.0.0.1 only \
                 (serving other interfaces takes a config with [listeners])"
            );
            match gateway_server::demo_tls::ensure(demo_tls_dir) {
                Ok(tls) => {
                    tracing::info!(
                        ca = %tls.ca.display(),
                        "demo TLS: wss://localhost:8887 (LNS), https://localhost:8885 (CUPS), \
                         mqtts 8882; give stations this CA as tc.trust / cups.trust"
                    );
                    ServerConfig::demo_with_tls(&tls)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "demo TLS unavailable: plain listeners only");
                    ServerConfig::demo()
                }
            }
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(gateway_server::run_with(config, format));
    // `run_with` already waited as long as a stop may take; a blocking task still running (the
    // event writer on a stdout nobody reads, a stdin read) must not hold the exit.
    runtime.shutdown_background();
    code
}
