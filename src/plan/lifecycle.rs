//! Planners for `stop`, `start` and `down`: they work from a dependency graph and the observed
//! containers alone, so they serve both a loaded compose file and label-only mode (`-p NAME`).

use std::collections::BTreeMap;

use crate::model::DependencyGraph;
use crate::model::service::Condition;

use super::observed::{ContainerState, ObservedState, labels};
use super::{Action, Plan, PlanError};

/// Services to act on: `selected` when given, else every service of the graph.
fn services_or_all(graph: &DependencyGraph, selected: &[String]) -> Vec<String> {
    if selected.is_empty() {
        graph.order().to_vec()
    } else {
        selected.to_vec()
    }
}

/// Adds stop steps for `services` in reverse dependency order: a service stops only after every
/// service that depends on it. Returns service → its stop steps.
fn add_stops(
    plan: &mut Plan,
    graph: &DependencyGraph,
    observed: &ObservedState,
    services: &[String],
    timeout: Option<i64>,
) -> BTreeMap<String, Vec<usize>> {
    let mut steps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for svc in graph.order().iter().rev().filter(|s| services.contains(s)) {
        let after: Vec<usize> = graph
            .dependents(svc)
            .iter()
            .flat_map(|d| steps.get(*d).cloned().unwrap_or_default())
            .collect();
        let ids = observed
            .service_containers(svc)
            .into_iter()
            .map(|c| {
                plan.add(
                    Action::StopContainer {
                        service: svc.clone(),
                        name: c.name.clone(),
                        timeout,
                    },
                    after.clone(),
                )
            })
            .collect();
        steps.insert(svc.clone(), ids);
    }
    steps
}

/// Plans `stop`: every container of the selected services (already stopped ones included, as
/// compose reports them too). One-off containers are never stopped.
pub fn plan_stop(
    graph: &DependencyGraph,
    observed: &ObservedState,
    selected: &[String],
    timeout: Option<i64>,
) -> Plan {
    let mut plan = Plan::default();
    let services = services_or_all(graph, selected);
    add_stops(&mut plan, graph, observed, &services, timeout);
    plan
}

/// A service's dependencies: name, condition, required.
pub type DependencyConditions<'a> = &'a dyn Fn(&str) -> Vec<(String, Condition, bool)>;

/// Plans `start`: starts the stopped containers of the selected services in dependency order,
/// each service after its dependencies' conditions. `conditions` gives a service's dependencies
/// with their condition and whether they are required.
pub fn plan_start(
    graph: &DependencyGraph,
    observed: &ObservedState,
    selected: &[String],
    conditions: DependencyConditions<'_>,
) -> Result<Plan, PlanError> {
    let mut plan = Plan::default();
    let services = if selected.is_empty() {
        graph.order().to_vec()
    } else {
        graph.with_dependencies(selected)
    };
    if observed.containers.iter().all(|c| c.oneoff) {
        return Err(PlanError(format!(
            "no container found for project {:?}: not found",
            observed.project
        )));
    }
    let mut start_steps: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for svc in graph.order().iter().filter(|s| services.contains(s)) {
        let containers = observed.service_containers(svc);
        if containers.is_empty() {
            // Services scaled to zero or never created are skipped unless named.
            if selected.contains(svc) {
                return Err(PlanError(format!(
                    "service {svc:?} has no container to start"
                )));
            }
            continue;
        }
        let mut wait_for = Vec::new();
        for (dep, cond, required) in conditions(svc) {
            let dep_starts = start_steps.get(&dep).cloned().unwrap_or_default();
            if cond == Condition::ServiceStarted {
                wait_for.extend(dep_starts);
                continue;
            }
            let names: Vec<String> = observed
                .service_containers(&dep)
                .iter()
                .map(|c| c.name.clone())
                .collect();
            if names.is_empty() {
                continue;
            }
            wait_for.push(plan.add(
                Action::AwaitDependency {
                    service: svc.clone(),
                    dependency: dep.clone(),
                    condition: cond,
                    required,
                    containers: names,
                },
                dep_starts,
            ));
        }
        let mut starts = Vec::new();
        for c in containers {
            if c.state == ContainerState::Running {
                continue;
            }
            starts.push(plan.add(
                Action::StartContainer {
                    service: svc.clone(),
                    name: c.name.clone(),
                    // Labels do not say which ports a container publishes: be safe.
                    exclusive: true,
                },
                wait_for.clone(),
            ));
        }
        start_steps.insert(svc.clone(), starts);
    }
    Ok(plan)
}

/// What `down` removes besides containers.
#[derive(Debug, Clone, Default)]
pub struct DownOptions {
    /// Services named on the command line (they and their dependents are removed).
    pub services: Vec<String>,
    /// `-v`: remove named volumes and anonymous volumes of the containers.
    pub volumes: bool,
    pub remove_orphans: bool,
    pub timeout: Option<i64>,
    /// Service names known to the compose file; None in label-only mode (all are known).
    pub known_services: Option<Vec<String>>,
    /// Engine names of the project's networks from the compose file (non-external); None in
    /// label-only mode, where every network labelled with the project is removed.
    pub networks: Option<Vec<String>>,
    /// Engine names of the project's named volumes (non-external); None in label-only mode.
    pub named_volumes: Option<Vec<String>>,
    /// `--rmi`: image references to remove once the containers are gone (see
    /// [`images_to_remove`]).
    pub images: Vec<String>,
}

/// `down --rmi TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveImages {
    /// Images built for the project: labelled with it, or named `<project>-<service>` for a
    /// service without `image:`.
    Local,
    /// Those and every image a service names.
    All,
}

impl RemoveImages {
    pub fn parse(s: &str) -> Option<RemoveImages> {
        match s {
            "local" => Some(RemoveImages::Local),
            "all" => Some(RemoveImages::All),
            _ => None,
        }
    }
}

/// The image references `down --rmi` removes. `services` are the services going down with
/// the image each names (`None`: built under the default name `<project>-<service>`);
/// `labelled` are the local images labelled with the project, as (reference, service label);
/// with `all_labelled` (`--remove-orphans`) a labelled image of any service goes.
pub fn images_to_remove(
    mode: RemoveImages,
    project: &str,
    services: &[(String, Option<String>)],
    labelled: &[(String, String)],
    all_labelled: bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (reference, service) in labelled {
        if all_labelled || services.iter().any(|(s, _)| s == service) {
            out.push(reference.clone());
        }
    }
    for (service, image) in services {
        match image {
            None => out.push(format!("{project}-{service}")),
            Some(i) if mode == RemoveImages::All => out.push(i.clone()),
            Some(_) => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|i| seen.insert(normalize_reference(i)));
    out
}

/// `name` and `name:latest` are one image.
fn normalize_reference(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || image.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// Names of the containers `plan` removes.
fn plan_removed_names(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::RemoveContainer { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// Plans `down`: stop and remove containers in reverse dependency order, then the project's
/// networks, then (with `-v`) its volumes. Only resources labelled with this project are
/// removed: never an external volume, never another project's.
pub fn plan_down(graph: &DependencyGraph, observed: &ObservedState, opts: &DownOptions) -> Plan {
    let mut plan = Plan::default();
    let services: Vec<String> = if opts.services.is_empty() {
        graph.order().to_vec()
    } else {
        graph.with_dependents(&opts.services)
    };
    let stops = add_stops(&mut plan, graph, observed, &services, opts.timeout);
    let mut removals = Vec::new();
    for svc in graph.order().iter().rev().filter(|s| services.contains(s)) {
        for (c, stop) in observed
            .service_containers(svc)
            .into_iter()
            .zip(stops.get(svc).cloned().unwrap_or_default())
        {
            removals.push(plan.add(
                Action::RemoveContainer {
                    service: svc.clone(),
                    name: c.name.clone(),
                    volumes: opts.volumes,
                },
                vec![stop],
            ));
        }
    }
    // Orphans: containers of services not in the file, and one-off containers.
    if opts.remove_orphans && opts.services.is_empty() {
        for c in &observed.containers {
            let known = match &opts.known_services {
                Some(k) => k.contains(&c.service),
                None => true,
            };
            if !c.oneoff && known {
                continue;
            }
            if !c.oneoff && services.contains(&c.service) {
                continue;
            }
            removals.push(plan.stop_and_remove(c, opts.timeout));
        }
    }
    for image in &opts.images {
        plan.add(
            Action::RemoveImage {
                image: image.clone(),
            },
            removals.clone(),
        );
    }
    // The project's networks go after its containers, also with services named (compose
    // tries them all): one a remaining container is attached to is kept with a warning.
    let removed = plan_removed_names(&plan);
    let networks: Vec<String> = match &opts.networks {
        Some(names) => names
            .iter()
            .filter(|n| {
                observed
                    .network(n)
                    .is_some_and(|net| observed.owns(&net.labels))
            })
            .cloned()
            .collect(),
        None => observed
            .networks
            .iter()
            .filter(|n| observed.owns(&n.labels) && n.labels.contains_key(labels::NETWORK))
            .map(|n| n.name.clone())
            .collect(),
    };
    for name in networks {
        let in_use = observed
            .containers
            .iter()
            .any(|c| !removed.contains(&c.name) && c.networks.contains(&name));
        let action = if in_use {
            Action::NetworkInUse { name }
        } else {
            Action::RemoveNetwork {
                name,
                project: observed.project.clone(),
            }
        };
        plan.add(action, removals.clone());
    }
    // With -v the project's named volumes go too, also with services named (as compose):
    // one a remaining container mounts is kept with a warning.
    if opts.volumes {
        let owned_volume = |name: &str| {
            observed
                .volume(name)
                .is_some_and(|v| observed.owns(&v.labels))
        };
        let volumes: Vec<String> = match &opts.named_volumes {
            Some(names) => names.iter().filter(|n| owned_volume(n)).cloned().collect(),
            None => observed
                .volumes
                .iter()
                .filter(|v| observed.owns(&v.labels) && v.labels.contains_key(labels::VOLUME))
                .map(|v| v.name.clone())
                .collect(),
        };
        for name in volumes {
            let in_use = observed
                .containers
                .iter()
                .any(|c| !removed.contains(&c.name) && c.volumes.contains(&name));
            let action = if in_use {
                Action::VolumeInUse { name }
            } else {
                Action::RemoveVolume { name }
            };
            plan.add(action, removals.clone());
        }
    }
    plan
}
