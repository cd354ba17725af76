//! Which OpenCode is installed, found once per run and in parallel with the network work:
//! its path (the `which` rule), its version (`opencode --version`: V1 prints `1.18.33`, V2
//! prints `opencode v2.0.9`, reference/opencode-v2.md §2) and, for V2, whether its background
//! service is running (the discovery file and `GET /api/health`, §3).
//!
//! `--opencode-version 1|2` (or `AIGATE_OPENCODE_VERSION`) replaces the version check where
//! `opencode --version` cannot run; the service is still looked for.

use crate::opencode::Env;
use crate::opencode::v2::{self, Discovery};
use serde::Serialize;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// OpenCode's major version, as far as aigate cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OpencodeMajor {
    #[serde(rename = "1")]
    V1,
    #[serde(rename = "2")]
    V2,
}

impl OpencodeMajor {
    pub fn number(self) -> u8 {
        match self {
            OpencodeMajor::V1 => 1,
            OpencodeMajor::V2 => 2,
        }
    }
}

/// How the version was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `opencode --version` answered.
    Detected,
    /// `--opencode-version` / `AIGATE_OPENCODE_VERSION`.
    Override,
    /// No `opencode` on PATH.
    NotInstalled,
    /// `opencode` is there but its answer was not understood (or it did not answer).
    Unknown,
}

/// One client's installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installation {
    pub path: Option<PathBuf>,
    /// The version as printed, without the `opencode v` decoration (`2.0.9`, `1.18.33`).
    pub version: Option<String>,
    pub source: Source,
    #[serde(skip)]
    forced: Option<OpencodeMajor>,
}

impl Installation {
    /// A program found at `path`; `version` as it answered `--version`, if it did.
    fn found(path: PathBuf, version: Option<String>) -> Installation {
        Installation {
            source: if version.is_some() {
                Source::Detected
            } else {
                Source::Unknown
            },
            path: Some(path),
            version,
            forced: None,
        }
    }

    pub fn not_installed() -> Installation {
        Installation {
            path: None,
            version: None,
            source: Source::NotInstalled,
            forced: None,
        }
    }

    /// V1 or V2, when known (from the version or the override).
    pub fn major(&self) -> Option<OpencodeMajor> {
        self.forced
            .or_else(|| self.version.as_deref().and_then(major_of))
    }

    pub fn installed(&self) -> bool {
        self.path.is_some()
    }

    /// `OpenCode 2.0.9`, `OpenCode 2 (set by --opencode-version)`, `OpenCode (not installed)`.
    pub fn describe(&self) -> String {
        match (&self.version, self.major(), self.source) {
            (_, Some(m), Source::Override) => {
                format!("OpenCode {} (set by --opencode-version)", m.number())
            }
            (Some(v), _, _) => format!("OpenCode {v}"),
            (None, _, Source::NotInstalled) => "OpenCode (not installed)".to_string(),
            (None, _, _) => "OpenCode (version unknown)".to_string(),
        }
    }
}

/// The V2 background service, as found.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ServiceState {
    /// No discovery file.
    NotRunning,
    /// A discovery file, but its server does not answer (stale file).
    Stale { url: String },
    /// A healthy server.
    Running {
        url: String,
        pid: Option<u32>,
        version: String,
        #[serde(skip)]
        discovery: Discovery,
    },
}

impl ServiceState {
    pub fn discovery(&self) -> Option<&Discovery> {
        match self {
            ServiceState::Running { discovery, .. } => Some(discovery),
            _ => None,
        }
    }
}

/// Everything detection found.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub opencode: Installation,
    pub service: ServiceState,
}

/// What detection needs, taken from the run context before it starts.
#[derive(Debug, Clone)]
pub struct Input {
    pub env: Env,
    /// OpenCode 2's state directory (where its service file is).
    pub state_dir: PathBuf,
    pub forced: Option<OpencodeMajor>,
    /// `PATH` to search (the process's own).
    pub path_var: Option<std::ffi::OsString>,
}

impl Input {
    pub fn new(
        env: &Env,
        state_dir: PathBuf,
        path_var: Option<std::ffi::OsString>,
        forced: Option<u8>,
    ) -> Input {
        Input {
            env: env.clone(),
            state_dir,
            forced: forced.and_then(|n| match n {
                1 => Some(OpencodeMajor::V1),
                2 => Some(OpencodeMajor::V2),
                _ => None,
            }),
            path_var,
        }
    }
}

/// Detection running in the background; [`Detector::wait`] takes its result.
pub struct Detector {
    handle: tokio::task::JoinHandle<Detection>,
}

impl Detector {
    /// Start detection on `rt` (a blocking task for the process, then the health probe).
    pub fn start(rt: &tokio::runtime::Runtime, input: Input) -> Detector {
        let handle = rt.spawn(async move {
            let state_dir = input.state_dir.clone();
            let opencode = tokio::task::spawn_blocking(move || installation(&input))
                .await
                .unwrap_or_else(|_| Installation::not_installed());
            let service = service(&state_dir).await;
            Detection { opencode, service }
        });
        Detector { handle }
    }

    pub fn wait(self, rt: &tokio::runtime::Runtime) -> Detection {
        rt.block_on(self.handle).unwrap_or(Detection {
            opencode: Installation::not_installed(),
            service: ServiceState::NotRunning,
        })
    }
}

/// Detect now, on the calling thread's runtime (for callers with no other work to overlap).
pub fn detect_now(rt: &tokio::runtime::Runtime, input: Input) -> Detection {
    Detector::start(rt, input).wait(rt)
}

/// Where `opencode` is and what it says it is.
pub fn installation(input: &Input) -> Installation {
    let cwd = input.env.cwd.clone();
    let path = which::which_in("opencode", input.path_var.clone(), cwd).ok();
    let Some(path) = path else {
        return Installation {
            path: None,
            version: None,
            source: if input.forced.is_some() {
                Source::Override
            } else {
                Source::NotInstalled
            },
            forced: input.forced,
        };
    };
    if input.forced.is_some() {
        return Installation {
            path: Some(path),
            version: None,
            source: Source::Override,
            forced: input.forced,
        };
    }
    // Generous: a cold start of the Node-wrapped binary on a loaded machine takes seconds.
    let answer = version_output(&path, Duration::from_secs(30));
    Installation::found(path, answer.as_deref().and_then(parse_version))
}

/// Run `PATH --version` with a deadline; its stdout, trimmed.
fn version_output(path: &std::path::Path, deadline: Duration) -> Option<String> {
    let mut child = Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // No Cloudflare token reaches the version check.
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CF_AIG_TOKEN")
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    use std::io::Read;
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    Some(out.trim().to_string())
}

/// `1.18.33` → `1.18.33`; `opencode v2.0.9` → `2.0.9`; anything else → `None`.
pub fn parse_version(answer: &str) -> Option<String> {
    let line = answer.lines().map(str::trim).find(|l| !l.is_empty())?;
    let word = line.strip_prefix("opencode").map(str::trim).unwrap_or(line);
    let word = word.split_whitespace().next()?;
    let v = word.strip_prefix('v').unwrap_or(word);
    let first = v.split('.').next()?;
    (v.contains('.') && !first.is_empty() && first.chars().all(|c| c.is_ascii_digit()))
        .then(|| v.to_string())
}

/// The major version of a parsed version string.
pub fn major_of(version: &str) -> Option<OpencodeMajor> {
    match version.split('.').next()?.parse::<u32>().ok()? {
        1 => Some(OpencodeMajor::V1),
        2 => Some(OpencodeMajor::V2),
        _ => None,
    }
}

/// Is a V2 background service running (discovery file + healthy `/api/health`)?
pub async fn service(state_dir: &std::path::Path) -> ServiceState {
    let Ok(Some(d)) = v2::read_discovery(&v2::service_file(state_dir)) else {
        return ServiceState::NotRunning;
    };
    let Ok(server) = v2::Server::new(&d) else {
        return ServiceState::Stale { url: d.url };
    };
    match server.health().await {
        Ok(version) => ServiceState::Running {
            url: d.url.clone(),
            pid: d.pid,
            version: if version.is_empty() {
                d.version.clone().unwrap_or_default()
            } else {
                version
            },
            discovery: d,
        },
        Err(_) => ServiceState::Stale { url: d.url },
    }
}

/// Where another agent's command (`claude`, `codex`) is and the version it prints
/// (`2.1.332 (Claude Code)`, `codex-cli 0.171.0`).
pub fn agent_installation(command: &str, input: &Input) -> Installation {
    let found = which::which_in(command, input.path_var.clone(), input.env.cwd.clone());
    let Ok(path) = found else {
        return Installation::not_installed();
    };
    let version = version_output(&path, Duration::from_secs(10)).and_then(|answer| {
        answer
            .split_whitespace()
            .map(|w| w.trim_start_matches('v'))
            .find(|w| w.contains('.') && w.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_string)
    });
    Installation::found(path, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_both_lines_are_told_apart() {
        assert_eq!(parse_version("1.18.33\n").as_deref(), Some("1.18.33"));
        assert_eq!(parse_version("opencode v2.0.9").as_deref(), Some("2.0.9"));
        assert_eq!(parse_version("opencode 2.1.0").as_deref(), Some("2.1.0"));
        assert_eq!(
            parse_version("v2.0.0-beta.3").as_deref(),
            Some("2.0.0-beta.3")
        );
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("command not found"), None);
        assert_eq!(major_of("1.18.33"), Some(OpencodeMajor::V1));
        assert_eq!(major_of("2.0.9"), Some(OpencodeMajor::V2));
        assert_eq!(
            major_of("3.0.0"),
            None,
            "an unknown major is unknown, not V1"
        );
    }

    #[test]
    fn override_wins_and_is_said() {
        let i = Installation {
            path: None,
            version: None,
            source: Source::Override,
            forced: Some(OpencodeMajor::V2),
        };
        assert_eq!(i.major(), Some(OpencodeMajor::V2));
        assert!(i.describe().contains("--opencode-version"));
        assert_eq!(Installation::not_installed().major(), None);
    }
}
