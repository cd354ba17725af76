//! Cloudflare emulator (placeholder until it lands).
