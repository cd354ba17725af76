//! Run one blocking keychain call on its own thread, and give up after a timeout.
//!
//! Two reasons: the Secret Service client's blocking API must not run on a tokio worker (it
//! panics inside a runtime), and a locked keyring can block forever waiting for an unlock
//! prompt. On timeout the thread is abandoned (it ends on its own if the call ever returns, or
//! with the process).

use std::sync::mpsc;
use std::time::Duration;

use super::errors::StoreUnavailable;

/// `call` on a fresh thread; its result, or [`StoreUnavailable::timed_out`] if it has not
/// answered within `timeout`.
pub(crate) fn run_bounded<T, F>(timeout: Duration, call: F) -> Result<T, StoreUnavailable>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("aigate-keychain".into())
        .spawn(move || {
            // The receiver is gone after a timeout; nothing to do then.
            let _ = tx.send(call());
        });
    if let Err(e) = spawned {
        return Err(StoreUnavailable::new(format!(
            "could not start a thread to talk to the OS keychain: {e}"
        )));
    }
    match rx.recv_timeout(timeout) {
        Ok(value) => Ok(value),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(StoreUnavailable::timed_out(timeout)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(StoreUnavailable::new(
            "the OS keychain call failed unexpectedly (its thread panicked)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn returns_the_value_of_a_quick_call() {
        assert_eq!(run_bounded(Duration::from_secs(5), || 41 + 1), Ok(42));
    }

    #[test]
    fn gives_up_on_a_call_that_blocks() {
        let started = Instant::now();
        let limit = Duration::from_millis(200);
        let got = run_bounded(limit, || std::thread::sleep(Duration::from_secs(30)));
        let err = got.unwrap_err();
        assert!(started.elapsed() >= limit);
        assert!(err.reason.contains("did not answer within 200 ms"), "{err}");
        assert!(err.reason.contains("--insecure-storage"), "{err}");
    }

    #[test]
    fn a_panicking_call_is_an_error_not_a_crash() {
        let got: Result<(), _> = run_bounded(Duration::from_secs(5), || panic!("boom"));
        assert!(got.unwrap_err().reason.contains("panicked"));
    }

    #[test]
    fn the_call_does_not_run_on_the_callers_thread() {
        let caller = std::thread::current().id();
        let inner = run_bounded(Duration::from_secs(5), || std::thread::current().id()).unwrap();
        assert_ne!(caller, inner);
    }
}
