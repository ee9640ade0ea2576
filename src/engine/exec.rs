//! `exec`: a command in a running container through the engine's exec API, its output streamed
//! back (stdout and stderr apart, or the raw TTY stream) and our stdin copied into it; the
//! exit status comes from inspecting the exec. [`pump`] is the stream copy shared with `run`'s
//! attach.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{Engine, EngineError};

/// What to run, and how.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub cmd: Vec<String>,
    /// `KEY=VALUE`, or bare `KEY`.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub privileged: bool,
    pub tty: bool,
    /// Attach our stdin (not with `detach`).
    pub stdin: bool,
    pub detach: bool,
}

/// Receives output: (is stderr, bytes). A TTY's stream is all stdout.
pub type OutputSink<'a> = &'a mut (dyn FnMut(bool, &[u8]) + Send);

/// Creates the exec instance in `container`; returns its id.
pub async fn create(
    engine: &Engine,
    container: &str,
    req: &ExecRequest,
) -> Result<String, EngineError> {
    let attach = !req.detach;
    let created = engine
        .docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(attach && req.stdin),
                attach_stdout: Some(attach),
                attach_stderr: Some(attach),
                tty: Some(req.tty),
                env: (!req.env.is_empty()).then(|| req.env.clone()),
                cmd: Some(req.cmd.clone()),
                privileged: Some(req.privileged),
                user: req.user.clone(),
                working_dir: req.workdir.clone(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| engine.error(e))?;
    Ok(created.id)
}

/// Starts exec `id` in the background.
pub async fn start_detached(engine: &Engine, id: &str) -> Result<(), EngineError> {
    engine
        .docker
        .start_exec(
            id,
            Some(StartExecOptions {
                detach: true,
                ..Default::default()
            }),
        )
        .await
        .map(|_| ())
        .map_err(|e| engine.error(e))
}

/// Starts exec `id` attached: copies `stdin` chunks into it (closing its stdin at their end)
/// and its output to `out`, until the command ends; returns its exit code.
pub async fn run_attached(
    engine: &Engine,
    id: &str,
    tty: bool,
    stdin: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    out: OutputSink<'_>,
) -> Result<i64, EngineError> {
    // An interactive command may run for as long as it likes.
    let client = engine.with_timeout(std::time::Duration::from_secs(10 * 365 * 24 * 3600));
    let started = client
        .start_exec(
            id,
            Some(StartExecOptions {
                detach: false,
                tty,
                output_capacity: None,
            }),
        )
        .await
        .map_err(|e| engine.error(e))?;
    if let StartExecResults::Attached { output, input } = started {
        pump(output, input, stdin, true, out)
            .await
            .map_err(|e| engine.error(e))?;
    }
    exit_code(engine, id).await
}

/// The exit code of exec `id`, once it has finished.
pub async fn exit_code(engine: &Engine, id: &str) -> Result<i64, EngineError> {
    loop {
        let info = engine
            .docker
            .inspect_exec(id)
            .await
            .map_err(|e| engine.error(e))?;
        if !info.running.unwrap_or(false) {
            return Ok(info.exit_code.unwrap_or(0));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Gives exec `id`'s TTY the size of ours; retried while the process is still starting.
pub async fn resize(engine: &Engine, id: &str, rows: u16, cols: u16) {
    for attempt in 0..10u64 {
        let r = engine
            .docker
            .resize_exec(
                id,
                ResizeExecOptions {
                    height: rows,
                    width: cols,
                },
            )
            .await;
        if r.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10 * (attempt + 1))).await;
    }
}

/// Copies a hijacked connection: `stdin` chunks into `input` while `output` frames go to
/// `out`; returns when `output` ends. At the end of `stdin`, `eof` shuts the input down so the
/// command reads end of file (exec, run); without it the input just stays quiet (attach: the
/// engine may end the whole attachment when its stdin closes, and the output with it).
pub(crate) async fn pump(
    mut output: Pin<Box<dyn Stream<Item = Result<LogOutput, BollardError>> + Send>>,
    mut input: Pin<Box<dyn AsyncWrite + Send>>,
    stdin: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    eof: bool,
    out: OutputSink<'_>,
) -> Result<(), BollardError> {
    let writer = async move {
        if let Some(mut rx) = stdin {
            while let Some(chunk) = rx.recv().await {
                if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
                    return;
                }
            }
            // End of our stdin: half-close, so the command reads end of file.
            if eof {
                let _ = input.shutdown().await;
            }
        }
        // Keep the write half open otherwise: dropping it could end the session early.
        std::future::pending::<()>().await;
    };
    tokio::pin!(writer);
    loop {
        tokio::select! {
            item = output.next() => match item {
                Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => out(false, &message),
                Some(Ok(LogOutput::StdErr { message })) => out(true, &message),
                Some(Ok(LogOutput::StdIn { .. })) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            () = &mut writer => {}
        }
    }
}
