//! Step 3: the gateway: pick an existing one or create one with safe defaults
//! (authentication on, logs on). Nothing is created here; the plan says what to do.

use super::fetch::Reads;
use super::{Ask, Early};
use crate::cli::SetupArgs;
use crate::cloudflare::{Account, Gateway};
use crate::context::Context;
use crate::exit::Failure;
use crate::prompt::Prompter;
use crate::wizard::plan::GatewayAction;

/// What step 3 found.
pub struct GatewayChoice {
    pub id: String,
    pub action: GatewayAction,
}

impl GatewayChoice {
    /// Whether the gateway exists already (so its model list and provider configs can be read).
    pub fn exists(&self) -> bool {
        !matches!(self.action, GatewayAction::Create)
    }
}

/// Cloudflare's rule for gateway ids: 1 to 64 of `a-z 0-9 _`, with single `-` separators.
pub fn validate_gateway_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 64 {
        return Err(format!(
            "a gateway id has 1 to 64 characters ('{id}' has {})",
            id.len()
        ));
    }
    if crate::cloudflare::is_valid_gateway_id(id) {
        Ok(())
    } else {
        Err(format!(
            "'{id}' is not a valid gateway id: use lowercase letters, digits and _, with single - between words (e.g. opencode-team)"
        ))
    }
}

pub fn step(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
) -> anyhow::Result<GatewayChoice> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let early = Early::of(q);
    let prompter = &mut *q.prompter;
    if let Some(id) = &args.gateway {
        validate_gateway_id(id).map_err(|m| Failure::usage(m).with_hint("fix --gateway"))?;
    }
    let prev = previous
        .filter(|p| p.account_id == account.id)
        .map(|p| p.gateway_id.clone());
    let (id, found) = match (&args.gateway, prev) {
        // A known id: one GET says whether it exists (no list, however many gateways).
        (Some(id), _) => (id.to_string(), lookup(ctx, reads, &account.id, id)?),
        (None, Some(id)) if !prompter.interactive() => {
            let found = lookup(ctx, reads, &account.id, &id)?;
            if found.is_none() {
                return Err(Failure::usage(format!(
                    "the profile's gateway '{id}' no longer exists"
                ))
                .with_hint(format!(
                    "pass --gateway {id} --create-gateway to create it again, or another --gateway"
                ))
                .into());
            }
            (id, found)
        }
        (None, prev) => {
            super::start_account_reads(early, reads, &account.id);
            let spinner = ctx.ui.spinner("Listing gateways…");
            let gateways = reads.gateways(&account.id);
            drop(spinner);
            let gateways = gateways?;
            ctx.ui.ok(&format!(
                "{} gateway(s) in {}",
                gateways.len(),
                account.name
            ));
            pick(prompter, prev, reads, early, account, &gateways)?
        }
    };
    if found.is_some() {
        // While the next questions are read, fetch what they need about this gateway.
        super::start_gateway_reads(early, reads, &account.id, &id);
    }
    let action = match found {
        Some(g) => existing(ctx, args, prompter, g)?,
        None if args.create_gateway || args.gateway.is_none() => GatewayAction::Create,
        None => {
            let create = prompter
                .confirm(
                    &format!(
                        "Gateway '{id}' does not exist in {}. Create it?",
                        account.name
                    ),
                    true,
                    "--create-gateway",
                )
                .map_err(|_| {
                    // Only on this error path: which gateways there are, for the hint.
                    let gateways = reads.gateways(&account.id).unwrap_or_default();
                    Failure::usage(format!(
                        "gateway '{id}' does not exist in account {}",
                        account.id
                    ))
                    .with_hint(format!(
                        "add --create-gateway to create it{}",
                        if gateways.is_empty() {
                            String::new()
                        } else {
                            format!(
                                ", or use one of: {}",
                                gateways
                                    .iter()
                                    .map(|g| g.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ))
                })?;
            if !create {
                return Err(Failure::usage("no gateway chosen")
                    .with_hint("re-run and pick or create a gateway")
                    .into());
            }
            GatewayAction::Create
        }
    };
    match &action {
        GatewayAction::Create => ctx.ui.ok(&format!(
            "Gateway '{id}' will be created (authentication on, logs on)"
        )),
        GatewayAction::Use(_) => ctx.ui.ok(&format!("Gateway '{id}'")),
        GatewayAction::EnableAuthentication(_) => ctx.ui.ok(&format!(
            "Gateway '{id}' (authentication will be turned on)"
        )),
    }
    Ok(GatewayChoice { id, action })
}

/// Whether gateway `id` exists, waiting for the lookup started in the first round.
fn lookup(
    ctx: &Context,
    reads: &mut Reads<'_>,
    account: &str,
    id: &str,
) -> anyhow::Result<Option<Gateway>> {
    let spinner = ctx.ui.spinner(&format!("Looking up gateway '{id}'…"));
    let found = reads.gateway(account, id);
    drop(spinner);
    Ok(found?)
}

const CREATE_NEW: &str = "+ Create a new gateway";

/// The interactive choice over the account's gateways (a fuzzy filter: type to narrow
/// hundreds of them down).
fn pick(
    prompter: &mut dyn Prompter,
    prev: Option<String>,
    reads: &mut Reads<'_>,
    early: Early<'_>,
    account: &Account,
    gateways: &[Gateway],
) -> anyhow::Result<(String, Option<Gateway>)> {
    let mut items: Vec<String> = gateways
        .iter()
        .map(|g| {
            format!(
                "{}  (authentication {}, logs {})",
                g.id,
                on_off(g.authentication.unwrap_or(false)),
                on_off(g.collect_logs)
            )
        })
        .collect();
    items.push(CREATE_NEW.into());
    let default = prev
        .and_then(|id| gateways.iter().position(|g| g.id == id))
        .unwrap_or(0);
    if let Some(g) = gateways.get(default) {
        super::start_gateway_reads(early, reads, &account.id, &g.id);
    }
    let i = prompter.fuzzy_select(
        "Which AI Gateway should OpenCode use?",
        &items,
        default,
        "--gateway",
    )?;
    if i < gateways.len() {
        return Ok((gateways[i].id.clone(), Some(gateways[i].clone())));
    }
    let taken: Vec<String> = gateways.iter().map(|g| g.id.clone()).collect();
    let suggestion = if taken.iter().any(|t| t == "opencode") {
        None
    } else {
        Some("opencode")
    };
    let id = prompter.input(
        "New gateway id",
        suggestion,
        &move |s: &str| {
            validate_gateway_id(s)?;
            if taken.iter().any(|t| t == s) {
                return Err(format!("'{s}' is already taken in this account; pick another id or select it from the list"));
            }
            Ok(())
        },
        "--gateway",
    )?;
    Ok((id, None))
}

/// An existing gateway: use it, or turn authentication on first (billing needs it).
fn existing(
    ctx: &Context,
    args: &SetupArgs,
    prompter: &mut dyn Prompter,
    g: Gateway,
) -> anyhow::Result<GatewayAction> {
    if g.authentication.unwrap_or(false) {
        return Ok(GatewayAction::Use(g));
    }
    ctx.ui.warn(&format!(
        "gateway '{}' has authentication off; Unified Billing and stored provider keys need it on,",
        g.id
    ));
    ctx.ui
        .info("and then every request must carry a Cloudflare token (cf-aig-authorization).");
    let enable = args.enable_authentication
        || prompter
            .confirm(
                "Turn authentication on for this gateway?",
                true,
                "--enable-authentication",
            )
            .map_err(|_| {
                Failure::usage(format!("gateway '{}' has authentication off", g.id)).with_hint(
                    "pass --enable-authentication to turn it on, or choose another gateway",
                )
            })?;
    if !enable {
        return Err(Failure::usage("the gateway must have authentication on")
            .with_hint("choose another gateway or let aigate turn authentication on")
            .into());
    }
    Ok(GatewayAction::EnableAuthentication(g))
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::validate_gateway_id;

    #[test]
    fn gateway_id_rules() {
        for ok in ["a", "my-gateway", "team_1-prod", &"a".repeat(64)] {
            assert!(validate_gateway_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "My-Gateway",
            "a.b",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(validate_gateway_id(bad).is_err(), "{bad}");
        }
    }
}
