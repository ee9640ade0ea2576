//! `kill`: send a signal (SIGKILL by default) to the running containers of the selected
//! services, one-off containers included. Works from labels alone with `-p NAME`.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::KillArgs;
use crate::engine::executor::execute;
use crate::output::console;
use crate::plan::control::plan_kill;
use crate::settings;

pub async fn run(ctx: &Context, args: KillArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let remove_orphans = args.remove_orphans || ctx.flag(settings::COMPOSE_REMOVE_ORPHANS);
    let engine = ctx.engine().await?;
    let (observed, _) = target.observe(&engine).await?;
    let plan = plan_kill(
        &observed,
        &target.selection(&args.services),
        remove_orphans,
        &args.signal,
    );
    if plan.is_empty() {
        console::notice("No container to kill");
        return Ok(0);
    }
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
