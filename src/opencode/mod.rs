//! OpenCode's config file and `auth.json`: where OpenCode reads them, what aigate sets in them,
//! and how it edits them without losing the user's comments, keys or other credentials.
//!
//! - [`paths`]: OpenCode's own XDG rule for its config and data directories.
//! - [`fragment`]: the keys aigate owns, rendered from `templates/opencode.json.j2`.
//! - [`merge`]: setting that fragment into an existing JSONC file (CST edit), removing keys
//!   that would leak the token (reference/opencode.md §3.5), and [`inspect`] for `status`.
//! - [`auth`]: our entry in `auth.json` (mode 0600), keeping every other entry.

pub mod auth;
pub mod fragment;
pub mod merge;
pub mod paths;
pub mod v2;
pub mod v2_config;

pub use auth::{AuthEntry, plan_auth_remove, plan_auth_upsert, read_auth_entry};
pub use fragment::{BillingMode, ConfigInputs, render_fragment, whitelist_for};
pub use merge::{ConfigError, ConfigStatus, MergeOutcome, inspect, merge, plan_config};
pub use paths::{Env, auth_json_path, global_config_path, project_config_path};

/// OpenCode's built-in provider for Cloudflare AI Gateway (both billing modes use it).
pub const PROVIDER_ID: &str = "cloudflare-ai-gateway";
