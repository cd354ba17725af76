//! The OS keychain through keyring-core and the native store of each OS: Secret Service on
//! Linux (zbus), the login Keychain on macOS, Credential Manager on Windows.
//!
//! Items: service = [`super::keychain_service`] (`aigate`), account = the profile name. On
//! Linux the Secret Service item carries the attributes `service` and `username`, so
//! `secret-tool lookup service aigate username default` finds it.
//!
//! Every call (open, probe, get, set, delete) runs on its own thread with a timeout (see
//! [`super::bounded`]).

use std::sync::Arc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry};

use super::bounded::run_bounded;
use super::errors::{StoreUnavailable, describe_keyring_error};
use super::{SecretStore, StoreKind};
use crate::Secret;
use crate::exit::{Failure, Kind};

/// How long one keychain call may take. Generous enough for a Secret Service answering many
/// clients at once (twenty parallel `aigate status` runs on two busy cores took over 3 s to
/// connect), short enough that a locked keychain waiting on an unseen prompt fails visibly.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The account used by [`KeychainStore::probe`], followed by the process id (see
/// [`probe_account`]); not a valid profile name, so it cannot clash with a profile.
const PROBE_ACCOUNT: &str = "aigate keychain probe";

/// This process's probe item: two runs probing at once (any HOME, any profile) each write,
/// read back and delete their own item, so neither sees the other's marker or deletion.
fn probe_account() -> String {
    format!("{PROBE_ACCOUNT} {}", std::process::id())
}

pub struct KeychainStore {
    store: Arc<CredentialStore>,
    service: String,
    timeout: Duration,
    /// Give items a readable label (the Secret Service store takes one; others refuse it).
    labelled: bool,
}

impl KeychainStore {
    /// Connect to the OS keychain. Fails when there is none to talk to (no session bus, no
    /// Secret Service) or it does not answer within `timeout`.
    pub fn open(service: &str, timeout: Duration) -> Result<KeychainStore, StoreUnavailable> {
        let store =
            run_bounded(timeout, platform_store)?.map_err(|e| describe_keyring_error(&e))?;
        Ok(KeychainStore {
            store,
            service: service.to_string(),
            timeout,
            labelled: cfg!(target_os = "linux"),
        })
    }

    /// Check that a token can really be written: store, read back and remove a harmless probe
    /// item. A locked collection, or a Secret Service with no usable default collection, fails
    /// here (reading alone would not show it).
    pub fn probe(&self) -> Result<(), StoreUnavailable> {
        let marker = format!("probe-{}", fastrand::u64(..));
        let expected = marker.clone();
        let outcome = self.call(&probe_account(), move |entry| {
            entry.set_password(&marker)?;
            let back = entry.get_password();
            let removed = entry.delete_credential();
            let back = back?;
            removed?;
            Ok(back == expected)
        })?;
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreUnavailable::new(
                "the OS keychain did not return what was just stored in it",
            )),
            Err(e) => Err(describe_keyring_error(&e)),
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Run `op` on the entry for `account`, on a fresh thread, within the timeout.
    fn call<T, F>(&self, account: &str, op: F) -> Result<keyring_core::Result<T>, StoreUnavailable>
    where
        T: Send + 'static,
        F: FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
    {
        let store = self.store.clone();
        let service = self.service.clone();
        let account = account.to_string();
        let labelled = self.labelled;
        run_bounded(self.timeout, move || {
            let entry = if labelled {
                let label = format!("aigate: Cloudflare API token (profile {account})");
                let mods = std::collections::HashMap::from([("label", label.as_str())]);
                store.build(&service, &account, Some(&mods))?
            } else {
                store.build(&service, &account, None)?
            };
            op(&entry)
        })
    }

    fn failure(&self, doing: &str, why: StoreUnavailable) -> anyhow::Error {
        Failure::new(
            Kind::Other,
            format!("could not {doing} the {}: {why}", os_store_name()),
        )
        .into()
    }
}

impl SecretStore for KeychainStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keychain
    }

    fn describe(&self) -> String {
        format!(
            "{} (service {}, account = the profile name)",
            os_store_name(),
            self.service
        )
    }

    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        let got = self
            .call(profile, |entry| entry.get_password().map(Secret::new))
            .map_err(|e| self.failure("read the token from", e))?;
        match got {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.failure("read the token from", describe_keyring_error(&e))),
        }
    }

    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        let secret = secret.clone();
        self.call(profile, move |entry| entry.set_password(secret.expose()))
            .map_err(|e| self.failure("store the token in", e))?
            .map_err(|e| self.failure("store the token in", describe_keyring_error(&e)))
    }

    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        let done = self
            .call(profile, |entry| entry.delete_credential())
            .map_err(|e| self.failure("remove the token from", e))?;
        match done {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.failure("remove the token from", describe_keyring_error(&e))),
        }
    }
}

/// What users call this OS's keychain.
pub(crate) fn os_store_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(target_os = "windows") {
        "Windows Credential Manager"
    } else {
        "Secret Service"
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "aigate has no OS keychain support on this platform".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyring-core mock store stands in for the OS store, to check the mapping of results
    /// without a keychain.
    fn mock_store(timeout: Duration) -> KeychainStore {
        KeychainStore {
            store: keyring_core::mock::Store::new().unwrap(),
            service: "aigate-unit".to_string(),
            timeout,
            labelled: false,
        }
    }

    const TOKEN: &str = "cfut_KEYCHAINSECRET0123456789abcdefghijkl";

    #[test]
    fn maps_results_of_the_underlying_store() {
        let store = mock_store(DEFAULT_TIMEOUT);
        assert!(store.get("default").unwrap().is_none());
        assert!(!store.delete("default").unwrap());
        store.set("default", &Secret::new("first")).unwrap();
        store.set("default", &Secret::new(TOKEN)).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), TOKEN);
        assert!(store.delete("default").unwrap());
        assert!(store.get("default").unwrap().is_none());
        store.probe().unwrap();
        assert_eq!(store.kind(), StoreKind::Keychain);
        assert!(store.describe().contains("service aigate-unit"));
    }

    /// Make the next call on `account`'s mock credential fail with `err`.
    fn fail_next(store: &KeychainStore, account: &str, err: keyring_core::Error) {
        let entry = store.store.build(&store.service, account, None).unwrap();
        let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(err);
    }

    #[test]
    fn a_locked_store_is_reported_as_locked_without_the_secret() {
        let store = mock_store(DEFAULT_TIMEOUT);
        fail_next(
            &store,
            "default",
            keyring_core::Error::NoStorageAccess("Locked".into()),
        );
        let err = store.set("default", &Secret::new(TOKEN)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("could not store the token in"), "{msg}");
        assert!(msg.contains("locked"), "{msg}");
        assert!(!msg.contains("KEYCHAINSECRET"), "{msg}");
        assert_eq!(crate::error::kind_of(&err), Kind::Other);
    }

    #[test]
    fn an_item_with_bad_bytes_is_reported_without_them() {
        let store = mock_store(DEFAULT_TIMEOUT);
        store.set("default", &Secret::new(TOKEN)).unwrap();
        fail_next(
            &store,
            "default",
            keyring_core::Error::BadEncoding(TOKEN.as_bytes().to_vec()),
        );
        let msg = format!("{:#}", store.get("default").unwrap_err());
        assert!(msg.contains("not UTF-8"), "{msg}");
        assert!(!msg.contains("KEYCHAINSECRET"), "{msg}");
    }

    #[test]
    fn a_failing_probe_makes_the_store_unusable() {
        let store = mock_store(DEFAULT_TIMEOUT);
        fail_next(
            &store,
            &probe_account(),
            keyring_core::Error::NoStorageAccess("Prompt".into()),
        );
        assert!(store.probe().unwrap_err().reason.contains("locked"));
    }

    /// A store whose every call blocks, like a locked keyring waiting for an unlock prompt.
    struct Hanging;

    impl keyring_core::api::CredentialStoreApi for Hanging {
        fn vendor(&self) -> String {
            "hanging".into()
        }
        fn id(&self) -> String {
            "hanging".into()
        }
        fn build(
            &self,
            _: &str,
            _: &str,
            _: Option<&std::collections::HashMap<&str, &str>>,
        ) -> keyring_core::Result<Entry> {
            std::thread::sleep(Duration::from_secs(60));
            Err(keyring_core::Error::NoDefaultStore)
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    #[test]
    fn a_hanging_keychain_times_out_on_every_call() {
        let limit = Duration::from_millis(150);
        let store = KeychainStore {
            store: Arc::new(Hanging),
            service: "aigate-unit".into(),
            timeout: limit,
            labelled: false,
        };
        let started = std::time::Instant::now();
        let errors = [
            store.get("default").unwrap_err(),
            store.set("default", &Secret::new(TOKEN)).unwrap_err(),
            store.delete("default").unwrap_err(),
        ];
        assert!(started.elapsed() >= limit * 3);
        for err in errors {
            let msg = format!("{err:#}");
            assert!(msg.contains("did not answer within 150 ms"), "{msg}");
            assert!(msg.contains("--insecure-storage"), "{msg}");
            assert!(!msg.contains("KEYCHAINSECRET"), "{msg}");
        }
        assert!(store.probe().unwrap_err().reason.contains("did not answer"));
    }
}
