//! Step 2: the account (a picker when the token reaches several).

use super::Ask;
use super::token::VerifiedToken;
use crate::cloudflare::{Account, Client};
use crate::exit::Failure;

pub fn step(q: &mut Ask<'_>, client: &Client, tok: &VerifiedToken) -> anyhow::Result<Account> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    let spinner = ctx.ui.spinner("Listing the accounts this token reaches…");
    let listed = ctx.rt.block_on(client.list_accounts());
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
                    name: id.to_string(),
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
