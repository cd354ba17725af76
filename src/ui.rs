//! Everything aigate shows a person: progress and messages on stderr, results on stdout,
//! `--json` documents on stdout, spinners that degrade to plain lines off a terminal.
//!
//! Nothing here ever receives a secret: callers pass `Secret::masked()` when they must refer
//! to one.

use console::{Term, style};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::time::Duration;

#[derive(Clone)]
pub struct Ui {
    json: bool,
    verbose: bool,
    quiet: bool,
    err: Term,
}

impl Ui {
    pub fn new(json: bool, no_color: bool, verbose: bool, quiet: bool) -> Ui {
        // `no_color`: `--no-color` or `NO_COLOR` (read by `crate::env`).
        if no_color {
            console::set_colors_enabled(false);
            console::set_colors_enabled_stderr(false);
        }
        Ui {
            json,
            verbose,
            quiet,
            err: Term::stderr(),
        }
    }

    pub fn json_mode(&self) -> bool {
        self.json
    }

    pub fn verbose(&self) -> bool {
        self.verbose
    }

    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// A section heading for a wizard step.
    pub fn heading(&self, text: &str) {
        self.line(&format!("\n{}", style(text).bold()));
    }

    pub fn ok(&self, text: &str) {
        self.line(&format!("{} {text}", style("✓").green()));
    }

    pub fn info(&self, text: &str) {
        self.line(&format!("  {text}"));
    }

    pub fn note(&self, text: &str) {
        self.line(&format!("{} {text}", style("•").cyan()));
    }

    pub fn warn(&self, text: &str) {
        self.line(&format!("{} {text}", style("warning:").yellow().bold()));
    }

    /// Errors reach stderr even with `--quiet`.
    pub fn error(&self, text: &str) {
        self.always(&format!("{} {text}", style("error:").red().bold()));
    }

    pub fn hint(&self, text: &str) {
        self.always(&format!("{} {text}", style("hint:").cyan().bold()));
    }

    /// Diagnostic detail, shown with `--verbose` only.
    pub fn debug(&self, text: &str) {
        if self.verbose {
            self.line(&format!("{} {text}", style("debug:").dim()));
        }
    }

    /// Human text on stderr (nothing with `--quiet`).
    pub fn line(&self, text: &str) {
        if !self.quiet {
            let _ = self.err.write_line(text);
        }
    }

    /// Stderr whatever `--quiet` says: errors and their hints.
    fn always(&self, text: &str) {
        let _ = self.err.write_line(text);
    }

    /// A command's result for a person: stdout, unless `--json` is on (then stderr, so stdout
    /// holds only the JSON document).
    pub fn out(&self, text: &str) {
        if self.json {
            self.line(text);
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
        }
    }

    /// The one JSON document of a `--json` run.
    pub fn json<T: serde::Serialize + ?Sized>(&self, value: &T) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    /// A spinner on a terminal; elsewhere nothing until [`Spinner::done`] prints one line.
    pub fn spinner(&self, text: &str) -> Spinner {
        let bar = if self.err.is_term() && !self.quiet {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(text.to_string());
            bar.enable_steady_tick(Duration::from_millis(80));
            Some(bar)
        } else {
            None
        };
        Spinner {
            bar,
            ui: self.clone(),
        }
    }
}

pub struct Spinner {
    bar: Option<ProgressBar>,
    ui: Ui,
}

impl Spinner {
    pub fn set_message(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(text.to_string());
        }
    }

    pub fn done(self, text: &str) {
        self.clear();
        self.ui.ok(text);
    }

    pub fn fail(self, text: &str) {
        self.clear();
        self.ui.error(text);
    }

    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}
