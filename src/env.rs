//! The process environment, read in one place. Every other module takes what it needs from an
//! [`Env`] (directories) or [`Vars`] (variables) built here once per run by `context` (and
//! replaced wholesale by `--sandbox` or a test), so no module reads `std::env` behind the
//! run's back.
//!
//! The exceptions are still read only here: [`var`], a variable whose *name* the user chose at
//! run time (`--byok-key PROVIDER=ENV_VAR`, checked by the flag's parser before a run exists);
//! and the few reads of layers below the run ([`lock_wait_ms`] for file locks, the XDG
//! directories of [`crate::paths`], the Windows user and host names). `tests/module_graph.rs`
//! fails if `std::env::var` appears anywhere else.

use crate::Secret;
use std::ffi::OsString;
use std::path::PathBuf;

/// The directories the paths of aigate and OpenCode depend on (injectable for tests).
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

/// The variables aigate acts on (besides clap's `AIGATE_*` flag defaults).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// `CLOUDFLARE_API_TOKEN`, trimmed, when set and not empty: overrides a stored token.
    pub cloudflare_api_token: Option<Secret>,
    /// `NO_COLOR` set and not empty.
    pub no_color: bool,
    /// `PATH`, to find the clients (OpenCode...) the way the OS does.
    pub path: Option<OsString>,
    /// `CODEX_HOME`: Codex's config directory, when set.
    pub codex_home: Option<OsString>,
    /// `CLAUDE_CONFIG_DIR`: Claude Code's config directory, when set.
    pub claude_config_dir: Option<OsString>,
    /// `AIGATE_KEYRING_SERVICE` (tests only), when set and not empty: replaces the keychain
    /// service name so a test cannot touch a user's real token.
    pub keyring_service: Option<String>,
    /// `AIGATE_HTTP_TIMEOUT` as given (seconds per Cloudflare API request, like cargo's
    /// `CARGO_HTTP_TIMEOUT`), when set and not empty; checked by [`Vars::http_timeout`].
    pub http_timeout: Option<String>,
}

impl Vars {
    pub fn from_process() -> Vars {
        Vars {
            cloudflare_api_token: std::env::var("CLOUDFLARE_API_TOKEN")
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(Secret::new),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            path: std::env::var_os("PATH"),
            codex_home: std::env::var_os("CODEX_HOME"),
            claude_config_dir: std::env::var_os("CLAUDE_CONFIG_DIR"),
            keyring_service: std::env::var("AIGATE_KEYRING_SERVICE")
                .ok()
                .filter(|s| !s.is_empty()),
            http_timeout: std::env::var("AIGATE_HTTP_TIMEOUT")
                .ok()
                .filter(|s| !s.trim().is_empty()),
        }
    }

    /// `AIGATE_HTTP_TIMEOUT`: whole seconds from 1 to 600, or `None` when unset (the client's
    /// default, 30 s). `Err` names the value and what would be accepted.
    pub fn http_timeout(&self) -> Result<Option<std::time::Duration>, String> {
        let Some(raw) = &self.http_timeout else {
            return Ok(None);
        };
        match raw.trim().parse::<u64>() {
            Ok(n) if (1..=600).contains(&n) => Ok(Some(std::time::Duration::from_secs(n))),
            _ => Err(format!(
                "AIGATE_HTTP_TIMEOUT={raw:?} is not a number of seconds from 1 to 600"
            )),
        }
    }

    /// The program `name` on `PATH`, found the way the OS does (`PATHEXT` on Windows, so
    /// npm's `opencode.cmd` too).
    pub fn find_program(&self, name: &str) -> Option<PathBuf> {
        let cwd = std::env::current_dir().ok()?;
        which::which_in(name, self.path.as_ref(), cwd).ok()
    }
}

/// A variable named at run time by the user (e.g. `--byok-key openai=MY_KEY`), or `None` when
/// unset or not Unicode.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `XDG_CONFIG_HOME` for aigate's own directory (see [`crate::paths`]).
pub fn xdg_config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from)
}

/// `XDG_STATE_HOME`, where OpenCode 2 keeps its service discovery file (see
/// [`crate::opencode::v2::state_dir`]); empty counts as unset.
pub fn xdg_state_home() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `AIGATE_LOCK_WAIT_MS`: how long a file lock waits for another run (tests shorten it).
pub fn lock_wait_ms() -> Option<u64> {
    std::env::var("AIGATE_LOCK_WAIT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
}

/// `USERNAME` (Windows), for the per-user lock directory.
pub fn user_name() -> Option<String> {
    std::env::var("USERNAME").ok().filter(|s| !s.is_empty())
}

/// `COMPUTERNAME` (Windows), naming the machine in minted token names.
pub fn computer_name() -> Option<String> {
    std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty())
}
