//! Where OpenCode itself looks for its files. OpenCode ignores platform conventions: it uses
//! `$XDG_CONFIG_HOME` (else `~/.config`) and `$XDG_DATA_HOME` (else `~/.local/share`) on every
//! OS (reference/opencode.md §1, rust-crates-and-ci.md §3.5).

use std::path::{Path, PathBuf};

pub use crate::env::Env;

/// The global config file to edit: `opencode.jsonc` if it exists (it wins over
/// `opencode.json` in the same directory, and OpenCode creates it on first start), else
/// `opencode.json`.
pub fn global_config_path(env: &Env) -> PathBuf {
    jsonc_or_json(&env.config_dir())
}

/// The project config file in the current directory, same `.jsonc`-first rule.
pub fn project_config_path(env: &Env) -> PathBuf {
    jsonc_or_json(&env.cwd)
}

/// `($XDG_DATA_HOME or ~/.local/share)/opencode/auth.json`.
pub fn auth_json_path(env: &Env) -> PathBuf {
    env.data_dir().join("auth.json")
}

fn jsonc_or_json(dir: &Path) -> PathBuf {
    let jsonc = dir.join("opencode.jsonc");
    if jsonc.exists() {
        jsonc
    } else {
        dir.join("opencode.json")
    }
}
