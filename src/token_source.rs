//! Where a command's Cloudflare token comes from, decided here for every command: `setup`,
//! `rotate`'s new token, the daily commands (`run`, `test`, `models`, `doctor`, ...) and the
//! admin token of `team`/token roll and revoke.
//!
//! Precedence, the first that applies wins:
//!
//! | # | source ([`TokenSource`]) | taken when |
//! |---|---|---|
//! | 1 | `Sandbox`: the emulator's demo token | `--sandbox`; standard input, `CLOUDFLARE_API_TOKEN` and stored tokens are ignored (a note names each one that was given) |
//! | 2 | `Stdin` | the command has `--token-stdin` and it was given |
//! | 3 | `EnvVar`: `CLOUDFLARE_API_TOKEN` | set and not empty, and the command takes it (the admin token does not: under `aigate run` the variable holds the daily token) |
//! | 4 | `Stored`: the profile's store | the command reads it; with `offer` (setup) a terminal is asked whether to keep it. A store that cannot be read counts as empty when the command may prompt, and is the error otherwise |
//! | 5 | `Prompt`: hidden entry | only when the command allows it, and only on a terminal |
//!
//! When none applies: with a stored token wanted and no prompt allowed, exit 3 "no token is
//! stored" (fix: `aigate rotate`); otherwise exit 2 naming `--token-stdin`. Every token but the
//! sandbox's is checked for shape ([`check_shape`]) before it is returned, so nothing that
//! cannot be a token is ever sent.

use crate::Secret;
use crate::domain::profile_flag;
use crate::exit::{Failure, Kind};
use crate::prompt::Prompter;
use crate::secrets::SecretStore;
use crate::ui::Ui;

/// Where the token of this run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Stdin,
    EnvVar,
    Prompt,
    Stored,
    Sandbox,
}

impl TokenSource {
    pub fn describe(self) -> &'static str {
        match self {
            TokenSource::Stdin => "standard input",
            TokenSource::EnvVar => "CLOUDFLARE_API_TOKEN",
            TokenSource::Prompt => "the prompt",
            TokenSource::Stored => "the stored token",
            TokenSource::Sandbox => "the sandbox's demo token",
        }
    }
}

/// What the run offers, whatever the command: built by [`crate::context::Context`] from the
/// run's [`crate::env::Vars`], or by a test.
pub struct Sources<'a> {
    /// `--sandbox`: only the demo token.
    pub sandbox: bool,
    /// `CLOUDFLARE_API_TOKEN` of this run, when set and not empty.
    pub env: Option<Secret>,
    /// Reads the token from standard input (called only for `--token-stdin`).
    pub stdin: &'a dyn Fn() -> anyhow::Result<Secret>,
    pub ui: &'a Ui,
}

/// What one command accepts.
#[derive(Default)]
pub struct Wants<'a> {
    /// `--token-stdin` was given.
    pub token_stdin: bool,
    /// `CLOUDFLARE_API_TOKEN` is a candidate.
    pub env: bool,
    /// The profile's stored token is a candidate.
    pub stored: Option<Stored<'a>>,
    /// The command may ask (the prompter decides whether a terminal is there).
    pub prompt: Option<Ask<'a>>,
}

pub struct Stored<'a> {
    pub store: &'a dyn SecretStore,
    pub profile: &'a str,
    /// On a terminal, ask whether to keep it (answering no leads to the prompt).
    pub offer: bool,
}

pub struct Ask<'a> {
    pub prompter: &'a mut dyn Prompter,
    pub question: &'a str,
    /// Lines shown before the question (where to create a token, which permissions).
    pub intro: &'a [&'a str],
}

impl<'a> Wants<'a> {
    /// A daily command: `CLOUDFLARE_API_TOKEN`, else the profile's stored token; never asks.
    pub fn daily(store: &'a dyn SecretStore, profile: &'a str) -> Wants<'a> {
        Wants {
            env: true,
            stored: Some(Stored {
                store,
                profile,
                offer: false,
            }),
            ..Wants::default()
        }
    }

    /// A token given for this run (rotate's new one, an admin token): `--token-stdin`, else
    /// (when `env`) `CLOUDFLARE_API_TOKEN`, else a hidden prompt.
    pub fn given(token_stdin: bool, env: bool, prompt: Ask<'a>) -> Wants<'a> {
        Wants {
            token_stdin,
            env,
            stored: None,
            prompt: Some(prompt),
        }
    }
}

/// The token and where it came from, by the precedence above.
pub fn resolve(src: &Sources<'_>, wants: Wants<'_>) -> anyhow::Result<(Secret, TokenSource)> {
    let (token, source) = find(src, wants)?;
    if source != TokenSource::Sandbox {
        check_shape(&token, source.describe())?;
    }
    Ok((token, source))
}

fn find(src: &Sources<'_>, wants: Wants<'_>) -> anyhow::Result<(Secret, TokenSource)> {
    if src.sandbox {
        return Ok(sandbox(src, &wants));
    }
    if wants.token_stdin {
        return Ok(((src.stdin)()?, TokenSource::Stdin));
    }
    if wants.env
        && let Some(t) = &src.env
    {
        return Ok((t.clone(), TokenSource::EnvVar));
    }
    let Wants {
        env,
        stored,
        mut prompt,
        ..
    } = wants;
    if let Some(s) = &stored {
        let found = match s.store.get(s.profile) {
            Ok(found) => found,
            Err(e) if prompt.is_none() => return Err(e),
            Err(e) => {
                src.ui.warn(&format!("{e:#}; the stored token cannot be used"));
                None
            }
        };
        if let Some(t) = found
            && keep(s, &t, prompt.as_mut())?
        {
            return Ok((t, TokenSource::Stored));
        }
    }
    match (prompt, stored) {
        (Some(ask), _) if ask.prompter.interactive() => {
            for line in ask.intro {
                src.ui.info(line);
            }
            let t = ask.prompter.password(ask.question, "--token-stdin")?;
            Ok((t, TokenSource::Prompt))
        }
        (None, Some(s)) => Err(not_stored(s)),
        _ => {
            let hint = if env {
                "pipe the token to --token-stdin, or set CLOUDFLARE_API_TOKEN"
            } else {
                "pipe the token to --token-stdin"
            };
            Err(
                Failure::missing_answer("a Cloudflare API token", "--token-stdin")
                    .with_hint(hint)
                    .into(),
            )
        }
    }
}

/// The sandbox never uses a real token; it names what it ignored.
fn sandbox(src: &Sources<'_>, wants: &Wants<'_>) -> (Secret, TokenSource) {
    if wants.token_stdin {
        src.ui
            .note("Sandbox: --token-stdin is ignored (standard input is not read).");
    }
    if wants.env && src.env.is_some() {
        src.ui
            .note("Sandbox: CLOUDFLARE_API_TOKEN is set and ignored.");
    }
    src.ui
        .note("Sandbox: using the emulator's demo token (no real account needed).");
    (
        Secret::new(crate::emulator::sandbox::TOKEN),
        TokenSource::Sandbox,
    )
}

/// A stored token is kept without asking, unless the command offers a new one on a terminal.
fn keep(s: &Stored<'_>, token: &Secret, prompt: Option<&mut Ask<'_>>) -> anyhow::Result<bool> {
    match prompt {
        Some(ask) if s.offer && ask.prompter.interactive() => ask.prompter.confirm(
            &format!(
                "Keep the stored token ({})? Answer no to paste a new one",
                token.masked()
            ),
            true,
            "--token-stdin",
        ),
        _ => Ok(true),
    }
}

fn not_stored(s: Stored<'_>) -> anyhow::Error {
    Failure::new(
        Kind::Auth,
        format!(
            "no token is stored for profile '{}' in {}",
            s.profile,
            s.store.describe()
        ),
    )
    .with_hint(format!(
        "run `aigate rotate{}` to store one",
        profile_flag(s.profile)
    ))
    .into()
}

/// `CLOUDFLARE_API_TOKEN` over the stored token, for a command that has both at hand
/// (`status` reads the store anyway to report on it): the same order as [`resolve`].
pub fn env_over_stored(
    env: Option<&Secret>,
    stored: Option<&Secret>,
) -> Option<(Secret, TokenSource)> {
    env.map(|t| (t.clone(), TokenSource::EnvVar))
        .or_else(|| stored.map(|t| (t.clone(), TokenSource::Stored)))
}

/// Read a token from the process's standard input to EOF (see [`parse_stdin`]).
pub fn read_stdin() -> anyhow::Result<Secret> {
    use std::io::Read;
    let mut raw = Vec::new();
    std::io::stdin()
        .take(crate::domain::MAX_TOKEN_LEN as u64 + 3)
        .read_to_end(&mut raw)
        .map_err(|e| anyhow::anyhow!("cannot read the token from standard input: {e}"))?;
    parse_stdin(raw)
}

/// The token piped to `--token-stdin`, trimming one trailing newline. At most
/// [`crate::domain::MAX_TOKEN_LEN`] bytes are accepted, without control characters or
/// whitespace: anything else is refused (exit 2) before it is sent anywhere.
pub fn parse_stdin(raw: Vec<u8>) -> anyhow::Result<Secret> {
    let Ok(buf) = String::from_utf8(raw) else {
        return Err(
            Failure::usage("the token read from standard input is not text (UTF-8)")
                .with_hint("pipe only the token itself")
                .into(),
        );
    };
    let trimmed = buf
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&buf);
    let token = trimmed.trim();
    if token.is_empty() {
        return Err(
            Failure::usage("--token-stdin was given but standard input was empty")
                .with_hint(
                    "pipe the token in, e.g. `printf %s \"$TOKEN\" | aigate setup --token-stdin`",
                )
                .into(),
        );
    }
    if let Some(problem) = crate::domain::token_problem(token) {
        return Err(
            Failure::usage(format!("the token read from standard input: {problem}"))
                .with_hint("pipe only the token itself")
                .into(),
        );
    }
    Ok(Secret::new(token.to_string()))
}

/// Refuses, locally and before any request, what cannot be a Cloudflare API token (from any
/// source): see [`crate::domain::token_problem`]. Never quotes the value.
pub fn check_shape(token: &Secret, from: &str) -> anyhow::Result<()> {
    match crate::domain::token_problem(token.expose()) {
        None => Ok(()),
        Some(p) => Err(Failure::usage(format!(
            "the value from {from} is not a Cloudflare API token: {p}"
        ))
        .with_hint(
            "copy the token again from https://dash.cloudflare.com/profile/api-tokens (only the \
             token itself, on one line)",
        )
        .into()),
    }
}

#[cfg(test)]
mod tests;
