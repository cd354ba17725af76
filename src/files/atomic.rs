//! The one primitive every file write in aigate goes through: write a temp file next to the
//! target, fsync it, set its mode, rename it over the target, fsync the directory.
//!
//! A reader (OpenCode, another aigate) therefore sees either the old bytes or the new bytes,
//! never a half-written file, and a crash or error part way leaves the old file untouched.

use anyhow::{Context, Result};
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Mode for a plain file aigate creates when no mode is asked for and none exists to keep.
pub const DEFAULT_MODE: u32 = 0o644;

/// Atomically replaces (or creates) `path` with `bytes`.
///
/// `mode`: the unix permission bits for the result; `None` keeps the existing file's mode, or
/// uses [`DEFAULT_MODE`] for a new file. Ignored on non-unix systems. The parent directory must
/// exist.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    write_atomic_with(path, bytes, mode, |_| Ok(()))
}

/// [`write_atomic`] with a hook that runs after the temp file is complete and before it is
/// renamed over the target (tests use it to fail "midway").
pub(crate) fn write_atomic_with(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> Result<()> {
    let dir = parent_dir(path);
    let mode = match mode {
        Some(m) => m,
        None => existing_mode(path).unwrap_or(DEFAULT_MODE),
    };
    // tempfile creates the file with mode 0600, so even a sensitive file is never readable by
    // others while it is being written.
    let mut tmp = tempfile::Builder::new()
        .prefix(".aigate-tmp-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in {}", dir.display()))?;
    set_mode(tmp.path(), mode)?;
    keep_owner(path, tmp.path());
    before_rename(tmp.path()).with_context(|| format!("cannot write {}", path.display()))?;
    // On error the temp file is deleted when `tmp` drops; the target was never touched.
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Gives the new file the replaced file's owner and group (best effort: only possible when
/// they are ours or we are privileged; otherwise the new file is ours, as any editor does).
fn keep_owner(old: &Path, new: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(o), Ok(n)) = (fs::metadata(old), fs::metadata(new))
            && (o.uid(), o.gid()) != (n.uid(), n.gid())
        {
            let _ = std::os::unix::fs::chown(new, Some(o.uid()), Some(o.gid()));
        }
    }
    #[cfg(not(unix))]
    let _ = (old, new);
}

/// The directory a path lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The permission bits of an existing file (unix), `None` if it does not exist.
pub(crate) fn existing_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions on {}", path.display()))?;
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
    }
    Ok(())
}

/// Makes a rename durable. Best effort: not every platform/filesystem lets a directory be
/// opened and synced, and the data itself is already synced.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_replaces_with_modes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        #[cfg(unix)]
        assert_eq!(existing_mode(&p), Some(DEFAULT_MODE));

        set_mode(&p, 0o640).unwrap();
        write_atomic(&p, b"two", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        assert_eq!(existing_mode(&p), Some(0o640), "existing mode is kept");

        write_atomic(&p, b"three", Some(0o600)).unwrap();
        #[cfg(unix)]
        assert_eq!(existing_mode(&p), Some(0o600));
        assert_eq!(leftovers(dir.path()), vec!["a.json".to_string()]);
    }

    #[test]
    fn failure_midway_keeps_the_old_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cfg.json");
        fs::write(&p, b"old contents").unwrap();
        let err = write_atomic_with(&p, b"new contents", None, |_| {
            Err(io::Error::other("disk full (simulated)"))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"), "{err:#}");
        assert_eq!(fs::read(&p).unwrap(), b"old contents");
        assert_eq!(leftovers(dir.path()), vec!["cfg.json".to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn unwritable_directory_fails_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ro");
        fs::create_dir(&sub).unwrap();
        let p = sub.join("cfg.json");
        fs::write(&p, b"old").unwrap();
        set_mode(&sub, 0o555).unwrap();
        // root ignores directory permissions: then there is nothing to observe here (the hook
        // test above covers the same guarantee).
        let privileged = fs::write(sub.join("probe"), b"").is_ok();
        if !privileged {
            assert!(write_atomic(&p, b"new", None).is_err());
            assert_eq!(fs::read(&p).unwrap(), b"old");
        }
        set_mode(&sub, 0o755).unwrap();
    }

    #[test]
    fn missing_parent_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("x.json");
        assert!(write_atomic(&p, b"x", None).is_err());
        assert!(!p.exists());
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}
