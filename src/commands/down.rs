//! `down`: stop and remove the project's containers, then its networks, and with `-v` its
//! volumes. Works from labels alone with `-p NAME`.

use anyhow::{Result, bail};

use super::{Context, ExitCode, ProjectOrName};
use crate::cli::DownArgs;
use crate::engine::executor::execute;
use crate::engine::query::project_images;
use crate::plan::{DownOptions, RemoveImages, images_to_remove, plan_down};
use crate::settings;

pub async fn run(ctx: &Context, args: DownArgs) -> Result<ExitCode> {
    let rmi = match &args.rmi {
        None => None,
        Some(r) => match RemoveImages::parse(r) {
            Some(mode) => Some(mode),
            None => bail!("invalid value for --rmi: {r:?}"),
        },
    };
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, graph) = target.observe(&engine).await?;
    let remove_orphans = args.remove_orphans || ctx.flag(settings::COMPOSE_REMOVE_ORPHANS);
    let opts = match &target {
        ProjectOrName::Project(p) => DownOptions {
            services: args.services.clone(),
            volumes: args.volumes,
            remove_orphans,
            timeout: args.timeout,
            known_services: Some(p.all_service_names().map(str::to_string).collect()),
            networks: Some(
                p.networks
                    .values()
                    .filter(|n| !n.external)
                    .map(|n| n.name.clone())
                    .collect(),
            ),
            named_volumes: Some(
                p.volumes
                    .values()
                    .filter(|v| !v.external)
                    .map(|v| v.name.clone())
                    .collect(),
            ),
            images: Vec::new(),
        },
        ProjectOrName::Name(_) => DownOptions {
            services: args.services.clone(),
            volumes: args.volumes,
            remove_orphans,
            timeout: args.timeout,
            known_services: None,
            networks: None,
            named_volumes: None,
            images: Vec::new(),
        },
    };
    let mut opts = opts;
    if let Some(mode) = rmi {
        let going: Vec<String> = if args.services.is_empty() {
            graph.order().to_vec()
        } else {
            graph.with_dependents(&args.services)
        };
        // What each service runs: the file's `image:` (None when built under the default
        // name), or in label-only mode the image its containers were made from.
        let services: Vec<(String, Option<String>)> = going
            .iter()
            .map(|s| {
                let image = match &target {
                    ProjectOrName::Project(p) => p.services.get(s).and_then(|s| s.image.clone()),
                    ProjectOrName::Name(_) => observed
                        .service_containers(s)
                        .first()
                        .map(|c| c.image.clone()),
                };
                (s.clone(), image)
            })
            .collect();
        let labelled = project_images(&engine, target.name()).await?;
        opts.images = images_to_remove(
            mode,
            target.name(),
            &services,
            &labelled,
            remove_orphans && args.services.is_empty(),
        );
    }
    let plan = plan_down(&graph, &observed, &opts);
    if plan.is_empty() {
        crate::output::warn(&format!(
            "Warning: No resource found to remove for project {:?}.",
            target.name()
        ));
        return Ok(0);
    }
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
