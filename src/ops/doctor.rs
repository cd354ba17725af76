//! `aigate doctor`: everything `status` checks, plus the clients' checks (see
//! [`crate::clients::doctor`]). Runs without a profile too: then it says how to make one and
//! still checks the clients.

use crate::checks::{self, Check, Outcome};
use crate::context::{Context, profile_flag};
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub profile: String,
    /// The profile is set up (else only the clients were checked).
    pub profile_exists: bool,
    /// `ok`, `warn` or `fail`: the worst check.
    pub overall: Outcome,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub exit_code: i32,
}

pub fn doctor(ctx: &Context) -> anyhow::Result<DoctorReport> {
    let name = ctx.profile_name();
    let profile = ctx.load_state()?.profile(name).cloned();
    let mut all = match &profile {
        Some(p) => crate::ops::status::checks(ctx, p)?,
        None => vec![Check::fail(
            "profile",
            format!("profile '{name}' is not set up"),
            format!("aigate{} setup", profile_flag(name)),
        )],
    };
    if let Some(p) = &profile {
        all.extend(crate::ops::policy::spend_limit_check(
            ctx,
            p.spend_limit.as_deref(),
        ));
    }
    all.extend(crate::clients::doctor::checks(ctx, profile.as_ref()));
    Ok(DoctorReport {
        profile: name.to_string(),
        profile_exists: profile.is_some(),
        overall: checks::overall(&all),
        exit_code: checks::exit_code(&all),
        checks: all,
    })
}

impl Report for DoctorReport {
    fn render(&self, ui: &Ui) {
        checks::render(ui, &self.checks);
        checks::render_failures(ui, &self.checks);
        let count = |o: Outcome| self.checks.iter().filter(|c| c.status == o).count();
        ui.note(&format!(
            "{} ok, {} warning(s), {} failure(s)",
            count(Outcome::Ok),
            count(Outcome::Warn),
            count(Outcome::Fail)
        ));
    }

    fn exit_code(&self) -> i32 {
        self.exit_code
    }
}
