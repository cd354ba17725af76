//! Step 2: the account (a picker when the token reaches several).

use super::fetch::Reads;
use super::token::VerifiedToken;
use super::{Ask, Early};
use crate::cloudflare::Account;
use crate::exit::Failure;
use crate::state::Profile;

/// Whether the account list is needed: for the picker, or for the name of a flagged account
/// the profile does not know yet. With `--account-id` (or a profile, non-interactively) the
/// token's accounts are not listed.
pub fn needs_list(e: Early<'_>, account: Option<&str>) -> bool {
    if let Some(id) = &e.args.account_id {
        return known_name(e.previous, id).is_none();
    }
    e.interactive || e.previous.is_none() || account.is_none()
}

fn known_name(previous: Option<&Profile>, id: &str) -> Option<String> {
    previous
        .filter(|p| p.account_id == id)
        .and_then(|p| p.account_name.clone())
}

pub fn step(
    q: &mut Ask<'_>,
    reads: &mut Reads<'_>,
    tok: &VerifiedToken,
) -> anyhow::Result<Account> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let known = args
        .account_id
        .as_deref()
        .or(tok
            .account_hint
            .as_deref()
            .filter(|_| !reads.accounts_started()))
        .or(previous
            .filter(|_| !q.prompter.interactive() && !reads.accounts_started())
            .map(|p| p.account_id.as_str()));
    if let Some(id) = known
        && !reads.accounts_started()
    {
        let name = known_name(previous, id).unwrap_or_else(|| id.to_string());
        let chosen = Account {
            id: id.to_string(),
            name,
            kind: String::new(),
        };
        ctx.ui
            .ok(&format!("Account {} ({})", chosen.name, chosen.id));
        return Ok(chosen);
    }
    let early = Early::of(q);
    let prompter = &mut *q.prompter;
    let spinner = ctx.ui.spinner("Listing the accounts this token reaches…");
    let listed = reads.accounts();
    drop(spinner);
    let accounts = match listed {
        Ok(a) => a,
        // Account-owned tokens may not list accounts; the account they belong to is known.
        Err(e) => match args.account_id.as_deref().or(tok.account_hint.as_deref()) {
            Some(id) => {
                ctx.ui
                    .debug(&format!("listing accounts failed ({e}); using {id}"));
                vec![Account {
                    id: id.to_string(),
                    name: known_name(previous, id).unwrap_or_else(|| id.to_string()),
                    kind: String::new(),
                }]
            }
            None => return Err(e.into()),
        },
    };
    if accounts.is_empty() {
        return Err(Failure::new(
            crate::exit::Kind::Auth,
            "the token does not reach any account",
        )
        .with_hint(
            "give the token access to your account (Account Resources: Include › your account)",
        )
        .into());
    }
    let chosen = if let Some(id) = &args.account_id {
        accounts
            .iter()
            .find(|a| &a.id == id)
            .cloned()
            .ok_or_else(|| {
                Failure::usage(format!("the token does not reach account {id}"))
                    .with_hint(format!("accounts it reaches: {}", list(&accounts)))
            })?
    } else if accounts.len() == 1 {
        accounts[0].clone()
    } else {
        let default = previous
            .and_then(|p| accounts.iter().position(|a| a.id == p.account_id))
            .unwrap_or(0);
        if !prompter.interactive()
            && previous.is_some_and(|p| accounts.iter().any(|a| a.id == p.account_id))
        {
            accounts[default].clone()
        } else {
            // While the question is read, fetch what the likely answer's next step needs.
            super::start_account_reads(early, reads, &accounts[default].id);
            let items: Vec<String> = accounts
                .iter()
                .map(|a| format!("{} ({})", a.name, a.id))
                .collect();
            let i = prompter
                .select("Which account?", &items, default, "--account-id")
                .map_err(|e| match e.downcast::<Failure>() {
                    Ok(f) => f
                        .with_hint(format!(
                            "pass --account-id; the token reaches: {}",
                            list(&accounts)
                        ))
                        .into(),
                    Err(e) => e,
                })?;
            accounts[i].clone()
        }
    };
    ctx.ui
        .ok(&format!("Account {} ({})", chosen.name, chosen.id));
    Ok(chosen)
}

fn list(accounts: &[Account]) -> String {
    accounts
        .iter()
        .map(|a| format!("{} ({})", a.id, a.name))
        .collect::<Vec<_>>()
        .join(", ")
}
