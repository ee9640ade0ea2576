//! `push [SERVICE...]`: push the images of the services that build one and name it
//! (`image:` plus `build.tags`), with the registry credentials of the docker config.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::PushArgs;

pub async fn run(ctx: &Context, args: PushArgs) -> Result<ExitCode> {
    let project = ctx.load(&args.services)?;
    project.check_services(&args.services)?;
    let services: Vec<String> = if args.services.is_empty() {
        project.services.keys().cloned().collect()
    } else if args.include_deps {
        project.graph.with_dependencies(&args.services)
    } else {
        args.services.clone()
    };
    let engine = ctx.engine().await?;
    let r = super::build::push_services(
        ctx,
        &engine,
        &project,
        &services,
        args.quiet,
        args.ignore_push_failures,
    )
    .await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
