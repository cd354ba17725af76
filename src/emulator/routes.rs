//! Dynamic routes: the API (`.../gateways/{g}/routes[/{id}[/versions[/{v}]|/deployments]]`)
//! with the contract's odd envelopes, and the data-plane walk of a deployed route's element
//! graph for `"model": "dynamic/<name>"`.
//!
//! Envelopes (contract 2026-08-14): lists answer `{success, data: {routes|versions|deployments,
//! page, per_page, order_by, order_by_direction}}`; `PATCH` answers `{success, route}`; the rest
//! `{success, result}`. `version.active` is the string `"true"`/`"false"`. POST versions and
//! POST deployments answer the route fields only (no new id): clients list to find it.
//! Every error is 400 with `{success:false, errors:[{code,message}], result:{}}` (the contract
//! documents only 400 for these operations, including for a missing route), except a PATCH
//! with a bad name: its documented 400 carries the unchanged `route`.
//!
//! Emulator choices: a route name is 1–64 of `[A-Za-z0-9_-]`, unique per gateway; creating a
//! route also creates its first version and deploys it; the walk supports `start`, `model`
//! (with `retries`), `end`, `percentage` (weighted by keys like `"25%"`), `rate` and
//! `conditional` (both follow their `success`/`true` output).

use super::envelope::{Reply, aig_error, gateway_error};
use super::state::{self, State};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub elements: Value,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub version_id: String,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct RouteRec {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub modified_at: String,
    pub versions: Vec<Version>,
    pub deployments: Vec<Deployment>,
}

impl RouteRec {
    fn deployed(&self) -> Option<(&Version, &Deployment)> {
        let d = self.deployments.last()?;
        let v = self.versions.iter().find(|v| v.id == d.version_id)?;
        Some((v, d))
    }

    /// The deployed version's elements.
    pub fn elements(&self) -> Value {
        self.deployed()
            .map_or_else(|| json!([]), |(v, _)| v.elements.clone())
    }

    fn base(&self, g: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        m.insert("elements".into(), self.elements());
        m.insert("created_at".into(), json!(self.created_at));
        m.insert("modified_at".into(), json!(self.modified_at));
        m.insert("gateway_id".into(), json!(g));
        m
    }

    /// The full route: base fields, `version` and `deployment`, and `account_tag` if given.
    fn full(&self, g: &str, account: Option<&str>) -> Value {
        let mut m = self.base(g);
        if let Some(a) = account {
            m.insert("account_tag".into(), json!(a));
        }
        if let Some((v, d)) = self.deployed() {
            m.insert("version".into(), version_json(v, true));
            m.insert(
                "deployment".into(),
                json!({"deployment_id": d.id, "version_id": d.version_id, "created_at": d.created_at}),
            );
        }
        Value::Object(m)
    }
}

fn version_json(v: &Version, active: bool) -> Value {
    json!({"version_id": v.id, "data": v.elements.to_string(),
           "active": if active { "true" } else { "false" }, "created_at": v.created_at,
           "is_valid": true})
}

fn bad(code: u32, msg: &str) -> Reply {
    aig_error(400, code, msg, None)
}

fn result(v: Value) -> Reply {
    Reply::json(200, &json!({"success": true, "result": v}))
}

fn valid_name(n: &str) -> bool {
    (1..=64).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn short_id() -> String {
    state::hex_id()[..8].to_string()
}

fn output_ids(el: &Value) -> Vec<String> {
    el["outputs"]
        .as_object()
        .map(|o| {
            o.values()
                .filter_map(|v| v["elementId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn need_outputs(el: &Value, names: &[&str]) -> bool {
    names
        .iter()
        .all(|n| el["outputs"][n]["elementId"].is_string())
}

/// Checks `elements` against the six node shapes of the contract and the graph: one `start`,
/// every output pointing at an element that exists.
pub fn validate_elements(v: Option<&Value>) -> Result<Value, String> {
    let Some(Value::Array(els)) = v else {
        return Err("elements: expected an array".into());
    };
    let mut ids = std::collections::HashSet::new();
    let mut starts = 0;
    for (i, el) in els.iter().enumerate() {
        let (Some(id), Some(ty)) = (el["id"].as_str(), el["type"].as_str()) else {
            return Err(format!("elements[{i}]: id and type are required"));
        };
        if !el["outputs"].is_object() {
            return Err(format!("elements[{i}]: outputs is required"));
        }
        let p = &el["properties"];
        let ok = match ty {
            "start" => {
                starts += 1;
                need_outputs(el, &["next"])
            }
            "conditional" => need_outputs(el, &["true", "false"]) && p["conditions"].is_object(),
            "percentage" | "end" => true,
            "rate" => {
                need_outputs(el, &["success", "fallback"])
                    && p["key"].is_string()
                    && p["limit"].is_number()
                    && p["window"].is_number()
                    && matches!(p["limitType"].as_str(), Some("count" | "cost"))
            }
            "model" => {
                need_outputs(el, &["success", "fallback"])
                    && p["provider"].is_string()
                    && p["model"].is_string()
                    && p["timeout"].is_number()
                    && p["retries"].is_number()
            }
            _ => return Err(format!("elements[{i}].type: invalid enum value {ty:?}")),
        };
        if !ok {
            return Err(format!(
                "elements[{i}] ({ty}): missing or invalid outputs or properties"
            ));
        }
        if !ids.insert(id.to_string()) {
            return Err(format!("elements[{i}].id: duplicate id {id:?}"));
        }
    }
    if starts != 1 {
        return Err("elements: exactly one start element is required".into());
    }
    for el in els {
        for target in output_ids(el) {
            if !ids.contains(&target) {
                return Err(format!("elements: output to unknown element {target:?}"));
            }
        }
    }
    Ok(Value::Array(els.clone()))
}

fn page(params: &dyn Fn(&str) -> Option<String>) -> (usize, usize) {
    let n = |k: &str, d: usize| {
        params(k)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .unwrap_or(d)
    };
    (n("page", 1), n("per_page", 20).min(100))
}

fn listing(key: &str, items: Vec<Value>, params: &dyn Fn(&str) -> Option<String>) -> Reply {
    let (p, pp) = page(params);
    let start = ((p - 1) * pp).min(items.len());
    let end = (start + pp).min(items.len());
    Reply::json(
        200,
        &json!({"success": true, "data": {key: items[start..end].to_vec(), "page": p,
            "per_page": pp, "order_by": "created_at", "order_by_direction": "desc"}}),
    )
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad(
            7001,
            "Input Validation Error: the body must be a JSON object",
        )),
    }
}

/// One request under `.../gateways/{g}/routes`; `rest` is the path after `routes`.
pub fn handle(
    st: &mut State,
    method: &str,
    body: &[u8],
    params: &dyn Fn(&str) -> Option<String>,
    (a, g): (&str, &str),
    rest: &[&str],
) -> Reply {
    if st.gateway(a, g).is_none() {
        return bad(7002, "Gateway not found");
    }
    let key = (a.to_string(), g.to_string());
    let routes = st.control.routes.entry(key).or_default();
    match (method, rest) {
        ("GET", []) => {
            let mut items: Vec<Value> = routes.iter().map(|r| r.full(g, Some(a))).collect();
            items.reverse();
            listing("routes", items, params)
        }
        ("POST", []) => {
            let m = match body_object(body) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let Some(name) = m
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| valid_name(n))
            else {
                return bad(7001, "name: required, 1-64 letters, digits, - or _");
            };
            let elements = match validate_elements(m.get("elements")) {
                Ok(e) => e,
                Err(msg) => return bad(7001, &msg),
            };
            if routes.iter().any(|r| r.name == name) {
                return bad(7001, "A route with that name already exists");
            }
            let now = state::now_rfc3339();
            let v = Version {
                id: short_id(),
                elements,
                created_at: now.clone(),
            };
            let d = Deployment {
                id: short_id(),
                version_id: v.id.clone(),
                created_at: now.clone(),
            };
            let r = RouteRec {
                id: short_id(),
                name: name.to_string(),
                created_at: now.clone(),
                modified_at: now,
                versions: vec![v],
                deployments: vec![d],
            };
            routes.push(r.clone());
            result(r.full(g, None))
        }
        (_, [id, tail @ ..]) => {
            let Some(pos) = routes.iter().position(|r| r.id == *id) else {
                return bad(7002, "Route not found");
            };
            one(routes, pos, method, body, params, (a, g), tail)
        }
        _ => bad(7001, "Unsupported method"),
    }
}

fn one(
    routes: &mut Vec<RouteRec>,
    pos: usize,
    method: &str,
    body: &[u8],
    params: &dyn Fn(&str) -> Option<String>,
    (a, g): (&str, &str),
    tail: &[&str],
) -> Reply {
    let r = &mut routes[pos];
    match (method, tail) {
        ("GET", []) => result(r.full(g, None)),
        ("DELETE", []) => {
            let gone = routes.remove(pos);
            result(Value::Object(gone.base(g)))
        }
        ("PATCH", []) => {
            let m = match body_object(body) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let Some(name) = m
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| valid_name(n))
            else {
                // The contract's PATCH 400 carries the (unchanged) route, like its 200.
                return Reply::json(
                    400,
                    &json!({"success": false, "route": r.full(g, Some(a)),
                        "errors": [{"code": 7001, "message": "name: required, 1-64 letters, digits, - or _"}]}),
                );
            };
            r.name = name.to_string();
            r.modified_at = state::now_rfc3339();
            Reply::json(200, &json!({"success": true, "route": r.full(g, Some(a))}))
        }
        ("GET", ["versions"]) => {
            let active = r.deployed().map(|(v, _)| v.id.clone());
            let items: Vec<Value> = r
                .versions
                .iter()
                .rev()
                .map(|v| version_json(v, Some(&v.id) == active.as_ref()))
                .collect();
            listing("versions", items, params)
        }
        ("POST", ["versions"]) => {
            let m = match body_object(body) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let elements = match validate_elements(m.get("elements")) {
                Ok(e) => e,
                Err(msg) => return bad(7001, &msg),
            };
            let now = state::now_rfc3339();
            r.versions.push(Version {
                id: short_id(),
                elements,
                created_at: now.clone(),
            });
            r.modified_at = now;
            result(Value::Object(r.base(g)))
        }
        ("GET", ["versions", vid]) => {
            let active = r.deployed().map(|(v, _)| v.id.clone());
            let Some(v) = r.versions.iter().find(|v| v.id == *vid) else {
                return bad(7002, "Version not found");
            };
            let mut m = r.base(g);
            m.insert("elements".into(), v.elements.clone());
            if let Value::Object(vj) = version_json(v, active.as_deref() == Some(vid)) {
                m.extend(vj);
            }
            result(Value::Object(m))
        }
        ("GET", ["deployments"]) => {
            let items: Vec<Value> = r
                .deployments
                .iter()
                .rev()
                .map(|d| json!({"deployment_id": d.id, "version_id": d.version_id, "created_at": d.created_at}))
                .collect();
            listing("deployments", items, params)
        }
        ("POST", ["deployments"]) => {
            let m = match body_object(body) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let Some(vid) = m.get("version_id").and_then(Value::as_str) else {
                return bad(7001, "version_id: required");
            };
            if !r.versions.iter().any(|v| v.id == vid) {
                return bad(7002, "Version not found");
            }
            let now = state::now_rfc3339();
            r.deployments.push(Deployment {
                id: short_id(),
                version_id: vid.to_string(),
                created_at: now.clone(),
            });
            r.modified_at = now;
            result(Value::Object(r.base(g)))
        }
        _ => bad(7001, "Unsupported method or path"),
    }
}

/// One step of a walk: the model to try, and where to go on success or failure.
pub enum Step {
    Model {
        provider: String,
        model: String,
        retries: u32,
        fallback: Option<String>,
    },
    End,
}

/// The deployed elements of route `name`, or the gateway error for an unknown route.
pub fn elements_of(st: &State, a: &str, g: &str, name: &str) -> Result<Vec<Value>, Reply> {
    let key = (a.to_string(), g.to_string());
    let Some(r) = st
        .control
        .routes
        .get(&key)
        .and_then(|rs| rs.iter().find(|r| r.name == name))
    else {
        let msg = format!("Dynamic route '{name}' not found in this gateway");
        return Err(gateway_error(400, 2000, &msg));
    };
    Ok(r.elements().as_array().cloned().unwrap_or_default())
}

fn target(el: &Value, out: &str) -> Option<String> {
    el["outputs"][out]["elementId"].as_str().map(str::to_string)
}

fn percentage_pick(el: &Value) -> Option<String> {
    let outs = el["outputs"].as_object()?;
    let weights: Vec<(f64, String)> = outs
        .iter()
        .filter_map(|(k, v)| {
            let w = k.trim_end_matches('%').parse::<f64>().unwrap_or(0.0);
            Some((w, v["elementId"].as_str()?.to_string()))
        })
        .collect();
    let total: f64 = weights.iter().map(|(w, _)| w).sum();
    let mut x = fastrand::f64() * total.max(f64::MIN_POSITIVE);
    for (w, id) in &weights {
        if x < *w {
            return Some(id.clone());
        }
        x -= w;
    }
    weights.last().map(|(_, id)| id.clone())
}

/// From element `from` (or the start), the next model step of the graph.
pub fn next_step(els: &[Value], from: Option<&str>) -> Step {
    let find = |id: &str| els.iter().find(|e| e["id"].as_str() == Some(id));
    let mut cur = match from {
        Some(id) => Some(id.to_string()),
        None => els
            .iter()
            .find(|e| e["type"] == "start")
            .and_then(|s| target(s, "next")),
    };
    for _ in 0..=els.len() {
        let Some(el) = cur.as_deref().and_then(find) else {
            return Step::End;
        };
        cur = match el["type"].as_str().unwrap_or_default() {
            "model" => {
                let p = &el["properties"];
                return Step::Model {
                    provider: p["provider"].as_str().unwrap_or_default().to_string(),
                    model: p["model"].as_str().unwrap_or_default().to_string(),
                    retries: p["retries"].as_u64().unwrap_or(0).min(5) as u32,
                    fallback: target(el, "fallback"),
                };
            }
            "start" => target(el, "next"),
            "conditional" => target(el, "true"),
            "rate" => target(el, "success"),
            "percentage" => percentage_pick(el),
            _ => return Step::End,
        };
    }
    Step::End
}
