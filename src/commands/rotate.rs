//! `aigate rotate`: replace the stored token. The new token is verified first (active, reaches
//! the profile's account and gateway, may run inference); then every place the old one lived
//! is updated together. On any failure the old token stays everywhere.

use crate::cli::RotateArgs;
use crate::context::{Context, env_token, profile_flag, read_token_stdin};
use crate::domain::TokenDelivery;
use crate::exit::{Failure, Kind};
use crate::interrupt::{self, Critical};
use crate::{opencode, prompt};
use anyhow::Context as _;
use serde_json::json;

pub fn exec(ctx: &mut Context, args: &RotateArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let name = ctx.profile_name().to_string();
    // A token aigate minted is rolled (or replaced) with an admin token used once.
    if let Some(record) = crate::tokens::rotate::minted(&profile) {
        let admin = crate::tokens::admin::read(
            args.token_stdin,
            args.non_interactive,
            "Rotating the token aigate minted",
        )?;
        let report = crate::tokens::rotate::rotate_minted(ctx, &profile, record, admin)?;
        return Ok(crate::report::emit(&ctx.ui, &report));
    }
    let new = if args.token_stdin {
        read_token_stdin()?
    } else if let Some(t) = env_token() {
        t
    } else {
        let mut p = prompt::for_run(args.non_interactive);
        p.password(
            "Paste the new Cloudflare API token (input is hidden)",
            "--token-stdin",
        )?
    };

    crate::context::check_token_shape(&new, "the new token's source")?;
    let detector = crate::clients::start_detection(ctx);
    // 1. Verify the new token before touching anything.
    let keep = "the stored token was kept";
    let client = ctx.client(new.clone())?;
    let spinner = ctx.ui.spinner("Verifying the new token…");
    // One round: the token check and the two reads that prove it reaches the gateway.
    let (info, gateway, models) = ctx.rt.block_on(async {
        tokio::join!(
            client.verify_token(Some(&profile.account_id)),
            client.get_gateway(&profile.account_id, &profile.gateway_id),
            client.list_models(&profile.account_id, &profile.gateway_id)
        )
    });
    drop(spinner);
    let info = info.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token was not accepted; {keep}"))
    })?;
    let gateway = gateway.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token cannot read the gateway; {keep}"))
    })?;
    if gateway.is_none() {
        return Err(Failure::new(
            Kind::Auth,
            format!(
                "the new token does not reach gateway '{}' in account {}; {keep}",
                profile.gateway_id, profile.account_id
            ),
        )
        .with_hint(
            "give the token access to that account, or run `aigate setup` to pick another gateway",
        )
        .into());
    }
    let models = models.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token cannot use the gateway; {keep}"))
    })?;
    // Reading the gateway is not enough: OpenCode needs the token to run prompts (a token
    // without Run used to replace a working one). The model list proves it when the gateway
    // is authenticated; otherwise one minimal prompt does.
    let authenticated = gateway.as_ref().and_then(|g| g.authentication) == Some(true);
    if !crate::wizard::permissions::run_proven(authenticated, models.source) {
        crate::wizard::permissions::require_run(
            ctx,
            &client,
            &profile.account_id,
            &profile.gateway_id,
            &profile.model,
            "the new token",
            keep,
        )?;
    }
    ctx.ui.ok(&format!(
        "New token {} is valid{}",
        new.masked(),
        info.expires_on
            .map(|e| format!(" (expires {})", e.format("%Y-%m-%d")))
            .unwrap_or_default()
    ));

    // 2. Replace it everywhere, as one unit.
    let store = ctx.store_of(profile.token_store)?;
    let old = store.get(&name).context("cannot read the stored token")?;
    if old.as_ref().is_some_and(|o| o.same_as(&new)) {
        ctx.ui
            .ok("That token is already the stored one; nothing changed.");
        return Ok(0);
    }
    // The client's own copy (OpenCode V1: auth.json; V2: its server) is replaced too.
    let client = crate::clients::opencode(&detector.wait(&ctx.rt), &crate::clients::run_parts(ctx));
    let mut credential_api = false;
    let auth_change = match (&profile.token_delivery, &profile.auth_json) {
        (TokenDelivery::OpencodeAuth, Some(path)) => Some(opencode::plan_auth_upsert(
            path,
            &new,
            &profile.account_id,
            &profile.gateway_id,
        )?),
        (TokenDelivery::OpencodeAuth, None) => {
            match client.credential(&ctx.env, &new, &profile.account_id, &profile.gateway_id)? {
                Some(crate::clients::Credential::File(c)) => Some(c),
                Some(crate::clients::Credential::Api) => {
                    credential_api = true;
                    None
                }
                None => None,
            }
        }
        _ => None,
    };
    let _critical = Critical::enter();
    let store_in_client = || {
        client
            .store_credential(&new, &profile.account_id, &profile.gateway_id)
            .map_err(|e| {
                e.context(format!(
                    "could not replace the token in {}; {keep}, and OpenCode keeps its old one",
                    client.label()
                ))
            })
    };
    crate::commit::commit(&crate::commit::Unit {
        store: store.as_ref(),
        profile: &name,
        token: Some(&new),
        changes: auth_change.iter().collect(),
        last: credential_api.then_some(&store_in_client as &dyn Fn() -> anyhow::Result<()>),
    })
    .context("the token was not replaced")?;
    interrupt::saved(&format!("the new token was stored in {}", store.describe()));
    ctx.ui
        .ok(&format!("Token replaced in {}", store.describe()));
    if credential_api {
        ctx.ui.ok(&format!(
            "Token replaced in {} (verified through its local server)",
            client.label()
        ));
    }
    if let Some(c) = &auth_change {
        ctx.ui
            .ok(&format!("Token replaced in {}", c.path.display()));
    }
    ctx.ui.info(&format!(
        "You can now delete the old token in the dashboard. Check with `aigate{} status`.",
        profile_flag(&name)
    ));
    if ctx.ui.json_mode() {
        ctx.ui.json(&json!({"profile": name, "rotated": true, "token_store": profile.token_store, "auth_json": auth_change.map(|c| c.path), "opencode_credential": credential_api}));
    }
    Ok(0)
}
