//! `ApiError`: one error type for every Cloudflare failure (v4 envelope, AI Gateway envelope,
//! provider bodies, HTML pages, transport errors), its classification ([`ErrorKind`]), the exit
//! code it maps to and the "how to fix it" hint.
//!
//! Messages keep Cloudflare's status, code and message verbatim. Nothing here ever sees a
//! request header, so the token cannot end up in an error.

use serde_json::Value;
use std::fmt;
use std::time::Duration;

use crate::exit::Kind;

/// Where to add a missing permission.
pub const TOKENS_PAGE: &str = "https://dash.cloudflare.com/profile/api-tokens";

/// A static description of a call: what it does (for messages) and the token permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// Human name used as "could not {name}", e.g. "create the gateway".
    pub name: &'static str,
    /// The API permission group name, e.g. "AI Gateway Write"; `None` when any valid token works.
    pub permission: Option<&'static str>,
    /// The call targets one gateway: a "not found" means the gateway is missing.
    pub gateway_scoped: bool,
}

/// The operations the client performs.
pub mod ops {
    use super::Operation;

    const fn op(name: &'static str, permission: Option<&'static str>, gw: bool) -> Operation {
        Operation {
            name,
            permission,
            gateway_scoped: gw,
        }
    }

    pub const VERIFY_TOKEN: Operation = op("verify the API token", None, false);
    pub const LIST_ACCOUNTS: Operation = op("list the accounts", None, false);
    pub const LIST_GATEWAYS: Operation = op("list the gateways", Some("AI Gateway Read"), false);
    pub const GET_GATEWAY: Operation = op("read the gateway", Some("AI Gateway Read"), true);
    pub const CREATE_GATEWAY: Operation = op("create the gateway", Some("AI Gateway Write"), false);
    pub const UPDATE_GATEWAY: Operation = op("update the gateway", Some("AI Gateway Write"), true);
    pub const LIST_PROVIDER_CONFIGS: Operation = op(
        "list the stored provider keys",
        Some("AI Gateway Read"),
        true,
    );
    pub const CREATE_PROVIDER_CONFIG: Operation =
        op("store the provider key", Some("Secrets Store Write"), true);
    pub const UPDATE_PROVIDER_CONFIG: Operation = op(
        "replace the stored provider key",
        Some("Secrets Store Write"),
        false,
    );
    pub const DELETE_PROVIDER_CONFIG: Operation = op(
        "delete the stored provider key",
        Some("Secrets Store Write"),
        false,
    );
    pub const CREDIT_BALANCE: Operation =
        op("read the credit balance", Some("AI Gateway Read"), false);
    pub const ACCOUNT_SPENDING_LIMIT: Operation = op(
        "read the account's spending limit",
        Some("AI Gateway Read"),
        false,
    );
    pub const LIST_LOGS: Operation = op("read the gateway logs", Some("AI Gateway Read"), true);
    pub const LIST_MODELS: Operation =
        op("list the gateway's models", Some("AI Gateway Run"), true);
    pub const CHAT: Operation = op("send the test prompt", Some("AI Gateway Run"), true);
    pub const LIST_ROUTES: Operation = op("list the dynamic routes", Some("AI Gateway Read"), true);
    pub const CREATE_ROUTE: Operation =
        op("create the dynamic route", Some("AI Gateway Write"), true);
    pub const DELETE_ROUTE: Operation =
        op("delete the dynamic route", Some("AI Gateway Write"), true);
    pub const CREATE_ROUTE_VERSION: Operation = op(
        "create a version of the dynamic route",
        Some("AI Gateway Write"),
        true,
    );
    pub const DEPLOY_ROUTE: Operation =
        op("deploy the dynamic route", Some("AI Gateway Write"), true);
    pub const ANALYTICS: Operation = op(
        "query the gateway analytics",
        Some("Account Analytics Read"),
        false,
    );
    pub const LOG_RESPONSE: Operation = op("read a logged response", Some("AI Gateway Read"), true);
}

/// What went wrong, in the terms the wizard acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidToken,
    ExpiredToken,
    DisabledToken,
    /// The token lacks this permission (API permission group name).
    MissingPermission(&'static str),
    GatewayMissing,
    OutOfCredits,
    ByokAliasMissing,
    Validation,
    NotFound,
    RateLimited,
    /// The gateway's own policy refused an inference: its spend limit (2045) or its rate
    /// limit (2003). Not an outage: retrying does not help until the window moves.
    GatewayLimit,
    Server,
    Unreachable,
    Other,
}

/// How a request failed before any HTTP status arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// No connection was made: the request certainly did not reach Cloudflare.
    Connect,
    /// The request or the response timed out.
    Timeout,
    /// The connection broke while sending or receiving (reset, closed early, bad framing).
    Broken,
}

/// A failed Cloudflare call. (Boxed so `Result<_, ApiError>` stays small.)
#[derive(Debug, Clone)]
pub struct ApiError(Box<Details>);

#[derive(Debug, Clone)]
struct Details {
    op: Operation,
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<i64>,
    /// Cloudflare's message verbatim (or a description of a transport failure / odd body).
    message: String,
    /// `path` of a 7001 validation error, joined with dots.
    path: Option<String>,
    /// Nested `error_chain` entries (code, message).
    chain: Vec<(Option<i64>, String)>,
    transport: Option<Transport>,
    /// For rate limits: how long Cloudflare asked us to wait.
    retry_after: Option<Duration>,
    /// Number of attempts made before giving up.
    attempts: u32,
    /// The body was an HTML page (a proxy, a wrong URL, or Cloudflare's edge), not an API reply.
    html: bool,
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn base(op: Operation, kind: ErrorKind, message: String) -> ApiError {
        ApiError(Box::new(Details {
            op,
            kind,
            status: None,
            code: None,
            message,
            path: None,
            chain: Vec::new(),
            transport: None,
            retry_after: None,
            attempts: 1,
            html: false,
        }))
    }

    /// An error built from an HTTP reply that was not a success.
    pub fn from_response(
        op: Operation,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> ApiError {
        let parsed = parse_body(content_type, body);
        let html = matches!(parsed, Body::Html);
        let (code, message, path, chain) = match parsed {
            Body::Json {
                code,
                message,
                path,
                chain,
            } => (code, message, path, chain),
            Body::Html => (
                None,
                format!("Cloudflare returned an HTML error page (status {status})"),
                None,
                Vec::new(),
            ),
            Body::Text(t) if t.is_empty() => (
                None,
                format!("empty reply (status {status})"),
                None,
                Vec::new(),
            ),
            Body::Text(t) => (None, t, None, Vec::new()),
        };
        let kind = classify(op, status, code, &chain);
        let mut e = ApiError::base(op, kind, message);
        e.0.status = Some(status);
        e.0.code = code;
        e.0.path = path;
        e.0.chain = chain;
        e.0.html = html;
        e
    }

    /// An error for a request that got no usable HTTP reply.
    pub fn transport(op: Operation, transport: Transport, detail: &str) -> ApiError {
        let what = match transport {
            Transport::Connect => "could not connect to Cloudflare",
            Transport::Timeout => "Cloudflare did not answer in time",
            Transport::Broken => "the connection to Cloudflare broke",
        };
        let message = if detail.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({detail})")
        };
        let mut e = ApiError::base(op, ErrorKind::Unreachable, message);
        e.0.transport = Some(transport);
        e
    }

    /// A 429 whose `Retry-After` is longer than the client is willing to wait.
    pub fn rate_limited(op: Operation, status: u16, wait: Duration) -> ApiError {
        let secs = wait.as_secs().max(1);
        let mut e = ApiError::base(
            op,
            ErrorKind::RateLimited,
            format!(
                "Cloudflare's API rate limit was reached; it asks to wait {secs} s before retrying"
            ),
        );
        e.0.status = Some(status);
        e.0.retry_after = Some(wait);
        e
    }

    /// A token that Cloudflare reports as not active.
    pub fn token_not_active(kind: ErrorKind, status_word: &str) -> ApiError {
        ApiError::base(
            ops::VERIFY_TOKEN,
            kind,
            format!("the API token is {status_word}"),
        )
    }

    /// A reply with a success status whose body could not be understood.
    pub fn unexpected(op: Operation, status: u16, what: &str) -> ApiError {
        let mut e = ApiError::base(op, ErrorKind::Other, format!("unexpected reply: {what}"));
        e.0.status = Some(status);
        e
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> ApiError {
        self.0.attempts = attempts;
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> ApiError {
        if self.0.retry_after.is_none() {
            self.0.retry_after = wait;
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn code(&self) -> Option<i64> {
        self.0.code
    }

    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// Cloudflare's message, verbatim.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn operation(&self) -> Operation {
        self.0.op
    }

    pub fn transport_kind(&self) -> Option<Transport> {
        self.0.transport
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// Whether the reply was an HTML page rather than an API answer.
    pub fn is_html(&self) -> bool {
        self.0.html
    }

    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// Whether a non-idempotent request may have been applied even though it failed: the
    /// connection broke or timed out after sending, or the server answered 5xx.
    pub fn is_uncertain(&self) -> bool {
        matches!(
            self.0.transport,
            Some(Transport::Timeout | Transport::Broken)
        ) || self.0.status.is_some_and(|s| s >= 500)
    }

    /// The exit code family of this error.
    pub fn exit_kind(&self) -> Kind {
        match self.0.kind {
            ErrorKind::InvalidToken
            | ErrorKind::ExpiredToken
            | ErrorKind::DisabledToken
            | ErrorKind::MissingPermission(_) => Kind::Auth,
            ErrorKind::Server | ErrorKind::Unreachable | ErrorKind::RateLimited => {
                Kind::Unreachable
            }
            ErrorKind::GatewayLimit => Kind::Limit,
            _ => Kind::Other,
        }
    }

    /// One line telling the user how to fix it, when we know.
    pub fn hint(&self) -> Option<String> {
        let create = "create an API token at https://dash.cloudflare.com/profile/api-tokens";
        match self.0.kind {
            ErrorKind::InvalidToken if self.0.code == Some(2009) => Some(format!(
                "the gateway is authenticated and rejected the token: it needs the \"AI Gateway Run\" \
                 permission (Account › AI Gateway › Run); add it at {TOKENS_PAGE}"
            )),
            ErrorKind::InvalidToken if self.0.code == Some(9109) => Some(format!(
                "the token is invalid or has no access to this account: check that the whole \
                 token was pasted and the account id is right, and that the token's Account \
                 Resources include this account ({TOKENS_PAGE})"
            )),
            ErrorKind::InvalidToken => Some(format!(
                "check that the whole token was pasted and that it has not been deleted or rolled; \
                 an account-owned token (cfat_…) also needs --account-id; or {create}"
            )),
            ErrorKind::ExpiredToken => {
                Some(format!("the token has expired: {create}, then run `aigate rotate`"))
            }
            ErrorKind::DisabledToken => Some(format!(
                "the token is disabled: re-enable it at {TOKENS_PAGE}, or create a new one and run `aigate rotate`"
            )),
            ErrorKind::MissingPermission(p) => Some(format!(
                "the token lacks the \"{p}\" permission, or has no access to this account: edit \
                 the token at {TOKENS_PAGE}, add {} and make sure its Account Resources include \
                 this account",
                dashboard_label(p)
            )),
            ErrorKind::GatewayMissing => Some(
                "the gateway does not exist in this account: create it in the dashboard \
                 (AI › AI Gateway), or run `aigate setup --gateway ID --create-gateway`"
                    .to_string(),
            ),
            ErrorKind::OutOfCredits => Some(
                "Unified Billing has no credits left: load credits in the dashboard \
                 (AI Gateway → Credits), or switch to BYOK with `aigate setup --billing byok`"
                    .to_string(),
            ),
            ErrorKind::ByokAliasMissing => Some(
                "the gateway has no stored key for this provider: add one with \
                 `aigate setup --billing byok --byok-key PROVIDER=ENV_VAR`, or use Unified Billing"
                    .to_string(),
            ),
            ErrorKind::GatewayLimit if self.0.code == Some(2003) => Some(
                "the gateway's own rate limit was reached: wait a minute, or raise the limit in the gateway settings"
                    .to_string(),
            ),
            ErrorKind::GatewayLimit => Some(
                "the gateway's spend limit was reached: see `aigate usage` and `aigate gateway`; \
                 raise it with `aigate gateway set --spend-limit AMOUNT/WINDOW` or remove it with \
                 `aigate gateway set --no-spend-limit`"
                    .to_string(),
            ),
            ErrorKind::RateLimited => Some(match self.0.retry_after {
                Some(d) => format!(
                    "wait {} s and run the command again (Cloudflare allows 1200 API requests per 5 minutes)",
                    d.as_secs().max(1)
                ),
                None => "wait a few minutes and run the command again (Cloudflare allows 1200 API requests per 5 minutes)".to_string(),
            }),
            ErrorKind::Server => Some(
                "Cloudflare is having trouble; try again in a few minutes (https://www.cloudflarestatus.com)"
                    .to_string(),
            ),
            ErrorKind::Unreachable => Some(
                "check the network connection and any HTTPS_PROXY / HTTP_PROXY settings, then try again"
                    .to_string(),
            ),
            ErrorKind::Other
                if self.0.op == ops::CHAT && self.0.status == Some(401) && self.0.code.is_none() =>
            {
                Some(
                    "the provider refused the request because no key reached it: Unified Billing and \
                     stored keys (BYOK) only work through an authenticated gateway (turn on \
                     Authentication in the gateway settings, or re-run `aigate setup`)"
                        .to_string(),
                )
            }
            ErrorKind::Other if self.0.code == Some(2041) => Some(
                "a spend limit rule of the gateway blocked the request: raise it in the gateway settings"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// The dashboard's wording for a permission group.
pub fn dashboard_label(permission: &str) -> String {
    match permission {
        "AI Gateway Read" => "Account › AI Gateway › Read".to_string(),
        "AI Gateway Write" => "Account › AI Gateway › Edit".to_string(),
        "AI Gateway Run" => "Account › AI Gateway › Run".to_string(),
        "Secrets Store Write" => "Account › Secrets Store › Edit".to_string(),
        other => format!("\"{other}\""),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not {}: ", self.0.op.name)?;
        match self.0.kind {
            ErrorKind::ExpiredToken | ErrorKind::DisabledToken => {
                return write!(f, "{}", self.0.message);
            }
            ErrorKind::Unreachable if self.0.transport.is_some() => {
                write!(f, "{}", self.0.message)?;
                if self.0.attempts > 1 {
                    write!(f, " after {} attempts", self.0.attempts)?;
                }
                return Ok(());
            }
            _ => {}
        }
        match self.0.code {
            Some(code) => write!(f, "Cloudflare error {code}: {}", self.0.message)?,
            None => write!(f, "{}", self.0.message)?,
        }
        if let Some(p) = &self.0.path {
            write!(f, " (at {p})")?;
        }
        for (code, msg) in &self.0.chain {
            match code {
                Some(c) => write!(f, "; caused by {c}: {msg}")?,
                None => write!(f, "; caused by: {msg}")?,
            }
        }
        if let Some(s) = self.0.status {
            write!(f, " (HTTP {s}")?;
            if self.0.attempts > 1 {
                write!(f, ", after {} attempts", self.0.attempts)?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

fn classify(
    op: Operation,
    status: u16,
    code: Option<i64>,
    chain: &[(Option<i64>, String)],
) -> ErrorKind {
    let missing_or_not_found = if op.gateway_scoped {
        ErrorKind::GatewayMissing
    } else {
        ErrorKind::NotFound
    };
    let perm = op.permission.unwrap_or("AI Gateway Read");
    let by_code = |c: i64| match c {
        1000 | 6003 | 6111 | 10000 | 2009 => Some(ErrorKind::InvalidToken),
        // On the token check itself (an account id was given) 9109 says nothing about a
        // permission: the token is unknown there, or does not reach that account.
        9109 if op.permission.is_none() => Some(ErrorKind::InvalidToken),
        9109 => Some(ErrorKind::MissingPermission(perm)),
        7002 => Some(missing_or_not_found),
        2001 => Some(ErrorKind::GatewayMissing),
        2021 => Some(ErrorKind::OutOfCredits),
        2040 => Some(ErrorKind::ByokAliasMissing),
        7001 => Some(ErrorKind::Validation),
        2003 | 2045 => Some(ErrorKind::GatewayLimit),
        2041 => Some(ErrorKind::Other),
        _ => None,
    };
    if let Some(k) = code.and_then(by_code) {
        return k;
    }
    // A generic outer code may wrap a meaningful inner one.
    if let Some(k) = chain.iter().filter_map(|(c, _)| c.and_then(by_code)).next() {
        return k;
    }
    match status {
        402 => ErrorKind::OutOfCredits,
        429 => ErrorKind::RateLimited,
        s if s >= 500 => ErrorKind::Server,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    }
}

enum Body {
    Json {
        code: Option<i64>,
        message: String,
        path: Option<String>,
        chain: Vec<(Option<i64>, String)>,
    },
    Html,
    Text(String),
}

fn parse_body(content_type: Option<&str>, body: &[u8]) -> Body {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let looks_html = content_type.is_some_and(|c| c.contains("text/html"))
        || trimmed.starts_with('<')
        || trimmed
            .get(..15)
            .is_some_and(|s| s.eq_ignore_ascii_case("<!doctype html>"));
    if let Ok(v) = serde_json::from_str::<Value>(trimmed)
        && let Some(b) = parse_json_error(&v)
    {
        return b;
    }
    if looks_html {
        return Body::Html;
    }
    Body::Text(truncate(trimmed, 200))
}

/// Finds the first error in any of the shapes Cloudflare and the upstream providers use:
/// v4 `errors[]`, gateway `error[]`, OpenAI/Anthropic `error{}`, or a bare `message`.
fn parse_json_error(v: &Value) -> Option<Body> {
    let first = match (v.get("errors"), v.get("error")) {
        (Some(Value::Array(a)), _) if !a.is_empty() => a.first().cloned(),
        (_, Some(Value::Array(a))) if !a.is_empty() => a.first().cloned(),
        (_, Some(o @ Value::Object(_))) => Some(o.clone()),
        (_, Some(Value::String(s))) => Some(serde_json::json!({ "message": s })),
        _ => v
            .get("message")
            .map(|m| serde_json::json!({ "message": m })),
    }?;
    let code = first.get("code").and_then(as_code);
    let message = match first.get("message") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => first
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown error")
            .to_string(),
    };
    let path = first.get("path").and_then(Value::as_array).map(|p| {
        p.iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(".")
    });
    let chain = first
        .get("error_chain")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    let c = e.get("code").and_then(as_code);
                    let m = e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    (c, m)
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Body::Json {
        code,
        message,
        path,
        chain,
    })
}

fn as_code(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(op: Operation, status: u16, body: &str) -> ApiError {
        ApiError::from_response(op, status, Some("application/json"), body.as_bytes())
    }

    #[test]
    fn invalid_token_1000_maps_to_auth_with_hint() {
        let e = err(
            ops::VERIFY_TOKEN,
            400,
            r#"{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}],"messages":[],"result":null}"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(e.code(), Some(1000));
        assert_eq!(e.status(), Some(400));
        assert_eq!(e.exit_kind(), Kind::Auth);
        let s = e.to_string();
        assert!(
            s.contains("1000") && s.contains("Invalid API Token") && s.contains("HTTP 400"),
            "{s}"
        );
        assert!(e.hint().unwrap().contains("--account-id"));
    }

    #[test]
    fn header_format_errors_are_invalid_token() {
        for (code, msg) in [
            (6003, "Invalid request headers"),
            (6111, "Invalid format for Authorization header"),
            (10000, "Authentication error"),
        ] {
            let body = format!(
                r#"{{"success":false,"errors":[{{"code":{code},"message":"{msg}"}}],"messages":[],"result":null}}"#
            );
            let e = err(ops::LIST_ACCOUNTS, 400, &body);
            assert_eq!(e.kind(), ErrorKind::InvalidToken, "{code}");
            assert_eq!(e.exit_kind(), Kind::Auth);
        }
    }

    #[test]
    fn error_chain_inner_code_is_used() {
        let e = err(
            ops::LIST_ACCOUNTS,
            400,
            r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"messages":[],"result":null}"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert!(
            e.to_string()
                .contains("6111: Invalid format for Authorization header")
        );
    }

    /// Issue 10, finding 8: an invalid token checked against an account id (Cloudflare answers
    /// 9109 there) was told it lacked "AI Gateway Read".
    #[test]
    fn code_9109_on_the_token_check_means_invalid_or_no_access_to_the_account() {
        let e = err(
            ops::VERIFY_TOKEN,
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}],"messages":[],"result":null}"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(e.exit_kind(), Kind::Auth);
        let h = e.hint().unwrap();
        assert!(
            h.contains("invalid or has no access to this account"),
            "{h}"
        );
        assert!(!h.contains("AI Gateway Read"), "{h}");
    }

    #[test]
    fn missing_permission_names_the_operation_permission() {
        let e = err(
            ops::CREATE_GATEWAY,
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}],"messages":[],"result":null}"#,
        );
        assert_eq!(e.kind(), ErrorKind::MissingPermission("AI Gateway Write"));
        assert_eq!(e.exit_kind(), Kind::Auth);
        let h = e.hint().unwrap();
        assert!(h.contains("\"AI Gateway Write\""), "{h}");
        assert!(h.contains("Account › AI Gateway › Edit"), "{h}");
        assert!(h.contains("dash.cloudflare.com/profile/api-tokens"), "{h}");

        let e = err(
            ops::CREATE_PROVIDER_CONFIG,
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized"}]}"#,
        );
        assert_eq!(
            e.kind(),
            ErrorKind::MissingPermission("Secrets Store Write")
        );
        assert!(e.hint().unwrap().contains("Secrets Store › Edit"));
    }

    #[test]
    fn gateway_envelope_codes() {
        let gw = |code: i64, http: u16, msg: &str| {
            let body = format!(
                r#"{{"success":false,"result":[],"messages":[],"error":[{{"code":{code},"message":"{msg}"}}],"name":"AiGatewayError","httpCode":{http},"internalCode":{code}}}"#
            );
            err(ops::CHAT, http, &body)
        };
        let e = gw(2009, 401, "Unauthorized");
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
        assert_eq!(e.exit_kind(), Kind::Auth);
        assert!(e.hint().unwrap().contains("AI Gateway Run"));

        let e = gw(
            2001,
            400,
            "Please configure AI Gateway in the Cloudflare dashboard",
        );
        assert_eq!(e.kind(), ErrorKind::GatewayMissing);
        assert!(e.hint().unwrap().contains("--create-gateway"));
        assert!(
            e.to_string()
                .contains("Please configure AI Gateway in the Cloudflare dashboard")
        );

        let e = gw(
            2021,
            402,
            "Insufficient wholesale credits. Please add credits.",
        );
        assert_eq!(e.kind(), ErrorKind::OutOfCredits);
        let h = e.hint().unwrap();
        assert!(h.contains("Credits") && h.contains("byok"), "{h}");

        let e = gw(
            2040,
            400,
            "Provider 'openai' has no BYOK credential named 'default'. Configured aliases: none",
        );
        assert_eq!(e.kind(), ErrorKind::ByokAliasMissing);
        assert!(e.hint().unwrap().contains("--byok-key"));

        let e = gw(2003, 429, "Rate limited");
        assert_eq!(e.kind(), ErrorKind::GatewayLimit);
        assert_eq!(e.exit_kind(), Kind::Limit);
        assert!(e.hint().unwrap().contains("gateway's own rate limit"));

        // A spend limit refusal is the gateway's policy, not an outage: exit 1, not 4.
        let e = gw(2045, 429, "Spend limit exceeded");
        assert_eq!(e.kind(), ErrorKind::GatewayLimit);
        assert_eq!((e.exit_kind(), e.exit_kind().code()), (Kind::Limit, 1));
        assert!(e.hint().unwrap().contains("--spend-limit"));
    }

    #[test]
    fn http_402_without_code_is_out_of_credits() {
        let e = err(
            ops::CHAT,
            402,
            r#"{"error":{"message":"payment required"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::OutOfCredits);
    }

    #[test]
    fn not_found_7002_depends_on_the_operation() {
        let body = r#"{"success":false,"errors":[{"code":7002,"message":"Not Found"}]}"#;
        assert_eq!(
            err(ops::UPDATE_GATEWAY, 404, body).kind(),
            ErrorKind::GatewayMissing
        );
        assert_eq!(
            err(ops::DELETE_PROVIDER_CONFIG, 404, body).kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn validation_keeps_message_and_path() {
        let e = err(
            ops::CREATE_GATEWAY,
            400,
            r#"{"success":false,"errors":[{"code":7001,"message":"Input Validation Error","path":["body","id"]}]}"#,
        );
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.exit_kind(), Kind::Other);
        let s = e.to_string();
        assert!(s.contains("could not create the gateway"), "{s}");
        assert!(
            s.contains("7001: Input Validation Error (at body.id)"),
            "{s}"
        );
    }

    #[test]
    fn html_pages_are_described_not_dumped() {
        let e = ApiError::from_response(
            ops::LIST_GATEWAYS,
            502,
            Some("text/html; charset=UTF-8"),
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>",
        );
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.exit_kind(), Kind::Unreachable);
        let s = e.to_string();
        assert!(
            s.contains("Cloudflare returned an HTML error page (status 502)"),
            "{s}"
        );
        assert!(!s.contains("<html"), "{s}");
    }

    #[test]
    fn rate_limit_says_how_long_to_wait() {
        let e = ApiError::rate_limited(ops::LIST_ACCOUNTS, 429, Duration::from_secs(300));
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.to_string().contains("300 s"));
        assert!(e.hint().unwrap().contains("300 s"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(300)));
    }

    #[test]
    fn transport_errors_are_unreachable_and_uncertainty_is_tracked() {
        let c = ApiError::transport(
            ops::CREATE_GATEWAY,
            Transport::Connect,
            "connection refused",
        );
        assert_eq!(c.kind(), ErrorKind::Unreachable);
        assert_eq!(c.exit_kind(), Kind::Unreachable);
        assert!(!c.is_uncertain());
        assert!(ApiError::transport(ops::CREATE_GATEWAY, Transport::Broken, "").is_uncertain());
        assert!(ApiError::transport(ops::CREATE_GATEWAY, Transport::Timeout, "").is_uncertain());
        assert!(err(ops::CREATE_GATEWAY, 503, "{}").is_uncertain());
        assert!(!err(ops::CREATE_GATEWAY, 400, "{}").is_uncertain());
    }

    #[test]
    fn provider_error_object_is_read() {
        let e = err(
            ops::CHAT,
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}"#,
        );
        assert!(e.to_string().contains("max_tokens: must be positive"));
        assert_eq!(e.kind(), ErrorKind::Other);
    }

    #[test]
    fn expired_and_disabled_tokens() {
        let e = ApiError::token_not_active(ErrorKind::ExpiredToken, "expired");
        assert_eq!(e.exit_kind(), Kind::Auth);
        assert_eq!(
            e.to_string(),
            "could not verify the API token: the API token is expired"
        );
        assert!(e.hint().unwrap().contains("aigate rotate"));
    }
}
