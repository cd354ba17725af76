//! The library's top-level modules form a graph without cycles: `commands` may use `wizard`,
//! never the other way round; `cloudflare` does not know `exit`'s chain walk, and so on.
//!
//! The graph is read from the sources: every `crate::<module>` path outside comments and
//! outside `#[cfg(test)]` code is an edge from the file's top-level module. README's
//! "Developing" section describes the graph this test keeps true.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file that ships: comments and the `#[cfg(test)]` tail removed.
fn shipped_code(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let line = line.split(" // ").next().unwrap_or(line);
        code.push_str(line);
        code.push('\n');
    }
    code
}

fn references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `$crate::` or `other_crate::`
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            found.insert(name);
        }
    }
    found
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let code = shipped_code(&std::fs::read_to_string(&file).unwrap());
        let deps = graph.entry(module.clone()).or_default();
        for dep in references(&code) {
            if dep != module {
                deps.insert(dep);
            }
        }
    }
    graph
}

/// Every cycle's modules (strongly connected components of more than one module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two modules are in one cycle when each reaches the other.
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for m in graph.keys() {
        if placed.contains(m) || !reaches[m].contains(m) {
            continue;
        }
        let group: Vec<String> = graph
            .keys()
            .filter(|o| reaches[m].contains(*o) && reaches[*o].contains(m))
            .cloned()
            .collect();
        placed.extend(group.iter().cloned());
        out.push(group);
    }
    out
}

#[test]
fn top_level_modules_have_no_cycles() {
    let graph = module_graph();
    let found = cycles(&graph);
    let edges: Vec<String> = graph
        .iter()
        .map(|(m, d)| {
            format!(
                "{m} -> {}",
                d.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "module cycles: {found:?}\nthe graph:\n{}",
        edges.join("\n")
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    g.entry("d".into()).or_default().insert("a".into());
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}

#[test]
fn commands_sit_above_the_wizard_and_the_core_stays_low() {
    let graph = module_graph();
    let uses = |a: &str, b: &str| graph.get(a).is_some_and(|d| d.contains(b));
    assert!(
        !uses("wizard", "commands"),
        "wizard must not import commands"
    );
    assert!(
        !uses("cloudflare", "error"),
        "cloudflare must not walk error chains"
    );
    assert!(
        !uses("state", "cli"),
        "state stores domain words, not clap types"
    );
    assert!(
        !uses("secrets", "state"),
        "secrets must not depend on state"
    );
}

#[test]
fn comments_and_test_code_are_not_edges() {
    let code = shipped_code(
        "use crate::a::X;\n// crate::b in a comment\nfn f() {} // see crate::c\n#[cfg(test)]\nmod tests { use crate::d; }\n",
    );
    assert_eq!(references(&code), BTreeSet::from(["a".to_string()]));
}

// ---------------------------------------------------------------- the environment, read once

/// The files that may read the process environment: `env.rs` (read once per run into
/// `Env`/`Vars`, injectable) and `main.rs`.
const ENV_READERS: &[&str] = &["env.rs", "main.rs"];

/// Lines of shipped code that read an environment variable directly (`std::env::var`,
/// `var_os`, `vars`, or an import of `std::env` that would allow a bare `env::var`).
fn env_reads(code: &str) -> Vec<String> {
    code.lines()
        .filter(|l| {
            let l = l.replace(' ', "");
            l.contains("std::env::var")
                || l.contains("usestd::env;")
                || l.contains("usestd::env::{")
                || l.contains("usestd::env::var")
                || l.contains("usestd::{env")
        })
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn the_environment_is_read_only_in_env_rs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut found = vec![];
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().to_string();
        if ENV_READERS.contains(&rel.as_str()) {
            continue;
        }
        for line in env_reads(&shipped_code(&std::fs::read_to_string(&f).unwrap())) {
            found.push(format!("src/{rel}: {line}"));
        }
    }
    assert!(
        found.is_empty(),
        "read the environment through crate::env (Env/Vars) instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_env_read_finder_finds_reads_and_skips_the_allowed_ones() {
    let code = "let a = std::env::var(\"X\");\n\
                let b = std::env::var_os(\"Y\");\n\
                use std::env;\n\
                let c = crate::env::var(&name);\n\
                let d = std::env::args_os();\n\
                // std::env::var in a comment\n";
    let found = env_reads(&shipped_code(code));
    assert_eq!(found.len(), 3, "{found:?}");
}

// ---------------------------------------------------------------- thin commands

/// The longest a function in `src/commands/` may be: a command parses, calls one operation and
/// renders its report; anything longer belongs in `src/ops/`.
const COMMAND_FN_MAX_LINES: usize = 60;

/// `(name, lines)` of every function in `code` (from its `fn` line to the `}` at the same
/// indentation, as rustfmt lays it out).
fn function_lengths(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = line.len() - line.trim_start().len();
        let head = line.trim_start();
        let head = head.strip_prefix("pub ").unwrap_or(head);
        let head = head.strip_prefix("pub(crate) ").unwrap_or(head);
        let head = head.strip_prefix("async ").unwrap_or(head);
        if let Some(rest) = head.strip_prefix("fn ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let close = format!("{}}}", " ".repeat(indent));
            let end = (i..lines.len())
                .find(|&j| lines[j].trim_end() == close)
                .unwrap_or(lines.len() - 1);
            out.push((name, end - i + 1));
            i = end;
        }
        i += 1;
    }
    out
}

#[test]
fn command_functions_stay_short() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let mut files = vec![];
    rust_files(&dir, &mut files);
    let mut long = vec![];
    for f in &files {
        for (name, n) in function_lengths(&std::fs::read_to_string(f).unwrap()) {
            if n > COMMAND_FN_MAX_LINES {
                long.push(format!("{}: {name} is {n} lines", f.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "move the work into src/ops/ (limit {COMMAND_FN_MAX_LINES} lines):\n{}",
        long.join("\n")
    );
}

#[test]
fn function_lengths_count_from_fn_to_its_closing_brace() {
    let code = "pub fn a() {\n    x();\n}\n\nimpl T {\n    fn b(&self) {\n        if y {\n        }\n    }\n}\n";
    assert_eq!(
        function_lengths(code),
        [("a".to_string(), 3), ("b".to_string(), 4)]
    );
}
