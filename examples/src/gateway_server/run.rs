//! The server's main loop: events out as JSON lines (on a thread of their own, so a slow
//! reader never blocks the runtime), downlinks in from stdin, and a clean stop on SIGTERM or
//! Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::Duration;

use loragw_gateway_io::event::GatewayEvent;
use loragw_gateway_io::transport::ServerError;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::http::{self, Observer};
use super::upstream::{self, Upstream};
use super::{ServerConfig, event_line, parse_downlink, start};

/// Event lines waiting for stdout; past this, lines are dropped and counted.
const OUTPUT_CAPACITY: usize = 16 * 1024;

/// Most lines the writer thread takes off the queue for one write (and one flush): under load
/// a write per batch instead of a write per event; when idle every line is flushed at once.
const WRITE_BATCH: usize = 64;

/// What becomes of events besides the metrics, the connection table and the upstream broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EventFormat {
    /// One JSON line per event on stdout ([`event_line`](super::event_line)).
    #[default]
    Json,
    /// Not written: only counted (`/metrics`) and, with `[upstream]`, published.
    None,
}

/// Event lines on a dedicated thread: [`EventOutput::send`] never blocks.
#[derive(Debug)]
pub struct EventOutput {
    lines: Option<SyncSender<String>>,
    writer: Option<std::thread::JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
}

impl EventOutput {
    /// Lines to `out` (stdout in the binary).
    pub fn new(mut out: impl std::io::Write + Send + 'static) -> Self {
        let (lines, rx) = std::sync::mpsc::sync_channel::<String>(OUTPUT_CAPACITY);
        let writer = std::thread::spawn(move || {
            let mut batch = String::new();
            while let Ok(line) = rx.recv() {
                batch.clear();
                batch.push_str(&line);
                batch.push('\n');
                // What else is queued already goes out with it.
                for line in rx.try_iter().take(WRITE_BATCH - 1) {
                    batch.push_str(&line);
                    batch.push('\n');
                }
                if out
                    .write_all(batch.as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return;
                }
            }
        });
        EventOutput {
            lines: Some(lines),
            writer: Some(writer),
            dropped: Arc::default(),
        }
    }

    /// Queues one event's line; drops it (counted, `false`) when the reader is too slow.
    pub fn send(&self, event: &GatewayEvent) -> bool {
        let Some(lines) = &self.lines else {
            return false;
        };
        match lines.try_send(event_line(event)) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(dropped = n, "stdout is not keeping up: event lines dropped");
                }
                false
            }
        }
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes what is queued and stops the thread.
    pub fn finish(mut self) {
        self.lines = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// How long a stop may take: closing connections, last events, flushing.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Resolves on SIGTERM (Unix) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot watch SIGTERM; Ctrl-C only"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("Ctrl-C: stopping");
}

/// Reads downlink lines from stdin (see [`parse_downlink`]) until it closes.
fn spawn_stdin_downlinks(downlinks: Arc<Observer>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim().is_empty() {
                continue;
            }
            match parse_downlink(&line) {
                Ok((gateway, message)) => match downlinks.send_downlink(&gateway, message).await {
                    Ok(()) => tracing::info!(%gateway, "downlink sent"),
                    Err(e) => tracing::warn!(%gateway, error = %e, "downlink refused"),
                },
                Err(e) => tracing::warn!(error = %e, "not a downlink line"),
            }
        }
    });
}

/// Runs the server of `config` until SIGTERM or Ctrl-C, then stops it cleanly
/// ([`GatewayServer::shutdown`](loragw_gateway_io::transport::GatewayServer::shutdown) within [`SHUTDOWN_GRACE`]) and returns success; failure when it
/// cannot start. Events go to stdout as JSON lines.
pub async fn run(config: ServerConfig) -> ExitCode {
    run_with(config, EventFormat::Json).await
}

/// [`run`] with events written as `format` says.
pub async fn run_with(config: ServerConfig, format: EventFormat) -> ExitCode {
    let metrics_listen = config.metrics.listen.clone().filter(|a| !a.is_empty());
    let upstream = match config
        .upstream
        .as_ref()
        .map(|o| (upstream::connect(o), o.queue))
    {
        Some((Ok(broker), queue)) => Some((broker, queue)),
        Some((Err(e), _)) => {
            tracing::error!(error = %e, "cannot set up the upstream broker");
            return ExitCode::FAILURE;
        }
        None => None,
    };
    let mut server = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    for (kind, addr) in server.listeners() {
        tracing::info!(listener = ?kind, %addr, "serving");
    }
    let observer = Arc::new(Observer::new(
        server.stats_handle(),
        server.downlink_sender(),
    ));
    let _http = match metrics_listen {
        Some(addr) => match http::serve(&addr, observer.clone()).await {
            Ok((local, task)) => {
                tracing::info!(%local, "metrics, health and API listening");
                Some(task)
            }
            Err(e) => {
                tracing::error!(%addr, error = %e, "cannot start the metrics listener");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    spawn_stdin_downlinks(observer.clone());
    let upstream = upstream.map(|(broker, queue)| {
        tracing::info!(instance = broker.instance(), "upstream broker link started");
        Upstream::spawn(broker, queue, observer.clone())
    });
    let output = (format == EventFormat::Json).then(|| EventOutput::new(std::io::stdout()));
    let deliver = |event: &GatewayEvent| {
        let mut forwarded = output.as_ref().is_none_or(|o| o.send(event));
        if let Some(upstream) = &upstream
            && !upstream.send(event)
        {
            observer.metrics.upstream_publish_failed();
            forwarded = false;
        }
        observer.metrics.observe(event, forwarded);
        observer.connections.observe(event);
    };
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            event = server.next_event() => match event {
                Ok(event) => deliver(&event),
                // One listener stopped (a bug): the others keep serving; say so and go on.
                Err(e @ ServerError::ListenerStopped { .. }) => {
                    tracing::error!(error = %e, "listener stopped");
                }
                Err(e) => {
                    tracing::error!(error = %e, "server stopped");
                    return ExitCode::FAILURE;
                }
            },
            () = &mut stop => break,
        }
    }
    observer.healthy.store(false, Ordering::Relaxed);
    for event in server.shutdown(SHUTDOWN_GRACE).await {
        deliver(&event);
    }
    if let Some(upstream) = upstream {
        upstream.close(SHUTDOWN_GRACE).await;
    }
    let dropped = output.as_ref().map_or(0, EventOutput::dropped);
    if let Some(output) = output {
        // The writer thread finishes what is queued; a stuck stdout must not hold the exit.
        let finished = tokio::task::spawn_blocking(move || output.finish());
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, finished).await;
    }
    tracing::info!(dropped_event_lines = dropped, "stopped");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use loragw_gateway_io::event::{DisconnectReason, Protocol};
    use loragw_gateway_io::ids::GatewayIds;

    /// A stdout whose reader never reads until released.
    struct Stuck(
        std::sync::mpsc::Receiver<()>,
        std::sync::mpsc::Sender<Vec<u8>>,
    );

    impl std::io::Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            let _ = self.1.send(buf.to_vec());
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_stdout_drops_lines_instead_of_blocking() {
        let (release, released) = std::sync::mpsc::channel();
        let (wrote, written) = std::sync::mpsc::channel();
        let output = EventOutput::new(Stuck(released, wrote));
        let event = GatewayEvent::Disconnected {
            gateway: GatewayIds::new("gw-one", None),
            protocol: Protocol::MqttV3,
            reason: DisconnectReason::Shutdown,
        };
        // The writer thread holds one batch; the queue takes OUTPUT_CAPACITY more; the rest is
        // dropped, at once.
        let sent = OUTPUT_CAPACITY + WRITE_BATCH + 10;
        let accepted = (0..sent).filter(|_| output.send(&event)).count();
        assert!(accepted >= OUTPUT_CAPACITY, "{accepted}");
        assert!(accepted <= OUTPUT_CAPACITY + WRITE_BATCH, "{accepted}");
        assert_eq!(output.dropped(), (sent - accepted) as u64);
        drop(release);
        output.finish();
        // Released: every accepted line was written.
        let lines: usize = written
            .try_iter()
            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
            .sum();
        assert_eq!(lines, accepted);
    }
}
