//! The words aigate's state and plans are made of, apart from how the command line spells them:
//! a CLI rename (in `cli`) never changes what is stored on disk (here, with serde's names).

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod lifetime;
pub mod limits;
mod values;
pub use values::{
    AccountId, BYOK_PROVIDERS, ByokKeySpec, GatewayId, MAX_TOKEN_LEN, ModelId, ProfileName,
    parse_person, token_problem,
};

/// How the gateway pays the model providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Billing {
    /// Cloudflare pays the providers and bills the account (credits).
    Unified,
    /// The user's provider keys are stored in the gateway.
    Byok,
}

impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Billing::Unified => "Unified Billing",
            Billing::Byok => "BYOK",
        })
    }
}

/// How a client receives the Cloudflare token at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenDelivery {
    /// From the secret store, through `aigate run` (the variables live only in that process).
    Env,
    /// Also handed to OpenCode's own credential store (`auth.json`, mode 0600).
    OpencodeAuth,
}

/// Where a profile's token is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    Keychain,
    InsecureFile,
    Memory,
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreKind::Keychain if cfg!(target_os = "macos") => f.write_str("macOS Keychain"),
            StoreKind::Keychain if cfg!(target_os = "windows") => {
                f.write_str("Windows Credential Manager")
            }
            StoreKind::Keychain => f.write_str("OS keychain (Secret Service)"),
            StoreKind::InsecureFile => f.write_str("plaintext file (insecure)"),
            StoreKind::Memory => f.write_str("memory"),
        }
    }
}

/// ` --profile NAME` for hints, empty for the default profile.
pub fn profile_flag(name: &str) -> String {
    if name == "default" {
        String::new()
    } else {
        format!(" --profile {name}")
    }
}
