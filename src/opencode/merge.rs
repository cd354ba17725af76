//! Setting aigate's keys into OpenCode's config without disturbing anything else.
//!
//! Edits go through jsonc-parser's CST, so the user's comments, trailing commas, key order and
//! formatting stay as they were; only the keys aigate owns are touched. A key whose value is
//! already right is not rewritten, so a second run produces byte-identical text.
//!
//! Keys that would make OpenCode leak the Cloudflare token or bypass the gateway
//! (reference/opencode.md §3.4-3.5) are removed from `provider.cloudflare-ai-gateway` and
//! reported in [`MergeOutcome::removed`].

use super::{ConfigInputs, PROVIDER_ID, render_fragment};
use crate::exit::{Failure, Kind};
use crate::files::FileChange;
use anyhow::{Context, Result};
use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::{Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// Keys of `provider.cloudflare-ai-gateway.options` that must never be there: ids and secrets
/// are ignored by OpenCode 1.18 but turn the leak on (§3.5), `baseURL` bypasses the gateway.
pub const DANGEROUS_OPTIONS: &[&str] = &[
    "apiKey",
    "apiToken",
    "token",
    "baseURL",
    "accountId",
    "gatewayId",
    "gateway",
];
/// Headers under `options.headers` that would hold a token (compared case-insensitively).
pub const DANGEROUS_HEADERS: &[&str] = &["cf-aig-authorization", "authorization", "x-api-key"];

const HINT: &str = "fix the file or pass --opencode-config to write elsewhere";

/// Why an OpenCode config cannot be edited. Messages never quote the file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not valid JSONC. `line`/`column` are 1-based.
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid JSONC with the wrong shape (top level or `provider` not an object...).
    Invalid { path: PathBuf, message: String },
}

impl ConfigError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        HINT
    }

    fn with_path(self, p: &Path) -> Self {
        match self {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => ConfigError::Parse {
                path: p.to_path_buf(),
                line,
                column,
                message,
            },
            ConfigError::Invalid { message, .. } => ConfigError::Invalid {
                path: p.to_path_buf(),
                message,
            },
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |p: &Path| {
            if p.as_os_str().is_empty() {
                "the OpenCode config".to_string()
            } else {
                p.display().to_string()
            }
        };
        match self {
            ConfigError::Parse {
                path,
                line,
                column,
                message,
            } => write!(
                f,
                "{} is not valid JSONC: {message} at line {line}, column {column}",
                name(path)
            ),
            ConfigError::Invalid { path, message } => write!(f, "{}: {message}", name(path)),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A key that appeared more than once in one object: all but its last occurrence (the one
/// OpenCode uses) are removed. `line`/`column` (1-based) are where a removed one started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// Dotted path, e.g. `model` or `provider.cloudflare-ai-gateway.options`.
    pub path: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Duplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "duplicate key `{}` at line {}, column {}",
            self.path, self.line, self.column
        )
    }
}

/// The merged text and what was removed from it.
#[derive(Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub text: String,
    /// Dotted paths of dangerous keys removed, e.g.
    /// `provider.cloudflare-ai-gateway.options.apiKey`.
    pub removed: Vec<String>,
    /// A removed key held a literal secret (not an `{env:..}`/`{file:..}` reference): the old
    /// file should then not be copied into a backup.
    pub removed_secret: bool,
    /// Keys that were there more than once (only the last one was kept).
    pub duplicates: Vec<Duplicate>,
}

/// Shows sizes only: the user's file may hold their own provider keys.
impl fmt::Debug for MergeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergeOutcome")
            .field("text_len", &self.text.len())
            .field("removed", &self.removed)
            .field("removed_secret", &self.removed_secret)
            .field("duplicates", &self.duplicates)
            .finish()
    }
}

/// Sets `fragment` (from [`render_fragment`]) into the existing config text (`None` or blank =
/// no file yet; a fresh, indented document is produced).
///
/// Rules: `$schema` only if absent; every other top-level fragment key replaced; for
/// `provider.cloudflare-ai-gateway` the fragment's keys are set and a `whitelist` the fragment
/// lacks is removed (unified billing), and the provider entry is dropped if it ends up empty;
/// dangerous keys are removed; `cloudflare-ai-gateway` is added to an existing
/// `enabled_providers` and removed from `disabled_providers`.
pub fn merge(existing: Option<&str>, fragment: &Value) -> Result<MergeOutcome, ConfigError> {
    let invalid = |message: &str| ConfigError::Invalid {
        path: PathBuf::new(),
        message: message.to_string(),
    };
    let frag = fragment
        .as_object()
        .ok_or_else(|| invalid("the fragment is not an object"))?;
    // A byte order mark is kept as it was, and kept out of the parser's way.
    let (bom, existing) = match existing.map(|t| t.strip_prefix('\u{feff}')) {
        Some(Some(rest)) => ("\u{feff}", Some(rest)),
        _ => ("", existing),
    };
    let source = match existing {
        Some(t) if !t.trim().is_empty() => t.to_string(),
        _ => fresh_document(frag),
    };
    let root = CstRootNode::parse(&source, &parse_options()).map_err(|e| ConfigError::Parse {
        path: PathBuf::new(),
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })?;
    let obj = root
        .object_value_or_create()
        .ok_or_else(|| invalid("the top-level value is not an object"))?;
    let duplicates = find_duplicates(&source);
    if !duplicates.is_empty() {
        keep_last_of_each_key(&obj);
    }

    for (key, value) in frag {
        match key.as_str() {
            "$schema" => {
                if obj.get("$schema").is_none() {
                    obj.insert(0, "$schema", to_cst(value));
                }
            }
            "provider" => {}
            _ => set_prop(&obj, key, value),
        }
    }

    let mut removed = Vec::new();
    let mut removed_secret = false;
    let wanted = frag
        .get("provider")
        .and_then(|p| p.get(PROVIDER_ID))
        .and_then(Value::as_object);
    let provider = match obj.get("provider") {
        Some(prop) => Some(
            prop.object_value()
                .ok_or_else(|| invalid("`provider` is not an object"))?,
        ),
        None => None,
    };
    if let Some(cfg) = provider.as_ref().and_then(|p| p.object_value(PROVIDER_ID)) {
        removed_secret = remove_dangerous(&cfg, &mut removed);
        if !wanted.is_some_and(|w| w.contains_key("whitelist"))
            && let Some(w) = cfg.get("whitelist")
        {
            w.remove();
        }
        let keep = wanted
            .and_then(|w| w.get("models"))
            .and_then(Value::as_object);
        remove_stale_routes(&cfg, keep);
    }
    if let Some(wanted) = wanted {
        let provider = match provider {
            Some(p) => p,
            None => obj
                .object_value_or_create("provider")
                .expect("just checked absent"),
        };
        let cfg = provider
            .object_value_or_create(PROVIDER_ID)
            .ok_or_else(|| invalid("`provider.cloudflare-ai-gateway` is not an object"))?;
        for (key, value) in wanted {
            match (key.as_str(), value.as_object()) {
                // Our model entries are set one by one: the user's own entries stay.
                ("models", Some(entries)) => {
                    let models = cfg.object_value_or_create("models").ok_or_else(|| {
                        invalid("`provider.cloudflare-ai-gateway.models` is not an object")
                    })?;
                    for (id, entry) in entries {
                        set_prop(&models, id, entry);
                    }
                }
                _ => set_prop(&cfg, key, value),
            }
        }
    }
    if let Some(provider) = obj.object_value("provider")
        && let Some(prop) = provider.get(PROVIDER_ID)
        && prop
            .object_value()
            .is_some_and(|o| o.properties().is_empty())
    {
        // Even an empty entry declares the provider, which is what arms the leak (§3.5).
        prop.remove();
        if provider.properties().is_empty()
            && let Some(p) = obj.get("provider")
        {
            p.remove();
        }
    }

    if let Some(enabled) = obj.array_value("enabled_providers")
        && !enabled.elements().iter().any(is_our_id)
    {
        enabled.append(PROVIDER_ID.into());
    }
    if let Some(disabled) = obj.array_value("disabled_providers") {
        for e in disabled.elements() {
            if is_our_id(&e) {
                e.remove();
            }
        }
    }

    Ok(MergeOutcome {
        text: format!("{bom}{root}"),
        removed,
        removed_secret,
        duplicates,
    })
}

/// Every repeated key (all occurrences but the last), in document order, with its position.
fn find_duplicates(source: &str) -> Vec<Duplicate> {
    use jsonc_parser::ast::Value as Ast;
    fn walk(v: &Ast<'_>, prefix: &str, src: &str, out: &mut Vec<Duplicate>) {
        let Ast::Object(o) = v else { return };
        let names: Vec<&str> = o.properties.iter().map(|p| p.name.as_str()).collect();
        for (i, p) in o.properties.iter().enumerate() {
            let name = names[i];
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if names[i + 1..].contains(&name) {
                let (line, column) = line_column(src, p.range.start);
                out.push(Duplicate { path, line, column });
            } else {
                walk(&p.value, &path, src, out);
            }
        }
    }
    let mut out = Vec::new();
    let parsed = jsonc_parser::parse_to_ast(source, &Default::default(), &parse_options());
    if let Ok(jsonc_parser::ParseResult { value: Some(v), .. }) = parsed {
        walk(&v, "", source, &mut out);
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Removes every occurrence of a repeated key but the last, in this object and every object
/// nested in the kept values.
fn keep_last_of_each_key(obj: &CstObject) {
    let props = obj.properties();
    let names: Vec<Option<String>> = props
        .iter()
        .map(|p| p.name().and_then(|n| n.decoded_value().ok()))
        .collect();
    for (i, p) in props.into_iter().enumerate() {
        if names[i].is_some() && names[i + 1..].contains(&names[i]) {
            p.remove();
        } else if let Some(inner) = p.object_value() {
            keep_last_of_each_key(&inner);
        }
    }
}

/// Plans writing `inputs` into the config at `path` (read now; nothing is written).
/// The change keeps a backup of the old file, except when it held a literal secret that is
/// being removed (the backup would keep the secret on disk).
///
/// If another run edits the file before this change is applied, the same keys are merged into
/// its current contents instead (nothing the other run wrote is lost).
pub fn plan_config(path: &Path, inputs: &ConfigInputs) -> Result<(FileChange, MergeOutcome)> {
    let before = read_optional(path)?;
    let fragment = render_fragment(inputs)?;
    let outcome = merge_bytes(path, before.as_deref(), &fragment)?;
    let shown = path.to_path_buf();
    let change = FileChange {
        path: path.to_path_buf(),
        after: Some(outcome.text.clone().into_bytes()),
        before,
        mode: None,
        backup: !outcome.removed_secret,
        sensitive: false,
        rebase: Some(std::sync::Arc::new(move |current: Option<&[u8]>| {
            let o = merge_bytes(&shown, current, &fragment)?;
            Ok(Some(o.text.into_bytes()))
        })),
    };
    Ok((change, outcome))
}

fn merge_bytes(path: &Path, bytes: Option<&[u8]>, fragment: &Value) -> Result<MergeOutcome> {
    let text = match bytes {
        Some(b) => Some(std::str::from_utf8(b).map_err(|_| {
            config_error(ConfigError::Invalid {
                path: path.to_path_buf(),
                message: "the file is not UTF-8 text".into(),
            })
        })?),
        None => None,
    };
    merge(text, fragment).map_err(|e| config_error(e.with_path(path)))
}

/// What `aigate status` reports about an OpenCode config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigStatus {
    pub path: PathBuf,
    pub exists: bool,
    /// The `model` value as written.
    pub model: Option<String>,
    pub small_model: Option<String>,
    /// `model` is `cloudflare-ai-gateway/...`.
    pub uses_gateway: bool,
    /// `provider.cloudflare-ai-gateway.whitelist`, if any.
    pub whitelist: Option<Vec<String>>,
    /// `enabled_providers` lacks the provider or `disabled_providers` names it.
    pub provider_disabled: bool,
    /// Dotted paths of keys that leak the token or bypass the gateway.
    pub dangerous_keys: Vec<String>,
    /// Why the file could not be read as a config (it then says nothing else).
    pub error: Option<String>,
}

/// Reads the config at `path` for `aigate status`. A missing or invalid file is reported in
/// the status; only an unreadable file is an error.
pub fn inspect(path: &Path) -> Result<ConfigStatus> {
    let mut status = ConfigStatus {
        path: path.to_path_buf(),
        ..Default::default()
    };
    let Some(bytes) = read_optional(path)? else {
        return Ok(status);
    };
    status.exists = true;
    let value = match std::str::from_utf8(&bytes) {
        Err(_) => Err("the file is not UTF-8 text".to_string()),
        Ok(text) => match CstRootNode::parse(
            text.strip_prefix('\u{feff}').unwrap_or(text),
            &parse_options(),
        ) {
            Err(e) => Err(ConfigError::Parse {
                path: path.to_path_buf(),
                line: e.line_display(),
                column: e.column_display(),
                message: e.kind().to_string(),
            }
            .to_string()),
            Ok(root) => Ok(root
                .value()
                .and_then(|v| v.to_serde_value())
                .unwrap_or(Value::Null)),
        },
    };
    let value = match value {
        Ok(Value::Object(m)) => m,
        Ok(Value::Null) => Map::new(),
        Ok(_) => {
            status.error = Some("the top-level value is not an object".into());
            return Ok(status);
        }
        Err(e) => {
            status.error = Some(e);
            return Ok(status);
        }
    };
    let text_of = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    status.model = text_of("model");
    status.small_model = text_of("small_model");
    status.uses_gateway = status
        .model
        .as_deref()
        .is_some_and(|m| m.starts_with(&format!("{PROVIDER_ID}/")));
    let names_us = |k: &str| {
        value
            .get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().any(|v| v == PROVIDER_ID))
    };
    status.provider_disabled = names_us("enabled_providers") == Some(false)
        || names_us("disabled_providers") == Some(true);
    if let Some(cfg) = value.get("provider").and_then(|p| p.get(PROVIDER_ID)) {
        status.whitelist = cfg.get("whitelist").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        });
        status.dangerous_keys = dangerous_paths(cfg);
    }
    Ok(status)
}

/// Dotted paths of the dangerous keys in a `provider.cloudflare-ai-gateway` value.
fn dangerous_paths(cfg: &Value) -> Vec<String> {
    let base = format!("provider.{PROVIDER_ID}");
    let mut found = Vec::new();
    if cfg.get("api").is_some() {
        found.push(format!("{base}.api"));
    }
    if let Some(opts) = cfg.get("options").and_then(Value::as_object) {
        for key in DANGEROUS_OPTIONS {
            if opts.contains_key(*key) {
                found.push(format!("{base}.options.{key}"));
            }
        }
        if let Some(headers) = opts.get("headers").and_then(Value::as_object) {
            for name in headers.keys().filter(|n| is_dangerous_header(n)) {
                found.push(format!("{base}.options.headers.{name}"));
            }
        }
    }
    found
}

/// Removes the dangerous keys from the provider's CST object; records each dotted path.
/// Returns whether any removed value was a literal secret.
fn remove_dangerous(cfg: &CstObject, removed: &mut Vec<String>) -> bool {
    let base = format!("provider.{PROVIDER_ID}");
    let mut literal_secret = false;
    if drop_prop(cfg, "api").0 {
        removed.push(format!("{base}.api"));
    }
    let Some(opts) = cfg.object_value("options") else {
        return literal_secret;
    };
    for key in DANGEROUS_OPTIONS {
        let (found, literal) = drop_prop(&opts, key);
        if found {
            removed.push(format!("{base}.options.{key}"));
            literal_secret |= literal && matches!(*key, "apiKey" | "apiToken" | "token");
        }
    }
    if let Some(headers) = opts.object_value("headers") {
        let names: Vec<String> = headers
            .properties()
            .iter()
            .filter_map(|p| p.name()?.decoded_value().ok())
            .filter(|n| is_dangerous_header(n))
            .collect();
        for name in &names {
            let (_, literal) = drop_prop(&headers, name);
            literal_secret |= literal;
            removed.push(format!("{base}.options.headers.{name}"));
        }
        if !names.is_empty()
            && headers.properties().is_empty()
            && let Some(p) = opts.get("headers")
        {
            p.remove();
        }
    }
    if opts.properties().is_empty()
        && let Some(p) = cfg.get("options")
    {
        p.remove();
    }
    literal_secret
}

/// Removes every property `name` (JSONC allows duplicates). Returns (found, any value was a
/// literal rather than an `{env:..}`/`{file:..}` reference).
fn drop_prop(obj: &CstObject, name: &str) -> (bool, bool) {
    let (mut found, mut literal) = (false, false);
    while let Some(prop) = obj.get(name) {
        literal |= prop
            .value()
            .and_then(|v| v.to_serde_value())
            .as_ref()
            .is_some_and(is_literal);
        prop.remove();
        found = true;
    }
    (found, literal)
}

fn is_dangerous_header(name: &str) -> bool {
    DANGEROUS_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// A value that holds a secret itself rather than naming where OpenCode finds it.
fn is_literal(v: &Value) -> bool {
    match v {
        Value::String(s) => {
            let s = s.trim();
            !(s.is_empty() || s.starts_with("{env:") || s.starts_with("{file:"))
        }
        Value::Null => false,
        _ => true,
    }
}

fn is_our_id(node: &jsonc_parser::cst::CstNode) -> bool {
    node.to_serde_value().is_some_and(|v| v == PROVIDER_ID)
}

/// The prefix of the dynamic routes aigate names (`aigate-<profile>`), as OpenCode model ids.
const OUR_ROUTES: &str = "dynamic/aigate-";

/// Removes the model entries of aigate's dynamic routes that `keep` does not hold (a re-run
/// without `--fallback-model`), and `models` when that leaves it empty.
fn remove_stale_routes(cfg: &CstObject, keep: Option<&Map<String, Value>>) {
    let Some(models) = cfg.object_value("models") else {
        return;
    };
    for prop in models.properties() {
        let name = prop.name().and_then(|n| n.decoded_value().ok());
        if let Some(name) = name
            && name.starts_with(OUR_ROUTES)
            && !keep.is_some_and(|k| k.contains_key(&name))
        {
            prop.remove();
        }
    }
    if models.properties().is_empty()
        && let Some(p) = cfg.get("models")
    {
        p.remove();
    }
}

/// Sets `key` to `value` unless it already has exactly that value (keeps the bytes as they are).
fn set_prop(obj: &CstObject, key: &str, value: &Value) {
    match obj.get(key) {
        Some(prop) => {
            if prop.value().and_then(|v| v.to_serde_value()).as_ref() != Some(value) {
                prop.set_value(to_cst(value));
                multiline_arrays(obj, key, value);
            }
        }
        None => {
            obj.append(key, to_cst(value));
            multiline_arrays(obj, key, value);
        }
    }
}

/// One element per line for a non-empty array we wrote (model lists get long).
fn multiline_arrays(obj: &CstObject, key: &str, value: &Value) {
    if value.as_array().is_some_and(|a| !a.is_empty())
        && let Some(a) = obj.array_value(key)
    {
        a.ensure_multiline();
    }
}

/// The document for a missing or empty file: the fragment, 2-space indented.
fn fresh_document(frag: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(frag).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// What OpenCode accepts: JSON plus comments and trailing commas (nothing looser, so a file
/// OpenCode would reject is reported here instead of being edited).
fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// A JSON value as the CST editor takes it (OpenCode 1 and 2 configs alike).
pub(super) fn to_cst(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(to_cst).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), to_cst(v))).collect())
        }
    }
}

/// The error `plan_config` returns: the [`ConfigError`] on top (so callers can downcast to
/// it), over a [`Failure`] that carries the exit code and the hint for `crate::exit`.
fn config_error(e: ConfigError) -> anyhow::Error {
    anyhow::Error::new(Failure::new(Kind::Other, "nothing was written to it").with_hint(HINT))
        .context(e)
}

pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
