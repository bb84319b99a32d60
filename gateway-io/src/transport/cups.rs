//! The CUPS listener: `POST /update-info` over HTTP/1.1 (hyper), answered with basicstation's
//! [`decide_update`] for the target the application configures per gateway.
//!
//! Per request: the body is read up to [`MAX_REQUEST_LEN`] bytes, parsed, the gateway looked up
//! by the request's `router` EUI, and the `Authorization` header (Basics Station sends the raw
//! `cups.key` line) checked for the rights The Things Stack asks for (`info`,
//! `settings_basic`, `read_secrets`). Errors are answered with a status and a plain-text body
//! that says what was wrong (gateway not registered, key lacking a right, LNS credentials not
//! configured, ...).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use loragw_basicstation::cups::{CupsTarget, MAX_REQUEST_LEN, UpdateInfoRequest, decide_update};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use super::TlsOption;
use super::server::{ListenerContext, Registry, Started};
use crate::ids::Eui64;
use crate::registry::{AuthError, Credential, GatewayRecord, Right};

/// The path Basics Station POSTs to (`{cups.uri}/update-info`).
pub const UPDATE_INFO_PATH: &str = "/update-info";

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client may take to send the request body.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

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
pub struct CupsSettings {
    /// The per-gateway policy.
    pub targets: Arc<dyn CupsTargets>,
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
        }
    }
}

/// The rights a CUPS key must grant (as The Things Stack requires).
const CUPS_RIGHTS: [Right; 3] = [Right::Info, Right::SettingsBasic, Right::ReadSecrets];

struct State {
    registry: Arc<dyn Registry>,
    targets: Arc<dyn CupsTargets>,
}

pub(crate) async fn start(
    addr: SocketAddr,
    settings: CupsSettings,
    tls: TlsOption,
    ctx: ListenerContext,
) -> std::io::Result<Started> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let state = Arc::new(State {
        registry: ctx.registry,
        targets: settings.targets,
    });
    let shutdown = ctx.shutdown;
    let task = tokio::spawn(async move {
        loop {
            let (stream, remote) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "CUPS accept failed");
                    // Out of descriptors and the like: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let state = state.clone();
            let tls = tls.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                let served = async {
                    match tls {
                        #[cfg(feature = "tls")]
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => serve(stream, remote, state).await,
                            Err(e) => tracing::debug!(%remote, error = %e, "CUPS TLS handshake"),
                        },
                        #[cfg(not(feature = "tls"))]
                        Some(never) => match never {},
                        None => serve(stream, remote, state).await,
                    }
                };
                tokio::select! {
                    () = served => {}
                    _ = shutdown.changed() => {}
                }
            });
        }
    });
    Ok(Started {
        local_addr,
        tasks: vec![task],
    })
}

async fn serve<S>(stream: S, remote: SocketAddr, state: Arc<State>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(req, remote, &state).await) }
    });
    let result = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(e) = result {
        tracing::debug!(%remote, error = %e, "CUPS connection ended");
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
    state: &State,
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
    let body = Limited::new(req.into_body(), MAX_REQUEST_LEN).collect();
    let body = match tokio::time::timeout(BODY_READ_TIMEOUT, body).await {
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
    match update_info(&body, authorization.as_deref(), state) {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err((status, message)) => {
            tracing::info!(%remote, %status, %message, "CUPS request refused");
            text(status, message)
        }
    }
}

/// The whole decision, without HTTP: the response body, or a status and a reason.
fn update_info(
    body: &[u8],
    authorization: Option<&str>,
    state: &State,
) -> Result<Vec<u8>, (StatusCode, String)> {
    let request =
        UpdateInfoRequest::parse(body).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let eui = Eui64::from_u64(request.router);
    let record = state.registry.gateway_by_eui(eui).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!("gateway with EUI {eui} is not registered"),
        )
    })?;
    let credential = Credential::from_authorization_header(authorization.unwrap_or(""));
    for right in CUPS_RIGHTS {
        state
            .registry
            .authenticate(&record.ids.gateway_id, credential, right)
            .map_err(|e| {
                let status = match e {
                    AuthError::MissingRight { .. } => StatusCode::FORBIDDEN,
                    _ => StatusCode::UNAUTHORIZED,
                };
                (status, e.to_string())
            })?;
    }
    let target = state.targets.target(&record, &request).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!(
                "no CUPS configuration for gateway `{}`",
                record.ids.gateway_id
            ),
        )
    })?;
    let response = decide_update(&request, &target).map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("gateway `{}`: {e}", record.ids.gateway_id),
        )
    })?;
    response
        .to_bytes()
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}
