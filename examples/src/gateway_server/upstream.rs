//! The `[upstream]` broker link of the server: events go out through a task of their own (a
//! bounded queue, never blocking the event loop), downlinks published on the broker come in
//! and are sent like the API's.

use std::sync::Arc;
use std::time::Duration;

use loragw_gateway_io::event::{GatewayCommand, GatewayEvent};
use loragw_gateway_io::transport::mqtt_client::{ClientError, ClientTls, MqttClientConfig, QoS};
use loragw_gateway_io::transport::mqtt_upstream::{PayloadEncoding, UpstreamBroker};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::config::{UpstreamEncoding, UpstreamOptions};
use super::http::Observer;

/// Host and port of an `mqtt://` or `mqtts://` URL, and whether it is TLS.
pub fn parse_broker_url(url: &str) -> Result<(String, u16, bool), String> {
    let (rest, tls) = if let Some(rest) = url.strip_prefix("mqtts://") {
        (rest, true)
    } else if let Some(rest) = url.strip_prefix("mqtt://") {
        (rest, false)
    } else {
        return Err(format!(
            "upstream.url `{url}`: mqtt:// or mqtts:// expected"
        ));
    };
    let rest = rest.trim_end_matches('/');
    let default_port = if tls { 8883 } else { 1883 };
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
            let port = port
                .parse()
                .map_err(|_| format!("upstream.url `{url}`: bad port `{port}`"))?;
            (host, port)
        }
        _ => (rest, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("upstream.url `{url}`: no host"));
    }
    Ok((host.to_owned(), port, tls))
}

/// The broker link of `options` (connecting in the background).
pub fn connect(options: &UpstreamOptions) -> Result<UpstreamBroker, String> {
    let (host, port, tls) = parse_broker_url(&options.url)?;
    let qos = match options.qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        q => return Err(format!("upstream.qos {q}: 0 or 1")),
    };
    let mut config = MqttClientConfig::new(host, port)
        .client_id(&options.client_id)
        .publish_qos(qos)
        .subscribe_qos(qos)
        .queue_capacity(options.queue)
        .reconnect_interval(Duration::from_millis(500));
    if let Some(user) = &options.username {
        config = config.credentials(user, options.password.clone().unwrap_or_default());
    }
    if tls {
        let read = |path: &String| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
        let tls = match (&options.ca, &options.client_cert, &options.client_key) {
            (None, None, None) => ClientTls::NativeRoots,
            (Some(ca), cert, key) => {
                let ca = read(ca)?;
                let client = match (cert, key) {
                    (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
                    (None, None) => None,
                    _ => return Err("upstream: client_cert and client_key go together".into()),
                };
                let client = client.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice()));
                ClientTls::from_pem(&ca, client).map_err(|e| format!("upstream TLS: {e}"))?
            }
            _ => return Err("upstream: a client certificate needs `ca` too".into()),
        };
        config = config.tls(tls);
    } else if options.ca.is_some() || options.client_cert.is_some() {
        return Err("upstream: ca / client_cert need an mqtts:// url".into());
    }
    let encoding = match options.encoding {
        UpstreamEncoding::Protobuf => PayloadEncoding::Protobuf,
        UpstreamEncoding::Json => PayloadEncoding::Json,
    };
    Ok(UpstreamBroker::connect_with(
        config,
        options.prefix.clone(),
        encoding,
    ))
}

/// The running link: a task that publishes events and takes downlinks.
#[derive(Debug)]
pub struct Upstream {
    events: mpsc::Sender<GatewayEvent>,
    task: JoinHandle<()>,
}

impl Upstream {
    /// Starts the task; downlinks from the broker go out through `observer`.
    pub fn spawn(broker: UpstreamBroker, capacity: usize, observer: Arc<Observer>) -> Self {
        let (events, rx) = mpsc::channel(capacity.max(1));
        let task = tokio::spawn(drive(broker, rx, observer));
        Upstream { events, task }
    }

    /// Queues an event; `false` (counted by the caller) when the queue is full.
    pub fn send(&self, event: &GatewayEvent) -> bool {
        self.events.try_send(event.clone()).is_ok()
    }

    /// Publishes what is queued, marks the instance offline and disconnects, within `grace`.
    pub async fn close(self, grace: Duration) {
        drop(self.events);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

async fn drive(
    mut broker: UpstreamBroker,
    mut events: mpsc::Receiver<GatewayEvent>,
    observer: Arc<Observer>,
) {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => match broker.publish_event(&event) {
                    Ok(()) => {}
                    Err(ClientError::Full) => observer.metrics.upstream_publish_failed(),
                    Err(e) => {
                        observer.metrics.upstream_publish_failed();
                        tracing::warn!(error = %e, "upstream publish");
                    }
                },
                None => break,
            },
            command = broker.next_command() => match command {
                Some(GatewayCommand::Downlink { gateway, message }) => {
                    let observer = observer.clone();
                    tokio::spawn(async move {
                        if let Err(e) = observer.send_downlink(&gateway, message).await {
                            tracing::warn!(%gateway, error = %e, "upstream downlink refused");
                        }
                    });
                }
                Some(_) => {}
                None => {
                    tracing::error!("upstream link closed");
                    break;
                }
            },
        }
    }
    broker.close(Duration::from_secs(3)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        assert_eq!(
            parse_broker_url("mqtt://127.0.0.1:1884").unwrap(),
            ("127.0.0.1".into(), 1884, false)
        );
        assert_eq!(
            parse_broker_url("mqtts://broker.example.com").unwrap(),
            ("broker.example.com".into(), 8883, true)
        );
        assert_eq!(
            parse_broker_url("mqtt://[::1]:1883/").unwrap(),
            ("::1".into(), 1883, false)
        );
        assert!(parse_broker_url("http://x").is_err());
        assert!(parse_broker_url("mqtt://x:port").is_err());
        assert!(parse_broker_url("mqtt://").is_err());
    }
}
