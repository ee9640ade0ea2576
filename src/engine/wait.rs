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
/// (snapshot save and restore return only then); an exited or unhealthy one is an error, and so
/// is one still not ready after [`ready_budget`] of its healthcheck.
pub async fn wait_containers_ready(
    engine: &Engine,
    names: &[String],
    progress: &Progress,
) -> Result<(), EngineError> {
    let mut pending: Vec<String> = names.to_vec();
    let mut budget = MIN_READY_WAIT;
    for name in &pending {
        progress.event(Event::new("Container", name, Status::Working, "Waiting"));
        let c = engine.inspect(name).await.map_err(|e| engine.error(e))?;
        let check = c.config.and_then(|c| c.healthcheck);
        budget = budget.max(ready_budget(check.as_ref()));
    }
    let deadline = Instant::now() + budget;
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
        if !pending.is_empty() && Instant::now() >= deadline {
            for name in &pending {
                progress.event(Event::new("Container", name, Status::Error, "Error"));
            }
            return Err(EngineError::Other(format!(
                "container {} not running and healthy after {}s (the most its healthcheck \
                 allows, at least {}s): see `rcompose logs`",
                pending.join(", "),
                budget.as_secs(),
                MIN_READY_WAIT.as_secs()
            )));
        }
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// The shortest wait for readiness, also for containers without a healthcheck.
const MIN_READY_WAIT: Duration = Duration::from_secs(120);

/// How long a healthcheck may take to call a container healthy: its start period plus its
/// retries of interval and timeout (the engine's defaults: 30 s, 30 s, 3 retries), plus one more
/// interval for the first probe.
pub(crate) fn ready_budget(check: Option<&bollard::models::HealthConfig>) -> Duration {
    let Some(h) = check else {
        return Duration::ZERO;
    };
    let ns = |v: Option<i64>, default: u64| match v {
        Some(n) if n > 0 => n as u64,
        _ => default,
    };
    let second = 1_000_000_000;
    let interval = ns(h.interval, 30 * second);
    let timeout = ns(h.timeout, 30 * second);
    let start = ns(h.start_period, 0);
    let retries = ns(h.retries, 3);
    Duration::from_nanos(start + (retries + 1) * (interval + timeout))
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

    #[test]
    fn ready_budget_is_the_healthchecks_own() {
        use bollard::models::HealthConfig;
        assert_eq!(super::ready_budget(None), std::time::Duration::ZERO);
        let s = 1_000_000_000;
        let h = HealthConfig {
            interval: Some(2 * s),
            timeout: Some(s),
            retries: Some(5),
            start_period: Some(10 * s),
            ..Default::default()
        };
        assert_eq!(
            super::ready_budget(Some(&h)),
            std::time::Duration::from_secs(10 + 6 * 3)
        );
        let defaults = super::ready_budget(Some(&HealthConfig::default()));
        assert_eq!(defaults, std::time::Duration::from_secs(4 * 60));
    }

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
