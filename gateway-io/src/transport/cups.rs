//! The CUPS listener: `POST /update-info` over HTTP/1.1 (hyper), answered with basicstation's
//! [`decide_update`] for the target the application configures per gateway.
//!
//! Per request: the body is read up to [`MAX_REQUEST_LEN`] bytes, parsed, the gateway looked up
//! by the request's `router` EUI, and the `Authorization` header (Basics Station sends the raw
//! `cups.key` line) checked for the rights The Things Stack asks for (`info`,
//! `settings_basic`, `read_secrets`); without a header, the EUI of the station's TLS client
//! certificate (verified by the listener's client CA, see the `tls` module) is the credential,
//! accepted only when it is the `router` EUI and the registry lets the gateway use
//! certificates. Errors are answered with a status and a plain-text body
//! that says what was wrong (key lacking a right, LNS credentials not configured, ...); an
//! unknown gateway and a missing or wrong key get the same 401, so an unauthenticated client
//! cannot tell whether a gateway exists. The registry is consulted on a blocking thread
//! (`spawn_blocking`), so a slow registry stalls only that request.
//!
//! Bounds ([`CupsSettings::limits`], see [`TcpLimits`]): 10,000 TCP connections per listener
//! and 64 per IP address (more are closed at once), one request per connection, which must
//! arrive (TLS, headers and body together) within the 10 s handshake deadline; the answer must
//! be written within the 10 s write timeout. `TCP_NODELAY` is set; refusals are logged at
//! `info` at most once a second, the rest at `debug`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use loragw_basicstation::cups::{CupsTarget, MAX_REQUEST_LEN, UpdateInfoRequest, decide_update};
use tokio::net::TcpListener;

use super::accept::{
    AcceptConfig, Accepted, Refusal, RefusalLog, TcpLimits, TlsOption, accept_loop,
};
use super::listener::{ListenerContext, RefusalReason, Registry, Started, Stats};
use crate::event::Protocol;
use crate::ids::{Eui64, GatewayIds};
use crate::registry::{AuthError, Credential, GatewayRecord, Right, authorize};

/// The path Basics Station POSTs to (`{cups.uri}/update-info`).
pub const UPDATE_INFO_PATH: &str = "/update-info";

/// What each gateway should be told: the application's CUPS policy.
pub trait CupsTargets: Send + Sync {
    /// The target for an authenticated gateway, or `None` when CUPS does not manage it
    /// (answered with 404).
    fn target(&self, gateway: &GatewayRecord, request: &UpdateInfoRequest) -> Option<CupsTarget>;
}

impl<F> CupsTargets for F
where
    F: Fn(&GatewayRecord, &UpdateInfoRequest) -> Option<CupsTarget> + Send + Sync,
{
    fn target(&self, gateway: &GatewayRecord, request: &UpdateInfoRequest) -> Option<CupsTarget> {
        self(gateway, request)
    }
}

/// Settings of a CUPS listener.
#[derive(Clone)]
#[non_exhaustive]
pub struct CupsSettings {
    /// The per-gateway policy.
    pub targets: Arc<dyn CupsTargets>,
    /// Connection caps, the deadline for TLS and the whole request, and the write timeout
    /// ([`TcpLimits::default`]; `max_sessions` is not used).
    pub limits: TcpLimits,
}

impl std::fmt::Debug for CupsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CupsSettings").finish_non_exhaustive()
    }
}

impl CupsSettings {
    /// Settings with this policy.
    pub fn new(targets: impl CupsTargets + 'static) -> Self {
        CupsSettings {
            targets: Arc::new(targets),
            limits: TcpLimits::default(),
        }
    }

    /// The same settings with other connection bounds.
    pub fn with_limits(mut self, limits: TcpLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// The rights a CUPS key must grant (as The Things Stack requires).
const CUPS_RIGHTS: [Right; 3] = [Right::Info, Right::SettingsBasic, Right::ReadSecrets];

struct State {
    registry: Arc<dyn Registry>,
    targets: Arc<dyn CupsTargets>,
    limits: TcpLimits,
    stats: Arc<Stats>,
    log: Arc<RefusalLog>,
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: CupsSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let log =
        Arc::new(RefusalLog::new("CUPS").with_events(ctx.hub.clone(), Protocol::BasicStation));
    let config = AcceptConfig {
        limits: settings.limits,
        tls,
        stats: ctx.stats.clone(),
        log: log.clone(),
        shutdown: ctx.shutdown.clone(),
        connections: ctx.connections.clone(),
    };
    let state = Arc::new(State {
        registry: ctx.registry,
        targets: settings.targets,
        limits: settings.limits,
        stats: ctx.stats,
        log,
    });
    let shutdown = ctx.shutdown;
    let task = tokio::spawn(accept_loop(
        listener,
        config,
        move |accepted| {
            let state = state.clone();
            let mut shutdown = shutdown.clone();
            async move {
                tokio::select! {
                    () = serve(accepted, state) => {}
                    _ = shutdown.changed() => {}
                }
            }
        },
        // A panicking request handler ends only its connection; nothing else to tell.
        |_, _| {},
    ));
    Ok(Started {
        local_addr,
        tasks: vec![task],
    })
}

/// Serves one request: reading it (headers and body) must finish by the handshake deadline,
/// writing the answer within the write timeout.
async fn serve(accepted: Accepted, state: Arc<State>) {
    let Accepted {
        stream,
        remote,
        deadline,
        client_eui,
        ..
    } = accepted;
    let header_time = deadline.saturating_duration_since(tokio::time::Instant::now());
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |req| {
        let state = service_state.clone();
        async move { Ok::<_, Infallible>(handle(req, remote, client_eui, deadline, &state).await) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_time)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    // Everything after the deadline is the answer being written.
    let bound = deadline + state.limits.write_timeout;
    match tokio::time::timeout_at(bound, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            if e.is_timeout() {
                state.stats.refused(RefusalReason::HandshakeTimeout);
                state
                    .log
                    .refused(remote, RefusalReason::HandshakeTimeout, "HTTP headers");
            } else {
                tracing::debug!(%remote, error = %e, "CUPS connection ended");
            }
        }
        Err(_) => {
            state.stats.refused(RefusalReason::HandshakeTimeout);
            state
                .log
                .refused(remote, RefusalReason::HandshakeTimeout, "HTTP request");
        }
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

async fn handle(
    req: Request<Incoming>,
    remote: SocketAddr,
    client_eui: Option<Eui64>,
    deadline: tokio::time::Instant,
    state: &Arc<State>,
) -> Response<Full<Bytes>> {
    if req.uri().path() != UPDATE_INFO_PATH {
        return text(
            StatusCode::NOT_FOUND,
            "not found: CUPS serves POST /update-info",
        );
    }
    if req.method() != Method::POST {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use POST");
        r.headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let authorization = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // A declared length over the bound is refused before any byte of the body is awaited (a
    // client announcing 1 GiB and sending two bytes would otherwise hold the connection until
    // the deadline).
    if req.body().size_hint().lower() > MAX_REQUEST_LEN as u64 {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over {MAX_REQUEST_LEN} bytes"),
        );
    }
    let body = Limited::new(req.into_body(), MAX_REQUEST_LEN).collect();
    let body = match tokio::time::timeout_at(deadline, body).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) => {
            return if e.is::<http_body_util::LengthLimitError>() {
                text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body over {MAX_REQUEST_LEN} bytes"),
                )
            } else {
                text(StatusCode::BAD_REQUEST, format!("reading the body: {e}"))
            };
        }
        Err(_) => return text(StatusCode::REQUEST_TIMEOUT, "request body too slow"),
    };
    let decision_state = state.clone();
    let decided = tokio::task::spawn_blocking(move || match UpdateInfoRequest::parse(&body) {
        Err(e) => (
            None,
            Err(Refusal::new(StatusCode::BAD_REQUEST, e.to_string())),
        ),
        Ok(request) => {
            let claimed = Eui64::from_u64(request.router);
            let decided = update_info(
                &request,
                authorization.as_deref(),
                client_eui,
                &decision_state,
            );
            (Some(claimed), decided)
        }
    })
    .await
    .unwrap_or_else(|e| {
        if e.is_panic() {
            state.stats.panicked();
        }
        (
            None,
            Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_owned(),
            )),
        )
    });
    let (claimed, decided) = decided;
    match decided {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err(Refusal {
            status,
            reason,
            detail,
        }) => {
            let denied = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
            if denied {
                state.stats.refused(RefusalReason::Unauthenticated);
            }
            let detail = format!("{status}: {detail}");
            match claimed.filter(|_| denied) {
                // A station that named its gateway: the application hears of it too.
                Some(eui) => state
                    .log
                    .gateway_refused(remote, GatewayIds::from_eui(eui), &detail),
                None => state
                    .log
                    .refused(remote, RefusalReason::Unauthenticated, &detail),
            }
            text(status, reason)
        }
    }
}

/// The whole decision, without HTTP: the response body, or a refusal. `client_eui`: what the
/// connection's verified TLS client certificate names.
fn update_info(
    request: &UpdateInfoRequest,
    authorization: Option<&str>,
    client_eui: Option<Eui64>,
    state: &State,
) -> Result<Vec<u8>, Refusal<StatusCode>> {
    let eui = Eui64::from_u64(request.router);
    // An unknown gateway and a wrong key get the same answer (the log says why).
    let record = state
        .registry
        .gateway_by_eui(eui)
        .ok_or_else(|| Refusal::unauthenticated(StatusCode::UNAUTHORIZED, None))?;
    let credential = Credential::presented(authorization, client_eui);
    for right in CUPS_RIGHTS {
        authorize(&*state.registry, &record, credential, right).map_err(|e| match e {
            // Only a valid credential of this gateway gets this far.
            AuthError::MissingRight { .. } => Refusal::new(StatusCode::FORBIDDEN, e.to_string()),
            _ => Refusal::unauthenticated(StatusCode::UNAUTHORIZED, Some(&e)),
        })?;
    }
    let target = state.targets.target(&record, request).ok_or_else(|| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            format!(
                "no CUPS configuration for gateway `{}`",
                record.ids.gateway_id
            ),
        )
    })?;
    let response = decide_update(request, &target).map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("gateway `{}`: {e}", record.ids.gateway_id),
        )
    })?;
    response
        .to_bytes()
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
