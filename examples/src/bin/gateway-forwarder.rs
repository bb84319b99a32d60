//! The gateway side of every protocol, two modes:
//!
//! - `gateway-forwarder bridge --config bridge.toml`: a local Semtech UDP packet forwarder
//!   (`lora_pkt_fwd`) points at the bridge, which carries its traffic to one or more network
//!   servers over Basics Station, MQTT v3, MQTT v2 or Semtech UDP. Every minute the summary
//!   per upstream is logged; on Ctrl-C it goes to stdout as JSON.
//! - `gateway-forwarder simulate ...` (also without a subcommand): N simulated gateways send
//!   LoRaWAN uplinks to a Gateway Server and acknowledge every downlink; a progress line goes
//!   to stderr every second, a JSON summary to stdout at the end; the exit status is 2 when
//!   something sent was lost.
//! - `gateway-forwarder load ...`: a load test of a server's Semtech UDP path (N gateways send
//!   PUSH_DATA as fast as acknowledged, a fixed number in flight, or at a target rate), or of
//!   its Basics Station or MQTT v3 path (`--protocol lbs|mqtt-v3`: N connections, uplinks
//!   counted by the server's `--metrics`; `--print-registry --key K` prints the gateways'
//!   config tables), for a bounded time; a progress line every second on stderr, then the summary (sent, acked,
//!   lost, ack latency, the server's CPU time and peak RSS with `--server-pid`) on stderr and
//!   as one JSON line on stdout (appended to `--json FILE` too); exit status 2 on loss.
//!   `--events-from -` (or a FIFO) reads the server's event lines and adds, for every
//!   protocol, the per-uplink latency "sent → event line" and how many uplinks matched;
//!   `--datagram-len N` makes every PUSH_DATA N bytes.
//!
//! Logs go to stderr, `RUST_LOG` filters them.
//!
//! ```text
//! gateway-forwarder bridge --config bridge.toml
//! gateway-forwarder simulate --server 127.0.0.1:1700 --gateways 10 --rate 2 --duration 30
//! gateway-forwarder simulate --protocol mqtt-v3 --server 127.0.0.1:1882 \
//!     --gateway-id demo-gateway --key NNSXS.DEMO-LNS-KEY
//! gateway-forwarder simulate --gateways 4 --server 127.0.0.1:1700 \
//!     --also mqtt-v3=127.0.0.1:1882 --key NNSXS.API-KEY
//! gateway-forwarder load --server 127.0.0.1:1700 --gateways 1000 --in-flight 64 \
//!     --duration 10 --server-pid "$(pgrep -n gateway-server)" --json results.jsonl
//! gateway-forwarder load --protocol lbs --gateways 1000 --key NNSXS.LOAD --print-registry
//! gateway-forwarder load --protocol lbs --server 127.0.0.1:1887 --gateways 1000 \
//!     --key NNSXS.LOAD --metrics http://127.0.0.1:9090/metrics --duration 5
//! gateway-server --config server.toml | gateway-forwarder load --server 127.0.0.1:1700 \
//!     --gateways 1000 --rate 20000 --datagram-len 321 --events-from -
//! ```

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use loragw_examples::gateway_forwarder::bridge::{Bridge, BridgeConfig};
use loragw_examples::gateway_forwarder::load::{self, LoadOptions};
use loragw_examples::gateway_forwarder::{self, ForwarderOptions, SimProtocol};

/// The gateway side: a bridge from a local Semtech UDP packet forwarder to network servers
/// over any protocol, or simulated gateways.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    simulate: SimArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bridge a local packet forwarder (Semtech UDP) to Basics Station, MQTT v3, MQTT v2 or
    /// Semtech UDP servers, as configured in a TOML file.
    Bridge(BridgeArgs),
    /// Simulated gateways (the default without a subcommand).
    Simulate(Box<SimArgs>),
    /// Load test of a server's Semtech UDP, Basics Station or MQTT v3 path: uplinks of N
    /// gateways, as fast as taken or at a target rate, for a bounded time.
    Load(Box<LoadArgs>),
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// The server's listener of --protocol, ip:port (loopback only).
    #[arg(long, default_value = "127.0.0.1:1700")]
    server: String,
    /// udp (counted by PUSH_ACKs), lbs or mqtt-v3 (counted by the server's --metrics).
    #[arg(long, default_value = "udp")]
    protocol: load::LoadProtocol,
    /// The gateways' key (lbs: Authorization, mqtt-v3: password); gateway i is load-gw-{i}.
    #[arg(long)]
    key: Option<String>,
    /// The server's Prometheus URL, http://HOST:PORT/metrics (lbs and mqtt-v3).
    #[arg(long)]
    metrics: Option<String>,
    /// Print the [[registry.gateway]] tables of the gateways with --key (salted hashes) for
    /// gateway-server's config, and send nothing.
    #[arg(long)]
    print_registry: bool,
    /// Gateways (distinct EUIs).
    #[arg(long, default_value_t = 1000)]
    gateways: u32,
    /// Datagrams in flight: always this many, or at most this many with --rate.
    #[arg(long, default_value_t = 64)]
    in_flight: u32,
    /// Target datagrams per second over all gateways (default: as fast as acknowledged).
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds to send.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop sending after this many datagrams.
    #[arg(long)]
    count: Option<u64>,
    /// Milliseconds after which an unacknowledged datagram is lost.
    #[arg(long, default_value_t = 1000)]
    ack_timeout_ms: u64,
    /// EUI of gateway 0 in hex; gateway i has this plus i.
    #[arg(long, default_value = "58A0CBFFFE900000")]
    eui_base: String,
    /// The server's pid: report its CPU time and peak RSS (Linux /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Append the summary as one JSON line to this file (the chart's input).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Name of the run in the summary and the results file (default: the protocol).
    #[arg(long)]
    label: Option<String>,
    /// No progress line on stderr.
    #[arg(long)]
    quiet: bool,
    /// The server's event lines (`-`: stdin, or a file / FIFO): per-uplink latency
    /// "sent → event line" for every protocol, and how many uplinks were matched.
    #[arg(long, value_name = "PATH|-")]
    events_from: Option<load::EventsFrom>,
    /// Bytes of every PUSH_DATA (udp; the FRMPayload is sized to fit; default: about 180).
    #[arg(long, value_name = "N")]
    datagram_len: Option<usize>,
}

#[derive(Debug, Args)]
struct BridgeArgs {
    /// The TOML config: `listen`, `gateway_eui`, `[[upstream]]` tables (see the README).
    #[arg(long)]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct SimArgs {
    /// Gateway Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:1700")]
    server: String,
    /// Protocol: udp, mqtt-v3, mqtt-v2, lbs or tabs-hubs.
    #[arg(long, default_value = "udp")]
    protocol: SimProtocol,
    /// A further protocol and its server, `PROTOCOL=HOST:PORT` (repeatable): gateways are
    /// spread round-robin over --protocol and these.
    #[arg(long = "also", value_parser = parse_also)]
    also: Vec<(SimProtocol, String)>,
    /// Number of simulated gateways.
    #[arg(long, default_value_t = 1)]
    gateways: u32,
    /// End devices each gateway hears.
    #[arg(long, default_value_t = 4)]
    devices: u32,
    /// Frequency plan (gateway-io built-in id): EU_863_870, US_902_928_FSB_2, AS_923, ...
    #[arg(long, default_value = "EU_863_870")]
    frequency_plan: String,
    /// Uplinks per second per gateway.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Seconds to run (default: until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Uplinks per gateway, then only downlinks are answered (default: no limit).
    #[arg(long)]
    count: Option<u64>,
    /// Seconds between status reports (0: none).
    #[arg(long, default_value_t = 30.0)]
    status_interval: f64,
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
    /// No progress line on stderr.
    #[arg(long)]
    quiet: bool,
    /// The server's event lines (`-`: stdin, or a file / FIFO): per-uplink latency
    /// "sent → event line" for every protocol, and how many uplinks were matched.
    #[arg(long, value_name = "PATH|-")]
    events_from: Option<load::EventsFrom>,
    /// Bytes of every PUSH_DATA (udp; the FRMPayload is sized to fit; default: about 180).
    #[arg(long, value_name = "N")]
    datagram_len: Option<usize>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Bridge(args)) => run_bridge(args).await,
        Some(Command::Simulate(args)) => simulate(*args).await,
        Some(Command::Load(args)) => load(*args).await,
        None => simulate(cli.simulate).await,
    }
}

fn parse_also(text: &str) -> Result<(SimProtocol, String), String> {
    let (protocol, server) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not PROTOCOL=HOST:PORT"))?;
    Ok((protocol.parse()?, server.to_owned()))
}

async fn load(args: LoadArgs) -> ExitCode {
    let Ok(eui_base) = u64::from_str_radix(&args.eui_base.replace(['-', ':'], ""), 16) else {
        tracing::error!(eui_base = %args.eui_base, "not a hex EUI");
        return ExitCode::FAILURE;
    };
    let Ok(duration) = Duration::try_from_secs_f64(args.duration) else {
        tracing::error!(duration = args.duration, "invalid --duration");
        return ExitCode::FAILURE;
    };
    let options = LoadOptions {
        protocol: args.protocol,
        key: args.key,
        metrics: args.metrics,
        gateways: args.gateways,
        in_flight: args.in_flight,
        rate: args.rate,
        duration,
        count: args.count,
        ack_timeout: Duration::from_millis(args.ack_timeout_ms),
        eui_base,
        server_pid: args.server_pid,
        label: args.label.unwrap_or_else(|| args.protocol.name().into()),
        events_from: args.events_from,
        datagram_len: args.datagram_len,
        ..LoadOptions::new(args.server)
    };
    if args.print_registry {
        let Some(key) = &options.key else {
            tracing::error!("--print-registry needs --key");
            return ExitCode::FAILURE;
        };
        return match load::registry_toml(&options, key) {
            Ok(toml) if write!(std::io::stdout(), "{toml}").is_ok() => ExitCode::SUCCESS,
            Ok(_) => ExitCode::FAILURE,
            Err(e) => {
                tracing::error!(error = %e, "cannot hash the key");
                ExitCode::FAILURE
            }
        };
    }
    let quiet = args.quiet;
    let result = tokio::task::spawn_blocking(move || {
        load::run(&options, &mut |p| {
            if !quiet {
                // The progress line is this command's interface on stderr.
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("{}", p.line());
                }
            }
        })
    })
    .await;
    let summary = match result {
        Ok(Ok(summary)) => summary,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot run");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            tracing::error!(error = %e, "the load thread failed");
            return ExitCode::FAILURE;
        }
    };
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{}", summary.lines());
    }
    let json = summary.to_json();
    if let Some(path) = &args.json {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{json}"));
        if let Err(e) = appended {
            tracing::error!(file = %path.display(), error = %e, "cannot write the results");
            return ExitCode::FAILURE;
        }
    }
    if !print_json(&json) {
        return ExitCode::FAILURE;
    }
    if summary.lost > 0 {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn print_json(value: &serde_json::Value) -> bool {
    writeln!(std::io::stdout(), "{value}").is_ok()
}

async fn run_bridge(args: BridgeArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.config) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(config = %args.config.display(), error = %e, "cannot read the config");
            return ExitCode::FAILURE;
        }
    };
    let config = match BridgeConfig::from_toml(&text) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(config = %args.config.display(), error = %e, "invalid config");
            return ExitCode::FAILURE;
        }
    };
    let bridge = match Bridge::start(config).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot run the bridge");
            return ExitCode::FAILURE;
        }
    };
    // The per-upstream summary, logged every minute and printed at the end.
    let mut ticks = tokio::time::interval(Duration::from_secs(60));
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => tracing::info!(summary = %bridge.summary().to_json(), "bridge"),
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if print_json(&bridge.stop().await.to_json()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn simulate(args: SimArgs) -> ExitCode {
    let eui_base = match u64::from_str_radix(&args.eui_base.replace(['-', ':'], ""), 16) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(eui_base = %args.eui_base, error = %e, "not a hex EUI");
            return ExitCode::FAILURE;
        }
    };
    let seconds = |s: f64, what: &str| {
        Duration::try_from_secs_f64(s).map_err(|e| tracing::error!(error = %e, "invalid {what}"))
    };
    let Ok(duration) = args.duration.map(|d| seconds(d, "--duration")).transpose() else {
        return ExitCode::FAILURE;
    };
    let Ok(status_interval) = seconds(args.status_interval, "--status-interval") else {
        return ExitCode::FAILURE;
    };
    let options = ForwarderOptions {
        protocol: args.protocol,
        mixed: args.also,
        gateways: args.gateways,
        devices: args.devices,
        frequency_plan: args.frequency_plan,
        rate: args.rate,
        duration,
        count: args.count,
        status_interval: (!status_interval.is_zero()).then_some(status_interval),
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
    let quiet = args.quiet;
    let progress = move |summary: &gateway_forwarder::Summary| {
        if !quiet {
            // The progress line is this binary's interface on stderr.
            #[allow(clippy::print_stderr)]
            {
                eprint!("\r{}   ", summary.progress_line());
            }
        }
    };
    let result =
        gateway_forwarder::run_with_progress(options, stop, Duration::from_secs(1), progress).await;
    if !quiet {
        #[allow(clippy::print_stderr)]
        {
            eprintln!();
        }
    }
    match result {
        Ok(summary) => {
            if !print_json(&summary.to_json()) {
                return ExitCode::FAILURE;
            }
            if summary.lost() > 0 {
                tracing::error!(lost = summary.lost(), "something sent was lost");
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot run");
            ExitCode::FAILURE
        }
    }
}
