//! The typed plan: every answer the wizard gathered (from flags or prompts), and every change
//! it will make. `gather` builds it without changing anything; `apply` carries it out;
//! `--dry-run` only prints it.

use crate::Secret;
use crate::cloudflare::{Account, CreditBalance, Gateway, ModelList, TokenInfo};
use crate::domain::{Billing, TokenDelivery};
use crate::files::FileChange;
use crate::opencode::MergeOutcome;
use crate::secrets::SecretStore;
use crate::state::Profile;

pub use crate::token_source::TokenSource;

pub enum GatewayAction {
    /// Use the gateway as it is.
    Use(Gateway),
    /// Create it with the recommended settings (authentication on, logs on).
    Create,
    /// Turn authentication on (Unified Billing and BYOK need it), keeping every other setting.
    EnableAuthentication(Gateway),
}

pub struct ByokKey {
    pub provider: String,
    pub secret: Secret,
    /// The id of the provider config (alias `default`) to replace, when there is one.
    pub existing_id: Option<String>,
}

pub enum BillingPlan {
    Unified {
        balance: Option<CreditBalance>,
    },
    /// `keys` are stored or replaced; `kept` already have a `default` key in the gateway.
    Byok {
        keys: Vec<ByokKey>,
        kept: Vec<String>,
    },
}

impl BillingPlan {
    pub fn arg(&self) -> Billing {
        match self {
            BillingPlan::Unified { .. } => Billing::Unified,
            BillingPlan::Byok { .. } => Billing::Byok,
        }
    }

    /// Providers that will have a key in the gateway after apply.
    pub fn providers(&self) -> Vec<String> {
        match self {
            BillingPlan::Unified { .. } => vec![],
            BillingPlan::Byok { keys, kept } => {
                let mut all: Vec<String> = keys
                    .iter()
                    .map(|k| k.provider.clone())
                    .chain(kept.iter().cloned())
                    .collect();
                all.sort();
                all.dedup();
                all
            }
        }
    }
}

pub struct Plan {
    pub profile: String,
    pub token: Secret,
    pub token_source: TokenSource,
    pub token_info: TokenInfo,
    pub account: Account,
    pub gateway_id: String,
    pub gateway: GatewayAction,
    pub billing: BillingPlan,
    pub models: ModelList,
    pub model: String,
    pub small_model: String,
    pub store: Box<dyn SecretStore>,
    /// The token already in the store for this profile equals the new one.
    pub token_already_stored: bool,
    pub delivery: TokenDelivery,
    pub config_change: FileChange,
    pub config_merge: MergeOutcome,
    pub auth_change: Option<FileChange>,
    /// The client the config is written for (OpenCode V1 or V2).
    pub client: Box<dyn crate::clients::ClientAdapter>,
    /// The token also goes to the client's own API (OpenCode 2's server) when applied.
    pub credential_api: bool,
    pub state_change: FileChange,
    /// The coding agents besides OpenCode and their files (Codex's profile).
    pub clients: super::clients::ClientsPlan,
    pub new_profile: Profile,
    pub run_test: bool,
    /// `--token-scope`, `--token-expires`: which token ends up stored (see `crate::tokens`).
    pub daily: crate::tokens::DailyRequest,
    /// The spend limit and the fallback route (`--spend-limit`, `--fallback-model`).
    pub policies: super::policies::PoliciesPlan,
}

impl Plan {
    pub fn gateway_created(&self) -> bool {
        matches!(self.gateway, GatewayAction::Create)
    }

    /// The model OpenCode calls (and the test prompt uses): the route when setup made one.
    pub fn test_model(&self) -> String {
        self.policies
            .route
            .as_ref()
            .map_or_else(|| self.model.clone(), |r| r.call_as.clone())
    }

    /// The closing lines about the policies (see [`super::policies::PoliciesPlan::closing`]).
    pub fn policy_closing(&self) -> Vec<String> {
        let model = self.model.clone();
        self.policies
            .closing(&self.clients.agents, &|a| a.model_for(&model))
    }

    /// The policies' lines: the spend limit, the route, and which clients call the route.
    pub fn policy_lines(&self) -> Vec<String> {
        let model = self.model.clone();
        self.policies
            .describe(&self.clients.agents, &|a| a.model_for(&model))
    }

    /// The plan in words, one line per thing that will be created, stored or written.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![];
        lines.push(format!("profile          {}", self.profile));
        lines.push(format!(
            "account          {} ({})",
            self.account.name, self.account.id
        ));
        lines.push(match &self.gateway {
            GatewayAction::Use(_) => format!("gateway          {} (existing)", self.gateway_id),
            GatewayAction::Create => {
                format!(
                    "gateway          {} (create: authentication on, logs on)",
                    self.gateway_id
                )
            }
            GatewayAction::EnableAuthentication(_) => {
                format!(
                    "gateway          {} (existing; turn authentication on)",
                    self.gateway_id
                )
            }
        });
        match &self.billing {
            BillingPlan::Unified { balance } => lines.push(format!(
                "billing          Unified Billing{}",
                balance
                    .as_ref()
                    .map(|b| format!(" (credit balance {})", balance_display(b)))
                    .unwrap_or_default()
            )),
            BillingPlan::Byok { keys, kept } => {
                lines.push("billing          BYOK (provider keys stored in the gateway)".into());
                for k in keys {
                    let verb = if k.existing_id.is_some() {
                        "replace"
                    } else {
                        "store"
                    };
                    lines.push(format!("  {verb} key      {} (alias default)", k.provider));
                }
                for p in kept {
                    lines.push(format!("  keep key       {p} (already in the gateway)"));
                }
            }
        }
        lines.push(format!("model            {}", self.model));
        lines.push(format!("small model      {}", self.small_model));
        lines.extend(self.policy_lines());
        let token_line = if self.token_already_stored {
            format!(
                "token            {} (already in {})",
                self.token.masked(),
                self.store.describe()
            )
        } else {
            format!(
                "token            {} → {}",
                self.token.masked(),
                self.store.describe()
            )
        };
        lines.push(token_line);
        if self.daily.scope != Some(crate::tokens::TokenScopeArg::AsGiven) {
            lines.push(
                "token scope      minimal: store a token with only AI Gateway Run and Read when the token above may create one"
                    .to_string(),
            );
        }
        lines.push(format!(
            "token delivery   {}",
            match (self.delivery, self.credential_api) {
                (TokenDelivery::Env, _) => "env (launch with `aigate run -- opencode`)",
                (TokenDelivery::OpencodeAuth, false) =>
                    "OpenCode auth.json (plain `opencode` works)",
                (TokenDelivery::OpencodeAuth, true) =>
                    "OpenCode 2's credential store, through its local server (plain `opencode` works)",
            }
        ));
        lines.push(format!(
            "OpenCode config  {} ({})",
            self.config_change.path.display(),
            self.config_change.describe()
        ));
        for removed in &self.config_merge.removed {
            lines.push(format!(
                "  remove         {removed} (unsafe for the gateway provider)"
            ));
        }
        if let Some(auth) = &self.auth_change {
            lines.push(format!(
                "OpenCode auth    {} ({}, {})",
                auth.path.display(),
                auth.describe(),
                crate::platform::PRIVATE_FILE
            ));
        }
        lines.extend(self.clients.lines.iter().cloned());
        lines.push(format!(
            "aigate state     {} ({})",
            self.state_change.path.display(),
            self.state_change.describe()
        ));
        lines
    }
}

/// The credit balance as the dashboard shows it. Cloudflare does not document the unit of
/// `balance`; it is shown as the number it is.
pub fn balance_display(b: &CreditBalance) -> String {
    format!("{:.2}", b.balance)
}
