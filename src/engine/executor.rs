//! Runs a [`Plan`] on the engine: every step starts as soon as the steps it waits for are done,
//! so independent services proceed concurrently. The first failure stops new steps from
//! starting; steps already running finish, and the failure is returned.
//!
//! Container starts are serialised process-wide (as compose does) to avoid the engine's
//! host-port allocation race.

use std::time::Duration;

use bollard::models::NetworkConnectRequest;
use bollard::query_parameters::{
    CreateContainerOptions, RemoveContainerOptions, RemoveVolumeOptions, RenameContainerOptions,
    StopContainerOptions,
};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::Mutex;

use super::convert::{container_body, endpoint, network_body, volume_body};
use super::{Engine, EngineError};
use crate::model::service::Condition;
use crate::model::short_syntax::MountKind;
use crate::output::progress::{Event, Progress, Status};
use crate::plan::observed::labels;
use crate::plan::spec::MountSpec;
use crate::plan::{Action, ContainerSpec, Plan};

static START_LOCK: Mutex<()> = Mutex::const_new(());

/// How often dependency conditions are polled.
const POLL: Duration = Duration::from_millis(250);

/// Runs `plan`, reporting to `progress`.
pub async fn execute(engine: &Engine, plan: &Plan, progress: &Progress) -> Result<(), EngineError> {
    schedule(engine, plan, progress).await
}

/// What the scheduler asks of an engine: carry out one action. [`Engine`] runs it through
/// bollard; the unit tests below use an in-memory fake.
pub(crate) trait ActionRunner: Sync {
    async fn run(&self, action: &Action, progress: &Progress) -> Result<(), EngineError>;
}

impl ActionRunner for Engine {
    async fn run(&self, action: &Action, progress: &Progress) -> Result<(), EngineError> {
        run_action(self, action, progress).await
    }
}

/// Starts every step as soon as the steps it waits for are done. After the first failure no
/// new step starts; steps already running finish; the first failure is returned.
async fn schedule<R: ActionRunner>(
    runner: &R,
    plan: &Plan,
    progress: &Progress,
) -> Result<(), EngineError> {
    let n = plan.steps.len();
    let mut waiting: Vec<usize> = plan.steps.iter().map(|s| s.after.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in plan.steps.iter().enumerate() {
        for &a in &s.after {
            dependents[a].push(i);
        }
    }
    let mut running = FuturesUnordered::new();
    let run = |i: usize| async move { (i, runner.run(&plan.steps[i].action, progress).await) };
    for (i, _) in waiting.iter().enumerate().filter(|(_, w)| **w == 0) {
        running.push(run(i));
    }
    let mut failure: Option<EngineError> = None;
    while let Some((i, result)) = running.next().await {
        match result {
            Ok(()) if failure.is_none() => {
                for &d in &dependents[i] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        running.push(run(d));
                    }
                }
            }
            Ok(()) => {}
            Err(e) => {
                if failure.is_none() {
                    failure = Some(e);
                }
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

async fn run_action(
    engine: &Engine,
    action: &Action,
    progress: &Progress,
) -> Result<(), EngineError> {
    match action {
        Action::CreateNetwork(spec) => create_network(engine, spec, progress).await,
        Action::CreateVolume(spec) => create_volume(engine, spec, progress).await,
        Action::PullImage { image, services } => {
            pull_image(engine, image, services, progress).await
        }
        Action::CreateContainer { spec, .. } => create(engine, spec, progress).await,
        Action::RecreateContainer { .. } => recreate_container(engine, action, progress).await,
        Action::StartContainer {
            name, exclusive, ..
        } => start(engine, name, *exclusive, progress).await,
        Action::AlreadyRunning { name } => {
            progress.event(Event::new("Container", name, Status::Done, "Running"));
            Ok(())
        }
        Action::AwaitDependency { .. } => await_dependency(engine, action, progress).await,
        Action::StopContainer { name, timeout, .. } => {
            progress.event(Event::new("Container", name, Status::Working, "Stopping"));
            stop(engine, name, *timeout)
                .await
                .map_err(|e| fail(progress, "Container", name, e))?;
            progress.event(Event::new("Container", name, Status::Done, "Stopped"));
            Ok(())
        }
        Action::RemoveContainer { name, volumes, .. } => {
            remove_container(engine, name, *volumes, progress).await
        }
        Action::RemoveNetwork { name, project } => {
            remove_network_step(engine, name, project, progress).await
        }
        Action::NetworkInUse { name } => {
            in_use(progress, "Network", name);
            Ok(())
        }
        Action::VolumeInUse { name } => {
            in_use(progress, "Volume", name);
            Ok(())
        }
        Action::RecreateNetwork {
            spec,
            project,
            reconnect,
        } => recreate_network(engine, spec, project, reconnect, progress)
            .await
            .map_err(|e| fail(progress, "Network", &spec.name, e)),
        Action::RemoveVolume { name } => remove_volume(engine, name, progress).await,
        Action::RemoveImage { image } => remove_image(engine, image, progress).await,
        Action::RestartContainer { .. }
        | Action::KillContainer { .. }
        | Action::PauseContainer { .. }
        | Action::UnpauseContainer { .. } => {
            super::control::run_control(engine, action, progress).await
        }
    }
}

/// What compose prints for a resource `down` leaves because something still uses it.
fn in_use(progress: &Progress, kind: &'static str, name: &str) {
    progress.event(Event::new(kind, name, Status::Working, "Removing"));
    progress.event(Event::new(
        kind,
        name,
        Status::Warning,
        "Resource is still in use",
    ));
}

/// Reports an error event for a resource and passes the error on.
fn fail(progress: &Progress, kind: &'static str, name: &str, e: EngineError) -> EngineError {
    progress.event(Event::new(kind, name, Status::Error, "Error").with_details(first_line(&e)));
    e
}

fn first_line(e: &EngineError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// Creates a container named `name` from `spec` and connects its secondary networks.
async fn create_container(
    engine: &Engine,
    spec: &ContainerSpec,
    name: &str,
) -> Result<String, EngineError> {
    create_container_with(engine, spec, name, |_| {}).await
}

/// [`create_container`] with a last adjustment of the request body (one-off containers set
/// stdin and auto-remove this way).
pub(crate) async fn create_container_with(
    engine: &Engine,
    spec: &ContainerSpec,
    name: &str,
    adjust: impl FnOnce(&mut bollard::models::ContainerCreateBody),
) -> Result<String, EngineError> {
    let d = &engine.docker;
    let mut body = container_body(spec);
    adjust(&mut body);
    if !spec.labels.contains_key(labels::IMAGE)
        && let Ok(img) = engine.inspect_image(&spec.image).await
        && let (Some(id), Some(l)) = (img.id, body.labels.as_mut())
    {
        l.insert(labels::IMAGE.into(), id);
    }
    let created = d
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.to_string()),
                platform: spec.platform.clone().unwrap_or_default(),
            }),
            body,
        )
        .await
        .map_err(|e| engine.error(e))?;
    for e in spec.networks.iter().skip(1) {
        d.connect_network(
            &e.network,
            NetworkConnectRequest {
                container: created.id.clone(),
                endpoint_config: Some(endpoint(e)),
            },
        )
        .await
        .map_err(|e| engine.error(e))?;
    }
    if !spec.copies.is_empty() {
        write_files(engine, &created.id, &spec.copies).await?;
    }
    Ok(created.id)
}

/// Writes `files` into the created container `id` (secrets and configs given as content).
async fn write_files(
    engine: &Engine,
    id: &str,
    files: &[crate::plan::spec::FileCopy],
) -> Result<(), EngineError> {
    let mut archive = tar::Builder::new(Vec::new());
    for f in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(f.content.len() as u64);
        header.set_mode(f.mode);
        header.set_uid(f.uid);
        header.set_gid(f.gid);
        header.set_mtime(0);
        archive
            .append_data(
                &mut header,
                f.target.trim_start_matches('/'),
                f.content.as_bytes(),
            )
            .map_err(|e| EngineError::Other(format!("{}: {e}", f.target)))?;
    }
    let bytes = archive
        .into_inner()
        .map_err(|e| EngineError::Other(e.to_string()))?;
    engine
        .docker
        .upload_to_container(
            id,
            Some(bollard::query_parameters::UploadToContainerOptions {
                path: "/".to_string(),
                ..Default::default()
            }),
            bollard::body_full(bytes.into()),
        )
        .await
        .map_err(|e| engine.error(e))
}

/// Starts a container. A concurrent run of the same project may have made a second network
/// of the same name for a moment; the engine then refuses the start as ambiguous, so the
/// duplicates are resolved the way every run resolves them and the start is tried again.
async fn start_container(engine: &Engine, name: &str) -> Result<(), EngineError> {
    let mut attempts = 0;
    loop {
        match engine.docker.start_container(name, None).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                let e = engine.error(e);
                // Already started (by a concurrent run of the same project).
                if let EngineError::Api { status: 304, .. } = e {
                    return Ok(());
                }
                attempts += 1;
                if attempts >= 5 || !e.to_string().contains("is ambiguous") {
                    return Err(e);
                }
                let c = engine.inspect(name).await.map_err(|e| engine.error(e))?;
                let project = c
                    .config
                    .and_then(|c| c.labels)
                    .and_then(|l| l.get(labels::PROJECT).cloned());
                let networks: Vec<String> = c
                    .network_settings
                    .and_then(|n| n.networks)
                    .map(|n| n.into_keys().collect())
                    .unwrap_or_default();
                for n in &networks {
                    dedupe_network(engine, n, project.as_ref()).await?;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempts)).await;
            }
        }
    }
}

/// Whether the container named like `spec` exists with the same project, service, number and
/// configuration hash: created by a concurrent run of the same project.
async fn created_concurrently(engine: &Engine, spec: &ContainerSpec) -> bool {
    let Ok(existing) = engine.inspect(&spec.name).await else {
        return false;
    };
    let Some(found) = existing.config.and_then(|c| c.labels) else {
        return false;
    };
    [
        labels::PROJECT,
        labels::SERVICE,
        labels::NUMBER,
        labels::CONFIG_HASH,
    ]
    .iter()
    .all(|k| found.contains_key(*k) && found.get(*k) == spec.labels.get(*k))
}

/// Engines before API 1.44 accept two networks of one name: when concurrent runs (or a run
/// interrupted mid-create) made several, every run keeps the same one (the oldest, which is
/// the one containers may already be attached to; ties broken by id) and removes the others,
/// so names stay unambiguous.
async fn dedupe_network(
    engine: &Engine,
    name: &str,
    project: Option<&String>,
) -> Result<(), EngineError> {
    let mut found: Vec<(bool, Option<i128>, String)> = same_name_networks(engine, name)
        .await?
        .into_iter()
        .filter_map(|n| {
            let ours = project.is_some()
                && n.labels.as_ref().and_then(|l| l.get(labels::PROJECT)) == project;
            let created = n.created.map(|t| t.unix_timestamp_nanos());
            n.id.map(|id| (ours, created, id))
        })
        .collect();
    // Oldest first; a network without a creation time sorts last.
    found.sort_by_key(|(_, created, id)| (created.is_none(), *created, id.clone()));
    // Only networks labelled with this project are ever removed; the one kept is the same in
    // every run.
    for (_, _, extra) in found.iter().skip(1).filter(|(ours, _, _)| *ours) {
        // Another run may be removing it at the same moment: either way it goes.
        let _ = engine.docker.remove_network(extra).await;
    }
    Ok(())
}

/// Every network named exactly `name` (the engine's name filter matches substrings).
async fn same_name_networks(
    engine: &Engine,
    name: &str,
) -> Result<Vec<bollard::models::Network>, EngineError> {
    use bollard::query_parameters::ListNetworksOptions;
    let found = engine
        .docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(std::collections::HashMap::from([(
                "name".to_string(),
                vec![name.to_string()],
            )])),
        }))
        .await
        .map_err(|e| engine.error(e))?;
    Ok(found
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(name))
        .collect())
}

/// Removes the network named `name`; when duplicates make the name ambiguous, removes each of
/// them that carries the project label `project`.
async fn remove_network(engine: &Engine, name: &str, project: &str) -> Result<(), EngineError> {
    match engine.docker.remove_network(name).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let e = engine.error(e);
            if !e.to_string().contains("is ambiguous") {
                return Err(e);
            }
            let mut last = Ok(());
            for n in same_name_networks(engine, name).await? {
                let ours = n.labels.as_ref().and_then(|l| l.get(labels::PROJECT))
                    == Some(&project.to_string());
                if let (true, Some(id)) = (ours, n.id) {
                    match engine.docker.remove_network(&id).await {
                        Ok(()) => {}
                        Err(e) => last = Err(engine.error(e)),
                    }
                }
            }
            last
        }
    }
}

/// Gives `spec` the anonymous volumes of the container it replaces: a mount the spec leaves
/// anonymous, or a volume at a path the spec does not mount at all (an image `VOLUME`), keeps
/// the old container's volume, so its data carries over the recreate.
async fn inherit_anonymous_volumes(
    engine: &Engine,
    old_id: &str,
    spec: &mut ContainerSpec,
) -> Result<(), EngineError> {
    let old = engine.inspect(old_id).await.map_err(|e| engine.error(e))?;
    let bind_targets: Vec<String> = spec
        .binds
        .iter()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    for m in old.mounts.unwrap_or_default() {
        let is_volume = m
            .typ
            .and_then(|t| serde_json::to_value(t).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .is_some_and(|t| t == "volume");
        let (Some(name), Some(target)) = (m.name, m.destination) else {
            continue;
        };
        if !is_volume || bind_targets.contains(&target) {
            continue;
        }
        match spec.mounts.iter_mut().find(|x| x.target == target) {
            Some(x) if x.kind == MountKind::Volume && x.source.is_none() => {
                x.source = Some(name);
            }
            Some(_) => {}
            None => spec.mounts.push(MountSpec {
                kind: MountKind::Volume,
                source: Some(name),
                target,
                read_only: !m.rw.unwrap_or(true),
                nocopy: false,
            }),
        }
    }
    Ok(())
}

/// Stops a container; `timeout` None lets the engine use the container's own stop timeout.
async fn stop(engine: &Engine, name: &str, timeout: Option<i64>) -> Result<(), EngineError> {
    // The request may legitimately last as long as the grace period.
    let d = engine.with_timeout(Duration::from_secs(
        timeout.unwrap_or(600).max(0) as u64 + 120,
    ));
    match d
        .stop_container(
            name,
            Some(StopContainerOptions {
                t: timeout.map(|t| t as i32),
                signal: None,
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(e) => match engine.error(e) {
            e if e.is_not_found() => Ok(()),
            EngineError::Api { status: 304, .. } => Ok(()),
            e => Err(e),
        },
    }
}

/// Waits until container `name` of `service` satisfies `condition`.
async fn await_condition(
    engine: &Engine,
    service: &str,
    name: &str,
    condition: Condition,
    progress: &Progress,
) -> Result<(), EngineError> {
    loop {
        let c = engine.inspect(name).await.map_err(|e| engine.error(e))?;
        let state = c.state.unwrap_or_default();
        let running = state.running.unwrap_or(false);
        let restarting = state.restarting.unwrap_or(false);
        let exit_code = state.exit_code.unwrap_or(0);
        let status_word = state
            .status
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let exited = matches!(status_word.as_str(), "exited" | "dead");
        match condition {
            Condition::ServiceStarted => return Ok(()),
            Condition::ServiceHealthy => {
                // An exited container is reported as exited, whatever its last health.
                if exited && !restarting {
                    progress.event(Event::new("Container", name, Status::Error, "Error"));
                    return Err(EngineError::Other(format!(
                        "dependency failed to start: container {name} exited ({exit_code})"
                    )));
                }
                let health = super::wait::health_status(&state);
                match health.as_deref() {
                    None | Some("") | Some("none") => {
                        return Err(EngineError::Other(format!(
                            "container {name} has no healthcheck configured"
                        )));
                    }
                    Some("healthy") => {
                        progress.event(Event::new("Container", name, Status::Done, "Healthy"));
                        return Ok(());
                    }
                    Some("unhealthy") => {
                        progress.event(Event::new("Container", name, Status::Error, "Error"));
                        return Err(EngineError::Other(format!(
                            "dependency failed to start: container {name} is unhealthy"
                        )));
                    }
                    _ => {}
                }
            }
            Condition::ServiceCompletedSuccessfully => {
                if exited && !running {
                    if exit_code == 0 {
                        progress.event(Event::new("Container", name, Status::Done, "Exited"));
                        return Ok(());
                    }
                    progress.event(Event::new("Container", name, Status::Error, "Error"));
                    return Err(EngineError::Other(format!(
                        "service {service:?} didn't complete successfully: exit {exit_code}"
                    )));
                }
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn create_network(
    engine: &Engine,
    spec: &crate::plan::NetworkSpec,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new(
        "Network",
        &spec.name,
        Status::Working,
        "Creating",
    ));
    match engine
        .docker
        .create_network(network_body(spec))
        .await
        .map_err(|e| engine.error(e))
    {
        Ok(_) => {}
        // Created concurrently by another run: fine.
        Err(e) if e.is_conflict() => {}
        Err(e) => return Err(fail(progress, "Network", &spec.name, e)),
    }
    dedupe_network(engine, &spec.name, spec.labels.get(labels::PROJECT))
        .await
        .map_err(|e| fail(progress, "Network", &spec.name, e))?;
    progress.event(Event::new("Network", &spec.name, Status::Done, "Created"));
    Ok(())
}

async fn create_volume(
    engine: &Engine,
    spec: &crate::plan::VolumeSpec,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new(
        "Volume",
        &spec.name,
        Status::Working,
        "Creating",
    ));
    engine
        .docker
        .create_volume(volume_body(spec))
        .await
        .map_err(|e| fail(progress, "Volume", &spec.name, engine.error(e)))?;
    progress.event(Event::new("Volume", &spec.name, Status::Done, "Created"));
    Ok(())
}

async fn pull_image(
    engine: &Engine,
    image: &str,
    services: &[String],
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Image", image, Status::Working, "Pulling"));
    super::registry::pull(
        engine,
        image,
        services,
        "is not present locally and could not be pulled",
    )
    .await
    .map_err(|e| fail(progress, "Image", image, e))?;
    progress.event(Event::new("Image", image, Status::Done, "Pulled"));
    Ok(())
}

async fn create(
    engine: &Engine,
    spec: &ContainerSpec,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new(
        "Container",
        &spec.name,
        Status::Working,
        "Creating",
    ));
    match create_container(engine, spec, &spec.name).await {
        Ok(_) => {}
        // Another run of the same project created the very same container a moment
        // earlier: adopt it rather than fail.
        Err(e) if e.is_conflict() && created_concurrently(engine, spec).await => {}
        Err(e) => return Err(fail(progress, "Container", &spec.name, e)),
    }
    progress.event(Event::new("Container", &spec.name, Status::Done, "Created"));
    Ok(())
}

async fn recreate_container(
    engine: &Engine,
    action: &Action,
    progress: &Progress,
) -> Result<(), EngineError> {
    let Action::RecreateContainer {
        old_id,
        old_name,
        spec,
        timeout,
        inherit_volumes,
        reason,
        ..
    } = action
    else {
        unreachable!("recreate_container runs RecreateContainer only")
    };
    let d = &engine.docker;
    let err = |e| engine.error(e);
    progress.event(
        Event::new("Container", old_name, Status::Working, "Recreate").with_details(reason.clone()),
    );
    let short: String = old_id.chars().take(12).collect();
    let tmp = format!("{short}_{}", spec.name);
    let mut spec = (**spec).clone();
    spec.labels.insert(labels::REPLACE.into(), old_name.clone());
    let recreate = async {
        if *inherit_volumes {
            inherit_anonymous_volumes(engine, old_id, &mut spec).await?;
        }
        let new_id = create_container(engine, &spec, &tmp).await?;
        stop(engine, old_id, *timeout).await?;
        d.remove_container(
            old_id,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(err)?;
        d.rename_container(
            &new_id,
            RenameContainerOptions {
                name: spec.name.clone(),
            },
        )
        .await
        .map_err(err)
    };
    recreate
        .await
        .map_err(|e| fail(progress, "Container", old_name, e))?;
    progress.event(Event::new(
        "Container",
        &spec.name,
        Status::Done,
        "Recreated",
    ));
    Ok(())
}

async fn start(
    engine: &Engine,
    name: &str,
    exclusive: bool,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Container", name, Status::Working, "Starting"));
    {
        // Only containers that publish host ports race on port allocation.
        let _guard = match exclusive {
            true => Some(START_LOCK.lock().await),
            false => None,
        };
        start_container(engine, name)
            .await
            .map_err(|e| fail(progress, "Container", name, e))?;
    }
    progress.event(Event::new("Container", name, Status::Done, "Started"));
    Ok(())
}

async fn await_dependency(
    engine: &Engine,
    action: &Action,
    progress: &Progress,
) -> Result<(), EngineError> {
    let Action::AwaitDependency {
        dependency,
        condition,
        required,
        containers,
        ..
    } = action
    else {
        unreachable!("await_dependency runs AwaitDependency only")
    };
    for c in containers {
        progress.event(Event::new("Container", c, Status::Working, "Waiting"));
    }
    let result = futures::future::try_join_all(
        containers
            .iter()
            .map(|c| await_condition(engine, dependency, c, *condition, progress)),
    )
    .await;
    if let Err(e) = result {
        if *required {
            return Err(e);
        }
        progress.event(
            Event::new("Container", dependency, Status::Warning, "Skipped").with_details(format!(
                "optional dependency {dependency:?} failed to start: {e}"
            )),
        );
    }
    Ok(())
}

async fn remove_container(
    engine: &Engine,
    name: &str,
    volumes: bool,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Container", name, Status::Working, "Removing"));
    let options = RemoveContainerOptions {
        v: volumes,
        force: true,
        ..Default::default()
    };
    match engine
        .docker
        .remove_container(name, Some(options))
        .await
        .map_err(|e| engine.error(e))
    {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(fail(progress, "Container", name, e)),
    }
    progress.event(Event::new("Container", name, Status::Done, "Removed"));
    Ok(())
}

/// `down`'s network removal: gone or missing is done, still used is a warning.
async fn remove_network_step(
    engine: &Engine,
    name: &str,
    project: &str,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Network", name, Status::Working, "Removing"));
    match remove_network(engine, name, project).await {
        Ok(()) => progress.event(Event::new("Network", name, Status::Done, "Removed")),
        Err(e) if e.is_not_found() => {
            progress.event(Event::new("Network", name, Status::Done, "Removed"))
        }
        Err(e) if e.is_conflict() || e.to_string().contains("active endpoints") => progress.event(
            Event::new("Network", name, Status::Warning, "Resource is still in use"),
        ),
        Err(e) => return Err(fail(progress, "Network", name, e)),
    }
    Ok(())
}

/// Disconnects `reconnect`'s containers, removes the network, creates it anew and connects
/// the containers again.
async fn recreate_network(
    engine: &Engine,
    spec: &crate::plan::NetworkSpec,
    project: &str,
    reconnect: &[(String, crate::plan::spec::EndpointSpec)],
    progress: &Progress,
) -> Result<(), EngineError> {
    let d = &engine.docker;
    let err = |e| engine.error(e);
    let name = &spec.name;
    for (container, _) in reconnect {
        let request = bollard::models::NetworkDisconnectRequest {
            container: container.clone(),
            force: Some(true),
        };
        match d.disconnect_network(name, request).await.map_err(err) {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    progress.event(Event::new("Network", name, Status::Working, "Removing"));
    match remove_network(engine, name, project).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e),
    }
    progress.event(Event::new("Network", name, Status::Done, "Removed"));
    progress.event(Event::new("Network", name, Status::Working, "Creating"));
    match d.create_network(network_body(spec)).await.map_err(err) {
        Ok(_) => {}
        Err(e) if e.is_conflict() => {}
        Err(e) => return Err(e),
    }
    dedupe_network(engine, name, Some(&project.to_string())).await?;
    progress.event(Event::new("Network", name, Status::Done, "Created"));
    for (container, endpoint_spec) in reconnect {
        let request = NetworkConnectRequest {
            container: container.clone(),
            endpoint_config: Some(endpoint(endpoint_spec)),
        };
        d.connect_network(name, request).await.map_err(err)?;
    }
    Ok(())
}

async fn remove_volume(
    engine: &Engine,
    name: &str,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Volume", name, Status::Working, "Removing"));
    match engine
        .docker
        .remove_volume(name, Some(RemoveVolumeOptions { force: true }))
        .await
        .map_err(|e| engine.error(e))
    {
        Ok(()) => progress.event(Event::new("Volume", name, Status::Done, "Removed")),
        Err(e) if e.is_not_found() => {
            progress.event(Event::new("Volume", name, Status::Done, "Removed"))
        }
        Err(e) if e.is_conflict() => progress.event(Event::new(
            "Volume",
            name,
            Status::Warning,
            "Resource is still in use",
        )),
        Err(e) => return Err(fail(progress, "Volume", name, e)),
    }
    Ok(())
}

async fn remove_image(
    engine: &Engine,
    image: &str,
    progress: &Progress,
) -> Result<(), EngineError> {
    progress.event(Event::new("Image", image, Status::Working, "Removing"));
    match engine
        .docker
        .remove_image(
            image,
            None::<bollard::query_parameters::RemoveImageOptions>,
            None,
        )
        .await
        .map_err(|e| engine.error(e))
    {
        Ok(_) => progress.event(Event::new("Image", image, Status::Done, "Removed")),
        Err(e) if e.is_not_found() => progress.event(Event::new(
            "Image",
            image,
            Status::Done,
            "Warning: No resource found to remove",
        )),
        Err(e) if e.is_conflict() => progress.event(Event::new(
            "Image",
            image,
            Status::Warning,
            "Resource is still in use",
        )),
        Err(e) => return Err(fail(progress, "Image", image, e)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The scheduler driven by an in-memory fake engine: every step is an `AlreadyRunning`
    //! action whose name identifies it; the fake logs `start x` / `end x` and yields between
    //! them, so steps that run concurrently interleave in the log.
    use std::collections::HashSet;
    use std::sync::Mutex;

    use super::*;
    use crate::output::progress::ProgressMode;
    use crate::plan::Step;

    #[derive(Default)]
    struct Fake {
        log: Mutex<Vec<String>>,
        fail: HashSet<&'static str>,
        /// Steps that yield longer before they end, so the others end first.
        slow: HashSet<&'static str>,
    }

    impl Fake {
        fn failing(names: &[&'static str]) -> Fake {
            Fake {
                fail: names.iter().copied().collect(),
                ..Fake::default()
            }
        }

        fn slow(mut self, names: &[&'static str]) -> Fake {
            self.slow = names.iter().copied().collect();
            self
        }

        fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }

        fn started(&self) -> Vec<String> {
            self.log()
                .iter()
                .filter_map(|l| l.strip_prefix("start ").map(str::to_string))
                .collect()
        }

        fn pos(&self, line: &str) -> usize {
            self.log()
                .iter()
                .position(|l| l == line)
                .unwrap_or_else(|| panic!("{line:?} not in {:?}", self.log()))
        }
    }

    impl ActionRunner for Fake {
        async fn run(&self, action: &Action, _progress: &Progress) -> Result<(), EngineError> {
            let Action::AlreadyRunning { name } = action else {
                panic!("the fake runs AlreadyRunning only");
            };
            self.log.lock().unwrap().push(format!("start {name}"));
            let yields = if self.slow.contains(name.as_str()) {
                12
            } else {
                3
            };
            for _ in 0..yields {
                tokio::task::yield_now().await;
            }
            self.log.lock().unwrap().push(format!("end {name}"));
            if self.fail.contains(name.as_str()) {
                return Err(EngineError::Other(format!("{name} failed")));
            }
            Ok(())
        }
    }

    fn plan(steps: &[(&str, &[usize])]) -> Plan {
        Plan {
            steps: steps
                .iter()
                .map(|(name, after)| Step {
                    action: Action::AlreadyRunning {
                        name: name.to_string(),
                    },
                    after: after.to_vec(),
                })
                .collect(),
        }
    }

    fn run(fake: &Fake, plan: &Plan) -> Result<(), EngineError> {
        let progress = Progress::new(ProgressMode::Quiet);
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(schedule(fake, plan, &progress))
    }

    #[test]
    fn an_empty_plan_does_nothing_and_succeeds() {
        let fake = Fake::default();
        assert!(run(&fake, &plan(&[])).is_ok());
        assert!(fake.log().is_empty());
    }

    #[test]
    fn a_chain_runs_in_dependency_order_without_overlap() {
        let fake = Fake::default();
        run(&fake, &plan(&[("a", &[]), ("b", &[0]), ("c", &[1])])).unwrap();
        assert_eq!(
            fake.log(),
            ["start a", "end a", "start b", "end b", "start c", "end c"]
        );
    }

    #[test]
    fn independent_steps_overlap() {
        let fake = Fake::default();
        run(&fake, &plan(&[("a", &[]), ("b", &[]), ("c", &[])])).unwrap();
        // Every step started before the first one ended.
        let first_end = fake
            .log()
            .iter()
            .position(|l| l.starts_with("end"))
            .unwrap();
        assert_eq!(first_end, 3, "{:?}", fake.log());
    }

    #[test]
    fn a_step_waits_for_all_of_its_dependencies() {
        let fake = Fake::default();
        run(&fake, &plan(&[("a", &[]), ("b", &[]), ("c", &[0, 1])])).unwrap();
        assert!(fake.pos("start c") > fake.pos("end a"));
        assert!(fake.pos("start c") > fake.pos("end b"));
    }

    #[test]
    fn a_diamond_runs_the_middle_concurrently_and_the_join_last() {
        let fake = Fake::default();
        let p = plan(&[
            ("net", &[]),
            ("db", &[0]),
            ("cache", &[0]),
            ("web", &[1, 2]),
        ]);
        run(&fake, &p).unwrap();
        assert!(fake.pos("start db") > fake.pos("end net"));
        assert!(
            fake.pos("start cache") < fake.pos("end db"),
            "{:?}",
            fake.log()
        );
        assert!(fake.pos("start web") > fake.pos("end db"));
        assert!(fake.pos("start web") > fake.pos("end cache"));
        assert_eq!(fake.log().len(), 8);
    }

    #[test]
    fn a_failure_is_returned_with_its_error() {
        let fake = Fake::failing(&["b"]);
        let err = run(&fake, &plan(&[("a", &[]), ("b", &[0])])).unwrap_err();
        assert_eq!(err.to_string(), "b failed");
    }

    #[test]
    fn dependents_of_a_failed_step_do_not_start() {
        let fake = Fake::failing(&["db"]);
        let p = plan(&[("db", &[]), ("web", &[0]), ("proxy", &[1])]);
        assert!(run(&fake, &p).is_err());
        assert_eq!(fake.started(), ["db"]);
    }

    #[test]
    fn steps_already_running_when_one_fails_still_finish() {
        let fake = Fake::failing(&["a"]);
        assert!(run(&fake, &plan(&[("a", &[]), ("b", &[]), ("c", &[])])).is_err());
        let log = fake.log();
        assert!(log.contains(&"end b".to_string()) && log.contains(&"end c".to_string()));
    }

    #[test]
    fn after_a_failure_no_new_step_starts_even_an_independent_one() {
        // `late` depends only on `b`, which succeeds, but it becomes ready after `a` failed.
        let fake = Fake::failing(&["a"]).slow(&["b"]);
        let p = plan(&[("a", &[]), ("b", &[]), ("late", &[1])]);
        assert!(run(&fake, &p).is_err());
        assert_eq!(fake.started(), ["a", "b"]);
    }

    #[test]
    fn the_first_failure_wins_when_several_fail() {
        let fake = Fake::failing(&["a", "b"]).slow(&["b"]);
        let err = run(&fake, &plan(&[("a", &[]), ("b", &[])])).unwrap_err();
        assert_eq!(err.to_string(), "a failed");
        assert_eq!(fake.log().len(), 4, "both ran to their end");
    }

    #[test]
    fn every_step_of_a_successful_plan_runs_once() {
        let fake = Fake::default();
        let p = plan(&[
            ("a", &[]),
            ("b", &[0]),
            ("c", &[0]),
            ("d", &[]),
            ("e", &[2, 3]),
        ]);
        run(&fake, &p).unwrap();
        let mut started = fake.started();
        started.sort();
        assert_eq!(started, ["a", "b", "c", "d", "e"]);
    }
}
