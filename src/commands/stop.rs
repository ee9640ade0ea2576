//! `stop`: stop the project's containers in reverse dependency order, keeping them.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::StopArgs;
use crate::engine::executor::execute;
use crate::plan::plan_stop;

pub async fn run(ctx: &Context, args: StopArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, graph) = target.observe(&engine).await?;
    let plan = plan_stop(&graph, &observed, &args.services, args.timeout);
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
