//! aigate's own non-secret state: one record per profile (account, gateway, billing, where the
//! token is kept, which OpenCode files were written). Never holds a secret.
//!
//! Lives in `profiles.json` in aigate's config directory (`directories`' config dir for
//! `aigate`, which honours `XDG_CONFIG_HOME`).

use crate::domain::StoreKind;
use crate::domain::{Billing, TokenDelivery};
use crate::files::FileChange;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "profiles.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct State {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub gateway_id: String,
    pub billing: Billing,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byok_providers: Vec<String>,
    pub model: String,
    pub small_model: String,
    pub token_store: StoreKind,
    pub token_delivery: TokenDelivery,
    pub opencode_config: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_json: Option<PathBuf>,
    /// Which token is stored: one aigate minted (its id, to roll or revoke it) or the given one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_token: Option<StoredToken>,
    /// The dynamic route setup made for this profile (`--fallback-model`): the clients that
    /// can call it send `dynamic/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<ProfileRoute>,
    /// The spend limit setup set on the gateway (`--spend-limit`), as `AMOUNT/WINDOW`
    /// (`5/1d`): what `team init` writes as `spend_limit` and `status` shows. Absent in files
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spend_limit: Option<String>,
    /// Claude Code's `settings.json` when setup wrote the token's variables there (the opt-in
    /// `--token-delivery claude-settings`): `rotate` rewrites them there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claude_settings: Option<PathBuf>,
}

/// A dynamic route aigate made: its name and the models a request tries, in order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProfileRoute {
    pub name: String,
    pub models: Vec<String>,
}

#[cfg(test)]
impl Profile {
    /// A unit tests' profile: account `acct`, gateway `gw`, Unified Billing, OpenAI models, the
    /// token in the keychain and delivered by env.
    pub(crate) fn example() -> Profile {
        Profile {
            account_id: "acct".into(),
            account_name: None,
            gateway_id: "gw".into(),
            billing: Billing::Unified,
            byok_providers: vec![],
            model: "openai/gpt-5-mini".into(),
            small_model: "openai/gpt-5-nano".into(),
            token_store: StoreKind::Keychain,
            token_delivery: TokenDelivery::Env,
            opencode_config: PathBuf::from("/x/opencode.json"),
            auth_json: None,
            stored_token: None,
            route: None,
            spend_limit: None,
            claude_settings: None,
        }
    }
}

impl ProfileRoute {
    /// What clients send as the model: `dynamic/<name>`.
    pub fn call_as(&self) -> String {
        format!("dynamic/{}", self.name)
    }
}

/// What aigate knows about the stored token (never its value).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    pub kind: StoredTokenKind,
    /// Cloudflare's id of a minted token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `account` (account-owned) or `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Permission-group names of a minted token (all on this profile's account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    /// Why the given token is stored instead of a minted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StoredTokenKind {
    /// Minted by aigate with only AI Gateway Run and Read (`--token-scope minimal`).
    Minted,
    /// The token the user gave (`--token-scope as-given`, or it could not mint).
    AsGiven,
}

pub fn default_path() -> anyhow::Result<PathBuf> {
    Ok(crate::paths::config_dir()?.join(FILE_NAME))
}

impl State {
    pub fn load(path: &Path) -> anyhow::Result<State> {
        match std::fs::read(path) {
            Ok(bytes) => State::parse(path, &bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s.into_bytes()
    }

    /// The change that stores `self` at `path` (a no-op when the file already says the same).
    pub fn plan_write(&self, path: &Path) -> anyhow::Result<FileChange> {
        let before = match std::fs::read(path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(FileChange {
            path: path.to_path_buf(),
            before,
            after: Some(self.to_bytes()),
            mode: Some(0o644),
            backup: false,
            sensitive: false,
            rebase: None,
        })
    }

    /// The change that sets profile `name` to `profile` in the file at `path`, keeping every
    /// other profile. If another run changed the file before this one applies, the profile is
    /// set into the file's current contents (so two setups at once both keep their profile).
    pub fn plan_upsert(path: &Path, name: &str, profile: Profile) -> anyhow::Result<FileChange> {
        let mut change = State::load(path)?
            .with_profile(name, profile.clone())
            .plan_write(path)?;
        let (shown, name) = (path.to_path_buf(), name.to_string());
        change.rebase = Some(std::sync::Arc::new(move |current: Option<&[u8]>| {
            let state = match current {
                Some(b) => State::parse(&shown, b)?,
                None => State::default(),
            };
            Ok(Some(state.with_profile(&name, profile.clone()).to_bytes()))
        }));
        Ok(change)
    }

    /// The change that removes profile `name` (a no-op when it is not there), keeping every
    /// other profile, also one another run adds meanwhile.
    pub fn plan_remove(path: &Path, name: &str) -> anyhow::Result<FileChange> {
        let mut state = State::load(path)?;
        state.profiles.remove(name);
        let mut change = state.plan_write(path)?;
        if change.before.is_none() {
            change.after = None;
        }
        let (shown, name) = (path.to_path_buf(), name.to_string());
        change.rebase = Some(std::sync::Arc::new(move |current: Option<&[u8]>| {
            let Some(b) = current else { return Ok(None) };
            let mut state = State::parse(&shown, b)?;
            if state.profiles.remove(&name).is_none() {
                return Ok(Some(b.to_vec()));
            }
            Ok(Some(state.to_bytes()))
        }));
        Ok(change)
    }

    fn with_profile(mut self, name: &str, profile: Profile) -> State {
        self.profiles.insert(name.to_string(), profile);
        self
    }

    fn parse(path: &Path, bytes: &[u8]) -> anyhow::Result<State> {
        serde_json::from_slice(bytes).with_context(|| {
            format!(
                "{} is not valid aigate state; fix or remove it",
                path.display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profiles_file_from_before_the_spend_limit_loads_and_round_trips() {
        let mut p = Profile::example();
        let old = serde_json::to_value(State {
            profiles: [("default".to_string(), p.clone())].into(),
        })
        .unwrap();
        assert!(old["profiles"]["default"].get("spend_limit").is_none());
        let bytes = serde_json::to_vec(&old).unwrap();
        let loaded = State::parse(Path::new("profiles.json"), &bytes).unwrap();
        assert_eq!(loaded.profile("default").unwrap().spend_limit, None);

        p.spend_limit = Some("5/1d".into());
        let state = State {
            profiles: [("default".to_string(), p)].into(),
        };
        let again = State::parse(Path::new("profiles.json"), &state.to_bytes()).unwrap();
        assert_eq!(
            again.profile("default").unwrap().spend_limit.as_deref(),
            Some("5/1d")
        );
    }
}
