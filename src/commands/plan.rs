//! `plan` (and `up --dry-run`): every action `up` would take, in order, with the reasons for
//! recreates, stops and removals; nothing is changed on the engine.

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::PlanArgs;
use crate::model::Project;
use crate::plan::explain::explain;
use crate::plan::{ObservedState, Plan};

pub async fn run(ctx: &Context, args: PlanArgs) -> Result<ExitCode> {
    check_format(&args.format)?;
    let mut up = args.up;
    up.plan_format = Some(args.format);
    super::up::run(ctx, up).await
}

fn check_format(format: &str) -> Result<()> {
    if !matches!(format, "text" | "json") {
        bail!("invalid --format {format:?}: expected text or json");
    }
    Ok(())
}

/// Prints the explained plan to stdout: one line per action, or a JSON array.
pub fn print(project: &Project, observed: &ObservedState, plan: &Plan, format: &str) -> Result<()> {
    check_format(format)?;
    let explained = explain(plan, project, observed);
    if format == "json" {
        println!("{}", serde_json::to_string(&explained)?);
        return Ok(());
    }
    if explained.is_empty() {
        println!("nothing to do");
    }
    for e in &explained {
        println!("{}", e.line());
    }
    Ok(())
}
