//! Carry out a [`Plan`]. Remote changes first (create the gateway, store provider keys), so a
//! refusal from Cloudflare leaves the disk untouched; then the local changes as one unit:
//! the keychain and every file, rolled back together on any error or Ctrl-C.

use super::plan::{BillingPlan, GatewayAction, Plan};
use crate::cloudflare::{Client, NewGateway};
use crate::context::Context;
use crate::files::Transaction;
use crate::interrupt::{self, Critical};

pub struct Applied {
    pub backups: Vec<std::path::PathBuf>,
    pub files_written: Vec<std::path::PathBuf>,
}

pub fn apply(ctx: &Context, client: &Client, plan: &mut Plan) -> anyhow::Result<Applied> {
    remote(ctx, client, plan)?;
    // Which token is stored: a minted Run + Read token, or the given one (crate::tokens).
    let daily = super::daily::choose(ctx, client, plan)?;
    match local(ctx, plan) {
        Ok(applied) => {
            crate::tokens::daily::settle(ctx, client, &daily);
            Ok(applied)
        }
        Err(e) => {
            crate::tokens::daily::discard(ctx, client, &daily);
            Err(e)
        }
    }
}

fn remote(ctx: &Context, client: &Client, plan: &Plan) -> anyhow::Result<()> {
    let account = &plan.account.id;
    match &plan.gateway {
        GatewayAction::Use(_) => {}
        GatewayAction::Create => {
            let spinner = ctx
                .ui
                .spinner(&format!("Creating gateway '{}'…", plan.gateway_id));
            let created = ctx.rt.block_on(
                client.create_gateway(account, &NewGateway::recommended(&plan.gateway_id)),
            );
            drop(spinner);
            created?;
            ctx.ui.ok(&format!(
                "Created gateway '{}' (authentication on, logs on)",
                plan.gateway_id
            ));
        }
        GatewayAction::EnableAuthentication(g) => {
            let mut g = g.clone();
            g.authentication = Some(true);
            ctx.rt
                .block_on(client.update_gateway(account, &plan.gateway_id, &g))?;
            ctx.ui.ok(&format!(
                "Turned authentication on for '{}'",
                plan.gateway_id
            ));
        }
    }
    if let BillingPlan::Byok { keys, .. } = &plan.billing {
        // Each provider's key is independent of the others: store them concurrently.
        let results = ctx
            .rt
            .block_on(futures_util::future::join_all(keys.iter().map(
                |k| async move {
                    let r = match &k.existing_id {
                        Some(id) => {
                            client
                                .update_provider_config(account, &plan.gateway_id, id, &k.secret)
                                .await
                        }
                        None => {
                            client
                                .create_provider_config(
                                    account,
                                    &plan.gateway_id,
                                    &k.provider,
                                    "default",
                                    &k.secret,
                                )
                                .await
                        }
                    };
                    (k, r)
                },
            )));
        for (k, r) in results {
            let cfg = r?;
            ctx.ui.ok(&format!(
                "Stored the {} key in the gateway (Cloudflare shows it as {})",
                k.provider,
                cfg.secret_preview.as_deref().unwrap_or("a masked preview")
            ));
        }
    }
    Ok(())
}

fn local(ctx: &Context, plan: &Plan) -> anyhow::Result<Applied> {
    let _critical = Critical::enter();
    interrupt::checkpoint()?;
    let profile = &plan.profile;

    // The keychain first, remembering what it held so it can be put back.
    let previous_token = if plan.token_already_stored {
        None
    } else {
        let old = plan.store.get(profile).ok().flatten();
        plan.store.set(profile, &plan.token)?;
        Some(old)
    };
    let restore_token = || {
        if let Some(old) = &previous_token {
            let _ = match old {
                Some(t) => plan.store.set(profile, t),
                None => plan.store.delete(profile).map(|_| ()),
            };
        }
    };

    let mut txn = Transaction::new();
    let changes = [
        Some(&plan.config_change),
        plan.auth_change.as_ref(),
        Some(&plan.state_change),
    ];
    let mut written = vec![];
    for change in changes.into_iter().flatten() {
        let step = interrupt::checkpoint().and_then(|_| txn.apply(change));
        if let Err(e) = step {
            let rolled = txn.rollback();
            restore_token();
            if let Err(r) = rolled {
                ctx.ui.error(&format!("could not undo every change: {r:#}"));
            }
            return Err(e);
        }
        if !change.is_noop() {
            written.push(change.path.clone());
        }
    }
    // OpenCode 2 keeps its own copy behind its server API: stored last, so a refusal undoes
    // the files and the keychain (and V2 keeps whatever it held before).
    let stored_in_client = plan.credential_api
        && interrupt::checkpoint().is_ok()
        && match plan
            .client
            .store_credential(&plan.token, &plan.account.id, &plan.gateway_id)
        {
            Ok(()) => true,
            Err(e) => {
                let _ = txn.rollback();
                restore_token();
                return Err(e.context(format!(
                    "could not store the token in {}; nothing was changed",
                    plan.client.label()
                )));
            }
        };
    if let Err(e) = interrupt::checkpoint() {
        let _ = txn.rollback();
        restore_token();
        return Err(e);
    }
    let backups = txn.commit();
    if stored_in_client {
        ctx.ui.ok(&format!(
            "Token stored in {} (its credential store, through its local server)",
            plan.client.label()
        ));
    }
    if previous_token.is_some() {
        ctx.ui
            .ok(&format!("Token stored in {}", plan.store.describe()));
    } else {
        ctx.ui
            .ok(&format!("Token already in {}", plan.store.describe()));
    }
    for change in [Some(&plan.config_change), plan.auth_change.as_ref()]
        .into_iter()
        .flatten()
    {
        let verb = match change.describe().as_str() {
            "create" => "Created",
            "update" => "Updated",
            "delete" => "Removed our entry from",
            _ => "Already up to date:",
        };
        ctx.ui.ok(&format!("{verb} {}", change.path.display()));
    }
    for b in &backups {
        ctx.ui
            .info(&format!("backup of the previous file: {}", b.display()));
    }
    Ok(Applied {
        backups,
        files_written: written,
    })
}
