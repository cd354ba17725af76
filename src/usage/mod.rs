//! `aigate usage`: the gateway's traffic over a window, summarised.
//!
//! Aggregates come from the GraphQL Analytics API (one query: grouped rows, the total, errors
//! by status), details the summary cannot give from the logs API (the recent failures and
//! their error codes, and how many logs the window holds). The number of requests does not
//! grow with traffic: two settings reads, one analytics query (two when P95 is unknown), two
//! log pages and at most [`MAX_DETAILS`] logged responses, whatever the window holds.

mod report;

pub use report::{RecentError, Totals, UsageReport, UsageRow};

use crate::cli::UsageBy;
use crate::cloudflare::analytics::{AnalyticsError, GroupBy, HighQuantile, UsageQuery};
use crate::cloudflare::{ApiError, LogEntry};
use crate::context::Context;
use crate::domain::limits::Span;
use crate::ops::target;
use chrono::{Duration, Utc};

/// Logged responses read for the recent failures.
pub const MAX_DETAILS: usize = 3;

pub fn summarise(ctx: &Context, since: Span, by: UsageBy) -> anyhow::Result<UsageReport> {
    let t = target(ctx)?;
    let (a, g, c) = (t.account_id.as_str(), t.gateway_id.as_str(), &t.client);
    // Whole seconds (the `Time` scalar is sent to the second): round the end up so records
    // from the current second are inside the window.
    let now = Utc::now();
    let until = chrono::DateTime::from_timestamp(now.timestamp() + 1, 0).unwrap_or(now);
    let requested = until - Duration::seconds(since.0 as i64);
    let spinner = ctx.ui.spinner("Reading the gateway's analytics and logs");
    let mut notes = vec![];
    let mut api_requests = 0u32;

    let (settings, ds) = ctx
        .rt
        .block_on(async { tokio::join!(c.gateway_settings(a, g), c.analytics_settings(a)) });
    api_requests += 2;
    let settings = settings?;
    // Retention and the longest window cut what can be asked.
    let mut from = requested;
    let mut cut_reason = None;
    if let Ok(ds) = &ds {
        let limit = [ds.not_older_than, ds.max_duration]
            .into_iter()
            .filter(|s| *s > 0)
            .min();
        if let Some(secs) = limit
            && (until - requested).num_seconds() > secs
        {
            from = until - Duration::seconds(secs);
            cut_reason = Some(format!(
                "analytics keep {} of history: the summary covers the last {}, not {}",
                Span(secs as u64),
                Span(secs as u64),
                since
            ));
        }
    }
    let group_by = match by {
        UsageBy::Model => GroupBy::Model,
        UsageBy::Provider => GroupBy::Provider,
    };
    let q = UsageQuery {
        account_id: a.to_string(),
        gateway_id: g.to_string(),
        since: from,
        until,
        group_by,
        high: HighQuantile::P95,
    };
    let analytics_on = ds.as_ref().map_or(true, |d| d.enabled);
    let (an, failures, oldest) = ctx.rt.block_on(async {
        tokio::join!(
            async {
                if analytics_on {
                    Some(c.usage_analytics(&q).await)
                } else {
                    None
                }
            },
            c.logs_since(a, g, from, true, false, 10),
            c.logs_since(a, g, from, false, true, 1),
        )
    });
    api_requests += 2 + u32::from(analytics_on);
    // Analytics or logs that are off or refused are notes; Cloudflare itself failing (5xx,
    // 429, resets after the retries) is not a summary with holes but exit 4.
    let down = |e: &ApiError| e.exit_kind() == crate::exit::Kind::Unreachable;
    if let Some(Err(AnalyticsError::Api(e))) = &an
        && down(e)
    {
        return Err(anyhow::Error::new(e.clone()).context("Cloudflare's analytics did not answer"));
    }
    for page in [&failures, &oldest] {
        if let Err(e) = page
            && down(e)
        {
            return Err(anyhow::Error::new(e.clone()).context("Cloudflare's logs did not answer"));
        }
    }
    let analytics = match an {
        Some(Ok(x)) => {
            if x.high == Some(HighQuantile::P90) {
                api_requests += 1;
                notes.push("this account's analytics have no 95th percentile: p90 is shown".into());
            }
            Some(x)
        }
        Some(Err(e)) => {
            notes.push(analytics_problem(&e));
            None
        }
        None => {
            notes.push(
                "analytics are off for this account: no totals (turn them on in the dashboard)"
                    .into(),
            );
            None
        }
    };
    if let Err(e) = &ds {
        notes.push(format!("could not read the analytics settings: {e}"));
    }
    let (failures, logs_in_window) = logs_part(failures, oldest, &mut notes);
    let details = ctx.rt.block_on(error_details(&t, &failures));
    api_requests += details.len() as u32;
    spinner.clear();

    if !settings.collect_logs() {
        notes.push(
            "logs are off on this gateway: recent errors cannot be shown \
             (`aigate gateway set --collect-logs on`)"
                .into(),
        );
    }
    let report = report::build(report::Parts {
        since: from,
        until,
        requested_since: requested,
        cut_reason,
        group_by,
        analytics,
        recent: details,
        logs_in_window,
        collect_logs: settings.collect_logs(),
        spend_rules: settings.spend_rules(),
        spend_enabled: settings.spend_limits_enabled(),
        notes,
        api_requests,
    });
    Ok(report)
}

fn analytics_problem(e: &AnalyticsError) -> String {
    format!("analytics could not answer, so there are no totals: {e}")
}

fn logs_part(
    failures: Result<crate::cloudflare::logs_query::LogPage, ApiError>,
    oldest: Result<crate::cloudflare::logs_query::LogPage, ApiError>,
    notes: &mut Vec<String>,
) -> (Vec<LogEntry>, Option<u64>) {
    let failures = match failures {
        Ok(p) => p.items,
        Err(e) => {
            notes.push(format!("could not read the logs: {e}"));
            vec![]
        }
    };
    (failures, oldest.ok().map(|p| p.total))
}

/// The recent failures with the gateway's error code and message from their logged responses
/// (at most [`MAX_DETAILS`] responses read, concurrently).
async fn error_details(t: &crate::ops::Target, failures: &[LogEntry]) -> Vec<RecentError> {
    let reads = failures.iter().take(MAX_DETAILS).map(|l| async move {
        let body = t
            .client
            .log_response(&t.account_id, &t.gateway_id, &l.id)
            .await
            .ok();
        let err = body.as_ref().map(|b| {
            let e = if b["error"].is_array() {
                &b["error"][0]
            } else {
                &b["error"]
            };
            (
                e["code"].as_u64(),
                e["message"].as_str().map(str::to_string),
            )
        });
        let (code, message) = err.unwrap_or_default();
        RecentError {
            at: l.created_at,
            provider: l.provider.clone(),
            model: l.model.clone(),
            status: l.status_code,
            code,
            message,
        }
    });
    futures_util::future::join_all(reads).await
}
