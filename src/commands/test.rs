//! `aigate test`: one prompt through the gateway, by the route the installed OpenCode uses for
//! the model (V1: by model prefix; V2: the compat step), or the route `--client` names.

use crate::cli::{TestArgs, TestClientArg};
use crate::clients::{self, OpencodeMajor};
use crate::context::Context;
use crate::wizard::finish;
use serde_json::json;

pub fn exec(ctx: &mut Context, args: &TestArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let detector = clients::start_detection(ctx);
    let (token, _) = ctx.token_for(&profile)?;
    let client = ctx.client(token)?;
    let model = args
        .model
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| profile.model.clone());
    let prompt = args
        .prompt
        .clone()
        .unwrap_or_else(|| finish::TEST_PROMPT.to_string());
    let detection = detector.wait(&ctx.rt);
    let parts = clients::run_parts(ctx);
    let adapter = match args.client {
        Some(TestClientArg::OpencodeV1) => {
            clients::opencode_for(OpencodeMajor::V1, &detection, &parts)
        }
        Some(TestClientArg::OpencodeV2) => {
            clients::opencode_for(OpencodeMajor::V2, &detection, &parts)
        }
        None => clients::opencode(&detection, &parts),
    };
    let route = adapter.test_route(&model);
    ctx.ui.info(&format!("Route of {}", adapter.label()));
    let o = finish::test_prompt_on(
        ctx,
        &client,
        &profile.account_id,
        &profile.gateway_id,
        &model,
        &route,
        &prompt,
    )?;
    if ctx.ui.json_mode() {
        ctx.ui.json(&json!({
            "model": model, "ok": true, "client": adapter.id(),
            "route": crate::wizard::finish::describe_route(&route), "reply": o.text,
            "ttft_ms": o.ttft.map(|d| d.as_millis() as u64), "total_ms": o.total.as_millis() as u64,
        }));
    }
    Ok(0)
}
