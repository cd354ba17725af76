//! API tokens: create, list, get, update, delete and roll (`/value`), for account-owned tokens
//! (`/accounts/{a}/tokens...`) and user tokens (`/user/tokens...`), and the permission-group
//! catalogue. A minted token's policies become its [`Permissions`] and reach, so the same
//! permission check guards every route for it as for a seeded token.
//!
//! Emulator choices where the contract is silent:
//! - permission-group ids of the AI Gateway groups are the ones seen in the wild
//!   (`reference/cloudflare-control-plane.md` §4); the others are the emulator's own;
//! - an unknown permission-group id, or a group whose scope does not fit the token (a user
//!   group on an account token), is 400, code 1001 "Invalid permission group";
//! - a resource outside the route's account (account tokens) or outside what the caller
//!   reaches (user tokens) is 400, code 1002 "Invalid resource";
//! - a missing token id is 404, code 1003 "Token not found";
//! - a deleted or rolled value is unknown afterwards (401, 1000).

use super::envelope::{Reply, ok, ok_paged, v4_error};
use super::server::Ctx;
use super::state::{self, State, TokenRec};
use super::{Permissions, TokenOwner, TokenSpec, TokenStatus};
use serde_json::{Value, json};

/// Where a token route lives: one account's tokens, or the user's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    Account(&'a str),
    User,
}

impl Scope<'_> {
    fn owns(&self, rec: &TokenRec) -> bool {
        match (self, &rec.spec.owner) {
            (Scope::Account(a), TokenOwner::Account(o)) => a == o,
            (Scope::User, TokenOwner::User) => true,
            _ => false,
        }
    }
}

pub const ACCOUNT_SCOPE: &str = "com.cloudflare.api.account";
pub const USER_SCOPE: &str = "com.cloudflare.api.user";

/// One permission group: id, name, category, scope, and the flag it turns on.
pub struct Group {
    pub id: &'static str,
    pub name: &'static str,
    pub category: &'static str,
    pub scope: &'static str,
    pub grant: fn(&mut Permissions),
}

pub const GROUPS: &[Group] = &[
    Group {
        id: "4dc8917b4b40457d88d3035d5dadb054",
        name: "AI Gateway Read",
        category: "ai_and_machine_learning",
        scope: ACCOUNT_SCOPE,
        grant: |p| p.ai_gateway_read = true,
    },
    Group {
        id: "6c8a3737f07f46369c1ea1f22138daaf",
        name: "AI Gateway Write",
        category: "ai_and_machine_learning",
        scope: ACCOUNT_SCOPE,
        grant: |p| p.ai_gateway_write = true,
    },
    Group {
        id: "644535f4ed854494a59cb289d634b257",
        name: "AI Gateway Run",
        category: "ai_and_machine_learning",
        scope: ACCOUNT_SCOPE,
        grant: |p| p.ai_gateway_run = true,
    },
    Group {
        id: "a92d2450e05d4e7bb7d0a64968f83d11",
        name: "Workers AI Read",
        category: "ai_and_machine_learning",
        scope: ACCOUNT_SCOPE,
        grant: |_| {},
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6071",
        name: "Secrets Store Write",
        category: "developer_platform",
        scope: ACCOUNT_SCOPE,
        grant: |p| p.secrets_store_write = true,
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6072",
        name: "Secrets Store Read",
        category: "developer_platform",
        scope: ACCOUNT_SCOPE,
        grant: |_| {},
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6073",
        name: "Account API Tokens Write",
        category: "account_and_billing",
        scope: ACCOUNT_SCOPE,
        grant: |p| {
            p.account_tokens_write = true;
            p.account_tokens_read = true;
        },
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6074",
        name: "Account API Tokens Read",
        category: "account_and_billing",
        scope: ACCOUNT_SCOPE,
        grant: |p| p.account_tokens_read = true,
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6075",
        name: "API Tokens Write",
        category: "account_and_billing",
        scope: USER_SCOPE,
        grant: |p| {
            p.user_tokens_write = true;
            p.user_tokens_read = true;
        },
    },
    Group {
        id: "e5a1c0b3ae7f4c6f9a1b2c3d4e5f6076",
        name: "API Tokens Read",
        category: "account_and_billing",
        scope: USER_SCOPE,
        grant: |p| p.user_tokens_read = true,
    },
];

fn group(id: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.id == id)
}

/// The names of the groups a permission set holds (seeded tokens' synthesized policies).
pub fn group_names(p: &Permissions) -> Vec<&'static str> {
    GROUPS
        .iter()
        .filter(|g| {
            let mut only = Permissions::none();
            (g.grant)(&mut only);
            only != Permissions::none() && covers(p, &only)
        })
        .map(|g| g.name)
        .collect()
}

fn covers(have: &Permissions, need: &Permissions) -> bool {
    let h = flags(have);
    flags(need).iter().zip(h.iter()).all(|(n, h)| !n || *h)
}

fn flags(p: &Permissions) -> [bool; 8] {
    [
        p.ai_gateway_read,
        p.ai_gateway_write,
        p.ai_gateway_run,
        p.secrets_store_write,
        p.account_tokens_read,
        p.account_tokens_write,
        p.user_tokens_read,
        p.user_tokens_write,
    ]
}

/// The policies of a seeded token, as Cloudflare would show them.
pub fn synthesize_policies(spec: &TokenSpec) -> Value {
    let groups: Vec<Value> = group_names(&spec.permissions)
        .into_iter()
        .filter_map(|n| GROUPS.iter().find(|g| g.name == n))
        .map(|g| json!({"id": g.id, "name": g.name}))
        .collect();
    let resources: serde_json::Map<String, Value> = spec
        .accounts
        .iter()
        .map(|a| (format!("{ACCOUNT_SCOPE}.{a}"), json!("*")))
        .collect();
    json!([{"id": state::hex_id(), "effect": "allow", "permission_groups": groups,
            "resources": resources}])
}

/// The token as `token_base` (never the value).
pub fn to_json(rec: &TokenRec) -> Value {
    let mut v = json!({
        "id": rec.id,
        "name": rec.name,
        "status": super::api_routes::effective_status(rec).as_str(),
        "issued_on": rec.issued_on,
        "modified_on": rec.modified_on,
        "policies": rec.policies,
    });
    if let Some(e) = &rec.spec.expires_on {
        v["expires_on"] = json!(e);
    }
    if let Some(n) = &rec.not_before {
        v["not_before"] = json!(n);
    }
    if let Some(c) = &rec.condition {
        v["condition"] = c.clone();
    }
    if let Some(l) = &rec.last_used_on {
        v["last_used_on"] = json!(l);
    }
    v
}

fn new_value(owner: &TokenOwner) -> String {
    let prefix = match owner {
        TokenOwner::User => "cfut_",
        TokenOwner::Account(_) => "cfat_",
    };
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let tail: String = (0..43)
        .map(|_| ALPHABET[fastrand::usize(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

fn bad(code: u32, message: &str) -> Reply {
    v4_error(400, code, message)
}

fn missing() -> Reply {
    v4_error(404, 1003, "Token not found")
}

/// Policies → the token's permissions and the accounts it reaches. `caller` bounds what a
/// user token may reach.
fn grant(
    scope: Scope,
    policies: &Value,
    caller: &TokenRec,
) -> Result<(Permissions, Vec<String>, Value), Reply> {
    let Some(list) = policies.as_array().filter(|l| !l.is_empty()) else {
        return Err(bad(1001, "policies: at least one policy is required"));
    };
    let mut allow = Permissions::none();
    let mut deny = Permissions::none();
    let mut accounts: Vec<String> = vec![];
    let mut out = vec![];
    for p in list {
        let effect = p["effect"].as_str().unwrap_or("");
        if effect != "allow" && effect != "deny" {
            return Err(bad(1001, "policies[].effect must be allow or deny"));
        }
        let Some(groups) = p["permission_groups"].as_array().filter(|g| !g.is_empty()) else {
            return Err(bad(1001, "policies[].permission_groups is required"));
        };
        let Some(resources) = p["resources"].as_object().filter(|r| !r.is_empty()) else {
            return Err(bad(1002, "policies[].resources is required"));
        };
        let mut named = vec![];
        let target = if effect == "allow" {
            &mut allow
        } else {
            &mut deny
        };
        for g in groups {
            let found = g["id"].as_str().and_then(group);
            let Some(found) = found else {
                return Err(bad(1001, "Invalid permission group"));
            };
            if matches!(scope, Scope::Account(_)) && found.scope != ACCOUNT_SCOPE {
                return Err(bad(
                    1001,
                    "Invalid permission group for an account-owned token",
                ));
            }
            (found.grant)(target);
            named.push(json!({"id": found.id, "name": found.name}));
        }
        for (key, val) in resources {
            if !val.is_string() {
                return Err(bad(1002, "Invalid resource"));
            }
            let reach = if key == USER_SCOPE || key.starts_with(&format!("{USER_SCOPE}.")) {
                None
            } else {
                match key.strip_prefix(&format!("{ACCOUNT_SCOPE}.")) {
                    Some(a) if !a.is_empty() && !a.contains('.') => Some(a.to_string()),
                    _ => return Err(bad(1002, "Invalid resource")),
                }
            };
            if let Some(a) = reach {
                let fits = match scope {
                    Scope::Account(owner) => owner == a,
                    Scope::User => caller.spec.accounts.contains(&a),
                };
                if !fits {
                    return Err(bad(1002, "Invalid resource"));
                }
                if effect == "allow" && !accounts.contains(&a) {
                    accounts.push(a);
                }
            }
        }
        let mut p = p.clone();
        p["id"] = json!(state::hex_id());
        p["permission_groups"] = Value::Array(named);
        out.push(p);
    }
    let a = flags(&allow);
    let d = flags(&deny);
    let eff: Vec<bool> = a.iter().zip(d.iter()).map(|(a, d)| *a && !*d).collect();
    let perms = Permissions {
        ai_gateway_read: eff[0],
        ai_gateway_write: eff[1],
        ai_gateway_run: eff[2],
        secrets_store_write: eff[3],
        account_tokens_read: eff[4],
        account_tokens_write: eff[5],
        user_tokens_read: eff[6],
        user_tokens_write: eff[7],
    };
    Ok((perms, accounts, Value::Array(out)))
}

fn date_time(v: &Value, field: &str) -> Result<Option<String>, Reply> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad(
            1001,
            &format!("{field}: must be an RFC 3339 date-time"),
        )),
    }
}

fn body(ctx: &Ctx) -> Result<Value, Reply> {
    match serde_json::from_slice::<Value>(&ctx.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(bad(1001, "The request body must be a JSON object")),
    }
}

pub fn create(st: &mut State, ctx: &Ctx, scope: Scope, caller_id: &str) -> Reply {
    let Some(caller) = st.tokens.iter().find(|t| t.id == caller_id) else {
        return v4_error(401, 1000, "Invalid API Token");
    };
    let b = match body(ctx) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let name = b["name"].as_str().unwrap_or("");
    if name.is_empty() || name.chars().count() > 120 {
        return bad(1001, "name: required, at most 120 characters");
    }
    let (perms, accounts, policies) = match grant(scope, &b["policies"], caller) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (expires_on, not_before) = match (date_time(&b, "expires_on"), date_time(&b, "not_before"))
    {
        (Ok(e), Ok(n)) => (e, n),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let owner = match scope {
        Scope::Account(a) => TokenOwner::Account(a.to_string()),
        Scope::User => TokenOwner::User,
    };
    let value = new_value(&owner);
    let now = state::now_rfc3339();
    let rec = TokenRec {
        id: state::hex_id(),
        spec: TokenSpec {
            value: value.clone(),
            owner,
            status: TokenStatus::Active,
            expires_on,
            accounts,
            permissions: perms,
        },
        name: name.to_string(),
        policies,
        issued_on: now.clone(),
        modified_on: now,
        last_used_on: None,
        not_before,
        condition: b.get("condition").filter(|c| c.is_object()).cloned(),
    };
    let mut result = to_json(&rec);
    result["value"] = json!(value);
    st.tokens.push(rec);
    ok(result)
}

pub fn list(st: &State, ctx: &Ctx, scope: Scope) -> Reply {
    let page = ctx
        .query_param("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = ctx
        .query_param("per_page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(20)
        .clamp(5, 50);
    let include_expired = ctx.query_param("include_expired").as_deref() == Some("true");
    let mut all: Vec<&TokenRec> = st
        .tokens
        .iter()
        .filter(|t| scope.owns(t))
        .filter(|t| {
            include_expired || super::api_routes::effective_status(t) != TokenStatus::Expired
        })
        .collect();
    if ctx.query_param("direction").as_deref() == Some("desc") {
        all.reverse();
    }
    let start = (((page - 1) * per_page) as usize).min(all.len());
    let end = (start + per_page as usize).min(all.len());
    let result: Vec<Value> = all[start..end].iter().map(|t| to_json(t)).collect();
    let info = json!({"page": page, "per_page": per_page, "count": result.len(),
                      "total_count": all.len()});
    ok_paged(Value::Array(result), info)
}

fn find<'s>(st: &'s mut State, scope: Scope, id: &str) -> Option<&'s mut TokenRec> {
    st.tokens.iter_mut().find(|t| t.id == id && scope.owns(t))
}

pub fn get(st: &mut State, scope: Scope, id: &str) -> Reply {
    find(st, scope, id).map_or_else(missing, |t| ok(to_json(t)))
}

pub fn delete(st: &mut State, scope: Scope, id: &str) -> Reply {
    let Some(pos) = st.tokens.iter().position(|t| t.id == id && scope.owns(t)) else {
        return missing();
    };
    let rec = st.tokens.remove(pos);
    st.rate.remove(&rec.id);
    ok(json!({"id": rec.id}))
}

pub fn roll(st: &mut State, scope: Scope, id: &str) -> Reply {
    let Some(rec) = find(st, scope, id) else {
        return missing();
    };
    let value = new_value(&rec.spec.owner);
    rec.spec.value = value.clone();
    rec.modified_on = state::now_rfc3339();
    ok(json!(value))
}

/// `PUT` of a token: name, policies, status, expiry and condition replaced; value kept.
pub fn update(st: &mut State, ctx: &Ctx, scope: Scope, id: &str, caller_id: &str) -> Reply {
    let b = match body(ctx) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(caller) = st.tokens.iter().find(|t| t.id == caller_id) else {
        return v4_error(401, 1000, "Invalid API Token");
    };
    let name = b["name"].as_str().unwrap_or("");
    if name.is_empty() || name.chars().count() > 120 {
        return bad(1001, "name: required, at most 120 characters");
    }
    let (perms, accounts, policies) = match grant(scope, &b["policies"], caller) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (expires_on, not_before) = match (date_time(&b, "expires_on"), date_time(&b, "not_before"))
    {
        (Ok(e), Ok(n)) => (e, n),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let status = match b["status"].as_str() {
        None | Some("active") => TokenStatus::Active,
        Some("disabled") => TokenStatus::Disabled,
        Some(_) => return bad(1001, "status: must be active or disabled"),
    };
    let Some(rec) = find(st, scope, id) else {
        return missing();
    };
    rec.name = name.to_string();
    rec.policies = policies;
    rec.spec.permissions = perms;
    rec.spec.accounts = accounts;
    rec.spec.expires_on = expires_on;
    rec.spec.status = status;
    rec.not_before = not_before;
    rec.condition = b.get("condition").filter(|c| c.is_object()).cloned();
    rec.modified_on = state::now_rfc3339();
    ok(to_json(rec))
}

/// `permission_groups?name=&scope=`: the catalogue, filtered.
pub fn permission_groups(ctx: &Ctx, scope: Scope) -> Reply {
    let name = ctx.query_param("name");
    let want_scope = ctx.query_param("scope");
    let result: Vec<Value> = GROUPS
        .iter()
        .filter(|g| match scope {
            Scope::Account(_) => g.scope == ACCOUNT_SCOPE,
            Scope::User => true,
        })
        .filter(|g| name.as_deref().is_none_or(|n| g.name == n))
        .filter(|g| want_scope.as_deref().is_none_or(|s| g.scope == s))
        .map(|g| json!({"id": g.id, "name": g.name, "category": g.category, "scopes": [g.scope]}))
        .collect();
    let info = json!({"page": 1, "per_page": result.len().max(1), "count": result.len(),
                      "total_count": result.len()});
    ok_paged(Value::Array(result), info)
}
