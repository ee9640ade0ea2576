//! `top [SERVICE...]`: for each running container of the project, a line with its name and
//! then the processes running in it as the engine's top API reports them.

use std::io::Write;

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::TopArgs;
use crate::engine::inspect::top;
use crate::output::table::tabwrite_min;

pub async fn run(ctx: &Context, args: TopArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let results = top(&engine, target.name(), &args.services).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in &results {
        let titles: Vec<&str> = r.titles.iter().map(String::as_str).collect();
        writeln!(out, "{}", r.name)?;
        write!(out, "{}", tabwrite_min(&titles, &r.processes, 5))?;
        writeln!(out)?;
    }
    Ok(0)
}
