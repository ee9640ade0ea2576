//! `exec SERVICE COMMAND...`: runs a command in the service's running container (the
//! lowest-numbered one, or `--index N`), with a TTY when stdout is a terminal (`-T` turns it
//! off), our stdin copied in unless detached, and the command's exit status as ours.

use std::io::IsTerminal;

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::ExecArgs;
use crate::engine::exec::{ExecRequest, create, resize, run_attached, start_detached};
use crate::engine::query::service_container;
use crate::output::terminal::{RawMode, size, stdin_chunks, write_raw};

pub async fn run(ctx: &Context, args: ExecArgs) -> Result<ExitCode> {
    let (service, command) = match args.args.split_first() {
        Some((s, c)) if !c.is_empty() => (s, c),
        _ => bail!(
            "requires at least 2 arg(s), only received {}",
            args.args.len()
        ),
    };
    let tty = !args.no_tty.unwrap_or(!std::io::stdout().is_terminal());
    let interactive = args.interactive.unwrap_or(true);
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(service))?;
    // A bare `-e KEY` that has no value here is left out, as compose does.
    let env = resolve_env(ctx, &args.env)
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    let engine = ctx.engine().await?;
    let container = service_container(&engine, target.name(), service, args.index).await?;
    if !args.detach && tty && interactive && !std::io::stdin().is_terminal() {
        bail!("cannot attach stdin to a TTY-enabled container because stdin is not a terminal");
    }
    let req = ExecRequest {
        cmd: command.to_vec(),
        env,
        user: args.user.clone().filter(|u| !u.is_empty()),
        workdir: args.workdir.clone().filter(|w| !w.is_empty()),
        privileged: args.privileged,
        tty,
        stdin: interactive,
        detach: args.detach,
    };
    let id = create(&engine, &container.id, &req).await?;
    if args.detach {
        start_detached(&engine, &id).await?;
        return Ok(0);
    }
    let stdin = interactive.then(stdin_chunks);
    let _raw = tty.then(RawMode::enable);
    let resizer = tty.then(|| {
        let (engine, id) = (engine.clone(), id.clone());
        follow_terminal_size(move |rows, cols| {
            let (engine, id) = (engine.clone(), id.clone());
            async move { resize(&engine, &id, rows, cols).await }
        })
    });
    let mut out = |stderr: bool, bytes: &[u8]| write_raw(stderr, bytes);
    let code = run_attached(&engine, &id, tty, stdin, &mut out).await;
    if let Some(r) = resizer {
        r.abort();
    }
    Ok(code? as ExitCode)
}

/// `-e KEY=VALUE` and `-e KEY` (its value from the environment compose interpolates with: ours
/// plus `.env`), as (key, value); a bare key not found there has no value.
pub(super) fn resolve_env(ctx: &Context, flags: &[String]) -> Vec<(String, Option<String>)> {
    let mut env: Option<indexmap::IndexMap<String, String>> = None;
    flags
        .iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => {
                let env = env.get_or_insert_with(|| {
                    crate::model::load::discover(&ctx.load_options(&[]))
                        .map(|d| d.env)
                        .unwrap_or_else(|_| ctx.env.clone())
                });
                (f.clone(), env.get(f).cloned())
            }
        })
        .collect()
}

/// Calls `resize` with our terminal's size now and after every SIGWINCH, until aborted.
pub(super) fn follow_terminal_size<F, Fut>(resize: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(u16, u16) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut winch =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
        loop {
            if let Some((rows, cols)) = size() {
                resize(rows, cols).await;
            }
            let Some(w) = winch.as_mut() else { return };
            if w.recv().await.is_none() {
                return;
            }
        }
    })
}
