//! The setup flows whose round trips are measured (by `benches/setup_rounds.rs`) and pinned (by
//! `tests/request_plan.rs`): each runs the real `aigate` binary against the emulator with an
//! injected latency per request, and returns what the emulator saw.
//!
//! The token goes to aigate's 0600 file (`--insecure-storage`, no Secret Service is passed
//! in): the flows measure the network, and need no keychain.
#![allow(dead_code)]

use aigate::emulator::{Emulator, EmulatorOptions, Permissions, RecordedRequest, Seed, TokenSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
pub const TOKEN: &str = "cfut_BenchTokenAllPermissions000000000000000aa";
pub const TOKEN2: &str = "cfut_BenchTokenSecondAllPermissions00000000bb";
/// A user token that may also create API tokens: the default setup mints with it.
pub const ADMIN: &str = "cfut_BenchAdminTokenMayCreateTokens000000000cc";
pub const OPENAI_KEY: &str = "sk-proj-BenchOpenAiKey000000000000000000001";
pub const ANTHROPIC_KEY: &str = "sk-ant-BenchAnthropicKey0000000000000000002";

/// One measured flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    CreateUnified,
    ExistingUnified,
    ExistingByokTwoKeys,
    RerunNothingChanged,
    Rotate,
    ThousandGatewaysById,
    CreateUnifiedMint,
    ExistingUnifiedMint,
    RerunMinted,
    RotateMinted,
    ExistingUnifiedCannotMint,
    ExistingUnifiedPolicies,
}

impl Flow {
    pub const ALL: [Flow; 12] = [
        Flow::CreateUnified,
        Flow::ExistingUnified,
        Flow::ExistingByokTwoKeys,
        Flow::RerunNothingChanged,
        Flow::Rotate,
        Flow::ThousandGatewaysById,
        Flow::CreateUnifiedMint,
        Flow::ExistingUnifiedMint,
        Flow::RerunMinted,
        Flow::RotateMinted,
        Flow::ExistingUnifiedCannotMint,
        Flow::ExistingUnifiedPolicies,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flow::CreateUnified => "create gateway + Unified Billing + test",
            Flow::ExistingUnified => "existing gateway + Unified + test",
            Flow::ExistingByokTwoKeys => "existing + BYOK with two keys + test",
            Flow::RerunNothingChanged => "re-run, nothing changed",
            Flow::Rotate => "rotate",
            Flow::ThousandGatewaysById => "existing + Unified + test, 1000 gateways, --gateway ID",
            Flow::CreateUnifiedMint => "default (mint): create gateway + Unified + test",
            Flow::ExistingUnifiedMint => "default (mint): existing gateway + Unified + test",
            Flow::RerunMinted => "default (mint): re-run with the minted token stored",
            Flow::RotateMinted => "default (mint): rotate the minted token (roll)",
            Flow::ExistingUnifiedCannotMint => {
                "default, token cannot create tokens: existing + Unified + test"
            }
            Flow::ExistingUnifiedPolicies => {
                "existing + Unified + spend limit + fallback route + test"
            }
        }
    }

    /// The dependency floor in rounds: reads | writes that need them | the test prompt.
    pub fn floor(self) -> u32 {
        match self {
            // A new gateway: reads, create, the AI Gateway Run check (issue 10: before anything
            // local is written; an existing authenticated gateway proves Run with its model
            // list), then catalog + test prompt.
            Flow::CreateUnified => 4,
            Flow::ExistingByokTwoKeys => 3,
            Flow::ExistingUnified | Flow::RerunNothingChanged | Flow::ThousandGatewaysById => 2,
            Flow::Rotate => 1,
            // The default setup with a token that may create tokens mints a Run + Read token and
            // stores that one. The permission groups it names are looked up by name with the
            // first round's reads (they need only the account id); the mint is a write, so it
            // waits for the token's verification and the groups, and for nothing else: it goes
            // out beside the gateway's create. Its create reply grants AI Gateway Run, so no
            // Run check is sent for the new gateway; the test prompt goes out with the minted
            // token once it is stored: reads | create gateway + mint | catalog + test prompt.
            Flow::CreateUnifiedMint => 3,
            // reads | mint | test prompt.
            Flow::ExistingUnifiedMint => 3,
            // The stored minted token is the one given: it is kept, nothing is minted.
            Flow::RerunMinted => 2,
            // Rotate rolls the minted token's value with an admin token used once: the roll is a
            // write, so it waits for the admin token's verification: verify | roll.
            Flow::RotateMinted => 2,
            // The default setup with a token that may not create tokens (the usual token): the
            // permission-group look-ups are refused in the first round, the given token is
            // stored with its notice: reads | test prompt, as with `--token-scope as-given`.
            Flow::ExistingUnifiedCannotMint => 2,
            // The policies step: the route list joins the reads; the spend limit's PUT and the
            // route's create (its reply is the first version, deployed) go out together; the
            // test prompt goes through the route: reads | PUT + POST route | test prompt.
            Flow::ExistingUnifiedPolicies => 3,
        }
    }
}

/// What one run of a flow cost.
pub struct Measured {
    pub flow: Flow,
    pub latency: Duration,
    pub wall: Duration,
    pub code: i32,
    pub stderr: String,
    pub requests: Vec<RecordedRequest>,
    pub connections: usize,
}

impl Measured {
    /// wall / latency (0 without latency).
    pub fn rounds(&self) -> f64 {
        if self.latency.is_zero() {
            return 0.0;
        }
        self.wall.as_secs_f64() / self.latency.as_secs_f64()
    }

    /// The requests grouped into rounds: a request starts a new round when it arrived 0.9 of a
    /// latency or more after the first request of the current round (a request that needed an
    /// answer of that round cannot arrive before a whole latency has passed).
    pub fn rounds_in_log(&self) -> Vec<Vec<String>> {
        let mut reqs: Vec<&RecordedRequest> = self.requests.iter().collect();
        reqs.sort_by_key(|r| r.at);
        let mut rounds: Vec<Vec<String>> = vec![];
        let mut start: Option<Instant> = None;
        for r in reqs {
            if start.is_none_or(|s| r.at.duration_since(s) >= self.latency.mul_f64(0.9)) {
                start = Some(r.at);
                rounds.push(vec![]);
            }
            if let Some(last) = rounds.last_mut() {
                last.push(describe(r));
            }
        }
        for round in &mut rounds {
            round.sort();
        }
        rounds
    }

    pub fn widest_round(&self) -> usize {
        self.rounds_in_log().iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// `METHOD what`, with the account id and query left out: e.g. `GET gateways/existing-gw`.
pub fn describe(r: &RecordedRequest) -> String {
    let p = r.path.as_str();
    let what = if let Some(rest) = p.strip_prefix("/client/v4") {
        let rest = rest.replace(&format!("/accounts/{ACCOUNT}"), "");
        let rest = rest.replace("/ai-gateway/", "");
        rest.trim_start_matches('/').to_string()
    } else if let Some(rest) = p.strip_prefix(&format!("/v1/{ACCOUNT}/")) {
        format!("gateway:{rest}")
    } else {
        p.to_string()
    };
    // Permission groups are looked up by name: `GET tokens/permission_groups?name=AI Gateway Run`.
    let name = r
        .query
        .as_deref()
        .filter(|_| what.ends_with("permission_groups"))
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("name=")))
        .map(|n| format!("?name={}", n.replace("%20", " ").replace('+', " ")))
        .unwrap_or_default();
    format!("{} {what}{name}", r.method)
}

/// A fresh emulator, home and config dirs for one flow.
pub struct Bench {
    pub rt: tokio::runtime::Runtime,
    pub emu: Emulator,
    pub root: tempfile::TempDir,
    pub bin: PathBuf,
}

impl Bench {
    pub fn new(bin: &Path) -> Bench {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let emu = rt
            .block_on(Emulator::start(EmulatorOptions {
                tls_proxy: false,
                seed: Seed::Empty,
            }))
            .expect("the emulator starts");
        emu.add_account(ACCOUNT, "Acme Engineering");
        emu.set_credits(ACCOUNT, 10.0);
        emu.add_token(TokenSpec::user(TOKEN, &[ACCOUNT]));
        emu.add_token(TokenSpec::user(TOKEN2, &[ACCOUNT]));
        emu.add_token(TokenSpec {
            permissions: Permissions::admin(),
            ..TokenSpec::user(ADMIN, &[ACCOUNT])
        });
        emu.add_gateway(ACCOUNT, "existing-gw", true);
        let root = tempfile::Builder::new()
            .prefix("aigate-bench-")
            .tempdir()
            .expect("a temp dir");
        Bench {
            rt,
            emu,
            root,
            bin: bin.to_path_buf(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let home = self.root.path();
        let mut cmd = Command::new(&self.bin);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("AIGATE_API_URL", self.emu.api_url())
            .env("AIGATE_GATEWAY_URL", self.emu.gateway_url())
            .env("AIGATE_KEYRING_SERVICE", "aigate-bench-unused")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("NO_COLOR", "1")
            .env("OPENAI_KEY_FOR_BENCH", OPENAI_KEY)
            .env("ANTHROPIC_KEY_FOR_BENCH", ANTHROPIC_KEY)
            .current_dir(home)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Run aigate with `stdin`; (exit code, stderr, wall time).
    pub fn run(&self, args: &[&str], stdin: &str) -> (i32, String, Duration) {
        use std::io::Write;
        let started = Instant::now();
        let mut child = self.command(args).spawn().expect("aigate starts");
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("aigate ends");
        let wall = started.elapsed();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            wall,
        )
    }
}

/// `--token-scope as-given`: setup storing the token given. The default setup (minting a
/// Run + Read token when the token may create tokens) is measured by the `default` flows.
const SETUP: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--insecure-storage",
    "--token-scope",
    "as-given",
];

fn setup_args(extra: &[&'static str]) -> Vec<&'static str> {
    SETUP.iter().copied().chain(extra.iter().copied()).collect()
}

const EXISTING_UNIFIED: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
];

/// The default setup (no `--token-scope`): with [`ADMIN`] it mints a Run + Read token.
const MINT_SETUP: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--insecure-storage",
];

fn mint_args(extra: &[&'static str]) -> Vec<&'static str> {
    MINT_SETUP
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

/// Prepare the world without latency, then run the measured command with it.
pub fn measure(bin: &Path, flow: Flow, latency: Duration) -> Measured {
    let b = Bench::new(bin);
    let (args, stdin): (Vec<&str>, &str) = match flow {
        Flow::CreateUnified => (
            setup_args(&[
                "--account-id",
                ACCOUNT,
                "--gateway",
                "new-gw",
                "--create-gateway",
                "--billing",
                "unified",
            ]),
            TOKEN,
        ),
        Flow::ExistingUnified => (setup_args(EXISTING_UNIFIED), TOKEN),
        Flow::ExistingByokTwoKeys => (
            setup_args(&[
                "--account-id",
                ACCOUNT,
                "--gateway",
                "existing-gw",
                "--byok-key",
                "openai=OPENAI_KEY_FOR_BENCH",
                "--byok-key",
                "anthropic=ANTHROPIC_KEY_FOR_BENCH",
            ]),
            TOKEN,
        ),
        Flow::RerunNothingChanged => {
            prepare(&b);
            (vec!["setup", "--non-interactive", "--insecure-storage"], "")
        }
        Flow::Rotate => {
            prepare(&b);
            (vec!["rotate", "--token-stdin", "--non-interactive"], TOKEN2)
        }
        Flow::ThousandGatewaysById => {
            for i in 0..999 {
                b.emu.add_gateway(ACCOUNT, &format!("team-{i:04}"), true);
            }
            (setup_args(EXISTING_UNIFIED), TOKEN)
        }
        Flow::CreateUnifiedMint => (
            mint_args(&[
                "--account-id",
                ACCOUNT,
                "--gateway",
                "new-gw",
                "--create-gateway",
                "--billing",
                "unified",
            ]),
            ADMIN,
        ),
        Flow::ExistingUnifiedMint => (mint_args(EXISTING_UNIFIED), ADMIN),
        Flow::ExistingUnifiedCannotMint => (mint_args(EXISTING_UNIFIED), TOKEN),
        Flow::ExistingUnifiedPolicies => (
            setup_args(&[
                "--account-id",
                ACCOUNT,
                "--gateway",
                "existing-gw",
                "--billing",
                "unified",
                "--model",
                "openai/gpt-5-mini",
                "--spend-limit",
                "5/1d",
                "--fallback-model",
                "anthropic/claude-haiku-4.5",
            ]),
            TOKEN,
        ),
        Flow::RerunMinted => {
            prepare_minted(&b);
            (vec!["setup", "--non-interactive", "--insecure-storage"], "")
        }
        Flow::RotateMinted => {
            prepare_minted(&b);
            (vec!["rotate", "--token-stdin", "--non-interactive"], ADMIN)
        }
    };
    b.emu.clear_requests();
    b.emu.set_latency((!latency.is_zero()).then_some(latency));
    let before = b.emu.connections();
    let (code, stderr, wall) = b.run(&args, stdin);
    b.emu.set_latency(None);
    Measured {
        flow,
        latency,
        wall,
        code,
        stderr,
        requests: b.emu.requests(),
        connections: b.emu.connections() - before,
    }
}

/// A first setup (existing gateway, Unified Billing), so the flow re-runs over it.
fn prepare(b: &Bench) {
    let (code, stderr, _) = b.run(&setup_args(EXISTING_UNIFIED), TOKEN);
    assert_eq!(code, 0, "the first setup failed:\n{stderr}");
}

/// A first default setup with [`ADMIN`]: a minted Run + Read token is stored.
fn prepare_minted(b: &Bench) {
    let (code, stderr, _) = b.run(&mint_args(EXISTING_UNIFIED), ADMIN);
    assert_eq!(code, 0, "the first setup failed:\n{stderr}");
    assert!(
        stderr.contains("only AI Gateway Run and Read"),
        "the first setup minted no token:\n{stderr}"
    );
}
