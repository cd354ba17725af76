//! What differs between Linux, macOS and Windows, said once: how a program name becomes the
//! file the OS would start, and how a "private file" is protected.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The file a program name starts, found the way the OS shell finds it: a name with a path
/// separator is taken as is; otherwise the first match in `PATH` (on Windows also trying each
/// `PATHEXT` extension, so npm's `opencode.cmd` is found). `None` when nothing matches (the
/// caller then reports "command not found").
pub fn resolve_program(name: &OsStr, path: Option<&OsStr>, cwd: &Path) -> Option<PathBuf> {
    let as_path = Path::new(name);
    if as_path.components().count() > 1 {
        return Some(as_path.to_path_buf());
    }
    let path: OsString = path.map(OsStr::to_os_string).unwrap_or_default();
    which::which_in(name, Some(path), cwd).ok()
}

/// How aigate's private files (the `--insecure-storage` token file, OpenCode's `auth.json`)
/// are protected, in words that are true on this OS.
pub const PRIVATE_FILE: &str = if cfg!(windows) {
    "in your user profile, protected only by its folder's permissions (Windows has no 0600 mode)"
} else {
    "mode 0600"
};

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn finds_an_executable_on_path_and_only_executables() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("fake-opencode");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let plain = dir.path().join("not-executable");
        std::fs::write(&plain, "").unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();
        let found = resolve_program(OsStr::new("fake-opencode"), Some(&path), dir.path());
        assert_eq!(found.as_deref(), Some(exe.as_path()));
        assert_eq!(
            resolve_program(OsStr::new("not-executable"), Some(&path), dir.path()),
            None
        );
        assert_eq!(
            resolve_program(OsStr::new("nothing"), Some(&path), dir.path()),
            None
        );
        // A path is taken as given.
        assert_eq!(
            resolve_program(OsStr::new("./x/y"), None, dir.path()).as_deref(),
            Some(Path::new("./x/y"))
        );
    }
}
