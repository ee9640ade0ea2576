//! `pause` / `unpause`: pause or unpause the running containers of the selected services.
//! Pausing an already paused container fails as the engine says; no container is a no-op.
//! Works from labels alone with `-p NAME`.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::PauseArgs;
use crate::engine::executor::execute;
use crate::plan::control::plan_pause;

/// `pause` when `pause` is true, else `unpause`.
pub async fn run(ctx: &Context, args: PauseArgs, pause: bool) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, _) = target.observe(&engine).await?;
    let plan = plan_pause(&observed, &target.selection(&args.services), pause);
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
