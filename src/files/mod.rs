//! Every file aigate writes goes through this module: planned changes ([`FileChange`]), applied
//! in a [`Transaction`] (refuse if the file changed since it was planned, back up, atomic
//! write, undo on failure), built on the [`write_atomic`] primitive.

mod atomic;
mod transaction;

pub use atomic::{DEFAULT_MODE, write_atomic};
pub use transaction::Transaction;

use std::fmt;
use std::path::PathBuf;

/// One planned change to one file. Planning reads the file (`before`); nothing is written until
/// a [`Transaction`] applies it.
#[derive(Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: PathBuf,
    /// The exact bytes read when the change was planned; `None` = the file did not exist.
    pub before: Option<Vec<u8>>,
    /// The new contents; `None` = delete the file.
    pub after: Option<Vec<u8>>,
    /// Unix mode for a new or replaced file (e.g. `0o600`). `None` keeps the existing file's
    /// mode (default 0644). Sensitive files are always written 0600.
    pub mode: Option<u32>,
    /// Copy the existing file to `<name>.bak-<YYYYmmdd-HHMMSS>` before replacing it.
    pub backup: bool,
    /// The contents hold secrets: written 0600, never backed up, never printed.
    pub sensitive: bool,
}

impl FileChange {
    /// True when applying it would change nothing (same bytes, or absent and staying absent).
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }

    /// "create", "update", "delete" or "unchanged".
    pub fn describe(&self) -> String {
        match (&self.before, &self.after) {
            _ if self.is_noop() => "unchanged",
            (None, Some(_)) => "create",
            (Some(_), Some(_)) => "update",
            (Some(_), None) => "delete",
            (None, None) => "unchanged",
        }
        .to_string()
    }
}

/// Shows the path, sizes and flags only: the contents may hold tokens (auth.json).
impl fmt::Debug for FileChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileChange")
            .field("path", &self.path)
            .field("before_len", &self.before.as_ref().map(Vec::len))
            .field("after_len", &self.after.as_ref().map(Vec::len))
            .field("mode", &self.mode.map(|m| format!("{m:o}")))
            .field("backup", &self.backup)
            .field("sensitive", &self.sensitive)
            .field("action", &self.describe())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(before: Option<&str>, after: Option<&str>) -> FileChange {
        FileChange {
            path: PathBuf::from("/x/auth.json"),
            before: before.map(|s| s.as_bytes().to_vec()),
            after: after.map(|s| s.as_bytes().to_vec()),
            mode: Some(0o600),
            backup: false,
            sensitive: true,
        }
    }

    #[test]
    fn describe_names_each_action() {
        assert_eq!(change(None, Some("a")).describe(), "create");
        assert_eq!(change(Some("a"), Some("b")).describe(), "update");
        assert_eq!(change(Some("a"), None).describe(), "delete");
        assert_eq!(change(Some("a"), Some("a")).describe(), "unchanged");
        assert_eq!(change(None, None).describe(), "unchanged");
        assert!(change(Some("a"), Some("a")).is_noop());
        assert!(!change(Some("a"), Some("b")).is_noop());
    }

    #[test]
    fn debug_hides_contents() {
        let c = change(Some("tok-OLD-secret"), Some("tok-NEW-secret"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(
            dbg.contains("auth.json") && dbg.contains("before_len: Some(14)"),
            "{dbg}"
        );
    }
}
