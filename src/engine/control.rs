//! Engine calls of the container-control commands: the `restart`, `kill`, `pause` and
//! `unpause` plan actions (run by the executor, with compose's progress events), and waiting for
//! a container to exit (`wait`).

use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{KillContainerOptions, RestartContainerOptions};
use futures::StreamExt;

use super::{Engine, EngineError};
use crate::output::progress::{Event, Progress, Status};
use crate::plan::Action;

/// Runs one of the control actions; other actions are not handled here.
pub(crate) async fn run_control(
    engine: &Engine,
    action: &Action,
    progress: &Progress,
) -> Result<(), EngineError> {
    let d = &engine.docker;
    let error_event = |name: &str, text: &str, e: &EngineError| {
        progress.event(
            Event::new("Container", name, Status::Error, text)
                .with_details(e.to_string().lines().next().unwrap_or_default()),
        );
    };
    match action {
        Action::RestartContainer { name, timeout, .. } => {
            progress.event(Event::new("Container", name, Status::Working, "Restarting"));
            // The request lasts as long as the stop grace period.
            let client = engine.with_timeout(Duration::from_secs(
                timeout.unwrap_or(600).max(0) as u64 + 120,
            ));
            client
                .restart_container(
                    name,
                    Some(RestartContainerOptions {
                        t: timeout
                            .map(|t| t.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32),
                        signal: None,
                    }),
                )
                .await
                .map_err(|e| {
                    let e = engine.error(e);
                    error_event(name, "Error", &e);
                    e
                })?;
            // compose reports a restarted container as started.
            progress.event(Event::new("Container", name, Status::Done, "Started"));
        }
        Action::KillContainer { name, signal, .. } => {
            progress.event(Event::new("Container", name, Status::Working, "Killing"));
            d.kill_container(
                name,
                Some(KillContainerOptions {
                    signal: signal.clone(),
                }),
            )
            .await
            .map_err(|e| {
                let e = engine.error(e);
                error_event(name, "Error while Killing", &e);
                e
            })?;
            progress.event(Event::new("Container", name, Status::Done, "Killed"));
        }
        Action::PauseContainer { name, .. } => {
            d.pause_container(name).await.map_err(|e| engine.error(e))?;
            progress.event(Event::new("Container", name, Status::Done, "Paused"));
        }
        Action::UnpauseContainer { name, .. } => {
            d.unpause_container(name)
                .await
                .map_err(|e| engine.error(e))?;
            progress.event(Event::new("Container", name, Status::Done, "Unpaused"));
        }
        other => {
            return Err(EngineError::Other(format!(
                "not a control action: {}",
                other.describe()
            )));
        }
    }
    Ok(())
}

/// Blocks until container `id` exits and returns its exit code. The engine reports a non-zero
/// exit through bollard as an error carrying the code; that is an exit code, not a failure.
pub async fn wait_exit(engine: &Engine, id: &str) -> Result<i64, EngineError> {
    // No client-side limit: a container may run for as long as it likes.
    let client = engine.with_timeout(Duration::from_secs(10 * 365 * 24 * 3600));
    let mut stream = client.wait_container(id, None);
    match stream.next().await {
        Some(Ok(r)) => Ok(r.status_code),
        Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(engine.error(e)),
        None => Err(EngineError::Other(format!(
            "the engine ended the wait for container {id} without a status"
        ))),
    }
}

/// Whether container `id` is running now (`None` when it is gone).
pub async fn is_running(engine: &Engine, id: &str) -> Result<Option<bool>, EngineError> {
    match engine.inspect(id).await {
        Ok(c) => Ok(Some(c.state.and_then(|s| s.running).unwrap_or(false))),
        Err(e) => match engine.error(e) {
            e if e.is_not_found() => Ok(None),
            e => Err(e),
        },
    }
}

/// The exit code of a container, when it can be read.
pub async fn exit_code(engine: &Engine, name: &str) -> Option<i64> {
    let c = engine.inspect(name).await.ok()?;
    c.state.and_then(|s| s.exit_code)
}

/// Whether `image` exists locally, and its creation time (unix seconds) when known.
pub async fn local_image(engine: &Engine, image: &str) -> Option<Option<i64>> {
    let i = engine.inspect_image(image).await.ok()?;
    Some(i.created.map(|c| c.unix_timestamp()))
}
