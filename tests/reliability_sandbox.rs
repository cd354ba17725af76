//! `setup --sandbox` ignores every real token source and cleans up after itself (issue 8).

use assert_cmd::Command;
use std::path::Path;

fn sandbox_dirs(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("aigate-sandbox-"))
        .collect()
}

fn sandbox(
    home: &Path,
    tmp: &Path,
    extra: &[&str],
    env_token: bool,
    stdin: &str,
) -> (i32, String, serde_json::Value) {
    let mut cmd = Command::cargo_bin("aigate").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TMPDIR", tmp)
        .env("NO_COLOR", "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/aigate-sandbox-test",
        )
        .args(["setup", "--sandbox", "--json"])
        .args(extra)
        .write_stdin(stdin);
    if env_token {
        cmd.env("CLOUDFLARE_API_TOKEN", "anything");
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), stderr, json)
}

/// Before: the env token won over the demo token and the run exited 3; every run left its
/// directory behind.
#[test]
fn an_env_token_is_ignored_and_the_directory_is_removed() {
    let (home, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (code, stderr, j) = sandbox(home.path(), tmp.path(), &[], true, "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("CLOUDFLARE_API_TOKEN is set and ignored"),
        "{stderr}"
    );
    assert_eq!(j["token_source"], "the sandbox's demo token");
    assert_eq!(j["test"]["ok"], true);
    assert!(
        sandbox_dirs(tmp.path()).is_empty(),
        "left behind: {:?}",
        sandbox_dirs(tmp.path())
    );
    assert!(!Path::new(j["sandbox_dir"].as_str().unwrap()).exists());
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn token_stdin_is_not_read_and_keep_sandbox_keeps_the_directory() {
    let (home, tmp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (code, stderr, j) = sandbox(
        home.path(),
        tmp.path(),
        &["--token-stdin", "--keep-sandbox"],
        false,
        "not a token at all",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("--token-stdin is ignored"), "{stderr}");
    let dir = Path::new(j["sandbox_dir"].as_str().unwrap());
    assert!(dir.join("config/opencode/opencode.json").exists());
    assert_eq!(sandbox_dirs(tmp.path()).len(), 1);
    assert!(stderr.contains("kept: --keep-sandbox"), "{stderr}");
}

#[test]
fn keep_sandbox_needs_sandbox() {
    let mut cmd = Command::cargo_bin("aigate").unwrap();
    let out = cmd.args(["setup", "--keep-sandbox"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sandbox"));
}
