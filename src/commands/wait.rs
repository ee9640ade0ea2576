//! `wait SERVICE...`: block until the running containers of the services (one-offs included)
//! exit, print `container "<id>" exited with status code N` for each, and exit with the last
//! code. `--down-project` then takes the project down, orphans included.

use anyhow::{Result, bail};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::{Context, ExitCode};
use crate::cli::WaitArgs;
use crate::engine::control::wait_exit;
use crate::engine::executor::execute;
use crate::engine::observe::{Lookups, observe};
use crate::output::console;
use crate::plan::control::wait_targets;
use crate::plan::{DownOptions, plan_down};

/// Exit status when waiting itself failed (compose's value).
const WAIT_FAILED: ExitCode = 42;

pub async fn run(ctx: &Context, args: WaitArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, _) = target.observe(&engine).await?;
    let containers = wait_targets(&observed, &args.services);
    if containers.is_empty() {
        bail!("no containers for project {:?}", target.name());
    }
    let mut waits: FuturesUnordered<_> = containers
        .iter()
        .map(|c| {
            let engine = &engine;
            async move { (c.id.clone(), wait_exit(engine, &c.id).await) }
        })
        .collect();
    let mut code: i64 = 0;
    while let Some((id, result)) = waits.next().await {
        match result {
            Ok(n) => {
                console::line(&format!("container {id:?} exited with status code {n}"));
                code = n;
            }
            Err(e) => {
                console::notice(&e.to_string());
                return Ok(WAIT_FAILED);
            }
        }
    }
    if args.down_project {
        let observed = observe(&engine, target.name(), &Lookups::default()).await?;
        let opts = DownOptions {
            remove_orphans: true,
            ..Default::default()
        };
        let plan = plan_down(&observed.label_graph(), &observed, &opts);
        let r = execute(&engine, &plan, &ctx.progress).await;
        ctx.progress.finish();
        r?;
    }
    Ok(code.clamp(0, 255) as ExitCode)
}
