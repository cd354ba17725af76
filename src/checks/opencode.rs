//! Checks about OpenCode's files: the config aigate wrote (parses, provider enabled, model,
//! keys that would leak the token, drift from what aigate wrote) and `auth.json`.

use super::Check;
use crate::Secret;
use crate::domain::{Billing, TokenDelivery};
use crate::opencode::{AuthEntry, ConfigStatus, PROVIDER_ID};
use crate::state::Profile;
use std::path::PathBuf;

/// What was read from OpenCode's files, gathered by `ops::status`.
pub struct OpencodeFacts<'a> {
    pub profile: &'a Profile,
    /// ` --profile NAME` (or empty) for fix commands.
    pub profile_flag: String,
    pub config: ConfigStatus,
    /// `auth.json` and what it holds for the provider (`Err`: could not be read), when the
    /// profile delivers the token through it.
    pub auth: Option<(PathBuf, Result<Option<AuthEntry>, String>)>,
    /// The token in use, to compare with `auth.json`'s.
    pub token: Option<Secret>,
}

pub fn checks(f: &OpencodeFacts<'_>) -> Vec<Check> {
    let mut out = config_checks(f);
    if let Some(auth) = &f.auth {
        out.push(auth_check(f, auth));
    }
    out
}

fn config_checks(f: &OpencodeFacts<'_>) -> Vec<Check> {
    let c = &f.config;
    let path = c.path.display();
    let setup = format!("aigate{} setup", f.profile_flag);
    if !c.exists {
        return vec![Check::fail(
            "opencode.config",
            format!("{path} does not exist"),
            setup,
        )];
    }
    if let Some(e) = &c.error {
        return vec![Check::fail(
            "opencode.config",
            e.clone(),
            format!("correct {path} by hand (OpenCode cannot read it either), then run `{setup}`"),
        )];
    }
    let mut out = vec![Check::ok("opencode.config", format!("{path} parses"))];
    out.push(if c.provider_disabled {
        Check::fail(
            "opencode.config.provider",
            format!(
                "{PROVIDER_ID} is turned off in {path} (`disabled_providers` names it or \
                 `enabled_providers` leaves it out): OpenCode will not offer the gateway"
            ),
            setup.clone(),
        )
    } else {
        Check::ok(
            "opencode.config.provider",
            format!("{PROVIDER_ID} is enabled"),
        )
    });
    // With a fallback route, OpenCode calls the route (`dynamic/<name>`), not the model.
    let route = f.profile.route.as_ref();
    let expected = format!(
        "{PROVIDER_ID}/{}",
        route.map_or_else(|| f.profile.model.clone(), |r| r.call_as())
    );
    out.push(match &c.model {
        Some(m) if *m == expected => Check::ok(
            "opencode.config.model",
            match route {
                Some(r) => format!("model is {m} (fallback route: {})", r.models.join(" → ")),
                None => format!("model is {m}"),
            },
        ),
        Some(m) => Check::fail(
            "opencode.config.model",
            format!("model is {m}, not {expected}"),
            setup.clone(),
        ),
        None => Check::fail(
            "opencode.config.model",
            format!("{path} sets no model (expected {expected})"),
            setup.clone(),
        ),
    });
    out.push(if c.dangerous_keys.is_empty() {
        Check::ok(
            "opencode.config.leak",
            "no key that would leak the token or bypass the gateway",
        )
    } else {
        Check::fail(
            "opencode.config.leak",
            format!(
                "{path} sets {} (would leak the token or bypass the gateway)",
                c.dangerous_keys.join(", ")
            ),
            format!("{setup} (removes them, keeping a backup)"),
        )
    });
    out.push(drift(f, &setup));
    out
}

/// What aigate wrote besides `model`: `small_model`, and a BYOK whitelist (none with Unified
/// Billing). A difference is a warning: OpenCode still works, but not as set up.
fn drift(f: &OpencodeFacts<'_>, setup: &str) -> Check {
    let c = &f.config;
    let mut diffs = vec![];
    let small = format!("{PROVIDER_ID}/{}", f.profile.small_model);
    if c.small_model.as_deref() != Some(small.as_str()) {
        diffs.push(format!(
            "small_model is {}, not {small}",
            c.small_model.as_deref().unwrap_or("unset")
        ));
    }
    match (f.profile.billing, &c.whitelist) {
        (Billing::Byok, None) => {
            diffs.push("the BYOK model whitelist aigate wrote is gone".to_string())
        }
        (Billing::Unified, Some(_)) => diffs
            .push("a model whitelist limits the gateway although billing is Unified".to_string()),
        _ => {}
    }
    if diffs.is_empty() {
        Check::ok("opencode.config.drift", "matches what aigate wrote")
    } else {
        Check::warn(
            "opencode.config.drift",
            format!("differs from what aigate wrote: {}", diffs.join("; ")),
            setup.to_string(),
        )
    }
}

fn auth_check(
    f: &OpencodeFacts<'_>,
    (path, entry): &(PathBuf, Result<Option<AuthEntry>, String>),
) -> Check {
    let setup = format!("aigate{} setup", f.profile_flag);
    let p = path.display();
    match entry {
        Err(e) => Check::fail("opencode.auth", format!("{p} cannot be read: {e}"), setup),
        Ok(None) => Check::fail(
            "opencode.auth",
            format!("{p} holds no {PROVIDER_ID} key"),
            setup,
        ),
        Ok(Some(e)) => {
            let same_token = f.token.as_ref().is_some_and(|t| e.key.same_as(t));
            let same_ids = e.account_id.as_deref() == Some(f.profile.account_id.as_str())
                && e.gateway_id.as_deref() == Some(f.profile.gateway_id.as_str());
            match (same_token, same_ids) {
                (true, true) => Check::ok(
                    "opencode.auth",
                    format!("{p} holds this profile's token, account and gateway"),
                ),
                (false, _) => Check::fail(
                    "opencode.auth",
                    format!("{p} holds a different token than this profile's"),
                    setup,
                ),
                (true, false) => Check::fail(
                    "opencode.auth",
                    format!("{p} names another account or gateway"),
                    setup,
                ),
            }
        }
    }
}

/// How the profile delivers the token, for the report.
pub fn uses_auth_json(profile: &Profile) -> Option<PathBuf> {
    match profile.token_delivery {
        TokenDelivery::OpencodeAuth => profile.auth_json.clone(),
        TokenDelivery::Env => None,
    }
}
