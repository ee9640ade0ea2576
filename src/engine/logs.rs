//! Containers' output: one task per container streams its logs (stdout and stderr
//! demultiplexed) as whole lines into a channel and reports when the stream ends (the container
//! stopped), with its exit code; and the engine's event stream for a project's containers, so
//! `logs -f` also follows containers started later.

use std::collections::HashMap;

use bollard::container::LogOutput;
use bollard::query_parameters::{EventsOptions, KillContainerOptions, LogsOptions};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Engine, EngineError};
use crate::plan::observed::labels;

/// What a followed container produced.
#[derive(Debug, Clone)]
pub enum LogEvent {
    /// One line of output, without its newline.
    Line {
        container: String,
        stderr: bool,
        text: String,
    },
    /// The stream ended: the container exited with `code` (None when it could not be read).
    Ended {
        container: String,
        code: Option<i64>,
    },
}

/// Which part of each container's logs to read (`logs` flags).
#[derive(Debug, Clone)]
pub struct LogRequest {
    /// Keep streaming until the container stops.
    pub follow: bool,
    /// Unix seconds; 0 = from the start.
    pub since: i64,
    /// Unix seconds; 0 = no end.
    pub until: i64,
    /// `all` or a number of lines from the end.
    pub tail: String,
    /// Let the engine prefix each line with its RFC 3339 timestamp.
    pub timestamps: bool,
}

impl Default for LogRequest {
    fn default() -> Self {
        LogRequest {
            follow: false,
            since: 0,
            until: 0,
            tail: "all".into(),
            timestamps: false,
        }
    }
}

/// Streams `req` of each of `containers` on its own task, sending lines and then `Ended`.
pub fn stream_logs(
    engine: &Engine,
    containers: &[String],
    req: &LogRequest,
    tx: mpsc::UnboundedSender<LogEvent>,
) {
    for name in containers {
        let engine = engine.clone();
        let name = name.clone();
        let tx = tx.clone();
        let req = req.clone();
        tokio::spawn(async move {
            read_logs(&engine, &name, &req, &tx).await;
            let code = engine
                .inspect(&name)
                .await
                .ok()
                .and_then(|c| c.state)
                .and_then(|s| s.exit_code);
            let _ = tx.send(LogEvent::Ended {
                container: name,
                code,
            });
        });
    }
}

/// Reads `req` of one container, sending its output to `tx` line by line; returns when the
/// stream ends.
pub async fn read_logs(
    engine: &Engine,
    name: &str,
    req: &LogRequest,
    tx: &mpsc::UnboundedSender<LogEvent>,
) {
    let clamp = |t: i64| t.clamp(0, i64::from(i32::MAX)) as i32;
    // A followed stream lasts as long as the container runs.
    let client = engine.with_timeout(std::time::Duration::from_secs(10 * 365 * 24 * 3600));
    let mut stream = client.logs(
        name,
        Some(LogsOptions {
            follow: req.follow,
            stdout: true,
            stderr: true,
            since: clamp(req.since),
            until: clamp(req.until),
            timestamps: req.timestamps,
            tail: req.tail.clone(),
        }),
    );
    let mut pending = [String::new(), String::new()];
    while let Some(item) = stream.next().await {
        let Ok(out) = item else { break };
        let (stderr, bytes) = match out {
            LogOutput::StdErr { message } => (true, message),
            LogOutput::StdOut { message } | LogOutput::Console { message } => (false, message),
            LogOutput::StdIn { .. } => continue,
        };
        let buf = &mut pending[usize::from(stderr)];
        buf.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(i) = buf.find('\n') {
            let line: String = buf.drain(..=i).collect();
            let text = line.trim_end_matches(['\n', '\r']).to_string();
            let _ = tx.send(LogEvent::Line {
                container: name.to_string(),
                stderr,
                text,
            });
        }
    }
    for (i, rest) in pending.iter().enumerate() {
        if !rest.is_empty() {
            let _ = tx.send(LogEvent::Line {
                container: name.to_string(),
                stderr: i == 1,
                text: rest.clone(),
            });
        }
    }
}

/// What happened to one of a project's (non-one-off) containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerAction {
    Create,
    Start,
    Die,
}

/// An engine event about one of a project's containers.
#[derive(Debug, Clone)]
pub struct ContainerEvent {
    pub action: ContainerAction,
    pub id: String,
    pub name: String,
    pub service: String,
    /// The `com.docker.compose.container-number` label.
    pub number: Option<String>,
    /// Unix seconds.
    pub time: i64,
    /// `die` only.
    pub exit_code: Option<i64>,
}

/// Streams the create, start and die events of `project`'s non-one-off containers, from unix
/// time `since` on (so nothing is missed between subscribing and listing), until the engine
/// ends the stream or `tx` is dropped.
pub fn container_events(
    engine: &Engine,
    project: &str,
    since: i64,
    tx: mpsc::UnboundedSender<ContainerEvent>,
) {
    let client = engine.with_timeout(std::time::Duration::from_secs(10 * 365 * 24 * 3600));
    // Only the project label is filtered by the engine: Podman's API joins several label
    // filters with "or" and knows no `event=die` filter, so the rest is checked here.
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        (
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        ),
    ]);
    let project = project.to_string();
    tokio::spawn(async move {
        let mut stream = client.events(Some(EventsOptions {
            since: Some(since.to_string()),
            until: None,
            filters: Some(filters),
        }));
        while let Some(Ok(ev)) = stream.next().await {
            let action = match ev.action.as_deref() {
                Some("create") => ContainerAction::Create,
                Some("start") => ContainerAction::Start,
                Some("die") => ContainerAction::Die,
                _ => continue,
            };
            let actor = ev.actor.unwrap_or_default();
            let attrs = actor.attributes.unwrap_or_default();
            if attrs.get(labels::PROJECT) != Some(&project)
                || attrs.get(labels::ONEOFF).map(String::as_str) != Some("False")
            {
                continue;
            }
            let event = ContainerEvent {
                action,
                id: actor.id.unwrap_or_default(),
                name: attrs.get("name").cloned().unwrap_or_default(),
                service: attrs.get(labels::SERVICE).cloned().unwrap_or_default(),
                number: attrs.get(labels::NUMBER).cloned(),
                time: ev.time.unwrap_or(0),
                exit_code: attrs.get("exitCode").and_then(|c| c.parse().ok()),
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
}

/// Whether container `id` is about to run again after exiting (restart policy) or already
/// runs again.
pub async fn restarting(engine: &Engine, id: &str) -> bool {
    match engine.inspect(id).await {
        Ok(c) => c
            .state
            .is_some_and(|s| s.restarting.unwrap_or(false) || s.running.unwrap_or(false)),
        Err(_) => false,
    }
}

/// Sends `signal` to each container, ignoring ones already gone or stopped.
pub async fn kill(engine: &Engine, containers: &[String], signal: &str) -> Result<(), EngineError> {
    for name in containers {
        match engine
            .docker
            .kill_container(
                name,
                Some(KillContainerOptions {
                    signal: signal.to_string(),
                }),
            )
            .await
        {
            Ok(()) => {}
            Err(e) => match engine.error(e) {
                e if e.is_not_found() || e.is_conflict() => {}
                e => return Err(e),
            },
        }
    }
    Ok(())
}

/// What [`follow_runs`] reports about one container.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// One line of output, without its newline.
    Line {
        container: String,
        stderr: bool,
        text: String,
    },
    /// A run of the container ended with `code`; `restarting` when its restart policy runs
    /// it again (then its output keeps being followed).
    Exited {
        container: String,
        code: i64,
        restarting: bool,
    },
    /// The container exited for good: nothing more comes from it.
    Done { container: String },
}

/// Follows the output of `containers` (name, id) of `project` from unix time `since`, across
/// restarts: each run's lines once, in order, then its exit (from the engine's `die` events,
/// so every run is reported with its own code even when it is short), until the container
/// exits without being restarted.
pub fn follow_runs(
    engine: &Engine,
    project: &str,
    containers: &[(String, String)],
    since: i64,
    tx: mpsc::UnboundedSender<RunEvent>,
) {
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    container_events(engine, project, since, ev_tx);
    let mut control: HashMap<String, mpsc::UnboundedSender<(i64, bool)>> = HashMap::new();
    let mut receivers = Vec::new();
    for (name, id) in containers {
        let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
        control.insert(id.clone(), ctl_tx);
        receivers.push((name.clone(), ctl_rx));
    }
    // What the containers printed before they were followed is sent first, merged in time
    // order (a one-shot that ran before its dependent shows first), then each is followed.
    {
        let engine = engine.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let names: Vec<String> = receivers.iter().map(|(n, _)| n.clone()).collect();
            let seeds = send_backlog(&engine, &names, since, &tx).await;
            for ((name, ctl_rx), seed) in receivers.into_iter().zip(seeds) {
                tokio::spawn(follow_one(
                    engine.clone(),
                    name,
                    since,
                    seed,
                    ctl_rx,
                    tx.clone(),
                ));
            }
        });
    }
    let engine = engine.clone();
    tokio::spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            if ev.action != ContainerAction::Die {
                continue;
            }
            let Some(ctl) = control.get(&ev.id) else {
                continue;
            };
            // The engine marks a container restarting before it reports its `die`.
            let again = restarting(&engine, &ev.id).await;
            let _ = ctl.send((ev.exit_code.unwrap_or(0), again));
        }
    });
}

/// The newest line timestamp already sent for a container, and how many lines carried it.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    last: Option<std::time::SystemTime>,
    count: usize,
}

/// Splits a line read with timestamps into its time and its text.
fn stamped(text: &str) -> (Option<std::time::SystemTime>, &str) {
    let (stamp, rest) = text.split_once(' ').unwrap_or(("", text));
    (
        humantime::parse_rfc3339_weak(stamp.trim_end_matches('Z')).ok(),
        rest,
    )
}

/// Reads what `names` printed from `since` until now and sends it in time order (ties go to
/// the container that started first, then to each container's own order); returns what was
/// sent per container.
async fn send_backlog(
    engine: &Engine,
    names: &[String],
    since: i64,
    tx: &mpsc::UnboundedSender<RunEvent>,
) -> Vec<Seen> {
    let req = LogRequest {
        follow: false,
        since,
        timestamps: true,
        ..Default::default()
    };
    let reads = names.iter().map(|name| {
        let req = req.clone();
        async move {
            let started = engine
                .inspect(name)
                .await
                .ok()
                .and_then(|c| c.state)
                .and_then(|s| s.started_at)
                .unwrap_or_default();
            let (line_tx, mut line_rx) = mpsc::unbounded_channel();
            read_logs(engine, name, &req, &line_tx).await;
            drop(line_tx);
            let mut lines = Vec::new();
            while let Some(LogEvent::Line { stderr, text, .. }) = line_rx.recv().await {
                lines.push((stderr, text));
            }
            (started, lines)
        }
    });
    let backlogs = futures::future::join_all(reads).await;
    let mut merged = Vec::new();
    let mut seeds = vec![Seen::default(); names.len()];
    for (c, (started, lines)) in backlogs.iter().enumerate() {
        for (i, (stderr, text)) in lines.iter().enumerate() {
            let (at, rest) = stamped(text);
            merged.push((at, started.clone(), c, i, *stderr, rest.to_string()));
            let seed = &mut seeds[c];
            match (at, seed.last) {
                (Some(at), Some(last)) if at == last => seed.count += 1,
                (Some(at), _) => {
                    seed.last = Some(at);
                    seed.count = 1;
                }
                (None, _) => {}
            }
        }
    }
    merged.sort_by(|a, b| (a.0, &a.1, a.2, a.3).cmp(&(b.0, &b.1, b.2, b.3)));
    for (_, _, c, _, stderr, text) in merged {
        let _ = tx.send(RunEvent::Line {
            container: names[c].clone(),
            stderr,
            text,
        });
    }
    seeds
}

/// One container of [`follow_runs`]: streams its logs (timestamped, so a line is never sent
/// twice when the stream is opened again for the next run) and turns the `die` notices from
/// `control` into `Exited` events after the run's last lines.
async fn follow_one(
    engine: Engine,
    name: String,
    since: i64,
    seed: Seen,
    mut control: mpsc::UnboundedReceiver<(i64, bool)>,
    tx: mpsc::UnboundedSender<RunEvent>,
) {
    let mut last: Option<std::time::SystemTime> = seed.last;
    let read = |follow: bool, last: Option<std::time::SystemTime>| {
        let engine = engine.clone();
        let name = name.clone();
        async move {
            let since = last
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .unwrap_or(since);
            let req = LogRequest {
                follow,
                since,
                timestamps: true,
                ..Default::default()
            };
            let (line_tx, mut line_rx) = mpsc::unbounded_channel();
            read_logs(&engine, &name, &req, &line_tx).await;
            drop(line_tx);
            let mut lines = Vec::new();
            while let Some(LogEvent::Line { stderr, text, .. }) = line_rx.recv().await {
                lines.push((stderr, text));
            }
            lines
        }
    };
    // The newest timestamp sent and how many lines carried it: a stream opened again repeats
    // lines from that second on (Podman stamps whole seconds), and those are skipped by count.
    let mut sent_at_last = seed.count;
    let mut emit = |lines: Vec<(bool, String)>, last: &mut Option<std::time::SystemTime>| {
        let mut same = 0usize;
        for (stderr, text) in lines {
            let (at, rest) = stamped(&text);
            match (at, *last) {
                (Some(at), Some(seen)) if at < seen => continue,
                (Some(at), Some(seen)) if at == seen => {
                    same += 1;
                    if same <= sent_at_last {
                        continue;
                    }
                    sent_at_last += 1;
                }
                (Some(at), _) => {
                    *last = Some(at);
                    sent_at_last = 1;
                    same = 1;
                }
                (None, _) => {}
            }
            let _ = tx.send(RunEvent::Line {
                container: name.clone(),
                stderr,
                text: rest.to_string(),
            });
        }
    };
    loop {
        // Lines as they come, until the run ends (the engine closes a followed stream when
        // the container stops).
        let lines = read(true, last).await;
        emit(lines, &mut last);
        let notice =
            tokio::time::timeout(std::time::Duration::from_millis(200), control.recv()).await;
        let (code, again) = match notice {
            Ok(Some(n)) => n,
            Ok(None) => return,
            // No exit reported: the stream was closed for another reason, or the next run
            // has not begun yet; open it again.
            Err(_) => continue,
        };
        // The run's last lines, then its exit.
        let lines = read(false, last).await;
        emit(lines, &mut last);
        let _ = tx.send(RunEvent::Exited {
            container: name.clone(),
            code,
            restarting: again,
        });
        if !again {
            let _ = tx.send(RunEvent::Done {
                container: name.clone(),
            });
            return;
        }
    }
}
