//! Step 6: where the token is kept, how OpenCode gets it, and the file changes: OpenCode's
//! config (merged from the template), OpenCode's auth.json (only with
//! `--token-delivery opencode-auth`) and aigate's state. All are computed and validated here,
//! before anything is changed anywhere.

use super::{Answers, Ask};
use crate::cli::SetupArgs;
use crate::context::Context;
use crate::domain::TokenDelivery;
use crate::opencode::{self, BillingMode, ConfigInputs};
use crate::state::{Profile, State};
use crate::wizard::plan::{BillingPlan, Plan};
use std::path::PathBuf;

pub fn step(q: &mut Ask<'_>, _state: State, answers: Answers) -> anyhow::Result<Plan> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    let Answers {
        tok,
        account,
        gw,
        billing,
        models,
        policies,
        store,
        detection,
    } = answers;
    let client = crate::clients::opencode(&detection, &crate::clients::run_parts(ctx));
    ctx.ui.info(&format!(
        "Client: {}{}",
        detection.opencode.describe(),
        detection
            .opencode
            .path
            .as_ref()
            .map(|p| format!(" at {}", p.display()))
            .unwrap_or_default()
    ));
    // Where the token goes was settled before the first question (`storage::probe`).
    let token_already_stored =
        matches!(store.get(ctx.profile_name()), Ok(Some(t)) if t.same_as(&tok.token));
    ctx.ui
        .ok(&format!("Token will be kept in {}", store.describe()));

    let delivery = match args.token_delivery {
        Some(d) => d.into(),
        None => {
            let prev = previous.map(|p| p.token_delivery);
            if prompter.interactive() && prev.is_none() {
                let items = vec![
                    "Through aigate: launch with `aigate run -- opencode` (token stays in the keychain)".to_string(),
                    format!("Also in OpenCode's auth.json ({}), so plain `opencode` works", crate::platform::PRIVATE_FILE),
                ];
                match prompter.select(
                    "How should OpenCode get the token?",
                    &items,
                    0,
                    "--token-delivery",
                )? {
                    0 => TokenDelivery::Env,
                    _ => TokenDelivery::OpencodeAuth,
                }
            } else {
                prev.unwrap_or(TokenDelivery::Env)
            }
        }
    };

    let config_path = config_path(ctx, args, previous);
    let inputs = ConfigInputs {
        model: models.model.clone(),
        small_model: models.small_model.clone(),
        billing: match &billing {
            BillingPlan::Unified { .. } => BillingMode::Unified,
            BillingPlan::Byok { .. } => BillingMode::Byok {
                providers: billing.providers(),
            },
        },
        available_models: models.list.models.iter().map(|m| m.id.clone()).collect(),
        // OpenCode 1 and 2 can both call a dynamic route (`wizard::policies::cannot_route`).
        route: policies.route.as_ref().map(|r| r.call_as.clone()),
    };
    let crate::clients::ConfigPlan {
        change: config_change,
        merge: config_merge,
    } = client.plan_config(&crate::clients::ConfigTarget {
        path: &config_path,
        inputs: &inputs,
    })?;
    // A file holding a literal secret is not backed up (the backup would keep the secret).
    let backup_note = if config_merge.removed_secret {
        "no backup is kept, as it would keep the secret on disk"
    } else {
        "a backup is kept"
    };
    for removed in &config_merge.removed {
        ctx.ui.warn(&format!(
            "{} will be removed from {}: it would bypass the gateway or leak the token ({backup_note})",
            removed,
            config_path.display()
        ));
    }
    for d in &config_merge.duplicates {
        ctx.ui.warn(&format!(
            "{}: {d}; OpenCode uses the last one, so the earlier ones will be removed",
            config_path.display()
        ));
    }

    let auth_path = opencode::auth_json_path(&ctx.env);
    let mut credential_api = false;
    let auth_change = match delivery {
        TokenDelivery::OpencodeAuth => {
            match client.credential(&ctx.env, &tok.token, &account.id, &gw.id)? {
                Some(crate::clients::Credential::File(change)) => Some(change),
                Some(crate::clients::Credential::Api) => {
                    credential_api = true;
                    None
                }
                None => None,
            }
        }
        // Switching back to env delivery takes the token out of auth.json again.
        TokenDelivery::Env if previous.is_some_and(|p| p.auth_json.is_some()) => {
            opencode::plan_auth_remove(&auth_path)?
        }
        TokenDelivery::Env => None,
    };
    let auth_json = auth_change
        .as_ref()
        .filter(|_| delivery == TokenDelivery::OpencodeAuth)
        .map(|c| c.path.clone());

    let agents = crate::wizard::clients::choose(ctx, args, &mut *prompter)?;
    let mut clients =
        crate::wizard::clients::plan(ctx, &agents, &account.id, &gw.id, &models.model)?;

    let new_profile = Profile {
        account_id: account.id.clone(),
        account_name: Some(account.name.clone()),
        gateway_id: gw.id.clone(),
        billing: billing.arg(),
        byok_providers: billing.providers(),
        model: models.model.clone(),
        small_model: models.small_model.clone(),
        token_store: store.kind(),
        token_delivery: delivery,
        opencode_config: config_path,
        auth_json,
        stored_token: previous.and_then(|p| p.stored_token.clone()),
        route: policies.route.as_ref().map(|r| r.record()),
        // The limit set now; else the one recorded before for this same gateway (setup
        // never removes the rule).
        spend_limit: policies
            .spend_limit
            .as_ref()
            .map(|s| s.record())
            .or_else(|| {
                previous
                    .filter(|p| p.account_id == account.id && p.gateway_id == gw.id)
                    .and_then(|p| p.spend_limit.clone())
            }),
        // The opt-in plaintext delivery to Claude Code: where rotate rewrites the token.
        claude_settings: if args.token_delivery
            == Some(crate::cli::TokenDeliveryArg::ClaudeSettings)
        {
            Some(crate::clients::launch::Where::of(ctx).claude_settings)
        } else {
            previous.and_then(|p| p.claude_settings.clone())
        },
    };
    crate::wizard::clients::plan_claude_settings(
        ctx,
        args,
        &new_profile,
        &tok.token,
        &mut clients,
    )?;
    let state_change =
        State::plan_upsert(&ctx.state_path, ctx.profile_name(), new_profile.clone())?;

    Ok(Plan {
        profile: ctx.profile_name().to_string(),
        token: tok.token,
        token_source: tok.source,
        token_info: tok.info,
        account,
        gateway_id: gw.id,
        gateway: gw.action,
        billing,
        models: models.list,
        model: models.model,
        small_model: models.small_model,
        store,
        token_already_stored,
        delivery,
        config_change,
        config_merge,
        auth_change,
        client,
        credential_api,
        state_change,
        clients,
        new_profile,
        run_test: !args.skip_test,
        daily: crate::tokens::DailyRequest {
            scope: args.token_scope,
            expires: args.token_expires,
            ..Default::default()
        },
        policies,
    })
}

/// `--opencode-config`, `--project`, the profile's file on a re-run, or OpenCode's global file.
fn config_path(ctx: &Context, args: &SetupArgs, previous: Option<&Profile>) -> PathBuf {
    if let Some(p) = &args.opencode_config {
        return if p.is_absolute() {
            p.clone()
        } else {
            ctx.env.cwd.join(p)
        };
    }
    if args.project {
        return opencode::project_config_path(&ctx.env);
    }
    if let Some(p) = previous {
        return p.opencode_config.clone();
    }
    opencode::global_config_path(&ctx.env)
}
