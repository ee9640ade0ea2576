//! `commit SERVICE [REPOSITORY[:TAG]]`: a new image from a running service container's
//! changes (`docker commit` for the container `--index` picks).

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::CommitArgs;
use crate::engine::query::service_container;
use crate::engine::service_ops::{CommitRequest, commit};
use crate::model::image::ImageRef;
use crate::output::progress::{Event, Status};

pub async fn run(ctx: &Context, args: CommitArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(&args.service))?;
    let engine = ctx.engine().await?;
    let container = service_container(&engine, target.name(), &args.service, args.index).await?;
    let (repo, tag) = match args.reference.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => {
            let image = ImageRef::parse(r);
            (Some(image.name.to_string()), image.tag.map(str::to_string))
        }
        None => (None, None),
    };
    let event = |status, text: &str| {
        ctx.progress
            .event(Event::new("Container", &container.name, status, text))
    };
    if ctx.global.dry_run {
        event(Status::Done, "Would be committed (dry run)");
        ctx.progress.finish();
        return Ok(0);
    }
    event(Status::Working, "Committing");
    let result = commit(
        &engine,
        &CommitRequest {
            container: container.id.clone(),
            repo,
            tag,
            author: args.author.clone(),
            message: args.message.clone(),
            changes: args.change.clone(),
            pause: args.pause,
        },
    )
    .await;
    match result {
        Ok(id) => {
            event(Status::Done, &format!("Committed as {id}"));
            ctx.progress.finish();
            Ok(0)
        }
        Err(e) => {
            event(Status::Error, "Error");
            ctx.progress.finish();
            Err(e.into())
        }
    }
}
