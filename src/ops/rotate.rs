//! `aigate rotate`: replace the stored token. The new token is verified first (active, reaches
//! the profile's account and gateway, may list its models); then every place the old one lived
//! is updated together. On any failure the old token stays everywhere.

use crate::cli::RotateArgs;
use crate::cloudflare::TokenInfo;
use crate::context::{Context, profile_flag};
use crate::domain::{StoreKind, TokenDelivery};
use crate::exit::{Failure, Kind};
use crate::interrupt::{self, Critical};
use crate::report::Report;
use crate::state::Profile;
use crate::token_source::{Ask, Wants};
use crate::tokens::rotate::RotateMintedReport;
use crate::ui::Ui;
use crate::{Secret, opencode, prompt};
use anyhow::Context as _;
use serde::Serialize;
use std::path::PathBuf;

const KEPT: &str = "the stored token was kept";

#[derive(Debug, Serialize)]
pub struct RotateReport {
    pub profile: String,
    /// `false` when the new token already was the stored one (nothing changed).
    pub rotated: bool,
    pub token_masked: String,
    pub token_expires_on: Option<String>,
    pub token_store: StoreKind,
    /// Where the token now lives, in words (the store, then `auth.json` if used).
    pub replaced_in: Vec<String>,
    pub auth_json: Option<PathBuf>,
    /// The token was also replaced in OpenCode 2's own store (through its local server).
    pub opencode_credential: bool,
    /// Claude Code's `settings.json`, when its token variables were rewritten (opt-in
    /// `--token-delivery claude-settings`).
    pub claude_settings: Option<PathBuf>,
}

/// What `rotate` did: the given token replaced the stored one, or the token aigate minted was
/// rolled (or replaced) with an admin token used once ([`crate::tokens::rotate`]).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Rotated {
    Given(RotateReport),
    Minted(RotateMintedReport),
}

/// `aigate rotate`: a token aigate minted is rolled; any other is replaced by the new one.
pub fn run(ctx: &Context, args: &RotateArgs) -> anyhow::Result<Rotated> {
    let profile = ctx.require_profile()?;
    if let Some(record) = crate::tokens::rotate::minted(&profile) {
        let why = "Rotating the token aigate minted";
        let admin = crate::tokens::admin::read(ctx, args.token_stdin, args.non_interactive, why)?;
        let report = crate::tokens::rotate::rotate_minted(ctx, &profile, record, admin)?;
        return Ok(Rotated::Minted(report));
    }
    Ok(Rotated::Given(rotate(ctx, &profile, args)?))
}

impl Report for Rotated {
    fn render(&self, ui: &Ui) {
        match self {
            Rotated::Given(r) => r.render(ui),
            Rotated::Minted(r) => r.render(ui),
        }
    }
    fn exit_code(&self) -> i32 {
        match self {
            Rotated::Given(r) => r.exit_code(),
            Rotated::Minted(r) => r.exit_code(),
        }
    }
}

/// Replace the stored token with the one given (stdin, env or a prompt).
fn rotate(ctx: &Context, profile: &Profile, args: &RotateArgs) -> anyhow::Result<RotateReport> {
    let new = new_token(ctx, args)?;
    let detector = crate::clients::start_detection(ctx);
    let info = verify(ctx, profile, &new)?;
    let mut report = RotateReport {
        profile: ctx.profile_name().to_string(),
        rotated: false,
        token_masked: new.masked(),
        token_expires_on: info.expires_on.map(|e| e.to_rfc3339()),
        token_store: profile.token_store,
        replaced_in: vec![],
        auth_json: None,
        opencode_credential: false,
        claude_settings: None,
    };
    replace(ctx, profile, &new, detector, &mut report)?;
    Ok(report)
}

/// The new token: `--token-stdin`, else `CLOUDFLARE_API_TOKEN`, else a hidden prompt (never
/// the stored one), by the precedence of [`crate::token_source`].
fn new_token(ctx: &Context, args: &RotateArgs) -> anyhow::Result<Secret> {
    let mut prompter = prompt::for_run(args.non_interactive);
    let ask = Ask {
        prompter: prompter.as_mut(),
        question: "Paste the new Cloudflare API token (input is hidden)",
        intro: &[],
    };
    Ok(ctx.token(Wants::given(args.token_stdin, true, ask))?.0)
}

/// The new token works for this profile: active, reaches the gateway, may list its models.
fn verify(ctx: &Context, profile: &Profile, new: &Secret) -> anyhow::Result<TokenInfo> {
    let client = ctx.client(new.clone())?;
    let spinner = ctx.ui.spinner("Verifying the new token…");
    // One round: the token check and the two reads that prove it reaches the gateway.
    let (info, gateway, models) = ctx.rt.block_on(async {
        tokio::join!(
            client.verify_token(Some(&profile.account_id)),
            client.get_gateway(&profile.account_id, &profile.gateway_id),
            client.list_models(&profile.account_id, &profile.gateway_id)
        )
    });
    drop(spinner);
    let info = info.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token was not accepted; {KEPT}"))
    })?;
    let gateway = gateway.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token cannot read the gateway; {KEPT}"))
    })?;
    if gateway.is_none() {
        return Err(Failure::new(
            Kind::Auth,
            format!(
                "the new token does not reach gateway '{}' in account {}; {KEPT}",
                profile.gateway_id, profile.account_id
            ),
        )
        .with_hint(
            "give the token access to that account, or run `aigate setup` to pick another gateway",
        )
        .into());
    }
    let models = models.map_err(|e| {
        anyhow::Error::new(e).context(format!("the new token cannot use the gateway; {KEPT}"))
    })?;
    // Reading the gateway is not enough: OpenCode needs the token to run prompts (a token
    // without Run used to replace a working one). The model list proves it when the gateway
    // is authenticated; otherwise one minimal prompt does.
    let authenticated = gateway.as_ref().and_then(|g| g.authentication) == Some(true);
    if !crate::wizard::permissions::run_proven(authenticated, models.source) {
        crate::wizard::permissions::require_run(
            ctx,
            &client,
            &profile.account_id,
            &profile.gateway_id,
            &profile.model,
            "the new token",
            KEPT,
        )?;
    }
    ctx.ui.ok(&format!(
        "New token {} is valid{}",
        new.masked(),
        info.expires_on
            .map(|e| format!(" (expires {})", e.format("%Y-%m-%d")))
            .unwrap_or_default()
    ));
    Ok(info)
}

/// Replace the token in the store and (if used) `auth.json`, as one unit.
fn replace(
    ctx: &Context,
    profile: &Profile,
    new: &Secret,
    detector: crate::clients::detect::Detector,
    report: &mut RotateReport,
) -> anyhow::Result<()> {
    let name = ctx.profile_name();
    let store = ctx.store_of(profile.token_store)?;
    let old = store.get(name).context("cannot read the stored token")?;
    if old.as_ref().is_some_and(|o| o.same_as(new)) {
        return Ok(());
    }
    // The client's own copy (OpenCode V1: auth.json; V2: its server) is replaced too.
    let client = crate::clients::opencode(&detector.wait(&ctx.rt), &crate::clients::run_parts(ctx));
    let mut credential_api = false;
    let auth_change = match (&profile.token_delivery, &profile.auth_json) {
        (TokenDelivery::OpencodeAuth, Some(path)) => Some(opencode::plan_auth_upsert(
            path,
            new,
            &profile.account_id,
            &profile.gateway_id,
        )?),
        (TokenDelivery::OpencodeAuth, None) => {
            match client.credential(&ctx.env, new, &profile.account_id, &profile.gateway_id)? {
                Some(crate::clients::Credential::File(c)) => Some(c),
                Some(crate::clients::Credential::Api) => {
                    credential_api = true;
                    None
                }
                None => None,
            }
        }
        _ => None,
    };
    // Claude Code's settings.json, when the token was delivered there (opted in).
    let claude_change =
        crate::clients::claude_code::rotate_change(ctx, profile, new, old.as_ref())?;
    let changes: Vec<&crate::files::FileChange> =
        auth_change.iter().chain(claude_change.iter()).collect();
    let _critical = Critical::enter();
    let store_in_client = || {
        client
            .store_credential(new, &profile.account_id, &profile.gateway_id)
            .map_err(|e| {
                e.context(format!(
                    "could not replace the token in {}; {KEPT}, and OpenCode keeps its old one",
                    client.label()
                ))
            })
    };
    crate::commit::commit(&crate::commit::Unit {
        store: store.as_ref(),
        profile: name,
        token: Some(new),
        changes,
        last: credential_api.then_some(&store_in_client as &dyn Fn() -> anyhow::Result<()>),
    })
    .context("the token was not replaced")?;
    interrupt::saved(&format!("the new token was stored in {}", store.describe()));
    report.rotated = true;
    report.replaced_in.push(store.describe());
    if credential_api {
        report.opencode_credential = true;
        report.replaced_in.push(format!(
            "{} (verified through its local server)",
            client.label()
        ));
    }
    if let Some(c) = auth_change {
        report.replaced_in.push(c.path.display().to_string());
        report.auth_json = Some(c.path);
    }
    if let Some(c) = claude_change {
        report.replaced_in.push(c.path.display().to_string());
        report.claude_settings = Some(c.path);
    }
    Ok(())
}

impl Report for RotateReport {
    fn render(&self, ui: &Ui) {
        if !self.rotated {
            ui.ok("That token is already the stored one; nothing changed.");
            return;
        }
        for place in &self.replaced_in {
            ui.ok(&format!("Token replaced in {place}"));
        }
        ui.info(&format!(
            "You can now delete the old token in the dashboard. Check with `aigate{} status`.",
            profile_flag(&self.profile)
        ));
    }
}
