//! `logout --revoke`: delete the token aigate minted for this profile at Cloudflare, so no copy
//! anywhere still works. Needs an admin token once.

use super::admin;
use super::mint;
use crate::Secret;
use crate::context::Context;
use crate::state::Profile;

/// Delete the profile's minted token. `Ok(None)` when the profile stores no minted token
/// (nothing to revoke); `Ok(Some(line))` says what was done.
pub fn revoke_minted(
    ctx: &Context,
    profile: &Profile,
    admin_token: impl FnOnce() -> anyhow::Result<Secret>,
) -> anyhow::Result<Option<String>> {
    let Some(record) = super::rotate::minted(profile) else {
        return Ok(None);
    };
    let id = record.id.clone().unwrap_or_default();
    let scope = mint::scope_of(record, &profile.account_id);
    let (admin, _) = admin::client(ctx, admin_token()?, &profile.account_id)?;
    match ctx.rt.block_on(admin.delete_token(&scope, &id)) {
        Ok(true) => Ok(Some(format!(
            "the minted token \"{}\" at Cloudflare (deleted)",
            record.name.as_deref().unwrap_or(&id)
        ))),
        Ok(false) => Ok(Some(format!(
            "nothing at Cloudflare: the minted token \"{}\" was already deleted",
            record.name.as_deref().unwrap_or(&id)
        ))),
        Err(e) if admin::refused(&e) => {
            Err(admin::not_allowed("could not revoke the minted token"))
        }
        Err(e) => Err(e.into()),
    }
}
