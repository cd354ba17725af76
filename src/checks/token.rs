//! Checks about the token: where it comes from, whether its store answers, whether Cloudflare
//! accepts it, when it expires.

use super::Check;
use crate::cloudflare::{ApiError, ErrorKind, TokenInfo};
use chrono::{DateTime, Utc};

/// A token expiring sooner than this is a warning.
pub const EXPIRY_WARN_DAYS: i64 = 14;

/// What was learned about the token, gathered by `ops::status`.
pub struct TokenFacts {
    /// ` --profile NAME` (or empty) for fix commands.
    pub profile_flag: String,
    /// `CLOUDFLARE_API_TOKEN` is set (and so is the token used).
    pub env_override: bool,
    /// The store the profile records, for humans ("Secret Service (…)").
    pub store: String,
    /// Reading the store: `Ok(true)` holds a token, `Ok(false)` holds none, `Err` could not read.
    pub stored: Result<bool, String>,
    /// Cloudflare's answer about the token used; `None` when there was no token to verify.
    pub verify: Option<Result<TokenInfo, ApiError>>,
    pub now: DateTime<Utc>,
}

pub fn checks(f: &TokenFacts) -> Vec<Check> {
    let rotate = format!("aigate{} rotate", f.profile_flag);
    let mut out = vec![store(f, &rotate)];
    if f.env_override {
        out.push(Check::warn(
            "token.env_override",
            "CLOUDFLARE_API_TOKEN is set in this shell: it is used instead of the stored token",
            "unset CLOUDFLARE_API_TOKEN (or store it with `aigate rotate`)",
        ));
    }
    match &f.verify {
        None => out.push(Check::fail(
            "token.valid",
            "there is no token to check",
            rotate.clone(),
        )),
        Some(Ok(info)) => {
            out.push(Check::ok(
                "token.valid",
                "Cloudflare accepts the token (active)",
            ));
            out.push(expiry(info, f.now, &rotate));
        }
        Some(Err(e)) => out.push(rejected(e, &rotate, &f.profile_flag)),
    }
    out
}

fn store(f: &TokenFacts, rotate: &str) -> Check {
    match &f.stored {
        Ok(true) => Check::ok("token.store", format!("{} holds the token", f.store)),
        Ok(false) if f.env_override => Check::warn(
            "token.store",
            format!("{} holds no token for this profile", f.store),
            rotate.to_string(),
        ),
        Ok(false) => Check::fail(
            "token.store",
            format!("{} holds no token for this profile", f.store),
            rotate.to_string(),
        ),
        Err(e) => Check::fail(
            "token.store",
            format!("{} cannot be read: {e}", f.store),
            "unlock the keychain (or start its Secret Service), then run `aigate status` again",
        ),
    }
}

fn expiry(info: &TokenInfo, now: DateTime<Utc>, rotate: &str) -> Check {
    match info.expires_on {
        None => Check::ok("token.expiry", "the token does not expire"),
        Some(t) if (t - now).num_days() < EXPIRY_WARN_DAYS => Check::warn(
            "token.expiry",
            format!(
                "the token expires on {} (in {} days)",
                t.format("%Y-%m-%d"),
                (t - now).num_days()
            ),
            format!("create a new token and run `{rotate}`"),
        ),
        Some(t) => Check::ok(
            "token.expiry",
            format!("the token expires on {}", t.format("%Y-%m-%d")),
        ),
    }
}

/// A verify that failed: a token problem (fix: rotate) or Cloudflare out of reach (exit 4:
/// nothing is known about the token, try again).
fn rejected(e: &ApiError, rotate: &str, pf: &str) -> Check {
    match e.kind() {
        ErrorKind::Unreachable | ErrorKind::Server | ErrorKind::RateLimited => Check::fail(
            "token.valid",
            format!("Cloudflare unreachable, try again ({e})"),
            format!("aigate{pf} status"),
        )
        .with_exit_code(crate::exit::UNREACHABLE),
        _ => Check::fail(
            "token.valid",
            format!("the token does not work: {e}"),
            rotate.to_string(),
        ),
    }
}

/// The one-word `token_status` of `status --json`.
pub fn status_word(verify: &Option<Result<TokenInfo, ApiError>>) -> &'static str {
    let Some(v) = verify else { return "missing" };
    let Err(e) = v else { return "active" };
    match e.kind() {
        ErrorKind::InvalidToken => "invalid",
        ErrorKind::ExpiredToken => "expired",
        ErrorKind::DisabledToken => "disabled",
        ErrorKind::MissingPermission(_) => "missing-permission",
        ErrorKind::Unreachable | ErrorKind::Server | ErrorKind::RateLimited => "unverified",
        _ => "error",
    }
}
