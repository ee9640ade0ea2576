//! `commit SERVICE [REPOSITORY[:TAG]]`: a new image from a running service container's
//! changes (`docker commit` for the container `--index` picks).

use anyhow::Result;

use super::{Context, ExitCode};
use crate::cli::CommitArgs;
use crate::engine::query::service_container;
use crate::engine::service_ops::{CommitRequest, commit};
use crate::output::progress::{Event, Status};

/// Splits `repo[:tag]` (a `:` before the last `/` belongs to a registry port).
fn split_reference(reference: &str) -> (String, Option<String>) {
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            reference[..last_slash + i].to_string(),
            Some(reference[last_slash + i + 1..].to_string()),
        ),
        None => (reference.to_string(), None),
    }
}

pub async fn run(ctx: &Context, args: CommitArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(&args.service))?;
    let engine = ctx.engine().await?;
    let container = service_container(&engine, target.name(), &args.service, args.index).await?;
    let (repo, tag) = match args.reference.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => {
            let (repo, tag) = split_reference(r);
            (Some(repo), tag)
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

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references_split_at_the_tag_colon_only() {
        assert_eq!(split_reference("app"), ("app".into(), None));
        assert_eq!(split_reference("app:v1"), ("app".into(), Some("v1".into())));
        assert_eq!(
            split_reference("localhost:5000/app"),
            ("localhost:5000/app".into(), None)
        );
        assert_eq!(
            split_reference("localhost:5000/app:v2"),
            ("localhost:5000/app".into(), Some("v2".into()))
        );
    }
}
