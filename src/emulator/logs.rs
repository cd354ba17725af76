//! The gateway's request log: one compact record per inference (also the source the GraphQL
//! analytics aggregate), and the logs API: list with `filters` and `result_info` min/max,
//! detail, request/response bodies, `PATCH` (feedback, score, metadata) and `DELETE`.
//!
//! Every inference is recorded; `logged` says whether the gateway collected it (`collect_logs`
//! or `cf-aig-collect-log`). The logs API shows only collected records; analytics count all,
//! as Cloudflare's analytics do not depend on log collection.
//!
//! Emulator choices (the contract does not say how an array query parameter is encoded):
//! `filters` is one query parameter holding a JSON array of `{key, operator, value[]}`.
//! The deprecated `start_date` / `end_date` parameters are honoured. A missing log is 404 7002.

use super::envelope::{Reply, aig_error, ok, ok_paged};
use super::server::Ctx;
use super::state::{self, State};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// One inference as the gateway saw it.
#[derive(Debug, Clone)]
pub struct LogRec {
    pub id: String,
    pub at: DateTime<Utc>,
    pub provider: String,
    pub model: String,
    pub path: String,
    pub duration_ms: u64,
    pub status_code: u16,
    pub cached: bool,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    /// US dollars.
    pub cost: f64,
    pub stream: bool,
    pub step: Option<usize>,
    pub metadata: Option<String>,
    /// The gateway error code, for refusals by the gateway itself (2003, 2045, ...).
    pub error_code: Option<u32>,
    /// The dynamic route that sent the request, if any.
    pub route: Option<String>,
    /// Collected into the logs API.
    pub logged: bool,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    /// `PATCH`ed fields: feedback, score, metadata.
    pub annotations: Map<String, Value>,
}

impl LogRec {
    pub fn success(&self) -> bool {
        self.status_code < 400
    }

    /// The list item (`aig-config-list-gateway-logs` 200 item).
    pub fn to_json(&self) -> Value {
        let ok = self.success();
        let mut v = json!({
            "id": self.id,
            "created_at": self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "provider": self.provider,
            "model": self.model,
            "model_type": "chat",
            "path": self.path,
            "duration": self.duration_ms,
            "success": ok,
            "cached": self.cached,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost": self.cost,
            "custom_cost": false,
            "status_code": self.status_code,
            "request_content_type": "application/json",
            "response_content_type": if ok && self.stream { "text/event-stream" } else { "application/json" },
        });
        if let Some(s) = self.step {
            v["step"] = json!(s);
        }
        if let Some(m) = &self.metadata {
            v["metadata"] = json!(m);
        }
        if let Some(r) = &self.route {
            v["route"] = json!(r);
        }
        v
    }

    fn detail_json(&self) -> Value {
        let mut v = self.to_json();
        let req = self.request_body.as_deref().unwrap_or("{}");
        let resp = self.response_body();
        v["request_head"] = json!(head(req));
        v["request_head_complete"] = json!(req.len() <= HEAD);
        v["request_size"] = json!(req.len());
        v["response_head"] = json!(head(&resp));
        v["response_head_complete"] = json!(resp.len() <= HEAD);
        v["response_size"] = json!(resp.len());
        for (k, val) in &self.annotations {
            if k != "metadata" {
                v[k] = val.clone();
            }
        }
        v
    }

    /// The stored response, or the gateway error body for a seeded refusal.
    pub fn response_body(&self) -> String {
        if let Some(b) = &self.response_body {
            return b.clone();
        }
        match self.error_code {
            Some(code) => json!({"success": false, "result": [], "messages": [],
                "error": [{"code": code, "message": super::spend::message_for(code)}]})
            .to_string(),
            None => "{}".to_string(),
        }
    }

    fn num(&self, key: &str) -> Option<f64> {
        Some(match key {
            "cost" => self.cost,
            "duration" => self.duration_ms as f64,
            "tokens_in" => self.tokens_in? as f64,
            "tokens_out" => self.tokens_out? as f64,
            "tokens" => (self.tokens_in.unwrap_or(0) + self.tokens_out.unwrap_or(0)) as f64,
            _ => return None,
        })
    }

    fn text(&self, key: &str) -> Option<String> {
        Some(match key {
            "id" => self.id.clone(),
            "provider" => self.provider.clone(),
            "model" => self.model.clone(),
            "model_type" => "chat".into(),
            "created_at" => self.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "request_content_type" => "application/json".into(),
            "response_content_type" => "application/json".into(),
            "metadata.value" => self.metadata.clone()?,
            _ => return None,
        })
    }
}

const HEAD: usize = 512;

fn head(s: &str) -> String {
    s.chars().take(HEAD).collect()
}

/// A 26-character log id (see [`state::log_id`]).
pub fn new_id() -> String {
    state::log_id()
}

const FILTER_KEYS: &[&str] = &[
    "id",
    "created_at",
    "request_content_type",
    "response_content_type",
    "request_type",
    "success",
    "cached",
    "provider",
    "model",
    "model_type",
    "cost",
    "tokens",
    "tokens_in",
    "tokens_out",
    "duration",
    "feedback",
    "event_id",
    "metadata.key",
    "metadata.value",
    "authentication",
    "wholesale",
    "compatibilityMode",
    "dlp_action",
    "user_agent",
];

struct Filter {
    key: String,
    op: String,
    values: Vec<Value>,
    /// The values as numbers and as times, parsed once.
    nums: Vec<f64>,
    times: Vec<DateTime<Utc>>,
}

fn bad(msg: &str) -> Reply {
    aig_error(400, 7001, msg, None)
}

fn parse_filters(ctx: &Ctx) -> Result<Vec<Filter>, Reply> {
    let Some(raw) = ctx.query_param("filters") else {
        return Ok(vec![]);
    };
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&raw) else {
        return Err(bad(
            "filters: expected a JSON array of {key, operator, value}",
        ));
    };
    let mut out = vec![];
    for it in items {
        let key = it["key"].as_str().unwrap_or_default();
        if !FILTER_KEYS.contains(&key) {
            return Err(bad("filters.key: invalid enum value"));
        }
        let op = it["operator"].as_str().unwrap_or_default();
        if !["eq", "neq", "contains", "lt", "gt"].contains(&op) {
            return Err(bad("filters.operator: invalid enum value"));
        }
        let Some(values) = it["value"].as_array() else {
            return Err(bad("filters.value: expected an array"));
        };
        let nums = values
            .iter()
            .filter_map(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .collect();
        let times = values
            .iter()
            .filter_map(|v| v.as_str())
            .filter_map(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .collect();
        out.push(Filter {
            key: key.into(),
            op: op.into(),
            values: values.clone(),
            nums,
            times,
        });
    }
    Ok(out)
}

fn matches(l: &LogRec, f: &Filter) -> bool {
    let any = |pred: &dyn Fn(&Value) -> bool| f.values.iter().any(pred);
    let hit = match f.key.as_str() {
        "success" | "cached" => {
            let mine = if f.key == "success" {
                l.success()
            } else {
                l.cached
            };
            any(&|v| v.as_bool() == Some(mine) || v.as_str() == Some(&mine.to_string()))
        }
        k => {
            if let Some(n) = l.num(k) {
                match f.op.as_str() {
                    "lt" => f.nums.iter().any(|x| n < *x),
                    "gt" => f.nums.iter().any(|x| n > *x),
                    _ => f.nums.contains(&n),
                }
            } else if k == "created_at" {
                match f.op.as_str() {
                    "lt" => f.times.iter().any(|x| l.at < *x),
                    "gt" => f.times.iter().any(|x| l.at > *x),
                    _ => f.times.contains(&l.at),
                }
            } else {
                let Some(s) = l.text(k) else {
                    return f.op == "neq";
                };
                match f.op.as_str() {
                    "contains" => any(&|v| v.as_str().is_some_and(|x| s.contains(x))),
                    _ => any(&|v| v.as_str() == Some(s.as_str())),
                }
            }
        }
    };
    if f.op == "neq" { !hit } else { hit }
}

fn int_param(ctx: &Ctx, name: &str, default: i64, min: i64, max: i64) -> Result<i64, Reply> {
    match ctx.query_param(name) {
        None => Ok(default),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(bad(&format!(
                "{name}: must be an integer between {min} and {max}"
            ))),
        },
    }
}

fn date_param(ctx: &Ctx, name: &str) -> Result<Option<DateTime<Utc>>, Reply> {
    match ctx.query_param(name) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(&s)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| bad(&format!("{name}: expected an RFC 3339 date-time"))),
    }
}

/// The collected records matching the query's search, filters and dates, in its order.
fn select<'s>(st: &'s State, ctx: &Ctx, a: &str, g: &str) -> Result<Vec<&'s LogRec>, Reply> {
    let order_by = ctx
        .query_param("order_by")
        .unwrap_or_else(|| "created_at".into());
    const KEYS: &[&str] = &[
        "created_at",
        "provider",
        "model",
        "model_type",
        "success",
        "cached",
    ];
    if !KEYS.contains(&order_by.as_str()) {
        return Err(bad("order_by: invalid enum value"));
    }
    let dir = ctx
        .query_param("order_by_direction")
        .or_else(|| ctx.query_param("direction"));
    let desc = match dir.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(bad("order_by_direction: invalid enum value")),
    };
    let filters = parse_filters(ctx)?;
    let (start, end) = (date_param(ctx, "start_date")?, date_param(ctx, "end_date")?);
    let search = ctx.query_param("search").unwrap_or_default();
    let mut all: Vec<&LogRec> = st
        .logs(a, g)
        .iter()
        .filter(|l| l.logged)
        .filter(|l| start.is_none_or(|s| l.at >= s) && end.is_none_or(|e| l.at <= e))
        .filter(|l| {
            search.is_empty()
                || l.id.contains(&search)
                || l.model.contains(&search)
                || l.provider.contains(&search)
        })
        .filter(|l| filters.iter().all(|f| matches(l, f)))
        .collect();
    // Stable: ties keep insertion order.
    all.sort_by(|x, y| {
        let ord = match order_by.as_str() {
            "created_at" => x.at.cmp(&y.at),
            "provider" => x.provider.cmp(&y.provider),
            "model" => x.model.cmp(&y.model),
            "success" => x.success().cmp(&y.success()),
            "cached" => x.cached.cmp(&y.cached),
            _ => std::cmp::Ordering::Equal,
        };
        if desc { ord.reverse() } else { ord }
    });
    Ok(all)
}

/// `GET .../logs`.
pub fn list(st: &State, ctx: &Ctx, a: &str, g: &str) -> Reply {
    let (page, per_page) = match (
        int_param(ctx, "page", 1, 1, i64::MAX / 1000),
        int_param(ctx, "per_page", 20, 1, 50),
    ) {
        (Ok(p), Ok(pp)) => (p, pp),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let all = match select(st, ctx, a, g) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let start = (((page - 1) * per_page) as usize).min(all.len());
    let end = (start + per_page as usize).min(all.len());
    let result: Vec<Value> = all[start..end].iter().map(|l| l.to_json()).collect();
    let stat = |f: &dyn Fn(&LogRec) -> f64| {
        if all.is_empty() {
            return (0.0, 0.0);
        }
        all.iter()
            .map(|l| f(l))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            })
    };
    let (min_cost, max_cost) = stat(&|l| l.cost);
    let (min_dur, max_dur) = stat(&|l| l.duration_ms as f64);
    let (min_in, max_in) = stat(&|l| l.tokens_in.unwrap_or(0) as f64);
    let (min_out, max_out) = stat(&|l| l.tokens_out.unwrap_or(0) as f64);
    let (min_tot, max_tot) =
        stat(&|l| (l.tokens_in.unwrap_or(0) + l.tokens_out.unwrap_or(0)) as f64);
    let info = json!({
        "page": page, "per_page": per_page, "count": result.len(), "total_count": all.len(),
        "min_cost": min_cost, "max_cost": max_cost, "min_duration": min_dur,
        "max_duration": max_dur, "min_tokens_in": min_in, "max_tokens_in": max_in,
        "min_tokens_out": min_out, "max_tokens_out": max_out,
        "min_total_tokens": min_tot, "max_total_tokens": max_tot,
    });
    ok_paged(Value::Array(result), info)
}

/// `DELETE .../logs`: removes the selected records (at most `limit`, default 10000).
pub fn delete(st: &mut State, ctx: &Ctx, a: &str, g: &str) -> Reply {
    let limit = match int_param(ctx, "limit", 10_000, 1, 10_000) {
        Ok(n) => n as usize,
        Err(e) => return e,
    };
    let ids: std::collections::HashSet<String> = match select(st, ctx, a, g) {
        Ok(v) => v.into_iter().take(limit).map(|l| l.id.clone()).collect(),
        Err(e) => return e,
    };
    st.logs_mut(a, g).retain(|l| !ids.contains(&l.id));
    Reply::json(200, &json!({"success": true}))
}

fn not_found() -> Reply {
    aig_error(404, 7002, "Not Found", None)
}

/// `GET|PATCH .../logs/{id}` and `GET .../logs/{id}/request|response`.
pub fn one(st: &mut State, ctx: &Ctx, a: &str, g: &str, id: &str, part: Option<&str>) -> Reply {
    let Some(rec) = st
        .logs_mut(a, g)
        .iter_mut()
        .find(|l| l.id == id && l.logged)
    else {
        return not_found();
    };
    match (ctx.method.as_str(), part) {
        ("GET", None) => ok(rec.detail_json()),
        ("GET", Some("request")) => raw(rec.request_body.as_deref().unwrap_or("{}")),
        ("GET", Some(_)) => raw(&rec.response_body()),
        (_, _) => patch(rec, ctx),
    }
}

fn raw(body: &str) -> Reply {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| json!({"body": body}));
    let v = if v.is_object() { v } else { json!({"body": v}) };
    Reply::json(200, &v)
}

fn patch(rec: &mut LogRec, ctx: &Ctx) -> Reply {
    let body: Map<String, Value> = match serde_json::from_slice(&ctx.body) {
        Ok(Value::Object(m)) => m,
        _ => return aig_error(400, 7001, "Input Validation Error", Some(&["body"])),
    };
    for (k, v) in body {
        let valid = match k.as_str() {
            "feedback" => v.is_null() || v.as_f64().is_some_and(|x| (-1.0..=1.0).contains(&x)),
            "score" => v.is_null() || v.as_f64().is_some_and(|x| (0.0..=100.0).contains(&x)),
            "metadata" => v.is_null() || v.is_object(),
            _ => true,
        };
        if !valid {
            return aig_error(400, 7001, "Input Validation Error", Some(&["body", &k]));
        }
        rec.annotations.insert(k, v);
    }
    Reply::json(200, &json!({"success": true, "result": {}}))
}
