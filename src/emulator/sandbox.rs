//! The fixed data of `Seed::Sandbox` (used by `aigate setup --sandbox`). Every value is
//! clearly fake: the token is not a Cloudflare token and the ids reach nothing real.

use super::state::State;
use super::{Permissions, TokenOwner, TokenSpec, TokenStatus};

/// The sandbox user token: every permission, reaches both accounts.
pub const TOKEN: &str = "cfut_sandbox_NOT_A_REAL_TOKEN_aigate_emulator_0000";
/// The first account (holds the gateways and the credits).
pub const ACCOUNT_ID: &str = "5a4db0c0000000000000000000000001";
pub const ACCOUNT_NAME: &str = "Sandbox Account";
/// A second account, so the account picker shows.
pub const SECOND_ACCOUNT_ID: &str = "5a4db0c0000000000000000000000002";
pub const SECOND_ACCOUNT_NAME: &str = "Sandbox Team Account";
pub const DEFAULT_GATEWAY_ID: &str = "default";
pub const TEAM_GATEWAY_ID: &str = "team-gateway";
/// Unified Billing credits of the first account.
pub const CREDITS: f64 = 25.0;

pub(super) fn seed(st: &mut State) {
    st.add_account(ACCOUNT_ID, ACCOUNT_NAME);
    st.add_account(SECOND_ACCOUNT_ID, SECOND_ACCOUNT_NAME);
    st.add_token(TokenSpec {
        value: TOKEN.to_string(),
        owner: TokenOwner::User,
        status: TokenStatus::Active,
        expires_on: None,
        accounts: vec![ACCOUNT_ID.to_string(), SECOND_ACCOUNT_ID.to_string()],
        permissions: Permissions::all(),
    });
    st.add_gateway(ACCOUNT_ID, DEFAULT_GATEWAY_ID, true);
    st.add_gateway(ACCOUNT_ID, TEAM_GATEWAY_ID, true);
    st.credits.insert(ACCOUNT_ID.to_string(), CREDITS);
}
