//! Step 5: the default model (and the small model OpenCode uses for titles), picked from the
//! gateway's catalog. Listing the catalog of an existing gateway also proves the token may run
//! inference through it ("AI Gateway Run") before anything is changed.

use super::Ask;
use super::fetch::Reads;
use super::gateway::GatewayChoice;
use crate::cloudflare::{Account, ModelList, ModelSource};
use crate::exit::Failure;
use crate::wizard::plan::BillingPlan;

pub const RECOMMENDED: &[&str] = &["openai/gpt-5-mini", "anthropic/claude-sonnet-4.5"];

pub struct ModelChoice {
    pub list: ModelList,
    pub model: String,
    pub small_model: String,
}

pub fn step(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
    gw: &GatewayChoice,
    billing: &BillingPlan,
) -> anyhow::Result<ModelChoice> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    let list = if gw.exists() {
        let spinner = ctx.ui.spinner("Listing the gateway's models…");
        let list = reads.models(&account.id, &gw.id)?;
        drop(spinner);
        list
    } else {
        ModelList {
            models: crate::cloudflare::curated_models(),
            source: ModelSource::Curated,
        }
    };
    match list.source {
        ModelSource::Gateway => ctx.ui.ok(&format!("{} models in the gateway's catalog", list.models.len())),
        ModelSource::Curated => ctx.ui.note(&format!(
            "using aigate's list of {} well-known models (the gateway's catalog is read after setup)",
            list.models.len()
        )),
    }
    let providers = billing.providers();
    let candidates = reachable(&list, billing);
    if candidates.is_empty() {
        return Err(Failure::new(
            crate::exit::Kind::Other,
            format!(
                "the gateway offers no model of the chosen providers ({})",
                providers.join(", ")
            ),
        )
        .with_hint("store a key for another provider, or use Unified Billing")
        .into());
    }
    let model = match &args.model {
        Some(m) => {
            check_model(m, &list, &candidates, "--model")?;
            m.to_string()
        }
        None => {
            let prev = previous
                .map(|p| p.model.clone())
                .filter(|m| candidates.contains(m));
            let default = prev
                .clone()
                .or_else(|| {
                    RECOMMENDED
                        .iter()
                        .map(|s| s.to_string())
                        .find(|m| candidates.contains(m))
                })
                .unwrap_or_else(|| candidates[0].clone());
            if prompter.interactive() {
                let i = candidates.iter().position(|c| *c == default).unwrap_or(0);
                let picked =
                    prompter.select("Default model for OpenCode", &candidates, i, "--model")?;
                candidates[picked].clone()
            } else {
                default
            }
        }
    };
    let small_model = match &args.small_model {
        Some(m) => {
            check_model(m, &list, &candidates, "--small-model")?;
            m.to_string()
        }
        None => previous
            .map(|p| p.small_model.clone())
            .filter(|m| candidates.contains(m) && same_provider(m, &model))
            .unwrap_or_else(|| small_for(&model, &candidates)),
    };
    ctx.ui
        .ok(&format!("Model {model} (small model {small_model})"));
    Ok(ModelChoice {
        list,
        model,
        small_model,
    })
}

fn check_model(m: &str, list: &ModelList, candidates: &[String], flag: &str) -> anyhow::Result<()> {
    if !m.contains('/') {
        return Err(
            Failure::usage(format!("{flag} '{m}' is not PROVIDER/MODEL"))
                .with_hint("use a gateway catalog id, e.g. openai/gpt-5-mini")
                .into(),
        );
    }
    if list.source == ModelSource::Gateway && !candidates.iter().any(|c| c == m) {
        let known = list.models.iter().any(|x| x.id == m);
        let why = if known {
            "is not offered by the providers whose keys are stored"
        } else {
            "is not in the gateway's catalog"
        };
        return Err(Failure::usage(format!("{flag} '{m}' {why}"))
            .with_hint(format!("pick one of: {}", candidates.join(", ")))
            .into());
    }
    Ok(())
}

fn same_provider(a: &str, b: &str) -> bool {
    a.split('/').next() == b.split('/').next()
}

/// A cheap model of the same provider for OpenCode's titles and summaries.
pub fn small_for(model: &str, candidates: &[String]) -> String {
    const SMALL_HINTS: &[&str] = &["haiku", "nano", "mini", "flash", "small", "lite"];
    for hint in SMALL_HINTS {
        if let Some(m) = candidates
            .iter()
            .find(|c| same_provider(c, model) && c.contains(hint))
        {
            return m.clone();
        }
    }
    model.to_string()
}

/// The catalog's models this billing can reach: all of them with Unified Billing, the
/// providers with a stored key with BYOK. The default model and the fallbacks are picked from
/// these.
pub(super) fn reachable(list: &ModelList, billing: &BillingPlan) -> Vec<String> {
    let providers = billing.providers();
    list.models
        .iter()
        .map(|m| m.id.clone())
        .filter(|id| {
            providers.is_empty()
                || providers.iter().any(|p| {
                    id.starts_with(&format!(
                        "{}/",
                        crate::opencode::fragment::catalog_prefix(p)
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_model_prefers_a_cheap_sibling() {
        let c: Vec<String> = [
            "openai/gpt-5",
            "openai/gpt-5-mini",
            "anthropic/claude-sonnet-4.5",
            "anthropic/claude-haiku-4.5",
            "xai/grok-4.3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            small_for("anthropic/claude-sonnet-4.5", &c),
            "anthropic/claude-haiku-4.5"
        );
        assert_eq!(small_for("openai/gpt-5", &c), "openai/gpt-5-mini");
        assert_eq!(small_for("xai/grok-4.3", &c), "xai/grok-4.3");
    }
}
