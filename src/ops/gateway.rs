//! `aigate gateway` and `aigate gateway set`: the settings people care about, read from the
//! gateway object; a change is shown as a diff, confirmed, and sent as ONE `PUT` carrying
//! every other field exactly as it was read.

use super::{Target, confirm, require_yes_or_terminal, target};
use crate::cli::GatewaySetArgs;
use crate::cloudflare::gateway_settings::{Change, GatewaySettings, SpendRule};
use crate::cloudflare::{AccountSpendingLimit, ApiError};
use crate::context::Context;
use crate::domain::limits::{Span, trim_amount};
use crate::exit::Failure;
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RateLimitView {
    pub requests: u64,
    pub seconds: u64,
    pub technique: String,
}

/// The settings `aigate gateway` shows.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayView {
    pub account_id: String,
    pub gateway_id: String,
    pub authentication: bool,
    pub collect_logs: bool,
    pub log_limit: Option<u64>,
    pub cache_ttl: u64,
    pub rate_limit: Option<RateLimitView>,
    pub retry_max_attempts: Option<u64>,
    pub zdr: bool,
    pub spend_limits_enabled: bool,
    pub spend_limits: Vec<SpendRule>,
}

impl GatewayView {
    fn of(t: &Target, s: &GatewaySettings) -> GatewayView {
        GatewayView {
            account_id: t.account_id.clone(),
            gateway_id: t.gateway_id.clone(),
            authentication: s.authentication(),
            collect_logs: s.collect_logs(),
            log_limit: s.log_limit(),
            cache_ttl: s.cache_ttl(),
            rate_limit: s
                .rate_limit()
                .map(|(requests, seconds, technique)| RateLimitView {
                    requests,
                    seconds,
                    technique,
                }),
            retry_max_attempts: s.retry_max_attempts(),
            zdr: s.zdr(),
            spend_limits_enabled: s.spend_limits_enabled(),
            spend_limits: s.spend_rules(),
        }
    }

    /// `(label, value)` lines, in display order.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let on = |b: bool| if b { "on" } else { "off" }.to_string();
        let spend = if self.spend_limits.is_empty() {
            "none".to_string()
        } else {
            let rules: Vec<String> = self
                .spend_limits
                .iter()
                .map(|r| {
                    let mut s = format!("${} per {}", trim_amount(r.limit), Span(r.window));
                    if let Some(sc) = &r.scope {
                        s.push_str(&format!(" ({sc})"));
                    }
                    if !r.enabled {
                        s.push_str(" [rule off]");
                    }
                    s
                })
                .collect();
            let state = if self.spend_limits_enabled {
                ""
            } else {
                " [all off]"
            };
            format!("{}{state}", rules.join(", "))
        };
        vec![
            ("Authentication", on(self.authentication)),
            (
                "Logs",
                match (self.collect_logs, self.log_limit) {
                    (true, Some(n)) => format!("on (keeps at most {n})"),
                    (c, _) => on(c),
                },
            ),
            (
                "Cache TTL",
                if self.cache_ttl == 0 {
                    "off".into()
                } else {
                    format!("{}s", self.cache_ttl)
                },
            ),
            (
                "Rate limit",
                self.rate_limit.as_ref().map_or("off".into(), |r| {
                    format!(
                        "{} requests per {}s ({})",
                        r.requests, r.seconds, r.technique
                    )
                }),
            ),
            (
                "Retries",
                self.retry_max_attempts
                    .map_or("off".into(), |n| format!("up to {n}")),
            ),
            ("Zero data retention", on(self.zdr)),
            ("Spend limits", spend),
        ]
    }
}

/// The account's Unified Billing spending limit: account-wide, set in the dashboard, beside
/// the gateway's own spend limits.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum AccountLimitView {
    Off,
    On {
        amount_usd: f64,
        /// `daily`, `weekly` or `monthly`.
        duration: String,
        /// `fixed` or `sliding`.
        strategy: String,
    },
    /// It could not be read (shown, never a reason for `aigate gateway` to fail).
    Unknown {
        reason: String,
    },
}

impl AccountLimitView {
    fn of(read: Result<AccountSpendingLimit, ApiError>) -> AccountLimitView {
        match read {
            Ok(l) if l.enabled => AccountLimitView::On {
                // The API counts cents.
                amount_usd: l.config.amount.unwrap_or_default() / 100.0,
                duration: l.config.duration.unwrap_or_else(|| "?".into()),
                strategy: l.config.strategy.unwrap_or_else(|| "?".into()),
            },
            Ok(_) => AccountLimitView::Off,
            Err(e) => AccountLimitView::Unknown {
                reason: e.to_string(),
            },
        }
    }

    fn line(&self) -> String {
        match self {
            AccountLimitView::Off => "none".into(),
            AccountLimitView::On {
                amount_usd,
                duration,
                strategy,
            } => format!(
                "${} {duration} ({strategy}), Unified Billing across the account",
                trim_amount(*amount_usd)
            ),
            AccountLimitView::Unknown { reason } => format!("unknown ({reason})"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct GatewayReport {
    pub gateway: GatewayView,
    pub account_spending_limit: AccountLimitView,
}

impl Report for GatewayReport {
    fn render(&self, ui: &Ui) {
        ui.out(&format!(
            "Gateway {} (account {})",
            self.gateway.gateway_id, self.gateway.account_id
        ));
        for (k, v) in self.gateway.lines() {
            ui.out(&format!("  {k:<20} {v}"));
        }
        ui.out(&format!(
            "  {:<20} {}",
            "Account limit",
            self.account_spending_limit.line()
        ));
    }
}

/// The gateway object and the account's spending limit, read together (one round).
pub fn show(ctx: &Context) -> anyhow::Result<GatewayReport> {
    let t = target(ctx)?;
    let (settings, limit) = ctx.rt.block_on(async {
        tokio::join!(
            t.client.gateway_settings(&t.account_id, &t.gateway_id),
            t.client.account_spending_limit(&t.account_id)
        )
    });
    Ok(GatewayReport {
        gateway: GatewayView::of(&t, &settings?),
        account_spending_limit: AccountLimitView::of(limit),
    })
}

/// One line of the diff.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub setting: &'static str,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Serialize)]
pub struct GatewaySetReport {
    pub changes: Vec<FieldChange>,
    /// False when nothing differed or the user declined.
    pub applied: bool,
    pub declined: bool,
    pub gateway: GatewayView,
}

impl Report for GatewaySetReport {
    fn render(&self, ui: &Ui) {
        if self.declined {
            ui.out("Nothing changed (not confirmed).");
        } else if self.changes.is_empty() {
            ui.out("Nothing to change: the gateway already has these settings.");
        } else {
            ui.out(&format!("Updated gateway {}:", self.gateway.gateway_id));
            for c in &self.changes {
                ui.out(&format!("  {:<20} {} → {}", c.setting, c.before, c.after));
            }
        }
    }

    fn exit_code(&self) -> i32 {
        if self.declined {
            crate::exit::FAILURE
        } else {
            crate::exit::SUCCESS
        }
    }
}

/// The changes the flags ask for, in flag order.
pub fn changes_of(a: &GatewaySetArgs) -> Vec<Change> {
    let mut out = vec![];
    if let Some(r) = a.rate_limit {
        out.push(Change::RateLimit {
            limit: r.requests,
            interval: r.seconds,
        });
    }
    if a.no_rate_limit {
        out.push(Change::NoRateLimit);
    }
    if let Some(t) = a.cache_ttl {
        out.push(Change::CacheTtl(t));
    }
    if let Some(n) = a.retries {
        out.push(Change::Retries(n));
    }
    if let Some(b) = a.zdr {
        out.push(Change::Zdr(b));
    }
    if let Some(b) = a.collect_logs {
        out.push(Change::CollectLogs(b));
    }
    if let Some(l) = a.spend_limit {
        out.push(Change::SpendLimit {
            amount: l.amount,
            window: l.window.0,
        });
    }
    if a.no_spend_limit {
        out.push(Change::NoSpendLimit);
    }
    out
}

fn diff(before: &GatewayView, after: &GatewayView) -> Vec<FieldChange> {
    before
        .lines()
        .into_iter()
        .zip(after.lines())
        .filter(|((_, b), (_, a))| a != b)
        .map(|((setting, before), (_, after))| FieldChange {
            setting,
            before,
            after,
        })
        .collect()
}

/// Apply `changes` to the profile's gateway: GET, diff, confirm, one PUT.
pub fn set(ctx: &Context, changes: &[Change], yes: bool) -> anyhow::Result<GatewaySetReport> {
    if changes.is_empty() {
        return Err(Failure::usage("gateway set: nothing to change")
            .with_hint(
                "pass one of --rate-limit, --no-rate-limit, --cache-ttl, --retries, --zdr, \
                 --collect-logs, --spend-limit, --no-spend-limit",
            )
            .into());
    }
    require_yes_or_terminal(yes, "gateway set")?;
    let t = target(ctx)?;
    let current = ctx
        .rt
        .block_on(t.client.gateway_settings(&t.account_id, &t.gateway_id))?;
    let wanted = changes.iter().fold(current.clone(), |s, c| s.with(c));
    let (before, after) = (GatewayView::of(&t, &current), GatewayView::of(&t, &wanted));
    let changes = diff(&before, &after);
    if changes.is_empty() || wanted == current {
        return Ok(GatewaySetReport {
            changes: vec![],
            applied: false,
            declined: false,
            gateway: before,
        });
    }
    ctx.ui.line(&format!("Gateway {}:", t.gateway_id));
    for c in &changes {
        ctx.ui
            .line(&format!("  {:<20} {} → {}", c.setting, c.before, c.after));
    }
    if !confirm(yes, "Apply these changes?")? {
        return Ok(GatewaySetReport {
            changes,
            applied: false,
            declined: true,
            gateway: before,
        });
    }
    let saved = ctx.rt.block_on(t.client.put_gateway_settings(
        &t.account_id,
        &t.gateway_id,
        &wanted,
    ))?;
    Ok(GatewaySetReport {
        changes,
        applied: true,
        declined: false,
        gateway: GatewayView::of(&t, &saved),
    })
}
