//! The parts every command is built from, made once per run: the UI, the async runtime, the
//! Cloudflare endpoints, where state and OpenCode files live, and how to open the token store.
//! `--sandbox` swaps each part for a throwaway one backed by the embedded emulator.

use crate::cli::GlobalArgs;
use crate::cloudflare::{Client, Endpoints};
use crate::emulator::{Emulator, EmulatorOptions, Seed};
use crate::env::{Env, Vars};
use crate::exit::{Failure, Kind};
use crate::secrets::{self, FileStore, SecretStore, StoreKind};
use crate::state::{self, Profile, State};
use crate::token_source::{self, Sources, TokenSource, Wants};
use crate::ui::Ui;
use crate::{Secret, interrupt};
use std::path::PathBuf;
use std::sync::Arc;

pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
    pub rt: tokio::runtime::Runtime,
    pub endpoints: Endpoints,
    pub env: Env,
    /// The environment variables aigate acts on, read once (see [`crate::env`]).
    pub vars: Vars,
    pub state_path: PathBuf,
    pub sandbox: Option<Sandbox>,
    /// The one connection pool of this run (built on first use: commands that never reach
    /// Cloudflare never load the system certificates).
    pool: std::sync::OnceLock<Client>,
    /// `AIGATE_HTTP_TIMEOUT`, checked when the context is made.
    http_timeout: Option<std::time::Duration>,
}

/// The embedded emulator and the throwaway directory a `--sandbox` run writes into. The
/// directory is removed when the run ends (also on Ctrl-C), unless it is to be kept.
pub struct Sandbox {
    pub emulator: Emulator,
    pub dir: PathBuf,
    pub keep: bool,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        interrupt::forget_on_exit(&self.dir);
    }
}

impl Context {
    pub fn new(global: GlobalArgs, sandbox: bool) -> anyhow::Result<Context> {
        let vars = Vars::from_process();
        // A value no token can have is refused (exit 2) before it is sent anywhere.
        if !sandbox
            && let Some(t) = &vars.cloudflare_api_token
            && let Some(problem) = crate::domain::token_problem(t.expose())
        {
            return Err(Failure::usage(format!("CLOUDFLARE_API_TOKEN: {problem}"))
                .with_hint("set CLOUDFLARE_API_TOKEN to the token itself, or unset it")
                .into());
        }
        let http_timeout = vars.http_timeout().map_err(|problem| {
            Failure::usage(problem)
                .with_hint("unset it, or give whole seconds, e.g. AIGATE_HTTP_TIMEOUT=60")
        })?;
        let ui = Ui::new(
            global.json,
            global.no_color || vars.no_color,
            global.verbose,
            global.quiet,
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        interrupt::install(&rt);
        let mut endpoints = Endpoints {
            api_url: global.api_url.clone(),
            gateway_url: global.gateway_url.clone(),
        };
        let mut env = Env::from_process();
        let mut state_path = state::default_path()?;
        let sandbox = if sandbox {
            let emulator = rt.block_on(Emulator::start(EmulatorOptions {
                tls_proxy: false,
                seed: Seed::Sandbox,
            }))?;
            let dir = tempfile::Builder::new()
                .prefix("aigate-sandbox-")
                .tempdir()?
                .keep();
            endpoints = Endpoints {
                api_url: emulator.api_url(),
                gateway_url: emulator.gateway_url(),
            };
            env = Env {
                home: dir.clone(),
                xdg_config_home: Some(dir.join("config")),
                xdg_data_home: Some(dir.join("data")),
                cwd: dir.clone(),
            };
            state_path = dir.join("config").join("aigate").join(state::FILE_NAME);
            interrupt::remove_on_exit(&dir);
            Some(Sandbox {
                emulator,
                dir,
                keep: false,
            })
        } else {
            None
        };
        Ok(Context {
            global,
            ui,
            rt,
            endpoints,
            env,
            vars,
            state_path,
            sandbox,
            pool: std::sync::OnceLock::new(),
            http_timeout,
        })
    }

    /// `--keep-sandbox`: leave the sandbox's directory in place at exit.
    pub fn keep_sandbox(&mut self, keep: bool) {
        if let Some(s) = self.sandbox.as_mut() {
            s.keep = keep;
            if keep {
                interrupt::forget_on_exit(&s.dir);
            }
        }
    }

    /// Codex's config directory: `CODEX_HOME`, else `~/.codex` (inside the sandbox's home
    /// under `--sandbox`).
    pub fn codex_home(&self) -> PathBuf {
        let var = match self.sandbox {
            Some(_) => None,
            None => self.vars.codex_home.clone(),
        };
        crate::agents::codex::codex_home(&self.env.home, var.as_deref())
    }

    pub fn profile_name(&self) -> &str {
        &self.global.profile
    }

    pub fn load_state(&self) -> anyhow::Result<State> {
        State::load(&self.state_path)
    }

    /// The profile, or exit 1 telling how to create it.
    pub fn require_profile(&self) -> anyhow::Result<Profile> {
        let state = self.load_state()?;
        state.profile(self.profile_name()).cloned().ok_or_else(|| {
            let flag = if self.profile_name() == "default" {
                String::new()
            } else {
                format!(" --profile {}", self.profile_name())
            };
            Failure::new(
                Kind::Other,
                format!("profile '{}' is not set up", self.profile_name()),
            )
            .with_hint(format!("run `aigate setup{flag}`"))
            .into()
        })
    }

    /// A Cloudflare client on the one connection pool of this run: every call shares the
    /// same pool, so a run opens as few connections (and TLS handshakes) as it can.
    pub fn client(&self, token: Secret) -> anyhow::Result<Client> {
        if let Some(base) = self.pool.get() {
            return Ok(base.with_token(token));
        }
        let base = Client::new(self.endpoints.clone(), Secret::new(String::new()))?;
        let base = match self.http_timeout {
            None => base,
            Some(t) => base.with_timeouts(crate::cloudflare::Timeouts {
                api_total: t,
                connect: t.min(crate::cloudflare::Timeouts::default().connect),
                ..Default::default()
            })?,
        };
        let base = if self.ui.verbose() {
            let ui = self.ui.clone();
            base.with_logger(Arc::new(move |line: &str| ui.debug(line)))
        } else {
            base
        };
        Ok(self.pool.get_or_init(|| base).with_token(token))
    }

    /// The store a new token goes into: the keychain, or (only when allowed) a 0600 file.
    pub fn store_for_write(&self, insecure_storage: bool) -> anyhow::Result<Box<dyn SecretStore>> {
        match &self.sandbox {
            Some(s) => Ok(Box::new(SandboxStore(FileStore::new(
                s.dir.join("config").join("aigate").join("credentials.json"),
            )))),
            None => {
                secrets::open_for_write(&secrets::keychain_service(&self.vars), insecure_storage)
            }
        }
    }

    /// The store a profile recorded.
    pub fn store_of(&self, kind: StoreKind) -> anyhow::Result<Box<dyn SecretStore>> {
        match &self.sandbox {
            Some(_) => self.store_for_write(true),
            None => secrets::open_kind(&secrets::keychain_service(&self.vars), kind),
        }
    }

    /// `CLOUDFLARE_API_TOKEN` of this run, when set and not empty.
    pub fn env_token(&self) -> Option<Secret> {
        self.vars.cloudflare_api_token.clone()
    }

    /// The token a command `wants`, by the one precedence of [`crate::token_source`].
    pub fn token(&self, wants: Wants<'_>) -> anyhow::Result<(Secret, TokenSource)> {
        let sources = Sources {
            sandbox: self.sandbox.is_some(),
            env: self.env_token(),
            stdin: &token_source::read_stdin,
            ui: &self.ui,
        };
        token_source::resolve(&sources, wants)
    }

    /// The token for the daily commands: `CLOUDFLARE_API_TOKEN`, else the profile's stored one.
    pub fn token_for(&self, profile: &Profile) -> anyhow::Result<(Secret, TokenSource)> {
        let store = self.store_of(profile.token_store)?;
        self.token(Wants::daily(store.as_ref(), self.profile_name()))
    }
}

pub use crate::domain::profile_flag;
pub use crate::token_source::{check_shape as check_token_shape, read_stdin as read_token_stdin};

/// The sandbox keeps its demo token in a throwaway file, and says so.
struct SandboxStore(FileStore);

impl SecretStore for SandboxStore {
    fn kind(&self) -> StoreKind {
        self.0.kind()
    }
    fn describe(&self) -> String {
        "the sandbox's throwaway token file".to_string()
    }
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        self.0.get(profile)
    }
    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        self.0.set(profile, secret)
    }
    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        self.0.delete(profile)
    }
}
