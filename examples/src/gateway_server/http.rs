//! The operator's HTTP listener (`[metrics] listen`): Prometheus `/metrics`, `/healthz`, and a
//! small JSON API, on hyper's HTTP/1 server.
//!
//! | route | |
//! |---|---|
//! | `GET /metrics` | every series of [`Metrics`], in the Prometheus text format |
//! | `GET /healthz` | `200 ok` while the server serves, `503` once it stops |
//! | `POST /api/v1/gateways/{gateway_id}/downlink` | body: a ttnpb `DownlinkMessage` (JSON); `202` once the gateway's protocol took it, `404` when the gateway is not connected, `400` for a bad body, `409` when refused |
//! | `GET /api/v1/gateways/{gateway_id}/connection-stats` | [`ConnectionStats`](super::ConnectionStats) as JSON, `404` when not connected |

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use loragw_gateway_io::error::CommandError;
use loragw_gateway_io::ids::GatewayIds;
use loragw_gateway_io::transport::{DownlinkSender, ServerError, StatsHandle};
use loragw_ttnpb::DownlinkMessage;
use serde_json::json;
use tokio::net::TcpListener;

use super::connections::ConnectionTable;
use super::metrics::Metrics;

/// Largest request body read (a downlink is far smaller).
const MAX_BODY: usize = 64 * 1024;

/// What the listener serves from, shared with the event loop.
#[derive(Debug)]
pub struct Observer {
    /// The series.
    pub metrics: Metrics,
    /// Connected gateways' stats.
    pub connections: ConnectionTable,
    /// False once the server stops.
    pub healthy: AtomicBool,
    stats: StatsHandle,
    downlinks: DownlinkSender,
}

impl Observer {
    /// An observer of the server whose handles these are.
    pub fn new(stats: StatsHandle, downlinks: DownlinkSender) -> Self {
        Observer {
            metrics: Metrics::new(),
            connections: ConnectionTable::default(),
            healthy: AtomicBool::new(true),
            stats,
            downlinks,
        }
    }

    /// Sends a downlink and counts it (API, standard input, upstream).
    pub async fn send_downlink(
        &self,
        gateway: &GatewayIds,
        message: DownlinkMessage,
    ) -> Result<(), ServerError> {
        let result = self.downlinks.send_downlink(gateway, message).await;
        self.metrics.downlink(result.is_ok());
        if result.is_ok() {
            self.connections.downlink_sent(&gateway.gateway_id);
        }
        result
    }
}

/// Binds `addr` and serves until the task is dropped.
pub async fn serve(
    addr: &str,
    observer: Arc<Observer>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let observer = observer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let observer = observer.clone();
                    async move { Ok::<_, std::convert::Infallible>(route(&observer, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((local, task))
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_reply(status: StatusCode, value: serde_json::Value) -> Response<Full<Bytes>> {
    reply(status, "application/json", value.to_string())
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<Full<Bytes>> {
    json_reply(status, json!({ "error": message.to_string() }))
}

async fn route(observer: &Observer, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let gateway_route = path
        .strip_prefix("/api/v1/gateways/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(id, what)| (id.to_owned(), what.to_owned()));
    match (req.method(), path.as_str(), gateway_route) {
        (&Method::GET, "/metrics", _) => {
            observer.metrics.sync(observer.stats.snapshot());
            reply(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                observer.metrics.encode(),
            )
        }
        (&Method::GET, "/healthz", _) => {
            if observer.healthy.load(Ordering::Relaxed) {
                reply(StatusCode::OK, "text/plain", "ok\n".into())
            } else {
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    "stopping\n".into(),
                )
            }
        }
        (&Method::GET, _, Some((id, what))) if what == "connection-stats" => {
            match observer.connections.get(&id) {
                Some(stats) => json_reply(StatusCode::OK, json!(stats)),
                None => error(
                    StatusCode::NOT_FOUND,
                    format!("gateway `{id}` is not connected"),
                ),
            }
        }
        (&Method::POST, _, Some((id, what))) if what == "downlink" => {
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => return error(StatusCode::BAD_REQUEST, e),
            };
            let message: DownlinkMessage = match serde_json::from_slice(&body) {
                Ok(m) => m,
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!("not a DownlinkMessage: {e}"),
                    );
                }
            };
            let gateway = GatewayIds::new(id, None);
            match observer.send_downlink(&gateway, message).await {
                Ok(()) => json_reply(
                    StatusCode::ACCEPTED,
                    json!({ "gateway_id": gateway.gateway_id, "result": "sent" }),
                ),
                Err(ServerError::Command(e @ CommandError::NotConnected(_))) => {
                    error(StatusCode::NOT_FOUND, e)
                }
                Err(e @ ServerError::Command(_)) => error(StatusCode::CONFLICT, e),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "no such route"),
    }
}
