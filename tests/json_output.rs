//! Every command's `--json` document, success and failure, validated against its JSON Schema
//! in `schemas/` (and every failure against `schemas/error.json`), run against the emulator and
//! the real Secret Service.
//!
//! Adding a command is one line in [`CASES`]: the world it runs in, its arguments, what goes on
//! stdin, the exit code, and the schema its stdout must match.

mod common;
use common::*;
use std::path::Path;

/// The world a case runs in. Cases of one world run in table order, in one world.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum World_ {
    /// Nothing set up.
    Fresh,
    /// `setup` done (Unified Billing, token in the keychain, env delivery).
    SetUp,
    /// `setup` done with `--token-delivery opencode-auth`.
    SetUpAuthJson,
}
use World_::*;

struct Case {
    world: World_,
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    code: i32,
    /// `schemas/<schema>.json`.
    schema: &'static str,
}

const fn case(
    world: World_,
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    code: i32,
    schema: &'static str,
) -> Case {
    Case {
        world,
        args,
        stdin,
        code,
        schema,
    }
}

const SETUP: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
];

const SETUP_DRY: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--dry-run",
];

/// Setup with the policies step: a spend limit and a fallback route (`policies` in the report).
const SETUP_POLICIES: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--spend-limit",
    "5/1d",
    "--fallback-model",
    "anthropic/claude-haiku-4.5",
];

/// Every command, success and failure. `--json` is added to each.
#[rustfmt::skip]
const CASES: &[Case] = &[
    // Nothing set up: the commands that need a profile fail with the error document.
    case(Fresh, &["status"], None, 1, "error"),
    case(Fresh, &["doctor"], None, 1, "doctor"),
    case(Fresh, &["models"], None, 1, "error"),
    case(Fresh, &["test"], None, 1, "error"),
    case(Fresh, &["rotate", "--token-stdin"], Some(TOKEN), 1, "error"),
    case(Fresh, &["logout"], None, 1, "error"),
    case(Fresh, &["run", "--", "true"], None, 1, "error"),
    case(Fresh, &["shell-init", "bash"], None, 0, "shell-init"),
    case(Fresh, &["shell-init", "fish"], None, 0, "shell-init"),
    case(Fresh, &["no-such-command"], None, 2, "error"),
    case(Fresh, &["status", "--no-such-flag"], None, 2, "error"),
    case(Fresh, SETUP_DRY, Some(TOKEN), 0, "setup"),
    case(Fresh, SETUP, Some(TOKEN_INVALID), 3, "error"),
    case(Fresh, SETUP, Some(""), 2, "error"),
    case(Fresh, SETUP, Some(TOKEN), 0, "setup"),
    case(Fresh, SETUP_POLICIES, Some(TOKEN), 0, "setup"),
    // Set up: every command succeeds, then the failures a set-up profile can still have.
    case(SetUp, &["status"], None, 0, "status"),
    case(SetUp, &["doctor"], None, 0, "doctor"),
    case(SetUp, &["models"], None, 0, "models"),
    case(SetUp, &["test"], None, 0, "test"),
    case(SetUp, &["setup", "--non-interactive", "--token-stdin", "--fallback-model", "no/such-model"], Some(TOKEN), 2, "error"),
    case(SetUp, SETUP_DRY, Some(TOKEN), 0, "setup"),
    case(SetUp, &["rotate", "--token-stdin"], Some(TOKEN), 0, "rotate"),
    case(SetUp, &["rotate", "--token-stdin"], Some(TOKEN_INVALID), 3, "error"),
    case(SetUp, &["rotate", "--token-stdin"], Some(TOKEN2), 0, "rotate"),
    case(SetUp, &["run", "--", "no-such-program-aigate"], None, 1, "error"),
    case(SetUp, &["logout"], None, 0, "logout"),
    case(SetUp, &["status"], None, 1, "status"),
    case(SetUp, &["doctor"], None, 1, "doctor"),
    case(SetUp, &["models"], None, 3, "error"),
    case(SetUp, &["test"], None, 3, "error"),
    // auth.json delivery: the report names the file.
    case(SetUpAuthJson, &["status"], None, 0, "status"),
    case(SetUpAuthJson, &["rotate", "--token-stdin"], Some(TOKEN2), 0, "rotate"),
    case(SetUpAuthJson, &["logout"], None, 0, "logout"),
];

fn validator(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{name}.json"));
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "{name}.json is not a valid JSON Schema"
    );
    jsonschema::options()
        .with_retriever(SchemaDir)
        .build(&schema)
        .unwrap()
}

/// Resolves `$ref`s between our schemas (`$id`s under [`SCHEMA_BASE`]) from `schemas/`, and
/// nothing else (no network).
struct SchemaDir;

const SCHEMA_BASE: &str = "https://github.com/aigate/aigate/schemas/";

impl jsonschema::Retrieve for SchemaDir {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(SCHEMA_BASE)
            .ok_or_else(|| format!("not one of aigate's schemas: {uri}"))?;
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(name);
        Ok(serde_json::from_slice(&std::fs::read(path)?)?)
    }
}

fn assert_valid(schema: &str, doc: &serde_json::Value, what: &str) {
    let v = validator(schema);
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: stdout does not match schemas/{schema}.json:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

fn run_world(world: World_) {
    let w = World::new();
    match world {
        Fresh => {}
        SetUp => {
            w.setup(TOKEN, &SETUP[3..]).assert_code(0);
        }
        SetUpAuthJson => {
            let mut args = SETUP[3..].to_vec();
            args.extend(["--token-delivery", "opencode-auth", "--skip-test"]);
            w.setup(TOKEN, &args).assert_code(0);
        }
    }
    for c in CASES.iter().filter(|c| c.world == world) {
        let what = format!("{world:?} aigate --json {}", c.args.join(" "));
        let mut cmd = w.aigate();
        cmd.arg("--json").args(c.args);
        cmd.write_stdin(c.stdin.unwrap_or(""));
        let out = w.run(&mut cmd);
        assert_eq!(
            out.code, c.code,
            "{what}: exit code\n--- stdout\n{}\n--- stderr\n{}",
            out.stdout, out.stderr
        );
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{what}: stdout is not one JSON document ({e}):\n{}\n--- stderr\n{}",
                out.stdout, out.stderr
            )
        });
        assert_valid(c.schema, &doc, &what);
        if c.code != 0 && c.schema == "error" {
            assert_eq!(doc["error"]["exit_code"], c.code, "{what}");
        }
    }
    w.assert_no_leak(&[TOKEN, TOKEN2, TOKEN_INVALID]);
}

#[test]
fn fresh() {
    run_world(Fresh);
}

#[test]
fn set_up() {
    run_world(SetUp);
}

#[test]
fn set_up_with_auth_json() {
    run_world(SetUpAuthJson);
}

/// Every schema is used by a case, and every case's schema exists (so a new schema file
/// without a test, or a typo in the table, fails here).
#[test]
fn every_schema_has_a_case() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem == "run" {
            // `run` prints no document of its own; its failures are error.json.
            continue;
        }
        assert!(
            CASES.iter().any(|c| c.schema == stem) || !OWN_SCHEMAS.contains(&stem),
            "schemas/{name} has no case in tests/json_output.rs"
        );
    }
    for c in CASES {
        assert!(
            dir.join(format!("{}.json", c.schema)).exists(),
            "{}",
            c.schema
        );
    }
    let _ = validator("run");
}

/// The schemas this file must cover (other engineers' commands add theirs to the table).
const OWN_SCHEMAS: &[&str] = &[
    "error",
    "setup",
    "status",
    "doctor",
    "rotate",
    "models",
    "test",
    "logout",
    "shell-init",
];
