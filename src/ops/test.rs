//! `aigate test`: one prompt through the gateway, by the route OpenCode uses for the model.
//! Its result is also the `test` part of `setup`'s report.

use crate::cli::TestArgs;
use crate::cloudflare::{ChatOutcome, Client};
use crate::context::Context;
use crate::report::Report;
use crate::ui::Ui;
use crate::wizard::finish;
use serde::Serialize;

/// One test prompt's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub model: String,
    pub ok: bool,
    /// How the request travelled (e.g. `REST route /ai/v1/chat/completions`).
    pub route: Option<String>,
    pub reply: Option<String>,
    pub ttft_ms: Option<u64>,
    pub total_ms: Option<u64>,
    /// Why it failed (when `ok` is false; `aigate test` itself fails with the error document).
    pub error: Option<String>,
}

impl TestReport {
    pub fn answered(model: &str, o: &ChatOutcome) -> TestReport {
        TestReport {
            model: model.to_string(),
            ok: true,
            route: Some(finish::describe_route(&o.route)),
            reply: Some(o.text.clone()),
            ttft_ms: o.ttft.map(|d| d.as_millis() as u64),
            total_ms: Some(o.total.as_millis() as u64),
            error: None,
        }
    }

    pub fn failed(model: &str, e: &anyhow::Error) -> TestReport {
        TestReport {
            model: model.to_string(),
            ok: false,
            route: None,
            reply: None,
            ttft_ms: None,
            total_ms: None,
            error: Some(format!("{e:#}")),
        }
    }
}

pub fn test(ctx: &Context, args: &TestArgs) -> anyhow::Result<TestReport> {
    let profile = ctx.require_profile()?;
    let (token, _) = ctx.token_for(&profile)?;
    let client = ctx.client(token)?;
    let model = args
        .model
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| profile.model.clone());
    let prompt = args.prompt.as_deref().unwrap_or(finish::TEST_PROMPT);
    send(
        ctx,
        &client,
        &profile.account_id,
        &profile.gateway_id,
        &model,
        prompt,
    )
}

/// Send `prompt` to `model` through the gateway; a failure is an error.
pub fn send(
    ctx: &Context,
    client: &Client,
    account: &str,
    gateway: &str,
    model: &str,
    prompt: &str,
) -> anyhow::Result<TestReport> {
    let o = finish::test_prompt(ctx, client, account, gateway, model, prompt)?;
    Ok(TestReport::answered(model, &o))
}

impl Report for TestReport {
    /// One result line on stdout (the reply itself streamed to stderr as it arrived).
    fn render(&self, ui: &Ui) {
        let ms = |v: Option<u64>| v.map(|v| format!("{v} ms")).unwrap_or_else(|| "n/a".into());
        ui.out(&format!(
            "ok  {} via {}: first token {}, total {}",
            self.model,
            self.route.as_deref().unwrap_or("the gateway"),
            ms(self.ttft_ms),
            ms(self.total_ms)
        ));
    }
}
