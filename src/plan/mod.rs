//! Planning: the desired model and the observed engine state in, an ordered set of actions out.
//!
//! A [`Plan`] is a DAG: every [`Step`] names the steps it must run after, and the executor runs
//! steps concurrently as soon as those are done. Planners are pure and synchronous: no engine,
//! no clock, no environment, so every decision is unit-tested without a daemon.

pub mod build;
pub mod control;
pub mod diff;
pub mod explain;
pub mod lifecycle;
pub mod observed;
pub mod run;
pub mod spec;
pub mod stack;
pub mod up;

use crate::model::service::Condition;

pub use lifecycle::{
    DownOptions, RemoveImages, images_to_remove, plan_down, plan_start, plan_stop,
};
pub use observed::ObservedState;
pub use spec::{ContainerSpec, EndpointSpec, NetworkSpec, VolumeSpec};
pub use up::{Recreate, UpOptions, plan_up};

/// One thing to do on the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateNetwork(NetworkSpec),
    CreateVolume(VolumeSpec),
    /// Pull an image that is not present locally.
    PullImage {
        image: String,
        /// The services that need it (named when the pull fails).
        services: Vec<String>,
    },
    CreateContainer {
        service: String,
        spec: Box<ContainerSpec>,
    },
    /// Replace a container: create the new one under a temporary name, stop and remove the old
    /// one, rename the new one.
    RecreateContainer {
        service: String,
        old_id: String,
        old_name: String,
        spec: Box<ContainerSpec>,
        reason: String,
        timeout: Option<i64>,
        /// Mount the old container's anonymous volumes in the new one, so their data carries
        /// over (false with `-V/--renew-anon-volumes`).
        inherit_volumes: bool,
    },
    /// Start a container; `exclusive` (it publishes host ports) starts it under a
    /// process-wide lock, as compose does, to avoid the engine's port-allocation race.
    StartContainer {
        service: String,
        name: String,
        exclusive: bool,
    },
    /// Report a container that is already running and up to date.
    AlreadyRunning {
        name: String,
    },
    /// Wait until `containers` of `dependency` satisfy `condition`, before `service` starts.
    AwaitDependency {
        service: String,
        dependency: String,
        condition: Condition,
        required: bool,
        containers: Vec<String>,
    },
    StopContainer {
        service: String,
        name: String,
        timeout: Option<i64>,
    },
    RemoveContainer {
        service: String,
        name: String,
        volumes: bool,
    },
    /// Remove a project network; `project` is the label that duplicates of the same name
    /// must carry to be removed with it.
    RemoveNetwork {
        name: String,
        project: String,
    },
    /// A project network `down` leaves because a remaining container is attached to it:
    /// reported as compose reports a network the engine refuses to remove.
    NetworkInUse {
        name: String,
    },
    RemoveVolume {
        name: String,
    },
    /// A project volume `down -v SERVICE` leaves because a remaining container mounts it.
    VolumeInUse {
        name: String,
    },
    /// Replace a network whose configuration changed: disconnect `reconnect`'s containers,
    /// remove the network (and same-named duplicates labelled with `project`), create it
    /// anew and connect the containers again with their endpoint settings.
    RecreateNetwork {
        spec: NetworkSpec,
        project: String,
        reconnect: Vec<(String, EndpointSpec)>,
    },
    /// Remove an image reference (`down --rmi`); never forced, so an image still in use stays.
    RemoveImage {
        image: String,
    },
    /// Restart a container, stopped or not (`restart`).
    RestartContainer {
        service: String,
        name: String,
        timeout: Option<i64>,
    },
    /// Send a signal to a running container (`kill`).
    KillContainer {
        service: String,
        name: String,
        signal: String,
    },
    PauseContainer {
        service: String,
        name: String,
    },
    UnpauseContainer {
        service: String,
        name: String,
    },
}

impl Action {
    /// One line describing the action, for tests and `--dry-run`.
    pub fn describe(&self) -> String {
        match self {
            Action::CreateNetwork(n) => format!("create network {}", n.name),
            Action::CreateVolume(v) => format!("create volume {}", v.name),
            Action::PullImage { image, .. } => format!("pull {image}"),
            Action::CreateContainer { spec, .. } => format!("create {}", spec.name),
            Action::RecreateContainer { spec, reason, .. } => {
                format!("recreate {} ({reason})", spec.name)
            }
            Action::StartContainer { name, .. } => format!("start {name}"),
            Action::AlreadyRunning { name } => format!("running {name}"),
            Action::AwaitDependency {
                service,
                dependency,
                condition,
                ..
            } => format!("await {dependency} {} for {service}", condition.as_str()),
            Action::StopContainer { name, .. } => format!("stop {name}"),
            Action::RemoveContainer { name, .. } => format!("remove {name}"),
            Action::RemoveNetwork { name, .. } => format!("remove network {name}"),
            Action::NetworkInUse { name } => format!("keep network {name} (in use)"),
            Action::VolumeInUse { name } => format!("keep volume {name} (in use)"),
            Action::RemoveVolume { name } => format!("remove volume {name}"),
            Action::RecreateNetwork { spec, .. } => format!("recreate network {}", spec.name),
            Action::RemoveImage { image } => format!("remove image {image}"),
            Action::RestartContainer { name, .. } => format!("restart {name}"),
            Action::KillContainer { name, signal, .. } => format!("kill {name} {signal}"),
            Action::PauseContainer { name, .. } => format!("pause {name}"),
            Action::UnpauseContainer { name, .. } => format!("unpause {name}"),
        }
    }
}

/// An action and the steps it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: Action,
    /// Indexes of steps that must finish first (always smaller than this step's index).
    pub after: Vec<usize>,
}

/// Actions in a valid execution order, with the dependencies between them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// Appends a stop of container `c` and then its removal (anonymous volumes kept); returns
    /// the removal's step.
    pub fn stop_and_remove(
        &mut self,
        c: &observed::ObservedContainer,
        timeout: Option<i64>,
    ) -> usize {
        let stop = self.add(
            Action::StopContainer {
                service: c.service.clone(),
                name: c.name.clone(),
                timeout,
            },
            vec![],
        );
        self.add(
            Action::RemoveContainer {
                service: c.service.clone(),
                name: c.name.clone(),
                volumes: false,
            },
            vec![stop],
        )
    }

    /// Appends a step and returns its index.
    pub fn add(&mut self, action: Action, after: Vec<usize>) -> usize {
        debug_assert!(after.iter().all(|a| *a < self.steps.len()));
        self.steps.push(Step { action, after });
        self.steps.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The actions, one line each, in order.
    pub fn describe(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.action.describe()).collect()
    }
}

/// A planning error: the model cannot be applied to the engine as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);
