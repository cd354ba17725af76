//! A hermetic world for black-box tests of the `aigate` binary: a temporary HOME and XDG dirs,
//! the Cloudflare emulator on 127.0.0.1, a keychain service of the test's own, and helpers to
//! snapshot the disk and scan everything aigate printed or wrote for secrets.
#![allow(dead_code)]

use aigate::emulator::{
    Emulator, EmulatorOptions, Permissions, Seed, TokenOwner, TokenSpec, TokenStatus,
};
use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT2: &str = "fedcba9876543210fedcba9876543210";
pub const TOKEN: &str = "cfut_TestTokenAllPermissions0000000000000000aa";
pub const TOKEN2: &str = "cfut_TestTokenSecondAllPermissions000000000bb";
pub const TOKEN_READONLY: &str = "cfut_TestTokenReadRunNoWrite00000000000000cc";
pub const TOKEN_NO_SECRETS: &str = "cfut_TestTokenNoSecretsStore0000000000000dd";
pub const TOKEN_NO_RUN: &str = "cfut_TestTokenNoRunPermission00000000000000ee";
pub const TOKEN_INVALID: &str = "cfut_NotKnownToCloudflare00000000000000000ff";

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub emu: Emulator,
    pub root: tempfile::TempDir,
    pub keyring_service: String,
    /// Everything aigate printed, for the secret scan.
    pub transcript: std::cell::RefCell<Vec<u8>>,
}

/// Tests that store a token need a real Secret Service: run them through `bash .ci/test`.
pub fn require_keyring() {
    if std::env::var("AIGATE_TEST_KEYRING").as_deref() != Ok("1") {
        panic!(
            "this test needs a running Secret Service: run the suite with `bash .ci/test` \
             (or `bash .ci/with-keyring.sh cargo test`)"
        );
    }
}

impl World {
    pub fn new() -> World {
        Self::with_options(EmulatorOptions {
            tls_proxy: false,
            seed: Seed::Empty,
        })
    }

    /// A world whose emulator also answers for Cloudflare's real hosts through an HTTPS proxy
    /// (for the real clients), and the path of the proxy's CA certificate.
    pub fn with_tls_proxy() -> (World, PathBuf) {
        let w = Self::with_options(EmulatorOptions {
            tls_proxy: true,
            seed: Seed::Empty,
        });
        let ca = w.root.path().join("emulator-ca.pem");
        std::fs::write(&ca, w.emu.ca_cert_pem().expect("the proxy mode has a CA")).unwrap();
        (w, ca)
    }

    /// `cmd` in this world's environment only, behind the emulator's HTTPS proxy, trusting its
    /// CA (`ca`, from [`World::with_tls_proxy`]) as a Node client does.
    pub fn proxied(&self, cmd: &mut std::process::Command, ca: &Path) {
        cmd.env_clear()
            .current_dir(self.workdir())
            .envs(self.env())
            .env("HTTPS_PROXY", self.emu.proxy_url())
            .env("HTTP_PROXY", self.emu.proxy_url())
            .env("NODE_EXTRA_CA_CERTS", ca);
    }

    pub fn with_options(opts: EmulatorOptions) -> World {
        require_keyring();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emu = rt.block_on(Emulator::start(opts)).unwrap();
        emu.add_account(ACCOUNT, "Acme Engineering");
        emu.add_account(ACCOUNT2, "Acme Research");
        emu.set_credits(ACCOUNT, 10.0);
        let all = Permissions::all();
        for (value, perms) in [
            (TOKEN, all),
            (TOKEN2, all),
            (
                TOKEN_READONLY,
                Permissions {
                    ai_gateway_write: false,
                    ..all
                },
            ),
            (
                TOKEN_NO_SECRETS,
                Permissions {
                    secrets_store_write: false,
                    ..all
                },
            ),
            (
                TOKEN_NO_RUN,
                Permissions {
                    ai_gateway_run: false,
                    ..all
                },
            ),
        ] {
            emu.add_token(TokenSpec {
                value: value.into(),
                owner: TokenOwner::User,
                status: TokenStatus::Active,
                expires_on: None,
                accounts: vec![ACCOUNT.into(), ACCOUNT2.into()],
                permissions: perms,
            });
        }
        emu.add_gateway(ACCOUNT, "existing-gw", true);
        let root = tempfile::Builder::new()
            .prefix("aigate-test-")
            .tempdir()
            .unwrap();
        for d in ["home", "config", "data", "work"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        let keyring_service = format!("aigate-test-{}-{}", std::process::id(), fastrand::u64(..));
        World {
            rt,
            emu,
            root,
            keyring_service,
            transcript: Default::default(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }
    pub fn config_home(&self) -> PathBuf {
        self.root.path().join("config")
    }
    pub fn data_home(&self) -> PathBuf {
        self.root.path().join("data")
    }
    pub fn workdir(&self) -> PathBuf {
        self.root.path().join("work")
    }
    pub fn opencode_config(&self) -> PathBuf {
        self.config_home().join("opencode").join("opencode.json")
    }
    pub fn auth_json(&self) -> PathBuf {
        self.data_home().join("opencode").join("auth.json")
    }
    pub fn state_file(&self) -> PathBuf {
        self.config_home().join("aigate").join("profiles.json")
    }

    /// The environment `aigate` runs with in this world; nothing else is inherited.
    pub fn env(&self) -> Vec<(String, std::ffi::OsString)> {
        let mut env: Vec<(String, std::ffi::OsString)> = vec![
            ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
            ("HOME".into(), self.home().into()),
            ("XDG_CONFIG_HOME".into(), self.config_home().into()),
            ("XDG_DATA_HOME".into(), self.data_home().into()),
            ("AIGATE_API_URL".into(), self.emu.api_url().into()),
            ("AIGATE_GATEWAY_URL".into(), self.emu.gateway_url().into()),
            (
                "AIGATE_KEYRING_SERVICE".into(),
                self.keyring_service.clone().into(),
            ),
            ("NO_PROXY".into(), "127.0.0.1,localhost".into()),
            ("NO_COLOR".into(), "1".into()),
        ];
        for var in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] {
            if let Some(v) = std::env::var_os(var) {
                env.push((var.into(), v));
            }
        }
        env
    }

    /// `aigate` with this world's environment and nothing inherited that could leak in.
    pub fn aigate(&self) -> Command {
        let mut cmd = Command::cargo_bin("aigate").unwrap();
        cmd.env_clear().current_dir(self.workdir()).envs(self.env());
        cmd
    }

    /// The same, as a plain `std::process::Command` (for a pseudo-terminal).
    pub fn aigate_std(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("aigate"));
        cmd.env_clear()
            .current_dir(self.workdir())
            .envs(self.env())
            .env("TERM", "xterm-256color");
        cmd
    }

    /// Run and record the output for the secret scan.
    pub fn run(&self, cmd: &mut Command) -> Output {
        let out = cmd.output().unwrap();
        let mut t = self.transcript.borrow_mut();
        t.extend_from_slice(&out.stdout);
        t.extend_from_slice(&out.stderr);
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `aigate setup --non-interactive` with the token on stdin and the given flags.
    pub fn setup(&self, token: &str, args: &[&str]) -> Output {
        let mut cmd = self.aigate();
        cmd.arg("setup")
            .arg("--non-interactive")
            .arg("--token-stdin")
            .args(args)
            .write_stdin(token);
        self.run(&mut cmd)
    }

    /// Wait (at most 20 s) until the emulator has seen a request matching `seen`.
    #[track_caller]
    pub fn wait_for_request(
        &self,
        what: &str,
        seen: impl Fn(&aigate::emulator::RecordedRequest) -> bool,
    ) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !self.emu.requests().iter().any(&seen) {
            assert!(
                std::time::Instant::now() < deadline,
                "aigate never sent {what}"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Every file under the world's root with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        walk(self.root.path(), &mut out);
        out
    }

    /// The token as the keychain holds it, read with `secret-tool` (a tool we did not write).
    pub fn keychain_lookup(&self, profile: &str) -> Option<String> {
        secret_tool_lookup(&self.keyring_service, profile)
    }

    /// Assert that no secret appears in anything aigate printed or any file under the root,
    /// except where a file is meant to hold it (auth.json, mode 0600).
    pub fn assert_no_leak(&self, secrets: &[&str]) {
        let transcript = self.transcript.borrow();
        let printed = String::from_utf8_lossy(&transcript);
        for s in secrets {
            assert!(!printed.contains(s), "a secret appeared in aigate's output");
        }
        for (path, bytes) in self.snapshot() {
            if path.file_name().is_some_and(|n| n == "auth.json") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for s in secrets {
                assert!(!text.contains(s), "a secret appeared in {}", path.display());
            }
        }
    }
}

/// Starts `cmd` with stdin, stdout and stderr piped, writes `input` to its stdin and closes
/// it (so the child reads to EOF), and returns the running child.
pub fn spawn_with_stdin(cmd: &mut std::process::Command, input: &str) -> std::process::Child {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child
}

pub fn secret_tool_lookup(service: &str, profile: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", profile])
        .output()
        .expect("secret-tool is installed by .ci/test");
    if out.status.success() && !out.stdout.is_empty() {
        Some(
            String::from_utf8_lossy(&out.stdout)
                .trim_end_matches('\n')
                .to_string(),
        )
    } else {
        None
    }
}

fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(b) = std::fs::read(&p) {
            out.insert(p, b);
        }
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// Setup's answers for the seeded `existing-gw` with Unified Billing and no test prompt: the
/// profile most command tests start from.
pub const EXISTING_UNIFIED: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--skip-test",
];

/// [`EXISTING_UNIFIED`] with the model named (`openai/gpt-5-mini`), as most suites set up.
pub const EXISTING_UNIFIED_MINI: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--model",
    "openai/gpt-5-mini",
    "--skip-test",
];

/// A world whose default profile is set up with [`EXISTING_UNIFIED`].
pub fn set_up_existing() -> World {
    let w = World::new();
    w.setup(TOKEN, EXISTING_UNIFIED).assert_code(0);
    w
}

/// `doc` is valid against `schemas/<name>.json`.
#[track_caller]
pub fn assert_schema(name: &str, doc: &serde_json::Value) {
    let path = format!("{}/schemas/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v.iter_errors(doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{name}.json: {errors:?}\n{doc:#}");
}
