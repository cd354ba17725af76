//! Where the Cloudflare API token is kept.
//!
//! - [`KeychainStore`] (keychain.rs): the OS keychain, service `aigate`, account = profile name.
//!   The default and the only store chosen without being asked.
//! - [`FileStore`] (file.rs): a plaintext 0600 file, only with `--insecure-storage` when no
//!   keychain is usable, and always with a loud warning.
//! - [`MemoryStore`] (memory.rs): unit tests only.
//!
//! [`open_for_write`] picks the store for a new token; [`open_kind`] reopens the one a profile
//! recorded. Keychain calls run on their own thread with a timeout (bounded.rs); failures are
//! described in plain words (errors.rs) and never contain the secret.
//!
//! Hidden, for tests: `AIGATE_KEYRING_SERVICE` replaces the keychain service name `aigate`, so
//! a test run cannot touch a user's real token.

mod bounded;
mod errors;
mod file;
mod keychain;
mod lazy;
mod memory;

use std::io::Write;
use std::path::PathBuf;

pub use crate::domain::StoreKind;
pub use errors::StoreUnavailable;
pub use file::FileStore;
pub use keychain::{DEFAULT_TIMEOUT, KeychainStore};
pub use lazy::Lazy;
pub use memory::MemoryStore;

use crate::Secret;
use crate::exit::{Failure, Kind};

/// The keychain service name; the account is the profile name.
pub const SERVICE: &str = "aigate";

/// The environment variable that overrides [`SERVICE`]; for tests only.
pub const SERVICE_ENV: &str = "AIGATE_KEYRING_SERVICE"; // read by crate::env::Vars

/// Which kind of store holds a profile's token (recorded in aigate's state file).
/// A place that keeps one token per profile.
pub trait SecretStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    /// Where exactly, for humans, e.g. "Secret Service (service aigate, account = the profile
    /// name)".
    fn describe(&self) -> String;
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>>;
    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()>;
    /// `true` if a token was removed.
    fn delete(&self, profile: &str) -> anyhow::Result<bool>;
}

/// [`SERVICE`], or the run's `AIGATE_KEYRING_SERVICE` (tests use it for isolation; read by
/// [`crate::env::Vars`]).
pub fn keychain_service(vars: &crate::env::Vars) -> String {
    vars.keyring_service
        .clone()
        .unwrap_or_else(|| SERVICE.to_string())
}

/// The store for a new token: the OS keychain if it really works (opened and probed with a
/// write); otherwise, with `insecure_storage`, the 0600 file plus a loud warning on stderr;
/// otherwise a [`Failure`] that explains why and names both ways out. Never memory.
pub fn open_for_write(
    service: &str,
    insecure_storage: bool,
) -> anyhow::Result<Box<dyn SecretStore>> {
    select_for_write(
        insecure_storage,
        || {
            let store = KeychainStore::open(service, DEFAULT_TIMEOUT)?;
            store.probe()?;
            Ok(Box::new(store))
        },
        FileStore::default_path,
        &mut std::io::stderr(),
    )
}

/// The choice behind [`open_for_write`], with the keychain, the file path and the warning
/// output passed in so the choice can be tested without a keychain.
pub(crate) fn select_for_write(
    insecure_storage: bool,
    keychain: impl FnOnce() -> Result<Box<dyn SecretStore>, StoreUnavailable>,
    file_path: impl FnOnce() -> anyhow::Result<PathBuf>,
    warnings: &mut dyn Write,
) -> anyhow::Result<Box<dyn SecretStore>> {
    let why = match keychain() {
        Ok(store) => return Ok(store),
        Err(why) => why,
    };
    if !insecure_storage {
        return Err(Failure::new(
            Kind::Other,
            format!("no usable OS keychain to keep the Cloudflare API token in: {why}"),
        )
        .with_hint(format!(
            "either re-run with --insecure-storage to keep the token in a plaintext file only \
             you can read ({}), or keep the token in the CLOUDFLARE_API_TOKEN \
             environment variable: `aigate run` and the other commands read it from there",
            crate::platform::PRIVATE_FILE
        ))
        .into());
    }
    let path = file_path()?;
    let label = console::style("warning:").yellow().bold().for_stderr();
    // A warning that cannot be printed must not stop the setup.
    let _ = writeln!(
        warnings,
        "{label} no usable OS keychain: {why}\n\
         {label} --insecure-storage: the Cloudflare API token will be kept in PLAINTEXT at {} \
         ({}, readable by you and by anything running as you, and by your backups).\n\
         {label} to stop that, make a keychain available and run `aigate setup` again, or keep \
         the token in CLOUDFLARE_API_TOKEN instead.",
        path.display(),
        crate::platform::PRIVATE_FILE
    );
    Ok(Box::new(FileStore::new(path)))
}

/// Reopen the store a profile recorded (for status, rotate, logout, run). The keychain is
/// opened but not probed: reading must not write.
pub fn open_kind(service: &str, kind: StoreKind) -> anyhow::Result<Box<dyn SecretStore>> {
    match kind {
        StoreKind::Keychain => match KeychainStore::open(service, DEFAULT_TIMEOUT) {
            Ok(store) => Ok(Box::new(store)),
            Err(why) => Err(Failure::new(
                Kind::Other,
                format!("cannot open the OS keychain: {why}"),
            )
            .with_hint(
                "make the keychain available, or keep the token in the CLOUDFLARE_API_TOKEN \
                     environment variable, or run `aigate setup --insecure-storage` to keep it in \
                     a 0600 file",
            )
            .into()),
        },
        StoreKind::InsecureFile => Ok(Box::new(FileStore::new(FileStore::default_path()?))),
        StoreKind::Memory => Err(Failure::new(
            Kind::Other,
            "this profile's token was kept in memory only and is gone",
        )
        .with_hint("run `aigate setup` again")
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unusable() -> Result<Box<dyn SecretStore>, StoreUnavailable> {
        Err(StoreUnavailable::new(
            "no Secret Service is reachable (test)",
        ))
    }

    #[test]
    fn a_usable_keychain_wins_even_with_insecure_storage() {
        let mut out = Vec::new();
        let store = select_for_write(
            true,
            || Ok(Box::new(MemoryStore::new())),
            || panic!("the file path must not be needed"),
            &mut out,
        )
        .unwrap();
        assert_eq!(store.kind(), StoreKind::Memory);
        assert!(out.is_empty());
    }

    #[test]
    fn no_keychain_and_no_flag_fails_naming_both_ways_out() {
        let mut out = Vec::new();
        let err = select_for_write(false, unusable, || panic!("no file"), &mut out)
            .err()
            .expect("must fail");
        assert_eq!(crate::error::kind_of(&err), Kind::Other);
        let msg = err.to_string();
        assert!(
            msg.contains("no Secret Service is reachable (test)"),
            "{msg}"
        );
        let hint = crate::error::hint_of(&err).unwrap();
        assert!(hint.contains("--insecure-storage"), "{hint}");
        assert!(hint.contains("CLOUDFLARE_API_TOKEN"), "{hint}");
        assert!(out.is_empty());
    }

    #[test]
    fn no_keychain_with_the_flag_gives_the_file_and_a_loud_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        let mut out = Vec::new();
        let store = select_for_write(true, unusable, || Ok(path.clone()), &mut out).unwrap();
        assert_eq!(store.kind(), StoreKind::InsecureFile);
        assert!(store.describe().contains(&path.display().to_string()));
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("warning:"), "{text}");
        assert!(text.contains("PLAINTEXT"), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("0600"), "{text}");
        assert!(
            text.contains("no Secret Service is reachable (test)"),
            "{text}"
        );
    }

    #[test]
    fn store_kind_names_and_serde_form() {
        assert_eq!(
            serde_json::to_string(&StoreKind::InsecureFile).unwrap(),
            "\"insecure-file\""
        );
        assert_eq!(
            serde_json::from_str::<StoreKind>("\"keychain\"").unwrap(),
            StoreKind::Keychain
        );
        assert_eq!(StoreKind::Memory.to_string(), "memory");
        #[cfg(target_os = "linux")]
        assert_eq!(
            StoreKind::Keychain.to_string(),
            "OS keychain (Secret Service)"
        );
        assert!(StoreKind::InsecureFile.to_string().contains("(insecure)"));
    }

    #[test]
    fn memory_is_never_reopened() {
        assert!(open_kind(SERVICE, StoreKind::Memory).is_err());
    }
}
