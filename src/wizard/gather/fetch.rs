//! The reads setup needs, started as soon as their inputs are known and each sent at most once.
//!
//! Setup's requests form a dependency graph, not a sequence. Every read whose inputs are known
//! when the token arrives (verify, the account list, the gateway lookup, the credit balance,
//! the provider configs, the model list) is started in the first round, together; the steps
//! then wait only for the answer they need. In an interactive run the reads of the next
//! question start while the person reads the current one (e.g. the default account's gateways
//! while the account picker is shown). Writes wait for verification ([`super::super::apply`]);
//! the test prompt waits for the writes ([`super::super::finish`]).
//!
//! When the run may mint a Run + Read token (the default, see [`crate::tokens::daily`]), the
//! permission groups it names are looked up in the first round too, for the account scope and
//! (for a token that may be a user's) the user scope together: a token that may not create
//! tokens is refused both in that round, so falling back to the given token costs no round.

use crate::cloudflare::{
    Account, ApiError, Client, CreditBalance, DAILY_GROUPS, Gateway, ModelList, PermissionGroup,
    ProviderConfig, TokenInfo, TokenScope,
};
use crate::context::Context;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use tokio::task::JoinHandle;

type Res<T> = Result<T, ApiError>;

/// One read: in flight, or answered.
enum Slot<T> {
    Running(JoinHandle<Res<T>>),
    Done(Res<T>),
}

/// Reads of one kind, keyed by what they ask about.
struct Memo<K, T> {
    slots: HashMap<K, Slot<T>>,
}

impl<K: Eq + Hash, T: Clone + Send + 'static> Memo<K, T> {
    fn new() -> Self {
        Memo {
            slots: HashMap::new(),
        }
    }

    fn started(&self, key: &K) -> bool {
        self.slots.contains_key(key)
    }

    fn keys(&self) -> Vec<K>
    where
        K: Clone,
    {
        self.slots.keys().cloned().collect()
    }

    /// Start the read unless it was started before.
    fn start<F>(&mut self, rt: &tokio::runtime::Runtime, key: K, fut: impl FnOnce() -> F)
    where
        F: Future<Output = Res<T>> + Send + 'static,
    {
        self.slots
            .entry(key)
            .or_insert_with(|| Slot::Running(rt.spawn(fut())));
    }

    /// The answer, waiting for it if it is still in flight (starting it if it never was).
    fn get<F>(&mut self, rt: &tokio::runtime::Runtime, key: K, fut: impl FnOnce() -> F) -> Res<T>
    where
        F: Future<Output = Res<T>> + Send + 'static,
    {
        let slot = self
            .slots
            .entry(key)
            .or_insert_with(|| Slot::Running(rt.spawn(fut())));
        if let Slot::Running(h) = slot {
            let r = match rt.block_on(h) {
                Ok(r) => r,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            *slot = Slot::Done(r);
        }
        match slot {
            Slot::Done(r) => r.clone(),
            Slot::Running(_) => unreachable!("answered above"),
        }
    }
}

type Pair = (String, String);

/// Every read of one setup run, against one token.
pub struct Reads<'a> {
    ctx: &'a Context,
    client: Client,
    verify: Memo<Option<String>, TokenInfo>,
    accounts: Memo<(), Vec<Account>>,
    gateways: Memo<String, Vec<Gateway>>,
    gateway: Memo<Pair, Option<Gateway>>,
    balance: Memo<String, CreditBalance>,
    models: Memo<Pair, ModelList>,
    providers: Memo<Pair, Vec<ProviderConfig>>,
    routes: Memo<Pair, Vec<crate::cloudflare::routes::DynamicRoute>>,
    /// Permission groups by scope: `Some(account)` for the account's, `None` for the user's.
    groups: Memo<Option<String>, Vec<PermissionGroup>>,
}

fn pair(a: &str, g: &str) -> Pair {
    (a.to_string(), g.to_string())
}

impl<'a> Reads<'a> {
    pub fn new(ctx: &'a Context, client: Client) -> Reads<'a> {
        Reads {
            ctx,
            client,
            verify: Memo::new(),
            accounts: Memo::new(),
            gateways: Memo::new(),
            gateway: Memo::new(),
            balance: Memo::new(),
            models: Memo::new(),
            providers: Memo::new(),
            routes: Memo::new(),
            groups: Memo::new(),
        }
    }

    pub fn start_verify(&mut self, account: Option<&str>) {
        let c = self.client.clone();
        let a = account.map(str::to_string);
        self.verify.start(&self.ctx.rt, a.clone(), || async move {
            c.verify_token(a.as_deref()).await
        });
    }

    pub fn verify(&mut self, account: Option<&str>) -> Res<TokenInfo> {
        let c = self.client.clone();
        let a = account.map(str::to_string);
        self.verify.get(&self.ctx.rt, a.clone(), || async move {
            c.verify_token(a.as_deref()).await
        })
    }

    pub fn start_accounts(&mut self) {
        let c = self.client.clone();
        self.accounts
            .start(&self.ctx.rt, (), || async move { c.list_accounts().await });
    }

    pub fn accounts_started(&self) -> bool {
        self.accounts.started(&())
    }

    pub fn accounts(&mut self) -> Res<Vec<Account>> {
        let c = self.client.clone();
        self.accounts
            .get(&self.ctx.rt, (), || async move { c.list_accounts().await })
    }

    pub fn start_gateways(&mut self, account: &str) {
        let c = self.client.clone();
        let a = account.to_string();
        self.gateways.start(&self.ctx.rt, a.clone(), || async move {
            c.list_gateways(&a).await
        });
    }

    pub fn gateways(&mut self, account: &str) -> Res<Vec<Gateway>> {
        let c = self.client.clone();
        let a = account.to_string();
        self.gateways.get(&self.ctx.rt, a.clone(), || async move {
            c.list_gateways(&a).await
        })
    }

    /// "Does this gateway exist?" with one GET, started unless the account's list is on its way.
    pub fn start_gateway(&mut self, account: &str, id: &str) {
        if self.gateways.started(&account.to_string()) {
            return;
        }
        let c = self.client.clone();
        let (a, g) = pair(account, id);
        self.gateway
            .start(&self.ctx.rt, pair(account, id), || async move {
                c.get_gateway(&a, &g).await
            });
    }

    /// The gateway, or `None` when it does not exist: from the account's list when that was
    /// fetched (a create never GETs what the complete list already missed), else one GET.
    pub fn gateway(&mut self, account: &str, id: &str) -> Res<Option<Gateway>> {
        if self.gateways.started(&account.to_string()) && !self.gateway.started(&pair(account, id))
        {
            return Ok(self.gateways(account)?.into_iter().find(|g| g.id == id));
        }
        let c = self.client.clone();
        let (a, g) = pair(account, id);
        self.gateway
            .get(&self.ctx.rt, pair(account, id), || async move {
                c.get_gateway(&a, &g).await
            })
    }

    pub fn start_balance(&mut self, account: &str) {
        let c = self.client.clone();
        let a = account.to_string();
        self.balance.start(&self.ctx.rt, a.clone(), || async move {
            c.credit_balance(&a).await
        });
    }

    pub fn balance(&mut self, account: &str) -> Res<CreditBalance> {
        let c = self.client.clone();
        let a = account.to_string();
        self.balance.get(&self.ctx.rt, a.clone(), || async move {
            c.credit_balance(&a).await
        })
    }

    pub fn start_models(&mut self, account: &str, gateway: &str) {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.models
            .start(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_models(&a, &g).await
            });
    }

    pub fn models(&mut self, account: &str, gateway: &str) -> Res<ModelList> {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.models
            .get(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_models(&a, &g).await
            })
    }

    pub fn start_providers(&mut self, account: &str, gateway: &str) {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.providers
            .start(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_provider_configs(&a, &g).await
            });
    }

    /// The gateway's dynamic routes (setup's `--fallback-model` route is found among them).
    pub fn start_routes(&mut self, account: &str, gateway: &str) {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.routes
            .start(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_routes(&a, &g).await
            });
    }

    pub fn routes(
        &mut self,
        account: &str,
        gateway: &str,
    ) -> Res<Vec<crate::cloudflare::routes::DynamicRoute>> {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.routes
            .get(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_routes(&a, &g).await
            })
    }

    pub fn providers(&mut self, account: &str, gateway: &str) -> Res<Vec<ProviderConfig>> {
        let c = self.client.clone();
        let (a, g) = pair(account, gateway);
        self.providers
            .get(&self.ctx.rt, pair(account, gateway), || async move {
                c.list_provider_configs(&a, &g).await
            })
    }

    /// Look up the permission groups of a daily token in `scope` (see the module note).
    pub fn start_groups(&mut self, scope: TokenScope) {
        let key = match &scope {
            TokenScope::Account(a) => Some(a.clone()),
            TokenScope::User => None,
        };
        let c = self.client.clone();
        self.groups.start(&self.ctx.rt, key, || async move {
            c.resolve_permission_groups(&scope, DAILY_GROUPS).await
        });
    }

    /// The token may be a user's (not `cfat_`, the account-owned tokens' prefix).
    pub fn may_be_user_token(&self) -> bool {
        !self.client.token().expose().starts_with("cfat_")
    }

    /// Every permission-group look-up started, answered (for the mint).
    pub fn groups(&mut self) -> crate::tokens::mint::KnownGroups {
        let mut out = vec![];
        for key in self.groups.keys() {
            let scope = match &key {
                Some(a) => TokenScope::Account(a.clone()),
                None => TokenScope::User,
            };
            let s = scope.clone();
            let c = self.client.clone();
            let r = self.groups.get(&self.ctx.rt, key, || async move {
                c.resolve_permission_groups(&s, DAILY_GROUPS).await
            });
            out.push((scope, r));
        }
        out
    }
}
