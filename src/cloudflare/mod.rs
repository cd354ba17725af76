//! The typed Cloudflare client: the v4 management API (tokens, accounts, gateways, BYOK
//! provider configs, credits, logs) and the AI Gateway data plane (models, one chat request
//! routed exactly as OpenCode routes it).
//!
//! Files:
//! - `http.rs`: connection pool, endpoints, timeouts, retry policy, the envelope-parsing call.
//! - `error.rs`: [`ApiError`] and [`ErrorKind`] with exit codes and hints.
//! - `types.rs`: request and response objects.
//! - `api.rs`: management calls (no blind retries of creates).
//! - `dataplane.rs`: [`route_for`], model listing, chat.
//! - `sse.rs`: the Server-Sent Events parser.
//! - `run_check.rs`: may the token run inference through the gateway (AI Gateway Run)?
//! - `models_curated.rs`: the fallback model list.

mod api;
mod dataplane;
mod error;
mod http;
mod models_curated;
mod run_check;
pub mod sse;
mod types;

pub use dataplane::{Route, WireFormat, route_for};
pub use error::{ApiError, ErrorKind, Operation, TOKENS_PAGE, Transport, dashboard_label, ops};
pub use http::{Client, Endpoints, Logger, RetryPolicy, Timeouts, user_agent};
pub use models_curated::{CATALOG_URL, CURATED, curated_models};
pub use run_check::RunCheck;
pub use types::{
    Account, ChatOutcome, ChatRequest, CreditBalance, Gateway, LogEntry, Model, ModelList,
    ModelSource, NewGateway, PaymentMethod, ProviderConfig, TokenInfo, TokenOwner, TokenStatus,
    is_valid_gateway_id,
};
