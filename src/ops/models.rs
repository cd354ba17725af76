//! `aigate models`: the models reachable through the profile's gateway.

use crate::cloudflare::{Model, ModelSource};
use crate::context::Context;
use crate::report::Report;
use crate::ui::Ui;
use crate::wizard::finish;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ModelsReport {
    pub gateway_id: String,
    /// `gateway` (the gateway's own listing) or `curated` (aigate's list: the listing failed).
    pub source: ModelSource,
    pub models: Vec<Model>,
}

pub fn models(ctx: &Context) -> anyhow::Result<ModelsReport> {
    let profile = ctx.require_profile()?;
    let (token, _) = ctx.token_for(&profile)?;
    let client = ctx.client(token)?;
    let list = finish::list_models(ctx, &client, &profile.account_id, &profile.gateway_id)?;
    Ok(ModelsReport {
        gateway_id: profile.gateway_id,
        source: list.source,
        models: list.models,
    })
}

impl Report for ModelsReport {
    /// One id per line on stdout (for pipes); the note about a curated list on stderr.
    fn render(&self, ui: &Ui) {
        if self.source == ModelSource::Curated {
            ui.warn(
                "the gateway did not list its models; this is aigate's list of well-known models",
            );
        }
        for m in &self.models {
            ui.out(&m.id);
        }
    }
}
