//! `aigate setup`: gather the plan (flags or prompts), show it, apply it, prove it works.
//! `--dry-run` stops after the plan and reports it; anything that fails is an error (the one
//! error document under `--json`), except the final test prompt, which is part of the report.

use crate::cli::{BillingArg, SetupArgs};
use crate::context::{Context, profile_flag};
use crate::domain::{Billing, StoreKind, TokenDelivery};
use crate::exit::{Failure, Kind};
use crate::ops::test::TestReport;
use crate::prompt;
use crate::report::Report;
use crate::ui::Ui;
use crate::wizard::{Plan, apply, finish, gather};
use serde::Serialize;
use std::path::PathBuf;

/// What `setup` did (or, with `--dry-run`, would do).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SetupReport {
    Planned(Box<PlanReport>),
    Applied(Box<AppliedReport>),
}

/// The parts of the plan both shapes share.
#[derive(Debug, Serialize)]
pub struct PlanSummary {
    pub profile: String,
    pub account_id: String,
    pub gateway_id: String,
    pub gateway_created: bool,
    pub billing: Billing,
    pub byok_providers: Vec<String>,
    pub model: String,
    pub small_model: String,
    pub token_store: StoreKind,
    pub token_delivery: TokenDelivery,
    pub token_source: &'static str,
    pub token_expires_on: Option<String>,
    /// Which token is stored: minted by aigate (id, permissions) or the one given (and why).
    pub stored_token: Option<crate::state::StoredToken>,
    pub opencode_config: PathBuf,
    pub auth_json: Option<PathBuf>,
    pub sandbox_dir: Option<PathBuf>,
    /// The spend limit and the fallback route (`--spend-limit`, `--fallback-model`).
    pub policies: crate::wizard::policies::PoliciesPlan,
}

/// `--dry-run`: the plan, nothing changed.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    /// Always `true`.
    pub dry_run: bool,
    #[serde(flatten)]
    pub plan: PlanSummary,
    /// The plan in words, one line per thing that would be created, stored or written.
    pub changes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct AppliedReport {
    /// Always `false`.
    pub dry_run: bool,
    #[serde(flatten)]
    pub plan: PlanSummary,
    /// How many models the gateway lists.
    pub models: usize,
    /// The test prompt (`null` with `--skip-test`).
    pub test: Option<TestReport>,
    pub files_written: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
    /// What is now connected, in words ("OpenCode → gateway `x` in account Acme, ...").
    pub connected: String,
    /// The agents set up (`--client`).
    pub clients: Vec<crate::agents::Agent>,
    /// How to launch each agent other than OpenCode.
    #[serde(skip)]
    pub launch_lines: Vec<String>,
    /// The spend limit, the route and which clients call it, for the closing lines.
    #[serde(skip)]
    pub policy_lines: Vec<String>,
    /// `--keep-sandbox`: the sandbox's directory stays.
    #[serde(skip)]
    pub sandbox_kept: bool,
    #[serde(skip)]
    pub exit_code: i32,
}

pub fn setup(ctx: &Context, args: &SetupArgs) -> anyhow::Result<SetupReport> {
    if !args.byok_keys.is_empty() && args.billing == Some(BillingArg::Unified) {
        return Err(Failure::usage("--byok-key only goes with --billing byok").into());
    }
    if let Some(p) = crate::domain::ByokKeySpec::duplicate(&args.byok_keys) {
        return Err(Failure::usage(format!("--byok-key names {p} twice")).into());
    }
    if let Some(s) = &ctx.sandbox {
        ctx.ui.note(&format!(
            "Sandbox: talking to the embedded Cloudflare emulator; files go to {}",
            s.dir.display()
        ));
    }
    // Inside a repository with an aigate.toml, its answers fill in the flags.
    let team = crate::team::setup::find(ctx)?;
    let team_args;
    let args = match &team {
        Some((path, t)) => {
            team_args = crate::team::setup::answers(ctx, path, t, args)?;
            &team_args
        }
        None => args,
    };
    let mut prompter = prompt::for_run(args.non_interactive);
    let sandbox_args;
    let args = if ctx.sandbox.is_some() && !prompter.interactive() {
        sandbox_args = sandbox_defaults(args);
        ctx.ui
            .note("Sandbox without a terminal: unanswered questions take the sandbox's defaults.");
        &sandbox_args
    } else {
        args
    };
    let plan = gather::gather(ctx, args, prompter.as_mut()).map_err(|e| match &team {
        Some((path, t)) => crate::team::setup::refusal(path, t, e),
        None => e,
    })?;
    ctx.ui.heading(if args.dry_run {
        "Plan (dry run: nothing will be changed)"
    } else {
        "Plan"
    });
    for line in plan.describe() {
        ctx.ui.info(&line);
    }
    if args.dry_run {
        return Ok(SetupReport::Planned(Box::new(PlanReport {
            dry_run: true,
            plan: summary(ctx, &plan),
            changes: plan.describe(),
        })));
    }
    if prompter.interactive() && !prompter.confirm("Apply this plan?", true, "--non-interactive")? {
        return Err(Failure::new(Kind::Other, "the plan was declined; nothing was changed").into());
    }
    let report = carry_out(ctx, plan)?;
    if let Some(s) = ctx.sandbox.as_ref().filter(|s| s.keep) {
        ctx.ui.note(&format!(
            "Sandbox directory {} (kept: --keep-sandbox)",
            s.dir.display()
        ));
    }
    Ok(SetupReport::Applied(Box::new(report)))
}

/// Apply the plan, then list the models and send the test prompt (unless `--skip-test`).
fn carry_out(ctx: &Context, mut plan: Plan) -> anyhow::Result<AppliedReport> {
    let client = ctx.client(plan.token.clone())?;
    ctx.ui.heading("Applying");
    let applied = apply::apply(ctx, &client, &mut plan)?;
    // From here on, the stored token (a minted one proves itself with the test prompt).
    let client = ctx.client(plan.token.clone())?;
    let plan = &plan;
    let mut report = AppliedReport {
        dry_run: false,
        plan: summary(ctx, plan),
        models: plan.models.models.len(),
        test: None,
        files_written: applied.files_written,
        backups: applied.backups,
        connected: finish::connected_line(plan),
        clients: plan.clients.agents.clone(),
        launch_lines: crate::wizard::clients::launch_lines(
            &plan.clients,
            &profile_flag(&plan.profile),
        ),
        policy_lines: plan.policy_closing(),
        sandbox_kept: ctx.sandbox.as_ref().is_some_and(|s| s.keep),
        exit_code: crate::exit::SUCCESS,
    };
    if plan.run_test {
        ctx.ui.heading("Checking the gateway");
        let checked = finish::check(ctx, &client, plan)?;
        report.models = checked.models;
        report.test = Some(match checked.test {
            Ok(o) => TestReport::answered(&plan.test_model(), &o),
            Err(e) => {
                let (a, g) = (&plan.account.id, &plan.gateway_id);
                let e = crate::ops::policy::explain_refusal(ctx, &client, a, g, e);
                ctx.ui.error(&format!("the test prompt failed: {e:#}"));
                if let Some(h) = crate::error::hint_of(&e) {
                    ctx.ui.hint(&h);
                }
                report.exit_code = crate::error::exit_code_for(&e);
                TestReport::failed(&plan.test_model(), &e)
            }
        });
    }
    Ok(report)
}

fn summary(ctx: &Context, plan: &Plan) -> PlanSummary {
    PlanSummary {
        profile: plan.profile.clone(),
        account_id: plan.account.id.clone(),
        gateway_id: plan.gateway_id.clone(),
        gateway_created: plan.gateway_created(),
        billing: plan.billing.arg(),
        byok_providers: plan.billing.providers(),
        model: plan.model.clone(),
        small_model: plan.small_model.clone(),
        token_store: plan.store.kind(),
        token_delivery: plan.delivery,
        token_source: plan.token_source.describe(),
        token_expires_on: plan.token_info.expires_on.map(|e| e.to_rfc3339()),
        stored_token: plan.new_profile.stored_token.clone(),
        opencode_config: plan.config_change.path.clone(),
        auth_json: plan.auth_change.as_ref().map(|c| c.path.clone()),
        sandbox_dir: ctx.sandbox.as_ref().map(|s| s.dir.clone()),
        policies: plan.policies.clone(),
    }
}

/// A scripted sandbox run (no terminal) answers what the flags leave open with the demo
/// account's values, so `aigate setup --sandbox` shows every step anywhere.
fn sandbox_defaults(args: &SetupArgs) -> SetupArgs {
    use crate::emulator::sandbox;
    let mut a = args.clone();
    a.account_id
        .get_or_insert_with(|| crate::domain::AccountId::known(sandbox::ACCOUNT_ID));
    a.gateway
        .get_or_insert_with(|| crate::domain::GatewayId::known(sandbox::DEFAULT_GATEWAY_ID));
    a.billing.get_or_insert(if a.byok_keys.is_empty() {
        BillingArg::Unified
    } else {
        BillingArg::Byok
    });
    a
}

impl Report for SetupReport {
    fn render(&self, ui: &Ui) {
        match self {
            // The plan was already shown as it was gathered.
            SetupReport::Planned(_) => ui.note("Dry run: nothing was changed."),
            SetupReport::Applied(r) => r.render(ui),
        }
    }

    fn exit_code(&self) -> i32 {
        match self {
            SetupReport::Planned(_) => crate::exit::SUCCESS,
            SetupReport::Applied(r) => r.exit_code,
        }
    }
}

impl AppliedReport {
    fn render(&self, ui: &Ui) {
        if self.test.as_ref().is_some_and(|t| !t.ok) {
            ui.info("Setup itself was saved; fix the problem above and run `aigate test`.");
        }
        ui.heading("Done");
        ui.ok(&self.connected);
        for line in &self.policy_lines {
            ui.info(line);
        }
        let pf = profile_flag(&self.plan.profile);
        if let Some(dir) = &self.plan.sandbox_dir {
            if self.sandbox_kept {
                ui.info("That was the sandbox: nothing outside its directory (kept, above) was touched.");
            } else {
                ui.info(&format!(
                    "That was the sandbox: nothing outside {} was touched, and it is removed now (--keep-sandbox keeps it).",
                    dir.display()
                ));
            }
            ui.info("Run `aigate setup` (without --sandbox) to connect your Cloudflare account.");
            return;
        }
        let launch = match self.plan.token_delivery {
            TokenDelivery::Env => format!("aigate{pf} run -- opencode"),
            TokenDelivery::OpencodeAuth => {
                "opencode   (the token is in OpenCode's auth.json)".to_string()
            }
        };
        ui.info(&format!("Launch OpenCode:   {launch}"));
        for line in &self.launch_lines {
            ui.info(line);
        }
        ui.info(&format!("Check the setup:   aigate{pf} status"));
    }
}
