//! Least privilege: the tokens aigate mints.
//!
//! - `mint.rs`: mint a token with only AI Gateway Run and Read (account-owned, else user),
//!   permission groups resolved by name; token names (`aigate <profile> <host> <date>`).
//! - `daily.rs`: setup's daily token (`--token-scope`, `--token-expires`): keep, mint, or
//!   store the given token with a note.
//! - `rotate.rs`, `revoke.rs`: `rotate` rolls (or replaces) a minted token; `logout --revoke`
//!   deletes it at Cloudflare. `admin.rs`: the admin token they need once (stdin or prompt).
//! - `duration.rs`: `90d`-style lifetimes.

pub mod admin;
pub mod daily;
pub mod describe;
pub mod mint;
pub mod revoke;
pub mod rotate;

pub use daily::{Daily, DailyInput, DailyRequest, TokenScopeArg};
