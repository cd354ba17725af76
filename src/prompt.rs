//! The prompter: how the wizard asks a person. One trait, two parts:
//! [`TermPrompter`] (dialoguer on the terminal) and [`NoPrompter`] (refuses, naming the flag).
//!
//! Prompts are only ever shown when stdin and stderr are both terminals: dialoguer's
//! `FuzzySelect` loops forever without one, and console reads keys from /dev/tty even when
//! stdin is a pipe, so a piped token must never reach dialoguer.

use crate::Secret;
use crate::exit::Failure;
use dialoguer::theme::{ColorfulTheme, Theme};
use std::fmt;
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
    /// Pick one of many `items` with a type-to-filter list (hundreds stay quick to use).
    fn fuzzy_select(
        &mut self,
        prompt: &str,
        items: &[String],
        default: usize,
        flag: &str,
    ) -> anyhow::Result<usize> {
        self.select(prompt, items, default, flag)
    }
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
    theme: Hints,
}

impl TermPrompter {
    pub fn new() -> Self {
        TermPrompter {
            theme: Hints(ColorfulTheme::default()),
        }
    }
}

pub const SELECT_KEYS: &str = "↑↓ to move, enter to confirm";
pub const MULTI_SELECT_KEYS: &str = "↑↓ to move, space to select, enter to confirm";
pub const FUZZY_SELECT_KEYS: &str = "type to filter, ↑↓ to move, enter to confirm";

/// dialoguer's colourful theme plus the keys to press on every list, and a cursor on
/// multi-selects that stays visible with colours off (the colourful theme marks the current
/// line by colour only).
pub struct Hints(ColorfulTheme);

impl Hints {
    fn with_keys(&self, f: &mut dyn fmt::Write, prompt: &str, keys: &str) -> fmt::Result {
        self.0.format_prompt(f, prompt)?;
        write!(
            f,
            " {}",
            console::style(format!("({keys})")).dim().for_stderr()
        )
    }
}

/// Methods of [`Theme`] that [`Hints`] passes to the colourful theme unchanged.
macro_rules! as_colourful {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name(&self, f: &mut dyn fmt::Write, $($arg: $ty),*) -> fmt::Result {
            self.0.$name(f, $($arg),*)
        }
    )*};
}

impl Theme for Hints {
    as_colourful! {
        format_prompt(prompt: &str);
        format_error(err: &str);
        format_confirm_prompt(prompt: &str, default: Option<bool>);
        format_confirm_prompt_selection(prompt: &str, selection: Option<bool>);
        format_input_prompt(prompt: &str, default: Option<&str>);
        format_input_prompt_selection(prompt: &str, sel: &str);
        format_password_prompt(prompt: &str);
        format_password_prompt_selection(prompt: &str);
        format_select_prompt_selection(prompt: &str, sel: &str);
        format_multi_select_prompt_selection(prompt: &str, selections: &[&str]);
        format_select_prompt_item(text: &str, active: bool);
    }
    fn format_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.with_keys(f, prompt, SELECT_KEYS)
    }
    fn format_multi_select_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.with_keys(f, prompt, MULTI_SELECT_KEYS)
    }
    fn format_multi_select_prompt_item(
        &self,
        f: &mut dyn fmt::Write,
        text: &str,
        checked: bool,
        active: bool,
    ) -> fmt::Result {
        let cursor = if active {
            &self.0.active_item_prefix
        } else {
            &self.0.inactive_item_prefix
        };
        write!(f, "{cursor} ")?;
        self.0
            .format_multi_select_prompt_item(f, text, checked, active)
    }
    fn format_fuzzy_select_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        search_term: &str,
        bytes_pos: usize,
    ) -> fmt::Result {
        self.with_keys(f, prompt, FUZZY_SELECT_KEYS)?;
        let (head, tail) = search_term.split_at(bytes_pos.min(search_term.len()));
        write!(f, " {head}|{tail}")
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

    fn fuzzy_select(
        &mut self,
        prompt: &str,
        items: &[String],
        default: usize,
        _: &str,
    ) -> anyhow::Result<usize> {
        dialoguer::FuzzySelect::with_theme(&self.theme)
            .with_prompt(prompt)
            .items(items)
            .default(default.min(items.len().saturating_sub(1)))
            .max_length(12)
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
            .with_prompt(prompt)
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

    #[test]
    fn hints_name_the_keys_on_lists_and_draw_the_rest_as_the_colourful_theme() {
        let (hints, colourful) = (Hints(ColorfulTheme::default()), ColorfulTheme::default());
        let (mut a, mut b) = (String::new(), String::new());
        hints
            .format_confirm_prompt_selection(&mut a, "Keep?", Some(true))
            .unwrap();
        colourful
            .format_confirm_prompt_selection(&mut b, "Keep?", Some(true))
            .unwrap();
        assert_eq!(a, b);
        let (mut a, mut b) = (String::new(), String::new());
        hints
            .format_multi_select_prompt_selection(&mut a, "Which?", &["x", "y"])
            .unwrap();
        colourful
            .format_multi_select_prompt_selection(&mut b, "Which?", &["x", "y"])
            .unwrap();
        assert_eq!(a, b);
        let mut s = String::new();
        hints.format_multi_select_prompt(&mut s, "Which?").unwrap();
        assert!(s.contains(MULTI_SELECT_KEYS), "{s}");
        let mut s = String::new();
        hints.format_select_prompt(&mut s, "Which?").unwrap();
        assert!(s.contains(SELECT_KEYS), "{s}");
    }
}
