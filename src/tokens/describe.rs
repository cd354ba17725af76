//! How `status` (and `doctor`) describe the stored token's kind, in one place.

use crate::state::{StoredToken, StoredTokenKind};

/// One line: which kind of token is stored and what it may do.
pub fn kind_line(record: Option<&StoredToken>) -> String {
    match record {
        Some(t) if t.kind == StoredTokenKind::Minted => format!(
            "minted by aigate ({}{}): {} on this account only{}",
            t.owner.as_deref().unwrap_or("account"),
            if t.owner.as_deref() == Some("user") {
                " token"
            } else {
                "-owned"
            },
            t.permissions.join(", "),
            t.name
                .as_deref()
                .map(|n| format!(", named \"{n}\""))
                .unwrap_or_default()
        ),
        Some(t) if t.note.is_some() => {
            "the token you gave (aigate could not mint a Run-only one)".to_string()
        }
        Some(_) => "the token you gave (--token-scope as-given)".to_string(),
        None => "the token you gave".to_string(),
    }
}

/// The notice for a given token stored because it could not mint one, if any.
pub fn notice(record: Option<&StoredToken>) -> Option<&str> {
    record.and_then(|t| t.note.as_deref())
}

/// The `token.scope` check of `status` and `doctor`: which token is stored; for a given token
/// stored because aigate could not mint one, the note and how to narrow it.
pub fn check(record: Option<&StoredToken>, profile_flag: &str) -> crate::checks::Check {
    use crate::checks::Check;
    let line = kind_line(record);
    match notice(record) {
        // A note, not a failure: the setup works; it could be narrower.
        Some(n) => Check::ok(
            "token.scope",
            format!(
                "{line}: {n} (run `aigate{profile_flag} setup` with such a token; it is used once, not stored)"
            ),
        ),
        None => Check::ok("token.scope", line),
    }
}
