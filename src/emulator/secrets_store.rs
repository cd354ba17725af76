//! Cloudflare Secrets Store: the account's stores and their secrets
//! (`/accounts/{a}/secrets_store/stores[/{store}/secrets]`), the four calls a BYOK flow may make.
//!
//! Emulator choices (reference `cloudflare-control-plane.md` §5):
//! - lists are newest first by `created` unless `order`/`direction` say otherwise; `page`
//!   starts at 1, `per_page` 1..=100 (default 20), `result_info` carries the counts;
//! - a secret's `value` is checked (at most 64 KiB) and not kept: the API never returns it and
//!   nothing here reads it; new secrets are `active`;
//! - secrets list filters: `search` (name or comment, case-insensitive), `scopes` (any match);
//! - errors (the contract documents `4XX` only): a missing store 404 code 1003; a body that is
//!   not the documented shape 400 code 1001 naming the field; a secret name already in the
//!   store 409 code 1002; no Secrets Store grant 403 (as every route, 9109).

use super::envelope::{Reply, ok, ok_paged, v4_error};
use super::server::Ctx;
use super::state::{State, hex_id, now_rfc3339};
use serde_json::{Value, json};

pub const SCOPES: &[&str] = &[
    "workers",
    "ai_gateway",
    "dex",
    "access",
    "containers",
    "websearch",
];

#[derive(Debug, Clone)]
pub struct Store {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub struct StoredSecret {
    pub id: String,
    pub store_id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub comment: Option<String>,
    pub created: String,
    pub modified: String,
}

impl Store {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "account_id": self.account_id, "name": self.name,
               "created": self.created, "modified": self.modified})
    }
}

impl StoredSecret {
    fn to_json(&self) -> Value {
        let mut v = json!({"id": self.id, "store_id": self.store_id, "name": self.name,
            "scopes": self.scopes, "status": "active",
            "created": self.created, "modified": self.modified});
        if let Some(c) = &self.comment {
            v["comment"] = json!(c);
        }
        v
    }
}

fn bad(field: &str, why: &str) -> Reply {
    v4_error(400, 1001, &format!("{field}: {why}"))
}

/// `page` and `per_page` of a list request.
fn paging(ctx: &Ctx) -> Result<(usize, usize), Reply> {
    let num = |name: &str, default: usize, max: usize| match ctx.query_param(name).as_deref() {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(bad(
                name,
                &format!("must be an integer between 0 and {max}"),
            )),
        },
    };
    let page = num("page", 1, usize::MAX)?.max(1);
    let per_page = num("per_page", 20, 100)?;
    Ok((page, if per_page == 0 { 20 } else { per_page }))
}

/// Sort by `order` (one of `fields`, default `created`) and `direction` (default `desc`), then
/// cut the page out.
fn page_of(ctx: &Ctx, mut items: Vec<Value>, fields: &[&str]) -> Reply {
    let (page, per_page) = match paging(ctx) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let order = ctx.query_param("order").unwrap_or_else(|| "created".into());
    let order = order.as_str();
    if !fields.contains(&order) {
        return bad("order", &format!("must be one of {}", fields.join(", ")));
    }
    let desc = match ctx.query_param("direction").as_deref().unwrap_or("desc") {
        "desc" => true,
        "asc" => false,
        _ => return bad("direction", "must be asc or desc"),
    };
    items.sort_by(|a, b| {
        let key = |v: &Value| v[order].as_str().unwrap_or_default().to_string();
        let o = key(a).cmp(&key(b));
        if desc { o.reverse() } else { o }
    });
    let total = items.len();
    let rows: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let info = json!({"page": page, "per_page": per_page, "count": rows.len(),
        "total_count": total, "total_pages": total.div_ceil(per_page)});
    ok_paged(json!(rows), info)
}

pub fn list_stores(st: &State, ctx: &Ctx, account: &str) -> Reply {
    let stores = st
        .stores
        .iter()
        .filter(|s| s.account_id == account)
        .map(Store::to_json)
        .collect();
    page_of(ctx, stores, &["name", "created", "modified"])
}

pub fn create_store(st: &mut State, ctx: &Ctx, account: &str) -> Reply {
    let body: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let Some(name) = body["name"].as_str().filter(|n| !n.trim().is_empty()) else {
        return bad("name", "a store needs a name");
    };
    let now = now_rfc3339();
    let store = Store {
        id: hex_id(),
        account_id: account.to_string(),
        name: name.to_string(),
        created: now.clone(),
        modified: now,
    };
    let v = store.to_json();
    st.stores.push(store);
    ok(v)
}

fn find_store<'s>(st: &'s State, account: &str, store: &str) -> Result<&'s Store, Reply> {
    st.stores
        .iter()
        .find(|s| s.account_id == account && s.id == store)
        .ok_or_else(|| v4_error(404, 1003, "store not found"))
}

pub fn list_secrets(st: &State, ctx: &Ctx, account: &str, store: &str) -> Reply {
    if let Err(r) = find_store(st, account, store) {
        return r;
    }
    let search = ctx.query_param("search").map(|q| q.to_lowercase());
    let scopes: Vec<String> = ctx
        .query_param("scopes")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(bad_scope) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return bad("scopes", &format!("unknown scope {bad_scope}"));
    }
    let rows = st
        .secrets
        .iter()
        .filter(|s| s.store_id == store)
        .filter(|s| {
            search.as_ref().is_none_or(|q| {
                s.name.to_lowercase().contains(q)
                    || s.comment
                        .as_ref()
                        .is_some_and(|c| c.to_lowercase().contains(q))
            })
        })
        .filter(|s| scopes.is_empty() || s.scopes.iter().any(|x| scopes.contains(x)))
        .map(StoredSecret::to_json)
        .collect();
    page_of(
        ctx,
        rows,
        &["name", "comment", "created", "modified", "status"],
    )
}

/// One item of a create body.
struct NewSecret {
    name: String,
    scopes: Vec<String>,
    comment: Option<String>,
}

/// The create body: an array of `{name, value, scopes, comment?}`.
fn parse_new(body: &Value) -> Result<Vec<NewSecret>, Reply> {
    let Some(items) = body.as_array().filter(|a| !a.is_empty()) else {
        return Err(bad("body", "an array of secrets {name, value, scopes}"));
    };
    let mut out = vec![];
    for (i, it) in items.iter().enumerate() {
        let name = it["name"].as_str().filter(|n| !n.is_empty());
        let value = it["value"].as_str().filter(|v| v.len() <= 65_536);
        let scopes = it["scopes"].as_array().map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect::<Vec<_>>()
        });
        let (Some(name), Some(_value), Some(scopes)) = (name, value, scopes) else {
            return Err(bad(
                &format!("[{i}]"),
                "needs name, value (at most 64 KiB) and scopes",
            ));
        };
        if let Some(s) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(bad(&format!("[{i}].scopes"), &format!("unknown scope {s}")));
        }
        let comment = it["comment"].as_str().map(str::to_string);
        out.push(NewSecret {
            name: name.to_string(),
            scopes,
            comment,
        });
    }
    Ok(out)
}

pub fn create_secrets(st: &mut State, ctx: &Ctx, account: &str, store: &str) -> Reply {
    if let Err(r) = find_store(st, account, store) {
        return r;
    }
    let body: Value = serde_json::from_slice(&ctx.body).unwrap_or(Value::Null);
    let new = match parse_new(&body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let taken = |name: &str| {
        st.secrets
            .iter()
            .any(|s| s.store_id == store && s.name == name)
    };
    if let Some(n) = new.iter().find(|n| taken(&n.name)) {
        let msg = format!("a secret named {} already exists", n.name);
        return v4_error(409, 1002, &msg);
    }
    let now = now_rfc3339();
    let mut made = vec![];
    for n in new {
        let s = StoredSecret {
            id: hex_id(),
            store_id: store.to_string(),
            name: n.name,
            scopes: n.scopes,
            comment: n.comment,
            created: now.clone(),
            modified: now.clone(),
        };
        made.push(s.to_json());
        st.secrets.push(s);
    }
    let info = json!({"page": 1, "per_page": made.len(), "count": made.len(),
        "total_count": made.len(), "total_pages": 1});
    ok_paged(json!(made), info)
}
