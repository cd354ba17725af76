//! Why a secret store cannot be used, in plain words.
//!
//! Every message built here names the store and the cause, never a secret: keyring errors that
//! carry raw item bytes (`BadEncoding`, `BadDataFormat`) are described without them, and
//! `Ambiguous` is counted rather than printed.

use std::fmt;
use std::time::Duration;

/// A store that cannot be opened or used; `reason` says why, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUnavailable {
    pub reason: String,
}

impl StoreUnavailable {
    pub fn new(reason: impl Into<String>) -> Self {
        StoreUnavailable {
            reason: reason.into(),
        }
    }

    /// The keychain did not answer in time (a locked keyring waiting for an unlock prompt, a
    /// hung daemon).
    pub fn timed_out(timeout: Duration) -> Self {
        StoreUnavailable::new(format!(
            "the OS keychain did not answer within {} (is it locked? unlock it, or use --insecure-storage)",
            human_duration(timeout)
        ))
    }
}

impl fmt::Display for StoreUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for StoreUnavailable {}

/// `3 s` for whole seconds, `250 ms` otherwise.
pub(crate) fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Turn a keyring error into a plain reason. `NoEntry` is not an error for aigate; callers
/// handle it before calling this.
pub(crate) fn describe_keyring_error(err: &keyring_core::Error) -> StoreUnavailable {
    use keyring_core::Error as E;
    let reason = match err {
        E::NoStorageAccess(cause) => format!(
            "the OS keychain refused access; it is probably locked (unlock it and try again): {cause}"
        ),
        E::PlatformFailure(cause) => platform_failure(&cause.to_string()),
        E::NoEntry => "no such item in the OS keychain".to_string(),
        E::BadEncoding(_) => "the item stored in the OS keychain is not UTF-8 text".to_string(),
        E::BadDataFormat(_, _) => "the item stored in the OS keychain is malformed".to_string(),
        E::BadStoreFormat(why) => format!("the OS keychain's data is malformed: {why}"),
        E::TooLong(what, limit) => {
            format!("the {what} is longer than the OS keychain allows ({limit} characters)")
        }
        E::Invalid(what, why) => format!("the OS keychain rejected the {what}: {why}"),
        E::Ambiguous(items) => format!(
            "{} items in the OS keychain match this service and account; remove the extra ones",
            items.len()
        ),
        E::NoDefaultStore => "no OS keychain store was set up".to_string(),
        E::NotSupportedByStore(what) => format!("the OS keychain does not support this: {what}"),
        other => format!("the OS keychain failed: {other}"),
    };
    StoreUnavailable::new(reason)
}

#[cfg(target_os = "linux")]
fn platform_failure(cause: &str) -> String {
    format!(
        "no Secret Service is reachable on the D-Bus session bus ({cause}); check that \
         DBUS_SESSION_BUS_ADDRESS points at a running session bus and that a Secret Service \
         such as gnome-keyring is installed and running"
    )
}

#[cfg(not(target_os = "linux"))]
fn platform_failure(cause: &str) -> String {
    format!("the OS keychain failed: {cause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "cfut_TOPSECRETvalue0123456789abcdefghijkl";

    #[test]
    fn errors_that_carry_item_bytes_never_show_them() {
        let errs = [
            keyring_core::Error::BadEncoding(SECRET.as_bytes().to_vec()),
            keyring_core::Error::BadDataFormat(SECRET.as_bytes().to_vec(), SECRET.into()),
        ];
        for e in &errs {
            let msg = describe_keyring_error(e).to_string();
            assert!(!msg.contains("TOPSECRET"), "{msg}");
            assert!(msg.contains("OS keychain"), "{msg}");
        }
    }

    #[test]
    fn no_access_says_locked_and_platform_failure_names_the_bus() {
        let locked = keyring_core::Error::NoStorageAccess("Prompt".into());
        assert!(describe_keyring_error(&locked).reason.contains("locked"));
        let down = keyring_core::Error::PlatformFailure("no such file".into());
        let msg = describe_keyring_error(&down).reason;
        assert!(msg.contains("no such file"), "{msg}");
        #[cfg(target_os = "linux")]
        {
            assert!(msg.contains("DBUS_SESSION_BUS_ADDRESS"), "{msg}");
            assert!(msg.contains("gnome-keyring"), "{msg}");
        }
    }

    #[test]
    fn timeout_message_names_the_limit_and_the_ways_out() {
        let msg = StoreUnavailable::timed_out(Duration::from_secs(3)).to_string();
        assert_eq!(
            msg,
            "the OS keychain did not answer within 3 s (is it locked? unlock it, or use --insecure-storage)"
        );
        assert!(
            StoreUnavailable::timed_out(Duration::from_millis(250))
                .reason
                .contains("250 ms")
        );
    }
}
