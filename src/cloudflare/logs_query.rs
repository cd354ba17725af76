//! The logs API for what a summary cannot show: the recent failures of a window (with
//! `filters`), how many logs the window holds (`result_info.total_count`), and a logged
//! response body (the gateway's error code and message).
//!
//! `filters` is an array of `{key, operator, value[]}` (contract: `aig-config-list-gateway-logs`);
//! it is sent as one query parameter holding the JSON array.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::api::seg;
use super::error::{ApiError, ops};
use super::http::Client;
use super::types::LogEntry;

/// A page of logs and the total the filters match.
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    pub items: Vec<LogEntry>,
    pub total: u64,
}

fn logs_path(a: &str, g: &str) -> String {
    format!("/accounts/{}/ai-gateway/gateways/{}/logs", seg(a), seg(g))
}

impl Client {
    /// Logs created after `since` (newest first, or oldest first with `oldest_first`),
    /// optionally failures only; `per_page` 1..=50.
    pub async fn logs_since(
        &self,
        a: &str,
        g: &str,
        since: DateTime<Utc>,
        failures_only: bool,
        oldest_first: bool,
        per_page: u32,
    ) -> Result<LogPage, ApiError> {
        let t = since.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut filters = vec![json!({"key": "created_at", "operator": "gt", "value": [t]})];
        if failures_only {
            filters.push(json!({"key": "success", "operator": "eq", "value": [false]}));
        }
        let dir = if oldest_first { "asc" } else { "desc" };
        let query = [
            ("per_page", per_page.clamp(1, 50).to_string()),
            ("order_by", "created_at".to_string()),
            ("order_by_direction", dir.to_string()),
            ("filters", Value::Array(filters).to_string()),
        ];
        let r = self
            .api::<Option<Vec<LogEntry>>>(
                Method::GET,
                &logs_path(a, g),
                &query,
                None,
                ops::LIST_LOGS,
            )
            .await?;
        Ok(LogPage {
            items: r.result.unwrap_or_default(),
            total: r.result_info.and_then(|i| i.total_count).unwrap_or(0),
        })
    }

    /// The stored response body of one log (`GET .../logs/{id}/response`).
    pub async fn log_response(&self, a: &str, g: &str, id: &str) -> Result<Value, ApiError> {
        let path = format!("{}/{}/response", logs_path(a, g), seg(id));
        self.api_document(Method::GET, &path, &[], None, ops::LOG_RESPONSE, true)
            .await
    }
}
