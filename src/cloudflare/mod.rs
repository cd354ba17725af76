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
//! - `gateway_settings.rs`: the gateway object kept raw for a PUT that changes only what was asked.
//! - `routes.rs`: dynamic routes (route, version, deployment) and the fallback element graph.
//! - `analytics.rs`: the GraphQL analytics query (built with `graphql-parser`).
//! - `tokens.rs`: API tokens: permission groups by name, create (no blind retry), list, roll, delete.

pub mod analytics;
mod api;
mod dataplane;
mod error;
pub mod gateway_settings;
mod http;
pub mod logs_query;
mod models_curated;
pub mod routes;
mod run_check;
pub mod sse;
mod tokens;
mod types;

pub use dataplane::{Route, WireFormat, route_for};
pub use error::{ApiError, ErrorKind, Operation, TOKENS_PAGE, Transport, dashboard_label, ops};
pub use http::{Client, Endpoints, Logger, RetryPolicy, Timeouts, user_agent};
pub use models_curated::{CATALOG_URL, CURATED, curated_models};
pub use run_check::RunCheck;
pub use tokens::{
    ApiToken, CreatedToken, DAILY_GROUPS, KNOWN_GROUP_IDS, NewToken, PermissionGroup, Policy,
    TokenScope,
};
pub use types::{
    Account, AccountSpendingConfig, AccountSpendingLimit, ChatOutcome, ChatRequest, CreditBalance,
    Gateway, LogEntry, Model, ModelList, ModelSource, NewGateway, PaymentMethod, ProviderConfig,
    TokenInfo, TokenOwner, TokenStatus, is_valid_gateway_id,
};
