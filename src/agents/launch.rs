//! What `aigate run -- CMD` gives CMD: always `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID`
//! and `CLOUDFLARE_GATEWAY_ID`; for a client recognised by the command's name, what that
//! client needs (Claude Code: its `ANTHROPIC_*` variables; Codex: the token variable its
//! profile names and `--profile`). Nothing else, and only for that process.

use super::{Agent, claude_code, codex};
use crate::Secret;
use crate::exit::{Failure, Kind};
use crate::state::Profile;
use std::ffi::OsString;
use std::path::PathBuf;

/// The child's extra environment and the arguments it gets instead of the user's.
#[derive(Debug)]
pub struct Launch {
    pub agent: Option<Agent>,
    /// Values may hold the token.
    pub env: Vec<(&'static str, Secret)>,
    pub args: Vec<OsString>,
}

/// Where a launch looks for client files.
pub struct Where<'a> {
    pub aigate_profile: &'a str,
    pub gateway_url: &'a str,
    pub codex_home: PathBuf,
}

pub fn prepare(
    program: &std::ffi::OsStr,
    args: &[OsString],
    profile: &Profile,
    token: &Secret,
    at: &Where,
) -> anyhow::Result<Launch> {
    let agent = Agent::from_program(program);
    let mut env = vec![
        ("CLOUDFLARE_API_TOKEN", token.clone()),
        (
            "CLOUDFLARE_ACCOUNT_ID",
            Secret::new(profile.account_id.clone()),
        ),
        (
            "CLOUDFLARE_GATEWAY_ID",
            Secret::new(profile.gateway_id.clone()),
        ),
    ];
    let mut out_args = args.to_vec();
    match agent {
        Some(Agent::ClaudeCode) => env.extend(claude_code::env(profile, at.gateway_url, token)),
        Some(Agent::Codex) => {
            env.push((
                codex::TOKEN_ENV,
                Secret::new(format!("Bearer {}", token.expose())),
            ));
            if !names_a_profile(args) {
                let path = codex::profile_path(&at.codex_home, at.aigate_profile);
                if !path.exists() {
                    return Err(Failure::new(
                        Kind::Other,
                        format!(
                            "Codex is not set up for this profile ({} is missing)",
                            path.display()
                        ),
                    )
                    .with_hint(format!(
                        "run `aigate{} setup --client codex`",
                        crate::domain::profile_flag(at.aigate_profile)
                    ))
                    .into());
                }
                let mut with = vec![
                    OsString::from("--profile"),
                    OsString::from(codex::profile_name(at.aigate_profile)),
                ];
                with.append(&mut out_args);
                out_args = with;
            }
        }
        Some(Agent::Opencode) | None => {}
    }
    Ok(Launch {
        agent,
        env,
        args: out_args,
    })
}

/// The user chose a Codex profile themselves (`-p X`, `--profile X`, `--profile=X`).
fn names_a_profile(args: &[OsString]) -> bool {
    args.iter().any(|a| {
        let a = a.to_string_lossy();
        a == "-p" || a == "--profile" || a.starts_with("--profile=")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Billing, StoreKind, TokenDelivery};

    fn profile() -> Profile {
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
        }
    }

    fn names(l: &Launch) -> Vec<&'static str> {
        l.env.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn unknown_commands_get_only_the_three_variables() {
        let dir = tempfile::tempdir().unwrap();
        let at = Where {
            aigate_profile: "default",
            gateway_url: "https://g/v1",
            codex_home: dir.path().into(),
        };
        let l = prepare("env".as_ref(), &[], &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(
            names(&l),
            [
                "CLOUDFLARE_API_TOKEN",
                "CLOUDFLARE_ACCOUNT_ID",
                "CLOUDFLARE_GATEWAY_ID"
            ]
        );
        let c = prepare(
            "/bin/claude".as_ref(),
            &[],
            &profile(),
            &Secret::new("t"),
            &at,
        )
        .unwrap();
        assert!(names(&c).contains(&"ANTHROPIC_CUSTOM_HEADERS"));
    }

    #[test]
    fn codex_gets_its_profile_unless_the_user_named_one() {
        let dir = tempfile::tempdir().unwrap();
        let at = Where {
            aigate_profile: "work",
            gateway_url: "https://g/v1",
            codex_home: dir.path().into(),
        };
        let args = vec![OsString::from("exec"), OsString::from("hi")];
        let missing = prepare("codex".as_ref(), &args, &profile(), &Secret::new("t"), &at);
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("aigate-work.config.toml")
        );
        std::fs::write(dir.path().join("aigate-work.config.toml"), "").unwrap();
        let l = prepare("codex".as_ref(), &args, &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(l.args, ["--profile", "aigate-work", "exec", "hi"]);
        let tok = l.env.iter().find(|(k, _)| *k == codex::TOKEN_ENV).unwrap();
        assert_eq!(tok.1.expose(), "Bearer t");
        let own = vec![OsString::from("-p"), OsString::from("mine")];
        let l = prepare("codex".as_ref(), &own, &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(l.args, own);
    }
}
