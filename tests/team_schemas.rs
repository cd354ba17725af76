//! The `--json` documents of `team init|invite|list|revoke` validated against
//! `schemas/team-*.json`, and a real `aigate.toml` (read as data) against
//! `schemas/aigate-toml.json` (draft 2020-12, the `jsonschema` crate).

mod common;
use aigate::emulator::{Permissions, TokenSpec};
use common::*;
use serde_json::{Value, json};

const ADMIN: &str = "cfut_SchemaAdminTokenCanCreateTokens0000000f1";

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!("{}/schemas/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&v)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[track_caller]
fn valid(name: &str, doc: &Value) {
    let errors: Vec<String> = schema(name)
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{doc}");
}

/// `aigate.toml` as JSON: top-level strings and lists of strings.
fn toml_as_json(text: &str) -> Value {
    let doc: toml_edit::DocumentMut = text.parse().unwrap();
    let mut out = serde_json::Map::new();
    for (k, item) in doc.iter() {
        let v = if let Some(s) = item.as_str() {
            json!(s)
        } else {
            let a = item.as_array().unwrap();
            json!(a.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>())
        };
        out.insert(k.to_string(), v);
    }
    Value::Object(out)
}

#[test]
fn team_documents_match_their_schemas() {
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT])
    });
    std::fs::create_dir_all(w.workdir().join(".git")).unwrap();
    w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "existing-gw",
            "--billing",
            "unified",
            "--skip-test",
        ],
    )
    .assert_code(0);
    let json_of = |args: &[&str]| {
        let mut cmd = w.aigate();
        cmd.args(args).arg("--json").write_stdin(ADMIN);
        let out = w.run(&mut cmd);
        out.assert_code(0);
        out.json()
    };
    valid("team-init", &json_of(&["team", "init"]));
    valid(
        "team-invite",
        &json_of(&[
            "team",
            "invite",
            "alice",
            "--expires",
            "30d",
            "--token-stdin",
        ]),
    );
    valid("team-list", &json_of(&["team", "list", "--token-stdin"]));
    valid(
        "team-revoke",
        &json_of(&["team", "revoke", "alice", "--token-stdin"]),
    );

    let text = std::fs::read_to_string(w.workdir().join("aigate.toml")).unwrap();
    let file = toml_as_json(&text);
    valid("aigate-toml", &file);
    // The schema does refuse a wrong file.
    let mut bad = file.clone();
    bad["billing"] = json!("free");
    bad["token"] = json!("cfut_x");
    assert!(schema("aigate-toml").iter_errors(&bad).count() >= 2);
}
