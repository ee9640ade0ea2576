//! The `up` planner: which networks, volumes, images and containers to create, which containers
//! to recreate (and why), which to start, and what each start waits for.

use std::collections::BTreeMap;

use crate::model::service::Condition;
use crate::model::{Project, hash};

use super::observed::{ContainerState, ObservedContainer, ObservedState, labels};
use super::spec::{
    EndpointSpec, container_name, container_spec, named_volumes, network_spec, volume_spec,
};
use super::{Action, Plan, PlanError, diff};

/// When to recreate a container whose configuration may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recreate {
    /// Only when its configuration or image changed.
    #[default]
    Diverged,
    /// Always (`--force-recreate`).
    Force,
    /// Never (`--no-recreate`).
    Never,
}

/// Flags of `up`/`create` that change the plan.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Strategy for the services named on the command line (all when none are named).
    pub recreate: Recreate,
    /// Strategy for their dependencies.
    pub recreate_dependencies: Recreate,
    /// Services named on the command line.
    pub targets: Vec<String>,
    /// Create but do not start (`create`, `up --no-start`).
    pub no_start: bool,
    /// `-t`: stop timeout for recreates and scale-down.
    pub timeout: Option<i64>,
    /// `-V`: give recreated containers new anonymous volumes instead of the old ones.
    pub renew_anon_volumes: bool,
    pub remove_orphans: bool,
    /// `-y`, or the user's answer: recreate volumes whose configuration changed (their data is
    /// lost). Without it such a volume is kept as it is, with a warning.
    pub recreate_diverged_volumes: bool,
}

/// The plan for `up`, plus what to tell the user before running it.
#[derive(Debug, Clone, Default)]
pub struct UpPlan {
    pub plan: Plan,
    /// Names of containers that belong to no service of the project.
    pub orphans: Vec<String>,
    pub warnings: Vec<String>,
    /// Engine names of volumes whose configuration changed and that are kept as they are
    /// (no `recreate_diverged_volumes`); the caller may ask the user and plan again.
    pub diverged_volumes: Vec<String>,
}

/// Plans `up`. Fails before anything is changed when an external resource is missing.
pub fn plan_up(
    project: &Project,
    observed: &ObservedState,
    opts: &UpOptions,
) -> Result<UpPlan, PlanError> {
    let mut out = UpPlan::default();
    let plan = &mut out.plan;

    // Secrets and configs held by a swarm cannot be given to plain containers.
    for (kind, sources) in [("secret", &project.secrets), ("config", &project.configs)] {
        for (key, source) in sources {
            if let crate::model::host::FileSource::External(name) = source {
                return Err(PlanError(format!(
                    "unsupported external {kind} {key} ({name}): external {kind}s are only available in swarm mode"
                )));
            }
        }
    }

    // Resources first; external ones must already exist.
    let mut resource_steps: Vec<usize> = Vec::new();
    // Running containers this plan stops (a network or a `restart: true` dependency is
    // recreated): the start phase starts them again.
    let mut stopped_by_plan: Vec<String> = Vec::new();
    // Containers this plan removes because a volume they mount is recreated.
    let mut removed_by_plan: Vec<String> = Vec::new();
    for (key, n) in &project.networks {
        match observed.network(&n.name) {
            None if n.external => {
                return Err(PlanError(format!(
                    "network {} declared as external, but could not be found",
                    n.name
                )));
            }
            None => resource_steps.push(plan.add(
                Action::CreateNetwork(network_spec(&project.name, key, n)),
                vec![],
            )),
            Some(found) if !n.external && !found.labels.contains_key(labels::PROJECT) => {
                out.warnings.push(format!(
                    "a network with name {} exists but was not created by compose.\nSet `external: true` to use an existing network",
                    n.name
                ));
            }
            Some(found)
                if !n.external
                    && found
                        .labels
                        .get(labels::CONFIG_HASH)
                        .is_some_and(|h| *h != hash::network_hash(n)) =>
            {
                // The network's configuration changed: its containers are stopped,
                // disconnected, and connected again to the new network; they are kept, and
                // the start phase starts them again.
                let attached: Vec<&ObservedContainer> = observed
                    .containers
                    .iter()
                    .filter(|c| c.networks.contains(&n.name))
                    .collect();
                let mut stops = Vec::new();
                let mut reconnect = Vec::new();
                for c in attached {
                    if c.state == ContainerState::Running {
                        stops.push(plan.add(
                            Action::StopContainer {
                                service: c.service.clone(),
                                name: c.name.clone(),
                                timeout: opts.timeout,
                            },
                            vec![],
                        ));
                        stopped_by_plan.push(c.name.clone());
                    }
                    let endpoint = project
                        .services
                        .get(&c.service)
                        .filter(|_| !c.oneoff)
                        .and_then(|s| {
                            container_spec(project, s, c.number.unwrap_or(1), None)
                                .networks
                                .into_iter()
                                .find(|e| e.network == n.name)
                        })
                        .unwrap_or_else(|| EndpointSpec {
                            network: n.name.clone(),
                            aliases: Vec::new(),
                            ipv4_address: None,
                            ipv6_address: None,
                        });
                    reconnect.push((c.name.clone(), endpoint));
                }
                resource_steps.push(plan.add(
                    Action::RecreateNetwork {
                        spec: network_spec(&project.name, key, n),
                        project: project.name.clone(),
                        reconnect,
                    },
                    stops,
                ));
            }
            Some(_) => {}
        }
    }
    for (key, v) in &project.volumes {
        match observed.volume(&v.name) {
            None if v.external => {
                return Err(PlanError(format!(
                    "external volume \"{}\" not found",
                    v.name
                )));
            }
            None => resource_steps.push(plan.add(
                Action::CreateVolume(volume_spec(&project.name, key, v)),
                vec![],
            )),
            Some(found) if !v.external && !found.labels.contains_key(labels::PROJECT) => {
                out.warnings.push(format!(
                    "volume \"{}\" already exists but was not created by Docker Compose. Use `external: true` to use an existing volume",
                    v.name
                ));
            }
            Some(found)
                if !v.external
                    && found
                        .labels
                        .get(labels::CONFIG_HASH)
                        .is_some_and(|h| *h != hash::volume_hash(v)) =>
            {
                if !opts.recreate_diverged_volumes {
                    out.diverged_volumes.push(v.name.clone());
                    continue;
                }
                // Its users are removed (they are created again below), then the volume.
                let mut removals = Vec::new();
                for c in observed.containers.iter().filter(|c| {
                    c.volumes.contains(&v.name)
                        || (!c.oneoff
                            && project.services.get(&c.service).is_some_and(|s| {
                                s.volumes.iter().any(|m| {
                                    m.kind == crate::model::short_syntax::MountKind::Volume
                                        && m.source.as_deref() == Some(key.as_str())
                                })
                            }))
                }) {
                    if removed_by_plan.contains(&c.name) {
                        continue;
                    }
                    removals.push(plan.stop_and_remove(c, opts.timeout));
                    removed_by_plan.push(c.name.clone());
                }
                let remove = plan.add(
                    Action::RemoveVolume {
                        name: v.name.clone(),
                    },
                    removals,
                );
                resource_steps.push(plan.add(
                    Action::CreateVolume(volume_spec(&project.name, key, v)),
                    vec![remove],
                ));
            }
            Some(_) => {}
        }
    }

    // Images that are not present locally are pulled once each.
    let mut pull_steps: BTreeMap<String, usize> = BTreeMap::new();
    for s in project.services.values() {
        let image = s.image_name(project);
        if observed.images.contains_key(&image) {
            continue;
        }
        if let Some(&step) = pull_steps.get(&image) {
            if let Action::PullImage { services, .. } = &mut plan.steps[step].action {
                services.push(s.name.clone());
            }
            continue;
        }
        if s.pull_policy.as_deref() == Some("never") {
            return Err(PlanError(format!(
                "service {:?}: image {image} is not present locally and pull_policy is never",
                s.name
            )));
        }
        if s.image.is_none() {
            return Err(PlanError(format!(
                "service {:?} must be built (image {image} does not exist): run `rcompose build` or `up` without --no-build",
                s.name
            )));
        }
        let step = plan.add(
            Action::PullImage {
                image: image.clone(),
                services: vec![s.name.clone()],
            },
            vec![],
        );
        pull_steps.insert(image, step);
    }

    // Orphans: containers of services that are not in the files, and exited one-offs.
    let known: Vec<&str> = project.all_service_names().collect();
    for c in &observed.containers {
        let orphan = if c.oneoff {
            matches!(c.state, ContainerState::Exited | ContainerState::Dead)
        } else {
            !known.contains(&c.service.as_str())
        };
        if !orphan {
            continue;
        }
        if opts.remove_orphans {
            plan.stop_and_remove(c, opts.timeout);
        } else {
            out.orphans.push(c.name.clone());
        }
    }

    // Services in dependency order.
    let mut start_steps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut create_steps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut final_names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for svc in project.graph.order() {
        let s = &project.services[svc];
        let targeted = opts.targets.is_empty() || opts.targets.contains(svc);
        let strategy = if targeted {
            opts.recreate
        } else {
            opts.recreate_dependencies
        };
        let image = s.image_name(project);
        let image_id = observed.images.get(&image).map(String::as_str);
        let mut create_after = resource_steps.clone();
        create_after.extend(pull_steps.get(&image));
        // A container is created after its dependencies' containers.
        for dep in s.depends_on.keys() {
            create_after.extend(create_steps.get(dep).into_iter().flatten());
        }
        let want_hash = hash::service_hash(s);
        let want = Wanted {
            hash: want_hash.clone(),
            config: hash::service_config_json(s),
            networks: if s.network_mode.is_some() {
                Vec::new()
            } else {
                s.networks
                    .keys()
                    .filter_map(|k| project.networks.get(k))
                    .map(|n| n.name.clone())
                    .collect()
            },
            volumes: named_volumes(project, s),
        };
        let expected = s.replicas() as usize;

        let mut existing = observed.service_containers(svc);
        existing.retain(|c| !removed_by_plan.contains(&c.name));
        // Up-to-date containers are kept first, then lower numbers.
        existing.sort_by_key(|c| {
            let stale = recreate_reason(c, &want, image_id, Recreate::Diverged).is_some();
            (stale, c.number)
        });

        // Dependents declared with `restart: true` are stopped before this service is
        // recreated, and started again by the start phase.
        let recreates_any = existing
            .iter()
            .take(expected)
            .any(|c| recreate_reason(c, &want, image_id, strategy).is_some());
        if recreates_any && !opts.no_start {
            for (dependent, ds) in &project.services {
                if !ds.depends_on.get(svc).is_some_and(|d| d.restart) {
                    continue;
                }
                for c in observed.service_containers(dependent) {
                    if c.state == ContainerState::Running && !stopped_by_plan.contains(&c.name) {
                        create_after.push(plan.add(
                            Action::StopContainer {
                                service: dependent.clone(),
                                name: c.name.clone(),
                                timeout: opts.timeout,
                            },
                            vec![],
                        ));
                        stopped_by_plan.push(c.name.clone());
                    }
                }
            }
        }

        // (container name, step that created it or None, current state)
        let mut members: Vec<(String, Option<usize>, Option<ContainerState>)> = Vec::new();
        let mut used_numbers: Vec<u32> = existing.iter().filter_map(|c| c.number).collect();
        for (i, c) in existing.iter().enumerate() {
            if i >= expected {
                plan.stop_and_remove(c, opts.timeout);
                continue;
            }
            let number = c.number.unwrap_or(i as u32 + 1);
            match recreate_reason(c, &want, image_id, strategy) {
                Some(reason) => {
                    let spec = container_spec(project, s, number, image_id);
                    let name = spec.name.clone();
                    let step = plan.add(
                        Action::RecreateContainer {
                            service: svc.clone(),
                            old_id: c.id.clone(),
                            old_name: c.name.clone(),
                            spec: Box::new(spec),
                            reason,
                            timeout: opts.timeout,
                            inherit_volumes: !opts.renew_anon_volumes,
                        },
                        create_after.clone(),
                    );
                    members.push((name, Some(step), None));
                }
                None if stopped_by_plan.contains(&c.name) => {
                    members.push((c.name.clone(), None, Some(ContainerState::Exited)));
                }
                None => {
                    if c.state == ContainerState::Running {
                        plan.add(
                            Action::AlreadyRunning {
                                name: c.name.clone(),
                            },
                            vec![],
                        );
                    }
                    members.push((c.name.clone(), None, Some(c.state)));
                }
            }
        }
        // New replicas are numbered after the highest existing one, as compose does.
        let mut next = used_numbers.iter().max().copied().unwrap_or(0) + 1;
        while members.len() < expected {
            while used_numbers.contains(&next) {
                next += 1;
            }
            used_numbers.push(next);
            let spec = container_spec(project, s, next, image_id);
            let name = spec.name.clone();
            let step = plan.add(
                Action::CreateContainer {
                    service: svc.clone(),
                    spec: Box::new(spec),
                },
                create_after.clone(),
            );
            members.push((name, Some(step), None));
        }
        final_names.insert(svc.clone(), members.iter().map(|m| m.0.clone()).collect());
        create_steps.insert(svc.clone(), members.iter().filter_map(|m| m.1).collect());

        if opts.no_start {
            continue;
        }
        // What the service's start waits for: its dependencies started, or their conditions.
        let mut wait_for: Vec<usize> = Vec::new();
        for (dep, d) in &s.depends_on {
            if !project.services.contains_key(dep) {
                continue;
            }
            let dep_starts = start_steps.get(dep).cloned().unwrap_or_default();
            if d.condition == Condition::ServiceStarted {
                wait_for.extend(dep_starts);
                continue;
            }
            let containers = final_names.get(dep).cloned().unwrap_or_default();
            if containers.is_empty() {
                continue; // scaled to zero: nothing to wait for
            }
            wait_for.push(plan.add(
                Action::AwaitDependency {
                    service: svc.clone(),
                    dependency: dep.clone(),
                    condition: d.condition,
                    required: d.required,
                    containers,
                },
                dep_starts,
            ));
        }
        let mut starts = Vec::new();
        for (name, created, state) in members {
            let needs_start = !matches!(state, Some(ContainerState::Running));
            if !needs_start {
                continue;
            }
            let mut after = wait_for.clone();
            match created {
                Some(step) => after.push(step),
                // A kept container starts after the resources (a recreated network
                // reconnects it first).
                None => after.extend(resource_steps.iter().copied()),
            }
            starts.push(plan.add(
                Action::StartContainer {
                    service: svc.clone(),
                    name,
                    exclusive: !s.ports.is_empty(),
                },
                after,
            ));
        }
        start_steps.insert(svc.clone(), starts);
    }
    Ok(out)
}

/// What a service's containers should be: config hash and canonical config, and the engine
/// names of the networks they join and the named volumes they mount.
struct Wanted {
    hash: String,
    config: String,
    networks: Vec<String>,
    volumes: Vec<String>,
}

/// Why `c` must be recreated under `strategy`, or None to keep it: the changed fields of its
/// configuration (from the `io.rcompose.config` label when the container has one), an image
/// digest change, or `forced`.
fn recreate_reason(
    c: &ObservedContainer,
    want: &Wanted,
    image_id: Option<&str>,
    strategy: Recreate,
) -> Option<String> {
    match strategy {
        Recreate::Never => None,
        Recreate::Force => Some("forced".into()),
        Recreate::Diverged => {
            let mut reasons: Vec<String> = Vec::new();
            if c.config_hash() != Some(want.hash.as_str()) {
                match c
                    .label(labels::CONFIG)
                    .and_then(|old| diff::diff_config(old, &want.config))
                {
                    Some(lines) if !lines.is_empty() => reasons.extend(lines),
                    _ => reasons.push("configuration changed".into()),
                }
            }
            if let (Some(have), Some(want)) = (c.label(labels::IMAGE), image_id)
                && have != want
            {
                reasons.push("image digest changed".into());
            }
            for n in want.networks.iter().filter(|n| !c.networks.contains(n)) {
                reasons.push(format!("network {n} not attached"));
            }
            for v in want.volumes.iter().filter(|v| !c.volumes.contains(v)) {
                reasons.push(format!("volume {v} not mounted"));
            }
            (!reasons.is_empty()).then(|| reasons.join("; "))
        }
    }
}

/// Name the `number`th replica of `service` gets (used by tests and the executor).
pub fn replica_name(project: &Project, service: &str, number: u32) -> Option<String> {
    project
        .services
        .get(service)
        .map(|s| container_name(project, s, number))
}
