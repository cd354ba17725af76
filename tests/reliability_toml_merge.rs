//! Codex's profile file as users keep it: a property test of the TOML merge. Arbitrary valid
//! TOML with comments, other keys and other tables goes in; aigate's keys come out set, every
//! comment and unrelated key or table is kept, the output parses, a second merge writes the same
//! bytes, and removing aigate's keys gives back exactly what the user had.

use aigate::agents::codex::{CodexProfile, PROVIDER_ID, merge, unmerge};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use toml_edit::{DocumentMut, Item};

fn profile() -> CodexProfile {
    CodexProfile {
        model: "gpt-5-mini".into(),
        base_url: "https://gateway.ai.cloudflare.com/v1/acct/gw/openai".into(),
    }
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<bool>().prop_map(|b| b.to_string()),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        "[a-zA-Z0-9 _./:-]{0,12}".prop_map(|s| format!("{s:?}")),
        prop::collection::vec(-9i64..9, 0..4).prop_map(|v| format!("{v:?}")),
    ]
}

/// A user's file: top-level keys (`u_…`, never one aigate owns), tables (`t_…`) and other
/// model providers, each line followed by a `# cN` comment.
#[derive(Debug, Clone)]
struct UserFile {
    top: BTreeMap<String, String>,
    tables: BTreeMap<String, BTreeMap<String, String>>,
    other_providers: BTreeMap<String, String>,
}

fn user_file() -> impl Strategy<Value = UserFile> {
    (
        prop::collection::btree_map("u_[a-z]{1,6}", scalar(), 0..5),
        prop::collection::btree_map(
            "t_[a-z]{1,6}",
            prop::collection::btree_map("k_[a-z]{1,5}", scalar(), 0..4),
            0..3,
        ),
        prop::collection::btree_map("p_[a-z]{1,6}", "[a-z]{1,8}", 0..3),
    )
        .prop_map(|(top, tables, other_providers)| UserFile {
            top,
            tables,
            other_providers,
        })
}

impl UserFile {
    /// The text, and how many comments it holds.
    fn text(&self) -> (String, usize) {
        let mut out = String::from("# my codex profile\n");
        let mut n = 0;
        let mut comment = |out: &mut String| {
            out.push_str(&format!("# c{n}\n"));
            n += 1;
        };
        for (k, v) in &self.top {
            out.push_str(&format!("{k} = {v}\n"));
            comment(&mut out);
        }
        for (name, keys) in &self.tables {
            out.push_str(&format!("\n[{name}]\n"));
            comment(&mut out);
            for (k, v) in keys {
                out.push_str(&format!("{k} = {v}\n"));
                comment(&mut out);
            }
        }
        for (id, url) in &self.other_providers {
            out.push_str(&format!(
                "\n[model_providers.{id}]\nname = \"{id}\"\nbase_url = \"https://{url}.example/v1\"\n"
            ));
            comment(&mut out);
        }
        (out, n)
    }
}

fn parse(text: &str) -> DocumentMut {
    text.parse::<DocumentMut>()
        .unwrap_or_else(|e| panic!("output does not parse: {e}\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn merge_keeps_the_users_file_and_unmerge_gives_it_back(file in user_file()) {
        let path = Path::new("aigate.config.toml");
        let (text, comments) = file.text();
        let once = merge(path, Some(text.as_bytes()), &profile()).unwrap();
        let doc = parse(&once);

        // aigate's keys are set.
        prop_assert_eq!(doc["model_provider"].as_str(), Some(PROVIDER_ID));
        prop_assert_eq!(doc["model"].as_str(), Some("gpt-5-mini"));
        let ours = &doc["model_providers"][PROVIDER_ID];
        prop_assert_eq!(ours["wire_api"].as_str(), Some("responses"));
        prop_assert!(ours.get("env_key").is_none(), "no key that would carry a token");

        // Every comment and every unrelated key, table and provider is kept.
        prop_assert!(once.contains("# my codex profile"));
        for i in 0..comments {
            let c = format!("# c{i}\n");
            prop_assert!(once.contains(&c), "lost comment c{}", i);
        }
        let before = parse(&text);
        for k in file.top.keys() {
            prop_assert_eq!(doc[k.as_str()].to_string(), before[k.as_str()].to_string());
        }
        for (name, keys) in &file.tables {
            for k in keys.keys() {
                prop_assert_eq!(
                    doc[name.as_str()][k.as_str()].to_string(),
                    before[name.as_str()][k.as_str()].to_string()
                );
            }
        }
        for id in file.other_providers.keys() {
            prop_assert!(matches!(doc["model_providers"][id.as_str()], Item::Table(_)));
        }

        // A second merge writes the same bytes.
        let twice = merge(path, Some(once.as_bytes()), &profile()).unwrap();
        prop_assert_eq!(&twice, &once, "the second merge changed the file");

        // Removing aigate's keys leaves what the user had, key for key and comment for comment.
        let back = unmerge(path, once.as_bytes()).unwrap().expect("the user's content is left");
        let back_doc = parse(&back);
        prop_assert!(back_doc.get("model_provider").is_none());
        prop_assert!(back_doc.get("model").is_none());
        for i in 0..comments {
            let c = format!("# c{i}\n");
            prop_assert!(back.contains(&c), "unmerge lost comment c{}", i);
        }
        prop_assert_eq!(
            back_doc.get("model_providers").is_some(),
            !file.other_providers.is_empty()
        );
    }
}

#[test]
fn a_new_file_is_only_aigates_and_unmerge_removes_it_all() {
    let path = Path::new("aigate.config.toml");
    let text = merge(path, None, &profile()).unwrap();
    parse(&text);
    assert_eq!(unmerge(path, text.as_bytes()).unwrap(), None);
}

#[test]
fn invalid_toml_is_refused() {
    let path = Path::new("aigate.config.toml");
    let err = merge(path, Some(b"model = \n[oops"), &profile()).unwrap_err();
    assert!(format!("{err:#}").contains("not valid TOML"), "{err:#}");
}
