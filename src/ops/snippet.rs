//! `aigate snippet --for TARGET`: ready-to-paste code (or shell lines) calling the profile's
//! gateway, rendered from `templates/snippets/`. The token is never in a snippet: each reads
//! `CLOUDFLARE_API_TOKEN` (what `aigate run` sets). Account and gateway ids are not secrets.
//!
//! Routes: the OpenAI SDKs use Cloudflare's REST route (`…/accounts/{id}/ai/v1`, the token as
//! the API key, `cf-aig-gateway-id`), which serves every vendor's model; the Anthropic SDK
//! uses the gateway's `anthropic` endpoint with `cf-aig-authorization`; curl the gateway's
//! OpenAI-compatible `compat/chat/completions`.

use crate::agents::{Agent, claude_code, provider_base};
use crate::cli::SnippetTarget;
use crate::context::{Context, profile_flag};
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

const OPENAI_TS: &str = include_str!("../../templates/snippets/openai-ts.ts.j2");
const OPENAI_PYTHON: &str = include_str!("../../templates/snippets/openai-python.py.j2");
const ANTHROPIC_PYTHON: &str = include_str!("../../templates/snippets/anthropic-python.py.j2");
const CURL: &str = include_str!("../../templates/snippets/curl.sh.j2");
const ENV: &str = include_str!("../../templates/snippets/env.sh.j2");

#[derive(Debug, Serialize)]
pub struct SnippetReport {
    /// `openai-ts`, `openai-python`, `anthropic-python`, `curl`, `env`.
    #[serde(rename = "for")]
    pub target: &'static str,
    /// `typescript`, `python`, `shell`.
    pub language: &'static str,
    pub profile: String,
    pub account_id: String,
    pub gateway_id: String,
    /// The model the snippet names (`None` for `env`).
    pub model: Option<String>,
    /// The base URL the snippet calls.
    pub base_url: String,
    /// The environment variable the snippet reads the token from.
    pub token_env: &'static str,
    pub code: String,
}

impl Report for SnippetReport {
    fn render(&self, ui: &Ui) {
        ui.out(self.code.trim_end());
    }
}

fn meta(t: SnippetTarget) -> (&'static str, &'static str, &'static str) {
    match t {
        SnippetTarget::OpenaiTs => ("openai-ts", "typescript", OPENAI_TS),
        SnippetTarget::OpenaiPython => ("openai-python", "python", OPENAI_PYTHON),
        SnippetTarget::AnthropicPython => ("anthropic-python", "python", ANTHROPIC_PYTHON),
        SnippetTarget::Curl => ("curl", "shell", CURL),
        SnippetTarget::Env => ("env", "shell", ENV),
    }
}

pub fn snippet(ctx: &Context, target: SnippetTarget) -> anyhow::Result<SnippetReport> {
    let profile = ctx.require_profile()?;
    let (name, language, template) = meta(target);
    let (acct, gw) = (&profile.account_id, &profile.gateway_id);
    let rest_base = format!(
        "{}/accounts/{acct}/ai/v1",
        ctx.endpoints.api_url.trim_end_matches('/')
    );
    let anthropic_base = provider_base(&ctx.endpoints.gateway_url, acct, gw, "anthropic");
    let compat_url = format!(
        "{}/chat/completions",
        provider_base(&ctx.endpoints.gateway_url, acct, gw, "compat")
    );
    let claude_model = Agent::ClaudeCode.model_for(&profile.model);
    let anthropic_model = crate::cloudflare::route_for(&claude_model)
        .model()
        .to_string();
    let (model, base_url) = match target {
        SnippetTarget::OpenaiTs | SnippetTarget::OpenaiPython => {
            (Some(profile.model.clone()), rest_base.clone())
        }
        SnippetTarget::AnthropicPython => (Some(claude_model.clone()), anthropic_base.clone()),
        SnippetTarget::Curl => (Some(profile.model.clone()), compat_url.clone()),
        SnippetTarget::Env => (None, ctx.endpoints.gateway_url.clone()),
    };
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template(name, template)?;
    let code = env.get_template(name)?.render(minijinja::context! {
        account_id => acct,
        gateway_id => gw,
        model => profile.model,
        anthropic_model => anthropic_model,
        rest_base => rest_base,
        anthropic_base => anthropic_base,
        compat_url => compat_url,
        gateway_supplies_key => claude_code::gateway_supplies_key(&profile),
        placeholder_key => claude_code::PLACEHOLDER_KEY,
        billing => profile.billing.to_string(),
        profile_args => profile_flag(ctx.profile_name()),
    })?;
    Ok(SnippetReport {
        target: name,
        language,
        profile: ctx.profile_name().to_string(),
        account_id: acct.clone(),
        gateway_id: gw.clone(),
        model,
        base_url,
        token_env: "CLOUDFLARE_API_TOKEN",
        code,
    })
}
