//! `logs [SERVICE...]`: the output of the services' containers (stopped ones too, one-off
//! containers never), stdout and stderr both on stdout, prefixed `web-1  | ` unless
//! `--no-log-prefix`. `-f` keeps following, also containers started later (from the engine's
//! event stream), printing `web-1 exited with code N` as they stop, until every container of the
//! selection has stopped.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;

use anyhow::{Result, bail};
use tokio::sync::mpsc;

use super::{Context, ExitCode, ProjectOrName};
use crate::cli::LogsArgs;
use crate::engine::logs::{
    ContainerAction, LogEvent, LogRequest, container_events, read_logs, restarting, stream_logs,
};
use crate::engine::query::{FoundContainer, find_containers};
use crate::output::logs::{LogPrinter, display_name};
use crate::output::time::parse_log_time;

pub async fn run(ctx: &Context, args: LogsArgs) -> Result<ExitCode> {
    if args.index > 0 && args.services.len() != 1 {
        bail!("--index requires one service to be selected");
    }
    let now = unix_now();
    let since = match &args.since {
        Some(s) if !s.is_empty() => parse_log_time(s, now).map_err(anyhow::Error::msg)?,
        _ => 0,
    };
    let until = match &args.until {
        Some(s) if !s.is_empty() => parse_log_time(s, now).map_err(anyhow::Error::msg)?,
        _ => 0,
    };
    let target = ctx.project_or_name(&args.services)?;
    target.check_services(&args.services)?;
    // Without names, the services of the compose file (or every service found in labels).
    let watched: Option<Vec<String>> = if !args.services.is_empty() {
        Some(args.services.clone())
    } else {
        match &target {
            ProjectOrName::Project(p) => Some(p.services.keys().cloned().collect()),
            ProjectOrName::Name(_) => None,
        }
    };
    let is_watched = |service: &str| {
        watched
            .as_ref()
            .is_none_or(|w| w.iter().any(|s| s == service))
    };
    let project = target.name().to_string();
    let engine = ctx.engine().await?;

    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    if args.follow {
        // Subscribe first, from now on: nothing starts unseen between the listing and the stream.
        container_events(&engine, &project, now, ev_tx);
    } else {
        drop(ev_tx);
    }

    let single = (args.services.len() == 1).then(|| args.services[0].as_str());
    let number = (args.index > 0).then_some(args.index);
    let mut containers: Vec<FoundContainer> =
        find_containers(&engine, &project, single, number, Some(false), true).await?;
    containers.retain(|c| is_watched(&c.service));
    if args.index > 0 && containers.is_empty() {
        bail!(
            "service {:?} is not running container #{}",
            args.services[0],
            args.index
        );
    }
    containers.sort_by(|a, b| a.name.cmp(&b.name));

    let separator = ctx.separator(&target);
    let shown = |name: &str, service: &str, number: Option<&str>| -> String {
        display_name(&project, separator, service, number, name)
    };
    let mut display: HashMap<String, String> = containers
        .iter()
        .map(|c| {
            let n = c.number.map(|n| n.to_string());
            (c.name.clone(), shown(&c.name, &c.service, n.as_deref()))
        })
        .collect();
    let names: Vec<String> = containers
        .iter()
        .map(|c| display[&c.name].clone())
        .collect();
    let printer = LogPrinter::new(&names, color(ctx, args.no_color), !args.no_log_prefix);
    let req = LogRequest {
        follow: args.follow,
        since,
        until,
        tail: args.tail.clone(),
        timestamps: args.timestamps,
    };

    let (tx, mut rx) = mpsc::unbounded_channel();
    if !args.follow {
        // One container after the other, in name order: the output is the same at every run.
        for c in &containers {
            let (one_tx, mut one_rx) = mpsc::unbounded_channel();
            let reading = async {
                let one_tx = one_tx;
                read_logs(&engine, &c.name, &req, &one_tx).await;
            };
            let printing = async {
                while let Some(LogEvent::Line { text, .. }) = one_rx.recv().await {
                    printer.line(&display[&c.name], false, &text);
                }
            };
            tokio::join!(reading, printing);
        }
        return Ok(0);
    }

    // Following: the containers of the selection, until each has stopped.
    let mut alive: HashSet<String> = containers.iter().map(|c| c.id.clone()).collect();
    let mut streaming: HashSet<String> = containers.iter().map(|c| c.name.clone()).collect();
    let mut streamed_ids: HashMap<String, String> = containers
        .iter()
        .map(|c| (c.name.clone(), c.id.clone()))
        .collect();
    stream_logs(
        &engine,
        &containers
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>(),
        &req,
        tx.clone(),
    );
    let mut events_open = !alive.is_empty();
    while events_open || !streaming.is_empty() {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(LogEvent::Line { container, text, .. }) => {
                    let name = display.get(&container).cloned().unwrap_or(container);
                    printer.line(&name, false, &text);
                }
                Some(LogEvent::Ended { container, .. }) => {
                    streaming.remove(&container);
                    streamed_ids.remove(&container);
                }
                None => break,
            },
            ev = ev_rx.recv(), if events_open => {
                let Some(ev) = ev else {
                    events_open = false;
                    continue;
                };
                if !is_watched(&ev.service) || (number.is_some() && ev.number != number.map(|n| n.to_string())) {
                    continue;
                }
                let name = shown(&ev.name, &ev.service, ev.number.as_deref());
                display.insert(ev.name.clone(), name.clone());
                match ev.action {
                    ContainerAction::Create => {
                        alive.insert(ev.id.clone());
                    }
                    ContainerAction::Start => {
                        alive.insert(ev.id.clone());
                        if streamed_ids.get(&ev.name) != Some(&ev.id) || !streaming.contains(&ev.name) {
                            printer.register(&name);
                            streaming.insert(ev.name.clone());
                            streamed_ids.insert(ev.name.clone(), ev.id.clone());
                            let later = LogRequest { since: ev.time, ..req.clone() };
                            stream_logs(&engine, std::slice::from_ref(&ev.name), &later, tx.clone());
                        }
                    }
                    ContainerAction::Die => {
                        let code = ev.exit_code.unwrap_or(0);
                        if restarting(&engine, &ev.id).await {
                            printer.status(&name, &format!("exited with code {code} (restarting)"));
                        } else {
                            printer.status(&name, &format!("exited with code {code}"));
                            alive.remove(&ev.id);
                        }
                        if alive.is_empty() {
                            events_open = false;
                        }
                    }
                }
            }
        }
    }
    Ok(0)
}

/// Colour on stdout: only on a terminal, never with `--no-color`, `--ansi never` or NO_COLOR
/// (unless `--ansi always`).
fn color(ctx: &Context, no_color: bool) -> bool {
    if no_color {
        return false;
    }
    match ctx.global.ansi.as_deref() {
        Some("never") => false,
        Some("always") => true,
        _ => {
            ctx.env.get("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
