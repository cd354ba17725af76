//! Secret stores (placeholder until they land).
