//! Step 6 (optional): a spend limit on the gateway and fallback models behind a dynamic route.
//! Interactively: "Set a spend limit?" and "Add fallback models?", both No by default (the
//! profile's route, on a re-run, is the default). Non-interactively: only what `--spend-limit`,
//! `--fallback-model` or aigate.toml give (a profile's route is kept). Fallbacks are checked
//! against the gateway's catalog read in the first round, and the route's current state comes
//! from the route list started there too: nothing is read twice, nothing is changed here.

use super::Ask;
use super::fetch::Reads;
use super::gateway::GatewayChoice;
use super::model::ModelChoice;
use crate::cloudflare::gateway_settings::{Change, GatewaySettings};
use crate::cloudflare::{Account, ModelSource};
use crate::domain::limits::{Span, SpendLimit, parse_spend_limit, trim_amount};
use crate::exit::Failure;
use crate::wizard::plan::{BillingPlan, GatewayAction};
use crate::wizard::policies::{PoliciesPlan, RouteAction, RoutePlan, SpendPlan, route_name};

pub fn step(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
    gw: &GatewayChoice,
    billing: &BillingPlan,
    models: &ModelChoice,
) -> anyhow::Result<PoliciesPlan> {
    let ctx = q.ctx;
    // The route list is read while the questions are on screen.
    if q.prompter.interactive() && gw.exists() {
        reads.start_routes(&account.id, &gw.id);
    }
    let spend = spend_limit(q, gw)?;
    let fallbacks = fallbacks(q, models, billing)?;
    let route = match fallbacks {
        Some(f) if !f.is_empty() => Some(route_plan(q, reads, account, gw, models, f)?),
        _ => None,
    };
    let plan = PoliciesPlan {
        spend_limit: spend,
        route,
    };
    if let (None, Some(old)) = (&plan.route, q.previous.and_then(|p| p.route.as_ref())) {
        ctx.ui.note(&format!(
            "OpenCode goes back to {}; route {} stays on the gateway              (`aigate route delete {} --yes` removes it)",
            models.model, old.name, old.name
        ));
    }
    if plan.is_empty() {
        ctx.ui
            .info("No spend limit and no fallback route (--spend-limit, --fallback-model).");
    }
    if let Some(s) = &plan.spend_limit {
        ctx.ui.ok(&format!("Spend limit {}", s.display));
    }
    if let Some(r) = &plan.route {
        ctx.ui
            .ok(&format!("Route {}: {}", r.call_as, r.models.join(" → ")));
    }
    Ok(plan)
}

/// The gateway's current settings, as read in the first round (`None` for a new gateway).
fn current_settings(gw: &GatewayChoice) -> Option<GatewaySettings> {
    match &gw.action {
        GatewayAction::Use(g) | GatewayAction::EnableAuthentication(g) => {
            Some(GatewaySettings::of_gateway(g))
        }
        GatewayAction::Create => None,
    }
}

fn spend_limit(q: &mut Ask<'_>, gw: &GatewayChoice) -> anyhow::Result<Option<SpendPlan>> {
    let current = current_settings(gw);
    let ours = current.as_ref().and_then(|s| {
        s.spend_rules()
            .into_iter()
            .find(|r| r.id.as_deref() == Some(crate::cloudflare::gateway_settings::AIGATE_RULE_ID))
    });
    let limit = match q.args.spend_limit {
        Some(l) => Some(l),
        None if q.prompter.interactive() => {
            if let Some(r) = &ours {
                q.ctx.ui.info(&format!(
                    "The gateway's spend limit now: ${} per {}",
                    trim_amount(r.limit),
                    Span(r.window)
                ));
            }
            if q.prompter
                .confirm("Set a spend limit on the gateway?", false, "--spend-limit")?
            {
                let default = ours
                    .as_ref()
                    .map(|r| format!("{}/{}", trim_amount(r.limit), Span(r.window)));
                let text = q.prompter.input(
                    "Spend limit in US dollars per window (e.g. 5/1d, 50/30d)",
                    default.as_deref(),
                    &|s| parse_spend_limit(s).map(drop),
                    "--spend-limit",
                )?;
                Some(parse_spend_limit(&text).map_err(Failure::usage)?)
            } else {
                None
            }
        }
        None => None,
    };
    Ok(limit.map(|l: SpendLimit| {
        let unchanged = current.as_ref().is_some_and(|s| {
            s.with(&Change::SpendLimit {
                amount: l.amount,
                window: l.window.0,
            }) == *s
        });
        SpendPlan::of(l, unchanged)
    }))
}

/// The fallback models: the flags (or aigate.toml), else the question, else the profile's
/// route kept as it was. `None`: no route.
fn fallbacks(
    q: &mut Ask<'_>,
    models: &ModelChoice,
    billing: &BillingPlan,
) -> anyhow::Result<Option<Vec<String>>> {
    let previous: Vec<String> = q
        .previous
        .and_then(|p| p.route.as_ref())
        .map(|r| r.models.iter().skip(1).cloned().collect())
        .unwrap_or_default();
    let candidates = candidates(models, billing);
    if !q.args.fallback_models.is_empty() {
        let given: Vec<String> = q
            .args
            .fallback_models
            .iter()
            .map(ToString::to_string)
            .collect();
        check(&given, models, &candidates)?;
        return Ok(Some(given));
    }
    if !q.prompter.interactive() {
        // A re-run keeps the profile's route (re-checked against today's catalog).
        if previous.is_empty() {
            return Ok(None);
        }
        check(&previous, models, &candidates)?;
        return Ok(Some(previous));
    }
    let offered: Vec<String> = candidates
        .iter()
        .filter(|m| **m != models.model)
        .cloned()
        .collect();
    if offered.is_empty() {
        return Ok(None);
    }
    q.ctx.ui.info(&format!(
        "Fallback models: when {} fails, the gateway tries them in order (a dynamic route).",
        models.model
    ));
    if !q.prompter.confirm(
        "Add fallback models?",
        !previous.is_empty(),
        "--fallback-model",
    )? {
        return Ok(None);
    }
    let defaults: Vec<bool> = offered.iter().map(|m| previous.contains(m)).collect();
    let picked = q.prompter.multi_select(
        "Fallback models, tried in the order listed (space to pick, enter to confirm)",
        &offered,
        &defaults,
        "--fallback-model",
    )?;
    Ok(Some(
        picked.into_iter().map(|i| offered[i].clone()).collect(),
    ))
}

/// The catalog models this billing can reach (BYOK: the providers with a stored key).
fn candidates(models: &ModelChoice, billing: &BillingPlan) -> Vec<String> {
    super::model::reachable(&models.list, billing)
}

/// Every fallback must be a catalog model (when the gateway lists one) the billing can
/// reach, other than the default model, and named once.
fn check(given: &[String], models: &ModelChoice, candidates: &[String]) -> anyhow::Result<()> {
    for (i, m) in given.iter().enumerate() {
        if *m == models.model {
            return Err(Failure::usage(format!(
                "--fallback-model {m} is the default model itself"
            ))
            .with_hint("name other models to fall back to, or choose another --model")
            .into());
        }
        if given[..i].contains(m) {
            return Err(Failure::usage(format!("--fallback-model {m} is named twice")).into());
        }
        if models.list.source == ModelSource::Gateway && !candidates.contains(m) {
            let why = if models.list.models.iter().any(|x| x.id == *m) {
                "is not offered by the providers whose keys are stored"
            } else {
                "is not in the gateway's model catalog"
            };
            return Err(Failure::usage(format!("--fallback-model {m} {why}"))
                .with_hint(
                    "see `aigate models` for the ids this gateway serves; nothing was changed",
                )
                .into());
        }
    }
    Ok(())
}

/// The route for `fallbacks`: created, given a new version, or kept as deployed.
fn route_plan(
    q: &Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
    gw: &GatewayChoice,
    models: &ModelChoice,
    fallbacks: Vec<String>,
) -> anyhow::Result<RoutePlan> {
    let name = route_name(q.ctx.profile_name());
    let chain: Vec<String> = std::iter::once(models.model.clone())
        .chain(fallbacks)
        .collect();
    let existing = if gw.exists() {
        reads
            .routes(&account.id, &gw.id)?
            .into_iter()
            .find(|r| r.name == name)
    } else {
        None
    };
    let (action, route_id) = match existing {
        None => (RouteAction::Create, None),
        Some(r) if r.deployment.is_some() && r.model_chain() == chain => {
            (RouteAction::Unchanged, Some(r.id))
        }
        Some(r) => (RouteAction::NewVersion, Some(r.id)),
    };
    Ok(RoutePlan {
        call_as: format!("dynamic/{name}"),
        name,
        models: chain,
        action,
        route_id,
    })
}
