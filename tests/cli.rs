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

// --- Flags checked first: exit 2 naming the flag, zero requests, zero files ------------------

/// A Cloudflare emulator (with the sandbox's account and a valid token) and an empty home:
/// a bad flag must leave the emulator's request log and the home exactly as they were.
struct Probe {
    _rt: tokio::runtime::Runtime,
    emu: aigate::emulator::Emulator,
    home: tempfile::TempDir,
}

impl Probe {
    fn new() -> Probe {
        use aigate::emulator::{Emulator, EmulatorOptions, Seed};
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let emu = rt
            .block_on(Emulator::start(EmulatorOptions {
                tls_proxy: false,
                seed: Seed::Sandbox,
            }))
            .unwrap();
        let home = tempfile::Builder::new()
            .prefix("aigate-cli-")
            .tempdir()
            .unwrap();
        Probe { _rt: rt, emu, home }
    }

    /// `aigate` pointed at the emulator, with a valid token in the environment (so only the
    /// flag check stands between the command and its requests) and the empty home.
    fn aigate(&self) -> Command {
        let h = self.home.path();
        let mut c = aigate();
        c.current_dir(h)
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_DATA_HOME", h.join("data"))
            .env("AIGATE_API_URL", self.emu.api_url())
            .env("AIGATE_GATEWAY_URL", self.emu.gateway_url())
            .env("AIGATE_KEYRING_SERVICE", "aigate-cli-test-never-used")
            .env("NO_PROXY", "127.0.0.1")
            .env("CLOUDFLARE_API_TOKEN", aigate::emulator::sandbox::TOKEN)
            .env("OPENAI_API_KEY", "sk-test-openai-key-000000000000");
        c
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                out.push(p.clone());
                if p.is_dir() {
                    walk(&p, out);
                }
            }
        }
        let mut out = vec![];
        walk(self.home.path(), &mut out);
        out
    }

    /// Runs the command: exit 2, stderr names `names`, no request, no file.
    fn refused(&self, cmd: &mut Command, names: &str) -> String {
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {stderr}");
        assert!(
            stderr.contains(names),
            "{cmd:?}: stderr lacks {names}: {stderr}"
        );
        let requests = self.emu.requests();
        assert!(
            requests.is_empty(),
            "{cmd:?}: {} requests reached Cloudflare: {:?}",
            requests.len(),
            requests.iter().map(|r| &r.path).collect::<Vec<_>>()
        );
        assert_eq!(self.files(), Vec::<std::path::PathBuf>::new(), "{cmd:?}");
        stderr
    }
}

const ACCT: &str = aigate::emulator::sandbox::ACCOUNT_ID;

#[test]
fn a_good_setup_does_reach_the_emulator() {
    // The control for the tests below: the same world without a bad flag sends requests.
    let p = Probe::new();
    let out = p
        .aigate()
        .args(["setup", "--non-interactive", "--account-id", ACCT])
        .args([
            "--gateway",
            "default",
            "--billing",
            "unified",
            "--dry-run",
            "--insecure-storage",
        ])
        .output()
        .unwrap();
    assert!(!p.emu.requests().is_empty(), "{out:?}");
}

#[test]
fn each_bad_flag_exits_2_naming_it_before_any_request_or_file() {
    let setup = ["setup", "--non-interactive", "--billing", "byok"];
    let cases: &[(&[&str], &str)] = &[
        (&["--gateway", "Bad Id"], "--gateway"),
        (&["--gateway", "a--b"], "--gateway"),
        (&["--gateway", &"g".repeat(65)], "--gateway"),
        (&["--account-id", "12345"], "--account-id"),
        (
            &["--account-id", "zz4db0c0000000000000000000000001"],
            "--account-id",
        ),
        (&["--byok-key", "foo"], "--byok-key"),
        (
            &["--byok-key", "nosuchprovider=OPENAI_API_KEY"],
            "--byok-key",
        ),
        (
            &["--byok-key", "openai=AIGATE_UNSET_VARIABLE"],
            "--byok-key",
        ),
        (&["--byok-key", "openai=sk-literal-key"], "--byok-key"),
        (
            &[
                "--byok-key",
                "openai=OPENAI_API_KEY",
                "--byok-key",
                "openai=OPENAI_API_KEY",
            ],
            "--byok-key",
        ),
        (&["--model", "gpt-5-mini"], "--model"),
        (&["--model", "openai/gpt 5"], "--model"),
        (&["--small-model", "/nano"], "--small-model"),
        (&["--profile", "x; echo PWNED"], "--profile"),
        (&["--spend-limit", "5/1y"], "--spend-limit"),
        (&["--spend-limit", "0/1d"], "--spend-limit"),
        (&["--fallback-model", "gpt-5"], "--fallback-model"),
    ];
    for (flags, name) in cases {
        let p = Probe::new();
        let mut cmd = p.aigate();
        cmd.args(setup)
            .args(["--account-id", ACCT, "--gateway", "default"]);
        cmd.args(*flags);
        p.refused(&mut cmd, name);
    }
    let p = Probe::new();
    p.refused(p.aigate().args(["test", "--model", "nomodel"]), "--model");
    // The one variable that tunes the network, checked the same way.
    for bad in ["soon", "0", "601"] {
        let p = Probe::new();
        let mut cmd = p.aigate();
        cmd.env("AIGATE_HTTP_TIMEOUT", bad).args(setup).args([
            "--account-id",
            ACCT,
            "--gateway",
            "default",
        ]);
        p.refused(&mut cmd, "AIGATE_HTTP_TIMEOUT");
    }
}

#[test]
fn the_shell_init_injection_is_refused() {
    for shell in ["bash", "zsh", "fish"] {
        let p = Probe::new();
        let stderr = p.refused(
            p.aigate()
                .args(["--profile", "x; echo PWNED", "shell-init", shell]),
            "--profile",
        );
        assert!(stderr.contains("letters, digits"), "{stderr}");
        let out = p
            .aigate()
            .args(["--profile", "x; echo PWNED", "shell-init", shell])
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&out.stdout).contains("PWNED"));
        // The same name through the environment variable.
        p.refused(
            p.aigate()
                .env("AIGATE_PROFILE", "$(echo PWNED)")
                .args(["shell-init", shell]),
            "--profile",
        );
    }
    // A good name still works.
    let p = Probe::new();
    let out = p
        .aigate()
        .args(["--profile", "team-2.work", "shell-init", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--profile team-2.work"));
}

#[test]
fn a_bad_flag_under_json_is_the_one_error_document() {
    let p = Probe::new();
    let out = p
        .aigate()
        .args(["--json", "setup", "--gateway", "Bad Id"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage");
    assert_eq!(doc["error"]["exit_code"], 2);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--gateway")
    );
    assert!(p.emu.requests().is_empty());
    // --help is not an error, even with --json.
    let out = p.aigate().args(["--json", "--help"]).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn a_token_no_cloudflare_token_can_be_is_refused_locally() {
    let long = "a".repeat(4097);
    for bad in [long.as_str(), "cfut_abc\u{1b}[31mdef", "cfut_a\u{7}b"] {
        // From the environment.
        let p = Probe::new();
        p.refused(
            p.aigate()
                .env("CLOUDFLARE_API_TOKEN", bad)
                .args(["setup", "--non-interactive", "--account-id", ACCT])
                .args([
                    "--gateway",
                    "default",
                    "--billing",
                    "unified",
                    "--dry-run",
                    "--insecure-storage",
                ]),
            "CLOUDFLARE_API_TOKEN",
        );
        // From standard input.
        let p = Probe::new();
        p.refused(
            p.aigate()
                .env_remove("CLOUDFLARE_API_TOKEN")
                .args([
                    "setup",
                    "--non-interactive",
                    "--token-stdin",
                    "--account-id",
                    ACCT,
                ])
                .args([
                    "--gateway",
                    "default",
                    "--billing",
                    "unified",
                    "--dry-run",
                    "--insecure-storage",
                ])
                .write_stdin(bad),
            "standard input",
        );
    }
    // A megabyte on stdin is cut off, not read whole.
    let p = Probe::new();
    p.refused(
        p.aigate()
            .env_remove("CLOUDFLARE_API_TOKEN")
            .args([
                "setup",
                "--non-interactive",
                "--token-stdin",
                "--account-id",
                ACCT,
            ])
            .args(["--gateway", "default", "--dry-run", "--insecure-storage"])
            .write_stdin("x".repeat(1 << 20)),
        "4096",
    );
}

// --- Conventions: completions, man page, help headings, examples -----------------------------

fn stdout_of(args: &[&str]) -> String {
    let out = aigate().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        // (fish spells long flags `-l byok-key`)
        for word in ["aigate", "setup", "shell-init", "byok-key", "profile"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    let out = aigate().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_bash_completion_script_is_valid_bash_and_completes_setup_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("aigate.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    // Load the script and ask it, as bash would on TAB, for `aigate setup --byo`.
    let probe = format!(
        "source {}; COMP_WORDS=(aigate setup --byo); COMP_CWORD=2; COMP_LINE='aigate setup --byo'; \
         COMP_POINT=${{#COMP_LINE}}; _aigate aigate --byo setup; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &probe])
        .output()
        .unwrap();
    let replies = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(replies.trim(), "--byok-key", "{replies}");
}

#[test]
fn the_man_page_is_roff_for_every_command() {
    let page = stdout_of(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH aigate 1"),
        "{page}"
    );
    for word in [
        "setup",
        "rotate",
        "completions",
        "GLOBAL OPTIONS",
        "CLOUDFLARE ENDPOINTS",
    ] {
        assert!(page.contains(word), "the man page lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = aigate()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for page in [
        "aigate.1",
        "aigate-setup.1",
        "aigate-run.1",
        "aigate-rotate.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}: {text}");
    }
    // Hidden from the command list: it is for packagers.
    assert!(!stdout_of(&["--help"]).contains("\n  man "));
}

/// The sections of a help text: heading line → its body.
fn sections(help: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            out.push((line.to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

fn section<'a>(s: &'a [(String, String)], heading: &str) -> &'a str {
    s.iter()
        .find(|(h, _)| h.starts_with(heading))
        .map(|(_, b)| b.as_str())
        .unwrap_or_else(|| panic!("no '{heading}' section"))
}

#[test]
fn help_separates_a_commands_own_options_from_global_ones() {
    for cmd in ["setup", "rotate", "run", "status", "test", "shell-init"] {
        let help = stdout_of(&[cmd, "--help"]);
        let s = sections(&help);
        let own = section(&s, "Options:");
        let global = section(&s, "Global options:");
        let endpoints = section(&s, "Cloudflare endpoints");
        for flag in [
            "--profile",
            "--json",
            "--no-color",
            "--verbose",
            "--quiet",
            "-q,",
        ] {
            assert!(global.contains(flag), "{cmd}: global options lack {flag}");
            assert!(
                !own.contains(flag),
                "{cmd}: {flag} among the command's own options"
            );
        }
        for flag in ["--api-url", "--gateway-url"] {
            assert!(endpoints.contains(flag), "{cmd}: endpoints lack {flag}");
            assert!(
                !own.contains(flag) && !global.contains(flag),
                "{cmd}: {flag} misplaced"
            );
        }
    }
    let setup = sections(&stdout_of(&["setup", "--help"]));
    assert!(section(&setup, "Options:").contains("--byok-key"));
    // The policies step's flags are setup's own.
    for flag in [
        "--spend-limit <AMOUNT/WINDOW>",
        "--fallback-model <PROVIDER/MODEL>",
    ] {
        assert!(section(&setup, "Options:").contains(flag), "setup: {flag}");
    }
}

#[test]
fn setup_run_and_rotate_help_show_examples() {
    for (cmd, example) in [
        ("setup", "aigate setup --sandbox"),
        ("run", "aigate run -- opencode"),
        ("rotate", "aigate rotate --token-stdin"),
    ] {
        let help = stdout_of(&[cmd, "--help"]);
        let s = sections(&help);
        assert!(section(&s, "Examples:").contains(example), "{cmd}: {help}");
    }
}

#[test]
fn shell_init_powershell_wraps_opencode() {
    let snippet = stdout_of(&["--profile", "work", "shell-init", "powershell"]);
    assert!(snippet.contains("function opencode {"), "{snippet}");
    assert!(
        snippet.contains("& aigate --profile work run opencode @args"),
        "{snippet}"
    );
}
