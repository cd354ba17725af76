//! The last step: list the gateway's models and send a streamed test prompt through the route
//! OpenCode will use for the chosen model, with time to first token and total time.

use crate::cloudflare::{ChatOutcome, ChatRequest, Client, ModelList, Route, route_for};
use crate::context::Context;
use std::io::Write;

/// How a request travels, in words.
pub fn describe_route(route: &Route) -> String {
    match route {
        Route::Universal {
            provider, endpoint, ..
        } => format!("Universal endpoint, {provider} {endpoint}"),
        Route::Rest { .. } => "REST route /ai/v1/chat/completions".to_string(),
    }
}

pub const TEST_PROMPT: &str =
    "Reply with one short sentence: you are reachable through Cloudflare AI Gateway.";

pub fn list_models(
    ctx: &Context,
    client: &Client,
    account: &str,
    gateway: &str,
) -> anyhow::Result<ModelList> {
    let spinner = ctx.ui.spinner("Listing the gateway's models…");
    let list = ctx.rt.block_on(client.list_models(account, gateway));
    match list {
        Ok(l) => {
            spinner.done(&format!(
                "{} models reachable through '{gateway}'",
                l.models.len()
            ));
            Ok(l)
        }
        Err(e) => {
            spinner.fail("could not list the gateway's models");
            Err(e.into())
        }
    }
}

/// Send `prompt` to `model`, streaming the reply to stderr (silently with `-q`).
pub fn test_prompt(
    ctx: &Context,
    client: &Client,
    account: &str,
    gateway: &str,
    model: &str,
    prompt: &str,
) -> anyhow::Result<ChatOutcome> {
    test_prompt_on(
        ctx,
        client,
        account,
        gateway,
        model,
        &route_for(model),
        prompt,
    )
}

/// [`test_prompt`] by a given route (the installed client's, see `clients::ClientAdapter`).
pub fn test_prompt_on(
    ctx: &Context,
    client: &Client,
    account: &str,
    gateway: &str,
    model: &str,
    route: &Route,
    prompt: &str,
) -> anyhow::Result<ChatOutcome> {
    let route = route.clone();
    let spinner = ctx.ui.spinner(&format!(
        "Sending a test prompt to {model} ({})…",
        describe_route(&route)
    ));
    let req = ChatRequest {
        model: model.to_string(),
        prompt: prompt.to_string(),
        max_tokens: 200,
        stream: true,
    };
    let mut started = false;
    // The reply streams to stderr as progress (so not with `-q`).
    let show = !ctx.ui.quiet();
    let mut on_text = |t: &str| {
        if !show {
            return;
        }
        if !started {
            spinner.clear();
            eprint!("  {} ", console::style("reply:").dim());
            started = true;
        }
        eprint!("{t}");
        let _ = std::io::stderr().flush();
    };
    let outcome = ctx
        .rt
        .block_on(client.chat_on(account, gateway, &route, &req, &mut on_text));
    if started {
        eprintln!();
    }
    drop(spinner);
    let outcome = outcome?;
    ctx.ui.ok(&format!(
        "Test prompt answered by {model}: first token after {}, total {} ms",
        outcome
            .ttft
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "n/a".into()),
        outcome.total.as_millis()
    ));
    Ok(outcome)
}

/// What the last step found: how many models the gateway offers, and the test prompt's outcome.
pub struct Checked {
    pub models: usize,
    pub test: anyhow::Result<ChatOutcome>,
}

/// The last round: the test prompt (it needs the writes), with the model list fetched beside it
/// only when the first round could not read it (a gateway created by this run). Nothing read
/// before is fetched again.
pub fn check(ctx: &Context, client: &Client, plan: &super::Plan) -> anyhow::Result<Checked> {
    let known = plan.models.source == crate::cloudflare::ModelSource::Gateway;
    let listing = (!known).then(|| {
        let (c, a, g) = (
            client.clone(),
            plan.account.id.clone(),
            plan.gateway_id.clone(),
        );
        ctx.rt.spawn(async move { c.list_models(&a, &g).await })
    });
    // The route the installed client takes (OpenCode 2: the compat step for every model),
    // through the dynamic route when setup made one (`--fallback-model`).
    let model = plan.test_model();
    let test = test_prompt_on(
        ctx,
        client,
        &plan.account.id,
        &plan.gateway_id,
        &model,
        &plan.client.test_route(&model),
        TEST_PROMPT,
    );
    let models = match listing {
        None => plan.models.models.len(),
        Some(h) => match ctx.rt.block_on(h) {
            Ok(Ok(list)) => {
                ctx.ui.ok(&format!(
                    "{} models reachable through '{}'",
                    list.models.len(),
                    plan.gateway_id
                ));
                list.models.len()
            }
            Ok(Err(e)) => return Err(e.into()),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        },
    };
    Ok(Checked { models, test })
}

/// The closing line: what is now connected, e.g.
/// "OpenCode → gateway `opencode` in account Acme, Unified Billing".
pub fn connected_line(plan: &super::Plan) -> String {
    let billing = match &plan.billing {
        super::plan::BillingPlan::Unified { .. } => "Unified Billing".to_string(),
        super::plan::BillingPlan::Byok { .. } => {
            format!("BYOK ({})", plan.billing.providers().join(", "))
        }
    };
    format!(
        "OpenCode → gateway `{}` in account {}, {billing}",
        plan.gateway_id, plan.account.name
    )
}
