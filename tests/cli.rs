//! The command-line surface of the contract: help lists every command, the version prints,
//! usage errors exit 2, and no flag accepts a secret as its value.

use assert_cmd::Command;

fn aigate() -> Command {
    let mut c = Command::cargo_bin("aigate").unwrap();
    c.env_clear().env("NO_COLOR", "1");
    c
}

#[test]
fn help_lists_every_command_of_the_contract() {
    let out = aigate().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "setup",
        "status",
        "rotate",
        "models",
        "test",
        "run",
        "logout",
        "shell-init",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(cmd)),
            "--help lacks {cmd}:\n{help}"
        );
    }
    for flag in [
        "--api-url",
        "--gateway-url",
        "--profile",
        "--json",
        "--no-color",
        "--verbose",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let setup =
        String::from_utf8_lossy(&aigate().args(["setup", "--help"]).output().unwrap().stdout)
            .into_owned();
    for flag in [
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        "--gateway",
        "--create-gateway",
        "--billing",
        "--byok-key",
        "--model",
        "--opencode-config",
        "--project",
        "--token-delivery",
        "--insecure-storage",
        "--skip-test",
        "--dry-run",
        "--sandbox",
    ] {
        assert!(setup.contains(flag), "setup --help lacks {flag}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = aigate().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("aigate {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = aigate()
        .args(["setup", "--billing", "cash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = aigate()
        .args(["setup", "--project", "--opencode-config", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn no_flag_takes_a_token_value() {
    // --token-stdin is a switch: a value after it is an unexpected argument, not a token.
    let out = aigate()
        .args(["setup", "--token-stdin=cfut_x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help =
        String::from_utf8_lossy(&aigate().args(["setup", "--help"]).output().unwrap().stdout)
            .into_owned();
    assert!(
        !help.contains("--token <"),
        "a flag takes the token as its value"
    );
}
