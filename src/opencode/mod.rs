//! OpenCode config and auth.json (placeholder until it lands).
