//! `aigate test`: one prompt through the gateway, by the route OpenCode uses for the model.

use crate::cli::TestArgs;
use crate::context::Context;
use crate::wizard::finish;
use serde_json::json;

pub fn exec(ctx: &mut Context, args: &TestArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
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
    let o = finish::test_prompt(
        ctx,
        &client,
        &profile.account_id,
        &profile.gateway_id,
        &model,
        &prompt,
    )?;
    if ctx.ui.json_mode() {
        ctx.ui.json(&json!({
            "model": model, "ok": true, "route": crate::wizard::finish::describe_route(&o.route), "reply": o.text,
            "ttft_ms": o.ttft.map(|d| d.as_millis() as u64), "total_ms": o.total.as_millis() as u64,
        }));
    }
    Ok(0)
}
