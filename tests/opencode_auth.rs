//! aigate's entry in OpenCode's auth.json: upsert keeps the user's other credentials, the file
//! is 0600 and matches OpenCode's auth schema, removal touches only our entry, read back works,
//! and nothing prints the token.

use aigate::Secret;
use aigate::files::Transaction;
use aigate::opencode::{self, PROVIDER_ID};
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

const TOKEN: &str = "cfut_authTOKENvalue0123456789abcdefXYZ";

const OTHER_ENTRIES: &str = r#"{
  "anthropic": {
    "type": "oauth",
    "refresh": "rt-anthropic",
    "access": "at-anthropic",
    "expires": 1790000000000
  },
  "openai": {
    "type": "api",
    "key": "sk-user-own-key"
  }
}"#;

fn assert_valid(path: &Path) -> Value {
    let value: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contracts/opencode-auth.schema.json"
    );
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    value
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn apply(change: &aigate::files::FileChange) {
    let mut tx = Transaction::new();
    assert_eq!(
        tx.apply(change).unwrap(),
        None,
        "auth.json is never backed up"
    );
    tx.commit();
}

#[test]
fn upsert_keeps_other_entries_and_is_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    fs::write(&path, OTHER_ENTRIES).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    }

    let change = opencode::plan_auth_upsert(&path, &Secret::new(TOKEN), "acct-1", "gw-1").unwrap();
    assert!(change.sensitive && !change.backup && change.mode == Some(0o600));
    assert_eq!(change.describe(), "update");
    let dbg = format!("{change:?}");
    assert!(
        !dbg.contains(TOKEN) && !dbg.contains("rt-anthropic"),
        "{dbg}"
    );
    apply(&change);

    let v = assert_valid(&path);
    let before: Value = serde_json::from_str(OTHER_ENTRIES).unwrap();
    assert_eq!(v["anthropic"], before["anthropic"]);
    assert_eq!(v["openai"], before["openai"]);
    assert_eq!(
        v[PROVIDER_ID],
        json!({"type": "api", "key": TOKEN, "metadata": {"accountId": "acct-1", "gatewayId": "gw-1"}})
    );
    // OpenCode's own layout: 2-space indent
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\n  \"cloudflare-ai-gateway\": {\n    \"type\": \"api\""),
        "{text}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no backup, no temp file"
    );
}

#[test]
fn upsert_creates_dirs_replaces_in_place_and_reruns_as_noop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("share/opencode/auth.json");
    let first = opencode::plan_auth_upsert(&path, &Secret::new("old-token"), "a", "g").unwrap();
    assert_eq!(first.describe(), "create");
    apply(&first);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let second = opencode::plan_auth_upsert(&path, &Secret::new(TOKEN), "a2", "g2").unwrap();
    apply(&second);
    let entry = opencode::read_auth_entry(&path)
        .unwrap()
        .expect("our entry");
    assert!(entry.key.same_as(&Secret::new(TOKEN)));
    assert_eq!(entry.account_id.as_deref(), Some("a2"));
    assert_eq!(entry.gateway_id.as_deref(), Some("g2"));
    assert!(!format!("{entry:?}").contains(TOKEN));

    let again = opencode::plan_auth_upsert(&path, &Secret::new(TOKEN), "a2", "g2").unwrap();
    assert!(again.is_noop());
    assert_valid(&path);
}

#[test]
fn remove_takes_only_our_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    assert!(
        opencode::plan_auth_remove(&path).unwrap().is_none(),
        "no file, nothing to do"
    );
    fs::write(&path, OTHER_ENTRIES).unwrap();
    assert!(
        opencode::plan_auth_remove(&path).unwrap().is_none(),
        "no entry, nothing to do"
    );

    apply(&opencode::plan_auth_upsert(&path, &Secret::new(TOKEN), "a", "g").unwrap());
    let change = opencode::plan_auth_remove(&path)
        .unwrap()
        .expect("a change");
    assert!(change.sensitive);
    apply(&change);
    let v = assert_valid(&path);
    assert_eq!(v, serde_json::from_str::<Value>(OTHER_ENTRIES).unwrap());
    assert!(opencode::read_auth_entry(&path).unwrap().is_none());
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn read_ignores_other_entry_kinds_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    assert!(opencode::read_auth_entry(&path).unwrap().is_none());
    fs::write(
        &path,
        r#"{"cloudflare-ai-gateway": {"type": "wellknown", "key": "k", "token": "t"}}"#,
    )
    .unwrap();
    assert!(opencode::read_auth_entry(&path).unwrap().is_none());
}

#[test]
fn a_broken_file_is_an_error_that_does_not_quote_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    fs::write(
        &path,
        r#"{"openai": {"type": "api", "key": "sk-private-value""#,
    )
    .unwrap();
    let err = opencode::plan_auth_upsert(&path, &Secret::new(TOKEN), "a", "g").unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("not valid JSON") && msg.contains("line 1"),
        "{msg}"
    );
    assert!(!msg.contains("sk-private") && !msg.contains(TOKEN), "{msg}");
    assert!(opencode::read_auth_entry(&path).is_err());
    fs::write(&path, "[]").unwrap();
    assert!(opencode::plan_auth_remove(&path).is_err());
}
