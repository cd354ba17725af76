//! Cloudflare API client (placeholder until the client lands).
#[derive(Debug)]
pub struct ApiError;
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("api error")
    }
}
impl std::error::Error for ApiError {}
impl ApiError {
    pub fn exit_kind(&self) -> crate::exit::Kind {
        crate::exit::Kind::Other
    }
    pub fn hint(&self) -> Option<String> {
        None
    }
}
