//! `aigate.toml`: a team's shared answers to setup, committed at a repository's root. No
//! secrets. Written with comments explaining each key (`toml_edit`); read with every error
//! pointing at its line and column. Schema: `schemas/aigate-toml.json`.

use crate::domain::Billing;
use crate::exit::{Failure, Kind};
use std::path::{Path, PathBuf};
use toml_edit::{Array, DocumentMut, Item, value};

pub const FILE_NAME: &str = "aigate.toml";

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TeamFile {
    pub account_id: String,
    pub gateway_id: String,
    pub billing: Billing,
    pub model: String,
    pub small_model: Option<String>,
    pub fallback_models: Vec<String>,
    pub allowed_providers: Vec<String>,
    pub spend_limit: Option<String>,
    pub clients: Vec<String>,
}

const KEYS: &[(&str, &str)] = &[
    (
        "account_id",
        "The Cloudflare account (32 hex characters) every developer's gateway traffic goes to.",
    ),
    (
        "gateway_id",
        "The AI Gateway in that account. `aigate setup` refuses a token that cannot reach it.",
    ),
    (
        "billing",
        "\"unified\": Cloudflare bills the account (credits). \"byok\": provider keys stored in the gateway.",
    ),
    (
        "model",
        "The default model, as a gateway catalog id (provider/model).",
    ),
    (
        "small_model",
        "The model OpenCode uses for titles and summaries.",
    ),
    (
        "fallback_models",
        "Models to fall back to, in order, when the default model fails (a dynamic route).",
    ),
    (
        "allowed_providers",
        "Providers developers may pick models from; empty means any. With BYOK: the providers whose keys are in the gateway.",
    ),
    (
        "spend_limit",
        "A gateway spend limit as AMOUNT/WINDOW (e.g. \"50/30d\"); leave it out for none.",
    ),
    (
        "clients",
        "The coding agents setup configures: \"opencode\", \"claude-code\", \"codex\".",
    ),
];

const HEADER: &str = "# aigate team file: `aigate setup` run anywhere in this repository uses these answers\n\
# and asks each developer only for their token (see `aigate team invite`).\n\
# No secrets belong here: tokens stay in each developer's OS keychain.\n\n";

impl TeamFile {
    /// The file's text, each key preceded by a comment saying what it is.
    pub fn to_toml(&self) -> String {
        let mut doc = DocumentMut::new();
        let list = |v: &[String]| {
            let mut a = Array::new();
            for s in v {
                a.push(s.as_str());
            }
            value(a)
        };
        doc["account_id"] = value(&self.account_id);
        doc["gateway_id"] = value(&self.gateway_id);
        doc["billing"] = value(match self.billing {
            Billing::Unified => "unified",
            Billing::Byok => "byok",
        });
        doc["model"] = value(&self.model);
        if let Some(s) = &self.small_model {
            doc["small_model"] = value(s);
        }
        doc["fallback_models"] = list(&self.fallback_models);
        doc["allowed_providers"] = list(&self.allowed_providers);
        if let Some(s) = &self.spend_limit {
            doc["spend_limit"] = value(s);
        }
        doc["clients"] = list(&self.clients);
        let mut first = true;
        for (key, comment) in KEYS {
            if let Some(mut k) = doc.key_mut(key) {
                let lead = if first { HEADER } else { "\n" };
                first = false;
                k.leaf_decor_mut()
                    .set_prefix(format!("{lead}# {comment}\n"));
            }
        }
        doc.to_string()
    }

    /// Parse the file's text; errors name the file, line and column.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<TeamFile> {
        let doc = toml_edit::Document::parse(text).map_err(|e| {
            let (line, col) = line_col(text, e.span().map_or(0, |s| s.start));
            bad(path, line, col, e.message().trim())
        })?;
        let root = doc.as_table();
        for (key, item) in root.iter() {
            if !KEYS.iter().any(|(k, _)| *k == key) {
                let (line, col) = line_col(text, item.span().unwrap_or(0..0).start);
                return Err(bad(
                    path,
                    line,
                    col,
                    &format!(
                        "unknown key `{key}` (known: {})",
                        KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let at = |item: &Item| line_col(text, item.span().unwrap_or(0..0).start);
        let string = |key: &str| -> anyhow::Result<Option<String>> {
            match root.get(key) {
                None => Ok(None),
                Some(item) => match item.as_str() {
                    Some(s) => Ok(Some(s.to_string())),
                    None => {
                        let (l, c) = at(item);
                        Err(bad(path, l, c, &format!("`{key}` must be a string")))
                    }
                },
            }
        };
        let required = |key: &str| -> anyhow::Result<String> {
            string(key)?.ok_or_else(|| bad(path, 1, 1, &format!("`{key}` is missing")))
        };
        let strings = |key: &str| -> anyhow::Result<Vec<String>> {
            let Some(item) = root.get(key) else {
                return Ok(vec![]);
            };
            let (l, c) = at(item);
            let arr = item
                .as_array()
                .ok_or_else(|| bad(path, l, c, &format!("`{key}` must be a list of strings")))?;
            arr.iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        let (l, c) = line_col(text, v.span().unwrap_or(0..0).start);
                        bad(path, l, c, &format!("`{key}` must be a list of strings"))
                    })
                })
                .collect()
        };
        let check = |key: &str, ok: bool, why: &str| -> anyhow::Result<()> {
            if ok {
                return Ok(());
            }
            let (l, c) = root.get(key).map_or((1, 1), at);
            Err(bad(path, l, c, &format!("`{key}` {why}")))
        };
        let account_id = required("account_id")?;
        check(
            "account_id",
            account_id.len() == 32 && account_id.chars().all(|c| c.is_ascii_hexdigit()),
            "must be 32 hex characters",
        )?;
        let gateway_id = required("gateway_id")?;
        check(
            "gateway_id",
            crate::cloudflare::is_valid_gateway_id(&gateway_id),
            "is not a valid gateway id",
        )?;
        let billing = match required("billing")?.as_str() {
            "unified" => Billing::Unified,
            "byok" => Billing::Byok,
            _ => {
                check("billing", false, "must be \"unified\" or \"byok\"")?;
                unreachable!()
            }
        };
        let model = required("model")?;
        let model_ok = |m: &str| {
            m.split_once('/')
                .is_some_and(|(p, r)| !p.is_empty() && !r.is_empty())
        };
        check("model", model_ok(&model), "must be provider/model")?;
        let small_model = string("small_model")?;
        check(
            "small_model",
            small_model.as_deref().is_none_or(model_ok),
            "must be provider/model",
        )?;
        let fallback_models = strings("fallback_models")?;
        check(
            "fallback_models",
            fallback_models.iter().all(|m| model_ok(m)),
            "must all be provider/model",
        )?;
        let allowed_providers = strings("allowed_providers")?;
        let provider = model.split('/').next().unwrap_or_default();
        check(
            "model",
            allowed_providers.is_empty() || allowed_providers.iter().any(|p| p == provider),
            "is from a provider not in allowed_providers",
        )?;
        let spend_limit = string("spend_limit")?;
        check(
            "spend_limit",
            spend_limit
                .as_deref()
                .is_none_or(|s| crate::domain::limits::parse_spend_limit(s).is_ok()),
            "must be AMOUNT/WINDOW in US dollars, e.g. \"50/30d\"",
        )?;
        let clients = strings("clients")?;
        check(
            "clients",
            clients
                .iter()
                .all(|c| ["opencode", "claude-code", "codex"].contains(&c.as_str())),
            "must be among \"opencode\", \"claude-code\", \"codex\"",
        )?;
        Ok(TeamFile {
            account_id,
            gateway_id,
            billing,
            model,
            small_model,
            fallback_models,
            allowed_providers,
            spend_limit,
            clients,
        })
    }

    pub fn load(path: &Path) -> anyhow::Result<TeamFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        TeamFile::parse(&text, path)
    }
}

fn bad(path: &Path, line: usize, col: usize, what: &str) -> anyhow::Error {
    Failure::new(
        Kind::Usage,
        format!("{}:{line}:{col}: {what}", path.display()),
    )
    .with_hint(format!(
        "fix {} (or regenerate it with `aigate team init`)",
        path.display()
    ))
    .into()
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The repository root above `dir`: the nearest directory with a `.git` entry.
pub fn repo_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The team file that applies in `dir`: `aigate.toml` in `dir` or an ancestor, up to the
/// repository root.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let root = repo_root(dir);
    for d in dir.ancestors() {
        let f = d.join(FILE_NAME);
        if f.is_file() {
            return Some(f);
        }
        if root.as_deref() == Some(d) {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TeamFile {
        TeamFile {
            account_id: "0123456789abcdef0123456789abcdef".into(),
            gateway_id: "team-gw".into(),
            billing: Billing::Unified,
            model: "openai/gpt-5-mini".into(),
            small_model: Some("openai/gpt-5.4-nano".into()),
            fallback_models: vec!["anthropic/claude-haiku-4.5".into()],
            allowed_providers: vec![],
            spend_limit: None,
            clients: vec!["opencode".into()],
        }
    }

    #[test]
    fn written_files_read_back_and_carry_comments() {
        let text = sample().to_toml();
        assert!(text.starts_with("# aigate team file"));
        assert!(text.contains("# The AI Gateway in that account."));
        assert_eq!(
            TeamFile::parse(&text, Path::new("aigate.toml")).unwrap(),
            sample()
        );
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let p = Path::new("aigate.toml");
        let e = TeamFile::parse("account_id = \"abc\n", p).unwrap_err();
        assert!(format!("{e:#}").starts_with("aigate.toml:1:"), "{e:#}");
        let text = sample()
            .to_toml()
            .replace("billing = \"unified\"", "billing = \"free\"");
        let line = text.lines().position(|l| l.starts_with("billing")).unwrap() + 1;
        let e = TeamFile::parse(&text, p).unwrap_err();
        assert!(
            format!("{e:#}").contains(&format!("aigate.toml:{line}:11: `billing`")),
            "{e:#}"
        );
        let e = TeamFile::parse(
            &format!("{}\nspend_limit = \"5/1y\"\n", sample().to_toml()),
            p,
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("`spend_limit` must be AMOUNT/WINDOW"),
            "{e:#}"
        );
        let e =
            TeamFile::parse(&format!("{}\ntoken = \"x\"\n", sample().to_toml()), p).unwrap_err();
        assert!(format!("{e:#}").contains("unknown key `token`"), "{e:#}");
    }
}
