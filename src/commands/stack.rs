//! `stack deploy|ls|services|ps|rm|config`: compose files to a Docker Swarm, as `docker stack`
//! does it (same names, labels, lines and exit codes), from the model rcompose loads.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use futures::StreamExt;

use super::{Context, ExitCode, load_error};
use crate::cli::stack::{
    StackArgs, StackCommand, StackConfigArgs, StackDeployArgs, StackPsArgs, StackRmArgs,
    StackServicesArgs,
};
use crate::engine::stack as swarm;
use crate::model::host::FileSource;
use crate::model::{self, LoadOptions, Project};
use crate::output::stack::{ServiceRow, StackRow, TaskRow};
use crate::plan::stack::{self as plan, DeployOptions, StackAction};

pub async fn run(ctx: &Context, args: StackArgs) -> Result<ExitCode> {
    match args.command {
        StackCommand::Deploy(a) => deploy(ctx, a).await,
        StackCommand::Ls(a) => {
            let engine = ctx.engine().await?;
            swarm::ensure_manager(&engine).await?;
            let rows: Vec<StackRow> = swarm::list_stacks(&engine)
                .await?
                .into_iter()
                .map(|(name, services)| StackRow { name, services })
                .collect();
            print!(
                "{}",
                crate::output::stack::stacks(&rows, a.format.as_deref())
                    .map_err(anyhow::Error::msg)?
            );
            Ok(0)
        }
        StackCommand::Services(a) => services(ctx, a).await,
        StackCommand::Ps(a) => ps(ctx, a).await,
        StackCommand::Rm(a) => rm(ctx, a).await,
        StackCommand::Config(a) => config(ctx, a),
    }
}

/// Loads the files as one project named after the stack (so names come out `<stack>_<x>`).
fn load(ctx: &Context, files: &[std::path::PathBuf], stack: &str) -> Result<Project> {
    if !model::is_valid_project_name(stack) {
        bail!(
            "invalid stack name {stack:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        );
    }
    if files.is_empty() {
        bail!("Please specify a Compose file (with --compose-file).");
    }
    let opts = LoadOptions {
        files: files.to_vec(),
        project_name: Some(stack.to_string()),
        cwd: ctx.cwd.clone(),
        os_env: ctx.env.clone(),
        skip_canonical: false,
        ..Default::default()
    };
    let project = model::load(&opts).map_err(load_error)?;
    // The docker CLI needs `version:` in a stack file: no warning about it here.
    for w in project
        .warnings
        .iter()
        .filter(|w| !w.contains("`version` is obsolete"))
    {
        crate::output::warn(w);
    }
    Ok(project)
}

/// The contents of the stack's configs and secrets.
fn contents(project: &Project) -> Result<plan::Contents> {
    let mut out = plan::Contents::new();
    for (kind, key, src) in plan::sources(project) {
        let data = match src {
            FileSource::File(path) => std::fs::read(&path)
                .map_err(|e| anyhow!("{kind} {key}: cannot read {path}: {e}"))?,
            FileSource::Environment(value) => value.into_bytes(),
            FileSource::Content(text) => text.into_bytes(),
            FileSource::External(_) => continue,
        };
        out.insert((kind.to_string(), key), data);
    }
    Ok(out)
}

async fn deploy(ctx: &Context, a: StackDeployArgs) -> Result<ExitCode> {
    if !["always", "changed", "never"].contains(&a.resolve_image.as_str()) {
        bail!(
            "Invalid option {} for flag --resolve-image",
            a.resolve_image
        );
    }
    let project = load(ctx, &a.compose_file, &a.stack)?;
    let mut desired = plan::desired(&project, &contents(&project)?).map_err(anyhow::Error::msg)?;
    if !desired.unsupported.is_empty() {
        eprintln!(
            "Ignoring unsupported options: {}\n",
            desired.unsupported.join(", ")
        );
    }
    let engine = ctx.engine().await?;
    swarm::ensure_manager(&engine).await?;
    let observed = swarm::observe_stack(&engine, &a.stack).await?;
    if a.resolve_image != "never" && !a.dry_run {
        resolve_images(&engine, &mut desired, &observed, &a).await?;
    }
    let actions = plan::plan_deploy(&desired, &observed, DeployOptions { prune: a.prune })
        .map_err(anyhow::Error::msg)?;
    if a.dry_run {
        for act in &actions {
            println!("{}", act.describe());
        }
        return Ok(0);
    }
    // Networks, configs and secrets first, in order; then the services, several at a time
    // (their lines still in the plan's order).
    let split = actions
        .iter()
        .position(|x| {
            matches!(
                x,
                StackAction::CreateService(_)
                    | StackAction::UpdateService { .. }
                    | StackAction::KeepService { .. }
                    | StackAction::RemoveService { .. }
            )
        })
        .unwrap_or(actions.len());
    let mut done = Vec::new();
    for act in &actions[..split] {
        done.push(run_action(&engine, &a, act).await?);
    }
    let services: Vec<Result<_>> = futures::stream::iter(&actions[split..])
        .map(|act| run_action(&engine, &a, act))
        .buffered(8)
        .collect()
        .await;
    let mut touched = Vec::new();
    let mut first_error = None;
    for r in done.into_iter().map(Ok).chain(services) {
        match r {
            Ok((swarm::Done::Created(kind, name), before)) => {
                println!("Creating {kind} {name}");
                if kind == "service" {
                    touched.push((name, before));
                }
            }
            Ok((swarm::Done::Updated(name, id), before)) => {
                println!("Updating service {name} (id: {id})");
                touched.push((name, before));
            }
            Ok((swarm::Done::Removed(name), _)) => println!("Removing service {name}"),
            Ok((swarm::Done::Kept, _)) => {}
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(e) => eprintln!("{e:#}"),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if a.detach {
        return Ok(0);
    }
    converge(&engine, &touched, a.quiet).await
}

/// Runs one action; for a service update, also the IDs of its tasks before it.
async fn run_action(
    engine: &crate::engine::Engine,
    a: &StackDeployArgs,
    act: &StackAction,
) -> Result<(swarm::Done, HashSet<String>)> {
    let image = match act {
        StackAction::CreateService(s) | StackAction::UpdateService { service: s, .. } => {
            s.spec["TaskTemplate"]["ContainerSpec"]["Image"]
                .as_str()
                .map(str::to_string)
        }
        _ => None,
    };
    let creds = match (&image, a.with_registry_auth) {
        (Some(i), true) => swarm::credentials_for(engine, i).await?,
        _ => None,
    };
    let before = match act {
        StackAction::UpdateService { id, .. } => swarm::task_ids(engine, id).await?,
        _ => HashSet::new(),
    };
    Ok((swarm::apply(engine, &a.stack, act, creds).await?, before))
}

/// `--resolve-image`: pins each changed (or every) image to its registry digest; with no
/// registry reachable, warns once and leaves the local names, as the docker CLI does.
async fn resolve_images(
    engine: &crate::engine::Engine,
    desired: &mut plan::Desired,
    observed: &plan::ObservedStack,
    a: &StackDeployArgs,
) -> Result<()> {
    let mut unresolved = Vec::new();
    let mut resolved: BTreeMap<String, Option<String>> = BTreeMap::new();
    for svc in &mut desired.services {
        let image = svc.spec["TaskTemplate"]["ContainerSpec"]["Image"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if a.resolve_image == "changed" {
            let same = observed
                .services
                .iter()
                .any(|o| o.name == svc.name && o.labels.get(plan::IMAGE) == Some(&image));
            if same {
                continue;
            }
        }
        let creds = if a.with_registry_auth {
            swarm::credentials_for(engine, &image).await?
        } else {
            None
        };
        if !resolved.contains_key(&image) {
            let pinned = swarm::resolve_image(engine, &image, creds).await;
            resolved.insert(image.clone(), pinned);
        }
        match resolved[&image].clone() {
            Some(pinned) => {
                svc.spec["TaskTemplate"]["ContainerSpec"]["Image"] = pinned.into();
                let h = plan::spec_hash(&svc.spec);
                svc.spec["Labels"][plan::SPEC_HASH] = h.into();
            }
            None if !unresolved.contains(&image) => unresolved.push(image),
            None => {}
        }
    }
    if !unresolved.is_empty() {
        eprintln!(
            "image {} could not be accessed on a registry to record\nits digest. Each node will access {} independently,\npossibly leading to different nodes running different\nversions of the image.\n",
            unresolved.join(", "),
            unresolved.join(", ")
        );
    }
    Ok(())
}

/// `--detach=false`: waits until every created or updated service runs all its tasks,
/// printing each service's progress; fails with the error of a task that cannot run.
async fn converge(
    engine: &crate::engine::Engine,
    services: &[(String, HashSet<String>)],
    quiet: bool,
) -> Result<ExitCode> {
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let mut pending: Vec<&(String, HashSet<String>)> = services.iter().collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for entry in pending {
            let (name, before) = entry;
            let c = swarm::convergence(engine, name, before).await?;
            if let Some(err) = c.failure {
                bail!("service {name}: {err}");
            }
            let line = format!("{name}: {}/{} running", c.running, c.desired);
            if !quiet && last.get(name) != Some(&line) {
                eprintln!("{line}");
                last.insert(name.clone(), line);
            }
            if c.running < c.desired || c.desired == 0 && c.running > 0 {
                still.push(entry);
            } else if !quiet {
                eprintln!("{name}: converged");
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    Ok(0)
}

async fn services(ctx: &Context, a: StackServicesArgs) -> Result<ExitCode> {
    let engine = ctx.engine().await?;
    swarm::ensure_manager(&engine).await?;
    let list = swarm::services(&engine, &a.stack).await?;
    if list.is_empty() {
        eprintln!("Nothing found in stack: {}", a.stack);
        return Ok(0);
    }
    let mut rows = Vec::new();
    for s in list {
        let spec = s.spec.clone().unwrap_or_default();
        let name = spec.name.clone().unwrap_or_default();
        if !filters_match(&a.filter, &name, s.id.as_deref().unwrap_or_default()) {
            continue;
        }
        let status = s.service_status.clone().unwrap_or_default();
        let mode = spec.mode.clone().unwrap_or_default();
        let (mode, replicas) = if mode.global.is_some() {
            (
                "global",
                format!(
                    "{}/{}",
                    status.running_tasks.unwrap_or(0),
                    status.desired_tasks.unwrap_or(0)
                ),
            )
        } else if mode.replicated_job.is_some() {
            (
                "replicated job",
                format!(
                    "{}/{}",
                    status.running_tasks.unwrap_or(0),
                    status.desired_tasks.unwrap_or(0)
                ),
            )
        } else if mode.global_job.is_some() {
            (
                "global job",
                format!(
                    "{}/{}",
                    status.running_tasks.unwrap_or(0),
                    status.desired_tasks.unwrap_or(0)
                ),
            )
        } else {
            let want = mode.replicated.and_then(|r| r.replicas).unwrap_or(0);
            (
                "replicated",
                format!("{}/{want}", status.running_tasks.unwrap_or(0)),
            )
        };
        let image = spec
            .task_template
            .and_then(|t| t.container_spec)
            .and_then(|c| c.image)
            .unwrap_or_default();
        let ports: Vec<(String, Option<i64>, i64, String)> = s
            .endpoint
            .and_then(|e| e.ports)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                (
                    String::new(),
                    p.published_port,
                    p.target_port.unwrap_or(0),
                    p.protocol
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| "tcp".into()),
                )
            })
            .collect();
        rows.push(ServiceRow {
            id: s.id.unwrap_or_default().chars().take(12).collect(),
            name,
            mode: mode.into(),
            replicas,
            image: image.split('@').next().unwrap_or_default().to_string(),
            ports: crate::output::stack::service_ports(&ports),
        });
    }
    if a.quiet {
        for r in rows {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    print!(
        "{}",
        crate::output::stack::services(&rows, a.format.as_deref()).map_err(anyhow::Error::msg)?
    );
    Ok(0)
}

/// `--filter name=X` / `id=X` (prefix matches, as the engine's filters).
fn filters_match(filters: &[String], name: &str, id: &str) -> bool {
    filters.iter().all(|f| match f.split_once('=') {
        Some(("name", v)) => name.starts_with(v) || name.contains(v),
        Some(("id", v)) => id.starts_with(v),
        _ => true,
    })
}

async fn ps(ctx: &Context, a: StackPsArgs) -> Result<ExitCode> {
    let engine = ctx.engine().await?;
    swarm::ensure_manager(&engine).await?;
    let filters: Vec<(String, String)> = a
        .filter
        .iter()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (mut tasks, nodes) = swarm::tasks(&engine, &a.stack, &filters).await?;
    if tasks.is_empty() {
        eprintln!("nothing found in stack: {}", a.stack);
        return Ok(0);
    }
    let services = swarm::services(&engine, &a.stack).await?;
    let svc_name = |id: &str| {
        services
            .iter()
            .find(|s| s.id.as_deref() == Some(id))
            .and_then(|s| s.spec.as_ref().and_then(|x| x.name.clone()))
            .unwrap_or_else(|| id.to_string())
    };
    tasks.sort_by_key(|t| {
        (
            svc_name(t.service_id.as_deref().unwrap_or_default()),
            t.slot,
            std::cmp::Reverse(
                t.status
                    .as_ref()
                    .and_then(|s| s.timestamp)
                    .map(|x| x.unix_timestamp()),
            ),
        )
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut rows = Vec::new();
    for t in &tasks {
        let svc = svc_name(t.service_id.as_deref().unwrap_or_default());
        let node_id = t.node_id.clone().unwrap_or_default();
        let name = match t.slot {
            Some(slot) => format!("{svc}.{slot}"),
            None => format!("{svc}.{node_id}"),
        };
        let status = t.status.clone().unwrap_or_default();
        let state = status.state.map(|s| s.to_string()).unwrap_or_default();
        let ago = status
            .timestamp
            .map(|ts| crate::output::table::human_duration(now - ts.unix_timestamp()))
            .unwrap_or_default();
        let image = t
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let id = t.id.clone().unwrap_or_default();
        rows.push(TaskRow {
            id: if a.no_trunc {
                id
            } else {
                id.chars().take(12).collect()
            },
            name,
            image: if a.no_trunc {
                image
            } else {
                image.split('@').next().unwrap_or_default().to_string()
            },
            node: if a.no_resolve {
                node_id.clone()
            } else {
                nodes.get(&node_id).cloned().unwrap_or_default()
            },
            desired_state: capitalize(&t.desired_state.map(|s| s.to_string()).unwrap_or_default()),
            current_state: format!("{} {ago} ago", capitalize(&state)),
            error: status.err.unwrap_or_default(),
            ports: String::new(),
        });
    }
    if a.quiet {
        for r in rows {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    print!(
        "{}",
        crate::output::stack::tasks(&rows, a.format.as_deref()).map_err(anyhow::Error::msg)?
    );
    Ok(0)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

async fn rm(ctx: &Context, a: StackRmArgs) -> Result<ExitCode> {
    let engine = ctx.engine().await?;
    swarm::ensure_manager(&engine).await?;
    let mut failed = false;
    for stack in &a.stacks {
        let r = swarm::remove_stack(&engine, stack).await?;
        if r.services.is_empty()
            && r.networks.is_empty()
            && r.configs.is_empty()
            && r.secrets.is_empty()
            && r.errors.is_empty()
        {
            eprintln!("Nothing found in stack: {stack}");
            continue;
        }
        for (kind, names) in [
            ("service", &r.services),
            ("secret", &r.secrets),
            ("config", &r.configs),
            ("network", &r.networks),
        ] {
            for n in names {
                println!("Removing {kind} {n}");
            }
        }
        for e in &r.errors {
            eprintln!("{e}");
            failed = true;
        }
        if !a.detach {
            while swarm::tasks_left(&engine, stack).await? {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
    if failed {
        bail!(
            "Failed to remove some resources from stack: {}",
            a.stacks.join(", ")
        );
    }
    Ok(0)
}

fn config(ctx: &Context, a: StackConfigArgs) -> Result<ExitCode> {
    let mut env = ctx.env.clone();
    if a.skip_interpolation {
        env.clear();
    }
    let opts = LoadOptions {
        files: a.compose_file.clone(),
        cwd: ctx.cwd.clone(),
        os_env: env,
        skip_canonical: false,
        ..Default::default()
    };
    let project = model::load(&opts).map_err(load_error)?;
    let mut canon = project.canonical.clone();
    if let Some(o) = canon.as_object_mut() {
        o.remove("name");
    }
    print!("{}", crate::model::canonical::to_yaml(&canon));
    Ok(0)
}
