//! Atomic writes and backups (placeholder until it lands).
