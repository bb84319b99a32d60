//! The loads without a per-uplink acknowledgement to count (Basics Station, MQTT v3): every
//! gateway holds a connection of its own and sends uplinks, as fast as its connection takes
//! them or at its share of the target rate; what arrived is counted on the server, from its
//! Prometheus `/metrics` (`ttn_lw_gs_uplink_received_total{protocol=…}`) read before the
//! first uplink and after the last, once the count stops growing.
//!
//! The gateways connect (and finish their handshakes) first; the clock starts when all are
//! connected, so connecting is not part of the rate.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::events::EventTracker;
use super::udp::Counts;
use super::{LoadOptions, LoadProgress};
use crate::gateway_forwarder::RunError;
use crate::gateway_forwarder::net::host_port;

/// How long the server's count may stand still before the rest is lost.
const SETTLE: Duration = Duration::from_secs(2);

/// What a gateway task shares with the driver.
#[derive(Debug)]
pub(super) struct Gate {
    /// Becomes `true` when sending starts, `false` when it stops.
    pub(super) sending: watch::Receiver<bool>,
    /// Uplinks sent, all gateways.
    pub(super) sent: Arc<AtomicU64>,
    /// Time between a gateway's uplinks (`None`: back to back).
    pub(super) period: Option<Duration>,
    /// Gateways of the run (their first uplinks are spread over one period).
    pub(super) gateways: u32,
    /// Where sent uplinks are stamped for the event latency.
    pub(super) events: Option<Arc<EventTracker>>,
}

impl Gate {
    /// Waits until sending starts; `false` when the run ended first.
    pub(super) async fn started(&mut self) -> bool {
        self.sending.wait_for(|s| *s).await.is_ok() && *self.sending.borrow()
    }

    /// A ticker for gateway `index`'s uplinks once sending started (`None`: back to back):
    /// the gateways' first ticks are spread over one period, so the rate is steady instead of
    /// a burst of every gateway at once, and the ticks stay on that schedule (a late tick is
    /// skipped, not pushed back: wake-up delays do not add up to a lower rate).
    pub(super) fn ticker(&self, index: u32) -> Option<tokio::time::Interval> {
        self.period.map(|p| {
            let offset = p.mul_f64(f64::from(index) / f64::from(self.gateways.max(1)));
            let mut ticks = tokio::time::interval_at(Instant::now() + offset, p);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
            ticks
        })
    }

    /// Waits for the next tick of `ticker`, if any.
    pub(super) async fn tick(ticker: &mut Option<tokio::time::Interval>) {
        if let Some(t) = ticker {
            t.tick().await;
        }
    }

    /// Resolves when sending has stopped.
    pub(super) async fn stopped(sending: &mut watch::Receiver<bool>) {
        let _ = sending.wait_for(|s| !*s).await;
    }

    /// Stamps gateway `index`'s uplink number `seq` ([`super::events::mark`]ed) as sent now
    /// (a later stamp of the same `seq` replaces it: an uplink that did not go out).
    pub(super) fn stamp(&self, index: u32, seq: u32) {
        if let Some(events) = &self.events {
            events.sent(index, seq, std::time::Instant::now());
        }
    }

    /// Counts one uplink sent.
    pub(super) fn sent_one(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs `options.gateways` tasks of `gateway(index, ready, gate)`: each connects, sends
/// `Ok(())` (or its error) on `ready`, then sends uplinks until the gate closes.
pub(super) fn run<F, Fut>(
    options: &LoadOptions,
    protocol: &str,
    events: Option<Arc<EventTracker>>,
    gateway: F,
    progress: &mut dyn FnMut(&LoadProgress),
) -> Result<Counts, RunError>
where
    F: Fn(u32, tokio::sync::mpsc::Sender<Result<(), RunError>>, Gate) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let metrics = options.metrics.clone().ok_or_else(|| {
        RunError::Options(format!(
            "--protocol {protocol} counts uplinks on the server: give --metrics http://HOST:PORT/metrics"
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Io(format!("tokio runtime: {e}")))?;
    runtime.block_on(async {
        let (sending_tx, sending) = watch::channel(false);
        let sent = Arc::new(AtomicU64::new(0));
        let period = options
            .rate
            .map(|r| Duration::from_secs_f64(f64::from(options.gateways) / r));
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(64);
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..options.gateways {
            let gate = Gate {
                sending: sending.clone(),
                sent: sent.clone(),
                period,
                gateways: options.gateways,
                events: events.clone(),
            };
            tasks.spawn(gateway(index, ready_tx.clone(), gate));
        }
        drop(ready_tx);
        for _ in 0..options.gateways {
            match ready_rx.recv().await {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(RunError::Io("a gateway task ended".into())),
            }
        }
        let before = uplinks_received(&metrics, protocol).await?;
        let start = Instant::now();
        sending_tx.send_replace(true);
        let mut last = (start, 0u64);
        loop {
            let next = last.0 + Duration::from_secs(1);
            let stop_at = start + options.duration;
            tokio::time::sleep_until(next.min(stop_at)).await;
            let now = Instant::now();
            if now >= stop_at {
                break;
            }
            let counted = uplinks_received(&metrics, protocol)
                .await?
                .saturating_sub(before);
            progress(&LoadProgress {
                elapsed: now.duration_since(start),
                sent: sent.load(Ordering::Relaxed),
                acked: counted,
                lost: 0,
                acked_per_second: (counted.saturating_sub(last.1)) as f64
                    / now.duration_since(last.0).as_secs_f64(),
            });
            last = (now, counted);
        }
        sending_tx.send_replace(false);
        // Every task ends after its uplink in progress (and closes its connection).
        while tasks.join_next().await.is_some() {}
        let sent = sent.load(Ordering::Relaxed);
        let mut counted = 0;
        let mut changed = Instant::now();
        while counted < sent && changed.elapsed() < SETTLE {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = uplinks_received(&metrics, protocol)
                .await?
                .saturating_sub(before);
            if now != counted {
                changed = Instant::now();
            }
            counted = now;
        }
        // Like the UDP load's "first datagram to last acknowledgement": to the last change of
        // the count (at least the sending time).
        Ok(Counts {
            sent,
            acked: counted.min(sent),
            lost: sent.saturating_sub(counted),
            unexpected: counted.saturating_sub(sent),
            elapsed: changed.duration_since(start),
        })
    })
}

/// `ttn_lw_gs_uplink_received_total{protocol="<protocol>"}` of the server's `/metrics` at
/// `url` (`http://host:port/path`; 0 before the first uplink creates the series).
pub(super) async fn uplinks_received(url: &str, protocol: &str) -> Result<u64, RunError> {
    let body = http_get(url).await?;
    let series = format!("ttn_lw_gs_uplink_received_total{{protocol=\"{protocol}\"}} ");
    Ok(body
        .lines()
        .find_map(|l| l.strip_prefix(series.as_str()))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64))
}

/// The body of a plain-HTTP GET of `url`.
async fn http_get(url: &str) -> Result<String, RunError> {
    let bad = || RunError::Options(format!("metrics {url:?}: not http://HOST:PORT/PATH"));
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    host_port(authority).map_err(|_| bad())?;
    let io = |e: std::io::Error| RunError::Io(format!("metrics {url}: {e}"));
    let mut tcp = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(io)?;
    tcp.write_all(
        format!("GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .map_err(io)?;
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut response))
        .await
        .map_err(|_| RunError::Io(format!("metrics {url}: no answer")))?
        .map_err(io)?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(bad)?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(RunError::Io(format!(
            "metrics {url}: {}",
            head.lines().next().unwrap_or_default()
        )));
    }
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_series_of_the_protocol_is_read_from_the_body() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 512];
            let n = tcp.read(&mut request).await.unwrap();
            assert!(request[..n].starts_with(b"GET /metrics HTTP/1.1\r\n"));
            let body = "# TYPE ttn_lw_gs_uplink_received counter\n\
                ttn_lw_gs_uplink_received_total{protocol=\"mqtt-v3\"} 7\n\
                ttn_lw_gs_uplink_received_total{protocol=\"lbs\"} 1234\n";
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            tcp.write_all(reply.as_bytes()).await.unwrap();
        });
        let url = format!("http://{addr}/metrics");
        assert_eq!(uplinks_received(&url, "lbs").await.unwrap(), 1234);
    }
}
