//! Docker Swarm calls for `rcompose stack`: the manager check, a stack's services, networks,
//! configs and secrets by the `com.docker.stack.namespace` label, the deploy plan's actions,
//! tasks and nodes for `stack ps`, and removal.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, Result, anyhow, bail};
use base64::Engine as _;
use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec, Task, TaskState};
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListNodesOptions, ListSecretsOptions,
    ListServicesOptions, ListTasksOptions, UpdateServiceOptions,
};
use serde_json::Value;

use super::Engine;
use crate::plan::stack::{
    DIGEST, NAMESPACE, ObservedObject, ObservedStack, StackAction, StackObject, digest,
};

fn label_filter(value: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![value.to_string()])])
}

fn stack_filter(stack: &str) -> HashMap<String, Vec<String>> {
    label_filter(&format!("{NAMESPACE}={stack}"))
}

fn labels(l: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    l.unwrap_or_default().into_iter().collect()
}

/// Fails unless the engine is a swarm manager, naming the endpoint and what to run.
pub async fn ensure_manager(engine: &Engine) -> Result<()> {
    let info = engine
        .docker
        .info()
        .await
        .with_context(|| format!("cannot reach the engine at {}", engine.endpoint))?;
    let manager = info
        .swarm
        .as_ref()
        .and_then(|s| s.control_available)
        .unwrap_or(false);
    if !manager {
        bail!(
            "the engine at {} is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again, or point DOCKER_HOST/--context at a manager",
            engine.endpoint
        );
    }
    Ok(())
}

/// The stack's objects on the manager.
pub async fn observe_stack(engine: &Engine, stack: &str) -> Result<ObservedStack> {
    let d = &engine.docker;
    let f = stack_filter(stack);
    let (services, networks, configs, secrets) = futures::try_join!(
        d.list_services(Some(ListServicesOptions {
            filters: Some(f.clone()),
            status: None,
        })),
        d.list_networks(Some(ListNetworksOptions {
            filters: Some(f.clone()),
        })),
        d.list_configs(Some(ListConfigsOptions {
            filters: Some(f.clone()),
        })),
        d.list_secrets(Some(ListSecretsOptions { filters: Some(f) })),
    )?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(ObservedStack {
        services: services
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                ObservedObject {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: labels(spec.labels),
                    data: None,
                }
            })
            .collect(),
        networks: networks
            .into_iter()
            .map(|n| ObservedObject {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: labels(n.labels),
                data: None,
            })
            .collect(),
        configs: configs
            .into_iter()
            .map(|c| {
                let spec = c.spec.unwrap_or_default();
                ObservedObject {
                    id: c.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: labels(spec.labels),
                    data: spec.data.and_then(|x| b64.decode(x).ok()),
                }
            })
            .collect(),
        secrets: secrets
            .into_iter()
            .map(|c| {
                let spec = c.spec.unwrap_or_default();
                ObservedObject {
                    id: c.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: labels(spec.labels),
                    data: None,
                }
            })
            .collect(),
    })
}

/// What one action did, for the command to print (docker stack's lines).
pub enum Done {
    Created(&'static str, String),
    Updated(String, String),
    Removed(String),
    Kept,
}

/// Runs one deploy action. Services get their configs' and secrets' IDs looked up by name.
pub async fn apply(
    engine: &Engine,
    stack: &str,
    action: &StackAction,
    credentials: Option<bollard::auth::DockerCredentials>,
) -> Result<Done> {
    let d = &engine.docker;
    Ok(match action {
        StackAction::CreateNetwork(n) => {
            let req: NetworkCreateRequest = serde_json::from_value(n.spec.clone())?;
            d.create_network(req)
                .await
                .with_context(|| format!("failed to create network {}", n.name))?;
            Done::Created("network", n.name.clone())
        }
        StackAction::CreateConfig(c) => {
            d.create_config(ConfigSpec {
                name: Some(c.name.clone()),
                labels: Some(object_labels(stack, c)),
                data: Some(base64::engine::general_purpose::STANDARD.encode(&c.data)),
                ..Default::default()
            })
            .await
            .with_context(|| format!("failed to create config {}", c.name))?;
            Done::Created("config", c.name.clone())
        }
        StackAction::CreateSecret(c) => {
            d.create_secret(SecretSpec {
                name: Some(c.name.clone()),
                labels: Some(object_labels(stack, c)),
                data: Some(base64::engine::general_purpose::STANDARD.encode(&c.data)),
                ..Default::default()
            })
            .await
            .with_context(|| format!("failed to create secret {}", c.name))?;
            Done::Created("secret", c.name.clone())
        }
        StackAction::CreateService(s) => {
            let spec = with_ids(engine, &s.spec).await?;
            d.create_service(spec, credentials)
                .await
                .with_context(|| format!("failed to create service {}", s.name))?;
            Done::Created("service", s.name.clone())
        }
        StackAction::UpdateService { service, id, .. } => {
            let spec = with_ids(engine, &service.spec).await?;
            let current = d.inspect_service(id, None).await?;
            let version = current.version.and_then(|v| v.index).unwrap_or(0) as i32;
            d.update_service(
                id,
                spec,
                UpdateServiceOptions {
                    version,
                    ..Default::default()
                },
                credentials,
            )
            .await
            .with_context(|| format!("failed to update service {}", service.name))?;
            Done::Updated(service.name.clone(), id.clone())
        }
        StackAction::KeepService { .. } => Done::Kept,
        StackAction::RemoveService { name, id } => {
            d.delete_service(id)
                .await
                .with_context(|| format!("failed to remove service {name}"))?;
            Done::Removed(name.clone())
        }
    })
}

fn object_labels(stack: &str, c: &StackObject) -> HashMap<String, String> {
    HashMap::from([
        (NAMESPACE.to_string(), stack.to_string()),
        (DIGEST.to_string(), digest(&c.data)),
    ])
}

/// The spec with each config's and secret's ID filled in from its name.
async fn with_ids(engine: &Engine, spec: &Value) -> Result<ServiceSpec> {
    let mut spec = spec.clone();
    let c = &mut spec["TaskTemplate"]["ContainerSpec"];
    if c.get("Configs").is_some() {
        let all = engine
            .docker
            .list_configs(None::<ListConfigsOptions>)
            .await?;
        let ids: HashMap<String, String> = all
            .into_iter()
            .map(|x| {
                (
                    x.spec.and_then(|s| s.name).unwrap_or_default(),
                    x.id.unwrap_or_default(),
                )
            })
            .collect();
        fill(c, "Configs", "ConfigName", "ConfigID", &ids, "config")?;
    }
    if c.get("Secrets").is_some() {
        let all = engine
            .docker
            .list_secrets(None::<ListSecretsOptions>)
            .await?;
        let ids: HashMap<String, String> = all
            .into_iter()
            .map(|x| {
                (
                    x.spec.and_then(|s| s.name).unwrap_or_default(),
                    x.id.unwrap_or_default(),
                )
            })
            .collect();
        fill(c, "Secrets", "SecretName", "SecretID", &ids, "secret")?;
    }
    Ok(serde_json::from_value(spec)?)
}

fn fill(
    c: &mut Value,
    list: &str,
    name_key: &str,
    id_key: &str,
    ids: &HashMap<String, String>,
    kind: &str,
) -> Result<()> {
    for r in c[list].as_array_mut().into_iter().flatten() {
        let name = r[name_key].as_str().unwrap_or_default().to_string();
        let id = ids
            .get(&name)
            .ok_or_else(|| anyhow!("{kind} not found: {name}"))?;
        r[id_key] = Value::String(id.clone());
    }
    Ok(())
}

/// One stack and its service count (`stack ls`).
pub async fn list_stacks(engine: &Engine) -> Result<BTreeMap<String, usize>> {
    let services = engine
        .docker
        .list_services(Some(ListServicesOptions {
            filters: Some(label_filter(NAMESPACE)),
            status: None,
        }))
        .await?;
    let mut out = BTreeMap::new();
    for s in services {
        if let Some(ns) = s
            .spec
            .and_then(|s| s.labels)
            .and_then(|l| l.get(NAMESPACE).cloned())
        {
            *out.entry(ns).or_insert(0) += 1;
        }
    }
    Ok(out)
}

/// The stack's services with their task counts.
pub async fn services(engine: &Engine, stack: &str) -> Result<Vec<bollard::models::Service>> {
    let mut s = engine
        .docker
        .list_services(Some(ListServicesOptions {
            filters: Some(stack_filter(stack)),
            status: Some(true),
        }))
        .await?;
    s.sort_by_key(|x| x.spec.as_ref().and_then(|s| s.name.clone()));
    Ok(s)
}

/// The stack's tasks (filters as `docker stack ps --filter` gives them, plus the namespace),
/// and the node names by ID.
pub async fn tasks(
    engine: &Engine,
    stack: &str,
    filters: &[(String, String)],
) -> Result<(Vec<Task>, HashMap<String, String>)> {
    let mut f = stack_filter(stack);
    for (k, v) in filters {
        f.entry(k.clone()).or_default().push(v.clone());
    }
    let tasks = engine
        .docker
        .list_tasks(Some(ListTasksOptions { filters: Some(f) }))
        .await?;
    let nodes = engine
        .docker
        .list_nodes(None::<ListNodesOptions>)
        .await?
        .into_iter()
        .map(|n| {
            (
                n.id.unwrap_or_default(),
                n.description.and_then(|d| d.hostname).unwrap_or_default(),
            )
        })
        .collect();
    Ok((tasks, nodes))
}

/// One service's convergence: running tasks of its current spec, tasks wanted, and the error
/// of a task that failed (image missing, no suitable node).
pub struct Convergence {
    pub running: u64,
    pub desired: u64,
    pub failure: Option<String>,
}

/// IDs of the tasks of service `id` now, so a later [`convergence`] judges only new tasks.
pub async fn task_ids(engine: &Engine, id: &str) -> Result<std::collections::HashSet<String>> {
    let tasks = engine
        .docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(HashMap::from([(
                "service".to_string(),
                vec![id.to_string()],
            )])),
        }))
        .await?;
    Ok(tasks.into_iter().filter_map(|t| t.id).collect())
}

/// The convergence of service `id`: tasks whose desired state is running; a failure is that of
/// a task not in `before` (the tasks there were before the deploy).
pub async fn convergence(
    engine: &Engine,
    id: &str,
    before: &std::collections::HashSet<String>,
) -> Result<Convergence> {
    let svc = engine.docker.inspect_service(id, None).await?;
    let tasks = engine
        .docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(HashMap::from([(
                "service".to_string(),
                vec![id.to_string()],
            )])),
        }))
        .await?;
    let global = svc
        .spec
        .as_ref()
        .and_then(|s| s.mode.as_ref())
        .is_some_and(|m| m.global.is_some());
    let mut running = 0;
    let mut wanted = 0;
    let mut failure = None;
    for t in &tasks {
        let old = t.id.as_ref().is_some_and(|i| before.contains(i));
        let desired = t.desired_state;
        let state = t.status.as_ref().and_then(|s| s.state);
        if desired == Some(TaskState::RUNNING) {
            wanted += 1;
            if state == Some(TaskState::RUNNING) {
                running += 1;
            }
        }
        if !old && matches!(state, Some(TaskState::REJECTED) | Some(TaskState::FAILED)) {
            let err = t
                .status
                .as_ref()
                .and_then(|s| s.err.clone())
                .unwrap_or_else(|| "task failed".into());
            failure = Some(err);
        }
        // A pending task that no node can take says why.
        if !old
            && state == Some(TaskState::PENDING)
            && let Some(msg) = t.status.as_ref().and_then(|s| s.err.clone())
            && msg.contains("no suitable node")
        {
            failure = Some(msg);
        }
    }
    let desired = if global {
        wanted
    } else {
        svc.spec
            .and_then(|s| s.mode)
            .and_then(|m| m.replicated)
            .and_then(|r| r.replicas)
            .unwrap_or(wanted as i64) as u64
    };
    Ok(Convergence {
        running,
        desired,
        failure,
    })
}

/// What `stack rm` removed, by kind, for its lines.
#[derive(Default)]
pub struct Removed {
    pub services: Vec<String>,
    pub configs: Vec<String>,
    pub secrets: Vec<String>,
    pub networks: Vec<String>,
    pub errors: Vec<String>,
}

/// Removes every object of the stack: services, then secrets, configs and networks.
pub async fn remove_stack(engine: &Engine, stack: &str) -> Result<Removed> {
    let o = observe_stack(engine, stack).await?;
    let d = &engine.docker;
    let mut r = Removed::default();
    let mut services = o.services;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    for s in services {
        match d.delete_service(&s.id).await {
            Ok(()) => r.services.push(s.name),
            Err(e) => r
                .errors
                .push(format!("Failed to remove service {}: {e}", s.id)),
        }
    }
    for s in o.secrets {
        match d.delete_secret(&s.id).await {
            Ok(()) => r.secrets.push(s.name),
            Err(e) => r
                .errors
                .push(format!("Failed to remove secret {}: {e}", s.id)),
        }
    }
    for c in o.configs {
        match d.delete_config(&c.id).await {
            Ok(()) => r.configs.push(c.name),
            Err(e) => r
                .errors
                .push(format!("Failed to remove config {}: {e}", c.id)),
        }
    }
    for n in o.networks {
        match d.remove_network(&n.id).await {
            Ok(()) => r.networks.push(n.name),
            Err(e) => r
                .errors
                .push(format!("Failed to remove network {}: {e}", n.id)),
        }
    }
    Ok(r)
}

/// Whether any task container of the stack is still around (for `stack rm -d=false`).
pub async fn tasks_left(engine: &Engine, stack: &str) -> Result<bool> {
    let tasks = engine
        .docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(stack_filter(stack)),
        }))
        .await?;
    Ok(tasks.iter().any(|t| {
        !matches!(
            t.status.as_ref().and_then(|s| s.state),
            Some(TaskState::SHUTDOWN)
                | Some(TaskState::COMPLETE)
                | Some(TaskState::FAILED)
                | Some(TaskState::REJECTED)
                | Some(TaskState::ORPHANED)
                | Some(TaskState::REMOVE)
        )
    }))
}

/// The registry credentials for `image` (`--with-registry-auth`).
pub async fn credentials_for(
    engine: &Engine,
    image: &str,
) -> Result<Option<bollard::auth::DockerCredentials>> {
    Ok(engine.auth.for_image(image).await?.credentials)
}

/// `image@digest` from the registry (`--resolve-image`), or None when the registry cannot be
/// reached within a few seconds or does not know the image.
pub async fn resolve_image(
    engine: &Engine,
    image: &str,
    credentials: Option<bollard::auth::DockerCredentials>,
) -> Option<String> {
    let ask = engine.docker.inspect_registry_image(image, credentials);
    let found = tokio::time::timeout(std::time::Duration::from_secs(5), ask)
        .await
        .ok()?
        .ok()?;
    let digest = found.descriptor.digest?;
    let base = image.split('@').next().unwrap_or(image);
    Some(format!("{base}@{digest}"))
}
