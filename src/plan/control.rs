//! Planners for the commands that act on existing containers without reconciling them with the
//! model: `restart`, `kill`, `pause`, `unpause`, `rm` and `wait`. They read a list of services
//! (from the compose file or from container labels) and the observed containers, and never
//! create anything; pure like the rest of `plan`.

use std::collections::BTreeMap;

use crate::model::DependencyGraph;
use crate::model::service::Condition;

use super::observed::{ContainerState, ObservedContainer, ObservedState};
use super::{Action, Plan, PlanError};

/// One `depends_on` entry as `restart` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartDependency {
    pub service: String,
    pub condition: Condition,
    pub required: bool,
    /// `restart: true`: restarting the dependency restarts this service too.
    pub restart: bool,
}

/// Parses a `com.docker.compose.depends_on` label (`db:service_healthy:true,...`, the last
/// field being `restart`) for label-only `restart`.
pub fn restart_dependencies_from_label(label: &str) -> Vec<RestartDependency> {
    label
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let mut parts = entry.split(':');
            let service = parts.next().unwrap_or_default().to_string();
            let condition = parts
                .next()
                .and_then(Condition::parse)
                .unwrap_or(Condition::ServiceStarted);
            let restart = parts.next() == Some("true");
            RestartDependency {
                service,
                condition,
                required: true,
                restart,
            }
        })
        .collect()
}

/// Plans `restart`. `services` are the project's services with their dependencies. Only
/// `depends_on` edges with `restart: true` are kept; named services (`selected`, all when empty)
/// are extended with their dependents along those edges unless `no_deps`. Services restart in
/// dependency order, each after its (restarted) dependencies meet their conditions. Every
/// non-one-off container restarts, stopped ones included.
pub fn plan_restart(
    services: &[(String, Vec<RestartDependency>)],
    observed: &ObservedState,
    selected: &[String],
    no_deps: bool,
    timeout: Option<i64>,
) -> Result<Plan, PlanError> {
    let in_scope = |s: &str| !no_deps || selected.is_empty() || selected.iter().any(|x| x == s);
    let scoped: Vec<(&str, Vec<&RestartDependency>)> = services
        .iter()
        .filter(|(s, _)| in_scope(s))
        .map(|(s, deps)| {
            let kept = deps
                .iter()
                .filter(|d| d.restart && in_scope(&d.service))
                .filter(|d| services.iter().any(|(k, _)| *k == d.service))
                .collect();
            (s.as_str(), kept)
        })
        .collect();
    let graph = DependencyGraph::build(scoped.iter().map(|(s, deps)| {
        (
            *s,
            deps.iter().map(|d| d.service.clone()).collect::<Vec<_>>(),
        )
    }))
    .map_err(PlanError)?;
    let targets: Vec<String> = if selected.is_empty() {
        graph.order().to_vec()
    } else {
        graph.with_dependents(selected)
    };
    let mut plan = Plan::default();
    let mut restarts: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for svc in graph.order().iter().filter(|s| targets.contains(s)) {
        let deps = scoped
            .iter()
            .find(|(s, _)| *s == svc)
            .map(|(_, d)| d.as_slice())
            .unwrap_or_default();
        let mut wait_for = Vec::new();
        for d in deps.iter().filter(|d| targets.contains(&d.service)) {
            let dep_steps = restarts
                .get(d.service.as_str())
                .cloned()
                .unwrap_or_default();
            if d.condition == Condition::ServiceStarted {
                wait_for.extend(dep_steps);
                continue;
            }
            let containers: Vec<String> = observed
                .service_containers(&d.service)
                .iter()
                .map(|c| c.name.clone())
                .collect();
            if containers.is_empty() {
                continue;
            }
            wait_for.push(plan.add(
                Action::AwaitDependency {
                    service: svc.clone(),
                    dependency: d.service.clone(),
                    condition: d.condition,
                    required: d.required,
                    containers,
                },
                dep_steps,
            ));
        }
        let ids = observed
            .service_containers(svc)
            .into_iter()
            .map(|c| {
                plan.add(
                    Action::RestartContainer {
                        service: svc.clone(),
                        name: c.name.clone(),
                        timeout,
                    },
                    wait_for.clone(),
                )
            })
            .collect();
        restarts.insert(svc, ids);
    }
    Ok(plan)
}

/// Which containers a control command considers.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Services named on the command line; empty means all.
    pub services: Vec<String>,
    /// Services of the compose model (enabled ones plus named ones); None in label-only mode,
    /// where every service found in labels counts.
    pub known: Option<Vec<String>>,
}

impl Selection {
    fn matches(&self, c: &ObservedContainer) -> bool {
        (self.services.is_empty() || self.services.contains(&c.service))
            && self.known.as_ref().is_none_or(|k| k.contains(&c.service))
    }
}

/// True for containers the engine lists without `all`: running, paused or restarting.
fn listed_as_running(c: &ObservedContainer) -> bool {
    matches!(
        c.state,
        ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
    )
}

/// Plans `kill`: `signal` to every running container of the selection, one-off containers
/// included; with `remove_orphans`, containers of services the model does not know too.
pub fn plan_kill(
    observed: &ObservedState,
    selection: &Selection,
    remove_orphans: bool,
    signal: &str,
) -> Plan {
    let selection = Selection {
        services: selection.services.clone(),
        known: selection.known.clone().filter(|_| !remove_orphans),
    };
    let mut plan = Plan::default();
    for c in observed
        .containers
        .iter()
        .filter(|c| listed_as_running(c) && selection.matches(c))
    {
        plan.add(
            Action::KillContainer {
                service: c.service.clone(),
                name: c.name.clone(),
                signal: signal.to_string(),
            },
            vec![],
        );
    }
    plan
}

/// Plans `pause` (or `unpause` when `pause` is false): every running, non-one-off container of
/// the selection. As in compose, pausing an already paused container is left to the engine to
/// refuse.
pub fn plan_pause(observed: &ObservedState, selection: &Selection, pause: bool) -> Plan {
    let mut plan = Plan::default();
    for c in observed
        .containers
        .iter()
        .filter(|c| !c.oneoff && listed_as_running(c) && selection.matches(c))
    {
        let (service, name) = (c.service.clone(), c.name.clone());
        let action = if pause {
            Action::PauseContainer { service, name }
        } else {
            Action::UnpauseContainer { service, name }
        };
        plan.add(action, vec![]);
    }
    plan
}

/// The containers `rm` removes: stopped (created, exited, dead), non-one-off containers of the
/// selection, by name.
pub fn removable<'a>(
    observed: &'a ObservedState,
    selection: &Selection,
) -> Vec<&'a ObservedContainer> {
    observed
        .containers
        .iter()
        .filter(|c| {
            !c.oneoff
                && matches!(
                    c.state,
                    ContainerState::Created | ContainerState::Exited | ContainerState::Dead
                )
                && selection.matches(c)
        })
        .collect()
}

/// Plans `rm` of `containers`; `volumes` also removes their anonymous volumes.
pub fn plan_rm(containers: &[&ObservedContainer], volumes: bool) -> Plan {
    let mut plan = Plan::default();
    for c in containers {
        plan.add(
            Action::RemoveContainer {
                service: c.service.clone(),
                name: c.name.clone(),
                volumes,
            },
            vec![],
        );
    }
    plan
}

/// The containers `wait` blocks on: running containers of `services`, one-offs included.
pub fn wait_targets<'a>(
    observed: &'a ObservedState,
    services: &[String],
) -> Vec<&'a ObservedContainer> {
    observed
        .containers
        .iter()
        .filter(|c| listed_as_running(c) && services.contains(&c.service))
        .collect()
}

/// Parses `scale`'s `SERVICE=NUM` arguments, with compose's messages.
pub fn parse_scale_args(args: &[String]) -> Result<Vec<(String, u32)>, PlanError> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for arg in args {
        let (key, val) = match arg.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => (k, v),
            _ => return Err(PlanError(format!("invalid scale specifier: {arg}"))),
        };
        let n: i64 = val.parse().map_err(|_| {
            PlanError(format!(
                "invalid scale specifier: can't parse replica value as int: {arg}"
            ))
        })?;
        let n =
            u32::try_from(n).map_err(|_| PlanError(format!("invalid scale specifier: {arg}")))?;
        match out.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = n,
            None => out.push((key.to_string(), n)),
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::observed::ObservedContainer;

    fn container(service: &str, n: u32, state: ContainerState, oneoff: bool) -> ObservedContainer {
        let name = if oneoff {
            format!("p-{service}-run-{n}")
        } else {
            format!("p-{service}-{n}")
        };
        ObservedContainer {
            id: format!("id-{name}"),
            name,
            service: service.into(),
            number: (!oneoff).then_some(n),
            oneoff,
            state,
            labels: BTreeMap::new(),
            networks: vec![],
            volumes: vec![],
            image: "busybox".into(),
        }
    }

    fn observed(cs: Vec<ObservedContainer>) -> ObservedState {
        ObservedState {
            project: "p".into(),
            containers: cs,
            ..Default::default()
        }
    }

    fn dep(s: &str, condition: Condition, restart: bool) -> RestartDependency {
        RestartDependency {
            service: s.into(),
            condition,
            required: true,
            restart,
        }
    }

    /// db ← app (restart: true, healthy) ; db ← worker (no restart)
    fn services() -> Vec<(String, Vec<RestartDependency>)> {
        vec![
            ("db".into(), vec![]),
            (
                "app".into(),
                vec![dep("db", Condition::ServiceHealthy, true)],
            ),
            (
                "worker".into(),
                vec![dep("db", Condition::ServiceStarted, false)],
            ),
        ]
    }

    fn state() -> ObservedState {
        use ContainerState::*;
        observed(vec![
            container("app", 1, Running, false),
            container("db", 1, Exited, false),
            container("worker", 1, Running, false),
            container("worker", 1, Running, true),
        ])
    }

    fn index(plan: &Plan, line: &str) -> usize {
        plan.describe()
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line:?} not in {:?}", plan.describe()))
    }

    #[test]
    fn restart_all_in_dependency_order_waiting_for_conditions() {
        let plan = plan_restart(&services(), &state(), &[], false, Some(0)).unwrap();
        assert_eq!(
            plan.describe(),
            [
                "restart p-db-1",
                "await db service_healthy for app",
                "restart p-app-1",
                "restart p-worker-1",
            ]
        );
        let (db, wait, app) = (
            index(&plan, "restart p-db-1"),
            index(&plan, "await db service_healthy for app"),
            index(&plan, "restart p-app-1"),
        );
        assert_eq!(plan.steps[wait].after, [db]);
        assert_eq!(plan.steps[app].after, [wait]);
        // worker does not depend on db with restart: true, so it does not wait
        assert!(
            plan.steps[index(&plan, "restart p-worker-1")]
                .after
                .is_empty()
        );
        match &plan.steps[db].action {
            Action::RestartContainer { timeout, .. } => assert_eq!(*timeout, Some(0)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn restart_named_service_extends_to_restart_true_dependents() {
        let plan = plan_restart(&services(), &state(), &["db".into()], false, None).unwrap();
        assert_eq!(
            plan.describe(),
            [
                "restart p-db-1",
                "await db service_healthy for app",
                "restart p-app-1"
            ]
        );
        let no_deps = plan_restart(&services(), &state(), &["db".into()], true, None).unwrap();
        assert_eq!(no_deps.describe(), ["restart p-db-1"]);
    }

    #[test]
    fn restart_dependent_alone_does_not_wait_for_unrestarted_dependency() {
        let plan = plan_restart(&services(), &state(), &["app".into()], false, None).unwrap();
        assert_eq!(plan.describe(), ["restart p-app-1"]);
        assert!(plan.steps[0].after.is_empty());
    }

    #[test]
    fn restart_reads_the_restart_flag_from_labels() {
        let deps =
            restart_dependencies_from_label("db:service_healthy:true,cache:service_started:false");
        assert_eq!(
            deps,
            [
                dep("db", Condition::ServiceHealthy, true),
                dep("cache", Condition::ServiceStarted, false)
            ]
        );
        assert!(restart_dependencies_from_label("").is_empty());
    }

    #[test]
    fn kill_targets_running_containers_including_one_offs() {
        use ContainerState::*;
        let obs = observed(vec![
            container("app", 1, Running, false),
            container("app", 2, Exited, false),
            container("app", 1, Running, true),
            container("gone", 1, Running, false),
            container("db", 1, Paused, false),
        ]);
        let sel = Selection {
            services: vec![],
            known: Some(vec!["app".into(), "db".into()]),
        };
        let plan = plan_kill(&obs, &sel, false, "SIGKILL");
        assert_eq!(
            plan.describe(),
            [
                "kill p-app-1 SIGKILL",
                "kill p-app-run-1 SIGKILL",
                "kill p-db-1 SIGKILL"
            ]
        );
        let with_orphans = plan_kill(&obs, &sel, true, "SIGTERM");
        assert_eq!(with_orphans.steps.len(), 4);
        assert!(
            with_orphans
                .describe()
                .contains(&"kill p-gone-1 SIGTERM".to_string())
        );
        let only_db = Selection {
            services: vec!["db".into()],
            known: None,
        };
        assert_eq!(
            plan_kill(&obs, &only_db, false, "SIGHUP").describe(),
            ["kill p-db-1 SIGHUP"]
        );
        assert!(plan_kill(&observed(vec![]), &sel, false, "SIGKILL").is_empty());
    }

    #[test]
    fn pause_and_unpause_skip_one_offs_and_stopped_containers() {
        use ContainerState::*;
        let obs = observed(vec![
            container("a", 1, Running, false),
            container("a", 2, Paused, false),
            container("a", 3, Exited, false),
            container("a", 1, Running, true),
            container("b", 1, Running, false),
        ]);
        let sel = Selection {
            services: vec!["a".into()],
            known: None,
        };
        assert_eq!(
            plan_pause(&obs, &sel, true).describe(),
            ["pause p-a-1", "pause p-a-2"]
        );
        assert_eq!(
            plan_pause(&obs, &Selection::default(), false).describe(),
            ["unpause p-a-1", "unpause p-a-2", "unpause p-b-1"]
        );
    }

    #[test]
    fn rm_removes_only_stopped_non_one_off_containers_of_known_services() {
        use ContainerState::*;
        let obs = observed(vec![
            container("a", 1, Exited, false),
            container("a", 2, Running, false),
            container("a", 3, Created, false),
            container("a", 1, Exited, true),
            container("b", 1, Paused, false),
            container("orphan", 1, Exited, false),
        ]);
        let sel = Selection {
            services: vec![],
            known: Some(vec!["a".into(), "b".into()]),
        };
        let names: Vec<&str> = removable(&obs, &sel)
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["p-a-1", "p-a-3"]);
        let plan = plan_rm(&removable(&obs, &sel), true);
        assert!(
            plan.steps
                .iter()
                .all(|s| matches!(s.action, Action::RemoveContainer { volumes: true, .. }))
        );
        let label_only = Selection::default();
        assert_eq!(removable(&obs, &label_only).len(), 3);
    }

    #[test]
    fn wait_targets_running_containers_of_the_named_services() {
        use ContainerState::*;
        let obs = observed(vec![
            container("a", 1, Running, false),
            container("a", 2, Exited, false),
            container("a", 1, Running, true),
            container("b", 1, Running, false),
        ]);
        let names: Vec<&str> = wait_targets(&obs, &["a".into()])
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["p-a-1", "p-a-run-1"]);
    }

    #[test]
    fn scale_arguments() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_scale_args(&args(&["web=3", "db=0"])).unwrap(),
            [("db".to_string(), 0), ("web".to_string(), 3)]
        );
        assert_eq!(
            parse_scale_args(&args(&["web"])).unwrap_err().0,
            "invalid scale specifier: web"
        );
        assert_eq!(
            parse_scale_args(&args(&["=2"])).unwrap_err().0,
            "invalid scale specifier: =2"
        );
        assert_eq!(
            parse_scale_args(&args(&["web=x"])).unwrap_err().0,
            "invalid scale specifier: can't parse replica value as int: web=x"
        );
    }
}
