//! `aigate snippet --for …`: every target validates against `schemas/snippet.json`, never
//! holds the token (only a reference to CLOUDFLARE_API_TOKEN), and the curl and Python ones
//! actually run against the emulator through `aigate run` (Python's `openai` and `anthropic`
//! from PyPI, installed by `.ci/test` into target/py-sdk; those two tests skip, saying so,
//! only when the packages could not be installed).

mod common;
use common::*;
use std::path::PathBuf;

const TARGETS: [&str; 5] = [
    "openai-ts",
    "openai-python",
    "anthropic-python",
    "curl",
    "env",
];

fn world(model: &str) -> World {
    let w = World::new();
    w.setup(
        TOKEN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "existing-gw",
            "--billing",
            "unified",
            "--model",
            model,
            "--skip-test",
        ],
    )
    .assert_code(0);
    w
}

fn snippet(w: &World, target: &str, json: bool) -> Output {
    let mut cmd = w.aigate();
    cmd.args(["snippet", "--for", target]);
    if json {
        cmd.arg("--json");
    }
    w.run(&mut cmd)
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/snippet.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn every_target_matches_the_schema_and_never_inlines_the_token() {
    let w = world("openai/gpt-5-mini");
    let v = validator();
    for t in TARGETS {
        let out = snippet(&w, t, true);
        out.assert_code(0);
        let doc = out.json();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{t}: {errors:?}");
        assert_eq!(doc["for"], t);
        let code = doc["code"].as_str().unwrap();
        assert!(
            code.contains("CLOUDFLARE_API_TOKEN"),
            "{t} does not read the token variable"
        );
        assert!(
            code.contains(ACCOUNT) && code.contains("existing-gw"),
            "{t}: ids missing"
        );
        // Human output is the code itself, on stdout.
        let human = snippet(&w, t, false);
        human.assert_code(0);
        assert_eq!(human.stdout.trim_end(), code.trim_end(), "{t}");
    }
    w.assert_no_leak(&[TOKEN]);
}

#[test]
fn a_bad_target_is_a_usage_error_naming_the_flag() {
    let w = World::new();
    let out = w.run(w.aigate().args(["snippet", "--for", "ruby"]));
    out.assert_code(2).assert_stderr_contains("--for");
    assert!(w.emu.requests().is_empty(), "a request was sent");
}

/// Run `interpreter FILE` through `aigate run` with the snippet in FILE.
fn run_snippet(w: &World, target: &str, interpreter: &str, file: &str) -> Output {
    let code = snippet(w, target, true).json()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let path = w.workdir().join(file);
    std::fs::write(&path, code).unwrap();
    let mut cmd = w.aigate();
    cmd.args(["run", "--", interpreter]).arg(&path);
    w.run(&mut cmd)
}

fn gateway_auth_of_last(w: &World, path_end: &str) -> (Option<String>, Option<String>) {
    let r = w
        .emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path.ends_with(path_end))
        .unwrap_or_else(|| panic!("nothing reached …{path_end}"));
    (
        r.header("cf-aig-authorization").map(str::to_string),
        r.header("authorization").map(str::to_string),
    )
}

#[test]
fn the_curl_snippet_runs_against_the_gateway() {
    let w = world("openai/gpt-5-mini");
    let out = run_snippet(&w, "curl", "sh", "snippet.sh");
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Hello from the aigate emulator (model openai/gpt-5-mini)"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let (cf, auth) = gateway_auth_of_last(&w, "/existing-gw/compat/chat/completions");
    assert_eq!(cf.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(auth, None, "a provider key was sent");
}

/// The venv `.ci/test` makes, when it has both SDKs; else why not.
fn python() -> Result<PathBuf, String> {
    let py = std::env::var_os("AIGATE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py-sdk/bin/python")
        });
    let ok = std::process::Command::new(&py)
        // find_spec locates the packages without importing them (imports are slow).
        .args([
            "-c",
            "import importlib.util as u, sys; sys.exit(not (u.find_spec('openai') and u.find_spec('anthropic')))",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(py)
    } else {
        Err(format!(
            "SKIPPED: {} cannot import openai and anthropic (PyPI was unreachable when .ci/test ran)",
            py.display()
        ))
    }
}

#[test]
fn the_openai_python_snippet_runs_on_the_rest_route() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => return eprintln!("{why}"),
    };
    let w = world("openai/gpt-5-mini");
    let out = run_snippet(&w, "openai-python", py.to_str().unwrap(), "app.py");
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Hello from the aigate emulator (model openai/gpt-5-mini)"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let r = w
        .emu
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == format!("/client/v4/accounts/{ACCOUNT}/ai/v1/chat/completions"))
        .expect("nothing reached the REST route");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(r.header("cf-aig-gateway-id"), Some("existing-gw"));
}

#[test]
fn the_anthropic_python_snippet_runs_on_the_messages_route() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => return eprintln!("{why}"),
    };
    let w = world("anthropic/claude-sonnet-4.5");
    let out = run_snippet(&w, "anthropic-python", py.to_str().unwrap(), "app.py");
    out.assert_code(0);
    assert!(
        out.stdout
            .contains("Hello from the aigate emulator (model anthropic/claude-sonnet-4-5)"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let (cf, _) = gateway_auth_of_last(&w, "/existing-gw/anthropic/v1/messages");
    assert_eq!(cf.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
}
