//! `aigate logout`: remove the profile's token from every place aigate put it, and say what
//! was left behind.

use crate::context::{Context, profile_flag};
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
    /// What could not be removed, and how to remove it by hand.
    pub warnings: Vec<String>,
    /// `CLOUDFLARE_API_TOKEN` is still set in this shell.
    pub env_token_set: bool,
}

pub fn logout(ctx: &Context, args: &crate::cli::LogoutArgs) -> anyhow::Result<LogoutReport> {
    let profile = ctx.require_profile()?;
    let name = ctx.profile_name().to_string();
    let mut removed = vec![];
    let mut notes = vec![];
    if args.revoke {
        // First at Cloudflare: if that fails, nothing local has changed yet.
        let read = || {
            crate::tokens::admin::read(
                ctx,
                args.token_stdin,
                args.non_interactive,
                "Revoking the token aigate minted",
            )
        };
        match crate::tokens::revoke::revoke_minted(ctx, &profile, read)? {
            Some(line) => removed.push(line),
            None => notes.push(
                "--revoke: the stored token was not minted by aigate; delete it in the dashboard if you no longer need it"
                    .to_string(),
            ),
        }
    }
    let store = ctx.store_of(profile.token_store)?;
    if store.delete(&name)? {
        removed.push(format!("the token in {}", store.describe()));
    }
    // The client's copy: V1's auth.json entry; V2's credential behind its server.
    let client = crate::clients::opencode(
        &crate::clients::start_detection(ctx).wait(&ctx.rt),
        &crate::clients::run_parts(ctx),
    );
    let removal = client.remove_credential(&ctx.env, profile.auth_json.as_deref())?;
    removed.extend(removal.removed.iter().cloned());
    // Claude Code's and Codex's: only what aigate added.
    let at = crate::clients::launch::Where::of(ctx);
    removed.extend(crate::clients::launch::remove_agents(
        &profile, &at, &ctx.env,
    )?);
    notes.extend(removal.left.iter().cloned());
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
        warnings: notes,
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
        for w in &self.warnings {
            ui.warn(w);
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
