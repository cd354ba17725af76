//! Typed flag values, checked when the command line is parsed (clap calls `FromStr` through
//! `value_parser!`), so a bad value exits 2 naming the flag before any request or file write.
//!
//! Each type derefs to `str`; the error text is the reason and the fix (clap adds the flag).

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// Providers offered for BYOK: (provider slug in the gateway, label).
pub const BYOK_PROVIDERS: &[(&str, &str)] = &[
    ("openai", "OpenAI"),
    ("anthropic", "Anthropic"),
    ("google-ai-studio", "Google AI Studio"),
    ("grok", "xAI (Grok)"),
    ("deepseek", "DeepSeek"),
    ("groq", "Groq"),
    ("mistral", "Mistral"),
];

/// The longest token aigate accepts (Cloudflare's are 40 to 80 characters).
pub const MAX_TOKEN_LEN: usize = 4096;

macro_rules! str_newtype {
    ($name:ident) => {
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

macro_rules! known_ctor {
    ($($name:ident),*) => {$(
        impl $name {
            /// A value aigate itself defines (a constant already known to be valid).
            pub fn known(s: &'static str) -> $name {
                $name(s.to_string())
            }
        }
    )*};
}
known_ctor!(ProfileName, GatewayId, AccountId, ModelId);

/// A profile name: 1 to 64 letters, digits, `-`, `_` or `.`, starting with a letter or digit.
/// Safe to print into a shell snippet, a keychain entry or a file name as is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileName(String);
str_newtype!(ProfileName);

impl ProfileName {
    pub fn default_name() -> ProfileName {
        ProfileName("default".to_string())
    }
}

impl FromStr for ProfileName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if s.is_empty() || s.len() > 64 {
            return Err(format!(
                "a profile name has 1 to 64 characters (this one has {})",
                s.chars().count()
            ));
        }
        if !s.chars().all(ok_char) || !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(
                "a profile name uses only letters, digits, '-', '_' and '.', and starts with \
                 a letter or digit (e.g. work, team-2)"
                    .to_string(),
            );
        }
        Ok(ProfileName(s.to_string()))
    }
}

/// An AI Gateway id, by Cloudflare's rule: 1 to 64 of `a-z 0-9 _`, single `-` between parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GatewayId(String);
str_newtype!(GatewayId);

impl FromStr for GatewayId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if crate::cloudflare::is_valid_gateway_id(s) {
            Ok(GatewayId(s.to_string()))
        } else {
            Err(
                "not a valid gateway id: use 1 to 64 lowercase letters, digits or '_', single '-' \
                 between parts (e.g. opencode, team-gw)"
                    .to_string(),
            )
        }
    }
}

/// A Cloudflare account id: 32 hexadecimal characters (kept lowercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);
str_newtype!(AccountId);

impl FromStr for AccountId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(AccountId(s.to_ascii_lowercase()))
        } else {
            Err(
                "an account id is 32 hexadecimal characters (the dashboard shows it \
                 in the account's URL and on its overview page)"
                    .to_string(),
            )
        }
    }
}

/// A model id of the gateway catalog: `vendor/model` (the model part may hold more `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelId(String);
str_newtype!(ModelId);

impl FromStr for ModelId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let fix = "use a gateway catalog id, PROVIDER/MODEL (e.g. openai/gpt-5-mini; \
                   `aigate models` lists them)";
        let Some((vendor, model)) = s.split_once('/') else {
            return Err(format!("not PROVIDER/MODEL: {fix}"));
        };
        let vendor_ok = !vendor.is_empty()
            && vendor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let model_ok = !model.is_empty()
            && !model.starts_with('/')
            && !model.chars().any(|c| c.is_whitespace() || c.is_control());
        if !vendor_ok || !model_ok || s.len() > 256 {
            return Err(format!("not a model id: {fix}"));
        }
        Ok(ModelId(s.to_string()))
    }
}

/// `--byok-key PROVIDER=ENV_VAR`: a known BYOK provider and the name of a set, non-empty
/// environment variable holding its key (the key itself never appears on the command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByokKeySpec {
    pub provider: String,
    pub var: String,
}

impl fmt::Display for ByokKeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.provider, self.var)
    }
}

fn known_providers() -> String {
    BYOK_PROVIDERS
        .iter()
        .map(|p| p.0)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ByokKeySpec {
    /// The key from the environment (checked again: the environment is read at use).
    pub fn read_key(&self) -> Option<crate::Secret> {
        crate::env::var(&self.var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(crate::Secret::new)
    }

    /// The first provider named twice, if any.
    pub fn duplicate(specs: &[ByokKeySpec]) -> Option<&str> {
        specs.iter().enumerate().find_map(|(i, s)| {
            specs[..i]
                .iter()
                .any(|t| t.provider == s.provider)
                .then_some(s.provider.as_str())
        })
    }
}

impl FromStr for ByokKeySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let Some((provider, var)) = s.split_once('=') else {
            return Err(
                "not PROVIDER=ENV_VAR: name the environment variable that holds the key, \
                 e.g. openai=OPENAI_API_KEY (keys never go on the command line)"
                    .to_string(),
            );
        };
        let provider = provider.trim().to_ascii_lowercase();
        if !BYOK_PROVIDERS.iter().any(|p| p.0 == provider) {
            return Err(format!(
                "unknown provider '{provider}'; known providers: {}",
                known_providers()
            ));
        }
        let var_ok = !var.is_empty()
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !var.starts_with(|c: char| c.is_ascii_digit());
        if !var_ok {
            return Err(format!(
                "'{var}' is not an environment variable name; e.g. {provider}=MY_KEY_VAR"
            ));
        }
        let spec = ByokKeySpec {
            provider,
            var: var.to_string(),
        };
        if spec.read_key().is_none() {
            return Err(format!(
                "the environment variable {var} is not set or is empty; export it with the \
                 {} key first",
                spec.provider
            ));
        }
        Ok(spec)
    }
}

/// Why a token is refused before it is sent anywhere, or `None` when it may be sent.
pub fn token_problem(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return Some(format!(
            "the token is {} bytes long; Cloudflare API tokens are far shorter (at most {} \
             accepted)",
            token.len(),
            MAX_TOKEN_LEN
        ));
    }
    if token.chars().any(|c| c.is_control()) {
        return Some("the token contains control characters".to_string());
    }
    if token.chars().any(char::is_whitespace) {
        return Some("the token contains whitespace".to_string());
    }
    None
}

/// A person's name as used in token names: letters, digits, `-`, `_`, `.`, `@`; 1–64.
pub fn parse_person(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a usable name: 1 to 64 letters, digits, '-', '_', '.', '@'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        for ok in ["default", "work", "team-2", "a.b_c", &"x".repeat(64)] {
            assert!(ok.parse::<ProfileName>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "x; echo PWNED",
            "a b",
            "$(id)",
            "-x",
            ".hidden",
            "é",
            &"x".repeat(65),
        ] {
            assert!(bad.parse::<ProfileName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gateway_and_account_ids() {
        assert!("team-gw".parse::<GatewayId>().is_ok());
        for bad in ["Bad Id", "a--b", "-a", "UPPER", ""] {
            assert!(bad.parse::<GatewayId>().is_err(), "{bad:?}");
        }
        let id: AccountId = "0123456789ABCDEF0123456789abcdef".parse().unwrap();
        assert_eq!(&*id, "0123456789abcdef0123456789abcdef");
        for bad in ["123", "g123456789abcdef0123456789abcdef", ""] {
            assert!(bad.parse::<AccountId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn model_ids() {
        for ok in [
            "openai/gpt-5-mini",
            "workers-ai/@cf/meta/llama-3.1-8b-instruct",
        ] {
            assert!(ok.parse::<ModelId>().is_ok(), "{ok}");
        }
        for bad in ["gpt-5", "/x", "openai/", "openai/a b", "a b/c", "openai//x"] {
            assert!(bad.parse::<ModelId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn byok_specs() {
        // PATH is set in every test environment.
        let s: ByokKeySpec = "OpenAI=PATH".parse().unwrap();
        assert_eq!(s.provider, "openai");
        assert!("foo".parse::<ByokKeySpec>().is_err());
        assert!("nope=PATH".parse::<ByokKeySpec>().is_err());
        assert!("openai=1X".parse::<ByokKeySpec>().is_err());
        assert!(
            "openai=AIGATE_SURELY_UNSET_VARIABLE_42"
                .parse::<ByokKeySpec>()
                .is_err()
        );
        let twice = [s.clone(), "anthropic=PATH".parse().unwrap(), s];
        assert_eq!(ByokKeySpec::duplicate(&twice), Some("openai"));
        assert_eq!(ByokKeySpec::duplicate(&twice[..2]), None);
    }

    #[test]
    fn tokens() {
        assert!(token_problem("cfut_abc").is_none());
        assert!(token_problem(&"a".repeat(MAX_TOKEN_LEN + 1)).is_some());
        assert!(token_problem("abc\u{7}def").is_some());
        assert!(token_problem("abc def").is_some());
    }
}
