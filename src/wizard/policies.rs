//! Setup's optional policies: a gateway spend limit and a dynamic route that falls back to
//! other models. [`PoliciesPlan`] is what `gather::policies` decided (nothing changed yet);
//! [`apply`] carries it out with the same code `gateway set` and `route create` use: the spend
//! limit as aigate's rule in ONE `PUT` that carries every other field as it was read
//! ([`GatewaySettings::with`]), the route through [`Client::publish_route`]. Re-running with
//! the same answers sends nothing: the rule already equal is not sent, the route already
//! deployed with the same models is kept.

use crate::agents::Agent;
use crate::cloudflare::gateway_settings::{AIGATE_RULE_ID, Change, GatewaySettings};
use crate::cloudflare::routes::Publish;
use crate::cloudflare::{Client, Gateway};
use crate::context::Context;
use crate::domain::limits::SpendLimit;
use crate::state::ProfileRoute;
use serde::Serialize;

/// The spend limit setup sets (`--spend-limit`, or the answer to "Set a spend limit?").
#[derive(Debug, Clone, Serialize)]
pub struct SpendPlan {
    /// US dollars.
    pub amount: f64,
    /// Seconds.
    pub window: u64,
    /// As people read it: `$5 per 1d`.
    pub display: String,
    /// The gateway already has exactly this rule: nothing is sent.
    pub unchanged: bool,
}

impl SpendPlan {
    pub fn of(limit: SpendLimit, unchanged: bool) -> SpendPlan {
        SpendPlan {
            amount: limit.amount,
            window: limit.window.0,
            display: limit.to_string(),
            unchanged,
        }
    }

    /// What the profile records (and `team init` writes as `spend_limit`): `AMOUNT/WINDOW`,
    /// in the form `--spend-limit` reads back (`5/1d`, `12.50/30d`).
    pub fn record(&self) -> String {
        format!(
            "{}/{}",
            crate::domain::limits::trim_amount(self.amount),
            crate::domain::limits::Span(self.window)
        )
    }

    fn change(&self) -> Change {
        Change::SpendLimit {
            amount: self.amount,
            window: self.window,
        }
    }
}

/// What happens to the route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouteAction {
    /// Create the route (its create reply is the first version, deployed).
    Create,
    /// The route exists with other models: a new version and its deployment.
    NewVersion,
    /// The route is deployed with exactly these models: nothing is sent.
    Unchanged,
}

/// The dynamic route setup makes: `aigate-<profile>`, the default model first, then the
/// fallbacks in order.
#[derive(Debug, Clone, Serialize)]
pub struct RoutePlan {
    pub name: String,
    pub models: Vec<String>,
    pub action: RouteAction,
    /// What the clients that can call it send as the model: `dynamic/<name>`.
    pub call_as: String,
    #[serde(skip)]
    pub route_id: Option<String>,
}

impl RoutePlan {
    pub fn record(&self) -> ProfileRoute {
        ProfileRoute {
            name: self.name.clone(),
            models: self.models.clone(),
        }
    }
}

/// Step 6's answers. Empty unless asked for: nothing is limited or routed by default.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PoliciesPlan {
    pub spend_limit: Option<SpendPlan>,
    pub route: Option<RoutePlan>,
}

/// The route name of a profile: `aigate-<profile>` in the characters route names allow.
pub fn route_name(profile: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("aigate-{clean}");
    name.truncate(64);
    name
}

/// Why a client cannot send `dynamic/<route>` as its model, or `None` when it can.
/// Dynamic routes take the OpenAI chat-completions shape only (Cloudflare's "Using a dynamic
/// route": the compat endpoint, the REST route /ai/v1/chat/completions, or a Universal compat
/// step; "other formats, such as Anthropic Messages, return a 400 error").
pub fn cannot_route(agent: Agent) -> Option<&'static str> {
    match agent {
        // OpenCode 1: `dynamic/…` goes to the REST route /ai/v1/chat/completions with
        // cf-aig-gateway-id (the built-in provider's "anything else" branch); OpenCode 2: one
        // compat chat/completions step for every model.
        Agent::Opencode => None,
        Agent::ClaudeCode => Some(
            "its Anthropic Messages route cannot call a dynamic route (routes take OpenAI chat completions only)",
        ),
        Agent::Codex => Some(
            "its OpenAI Responses route cannot call a dynamic route (routes take OpenAI chat completions only)",
        ),
    }
}

/// The lines of `Plan::describe` (and the closing lines) for the clients and the route:
/// which client calls the route, which keeps its model and why.
pub fn client_lines(
    route: &RoutePlan,
    agents: &[Agent],
    model_of: &dyn Fn(Agent) -> String,
) -> Vec<String> {
    let mut out = vec![format!("  OpenCode       calls {}", route.call_as)];
    for a in agents.iter().filter(|a| **a != Agent::Opencode) {
        if let Some(why) = cannot_route(*a) {
            out.push(format!(
                "  {:<14} keeps {}: {why}",
                a.to_string(),
                model_of(*a)
            ));
        }
    }
    out
}

impl PoliciesPlan {
    pub fn is_empty(&self) -> bool {
        self.spend_limit.is_none() && self.route.is_none()
    }

    /// The spend limit changes the gateway object (a `PUT` goes out for it).
    pub fn writes_spend_limit(&self) -> bool {
        self.spend_limit.as_ref().is_some_and(|s| !s.unchanged)
    }

    /// The closing lines after setup: what is limited, what OpenCode calls, who keeps a model.
    pub fn closing(&self, agents: &[Agent], model_of: &dyn Fn(Agent) -> String) -> Vec<String> {
        let mut lines = vec![];
        if let Some(s) = &self.spend_limit {
            lines.push(format!(
                "Spend limit:      {} on the gateway (rule `{AIGATE_RULE_ID}`)",
                s.display
            ));
        }
        if let Some(r) = &self.route {
            lines.push(format!(
                "OpenCode calls:   {} ({}, in order on failure)",
                r.call_as,
                r.models.join(" → ")
            ));
            for a in agents.iter().filter(|a| **a != Agent::Opencode) {
                if let Some(why) = cannot_route(*a) {
                    lines.push(format!("{a} keeps {}: {why}", model_of(*a)));
                }
            }
        }
        lines
    }

    /// The plan's lines for `Plan::describe` / `--dry-run`.
    pub fn describe(&self, agents: &[Agent], model_of: &dyn Fn(Agent) -> String) -> Vec<String> {
        let mut lines = vec![];
        if let Some(s) = &self.spend_limit {
            let what = if s.unchanged {
                "already set".to_string()
            } else {
                format!("gateway rule `{AIGATE_RULE_ID}`; one PUT keeping every other setting")
            };
            lines.push(format!("spend limit      {} ({what})", s.display));
        }
        if let Some(r) = &self.route {
            let what = match r.action {
                RouteAction::Create => "create: route, version, deployment",
                RouteAction::NewVersion => "exists: new version and deployment",
                RouteAction::Unchanged => "already deployed",
            };
            lines.push(format!(
                "fallback route   {} → {} ({what})",
                r.call_as,
                r.models.join(" → ")
            ));
            lines.extend(client_lines(r, agents, model_of));
        }
        lines
    }
}

/// Carry out the policies after the gateway exists. The spend limit is `gateway set`'s
/// read-modify-write (aigate's rule set in the gateway object, one `PUT` of every other field
/// as it was), starting from `base`, the object this run read or wrote, when its typed form
/// carries every writable field exactly ([`exact`]); otherwise the raw object is read now.
/// The route goes out at the same time (the two are independent); a failure says what was
/// done before it. `authentication`: setup also turns the gateway's authentication on
/// (`GatewayAction::EnableAuthentication`); it rides in the spend limit's one `PUT` (one
/// round, and no second `PUT` built from a copy the first one made stale).
pub fn apply(
    ctx: &Context,
    client: &Client,
    account: &str,
    gateway: &str,
    policies: &PoliciesPlan,
    base: Option<&Gateway>,
    authentication: bool,
) -> anyhow::Result<()> {
    let spend = policies.spend_limit.as_ref().filter(|s| !s.unchanged);
    let route = policies
        .route
        .as_ref()
        .filter(|r| r.action != RouteAction::Unchanged);
    if spend.is_none() && route.is_none() && !authentication {
        return Ok(());
    }
    let spinner = ctx.ui.spinner("Setting the gateway's policies…");
    let (spent, routed) = ctx.rt.block_on(async {
        let spend_fut = async {
            if spend.is_none() && !authentication {
                return Ok(false);
            }
            let current = settings_from(client, account, gateway, base).await?;
            let mut wanted = current.clone();
            if authentication {
                wanted
                    .raw
                    .insert("authentication".into(), serde_json::Value::Bool(true));
            }
            if let Some(s) = spend {
                wanted = wanted.with(&s.change());
            }
            if wanted == current {
                return Ok(false);
            }
            client
                .put_gateway_settings(account, gateway, &wanted)
                .await
                .map(|_| true)
        };
        let route_fut = async {
            let Some(r) = route else { return Ok(None) };
            let how = match (&r.action, &r.route_id) {
                (RouteAction::NewVersion, Some(id)) => Publish::NewVersion {
                    route_id: id.clone(),
                },
                _ => Publish::Create,
            };
            client
                .publish_route(account, gateway, &r.name, &how, &r.models)
                .await
                .map(Some)
        };
        tokio::join!(spend_fut, route_fut)
    });
    drop(spinner);
    let nothing_local = "nothing was stored or written on this machine";
    match (spent, routed) {
        (Ok(sent), Ok(made)) => {
            if sent && authentication {
                ctx.ui
                    .ok(&format!("Turned authentication on for '{gateway}'"));
            }
            if let (true, Some(s)) = (sent, spend) {
                ctx.ui.ok(&format!(
                    "Spend limit {} set on '{gateway}' (rule `{AIGATE_RULE_ID}`)",
                    s.display
                ));
            }
            if let (Some(made), Some(r)) = (made, route) {
                ctx.ui.ok(&format!(
                    "Route {} deployed: {} (version {})",
                    r.call_as,
                    made.model_chain().join(" → "),
                    made.deployment
                        .as_ref()
                        .map_or("?", |d| d.version_id.as_str())
                ));
            }
            Ok(())
        }
        (Err(e), Ok(made)) => {
            let done = match (made, route) {
                (Some(_), Some(r)) => format!("route {} was deployed; ", r.call_as),
                _ => String::new(),
            };
            Err(anyhow::Error::new(e).context(format!(
                "could not {}; {done}{nothing_local}",
                what_put(authentication, spend.is_some())
            )))
        }
        (Ok(sent), Err(e)) => {
            let done = match (sent, spend, authentication) {
                (true, Some(s), false) => format!("the spend limit {} was set; ", s.display),
                (true, Some(s), true) => format!(
                    "authentication was turned on and the spend limit {} set; ",
                    s.display
                ),
                (true, None, true) => "authentication was turned on; ".to_string(),
                _ => String::new(),
            };
            let name = route.map_or("", |r| r.name.as_str());
            Err(anyhow::Error::new(e).context(format!(
                "could not make route {name}; {done}{nothing_local}"
            )))
        }
        (Err(e), Err(_)) => Err(anyhow::Error::new(e).context(format!(
            "could not {} nor make the route; {nothing_local}",
            what_put(authentication, spend.is_some())
        ))),
    }
}

/// What the gateway `PUT` was for, said after "could not".
fn what_put(authentication: bool, spend: bool) -> &'static str {
    match (authentication, spend) {
        (true, true) => "turn authentication on and set the spend limit",
        (true, false) => "turn authentication on",
        _ => "set the spend limit",
    }
}

/// Turn authentication on, every other field as it was (see [`settings_from`]).
pub async fn authentication_on(
    client: &Client,
    account: &str,
    gateway: &str,
    g: &Gateway,
) -> Result<Gateway, crate::cloudflare::ApiError> {
    let mut s = settings_from(client, account, gateway, Some(g)).await?;
    s.raw
        .insert("authentication".into(), serde_json::Value::Bool(true));
    let saved = client.put_gateway_settings(account, gateway, &s).await?;
    serde_json::from_value(serde_json::Value::Object(saved.raw)).map_err(|e| {
        crate::cloudflare::ApiError::unexpected(
            crate::cloudflare::ops::UPDATE_GATEWAY,
            200,
            &format!("the gateway has an unexpected shape ({e})"),
        )
    })
}

/// The gateway's settings to change and send back whole: `base` (the typed object this run
/// read or wrote) when it gives back every writable field exactly ([`exact`]), else the raw
/// object read now (a `null` the typed form would drop stays `null` instead of becoming a
/// default).
async fn settings_from(
    client: &Client,
    account: &str,
    gateway: &str,
    base: Option<&Gateway>,
) -> Result<GatewaySettings, crate::cloudflare::ApiError> {
    match base.filter(|g| exact(g)) {
        Some(g) => Ok(GatewaySettings::of_gateway(g)),
        None => client.gateway_settings(account, gateway).await,
    }
}

/// Whether the typed gateway gives back every writable field as Cloudflare sent it: its
/// optional fields that are left out when unset (`authentication`,
/// `rate_limiting_technique`) are set, so nothing Cloudflare sent as `null` would be dropped
/// from the `PUT` (unknown fields are kept in `extra`; the rest are read-only).
fn exact(g: &Gateway) -> bool {
    g.authentication.is_some() && g.rate_limiting_technique.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_follow_the_route_rule() {
        assert_eq!(route_name("default"), "aigate-default");
        assert_eq!(route_name("team.dev"), "aigate-team-dev");
        assert_eq!(route_name(&"x".repeat(64)).len(), 64);
        assert!(crate::domain::limits::parse_route_name(&route_name("a.b_c-d")).is_ok());
    }

    #[test]
    fn only_opencode_calls_the_route() {
        let r = RoutePlan {
            name: "aigate-default".into(),
            models: vec!["openai/gpt-5".into(), "anthropic/claude-haiku-4.5".into()],
            action: RouteAction::Create,
            call_as: "dynamic/aigate-default".into(),
            route_id: None,
        };
        let lines = client_lines(
            &r,
            &[Agent::Opencode, Agent::ClaudeCode, Agent::Codex],
            &|a| format!("{a}-model"),
        );
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("calls dynamic/aigate-default"));
        assert!(lines[1].contains("Anthropic Messages route cannot call a dynamic route"));
        assert!(lines[2].contains("Responses route cannot call"));
    }
}
