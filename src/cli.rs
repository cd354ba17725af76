//! The command-line surface: every command and flag of the contract (`spec/cli.md`).
//!
//! Parsing only; each command's behaviour lives in `commands/<name>.rs`.

use crate::domain::{AccountId, ByokKeySpec, GatewayId, ModelId, ProfileName};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";
pub const DEFAULT_GATEWAY_URL: &str = "https://gateway.ai.cloudflare.com/v1";

/// The help heading of the endpoint overrides (tests, proxies, the emulator).
const ENDPOINTS: &str = "Cloudflare endpoints (for tests and proxies)";

const SETUP_EXAMPLES: &str = "\
Examples:
  aigate setup                                   # the guided wizard
  aigate setup --sandbox                         # try it against the built-in emulator
  printf %s \"$CLOUDFLARE_API_TOKEN\" | aigate setup --token-stdin --non-interactive \\
      --account-id 0123456789abcdef0123456789abcdef --gateway opencode --create-gateway \\
      --billing unified --model openai/gpt-5-mini
  OPENAI_API_KEY=sk-... aigate setup --billing byok --byok-key openai=OPENAI_API_KEY
  aigate setup --dry-run                         # show the plan, change nothing";

const RUN_EXAMPLES: &str = "\
Examples:
  aigate run -- opencode                         # OpenCode through the gateway
  aigate --profile work run -- opencode run \"explain this repo\"
  aigate run -- env | grep CLOUDFLARE_           # see what the child gets";

const ROTATE_EXAMPLES: &str = "\
Examples:
  aigate rotate                                  # paste the new token at the prompt
  printf %s \"$NEW_TOKEN\" | aigate rotate --token-stdin
  aigate --profile work rotate";

#[derive(Debug, Parser)]
#[command(
    name = "aigate",
    version,
    about = "Connect the OpenCode coding agent to Cloudflare AI Gateway in one guided command",
    long_about = "Connect the OpenCode coding agent to Cloudflare AI Gateway in one guided command.\n\n\
        Run `aigate setup` (or just `aigate`) to verify a Cloudflare API token, pick or create a \
        gateway, choose Unified Billing or BYOK, keep the token in the OS keychain, write \
        OpenCode's config, and send a test prompt. Try it without an account: `aigate setup --sandbox`.",
    after_help = "Secrets are never taken as flag values: the token comes from --token-stdin, \
        CLOUDFLARE_API_TOKEN or a hidden prompt."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes, shown under their own headings in each command's help.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Which stored setup to use; several can coexist
    #[arg(
        long,
        global = true,
        env = "AIGATE_PROFILE",
        default_value = "default",
        value_name = "NAME"
    )]
    pub profile: ProfileName,

    /// Print one JSON document on stdout; human text goes to stderr
    #[arg(long, global = true)]
    pub json: bool,

    /// Disable colours (also NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Diagnostic detail (secrets are always redacted)
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Only errors on stderr; results still on stdout
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Cloudflare v4 API base URL
    #[arg(long, global = true, env = "AIGATE_API_URL", default_value = DEFAULT_API_URL, value_name = "URL", help_heading = ENDPOINTS)]
    pub api_url: String,

    /// AI Gateway data-plane base URL ({base}/{account}/{gateway}/...)
    #[arg(long, global = true, env = "AIGATE_GATEWAY_URL", default_value = DEFAULT_GATEWAY_URL, value_name = "URL", help_heading = ENDPOINTS)]
    pub gateway_url: String,

    /// Treat the installed OpenCode as major version 1 or 2 instead of running `opencode --version`
    #[arg(long, global = true, env = "AIGATE_OPENCODE_VERSION", value_name = "1|2",
          value_parser = clap::value_parser!(u8).range(1..=2))]
    pub opencode_version: Option<u8>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The onboarding wizard (what plain `aigate` runs)
    #[command(after_help = SETUP_EXAMPLES)]
    Setup(SetupArgs),
    /// Show what the profile holds and whether it still works
    Status,
    /// Replace the stored token; the old one stays on any failure
    #[command(after_help = ROTATE_EXAMPLES)]
    Rotate(RotateArgs),
    /// List the models reachable through the gateway
    Models,
    /// Send one prompt through the gateway, the same route OpenCode uses
    Test(TestArgs),
    /// Run a command with CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_GATEWAY_ID set
    #[command(after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Remove the profile's token from every place aigate put it
    Logout(LogoutArgs),
    /// Print a shell snippet that makes plain `opencode` go through `aigate run`
    ShellInit(ShellInitArgs),
    /// Everything `status` checks, plus the installed clients; exit 1 on any failure
    Doctor,
    /// Print ready-to-paste code that calls the gateway (the token read from CLOUDFLARE_API_TOKEN)
    Snippet(SnippetArgs),
    /// Serve the Cloudflare emulator on 127.0.0.1 (for development and tests)
    #[command(hide = true)]
    Emulator(EmulatorArgs),
    /// Summarise the gateway's traffic: requests, errors, cache, tokens, cost, latency
    Usage(UsageArgs),
    /// Show the gateway's settings, or change them with `gateway set`
    Gateway(GatewayArgs),
    /// Create, list and delete dynamic routes (a model with fallbacks)
    Route(RouteArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into --dir
    #[command(hide = true)]
    Man(ManArgs),
    /// A team's shared setup (aigate.toml) and the tokens aigate mints for each person
    Team(TeamArgs),
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  aigate completions bash > ~/.local/share/bash-completion/completions/aigate
  aigate completions zsh > \"${fpath[1]}/_aigate\"
  aigate completions fish > ~/.config/fish/completions/aigate.fish
  aigate completions powershell >> $PROFILE";

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write aigate.1 and aigate-COMMAND.1 here instead of printing aigate.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct TeamArgs {
    #[command(subcommand)]
    pub command: TeamCommand,
}

/// How the team commands get the admin token they use once.
#[derive(Debug, Clone, Default, Args)]
pub struct AdminTokenArgs {
    /// Read the admin token (with "Account API Tokens Write") from standard input
    #[arg(long)]
    pub token_stdin: bool,

    /// Never prompt
    #[arg(long)]
    pub non_interactive: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TeamCommand {
    /// Write aigate.toml at the repository root from the current profile (no secrets)
    Init,
    /// Mint a Run-only token for one person and print it once, with the command they run
    Invite {
        /// Who the token is for (letters, digits, '-', '_', '.', '@')
        #[arg(value_parser = crate::domain::parse_person)]
        name: String,
        /// Expiry of the token, e.g. 30d, 12h, 4w
        #[arg(long, value_name = "DURATION", value_parser = crate::domain::lifetime::parse)]
        expires: Option<chrono::Duration>,
        #[command(flatten)]
        admin: AdminTokenArgs,
    },
    /// The tokens aigate minted for this account (by their name prefix)
    List {
        #[command(flatten)]
        admin: AdminTokenArgs,
    },
    /// Delete the tokens aigate minted for one person
    Revoke {
        #[arg(value_parser = crate::domain::parse_person)]
        name: String,
        #[command(flatten)]
        admin: AdminTokenArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BillingArg {
    /// Pay Cloudflare: one bill, credits loaded in the dashboard
    Unified,
    /// Bring your own provider keys, stored in the gateway
    Byok,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenDeliveryArg {
    /// From the keychain through `aigate run` (default)
    Env,
    /// Also written to OpenCode's own auth.json (mode 0600), so plain `opencode` works
    #[cfg_attr(
        windows,
        value(
            help = "Also written to OpenCode's own auth.json (protected by your user \
                      profile's folder permissions), so plain `opencode` works"
        )
    )]
    OpencodeAuth,
    /// Also written to Claude Code's settings.json `env` block (PLAINTEXT, mode 0600), so plain `claude` works
    ClaudeSettings,
}

impl From<BillingArg> for crate::domain::Billing {
    fn from(a: BillingArg) -> Self {
        match a {
            BillingArg::Unified => crate::domain::Billing::Unified,
            BillingArg::Byok => crate::domain::Billing::Byok,
        }
    }
}

impl From<TokenDeliveryArg> for crate::domain::TokenDelivery {
    fn from(a: TokenDeliveryArg) -> Self {
        match a {
            TokenDeliveryArg::Env => crate::domain::TokenDelivery::Env,
            TokenDeliveryArg::OpencodeAuth => crate::domain::TokenDelivery::OpencodeAuth,
            // OpenCode keeps receiving the token through `aigate run`; the wizard's client
            // step writes Claude Code's settings.json.
            TokenDeliveryArg::ClaudeSettings => crate::domain::TokenDelivery::Env,
        }
    }
}

/// A coding agent `setup --client` connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientArg {
    /// OpenCode (its config file; the default)
    Opencode,
    /// Claude Code (nothing on disk; `aigate run -- claude`)
    ClaudeCode,
    /// OpenAI Codex CLI (a profile file in ~/.codex; `aigate run -- codex`)
    Codex,
}

#[derive(Debug, Clone, Default, Args)]
pub struct SetupArgs {
    /// Never prompt; a missing answer exits 2 naming the flag (implied when stdin is not a terminal)
    #[arg(long)]
    pub non_interactive: bool,

    /// Read the Cloudflare API token from standard input
    #[arg(long)]
    pub token_stdin: bool,

    /// The Cloudflare account to use
    #[arg(long, value_name = "ID")]
    pub account_id: Option<AccountId>,

    /// The AI Gateway to use
    #[arg(long, value_name = "ID")]
    pub gateway: Option<GatewayId>,

    /// Create --gateway ID if it does not exist
    #[arg(long)]
    pub create_gateway: bool,

    /// Turn on authentication for an existing gateway that has it off (needed for billing)
    #[arg(long)]
    pub enable_authentication: bool,

    /// Unified Billing (pay Cloudflare) or BYOK (provider keys stored in the gateway)
    #[arg(long, value_enum)]
    pub billing: Option<BillingArg>,

    /// A provider key for BYOK: PROVIDER=ENV_VAR names the env var holding the key (repeatable)
    #[arg(long = "byok-key", value_name = "PROVIDER=ENV_VAR")]
    pub byok_keys: Vec<ByokKeySpec>,

    /// The default model, as a gateway catalog id (e.g. openai/gpt-5-mini)
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<ModelId>,

    /// The model OpenCode uses for titles and summaries (default: a small model of the same provider)
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub small_model: Option<ModelId>,

    /// The OpenCode config file to write (default: OpenCode's global config)
    #[arg(long, value_name = "PATH", conflicts_with = "project")]
    pub opencode_config: Option<PathBuf>,

    /// Write ./opencode.json[c] of the current project instead of the global file
    #[arg(long)]
    pub project: bool,

    /// How OpenCode gets the token at launch
    #[arg(long, value_enum)]
    pub token_delivery: Option<TokenDeliveryArg>,

    /// Allow a plaintext 0600 file when no OS keychain is usable
    #[cfg_attr(
        windows,
        arg(
            help = "Allow a plaintext file in your user profile when Windows Credential \
                    Manager is unusable (Windows has no 0600 mode)"
        )
    )]
    #[arg(long)]
    pub insecure_storage: bool,

    /// Do not list models or send the test prompt
    #[arg(long)]
    pub skip_test: bool,

    /// Print the plan (what would be created, stored, written); change nothing anywhere
    #[arg(long)]
    pub dry_run: bool,

    /// Which coding agents to connect (repeatable; default: opencode, or a choice of the installed ones)
    #[arg(long = "client", value_enum, value_name = "CLIENT")]
    pub clients: Vec<ClientArg>,

    /// Run everything against the embedded Cloudflare emulator with throwaway storage
    #[arg(long)]
    pub sandbox: bool,

    /// Keep the sandbox's throwaway directory at exit (it is removed otherwise)
    #[arg(long, requires = "sandbox")]
    pub keep_sandbox: bool,
    /// Which token to store: `minimal` mints one with only AI Gateway Run and Read (default when
    /// the given token may create tokens); `as-given` stores the token you gave
    #[arg(long, value_enum, value_name = "SCOPE")]
    pub token_scope: Option<TokenScopeArg>,

    /// Expiry of a minted token, e.g. 90d, 12h, 4w
    #[arg(long, value_name = "DURATION", value_parser = crate::domain::lifetime::parse)]
    pub token_expires: Option<chrono::Duration>,

    /// A gateway spend limit in US dollars per window, e.g. 5/1d or 50/30d (as `gateway set`)
    #[arg(long, value_name = "AMOUNT/WINDOW", value_parser = crate::domain::limits::parse_spend_limit)]
    pub spend_limit: Option<crate::domain::limits::SpendLimit>,

    /// A model to fall back to when the default model fails (repeatable, in order): setup makes
    /// the dynamic route aigate-PROFILE and points the clients that can call it at dynamic/aigate-PROFILE
    #[arg(long = "fallback-model", value_name = "PROVIDER/MODEL")]
    pub fallback_models: Vec<ModelId>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct RotateArgs {
    /// Read the new token from standard input
    #[arg(long)]
    pub token_stdin: bool,

    /// Never prompt
    #[arg(long)]
    pub non_interactive: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct LogoutArgs {
    /// Also delete the token aigate minted at Cloudflare (needs an admin token once, on
    /// standard input or a prompt)
    #[arg(long)]
    pub revoke: bool,

    /// Read the admin token for --revoke from standard input
    #[arg(long, requires = "revoke")]
    pub token_stdin: bool,

    /// Never prompt
    #[arg(long)]
    pub non_interactive: bool,
}

#[derive(Debug, Clone, Default, Args)]
pub struct TestArgs {
    /// The model to test (default: the profile's model)
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<ModelId>,

    /// The prompt to send
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,

    /// Test the route of this client instead of the installed OpenCode's
    #[arg(long, value_enum, value_name = "CLIENT")]
    pub client: Option<TestClientArg>,
}

/// The clients whose request route `aigate test --client` can take on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestClientArg {
    /// OpenCode 1.x: Responses for openai/, Messages for anthropic/, the REST route otherwise
    #[value(name = "opencode-v1")]
    OpencodeV1,
    /// OpenCode 2.x: the Universal endpoint, one compat chat/completions step for every model
    #[value(name = "opencode-v2")]
    OpencodeV2,
    /// Claude Code: Anthropic Messages (anthropic/ models only)
    #[value(name = "claude-code")]
    ClaudeCode,
    /// Codex: OpenAI Responses (openai/ models only)
    #[value(name = "codex")]
    Codex,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The command and its arguments
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "CMD"
    )]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    /// Windows PowerShell and PowerShell 7 (pwsh)
    Powershell,
}

#[derive(Debug, Clone, Args)]
pub struct ShellInitArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

/// What `aigate snippet` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnippetTarget {
    /// TypeScript with the OpenAI SDK (npm `openai`)
    OpenaiTs,
    /// Python with the OpenAI SDK (PyPI `openai`)
    OpenaiPython,
    /// Python with the Anthropic SDK (PyPI `anthropic`)
    AnthropicPython,
    /// A curl command
    Curl,
    /// Shell `export` lines for tools that read OPENAI_*/ANTHROPIC_* variables
    Env,
}

#[derive(Debug, Clone, Args)]
pub struct SnippetArgs {
    /// Which language or tool the snippet is for
    #[arg(long = "for", value_enum, value_name = "TARGET")]
    pub target: SnippetTarget,
}

#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    /// Also act as an HTTPS proxy for api.cloudflare.com and gateway.ai.cloudflare.com
    #[arg(long)]
    pub tls_proxy: bool,

    /// Seed the sandbox account, token and gateways
    #[arg(long)]
    pub sandbox: bool,

    /// Write the CA certificate (PEM) here when --tls-proxy is on
    #[arg(long, value_name = "PATH")]
    pub ca_out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageBy {
    Model,
    Provider,
}

#[derive(Debug, Clone, Args)]
pub struct UsageArgs {
    /// How far back to look: 30m, 24h, 7d...
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::domain::limits::parse_span)]
    pub since: crate::domain::limits::Span,

    /// One row per model or per provider
    #[arg(long, value_enum, default_value = "model")]
    pub by: UsageBy,
}

#[derive(Debug, Clone, Args)]
pub struct GatewayArgs {
    #[command(subcommand)]
    pub action: Option<GatewayAction>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum GatewayAction {
    /// Change settings: shows the change, asks (or --yes), one PUT keeping everything else
    Set(GatewaySetArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct GatewaySetArgs {
    /// Do not ask; required when there is no terminal
    #[arg(long)]
    pub yes: bool,

    /// At most N requests per SECONDS
    #[arg(long, value_name = "N/SECONDS", value_parser = crate::domain::limits::parse_rate_limit, conflicts_with = "no_rate_limit")]
    pub rate_limit: Option<crate::domain::limits::RateLimit>,

    /// Turn the rate limit off
    #[arg(long)]
    pub no_rate_limit: bool,

    /// Cache responses for SECONDS (0 turns caching off)
    #[arg(long, value_name = "SECONDS")]
    pub cache_ttl: Option<u64>,

    /// Retry failed requests up to N times (0 to 5)
    #[arg(long, value_name = "N", value_parser = crate::domain::limits::parse_retries)]
    pub retries: Option<u8>,

    /// Zero data retention at providers that support it
    #[arg(long, value_name = "on|off", value_parser = crate::domain::limits::parse_on_off)]
    pub zdr: Option<bool>,

    /// Keep request logs
    #[arg(long, value_name = "on|off", value_parser = crate::domain::limits::parse_on_off)]
    pub collect_logs: Option<bool>,

    /// Refuse traffic once AMOUNT US dollars are spent within WINDOW (e.g. 5/1d, 50/30d)
    #[arg(long, value_name = "AMOUNT/WINDOW", value_parser = crate::domain::limits::parse_spend_limit, conflicts_with = "no_spend_limit")]
    pub spend_limit: Option<crate::domain::limits::SpendLimit>,

    /// Turn spend limits off (rules are kept, disabled)
    #[arg(long)]
    pub no_spend_limit: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RouteArgs {
    #[command(subcommand)]
    pub action: RouteAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RouteAction {
    /// A route that sends to --model and falls back in order on failure
    Create(RouteCreateArgs),
    /// The gateway's dynamic routes
    List,
    /// Delete a route by name
    Delete(RouteDeleteArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RouteCreateArgs {
    /// The route's name (clients call it as dynamic/NAME)
    #[arg(value_parser = crate::domain::limits::parse_route_name)]
    pub name: String,

    /// The model tried first
    #[arg(long, value_name = "PROVIDER/MODEL", value_parser = crate::domain::limits::parse_model)]
    pub model: String,

    /// A model tried when the previous one fails (repeatable, in order)
    #[arg(long = "fallback", value_name = "PROVIDER/MODEL", value_parser = crate::domain::limits::parse_model, required = true)]
    pub fallbacks: Vec<String>,

    /// Do not ask; required when there is no terminal
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RouteDeleteArgs {
    #[arg(value_parser = crate::domain::limits::parse_route_name)]
    pub name: String,

    /// Do not ask; required when there is no terminal
    #[arg(long)]
    pub yes: bool,
}

/// `--token-scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenScopeArg {
    /// Mint and store a token with only AI Gateway Run and Read on this account
    Minimal,
    /// Store the token you gave
    AsGiven,
}

/// Parses the command line, or exits 2 naming the bad flag before anything happens (no
/// request, no file). Under `--json` a usage error is also the one JSON error document on
/// stdout (`{"error": {"kind": "usage", ...}}`); `--help` and `--version` print as usual.
pub fn parse_or_exit() -> Cli {
    let e = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(e) => e,
    };
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if json && e.use_stderr() {
        let rendered = e.render().to_string();
        let message = rendered
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let doc = crate::error::ErrorDocument {
            error: crate::error::ErrorBody {
                kind: crate::exit::Kind::Usage.name(),
                message,
                hint: Some("see `aigate --help` (or `aigate COMMAND --help`)".to_string()),
                exit_code: crate::exit::USAGE,
            },
        };
        if let Ok(text) = serde_json::to_string_pretty(&doc) {
            println!("{text}");
        }
    }
    e.exit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_everything_after_the_command() {
        let cli = Cli::try_parse_from(["aigate", "run", "--", "env", "-i", "--x"]).unwrap();
        match cli.command {
            Some(Command::Run(r)) => assert_eq!(r.command, vec!["env", "-i", "--x"]),
            other => panic!("{other:?}"),
        }
    }
}
