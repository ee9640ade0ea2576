//! `rm`: remove the stopped containers of the selected services (one-off containers are kept,
//! as in compose). `-s` stops them first; without `-f` it asks for confirmation on stdin.
//! Works from labels alone with `-p NAME`.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::RmArgs;
use crate::engine::control::is_running;
use crate::engine::executor::execute;
use crate::output::console;
use crate::plan::control::{plan_rm, removable};
use crate::plan::plan_stop;

pub async fn run(ctx: &Context, args: RmArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (mut observed, graph) = target.observe(&engine).await?;
    if args.stop {
        let plan = plan_stop(&graph, &observed, &args.services, None);
        let r = execute(&engine, &plan, &ctx.progress).await;
        ctx.progress.finish();
        r?;
        observed = target.observe(&engine).await?.0;
    }
    // The listing may be stale: compose inspects each candidate again.
    let mut stopped = Vec::new();
    for c in removable(&observed, &target.selection(&args.services)) {
        if is_running(&engine, &c.id).await? == Some(false) {
            stopped.push(c);
        }
    }
    if stopped.is_empty() {
        console::notice("No stopped containers");
        return Ok(0);
    }
    let names: Vec<&str> = stopped.iter().map(|c| c.name.as_str()).collect();
    let message = format!("Going to remove {}", names.join(", "));
    if args.force {
        console::line(&message);
    } else if !console::confirm(&message).await? {
        return Ok(0);
    }
    let plan = plan_rm(&stopped, args.volumes);
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
