//! The request plan of each setup flow, pinned through the emulator's request log: which
//! requests are sent, how many, and which go together in one round. A change that adds a
//! round, a request or a connection fails here. (The flows are those of the benchmark,
//! `benches/setup_rounds.rs`; wall times are measured there, not asserted here.)
//!
//! Every request is delayed by 250 ms in the emulator, so requests sent together (one round)
//! and requests sent after an answer (the next round) are told apart by when they arrived.

#[path = "../benches/support/flows.rs"]
mod flows;

use flows::{Flow, Measured, measure};
use std::path::Path;
use std::time::Duration;

const LATENCY: Duration = Duration::from_millis(250);

fn run(flow: Flow) -> Measured {
    let m = measure(Path::new(env!("CARGO_BIN_EXE_aigate")), flow, LATENCY);
    assert_eq!(m.code, 0, "{}:\n{}", flow.name(), m.stderr);
    m
}

#[track_caller]
fn assert_plan(m: &Measured, expected: &[&[&str]]) {
    let got = m.rounds_in_log();
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|r| {
            let mut r: Vec<String> = r.iter().map(|s| s.to_string()).collect();
            r.sort();
            r
        })
        .collect();
    assert_eq!(got, want, "{}: the request plan changed", m.flow.name());
    assert_eq!(
        got.len() as u32,
        m.flow.floor(),
        "{}: more rounds than its floor",
        m.flow.name()
    );
    assert!(
        m.connections <= m.widest_round(),
        "{}: {} connections for at most {} requests at once (one pool, keep-alive)",
        m.flow.name(),
        m.connections,
        m.widest_round()
    );
}

const VERIFY: &str = "GET user/tokens/verify";
const ACCOUNTS: &str = "GET accounts";
const BALANCE: &str = "GET billing/credit-balance";
const GET_GW: &str = "GET gateways/existing-gw";
const MODELS: &str = "GET gateway:existing-gw/compat/models";
const CHAT: &str = "POST gateway:existing-gw";

#[test]
fn create_with_unified_billing_is_four_rounds_and_never_gets_twice() {
    let m = run(Flow::CreateUnified);
    assert_plan(
        &m,
        &[
            // --account-id, first run: the account list only for the account's name.
            &[VERIFY, ACCOUNTS, "GET gateways/new-gw", BALANCE],
            &["POST gateways"],
            // AI Gateway Run on the new gateway, proven (one minimal prompt) before anything
            // local is written (issue 10).
            &["POST gateway:new-gw"],
            // The new gateway's catalog is read beside the test prompt.
            &["GET gateway:new-gw/compat/models", "POST gateway:new-gw"],
        ],
    );
}

#[test]
fn existing_gateway_with_unified_billing_is_two_rounds() {
    let m = run(Flow::ExistingUnified);
    assert_plan(&m, &[&[VERIFY, ACCOUNTS, GET_GW, BALANCE, MODELS], &[CHAT]]);
}

#[test]
fn byok_with_two_keys_stores_them_together_after_one_round_of_reads() {
    let m = run(Flow::ExistingByokTwoKeys);
    assert_plan(
        &m,
        &[
            &[
                VERIFY,
                ACCOUNTS,
                GET_GW,
                MODELS,
                "GET gateways/existing-gw/provider_configs",
            ],
            &[
                "POST gateways/existing-gw/provider_configs",
                "POST gateways/existing-gw/provider_configs",
            ],
            &[CHAT],
        ],
    );
}

#[test]
fn a_rerun_reads_once_and_lists_nothing() {
    let m = run(Flow::RerunNothingChanged);
    // The profile names the account (and its name) and the gateway: no list at all.
    assert_plan(&m, &[&[VERIFY, GET_GW, BALANCE, MODELS], &[CHAT]]);
}

#[test]
fn rotate_checks_the_new_token_in_one_round() {
    let m = run(Flow::Rotate);
    assert_plan(&m, &[&[VERIFY, GET_GW, MODELS]]);
}

#[test]
fn a_thousand_gateways_cost_nothing_with_gateway_id() {
    let m = run(Flow::ThousandGatewaysById);
    assert_plan(&m, &[&[VERIFY, ACCOUNTS, GET_GW, BALANCE, MODELS], &[CHAT]]);
}

/// The gateway picker's list over 1000 gateways: the first page tells the total, the other
/// nine pages are then fetched together: two rounds, not ten.
#[test]
fn a_long_list_costs_two_rounds() {
    use aigate::Secret;
    use aigate::cloudflare::{Client, Endpoints};
    let b = flows::Bench::new(Path::new(env!("CARGO_BIN_EXE_aigate")));
    for i in 0..999 {
        b.emu
            .add_gateway(flows::ACCOUNT, &format!("team-{i:04}"), true);
    }
    b.emu.clear_requests();
    b.emu.set_latency(Some(LATENCY));
    let before = b.emu.connections();
    let client = Client::new(
        Endpoints::new(b.emu.api_url(), b.emu.gateway_url()),
        Secret::new(flows::TOKEN),
    )
    .unwrap();
    let gateways = b.rt.block_on(client.list_gateways(flows::ACCOUNT)).unwrap();
    assert_eq!(gateways.len(), 1000);
    assert_eq!(gateways[0].id, "existing-gw", "pages are joined in order");
    assert_eq!(gateways[999].id, "team-0998");
    let m = Measured {
        flow: Flow::ThousandGatewaysById,
        latency: LATENCY,
        wall: Duration::ZERO,
        code: 0,
        stderr: String::new(),
        requests: b.emu.requests(),
        connections: b.emu.connections() - before,
    };
    let rounds = m.rounds_in_log();
    assert_eq!(
        rounds.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![1, 9],
        "{rounds:?}"
    );
    assert!(m.connections <= 9, "{} connections", m.connections);
}

// The default setup: a token that may create tokens gets a Run + Read token minted and stored.

const GROUPS: [&str; 4] = [
    "GET tokens/permission_groups?name=AI Gateway Read",
    "GET tokens/permission_groups?name=AI Gateway Run",
    "GET user/tokens/permission_groups?name=AI Gateway Read",
    "GET user/tokens/permission_groups?name=AI Gateway Run",
];
const MINT: &str = "POST tokens";

/// Round one plus the permission-group look-ups of both scopes (a user token may mint an
/// account-owned token, or else a user token): none of them waits for another answer.
fn with_groups(reads: &[&'static str]) -> Vec<&'static str> {
    reads.iter().copied().chain(GROUPS).collect()
}

#[test]
fn minting_looks_the_permission_groups_up_in_the_first_round_and_never_verifies_twice() {
    let m = run(Flow::ExistingUnifiedMint);
    let first = with_groups(&[VERIFY, ACCOUNTS, GET_GW, BALANCE, MODELS]);
    // reads | the mint (a write: after the verify and the groups) | the test prompt, which
    // goes out with the minted token. The new token is not verified by a request of its own.
    assert_plan(&m, &[&first, &[MINT], &[CHAT]]);
    let prompt = m
        .requests
        .iter()
        .find(|r| r.method == "POST" && r.path.contains("existing-gw"))
        .expect("a test prompt");
    let auth = prompt
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("cf-aig-authorization"))
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let value = auth.strip_prefix("Bearer ").expect("a bearer token");
    assert_ne!(value, flows::ADMIN, "the test prompt used the given token");
    assert!(
        value.starts_with("cfat_"),
        "the test prompt uses the minted (account-owned) token"
    );
}

#[test]
fn minting_with_a_new_gateway_mints_beside_the_gateway_create() {
    let m = run(Flow::CreateUnifiedMint);
    let first = with_groups(&[VERIFY, ACCOUNTS, "GET gateways/new-gw", BALANCE]);
    // No Run check with the given token: the minted token (the one stored) was granted Run.
    assert_plan(
        &m,
        &[
            &first,
            &["POST gateways", MINT],
            &["GET gateway:new-gw/compat/models", "POST gateway:new-gw"],
        ],
    );
}

#[test]
fn a_rerun_with_the_minted_token_keeps_it_and_looks_nothing_up() {
    let m = run(Flow::RerunMinted);
    // The stored token is account-owned (`cfat_`): verified at the account's endpoint.
    assert_plan(
        &m,
        &[&["GET tokens/verify", GET_GW, BALANCE, MODELS], &[CHAT]],
    );
}

#[test]
fn rotating_a_minted_token_is_verify_then_roll() {
    let m = run(Flow::RotateMinted);
    let got = m.rounds_in_log();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0], vec![VERIFY.to_string()]);
    assert_eq!(got[1].len(), 1, "{got:?}");
    assert!(
        got[1][0].starts_with("PUT tokens/") && got[1][0].ends_with("/value"),
        "{got:?}"
    );
    assert_eq!(got.len() as u32, m.flow.floor());
}

#[test]
fn a_token_that_cannot_mint_falls_back_without_a_round_of_its_own() {
    let m = run(Flow::ExistingUnifiedCannotMint);
    let first = with_groups(&[VERIFY, ACCOUNTS, GET_GW, BALANCE, MODELS]);
    assert_plan(&m, &[&first, &[CHAT]]);
    assert!(
        m.stderr.contains("cannot create API tokens"),
        "the notice is shown:\n{}",
        m.stderr
    );
}

/// HTTP/2 where the server offers it. Through the emulator's TLS mode (Cloudflare's host
/// names, a CONNECT proxy, ALPN offering `h2` as Cloudflare's edge does) the run's one pool
/// speaks HTTP/2: a round of reads to the API host shares one connection, the requests in
/// flight together on it (HTTP/1.1 would need a connection per request in flight).
#[test]
fn a_round_of_reads_is_multiplexed_over_one_http2_connection() {
    use aigate::Secret;
    use aigate::cloudflare::{Client, Endpoints};
    use aigate::emulator::{Emulator, EmulatorOptions, Seed, TokenSpec};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorOptions {
            tls_proxy: true,
            seed: Seed::Empty,
        }))
        .unwrap();
    let account = flows::ACCOUNT;
    emu.add_account(account, "Acme Engineering");
    emu.set_credits(account, 10.0);
    emu.add_token(TokenSpec::user(flows::TOKEN, &[account]));
    emu.add_gateway(account, "existing-gw", true);
    let client = Client::new(Endpoints::cloudflare(), Secret::new(flows::TOKEN))
        .unwrap()
        .with_proxy(&emu.proxy_url())
        .unwrap()
        .with_extra_root_ca(&emu.ca_cert_pem().unwrap())
        .unwrap();
    emu.set_latency(Some(LATENCY));
    let first = rt.block_on(async {
        tokio::join!(
            client.verify_token(Some(account)),
            client.list_accounts(),
            client.get_gateway(account, "existing-gw"),
            client.credit_balance(account),
        )
    });
    assert!(first.0.is_ok() && first.1.is_ok() && first.2.is_ok() && first.3.is_ok());
    let second = rt.block_on(async {
        tokio::join!(
            client.verify_token(Some(account)),
            client.list_accounts(),
            client.get_gateway(account, "existing-gw"),
            client.credit_balance(account),
        )
    });
    assert!(second.0.is_ok() && second.1.is_ok() && second.2.is_ok() && second.3.is_ok());
    let reqs: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "CONNECT")
        .collect();
    assert_eq!(reqs.len(), 8, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.via_tls));
    let mut conns: Vec<usize> = reqs.iter().map(|r| r.connection).collect();
    conns.sort();
    conns.dedup();
    assert_eq!(
        conns.len(),
        1,
        "one HTTP/2 connection for the API host: {conns:?}"
    );
    // Multiplexed, not one after another: the first round's four arrived together.
    let mut at: Vec<_> = reqs.iter().map(|r| r.at).collect();
    at.sort();
    assert!(
        at[3].duration_since(at[0]) < LATENCY / 2,
        "the first round's requests were sent one after another"
    );
    // Before the first answer tells that the server speaks HTTP/2, the first round's requests
    // may each open a tunnel (racing); the first one ready carries them all and the others
    // are dropped unused. Never more than the round's width, never one more afterwards.
    assert!(emu.connections() <= 4, "{} tunnels", emu.connections());
}

/// The policies step at its floor: the route list joins the first round; the spend limit's one
/// PUT and the route's one POST (its create reply is the first version, already deployed) go
/// out together; the test prompt goes through the route.
#[test]
fn a_spend_limit_and_a_fallback_route_cost_one_round_of_writes() {
    let m = run(Flow::ExistingUnifiedPolicies);
    assert_plan(
        &m,
        &[
            &[
                VERIFY,
                ACCOUNTS,
                BALANCE,
                GET_GW,
                MODELS,
                "GET gateways/existing-gw/routes",
            ],
            &[
                "PUT gateways/existing-gw",
                "POST gateways/existing-gw/routes",
            ],
            // `dynamic/aigate-default` by OpenCode 1's route for it: the REST route.
            &["POST ai/v1/chat/completions"],
        ],
    );
}
