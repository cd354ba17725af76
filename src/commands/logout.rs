//! `aigate logout`: remove the profile's token from every place aigate put it, and say what
//! was left behind.

use crate::context::{Context, profile_flag};
use serde_json::json;

pub fn exec(ctx: &mut Context, args: &crate::cli::LogoutArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let name = ctx.profile_name().to_string();
    let mut removed: Vec<String> = vec![];
    if args.revoke {
        // First at Cloudflare: if that fails, nothing local has changed yet.
        let read = || {
            crate::tokens::admin::read(
                args.token_stdin,
                args.non_interactive,
                "Revoking the token aigate minted",
            )
        };
        match crate::tokens::revoke::revoke_minted(ctx, &profile, read)? {
            Some(line) => removed.push(line),
            None => ctx.ui.note(
                "--revoke: the stored token was not minted by aigate; delete it in the dashboard if you no longer need it",
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

    let ui = &ctx.ui;
    if removed.is_empty() {
        ui.note(&format!("No token was stored for profile '{name}'."));
    }
    for r in &removed {
        ui.ok(&format!("Removed {r}"));
    }
    for left in &removal.left {
        ui.warn(left);
    }
    ui.note("Left in place (no secrets):");
    ui.info(&format!(
        "{}: `model`/`small_model` point at cloudflare-ai-gateway; change them to use another provider",
        profile.opencode_config.display()
    ));
    if !profile.byok_providers.is_empty() {
        ui.info(&format!(
            "provider keys ({}) stay in gateway '{}'; delete them in the dashboard (AI Gateway › Provider Keys)",
            profile.byok_providers.join(", "),
            profile.gateway_id
        ));
    }
    ui.info(&format!(
        "the profile's settings, so `aigate{} setup` can sign in again",
        profile_flag(&name)
    ));
    if std::env::var_os("CLOUDFLARE_API_TOKEN").is_some() {
        ui.warn("CLOUDFLARE_API_TOKEN is still set in this shell; unset it too");
    }
    if ui.json_mode() {
        ui.json(&json!({"profile": name, "removed": removed, "left": removal.left}));
    }
    Ok(0)
}
