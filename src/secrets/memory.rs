//! An in-memory store for unit tests. Never chosen automatically: a token kept here is gone
//! when the process ends.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{SecretStore, StoreKind};
use crate::Secret;

#[derive(Default)]
pub struct MemoryStore {
    tokens: Mutex<BTreeMap<String, Secret>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Secret>> {
        // A panic while holding the lock cannot leave the map half-updated.
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn describe(&self) -> String {
        "memory (lost when aigate exits)".to_string()
    }

    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        Ok(self.lock().get(profile).cloned())
    }

    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        self.lock().insert(profile.to_string(), secret.clone());
        Ok(())
    }

    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        Ok(self.lock().remove(profile).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_replace_delete() {
        let store = MemoryStore::new();
        assert!(store.get("default").unwrap().is_none());
        store.set("default", &Secret::new("one")).unwrap();
        store.set("work", &Secret::new("two")).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), "one");
        store.set("default", &Secret::new("three")).unwrap();
        assert_eq!(store.get("default").unwrap().unwrap().expose(), "three");
        assert_eq!(store.get("work").unwrap().unwrap().expose(), "two");
        assert!(store.delete("default").unwrap());
        assert!(!store.delete("default").unwrap());
        assert!(store.get("default").unwrap().is_none());
        assert_eq!(store.get("work").unwrap().unwrap().expose(), "two");
        assert_eq!(store.kind(), StoreKind::Memory);
    }
}
