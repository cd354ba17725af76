//! `aigate status`: what the profile holds, checked live; exit 1 with the fix when something
//! is wrong.

use crate::context::{Context, TokenOrigin, profile_flag};
use crate::domain::TokenDelivery;
use crate::opencode;
use serde_json::json;

pub fn exec(ctx: &mut Context) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let name = ctx.profile_name().to_string();
    let pf = profile_flag(&name);
    let mut problems: Vec<(String, String)> = vec![];

    let token = ctx.token_for(&profile);
    let (token_status, token_source, masked, expires) = match &token {
        Ok((t, origin)) => {
            let source = match origin {
                TokenOrigin::EnvVar => {
                    "CLOUDFLARE_API_TOKEN (overrides the stored token)".to_string()
                }
                TokenOrigin::Store(d) => d.clone(),
            };
            let client = ctx.client(t.clone())?;
            let verified = ctx
                .rt
                .block_on(client.verify_token(Some(&profile.account_id)));
            match verified {
                Ok(info) => {
                    let exp = info.expires_on.map(|e| e.to_rfc3339());
                    if let Some(e) = info.expires_on
                        && (e - chrono::Utc::now()).num_days() < 14
                    {
                        problems.push((
                            format!("the token expires on {}", e.format("%Y-%m-%d")),
                            format!("create a new token and run `aigate{pf} rotate`"),
                        ));
                    }
                    ("active".to_string(), source, t.masked(), exp)
                }
                Err(e) => {
                    problems.push((
                        format!("the token does not work: {e}"),
                        format!("aigate{pf} rotate"),
                    ));
                    (
                        token_problem(e.kind()).to_string(),
                        source,
                        t.masked(),
                        None,
                    )
                }
            }
        }
        Err(e) => {
            problems.push((format!("{e:#}"), format!("aigate{pf} rotate")));
            (
                "missing".to_string(),
                "none".to_string(),
                String::new(),
                None,
            )
        }
    };

    let config = opencode::inspect(&profile.opencode_config)?;
    let expected = format!("{}/{}", opencode::PROVIDER_ID, profile.model);
    let config_ok =
        config.model.as_deref() == Some(expected.as_str()) && config.dangerous_keys.is_empty();
    if !config_ok {
        let why = match (&config.model, config.dangerous_keys.is_empty()) {
            (_, false) => format!(
                "it sets {} (unsafe for the gateway provider)",
                config.dangerous_keys.join(", ")
            ),
            (None, _) if !config.exists => "the file is missing".to_string(),
            (None, _) => "it sets no model".to_string(),
            (Some(m), _) => format!("its model is {m}, not {expected}"),
        };
        problems.push((
            format!(
                "OpenCode config {} no longer matches: {why}",
                profile.opencode_config.display()
            ),
            format!("aigate{pf} setup"),
        ));
    }
    let mut auth_state = serde_json::Value::Null;
    if profile.token_delivery == TokenDelivery::OpencodeAuth
        && let Some(path) = &profile.auth_json
    {
        let entry = opencode::read_auth_entry(path)?;
        let matches = match (&entry, &token) {
            (Some(e), Ok((t, _))) => {
                e.key.same_as(t)
                    && e.account_id.as_deref() == Some(profile.account_id.as_str())
                    && e.gateway_id.as_deref() == Some(profile.gateway_id.as_str())
            }
            _ => false,
        };
        if !matches {
            problems.push((
                format!(
                    "OpenCode's auth.json ({}) does not hold this profile's token and ids",
                    path.display()
                ),
                format!("aigate{pf} setup"),
            ));
        }
        auth_state = json!({"path": path, "matches": matches});
    }

    let ui = &ctx.ui;
    ui.out(&format!("Profile          {name}"));
    ui.out(&format!(
        "Account          {}{}",
        profile.account_id,
        profile
            .account_name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    ));
    ui.out(&format!("Gateway          {}", profile.gateway_id));
    ui.out(&format!(
        "Billing          {}{}",
        match profile.billing {
            crate::domain::Billing::Unified => "Unified Billing".to_string(),
            crate::domain::Billing::Byok => "BYOK".to_string(),
        },
        if profile.byok_providers.is_empty() {
            String::new()
        } else {
            format!(" ({})", profile.byok_providers.join(", "))
        }
    ));
    ui.out(&format!(
        "Model            {} (small {})",
        profile.model, profile.small_model
    ));
    ui.out(&format!(
        "Token            {masked} from {token_source}: {token_status}{}",
        expires
            .as_ref()
            .map(|e| format!(", expires {e}"))
            .unwrap_or_default()
    ));
    ui.out(&format!(
        "Token kind       {}",
        crate::tokens::describe::kind_line(profile.stored_token.as_ref())
    ));
    if let Some(n) = crate::tokens::describe::notice(profile.stored_token.as_ref()) {
        ui.note(n);
    }
    ui.out(&format!(
        "OpenCode config  {} ({})",
        profile.opencode_config.display(),
        if config_ok {
            "matches"
        } else {
            "does not match"
        }
    ));
    if let Some(p) = &profile.auth_json {
        ui.out(&format!("OpenCode auth    {}", p.display()));
    }
    for (problem, fix) in &problems {
        ui.error(problem);
        ui.hint(&format!("run `{fix}`"));
    }
    if ui.json_mode() {
        ui.json(&json!({
            "profile": name,
            "account_id": profile.account_id,
            "gateway_id": profile.gateway_id,
            "billing": profile.billing,
            "byok_providers": profile.byok_providers,
            "model": profile.model,
            "token_store": profile.token_store,
            "token_source": token_source,
            "token_status": token_status,
            "token_masked": masked,
            "token_expires_on": expires,
            "token_delivery": profile.token_delivery,
            "stored_token": profile.stored_token,
            "opencode_config": profile.opencode_config,
            "opencode_config_matches": config_ok,
            "auth_json": auth_state,
            "problems": problems.iter().map(|(p, f)| json!({"problem": p, "fix": f})).collect::<Vec<_>>(),
        }));
    }
    Ok(if problems.is_empty() { 0 } else { 1 })
}

/// The `token_status` of `--json` for a token that does not work.
fn token_problem(kind: crate::cloudflare::ErrorKind) -> &'static str {
    use crate::cloudflare::ErrorKind as K;
    match kind {
        K::InvalidToken => "invalid",
        K::ExpiredToken => "expired",
        K::DisabledToken => "disabled",
        K::MissingPermission(_) => "missing-permission",
        K::Unreachable | K::Server | K::RateLimited => "unverified",
        _ => "error",
    }
}
