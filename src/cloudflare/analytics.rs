//! AI Gateway analytics through Cloudflare's GraphQL Analytics API (`POST {api}/graphql`).
//!
//! The query document is built as a `graphql-parser` syntax tree and printed by the library
//! (no string pasting); values travel as GraphQL variables.
//!
//! Where each name comes from:
//! - dataset `aiGatewayRequestsAdaptiveGroups` under `viewer { accounts(filter: {accountTag}) }`,
//!   filter keys `gateway`, `datetime_geq`, `datetime_leq`, `statusCode_geq`, `limit`,
//!   `orderBy: [count_DESC]`: Cloudflare docs `ai-gateway/observability/analytics` (the
//!   official example), and `analytics/graphql-api/limits` for `limit`/`maxPageSize`;
//! - `count`, `dimensions { model provider statusCode }`: the same docs example;
//! - `sum { cost erroredRequests cachedRequests tokensIn tokensOut }`: the docs example and
//!   public projects that run them against live accounts (found through the search tool:
//!   OpenTelemetry exporters and a Workers dashboard querying `sum { cost uncachedTokensIn
//!   uncachedTokensOut cachedRequests erroredRequests }`);
//! - `quantiles { durationMsP50 durationMsP90 }`: seen in use (reference
//!   `cloudflare-control-plane.md` §8); `durationMsP95` follows other datasets' naming and is
//!   UNCONFIRMED, so [`Client::usage_analytics`] falls back to P90 when the API answers
//!   "unknown field" for it, and says which it shows;
//! - `settings { aiGatewayRequestsAdaptiveGroups { enabled maxDuration notOlderThan
//!   maxPageSize } }`: `analytics/graphql-api/features/discovery/settings`.
//!
//! GraphQL errors come back with HTTP 200 and `errors: [...]`: always checked.

use chrono::{DateTime, SecondsFormat, Utc};
use graphql_parser::Pos;
use graphql_parser::query::{
    Definition, Document, Field, Number, OperationDefinition, Query, Selection, SelectionSet, Type,
    Value as G, VariableDefinition,
};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::error::{ApiError, ops};
use super::http::Client;

pub const DATASET: &str = "aiGatewayRequestsAdaptiveGroups";
const PAGE: i32 = 1000;

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Model,
    Provider,
}

/// Which duration quantile is the "high" one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HighQuantile {
    P95,
    P90,
}

impl HighQuantile {
    pub fn field(self) -> &'static str {
        match self {
            HighQuantile::P95 => "durationMsP95",
            HighQuantile::P90 => "durationMsP90",
        }
    }
}

/// One analytics question: a gateway, a window, a grouping.
#[derive(Debug, Clone)]
pub struct UsageQuery {
    pub account_id: String,
    pub gateway_id: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub group_by: GroupBy,
    pub high: HighQuantile,
}

// --- building the document ---------------------------------------------------------------

type F = Field<'static, String>;

fn set(items: Vec<F>) -> SelectionSet<'static, String> {
    SelectionSet {
        span: (Pos::default(), Pos::default()),
        items: items.into_iter().map(Selection::Field).collect(),
    }
}

fn field(name: &str) -> F {
    Field {
        position: Pos::default(),
        alias: None,
        name: name.to_string(),
        arguments: vec![],
        directives: vec![],
        selection_set: set(vec![]),
    }
}

fn leaves(name: &str, names: &[&str]) -> F {
    F {
        selection_set: set(names.iter().map(|n| field(n)).collect()),
        ..field(name)
    }
}

fn var(n: &str) -> G<'static, String> {
    G::Variable(n.to_string())
}

fn obj(pairs: Vec<(&str, G<'static, String>)>) -> G<'static, String> {
    G::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn var_def(name: &str, ty: &str) -> VariableDefinition<'static, String> {
    VariableDefinition {
        position: Pos::default(),
        name: name.to_string(),
        var_type: Type::NonNullType(Box::new(Type::NamedType(ty.to_string()))),
        default_value: None,
    }
}

fn window_filter(extra: Vec<(&str, G<'static, String>)>) -> G<'static, String> {
    let mut pairs = vec![
        ("gateway", var("gateway")),
        ("datetime_geq", var("since")),
        ("datetime_leq", var("until")),
    ];
    pairs.extend(extra);
    obj(pairs)
}

fn dataset(alias: &str, limit: i32, filter: G<'static, String>, selection: Vec<F>) -> F {
    F {
        alias: Some(alias.to_string()),
        arguments: vec![
            ("limit".to_string(), G::Int(Number::from(limit))),
            ("filter".to_string(), filter),
            (
                "orderBy".to_string(),
                G::List(vec![G::Enum("count_DESC".to_string())]),
            ),
        ],
        selection_set: set(selection),
        ..field(DATASET)
    }
}

const SUMS: &[&str] = &[
    "cost",
    "erroredRequests",
    "cachedRequests",
    "tokensIn",
    "tokensOut",
];

fn query_doc(vars: &[(&str, &str)], accounts_selection: Vec<F>) -> String {
    let accounts = F {
        arguments: vec![(
            "filter".to_string(),
            obj(vec![("accountTag", var("account"))]),
        )],
        selection_set: set(accounts_selection),
        ..field("accounts")
    };
    let viewer = F {
        selection_set: set(vec![accounts]),
        ..field("viewer")
    };
    let doc: Document<'static, String> = Document {
        definitions: vec![Definition::Operation(OperationDefinition::Query(Query {
            position: Pos::default(),
            name: Some("AigateUsage".to_string()),
            variable_definitions: vars.iter().map(|(n, t)| var_def(n, t)).collect(),
            directives: vec![],
            selection_set: set(vec![viewer]),
        }))],
    };
    doc.to_string()
}

impl UsageQuery {
    /// The document: `rows` (grouped), `total` (one row), `errors` (by status code).
    pub fn document(&self) -> String {
        let key = match self.group_by {
            GroupBy::Model => vec!["model", "provider"],
            GroupBy::Provider => vec!["provider"],
        };
        let quantiles = leaves("quantiles", &["durationMsP50", self.high.field()]);
        let rows = dataset(
            "rows",
            PAGE,
            window_filter(vec![]),
            vec![
                field("count"),
                leaves("dimensions", &key),
                leaves("sum", SUMS),
                quantiles.clone(),
            ],
        );
        let total = dataset(
            "total",
            1,
            window_filter(vec![]),
            vec![field("count"), leaves("sum", SUMS), quantiles],
        );
        let errors = dataset(
            "errors",
            100,
            window_filter(vec![("statusCode_geq", G::Int(Number::from(400)))]),
            vec![field("count"), leaves("dimensions", &["statusCode"])],
        );
        query_doc(
            &[
                ("account", "String"),
                ("gateway", "String"),
                ("since", "Time"),
                ("until", "Time"),
            ],
            vec![rows, total, errors],
        )
    }

    pub fn variables(&self) -> Value {
        let t = |d: DateTime<Utc>| d.to_rfc3339_opts(SecondsFormat::Secs, true);
        json!({"account": self.account_id, "gateway": self.gateway_id,
               "since": t(self.since), "until": t(self.until)})
    }
}

/// The settings document (the dataset's availability, window and retention).
pub fn settings_document() -> String {
    let ds = leaves(
        DATASET,
        &["enabled", "maxDuration", "notOlderThan", "maxPageSize"],
    );
    let settings = F {
        selection_set: set(vec![ds]),
        ..field("settings")
    };
    query_doc(&[("account", "String")], vec![settings])
}

// --- reading the answer ------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dimensions {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sums {
    #[serde(default)]
    pub cost: f64,
    #[serde(default)]
    pub errored_requests: u64,
    #[serde(default)]
    pub cached_requests: u64,
    #[serde(default)]
    pub tokens_in: u64,
    #[serde(default)]
    pub tokens_out: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Quantiles {
    #[serde(default, rename = "durationMsP50")]
    pub p50: Option<f64>,
    #[serde(default, rename = "durationMsP95")]
    pub p95: Option<f64>,
    #[serde(default, rename = "durationMsP90")]
    pub p90: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Group {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub dimensions: Dimensions,
    #[serde(default)]
    pub sum: Sums,
    #[serde(default)]
    pub quantiles: Quantiles,
}

#[derive(Debug, Clone, Default)]
pub struct UsageAnalytics {
    pub rows: Vec<Group>,
    pub total: Group,
    pub errors_by_status: Vec<(u16, u64)>,
    /// The quantile actually shown as the high one.
    pub high: Option<HighQuantile>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetSettings {
    #[serde(default)]
    pub enabled: bool,
    /// Seconds.
    #[serde(default)]
    pub max_duration: i64,
    /// Seconds of retention.
    #[serde(default)]
    pub not_older_than: i64,
    #[serde(default)]
    pub max_page_size: i64,
}

/// Why analytics could not answer.
#[derive(Debug)]
pub enum AnalyticsError {
    Api(ApiError),
    /// The GraphQL `errors` messages.
    GraphQl(Vec<String>),
}

impl std::fmt::Display for AnalyticsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyticsError::Api(e) => write!(f, "{e}"),
            AnalyticsError::GraphQl(m) => {
                write!(f, "analytics refused the query: {}", m.join("; "))
            }
        }
    }
}

impl From<ApiError> for AnalyticsError {
    fn from(e: ApiError) -> Self {
        AnalyticsError::Api(e)
    }
}

impl Client {
    async fn graphql(&self, query: String, variables: Value) -> Result<Value, AnalyticsError> {
        let body = json!({"query": query, "variables": variables});
        // A query changes nothing: retried like any idempotent call.
        let doc = self
            .api_document(
                Method::POST,
                "/graphql",
                &[],
                Some(&body),
                ops::ANALYTICS,
                true,
            )
            .await?;
        if let Some(errs) = doc["errors"].as_array().filter(|e| !e.is_empty()) {
            let msgs = errs
                .iter()
                .map(|e| e["message"].as_str().unwrap_or("unknown error").to_string())
                .collect();
            return Err(AnalyticsError::GraphQl(msgs));
        }
        Ok(doc["data"]["viewer"]["accounts"][0].clone())
    }

    /// The dataset's settings for the account (one request).
    pub async fn analytics_settings(
        &self,
        account_id: &str,
    ) -> Result<DatasetSettings, AnalyticsError> {
        let acc = self
            .graphql(settings_document(), json!({"account": account_id}))
            .await?;
        Ok(serde_json::from_value(acc["settings"][DATASET].clone()).unwrap_or_default())
    }

    /// The grouped summary (one request; a second only when `durationMsP95` is unknown).
    pub async fn usage_analytics(&self, q: &UsageQuery) -> Result<UsageAnalytics, AnalyticsError> {
        let acc = match self.graphql(q.document(), q.variables()).await {
            Err(AnalyticsError::GraphQl(m))
                if q.high == HighQuantile::P95
                    && m.iter()
                        .any(|x| x.contains("unknown field") && x.contains("P95")) =>
            {
                let p90 = UsageQuery {
                    high: HighQuantile::P90,
                    ..q.clone()
                };
                return Box::pin(self.usage_analytics(&p90)).await;
            }
            other => other?,
        };
        let groups =
            |k: &str| -> Vec<Group> { serde_json::from_value(acc[k].clone()).unwrap_or_default() };
        let errors_by_status = groups("errors")
            .into_iter()
            .filter_map(|g| Some((g.dimensions.status_code?, g.count)))
            .collect();
        Ok(UsageAnalytics {
            rows: groups("rows"),
            total: groups("total").into_iter().next().unwrap_or_default(),
            errors_by_status,
            high: Some(q.high),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_parses_back_as_graphql() {
        let q = UsageQuery {
            account_id: "a".into(),
            gateway_id: "g".into(),
            since: Utc::now(),
            until: Utc::now(),
            group_by: GroupBy::Model,
            high: HighQuantile::P95,
        };
        let text = q.document();
        graphql_parser::parse_query::<String>(&text).unwrap();
        assert!(
            text.contains("rows: aiGatewayRequestsAdaptiveGroups"),
            "{text}"
        );
        assert!(text.contains("durationMsP95"));
        graphql_parser::parse_query::<String>(&settings_document()).unwrap();
    }
}
