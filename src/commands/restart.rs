//! `restart`: restart the containers of the selected services (stopped ones too) in dependency
//! order, extended with their `restart: true` dependents unless `--no-deps`. Never applies
//! configuration changes. Works from labels alone with `-p NAME`.

use anyhow::Result;

use super::{Context, ExitCode, ProjectOrName};
use crate::cli::RestartArgs;
use crate::engine::executor::execute;
use crate::plan::control::{RestartDependency, plan_restart, restart_dependencies_from_label};
use crate::plan::observed::labels;

pub async fn run(ctx: &Context, args: RestartArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, graph) = target.observe(&engine).await?;
    let services: Vec<(String, Vec<RestartDependency>)> = match &target {
        ProjectOrName::Project(p) => p
            .services
            .iter()
            .chain(
                p.disabled_services
                    .iter()
                    .filter(|(k, _)| args.services.contains(k)),
            )
            .map(|(k, s)| {
                let deps = s
                    .depends_on
                    .iter()
                    .map(|(d, dep)| RestartDependency {
                        service: d.clone(),
                        condition: dep.condition,
                        required: dep.required,
                        restart: dep.restart,
                    })
                    .collect();
                (k.clone(), deps)
            })
            .collect(),
        ProjectOrName::Name(_) => graph
            .order()
            .iter()
            .map(|svc| {
                let deps = observed
                    .service_containers(svc)
                    .first()
                    .and_then(|c| c.label(labels::DEPENDS_ON))
                    .map(restart_dependencies_from_label)
                    .unwrap_or_default();
                (svc.clone(), deps)
            })
            .collect(),
    };
    let plan = plan_restart(
        &services,
        &observed,
        &args.services,
        args.no_deps,
        args.timeout,
    )?;
    let r = execute(&engine, &plan, &ctx.progress).await;
    ctx.progress.finish();
    r?;
    Ok(0)
}
