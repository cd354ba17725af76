//! OpenCode 2.x (reference/opencode-v2.md). What differs from V1:
//! - **launch**: V2 clients share one background service; variables given to a later client
//!   never reach it. `aigate run -- opencode` therefore adds `--standalone` (a private server
//!   that inherits the variables) unless the user chose `--server`/`--standalone` (§3;
//!   `packages/cli/src/commands/commands.ts` @0720c006).
//! - **opencode-auth**: V2 imports `auth.json` once and then ignores it; the credential goes
//!   through the server API instead (`connect/key`, §4), and logout deletes it there
//!   (`DELETE /api/credential/:id`). See [`crate::opencode::v2`].
//! - **config**: V2 reads V1's shape; see [`crate::opencode::fragment`] for the BYOK limit.
//! - **requests**: every model through the Universal endpoint, one `compat`
//!   `chat/completions` step with the full `vendor/model` id (§5, `packages/core/src/plugin/
//!   provider/cloudflare-ai-gateway.ts` @1b089110).

use super::detect::ServiceState;
use super::opencode_v1::{plan_opencode_config, version_check};
use super::{
    Check, CheckInput, ClientAdapter, ConfigPlan, ConfigTarget, Credential, Detection,
    Installation, Removal, RunParts, RunPlan,
};
use crate::Secret;
use crate::cloudflare::Route;
use crate::context::profile_flag;
use crate::domain::TokenDelivery;
use crate::opencode::v2::{self, Discovery, Server};
use crate::opencode::{self, Env};
use anyhow::{Context as _, anyhow};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct OpencodeV2 {
    detection: Detection,
    parts: RunParts,
}

/// Subcommands that take `--standalone` themselves (commands.ts @0720c006).
const TAKES_STANDALONE: &[&str] = &["run", "models", "api", "mini", "stats"];

impl OpencodeV2 {
    pub fn new(detection: Detection, parts: RunParts) -> OpencodeV2 {
        OpencodeV2 { detection, parts }
    }

    /// The running service, or one started for this run (`opencode serve --service`, the
    /// way V2's own clients start it), waiting for it to answer.
    fn server(&self, start: bool) -> anyhow::Result<Option<(Server, Discovery)>> {
        let file = v2::service_file(&self.parts.state_dir);
        if let Some(d) = self.detection.service.discovery() {
            return Ok(Some((Server::new(d)?, d.clone())));
        }
        if let Some(d) = v2::read_discovery(&file)? {
            let s = Server::new(&d)?;
            if self.parts.rt.block_on(s.health()).is_ok() {
                return Ok(Some((s, d)));
            }
        }
        if !start {
            return Ok(None);
        }
        let Some(bin) = &self.detection.opencode.path else {
            return Ok(None);
        };
        start_service(bin)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(d) = v2::read_discovery(&file).ok().flatten() {
                let s = Server::new(&d)?;
                if self.parts.rt.block_on(s.health()).is_ok() {
                    return Ok(Some((s, d)));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(anyhow!(
            "OpenCode's background service did not start (no healthy server in {} after 20 s)",
            file.display()
        ))
    }
}

/// `opencode serve --service`, detached, without any Cloudflare token in its environment
/// (the service must use the stored credential, not a variable of this shell).
fn start_service(bin: &Path) -> anyhow::Result<()> {
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["serve", "--service"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CF_AIG_TOKEN");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn()
        .with_context(|| format!("cannot start {} serve --service", bin.display()))?;
    Ok(())
}

/// Where `--standalone` goes in `opencode ARGS`, or `None` when it must not be added.
pub fn standalone_position(args: &[OsString]) -> Option<usize> {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    let chose = words
        .iter()
        .any(|w| w == "--standalone" || w == "--server" || w.starts_with("--server=") || w == "--");
    if chose {
        return None;
    }
    match words.first().map(String::as_str) {
        None => Some(0),
        Some(w) if w.starts_with('-') => Some(0),
        Some("auth") if words.len() >= 2 && !words[1].starts_with('-') => Some(2),
        Some("auth") => Some(1),
        Some(w) if TAKES_STANDALONE.contains(&w) => Some(1),
        // Other subcommands (serve, service, debug, upgrade...) run no client; a word that is
        // not a subcommand is a project directory for the TUI, which takes the flag first.
        Some(w) if is_other_subcommand(w) => None,
        Some(_) => Some(0),
    }
}

fn is_other_subcommand(w: &str) -> bool {
    matches!(
        w,
        "serve"
            | "service"
            | "debug"
            | "upgrade"
            | "uninstall"
            | "completion"
            | "acp"
            | "mcp"
            | "web"
            | "export"
            | "import"
            | "github"
            | "pr"
            | "session"
            | "agent"
    )
}

impl ClientAdapter for OpencodeV2 {
    fn id(&self) -> &'static str {
        "opencode-v2"
    }

    fn label(&self) -> String {
        super::common::label(
            self.detection.opencode.version.as_deref(),
            "OpenCode",
            "OpenCode 2",
        )
    }

    fn installation(&self) -> &Installation {
        &self.detection.opencode
    }

    fn runs_as(&self, program: &OsStr) -> bool {
        super::program_name(program).as_deref() == Some("opencode")
    }

    fn plan_config(&self, target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan> {
        // V1's shape, plus V2's own picker limit for BYOK (see `opencode::v2_config`).
        let mut plan = plan_opencode_config(target)?;
        crate::opencode::v2_config::apply_v2_limits(&mut plan.merge, target.inputs)?;
        plan.change.after = Some(plan.merge.text.clone().into_bytes());
        Ok(plan)
    }

    fn prepare_run(&self, args: &[OsString]) -> RunPlan {
        match standalone_position(args) {
            Some(i) => {
                let mut out = args.to_vec();
                out.insert(i, OsString::from("--standalone"));
                RunPlan {
                    args: out,
                    env: vec![],
                    note: Some(
                        "OpenCode 2: starting it with --standalone (a private server) so the \
                         token reaches the process that calls Cloudflare; pass --server URL to \
                         use a running server instead"
                            .to_string(),
                    ),
                }
            }
            None => RunPlan {
                args: args.to_vec(),
                ..RunPlan::default()
            },
        }
    }

    fn credential(
        &self,
        _env: &Env,
        _token: &Secret,
        _account_id: &str,
        _gateway_id: &str,
    ) -> anyhow::Result<Option<Credential>> {
        if !self.detection.opencode.installed() && self.detection.service.discovery().is_none() {
            return Err(crate::exit::Failure::new(
                crate::exit::Kind::Other,
                "--token-delivery opencode-auth on OpenCode 2 stores the token through OpenCode's \
                 server, but no `opencode` is on PATH and no OpenCode service is running",
            )
            .with_hint(
                "install OpenCode 2 first, or use --token-delivery env (`aigate run -- opencode`)",
            )
            .into());
        }
        Ok(Some(Credential::Api))
    }

    fn store_credential(
        &self,
        token: &Secret,
        account_id: &str,
        gateway_id: &str,
    ) -> anyhow::Result<()> {
        let (server, d) = self
            .server(true)?
            .ok_or_else(|| anyhow!("no OpenCode 2 server is available to store the token"))?;
        let profile = &self.parts.profile;
        let label = v2::label_for(profile, token);
        let rt = &self.parts.rt;
        let before = rt.block_on(server.credentials())?;
        rt.block_on(server.connect_key(token, &label, account_id, gateway_id))?;
        let after = rt.block_on(server.credentials())?;
        if !v2::holds(&after, profile, token) {
            return Err(anyhow!(
                "OpenCode's server at {} accepted the token but does not list it afterwards",
                d.url
            ));
        }
        // Older credentials aigate stored for this profile (other tokens) go.
        for old in v2::ours(&after, profile) {
            if old.label != label && before.iter().any(|b| b.id == old.id) {
                let _ = rt.block_on(server.remove(&old.id));
            }
        }
        Ok(())
    }

    fn remove_credential(&self, env: &Env, auth_json: Option<&Path>) -> anyhow::Result<Removal> {
        let mut out = Removal::default();
        // V2 imports auth.json once; an entry left there would come back on a fresh data dir.
        let path = auth_json
            .map(Path::to_path_buf)
            .unwrap_or_else(|| opencode::auth_json_path(env));
        super::opencode_v1::remove_auth_entry(&path, &mut out)?;
        let manual = format!(
            "opencode auth list --standalone, then `opencode auth logout {} <label> --standalone` for each credential labelled aigate:{}:…",
            opencode::PROVIDER_ID,
            self.parts.profile
        );
        match self.server(true) {
            Ok(Some((server, d))) => {
                let list = self.parts.rt.block_on(server.credentials())?;
                for c in v2::ours(&list, &self.parts.profile) {
                    self.parts.rt.block_on(server.remove(&c.id))?;
                    out.removed.push(format!(
                        "OpenCode 2's credential '{}' (opencode.db, through {})",
                        c.label, d.url
                    ));
                }
            }
            Ok(None) => out.left.push(format!(
                "OpenCode 2 may still hold the token in opencode.db (no `opencode` to ask); remove it with: {manual}"
            )),
            Err(e) => out.left.push(format!(
                "OpenCode 2 may still hold the token in opencode.db ({e:#}); remove it with: {manual}"
            )),
        }
        Ok(out)
    }

    fn test_route(&self, model: &str) -> Route {
        v2_route(model)
    }

    fn checks(&self, input: &CheckInput<'_>) -> Vec<Check> {
        let mut out = vec![version_check(&self.detection.opencode)];
        let pf = profile_flag(input.profile_name);
        let id = "client.opencode.service";
        match &self.detection.service {
            ServiceState::NotRunning => {
                out.push(Check::ok(id, "no OpenCode 2 background service is running"))
            }
            ServiceState::Stale { url } => out.push(Check::ok(
                id,
                format!("OpenCode 2's service file points at {url}, which does not answer (stale)"),
            )),
            ServiceState::Running {
                url,
                version,
                discovery,
                ..
            } => {
                out.push(Check::ok(
                    id,
                    format!("OpenCode 2 background service {version} running at {url}"),
                ));
                if let Some(p) = input.profile {
                    let held = Server::new(discovery)
                        .and_then(|s| self.parts.rt.block_on(s.credentials()))
                        .map(|list| {
                            input
                                .token
                                .is_some_and(|t| v2::holds(&list, input.profile_name, t))
                        });
                    out.push(service_token_check(p.token_delivery, held, url, &pf));
                }
            }
        }
        out
    }
}

/// Does the running service hold this profile's token, and what to do about it.
fn service_token_check(
    delivery: TokenDelivery,
    held: anyhow::Result<bool>,
    url: &str,
    pf: &str,
) -> Check {
    let name = "client.opencode.service-token";
    match (delivery, held) {
        (_, Err(e)) => Check::warn(
            name,
            format!("could not ask OpenCode's service at {url} which credential it holds: {e:#}"),
            "check that the service is healthy: `opencode service status`",
        ),
        (_, Ok(true)) => Check::ok(name, format!("the service at {url} holds this token")),
        (TokenDelivery::Env, Ok(false)) => Check::warn(
            name,
            format!(
                "an OpenCode 2 service is running at {url} without this token: plain `opencode` \
                 talks to it and the variables from `aigate run` never reach it"
            ),
            format!(
                "launch with `aigate{pf} run -- opencode` (it adds --standalone), or store the \
                 token in OpenCode: `aigate{pf} setup --token-delivery opencode-auth`"
            ),
        ),
        (TokenDelivery::OpencodeAuth, Ok(false)) => Check::fail(
            name,
            format!("OpenCode 2's service at {url} does not hold this profile's token"),
            format!("aigate{pf} setup --token-delivery opencode-auth"),
        ),
    }
}

/// The route V2 uses for every model: the Universal endpoint, one `compat`
/// `chat/completions` step with the full `vendor/model` id.
pub fn v2_route(model: &str) -> Route {
    let model = model
        .strip_prefix(&format!("{}/", opencode::PROVIDER_ID))
        .unwrap_or(model);
    Route::Universal {
        provider: "compat",
        endpoint: "chat/completions",
        model: model.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn standalone_is_added_once_where_the_command_takes_it() {
        assert_eq!(standalone_position(&os(&[])), Some(0));
        assert_eq!(standalone_position(&os(&["run", "hi"])), Some(1));
        assert_eq!(standalone_position(&os(&["models"])), Some(1));
        assert_eq!(standalone_position(&os(&["auth", "list"])), Some(2));
        assert_eq!(standalone_position(&os(&["-m", "x/y"])), Some(0));
        assert_eq!(standalone_position(&os(&["./project"])), Some(0));
        assert_eq!(standalone_position(&os(&["--server", "http://x"])), None);
        assert_eq!(
            standalone_position(&os(&["run", "--server=http://x", "hi"])),
            None
        );
        assert_eq!(
            standalone_position(&os(&["run", "--standalone", "hi"])),
            None
        );
        assert_eq!(standalone_position(&os(&["serve"])), None);
        assert_eq!(standalone_position(&os(&["service", "status"])), None);
    }

    #[test]
    fn every_model_takes_the_compat_step_with_its_full_id() {
        for m in [
            "openai/gpt-5-mini",
            "anthropic/claude-sonnet-4.5",
            "xai/grok-4.3",
            "cloudflare-ai-gateway/openai/gpt-5-mini",
        ] {
            let Route::Universal {
                provider,
                endpoint,
                model,
            } = v2_route(m)
            else {
                panic!("{m}: not the Universal endpoint")
            };
            assert_eq!((provider, endpoint), ("compat", "chat/completions"));
            assert_eq!(model, m.trim_start_matches("cloudflare-ai-gateway/"));
        }
    }

    #[test]
    fn env_delivery_with_a_service_lacking_the_token_warns_with_the_fix() {
        let c = service_token_check(TokenDelivery::Env, Ok(false), "http://127.0.0.1:1", "");
        assert_eq!(c.status, crate::checks::Outcome::Warn);
        assert!(c.fix.unwrap().contains("aigate run -- opencode"));
        let c = service_token_check(TokenDelivery::OpencodeAuth, Ok(false), "u", "");
        assert_eq!(c.status, crate::checks::Outcome::Fail);
        let c = service_token_check(TokenDelivery::Env, Ok(true), "u", "");
        assert_eq!(c.status, crate::checks::Outcome::Ok);
    }
}
