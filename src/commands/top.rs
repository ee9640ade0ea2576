//! `top [SERVICE...]`: the processes running in the project's running containers, in one
//! table as compose prints it.

use std::io::Write;

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::TopArgs;
use crate::engine::inspect::top;
use crate::output::top::{TopContainer, top_table};

pub async fn run(ctx: &Context, args: TopArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let results = top(&engine, target.name(), &args.services).await?;
    let containers: Vec<TopContainer> = results
        .iter()
        .map(|r| TopContainer {
            service: &r.service,
            number: &r.number,
            titles: &r.titles,
            processes: &r.processes,
        })
        .collect();
    write!(std::io::stdout().lock(), "{}", top_table(&containers))?;
    Ok(0)
}
