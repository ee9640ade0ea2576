//! A plan explained for people and scripts (`plan`, `up --dry-run`): one entry per action, in
//! execution order, naming the object it acts on, what it does and why.

use serde::Serialize;

use crate::model::Project;

use super::observed::ObservedState;
use super::{Action, Plan};

/// One action of a plan, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// `container`, `network`, `volume`, `image` or `service`.
    pub kind: &'static str,
    /// Container names without the `<project>-` prefix (`web-1`); engine names otherwise.
    pub name: String,
    /// `create`, `recreate`, `start`, `stop`, `remove`, `pull`, `wait`, `up-to-date`, ...
    pub action: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl Explained {
    /// `web-1: recreate (environment.COLOR: "blue" → "red"; image digest changed)`.
    pub fn line(&self) -> String {
        let name = match self.kind {
            "container" | "service" => self.name.clone(),
            kind => format!("{kind} {}", self.name),
        };
        if self.reasons.is_empty() {
            format!("{name}: {}", self.action)
        } else {
            format!("{name}: {} ({})", self.action, self.reasons.join("; "))
        }
    }
}

/// Explains every step of `plan` (made for `project` against `observed`).
pub fn explain(plan: &Plan, project: &Project, observed: &ObservedState) -> Vec<Explained> {
    let prefix = format!("{}-", project.name);
    let short = |n: &str| n.strip_prefix(&prefix).unwrap_or(n).to_string();
    let entry = |kind, name: String, action, reasons: Vec<String>| Explained {
        kind,
        name,
        action,
        reasons,
    };
    // Why a container of `service` is stopped or removed.
    let removal_reason = |service: &str, name: &str| -> Vec<String> {
        let oneoff = observed
            .containers
            .iter()
            .any(|c| c.name == name && c.oneoff);
        match project.services.get(service) {
            Some(s) if !oneoff => {
                let have = observed.service_containers(service).len();
                let want = s.replicas() as usize;
                if want < have {
                    vec![format!("scale {have} → {want}")]
                } else {
                    Vec::new()
                }
            }
            _ => vec!["orphan".to_string()],
        }
    };
    plan.steps
        .iter()
        .map(|step| match &step.action {
            Action::CreateNetwork(n) => entry("network", n.name.clone(), "create", vec![]),
            Action::CreateVolume(v) => entry("volume", v.name.clone(), "create", vec![]),
            Action::PullImage { image, .. } => entry("image", image.clone(), "pull", vec![]),
            Action::CreateContainer { spec, .. } => {
                entry("container", short(&spec.name), "create", vec![])
            }
            Action::RecreateContainer {
                old_name, reason, ..
            } => entry(
                "container",
                short(old_name),
                "recreate",
                reason.split("; ").map(str::to_string).collect(),
            ),
            Action::StartContainer { name, .. } => entry("container", short(name), "start", vec![]),
            Action::AlreadyRunning { name } => {
                entry("container", short(name), "up-to-date", vec![])
            }
            Action::AwaitDependency {
                service,
                dependency,
                condition,
                ..
            } => entry(
                "service",
                service.clone(),
                "wait",
                vec![format!("{dependency} {}", condition.as_str())],
            ),
            Action::StopContainer { service, name, .. } => {
                let mut reasons = removal_reason(service, name);
                if reasons.is_empty() {
                    reasons.push("dependency recreated".into());
                }
                entry("container", short(name), "stop", reasons)
            }
            Action::RemoveContainer { service, name, .. } => entry(
                "container",
                short(name),
                "remove",
                removal_reason(service, name),
            ),
            Action::RemoveNetwork { name, .. } => entry("network", name.clone(), "remove", vec![]),
            Action::NetworkInUse { name } => entry("network", name.clone(), "keep", vec![]),
            Action::VolumeInUse { name } => entry("volume", name.clone(), "keep", vec![]),
            Action::RemoveVolume { name } => entry("volume", name.clone(), "remove", vec![]),
            Action::RecreateNetwork { spec, .. } => entry(
                "network",
                spec.name.clone(),
                "recreate",
                vec!["configuration changed".into()],
            ),
            Action::RemoveImage { image } => entry("image", image.clone(), "remove", vec![]),
            Action::RestartContainer { name, .. } => {
                entry("container", short(name), "restart", vec![])
            }
            Action::KillContainer { name, signal, .. } => {
                entry("container", short(name), "kill", vec![signal.clone()])
            }
            Action::PauseContainer { name, .. } => entry("container", short(name), "pause", vec![]),
            Action::UnpauseContainer { name, .. } => {
                entry("container", short(name), "unpause", vec![])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_containers_bare_and_resources_with_their_kind() {
        let e = Explained {
            kind: "container",
            name: "web-1".into(),
            action: "recreate",
            reasons: vec![
                r#"environment.COLOR: "blue" → "red""#.into(),
                "image digest changed".into(),
            ],
        };
        assert_eq!(
            e.line(),
            r#"web-1: recreate (environment.COLOR: "blue" → "red"; image digest changed)"#
        );
        let n = Explained {
            kind: "network",
            name: "p_default".into(),
            action: "create",
            reasons: vec![],
        };
        assert_eq!(n.line(), "network p_default: create");
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"kind":"network","name":"p_default","action":"create"}"#
        );
    }
}
