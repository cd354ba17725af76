//! The keys aigate owns in OpenCode's config, rendered from `templates/opencode.json.j2`.

use super::PROVIDER_ID;
use anyhow::{Context, Result};
use minijinja::{Environment, context};

const TEMPLATE_NAME: &str = "opencode.json.j2";
const TEMPLATE: &str = include_str!("../../templates/opencode.json.j2");

/// How the gateway pays the model providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingMode {
    /// Cloudflare Unified Billing: every catalog model is usable.
    Unified,
    /// Provider keys stored in the gateway; `providers` are the gateway provider slugs with a
    /// stored key (e.g. "openai", "anthropic", "google-ai-studio").
    Byok { providers: Vec<String> },
}

/// What aigate sets in OpenCode's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigInputs {
    /// Gateway catalog id of the default model, e.g. "openai/gpt-5-mini" (no provider prefix).
    pub model: String,
    /// Catalog id of the model for titles and summaries.
    pub small_model: String,
    pub billing: BillingMode,
    /// The gateway's catalog ids; the BYOK whitelist is taken from these.
    pub available_models: Vec<String>,
    /// A dynamic route's model id (`dynamic/<name>`) to use as the default model instead of
    /// `model` (setup's `--fallback-model`); `None` for the plain catalog model.
    pub route: Option<String>,
}

/// The catalog prefix of models served through a gateway provider slug.
pub fn catalog_prefix(slug: &str) -> &str {
    match slug {
        "google-ai-studio" => "google",
        "grok" => "xai",
        other => other,
    }
}

/// BYOK: the models whose catalog prefix belongs to a provider with a stored key, plus the
/// chosen `model`/`small_model` (so the defaults are never hidden), sorted and deduplicated
/// so the written file does not change when the catalog order does.
pub fn whitelist_for(inputs: &ConfigInputs) -> Vec<String> {
    let BillingMode::Byok { providers } = &inputs.billing else {
        return Vec::new();
    };
    let prefixes: Vec<String> = providers
        .iter()
        .map(|p| format!("{}/", catalog_prefix(p)))
        .collect();
    let mut list: Vec<String> = inputs
        .available_models
        .iter()
        .filter(|m| prefixes.iter().any(|p| m.starts_with(p.as_str())))
        .cloned()
        .chain([inputs.model.clone(), inputs.small_model.clone()])
        .chain(inputs.route.clone())
        .collect();
    list.sort();
    list.dedup();
    list
}

/// Renders the fragment for these inputs (a JSON object with `$schema`, `model`, `small_model`
/// and, for BYOK, `provider.cloudflare-ai-gateway.whitelist`).
pub fn render_fragment(inputs: &ConfigInputs) -> Result<serde_json::Value> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Json);
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .context("the built-in OpenCode config template does not parse")?;
    let billing = match inputs.billing {
        BillingMode::Unified => "unified",
        BillingMode::Byok { .. } => "byok",
    };
    let text = env
        .get_template(TEMPLATE_NAME)?
        .render(context! {
            provider_id => PROVIDER_ID,
            model => inputs.model,
            small_model => inputs.small_model,
            billing => billing,
            whitelist => whitelist_for(inputs),
            route => inputs.route,
        })
        .context("cannot render the OpenCode config template")?;
    serde_json::from_str(&text).context("the OpenCode config template did not render valid JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(billing: BillingMode) -> ConfigInputs {
        ConfigInputs {
            model: "openai/gpt-5-mini".into(),
            small_model: "openai/gpt-5-nano".into(),
            billing,
            available_models: vec![
                "xai/grok-4.3".into(),
                "openai/gpt-5-nano".into(),
                "google/gemini-3-pro".into(),
                "openai/gpt-5-mini".into(),
                "anthropic/claude-sonnet-4.5".into(),
                "openaiish/other".into(),
            ],
            route: None,
        }
    }

    #[test]
    fn a_route_becomes_the_model_and_is_declared() {
        let mut i = inputs(BillingMode::Byok {
            providers: vec!["openai".into()],
        });
        i.route = Some("dynamic/aigate-default".into());
        let v = render_fragment(&i).unwrap();
        assert_eq!(v["model"], "cloudflare-ai-gateway/dynamic/aigate-default");
        assert_eq!(v["small_model"], "cloudflare-ai-gateway/openai/gpt-5-nano");
        let p = &v["provider"]["cloudflare-ai-gateway"];
        assert!(p["models"]["dynamic/aigate-default"]["name"].is_string());
        let wl = p["whitelist"].as_array().unwrap();
        assert!(wl.contains(&json!("dynamic/aigate-default")), "{wl:?}");
        i.billing = BillingMode::Unified;
        let v = render_fragment(&i).unwrap();
        assert!(v["provider"]["cloudflare-ai-gateway"]["whitelist"].is_null());
        assert!(v["provider"]["cloudflare-ai-gateway"]["models"].is_object());
    }

    #[test]
    fn unified_fragment_has_only_the_model_keys() {
        let v = render_fragment(&inputs(BillingMode::Unified)).unwrap();
        assert_eq!(
            v,
            json!({
                "$schema": "https://opencode.ai/config.json",
                "model": "cloudflare-ai-gateway/openai/gpt-5-mini",
                "small_model": "cloudflare-ai-gateway/openai/gpt-5-nano",
            })
        );
    }

    #[test]
    fn byok_whitelist_maps_slugs_to_catalog_prefixes() {
        let byok = BillingMode::Byok {
            providers: vec!["openai".into(), "google-ai-studio".into()],
        };
        let v = render_fragment(&inputs(byok)).unwrap();
        assert_eq!(
            v["provider"]["cloudflare-ai-gateway"]["whitelist"],
            json!([
                "google/gemini-3-pro",
                "openai/gpt-5-mini",
                "openai/gpt-5-nano"
            ])
        );
        let grok = BillingMode::Byok {
            providers: vec!["grok".into()],
        };
        let wl = whitelist_for(&inputs(grok));
        assert_eq!(
            wl,
            ["openai/gpt-5-mini", "openai/gpt-5-nano", "xai/grok-4.3"]
        );
    }

    #[test]
    fn values_are_json_escaped() {
        let mut i = inputs(BillingMode::Unified);
        i.model = "odd/\"quoted\"\\name".into();
        let v = render_fragment(&i).unwrap();
        assert_eq!(v["model"], "cloudflare-ai-gateway/odd/\"quoted\"\\name");
    }
}
