//! Where OpenCode itself looks for its files. OpenCode ignores platform conventions: it uses
//! `$XDG_CONFIG_HOME` (else `~/.config`) and `$XDG_DATA_HOME` (else `~/.local/share`) on every
//! OS (reference/opencode.md §1, rust-crates-and-ci.md §3.5).

use std::path::{Path, PathBuf};

/// The parts of the process environment the paths depend on (injectable for tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Env {
    pub home: PathBuf,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_data_home: Option<PathBuf>,
    pub cwd: PathBuf,
}

impl Env {
    /// Reads `HOME` (or the OS home directory), `XDG_CONFIG_HOME`, `XDG_DATA_HOME` and the
    /// current directory. Empty XDG variables count as unset, as in OpenCode.
    pub fn from_process() -> Env {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("."));
        let xdg = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Env {
            home,
            xdg_config_home: xdg("XDG_CONFIG_HOME"),
            xdg_data_home: xdg("XDG_DATA_HOME"),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }

    /// OpenCode's global config directory: `($XDG_CONFIG_HOME or ~/.config)/opencode`.
    pub fn config_dir(&self) -> PathBuf {
        match &self.xdg_config_home {
            Some(x) => x.join("opencode"),
            None => self.home.join(".config").join("opencode"),
        }
    }

    /// OpenCode's data directory: `($XDG_DATA_HOME or ~/.local/share)/opencode`.
    pub fn data_dir(&self) -> PathBuf {
        match &self.xdg_data_home {
            Some(x) => x.join("opencode"),
            None => self.home.join(".local").join("share").join("opencode"),
        }
    }
}

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
