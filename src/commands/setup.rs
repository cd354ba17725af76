//! `aigate setup`: gather the plan, show it, apply it, prove it works.

use crate::cli::SetupArgs;
use crate::context::{Context, profile_flag};
use crate::domain::TokenDelivery;
use crate::prompt;
use crate::wizard::{apply, finish, gather};
use serde_json::json;

pub fn exec(ctx: &mut Context, args: &SetupArgs) -> anyhow::Result<i32> {
    if !args.byok_keys.is_empty() && args.billing == Some(crate::cli::BillingArg::Unified) {
        return Err(crate::exit::Failure::usage("--byok-key only goes with --billing byok").into());
    }
    ctx.keep_sandbox(args.keep_sandbox);
    if let Some(p) = crate::domain::ByokKeySpec::duplicate(&args.byok_keys) {
        return Err(crate::exit::Failure::usage(format!("--byok-key names {p} twice")).into());
    }
    if let Some(s) = &ctx.sandbox {
        ctx.ui.note(&format!(
            "Sandbox: talking to the embedded Cloudflare emulator; files go to {}",
            s.dir.display()
        ));
    }
    // Inside a repository with an aigate.toml, its answers fill in the flags.
    let team = crate::team::setup::find(ctx)?;
    let team_args;
    let args = match &team {
        Some((path, t)) => {
            team_args = crate::team::setup::answers(ctx, path, t, args)?;
            &team_args
        }
        None => args,
    };
    let mut prompter = prompt::for_run(args.non_interactive);
    let sandbox_args;
    let args = if ctx.sandbox.is_some() && !prompter.interactive() {
        sandbox_args = sandbox_defaults(args);
        ctx.ui
            .note("Sandbox without a terminal: unanswered questions take the sandbox's defaults.");
        &sandbox_args
    } else {
        args
    };
    let mut plan = gather::gather(ctx, args, prompter.as_mut()).map_err(|e| match &team {
        Some((path, t)) => crate::team::setup::refusal(path, t, e),
        None => e,
    })?;

    ctx.ui.heading(if args.dry_run {
        "Plan (dry run: nothing will be changed)"
    } else {
        "Plan"
    });
    for line in plan.describe() {
        ctx.ui.info(&line);
    }
    if args.dry_run {
        if ctx.ui.json_mode() {
            ctx.ui.json(&json!({
                "dry_run": true,
                "profile": plan.profile,
                "account_id": plan.account.id,
                "gateway_id": plan.gateway_id,
                "gateway_created": plan.gateway_created(),
                "billing": plan.billing.arg(),
                "token_store": plan.store.kind(),
                "opencode_config": plan.config_change.path,
                "changes": plan.describe(),
            }));
        }
        return Ok(0);
    }
    if prompter.interactive() && !prompter.confirm("Apply this plan?", true, "--non-interactive")? {
        ctx.ui.line("Nothing was changed.");
        return Ok(crate::exit::FAILURE);
    }

    let client = ctx.client(plan.token.clone())?;
    ctx.ui.heading("Applying");
    let applied = apply::apply(ctx, &client, &mut plan)?;
    // From here on, the stored token (a minted one proves itself with the test prompt).
    let client = ctx.client(plan.token.clone())?;

    let mut models_count = plan.models.models.len();
    let mut test = serde_json::Value::Null;
    let mut code = 0;
    if plan.run_test {
        ctx.ui.heading("Checking the gateway");
        let checked = finish::check(ctx, &client, &plan)?;
        models_count = checked.models;
        match checked.test {
            Ok(o) => {
                test = json!({
                    "model": plan.model, "ok": true, "route": crate::wizard::finish::describe_route(&o.route),
                    "ttft_ms": o.ttft.map(|d| d.as_millis() as u64), "total_ms": o.total.as_millis() as u64,
                });
            }
            Err(e) => {
                ctx.ui.error(&format!("the test prompt failed: {e:#}"));
                if let Some(h) = crate::error::hint_of(&e) {
                    ctx.ui.hint(&h);
                }
                ctx.ui
                    .info("Setup itself was saved; fix the problem above and run `aigate test`.");
                test = json!({"model": plan.model, "ok": false, "error": format!("{e}"), "ttft_ms": null, "total_ms": null});
                code = crate::error::exit_code_for(&e);
            }
        }
    }

    ctx.ui.heading("Done");
    ctx.ui.ok(&finish::connected_line(&plan));
    let pf = profile_flag(&plan.profile);
    if let Some(s) = &ctx.sandbox {
        if s.keep {
            ctx.ui
                .info("That was the sandbox: nothing outside this directory was touched:");
            ctx.ui
                .info(&format!("  {} (kept: --keep-sandbox)", s.dir.display()));
        } else {
            ctx.ui.info(&format!(
                "That was the sandbox: nothing outside {} was touched, and it is removed now (--keep-sandbox keeps it).",
                s.dir.display()
            ));
        }
        ctx.ui
            .info("Run `aigate setup` (without --sandbox) to connect your Cloudflare account.");
    } else {
        let launch = match plan.delivery {
            TokenDelivery::Env => format!("aigate{pf} run -- opencode"),
            TokenDelivery::OpencodeAuth => {
                "opencode   (the token is in OpenCode's auth.json)".to_string()
            }
        };
        ctx.ui.info(&format!("Launch OpenCode:   {launch}"));
        ctx.ui
            .info(&format!("Check the setup:   aigate{pf} status"));
    }
    if ctx.ui.json_mode() {
        ctx.ui.json(&json!({
            "profile": plan.profile,
            "account_id": plan.account.id,
            "gateway_id": plan.gateway_id,
            "gateway_created": plan.gateway_created(),
            "billing": plan.billing.arg(),
            "byok_providers": plan.billing.providers(),
            "model": plan.model,
            "small_model": plan.small_model,
            "token_store": plan.store.kind(),
            "token_delivery": plan.delivery,
            "opencode_config": plan.config_change.path,
            "auth_json": plan.auth_change.as_ref().map(|c| c.path.clone()),
            "models": models_count,
            "test": test,
            "sandbox_dir": ctx.sandbox.as_ref().map(|s| s.dir.clone()),
            "token_source": plan.token_source.describe(),
            "token_expires_on": plan.token_info.expires_on.map(|e| e.to_rfc3339()),
            "stored_token": plan.new_profile.stored_token,
            "files_written": applied.files_written,
            "backups": applied.backups,
        }));
    }
    Ok(code)
}

/// A scripted sandbox run (no terminal) answers what the flags leave open with the demo
/// account's values, so `aigate setup --sandbox` shows every step anywhere.
fn sandbox_defaults(args: &SetupArgs) -> SetupArgs {
    use crate::emulator::sandbox;
    let mut a = args.clone();
    a.account_id
        .get_or_insert_with(|| crate::domain::AccountId::known(sandbox::ACCOUNT_ID));
    a.gateway
        .get_or_insert_with(|| crate::domain::GatewayId::known(sandbox::DEFAULT_GATEWAY_ID));
    a.billing.get_or_insert(if a.byok_keys.is_empty() {
        crate::cli::BillingArg::Unified
    } else {
        crate::cli::BillingArg::Byok
    });
    a
}
