//! Whether a token may run inference through a gateway (AI Gateway Run): checked with one
//! authorised data-plane call, the smallest there is (one prompt, at most one output token),
//! because a model list is readable without Run. Used by `setup` and `rotate` before anything
//! is stored or written on this machine.

use super::{ApiError, ChatRequest, Client, ErrorKind};

/// The verdict of [`Client::check_run`].
#[derive(Debug)]
pub enum RunCheck {
    /// The request got past authentication (even if the model or billing then refused it).
    Allowed,
    /// The gateway refused the token itself: it lacks Run, or is invalid for this gateway.
    Refused(ApiError),
}

impl Client {
    /// One minimal request through `gateway_id` with `model`. `Err` only when Cloudflare could
    /// not be asked (unreachable, 5xx, rate limited): then nothing is known.
    pub async fn check_run(
        &self,
        account_id: &str,
        gateway_id: &str,
        model: &str,
    ) -> Result<RunCheck, ApiError> {
        let req = ChatRequest {
            model: model.to_string(),
            prompt: "Reply with OK.".to_string(),
            max_tokens: 1,
            stream: false,
        };
        match self.chat(account_id, gateway_id, &req, &mut |_| {}).await {
            Ok(_) => Ok(RunCheck::Allowed),
            Err(e) => match e.kind() {
                ErrorKind::InvalidToken
                | ErrorKind::ExpiredToken
                | ErrorKind::DisabledToken
                | ErrorKind::MissingPermission(_) => Ok(RunCheck::Refused(e)),
                ErrorKind::Unreachable | ErrorKind::Server | ErrorKind::RateLimited => Err(e),
                // A model, billing or validation answer comes after authentication.
                _ => Ok(RunCheck::Allowed),
            },
        }
    }
}
