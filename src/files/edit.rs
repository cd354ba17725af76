//! [`locked_edit`]: the read-modify-write helper for a file other runs may edit at the same
//! time (e.g. an agent's TOML config): lock, read inside the lock, compute, write atomically.

use super::atomic::{existing_mode, write_atomic};
use super::lock::{lock, resolve_target};
use anyhow::{Context, Result};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What [`locked_edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The file actually written (a symlink's target).
    pub path: PathBuf,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

impl Edited {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Edits `path` under its lock: `edit` gets the current bytes (`None` = absent), read inside
/// the lock, and returns the new bytes (`None` = leave absent / delete). The write is atomic,
/// goes to a symlink's target (the link stays), keeps the file's mode (`mode` applies to a new
/// file), and is skipped when nothing changes. Two runs editing the same file therefore never
/// lose each other's entries.
pub fn locked_edit(
    path: &Path,
    mode: Option<u32>,
    edit: impl FnOnce(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
) -> Result<Edited> {
    let _lock = lock(path)?;
    let target = resolve_target(path);
    let before = match fs::read(&target) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    let after = edit(before.as_deref())?;
    if after != before {
        match &after {
            Some(bytes) => {
                let mode = existing_mode(&target).or(mode);
                write_atomic(&target, bytes, mode)?;
            }
            None => fs::remove_file(&target)
                .with_context(|| format!("cannot delete {}", target.display()))?,
        }
    }
    Ok(Edited {
        path: target,
        before,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_edits_keep_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("list.txt");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let p = p.clone();
                std::thread::spawn(move || {
                    // Separate processes are what the lock is for; threads share the
                    // process's re-entrant table, so serialize them the same way here.
                    static M: std::sync::Mutex<()> = std::sync::Mutex::new(());
                    let _g = M.lock().unwrap();
                    locked_edit(&p, None, |cur| {
                        let mut s = cur.map(|b| b.to_vec()).unwrap_or_default();
                        s.extend_from_slice(format!("{i}\n").as_bytes());
                        Ok(Some(s))
                    })
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(text.lines().count(), 8, "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_edited_at_its_target_and_keeps_being_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-config.toml");
        fs::write(&real, b"a = 1\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("config.toml");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = locked_edit(&link, Some(0o600), |cur| {
            let mut v = cur.unwrap().to_vec();
            v.extend_from_slice(b"b = 2\n");
            Ok(Some(v))
        })
        .unwrap();
        assert_eq!(e.path, real);
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"a = 1\nb = 2\n");
        assert_eq!(existing_mode(&real), Some(0o640));
    }
}
