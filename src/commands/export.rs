//! `export SERVICE`: a service container's filesystem as a tar archive, to `-o FILE` or to
//! stdout (never to a terminal).

use std::io::IsTerminal;

use anyhow::{Context as _, Result, bail};

use super::{Context, ExitCode};
use crate::cli::ExportArgs;
use crate::engine::query::find_containers;
use crate::engine::service_ops::export;

pub async fn run(ctx: &Context, args: ExportArgs) -> Result<ExitCode> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(&args.service))?;
    let engine = ctx.engine().await?;
    let number = (args.index > 0).then_some(args.index);
    let found = find_containers(
        &engine,
        target.name(),
        Some(&args.service),
        number,
        Some(false),
        true,
    )
    .await?;
    let Some(container) = found.into_iter().next() else {
        match number {
            Some(n) => bail!("service {:?} has no container #{n}", args.service),
            None => bail!("service {:?} has no container", args.service),
        }
    };
    match &args.output {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("failed to export container: {}", path.display()))?;
            export(&engine, &container.id, &mut file).await?;
        }
        None => export(&engine, &container.id, &mut std::io::stdout().lock()).await?,
    }
    Ok(0)
}
