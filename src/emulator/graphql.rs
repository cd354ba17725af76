//! `POST /client/v4/graphql`: the part of Cloudflare's GraphQL Analytics API that AI Gateway
//! analytics use, answered from the emulator's own request records (`logs.rs`).
//!
//! The body's `query` is parsed as a GraphQL document (`graphql-parser`), variables are
//! substituted, and the selection is walked the way a GraphQL server resolves it:
//! `viewer { accounts(filter: {accountTag}) { settings { aiGatewayRequestsAdaptiveGroups {
//! enabled maxDuration notOlderThan maxPageSize } } <alias>: aiGatewayRequestsAdaptiveGroups(
//! limit, filter, orderBy) { count dimensions {...} sum {...} quantiles {...} } } }`.
//! Anything else is refused as GraphQL servers refuse it: HTTP 200 with
//! `{"data": null, "errors": [{"message": "unknown field \"x\"", "path": [...],
//! "extensions": {"code": ...}}]}` (reference §8: Cloudflare answers errors with 200).
//!
//! Emulator choices: quantiles are nearest-rank over the group's durations; a token without
//! AI Gateway Read gets no rows and no error (as Cloudflare's does); a window longer than
//! `maxDuration` or older than `notOlderThan` is an error; `limit` must be 1..=maxPageSize.

use super::envelope::Reply;
use super::logs::LogRec;
use super::server::Ctx;
use super::state::State;
use super::{Permissions, TokenSpec};
use chrono::{DateTime, Utc};
use graphql_parser::query::{
    Definition, Document, Field, OperationDefinition, Selection, SelectionSet, Value as GValue,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const DATASET: &str = "aiGatewayRequestsAdaptiveGroups";

/// The dataset's limits, as `settings` reports them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub enabled: bool,
    /// Longest window of one query, seconds.
    pub max_duration: i64,
    /// Retention: how far back data exists, seconds.
    pub not_older_than: i64,
    pub max_page_size: i64,
    /// Whether `durationMsP95` exists (the reference calls it unconfirmed; tests turn it off
    /// to prove the client's fallback to P90).
    pub p95: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            enabled: true,
            max_duration: 32 * 86_400,
            not_older_than: 62 * 86_400,
            max_page_size: 10_000,
            p95: true,
        }
    }
}

struct GqlError {
    message: String,
    path: Vec<String>,
    code: &'static str,
}

fn err(message: impl Into<String>, path: &[String], code: &'static str) -> GqlError {
    GqlError {
        message: message.into(),
        path: path.to_vec(),
        code,
    }
}

fn error_reply(e: GqlError) -> Reply {
    Reply::json(
        200,
        &json!({"data": null, "errors": [{"message": e.message, "path": e.path,
            "extensions": {"code": e.code, "timestamp": Utc::now().to_rfc3339()}}]}),
    )
}

/// Handle one GraphQL request for the token `spec`.
pub fn handle(st: &State, ctx: &Ctx, spec: &TokenSpec) -> Reply {
    let body: Value = match serde_json::from_slice(&ctx.body) {
        Ok(v) => v,
        Err(_) => return error_reply(err("failed to parse request body", &[], "bad_request")),
    };
    let Some(query) = body["query"].as_str() else {
        return error_reply(err("no query given", &[], "bad_request"));
    };
    let doc: Document<String> = match graphql_parser::parse_query::<String>(query) {
        Ok(d) => d,
        Err(e) => return error_reply(err(format!("{e}"), &[], "GRAPHQL_PARSE_FAILED")),
    };
    let vars = body["variables"].as_object().cloned().unwrap_or_default();
    let r = Resolver {
        st,
        vars: &vars,
        perms: spec.permissions,
        reach: &spec.accounts,
        now: Utc::now(),
    };
    match r.document(&doc) {
        Ok(data) => Reply::json(200, &json!({"data": data, "errors": null})),
        Err(e) => error_reply(e),
    }
}

struct Resolver<'a> {
    st: &'a State,
    vars: &'a Map<String, Value>,
    perms: Permissions,
    reach: &'a [String],
    now: DateTime<Utc>,
}

fn key(f: &Field<String>) -> String {
    f.alias.clone().unwrap_or_else(|| f.name.clone())
}

fn fields<'d, 'q>(
    set: &'d SelectionSet<'q, String>,
    path: &[String],
) -> Result<Vec<&'d Field<'q, String>>, GqlError> {
    set.items
        .iter()
        .map(|s| match s {
            Selection::Field(f) => Ok(f),
            _ => Err(err(
                "fragments are not supported",
                path,
                "GRAPHQL_VALIDATION_FAILED",
            )),
        })
        .collect()
}

fn unknown(name: &str, path: &[String]) -> GqlError {
    err(
        format!("unknown field \"{name}\""),
        path,
        "GRAPHQL_VALIDATION_FAILED",
    )
}

fn child(path: &[String], name: &str) -> Vec<String> {
    let mut p = path.to_vec();
    p.push(name.to_string());
    p
}

impl Resolver<'_> {
    fn value(&self, v: &GValue<String>) -> Value {
        match v {
            GValue::Variable(n) => self.vars.get(n).cloned().unwrap_or(Value::Null),
            GValue::Int(n) => json!(n.as_i64()),
            GValue::Float(f) => json!(f),
            GValue::String(s) => json!(s),
            GValue::Boolean(b) => json!(b),
            GValue::Null => Value::Null,
            GValue::Enum(e) => json!(e),
            GValue::List(l) => Value::Array(l.iter().map(|x| self.value(x)).collect()),
            GValue::Object(o) => {
                Value::Object(o.iter().map(|(k, x)| (k.clone(), self.value(x))).collect())
            }
        }
    }

    fn args(&self, f: &Field<String>) -> BTreeMap<String, Value> {
        f.arguments
            .iter()
            .map(|(k, v)| (k.clone(), self.value(v)))
            .collect()
    }

    fn document(&self, doc: &Document<String>) -> Result<Value, GqlError> {
        let mut ops = doc.definitions.iter().filter_map(|d| match d {
            Definition::Operation(op) => Some(op),
            _ => None,
        });
        let set = match ops.next() {
            Some(OperationDefinition::Query(q)) => &q.selection_set,
            Some(OperationDefinition::SelectionSet(s)) => s,
            Some(_) => {
                return Err(err(
                    "only queries are supported",
                    &[],
                    "GRAPHQL_VALIDATION_FAILED",
                ));
            }
            None => {
                return Err(err(
                    "no operation in the document",
                    &[],
                    "GRAPHQL_VALIDATION_FAILED",
                ));
            }
        };
        let mut out = Map::new();
        for f in fields(set, &[])? {
            if f.name != "viewer" {
                return Err(unknown(&f.name, &[]));
            }
            out.insert(key(f), self.viewer(f, &[key(f)])?);
        }
        Ok(Value::Object(out))
    }

    fn viewer(&self, f: &Field<String>, path: &[String]) -> Result<Value, GqlError> {
        let mut out = Map::new();
        for c in fields(&f.selection_set, path)? {
            if c.name != "accounts" {
                return Err(unknown(&c.name, path));
            }
            let p = child(path, &key(c));
            let args = self.args(c);
            let tag = args
                .get("filter")
                .and_then(|x| x["accountTag"].as_str())
                .ok_or_else(|| err("accounts: filter.accountTag is required", &p, "bad_request"))?;
            if !self.reach.iter().any(|a| a == tag) || self.st.account(tag).is_none() {
                return Err(err("not authorized for that account", &p, "authz"));
            }
            out.insert(key(c), json!([self.account(c, tag, &p)?]));
        }
        Ok(Value::Object(out))
    }

    fn account(&self, f: &Field<String>, tag: &str, path: &[String]) -> Result<Value, GqlError> {
        let mut out = Map::new();
        for c in fields(&f.selection_set, path)? {
            let p = child(path, &key(c));
            let v = match c.name.as_str() {
                "settings" => self.settings(c, &p)?,
                DATASET => self.groups(c, tag, &p)?,
                other => return Err(unknown(other, path)),
            };
            out.insert(key(c), v);
        }
        Ok(Value::Object(out))
    }

    fn settings(&self, f: &Field<String>, path: &[String]) -> Result<Value, GqlError> {
        let l = self.st.control.graphql;
        let mut out = Map::new();
        for c in fields(&f.selection_set, path)? {
            if c.name != DATASET {
                return Err(unknown(&c.name, path));
            }
            let p = child(path, &key(c));
            let mut s = Map::new();
            for g in fields(&c.selection_set, &p)? {
                let v = match g.name.as_str() {
                    "enabled" => json!(l.enabled),
                    "maxDuration" => json!(l.max_duration),
                    "notOlderThan" => json!(l.not_older_than),
                    "maxPageSize" => json!(l.max_page_size),
                    other => return Err(unknown(other, &p)),
                };
                s.insert(key(g), v);
            }
            out.insert(key(c), Value::Object(s));
        }
        Ok(Value::Object(out))
    }

    fn groups(&self, f: &Field<String>, tag: &str, path: &[String]) -> Result<Value, GqlError> {
        let l = self.st.control.graphql;
        let args = self.args(f);
        for k in args.keys() {
            if !["limit", "filter", "orderBy"].contains(&k.as_str()) {
                return Err(err(
                    format!("unknown argument \"{k}\""),
                    path,
                    "GRAPHQL_VALIDATION_FAILED",
                ));
            }
        }
        let limit = args.get("limit").and_then(Value::as_i64).unwrap_or(0);
        if limit <= 0 || limit > l.max_page_size {
            let msg = format!(
                "limit must be positive number and not greater than {}",
                l.max_page_size
            );
            return Err(err(msg, path, "bad_request"));
        }
        let filter = Filter::parse(args.get("filter").unwrap_or(&Value::Null), path)?;
        let (since, until) = (filter.since(), filter.until(self.now));
        if let Some(s) = since {
            if (until - s).num_seconds() > l.max_duration {
                return Err(err("query time range is too large", path, "bad_request"));
            }
            if (self.now - s).num_seconds() > l.not_older_than {
                let msg = format!(
                    "cannot request data older than {}s (the dataset's notOlderThan)",
                    l.not_older_than
                );
                return Err(err(msg, path, "bad_request"));
            }
        }
        let shape = Shape::parse(f, path, l.p95)?;
        if !self.perms.ai_gateway_read && !self.perms.ai_gateway_write {
            return Ok(json!([]));
        }
        let mut buckets: BTreeMap<Vec<String>, Vec<&LogRec>> = BTreeMap::new();
        let (lo, hi) = (since, filter.until_bound());
        for ((a, gw), recs) in &self.st.logs {
            if a != tag || !filter.gateway_ok(gw) {
                continue;
            }
            // Records are in time order: the window is a slice found by binary search.
            let start = lo.map_or(0, |t| recs.partition_point(|r| r.at < t));
            let end = hi.map_or(recs.len(), |t| recs.partition_point(|r| r.at <= t));
            let mut last: Option<(&str, &str, Vec<String>)> = None;
            for r in recs[start..end.max(start)]
                .iter()
                .filter(|r| filter.accepts(r))
            {
                // Consecutive records often share a key: reuse it instead of rebuilding.
                let k = match &last {
                    Some((m, p, k)) if *m == r.model && *p == r.provider && shape.simple() => {
                        k.clone()
                    }
                    _ => {
                        let k: Vec<String> = shape.dims.iter().map(|d| dim(r, gw, d)).collect();
                        last = Some((&r.model, &r.provider, k.clone()));
                        k
                    }
                };
                buckets.entry(k).or_default().push(r);
            }
        }
        let mut rows: Vec<(u64, f64, Value)> = buckets
            .into_iter()
            .map(|(k, recs)| {
                let count = recs.len() as u64;
                let cost: f64 = recs.iter().map(|r| r.cost).sum();
                (count, cost, shape.row(&k, &recs))
            })
            .collect();
        let order = args.get("orderBy").cloned().unwrap_or(json!([]));
        let order: Vec<&str> = match &order {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => vec![],
        };
        for o in order.iter().rev() {
            match *o {
                "count_DESC" => rows.sort_by_key(|r| std::cmp::Reverse(r.0)),
                "count_ASC" => rows.sort_by_key(|r| r.0),
                "sum_cost_DESC" => rows.sort_by(|a, b| b.1.total_cmp(&a.1)),
                "sum_cost_ASC" => rows.sort_by(|a, b| a.1.total_cmp(&b.1)),
                other => {
                    return Err(err(
                        format!("unknown orderBy \"{other}\""),
                        path,
                        "GRAPHQL_VALIDATION_FAILED",
                    ));
                }
            }
        }
        Ok(Value::Array(
            rows.into_iter()
                .take(limit as usize)
                .map(|(_, _, v)| v)
                .collect(),
        ))
    }
}

const DIMENSIONS: &[&str] = &[
    "model",
    "provider",
    "gateway",
    "statusCode",
    "error",
    "cached",
    "date",
    "datetimeHour",
    "datetimeMinute",
];

fn dim(r: &LogRec, gateway: &str, d: &str) -> String {
    match d {
        "model" => r.model.clone(),
        "provider" => r.provider.clone(),
        "gateway" => gateway.to_string(),
        "statusCode" => r.status_code.to_string(),
        "error" => (!r.success()).to_string(),
        "cached" => r.cached.to_string(),
        "date" => r.at.format("%Y-%m-%d").to_string(),
        "datetimeHour" => r.at.format("%Y-%m-%dT%H:00:00Z").to_string(),
        _ => r.at.format("%Y-%m-%dT%H:%M:00Z").to_string(),
    }
}

const SUMS: &[&str] = &[
    "cost",
    "erroredRequests",
    "cachedRequests",
    "tokensIn",
    "tokensOut",
    "cachedTokensIn",
    "uncachedTokensIn",
    "cachedTokensOut",
    "uncachedTokensOut",
];

/// What a group row selects: `(key, field)` pairs per sub-object.
struct Shape {
    count: Option<String>,
    dims: Vec<String>,
    dim_keys: Vec<String>,
    dims_key: Option<String>,
    sums: Option<(String, Vec<(String, String)>)>,
    quantiles: Option<(String, Vec<(String, String)>)>,
}

fn leaf_list(
    f: &Field<String>,
    path: &[String],
    allowed: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, GqlError> {
    let p = child(path, &key(f));
    fields(&f.selection_set, &p)?
        .into_iter()
        .map(|c| {
            if allowed(&c.name) {
                Ok((key(c), c.name.clone()))
            } else {
                Err(unknown(&c.name, &p))
            }
        })
        .collect()
}

fn quantile_field(name: &str, p95: bool) -> Option<f64> {
    Some(match name {
        "durationMsP50" => 0.50,
        "durationMsP75" => 0.75,
        "durationMsP90" => 0.90,
        "durationMsP95" if p95 => 0.95,
        "durationMsP99" => 0.99,
        _ => return None,
    })
}

/// Nearest rank: the smallest value with at least `q` of the values at or below it.
pub fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Shape {
    /// The key depends on model and provider only (no time or status dimension).
    fn simple(&self) -> bool {
        self.dims
            .iter()
            .all(|d| matches!(d.as_str(), "model" | "provider" | "gateway"))
    }

    fn parse(f: &Field<String>, path: &[String], p95: bool) -> Result<Shape, GqlError> {
        let mut s = Shape {
            count: None,
            dims: vec![],
            dim_keys: vec![],
            dims_key: None,
            sums: None,
            quantiles: None,
        };
        for c in fields(&f.selection_set, path)? {
            match c.name.as_str() {
                "count" => s.count = Some(key(c)),
                "dimensions" => {
                    for (k, name) in leaf_list(c, path, &|n| DIMENSIONS.contains(&n))? {
                        s.dim_keys.push(k);
                        s.dims.push(name);
                    }
                    s.dims_key = Some(key(c));
                }
                "sum" => s.sums = Some((key(c), leaf_list(c, path, &|n| SUMS.contains(&n))?)),
                "quantiles" => {
                    let list = leaf_list(c, path, &|n| quantile_field(n, p95).is_some())?;
                    s.quantiles = Some((key(c), list));
                }
                other => return Err(unknown(other, path)),
            }
        }
        Ok(s)
    }

    fn row(&self, dims: &[String], recs: &[&LogRec]) -> Value {
        let mut out = Map::new();
        if let Some(k) = &self.count {
            out.insert(k.clone(), json!(recs.len()));
        }
        if let Some(k) = &self.dims_key {
            let mut d = Map::new();
            for ((key, name), val) in self.dim_keys.iter().zip(&self.dims).zip(dims) {
                let v = match name.as_str() {
                    "statusCode" => json!(val.parse::<u16>().unwrap_or(0)),
                    "error" | "cached" => json!(val == "true"),
                    _ => json!(val),
                };
                d.insert(key.clone(), v);
            }
            out.insert(k.clone(), Value::Object(d));
        }
        if let Some((k, list)) = &self.sums {
            let mut m = Map::new();
            for (key, name) in list {
                let total = |f: &dyn Fn(&LogRec) -> u64| recs.iter().map(|r| f(r)).sum::<u64>();
                let v = match name.as_str() {
                    "cost" => json!(recs.iter().map(|r| r.cost).sum::<f64>()),
                    "erroredRequests" => json!(total(&|r| u64::from(!r.success()))),
                    "cachedRequests" => json!(total(&|r| u64::from(r.cached))),
                    "tokensIn" => json!(total(&|r| r.tokens_in.unwrap_or(0))),
                    "tokensOut" => json!(total(&|r| r.tokens_out.unwrap_or(0))),
                    "cachedTokensIn" => {
                        json!(total(&|r| if r.cached {
                            r.tokens_in.unwrap_or(0)
                        } else {
                            0
                        }))
                    }
                    "uncachedTokensIn" => {
                        json!(total(&|r| if r.cached {
                            0
                        } else {
                            r.tokens_in.unwrap_or(0)
                        }))
                    }
                    "cachedTokensOut" => {
                        json!(total(&|r| if r.cached {
                            r.tokens_out.unwrap_or(0)
                        } else {
                            0
                        }))
                    }
                    _ => json!(total(&|r| if r.cached {
                        0
                    } else {
                        r.tokens_out.unwrap_or(0)
                    })),
                };
                m.insert(key.clone(), v);
            }
            out.insert(k.clone(), Value::Object(m));
        }
        if let Some((k, list)) = &self.quantiles {
            let mut d: Vec<u64> = recs.iter().map(|r| r.duration_ms).collect();
            d.sort_unstable();
            let mut m = Map::new();
            for (key, name) in list {
                let q = quantile_field(name, true).unwrap_or(0.5);
                m.insert(key.clone(), json!(nearest_rank(&d, q)));
            }
            out.insert(k.clone(), Value::Object(m));
        }
        Value::Object(out)
    }
}

/// The `filter` argument: time bounds, gateway, model, provider, status code, error; values
/// parsed once.
#[derive(Default)]
struct Filter {
    conds: Vec<Cond>,
}

enum Cond {
    Gateway(String),
    Model(String),
    Provider(String),
    Geq(DateTime<Utc>),
    Gt(DateTime<Utc>),
    Leq(DateTime<Utc>),
    Lt(DateTime<Utc>),
    Status(u64),
    StatusGeq(u64),
    StatusLt(u64),
    Error(bool),
    Cached(bool),
}

const FILTER_KEYS: &[&str] = &[
    "gateway",
    "model",
    "provider",
    "datetime_geq",
    "datetime_gt",
    "datetime_leq",
    "datetime_lt",
    "statusCode",
    "statusCode_geq",
    "statusCode_lt",
    "error",
    "cached",
];

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

impl Filter {
    fn parse(v: &Value, path: &[String]) -> Result<Filter, GqlError> {
        let mut f = Filter::default();
        f.collect(v, path)?;
        Ok(f)
    }

    fn collect(&mut self, v: &Value, path: &[String]) -> Result<(), GqlError> {
        let Some(m) = v.as_object() else {
            return Ok(());
        };
        for (k, val) in m {
            if k == "AND" {
                for item in val.as_array().into_iter().flatten() {
                    self.collect(item, path)?;
                }
                continue;
            }
            if !FILTER_KEYS.contains(&k.as_str()) {
                return Err(err(
                    format!("unknown field \"{k}\" in filter"),
                    path,
                    "GRAPHQL_VALIDATION_FAILED",
                ));
            }
            let bad = || err(format!("{k}: wrong type {val}"), path, "bad_request");
            let text = || val.as_str().map(str::to_string).ok_or_else(bad);
            let t = || time(val).ok_or_else(bad);
            let n = || val.as_u64().ok_or_else(bad);
            let b = || val.as_bool().ok_or_else(bad);
            self.conds.push(match k.as_str() {
                "gateway" => Cond::Gateway(text()?),
                "model" => Cond::Model(text()?),
                "provider" => Cond::Provider(text()?),
                "datetime_geq" => Cond::Geq(t()?),
                "datetime_gt" => Cond::Gt(t()?),
                "datetime_leq" => Cond::Leq(t()?),
                "datetime_lt" => Cond::Lt(t()?),
                "statusCode" => Cond::Status(n()?),
                "statusCode_geq" => Cond::StatusGeq(n()?),
                "statusCode_lt" => Cond::StatusLt(n()?),
                "error" => Cond::Error(b()?),
                _ => Cond::Cached(b()?),
            });
        }
        Ok(())
    }

    fn since(&self) -> Option<DateTime<Utc>> {
        self.conds
            .iter()
            .filter_map(|c| match c {
                Cond::Geq(t) | Cond::Gt(t) => Some(*t),
                _ => None,
            })
            .max()
    }

    fn until_bound(&self) -> Option<DateTime<Utc>> {
        self.conds
            .iter()
            .filter_map(|c| match c {
                Cond::Leq(t) | Cond::Lt(t) => Some(*t),
                _ => None,
            })
            .min()
    }

    fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.until_bound().unwrap_or(now)
    }

    fn gateway_ok(&self, gateway: &str) -> bool {
        self.conds.iter().all(|c| match c {
            Cond::Gateway(g) => g == gateway,
            _ => true,
        })
    }

    fn accepts(&self, r: &LogRec) -> bool {
        let status = u64::from(r.status_code);
        self.conds.iter().all(|c| match c {
            Cond::Gateway(_) => true,
            Cond::Model(m) => *m == r.model,
            Cond::Provider(p) => *p == r.provider,
            Cond::Geq(t) => r.at >= *t,
            Cond::Gt(t) => r.at > *t,
            Cond::Leq(t) => r.at <= *t,
            Cond::Lt(t) => r.at < *t,
            Cond::Status(s) => status == *s,
            Cond::StatusGeq(s) => status >= *s,
            Cond::StatusLt(s) => status < *s,
            Cond::Error(e) => *e != r.success(),
            Cond::Cached(c) => *c == r.cached,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::nearest_rank;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(nearest_rank(&v, 0.5), 10);
        assert_eq!(nearest_rank(&v, 0.95), 19);
        assert_eq!(nearest_rank(&[7], 0.95), 7);
        assert_eq!(nearest_rank(&[], 0.5), 0);
    }
}
