//! `aigate shell-init bash|zsh|fish|powershell`: a snippet (from `templates/`) that makes plain `opencode` start
//! through `aigate run`, so the token comes from the keychain.

use crate::cli::Shell;
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

const BASH: &str = include_str!("../../templates/shell-init.bash.j2");
const ZSH: &str = include_str!("../../templates/shell-init.zsh.j2");
const FISH: &str = include_str!("../../templates/shell-init.fish.j2");
const POWERSHELL: &str = include_str!("../../templates/shell-init.powershell.j2");

#[derive(Debug, Serialize)]
pub struct ShellInitReport {
    pub shell: &'static str,
    pub profile: String,
    /// The snippet to `eval` (or paste into the shell's rc file).
    pub snippet: String,
}

pub fn shell_init(shell: Shell, profile: &str) -> anyhow::Result<ShellInitReport> {
    let (name, _) = template(shell);
    Ok(ShellInitReport {
        shell: name.trim_start_matches("shell-init."),
        profile: profile.to_string(),
        snippet: render(shell, profile)?.trim_end().to_string(),
    })
}

fn template(shell: Shell) -> (&'static str, &'static str) {
    match shell {
        Shell::Bash => ("shell-init.bash", BASH),
        Shell::Zsh => ("shell-init.zsh", ZSH),
        Shell::Fish => ("shell-init.fish", FISH),
        Shell::Powershell => ("shell-init.powershell", POWERSHELL),
    }
}

pub fn render(shell: Shell, profile: &str) -> anyhow::Result<String> {
    let (name, source) = template(shell);
    let mut env = minijinja::Environment::new();
    env.add_template(name, source)?;
    let profile_args = if profile == "default" {
        String::new()
    } else {
        format!(" --profile {profile}")
    };
    Ok(env
        .get_template(name)?
        .render(minijinja::context! { profile_args })?)
}

impl Report for ShellInitReport {
    /// The snippet alone on stdout, so `eval "$(aigate shell-init bash)"` works.
    fn render(&self, ui: &Ui) {
        ui.out(&self.snippet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_wrap_opencode() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = render(shell, "work").unwrap();
            assert!(s.contains("aigate --profile work run -- opencode"), "{s}");
        }
        assert!(
            !render(Shell::Bash, "default")
                .unwrap()
                .contains("--profile")
        );
        let ps = render(Shell::Powershell, "work").unwrap();
        assert!(ps.contains("function opencode {"), "{ps}");
        assert!(
            ps.contains("& aigate --profile work run opencode @args"),
            "{ps}"
        );
        assert_eq!(shell_init(Shell::Zsh, "x").unwrap().shell, "zsh");
    }
}
