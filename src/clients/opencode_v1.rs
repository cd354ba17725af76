//! OpenCode 1.x (proven against the real 1.18.33): the config from `templates/`, the token by
//! env through `aigate run` or in `auth.json`, requests routed by model prefix
//! (reference/opencode.md §3.3). Wraps [`crate::opencode`].

use super::{
    Check, CheckInput, ClientAdapter, ConfigPlan, ConfigTarget, Credential, Installation, Removal,
};
use crate::Secret;
use crate::cloudflare::{Route, route_for};
use crate::opencode::{self, Env};
use std::ffi::OsStr;
use std::path::Path;

pub struct OpencodeV1 {
    installation: Installation,
}

impl OpencodeV1 {
    pub fn new(installation: Installation) -> OpencodeV1 {
        OpencodeV1 { installation }
    }
}

/// The config edit both OpenCode lines share (V2 reads V1's shape).
pub(crate) fn plan_opencode_config(target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan> {
    let (change, merge) = opencode::plan_config(target.path, target.inputs)?;
    Ok(ConfigPlan { change, merge })
}

/// Takes aigate's entry out of OpenCode's `auth.json` at `path` (both OpenCode lines).
pub(crate) fn remove_auth_entry(path: &Path, out: &mut Removal) -> anyhow::Result<()> {
    super::common::remove(
        opencode::plan_auth_remove(path)?,
        || format!("the {} entry in {}", opencode::PROVIDER_ID, path.display()),
        out,
    )
}

/// The version line `status`/`doctor` show.
pub(crate) fn version_check(i: &Installation) -> Check {
    if i.installed() || i.major().is_some() {
        Check::ok(
            "client.opencode.version",
            format!(
                "{}{}",
                i.describe(),
                i.path
                    .as_ref()
                    .map(|p| format!(" at {}", p.display()))
                    .unwrap_or_default()
            ),
        )
    } else {
        // Informational: `doctor` already warns about a missing `opencode` (client.opencode),
        // and a profile can be set up before OpenCode is installed.
        Check::ok(
            "client.opencode.version",
            "OpenCode is not installed (no `opencode` on PATH; --opencode-version 1|2 says which)",
        )
    }
}

impl ClientAdapter for OpencodeV1 {
    fn id(&self) -> &'static str {
        "opencode-v1"
    }

    fn label(&self) -> String {
        super::common::label(
            self.installation.version.as_deref(),
            "OpenCode",
            "OpenCode 1",
        )
    }

    fn installation(&self) -> &Installation {
        &self.installation
    }

    fn runs_as(&self, program: &OsStr) -> bool {
        super::program_name(program).as_deref() == Some("opencode")
    }

    fn plan_config(&self, target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan> {
        plan_opencode_config(target)
    }

    fn credential(
        &self,
        env: &Env,
        token: &Secret,
        account_id: &str,
        gateway_id: &str,
    ) -> anyhow::Result<Option<Credential>> {
        let path = opencode::auth_json_path(env);
        Ok(Some(Credential::File(opencode::plan_auth_upsert(
            &path, token, account_id, gateway_id,
        )?)))
    }

    fn remove_credential(&self, env: &Env, auth_json: Option<&Path>) -> anyhow::Result<Removal> {
        let path = auth_json
            .map(Path::to_path_buf)
            .unwrap_or_else(|| opencode::auth_json_path(env));
        let mut out = Removal::default();
        remove_auth_entry(&path, &mut out)?;
        Ok(out)
    }

    fn test_route(&self, model: &str) -> Route {
        route_for(model)
    }

    fn checks(&self, _input: &CheckInput<'_>) -> Vec<Check> {
        // auth.json is checked with the config (`checks::opencode`); the version here.
        vec![version_check(&self.installation)]
    }
}
