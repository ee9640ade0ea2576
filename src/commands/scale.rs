//! `scale SERVICE=NUM...`: set the replica counts, then create and start those services (and
//! their dependencies unless `--no-deps`), as `up -d SERVICE... --scale ...` does.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::{ScaleArgs, UpArgs};
use crate::plan::control::parse_scale_args;

pub async fn run(ctx: &Context, args: ScaleArgs) -> Result<ExitCode> {
    let wanted = parse_scale_args(&args.scale)?;
    let up = UpArgs {
        detach: true,
        no_deps: args.no_deps,
        scale: wanted.iter().map(|(s, n)| format!("{s}={n}")).collect(),
        services: wanted.into_iter().map(|(s, _)| s).collect(),
        ..Default::default()
    };
    super::up::run(ctx, up).await
}
