//! `aigate setup` inside a repository with an `aigate.toml`: the file answers every question
//! but the token. Flags that contradict it are refused (exit 2) before anything happens.

use super::file::{self, TeamFile};
use crate::cli::{BillingArg, SetupArgs, TokenDeliveryArg};
use crate::context::Context;
use crate::domain::Billing;
use crate::exit::Failure;
use std::path::PathBuf;

/// The team file that applies here, if any (a bad file is an error with line and column).
pub fn find(ctx: &Context) -> anyhow::Result<Option<(PathBuf, TeamFile)>> {
    if ctx.sandbox.is_some() {
        return Ok(None);
    }
    match file::find(&ctx.env.cwd) {
        Some(path) => {
            let team = TeamFile::load(&path)?;
            Ok(Some((path, team)))
        }
        None => Ok(None),
    }
}

/// The setup flags with the team file's answers filled in.
pub fn answers(
    ctx: &Context,
    path: &std::path::Path,
    team: &TeamFile,
    args: &SetupArgs,
) -> anyhow::Result<SetupArgs> {
    let clash = |flag: &str, given: &str, key: &str, want: &str| -> anyhow::Result<()> {
        if given == want {
            return Ok(());
        }
        Err(Failure::usage(format!(
            "{flag} {given} contradicts {} ({key} = \"{want}\")",
            path.display()
        ))
        .with_hint(format!("leave out {flag}: the team file answers it"))
        .into())
    };
    let mut a = args.clone();
    if let Some(g) = &a.account_id {
        clash("--account-id", g.as_ref(), "account_id", &team.account_id)?;
    }
    if let Some(g) = &a.gateway {
        clash("--gateway", g.as_ref(), "gateway_id", &team.gateway_id)?;
    }
    let typed = |key: &str, e: String| -> anyhow::Error {
        Failure::usage(format!("{}: `{key}`: {e}", path.display())).into()
    };
    a.account_id = Some(
        team.account_id
            .parse()
            .map_err(|e| typed("account_id", e))?,
    );
    a.gateway = Some(
        team.gateway_id
            .parse()
            .map_err(|e| typed("gateway_id", e))?,
    );
    a.billing.get_or_insert(match team.billing {
        Billing::Unified => BillingArg::Unified,
        Billing::Byok => BillingArg::Byok,
    });
    if a.model.is_none() {
        a.model = Some(team.model.parse().map_err(|e| typed("model", e))?);
    }
    if let (None, Some(s)) = (&a.small_model, &team.small_model) {
        a.small_model = Some(s.parse().map_err(|e| typed("small_model", e))?);
    }
    if let Some(m) = &a.model {
        let provider = m.as_ref().split('/').next().unwrap_or_default();
        if !team.allowed_providers.is_empty()
            && !team.allowed_providers.iter().any(|p| p == provider)
        {
            return Err(Failure::usage(format!(
                "--model {m}: {} allows only {}",
                path.display(),
                team.allowed_providers.join(", ")
            ))
            .into());
        }
    }
    // The policies and the clients: the file's, unless a flag gives them (flags win).
    let mut overridden = vec![];
    if a.fallback_models.is_empty() {
        a.fallback_models = team
            .fallback_models
            .iter()
            .map(|m| m.parse().map_err(|e| typed("fallback_models", e)))
            .collect::<anyhow::Result<_>>()?;
    } else if !team.fallback_models.is_empty() {
        overridden.push("--fallback-model");
    }
    match (&a.spend_limit, &team.spend_limit) {
        (None, Some(s)) => {
            a.spend_limit = Some(
                crate::domain::limits::parse_spend_limit(s).map_err(|e| typed("spend_limit", e))?,
            );
        }
        (Some(_), Some(_)) => overridden.push("--spend-limit"),
        _ => {}
    }
    if a.clients.is_empty() {
        a.clients = team
            .clients
            .iter()
            .filter_map(|c| clap::ValueEnum::from_str(c, false).ok())
            .collect();
    } else if !team.clients.is_empty() {
        overridden.push("--client");
    }
    if !overridden.is_empty() {
        ctx.ui.note(&format!(
            "{} given on the command line win over {}",
            overridden.join(", "),
            path.display()
        ));
    }
    let first_time = ctx
        .load_state()
        .map(|s| s.profile(ctx.profile_name()).is_none())
        .unwrap_or(true);
    if first_time {
        a.token_delivery.get_or_insert(TokenDeliveryArg::Env);
    }
    ctx.ui.note(&format!(
        "Using the team's answers from {} (account {}, gateway {}); only a token is needed.",
        path.display(),
        team.account_id,
        team.gateway_id
    ));
    Ok(a)
}

/// A token that cannot reach the team's account or gateway is an authentication problem of the
/// token (exit 3), not a bad flag: the file, not the user, named them. Other errors pass.
pub fn refusal(path: &std::path::Path, team: &TeamFile, err: anyhow::Error) -> anyhow::Error {
    let text = format!("{err:#}");
    let about_target = text.contains(&team.account_id) || text.contains(&team.gateway_id);
    if crate::error::kind_of(&err) != crate::exit::Kind::Usage || !about_target {
        return err;
    }
    let hint = crate::error::hint_of(&err);
    let mut f = Failure::new(
        crate::exit::Kind::Auth,
        format!(
            "this token cannot reach account {} and gateway '{}' named in {}: {text}",
            team.account_id,
            team.gateway_id,
            path.display()
        ),
    );
    f = f.with_hint(format!(
        "ask for a token with AI Gateway Run and Read on account {} (`aigate team invite NAME`){}",
        team.account_id,
        hint.map(|h| format!("; {h}")).unwrap_or_default()
    ));
    f.into()
}
