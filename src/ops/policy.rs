//! The doctor's look at the gateway's policies: a spend limit that refused traffic in the last
//! hour (gateway code 2045, read from the logged responses of the recent failures) is a warning
//! with the fix; a spend limit not reached is fine; the limit setup recorded in the profile but
//! gone from the gateway (aigate's rule removed or spend limits turned off) is a warning. At most 3 requests; when Cloudflare cannot
//! be read the check is left out (the token checks already say why).

use super::target;
use crate::checks::Check;
use crate::cloudflare::gateway_settings::AIGATE_RULE_ID;
use crate::context::Context;
use crate::domain::limits::{Span, trim_amount};
use chrono::{Duration, Utc};

pub const CHECK_ID: &str = "gateway.spend_limit";

/// `recorded`: the profile's spend limit (`AMOUNT/WINDOW`), set by setup.
pub fn spend_limit_check(ctx: &Context, recorded: Option<&str>) -> Option<Check> {
    let t = target(ctx).ok()?;
    let (a, g, c) = (t.account_id.as_str(), t.gateway_id.as_str(), &t.client);
    let since = Utc::now() - Duration::hours(1);
    let (settings, failures) = ctx.rt.block_on(async {
        tokio::join!(
            c.gateway_settings(a, g),
            c.logs_since(a, g, since, true, false, 5)
        )
    });
    let settings = settings.ok()?;
    let refused = failures
        .ok()
        .and_then(|p| p.items.into_iter().find(|l| l.status_code == Some(429)));
    let refusal = refused.and_then(|l| {
        let body = ctx.rt.block_on(c.log_response(a, g, &l.id)).ok()?;
        let e = &body["error"][0];
        (e["code"].as_u64() == Some(2045)).then(|| {
            e["message"]
                .as_str()
                .unwrap_or("Spend limit exceeded")
                .to_string()
        })
    });
    let rules: Vec<String> = settings
        .spend_rules()
        .iter()
        .filter(|r| r.enabled)
        .map(|r| format!("${} per {}", trim_amount(r.limit), Span(r.window)))
        .collect();
    let ours_on = settings.spend_limits_enabled()
        && settings
            .spend_rules()
            .iter()
            .any(|r| r.enabled && r.id.as_deref() == Some(AIGATE_RULE_ID));
    if let (None, Some(l), false) = (&refusal, recorded, ours_on) {
        return Some(Check::warn(
            CHECK_ID,
            format!(
                "setup set the spend limit {l} (rule `{AIGATE_RULE_ID}`), but the gateway no \
                 longer applies it"
            ),
            format!("aigate gateway set --spend-limit {l}"),
        ));
    }
    match (
        refusal,
        settings.spend_limits_enabled() && !rules.is_empty(),
    ) {
        (Some(msg), _) => Some(Check::warn(
            CHECK_ID,
            format!("the gateway refused requests in the last hour: {msg}"),
            "aigate usage; raise the limit with `aigate gateway set --spend-limit AMOUNT/WINDOW` \
             or remove it with `aigate gateway set --no-spend-limit`",
        )),
        (None, true) => Some(Check::ok(
            CHECK_ID,
            format!(
                "spend limit {} not reached in the last hour",
                rules.join(", ")
            ),
        )),
        (None, false) => None,
    }
}

/// A test prompt the gateway's spend limit refused (gateway code 2045), said with the rules
/// that apply, read from the gateway (one GET): "the gateway's spend limit `aigate` ($5 per
/// 1d) refused the request". Exit 1 (`Kind::Limit`): not an outage. Other errors pass as
/// they are.
pub fn explain_refusal(
    ctx: &Context,
    client: &crate::cloudflare::Client,
    account: &str,
    gateway: &str,
    err: anyhow::Error,
) -> anyhow::Error {
    let code = err
        .chain()
        .find_map(|c| c.downcast_ref::<crate::cloudflare::ApiError>())
        .and_then(|e| e.code());
    if code != Some(2045) {
        return err;
    }
    let rules: Vec<String> = ctx
        .rt
        .block_on(client.gateway_settings(account, gateway))
        .map(|s| {
            s.spend_rules()
                .iter()
                .filter(|r| r.enabled)
                .map(|r| {
                    format!(
                        "`{}` (${} per {})",
                        r.id.as_deref().unwrap_or("unnamed"),
                        trim_amount(r.limit),
                        Span(r.window)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let which = match rules.len() {
        0 => "the gateway's spend limit".to_string(),
        1 => format!("the gateway's spend limit {}", rules[0]),
        _ => format!("one of the gateway's spend limits {}", rules.join(", ")),
    };
    let f = crate::exit::Failure::new(
        crate::exit::Kind::Limit,
        format!("{which} refused the request"),
    )
    .with_hint(
        "raise it with `aigate gateway set --spend-limit AMOUNT/WINDOW`, remove it with \
         `aigate gateway set --no-spend-limit`, or wait for the window to move; \
         `aigate usage` shows the spending",
    );
    err.context(f)
}
