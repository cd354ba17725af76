//! The commit unit of setup and rotate (`aigate::commit`): a token plus files, all or nothing.
//! Each test makes the commit fail part-way and checks the disk and the store are exactly as
//! before. The failing store is a stand-in (a keychain cannot be made to fail on demand); the
//! failing file writes are real (a parent that is a regular file, a file edited meanwhile).

use aigate::Secret;
use aigate::commit::{Unit, commit};
use aigate::domain::StoreKind;
use aigate::files::FileChange;
use aigate::secrets::{MemoryStore, SecretStore};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn change(path: &Path, after: &str) -> FileChange {
    FileChange {
        path: path.to_path_buf(),
        before: fs::read(path).ok(),
        after: Some(after.as_bytes().to_vec()),
        mode: None,
        backup: false,
        sensitive: false,
        rebase: None,
    }
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walk(dir) {
        if e.is_file() {
            out.insert(e.clone(), fs::read(&e).unwrap());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = vec![];
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        }
        v.push(p);
    }
    v.sort();
    v
}

/// A store stand-in whose reads or writes fail on demand.
#[derive(Default)]
struct FlakyStore {
    tokens: Mutex<BTreeMap<String, String>>,
    fail_get: bool,
    /// `set` fails; with `write_then_fail` the first one changes the value first (a half-done
    /// write) and every later one fails without writing (the keychain went away).
    fail_set: bool,
    write_then_fail: bool,
    sets: std::sync::atomic::AtomicUsize,
}

impl SecretStore for FlakyStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }
    fn describe(&self) -> String {
        "the flaky test store".into()
    }
    fn get(&self, p: &str) -> anyhow::Result<Option<Secret>> {
        if self.fail_get {
            anyhow::bail!("the keychain is locked (simulated)");
        }
        Ok(self.tokens.lock().unwrap().get(p).cloned().map(Secret::new))
    }
    fn set(&self, p: &str, s: &Secret) -> anyhow::Result<()> {
        if self.fail_set {
            let n = self.sets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.write_then_fail && n == 0 {
                self.tokens
                    .lock()
                    .unwrap()
                    .insert(p.into(), s.expose().to_string());
            }
            anyhow::bail!("the keychain refused the write (simulated)");
        }
        self.tokens
            .lock()
            .unwrap()
            .insert(p.into(), s.expose().to_string());
        Ok(())
    }
    fn delete(&self, p: &str) -> anyhow::Result<bool> {
        Ok(self.tokens.lock().unwrap().remove(p).is_some())
    }
}

impl FlakyStore {
    /// The token held for `default`, read without the failure switches.
    fn held(&self) -> Option<String> {
        self.tokens.lock().unwrap().get("default").cloned()
    }
}

/// Commits `tok-NEW` for profile `default` with `changes`.
fn store_new(
    store: &dyn SecretStore,
    changes: Vec<&FileChange>,
) -> anyhow::Result<aigate::commit::Committed> {
    commit(&Unit {
        store,
        profile: "default",
        token: Some(&Secret::new("tok-NEW")),
        changes,
        last: None,
    })
}

fn flaky(old: Option<&str>) -> FlakyStore {
    let s = FlakyStore::default();
    if let Some(t) = old {
        s.tokens.lock().unwrap().insert("default".into(), t.into());
    }
    s
}

#[test]
fn the_second_file_write_failing_leaves_disk_and_store_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    fs::write(&a, "// mine\n{}\n").unwrap();
    fs::write(dir.path().join("blocker"), "a file, not a directory").unwrap();
    let b = dir.path().join("blocker").join("auth.json");
    let store = MemoryStore::new();
    store.set("default", &Secret::new("tok-OLD")).unwrap();
    let before = snapshot(dir.path());

    let (ca, cb) = (change(&a, "{\"model\":\"x\"}"), change(&b, "{}"));
    let err = store_new(&store, vec![&ca, &cb]).unwrap_err();
    assert!(format!("{err:#}").contains("blocker"), "{err:#}");
    assert_eq!(snapshot(dir.path()), before, "disk exactly as before");
    assert_eq!(store.get("default").unwrap().unwrap().expose(), "tok-OLD");
}

#[test]
fn the_keychain_set_failing_after_the_files_undoes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    fs::write(&a, "{}").unwrap();
    let state = dir
        .path()
        .join("config")
        .join("aigate")
        .join("profiles.json");
    let before = snapshot(dir.path());
    let mut store = flaky(Some("tok-OLD"));
    store.fail_set = true;
    store.write_then_fail = true;

    let (ca, cs) = (change(&a, "{\"model\":\"x\"}"), change(&state, "{}"));
    let err = store_new(&store, vec![&ca, &cs]).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("could not store the token"), "{msg}");
    assert_eq!(snapshot(dir.path()), before, "disk exactly as before");
    assert!(!dir.path().join("config").exists(), "created dirs removed");
    // The half-done write was noticed and the restore attempt failed too: that is reported.
    assert!(
        msg.contains("could not put the previous token back"),
        "a failed restore must be reported: {msg}"
    );
}

#[test]
fn the_keychain_set_failing_cleanly_keeps_the_old_token() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    let before = snapshot(dir.path());
    let mut store = flaky(Some("tok-OLD"));
    store.fail_set = true;
    let ca = change(&a, "{}");
    let err = store_new(&store, vec![&ca]).unwrap_err();
    assert!(!format!("{err:#}").contains("could not be fully undone"));
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(store.held().as_deref(), Some("tok-OLD"));
}

#[test]
fn an_unreadable_old_token_refuses_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    fs::write(&a, "{}").unwrap();
    let before = snapshot(dir.path());
    let mut store = flaky(Some("tok-OLD"));
    store.fail_get = true;
    let ca = change(&a, "{\"model\":\"x\"}");
    let err = store_new(&store, vec![&ca]).unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("cannot read the token stored"), "{msg}");
    assert!(msg.contains("nothing was changed"), "{msg}");
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(
        store.held().as_deref(),
        Some("tok-OLD"),
        "the existing token is still there"
    );
}

#[test]
fn a_file_edited_meanwhile_without_a_rebase_undoes_the_token_and_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    let b = dir.path().join("auth.json");
    fs::write(&b, "{}").unwrap();
    let store = MemoryStore::new();
    let (ca, cb) = (change(&a, "{}"), change(&b, "{\"x\":1}"));
    fs::write(&b, "{\"edited\": true}").unwrap();
    let before = snapshot(dir.path());
    let err = store_new(&store, vec![&ca, &cb]).unwrap_err();
    assert!(format!("{err:#}").contains("changed since"), "{err:#}");
    assert_eq!(snapshot(dir.path()), before);
    assert!(
        store.get("default").unwrap().is_none(),
        "no token where none was"
    );
}

#[test]
fn success_stores_the_token_and_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("opencode.json");
    let store = MemoryStore::new();
    let ca = change(&a, "{}");
    let done = store_new(&store, vec![&ca]).unwrap();
    assert!(done.token_stored);
    assert_eq!(done.files_written, vec![a.clone()]);
    assert_eq!(fs::read(&a).unwrap(), b"{}");
    assert_eq!(store.get("default").unwrap().unwrap().expose(), "tok-NEW");
    // The same again: nothing to store, nothing to write.
    let ca = change(&a, "{}");
    let again = store_new(&store, vec![&ca]).unwrap();
    assert!(!again.token_stored);
    assert!(again.files_written.is_empty());
}

/// Finding 1 at the unit level: the state change of a setup that read `profiles.json` before
/// another setup wrote it keeps the other profile.
#[test]
fn a_profile_written_by_another_run_meanwhile_is_kept() {
    use aigate::state::State;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.json");
    let profile = |gw: &str| -> aigate::state::Profile {
        serde_json::from_value(serde_json::json!({
            "account_id": "a", "gateway_id": gw, "billing": "unified", "model": "m",
            "small_model": "s", "token_store": "keychain", "token_delivery": "env",
            "opencode_config": "/x/opencode.json"
        }))
        .unwrap()
    };
    let ours = State::plan_upsert(&path, "a", profile("ga")).unwrap();
    // Meanwhile another run commits profile b.
    let theirs = State::plan_upsert(&path, "b", profile("gb")).unwrap();
    let store = MemoryStore::new();
    commit(&Unit {
        store: &store,
        profile: "b",
        token: None,
        changes: vec![&theirs],
        last: None,
    })
    .unwrap();
    commit(&Unit {
        store: &store,
        profile: "a",
        token: None,
        changes: vec![&ours],
        last: None,
    })
    .unwrap();
    let state = State::load(&path).unwrap();
    assert_eq!(
        state.profiles.keys().cloned().collect::<Vec<_>>(),
        vec!["a".to_string(), "b".to_string()]
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_written_at_its_target_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles").join("opencode.json");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, "{}").unwrap();
    let link = dir.path().join("opencode.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let store = MemoryStore::new();
    let c = change(&link, "{\"model\":\"x\"}");
    let done = commit(&Unit {
        store: &store,
        profile: "default",
        token: None,
        changes: vec![&c],
        last: None,
    })
    .unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).unwrap(), b"{\"model\":\"x\"}");
    assert_eq!(done.files_written, vec![real]);
}
