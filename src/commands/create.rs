//! `create`: `up --no-start` under its own name and flags: create what is missing and recreate
//! what changed, start nothing.

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::{CreateArgs, UpArgs};

pub async fn run(ctx: &Context, args: CreateArgs) -> Result<ExitCode> {
    let up = UpArgs {
        no_start: true,
        build: args.build,
        no_build: args.no_build,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        pull: args.pull,
        quiet_pull: args.quiet_pull,
        remove_orphans: args.remove_orphans,
        scale: args.scale,
        yes: args.yes,
        services: args.services,
        ..Default::default()
    };
    super::up::run(ctx, up).await
}
