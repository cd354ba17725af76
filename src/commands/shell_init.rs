//! `aigate shell-init bash|zsh|fish|powershell`: a snippet (from `templates/`) that makes plain
//! `opencode` start through `aigate run`, so the token comes from the keychain.

use crate::cli::{Shell, ShellInitArgs};
use crate::context::Context;

const BASH: &str = include_str!("../../templates/shell-init.bash.j2");
const ZSH: &str = include_str!("../../templates/shell-init.zsh.j2");
const FISH: &str = include_str!("../../templates/shell-init.fish.j2");
const POWERSHELL: &str = include_str!("../../templates/shell-init.powershell.j2");

pub fn render(shell: Shell, profile: &str) -> anyhow::Result<String> {
    let (name, source) = match shell {
        Shell::Bash => ("shell-init.bash", BASH),
        Shell::Zsh => ("shell-init.zsh", ZSH),
        Shell::Fish => ("shell-init.fish", FISH),
        Shell::Powershell => ("shell-init.ps1", POWERSHELL),
    };
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

pub fn exec(ctx: &Context, args: &ShellInitArgs) -> anyhow::Result<i32> {
    ctx.ui
        .out(render(args.shell, ctx.profile_name())?.trim_end());
    Ok(0)
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
        let ps = render(Shell::Powershell, "work").unwrap();
        assert!(ps.contains("function opencode {"), "{ps}");
        assert!(
            ps.contains("& aigate --profile work run opencode @args"),
            "{ps}"
        );
        assert!(
            !render(Shell::Bash, "default")
                .unwrap()
                .contains("--profile")
        );
    }
}
