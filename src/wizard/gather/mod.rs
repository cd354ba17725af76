//! Build the [`Plan`] step by step. Read-only: Cloudflare is only queried, nothing is stored
//! or written here, so every error in this phase leaves everything as it was.
//!
//! The requests are planned as a dependency graph ([`fetch`]): the first round starts every
//! read whose inputs are already known (from flags or the profile), all together, and each
//! step waits only for the answer it needs.

mod account;
mod billing;
mod fetch;
mod gateway;
mod model;
mod output;
mod policies;
mod storage;
mod token;

pub use gateway::validate_gateway_id;

use super::plan::Plan;
use crate::cli::SetupArgs;
use crate::context::Context;
use crate::domain::Billing;
use crate::prompt::Prompter;
use crate::state::Profile;
use fetch::Reads;

/// What every step reads: the run's parts, the flags, the prompter, and the profile's current
/// values (the defaults on a re-run).
pub struct Ask<'a> {
    pub ctx: &'a Context,
    pub args: &'a SetupArgs,
    pub prompter: &'a mut dyn Prompter,
    pub previous: Option<&'a Profile>,
    /// Where step 1's token came from, as [`crate::token_source`] decided (`None` before).
    pub token_source: Option<crate::token_source::TokenSource>,
}

/// The answers of steps 1 to 5, turned into file changes by step 6.
pub struct Answers {
    pub tok: token::VerifiedToken,
    pub account: crate::cloudflare::Account,
    pub gw: gateway::GatewayChoice,
    pub billing: crate::wizard::plan::BillingPlan,
    pub models: model::ModelChoice,
    /// The spend limit and the fallback route (step 6).
    pub policies: crate::wizard::policies::PoliciesPlan,
    pub store: storage::Store,
    /// The installed OpenCode (detected while steps 1-5 ran).
    pub detection: crate::clients::Detection,
}

pub fn gather(
    ctx: &Context,
    args: &SetupArgs,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Plan> {
    let state = ctx.load_state()?;
    let previous = state.profile(ctx.profile_name()).cloned();
    if previous.is_some() {
        ctx.ui.note(&format!(
            "Profile '{}' is already set up; its current values are the defaults.",
            ctx.profile_name()
        ));
    }
    let q = &mut Ask {
        ctx,
        args,
        prompter,
        previous: previous.as_ref(),
        token_source: None,
    };

    // Where the token will be kept is settled before the first question, so an unusable
    // keychain is met (with a way out) before any answer is given. Meanwhile the run's one
    // HTTP pool is built (loading the system certificates), off the first round's path.
    let (store, pool) = std::thread::scope(|s| {
        let pool = s.spawn(|| ctx.client(crate::Secret::new(String::new())).map(drop));
        (storage::probe(q), pool.join())
    });
    let store = store?;
    pool.unwrap_or_else(|p| std::panic::resume_unwind(p))?;

    // Which OpenCode is installed: found in the background while the network steps run.
    let detector = crate::clients::start_detection(ctx);
    ctx.ui.heading("1. Cloudflare API token");
    let (tok, mut reads) = token::step(q, &store)?;

    ctx.ui.heading("2. Account");
    let account = account::step(q, &mut reads, &tok)?;

    ctx.ui.heading("3. AI Gateway");
    let gw = gateway::step(q, &mut reads, &account)?;

    ctx.ui.heading("4. Billing");
    let billing = billing::step(q, &mut reads, &account, &gw)?;

    ctx.ui.heading("5. Models");
    let models = model::step(q, &mut reads, &account, &gw, &billing)?;

    ctx.ui.heading("6. Policies (optional)");
    let policies = policies::step(q, &mut reads, &account, &gw, &billing, &models)?;

    ctx.ui.heading("7. Token storage and OpenCode");
    let detection = detector.wait(&ctx.rt);
    let mut plan = output::step(
        q,
        state.clone(),
        Answers {
            tok,
            account,
            gw,
            billing,
            models,
            policies,
            store,
            detection,
        },
    )?;
    // The daily token's permission groups, looked up with the first round (if the run may mint).
    plan.daily.groups = reads.groups();
    Ok(plan)
}

/// What the early reads are planned from: the flags, the profile, and whether a person answers.
#[derive(Clone, Copy)]
pub struct Early<'x> {
    pub args: &'x SetupArgs,
    pub previous: Option<&'x Profile>,
    pub interactive: bool,
    /// The run may mint a daily token ([`crate::tokens::daily::may_mint`]).
    pub mint: bool,
}

impl<'x> Early<'x> {
    pub fn of(q: &Ask<'x>) -> Early<'x> {
        Early {
            args: q.args,
            previous: q.previous,
            interactive: q.prompter.interactive(),
            // Whether the given token is the stored one: where step 1 took it from, by the
            // one precedence of `token_source` (not a guess from the flags: a declined or
            // unreadable stored token leads to the prompt, the sandbox to its demo token).
            mint: crate::tokens::daily::may_mint(
                q.args.token_scope,
                q.previous.and_then(|p| p.stored_token.as_ref()),
                q.token_source == Some(crate::token_source::TokenSource::Stored),
            ),
        }
    }

    /// Whether this run may end with `billing` (so its data is worth fetching early).
    fn may_be(self, billing: Billing) -> bool {
        let args = self.args;
        let flagged = match (args.billing, args.byok_keys.is_empty()) {
            (Some(b), _) => Some(Billing::from(b)),
            (None, false) => Some(Billing::Byok),
            (None, true) => None,
        };
        match flagged {
            Some(b) => b == billing,
            None if self.interactive => true,
            None => self.previous.is_none_or(|p| p.billing == billing),
        }
    }

    /// The gateway this run will most likely use in `account`: the flag, or the profile's.
    fn gateway_guess(self, account: &str) -> Option<&'x str> {
        self.args.gateway.as_deref().or_else(|| {
            self.previous
                .filter(|p| p.account_id == account)
                .map(|p| p.gateway_id.as_str())
        })
    }
}

/// The first round: every read whose inputs the flags and the profile already give, started
/// together with the token check. Nothing here waits.
fn first_round(q: &Ask<'_>, reads: &mut Reads<'_>, account_hint: Option<&str>) {
    let e = Early::of(q);
    reads.start_verify(account_hint);
    let account = e
        .args
        .account_id
        .as_deref()
        .or(e.previous.map(|p| p.account_id.as_str()))
        .or(account_hint);
    if account::needs_list(e, account) {
        reads.start_accounts();
    }
    if e.mint && reads.may_be_user_token() {
        reads.start_groups(crate::cloudflare::TokenScope::User);
    }
    if let Some(account) = account {
        start_account_reads(e, reads, account);
    }
}

/// The reads of the gateway and billing steps for `account`: the gateway lookup (one GET for
/// a known id, the list for a picker), the credit balance, and the known gateway's reads.
fn start_account_reads(e: Early<'_>, reads: &mut Reads<'_>, account: &str) {
    let guess = e.gateway_guess(account);
    match (&e.args.gateway, guess) {
        (Some(id), _) => reads.start_gateway(account, id),
        (None, _) if e.interactive => reads.start_gateways(account),
        (None, Some(id)) => reads.start_gateway(account, id),
        (None, None) => {}
    }
    if e.may_be(Billing::Unified) {
        reads.start_balance(account);
    }
    if e.mint {
        reads.start_groups(crate::cloudflare::TokenScope::Account(account.to_string()));
    }
    // `--create-gateway` expects a new gateway: its reads would only find nothing.
    let expect_new = e.args.create_gateway && e.args.gateway.is_some();
    if let Some(g) = guess.filter(|_| !expect_new) {
        start_gateway_reads(e, reads, account, g);
    }
}

/// What the billing and model questions need about a gateway that may exist.
fn start_gateway_reads(e: Early<'_>, reads: &mut Reads<'_>, account: &str, gateway: &str) {
    reads.start_models(account, gateway);
    if e.may_be(Billing::Byok) {
        reads.start_providers(account, gateway);
    }
    // The policies step looks for its route only when fallbacks are asked for (or kept).
    if !e.args.fallback_models.is_empty() || e.previous.is_some_and(|p| p.route.is_some()) {
        reads.start_routes(account, gateway);
    }
}
