//! Applying planned [`FileChange`]s with undo: each change is checked against what was read
//! when it was planned, backed up, written atomically, and remembered so that
//! [`Transaction::rollback`] can put every file back exactly as it was.

use super::FileChange;
use super::atomic::{DEFAULT_MODE, existing_mode, parent_dir, set_mode, sync_dir, write_atomic};
use super::lock::{FileLock, lock, resolve_target};
use anyhow::{Context, Result, bail};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What one applied change needs for undo.
struct Applied {
    path: PathBuf,
    /// The bytes and mode before the change; `None` = the file did not exist.
    previous: Option<(Vec<u8>, Option<u32>)>,
    /// Directories created for this change, outermost first.
    created_dirs: Vec<PathBuf>,
    backup: Option<PathBuf>,
}

/// A group of file changes that are kept together ([`commit`](Self::commit)) or undone
/// together ([`rollback`](Self::rollback)).
#[derive(Default)]
pub struct Transaction {
    applied: Vec<Applied>,
    /// Held until commit or rollback: no other aigate run edits these files meanwhile.
    locks: Vec<FileLock>,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one change under the file's edit lock (kept until commit or rollback). A no-op
    /// writes nothing. Returns the backup made, if any. A symlink is followed: the target is
    /// written and the link stays.
    ///
    /// If the file's current bytes differ from `change.before` (another run edited it since the
    /// change was planned), the change is redone on the current bytes with `change.rebase`;
    /// without one it fails without touching the file.
    pub fn apply(&mut self, change: &FileChange) -> Result<Option<PathBuf>> {
        if change.is_noop() && change.rebase.is_none() {
            return Ok(None);
        }
        let held = lock(&change.path)?;
        self.locks.push(held);
        let target = resolve_target(&change.path);
        let path = &target;
        let current = read_if_exists(path)?;
        let after = if current == change.before {
            change.after.clone()
        } else if let Some(rebase) = &change.rebase {
            rebase(current.as_deref())?
        } else {
            bail!(
                "{} changed since aigate read it; nothing was written to it. Run the command again",
                change.path.display()
            );
        };
        if after == current {
            return Ok(None);
        }
        let previous_mode = existing_mode(path);
        let created_dirs = match &after {
            Some(_) => create_parents(parent_dir(path))?,
            None => Vec::new(),
        };
        let mut applied = Applied {
            path: path.clone(),
            previous: current.clone().map(|b| (b, previous_mode)),
            created_dirs,
            backup: None,
        };
        let result = (|| -> Result<()> {
            if let Some(old) = &current
                && change.backup
                && !change.sensitive
            {
                applied.backup = Some(make_backup(path, old, previous_mode)?);
            }
            match &after {
                Some(bytes) => {
                    let mode = if change.sensitive {
                        0o600
                    } else {
                        change.mode.or(previous_mode).unwrap_or(DEFAULT_MODE)
                    };
                    write_atomic(path, bytes, Some(mode))
                }
                None => {
                    fs::remove_file(path)
                        .with_context(|| format!("cannot delete {}", path.display()))?;
                    sync_dir(parent_dir(path));
                    Ok(())
                }
            }
        })();
        match result {
            Ok(()) => {
                let backup = applied.backup.clone();
                self.applied.push(applied);
                Ok(backup)
            }
            Err(e) => {
                // Nothing was written to the target; drop what this change created around it.
                if let Some(b) = &applied.backup {
                    let _ = fs::remove_file(b);
                }
                remove_created_dirs(&applied.created_dirs);
                Err(e)
            }
        }
    }

    /// Undoes every applied change, newest first: old bytes and mode restored, created files,
    /// backups and (empty) directories removed. Tries every change even if one fails.
    pub fn rollback(self) -> Result<()> {
        let mut failures = Vec::new();
        for a in self.applied.into_iter().rev() {
            if let Err(e) = undo(&a) {
                failures.push(format!("{}: {e:#}", a.path.display()));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            bail!("could not undo every change: {}", failures.join("; "))
        }
    }

    /// The files changed so far (real paths), in the order they were changed.
    pub fn written(&self) -> Vec<PathBuf> {
        self.applied.iter().map(|a| a.path.clone()).collect()
    }

    /// Keeps the changes; returns the backups that were made.
    pub fn commit(self) -> Vec<PathBuf> {
        self.applied.into_iter().filter_map(|a| a.backup).collect()
    }
}

fn undo(a: &Applied) -> Result<()> {
    match &a.previous {
        Some((bytes, mode)) => write_atomic(&a.path, bytes, Some(mode.unwrap_or(DEFAULT_MODE)))?,
        None => match fs::remove_file(&a.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", a.path.display()));
            }
            _ => {}
        },
    }
    if let Some(b) = &a.backup {
        let _ = fs::remove_file(b);
    }
    remove_created_dirs(&a.created_dirs);
    Ok(())
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Creates `dir` and any missing ancestors; returns the ones created, outermost first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        cur = d.parent();
    }
    missing.reverse();
    for (i, d) in missing.iter().enumerate() {
        if let Err(e) = fs::create_dir(d)
            && e.kind() != io::ErrorKind::AlreadyExists
        {
            remove_created_dirs(&missing[..i]);
            return Err(e).with_context(|| format!("cannot create directory {}", d.display()));
        }
    }
    Ok(missing)
}

/// Removes directories (given outermost first) that are empty; leaves any that are not.
fn remove_created_dirs(dirs: &[PathBuf]) {
    for d in dirs.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// Copies the current bytes to `<name>.bak-<YYYYmmdd-HHMMSS>[-N]` with the original's mode.
fn make_backup(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let dir = parent_dir(path);
    for n in 1..1000 {
        let candidate = match n {
            1 => dir.join(format!("{name}.bak-{stamp}")),
            _ => dir.join(format!("{name}.bak-{stamp}-{n}")),
        };
        let mut f = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create backup {}", candidate.display()));
            }
        };
        let written = set_mode(&candidate, mode.unwrap_or(DEFAULT_MODE)).and_then(|_| {
            f.write_all(bytes)
                .and_then(|_| f.sync_all())
                .map_err(Into::into)
        });
        if let Err(e) = written {
            let _ = fs::remove_file(&candidate);
            return Err(e).with_context(|| format!("cannot write backup {}", candidate.display()));
        }
        return Ok(candidate);
    }
    bail!("cannot pick a backup name next to {}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &Path, before: Option<&[u8]>, after: Option<&[u8]>) -> FileChange {
        FileChange {
            path: path.to_path_buf(),
            before: before.map(<[u8]>::to_vec),
            after: after.map(<[u8]>::to_vec),
            mode: None,
            backup: true,
            sensitive: false,
            rebase: None,
        }
    }

    #[test]
    fn backup_has_the_old_bytes_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("opencode.json");
        fs::write(&p, b"{\"old\": 1}").unwrap();
        set_mode(&p, 0o640).unwrap();
        let mut tx = Transaction::new();
        let backup = tx
            .apply(&change(&p, Some(b"{\"old\": 1}"), Some(b"{\"new\": 2}")))
            .unwrap()
            .expect("a backup");
        assert_eq!(fs::read(&backup).unwrap(), b"{\"old\": 1}");
        let name = backup.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("opencode.json.bak-20")
                && name.len() == "opencode.json.bak-YYYYmmdd-HHMMSS".len(),
            "{name}"
        );
        assert_eq!(fs::read(&p).unwrap(), b"{\"new\": 2}");
        #[cfg(unix)]
        {
            assert_eq!(existing_mode(&backup), Some(0o640));
            assert_eq!(existing_mode(&p), Some(0o640));
        }
        assert_eq!(tx.commit(), vec![backup]);
    }

    #[test]
    fn second_backup_in_the_same_second_gets_a_new_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        let a = make_backup(&p, b"1", None).unwrap();
        let b = make_backup(&p, b"2", None).unwrap();
        assert_ne!(a, b);
        assert_eq!(fs::read(&a).unwrap(), b"1");
        assert_eq!(fs::read(&b).unwrap(), b"2");
    }

    #[test]
    fn rollback_restores_bytes_and_mode_and_removes_created_things() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("opencode.jsonc");
        fs::write(&existing, b"// mine\n{}\n").unwrap();
        set_mode(&existing, 0o604).unwrap();
        let created = dir.path().join("data").join("opencode").join("auth.json");
        let deleted = dir.path().join("gone.txt");
        fs::write(&deleted, b"bye").unwrap();

        let mut tx = Transaction::new();
        let backup = tx
            .apply(&change(
                &existing,
                Some(b"// mine\n{}\n"),
                Some(b"{\"model\":\"x\"}"),
            ))
            .unwrap()
            .unwrap();
        let mut secret = change(&created, None, Some(b"{\"k\":\"tok\"}"));
        secret.sensitive = true;
        secret.mode = Some(0o600);
        assert_eq!(
            tx.apply(&secret).unwrap(),
            None,
            "sensitive files are not backed up"
        );
        #[cfg(unix)]
        assert_eq!(existing_mode(&created), Some(0o600));
        tx.apply(&change(&deleted, Some(b"bye"), None)).unwrap();
        assert!(!deleted.exists());

        tx.rollback().unwrap();
        assert_eq!(fs::read(&existing).unwrap(), b"// mine\n{}\n");
        #[cfg(unix)]
        assert_eq!(existing_mode(&existing), Some(0o604));
        assert!(!backup.exists());
        assert!(!created.exists());
        assert!(
            !dir.path().join("data").exists(),
            "created directories removed"
        );
        assert_eq!(fs::read(&deleted).unwrap(), b"bye");
    }

    #[test]
    fn refuses_when_the_file_changed_since_planned() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("opencode.json");
        fs::write(&p, b"edited by the user").unwrap();
        let mut tx = Transaction::new();
        let err = tx
            .apply(&change(&p, Some(b"as planned"), Some(b"new")))
            .unwrap_err();
        assert!(err.to_string().contains("changed since"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"edited by the user");
        // planned as "does not exist" but it appeared meanwhile
        let err = tx.apply(&change(&p, None, Some(b"new"))).unwrap_err();
        assert!(err.to_string().contains("changed since"), "{err}");
        assert_eq!(tx.commit(), Vec::<PathBuf>::new());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no backup, no temp file"
        );
    }

    #[test]
    fn noop_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("same.json");
        fs::write(&p, b"same").unwrap();
        let mut tx = Transaction::new();
        assert_eq!(
            tx.apply(&change(&p, Some(b"same"), Some(b"same"))).unwrap(),
            None
        );
        // even a file that was edited meanwhile is left alone by a no-op
        let missing = dir.path().join("missing.json");
        assert_eq!(tx.apply(&change(&missing, None, None)).unwrap(), None);
        assert!(tx.commit().is_empty());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn sensitive_files_are_0600_even_when_replacing_a_looser_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("auth.json");
        fs::write(&p, b"{}").unwrap();
        set_mode(&p, 0o644).unwrap();
        let mut c = change(&p, Some(b"{}"), Some(b"{\"a\":1}"));
        c.sensitive = true;
        let mut tx = Transaction::new();
        assert_eq!(tx.apply(&c).unwrap(), None);
        assert_eq!(existing_mode(&p), Some(0o600));
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no backup of a sensitive file"
        );
    }
}
