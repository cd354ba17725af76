//! The explicit fallback: tokens in a plaintext JSON file only the owner can read (mode 0600).
//!
//! Chosen only with `--insecure-storage` when no OS keychain is usable. The file is
//! `credentials.json` in aigate's config directory and looks like
//! `{"version": 1, "tokens": {"<profile>": "<token>"}}`. Writes are atomic (a temp file in the
//! same directory, made 0600 before any byte is written, then renamed over the old one); a
//! file that group or others can read is refused, with the `chmod` that fixes it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

use super::{SecretStore, StoreKind};
use crate::Secret;
use crate::exit::{Failure, Kind};

pub const FILE_NAME: &str = "credentials.json";
const FORMAT_VERSION: u32 = 1;

pub struct FileStore {
    path: PathBuf,
}

/// The file's contents. Tokens stay wrapped in [`Secret`] while in memory.
#[derive(Serialize, Deserialize, Default)]
struct Contents {
    version: u32,
    #[serde(default)]
    tokens: BTreeMap<String, StoredToken>,
}

struct StoredToken(Secret);

impl Serialize for StoredToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

impl<'de> Deserialize<'de> for StoredToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| StoredToken(Secret::new(s)))
    }
}

impl FileStore {
    pub fn new(path: PathBuf) -> FileStore {
        FileStore { path }
    }

    /// `credentials.json` in aigate's config directory (`$XDG_CONFIG_HOME/aigate` when
    /// `XDG_CONFIG_HOME` is set to an absolute path, else the platform config dir for `aigate`).
    pub fn default_path() -> anyhow::Result<PathBuf> {
        Ok(crate::paths::config_dir()?.join(FILE_NAME))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self) -> anyhow::Result<Contents> {
        let mut file = match fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Contents {
                    version: FORMAT_VERSION,
                    tokens: BTreeMap::new(),
                });
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {}", self.path.display()));
            }
        };
        check_private(&file, &self.path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        let parsed = serde_json::from_slice::<Contents>(&bytes);
        bytes.zeroize();
        // serde_json's messages can quote the offending value (a token); say where, not what.
        let contents = parsed.map_err(|e| {
            Failure::new(
                Kind::Other,
                format!(
                    "{} is not a valid aigate credentials file (line {}, column {})",
                    self.path.display(),
                    e.line(),
                    e.column()
                ),
            )
            .with_hint(format!(
                "fix it, or remove it and run `aigate setup --insecure-storage` again: rm {}",
                self.path.display()
            ))
        })?;
        if contents.version != FORMAT_VERSION {
            return Err(Failure::new(
                Kind::Other,
                format!(
                    "{} has format version {}, this aigate reads version {FORMAT_VERSION}",
                    self.path.display(),
                    contents.version
                ),
            )
            .with_hint("upgrade aigate")
            .into());
        }
        Ok(contents)
    }

    fn save(&self, contents: &Contents) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(contents).context("cannot encode credentials")?;
        bytes.push(b'\n');
        let written = write_atomic(&self.path, &bytes, |_| Ok(()));
        bytes.zeroize();
        written
    }
}

impl SecretStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::InsecureFile
    }

    fn describe(&self) -> String {
        format!("plaintext file {} (insecure)", self.path.display())
    }

    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        Ok(self.load()?.tokens.remove(profile).map(|t| t.0))
    }

    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        // Read inside the lock: another run's profile written meanwhile is kept.
        let _lock = crate::files::lock(&self.path)?;
        let mut contents = self.load()?;
        contents
            .tokens
            .insert(profile.to_string(), StoredToken(secret.clone()));
        self.save(&contents)
    }

    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        let _lock = crate::files::lock(&self.path)?;
        let mut contents = self.load()?;
        if contents.tokens.remove(profile).is_none() {
            return Ok(false);
        }
        if contents.tokens.is_empty() {
            fs::remove_file(&self.path)
                .with_context(|| format!("cannot remove {}", self.path.display()))?;
        } else {
            self.save(&contents)?;
        }
        Ok(true)
    }
}

/// Refuse a credentials file that group or others may read or write.
#[cfg(unix)]
fn check_private(file: &fs::File, path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .with_context(|| format!("cannot inspect {}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(Failure::new(
            Kind::Other,
            format!(
                "refusing to use {}: other users can access it (mode {mode:04o}, must be 0600)",
                path.display()
            ),
        )
        .with_hint(format!(
            "make it private with `chmod 600 {}`, then consider `aigate rotate` since the token may have been read",
            path.display()
        ))
        .into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_file: &fs::File, _path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Replace `path` with `bytes` atomically: temp file in the same directory (mode 0600 before
/// anything is written), fsync, `before_rename` (a test hook), rename. On any error the old
/// file is untouched and the temp file is removed.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce(&Path) -> io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".credentials-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    #[cfg(unix)]
    {
        // Also explicit, whatever the umask did: no secret byte before the mode is 0600.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", tmp.path().display()))?;
    }
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .and_then(|_| before_rename(tmp.path()))
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const TOKEN: &str = "cfut_FILESECRET0123456789abcdefghijklmnop";

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn store_in(dir: &tempfile::TempDir) -> FileStore {
        FileStore::new(dir.path().join("aigate").join(FILE_NAME))
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn creates_the_file_0600_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        assert!(store.get("default").unwrap().is_none());
        store.set("default", &Secret::new(TOKEN)).unwrap();
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(store.path().parent().unwrap()), 0o700);
        assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
        let on_disk: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(on_disk["version"], 1);
        assert_eq!(on_disk["tokens"]["default"], TOKEN);
        assert_eq!(store.kind(), StoreKind::InsecureFile);
        assert!(store.describe().contains("credentials.json"));
    }

    #[test]
    fn several_profiles_replace_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        store.set("default", &Secret::new("tok-a")).unwrap();
        store.set("work", &Secret::new("tok-b")).unwrap();
        store.set("default", &Secret::new("tok-c")).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), "tok-c");
        assert_eq!(store.get("work").unwrap().unwrap().expose(), "tok-b");
        assert!(store.delete("default").unwrap());
        assert!(!store.delete("default").unwrap());
        assert!(store.get("default").unwrap().is_none());
        assert_eq!(store.get("work").unwrap().unwrap().expose(), "tok-b");
        assert_eq!(mode(store.path()), 0o600);
        // Removing the last token removes the file.
        assert!(store.delete("work").unwrap());
        assert!(!store.path().exists());
        assert!(!store.delete("work").unwrap());
        assert!(leftovers(store.path().parent().unwrap()).is_empty());
    }

    #[test]
    fn refuses_a_file_others_can_read_and_says_how_to_fix_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        store.set("default", &Secret::new(TOKEN)).unwrap();
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        for err in [
            store.get("default").unwrap_err(),
            store.set("default", &Secret::new("new")).unwrap_err(),
        ] {
            let msg = format!("{err:#}");
            assert!(msg.contains("mode 0644"), "{msg}");
            assert!(!msg.contains("FILESECRET"), "{msg}");
            let hint = crate::error::hint_of(&err).unwrap();
            assert!(
                hint.contains(&format!("chmod 600 {}", store.path().display())),
                "{hint}"
            );
        }
        // The refused write did not touch the file.
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
    }

    #[test]
    fn a_corrupt_file_is_reported_without_quoting_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        // serde_json itself would quote this string in its "invalid type" message.
        fs::write(
            store.path(),
            format!("{{\"version\": 1, \"tokens\": \"{TOKEN}\"}}"),
        )
        .unwrap();
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
        let err = store.get("default").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("not a valid aigate credentials file"), "{msg}");
        assert!(!msg.contains("FILESECRET"), "{msg}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        store.set("default", &Secret::new("old-token")).unwrap();
        let before = fs::read(store.path()).unwrap();

        let err = write_atomic(store.path(), b"{\"version\":1,\"tokens\":{}}", |tmp| {
            assert_eq!(
                mode(tmp),
                0o600,
                "temp file must be private before the rename"
            );
            Err(io::Error::other("disk full (simulated)"))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(fs::read(store.path()).unwrap(), before);
        assert!(leftovers(store.path().parent().unwrap()).is_empty());
        assert_eq!(store.get("default").unwrap().unwrap().expose(), "old-token");
    }

    #[test]
    fn a_read_only_directory_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir);
        store.set("default", &Secret::new("old-token")).unwrap();
        let parent = store.path().parent().unwrap().to_path_buf();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o500)).unwrap();
        // Root ignores directory permissions; then this case cannot be produced here and the
        // simulated failure above covers the same code path.
        let privileged = fs::write(parent.join("probe"), b"").is_ok();
        if !privileged {
            let err = store.set("default", &Secret::new("new-token")).unwrap_err();
            assert!(format!("{err:#}").contains("temporary file"), "{err:#}");
        }
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o700)).unwrap();
        if privileged {
            fs::remove_file(parent.join("probe")).unwrap();
        } else {
            assert_eq!(store.get("default").unwrap().unwrap().expose(), "old-token");
        }
    }
}
