//! Carry out a [`Plan`]. Remote changes first (create the gateway, store provider keys), so a
//! refusal from Cloudflare leaves the disk untouched; then the local changes as one
//! [`commit`] unit: the keychain and every file, rolled back together on any error or Ctrl-C.

use super::plan::{BillingPlan, GatewayAction, Plan};
use crate::cloudflare::{Client, NewGateway};
use crate::commit;
use crate::context::Context;
use crate::interrupt::{self, Critical};

pub struct Applied {
    pub backups: Vec<std::path::PathBuf>,
    pub files_written: Vec<std::path::PathBuf>,
}

pub fn apply(ctx: &Context, client: &Client, plan: &mut Plan) -> anyhow::Result<Applied> {
    // Which token is stored (a minted Run + Read token, or the given one: crate::tokens) is
    // decided beside the remote changes: the mint is a write that waits only for the token's
    // verification and its permission groups (both answered in the first round), not for the
    // gateway or the provider keys. A failure of either side discards a token minted here.
    let writes_remotely = !matches!(plan.gateway, GatewayAction::Use(_))
        || matches!(plan.billing, BillingPlan::Byok { .. })
        || !plan.policies.is_empty();
    let (remote_done, decided) = std::thread::scope(|s| {
        let shared: &Plan = plan;
        let deciding = s.spawn(|| super::daily::decide(ctx, client, shared, !writes_remotely));
        let done = remote(ctx, client, shared);
        let decided = deciding
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (done, decided)
    });
    let daily = decided?;
    let fail = |e: anyhow::Error| {
        crate::tokens::daily::discard(ctx, client, &daily);
        Err(e)
    };
    if let Err(e) = remote_done {
        return fail(e);
    }
    // Every permission the setup needs is proven before the machine is changed. Run: a minted
    // token's create reply granted it; else an authenticated gateway listed its models to this
    // token (an authorised call), or else one minimal prompt now that `remote` has made sure
    // the gateway exists with authentication on.
    if !daily.minted()
        && !super::permissions::run_proven(gateway_authenticated(plan), plan.models.source)
        && let Err(e) = super::permissions::require_run(
            ctx,
            client,
            &plan.account.id,
            &plan.gateway_id,
            &plan.model,
            "the token",
            "nothing was stored or written on this machine",
        )
    {
        return fail(e);
    }
    if let Err(e) = super::daily::adopt(ctx, plan, &daily) {
        return fail(e);
    }
    match local(ctx, plan) {
        Ok(applied) => {
            crate::tokens::daily::settle(ctx, client, &daily);
            Ok(applied)
        }
        Err(e) => fail(e),
    }
}

/// The gateway was already authenticated when the plan read it.
fn gateway_authenticated(plan: &Plan) -> bool {
    matches!(&plan.gateway, GatewayAction::Use(g) if g.authentication == Some(true))
}

fn remote(ctx: &Context, client: &Client, plan: &Plan) -> anyhow::Result<()> {
    let account = &plan.account.id;
    // The gateway object as this run last read or wrote it: the spend limit's PUT starts there.
    let base = match &plan.gateway {
        GatewayAction::Use(g) => Some(g.clone()),
        GatewayAction::Create => {
            let spinner = ctx
                .ui
                .spinner(&format!("Creating gateway '{}'…", plan.gateway_id));
            let created = ctx.rt.block_on(
                client.create_gateway(account, &NewGateway::recommended(&plan.gateway_id)),
            );
            drop(spinner);
            match created {
                Ok(g) => {
                    ctx.ui.ok(&format!(
                        "Created gateway '{}' (authentication on, logs on)",
                        plan.gateway_id
                    ));
                    Some(g)
                }
                Err(e) if e.code() == Some(7001) => {
                    lost_create_race(ctx, client, plan, e)?;
                    None
                }
                Err(e) => return Err(e.into()),
            }
        }
        // With a spend limit to set too, authentication rides in the spend limit's one PUT
        // (policies::apply), which starts from the object read in the first round.
        GatewayAction::EnableAuthentication(g) if plan.policies.writes_spend_limit() => {
            Some(g.clone())
        }
        GatewayAction::EnableAuthentication(g) => {
            let updated = ctx.rt.block_on(super::policies::authentication_on(
                client,
                account,
                &plan.gateway_id,
                g,
            ))?;
            ctx.ui.ok(&format!(
                "Turned authentication on for '{}'",
                plan.gateway_id
            ));
            Some(updated)
        }
    };
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
    // The spend limit and the fallback route (`wizard::policies`), once the gateway exists.
    super::policies::apply(
        ctx,
        client,
        account,
        &plan.gateway_id,
        &plan.policies,
        base.as_ref(),
        matches!(plan.gateway, GatewayAction::EnableAuthentication(_))
            && plan.policies.writes_spend_limit(),
    )
}

/// Another run created the same gateway id between our look-up and our create: use it when
/// it is equivalent (exists, authentication on), otherwise say what to do.
fn lost_create_race(
    ctx: &Context,
    client: &Client,
    plan: &Plan,
    err: crate::cloudflare::ApiError,
) -> anyhow::Result<()> {
    let id = &plan.gateway_id;
    let found = ctx.rt.block_on(client.get_gateway(&plan.account.id, id))?;
    match found {
        Some(g) if g.authentication == Some(true) => {
            ctx.ui.ok(&format!(
                "Gateway '{id}' was created a moment ago by another run; using it (authentication on)"
            ));
            Ok(())
        }
        Some(_) => Err(anyhow::Error::new(err).context(
            crate::exit::Failure::new(
                crate::exit::Kind::Other,
                format!(
                    "gateway '{id}' was created meanwhile by someone else, with authentication                      off; nothing was stored or written on this machine"
                ),
            )
            .with_hint(format!(
                "run `aigate setup --gateway {id}` again to use it (aigate turns authentication                  on), or pick another id"
            )),
        )),
        None => Err(anyhow::Error::new(err).context(
            crate::exit::Failure::new(
                crate::exit::Kind::Other,
                format!("Cloudflare says gateway '{id}' exists but does not show it"),
            )
            .with_hint("wait a moment and run `aigate setup` again, or pick another gateway id"),
        )),
    }
}

fn local(ctx: &Context, plan: &Plan) -> anyhow::Result<Applied> {
    let _critical = Critical::enter();
    let store_in_client = || {
        plan.client
            .store_credential(&plan.token, &plan.account.id, &plan.gateway_id)
            .map_err(|e| {
                e.context(format!(
                    "could not store the token in {}; nothing was changed",
                    plan.client.label()
                ))
            })
    };
    let unit = commit::Unit {
        last: plan
            .credential_api
            .then_some(&store_in_client as &dyn Fn() -> anyhow::Result<()>),
        store: plan.store.as_ref(),
        profile: &plan.profile,
        token: (!plan.token_already_stored).then_some(&plan.token),
        changes: [Some(&plan.config_change), plan.auth_change.as_ref()]
            .into_iter()
            .flatten()
            .chain(plan.clients.changes.iter())
            .chain([&plan.state_change])
            .collect(),
    };
    let done = commit::commit(&unit)?;
    interrupt::saved(&format!(
        "setup of profile '{}' was saved (token in {}, {})",
        plan.profile,
        plan.store.describe(),
        plan.config_change.path.display()
    ));
    let backups = done.backups;
    if plan.credential_api {
        ctx.ui.ok(&format!(
            "Token stored in {} (its credential store, through its local server)",
            plan.client.label()
        ));
    }
    if done.token_stored {
        ctx.ui
            .ok(&format!("Token stored in {}", plan.store.describe()));
    } else {
        ctx.ui
            .ok(&format!("Token already in {}", plan.store.describe()));
    }
    for change in [Some(&plan.config_change), plan.auth_change.as_ref()]
        .into_iter()
        .flatten()
        .chain(plan.clients.changes.iter())
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
        files_written: done.files_written,
    })
}
