//! The one commit unit for "a token plus files", used by `setup` and `rotate`: the token goes
//! into its store and every planned file change is applied, or nothing is.
//!
//! Order: read the token the store holds now (if that read fails, refuse: a rollback could
//! otherwise delete a token that existed), apply the files (each under its edit lock, kept
//! until the end), store the token, keep the files. A failure or Ctrl-C at any step undoes
//! the earlier ones: the files get their old bytes, the store its old token (or none). If an
//! undo itself fails, the error says exactly what could not be put back.

use crate::Secret;
use crate::files::{FileChange, Transaction};
use crate::interrupt;
use crate::secrets::SecretStore;
use anyhow::Context as _;
use std::path::PathBuf;

/// What to commit.
pub struct Unit<'a> {
    pub store: &'a dyn SecretStore,
    pub profile: &'a str,
    /// The token to store; `None` keeps the stored one.
    pub token: Option<&'a Secret>,
    /// Applied in this order (a no-op change writes nothing).
    pub changes: Vec<&'a FileChange>,
    /// A last step after the token is stored (e.g. OpenCode 2's own credential store, through
    /// its server): if it fails, the token and the files are put back. It must leave its own
    /// target unchanged when it fails.
    pub last: Option<&'a dyn Fn() -> anyhow::Result<()>>,
}

/// What was committed.
#[derive(Debug, Default)]
pub struct Committed {
    /// Files that changed (their real paths: a symlink's target).
    pub files_written: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    /// The token was written to the store (false: it was already there, or none was given).
    pub token_stored: bool,
}

/// Commits `unit` as a whole (see the module docs). Run it inside an
/// [`interrupt::Critical`] section so Ctrl-C is turned into a rollback.
pub fn commit(unit: &Unit<'_>) -> anyhow::Result<Committed> {
    interrupt::checkpoint()?;
    // Reading the current token must work before anything changes.
    let previous = match unit.token {
        Some(_) => Some(unit.store.get(unit.profile).with_context(|| {
            format!(
                "cannot read the token stored in {} (needed to put it back if a later step \
                 fails); nothing was changed",
                unit.store.describe()
            )
        })?),
        None => None,
    };
    let token = unit
        .token
        .filter(|t| !matches!(&previous, Some(Some(old)) if old.same_as(t)));

    let mut txn = Transaction::new();
    for change in &unit.changes {
        if let Err(e) = interrupt::checkpoint().and_then(|_| txn.apply(change)) {
            return Err(undo(e, txn, None, unit));
        }
    }
    if let Some(t) = token {
        let stored = interrupt::checkpoint().and_then(|_| {
            unit.store
                .set(unit.profile, t)
                .with_context(|| format!("could not store the token in {}", unit.store.describe()))
        });
        if let Err(e) = stored {
            // The set may have half-happened: put the old value back as well.
            return Err(undo(e, txn, previous.as_ref(), unit));
        }
        if let Err(e) = interrupt::checkpoint() {
            return Err(undo(e, txn, previous.as_ref(), unit));
        }
    }
    if let Some(step) = unit.last
        && let Err(e) = interrupt::checkpoint().and_then(|_| step())
    {
        return Err(undo(e, txn, token.and(previous.as_ref()), unit));
    }
    let files_written = txn.written();
    Ok(Committed {
        backups: txn.commit(),
        files_written,
        token_stored: token.is_some(),
    })
}

/// Rolls back the files and (when `previous` is given) the token; returns `cause` with
/// every undo failure added, so nothing that could not be put back goes unreported.
fn undo(
    cause: anyhow::Error,
    txn: Transaction,
    previous: Option<&Option<Secret>>,
    unit: &Unit<'_>,
) -> anyhow::Error {
    let mut problems = Vec::new();
    if let Err(e) = txn.rollback() {
        problems.push(format!("{e:#}"));
    }
    if let Some(old) = previous {
        let put_back = match old {
            Some(t) => unit.store.set(unit.profile, t),
            None => unit.store.delete(unit.profile).map(|_| ()),
        };
        // A put-back that fails while the store already holds the old value is no problem.
        let still_old = || match unit.store.get(unit.profile) {
            Ok(now) => {
                now.map(|t| t.expose().to_string()) == old.as_ref().map(|t| t.expose().to_string())
            }
            Err(_) => false,
        };
        if let Err(e) = put_back
            && !still_old()
        {
            problems.push(format!(
                "could not put the previous token back in {}: {e:#}; run `aigate rotate` to \
                 store a working token",
                unit.store.describe()
            ));
        }
    }
    if problems.is_empty() {
        cause
    } else {
        cause.context(format!(
            "the change failed and could not be fully undone: {}",
            problems.join("; ")
        ))
    }
}
