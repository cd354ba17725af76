//! Step 4: Unified Billing (pay Cloudflare; show the credit balance) or BYOK (provider keys
//! stored in the gateway through its provider-config API, never on disk).

use super::Ask;
use super::fetch::Reads;
use super::gateway::GatewayChoice;
use crate::Secret;
use crate::cloudflare::{Account, CreditBalance, ProviderConfig};
use crate::context::Context;
use crate::domain::{Billing, ByokKeySpec};
use crate::exit::Failure;
use crate::wizard::plan::{BillingPlan, ByokKey};

pub use crate::domain::BYOK_PROVIDERS;

pub fn credits_url(account_id: &str) -> String {
    format!(
        "https://dash.cloudflare.com/{account_id}/ai/ai-gateway (Credits Available › Manage › Top-up)"
    )
}

/// The credit balance (started in the first round), or `None` when this token may not read it.
fn balance(ctx: &Context, reads: &mut Reads<'_>, account: &Account) -> Option<CreditBalance> {
    match reads.balance(&account.id) {
        Ok(b) => Some(b),
        Err(e) => {
            ctx.ui.debug(&format!("credit balance unavailable: {e}"));
            None
        }
    }
}

pub fn step(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
    gw: &GatewayChoice,
) -> anyhow::Result<BillingPlan> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    let choice = match args.billing {
        Some(b) => b.into(),
        None if !args.byok_keys.is_empty() => Billing::Byok,
        None => {
            let prev = previous.map(|p| p.billing);
            if !prompter.interactive()
                && let Some(b) = prev
            {
                b
            } else {
                let balance = balance(ctx, reads, account)
                    .as_ref()
                    .map(|b| {
                        format!(
                            " Your credit balance: {}.",
                            crate::wizard::plan::balance_display(b)
                        )
                    })
                    .unwrap_or_default();
                ctx.ui.info("Unified Billing: Cloudflare pays the providers and bills you; one bill, no provider");
                ctx.ui.info(&format!(
                    "  accounts or keys to manage, but you load credits first.{balance}"
                ));
                ctx.ui.info("BYOK: your own provider keys, kept encrypted in the gateway (Secrets Store); you keep");
                ctx.ui
                    .info("  your provider contracts and rates, and manage one key per provider.");
                let items = vec![
                    "Unified Billing (pay Cloudflare)".to_string(),
                    "BYOK (bring your own provider keys)".to_string(),
                ];
                let default = usize::from(prev == Some(Billing::Byok));
                match prompter.select(
                    "How should model usage be paid?",
                    &items,
                    default,
                    "--billing",
                )? {
                    0 => Billing::Unified,
                    _ => Billing::Byok,
                }
            }
        }
    };
    match choice {
        Billing::Unified => {
            let balance = balance(ctx, reads, account);
            match &balance {
                Some(b) if b.balance <= 0.0 => {
                    ctx.ui.warn(&format!(
                        "your credit balance is {}: requests will fail until you load credits",
                        crate::wizard::plan::balance_display(b)
                    ));
                    ctx.ui
                        .info(&format!("load credits at {}", credits_url(&account.id)));
                }
                Some(b) => {
                    ctx.ui.ok(&format!(
                        "Unified Billing (credit balance {})",
                        crate::wizard::plan::balance_display(b)
                    ));
                    ctx.ui.info(&format!(
                        "load more credits at {}",
                        credits_url(&account.id)
                    ));
                }
                None => ctx
                    .ui
                    .ok("Unified Billing (credit balance not available to this token)"),
            }
            Ok(BillingPlan::Unified { balance })
        }
        Billing::Byok => byok(q, reads, account, gw),
    }
}

fn byok(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    account: &Account,
    gw: &GatewayChoice,
) -> anyhow::Result<BillingPlan> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    let flagged = parse_byok_flags(&args.byok_keys)?;
    let existing: Vec<ProviderConfig> = if gw.exists() {
        reads
            .providers(&account.id, &gw.id)?
            .into_iter()
            .filter(|c| c.alias == "default")
            .collect()
    } else {
        vec![]
    };
    let existing_id = |slug: &str| {
        existing
            .iter()
            .find(|c| c.provider_slug == slug)
            .map(|c| c.id.clone())
    };
    let mut keys = vec![];
    if !flagged.is_empty() {
        for (provider, secret) in flagged {
            keys.push(ByokKey {
                existing_id: existing_id(&provider),
                provider,
                secret,
            });
        }
    } else if prompter.interactive() {
        let previous_providers = previous
            .map(|p| p.byok_providers.clone())
            .unwrap_or_default();
        let items: Vec<String> = BYOK_PROVIDERS
            .iter()
            .map(
                |(slug, label)| match existing.iter().find(|c| c.provider_slug == *slug) {
                    Some(c) => format!(
                        "{label}  (key stored: {})",
                        c.secret_preview.as_deref().unwrap_or("yes")
                    ),
                    None => label.to_string(),
                },
            )
            .collect();
        let defaults: Vec<bool> = BYOK_PROVIDERS
            .iter()
            .map(|(slug, _)| {
                existing_id(slug).is_some() || previous_providers.iter().any(|p| p == slug)
            })
            .collect();
        let chosen = loop {
            let chosen = prompter.multi_select(
                "Which providers' keys should the gateway use?",
                &items,
                &defaults,
                "--byok-key",
            )?;
            if !chosen.is_empty() {
                break chosen;
            }
            // Nothing selected: say how to select, and ask again.
            ctx.ui.warn(
                "BYOK needs at least one provider key: move to a provider and press space to select it",
            );
        };
        for i in chosen {
            let (slug, label) = BYOK_PROVIDERS[i];
            let stored = existing_id(slug);
            if stored.is_some()
                && !prompter.confirm(
                    &format!("Replace the stored {label} key?"),
                    false,
                    "--byok-key",
                )?
            {
                continue;
            }
            let secret =
                prompter.password(&format!("{label} API key (input is hidden)"), "--byok-key")?;
            keys.push(ByokKey {
                provider: slug.to_string(),
                secret,
                existing_id: stored,
            });
        }
    } else if existing.is_empty() {
        return Err(Failure::missing_answer(
            "a provider key for BYOK",
            "--byok-key PROVIDER=ENV_VAR",
        )
        .into());
    }
    let kept: Vec<String> = existing
        .iter()
        .map(|c| c.provider_slug.clone())
        .filter(|slug| !keys.iter().any(|k| &k.provider == slug))
        .collect();
    for k in &keys {
        let verb = if k.existing_id.is_some() {
            "replaced"
        } else {
            "stored"
        };
        ctx.ui.ok(&format!(
            "{} key will be {verb} in the gateway (alias default), never on disk",
            k.provider
        ));
    }
    for p in &kept {
        ctx.ui.ok(&format!("{p} key already stored in the gateway"));
    }
    Ok(BillingPlan::Byok { keys, kept })
}

/// `PROVIDER=ENV_VAR` pairs: the value names an env var holding the key (never the key).
/// The keys named by `--byok-key` (already checked by the flag's parser), read from the
/// environment.
pub fn parse_byok_flags(specs: &[ByokKeySpec]) -> anyhow::Result<Vec<(String, Secret)>> {
    if let Some(p) = ByokKeySpec::duplicate(specs) {
        return Err(Failure::usage(format!("--byok-key names {p} twice")).into());
    }
    let mut out: Vec<(String, Secret)> = vec![];
    for spec in specs {
        let Some(value) = spec.read_key() else {
            return Err(Failure::usage(format!(
                "--byok-key {spec}: the environment variable {} is not set",
                spec.var
            ))
            .with_hint(format!(
                "export {} with the {} key first",
                spec.var, spec.provider
            ))
            .into());
        };
        out.push((spec.provider.clone(), value));
    }
    Ok(out)
}
