//! `plan` (and `up --dry-run`): every action `up` would take, in order, with the reasons for
//! recreates, stops and removals; nothing is changed on the engine.

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::PlanArgs;

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
