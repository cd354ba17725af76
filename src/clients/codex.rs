//! OpenAI Codex CLI as a [`ClientAdapter`]: its profile file `$CODEX_HOME/<name>.config.toml`
//! (see [`crate::agents::codex`]), `--profile <name>` and the token variable that profile names
//! at launch, OpenAI Responses as its route. Proven against the real Codex 0.171.0
//! (`tests/agents_e2e.rs`).

use super::{
    Check, CheckInput, ClientAdapter, ConfigPlan, ConfigTarget, Credential, Installation, Removal,
    RunPlan,
};
use crate::Secret;
use crate::agents::{Agent, codex};
use crate::cloudflare::{Route, route_for};
use crate::files::Transaction;
use crate::opencode::{Env, MergeOutcome};
use crate::state::Profile;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// Where Codex's files are and which gateway its profile points at.
#[derive(Debug, Clone)]
pub struct CodexSite {
    pub aigate_profile: String,
    pub codex_home: PathBuf,
    pub gateway_url: String,
    pub account_id: String,
    pub gateway_id: String,
}

pub struct Codex {
    installation: Installation,
    site: CodexSite,
}

impl Codex {
    pub fn new(installation: Installation, site: CodexSite) -> Codex {
        Codex { installation, site }
    }

    /// The profile file this aigate profile owns.
    pub fn profile_path(&self) -> PathBuf {
        codex::profile_path(&self.site.codex_home, &self.site.aigate_profile)
    }

    /// What the profile says for a gateway catalog model (a non-`openai/` one is replaced by
    /// Codex's default: Codex speaks only OpenAI Responses).
    pub fn profile_for(&self, model: &str) -> codex::CodexProfile {
        let m = Agent::Codex.model_for(model);
        codex::CodexProfile {
            model: m.strip_prefix("openai/").unwrap_or(&m).to_string(),
            base_url: crate::agents::provider_base(
                &self.site.gateway_url,
                &self.site.account_id,
                &self.site.gateway_id,
                "openai",
            ),
        }
    }
}

impl ClientAdapter for Codex {
    fn id(&self) -> &'static str {
        "codex"
    }

    fn label(&self) -> String {
        super::common::label(self.installation.version.as_deref(), "Codex", "Codex")
    }

    fn installation(&self) -> &Installation {
        &self.installation
    }

    fn runs_as(&self, program: &OsStr) -> bool {
        Agent::from_program(program) == Some(Agent::Codex)
    }

    /// `target.path` is OpenCode's file; Codex's is its own profile file.
    fn plan_config(&self, target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan> {
        let path = self.profile_path();
        let change = codex::plan_write(&path, &self.profile_for(&target.inputs.model))?;
        let text = String::from_utf8_lossy(change.after.as_deref().unwrap_or_default()).into();
        Ok(ConfigPlan {
            change,
            merge: MergeOutcome {
                text,
                removed: vec![],
                removed_secret: false,
                duplicates: vec![],
            },
        })
    }

    fn prepare_run(&self, args: &[OsString]) -> RunPlan {
        RunPlan {
            args: codex::codex_args(args, &self.site.aigate_profile),
            env: vec![],
            note: None,
        }
    }

    fn credential(
        &self,
        _: &Env,
        _: &Secret,
        _: &str,
        _: &str,
    ) -> anyhow::Result<Option<Credential>> {
        Ok(None)
    }

    /// Codex holds no token; logout takes aigate's keys out of the profile file.
    fn remove_credential(&self, _: &Env, _: Option<&Path>) -> anyhow::Result<Removal> {
        let path = self.profile_path();
        let mut out = Removal::default();
        if let Some(change) = codex::plan_remove(&path)? {
            let mut txn = Transaction::new();
            txn.apply(&change)?;
            txn.commit();
            out.removed.push(match change.after {
                None => format!("the Codex profile {}", path.display()),
                Some(_) => format!("aigate's keys in the Codex profile {}", path.display()),
            });
        }
        Ok(out)
    }

    fn test_route(&self, model: &str) -> Route {
        route_for(&Agent::Codex.model_for(model))
    }

    fn checks(&self, input: &CheckInput<'_>) -> Vec<Check> {
        let mut out = vec![installed_check(Agent::Codex, &self.installation)];
        let path = self.profile_path();
        let Some(profile) = input.profile else {
            return out;
        };
        let want = self.profile_for(&profile.model);
        let fix = format!(
            "aigate{} setup --client codex",
            crate::domain::profile_flag(input.profile_name)
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        out.push(if text.is_empty() {
            Check::fail(
                "codex.profile",
                format!("{} is missing", path.display()),
                fix,
            )
        } else if !text.contains(&want.base_url) {
            Check::fail(
                "codex.profile",
                format!("{} does not point at this gateway", path.display()),
                fix,
            )
        } else {
            Check::ok(
                "codex.profile",
                format!("{} points at the gateway", path.display()),
            )
        });
        if codex::legacy_profile_conflict(&self.site.codex_home, &self.site.aigate_profile) {
            out.push(Check::fail(
                "codex.legacy-profile",
                format!(
                    "{} has a [profiles.{}] table; Codex refuses --profile while it is there",
                    self.site.codex_home.join("config.toml").display(),
                    codex::profile_name(&self.site.aigate_profile)
                ),
                "delete that table from config.toml",
            ));
        }
        out
    }

    /// The profile sends [`codex::TOKEN_ENV`] as `cf-aig-authorization`. `CLOUDFLARE_API_KEY`
    /// is the contract's name for Codex (spec/cli.md) and what Cloudflare's own Codex page has
    /// users reference: set for this process too, so such a hand-written profile works; aigate's
    /// profile never names it as `env_key` (that would send it as a provider key).
    fn run_secrets(&self, _: &Profile, _: &str, token: &Secret) -> Vec<(&'static str, Secret)> {
        vec![
            (
                codex::TOKEN_ENV,
                Secret::new(format!("Bearer {}", token.expose())),
            ),
            ("CLOUDFLARE_API_KEY", token.clone()),
        ]
    }
}

/// The version line of an agent other than OpenCode (warn when it is not installed).
pub(crate) fn installed_check(agent: Agent, i: &Installation) -> Check {
    let name = format!("{}.installed", agent.slug());
    match (&i.path, &i.version) {
        (Some(p), v) => Check::ok(
            &name,
            format!(
                "{agent} {} at {}",
                v.as_deref().unwrap_or("(version unknown)"),
                p.display()
            ),
        ),
        (None, _) => Check::warn(
            &name,
            format!(
                "{agent} is not installed (no `{}` on PATH)",
                agent.command()
            ),
            format!("npm install -g {}", agent.npm_package()),
        ),
    }
}
