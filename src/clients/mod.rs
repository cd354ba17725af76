//! The coding agents aigate connects, each behind one small interface ([`ClientAdapter`]).
//!
//! An adapter answers five questions about one client, and nothing else:
//! 1. **detect**: is it installed, where, which version ([`Installation`], from [`detect`]);
//! 2. **config**: which file edits setup makes for it ([`ClientAdapter::plan_config`]);
//! 3. **token**: how it receives the Cloudflare token at launch ([`ClientAdapter::prepare_run`])
//!    and, where the client keeps its own copy, how that copy is stored, rotated and removed
//!    ([`ClientAdapter::credential`]);
//! 4. **test route**: which gateway route its requests take, so `aigate test` sends the same
//!    request ([`ClientAdapter::test_route`]);
//! 5. **checks**: what `status`/`doctor` should verify for it ([`ClientAdapter::checks`]).
//!
//! The wizard, `run`, `test`, `status` and `doctor` talk to clients only through this trait.
//! Adapters: [`opencode_v1`] (OpenCode 1.x, proven against the real 1.18.33),
//! [`opencode_v2`] (OpenCode 2.x, proven against stand-ins, see the README), [`claude_code`]
//! and [`codex`] (proven against the real Claude Code 2.1.332 and Codex 0.171.0).

pub mod agents_doctor;
pub mod claude_code;
pub mod codex;
mod common;
pub mod detect;
pub mod doctor;
pub mod launch;
pub mod opencode_v1;
pub mod opencode_v2;

use crate::Secret;
use crate::cloudflare::Route;
use crate::files::FileChange;
use crate::opencode::{ConfigInputs, Env};
use crate::state::Profile;
use serde::Serialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub use detect::{Detection, Installation, OpencodeMajor, ServiceState};

/// What setup knows when it plans a client's config (no secrets).
pub struct ConfigTarget<'a> {
    /// The config file to edit (chosen by `--opencode-config`/`--project` or the default).
    pub path: &'a Path,
    pub inputs: &'a ConfigInputs,
}

/// The config edit setup makes for a client, planned (validated) but not applied.
pub struct ConfigPlan {
    pub change: FileChange,
    /// The merge details (keys removed because they would bypass the gateway or leak).
    pub merge: crate::opencode::MergeOutcome,
}

/// How `aigate run` starts a recognised client, besides the three `CLOUDFLARE_*` variables.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// The arguments to pass after the program name (the user's, possibly with additions
    /// such as OpenCode 2's `--standalone`).
    pub args: Vec<OsString>,
    /// Non-secret variables to set.
    pub env: Vec<(&'static str, String)>,
    /// Said once on stderr before the client starts.
    pub note: Option<String>,
}

/// Where a client keeps its own copy of the token (`--token-delivery opencode-auth`).
pub enum Credential {
    /// A file aigate edits inside its transaction (V1: `auth.json`).
    File(FileChange),
    /// The client's own API (V2: its local server). Run by [`ClientAdapter::store_credential`].
    Api,
}

pub use crate::checks::{Check, Outcome};

/// What a check may look at: the profile and (when readable) the token, never printed.
pub struct CheckInput<'a> {
    /// `None` for `doctor` without a profile.
    pub profile: Option<&'a Profile>,
    pub profile_name: &'a str,
    pub token: Option<&'a Secret>,
}

/// The result of removing a client's copy of the token.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Removal {
    /// What was removed, in words.
    pub removed: Vec<String>,
    /// What is left and how to remove it by hand.
    pub left: Vec<String>,
}

/// One coding agent. Implementations must be cheap to build (detection happens before).
pub trait ClientAdapter: Send + Sync {
    /// Stable id used in flags, JSON and state: `opencode-v1`, `opencode-v2`, ...
    fn id(&self) -> &'static str;

    /// Human name with the version when known, e.g. `OpenCode 2.0.9`.
    fn label(&self) -> String;

    /// What detection found for this client.
    fn installation(&self) -> &Installation;

    /// Whether `program` (the first word given to `aigate run`) starts this client.
    fn runs_as(&self, program: &std::ffi::OsStr) -> bool;

    /// The config edits setup makes (planned and validated, nothing written).
    fn plan_config(&self, target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan>;

    /// How `aigate run -- <client> ARGS` must start it (`args` are the user's, after the
    /// program name).
    /// The default passes the arguments through unchanged.
    fn prepare_run(&self, args: &[OsString]) -> RunPlan {
        RunPlan {
            args: args.to_vec(),
            ..RunPlan::default()
        }
    }

    /// Where this client keeps its own copy of the token with `--token-delivery
    /// opencode-auth`, planned for `token`; `None` when the client has no such store.
    fn credential(
        &self,
        env: &Env,
        token: &Secret,
        account_id: &str,
        gateway_id: &str,
    ) -> anyhow::Result<Option<Credential>>;

    /// Store (or replace) the token in the client's own store when [`Credential::Api`] was
    /// planned, and verify the client now holds it. Errors leave the old credential in place.
    fn store_credential(
        &self,
        _token: &Secret,
        _account_id: &str,
        _gateway_id: &str,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    /// Remove the client's copy of the token (logout), saying what is left.
    fn remove_credential(&self, env: &Env, auth_json: Option<&Path>) -> anyhow::Result<Removal>;

    /// The route the client's requests take for `model` (a gateway catalog id).
    fn test_route(&self, model: &str) -> Route;

    /// The checks `status`/`doctor` run for this client.
    fn checks(&self, input: &CheckInput<'_>) -> Vec<Check>;

    /// Variables holding the token that `aigate run` sets for this client only, besides the
    /// three `CLOUDFLARE_*` ones (Claude Code: `ANTHROPIC_CUSTOM_HEADERS`; Codex: the
    /// variable its profile names). Never printed.
    fn run_secrets(
        &self,
        _profile: &Profile,
        _gateway_url: &str,
        _token: &Secret,
    ) -> Vec<(&'static str, Secret)> {
        Vec::new()
    }
}

/// What an adapter may need from the run besides detection: where files live, the runtime
/// for its own local calls (never the Cloudflare pool), and the profile it acts for.
#[derive(Clone)]
pub struct RunParts {
    pub env: Env,
    pub rt: tokio::runtime::Handle,
    pub profile: String,
    /// OpenCode 2's state directory (its service file).
    pub state_dir: PathBuf,
}

/// The OpenCode adapter for what detection found: V2 when a V2 is installed (or forced),
/// else V1 (also when OpenCode is not installed: setup still writes V1's config shape).
pub fn opencode(detection: &Detection, parts: &RunParts) -> Box<dyn ClientAdapter> {
    let major = detection.opencode.major().unwrap_or(OpencodeMajor::V1);
    opencode_for(major, detection, parts)
}

/// The OpenCode adapter for a line chosen on purpose (`aigate test --client opencode-v2`).
pub fn opencode_for(
    major: OpencodeMajor,
    detection: &Detection,
    parts: &RunParts,
) -> Box<dyn ClientAdapter> {
    match major {
        OpencodeMajor::V2 => Box::new(opencode_v2::OpencodeV2::new(
            detection.clone(),
            parts.clone(),
        )),
        OpencodeMajor::V1 => Box::new(opencode_v1::OpencodeV1::new(detection.opencode.clone())),
    }
}

/// The file name part of a program path (`/usr/bin/opencode` → `opencode`).
pub(crate) fn program_name(program: &std::ffi::OsStr) -> Option<String> {
    PathBuf::from(program)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
}

/// Start detecting the installed OpenCode for this run (in the background: call this before
/// the run's network work and [`detect::Detector::wait`] after it).
pub fn start_detection(ctx: &crate::context::Context) -> detect::Detector {
    let input = detect::Input::new(
        &ctx.env,
        opencode_state_dir(ctx),
        ctx.vars.path.clone(),
        ctx.global.opencode_version,
    );
    detect::Detector::start(&ctx.rt, input)
}

/// OpenCode 2's state directory for this run (the sandbox's throwaway home has its own).
pub fn opencode_state_dir(ctx: &crate::context::Context) -> PathBuf {
    let xdg = if ctx.sandbox.is_some() {
        None
    } else {
        crate::env::xdg_state_home()
    };
    crate::opencode::v2::state_dir(&ctx.env, xdg)
}

/// The parts of the run an adapter may use.
pub fn run_parts(ctx: &crate::context::Context) -> RunParts {
    RunParts {
        env: ctx.env.clone(),
        rt: ctx.rt.handle().clone(),
        profile: ctx.profile_name().to_string(),
        state_dir: opencode_state_dir(ctx),
    }
}

/// `doctor`'s contributor (see [`doctor`]): without a profile, the installed
/// OpenCode's own checks (version; OpenCode 2's service). With a profile they are already part
/// of `status`'s checks, which `doctor` includes.
pub fn doctor_checks(ctx: &crate::context::Context, profile: Option<&Profile>) -> Vec<Check> {
    if profile.is_some() {
        return vec![];
    }
    let detection = start_detection(ctx).wait(&ctx.rt);
    opencode(&detection, &run_parts(ctx)).checks(&CheckInput {
        profile: None,
        profile_name: ctx.profile_name(),
        token: None,
    })
}
