//! The config for OpenCode 2: V1's shape (V2 normalises it, reference/opencode-v2.md §6) plus,
//! for BYOK, V2's own way of limiting the model picker: `providers.<id>.models.<model>.disabled
//! = true` for every gateway model of a provider without a stored key. V2 drops V1's
//! `provider.<id>.whitelist` with an "unsupported" diagnostic, so without this a V2 user sees
//! every model.
//!
//! Why a top-level `providers` key: it is V2's native key (merged with `provider`, the native
//! value winning, §6). OpenCode 1.18.33 silently drops unknown top-level keys at runtime
//! (reference/opencode.md §1.2, proven against the real binary in tests/opencode_v2_config.rs),
//! so V1 still reads the same file the same way. V1's published schema is stricter than its
//! runtime (`additionalProperties: false` at the top level), so the key is written only when
//! OpenCode 2 is the installed client. Only our provider's entry is touched; a user's other
//! `providers` entries stay.

use super::merge::to_cst;
use super::{ConfigInputs, PROVIDER_ID, whitelist_for};
use crate::opencode::MergeOutcome;
use anyhow::{Result, anyhow};
use jsonc_parser::ParseOptions;
use jsonc_parser::cst::CstRootNode;
use serde_json::{Map, Value};

/// The models V2 must hide: gateway models outside the BYOK whitelist (empty for Unified).
pub fn disabled_models(inputs: &ConfigInputs) -> Vec<String> {
    let keep = whitelist_for(inputs);
    if keep.is_empty() {
        return vec![];
    }
    let mut out: Vec<String> = inputs
        .available_models
        .iter()
        .filter(|m| !keep.contains(m))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Set (BYOK) or remove (Unified) `providers.cloudflare-ai-gateway.models` in the merged
/// config text, keeping everything else.
pub fn apply_v2_limits(outcome: &mut MergeOutcome, inputs: &ConfigInputs) -> Result<()> {
    let disabled = disabled_models(inputs);
    let root = CstRootNode::parse(&outcome.text, &ParseOptions::default())
        .map_err(|e| anyhow!("the merged config does not parse: {}", e.kind()))?;
    let obj = root
        .object_value()
        .ok_or_else(|| anyhow!("the config's top-level value is not an object"))?;
    if disabled.is_empty() {
        if let Some(providers) = obj.object_value("providers")
            && let Some(ours) = providers.object_value(PROVIDER_ID)
        {
            if let Some(m) = ours.get("models") {
                m.remove();
            }
            if ours.properties().is_empty()
                && let Some(p) = providers.get(PROVIDER_ID)
            {
                p.remove();
            }
            if providers.properties().is_empty()
                && let Some(p) = obj.get("providers")
            {
                p.remove();
            }
        }
        outcome.text = root.to_string();
        return Ok(());
    }
    let providers = obj
        .object_value_or_create("providers")
        .ok_or_else(|| anyhow!("`providers` is not an object"))?;
    let ours = providers
        .object_value_or_create(PROVIDER_ID)
        .ok_or_else(|| anyhow!("`providers.{PROVIDER_ID}` is not an object"))?;
    let models: Map<String, Value> = disabled
        .into_iter()
        .map(|m| (m, serde_json::json!({"disabled": true})))
        .collect();
    let value = to_cst(&Value::Object(models));
    match ours.get("models") {
        Some(p) => p.set_value(value),
        None => {
            ours.append("models", value);
        }
    }
    outcome.text = root.to_string();
    Ok(())
}
