//! `run`'s one-off container: created from its [`OneoffSpec`], then started in the background
//! or attached (output streamed, our stdin copied in) until it exits; its exit code comes from
//! waiting on it.

use bollard::query_parameters::{
    AttachContainerOptions, KillContainerOptions, RemoveContainerOptions, ResizeContainerTTYOptions,
};
use tokio::sync::mpsc;

use super::exec::{OutputSink, pump};
use super::executor::create_container_with;
use super::{Engine, EngineError};
use crate::output::progress::{Event, Progress, Status};
use crate::plan::run::OneoffSpec;

/// Creates the one-off container (reporting `Creating`/`Created`); returns its id.
pub async fn create_oneoff(
    engine: &Engine,
    spec: &OneoffSpec,
    progress: &Progress,
) -> Result<String, EngineError> {
    let c = &spec.container;
    progress.event(Event::new(
        "Container",
        &c.name,
        Status::Working,
        "Creating",
    ));
    let result = create_container_with(engine, c, &c.name, |body| {
        body.attach_stdin = Some(spec.attach_stdin);
        body.stdin_once = Some(spec.attach_stdin);
        if let Some(h) = body.host_config.as_mut() {
            h.auto_remove = Some(spec.auto_remove);
        }
    })
    .await;
    match result {
        Ok(id) => {
            progress.event(Event::new("Container", &c.name, Status::Done, "Created"));
            Ok(id)
        }
        Err(e) => {
            progress.event(
                Event::new("Container", &c.name, Status::Error, "Error")
                    .with_details(e.to_string().lines().next().unwrap_or_default()),
            );
            Err(e)
        }
    }
}

/// Starts container `id`.
pub async fn start(engine: &Engine, id: &str) -> Result<(), EngineError> {
    engine
        .docker
        .start_container(id, None)
        .await
        .map_err(|e| engine.error(e))
}

/// Opens a streaming attachment to container `id`'s output (and its stdin with `stdin`), on a
/// client without a request timeout: it lasts as long as the container runs.
async fn open_attachment(
    engine: &Engine,
    id: &str,
    stdin: bool,
    detach_keys: Option<String>,
) -> Result<bollard::container::AttachContainerResults, EngineError> {
    let client = engine.with_timeout(std::time::Duration::from_secs(10 * 365 * 24 * 3600));
    client
        .attach_container(
            id,
            Some(AttachContainerOptions {
                stream: true,
                stdin,
                stdout: true,
                stderr: true,
                logs: false,
                detach_keys,
            }),
        )
        .await
        .map_err(|e| engine.error(e))
}

/// Attaches to container `id` (our `stdin` chunks copied in when given), starts it, streams its
/// output to `out` until it exits, and returns its exit code.
pub async fn run_attached(
    engine: &Engine,
    id: &str,
    stdin: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    out: OutputSink<'_>,
) -> Result<i64, EngineError> {
    let attached = open_attachment(engine, id, stdin.is_some(), None).await?;
    start(engine, id).await?;
    pump(attached.output, attached.input, stdin, true, out)
        .await
        .map_err(|e| engine.error(e))?;
    super::control::wait_exit(engine, id).await
}

/// Attaches to running container `id` (our `stdin` chunks copied in when given) and streams
/// its output to `out` until it exits or the connection ends (detach keys).
pub async fn attach(
    engine: &Engine,
    id: &str,
    stdin: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    detach_keys: Option<String>,
    out: OutputSink<'_>,
) -> Result<(), EngineError> {
    let attached = open_attachment(engine, id, stdin.is_some(), detach_keys).await?;
    pump(attached.output, attached.input, stdin, false, out)
        .await
        .map_err(|e| engine.error(e))
}

/// Gives container `id`'s TTY the size of ours; retried while it is starting.
pub async fn resize(engine: &Engine, id: &str, rows: u16, cols: u16) {
    for attempt in 0..10u64 {
        let r = engine
            .docker
            .resize_container_tty(
                id,
                ResizeContainerTTYOptions {
                    h: i32::from(rows),
                    w: i32::from(cols),
                },
            )
            .await;
        if r.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10 * (attempt + 1))).await;
    }
}

/// Forwards `signal` to container `id`; a container already gone or stopped is fine.
pub async fn signal(engine: &Engine, id: &str, signal: &str) {
    let _ = engine
        .docker
        .kill_container(
            id,
            Some(KillContainerOptions {
                signal: signal.to_string(),
            }),
        )
        .await;
}

/// Removes container `id` and its anonymous volumes (`run --rm`).
pub async fn remove(engine: &Engine, id: &str) -> Result<(), EngineError> {
    match engine
        .docker
        .remove_container(
            id,
            Some(RemoveContainerOptions {
                v: true,
                force: true,
                ..Default::default()
            }),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(e) => match engine.error(e) {
            e if e.is_not_found() => Ok(()),
            e => Err(e),
        },
    }
}
