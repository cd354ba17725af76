//! Codex's profile file as `aigate setup --client codex` and `aigate logout` leave it: the
//! user's comments and tables in it survive, re-runs are byte-identical, logout removes
//! exactly what aigate added, the user's `config.toml` (other profiles included) is never
//! touched, and no file holds the token. Claude Code: nothing written by default.

mod common;
use common::*;
use std::path::PathBuf;

const GW: &str = "existing-gw";

fn codex_home(w: &World) -> PathBuf {
    w.root.path().join("codex")
}

fn setup(w: &World, extra: &[&str]) -> Output {
    let mut cmd = w.aigate();
    cmd.env("CODEX_HOME", codex_home(w))
        .args([
            "setup",
            "--non-interactive",
            "--token-stdin",
            "--account-id",
            ACCOUNT,
            "--gateway",
            GW,
            "--billing",
            "unified",
            "--skip-test",
        ])
        .args(extra)
        .write_stdin(TOKEN);
    w.run(&mut cmd)
}

fn logout(w: &World) -> Output {
    let mut cmd = w.aigate();
    cmd.env("CODEX_HOME", codex_home(w)).arg("logout");
    w.run(&mut cmd)
}

const USER_CONFIG: &str =
    "# my Codex settings\nmodel = \"o3\"\n\n[profiles.fast]\nmodel = \"o4-mini\" # quick\n";
const USER_PROFILE: &str = "# notes I keep in aigate's profile\nmodel_reasoning_effort = \"high\" # mine\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\"\n";

#[test]
fn merge_keeps_the_users_lines_reruns_are_identical_and_logout_removes_only_aigates() {
    let w = World::new();
    let home = codex_home(&w);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("config.toml"), USER_CONFIG).unwrap();
    let profile = home.join("aigate.config.toml");
    std::fs::write(&profile, USER_PROFILE).unwrap();

    setup(&w, &["--model", "openai/gpt-5-mini", "--client", "codex"]).assert_code(0);
    let first = std::fs::read_to_string(&profile).unwrap();
    // Every line of the user's, comments included, still there and in order.
    let mut lines = first.lines();
    for want in USER_PROFILE.lines().filter(|l| !l.is_empty()) {
        assert!(
            lines.any(|l| l == want),
            "the user's line {want:?} was lost or moved:\n{first}"
        );
    }
    let doc: toml_edit::DocumentMut = first.parse().unwrap();
    assert_eq!(
        doc["model_provider"].as_str(),
        Some("cloudflare-ai-gateway")
    );
    assert_eq!(doc["model"].as_str(), Some("gpt-5-mini"));
    let p = &doc["model_providers"]["cloudflare-ai-gateway"];
    assert_eq!(
        p["base_url"].as_str(),
        Some(format!("{}/{ACCOUNT}/{GW}/openai", w.emu.gateway_url()).as_str())
    );
    assert_eq!(p["wire_api"].as_str(), Some("responses"));
    assert_eq!(
        p["env_http_headers"]["cf-aig-authorization"].as_str(),
        Some("AIGATE_CF_AIG_TOKEN")
    );
    assert_eq!(
        doc["mcp_servers"]["docs"]["command"].as_str(),
        Some("docs-mcp")
    );
    let backups = std::fs::read_dir(&home)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("aigate.config.toml.bak-")
        })
        .count();
    assert_eq!(backups, 1, "the user's profile file was not backed up");

    // A re-run with the same answers writes nothing new.
    let before = w.snapshot();
    setup(&w, &["--model", "openai/gpt-5-mini", "--client", "codex"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), first);
    assert_eq!(w.snapshot(), before, "a re-run changed a file");

    assert_eq!(
        std::fs::read_to_string(home.join("config.toml")).unwrap(),
        USER_CONFIG
    );
    w.assert_no_leak(&[TOKEN]);

    logout(&w).assert_code(0);
    assert_eq!(
        std::fs::read_to_string(&profile).unwrap(),
        USER_PROFILE,
        "logout did not remove exactly what aigate added"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("config.toml")).unwrap(),
        USER_CONFIG
    );
}

#[test]
fn a_non_openai_model_gives_codex_its_default_and_says_so() {
    let w = World::new();
    let out = setup(
        &w,
        &[
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--client",
            "codex",
            "--client",
            "opencode",
        ],
    );
    out.assert_code(0)
        .assert_stderr_contains("Codex needs an openai/ model; it will use openai/gpt-5-mini")
        .assert_stderr_contains("Launch Codex:      aigate run -- codex");
    let text = std::fs::read_to_string(codex_home(&w).join("aigate.config.toml")).unwrap();
    assert!(text.contains("model = \"gpt-5-mini\""), "{text}");
    assert!(
        w.opencode_config().exists(),
        "OpenCode's config was not written"
    );
}

#[test]
fn invalid_codex_profile_is_refused_before_anything_is_written() {
    let w = World::new();
    let home = codex_home(&w);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("aigate.config.toml"), "model = [\n").unwrap();
    let before = w.snapshot();
    let out = setup(&w, &["--client", "codex", "--model", "openai/gpt-5-mini"]);
    assert_ne!(out.code, 0);
    out.assert_stderr_contains("aigate.config.toml is not valid TOML");
    assert_eq!(w.snapshot(), before, "something was written");
    assert_eq!(w.keychain_lookup("default"), None, "the token was stored");
}

#[test]
fn claude_code_alone_writes_nothing_of_its_own() {
    let w = World::new();
    let out = setup(
        &w,
        &[
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--client",
            "claude-code",
            "--json",
        ],
    );
    out.assert_code(0);
    assert_eq!(out.json()["clients"], serde_json::json!(["claude-code"]));
    assert!(
        !w.home().join(".claude").exists(),
        "a Claude Code file was written"
    );
    assert!(!codex_home(&w).exists(), "a Codex file was written");
    w.assert_no_leak(&[TOKEN]);
}

#[test]
fn run_without_a_codex_profile_says_how_to_make_one() {
    let w = World::new();
    setup(&w, &["--model", "openai/gpt-5-mini"]).assert_code(0);
    let mut cmd = w.aigate();
    cmd.env("CODEX_HOME", codex_home(&w))
        .args(["run", "--", "codex", "exec", "hi"]);
    let out = w.run(&mut cmd);
    out.assert_code(1)
        .assert_stderr_contains("aigate.config.toml is missing")
        .assert_stderr_contains("aigate setup --client codex");
}

fn doctor_client_checks(w: &World) -> Vec<serde_json::Value> {
    let mut cmd = w.aigate();
    cmd.env("CODEX_HOME", codex_home(w))
        .args(["doctor", "--json"]);
    let doc = w.run(&mut cmd).json();
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let id = c["id"].as_str().unwrap_or_default();
            id.starts_with("client.codex") || id.starts_with("client.claude-code")
        })
        .cloned()
        .collect()
}

fn status_of<'a>(checks: &'a [serde_json::Value], id: &str) -> Option<&'a str> {
    checks
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
}

#[test]
fn doctor_checks_the_codex_profile_it_wrote() {
    let w = World::new();
    // Neither agent installed nor configured: doctor says nothing about them.
    setup(&w, &["--model", "openai/gpt-5-mini"]).assert_code(0);
    assert!(doctor_client_checks(&w).is_empty());

    setup(&w, &["--model", "openai/gpt-5-mini", "--client", "codex"]).assert_code(0);
    let checks = doctor_client_checks(&w);
    assert_eq!(
        status_of(&checks, "client.codex.profile"),
        Some("ok"),
        "{checks:#?}"
    );
    assert_eq!(status_of(&checks, "client.codex.installed"), Some("warn"));

    // A profile pointing elsewhere fails, with the command that fixes it.
    let path = codex_home(&w).join("aigate.config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("existing-gw", "another-gw")).unwrap();
    let checks = doctor_client_checks(&w);
    let c = checks
        .iter()
        .find(|c| c["id"] == "client.codex.profile")
        .unwrap();
    assert_eq!(c["status"], "fail");
    assert_eq!(c["fix"], "aigate setup --client codex");

    // A legacy [profiles.aigate] table in config.toml makes Codex refuse --profile: named.
    std::fs::write(
        codex_home(&w).join("config.toml"),
        "[profiles.aigate]\nmodel = \"o3\"\n",
    )
    .unwrap();
    let checks = doctor_client_checks(&w);
    assert_eq!(
        status_of(&checks, "client.codex.legacy-profile"),
        Some("fail")
    );
}

#[test]
fn claude_settings_delivery_is_opt_in_loud_0600_and_undone_by_logout() {
    let w = World::new();
    let settings = w.home().join(".claude").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let user = "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"MY_VAR\": \"1\"\n  }\n}\n";
    std::fs::write(&settings, user).unwrap();

    let out = setup(
        &w,
        &[
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--token-delivery",
            "claude-settings",
        ],
    );
    out.assert_code(0)
        .assert_stderr_contains("PLAINTEXT")
        .assert_stderr_contains("settings.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(v["model"], "opus");
    assert_eq!(v["env"]["MY_VAR"], "1");
    assert_eq!(
        v["env"]["ANTHROPIC_CUSTOM_HEADERS"],
        format!("cf-aig-authorization: Bearer {TOKEN}")
    );
    assert_eq!(
        v["env"]["ANTHROPIC_BASE_URL"],
        format!("{}/{ACCOUNT}/{GW}/anthropic", w.emu.gateway_url())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&settings).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // No backup of a file that now holds the token.
    let copies = std::fs::read_dir(settings.parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(copies, 1, "a backup of settings.json was made");

    logout(&w).assert_code(0);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), user);
    w.assert_no_leak(&[TOKEN]);
}

/// `aigate test --client codex|claude-code` sends the prompt the way that agent does: Codex
/// with the Responses API and an openai/ model (its default when the profile's model is of
/// another vendor), Claude Code with Anthropic Messages; a model the agent cannot send is
/// refused before any request.
#[test]
fn test_takes_codex_and_claude_codes_routes() {
    let w = World::new();
    setup(&w, &["--model", "anthropic/claude-sonnet-4.5"]).assert_code(0);
    let inference = |w: &World| -> Vec<String> {
        w.emu
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && !r.path.contains("/client/v4/"))
            .map(|r| format!("{} {}", r.path, r.body))
            .collect()
    };

    w.emu.clear_requests();
    let j = w
        .run(w.aigate().args(["--json", "test", "--client", "codex"]))
        .assert_code(0)
        .json();
    assert_eq!(j["client"], "codex");
    assert_eq!(j["model"], "openai/gpt-5-mini");
    assert_eq!(j["route"], "Universal endpoint, openai v1/responses");
    let sent = inference(&w);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("v1/responses") && sent[0].contains("gpt-5-mini"),
        "{sent:?}"
    );

    w.emu.clear_requests();
    let j = w
        .run(
            w.aigate()
                .args(["--json", "test", "--client", "claude-code"]),
        )
        .assert_code(0)
        .json();
    assert_eq!(j["client"], "claude-code");
    assert_eq!(j["model"], "anthropic/claude-sonnet-4.5");
    assert_eq!(j["route"], "Universal endpoint, anthropic v1/messages");
    assert_eq!(inference(&w).len(), 1);

    w.emu.clear_requests();
    w.run(w.aigate().args([
        "test",
        "--client",
        "codex",
        "--model",
        "anthropic/claude-sonnet-4.5",
    ]))
    .assert_code(2)
    .assert_stderr_contains("Codex sends only openai/ models");
    assert!(w.emu.requests().is_empty(), "{:?}", w.emu.requests());
}

fn settings_env(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Rotate left the old token in Claude Code's settings.json (opt-in delivery), so Claude Code
/// broke after a rotate. Now the file carries the new token only, 0600, the user's keys kept,
/// in the same commit unit as the keychain; a file rotate cannot read refuses first.
#[test]
fn rotate_rewrites_claude_settings_with_the_new_token() {
    let w = World::new();
    let settings = w.home().join(".claude").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let user = "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"MY_VAR\": \"1\"\n  }\n}\n";
    std::fs::write(&settings, user).unwrap();
    setup(
        &w,
        &[
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--token-delivery",
            "claude-settings",
        ],
    )
    .assert_code(0);
    assert!(std::fs::read_to_string(&settings).unwrap().contains(TOKEN));

    // A settings file rotate cannot read: refused before anything changes.
    let good = std::fs::read(&settings).unwrap();
    std::fs::write(&settings, "{ broken").unwrap();
    w.run(
        w.aigate()
            .args(["rotate", "--token-stdin"])
            .write_stdin(TOKEN2),
    )
    .assert_code(1)
    .assert_stderr_contains("settings.json");
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), "{ broken");
    std::fs::write(&settings, &good).unwrap();

    let out = w.run(
        w.aigate()
            .args(["rotate", "--token-stdin", "--json"])
            .write_stdin(TOKEN2),
    );
    out.assert_code(0);
    let j = out.json();
    assert_schema("rotate", &j);
    assert_eq!(j["claude_settings"], settings.to_str().unwrap());
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN2));
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(
        !text.contains(TOKEN),
        "the old token is still in settings.json"
    );
    let v = settings_env(&settings);
    assert_eq!(
        v["env"]["ANTHROPIC_CUSTOM_HEADERS"],
        format!("cf-aig-authorization: Bearer {TOKEN2}")
    );
    assert_eq!(v["model"], "opus");
    assert_eq!(v["env"]["MY_VAR"], "1");
    #[cfg(unix)]
    assert_eq!(mode(&settings), 0o600);
    // Logout still removes exactly aigate's variables.
    logout(&w).assert_code(0);
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), user);
}

/// The minted-token path: setup stores a minted Run + Read token and settings.json carries
/// that one (never the admin token given to setup); rotate rolls it and rewrites the file.
#[test]
fn rotate_of_a_minted_token_rewrites_claude_settings() {
    use aigate::emulator::{Permissions, TokenSpec};
    const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000d7";
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT])
    });
    let settings = w.home().join(".claude").join("settings.json");
    w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            GW,
            "--billing",
            "unified",
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--token-delivery",
            "claude-settings",
            "--skip-test",
        ],
    )
    .assert_code(0);
    let old = w.keychain_lookup("default").unwrap();
    assert_ne!(old, ADMIN);
    assert!(w.emu.token_grant(&old).is_some());
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(
        !text.contains(ADMIN),
        "the admin token was written to settings.json"
    );
    assert!(text.contains(&old), "{text}");

    let out = w.run(
        w.aigate()
            .args(["rotate", "--token-stdin", "--json"])
            .write_stdin(ADMIN),
    );
    out.assert_code(0);
    let j = out.json();
    assert_schema("rotate", &j);
    assert_eq!(j["method"], "rolled");
    assert_eq!(j["claude_settings"], settings.to_str().unwrap());
    let new = w.keychain_lookup("default").unwrap();
    assert_ne!(new, old);
    let v = settings_env(&settings);
    assert_eq!(
        v["env"]["ANTHROPIC_CUSTOM_HEADERS"],
        format!("cf-aig-authorization: Bearer {new}")
    );
    let text = std::fs::read_to_string(&settings).unwrap();
    assert!(!text.contains(&old) && !text.contains(ADMIN), "{text}");
    #[cfg(unix)]
    assert_eq!(mode(&settings), 0o600);
}
