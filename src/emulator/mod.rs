//! A stateful emulator of the Cloudflare v4 API and the AI Gateway data plane.
//!
//! It serves on `127.0.0.1` with an ephemeral port and is used by the test suite and by
//! `aigate setup --sandbox`. Everything it does follows `shared/reference/cloudflare-api.md`;
//! every API body validates against the OpenAPI extract in `shared/contracts/`.
//!
//! Files:
//! - `mod.rs` (this file): the public API: [`Emulator`], its options and state setters.
//! - `server.rs`: the listener, request recording, faults, CONNECT.
//! - `state.rs`: accounts, tokens, gateways, provider configs, logs, credits.
//! - `envelope.rs`: v4 and gateway response envelopes, the reply type.
//! - `api_routes.rs`: `/client/v4/...` (the management API and the REST inference route).
//! - `gateway_routes.rs`: `/v1/{account}/{gateway}/...` (the gateway data plane).
//! - `billing.rs`: who pays for an inference request (request key, BYOK, Unified Billing).
//! - `inference.rs`: the reply text and the OpenAI / Anthropic JSON and SSE formats.
//! - `validate.rs`: request-body validation for gateway create/update.
//! - `faults.rs`: fault rules (statuses, HTML pages, resets, slow bodies, latency).
//! - `tls.rs`: the CA and leaf certificate for the HTTPS proxy mode.
//! - `sandbox.rs`: the fixed sandbox data.
//! - `control.rs`: control-plane state, the logs/routes dispatcher, history seeding.
//! - `dynamic.rs`: data-plane policies: `dynamic/<route>` walks, spend/rate refusals, cache,
//!   failing models.
//! - `logs.rs`: request records and the logs API (filters, `result_info`, detail, patch).
//! - `routes.rs`: dynamic routes API and the data-plane walk of a route's elements.
//! - `spend.rs`: the gateway's rate limit (2003) and spend limits (2045) on the data plane.
//! - `graphql.rs`: `POST /graphql`, the `aiGatewayRequestsAdaptiveGroups` analytics dataset.
//! - `tokens.rs`: API tokens (create, list, get, update, delete, roll) and permission groups.

mod api_routes;
mod billing;
mod billing_limit;
mod control;
mod dynamic;
mod envelope;
mod faults;
mod gateway_routes;
mod graphql;
mod inference;
mod logs;
mod routes;
pub mod sandbox;
mod secrets_store;
mod server;
mod spend;
mod state;
mod tls;
mod tokens;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use control::HistoryEntry;
pub use graphql::{Limits as AnalyticsLimits, nearest_rank};
pub use inference::reply_for;

/// How to start the emulator.
#[derive(Debug, Clone, Default)]
pub struct EmulatorOptions {
    /// Also accept `CONNECT gateway.ai.cloudflare.com:443` / `api.cloudflare.com:443` and serve
    /// the same routes over TLS with a generated CA (see [`Emulator::ca_cert_pem`]).
    pub tls_proxy: bool,
    pub seed: Seed,
}

/// The initial state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Seed {
    /// No accounts, tokens or gateways; the default model catalog.
    #[default]
    Empty,
    /// The data in [`sandbox`]: two accounts, one all-powerful token, two gateways, credits.
    Sandbox,
}

/// Who owns a token: which verify endpoint accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOwner {
    User,
    Account(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Disabled,
    Expired,
}

impl TokenStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Disabled => "disabled",
            TokenStatus::Expired => "expired",
        }
    }
}

/// The permission groups the emulator knows about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Permissions {
    pub ai_gateway_read: bool,
    pub ai_gateway_write: bool,
    pub ai_gateway_run: bool,
    pub secrets_store_write: bool,
    /// Account API Tokens Read (list and read the account's tokens).
    pub account_tokens_read: bool,
    /// Account API Tokens Write (create, roll, delete the account's tokens).
    pub account_tokens_write: bool,
    /// API Tokens Read (the user's tokens).
    pub user_tokens_read: bool,
    /// API Tokens Write (create, roll, delete the user's tokens).
    pub user_tokens_write: bool,
}

impl Permissions {
    pub fn all() -> Permissions {
        Permissions {
            ai_gateway_read: true,
            ai_gateway_write: true,
            ai_gateway_run: true,
            secrets_store_write: true,
            ..Permissions::none()
        }
    }

    /// [`Permissions::all`] plus the right to create and manage API tokens (account and user).
    pub fn admin() -> Permissions {
        Permissions {
            account_tokens_read: true,
            account_tokens_write: true,
            user_tokens_read: true,
            user_tokens_write: true,
            ..Permissions::all()
        }
    }

    /// Only what a daily token needs: AI Gateway Run and Read.
    pub fn run_read() -> Permissions {
        Permissions {
            ai_gateway_read: true,
            ai_gateway_run: true,
            ..Permissions::none()
        }
    }

    pub fn none() -> Permissions {
        Permissions::default()
    }
}

/// A token the emulator accepts.
#[derive(Clone)]
pub struct TokenSpec {
    pub value: String,
    pub owner: TokenOwner,
    pub status: TokenStatus,
    /// RFC 3339, reported by verify.
    pub expires_on: Option<String>,
    /// Account ids the token reaches.
    pub accounts: Vec<String>,
    pub permissions: Permissions,
}

impl TokenSpec {
    /// An active user token with every permission on the given accounts.
    pub fn user(value: &str, accounts: &[&str]) -> TokenSpec {
        TokenSpec {
            value: value.to_string(),
            owner: TokenOwner::User,
            status: TokenStatus::Active,
            expires_on: None,
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            permissions: Permissions::all(),
        }
    }

    /// An active account-owned token with every permission on its account.
    pub fn account(value: &str, account_id: &str) -> TokenSpec {
        TokenSpec {
            value: value.to_string(),
            owner: TokenOwner::Account(account_id.to_string()),
            status: TokenStatus::Active,
            expires_on: None,
            accounts: vec![account_id.to_string()],
            permissions: Permissions::all(),
        }
    }
}

impl fmt::Debug for TokenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSpec")
            .field("value", &"[REDACTED]")
            .field("owner", &self.owner)
            .field("status", &self.status)
            .field("expires_on", &self.expires_on)
            .field("accounts", &self.accounts)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// A token as the emulator holds it (no value).
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub id: String,
    pub name: String,
    pub owner: TokenOwner,
    pub accounts: Vec<String>,
    pub permissions: Permissions,
    pub expires_on: Option<String>,
    /// The permission-group names its permissions amount to.
    pub groups: Vec<String>,
}

/// A fault to inject before normal handling of matching requests.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// `None` matches every method.
    pub method: Option<String>,
    /// Substring of the request path (without the query); `""` matches everything.
    pub path_contains: String,
    pub fault: Fault,
    /// How many matching requests it applies to; 0 = every time.
    pub times: usize,
}

impl FaultRule {
    /// A rule applying `fault` to every request whose path contains `path_contains`.
    pub fn new(path_contains: &str, fault: Fault) -> FaultRule {
        FaultRule {
            method: None,
            path_contains: path_contains.to_string(),
            fault,
            times: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// A v4 JSON error envelope with this status (and `Retry-After` if given).
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// An HTML error page, as a CDN edge sends.
    Html { status: u16 },
    /// Close the connection without answering; the request's effect is not applied.
    Reset,
    /// Apply the request's effect, then close without answering (an uncertain create).
    ResetAfterApply,
    /// Answer normally but send the body in small chunks with this delay between them.
    SlowBody { chunk_delay: Duration },
    /// Wait, then answer normally.
    Latency(Duration),
}

/// One request as the emulator saw it. May contain secrets: for assertions only, never print
/// it (its `Debug` shows only the method, path and status).
#[derive(Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub host: Option<String>,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// 0 when the connection was reset without an answer.
    pub status: u16,
    pub via_tls: bool,
    pub at: Instant,
    /// Which TCP connection carried it (1 = the first the emulator accepted).
    pub connection: usize,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("status", &self.status)
            .field("via_tls", &self.via_tls)
            .finish_non_exhaustive()
    }
}

/// The running emulator. Dropping it stops the server and every open connection.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Bind `127.0.0.1:0` and start serving. Must be called inside a tokio runtime.
    pub async fn start(opts: EmulatorOptions) -> anyhow::Result<Emulator> {
        let tls = if opts.tls_proxy {
            Some(tls::TlsMaterial::generate()?)
        } else {
            None
        };
        let mut st = state::State::new();
        if opts.seed == Seed::Sandbox {
            sandbox::seed(&mut st);
        }
        let (shutdown, _) = tokio::sync::watch::channel(false);
        let shared = Arc::new(server::Shared {
            state: Mutex::new(st),
            tls,
            shutdown,
            connections: Default::default(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(Emulator { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/client/v4`
    pub fn api_url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn gateway_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT`, the CONNECT target in TLS proxy mode.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// PEM of the generated CA, when started with `tls_proxy`.
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.shared.tls.as_ref().map(|t| t.ca_pem.clone())
    }

    fn state(&self) -> MutexGuard<'_, state::State> {
        self.shared.lock()
    }

    pub fn add_account(&self, id: &str, name: &str) {
        self.state().add_account(id, name);
    }

    pub fn add_token(&self, spec: TokenSpec) {
        self.state().add_token(spec);
    }

    /// A gateway with logs on, no cache and no rate limit.
    pub fn add_gateway(&self, account_id: &str, gateway_id: &str, authentication: bool) {
        self.state()
            .add_gateway(account_id, gateway_id, authentication);
    }

    pub fn set_credits(&self, account_id: &str, balance: f64) {
        self.state().credits.insert(account_id.to_string(), balance);
    }

    /// Seed the account's Unified Billing spending limit as the dashboard sets it (the API's
    /// `POST` is deprecated and refused): `amount_cents` per `duration` (`daily`, `weekly`,
    /// `monthly`), `strategy` `fixed` or `sliding`; `None` turns it off.
    pub fn set_account_spending_limit(&self, account_id: &str, limit: Option<(u64, &str, &str)>) {
        let mut st = self.state();
        match limit {
            Some((amount_cents, duration, strategy)) => {
                st.account_limits.insert(
                    account_id.to_string(),
                    billing_limit::AccountLimit {
                        amount_cents,
                        duration: duration.to_string(),
                        strategy: strategy.to_string(),
                    },
                );
            }
            None => {
                st.account_limits.remove(account_id);
            }
        }
    }

    /// The current credit balance of an account (0 when never set).
    pub fn credits(&self, account_id: &str) -> f64 {
        self.state().balance(account_id)
    }

    /// Replace the gateway model catalog (`/compat/models`).
    pub fn set_models(&self, ids: Vec<String>) {
        self.state().models = ids;
    }

    /// The gateway object as the API returns it.
    pub fn gateway(&self, account_id: &str, gateway_id: &str) -> Option<serde_json::Value> {
        self.state().gateway(account_id, gateway_id).cloned()
    }

    pub fn gateway_ids(&self, account_id: &str) -> Vec<String> {
        self.state().gateway_ids(account_id)
    }

    /// Provider configs as the API returns them (no raw secret).
    pub fn provider_configs(&self, account_id: &str, gateway_id: &str) -> Vec<serde_json::Value> {
        self.state()
            .provider_configs(account_id, gateway_id)
            .iter()
            .map(|p| p.to_json())
            .collect()
    }

    /// The raw secret stored for the `default` alias of a provider (test assertions only).
    pub fn stored_provider_secret(
        &self,
        account_id: &str,
        gateway_id: &str,
        provider_slug: &str,
    ) -> Option<String> {
        self.state()
            .provider_configs(account_id, gateway_id)
            .iter()
            .find(|p| p.provider_slug == provider_slug && p.alias == "default")
            .and_then(|p| p.secret.clone())
    }

    /// Gateway logs (collected ones), newest first, as the API returns them.
    pub fn logs(&self, account_id: &str, gateway_id: &str) -> Vec<serde_json::Value> {
        let st = self.state();
        let recs = st.logs(account_id, gateway_id);
        recs.iter()
            .rev()
            .filter(|l| l.logged)
            .map(|l| l.to_json())
            .collect()
    }

    /// How many requests the gateway has a record of (collected into logs or not).
    pub fn request_records(&self, account_id: &str, gateway_id: &str) -> usize {
        self.state().logs(account_id, gateway_id).len()
    }

    /// Append past requests to the gateway's history (records kept in time order).
    pub fn seed_history(
        &self,
        account_id: &str,
        gateway_id: &str,
        entries: impl IntoIterator<Item = HistoryEntry>,
    ) {
        let mut st = self.state();
        let log = st.logs_mut(account_id, gateway_id);
        log.extend(entries.into_iter().map(HistoryEntry::into_rec));
        log.sort_by_key(|l| l.at);
    }

    /// Make the provider of `model` (catalog form, `openai/gpt-5`) answer `status` to every
    /// request, until [`Emulator::heal_model`].
    pub fn fail_model(&self, model: &str, status: u16) {
        self.state()
            .control
            .failing_models
            .insert(model.to_string(), status);
    }

    pub fn heal_model(&self, model: &str) {
        self.state().control.failing_models.remove(model);
    }

    /// The analytics dataset's settings (retention, window, page size, P95 availability).
    pub fn set_analytics_limits(&self, limits: AnalyticsLimits) {
        self.state().control.graphql = limits;
    }

    /// Set one field of a gateway object as stored (test setup: fields aigate never writes).
    pub fn set_gateway_field(
        &self,
        account_id: &str,
        gateway_id: &str,
        key: &str,
        value: serde_json::Value,
    ) {
        if let Some(gw) = self.state().gateway_mut(account_id, gateway_id) {
            gw[key] = value;
        }
    }

    /// Dynamic route names of a gateway.
    pub fn route_names(&self, account_id: &str, gateway_id: &str) -> Vec<String> {
        self.state()
            .control
            .routes
            .get(&(account_id.to_string(), gateway_id.to_string()))
            .map(|rs| rs.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default()
    }

    /// What the emulator knows of a token value: `None` when it is not (or no longer) valid.
    /// For test assertions only.
    pub fn token_grant(&self, value: &str) -> Option<TokenGrant> {
        let st = self.state();
        let rec = st.token(value)?;
        Some(TokenGrant {
            id: rec.id.clone(),
            name: rec.name.clone(),
            owner: rec.spec.owner.clone(),
            accounts: rec.spec.accounts.clone(),
            permissions: rec.spec.permissions,
            expires_on: rec.spec.expires_on.clone(),
            groups: tokens::group_names(&rec.spec.permissions)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
    }

    /// Every token's (id, name, owner), in creation order. For test assertions only.
    pub fn token_names(&self) -> Vec<(String, String, TokenOwner)> {
        self.state()
            .tokens
            .iter()
            .map(|t| (t.id.clone(), t.name.clone(), t.spec.owner.clone()))
            .collect()
    }

    pub fn inject(&self, rule: FaultRule) {
        self.state().faults.push(faults::Armed::new(rule));
    }

    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Delay every answer by `d` (a network round trip), or stop delaying with `None`.
    pub fn set_latency(&self, d: Option<Duration>) {
        self.state().latency = d;
    }

    /// How many TCP connections the emulator has accepted since it started.
    pub fn connections(&self) -> usize {
        self.shared
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        self.task.abort();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}
