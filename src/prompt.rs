//! The prompter: how the wizard asks a person. One trait, two parts:
//! [`TermPrompter`] (dialoguer on the terminal) and [`NoPrompter`] (refuses, naming the flag).
//!
//! Prompts are only ever shown when stdin and stderr are both terminals: dialoguer's
//! `FuzzySelect` loops forever without one, and console reads keys from /dev/tty even when
//! stdin is a pipe, so a piped token must never reach dialoguer.

use crate::Secret;
use crate::exit::Failure;
use dialoguer::theme::ColorfulTheme;
use std::io::IsTerminal;

pub trait Prompter {
    /// Whether this prompter can ask anything at all.
    fn interactive(&self) -> bool;
    /// Pick one of `items`; `flag` names the flag that answers it non-interactively.
    fn select(
        &mut self,
        prompt: &str,
        items: &[String],
        default: usize,
        flag: &str,
    ) -> anyhow::Result<usize>;
    /// Pick any of `items`.
    fn multi_select(
        &mut self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
        flag: &str,
    ) -> anyhow::Result<Vec<usize>>;
    /// Free text, checked by `validate` (an error message re-asks).
    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<(), String>,
        flag: &str,
    ) -> anyhow::Result<String>;
    /// Hidden entry for a secret.
    fn password(&mut self, prompt: &str, flag: &str) -> anyhow::Result<Secret>;
    fn confirm(&mut self, prompt: &str, default: bool, flag: &str) -> anyhow::Result<bool>;
}

/// Whether prompting is possible and allowed.
pub fn can_prompt(non_interactive: bool) -> bool {
    !non_interactive && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The prompter for this run.
pub fn for_run(non_interactive: bool) -> Box<dyn Prompter> {
    if can_prompt(non_interactive) {
        Box::new(TermPrompter::new())
    } else {
        Box::new(NoPrompter)
    }
}

/// Refuses every question with exit 2 and the flag that answers it.
pub struct NoPrompter;

fn refuse(what: &str, flag: &str) -> anyhow::Error {
    Failure::missing_answer(what, flag).into()
}

impl Prompter for NoPrompter {
    fn interactive(&self) -> bool {
        false
    }
    fn select(
        &mut self,
        prompt: &str,
        _: &[String],
        _: usize,
        flag: &str,
    ) -> anyhow::Result<usize> {
        Err(refuse(prompt, flag))
    }
    fn multi_select(
        &mut self,
        prompt: &str,
        _: &[String],
        _: &[bool],
        flag: &str,
    ) -> anyhow::Result<Vec<usize>> {
        Err(refuse(prompt, flag))
    }
    fn input(
        &mut self,
        prompt: &str,
        _: Option<&str>,
        _: &dyn Fn(&str) -> Result<(), String>,
        flag: &str,
    ) -> anyhow::Result<String> {
        Err(refuse(prompt, flag))
    }
    fn password(&mut self, prompt: &str, flag: &str) -> anyhow::Result<Secret> {
        Err(refuse(prompt, flag))
    }
    fn confirm(&mut self, prompt: &str, _: bool, flag: &str) -> anyhow::Result<bool> {
        Err(refuse(prompt, flag))
    }
}

/// dialoguer prompts drawn on stderr.
pub struct TermPrompter {
    theme: ColorfulTheme,
}

impl TermPrompter {
    pub fn new() -> Self {
        TermPrompter {
            theme: ColorfulTheme::default(),
        }
    }
}

impl Default for TermPrompter {
    fn default() -> Self {
        Self::new()
    }
}

/// dialoguer reports Ctrl-C in raw mode as an interrupted read: turn it into exit 130 with the
/// cursor shown again.
fn map_err(e: dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = e;
    crate::interrupt::restore_terminal();
    if io.kind() == std::io::ErrorKind::Interrupted {
        Failure::interrupted().into()
    } else {
        anyhow::Error::new(io).context("could not read the answer from the terminal")
    }
}

impl Prompter for TermPrompter {
    fn interactive(&self) -> bool {
        true
    }

    fn select(
        &mut self,
        prompt: &str,
        items: &[String],
        default: usize,
        _: &str,
    ) -> anyhow::Result<usize> {
        dialoguer::Select::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(items)
            .default(default.min(items.len().saturating_sub(1)))
            .interact()
            .map_err(map_err)
    }

    fn multi_select(
        &mut self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
        _: &str,
    ) -> anyhow::Result<Vec<usize>> {
        dialoguer::MultiSelect::with_theme(&self.theme)
            .with_prompt(format!("{prompt} (space to toggle, enter to accept)"))
            .items(items)
            .defaults(defaults)
            .interact()
            .map_err(map_err)
    }

    fn input(
        &mut self,
        prompt: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<(), String>,
        _: &str,
    ) -> anyhow::Result<String> {
        let mut input = dialoguer::Input::<String>::with_theme(&self.theme).with_prompt(prompt);
        if let Some(d) = default {
            input = input.default(d.to_string());
        }
        input
            .validate_with(|s: &String| validate(s.trim()))
            .interact_text()
            .map(|s| s.trim().to_string())
            .map_err(map_err)
    }

    fn password(&mut self, prompt: &str, _: &str) -> anyhow::Result<Secret> {
        let value = dialoguer::Password::with_theme(&self.theme)
            .with_prompt(prompt)
            .validate_with(|s: &String| {
                if s.trim().is_empty() {
                    Err("nothing was entered")
                } else {
                    Ok(())
                }
            })
            .interact()
            .map_err(map_err)?;
        Ok(Secret::new(value.trim().to_string()))
    }

    fn confirm(&mut self, prompt: &str, default: bool, _: &str) -> anyhow::Result<bool> {
        dialoguer::Confirm::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default)
            .interact()
            .map_err(map_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::kind_of;
    use crate::exit::Kind;

    #[test]
    fn no_prompter_names_the_flag_and_exits_2() {
        let mut p = NoPrompter;
        let err = p
            .select("Which account?", &["a".into()], 0, "--account-id")
            .unwrap_err();
        assert_eq!(kind_of(&err), Kind::Usage);
        assert!(
            crate::error::hint_of(&err)
                .unwrap()
                .contains("--account-id")
        );
        let err = p.password("Token", "--token-stdin").unwrap_err();
        assert!(
            crate::error::hint_of(&err)
                .unwrap()
                .contains("--token-stdin")
        );
    }
}
