//! `aigate team init`: write `aigate.toml` at the repository root from the current profile.

use super::file::{self, FILE_NAME, TeamFile};
use crate::context::Context;
use crate::domain::Billing;
use crate::exit::{Failure, Kind};
use crate::files::{FileChange, Transaction};
use crate::report::Report;
use crate::ui::Ui;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
pub struct TeamInitReport {
    pub path: PathBuf,
    /// `create`, `update` or `unchanged`.
    pub change: &'static str,
    pub backup: Option<PathBuf>,
    pub team: TeamFile,
}

impl Report for TeamInitReport {
    fn render(&self, ui: &Ui) {
        match self.change {
            "unchanged" => ui.ok(&format!("{} is already up to date", self.path.display())),
            _ => ui.ok(&format!("Wrote {}", self.path.display())),
        }
        if let Some(b) = &self.backup {
            ui.info(&format!("backup of the previous file: {}", b.display()));
        }
        ui.out(&self.path.display().to_string());
        ui.info("Commit it; then `aigate team invite NAME` mints a token for each developer.");
    }
}

pub fn init(ctx: &Context) -> anyhow::Result<TeamInitReport> {
    let profile = ctx.require_profile()?;
    let root = file::repo_root(&ctx.env.cwd).ok_or_else(|| {
        anyhow::Error::from(
            Failure::new(Kind::Other, "not inside a git repository")
                .with_hint("run `aigate team init` inside the repository the team shares"),
        )
    })?;
    let team = TeamFile {
        account_id: profile.account_id.clone(),
        gateway_id: profile.gateway_id.clone(),
        billing: profile.billing,
        model: profile.model.clone(),
        small_model: Some(profile.small_model.clone()),
        // The profile's route: its models after the default one.
        fallback_models: profile
            .route
            .as_ref()
            .map(|r| r.models.iter().skip(1).cloned().collect())
            .unwrap_or_default(),
        allowed_providers: match profile.billing {
            Billing::Byok => profile.byok_providers.clone(),
            Billing::Unified => vec![],
        },
        spend_limit: profile.spend_limit.clone(),
        clients: vec!["opencode".to_string()],
    };
    let path = root.join(FILE_NAME);
    let before = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    };
    let change = FileChange {
        path: path.clone(),
        after: Some(team.to_toml().into_bytes()),
        mode: Some(0o644),
        backup: true,
        sensitive: false,
        before,
        rebase: None,
    };
    let word = match (&change.before, change.is_noop()) {
        (_, true) => "unchanged",
        (None, _) => "create",
        (Some(_), _) => "update",
    };
    let mut backup = None;
    if !change.is_noop() {
        let mut txn = Transaction::new();
        backup = txn.apply(&change)?;
        txn.commit();
    }
    Ok(TeamInitReport {
        path,
        change: word,
        backup,
        team,
    })
}
