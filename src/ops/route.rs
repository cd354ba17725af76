//! `aigate route create|list|delete`: dynamic routes that send to a model and fall back in
//! order when it fails. Creating one checks every model against the gateway's catalog first,
//! then creates the route with its graph: the create reply is its first version, deployed (see
//! [`crate::cloudflare::routes::Publish`]).

use super::{Target, confirm, require_yes_or_terminal, target};
use crate::cloudflare::ModelSource;
use crate::cloudflare::routes::{DynamicRoute, Publish};
use crate::context::Context;
use crate::exit::{Failure, Kind};
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RouteView {
    pub name: String,
    pub id: String,
    /// The models in the order a request tries them.
    pub models: Vec<String>,
    pub version_id: Option<String>,
    pub deployment_id: Option<String>,
    /// What clients send as the model.
    pub call_as: String,
}

impl RouteView {
    fn of(r: &DynamicRoute) -> RouteView {
        RouteView {
            name: r.name.clone(),
            id: r.id.clone(),
            models: r.model_chain(),
            version_id: r.version.as_ref().map(|v| v.version_id.clone()),
            deployment_id: r.deployment.as_ref().map(|d| d.deployment_id.clone()),
            call_as: format!("dynamic/{}", r.name),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RouteReport {
    pub action: &'static str,
    /// False when the user declined.
    pub done: bool,
    pub gateway_id: String,
    pub routes: Vec<RouteView>,
}

impl Report for RouteReport {
    fn render(&self, ui: &Ui) {
        if !self.done {
            ui.out("Nothing changed (not confirmed).");
            return;
        }
        match self.action {
            "list" if self.routes.is_empty() => {
                ui.out(&format!(
                    "No dynamic routes on gateway {}.",
                    self.gateway_id
                ));
            }
            "list" => {
                for r in &self.routes {
                    ui.out(&format!("{:<24} {}", r.call_as, r.models.join(" → ")));
                }
            }
            action => {
                for r in &self.routes {
                    let verb = if action == "create" {
                        "Created"
                    } else {
                        "Deleted"
                    };
                    ui.out(&format!(
                        "{verb} route {} on gateway {}: {}",
                        r.name,
                        self.gateway_id,
                        r.models.join(" → ")
                    ));
                    if action == "create" {
                        ui.out(&format!(
                            "Call it with \"model\": \"{}\" on the gateway's /compat/chat/completions \
                             (e.g. `aigate test --model {}`)",
                            r.call_as, r.call_as
                        ));
                    }
                }
            }
        }
    }

    fn exit_code(&self) -> i32 {
        if self.done {
            crate::exit::SUCCESS
        } else {
            crate::exit::FAILURE
        }
    }
}

pub fn list(ctx: &Context) -> anyhow::Result<RouteReport> {
    let t = target(ctx)?;
    let routes = ctx
        .rt
        .block_on(t.client.list_routes(&t.account_id, &t.gateway_id))?;
    Ok(RouteReport {
        action: "list",
        done: true,
        gateway_id: t.gateway_id,
        routes: routes.iter().map(RouteView::of).collect(),
    })
}

/// Every model must be in the gateway's catalog (when the gateway lists one).
fn check_catalog(ctx: &Context, t: &Target, models: &[String]) -> anyhow::Result<()> {
    let list = ctx
        .rt
        .block_on(t.client.list_models(&t.account_id, &t.gateway_id))?;
    if list.source != ModelSource::Gateway {
        ctx.ui
            .warn("the gateway's model list is unavailable; the models were not checked");
        return Ok(());
    }
    let missing: Vec<&String> = models
        .iter()
        .filter(|m| !list.models.iter().any(|x| &x.id == *m))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    Err(Failure::usage(format!(
        "not in the gateway's model catalog: {}",
        names.join(", ")
    ))
    .with_hint("see `aigate models` for the ids this gateway serves")
    .into())
}

/// Create route `name`: `models[0]`, then each fallback in order.
pub fn create(
    ctx: &Context,
    name: &str,
    models: &[String],
    yes: bool,
) -> anyhow::Result<RouteReport> {
    require_yes_or_terminal(yes, "route create")?;
    let t = target(ctx)?;
    let existing = ctx
        .rt
        .block_on(t.client.find_route(&t.account_id, &t.gateway_id, name))?;
    if existing.is_some() {
        return Err(Failure::new(
            Kind::Other,
            format!(
                "a route named {name} already exists on gateway {}",
                t.gateway_id
            ),
        )
        .with_hint(format!("delete it first: `aigate route delete {name}`"))
        .into());
    }
    check_catalog(ctx, &t, models)?;
    ctx.ui.line(&format!(
        "Route {name} on gateway {}: start → {} → end",
        t.gateway_id,
        models.join(" → (on failure) ")
    ));
    if !confirm(yes, "Create this route?")? {
        return Ok(RouteReport {
            action: "create",
            done: false,
            gateway_id: t.gateway_id,
            routes: vec![],
        });
    }
    let route = ctx.rt.block_on(t.client.publish_route(
        &t.account_id,
        &t.gateway_id,
        name,
        &Publish::Create,
        models,
    ))?;
    Ok(RouteReport {
        action: "create",
        done: true,
        gateway_id: t.gateway_id,
        routes: vec![RouteView::of(&route)],
    })
}

pub fn delete(ctx: &Context, name: &str, yes: bool) -> anyhow::Result<RouteReport> {
    require_yes_or_terminal(yes, "route delete")?;
    let t = target(ctx)?;
    let found = ctx
        .rt
        .block_on(t.client.find_route(&t.account_id, &t.gateway_id, name))?;
    let Some(route) = found else {
        return Err(Failure::new(
            Kind::Other,
            format!("no route named {name} on gateway {}", t.gateway_id),
        )
        .with_hint("see `aigate route list`")
        .into());
    };
    if !confirm(yes, &format!("Delete route {name}?"))? {
        return Ok(RouteReport {
            action: "delete",
            done: false,
            gateway_id: t.gateway_id,
            routes: vec![],
        });
    }
    ctx.rt.block_on(
        t.client
            .delete_route(&t.account_id, &t.gateway_id, &route.id),
    )?;
    Ok(RouteReport {
        action: "delete",
        done: true,
        gateway_id: t.gateway_id,
        routes: vec![RouteView::of(&route)],
    })
}
