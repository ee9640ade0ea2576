//! `start`: start the existing containers of the selected services and their dependencies,
//! waiting for dependency conditions; never creates containers.

use anyhow::Result;

use super::{Context, ExitCode, ProjectOrName};
use crate::cli::StartArgs;
use crate::engine::executor::execute;
use crate::engine::wait::wait_running_or_healthy;
use crate::model::service::Condition;
use crate::plan::observed::{labels, parse_depends_on_label};
use crate::plan::plan_start;

pub async fn run(ctx: &Context, args: StartArgs) -> Result<ExitCode> {
    let target = ctx.project_or_name(&[])?;
    target.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let (observed, graph) = target.observe(&engine).await?;
    let conditions = |svc: &str| -> Vec<(String, Condition, bool)> {
        match &target {
            ProjectOrName::Project(p) => p
                .services
                .get(svc)
                .or_else(|| p.disabled_services.get(svc))
                .map(|s| {
                    s.depends_on
                        .iter()
                        .map(|(d, dep)| (d.clone(), dep.condition, dep.required))
                        .collect()
                })
                .unwrap_or_default(),
            ProjectOrName::Name(_) => observed
                .service_containers(svc)
                .first()
                .and_then(|c| c.label(labels::DEPENDS_ON))
                .map(|l| {
                    parse_depends_on_label(l)
                        .into_iter()
                        .map(|(d, c)| (d, c, true))
                        .collect()
                })
                .unwrap_or_default(),
        }
    };
    // With a model, `start` means its enabled services that have replicas.
    let selected: Vec<String> = match (&target, args.services.is_empty()) {
        (ProjectOrName::Project(p), true) => p
            .services
            .iter()
            .filter(|(_, s)| s.replicas() > 0)
            .map(|(k, _)| k.clone())
            .collect(),
        _ => args.services.clone(),
    };
    let plan = plan_start(&graph, &observed, &selected, &conditions)?;
    let r = execute(&engine, &plan, &ctx.progress).await;
    if r.is_ok()
        && args.wait
        && let ProjectOrName::Project(p) = &target
    {
        let r = wait_running_or_healthy(&engine, p, &ctx.progress, args.wait_timeout).await;
        ctx.progress.finish();
        r?;
        return Ok(0);
    }
    ctx.progress.finish();
    r?;
    Ok(0)
}
