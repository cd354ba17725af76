//! Management calls on the v4 API: token verification, accounts, gateways, provider configs
//! (BYOK keys), credit balance and logs.
//!
//! Creates (POST) are never blindly retried: after an uncertain failure the client looks for
//! the object first and re-sends at most once.

use futures_util::StreamExt;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::future::Future;

use super::error::{ApiError, ErrorKind, Operation, Transport, ops};
use super::http::{Client, Reply};
use super::types::{
    Account, AccountSpendingLimit, CreditBalance, Gateway, LogEntry, NewGateway, ProviderConfig,
    TokenInfo, TokenOwner, TokenStatus, VerifyResult,
};
use crate::Secret;

/// Upper bound on pages fetched by one listing (guards against a server that never ends).
const MAX_PAGES: u32 = 500;

/// How many pages of one listing are in flight at once once the total is known.
pub const PAGE_CONCURRENCY: usize = 16;

/// Percent-encodes one path segment (ids are plain, but never let one change the path).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn gateways_path(account_id: &str) -> String {
    format!("/accounts/{}/ai-gateway/gateways", seg(account_id))
}

fn gateway_path(account_id: &str, id: &str) -> String {
    format!("{}/{}", gateways_path(account_id), seg(id))
}

fn provider_configs_path(account_id: &str, gateway_id: &str) -> String {
    format!("{}/provider_configs", gateway_path(account_id, gateway_id))
}

impl Client {
    /// Checks the token. Tries the user endpoint, or the account endpoint for account-owned
    /// tokens (`cfat_` prefix, or code 1000 from the user endpoint) when `account_id` is known.
    /// A token that is not active is an error (`ExpiredToken` / `DisabledToken`).
    pub async fn verify_token(&self, account_id: Option<&str>) -> Result<TokenInfo, ApiError> {
        let account_path = account_id.map(|a| format!("/accounts/{}/tokens/verify", seg(a)));
        if self.token().expose().starts_with("cfat_")
            && let Some(p) = &account_path
        {
            return self.verify_at(p, TokenOwner::Account).await;
        }
        match self
            .verify_at("/user/tokens/verify", TokenOwner::User)
            .await
        {
            Err(e) if e.code() == Some(1000) && account_path.is_some() => {
                self.log("user token check said 1000; trying the account-owned token check");
                self.verify_at(
                    account_path.as_deref().unwrap_or_default(),
                    TokenOwner::Account,
                )
                .await
            }
            other => other,
        }
    }

    async fn verify_at(&self, path: &str, owner: TokenOwner) -> Result<TokenInfo, ApiError> {
        let r: Reply<VerifyResult> = self
            .api(Method::GET, path, &[], None, ops::VERIFY_TOKEN)
            .await?;
        let v = r.result;
        let status = match v.status.as_str() {
            "active" => TokenStatus::Active,
            "expired" => {
                return Err(ApiError::token_not_active(
                    ErrorKind::ExpiredToken,
                    "expired",
                ));
            }
            "disabled" => {
                return Err(ApiError::token_not_active(
                    ErrorKind::DisabledToken,
                    "disabled",
                ));
            }
            other => {
                return Err(ApiError::unexpected(
                    ops::VERIFY_TOKEN,
                    200,
                    &format!("unknown token status {other:?}"),
                ));
            }
        };
        Ok(TokenInfo {
            id: v.id,
            status,
            expires_on: v.expires_on,
            not_before: v.not_before,
            owner,
        })
    }

    /// Every account the token reaches (all pages).
    pub async fn list_accounts(&self) -> Result<Vec<Account>, ApiError> {
        self.get_all("/accounts", 50, &[], ops::LIST_ACCOUNTS, |a: &Account| {
            a.id.clone()
        })
        .await
    }

    /// Every gateway of the account (all pages).
    pub async fn list_gateways(&self, account_id: &str) -> Result<Vec<Gateway>, ApiError> {
        self.get_all(
            &gateways_path(account_id),
            100,
            &[],
            ops::LIST_GATEWAYS,
            |g: &Gateway| g.id.clone(),
        )
        .await
    }

    /// The gateway, or `None` when it does not exist (404 / 7002).
    pub async fn get_gateway(
        &self,
        account_id: &str,
        id: &str,
    ) -> Result<Option<Gateway>, ApiError> {
        let r = self
            .api::<Gateway>(
                Method::GET,
                &gateway_path(account_id, id),
                &[],
                None,
                ops::GET_GATEWAY,
            )
            .await;
        match r {
            Ok(r) => Ok(Some(r.result)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a gateway. Never blindly retried: after an uncertain failure, the gateway is
    /// looked up and returned if it now exists; otherwise the POST is sent at most once more.
    pub async fn create_gateway(
        &self,
        account_id: &str,
        new: &NewGateway,
    ) -> Result<Gateway, ApiError> {
        let path = gateways_path(account_id);
        let body = serde_json::to_value(new).unwrap_or(Value::Null);
        self.create_checked(
            ops::CREATE_GATEWAY,
            || self.api::<Gateway>(Method::POST, &path, &[], Some(&body), ops::CREATE_GATEWAY),
            || self.get_gateway(account_id, &new.id),
        )
        .await
    }

    /// Replaces the gateway's settings with `gw` (PUT of the whole object; GET-modify-PUT).
    pub async fn update_gateway(
        &self,
        account_id: &str,
        id: &str,
        gw: &Gateway,
    ) -> Result<Gateway, ApiError> {
        let body = gw.to_update_body();
        let r = self
            .api::<Gateway>(
                Method::PUT,
                &gateway_path(account_id, id),
                &[],
                Some(&body),
                ops::UPDATE_GATEWAY,
            )
            .await?;
        Ok(r.result)
    }

    /// The stored provider keys of the gateway (all pages).
    pub async fn list_provider_configs(
        &self,
        account_id: &str,
        gateway_id: &str,
    ) -> Result<Vec<ProviderConfig>, ApiError> {
        self.get_all(
            &provider_configs_path(account_id, gateway_id),
            100,
            &[],
            ops::LIST_PROVIDER_CONFIGS,
            |p: &ProviderConfig| p.id.clone(),
        )
        .await
    }

    /// Stores a provider key as the default config for `alias`. Same no-blind-retry rule as
    /// [`Client::create_gateway`]: the existing configs are listed before any re-send.
    pub async fn create_provider_config(
        &self,
        account_id: &str,
        gateway_id: &str,
        provider_slug: &str,
        alias: &str,
        secret: &Secret,
    ) -> Result<ProviderConfig, ApiError> {
        let path = provider_configs_path(account_id, gateway_id);
        let body = json!({
            "provider_slug": provider_slug,
            "alias": alias,
            "default_config": true,
            "secret": secret.expose(),
        });
        self.create_checked(
            ops::CREATE_PROVIDER_CONFIG,
            || {
                self.api::<ProviderConfig>(
                    Method::POST,
                    &path,
                    &[],
                    Some(&body),
                    ops::CREATE_PROVIDER_CONFIG,
                )
            },
            || async {
                let all = self.list_provider_configs(account_id, gateway_id).await?;
                Ok(all
                    .into_iter()
                    .find(|p| p.provider_slug == provider_slug && p.alias == alias))
            },
        )
        .await
    }

    /// Replaces the key of an existing provider config (rotation).
    pub async fn update_provider_config(
        &self,
        account_id: &str,
        gateway_id: &str,
        id: &str,
        secret: &Secret,
    ) -> Result<ProviderConfig, ApiError> {
        let path = format!(
            "{}/{}",
            provider_configs_path(account_id, gateway_id),
            seg(id)
        );
        let body = json!({ "secret": secret.expose() });
        let r = self
            .api::<ProviderConfig>(
                Method::PUT,
                &path,
                &[],
                Some(&body),
                ops::UPDATE_PROVIDER_CONFIG,
            )
            .await?;
        Ok(r.result)
    }

    pub async fn delete_provider_config(
        &self,
        account_id: &str,
        gateway_id: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "{}/{}",
            provider_configs_path(account_id, gateway_id),
            seg(id)
        );
        self.api::<Value>(
            Method::DELETE,
            &path,
            &[],
            None,
            ops::DELETE_PROVIDER_CONFIG,
        )
        .await?;
        Ok(())
    }

    /// Unified Billing credits of the account.
    pub async fn credit_balance(&self, account_id: &str) -> Result<CreditBalance, ApiError> {
        let path = format!(
            "/accounts/{}/ai-gateway/billing/credit-balance",
            seg(account_id)
        );
        let r = self
            .api::<CreditBalance>(Method::GET, &path, &[], None, ops::CREDIT_BALANCE)
            .await?;
        Ok(r.result)
    }

    /// The account's Unified Billing spending limit (account-wide; see [`AccountSpendingLimit`]).
    pub async fn account_spending_limit(
        &self,
        account_id: &str,
    ) -> Result<AccountSpendingLimit, ApiError> {
        let path = format!(
            "/accounts/{}/ai-gateway/billing/spending-limit",
            seg(account_id)
        );
        let r = self
            .api::<AccountSpendingLimit>(Method::GET, &path, &[], None, ops::ACCOUNT_SPENDING_LIMIT)
            .await?;
        Ok(r.result)
    }

    /// The newest `per_page` (1..=50) log entries of the gateway, newest first.
    pub async fn list_logs(
        &self,
        account_id: &str,
        gateway_id: &str,
        per_page: u32,
    ) -> Result<Vec<LogEntry>, ApiError> {
        let path = format!("{}/logs", gateway_path(account_id, gateway_id));
        let query = [
            ("per_page", per_page.clamp(1, 50).to_string()),
            ("order_by", "created_at".to_string()),
            ("order_by_direction", "desc".to_string()),
        ];
        let r = self
            .api::<Option<Vec<LogEntry>>>(Method::GET, &path, &query, None, ops::LIST_LOGS)
            .await?;
        Ok(r.result.unwrap_or_default())
    }

    /// GETs every page of a listing (see [`collect_pages`]).
    pub(super) async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        per_page: u32,
        extra: &[(&str, String)],
        op: Operation,
        key: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, ApiError> {
        let fetch = |page: u32| {
            let mut query = vec![
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ];
            query.extend(extra.iter().cloned());
            async move {
                let r = self
                    .api::<Option<Vec<T>>>(Method::GET, path, &query, None, op)
                    .await?;
                let info = r.result_info.unwrap_or_default();
                Ok(Page {
                    items: r.result.unwrap_or_default(),
                    per_page: info.per_page,
                    total_count: info.total_count,
                    total_pages: info.total_pages,
                })
            }
        };
        collect_pages(fetch, per_page, key).await
    }

    /// Runs a create (POST) without blind retries:
    /// - success, or a clear failure (4xx other than 429): returned as is;
    /// - no connection was made, or 429: the POST certainly did not apply; sent once more after
    ///   a pause (the `Retry-After` for a 429);
    /// - uncertain (timeout, broken connection, 5xx): `lookup` first; if the object exists it is
    ///   returned, otherwise the POST is sent once more. If that re-send fails with a 4xx (e.g.
    ///   "already exists"), `lookup` is tried once more.
    pub(super) async fn create_checked<T, P, PF, L, LF>(
        &self,
        op: Operation,
        post: P,
        lookup: L,
    ) -> Result<T, ApiError>
    where
        P: Fn() -> PF,
        PF: Future<Output = Result<Reply<T>, ApiError>>,
        L: Fn() -> LF,
        LF: Future<Output = Result<Option<T>, ApiError>>,
    {
        let first = match post().await {
            Ok(r) => return Ok(r.result),
            Err(e) => e,
        };
        let not_applied = first.transport_kind() == Some(Transport::Connect)
            || (first.status() == Some(429) && first.kind() == ErrorKind::RateLimited);
        if not_applied {
            let wait = first.retry_after();
            if wait.is_some_and(|w| w > self.retry_policy().max_retry_after) {
                return Err(first);
            }
            match wait {
                Some(w) => tokio::time::sleep(w).await,
                None => self.sleep_before_retry(1).await,
            }
            return post().await.map(|r| r.result);
        }
        if !first.is_uncertain() {
            return Err(first);
        }
        self.log(&format!(
            "could not tell whether Cloudflare applied \"{}\"; checking",
            op.name
        ));
        self.sleep_before_retry(1).await;
        match lookup().await {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(_) => return Err(first),
        }
        match post().await {
            Ok(r) => Ok(r.result),
            Err(second) if second.status().is_some_and(|s| (400..500).contains(&s)) => {
                match lookup().await {
                    Ok(Some(found)) => Ok(found),
                    _ => Err(second),
                }
            }
            Err(second) => Err(second),
        }
    }
}

/// One page of a listing and what its `result_info` said.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub per_page: Option<u64>,
    pub total_count: Option<u64>,
    pub total_pages: Option<u64>,
}

/// Every item of a listing, page by page through `fetch(page)`. When the first page tells the
/// total (`total_count` or `total_pages`), the remaining pages are fetched concurrently, at
/// most [`PAGE_CONCURRENCY`] at a time and joined in order, so a long list costs two round
/// trips instead of one per page. Without a total, pages follow one another until a short or
/// empty page; a page with nothing new (a server ignoring `page`) also ends it.
pub(crate) async fn collect_pages<T, F, Fut>(
    fetch: F,
    per_page: u32,
    key: impl Fn(&T) -> String,
) -> Result<Vec<T>, ApiError>
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |items: Vec<T>, out: &mut Vec<T>| {
        let mut fresh = 0;
        for item in items {
            if seen.insert(key(&item)) {
                out.push(item);
                fresh += 1;
            }
        }
        fresh
    };
    let first = fetch(1).await?;
    let n = first.items.len() as u64;
    let page_size = first.per_page.unwrap_or(u64::from(per_page)).max(1);
    let full = page_size.min(u64::from(per_page));
    let (total_count, total_pages) = (first.total_count, first.total_pages);
    if add(first.items, &mut out) == 0 {
        return Ok(out);
    }
    let pages = match (total_count, total_pages) {
        (Some(total), _) => Some(total.div_ceil(page_size.min(n))),
        (None, Some(pages)) => Some(pages),
        (None, None) => None,
    };
    if let Some(pages) = pages {
        let last = pages.min(u64::from(MAX_PAGES)) as u32;
        let rest: Vec<Result<Page<T>, ApiError>> =
            futures_util::stream::iter((2..=last).map(&fetch))
                .buffered(PAGE_CONCURRENCY)
                .collect()
                .await;
        for page in rest {
            add(page?.items, &mut out);
        }
        return Ok(out);
    }
    if n < full {
        return Ok(out);
    }
    for page in 2..=MAX_PAGES {
        let items = fetch(page).await?.items;
        let n = items.len() as u64;
        if n == 0 || add(items, &mut out) == 0 || n < full {
            break;
        }
    }
    Ok(out)
}

/// A GET that says "no such object".
fn is_absent(e: &ApiError) -> bool {
    e.code() == Some(7002) || (e.status() == Some(404) && e.code().is_none() && !e.is_html())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A listing of `total` numbered items served `size` per page; `tell` says whether the
    /// first page carries the total. Records the pages asked for and the peak in flight.
    struct Fake {
        total: usize,
        size: usize,
        tell: bool,
        asked: Mutex<Vec<u32>>,
        in_flight: AtomicUsize,
        peak: AtomicUsize,
    }

    impl Fake {
        fn new(total: usize, size: usize, tell: bool) -> Fake {
            Fake {
                total,
                size,
                tell,
                asked: Mutex::new(vec![]),
                in_flight: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
            }
        }

        async fn page(&self, page: u32) -> Result<Page<String>, ApiError> {
            self.asked.lock().unwrap().push(page);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let start = (page as usize - 1) * self.size;
            let items = (start..(start + self.size).min(self.total))
                .map(|i| format!("item-{i:04}"))
                .collect();
            Ok(Page {
                items,
                per_page: Some(self.size as u64),
                total_count: self.tell.then_some(self.total as u64),
                total_pages: None,
            })
        }

        async fn all(&self) -> Vec<String> {
            collect_pages(|p| self.page(p), self.size as u32, |s: &String| s.clone())
                .await
                .unwrap()
        }
    }

    #[tokio::test]
    async fn a_told_total_fetches_the_rest_together_in_order() {
        let f = Fake::new(1000, 50, true);
        let all = f.all().await;
        assert_eq!(all.len(), 1000);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "pages out of order");
        let asked = f.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 20);
        assert_eq!(asked[0], 1);
        let peak = f.peak.load(Ordering::SeqCst);
        assert!(peak > 1, "the other pages were fetched one by one");
        assert!(peak <= PAGE_CONCURRENCY, "{peak} pages in flight at once");
    }

    #[tokio::test]
    async fn without_a_total_paging_stops_at_a_short_page() {
        let f = Fake::new(120, 50, false);
        assert_eq!(f.all().await.len(), 120);
        assert_eq!(*f.asked.lock().unwrap(), vec![1, 2, 3]);
        assert_eq!(f.peak.load(Ordering::SeqCst), 1);
        let exact = Fake::new(100, 50, false);
        assert_eq!(exact.all().await.len(), 100);
        assert_eq!(
            *exact.asked.lock().unwrap(),
            vec![1, 2, 3],
            "ends at the empty page"
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(seg("my-gateway_1"), "my-gateway_1");
        assert_eq!(seg("x y"), "x%20y");
        assert_eq!(seg("a/b?c"), "a%2Fb%3Fc");
    }

    #[test]
    fn absent_means_7002_or_a_plain_404() {
        let nf = |status, body: &str, ct| {
            ApiError::from_response(ops::GET_GATEWAY, status, Some(ct), body.as_bytes())
        };
        assert!(is_absent(&nf(
            404,
            r#"{"success":false,"errors":[{"code":7002,"message":"Not Found"}]}"#,
            "application/json"
        )));
        assert!(is_absent(&nf(
            404,
            r#"{"success":false,"errors":[{"message":"Not Found"}]}"#,
            "application/json"
        )));
        assert!(!is_absent(&nf(404, "<html>nope</html>", "text/html")));
        assert!(!is_absent(&nf(
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized"}]}"#,
            "application/json"
        )));
    }
}
