//! What the adapters share, so each stays the few lines that make it different: the label
//! with the installed version, and carrying out a planned removal of the client's copy of the
//! token.

use super::Removal;
use crate::files::{FileChange, Transaction};

/// `"{name} {version}"` when the version is known, else `unversioned`.
pub(crate) fn label(version: Option<&str>, name: &str, unversioned: &str) -> String {
    match version {
        Some(v) => format!("{name} {v}"),
        None => unversioned.to_string(),
    }
}

/// Applies `change` (a planned edit that takes the token out of a client's file), when there
/// is one, and records `what` was removed.
pub(crate) fn remove(
    change: Option<FileChange>,
    what: impl FnOnce() -> String,
    out: &mut Removal,
) -> anyhow::Result<()> {
    if let Some(change) = change {
        let mut txn = Transaction::new();
        txn.apply(&change)?;
        txn.commit();
        out.removed.push(what());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_names_the_version_when_known() {
        assert_eq!(label(Some("2.1.3"), "Codex", "Codex"), "Codex 2.1.3");
        assert_eq!(label(None, "OpenCode", "OpenCode 1"), "OpenCode 1");
    }

    #[test]
    fn a_planned_removal_is_applied_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        std::fs::write(&path, "{\"x\":1}").unwrap();
        let change = FileChange {
            path: path.clone(),
            before: Some(b"{\"x\":1}".to_vec()),
            after: Some(b"{}".to_vec()),
            mode: None,
            backup: false,
            sensitive: true,
            rebase: None,
        };
        let mut out = Removal::default();
        remove(Some(change), || "the entry".into(), &mut out).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        assert_eq!(out.removed, ["the entry"]);
        remove(None, || unreachable!(), &mut out).unwrap();
        assert_eq!(out.removed.len(), 1);
    }
}
