//! `aigate models`: the models reachable through the profile's gateway.

use crate::cloudflare::ModelSource;
use crate::context::Context;
use crate::wizard::finish;
use serde_json::json;

pub fn exec(ctx: &mut Context) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let (token, _) = ctx.token_for(&profile)?;
    let client = ctx.client(token)?;
    let list = finish::list_models(ctx, &client, &profile.account_id, &profile.gateway_id)?;
    if list.source == ModelSource::Curated {
        ctx.ui.warn(
            "the gateway did not list its models; this is aigate's list of well-known models",
        );
    }
    if ctx.ui.json_mode() {
        ctx.ui.json(&json!({
            "models": list.models.iter().map(|m| json!({"id": m.id, "owned_by": m.owned_by})).collect::<Vec<_>>(),
            "source": match list.source { ModelSource::Gateway => "gateway", ModelSource::Curated => "curated" },
        }));
    } else {
        for m in &list.models {
            ctx.ui.out(&m.id);
        }
    }
    Ok(0)
}
