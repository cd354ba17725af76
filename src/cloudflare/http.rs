//! The HTTP layer: the shared connection pool, endpoints, timeouts, the retry policy with
//! capped exponential backoff and full jitter, and the one function every management call goes
//! through ([`Client::api`]), which parses the v4 envelope.
//!
//! One `reqwest::Client` (rustls, proxies from the environment, `aigate/<version>` user agent)
//! is built per [`Client::new`] and shared by every clone and by [`Client::with_token`].

use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::error::{ApiError, Operation, Transport};
use crate::Secret;

/// Base URLs of the v4 API and of the AI Gateway data plane (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub api_url: String,
    pub gateway_url: String,
}

impl Endpoints {
    pub const CLOUDFLARE_API: &'static str = "https://api.cloudflare.com/client/v4";
    pub const CLOUDFLARE_GATEWAY: &'static str = "https://gateway.ai.cloudflare.com/v1";

    pub fn new(api_url: impl Into<String>, gateway_url: impl Into<String>) -> Endpoints {
        Endpoints {
            api_url: api_url.into(),
            gateway_url: gateway_url.into(),
        }
        .normalized()
    }

    /// Cloudflare's production endpoints.
    pub fn cloudflare() -> Endpoints {
        Endpoints::new(Self::CLOUDFLARE_API, Self::CLOUDFLARE_GATEWAY)
    }

    fn normalized(self) -> Endpoints {
        Endpoints {
            api_url: self.api_url.trim_end_matches('/').to_string(),
            gateway_url: self.gateway_url.trim_end_matches('/').to_string(),
        }
    }
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints::cloudflare()
    }
}

/// How idempotent requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (at least 1).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A 429 asking to wait longer than this is returned as an error instead of waited for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the backoff before retry number `retry` (1 = first retry):
    /// `min(max_delay, base_delay * 2^(retry-1))`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1).min(30))
            .unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Full jitter: a uniformly random delay in `[0, ceiling(retry)]`, with `unit` in `[0, 1)`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Timeouts of every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Whole-request limit of management API calls.
    pub api_total: Duration,
    /// Limit between two reads of a response body (data-plane streaming has no total limit).
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            api_total: Duration::from_secs(30),
            read: Duration::from_secs(60),
        }
    }
}

/// Receives one diagnostic line per HTTP attempt (method, path, status, time; never headers
/// or bodies).
pub type Logger = Arc<dyn Fn(&str) + Send + Sync>;

/// Connection settings that need a new pool when they change.
#[derive(Clone, Default)]
struct PoolSettings {
    timeouts: Timeouts,
    /// Extra trusted root certificates (the emulator's CA in TLS-proxy tests).
    extra_roots: Vec<reqwest::Certificate>,
    /// An explicit proxy for every request (otherwise the environment's proxies are used).
    proxy: Option<reqwest::Proxy>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pool: PoolSettings,
    pub endpoints: Endpoints,
    pub token: Secret,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    pub logger: Option<Logger>,
}

/// The Cloudflare client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.inner.endpoints)
            .field("token", &self.inner.token.masked())
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// The user agent sent with every request.
pub fn user_agent() -> String {
    format!("aigate/{}", env!("CARGO_PKG_VERSION"))
}

fn build_http(p: &PoolSettings) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .user_agent(user_agent())
        .connect_timeout(p.timeouts.connect)
        .read_timeout(p.timeouts.read)
        .pool_idle_timeout(Duration::from_secs(60));
    for c in &p.extra_roots {
        b = b.add_root_certificate(c.clone());
    }
    if let Some(proxy) = &p.proxy {
        b = b.proxy(proxy.clone());
    }
    Ok(b.build()?)
}

impl Client {
    pub fn new(endpoints: Endpoints, token: Secret) -> anyhow::Result<Client> {
        let pool = PoolSettings::default();
        let timeouts = pool.timeouts;
        Ok(Client {
            inner: Arc::new(Inner {
                http: build_http(&pool)?,
                pool,
                endpoints: endpoints.normalized(),
                token,
                retry: RetryPolicy::default(),
                timeouts,
                logger: None,
            }),
        })
    }

    fn rebuild(&self, f: impl FnOnce(&mut Inner)) -> Client {
        let i = &self.inner;
        let mut inner = Inner {
            http: i.http.clone(),
            pool: i.pool.clone(),
            endpoints: i.endpoints.clone(),
            token: i.token.clone(),
            retry: i.retry,
            timeouts: i.timeouts,
            logger: i.logger.clone(),
        };
        f(&mut inner);
        Client {
            inner: Arc::new(inner),
        }
    }

    /// The same connection pool and settings with another token (e.g. to check a new token
    /// before rotating).
    pub fn with_token(&self, token: Secret) -> Client {
        self.rebuild(|i| i.token = token)
    }

    pub fn with_retry_policy(self, p: RetryPolicy) -> Client {
        self.rebuild(|i| {
            i.retry = RetryPolicy {
                max_attempts: p.max_attempts.max(1),
                ..p
            }
        })
    }

    /// Replaces the timeouts (this builds a new connection pool, as reqwest fixes the connect
    /// and read timeouts per pool).
    pub fn with_timeouts(self, t: Timeouts) -> anyhow::Result<Client> {
        self.with_pool(|p| p.timeouts = t)
    }

    /// Also trusts this PEM root certificate (e.g. the emulator's CA). Builds a new pool.
    pub fn with_extra_root_ca(self, pem: &str) -> anyhow::Result<Client> {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes())?;
        self.with_pool(|p| p.extra_roots.push(cert))
    }

    /// Sends every request through this proxy instead of the environment's. Builds a new pool.
    pub fn with_proxy(self, url: &str) -> anyhow::Result<Client> {
        let proxy = reqwest::Proxy::all(url)?;
        self.with_pool(|p| p.proxy = Some(proxy))
    }

    fn with_pool(self, change: impl FnOnce(&mut PoolSettings)) -> anyhow::Result<Client> {
        let mut pool = self.inner.pool.clone();
        change(&mut pool);
        let http = build_http(&pool)?;
        Ok(self.rebuild(|i| {
            i.http = http;
            i.timeouts = pool.timeouts;
            i.pool = pool;
        }))
    }

    /// Sends one line per HTTP attempt to `logger` (for `--verbose`).
    pub fn with_logger(self, logger: Logger) -> Client {
        self.rebuild(|i| i.logger = Some(logger))
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    pub(crate) fn token(&self) -> &Secret {
        &self.inner.token
    }

    pub(crate) fn log(&self, line: &str) {
        if let Some(l) = &self.inner.logger {
            l(line);
        }
    }

    pub(crate) fn log_attempt(
        &self,
        method: &Method,
        path: &str,
        outcome: &str,
        started: Instant,
        attempt: u32,
    ) {
        if self.inner.logger.is_some() {
            let ms = started.elapsed().as_millis();
            self.log(&format!(
                "{method} {path} → {outcome} ({ms} ms, attempt {attempt})"
            ));
        }
    }

    pub(crate) async fn sleep_before_retry(&self, retry: u32) {
        tokio::time::sleep(self.inner.retry.backoff(retry, fastrand::f64())).await;
    }

    /// One v4 API call with retries for idempotent methods. `path` is relative to the API base
    /// (e.g. `/accounts`). Returns the envelope's `result` and `result_info`.
    pub(crate) async fn api<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        op: Operation,
    ) -> Result<Reply<T>, ApiError> {
        let idempotent = method != Method::POST;
        self.send_api(&method, path, query, body, op, idempotent)
            .await?
            .into_envelope(op)
    }

    /// Like [`Client::api`], but returns the whole JSON document: for endpoints whose
    /// envelope is not `result` (dynamic routes answer `data` or `route`; GraphQL `data` and
    /// `errors`; a logged response body is whatever was stored). A non-2xx status is an error;
    /// the body is not judged. `idempotent` allows retries.
    pub(crate) async fn api_document(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        op: Operation,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let raw = self
            .send_api(&method, path, query, body, op, idempotent)
            .await?;
        if !raw.status.is_success() {
            return Err(raw.into_error(op));
        }
        let status = raw.status.as_u16();
        serde_json::from_slice(&raw.body)
            .map_err(|_| ApiError::unexpected(op, status, "the body is not JSON"))
    }

    /// One v4 API request (bearer token, JSON accepted, optional query and JSON body), sent
    /// through [`Client::send_with_retry`].
    async fn send_api(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        op: Operation,
        idempotent: bool,
    ) -> Result<RawReply, ApiError> {
        let url = format!("{}{}", self.inner.endpoints.api_url, path);
        self.send_with_retry(op, method, idempotent, path, || {
            let mut rb = self
                .inner
                .http
                .request(method.clone(), &url)
                .timeout(self.inner.timeouts.api_total)
                .bearer_auth(self.token().expose())
                .header(header::ACCEPT, "application/json");
            if !query.is_empty() {
                rb = rb.query(query);
            }
            if let Some(b) = body {
                rb = rb.json(b);
            }
            rb
        })
        .await
    }

    /// Sends a request built by `build`, reading the whole body. Idempotent requests are
    /// retried on connect errors, timeouts, broken connections, 5xx and 429 (honouring
    /// `Retry-After`); others get exactly one attempt.
    pub(crate) async fn send_with_retry(
        &self,
        op: Operation,
        method: &Method,
        idempotent: bool,
        path: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<RawReply, ApiError> {
        let policy = self.inner.retry;
        let max = if idempotent {
            policy.max_attempts.max(1)
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = send_and_read(build()).await;
            match result {
                Ok(raw) => {
                    self.log_attempt(
                        method,
                        path,
                        &raw.status.as_u16().to_string(),
                        started,
                        attempt,
                    );
                    let status = raw.status;
                    let retryable =
                        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
                    if !retryable {
                        return Ok(raw);
                    }
                    let retry_after = raw.retry_after();
                    if status == StatusCode::TOO_MANY_REQUESTS
                        && let Some(wait) = retry_after
                        && wait > policy.max_retry_after
                    {
                        return Err(ApiError::rate_limited(op, status.as_u16(), wait)
                            .with_attempts(attempt));
                    }
                    if attempt >= max {
                        return Err(raw
                            .into_error(op)
                            .with_attempts(attempt)
                            .with_retry_after(retry_after));
                    }
                    match retry_after.filter(|_| status == StatusCode::TOO_MANY_REQUESTS) {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => self.sleep_before_retry(attempt).await,
                    }
                }
                Err((transport, detail)) => {
                    self.log_attempt(
                        method,
                        path,
                        &format!("{transport:?} error"),
                        started,
                        attempt,
                    );
                    if attempt >= max {
                        return Err(
                            ApiError::transport(op, transport, &detail).with_attempts(attempt)
                        );
                    }
                    self.sleep_before_retry(attempt).await;
                }
            }
        }
    }
}

/// A whole HTTP reply.
#[derive(Debug)]
pub(crate) struct RawReply {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: bytes::Bytes,
}

/// The useful parts of a v4 success envelope.
#[derive(Debug)]
pub(crate) struct Reply<T> {
    pub result: T,
    pub result_info: Option<ResultInfo>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub(crate) struct ResultInfo {
    #[serde(default)]
    pub per_page: Option<u64>,
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default)]
    pub total_pages: Option<u64>,
}

impl RawReply {
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` in seconds (the HTTP-date form is not used by Cloudflare's API).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }

    pub fn into_error(self, op: Operation) -> ApiError {
        ApiError::from_response(op, self.status.as_u16(), self.content_type(), &self.body)
            .with_retry_after(retry_after(&self.headers))
    }

    /// Parses the v4 envelope; a non-2xx status or `success: false` becomes an error.
    pub fn into_envelope<T: DeserializeOwned>(self, op: Operation) -> Result<Reply<T>, ApiError> {
        if !self.status.is_success() {
            return Err(self.into_error(op));
        }
        let status = self.status.as_u16();
        let v: Value = serde_json::from_slice(&self.body).map_err(|_| {
            if self.body.trim_ascii_start().starts_with(b"<") {
                ApiError::from_response(op, status, self.content_type(), &self.body)
            } else {
                ApiError::unexpected(op, status, "the body is not JSON")
            }
        })?;
        if v.get("success").and_then(Value::as_bool) == Some(false) {
            return Err(self.into_error(op));
        }
        let result_info = v
            .get("result_info")
            .filter(|r| r.is_object())
            .and_then(|r| serde_json::from_value(r.clone()).ok());
        let result = v.get("result").cloned().unwrap_or(Value::Null);
        let result = serde_json::from_value(result).map_err(|e| {
            ApiError::unexpected(
                op,
                status,
                &format!("the result has an unexpected shape ({e})"),
            )
        })?;
        Ok(Reply {
            result,
            result_info,
        })
    }
}

pub(crate) fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// Classifies a reqwest error; the detail is the innermost cause (never a header).
pub(crate) fn classify_transport(e: &reqwest::Error) -> (Transport, String) {
    let transport = if e.is_connect() {
        Transport::Connect
    } else if e.is_timeout() {
        Transport::Timeout
    } else {
        Transport::Broken
    };
    let mut detail = String::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        detail = c.to_string();
        cur = c.source();
    }
    (transport, detail)
}

async fn send_and_read(rb: reqwest::RequestBuilder) -> Result<RawReply, (Transport, String)> {
    let resp = rb.send().await.map_err(|e| classify_transport(&e))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| classify_transport(&e))?;
    Ok(RawReply {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_exponential_with_full_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.ceiling(1), Duration::from_millis(250));
        assert_eq!(p.ceiling(2), Duration::from_millis(500));
        assert_eq!(p.ceiling(3), Duration::from_secs(1));
        assert_eq!(p.ceiling(5), Duration::from_secs(4));
        assert_eq!(p.ceiling(60), Duration::from_secs(4), "no overflow, capped");
        for retry in 1..10 {
            for i in 0..50 {
                let d = p.backoff(retry, f64::from(i) / 50.0);
                assert!(d <= p.ceiling(retry), "{d:?}");
            }
            assert_eq!(p.backoff(retry, 0.0), Duration::ZERO);
        }
        assert!(p.backoff(3, 0.999) > Duration::from_millis(990));
    }

    #[test]
    fn endpoints_tolerate_a_trailing_slash() {
        let e = Endpoints::new("http://127.0.0.1:1/client/v4/", "http://127.0.0.1:1/v1/");
        assert_eq!(e.api_url, "http://127.0.0.1:1/client/v4");
        assert_eq!(e.gateway_url, "http://127.0.0.1:1/v1");
        let c = Client::new(
            Endpoints {
                api_url: "http://x/a/".into(),
                gateway_url: "http://x/g".into(),
            },
            Secret::new("t"),
        )
        .unwrap();
        assert_eq!(c.endpoints().api_url, "http://x/a");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = Client::new(
            Endpoints::cloudflare(),
            Secret::new("cfut_supersecretvalue0123456789abcdWXYZ"),
        )
        .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("supersecret"), "{d}");
        assert!(d.contains("cfut_****"), "{d}");
        let other = c.with_token(Secret::new("another-secret-token-value-1234"));
        assert!(!format!("{other:?}").contains("another-secret"));
    }

    #[test]
    fn retry_after_parses_seconds() {
        let mut h = header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn envelope_parsing() {
        let ok = RawReply {
            status: StatusCode::OK,
            headers: header::HeaderMap::new(),
            body: bytes::Bytes::from_static(
                br#"{"success":true,"errors":[],"messages":[],"result":[1,2],"result_info":{"page":1,"per_page":2,"count":2,"total_count":5}}"#,
            ),
        };
        let r: Reply<Vec<u32>> = ok
            .into_envelope(super::super::error::ops::LIST_ACCOUNTS)
            .unwrap();
        assert_eq!(r.result, vec![1, 2]);
        assert_eq!(r.result_info.unwrap().total_count, Some(5));

        let failed = RawReply {
            status: StatusCode::OK,
            headers: header::HeaderMap::new(),
            body: bytes::Bytes::from_static(
                br#"{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}]}"#,
            ),
        };
        let e = failed
            .into_envelope::<Value>(super::super::error::ops::VERIFY_TOKEN)
            .unwrap_err();
        assert_eq!(e.code(), Some(1000));
    }
}
