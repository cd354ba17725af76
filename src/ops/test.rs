//! `aigate test`: one prompt through the gateway, by the route OpenCode uses for the model.
//! Its result is also the `test` part of `setup`'s report.

use crate::agents::Agent;
use crate::cli::TestArgs;
use crate::cloudflare::ChatOutcome;
use crate::context::Context;
use crate::exit::{Failure, Kind};
use crate::report::Report;
use crate::ui::Ui;
use crate::wizard::finish;
use serde::Serialize;

/// One test prompt's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    pub model: String,
    pub ok: bool,
    /// Whose route was taken (`opencode-v1`, `opencode-v2`).
    pub client: Option<String>,
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
            client: None,
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
            client: None,
            route: None,
            reply: None,
            ttft_ms: None,
            total_ms: None,
            error: Some(format!("{e:#}")),
        }
    }
}

pub fn test(ctx: &Context, args: &TestArgs) -> anyhow::Result<TestReport> {
    use crate::cli::TestClientArg;
    use crate::clients::{self, OpencodeMajor};
    let profile = ctx.require_profile()?;
    let agent = match args.client {
        Some(TestClientArg::ClaudeCode) => Some(Agent::ClaudeCode),
        Some(TestClientArg::Codex) => Some(Agent::Codex),
        _ => None,
    };
    let model = match (&args.model, agent) {
        (Some(m), Some(agent)) => agent_model(agent, m.as_ref())?,
        (Some(m), None) => m.to_string(),
        (None, Some(agent)) => agent.model_for(&profile.model),
        // The model OpenCode calls: the profile's route when setup made one.
        (None, None) => profile
            .route
            .as_ref()
            .map_or_else(|| profile.model.clone(), |r| r.call_as()),
    };
    let detector = clients::start_detection(ctx);
    let (token, _) = ctx.token_for(&profile)?;
    let client = ctx.client(token)?;
    let prompt = args.prompt.as_deref().unwrap_or(finish::TEST_PROMPT);
    let (detection, parts) = (detector.wait(&ctx.rt), clients::run_parts(ctx));
    let at = clients::launch::Where::of(ctx);
    let adapter = match (args.client, agent) {
        (_, Some(agent)) => clients::launch::adapter(agent, &profile, &at)
            .ok_or_else(|| anyhow::anyhow!("no adapter for {}", agent))?,
        (Some(TestClientArg::OpencodeV2), None) => {
            clients::opencode_for(OpencodeMajor::V2, &detection, &parts)
        }
        (Some(_), None) => clients::opencode_for(OpencodeMajor::V1, &detection, &parts),
        (None, None) => clients::opencode(&detection, &parts),
    };
    let route = adapter.test_route(&model);
    ctx.ui.info(&format!("Route of {}", adapter.label()));
    let (account, gateway) = (&profile.account_id, &profile.gateway_id);
    let o = finish::test_prompt_on(ctx, &client, account, gateway, &model, &route, prompt)
        .map_err(|e| crate::ops::policy::explain_refusal(ctx, &client, account, gateway, e))?;
    let mut report = TestReport::answered(&model, &o);
    report.client = Some(adapter.id().to_string());
    report.route = Some(finish::describe_route(&route));
    Ok(report)
}

/// `--model` for Claude Code or Codex: only a model of the agent's provider, since that is all
/// its route can send (checked before any request).
fn agent_model(agent: Agent, model: &str) -> anyhow::Result<String> {
    match agent.model_provider() {
        Some(p) if !model.starts_with(&format!("{p}/")) => Err(Failure::new(
            Kind::Usage,
            format!(
                "--model {model}: {} sends only {p}/ models through the gateway",
                agent
            ),
        )
        .with_hint(format!(
            "pick a {p}/ model (e.g. {}), or test another client's route",
            agent.default_model().unwrap_or_default()
        ))
        .into()),
        _ => Ok(model.to_string()),
    }
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
