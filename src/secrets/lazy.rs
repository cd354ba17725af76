//! A store opened on first use: a command that may read a profile's token (e.g. setup re-run
//! with the token in another store than this run's) opens that store only if it comes to it.

use super::{SecretStore, StoreKind};
use crate::Secret;
use std::sync::OnceLock;

type Open<'a> = Box<dyn Fn() -> anyhow::Result<Box<dyn SecretStore>> + Send + Sync + 'a>;

pub struct Lazy<'a> {
    kind: StoreKind,
    open: Open<'a>,
    opened: OnceLock<Result<Box<dyn SecretStore>, String>>,
}

impl<'a> Lazy<'a> {
    /// A store of `kind` that `open` opens, once, when it is first used.
    pub fn new(
        kind: StoreKind,
        open: impl Fn() -> anyhow::Result<Box<dyn SecretStore>> + Send + Sync + 'a,
    ) -> Lazy<'a> {
        Lazy {
            kind,
            open: Box::new(open),
            opened: OnceLock::new(),
        }
    }

    fn store(&self) -> anyhow::Result<&dyn SecretStore> {
        match self
            .opened
            .get_or_init(|| (self.open)().map_err(|e| format!("{e:#}")))
        {
            Ok(s) => Ok(s.as_ref()),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }
}

impl SecretStore for Lazy<'_> {
    fn kind(&self) -> StoreKind {
        self.kind
    }
    fn describe(&self) -> String {
        match self.store() {
            Ok(s) => s.describe(),
            Err(_) => self.kind.to_string(),
        }
    }
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        self.store()?.get(profile)
    }
    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        self.store()?.set(profile, secret)
    }
    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        self.store()?.delete(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn opens_once_and_only_when_used() {
        let opened = AtomicUsize::new(0);
        let lazy = Lazy::new(StoreKind::Memory, || {
            opened.fetch_add(1, Ordering::Relaxed);
            Ok(Box::new(MemoryStore::new()))
        });
        assert_eq!(lazy.kind(), StoreKind::Memory);
        assert_eq!(opened.load(Ordering::Relaxed), 0, "not opened before use");
        lazy.set("p", &Secret::new("t")).unwrap();
        assert_eq!(lazy.get("p").unwrap().unwrap().expose(), "t");
        assert_eq!(opened.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_store_that_cannot_be_opened_fails_each_use() {
        let lazy = Lazy::new(StoreKind::Keychain, || anyhow::bail!("no keychain here"));
        assert!(format!("{:#}", lazy.get("p").unwrap_err()).contains("no keychain here"));
        assert!(lazy.delete("p").is_err());
    }
}
