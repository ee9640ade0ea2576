//! What the engine has for one project, as plain data: containers, networks and volumes found
//! by the `com.docker.compose.project` label (and declared resources found by name), plus the
//! local image ids of the images the services use.
//!
//! Filled in by `engine::observe`; read by the planners. No engine types leak in here.

use std::collections::BTreeMap;

use crate::model::{DependencyGraph, service::Condition};

/// Compose label keys.
pub mod labels {
    pub const PROJECT: &str = "com.docker.compose.project";
    pub const SERVICE: &str = "com.docker.compose.service";
    pub const NUMBER: &str = "com.docker.compose.container-number";
    pub const ONEOFF: &str = "com.docker.compose.oneoff";
    pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
    pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
    pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
    pub const ENV_FILE: &str = "com.docker.compose.project.environment_file";
    pub const VERSION: &str = "com.docker.compose.version";
    pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
    pub const IMAGE: &str = "com.docker.compose.image";
    pub const REPLACE: &str = "com.docker.compose.replace";
    pub const NETWORK: &str = "com.docker.compose.network";
    pub const VOLUME: &str = "com.docker.compose.volume";
    /// rcompose's own: the canonical JSON of the service configuration that was hashed.
    pub const CONFIG: &str = "io.rcompose.config";
}

/// Engine state of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl ContainerState {
    /// Parses the engine's state word; unknown words count as exited.
    pub fn parse(s: &str) -> ContainerState {
        match s {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Exited,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
        }
    }
}

/// One container of the project.
#[derive(Debug, Clone)]
pub struct ObservedContainer {
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    pub service: String,
    pub number: Option<u32>,
    pub oneoff: bool,
    pub state: ContainerState,
    pub labels: BTreeMap<String, String>,
    /// Names of the networks it is attached to.
    pub networks: Vec<String>,
    /// Engine names of the named volumes it mounts.
    pub volumes: Vec<String>,
    /// Image as the engine lists it (name or id).
    pub image: String,
}

impl ObservedContainer {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    pub fn config_hash(&self) -> Option<&str> {
        self.label(labels::CONFIG_HASH)
    }
}

/// A network found by label or by a declared name.
#[derive(Debug, Clone)]
pub struct ObservedNetwork {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// A volume found by label or by a declared name.
#[derive(Debug, Clone)]
pub struct ObservedVolume {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// Everything the planners know about the engine.
#[derive(Debug, Clone, Default)]
pub struct ObservedState {
    pub project: String,
    pub containers: Vec<ObservedContainer>,
    pub networks: Vec<ObservedNetwork>,
    pub volumes: Vec<ObservedVolume>,
    /// image reference → local image id, for the images that exist locally.
    pub images: BTreeMap<String, String>,
}

impl ObservedState {
    /// Non-one-off containers of `service`, sorted by container number.
    pub fn service_containers(&self, service: &str) -> Vec<&ObservedContainer> {
        let mut v: Vec<&ObservedContainer> = self
            .containers
            .iter()
            .filter(|c| !c.oneoff && c.service == service)
            .collect();
        v.sort_by_key(|c| (c.number.unwrap_or(u32::MAX), c.name.clone()));
        v
    }

    pub fn network(&self, name: &str) -> Option<&ObservedNetwork> {
        self.networks.iter().find(|n| n.name == name)
    }

    pub fn volume(&self, name: &str) -> Option<&ObservedVolume> {
        self.volumes.iter().find(|v| v.name == name)
    }

    /// True when a resource's labels say it belongs to this project.
    pub fn owns(&self, resource_labels: &BTreeMap<String, String>) -> bool {
        resource_labels.get(labels::PROJECT).map(String::as_str) == Some(self.project.as_str())
    }

    /// The dependency graph recorded in the containers' `depends_on` labels (label-only mode).
    pub fn label_graph(&self) -> DependencyGraph {
        let mut services: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in self.containers.iter().filter(|c| !c.oneoff) {
            let deps = services.entry(c.service.clone()).or_default();
            for (dep, _) in parse_depends_on_label(c.label(labels::DEPENDS_ON).unwrap_or("")) {
                if !deps.contains(&dep) {
                    deps.push(dep);
                }
            }
        }
        let known: Vec<String> = services.keys().cloned().collect();
        for deps in services.values_mut() {
            deps.retain(|d| known.contains(d));
        }
        // Labels written by different tools could disagree into a cycle; fall back to no order.
        DependencyGraph::build(services.iter().map(|(k, v)| (k.as_str(), v.clone())))
            .unwrap_or_else(|_| {
                DependencyGraph::build(services.keys().map(|k| (k.as_str(), Vec::new())))
                    .expect("a graph without edges has no cycle")
            })
    }
}

/// Parses `db:service_healthy:false,cache:service_started:true`.
pub fn parse_depends_on_label(label: &str) -> Vec<(String, Condition)> {
    label
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|entry| {
            let mut parts = entry.split(':');
            let name = parts.next().unwrap_or_default().to_string();
            let cond = parts
                .next()
                .and_then(Condition::parse)
                .unwrap_or(Condition::ServiceStarted);
            (name, cond)
        })
        .collect()
}
