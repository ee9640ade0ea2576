//! `attach SERVICE`: streams a service container's output (the lowest-numbered one, or
//! `--index N`) and forwards our stdin to it unless `--no-stdin`, until it exits or detaches.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::AttachArgs;
use crate::engine::query::service_container;
use crate::engine::run::attach;
use crate::output::terminal::{stdin_chunks, write_raw};

pub async fn run(ctx: &Context, args: AttachArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(&args.service))?;
    let engine = ctx.engine().await?;
    let container = service_container(&engine, target.name(), &args.service, args.index).await?;
    let stdin = (!args.no_stdin).then(stdin_chunks);
    let mut out = |stderr: bool, bytes: &[u8]| write_raw(stderr, bytes);
    attach(
        &engine,
        &container.id,
        stdin,
        args.detach_keys.clone(),
        &mut out,
    )
    .await?;
    Ok(0)
}
