//! Advisory locks for read-modify-write of a file two aigate runs may edit at once
//! (`profiles.json`, `credentials.json`, OpenCode's config and `auth.json`, other agents'
//! configs).
//!
//! The lock is not taken on the file itself (an atomic write replaces its inode, and a lock
//! file next to a user's config would litter their dotfiles): it is a `flock`/`LockFileEx` on
//! `<temp dir>/aigate-locks-<user>/<hash of the file's real path>.lock`, so every run editing
//! the same file (through a symlink or not, from any HOME) takes the same lock.
//!
//! A wait is bounded ([`wait_limit`], 15 s; `AIGATE_LOCK_WAIT_MS` overrides it for tests) and
//! says on stderr what it waits for after a second; at the bound it fails with a clear error.

use anyhow::{Context, Result};
use fs4::{FileExt, TryLockError};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Overrides the wait bound (milliseconds); for tests.
pub const WAIT_ENV: &str = "AIGATE_LOCK_WAIT_MS";
const DEFAULT_WAIT: Duration = Duration::from_secs(15);
const ANNOUNCE_AFTER: Duration = Duration::from_secs(1);

/// Locks this process already holds (a second lock on the same file from the same process
/// would wait for itself).
static HELD: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// An exclusive lock on one file's edits; released on drop.
pub struct FileLock {
    key: PathBuf,
    file: Option<File>,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = FileExt::unlock(&f);
            HELD.lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&self.key);
        }
    }
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLock").field("for", &self.key).finish()
    }
}

/// How long a run waits for another one before giving up.
pub fn wait_limit() -> Duration {
    crate::env::lock_wait_ms()
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_WAIT)
}

/// Takes the edit lock of `target` (resolved through symlinks), waiting at most
/// [`wait_limit`]. Re-entrant within one process (the inner guard is a no-op).
pub fn lock(target: &Path) -> Result<FileLock> {
    lock_within(target, wait_limit())
}

pub(crate) fn lock_within(target: &Path, limit: Duration) -> Result<FileLock> {
    let key = lock_key(target);
    {
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        if held.contains(&key) {
            return Ok(FileLock { key, file: None });
        }
        held.insert(key.clone());
    }
    let taken = take(target, &key, limit);
    if taken.is_err() {
        HELD.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
    }
    taken.map(|file| FileLock {
        key,
        file: Some(file),
    })
}

fn take(target: &Path, key: &Path, limit: Duration) -> Result<File> {
    let path = lock_file_for(key)?;
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    let started = Instant::now();
    let mut announced = false;
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(e)
                    .with_context(|| format!("cannot lock {} for editing", target.display()));
            }
        }
        // Ctrl-C while waiting: give up now (the caller rolls back what it did so far).
        crate::interrupt::checkpoint()?;
        let waited = started.elapsed();
        if waited >= limit {
            return Err(crate::exit::Failure::new(
                crate::exit::Kind::Other,
                format!(
                    "another aigate run is still editing {} (waited {} s); nothing was changed",
                    target.display(),
                    limit.as_secs_f32().round()
                ),
            )
            .with_hint("wait for the other aigate command to finish, then run this one again")
            .into());
        }
        if !announced && waited >= ANNOUNCE_AFTER {
            announced = true;
            eprintln!(
                "waiting for another aigate run to finish editing {}…",
                target.display()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The file `target` really is: symlinks followed (also a dangling one, to where it points).
pub fn resolve_target(target: &Path) -> PathBuf {
    let mut p = target.to_path_buf();
    for _ in 0..40 {
        match fs::read_link(&p) {
            Ok(t) if t.is_absolute() => p = t,
            Ok(t) => p = super::atomic::parent_dir(&p).join(t),
            Err(_) => break,
        }
    }
    p
}

/// One key per real file: the resolved path with its directory canonicalized when it exists.
fn lock_key(target: &Path) -> PathBuf {
    let real = resolve_target(target);
    let abs = if real.is_absolute() {
        real
    } else {
        std::env::current_dir().unwrap_or_default().join(real)
    };
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(abs.clone()),
        _ => abs,
    }
}

fn lock_file_for(key: &Path) -> Result<PathBuf> {
    let dir = lock_dir();
    create_private_dir(&dir)?;
    Ok(dir.join(format!(
        "{:016x}.lock",
        fnv1a(key.as_os_str().as_encoded_bytes())
    )))
}

fn lock_dir() -> PathBuf {
    #[cfg(unix)]
    let who = unsafe { libc::geteuid() }.to_string();
    #[cfg(not(unix))]
    let who = crate::env::user_name().unwrap_or_else(|| "user".into());
    std::env::temp_dir().join(format!("aigate-locks-{who}"))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .with_context(|| format!("cannot create the lock directory {}", dir.display()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_and_gives_up_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("profiles.json");
        let key = lock_key(&target);
        // Another process is simulated by a second open file description on the lock file.
        let path = lock_file_for(&key).unwrap();
        let other = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap();
        FileExt::try_lock(&other).unwrap();
        let started = Instant::now();
        let err = lock_within(&target, Duration::from_millis(200)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        let msg = err.to_string();
        assert!(msg.contains("another aigate run is still editing"), "{msg}");
        assert!(msg.contains("profiles.json"), "{msg}");
        FileExt::unlock(&other).unwrap();
        let l = lock_within(&target, Duration::from_millis(200)).unwrap();
        drop(l);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_and_its_target_share_one_lock_and_the_lock_is_reentrant() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(lock_key(&real), lock_key(&link));
        assert_eq!(resolve_target(&link), real);
        let a = lock(&real).unwrap();
        let b = lock_within(&link, Duration::from_millis(50)).unwrap();
        drop(b);
        drop(a);
    }
}
