//! OpenCode's config as users keep it: a property test of the JSONC merge (arbitrary valid
//! JSONC with comments in, comments and unrelated keys kept, output parses, a second merge is
//! a no-op), a byte order mark, duplicate keys (reported with line and column, one left), and
//! a refused file left byte-identical.

use aigate::opencode::{BillingMode, ConfigInputs, merge, plan_config, render_fragment};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn inputs(byok: bool) -> ConfigInputs {
    ConfigInputs {
        model: "openai/gpt-5-mini".into(),
        small_model: "openai/gpt-5.4-nano".into(),
        billing: if byok {
            BillingMode::Byok {
                providers: vec!["openai".into()],
            }
        } else {
            BillingMode::Unified
        },
        available_models: vec!["openai/gpt-5-mini".into(), "openai/gpt-5.4-nano".into()],
        route: None,
    }
}

fn parse(text: &str) -> Value {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    jsonc_parser::parse_to_serde_value::<Value>(text, &Default::default())
        .unwrap_or_else(|e| panic!("output does not parse: {e}\n{text}"))
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "[a-zA-Z0-9 _./:-]{0,12}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object of unrelated keys (`u_…`, never one aigate owns), optionally with a `model`.
fn document() -> impl Strategy<Value = (Map<String, Value>, bool)> {
    (
        prop::collection::btree_map("u_[a-z]{1,8}", value(), 0..6),
        any::<bool>(),
    )
        .prop_map(|(m, with_model)| (m.into_iter().collect(), with_model))
}

/// Pretty JSON with a `// cN` comment line after every line that opens a value or ends with a
/// comma, and a block comment on top: valid JSONC.
fn with_comments(v: &Value) -> (String, usize) {
    let pretty = serde_json::to_string_pretty(v).unwrap();
    let mut out = String::from("/* top comment */\n");
    let mut n = 0;
    for line in pretty.lines() {
        out.push_str(line);
        out.push('\n');
        let t = line.trim_end();
        if t.ends_with('{') || t.ends_with('[') || t.ends_with(',') {
            out.push_str(&format!("// c{n}\n"));
            n += 1;
        }
    }
    (out, n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn merge_keeps_comments_and_unrelated_keys_and_is_idempotent(
        (doc, with_model) in document(),
        byok in any::<bool>(),
    ) {
        let mut full = doc.clone();
        if with_model {
            full.insert("model".into(), json!("someone/else"));
        }
        let (text, comments) = with_comments(&Value::Object(full));
        let fragment = render_fragment(&inputs(byok)).unwrap();
        let once = merge(Some(&text), &fragment).unwrap();
        let parsed = parse(&once.text);
        prop_assert!(once.text.contains("/* top comment */"));
        for i in 0..comments {
            let comment = format!("// c{i}\n");
            prop_assert!(once.text.contains(&comment), "lost comment c{}", i);
        }
        for (k, v) in &doc {
            prop_assert_eq!(&parsed[k], v, "unrelated key {} changed", k);
        }
        prop_assert_eq!(&parsed["model"], &json!("cloudflare-ai-gateway/openai/gpt-5-mini"));
        prop_assert!(once.duplicates.is_empty());
        let twice = merge(Some(&once.text), &fragment).unwrap();
        prop_assert_eq!(&twice.text, &once.text, "the second merge changed the text");
    }
}

#[test]
fn a_byte_order_mark_is_kept_and_does_not_break_the_merge() {
    let text = "\u{feff}{\n  // mine\n  \"theme\": \"dark\"\n}\n";
    let fragment = render_fragment(&inputs(false)).unwrap();
    let out = merge(Some(text), &fragment).unwrap();
    assert!(out.text.starts_with('\u{feff}'), "BOM kept");
    assert!(out.text.contains("// mine"));
    let v = parse(&out.text);
    assert_eq!(v["theme"], "dark");
    assert_eq!(v["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
    assert_eq!(merge(Some(&out.text), &fragment).unwrap().text, out.text);
}

/// Issue 10, finding 10: with two `"model"` keys the later one (which OpenCode uses) stayed in
/// force after setup.
#[test]
fn duplicate_keys_are_reported_with_line_and_column_and_one_is_left() {
    let text = "{\n  \"model\": \"a/b\",\n  \"theme\": \"t\",\n  \"u\": {\"k\": 1, \"k\": 2},\n  \"model\": \"c/d\"\n}\n";
    let fragment = render_fragment(&inputs(false)).unwrap();
    let out = merge(Some(text), &fragment).unwrap();
    let found: Vec<(String, usize, usize)> = out
        .duplicates
        .iter()
        .map(|d| (d.path.clone(), d.line, d.column))
        .collect();
    assert_eq!(
        found,
        vec![("model".to_string(), 2, 3), ("u.k".to_string(), 4, 9)],
        "{}",
        out.text
    );
    assert_eq!(out.text.matches("\"model\"").count(), 1, "{}", out.text);
    let v = parse(&out.text);
    assert_eq!(v["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
    assert_eq!(v["u"]["k"], 2, "the key in force is the one kept");
    assert_eq!(v["theme"], "t");
    assert!(
        merge(Some(&out.text), &fragment)
            .unwrap()
            .duplicates
            .is_empty()
    );
}

#[test]
fn a_refused_file_is_left_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("opencode.json");
    let bad = b"{\n  \"model\": \"x\",,\n}\n";
    std::fs::write(&p, bad).unwrap();
    let err = plan_config(&p, &inputs(false)).unwrap_err();
    assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    assert_eq!(std::fs::read(&p).unwrap(), bad);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
