//! The listener: accepts connections, records every request, applies faults, routes to the
//! API or the data plane, and (in TLS proxy mode) answers `CONNECT` and serves the same routes
//! over TLS inside the tunnel.

use super::envelope::{Reply, v4_error};
use super::state::State;
use super::tls::{self, TlsMaterial};
use super::{Fault, RecordedRequest, api_routes, faults, gateway_routes};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// What every connection shares: the state, the TLS material, the shutdown signal.
pub struct Shared {
    pub state: Mutex<State>,
    pub tls: Option<TlsMaterial>,
    pub shutdown: watch::Sender<bool>,
    /// TCP connections accepted so far (each one a TLS handshake against the real Cloudflare).
    pub connections: AtomicUsize,
}

impl Shared {
    /// The state, even if a panicking handler poisoned the lock.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request as the route handlers see it (body already read).
pub struct Ctx {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub started: Instant,
}

impl Ctx {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A decoded query parameter (the first occurrence).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a request arrived: plain HTTP, or inside a TLS tunnel opened for `host`.
#[derive(Clone)]
struct Conn {
    tls_host: Option<String>,
    /// Serial number of the TCP connection (1 = the first accepted).
    id: usize,
}

async fn wait_shutdown(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// The accept loop. Each connection runs until it closes or the emulator shuts down.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // e.g. out of file descriptors: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let shared = shared.clone();
        let id = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let stop = wait_shutdown(shared.shutdown.subscribe());
        tokio::spawn(async move {
            let conn = Conn { tls_host: None, id };
            let svc_shared = shared.clone();
            let service = service_fn(move |req| handle(svc_shared.clone(), req, conn.clone()));
            let serving = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::select! {
                _ = serving => {}
                _ = stop => {}
            }
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    conn: Conn,
) -> Result<Response<Body>, std::io::Error> {
    if req.method() == Method::CONNECT && conn.tls_host.is_none() {
        return Ok(connect(shared, req, conn.id));
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let ctx = Ctx {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body,
        started,
    };
    let host = conn.tls_host.clone().or_else(|| {
        ctx.header("host")
            .map(str::to_string)
            .or_else(|| parts.uri.host().map(str::to_string))
    });
    // Injected network latency: every answer waits as long as a round trip would take.
    let latency = shared.lock().latency;
    if let Some(d) = latency {
        tokio::time::sleep(d).await;
    }
    let fault = faults::take(&mut shared.lock().faults, &ctx.method, &ctx.path);
    let mut slow = None;
    let reply = match fault {
        None => Some(route(&shared, &ctx, &conn)),
        Some(Fault::Status {
            status,
            retry_after,
        }) => Some(faults::status_reply(status, retry_after)),
        Some(Fault::Html { status }) => Some(faults::html_reply(status)),
        Some(Fault::Reset) => None,
        Some(Fault::ResetAfterApply) => {
            route(&shared, &ctx, &conn);
            None
        }
        Some(Fault::SlowBody { chunk_delay }) => {
            slow = Some(chunk_delay);
            Some(route(&shared, &ctx, &conn))
        }
        Some(Fault::Latency(d)) => {
            tokio::time::sleep(d).await;
            Some(route(&shared, &ctx, &conn))
        }
    };
    let mut reply = reply;
    if let Some(r) = reply.as_mut()
        && ctx.path.starts_with("/client/v4")
        && !r.has_header("ratelimit")
    {
        api_routes::add_default_ratelimit(r);
    }
    let record = RecordedRequest {
        method: ctx.method.clone(),
        host,
        path: ctx.path.clone(),
        query: ctx.query.clone(),
        headers: ctx.headers.clone(),
        body: String::from_utf8_lossy(&ctx.body).into_owned(),
        status: reply.as_ref().map_or(0, |r| r.status),
        via_tls: conn.tls_host.is_some(),
        at: started,
        connection: conn.id,
    };
    shared.lock().requests.push(record);
    match reply {
        Some(r) => Ok(to_response(r, slow)),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "emulated connection reset",
        )),
    }
}

/// Dispatch on the path (and, inside a tunnel, on the host the tunnel was opened for).
fn route(shared: &Shared, ctx: &Ctx, conn: &Conn) -> Reply {
    let is_api = ctx.path == "/client/v4" || ctx.path.starts_with("/client/v4/");
    let is_gateway = ctx.path.starts_with("/v1/");
    let host_ok = match conn.tls_host.as_deref() {
        Some(tls::API_HOST) => is_api,
        Some(tls::GATEWAY_HOST) => is_gateway,
        _ => true,
    };
    if host_ok && is_api {
        api_routes::handle(shared, ctx)
    } else if host_ok && is_gateway {
        gateway_routes::handle(shared, ctx)
    } else {
        v4_error(404, 7003, "No route for the URI")
    }
}

fn to_response(reply: Reply, slow: Option<Duration>) -> Response<Body> {
    let mut builder = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = match slow {
        None => Full::new(reply.body_bytes()).boxed_unsync(),
        Some(delay) => {
            let chunks = slow_chunks(&reply);
            let stream =
                futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
                    let chunk = it.next()?;
                    tokio::time::sleep(delay).await;
                    Some((Ok::<_, Infallible>(Frame::data(chunk)), it))
                });
            StreamBody::new(stream).boxed_unsync()
        }
    };
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed_unsync()))
}

/// The pieces a slow body is sent in: the SSE events, or about eight slices of a plain body.
fn slow_chunks(reply: &Reply) -> Vec<Bytes> {
    if reply.chunks.len() > 1 {
        return reply.chunks.clone();
    }
    let all = reply.body_bytes();
    let size = (all.len() / 8).max(16);
    let mut out = Vec::new();
    let mut start = 0;
    while start < all.len() {
        let end = (start + size).min(all.len());
        out.push(all.slice(start..end));
        start = end;
    }
    out
}

/// `CONNECT host:443`: in TLS proxy mode, for the two Cloudflare hosts, answer 200 and serve
/// TLS inside the tunnel; refuse everything else with 403.
fn connect(shared: Arc<Shared>, req: Request<Incoming>, id: usize) -> Response<Body> {
    let authority = req
        .uri()
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let host = req.uri().host().unwrap_or("").to_ascii_lowercase();
    let port = req.uri().port_u16().unwrap_or(443);
    let allowed = shared.tls.is_some() && port == 443 && tls::HOSTS.contains(&host.as_str());
    let status = if allowed { 200 } else { 403 };
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    shared.lock().requests.push(RecordedRequest {
        method: "CONNECT".into(),
        host: Some(host.clone()),
        path: authority,
        query: None,
        headers,
        body: String::new(),
        status,
        via_tls: false,
        at: Instant::now(),
        connection: id,
    });
    if !allowed {
        let mut resp =
            Response::new(Full::new(Bytes::from_static(b"CONNECT refused")).boxed_unsync());
        *resp.status_mut() = http::StatusCode::FORBIDDEN;
        return resp;
    }
    let stop = wait_shutdown(shared.shutdown.subscribe());
    tokio::spawn(async move {
        tokio::select! {
            _ = tunnel(shared, req, host, id) => {}
            _ = stop => {}
        }
    });
    Response::new(Full::new(Bytes::new()).boxed_unsync())
}

async fn tunnel(shared: Arc<Shared>, req: Request<Incoming>, host: String, id: usize) {
    let Some(tls) = shared.tls.as_ref() else {
        return;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.server_config.clone());
    let Ok(upgraded) = hyper::upgrade::on(req).await else {
        return;
    };
    let Ok(stream) = acceptor.accept(TokioIo::new(upgraded)).await else {
        return;
    };
    let conn = Conn {
        tls_host: Some(host),
        id,
    };
    let svc_shared = shared.clone();
    let service = service_fn(move |req| handle(svc_shared.clone(), req, conn.clone()));
    // HTTP/2 where the client offers it (ALPN `h2`, as Cloudflare does), else HTTP/1.1.
    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(percent_decode("my%20gw+x"), "my gw x");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
