//! Where the token will be kept, settled before the first question: an unusable keychain is
//! found at once (not after every answer was given), and an interactive run is offered the
//! ways out: a 0600 file (with its warning), or stopping to keep the token in
//! `CLOUDFLARE_API_TOKEN`. The chosen store is read at most once per profile in this run.

use super::Ask;
use crate::Secret;
use crate::secrets::{SecretStore, StoreKind};
use std::collections::HashMap;
use std::sync::Mutex;

/// The store for this run's token, remembering what it read and wrote.
pub type Store = Box<dyn SecretStore>;

pub fn probe(q: &mut Ask<'_>) -> anyhow::Result<Store> {
    let ctx = q.ctx;
    let err = match ctx.store_for_write(q.args.insecure_storage) {
        Ok(s) => return Ok(Box::new(Cached::new(s))),
        Err(e) => e,
    };
    if !q.prompter.interactive() {
        return Err(err);
    }
    ctx.ui.warn(&format!("{err}"));
    let items = vec![
        format!(
            "Keep the token in a plaintext file only you can read ({})",
            crate::platform::PRIVATE_FILE
        ),
        "Stop here: keep the token in CLOUDFLARE_API_TOKEN instead, or make a keychain available"
            .to_string(),
    ];
    let choice = q.prompter.select(
        "Where should the Cloudflare API token be kept?",
        &items,
        0,
        "--insecure-storage",
    )?;
    if choice != 0 {
        return Err(err);
    }
    Ok(Box::new(Cached::new(ctx.store_for_write(true)?)))
}

/// A store that answers a repeated `get` from memory (the keychain is read once per run) and
/// keeps that memory true across `set` and `delete`.
pub struct Cached {
    inner: Box<dyn SecretStore>,
    known: Mutex<HashMap<String, Option<Secret>>>,
}

impl Cached {
    pub fn new(inner: Box<dyn SecretStore>) -> Cached {
        Cached {
            inner,
            known: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<Secret>>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for Cached {
    fn kind(&self) -> StoreKind {
        self.inner.kind()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        if let Some(v) = self.known().get(profile) {
            return Ok(v.clone());
        }
        let v = self.inner.get(profile)?;
        self.known().insert(profile.to_string(), v.clone());
        Ok(v)
    }
    fn set(&self, profile: &str, secret: &Secret) -> anyhow::Result<()> {
        self.known().remove(profile);
        self.inner.set(profile, secret)?;
        self.known()
            .insert(profile.to_string(), Some(secret.clone()));
        Ok(())
    }
    fn delete(&self, profile: &str) -> anyhow::Result<bool> {
        self.known().remove(profile);
        let removed = self.inner.delete(profile)?;
        self.known().insert(profile.to_string(), None);
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(MemoryStore, Arc<AtomicUsize>);

    impl SecretStore for Counting {
        fn kind(&self) -> StoreKind {
            self.0.kind()
        }
        fn describe(&self) -> String {
            self.0.describe()
        }
        fn get(&self, p: &str) -> anyhow::Result<Option<Secret>> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.get(p)
        }
        fn set(&self, p: &str, s: &Secret) -> anyhow::Result<()> {
            self.0.set(p, s)
        }
        fn delete(&self, p: &str) -> anyhow::Result<bool> {
            self.0.delete(p)
        }
    }

    #[test]
    fn the_store_is_read_once_and_stays_true_after_writes() {
        let reads = Arc::new(AtomicUsize::new(0));
        let c = Cached::new(Box::new(Counting(MemoryStore::new(), reads.clone())));
        assert!(c.get("default").unwrap().is_none());
        assert!(c.get("default").unwrap().is_none());
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        c.set("default", &Secret::new("t1")).unwrap();
        assert_eq!(c.get("default").unwrap().unwrap().expose(), "t1");
        assert!(c.delete("default").unwrap());
        assert!(c.get("default").unwrap().is_none());
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
