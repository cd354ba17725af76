//! Every file aigate writes goes through this module: planned changes ([`FileChange`]), applied
//! in a [`Transaction`] (refuse if the file changed since it was planned, back up, atomic
//! write, undo on failure), built on the [`write_atomic`] primitive.

mod atomic;
mod edit;
mod lock;
mod transaction;

pub use atomic::{DEFAULT_MODE, write_atomic};
pub use edit::{Edited, locked_edit};
pub use lock::{FileLock, WAIT_ENV as LOCK_WAIT_ENV, lock, resolve_target};
pub use transaction::Transaction;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Recomputes a change's new contents from the file's current contents (`None` = absent),
/// when the file changed between planning and applying: the entry aigate owns is merged into
/// what is there now, so a concurrent run's edit is kept. `Ok(None)` = delete the file.
pub type Rebase = Arc<dyn Fn(Option<&[u8]>) -> anyhow::Result<Option<Vec<u8>>> + Send + Sync>;

/// One planned change to one file. Planning reads the file (`before`); nothing is written until
/// a [`Transaction`] applies it.
#[derive(Clone)]
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
    /// How to redo the change on newer contents; `None` = refuse when the file changed.
    pub rebase: Option<Rebase>,
}

/// Equal when they would do the same thing (the rebase function is not compared).
impl PartialEq for FileChange {
    fn eq(&self, o: &Self) -> bool {
        (
            &self.path,
            &self.before,
            &self.after,
            self.mode,
            self.backup,
            self.sensitive,
        ) == (&o.path, &o.before, &o.after, o.mode, o.backup, o.sensitive)
            && self.rebase.is_some() == o.rebase.is_some()
    }
}

impl Eq for FileChange {}

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
            rebase: None,
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
