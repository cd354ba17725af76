//! OpenCode 2 through the aigate binary: detection (V2, the real V1, none, the override),
//! `aigate run` adding `--standalone`, `--token-delivery opencode-auth` storing, rotating and
//! removing the credential through V2's server API, and `status`/`doctor` warning about a V2
//! service that lacks the token.
//!
//! OpenCode 2 cannot be installed here, so two STAND-INS take its place (README, "OpenCode 2"):
//! `tests/v2/opencode` (answers `--version` like V2, starts the fake service, records how it
//! was launched) and `tests/v2/fake-opencode-server.mjs` (V2's discovery file, health,
//! connect/key and delete routes, built from V2's sources). The real OpenCode 1.18.33
//! (`AIGATE_TEST_OPENCODE`) is used for V1 detection.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const BASE: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--skip-test",
];

fn stand_in_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("v2")
}

/// A world whose PATH holds `bin` (then the system dirs, for `node` and `sh`), with its own
/// XDG state dir, and which stops the fake V2 service it may have started.
struct V2World {
    w: World,
    path: std::ffi::OsString,
    service: Option<std::process::Child>,
}

impl V2World {
    fn new(bin: Option<&Path>) -> V2World {
        let w = World::new();
        let mut dirs: Vec<PathBuf> = bin.map(Path::to_path_buf).into_iter().collect();
        dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
        let path = std::env::join_paths(dirs).unwrap();
        std::fs::create_dir_all(w.root.path().join("state")).unwrap();
        V2World {
            w,
            path,
            service: None,
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.w.root.path().join("state").join("opencode")
    }

    fn aigate(&self) -> assert_cmd::Command {
        let mut c = self.w.aigate();
        c.env("PATH", &self.path)
            .env("XDG_STATE_HOME", self.w.root.path().join("state"))
            .env(
                "FAKE_OPENCODE_LOG",
                self.w.root.path().join("launches.jsonl"),
            );
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.w.run(self.aigate().args(args))
    }

    fn setup(&self, token: &str, extra: &[&str]) -> Output {
        let mut c = self.aigate();
        c.args(["setup", "--non-interactive", "--token-stdin"])
            .args(BASE)
            .args(extra)
            .write_stdin(token);
        self.w.run(&mut c)
    }

    /// What the fake V2 server holds (its stand-in for `opencode.db`).
    fn db(&self) -> Vec<Value> {
        let f = self.state_dir().join("fake-opencode-db.json");
        match std::fs::read(&f) {
            Ok(b) => serde_json::from_slice::<Value>(&b).unwrap()["credentials"]
                .as_array()
                .unwrap()
                .clone(),
            Err(_) => vec![],
        }
    }

    fn launches(&self) -> Vec<Value> {
        std::fs::read_to_string(self.w.root.path().join("launches.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Start the fake V2 background service the way a V2 client would, and wait for it.
    fn start_service(&mut self) {
        let child = std::process::Command::new(stand_in_dir().join("opencode"))
            .args(["serve", "--service"])
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", self.w.home())
            .env("XDG_STATE_HOME", self.w.root.path().join("state"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.service = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !self.state_dir().join("service.json").exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the fake service did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for V2World {
    fn drop(&mut self) {
        if let Some(mut c) = self.service.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Ok(b) = std::fs::read(self.state_dir().join("service.json"))
            && let Ok(v) = serde_json::from_slice::<Value>(&b)
            && let Some(pid) = v["pid"].as_u64()
        {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
    }
}

fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {doc}"))
}

fn real_opencode_dir() -> PathBuf {
    let p = std::env::var_os("AIGATE_TEST_OPENCODE").map(PathBuf::from).expect(
        "AIGATE_TEST_OPENCODE is not set: run the suite with `bash .ci/test`, which installs OpenCode",
    );
    p.parent().unwrap().to_path_buf()
}

#[test]
fn detects_v2_the_real_v1_none_and_the_override() {
    // OpenCode 2 (stand-in).
    let v2 = V2World::new(Some(&stand_in_dir()));
    let doc = v2.run(&["--json", "doctor"]).json();
    let c = check(&doc, "client.opencode.version");
    assert_eq!(c["status"], "ok");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .starts_with("OpenCode 2.0.9 at "),
        "{c}"
    );
    assert_eq!(check(&doc, "client.opencode.service")["status"], "ok");

    // The real OpenCode 1.18.33.
    let v1 = V2World::new(Some(&real_opencode_dir()));
    let doc = v1.run(&["--json", "doctor"]).json();
    let c = check(&doc, "client.opencode.version");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .starts_with("OpenCode 1.18.33 at "),
        "{c}"
    );
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "client.opencode.service"),
        "V1 has no background service to check"
    );

    // None.
    let none = V2World::new(None);
    let doc = none.run(&["--json", "doctor"]).json();
    let c = check(&doc, "client.opencode.version");
    assert_eq!(c["status"], "warn");
    assert!(
        c["message"].as_str().unwrap().contains("not installed"),
        "{c}"
    );

    // The override, where `opencode --version` cannot run.
    let out = none.w.run(
        none.aigate()
            .env("AIGATE_OPENCODE_VERSION", "2")
            .args(["--json", "doctor"]),
    );
    let c = check(&out.json(), "client.opencode.version").clone();
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("OpenCode 2 (set by --opencode-version)"),
        "{c}"
    );
    // A bad value is refused by the flag's parser, naming it.
    let bad = none.run(&["--opencode-version", "3", "doctor"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("--opencode-version"), "{}", bad.stderr);
}

#[test]
fn run_starts_v2_with_standalone_unless_the_user_chose_a_server() {
    let v = V2World::new(Some(&stand_in_dir()));
    v.setup(TOKEN, &[]).assert_code(0);

    let out = v.run(&["run", "--", "opencode", "run", "say hi"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("--standalone"),
        "said once: {}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("--standalone").count(), 1);
    let out = v.run(&[
        "run",
        "--",
        "opencode",
        "--server",
        "http://127.0.0.1:4096",
        "run",
        "hi",
    ]);
    out.assert_code(0);
    assert!(!out.stderr.contains("--standalone"));
    v.run(&["run", "--", "opencode"]).assert_code(0);
    // The same stand-in treated as V1 gets no flag.
    v.w.run(
        v.aigate()
            .env("AIGATE_OPENCODE_VERSION", "1")
            .args(["run", "--", "opencode", "run", "hi"]),
    )
    .assert_code(0);

    let l = v.launches();
    assert_eq!(l.len(), 4);
    assert_eq!(
        l[0]["args"],
        serde_json::json!(["run", "--standalone", "say hi"])
    );
    assert_eq!(
        l[1]["args"],
        serde_json::json!(["--server", "http://127.0.0.1:4096", "run", "hi"])
    );
    assert_eq!(l[2]["args"], serde_json::json!(["--standalone"]));
    assert_eq!(l[3]["args"], serde_json::json!(["run", "hi"]));
    for launch in &l {
        assert_eq!(launch["token_set"], true);
        assert_eq!(launch["account"], ACCOUNT);
        assert_eq!(launch["gateway"], "existing-gw");
    }
}

#[test]
fn opencode_auth_on_v2_stores_rotates_and_removes_through_its_server() {
    let v = V2World::new(Some(&stand_in_dir()));
    // No service runs yet: aigate starts one (`opencode serve --service`) and stores the token.
    let out = v.setup(TOKEN, &["--token-delivery", "opencode-auth"]);
    out.assert_code(0);
    let db = v.db();
    assert_eq!(db.len(), 1, "{db:?}");
    assert_eq!(db[0]["value"]["key"], TOKEN);
    assert_eq!(db[0]["value"]["metadata"]["accountId"], ACCOUNT);
    assert_eq!(db[0]["value"]["metadata"]["gatewayId"], "existing-gw");
    assert!(
        db[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("aigate:default:")
    );
    assert!(
        !v.w.auth_json().exists(),
        "V2 ignores auth.json after its first import"
    );
    assert_eq!(v.w.keychain_lookup("default").as_deref(), Some(TOKEN));

    // status: V2 holds this token.
    let doc = v.run(&["--json", "status"]).json();
    assert_eq!(
        check(&doc, "client.opencode.service-token")["status"],
        "ok",
        "{doc}"
    );

    // Rotation posts again and verifies V2 holds the new one.
    let mut c = v.aigate();
    c.args(["rotate", "--token-stdin"]).write_stdin(TOKEN2);
    v.w.run(&mut c).assert_code(0);
    let db = v.db();
    assert_eq!(db.len(), 1);
    assert_eq!(db[0]["value"]["key"], TOKEN2);
    assert_eq!(v.w.keychain_lookup("default").as_deref(), Some(TOKEN2));

    // A rotation V2 refuses changes nothing: not V2's credential, not the keychain.
    std::fs::write(v.state_dir().join("fail-connect"), "").unwrap();
    let mut c = v.aigate();
    c.args(["rotate", "--token-stdin"]).write_stdin(TOKEN);
    let out = v.w.run(&mut c);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("OpenCode keeps its old one"),
        "{}",
        out.stderr
    );
    assert_eq!(v.db()[0]["value"]["key"], TOKEN2);
    assert_eq!(v.w.keychain_lookup("default").as_deref(), Some(TOKEN2));
    std::fs::remove_file(v.state_dir().join("fail-connect")).unwrap();

    // logout removes V2's copy through its delete call.
    let out = v.run(&["--json", "logout"]);
    out.assert_code(0);
    assert!(v.db().is_empty(), "{:?}", v.db());
    assert_eq!(v.w.keychain_lookup("default"), None);
    let removed = out.json()["removed"].to_string();
    assert!(removed.contains("OpenCode 2's credential"), "{removed}");

    // Every call used the discovery file's Basic auth; the token never went into a URL or
    // argv (the stand-in records the launches: only `serve --service` was started).
    let log = std::fs::read_to_string(v.state_dir().join("fake-opencode-requests.jsonl")).unwrap();
    assert!(log.lines().count() >= 6);
    for line in log.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        assert_eq!(r["basic_auth_ok"], true, "{line}");
        assert!(!line.contains(TOKEN) && !line.contains(TOKEN2));
    }
    assert!(
        v.launches().is_empty(),
        "no client was launched with the token"
    );
    v.w.assert_no_leak(&[TOKEN, TOKEN2]);
}

#[test]
fn status_and_doctor_warn_when_a_v2_service_runs_without_the_token() {
    let mut v = V2World::new(Some(&stand_in_dir()));
    v.setup(TOKEN, &[]).assert_code(0);
    v.start_service();

    let out = v.run(&["--json", "status"]);
    out.assert_code(0);
    let doc = out.json();
    assert!(
        check(&doc, "client.opencode.version")["message"]
            .as_str()
            .unwrap()
            .contains("2.0.9")
    );
    let c = check(&doc, "client.opencode.service-token");
    assert_eq!(c["status"], "warn", "{c}");
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .contains("aigate run -- opencode"),
        "{c}"
    );
    assert_eq!(doc["opencode"]["service"]["state"], "running");

    let out = v.run(&["doctor"]);
    assert!(
        out.stdout.contains("client.opencode.service-token"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("without this token"), "{}", out.stdout);
}
