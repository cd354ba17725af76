//! The emulator against Cloudflare's OpenAPI contract (`contracts/cloudflare-openapi-2026-08-14.json`,
//! a copy of the official `cloudflare/api-schemas` extract kept in the repository).
//!
//! - [`CASES`] is a table of requests, run in order against one emulator: each names the
//!   contract operation, the status it must get, and the body is validated against the schema
//!   the operation documents for that status (OpenAPI 3.0 converted to JSON Schema).
//!   **To cover a new operation, append cases to the table** (and, when the client calls it,
//!   a row to [`CALLED`]).
//! - [`CALLED`] maps every operation the client performs (`aigate::cloudflare::ops::*`, read
//!   from `src/cloudflare/error.rs`) to the contract operations it sends. A client operation
//!   missing from the map fails the test; so does any documented status of a mapped contract
//!   operation that no case produced and validated.
//! - A tour drives the real client through every management call and checks that each request
//!   it sent lands on a contract operation listed in [`CALLED`] (so the map cannot go stale).

use aigate::emulator::{Emulator, EmulatorOptions, Permissions, Seed, TokenSpec, sandbox};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

mod contract;
use contract::Contract;

#[test]
fn the_converted_schemas_reject_wrong_bodies() {
    let c = Contract::load();
    let gw = json!({"id": "gw", "cache_invalidate_on_update": false, "cache_ttl": null,
        "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
        "created_at": "2026-01-01T00:00:00Z", "modified_at": "2026-01-01T00:00:00Z"});
    let good = json!({"success": true, "result": gw});
    assert!(
        c.errors("aig-config-fetch-gateway", 200, &good)
            .1
            .is_empty()
    );
    // 2026-08-14: `unified` joined `postpaid`; anything else is still refused.
    let mut unified = good.clone();
    unified["result"]["workers_ai_billing_mode"] = json!("unified");
    assert!(
        c.errors("aig-config-fetch-gateway", 200, &unified)
            .1
            .is_empty()
    );
    let mut prepaid = good.clone();
    prepaid["result"]["workers_ai_billing_mode"] = json!("prepaid");
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &prepaid)
            .1
            .is_empty()
    );
    let mut classification = good.clone();
    classification["result"]["log_classification"] = json!("yes");
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &classification)
            .1
            .is_empty()
    );
    let mut negative_ttl = good.clone();
    negative_ttl["result"]["cache_ttl"] = json!(-1);
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &negative_ttl)
            .1
            .is_empty()
    );
    let mut bad_date = good.clone();
    bad_date["result"]["created_at"] = json!("yesterday");
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &bad_date)
            .1
            .is_empty()
    );
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &json!({"success": true}))
            .1
            .is_empty()
    );
    let failure = json!({"success": false, "errors": [{"code": 1000, "message": "x"}],
        "messages": [], "result": null});
    assert!(
        c.errors("user-api-tokens-verify-token", 401, &failure)
            .1
            .is_empty()
    );
    let mut not_null = failure.clone();
    not_null["result"] = json!({});
    assert!(
        !c.errors("user-api-tokens-verify-token", 401, &not_null)
            .1
            .is_empty()
    );
}

const READ_ONLY: &str = "cfut_conformance_read_only_token_0000000000000";
const NO_PERMS: &str = "cfut_conformance_no_permissions_token_00000000";
const GHOST: &str = "cfut_conformance_token_for_a_ghost_account_0000";
const ACCOUNT_TOKEN: &str = "cfat_conformance_account_owned_token_000000000";
const GHOST_ACCOUNT: &str = "0000000000000000000000000000dead";
const TOK: &str = sandbox::TOKEN;

/// Where a case's request goes.
#[derive(Clone, Copy, PartialEq)]
enum Plane {
    /// The v4 API (`/client/v4` + path); the reply is validated against the contract.
    Api,
    /// The gateway data plane (`/v1` + path), e.g. to produce a log entry; not in the contract.
    Gateway,
}

/// A check on the reply beyond its schema.
#[derive(Clone, Copy)]
enum Expect {
    None,
    /// The value at a JSON pointer equals this JSON text.
    Eq(&'static str, &'static str),
    /// The array at a JSON pointer has this many items.
    Len(&'static str, usize),
}

/// One request of the conformance run. Paths and bodies may use `{name}` placeholders:
/// `{acct}` (the sandbox account), `{ghost_acct}` (an account that does not exist), `{gw}`
/// (the gateway the cases create) and whatever an earlier case captured.
#[derive(Clone, Copy)]
struct Case {
    op: &'static str,
    plane: Plane,
    method: &'static str,
    path: &'static str,
    token: &'static str,
    body: Option<&'static str>,
    status: u16,
    /// Store the string at this JSON pointer of the reply as `{name}`.
    capture: Option<(&'static str, &'static str)>,
    expect: Expect,
}

/// A v4 API request for contract operation `op` that must answer `status`.
const fn api(
    op: &'static str,
    method: &'static str,
    path: &'static str,
    token: &'static str,
    status: u16,
) -> Case {
    Case {
        op,
        plane: Plane::Api,
        method,
        path,
        token,
        body: None,
        status,
        capture: None,
        expect: Expect::None,
    }
}

impl Case {
    const fn body(mut self, json: &'static str) -> Case {
        self.body = Some(json);
        self
    }
    const fn capture(mut self, name: &'static str, pointer: &'static str) -> Case {
        self.capture = Some((name, pointer));
        self
    }
    const fn expect(mut self, e: Expect) -> Case {
        self.expect = e;
        self
    }
    const fn gateway(mut self) -> Case {
        self.plane = Plane::Gateway;
        self
    }
}

const GW_BODY: &str = r#"{"id": "{gw}", "cache_invalidate_on_update": false, "cache_ttl": 0,
    "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
    "rate_limiting_technique": "fixed", "authentication": true}"#;
const GW_PUT: &str = r#"{"cache_invalidate_on_update": false, "cache_ttl": 60,
    "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
    "authentication": true, "retry_max_attempts": 3, "log_classification": true,
    "workers_ai_billing_mode": "unified"}"#;
const GW_PUT_BAD: &str = r#"{"cache_invalidate_on_update": false, "cache_ttl": 60,
    "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
    "retry_max_attempts": 9}"#;
const GWS: &str = "/accounts/{acct}/ai-gateway/gateways";
const GW: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}";
const PROVIDERS: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/provider_configs";
const PROVIDER: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/provider_configs/{pid}";

/// The conformance run, in order. Append cases for new operations here.
const CASES: &[Case] = &[
    // Token verification.
    api(
        "user-api-tokens-verify-token",
        "GET",
        "/user/tokens/verify",
        TOK,
        200,
    ),
    api(
        "user-api-tokens-verify-token",
        "GET",
        "/user/tokens/verify",
        "cfut_unknown",
        401,
    ),
    api(
        "account-api-tokens-verify-token",
        "GET",
        "/accounts/{acct}/tokens/verify",
        ACCOUNT_TOKEN,
        200,
    ),
    api(
        "account-api-tokens-verify-token",
        "GET",
        "/accounts/{acct}/tokens/verify",
        TOK,
        401,
    ),
    // Accounts.
    api(
        "accounts-list-accounts",
        "GET",
        "/accounts?per_page=5",
        TOK,
        200,
    ),
    api(
        "accounts-list-accounts",
        "GET",
        "/accounts",
        "bad-token",
        401,
    ),
    // Gateways.
    api("aig-config-create-gateway", "POST", GWS, TOK, 200)
        .body(GW_BODY)
        .expect(Expect::Eq("/result/log_classification", "false")),
    api("aig-config-create-gateway", "POST", GWS, TOK, 400).body(
        r#"{"id": "Bad--Id", "cache_invalidate_on_update": false, "cache_ttl": 0,
            "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0}"#,
    ),
    // The same id again: duplicate.
    api("aig-config-create-gateway", "POST", GWS, TOK, 400).body(GW_BODY),
    api("aig-config-list-gateway", "GET", GWS, TOK, 200).expect(Expect::Len("/result", 3)),
    api(
        "aig-config-list-gateway",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways?per_page=500",
        TOK,
        400,
    ),
    api("aig-config-fetch-gateway", "GET", GW, TOK, 200).expect(Expect::Eq(
        "/result/workers_ai_billing_mode",
        r#""postpaid""#,
    )),
    api(
        "aig-config-fetch-gateway",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/missing",
        TOK,
        404,
    ),
    api("aig-config-update-gateway", "PUT", GW, TOK, 200)
        .body(GW_PUT)
        .expect(Expect::Eq("/result/cache_ttl", "60")),
    api("aig-config-fetch-gateway", "GET", GW, TOK, 200)
        .expect(Expect::Eq("/result/log_classification", "true")),
    api("aig-config-update-gateway", "PUT", GW, TOK, 400).body(GW_PUT_BAD),
    api(
        "aig-config-update-gateway",
        "PUT",
        "/accounts/{acct}/ai-gateway/gateways/missing",
        TOK,
        404,
    )
    .body(GW_PUT),
    // Provider configs (BYOK keys).
    api("aig-config-create-providers", "POST", PROVIDERS, TOK, 200)
        .body(
            r#"{"provider_slug": "openai", "alias": "default", "default_config": true,
            "secret": "sk-conformance-secret-value-1234"}"#,
        )
        .capture("pid", "/result/id"),
    api("aig-config-create-providers", "POST", PROVIDERS, TOK, 400)
        .body(r#"{"provider_slug": "openai", "default_config": true}"#),
    api("aig-config-list-providers", "GET", PROVIDERS, TOK, 200).expect(Expect::Len("/result", 1)),
    api(
        "aig-config-list-providers",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/provider_configs?per_page=101",
        TOK,
        400,
    ),
    api("aig-config-update-providers", "PUT", PROVIDER, TOK, 200)
        .body(r#"{"secret": "sk-rotated-secret-value-5678"}"#),
    api("aig-config-update-providers", "PUT", PROVIDER, TOK, 400).body("{}"),
    api(
        "aig-config-update-providers",
        "PUT",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/provider_configs/nope",
        TOK,
        404,
    )
    .body(r#"{"secret": "sk-x-0000000000000"}"#),
    // Logs, with one inference request logged first.
    api("", "POST", "/{acct}/{gw}/compat/chat/completions", TOK, 200)
        .gateway()
        .body(r#"{"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}"#),
    api(
        "aig-config-list-gateway-logs",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs",
        TOK,
        200,
    )
    .expect(Expect::Len("/result", 1)),
    api(
        "aig-config-list-gateway-logs",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs?per_page=51",
        TOK,
        400,
    ),
    // Deletes.
    api("aig-config-delete-providers", "DELETE", PROVIDER, TOK, 200),
    api("aig-config-delete-providers", "DELETE", PROVIDER, TOK, 404),
    api("aig-config-delete-gateway", "DELETE", GW, TOK, 200),
    api("aig-config-delete-gateway", "DELETE", GW, TOK, 404),
    // Credit balance. The inference above used the stored BYOK key: no credits spent.
    api(
        "aig-billing-get-credit-balance",
        "GET",
        "/accounts/{acct}/ai-gateway/billing/credit-balance",
        TOK,
        200,
    )
    .expect(Expect::Eq("/result/balance", "25.0")),
    api(
        "aig-billing-get-credit-balance",
        "GET",
        "/accounts/not!an!id/ai-gateway/billing/credit-balance",
        TOK,
        400,
    ),
    api(
        "aig-billing-get-credit-balance",
        "GET",
        "/accounts/{acct}/ai-gateway/billing/credit-balance",
        NO_PERMS,
        403,
    ),
    api(
        "aig-billing-get-credit-balance",
        "GET",
        "/accounts/{ghost_acct}/ai-gateway/billing/credit-balance",
        GHOST,
        404,
    ),
    // A read-only token can read.
    api("aig-config-list-gateway", "GET", GWS, READ_ONLY, 200),
    // --- Control plane: logs in detail, dynamic routes (branch `control`). ---
    api("aig-config-create-gateway", "POST", GWS, TOK, 200).body(GW_BODY),
    api("", "POST", "/{acct}/{gw}/compat/chat/completions", TOK, 200)
        .gateway()
        .body(r#"{"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}"#),
    api("aig-config-list-gateway-logs", "GET", LOGS_OK, TOK, 200)
        .expect(Expect::Len("/result", 1))
        .capture("lid", "/result/0/id"),
    api("aig-config-list-gateway-logs", "GET", LOGS_NONE, TOK, 200)
        .expect(Expect::Eq("/result_info/total_count", "0")),
    api("aig-config-list-gateway-logs", "GET", LOGS_BAD, TOK, 400),
    api("aig-config-get-gateway-log-detail", "GET", LOG, TOK, 200)
        .expect(Expect::Eq("/result/model", r#""gpt-5-mini""#)),
    api(
        "aig-config-get-gateway-log-detail",
        "GET",
        LOG_NOPE,
        TOK,
        404,
    ),
    api("aig-config-patch-gateway-log", "PATCH", LOG, TOK, 200)
        .body(r#"{"feedback": 1, "score": 90, "metadata": {"team": "a"}}"#),
    api("aig-config-patch-gateway-log", "PATCH", LOG_NOPE, TOK, 404).body(r#"{"feedback": 1}"#),
    api(
        "aig-config-get-gateway-log-request",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/{lid}/request",
        TOK,
        200,
    )
    .expect(Expect::Eq("/model", r#""openai/gpt-5-mini""#)),
    api(
        "aig-config-get-gateway-log-request",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/nope/request",
        TOK,
        404,
    ),
    api(
        "aig-config-get-gateway-log-response",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/{lid}/response",
        TOK,
        200,
    ),
    api(
        "aig-config-get-gateway-log-response",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/nope/response",
        TOK,
        404,
    ),
    api(
        "aig-config-post-gateway-dynamic-route",
        "POST",
        ROUTES,
        TOK,
        200,
    )
    .body(ROUTE_BODY)
    .capture("rid", "/result/id")
    .expect(Expect::Eq("/result/version/active", r#""true""#)),
    api(
        "aig-config-post-gateway-dynamic-route",
        "POST",
        ROUTES,
        TOK,
        400,
    )
    .body(r#"{"name": "broken", "elements": [{"id": "s", "type": "start", "outputs": {}}]}"#),
    api(
        "aig-config-list-gateway-dynamic-routes",
        "GET",
        ROUTES,
        TOK,
        200,
    )
    .expect(Expect::Len("/data/routes", 1)),
    api(
        "aig-config-list-gateway-dynamic-routes",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/missing/routes",
        TOK,
        400,
    ),
    api(
        "aig-config-get-gateway-dynamic-route",
        "GET",
        ROUTE,
        TOK,
        200,
    ),
    api(
        "aig-config-get-gateway-dynamic-route",
        "GET",
        ROUTE_NOPE,
        TOK,
        400,
    ),
    api(
        "aig-config-update-gateway-dynamic-route",
        "PATCH",
        ROUTE,
        TOK,
        200,
    )
    .body(r#"{"name": "renamed"}"#)
    .expect(Expect::Eq("/route/name", r#""renamed""#)),
    api(
        "aig-config-update-gateway-dynamic-route",
        "PATCH",
        ROUTE,
        TOK,
        400,
    )
    .body("{}"),
    api(
        "aig-config-post-gateway-dynamic-route-version",
        "POST",
        VERSIONS,
        TOK,
        200,
    )
    .body(ELEMENTS_BODY),
    api(
        "aig-config-post-gateway-dynamic-route-version",
        "POST",
        VERSIONS,
        TOK,
        400,
    )
    .body(r#"{"elements": "none"}"#),
    api(
        "aig-config-list-gateway-dynamic-route-versions",
        "GET",
        VERSIONS,
        TOK,
        200,
    )
    .expect(Expect::Len("/data/versions", 2))
    .capture("vid", "/data/versions/0/version_id"),
    api(
        "aig-config-list-gateway-dynamic-route-versions",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/nope/versions",
        TOK,
        400,
    ),
    api(
        "aig-config-get-gateway-dynamic-route-version",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/{rid}/versions/{vid}",
        TOK,
        200,
    )
    .expect(Expect::Eq("/result/active", r#""false""#)),
    api(
        "aig-config-get-gateway-dynamic-route-version",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/{rid}/versions/nope",
        TOK,
        400,
    ),
    api(
        "aig-config-post-gateway-dynamic-route-deployment",
        "POST",
        DEPLOYMENTS,
        TOK,
        200,
    )
    .body(r#"{"version_id": "{vid}"}"#),
    api(
        "aig-config-post-gateway-dynamic-route-deployment",
        "POST",
        DEPLOYMENTS,
        TOK,
        400,
    )
    .body(r#"{"version_id": "nope"}"#),
    api(
        "aig-config-list-gateway-dynamic-route-deployments",
        "GET",
        DEPLOYMENTS,
        TOK,
        200,
    )
    .expect(Expect::Len("/data/deployments", 2)),
    api(
        "aig-config-list-gateway-dynamic-route-deployments",
        "GET",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/nope/deployments",
        TOK,
        400,
    ),
    api("", "POST", "/{acct}/{gw}/compat/chat/completions", TOK, 200)
        .gateway()
        .body(r#"{"model": "dynamic/renamed", "messages": [{"role": "user", "content": "hi"}]}"#),
    api(
        "aig-config-delete-gateway-logs",
        "DELETE",
        LOGS_OK,
        TOK,
        200,
    ),
    api(
        "aig-config-delete-gateway-logs",
        "DELETE",
        "/accounts/{acct}/ai-gateway/gateways/{gw}/logs?limit=0",
        TOK,
        400,
    ),
    api(
        "aig-config-delete-gateway-dynamic-route",
        "DELETE",
        ROUTE,
        TOK,
        200,
    ),
    api(
        "aig-config-delete-gateway-dynamic-route",
        "DELETE",
        ROUTE,
        TOK,
        400,
    ),
    // The account's Unified Billing spending limit (seeded: $100 monthly, fixed).
    api("aig-billing-get-spending-limit", "GET", LIMIT, TOK, 200)
        .expect(Expect::Eq("/result/config", r#"{"amount": 10000, "duration": "monthly", "strategy": "fixed"}"#)),
    api("aig-billing-get-spending-limit", "GET", LIMIT, NO_PERMS, 403),
    api("aig-billing-get-spending-limit", "GET", LIMIT_BAD_ID, TOK, 400),
    api("aig-billing-get-spending-limit", "GET", LIMIT_GHOST, GHOST, 404),
    api("aig-billing-set-spending-limit", "POST", LIMIT, TOK, 403)
        .body(r#"{"amount": 5000, "duration": "weekly", "strategy": "sliding"}"#),
    api("aig-billing-set-spending-limit", "POST", LIMIT_BAD_ID, TOK, 400)
        .body(r#"{"amount": 5000, "duration": "weekly", "strategy": "sliding"}"#),
    api("aig-billing-set-spending-limit", "POST", LIMIT_GHOST, GHOST, 404)
        .body(r#"{"amount": 5000, "duration": "weekly", "strategy": "sliding"}"#),
    api("aig-billing-delete-spending-limit", "DELETE", LIMIT, READ_ONLY, 403),
    api("aig-billing-delete-spending-limit", "DELETE", LIMIT, TOK, 200),
    api("aig-billing-get-spending-limit", "GET", LIMIT, TOK, 200)
        .expect(Expect::Eq("/result/enabled", "false")),
    api("aig-billing-delete-spending-limit", "DELETE", LIMIT_BAD_ID, TOK, 400),
    api("aig-billing-delete-spending-limit", "DELETE", LIMIT_GHOST, GHOST, 404),
    // Secrets Store: stores, then secrets in one.
    api("secrets-store-list", "GET", STORES, TOK, 200).expect(Expect::Len("/result", 0)),
    api("secrets-store-create", "POST", STORES, TOK, 200)
        .body(r#"{"name": "aigate_keys"}"#)
        .capture("sid", "/result/id"),
    api("secrets-store-create", "POST", STORES, NO_PERMS, 403).body(r#"{"name": "x"}"#),
    api("secrets-store-create", "POST", STORES, TOK, 400).body(r#"{"title": "x"}"#),
    api("secrets-store-list", "GET", STORES, TOK, 200).expect(Expect::Len("/result", 1)),
    api("secrets-store-list", "GET", STORES, READ_ONLY, 403),
    api("secrets-store-secret-create", "POST", SECRETS, TOK, 200)
        .body(r#"[{"name": "OPENAI_KEY", "value": "sk-conformance-0000", "scopes": ["ai_gateway"], "comment": "byok"},
                  {"name": "WORKER_KEY", "value": "w-0000", "scopes": ["workers"]}]"#)
        .expect(Expect::Len("/result", 2)),
    api("secrets-store-secret-create", "POST", SECRETS, TOK, 409)
        .body(r#"[{"name": "OPENAI_KEY", "value": "again", "scopes": ["ai_gateway"]}]"#),
    api("secrets-store-secret-create", "POST", SECRETS, TOK, 400)
        .body(r#"[{"name": "X", "value": "v", "scopes": ["everywhere"]}]"#),
    api("secrets-store-secrets-list", "GET", "/accounts/{acct}/secrets_store/stores/{sid}/secrets?scopes=ai_gateway", TOK, 200)
        .expect(Expect::Eq("/result/0/name", r#""OPENAI_KEY""#)),
    api("secrets-store-secrets-list", "GET", "/accounts/{acct}/secrets_store/stores/{sid}/secrets?search=worker&per_page=1", TOK, 200)
        .expect(Expect::Len("/result", 1)),
    api("secrets-store-secrets-list", "GET", "/accounts/{acct}/secrets_store/stores/nope/secrets", TOK, 404),
];

const LIMIT: &str = "/accounts/{acct}/ai-gateway/billing/spending-limit";
const LIMIT_BAD_ID: &str = "/accounts/bad.id/ai-gateway/billing/spending-limit";
const LIMIT_GHOST: &str = "/accounts/{ghost_acct}/ai-gateway/billing/spending-limit";
const STORES: &str = "/accounts/{acct}/secrets_store/stores";
const SECRETS: &str = "/accounts/{acct}/secrets_store/stores/{sid}/secrets";

const LOGS_OK: &str = r#"/accounts/{acct}/ai-gateway/gateways/{gw}/logs?filters=[{"key":"success","operator":"eq","value":[true]}]"#;
const LOGS_NONE: &str = r#"/accounts/{acct}/ai-gateway/gateways/{gw}/logs?filters=[{"key":"cached","operator":"eq","value":[true]}]"#;
const LOGS_BAD: &str = r#"/accounts/{acct}/ai-gateway/gateways/{gw}/logs?filters=[{"key":"colour","operator":"eq","value":[1]}]"#;
const LOG: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/{lid}";
const LOG_NOPE: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/logs/nope";
const ROUTES: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/routes";
const ROUTE: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/{rid}";
const ROUTE_NOPE: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/nope";
const VERSIONS: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/{rid}/versions";
const DEPLOYMENTS: &str = "/accounts/{acct}/ai-gateway/gateways/{gw}/routes/{rid}/deployments";
const ELEMENTS_BODY: &str = r#"{"elements": [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "m1"}}},
    {"id": "m1", "type": "model", "outputs": {"success": {"elementId": "end"},
        "fallback": {"elementId": "m2"}},
     "properties": {"provider": "openai", "model": "gpt-5-mini", "timeout": 60000, "retries": 0}},
    {"id": "m2", "type": "model", "outputs": {"success": {"elementId": "end"},
        "fallback": {"elementId": "end"}},
     "properties": {"provider": "anthropic", "model": "claude-haiku-4.5", "timeout": 60000, "retries": 0}},
    {"id": "end", "type": "end", "outputs": {}}]}"#;
const ROUTE_BODY: &str = r#"{"name": "fallbacks", "elements": [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "m1"}}},
    {"id": "m1", "type": "model", "outputs": {"success": {"elementId": "end"},
        "fallback": {"elementId": "end"}},
     "properties": {"provider": "openai", "model": "gpt-5-mini", "timeout": 60000, "retries": 0}},
    {"id": "end", "type": "end", "outputs": {}}]}"#;

/// Every operation the client performs (`aigate::cloudflare::ops::*`) and the contract
/// operations it sends. Data-plane calls are outside the v4 contract (empty list).
const CALLED: &[(&str, &[&str])] = &[
    (
        "VERIFY_TOKEN",
        &[
            "user-api-tokens-verify-token",
            "account-api-tokens-verify-token",
        ],
    ),
    ("LIST_ACCOUNTS", &["accounts-list-accounts"]),
    ("LIST_GATEWAYS", &["aig-config-list-gateway"]),
    ("GET_GATEWAY", &["aig-config-fetch-gateway"]),
    ("CREATE_GATEWAY", &["aig-config-create-gateway"]),
    ("UPDATE_GATEWAY", &["aig-config-update-gateway"]),
    ("LIST_PROVIDER_CONFIGS", &["aig-config-list-providers"]),
    ("CREATE_PROVIDER_CONFIG", &["aig-config-create-providers"]),
    ("UPDATE_PROVIDER_CONFIG", &["aig-config-update-providers"]),
    ("DELETE_PROVIDER_CONFIG", &["aig-config-delete-providers"]),
    ("CREDIT_BALANCE", &["aig-billing-get-credit-balance"]),
    (
        "ACCOUNT_SPENDING_LIMIT",
        &["aig-billing-get-spending-limit"],
    ),
    ("LIST_LOGS", &["aig-config-list-gateway-logs"]),
    ("LIST_MODELS", &[]),
    ("CHAT", &[]),
    (
        "LIST_ROUTES",
        &[
            "aig-config-list-gateway-dynamic-routes",
            "aig-config-list-gateway-dynamic-route-versions",
            "aig-config-list-gateway-dynamic-route-deployments",
        ],
    ),
    ("CREATE_ROUTE", &["aig-config-post-gateway-dynamic-route"]),
    ("DELETE_ROUTE", &["aig-config-delete-gateway-dynamic-route"]),
    (
        "CREATE_ROUTE_VERSION",
        &["aig-config-post-gateway-dynamic-route-version"],
    ),
    (
        "DEPLOY_ROUTE",
        &["aig-config-post-gateway-dynamic-route-deployment"],
    ),
    // GraphQL Analytics (`POST /graphql`): outside the REST contract.
    ("ANALYTICS", &[]),
    ("LOG_RESPONSE", &["aig-config-get-gateway-log-response"]),
];

fn called_ops() -> BTreeSet<&'static str> {
    CALLED
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect()
}

fn fill(template: &str, vars: &HashMap<String, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn pointer<'a>(body: &'a Value, p: &str, what: &str) -> &'a Value {
    body.pointer(p)
        .unwrap_or_else(|| panic!("{what}: no {p} in {body}"))
}

async fn emulator() -> Emulator {
    let emu = Emulator::start(EmulatorOptions {
        tls_proxy: false,
        seed: Seed::Sandbox,
    })
    .await
    .unwrap();
    let acct = sandbox::ACCOUNT_ID;
    emu.add_token(TokenSpec {
        permissions: Permissions {
            ai_gateway_read: true,
            ..Permissions::none()
        },
        ..TokenSpec::user(READ_ONLY, &[acct])
    });
    emu.add_token(TokenSpec {
        permissions: Permissions::none(),
        ..TokenSpec::user(NO_PERMS, &[acct])
    });
    emu.add_token(TokenSpec::user(GHOST, &[GHOST_ACCOUNT]));
    emu.add_token(TokenSpec::account(ACCOUNT_TOKEN, acct));
    emu.set_account_spending_limit(acct, Some((10_000, "monthly", "fixed")));
    emu
}

/// Runs [`CASES`] and returns the (operation, response key) pairs produced and validated.
async fn run_cases(c: &mut Contract) {
    let emu = emulator().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("acct".into(), sandbox::ACCOUNT_ID.into()),
        ("ghost_acct".into(), GHOST_ACCOUNT.into()),
        ("gw".into(), "conformance-gw".into()),
    ]);
    for (i, case) in CASES.iter().enumerate() {
        let path = fill(case.path, &vars);
        let what = format!("case {i} ({} {} {path})", case.op, case.method);
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut req = match case.plane {
            Plane::Api => http
                .request(method, format!("{}{path}", emu.api_url()))
                .bearer_auth(case.token),
            Plane::Gateway => http
                .request(method, format!("{}{path}", emu.gateway_url()))
                .header("cf-aig-authorization", format!("Bearer {}", case.token)),
        };
        if let Some(b) = case.body {
            let body: Value = serde_json::from_str(&fill(b, &vars))
                .unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"));
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{what}: body is not JSON: {text}"));
        assert_eq!(status, case.status, "{what}: {body}");
        if case.plane == Plane::Api {
            c.check(case.op, status, &body);
        }
        match case.expect {
            Expect::None => {}
            Expect::Eq(p, json) => {
                let want: Value = serde_json::from_str(json).unwrap();
                assert_eq!(pointer(&body, p, &what), &want, "{what}");
            }
            Expect::Len(p, n) => {
                let got = pointer(&body, p, &what).as_array().map(Vec::len);
                assert_eq!(got, Some(n), "{what}: {body}");
            }
        }
        if let Some((name, p)) = case.capture {
            let v = pointer(&body, p, &what).as_str().unwrap().to_string();
            vars.insert(name.into(), v);
        }
    }
}

#[tokio::test]
async fn every_operation_aigate_calls_matches_the_openapi_contract() {
    let mut c = Contract::load();
    run_cases(&mut c).await;
    let called = called_ops();
    for id in &called {
        c.operation(id); // panics when the contract has no such operation
    }
    let missing: Vec<_> = c
        .documented()
        .into_iter()
        .filter(|(op, _)| called.contains(op.as_str()))
        .filter(|pair| !c.covered.contains(pair))
        .collect();
    assert!(
        missing.is_empty(),
        "responses of operations aigate calls, never produced and validated: {missing:?}"
    );
    assert!(c.covered.len() >= 30, "only {} pairs", c.covered.len());
}

/// The client operations declared in `src/cloudflare/error.rs` (`pub const NAME: Operation`).
fn client_operations() -> Vec<String> {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/cloudflare/error.rs"
    ))
    .unwrap();
    src.lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(": Operation"))
        .map(|(name, _)| name.trim().to_string())
        .collect()
}

#[test]
fn every_client_operation_is_mapped_to_the_contract() {
    let declared = client_operations();
    assert!(declared.len() >= 14, "parsed only {declared:?}");
    let mapped: BTreeSet<&str> = CALLED.iter().map(|(n, _)| *n).collect();
    let unmapped: Vec<_> = declared
        .iter()
        .filter(|n| !mapped.contains(n.as_str()))
        .collect();
    assert!(
        unmapped.is_empty(),
        "client operations with no row in CALLED (add the contract operations they send, \
         and cases for every documented status): {unmapped:?}"
    );
    let stale: Vec<_> = mapped
        .iter()
        .filter(|n| !declared.iter().any(|d| d == *n))
        .collect();
    assert!(
        stale.is_empty(),
        "rows of CALLED for no client operation: {stale:?}"
    );
}

impl Contract {
    /// The contract operation a request (v4 path without `/client/v4`, no query) lands on.
    fn operation_for(&self, method: &str, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        for (template, item) in self.doc["paths"].as_object().unwrap() {
            let t: Vec<&str> = template.trim_matches('/').split('/').collect();
            let fits = t.len() == segs.len()
                && t.iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s);
            if let Some(id) = fits
                .then(|| item[method.to_ascii_lowercase()]["operationId"].as_str())
                .flatten()
            {
                return Some(id.to_string());
            }
        }
        None
    }
}

/// Drives the real client through every management call and maps each request it sent onto
/// the contract: the set must be exactly the contract operations listed in [`CALLED`].
#[tokio::test]
async fn the_client_sends_exactly_the_mapped_operations() {
    use aigate::Secret;
    use aigate::cloudflare::{Client, Endpoints, NewGateway};
    let c = Contract::load();
    let emu = emulator().await;
    let acct = sandbox::ACCOUNT_ID;
    let endpoints = Endpoints::new(emu.api_url(), emu.gateway_url());
    let client = Client::new(endpoints.clone(), Secret::new(TOK)).unwrap();
    client.verify_token(None).await.unwrap();
    Client::new(endpoints, Secret::new(ACCOUNT_TOKEN))
        .unwrap()
        .verify_token(Some(acct))
        .await
        .unwrap();
    client.list_accounts().await.unwrap();
    client.list_gateways(acct).await.unwrap();
    let gw = client
        .create_gateway(acct, &NewGateway::recommended("tour-gw"))
        .await
        .unwrap();
    client.get_gateway(acct, "tour-gw").await.unwrap().unwrap();
    client.update_gateway(acct, "tour-gw", &gw).await.unwrap();
    client.list_provider_configs(acct, "tour-gw").await.unwrap();
    let key = Secret::new("sk-tour-secret-value-000000000000");
    let p = client
        .create_provider_config(acct, "tour-gw", "openai", "tour", &key)
        .await
        .unwrap();
    client
        .update_provider_config(acct, "tour-gw", &p.id, &key)
        .await
        .unwrap();
    client
        .delete_provider_config(acct, "tour-gw", &p.id)
        .await
        .unwrap();
    client.credit_balance(acct).await.unwrap();
    let limit = client.account_spending_limit(acct).await.unwrap();
    assert!(
        limit.enabled && limit.config.amount == Some(10_000.0),
        "{limit:?}"
    );
    client.list_logs(acct, "tour-gw", 10).await.unwrap();
    // Control plane (branch `control`): routes, logs in detail, settings, analytics.
    {
        use aigate::cloudflare::routes::fallback_graph;
        let models = vec![
            "openai/gpt-5-mini".to_string(),
            "anthropic/claude-haiku-4.5".into(),
        ];
        let graph = fallback_graph(&models);
        let r = client
            .create_route(acct, "tour-gw", "tour", &graph)
            .await
            .unwrap();
        let v = client
            .create_route_version(acct, "tour-gw", &r.id, &graph)
            .await
            .unwrap();
        client
            .deploy_route_version(acct, "tour-gw", &r.id, &v)
            .await
            .unwrap();
        client.list_routes(acct, "tour-gw").await.unwrap();
        client.delete_route(acct, "tour-gw", &r.id).await.unwrap();
        let s = client.gateway_settings(acct, "tour-gw").await.unwrap();
        client
            .put_gateway_settings(acct, "tour-gw", &s)
            .await
            .unwrap();
        let since = chrono::Utc::now() - chrono::Duration::hours(1);
        client
            .logs_since(acct, "tour-gw", since, true, false, 5)
            .await
            .unwrap();
        emu.seed_history(
            acct,
            "tour-gw",
            aigate::emulator::HistoryEntry::generate(
                3,
                chrono::Utc::now(),
                chrono::Duration::minutes(5),
            ),
        );
        let id = emu.logs(acct, "tour-gw")[0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        client.log_response(acct, "tour-gw", &id).await.unwrap();
        client.analytics_settings(acct).await.unwrap();
    }

    let mut sent = BTreeSet::new();
    for r in emu.requests() {
        let Some(rest) = r.path.strip_prefix("/client/v4") else {
            continue;
        };
        if rest == "/graphql" {
            continue; // GraphQL Analytics: outside the REST contract (ANALYTICS maps to none).
        }
        let path = rest.split('?').next().unwrap();
        let id = c
            .operation_for(&r.method, path)
            .unwrap_or_else(|| panic!("{} {path} is no operation of the contract", r.method));
        sent.insert(id);
    }
    let called: BTreeSet<String> = called_ops().into_iter().map(String::from).collect();
    assert_eq!(
        sent, called,
        "contract operations sent by the client vs CALLED"
    );
}

/// Documented responses the emulator does not produce, each with the reason. Everything else
/// the contract documents (every operation, every status) is produced by [`CASES`] and
/// validated; token operations are covered the same way in `tokens_emulator.rs`.
const NOT_PRODUCED: &[(&str, &str, &str)] = &[(
    "aig-billing-set-spending-limit",
    "201",
    "deprecated: Cloudflare refuses every POST with 403 (reference control-plane §6)",
)];

#[tokio::test]
async fn every_contract_operation_and_status_is_produced() {
    let mut c = Contract::load();
    run_cases(&mut c).await;
    let excused: BTreeSet<(String, String)> = NOT_PRODUCED
        .iter()
        .map(|(op, s, _)| (op.to_string(), s.to_string()))
        .collect();
    let missing: Vec<_> = c
        .documented()
        .into_iter()
        .filter(|(op, _)| !(op.contains("api-tokens") || op.starts_with("permission-groups")))
        .filter(|pair| !c.covered.contains(pair) && !excused.contains(pair))
        .collect();
    assert!(
        missing.is_empty(),
        "documented, never produced: {missing:?}"
    );
    let stale: Vec<_> = excused.iter().filter(|p| c.covered.contains(*p)).collect();
    assert!(
        stale.is_empty(),
        "NOT_PRODUCED rows that are produced: {stale:?}"
    );
}
