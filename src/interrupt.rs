//! Ctrl-C: outside a critical section aigate exits at once with 130 (nothing is written
//! before the apply step, so nothing is half-written); inside one (the apply step) the
//! request is recorded and the step rolls back at its next checkpoint.
//!
//! Either way the terminal is restored first: dialoguer hides the cursor, and a hidden
//! password prompt turns echo off.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static CRITICAL: AtomicUsize = AtomicUsize::new(0);
static REQUESTED: AtomicBool = AtomicBool::new(false);
/// Throwaway directories to remove if Ctrl-C ends the run (the sandbox's).
static REMOVE_ON_EXIT: Mutex<Vec<std::path::PathBuf>> = Mutex::new(Vec::new());

/// Remove `dir` if the run is interrupted.
pub fn remove_on_exit(dir: &std::path::Path) {
    REMOVE_ON_EXIT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_path_buf());
}

/// No longer remove `dir` on interrupt (kept, or already removed).
pub fn forget_on_exit(dir: &std::path::Path) {
    REMOVE_ON_EXIT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|d| d != dir);
}

fn remove_throwaway_dirs() {
    for d in REMOVE_ON_EXIT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain(..)
    {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// What is already saved for good, said when Ctrl-C ends the run later.
static SAVED: Mutex<Option<String>> = Mutex::new(None);

#[cfg(unix)]
static SAVED_TERMIOS: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Remember the terminal's settings and start listening for Ctrl-C on `rt`.
pub fn install(rt: &tokio::runtime::Runtime) {
    save_terminal();
    rt.spawn(async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            if CRITICAL.load(Ordering::SeqCst) > 0 {
                REQUESTED.store(true, Ordering::SeqCst);
            } else {
                restore_terminal();
                remove_throwaway_dirs();
                eprintln!("\n{}", outcome_message());
                std::process::exit(crate::exit::INTERRUPTED);
            }
        }
    });
}

/// Records that changes are now saved for good (e.g. "setup of profile 'x' was saved (...)"):
/// a later Ctrl-C says so instead of "nothing was changed".
pub fn saved(what: &str) {
    *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(what.to_string());
}

/// What an interrupt at this moment leaves behind, in words.
pub fn outcome_message() -> String {
    match &*SAVED.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(what) => format!("interrupted; {what}; the rest of this run did not finish"),
        None => "interrupted; nothing was changed on disk".to_string(),
    }
}

/// Marks a stretch during which Ctrl-C is deferred; drop it to end the stretch.
pub struct Critical(());

impl Critical {
    pub fn enter() -> Critical {
        CRITICAL.fetch_add(1, Ordering::SeqCst);
        Critical(())
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// True once Ctrl-C was pressed during a critical section.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// An error if Ctrl-C was pressed: call between steps of a critical section.
pub fn checkpoint() -> anyhow::Result<()> {
    if requested() {
        Err(crate::exit::Failure::interrupted().into())
    } else {
        Ok(())
    }
}

fn save_terminal() {
    #[cfg(unix)]
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::isatty(0) == 1 && libc::tcgetattr(0, &mut t) == 0 {
            *SAVED_TERMIOS.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
        }
    }
}

/// Show the cursor and put the terminal's echo and line mode back.
pub fn restore_terminal() {
    // Only a terminal gets the "show cursor" sequence (never a log file or a pipe).
    let stderr = console::Term::stderr();
    if stderr.is_term() {
        let _ = stderr.show_cursor();
    }
    #[cfg(unix)]
    if let Some(t) = *SAVED_TERMIOS.lock().unwrap_or_else(|e| e.into_inner()) {
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
    }
}
