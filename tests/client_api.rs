//! The Cloudflare client's management calls against the emulator: every call, the error codes
//! and their hints, retries, pagination, and creates that are never duplicated.

use aigate::Secret;
use aigate::cloudflare::{
    ApiError, Client, Endpoints, ErrorKind, NewGateway, RetryPolicy, Timeouts, TokenOwner,
    TokenStatus,
};
use aigate::emulator::{
    Emulator, EmulatorOptions, Fault, FaultRule, Permissions, Seed, TokenSpec,
    TokenStatus as EmuStatus, sandbox,
};
use aigate::exit::Kind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ACCT: &str = sandbox::ACCOUNT_ID;

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn emulator(seed: Seed) -> Emulator {
    Emulator::start(EmulatorOptions {
        seed,
        ..Default::default()
    })
    .await
    .expect("emulator starts")
}

fn client(emu: &Emulator, token: &str) -> Client {
    Client::new(
        Endpoints::new(emu.api_url(), emu.gateway_url()),
        Secret::new(token),
    )
    .unwrap()
    .with_retry_policy(fast())
}

async fn sandbox_client() -> (Emulator, Client) {
    let emu = emulator(Seed::Sandbox).await;
    let c = client(&emu, sandbox::TOKEN);
    (emu, c)
}

/// The error's text and hint never contain the token.
fn assert_no_token(e: &ApiError, token: &str) {
    let all = format!("{e} {e:?} {}", e.hint().unwrap_or_default());
    assert!(!all.contains(token), "token leaked: {all}");
}

fn count(emu: &Emulator, method: &str, path_contains: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.method == method && r.path.contains(path_contains))
        .count()
}

// ---------------------------------------------------------------- token verification

#[tokio::test]
async fn verify_user_token_sends_bearer_and_user_agent() {
    let (emu, c) = sandbox_client().await;
    let info = c.verify_token(None).await.unwrap();
    assert_eq!(info.status, TokenStatus::Active);
    assert_eq!(info.owner, TokenOwner::User);
    assert!(!info.id.is_empty());
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/client/v4/user/tokens/verify");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {}", sandbox::TOKEN).as_str())
    );
    assert_eq!(
        reqs[0].header("user-agent"),
        Some(format!("aigate/{}", env!("CARGO_PKG_VERSION")).as_str())
    );
}

#[tokio::test]
async fn verify_cfat_token_goes_straight_to_the_account_endpoint() {
    let emu = emulator(Seed::Sandbox).await;
    let tok = "cfat_account_owned_token_for_tests_0000000000";
    emu.add_token(TokenSpec::account(tok, ACCT));
    let c = client(&emu, tok);
    let info = c.verify_token(Some(ACCT)).await.unwrap();
    assert_eq!(info.owner, TokenOwner::Account);
    let paths: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        vec![format!("/client/v4/accounts/{ACCT}/tokens/verify")]
    );
}

#[tokio::test]
async fn verify_unprefixed_account_token_falls_back_after_1000() {
    let emu = emulator(Seed::Sandbox).await;
    let tok = "legacy-account-token-without-prefix-0001";
    emu.add_token(TokenSpec::account(tok, ACCT));
    let c = client(&emu, tok);
    let info = c.verify_token(Some(ACCT)).await.unwrap();
    assert_eq!(info.owner, TokenOwner::Account);
    let paths: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            "/client/v4/user/tokens/verify".to_string(),
            format!("/client/v4/accounts/{ACCT}/tokens/verify")
        ]
    );
    // Without an account id the 1000 is returned as is, with the --account-id hint.
    let e = c.verify_token(None).await.unwrap_err();
    assert_eq!(e.code(), Some(1000));
    assert!(e.hint().unwrap().contains("--account-id"));
}

#[tokio::test]
async fn unknown_token_is_invalid_with_exit_auth() {
    let emu = emulator(Seed::Sandbox).await;
    let tok = "cfut_this_token_does_not_exist_at_all_000000";
    let c = client(&emu, tok);
    let e = c.verify_token(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_eq!(e.code(), Some(1000));
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.exit_kind(), Kind::Auth);
    assert!(e.to_string().contains("Invalid API Token"), "{e}");
    assert_no_token(&e, tok);
    // Not retried: a 4xx is final.
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn malformed_token_header_is_invalid_token() {
    let emu = emulator(Seed::Sandbox).await;
    let c = client(&emu, "two words");
    let e = c.list_accounts().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_eq!(e.code(), Some(6003));
    assert!(e.to_string().contains("6111"), "{e}");
}

#[tokio::test]
async fn expired_and_disabled_tokens_are_auth_errors() {
    let emu = emulator(Seed::Sandbox).await;
    for (tok, status, kind) in [
        (
            "cfut_expired_token_for_tests_000000000000000",
            EmuStatus::Expired,
            ErrorKind::ExpiredToken,
        ),
        (
            "cfut_disabled_token_for_tests_00000000000000",
            EmuStatus::Disabled,
            ErrorKind::DisabledToken,
        ),
    ] {
        let mut spec = TokenSpec::user(tok, &[ACCT]);
        spec.status = status;
        emu.add_token(spec);
        let e = client(&emu, tok).verify_token(None).await.unwrap_err();
        assert_eq!(e.kind(), kind);
        assert_eq!(e.exit_kind(), Kind::Auth);
        assert!(e.hint().unwrap().contains("aigate rotate"));
        // Any other call with it: 10000 Authentication error.
        let e = client(&emu, tok).list_gateways(ACCT).await.unwrap_err();
        assert_eq!(e.code(), Some(10000));
        assert_eq!(e.kind(), ErrorKind::InvalidToken);
    }
}

// ---------------------------------------------------------------- listings and pagination

#[tokio::test]
async fn accounts_are_listed_across_pages() {
    let emu = emulator(Seed::Empty).await;
    let ids: Vec<String> = (0..60).map(|i| format!("{i:032x}")).collect();
    for (i, id) in ids.iter().enumerate() {
        emu.add_account(id, &format!("Account {i:02}"));
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let tok = "cfut_many_accounts_token_000000000000000000";
    emu.add_token(TokenSpec::user(tok, &refs));
    let accounts = client(&emu, tok).list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 60);
    let mut got: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    got.sort();
    let mut want = refs.clone();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(accounts[0].kind, "standard");
    let pages: Vec<Option<String>> = emu.requests().iter().map(|r| r.query.clone()).collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[0].as_deref().unwrap().contains("per_page=50"));
    assert!(pages[1].as_deref().unwrap().contains("page=2"));
}

#[tokio::test]
async fn gateways_are_listed_across_pages() {
    let (emu, c) = sandbox_client().await;
    for i in 0..118 {
        emu.add_gateway(ACCT, &format!("gw-{i:03}"), true);
    }
    let gws = c.list_gateways(ACCT).await.unwrap();
    assert_eq!(gws.len(), 120, "118 added + the sandbox's two");
    let mut ids: Vec<&str> = gws.iter().map(|g| g.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120);
    assert_eq!(count(&emu, "GET", "/ai-gateway/gateways"), 2);
}

#[tokio::test]
async fn get_gateway_found_and_missing() {
    let (emu, c) = sandbox_client().await;
    let gw = c
        .get_gateway(ACCT, sandbox::TEAM_GATEWAY_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gw.id, sandbox::TEAM_GATEWAY_ID);
    assert_eq!(gw.authentication, Some(true));
    assert!(gw.created_at.is_some());
    assert!(
        c.get_gateway(ACCT, "no-such-gateway")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(emu.requests().len(), 2, "a 404 is an answer, not retried");
}

// ---------------------------------------------------------------- gateway create / update

#[tokio::test]
async fn create_gateway_sends_the_recommended_body() {
    let (emu, c) = sandbox_client().await;
    let gw = c
        .create_gateway(ACCT, &NewGateway::recommended("fresh-gw"))
        .await
        .unwrap();
    assert_eq!(gw.id, "fresh-gw");
    assert_eq!(gw.authentication, Some(true));
    assert!(gw.collect_logs);
    let stored = emu.gateway(ACCT, "fresh-gw").unwrap();
    assert_eq!(stored["authentication"], true);
    assert_eq!(stored["collect_logs"], true);
    assert_eq!(stored["cache_ttl"], 0);
}

#[tokio::test]
async fn invalid_or_duplicate_gateway_ids_are_validation_errors_verbatim() {
    let (emu, c) = sandbox_client().await;
    let e = c
        .create_gateway(ACCT, &NewGateway::recommended("Bad--ID"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.code(), Some(7001));
    assert!(e.to_string().contains("body.id"), "{e}");
    assert_eq!(e.exit_kind(), Kind::Other);

    let e = c
        .create_gateway(ACCT, &NewGateway::recommended(sandbox::TEAM_GATEWAY_ID))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(
        e.to_string()
            .contains("A gateway with that id already exists"),
        "{e}"
    );
    assert_eq!(count(&emu, "POST", "/gateways"), 2, "clear 4xx: no re-send");
}

#[tokio::test]
async fn update_gateway_is_get_modify_put() {
    let (emu, c) = sandbox_client().await;
    let mut gw = c
        .get_gateway(ACCT, sandbox::TEAM_GATEWAY_ID)
        .await
        .unwrap()
        .unwrap();
    gw.cache_ttl = Some(120);
    gw.collect_logs = false;
    let updated = c.update_gateway(ACCT, &gw.id.clone(), &gw).await.unwrap();
    assert_eq!(updated.cache_ttl, Some(120));
    assert!(!updated.collect_logs);
    let stored = emu.gateway(ACCT, sandbox::TEAM_GATEWAY_ID).unwrap();
    assert_eq!(stored["cache_ttl"], 120);
    let put = emu
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&put.body).unwrap();
    assert!(
        body.get("id").is_none() && body.get("created_at").is_none(),
        "{}",
        put.body
    );

    let e = c.update_gateway(ACCT, "gone-gw", &gw).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayMissing);
    assert!(e.hint().unwrap().contains("--create-gateway"));
}

#[tokio::test]
async fn missing_permissions_are_named_with_where_to_add_them() {
    let emu = emulator(Seed::Sandbox).await;
    let tok = "cfut_read_only_token_for_tests_0000000000000";
    let mut spec = TokenSpec::user(tok, &[ACCT]);
    spec.permissions = Permissions {
        ai_gateway_read: true,
        ..Permissions::none()
    };
    emu.add_token(spec);
    let c = client(&emu, tok);
    assert!(c.list_gateways(ACCT).await.is_ok());

    let e = c
        .create_gateway(ACCT, &NewGateway::recommended("x-gw"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingPermission("AI Gateway Write"));
    assert_eq!(e.code(), Some(9109));
    assert_eq!(e.exit_kind(), Kind::Auth);
    let h = e.hint().unwrap();
    assert!(
        h.contains("\"AI Gateway Write\"") && h.contains("AI Gateway › Edit"),
        "{h}"
    );
    assert!(h.contains("dash.cloudflare.com/profile/api-tokens"), "{h}");
    assert_no_token(&e, tok);

    let e = c
        .create_provider_config(
            ACCT,
            sandbox::TEAM_GATEWAY_ID,
            "openai",
            "default",
            &Secret::new("sk-test-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::MissingPermission("Secrets Store Write")
    );
    assert!(e.hint().unwrap().contains("Secrets Store › Edit"));

    let none = "cfut_no_permission_token_for_tests_000000000";
    let mut spec = TokenSpec::user(none, &[ACCT]);
    spec.permissions = Permissions::none();
    emu.add_token(spec);
    let e = client(&emu, none).list_gateways(ACCT).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingPermission("AI Gateway Read"));
}

// ---------------------------------------------------------------- provider configs, credits

#[tokio::test]
async fn provider_config_lifecycle() {
    let (emu, c) = sandbox_client().await;
    let g = sandbox::TEAM_GATEWAY_ID;
    let created = c
        .create_provider_config(
            ACCT,
            g,
            "openai",
            "default",
            &Secret::new("sk-first-key-0001"),
        )
        .await
        .unwrap();
    assert_eq!(created.provider_slug, "openai");
    assert_eq!(created.alias, "default");
    assert!(created.default_config);
    assert_eq!(
        emu.stored_provider_secret(ACCT, g, "openai").as_deref(),
        Some("sk-first-key-0001")
    );
    assert!(!format!("{created:?}").contains("sk-first-key-0001"));

    let listed = c.list_provider_configs(ACCT, g).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.id);

    c.update_provider_config(ACCT, g, &created.id, &Secret::new("sk-second-key-0002"))
        .await
        .unwrap();
    assert_eq!(
        emu.stored_provider_secret(ACCT, g, "openai").as_deref(),
        Some("sk-second-key-0002")
    );

    let dup = c
        .create_provider_config(ACCT, g, "openai", "default", &Secret::new("sk-third"))
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::Validation);

    c.delete_provider_config(ACCT, g, &created.id)
        .await
        .unwrap();
    assert!(c.list_provider_configs(ACCT, g).await.unwrap().is_empty());
    let e = c
        .delete_provider_config(ACCT, g, &created.id)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.code(), Some(7002));
}

#[tokio::test]
async fn credit_balance_is_read() {
    let (emu, c) = sandbox_client().await;
    let b = c.credit_balance(ACCT).await.unwrap();
    assert_eq!(b.balance, sandbox::CREDITS);
    emu.set_credits(ACCT, 3.5);
    assert_eq!(c.credit_balance(ACCT).await.unwrap().balance, 3.5);
}

// ---------------------------------------------------------------- retries

#[tokio::test]
async fn a_503_then_success_is_retried() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule {
        times: 1,
        ..FaultRule::new(
            "/accounts",
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
    });
    let accounts = c.list_accounts().await.unwrap();
    assert_eq!(accounts.len(), 2);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 200]);
}

#[tokio::test]
async fn a_429_with_retry_after_waits_at_least_that_long() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule {
        times: 1,
        ..FaultRule::new(
            "/ai-gateway/gateways",
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        )
    });
    let gws = c.list_gateways(ACCT).await.unwrap();
    assert_eq!(gws.len(), 2);
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].status, 429);
    let waited = reqs[1].at.duration_since(reqs[0].at);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn a_long_retry_after_gives_up_with_how_long_to_wait() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule::new(
        "/accounts",
        Fault::Status {
            status: 429,
            retry_after: Some(300),
        },
    ));
    let e = c.list_accounts().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(300)));
    assert!(e.to_string().contains("300 s"), "{e}");
    assert!(e.hint().unwrap().contains("300 s"));
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn persistent_5xx_and_html_pages_end_as_unreachable_after_all_attempts() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule::new(
        "/ai-gateway/gateways",
        Fault::Html { status: 502 },
    ));
    let e = c.list_gateways(ACCT).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.exit_kind(), Kind::Unreachable);
    assert_eq!(e.attempts(), 3);
    let s = e.to_string();
    assert!(
        s.contains("Cloudflare returned an HTML error page (status 502)"),
        "{s}"
    );
    assert!(!s.contains("<html"), "{s}");
    assert_eq!(emu.requests().len(), 3);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported_unreachable() {
    let (emu, c) = sandbox_client().await;
    let c = c
        .with_timeouts(Timeouts {
            api_total: Duration::from_millis(300),
            ..Timeouts::default()
        })
        .unwrap();
    emu.inject(FaultRule::new(
        "/accounts",
        Fault::Latency(Duration::from_secs(2)),
    ));
    let e = c.list_accounts().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unreachable);
    assert_eq!(e.exit_kind(), Kind::Unreachable);
    assert!(e.to_string().contains("did not answer in time"), "{e}");
    assert_eq!(e.attempts(), 3);
}

#[tokio::test]
async fn connection_refused_is_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Client::new(
        Endpoints::new(
            format!("http://127.0.0.1:{port}/client/v4"),
            format!("http://127.0.0.1:{port}/v1"),
        ),
        Secret::new("cfut_whatever_token_value_000000000000000000"),
    )
    .unwrap()
    .with_retry_policy(fast());
    let e = c.verify_token(None).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unreachable);
    assert_eq!(e.exit_kind(), Kind::Unreachable);
    assert!(e.hint().unwrap().contains("HTTPS_PROXY"));
    assert_no_token(&e, "cfut_whatever_token_value");
}

// ---------------------------------------------------------------- creates are never duplicated

#[tokio::test]
async fn create_gateway_after_reset_after_apply_is_not_duplicated() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule {
        method: Some("POST".into()),
        times: 1,
        ..FaultRule::new("/ai-gateway/gateways", Fault::ResetAfterApply)
    });
    let gw = c
        .create_gateway(ACCT, &NewGateway::recommended("uncertain-gw"))
        .await
        .unwrap();
    assert_eq!(gw.id, "uncertain-gw");
    assert_eq!(
        count(&emu, "POST", "/ai-gateway/gateways"),
        1,
        "exactly one POST"
    );
    let ids = emu.gateway_ids(ACCT);
    assert_eq!(ids.iter().filter(|i| *i == "uncertain-gw").count(), 1);
}

#[tokio::test]
async fn create_gateway_after_a_reset_that_did_not_apply_is_sent_once_more() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule {
        method: Some("POST".into()),
        times: 1,
        ..FaultRule::new("/ai-gateway/gateways", Fault::Reset)
    });
    let gw = c
        .create_gateway(ACCT, &NewGateway::recommended("second-try-gw"))
        .await
        .unwrap();
    assert_eq!(gw.id, "second-try-gw");
    assert_eq!(count(&emu, "POST", "/ai-gateway/gateways"), 2);
    assert_eq!(
        count(&emu, "GET", "/gateways/second-try-gw"),
        1,
        "looked before re-sending"
    );
}

#[tokio::test]
async fn create_gateway_with_persistent_5xx_posts_at_most_twice() {
    let (emu, c) = sandbox_client().await;
    emu.inject(FaultRule {
        method: Some("POST".into()),
        ..FaultRule::new(
            "/ai-gateway/gateways",
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        )
    });
    let e = c
        .create_gateway(ACCT, &NewGateway::recommended("never-gw"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert!(count(&emu, "POST", "/ai-gateway/gateways") <= 2);
    assert!(emu.gateway(ACCT, "never-gw").is_none());
}

#[tokio::test]
async fn create_provider_config_after_reset_after_apply_is_not_duplicated() {
    let (emu, c) = sandbox_client().await;
    let g = sandbox::TEAM_GATEWAY_ID;
    emu.inject(FaultRule {
        method: Some("POST".into()),
        times: 1,
        ..FaultRule::new("/provider_configs", Fault::ResetAfterApply)
    });
    let pc = c
        .create_provider_config(
            ACCT,
            g,
            "anthropic",
            "default",
            &Secret::new("sk-ant-test-0001"),
        )
        .await
        .unwrap();
    assert_eq!(pc.provider_slug, "anthropic");
    assert_eq!(count(&emu, "POST", "/provider_configs"), 1);
    assert_eq!(emu.provider_configs(ACCT, g).len(), 1);
}

// ---------------------------------------------------------------- diagnostics

#[tokio::test]
async fn the_logger_gets_one_line_per_attempt_without_secrets() {
    let (emu, c) = sandbox_client().await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let c = c.with_logger(Arc::new(move |l: &str| {
        sink.lock().unwrap().push(l.to_string())
    }));
    emu.inject(FaultRule {
        times: 1,
        ..FaultRule::new(
            "/accounts",
            Fault::Status {
                status: 500,
                retry_after: None,
            },
        )
    });
    c.list_accounts().await.unwrap();
    c.create_provider_config(
        ACCT,
        sandbox::TEAM_GATEWAY_ID,
        "openai",
        "default",
        &Secret::new("sk-logger-secret"),
    )
    .await
    .unwrap();
    let lines = lines.lock().unwrap().clone();
    assert!(lines[0].starts_with("GET /accounts → 500 ("), "{lines:?}");
    assert!(lines[0].ends_with("attempt 1)"), "{lines:?}");
    assert!(lines[1].starts_with("GET /accounts → 200 ("), "{lines:?}");
    assert!(lines[1].ends_with("attempt 2)"), "{lines:?}");
    for l in &lines {
        assert!(
            !l.contains(sandbox::TOKEN) && !l.contains("sk-logger-secret"),
            "{l}"
        );
    }
}

// ---------------------------------------------------------------- route creates found by listing

/// A version's and a deployment's reply carry no id: the client lists before and after the one
/// POST. When the POST is applied but its answer is lost, the listing still finds the new item,
/// and the POST is not sent again.
#[tokio::test]
async fn route_version_and_deployment_are_found_after_an_answer_is_lost() {
    use aigate::cloudflare::routes::fallback_graph;
    let (emu, c) = sandbox_client().await;
    let gw = sandbox::DEFAULT_GATEWAY_ID;
    let graph = fallback_graph(&["openai/gpt-5".to_string()]);
    let route = c.create_route(ACCT, gw, "lossy", &graph).await.unwrap();
    for what in ["/versions", "/deployments"] {
        emu.inject(FaultRule {
            method: Some("POST".into()),
            times: 1,
            ..FaultRule::new(what, Fault::ResetAfterApply)
        });
    }
    let version = c
        .create_route_version(ACCT, gw, &route.id, &graph)
        .await
        .unwrap();
    let dep = c
        .deploy_route_version(ACCT, gw, &route.id, &version)
        .await
        .unwrap();
    assert_eq!(dep.version_id, version);
    assert_eq!(count(&emu, "POST", "/versions"), 1, "one version POST");
    assert_eq!(
        count(&emu, "POST", "/deployments"),
        1,
        "one deployment POST"
    );
    let versions = c.list_route_versions(ACCT, gw, &route.id).await.unwrap();
    assert!(versions.iter().any(|v| v.version_id == version));

    // A POST that is refused and leaves nothing new behind is the error returned.
    emu.inject(FaultRule {
        method: Some("POST".into()),
        times: 1,
        ..FaultRule::new(
            "/deployments",
            Fault::Status {
                status: 400,
                retry_after: None,
            },
        )
    });
    let e = c
        .deploy_route_version(ACCT, gw, &route.id, &version)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
}
