//! The OS keychain on Linux, for real: a Secret Service (gnome-keyring) on a private D-Bus
//! session, every step cross-checked with `secret-tool`; and the store choice when there is no
//! session bus at all.
//!
//! The keyring tests need `AIGATE_TEST_KEYRING=1`, which `.ci/with-keyring.sh` sets after it has
//! started and unlocked a throwaway keyring. Without it they FAIL (they do not skip), saying:
//!
//!     bash .ci/with-keyring.sh cargo test --test keychain_secret_service
//!
//! Each test uses its own keychain service name, so nothing touches a real `aigate` item.
//! Some checks run in a child process (this test binary re-run on one test) because they need
//! a different environment (no bus, another service name) than the tests running beside them.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aigate::Secret;
use aigate::error::{hint_of, kind_of};
use aigate::exit::Kind;
use aigate::secrets::{KeychainStore, SecretStore, StoreKind, open_for_write, open_kind};

/// The keychain service of this run (`AIGATE_KEYRING_SERVICE`, as aigate reads it).
fn service() -> String {
    aigate::secrets::keychain_service(&aigate::env::Vars::from_process())
}

const TOKEN: &str = "cfut_ITESTsecret0000111122223333444455556666";
const TOKEN2: &str = "cfut_ITESTrotated777788889999aaaabbbbccccdd";
const CHILD: &str = "AIGATE_KEYCHAIN_TEST_CHILD";
/// Generous: the keyring here is local, but CI machines are slow and shared.
const TIMEOUT: Duration = Duration::from_secs(10);

fn require_keyring() {
    if std::env::var("AIGATE_TEST_KEYRING").as_deref() != Ok("1") {
        panic!(
            "this test needs a real, unlocked Secret Service and AIGATE_TEST_KEYRING=1; run it as:\n    \
             bash .ci/with-keyring.sh cargo test --test keychain_secret_service"
        );
    }
}

fn unique_service(what: &str) -> String {
    format!(
        "aigate-test-{what}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    )
}

/// `secret-tool lookup service SVC username ACCOUNT`: the stored value, or None.
fn lookup(service: &str, account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool must be installed (.ci/with-keyring.sh installs it)");
    out.status.success().then(|| {
        let s = String::from_utf8(out.stdout).unwrap();
        s.strip_suffix('\n').unwrap_or(&s).to_string()
    })
}

/// `secret-tool search --all service SVC [username ACCOUNT]`, attributes and labels only
/// (secret lines dropped so a failing assertion cannot print a token).
fn search(service: &str, account: Option<&str>) -> String {
    let mut cmd = Command::new("secret-tool");
    cmd.args(["search", "--all", "service", service]);
    if let Some(a) = account {
        cmd.args(["username", a]);
    }
    let out = cmd.output().expect("secret-tool");
    let both =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    both.lines()
        .filter(|l| !l.starts_with("secret = "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn items(listing: &str) -> usize {
    listing
        .lines()
        .filter(|l| l.starts_with("label = "))
        .count()
}

fn clear(service: &str, account: &str) {
    let _ = Command::new("secret-tool")
        .args(["clear", "service", service, "username", account])
        .status();
}

#[test]
fn set_get_rotate_delete_cross_checked_with_secret_tool() {
    require_keyring();
    let svc = unique_service("cycle");
    let store = KeychainStore::open(&svc, TIMEOUT).expect("open the Secret Service");
    store.probe().expect("an unlocked keyring passes the probe");
    assert_eq!(
        items(&search(&svc, None)),
        0,
        "the probe must leave nothing behind:\n{}",
        search(&svc, None)
    );
    assert_eq!(store.kind(), StoreKind::Keychain);
    assert!(
        store.describe().contains(&format!("service {svc}")),
        "{}",
        store.describe()
    );

    assert!(store.get("default").unwrap().is_none());

    store.set("default", &Secret::new(TOKEN)).unwrap();
    assert_eq!(lookup(&svc, "default").as_deref(), Some(TOKEN));
    let listing = search(&svc, Some("default"));
    assert_eq!(items(&listing), 1, "{listing}");
    assert!(
        listing.contains(&format!("attribute.service = {svc}")),
        "{listing}"
    );
    assert!(
        listing.contains("attribute.username = default"),
        "{listing}"
    );
    assert!(
        listing.contains("label = aigate: Cloudflare API token (profile default)"),
        "{listing}"
    );
    assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);

    // A second profile is a separate item.
    store.set("work", &Secret::new("tok-work")).unwrap();
    assert_eq!(lookup(&svc, "work").as_deref(), Some("tok-work"));

    // Rotation replaces the item in place: still one item, new value.
    store.set("default", &Secret::new(TOKEN2)).unwrap();
    assert_eq!(lookup(&svc, "default").as_deref(), Some(TOKEN2));
    assert_eq!(items(&search(&svc, Some("default"))), 1);
    assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN2);
    assert_eq!(store.get("work").unwrap().unwrap().expose(), "tok-work");

    assert!(store.delete("default").unwrap());
    assert_eq!(lookup(&svc, "default"), None);
    assert!(store.get("default").unwrap().is_none());
    assert!(!store.delete("default").unwrap());
    assert_eq!(
        lookup(&svc, "work").as_deref(),
        Some("tok-work"),
        "other profiles are untouched"
    );

    assert!(store.delete("work").unwrap());
    assert_eq!(items(&search(&svc, None)), 0);
}

#[test]
fn a_token_written_by_secret_tool_is_read_back() {
    require_keyring();
    let svc = unique_service("external");
    let mut child = Command::new("secret-tool")
        .args([
            "store",
            "--label=set by hand",
            "service",
            &svc,
            "username",
            "default",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(TOKEN.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());

    let store = KeychainStore::open(&svc, TIMEOUT).unwrap();
    assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
    assert!(store.delete("default").unwrap());
    assert_eq!(lookup(&svc, "default"), None);
}

/// The zbus client's blocking API panics when called on a tokio worker; our calls run on
/// their own threads, so using the store from async code is fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_inside_a_tokio_runtime() {
    require_keyring();
    let svc = unique_service("tokio");
    let store = KeychainStore::open(&svc, TIMEOUT).unwrap();
    store.set("default", &Secret::new(TOKEN)).unwrap();
    assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
    assert!(store.delete("default").unwrap());
    drop(store);
    assert_eq!(lookup(&svc, "default"), None);
}

/// Re-run this test binary on the single test `name` with `envs`; the child sees `CHILD` set.
/// Returns (stdout, stderr) after asserting the child ran exactly that test and it passed.
fn run_child(name: &str, envs: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "child failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child did not run {name}:\n{stdout}"
    );
    assert!(
        stdout.contains("CHILD-DONE"),
        "the child skipped its checks:\n{stdout}"
    );
    (stdout, stderr)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// No session bus: without the flag, a refusal naming both ways out and nothing written; with
/// `--insecure-storage`, the 0600 file and a loud warning. Needs no keyring.
#[test]
fn without_a_session_bus_the_choice_is_refusal_or_the_explicit_file() {
    if std::env::var_os(CHILD).is_some() {
        let config = std::path::PathBuf::from(std::env::var("XDG_CONFIG_HOME").unwrap());
        let err = open_for_write(&service(), false)
            .err()
            .expect("no keychain must be usable without a bus");
        assert_eq!(kind_of(&err), Kind::Other);
        let msg = format!("{err:#}");
        assert!(msg.contains("no usable OS keychain"), "{msg}");
        assert!(msg.contains("DBUS_SESSION_BUS_ADDRESS"), "{msg}");
        let hint = hint_of(&err).unwrap();
        assert!(hint.contains("--insecure-storage"), "{hint}");
        assert!(hint.contains("CLOUDFLARE_API_TOKEN"), "{hint}");
        assert!(
            !config.join("aigate").exists(),
            "a refusal must write nothing"
        );

        let reopen = open_kind(&service(), StoreKind::Keychain)
            .err()
            .expect("cannot reopen the keychain either");
        assert!(hint_of(&reopen).unwrap().contains("CLOUDFLARE_API_TOKEN"));

        let store = open_for_write(&service(), true).unwrap();
        assert_eq!(store.kind(), StoreKind::InsecureFile);
        store.set("default", &Secret::new(TOKEN)).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
        assert_eq!(
            open_kind(&service(), StoreKind::InsecureFile)
                .unwrap()
                .get("default")
                .unwrap()
                .unwrap()
                .expose(),
            TOKEN
        );
        println!("CHILD-DONE");
        return;
    }
    let config = tempfile::tempdir().unwrap();
    let (_, stderr) = run_child(
        "without_a_session_bus_the_choice_is_refusal_or_the_explicit_file",
        &[
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/aigate-test-bus",
            ),
            ("XDG_CONFIG_HOME", config.path().to_str().unwrap()),
            ("AIGATE_KEYRING_SERVICE", &unique_service("nobus")),
        ],
    );
    let file = config.path().join("aigate").join("credentials.json");
    assert_eq!(mode(&file), 0o600);
    assert!(std::fs::read_to_string(&file).unwrap().contains(TOKEN));
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("PLAINTEXT"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("mode 0600"), "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}

/// With a working keyring `open_for_write` picks it (even with `--insecure-storage`), the probe
/// leaves nothing behind, and the token lands under the service from `AIGATE_KEYRING_SERVICE`.
#[test]
fn with_a_working_keyring_open_for_write_picks_it() {
    require_keyring();
    let svc_env = std::env::var("AIGATE_KEYRING_SERVICE").unwrap_or_default();
    if std::env::var_os(CHILD).is_some() {
        for insecure in [false, true] {
            let store = open_for_write(&service(), insecure).unwrap();
            assert_eq!(store.kind(), StoreKind::Keychain);
        }
        assert_eq!(
            items(&search(&svc_env, None)),
            0,
            "the probe must leave nothing behind"
        );
        open_for_write(&service(), false)
            .unwrap()
            .set("default", &Secret::new(TOKEN))
            .unwrap();
        assert_eq!(
            open_kind(&service(), StoreKind::Keychain)
                .unwrap()
                .get("default")
                .unwrap()
                .unwrap()
                .expose(),
            TOKEN
        );
        println!("CHILD-DONE");
        return;
    }
    let svc = unique_service("select");
    let config = tempfile::tempdir().unwrap();
    let (_, stderr) = run_child(
        "with_a_working_keyring_open_for_write_picks_it",
        &[
            ("AIGATE_KEYRING_SERVICE", &svc),
            ("XDG_CONFIG_HOME", config.path().to_str().unwrap()),
        ],
    );
    assert!(!stderr.contains("warning:"), "{stderr}");
    assert_eq!(lookup(&svc, "default").as_deref(), Some(TOKEN));
    assert_eq!(items(&search(&svc, None)), 1);
    assert!(
        !config.path().join("aigate").exists(),
        "no file when the keychain works"
    );
    clear(&svc, "default");
    assert_eq!(lookup(&svc, "default"), None);
}

/// A locked login collection (here in a nested, private D-Bus session with its own keyring, so
/// the tests beside this one keep their unlocked keyring): the probe fails in bounded time, the
/// refusal says the keychain is locked, and `--insecure-storage` still gives the file.
#[test]
fn a_locked_keyring_is_not_usable() {
    require_keyring();
    if std::env::var_os(CHILD).is_some() {
        let started = std::time::Instant::now();
        let err = open_for_write(&service(), false)
            .err()
            .expect("a locked keyring must not be used");
        let msg = format!("{err:#}");
        println!(
            "locked keyring refused after {:?}: {msg}",
            started.elapsed()
        );
        assert!(msg.contains("locked"), "{msg}");
        assert!(hint_of(&err).unwrap().contains("--insecure-storage"));
        let store = open_for_write(&service(), true).unwrap();
        assert_eq!(store.kind(), StoreKind::InsecureFile);
        println!("CHILD-DONE");
        return;
    }
    let keyrings = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    // Start a keyring, wait until it answers, lock its login collection, then run the child.
    let script = r#"
        set -eu
        printf '%s' locked-test-pw | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
        # Wait for the daemon to own the name before any client call: an earlier call makes
        # D-Bus activate a second daemon with no unlock (the flake seen under load).
        for i in $(seq 1 100); do
          if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
               org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
               | grep -q 'boolean true'; then break; fi
          sleep 0.1
        done
        for i in $(seq 1 50); do
          if printf x | timeout 5 secret-tool store --label=p service aigate-lock-probe username p 2>/dev/null; then break; fi
          sleep 0.2
        done
        timeout 5 secret-tool clear service aigate-lock-probe username p
        timeout 5 dbus-send --session --dest=org.freedesktop.secrets --print-reply /org/freedesktop/secrets \
          org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
        exec "$@"
    "#;
    let name = "a_locked_keyring_is_not_usable";
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", script, "locked"])
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("XDG_DATA_HOME", keyrings.path())
        .env("XDG_CONFIG_HOME", config.path())
        .env("AIGATE_KEYRING_SERVICE", unique_service("locked"))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "child failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed") && stdout.contains("CHILD-DONE"),
        "{stdout}"
    );
    assert!(stderr.contains("warning:"), "{stderr}");
    for line in stdout
        .lines()
        .filter(|l| l.contains("locked keyring refused"))
    {
        eprintln!("{line}");
    }
}
