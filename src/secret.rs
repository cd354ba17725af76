//! A redacting wrapper for every secret aigate handles (Cloudflare tokens, provider keys).
//!
//! `Secret` has no `Display`, its `Debug` prints a fixed placeholder, and the only way to read
//! the value is the explicit [`Secret::expose`] call, so a secret cannot reach output by
//! accident through `{}` or `{:?}`.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;

#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The raw value. Call this only at the boundary where the secret leaves the process
    /// (an HTTP header, the keychain, a 0600 file, a child's environment).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// A form that is safe to print: the public token prefix (if any) and the last four
    /// characters, e.g. `cfut_****…3f9a`.
    pub fn masked(&self) -> String {
        let v = self.expose();
        let prefix = ["cfut_", "cfat_", "cfk_"]
            .iter()
            .find(|p| v.starts_with(*p))
            .copied()
            .unwrap_or("");
        let chars: Vec<char> = v.chars().collect();
        if chars.len() < 16 {
            return format!("{prefix}****");
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{prefix}****…{tail}")
    }

    /// Constant-time-ish equality, so comparing a stored token with a new one does not need
    /// `expose` at the call site.
    pub fn same_as(&self, other: &Secret) -> bool {
        let (a, b) = (self.expose().as_bytes(), other.expose().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_masked_never_show_the_value() {
        let s = Secret::new("cfut_abcdefghijklmnopqrstuvwxyz0123456789XYZW");
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("abcdefgh"), "{dbg}");
        let m = s.masked();
        assert!(m.starts_with("cfut_****"), "{m}");
        assert!(m.ends_with("XYZW"));
        assert!(!m.contains("abcdefgh"));
        assert_eq!(Secret::new("short").masked(), "****");
    }

    #[test]
    fn same_as_compares_values() {
        assert!(Secret::new("a1").same_as(&Secret::new("a1")));
        assert!(!Secret::new("a1").same_as(&Secret::new("a2")));
        assert!(!Secret::new("a1").same_as(&Secret::new("a12")));
    }
}
