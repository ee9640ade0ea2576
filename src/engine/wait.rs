//! `--wait`: after `up` or `start`, wait until every service is running, or healthy when it has
//! a healthcheck; one-shots that others wait on with `service_completed_successfully` must
//! instead exit 0.

use std::time::{Duration, Instant};

use super::{Engine, EngineError};
use crate::model::Project;
use crate::model::service::Condition;
use crate::output::progress::{Event, Progress, Status};
use crate::plan::spec::container_name;

/// Waits for the project's containers; `timeout` in seconds.
pub async fn wait_running_or_healthy(
    engine: &Engine,
    project: &Project,
    progress: &Progress,
    timeout: Option<i64>,
) -> Result<(), EngineError> {
    let completes: Vec<&str> = project
        .services
        .values()
        .flat_map(|s| s.depends_on.iter())
        .filter(|(_, d)| d.condition == Condition::ServiceCompletedSuccessfully)
        .map(|(k, _)| k.as_str())
        .collect();
    let mut pending: Vec<(String, bool)> = Vec::new();
    for (svc, s) in &project.services {
        for n in 1..=s.replicas() {
            pending.push((
                container_name(project, s, n),
                completes.contains(&svc.as_str()),
            ));
        }
    }
    for (name, _) in &pending {
        progress.event(Event::new("Container", name, Status::Working, "Waiting"));
    }
    let deadline = timeout.map(|t| Instant::now() + Duration::from_secs(t as u64));
    loop {
        let mut still = Vec::new();
        for (name, must_complete) in pending {
            let c = engine.inspect(&name).await.map_err(|e| engine.error(e))?;
            let state = c.state.unwrap_or_default();
            let running = state.running.unwrap_or(false);
            let code = state.exit_code.unwrap_or(0);
            let health = health_status(&state).unwrap_or_default();
            let restarting = state.restarting.unwrap_or(false);
            if must_complete {
                if !running && !restarting {
                    if code != 0 {
                        return Err(EngineError::Other(format!(
                            "container {name} exited ({code})"
                        )));
                    }
                    progress.event(Event::new("Container", &name, Status::Done, "Exited"));
                    continue;
                }
            } else if !running && !restarting {
                progress.event(Event::new("Container", &name, Status::Error, "Error"));
                return Err(EngineError::Other(format!(
                    "container {name} exited ({code})"
                )));
            } else if health == "unhealthy" {
                progress.event(Event::new("Container", &name, Status::Error, "Error"));
                return Err(EngineError::Other(format!("container {name} is unhealthy")));
            } else if running && (health.is_empty() || health == "none" || health == "healthy") {
                let text = if health == "healthy" {
                    "Healthy"
                } else {
                    "Running"
                };
                progress.event(Event::new("Container", &name, Status::Done, text));
                continue;
            }
            still.push((name, must_complete));
        }
        if still.is_empty() {
            return Ok(());
        }
        pending = still;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(EngineError::Other(format!(
                "application not healthy after {}s",
                timeout.unwrap_or(0)
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until each of the containers `names` runs and, where it has a healthcheck, is healthy
/// (snapshot save and restore return only then); an exited or unhealthy one is an error.
pub async fn wait_containers_ready(
    engine: &Engine,
    names: &[String],
    progress: &Progress,
) -> Result<(), EngineError> {
    let mut pending: Vec<String> = names.to_vec();
    for name in &pending {
        progress.event(Event::new("Container", name, Status::Working, "Waiting"));
    }
    while !pending.is_empty() {
        let mut still = Vec::new();
        for name in pending {
            let c = engine.inspect(&name).await.map_err(|e| engine.error(e))?;
            let state = c.state.unwrap_or_default();
            let running = state.running.unwrap_or(false);
            let health = health_status(&state).unwrap_or_default();
            if !running && !state.restarting.unwrap_or(false) {
                progress.event(Event::new("Container", &name, Status::Error, "Error"));
                let code = state.exit_code.unwrap_or(0);
                return Err(EngineError::Other(format!(
                    "container {name} exited ({code})"
                )));
            }
            if health == "unhealthy" {
                progress.event(Event::new("Container", &name, Status::Error, "Error"));
                return Err(EngineError::Other(format!("container {name} is unhealthy")));
            }
            if running && matches!(health.as_str(), "" | "none" | "healthy") {
                let text = if health == "healthy" {
                    "Healthy"
                } else {
                    "Running"
                };
                progress.event(Event::new("Container", &name, Status::Done, text));
                continue;
            }
            still.push(name);
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// The container's health status (`starting`, `healthy`, `unhealthy`; `None` without a
/// healthcheck). An `unhealthy` left from before the container's last start (its latest probe
/// began earlier) is stale, and reads as `starting`: some engines keep it across a restart.
pub(crate) fn health_status(state: &bollard::models::ContainerState) -> Option<String> {
    let health = state.health.as_ref()?;
    let status = health
        .status
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_string))?;
    if status != "unhealthy" {
        return Some(status);
    }
    let started = state
        .started_at
        .as_deref()
        .and_then(|s| humantime::parse_rfc3339(s).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128);
    let last_probe = health
        .log
        .as_ref()
        .and_then(|l| l.last())
        .and_then(|r| r.start)
        .map(|t| t.unix_timestamp_nanos());
    match (started, last_probe) {
        (Some(started), Some(probe)) if probe < started => Some("starting".to_string()),
        _ => Some(status),
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{
        BollardDate, ContainerState, Health, HealthStatusEnum, HealthcheckResult,
    };

    use super::health_status;

    fn state(status: HealthStatusEnum, probe_at: i64, started_at: &str) -> ContainerState {
        ContainerState {
            started_at: Some(started_at.to_string()),
            health: Some(Health {
                status: Some(status),
                log: Some(vec![HealthcheckResult {
                    start: Some(BollardDate::from_unix_timestamp(probe_at).unwrap()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn unhealthy_from_before_the_last_start_is_stale() {
        // 2026-01-01T00:00:10Z is 1767225610.
        let s = state(
            HealthStatusEnum::UNHEALTHY,
            1767225600,
            "2026-01-01T00:00:10.5Z",
        );
        assert_eq!(health_status(&s).as_deref(), Some("starting"));
    }

    #[test]
    fn unhealthy_since_the_last_start_counts() {
        let s = state(
            HealthStatusEnum::UNHEALTHY,
            1767225620,
            "2026-01-01T00:00:10.5Z",
        );
        assert_eq!(health_status(&s).as_deref(), Some("unhealthy"));
        let s = state(
            HealthStatusEnum::HEALTHY,
            1767225600,
            "2026-01-01T00:00:10Z",
        );
        assert_eq!(health_status(&s).as_deref(), Some("healthy"));
        assert_eq!(health_status(&ContainerState::default()), None);
    }
}
