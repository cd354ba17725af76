//! `aigate status`: gather what the profile holds and what is true now (the token's store,
//! Cloudflare's verdict on the token, OpenCode's files), turn it into [`checks`], and report.

use crate::Secret;
use crate::checks::{self, Check, Outcome};
use crate::cloudflare::{ApiError, TokenInfo};
use crate::context::{Context, profile_flag};
use crate::domain::{Billing, StoreKind, TokenDelivery};
use crate::opencode::{self, ConfigStatus};
use crate::report::Report;
use crate::state::Profile;
use crate::token_source::TokenSource;
use crate::ui::Ui;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub profile: String,
    pub account_id: String,
    pub account_name: Option<String>,
    pub gateway_id: String,
    pub billing: Billing,
    pub byok_providers: Vec<String>,
    pub model: String,
    pub small_model: String,
    pub token_store: StoreKind,
    /// Where the token in use came from (`CLOUDFLARE_API_TOKEN`, or the store), or `none`.
    pub token_source: String,
    /// `active`, `invalid`, `expired`, `disabled`, `missing-permission`, `unverified`
    /// (Cloudflare unreachable), `error` or `missing`.
    pub token_status: &'static str,
    pub token_masked: String,
    pub token_expires_on: Option<String>,
    pub token_delivery: TokenDelivery,
    /// Which token is stored: minted by aigate (id, permissions) or the one given (and why).
    pub stored_token: Option<crate::state::StoredToken>,
    /// The dynamic route setup made (`--fallback-model`): OpenCode calls `dynamic/<name>`.
    pub route: Option<crate::state::ProfileRoute>,
    /// The spend limit setup set on the gateway (`AMOUNT/WINDOW`), as the profile records it.
    pub spend_limit: Option<String>,
    pub opencode_config: PathBuf,
    /// No check of OpenCode's config failed.
    pub opencode_config_matches: bool,
    pub auth_json: Option<AuthJson>,
    /// The installed OpenCode (path, version, source) and OpenCode 2's background service.
    pub opencode: Option<crate::clients::Detection>,
    /// `ok`, `warn` or `fail`: the worst check.
    pub overall: Outcome,
    pub checks: Vec<Check>,
    /// The failing checks as problem and fix (kept from the first `--json` shape).
    pub problems: Vec<Problem>,
    #[serde(skip)]
    pub exit_code: i32,
}

#[derive(Debug, Serialize)]
pub struct AuthJson {
    pub path: PathBuf,
    pub matches: bool,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    pub problem: String,
    pub fix: Option<String>,
}

/// The profile, its token and OpenCode's files, checked.
pub fn status(ctx: &Context) -> anyhow::Result<StatusReport> {
    let profile = ctx.require_profile()?;
    let gathered = gather(ctx, &profile)?;
    Ok(gathered.into_report(ctx.profile_name(), profile))
}

/// The checks `status` makes, for `doctor` (which adds the clients').
pub fn checks(ctx: &Context, profile: &Profile) -> anyhow::Result<Vec<Check>> {
    Ok(gather(ctx, profile)?.checks)
}

struct Gathered {
    opencode: Option<crate::clients::Detection>,
    origin: String,
    token: Option<Secret>,
    verify: Option<Result<TokenInfo, ApiError>>,
    checks: Vec<Check>,
    auth: Option<AuthJson>,
}

fn gather(ctx: &Context, profile: &Profile) -> anyhow::Result<Gathered> {
    let pf = profile_flag(ctx.profile_name());
    // Which OpenCode is installed: found while the token is verified.
    let detector = crate::clients::start_detection(ctx);
    let (store, stored) = match ctx.store_of(profile.token_store) {
        Ok(s) => {
            let got = s.get(ctx.profile_name()).map_err(|e| format!("{e:#}"));
            (s.describe(), got)
        }
        Err(e) => (profile.token_store.to_string(), Err(format!("{e:#}"))),
    };
    let env = ctx.env_token();
    let chosen = crate::token_source::env_over_stored(
        env.as_ref(),
        stored.as_ref().ok().and_then(Option::as_ref),
    );
    let origin = match &chosen {
        Some((_, TokenSource::EnvVar)) => {
            "CLOUDFLARE_API_TOKEN (overrides the stored token)".to_string()
        }
        Some(_) => store.clone(),
        None => "none".to_string(),
    };
    let token = chosen.map(|(t, _)| t);
    let verify = match &token {
        Some(t) => {
            let client = ctx.client(t.clone())?;
            Some(
                ctx.rt
                    .block_on(client.verify_token(Some(&profile.account_id))),
            )
        }
        None => None,
    };
    let token_facts = checks::token::TokenFacts {
        profile_flag: pf.clone(),
        env_override: env.is_some(),
        store,
        stored: stored.as_ref().map(Option::is_some).map_err(Clone::clone),
        verify: verify.clone(),
        now: chrono::Utc::now(),
    };
    let auth_path = checks::opencode::uses_auth_json(profile);
    let oc_facts = checks::opencode::OpencodeFacts {
        profile,
        profile_flag: pf,
        config: inspect(&profile.opencode_config),
        auth: auth_path.clone().map(|p| {
            let entry = opencode::read_auth_entry(&p).map_err(|e| format!("{e:#}"));
            (p, entry)
        }),
        token: token.clone(),
    };
    let mut all = checks::token::checks(&token_facts);
    all.push(crate::tokens::describe::check(
        profile.stored_token.as_ref(),
        &profile_flag(ctx.profile_name()),
    ));
    all.extend(checks::opencode::checks(&oc_facts));
    // The installed client's own checks (its version; OpenCode 2: its service and token).
    let detection = detector.wait(&ctx.rt);
    let adapter = crate::clients::opencode(&detection, &crate::clients::run_parts(ctx));
    all.extend(adapter.checks(&crate::clients::CheckInput {
        profile: Some(profile),
        profile_name: ctx.profile_name(),
        token: token.as_ref(),
    }));
    let auth = auth_path.map(|path| AuthJson {
        path,
        matches: all
            .iter()
            .any(|c| c.id == "opencode.auth" && c.status == Outcome::Ok),
    });
    Ok(Gathered {
        opencode: Some(detection),
        origin,
        token,
        verify,
        checks: all,
        auth,
    })
}

/// The config as `status` sees it; a file that cannot even be read is reported, not an error.
fn inspect(path: &std::path::Path) -> ConfigStatus {
    opencode::inspect(path).unwrap_or_else(|e| ConfigStatus {
        path: path.to_path_buf(),
        exists: true,
        error: Some(format!("{e:#}")),
        ..Default::default()
    })
}

impl Gathered {
    fn into_report(self, name: &str, p: Profile) -> StatusReport {
        let expires = match &self.verify {
            Some(Ok(i)) => i.expires_on.map(|e| e.to_rfc3339()),
            _ => None,
        };
        let problems = self
            .checks
            .iter()
            .filter(|c| c.status == Outcome::Fail)
            .map(|c| Problem {
                problem: c.message.clone(),
                fix: c.fix.clone(),
            })
            .collect();
        StatusReport {
            profile: name.to_string(),
            token_status: checks::token::status_word(&self.verify),
            token_masked: self.token.as_ref().map(Secret::masked).unwrap_or_default(),
            token_source: self.origin,
            token_expires_on: expires,
            opencode_config_matches: !self
                .checks
                .iter()
                .any(|c| c.id.starts_with("opencode.config") && c.status == Outcome::Fail),
            auth_json: self.auth,
            opencode: self.opencode,
            overall: checks::overall(&self.checks),
            exit_code: checks::exit_code(&self.checks),
            problems,
            checks: self.checks,
            account_id: p.account_id,
            account_name: p.account_name,
            gateway_id: p.gateway_id,
            billing: p.billing,
            byok_providers: p.byok_providers,
            model: p.model,
            small_model: p.small_model,
            token_store: p.token_store,
            token_delivery: p.token_delivery,
            stored_token: p.stored_token,
            route: p.route,
            spend_limit: p.spend_limit,
            opencode_config: p.opencode_config,
        }
    }
}

impl Report for StatusReport {
    fn render(&self, ui: &Ui) {
        let account = match &self.account_name {
            Some(n) => format!("{} ({n})", self.account_id),
            None => self.account_id.clone(),
        };
        let providers = if self.byok_providers.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.byok_providers.join(", "))
        };
        let expires = self
            .token_expires_on
            .as_ref()
            .map(|e| format!(", expires {e}"))
            .unwrap_or_default();
        ui.out(&format!("Profile          {}", self.profile));
        ui.out(&format!("Account          {account}"));
        ui.out(&format!("Gateway          {}", self.gateway_id));
        ui.out(&format!("Billing          {}{providers}", self.billing));
        ui.out(&format!(
            "Model            {} (small {})",
            self.model, self.small_model
        ));
        ui.out(&format!(
            "Token            {} from {}: {}{expires}",
            self.token_masked, self.token_source, self.token_status
        ));
        ui.out(&format!(
            "Token kind       {}",
            crate::tokens::describe::kind_line(self.stored_token.as_ref())
        ));
        if let Some(l) = &self.spend_limit {
            ui.out(&format!(
                "Spend limit      {l} (set by setup; `aigate doctor` checks it)"
            ));
        }
        ui.out(&format!(
            "OpenCode config  {}",
            self.opencode_config.display()
        ));
        if let Some(a) = &self.auth_json {
            ui.out(&format!("OpenCode auth    {}", a.path.display()));
        }
        if let Some(d) = &self.opencode {
            ui.out(&format!("OpenCode         {}", d.opencode.describe()));
        }
        ui.out("");
        checks::render(ui, &self.checks);
        checks::render_failures(ui, &self.checks);
    }

    fn exit_code(&self) -> i32 {
        self.exit_code
    }
}
