//! The built-in model list used when the gateway's (undocumented) `/compat/models` listing is
//! unavailable. Ids are gateway catalog ids, the form OpenCode's `cloudflare-ai-gateway`
//! provider uses (`cloudflare-ai-gateway/<id>`); every one of them appears in the OpenCode
//! 1.18.33 catalog notes. Browse the full catalog at [`CATALOG_URL`].

use super::types::Model;

pub const CATALOG_URL: &str = "https://developers.cloudflare.com/ai/models/";

/// Curated ids, the recommended default first.
pub const CURATED: &[&str] = &[
    "anthropic/claude-sonnet-4.5",
    "anthropic/claude-haiku-4.5",
    "openai/gpt-5-mini",
    "openai/gpt-5.4-nano",
    "xai/grok-4.3",
    "deepseek/deepseek-v4-pro",
    "alibaba/qwen3-max",
    "moonshotai/kimi-k3",
    "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast",
];

/// The curated list as models (`owned_by` is the provider prefix).
pub fn curated_models() -> Vec<Model> {
    CURATED
        .iter()
        .map(|id| Model {
            id: (*id).to_string(),
            owned_by: id.split('/').next().map(str::to_string),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curated_ids_are_prefixed_and_unique() {
        let ms = curated_models();
        assert_eq!(ms.len(), CURATED.len());
        let mut ids: Vec<_> = ms.iter().map(|m| m.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CURATED.len());
        assert!(
            ms.iter()
                .all(|m| m.id.contains('/') && m.owned_by.is_some())
        );
    }
}
