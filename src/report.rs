//! A command's result as data. Every command's operation returns a typed, serialisable report;
//! the command renders it once: as one JSON document on stdout under `--json` (its shape has a
//! schema in `schemas/<command>.json`), else as human text (data on stdout, notes on stderr).

use crate::ui::Ui;
use serde::Serialize;

pub trait Report: Serialize {
    /// Human text for a terminal or a pipe: results through [`Ui::out`], notes through the
    /// other [`Ui`] methods (stderr, silenced by `-q`).
    fn render(&self, ui: &Ui);

    /// The process exit code this result implies (e.g. `status` with a failing check: 1).
    fn exit_code(&self) -> i32 {
        crate::exit::SUCCESS
    }
}

/// Show `report` the way the run asked for, and return its exit code.
pub fn emit<R: Report>(ui: &Ui, report: &R) -> i32 {
    if ui.json_mode() {
        ui.json(report);
    } else {
        report.render(ui);
    }
    report.exit_code()
}
