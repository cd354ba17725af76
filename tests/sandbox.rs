//! `aigate setup --sandbox`, the README's first command: the whole wizard against the
//! embedded emulator, with no terminal and no flags, touching nothing outside its own
//! throwaway directory (not HOME, not the keychain).

use assert_cmd::Command;

#[test]
fn sandbox_runs_every_step_without_flags_and_touches_nothing_else() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("aigate").unwrap();
    let out = cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("NO_COLOR", "1")
        // No keychain at all: the sandbox must not need one.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/aigate-sandbox-test",
        )
        .args(["setup", "--sandbox", "--keep-sandbox", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for step in [
        "1. Cloudflare API token",
        "2. Account",
        "3. AI Gateway",
        "4. Billing",
        "5. Models",
        "6. Policies",
        "7. Token storage",
        "Plan",
        "Applying",
        "Checking the gateway",
    ] {
        assert!(stderr.contains(step), "missing step {step:?}:\n{stderr}");
    }
    assert!(
        stderr.contains("Hello from the aigate emulator"),
        "{stderr}"
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["test"]["ok"], true);
    let dir = std::path::PathBuf::from(j["sandbox_dir"].as_str().unwrap());
    assert!(
        j["opencode_config"]
            .as_str()
            .unwrap()
            .starts_with(dir.to_str().unwrap())
    );
    assert!(dir.join("config/opencode/opencode.json").exists());
    // HOME and the XDG dirs were not touched.
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "the sandbox wrote into HOME"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sandbox_byok_keys_without_a_billing_flag_mean_byok() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("aigate")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("SANDBOX_OPENAI_KEY", "sk-sandbox-openai-key-000000000001")
        .args([
            "setup",
            "--sandbox",
            "--json",
            "--byok-key",
            "openai=SANDBOX_OPENAI_KEY",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["billing"], "byok");
    assert_eq!(j["byok_providers"], serde_json::json!(["openai"]));
    assert!(!stderr.contains("sk-sandbox-openai-key"));
    assert!(
        !std::path::Path::new(j["sandbox_dir"].as_str().unwrap()).exists(),
        "the sandbox directory is removed at exit"
    );
}
