//! `graph`: the project's services, dependency conditions, networks and volumes as text, dot or
//! mermaid. Reads only the model; never touches the engine.

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::GraphArgs;
use crate::output::console;
use crate::output::graph::{Format, Graph, render};

pub fn run(ctx: &Context, args: GraphArgs) -> Result<ExitCode> {
    let Some(format) = Format::parse(&args.format) else {
        bail!(
            "invalid --format {:?}: expected text, dot or mermaid",
            args.format
        );
    };
    let project = ctx.load(&[])?;
    console::text(&render(&Graph::from_project(&project), format));
    Ok(0)
}
