//! Permission checks that must pass before anything is stored or written on this machine
//! (`setup` after its remote changes, `rotate` before replacing the token): the token may run
//! inference through the gateway (AI Gateway Run), proven by one authorised call.

use crate::cloudflare::{Client, ModelSource, RunCheck};
use crate::context::Context;
use crate::exit::{Failure, Kind};

/// Whether an earlier call already proved AI Gateway Run: the gateway's own model list, read
/// through an authenticated gateway with the token (`cf-aig-authorization`), is an authorised
/// data-plane call (the emulator, like the gateway, refuses it without Run). A curated list or
/// an unauthenticated gateway proves nothing.
pub fn run_proven(gateway_authenticated: bool, models: ModelSource) -> bool {
    gateway_authenticated && models == ModelSource::Gateway
}

/// Fails (exit 3, nothing changed locally) when the gateway refuses `client`'s token for
/// inference; exit 4 when Cloudflare cannot be asked. `what` names the token ("the token",
/// "the new token"), `unchanged` says what is left as it was.
pub fn require_run(
    ctx: &Context,
    client: &Client,
    account_id: &str,
    gateway_id: &str,
    model: &str,
    what: &str,
    unchanged: &str,
) -> anyhow::Result<()> {
    let spinner = ctx
        .ui
        .spinner("Checking that the token may run prompts through the gateway…");
    let verdict = ctx
        .rt
        .block_on(client.check_run(account_id, gateway_id, model));
    drop(spinner);
    match verdict {
        Ok(RunCheck::Allowed) => {
            ctx.ui.ok(&format!(
                "{} may run prompts through gateway '{gateway_id}' (AI Gateway Run)",
                capitalized(what)
            ));
            Ok(())
        }
        Ok(RunCheck::Refused(e)) => Err(anyhow::Error::new(e).context(
            Failure::new(
                Kind::Auth,
                format!(
                    "{what} may not run prompts through gateway '{gateway_id}' (it needs the \
                 AI Gateway Run permission); {unchanged}"
                ),
            )
            .with_hint(format!(
                "edit the token at {} and add Account › AI Gateway › Run for this account, then \
             run the command again",
                crate::cloudflare::TOKENS_PAGE
            )),
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "could not check {what}'s AI Gateway Run permission: Cloudflare did not answer; \
             {unchanged}"
        ))),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
