//! `aigate logout`: remove the profile's token from every place aigate put it, and say what
//! was left behind.

use crate::context::{Context, profile_flag};
use crate::files::Transaction;
use crate::opencode;
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct LogoutReport {
    pub profile: String,
    /// Each place a token was removed from, in words.
    pub removed: Vec<String>,
    /// What stays (no secrets), with how to remove it.
    pub left: Vec<String>,
    /// `CLOUDFLARE_API_TOKEN` is still set in this shell.
    pub env_token_set: bool,
}

pub fn logout(ctx: &Context) -> anyhow::Result<LogoutReport> {
    let profile = ctx.require_profile()?;
    let name = ctx.profile_name().to_string();
    let mut removed = vec![];
    let store = ctx.store_of(profile.token_store)?;
    if store.delete(&name)? {
        removed.push(format!("the token in {}", store.describe()));
    }
    let auth_path = profile
        .auth_json
        .clone()
        .unwrap_or_else(|| opencode::auth_json_path(&ctx.env));
    if let Some(change) = opencode::plan_auth_remove(&auth_path)? {
        let mut txn = Transaction::new();
        txn.apply(&change)?;
        txn.commit();
        removed.push(format!(
            "the cloudflare-ai-gateway entry in {}",
            auth_path.display()
        ));
    }
    let mut left = vec![format!(
        "{}: `model`/`small_model` point at cloudflare-ai-gateway; change them to use another provider",
        profile.opencode_config.display()
    )];
    if !profile.byok_providers.is_empty() {
        left.push(format!(
            "provider keys ({}) stay in gateway '{}'; delete them in the dashboard (AI Gateway › Provider Keys)",
            profile.byok_providers.join(", "),
            profile.gateway_id
        ));
    }
    left.push(format!(
        "the profile's settings, so `aigate{} setup` can sign in again",
        profile_flag(&name)
    ));
    Ok(LogoutReport {
        profile: name,
        removed,
        left,
        env_token_set: ctx.env_token().is_some(),
    })
}

impl Report for LogoutReport {
    fn render(&self, ui: &Ui) {
        if self.removed.is_empty() {
            ui.note(&format!(
                "No token was stored for profile '{}'.",
                self.profile
            ));
        }
        for r in &self.removed {
            ui.ok(&format!("Removed {r}"));
        }
        ui.note("Left in place (no secrets):");
        for l in &self.left {
            ui.info(l);
        }
        if self.env_token_set {
            ui.warn("CLOUDFLARE_API_TOKEN is still set in this shell; unset it too");
        }
    }
}
