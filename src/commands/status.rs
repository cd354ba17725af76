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
    let detector = crate::clients::start_detection(ctx);

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
    // The installed client's own checks (version, its copy of the token, V2's service).
    let detection = detector.wait(&ctx.rt);
    let adapter = crate::clients::opencode(&detection, &crate::clients::run_parts(ctx));
    let checks = adapter.checks(&crate::clients::CheckInput {
        profile: &profile,
        profile_name: &name,
        token: token.as_ref().ok().map(|(t, _)| t),
    });
    let mut warnings: Vec<(String, String)> = vec![];
    for c in &checks {
        let entry = (c.message.clone(), c.fix.clone().unwrap_or_default());
        match c.level {
            crate::clients::Level::Fail => problems.push(entry),
            crate::clients::Level::Warn => warnings.push(entry),
            crate::clients::Level::Ok => {}
        }
    }
    let auth_state = match (&profile.token_delivery, &profile.auth_json) {
        (TokenDelivery::OpencodeAuth, Some(path)) => json!({
            "path": path,
            "matches": !checks.iter().any(|c| c.name == "opencode.credential" && c.level != crate::clients::Level::Ok),
        }),
        _ => serde_json::Value::Null,
    };

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
    ui.out(&format!(
        "OpenCode         {}{}",
        detection.opencode.describe(),
        detection
            .opencode
            .path
            .as_ref()
            .map(|p| format!(" at {}", p.display()))
            .unwrap_or_default()
    ));
    if let crate::clients::ServiceState::Running { url, version, .. } = &detection.service {
        ui.out(&format!("OpenCode service {version} running at {url}"));
    }
    for (warning, fix) in &warnings {
        ui.warn(warning);
        ui.hint(fix);
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
            "opencode_config": profile.opencode_config,
            "opencode_config_matches": config_ok,
            "auth_json": auth_state,
            "opencode": {
                "client": adapter.id(),
                "path": detection.opencode.path,
                "version": detection.opencode.version,
                "major": detection.opencode.major(),
                "source": detection.opencode.source,
                "service": detection.service,
            },
            "checks": checks,
            "warnings": warnings.iter().map(|(p, f)| json!({"problem": p, "fix": f})).collect::<Vec<_>>(),
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
