//! `up`: load → observe → plan → execute; then wait for health (`--wait`), return (`-d`), or
//! stay in the foreground streaming the containers' output until they exit or are interrupted.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use anyhow::{Result, bail};
use tokio::sync::mpsc;

use super::{Context, ExitCode, HANDLES_INTERRUPTS, INTERRUPTS};
use crate::cli::UpArgs;
use crate::engine::Engine;
use crate::engine::executor::execute;
use crate::engine::logs::{RunEvent, follow_runs, kill};
use crate::engine::observe::{Lookups, observe};
use crate::engine::wait::wait_running_or_healthy;
use crate::model::LoadError;
use crate::model::Project;
use crate::output::console;
use crate::output::logs::{LogPrinter, display_name};
use crate::output::progress::Progress;
use crate::plan::{Recreate, UpOptions, plan_stop, plan_up};
use crate::settings;

pub async fn run(ctx: &Context, args: UpArgs) -> Result<ExitCode> {
    validate(&args)?;
    let mut project = ctx.load_to_create(&args.services)?;
    for s in &args.scale {
        let (svc, n) = s
            .split_once('=')
            .and_then(|(k, v)| v.parse::<u32>().ok().map(|n| (k, n)))
            .ok_or_else(|| {
                anyhow::anyhow!("invalid --scale option {s:?}. Should be SERVICE=NUM")
            })?;
        match project.services.get_mut(svc) {
            Some(service) => service.scale = Some(n),
            None => {
                return Err(LoadError::no_such_service(
                    svc,
                    project.services.keys().map(String::as_str),
                )
                .into());
            }
        }
    }
    if args.no_deps && !args.services.is_empty() {
        project.services.retain(|k, _| args.services.contains(k));
        for s in project.services.values_mut() {
            s.depends_on.retain(|d, _| args.services.contains(d));
        }
        project.graph = crate::model::DependencyGraph::build(
            project
                .services
                .iter()
                .map(|(k, s)| (k.as_str(), s.depends_on.keys().cloned().collect())),
        )
        .map_err(anyhow::Error::msg)?;
    }
    if project.services.is_empty() {
        bail!("no service selected");
    }
    let remove_orphans = args.remove_orphans || ctx.flag(settings::COMPOSE_REMOVE_ORPHANS);
    let ignore_orphans = ctx.flag(settings::COMPOSE_IGNORE_ORPHANS);
    if ignore_orphans && args.remove_orphans {
        bail!("cannot combine COMPOSE_IGNORE_ORPHANS and --remove-orphans");
    }

    let engine = ctx.engine().await?;
    for w in engine_gaps(&engine, &project).await {
        crate::output::warn(&w);
    }
    if !(args.dry_run || ctx.global.dry_run || args.plan_format.is_some()) {
        let pull = match args.pull.as_deref() {
            None | Some("policy") => None,
            Some(p) => Some(crate::plan::build::PullPolicy::parse(p).map_err(anyhow::Error::msg)?),
        };
        let flags = crate::plan::build::ImageFlags {
            pull,
            build: args.build,
            no_build: args.no_build,
        };
        let build_flags = super::build::BuildFlags {
            quiet: args.quiet_build,
            ..Default::default()
        };
        let built = super::build::ensure_images(ctx, &engine, &project, flags, &build_flags).await;
        if let Err(e) = built {
            ctx.progress.finish();
            return Err(e);
        }
    }
    let lookups = Lookups::for_project(&project, true);
    let observed = observe(&engine, &project.name, &lookups).await?;
    let strategy = |force: bool| {
        if args.no_recreate {
            Recreate::Never
        } else if force || args.renew_anon_volumes {
            Recreate::Force
        } else {
            Recreate::Diverged
        }
    };
    let mut opts = UpOptions {
        recreate: strategy(args.force_recreate),
        recreate_dependencies: strategy(args.always_recreate_deps),
        targets: args.services.clone(),
        no_start: args.no_start,
        timeout: args.timeout,
        remove_orphans,
        renew_anon_volumes: args.renew_anon_volumes,
        recreate_diverged_volumes: args.yes,
    };
    let mut planned = plan_up(&project, &observed, &opts)?;
    if !planned.diverged_volumes.is_empty() {
        if console::confirm_volume_recreation(&planned.diverged_volumes) {
            opts.recreate_diverged_volumes = true;
            planned = plan_up(&project, &observed, &opts)?;
        } else {
            for v in &planned.diverged_volumes {
                crate::output::warn(&format!(
                    "Volume {v:?} exists but doesn't match configuration in compose file. It is kept as it is; `up -y` recreates it (its data will be lost)"
                ));
            }
        }
    }
    crate::output::plan::warnings(&planned.warnings, &planned.orphans, ignore_orphans);
    if args.dry_run || ctx.global.dry_run || args.plan_format.is_some() {
        let format = args.plan_format.as_deref().unwrap_or("text");
        let explained = crate::plan::explain::explain(&planned.plan, &project, &observed);
        crate::output::plan::print(&explained, format == "json")?;
        return Ok(0);
    }
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let result = execute(&engine, &planned.plan, &ctx.progress).await;
    if let Err(e) = result {
        ctx.progress.finish();
        return Err(e.into());
    }
    if args.wait && !args.no_start {
        let timeout = args.wait_timeout.filter(|t| *t > 0);
        let r = wait_running_or_healthy(&engine, &project, &ctx.progress, timeout).await;
        ctx.progress.finish();
        r?;
    }
    ctx.progress.finish();
    if args.detach || args.wait || args.no_start {
        return Ok(0);
    }
    foreground(ctx, &engine, &project, &args, started_at).await
}

/// Foreground `up`: stream the attached services' output with prefixes until the watched
/// containers exit; the first interrupt stops the containers (exit 130), a second one kills
/// them. `--abort-on-container-exit` / `--abort-on-container-failure` / `--exit-code-from`
/// stop everything at the first (failed) exit and return that exit code.
async fn foreground(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    args: &UpArgs,
    since: i64,
) -> Result<ExitCode> {
    HANDLES_INTERRUPTS.store(true, Ordering::SeqCst);
    let mut interrupts = INTERRUPTS.subscribe();
    let observed = observe(engine, &project.name, &Lookups::default()).await?;
    // Attached: --attach, else the services named (with their dependencies on request), else all.
    let mut attached: Vec<String> = if !args.attach.is_empty() {
        args.attach.clone()
    } else if !args.services.is_empty() && !args.attach_dependencies {
        args.services.clone()
    } else {
        project.services.keys().cloned().collect()
    };
    attached.retain(|s| !args.no_attach.contains(s));
    for s in &attached {
        if !project.services.contains_key(s) {
            bail!("cannot attach to services not included in up: {s}");
        }
    }
    let service_of: std::collections::HashMap<String, String> = observed
        .containers
        .iter()
        .map(|c| (c.name.clone(), c.service.clone()))
        .collect();
    let mut names: Vec<String> = attached
        .iter()
        .flat_map(|s| observed.service_containers(s))
        .map(|c| c.name.clone())
        .collect();
    names.sort();
    let shown_names: std::collections::HashMap<String, String> = observed
        .containers
        .iter()
        .map(|c| {
            let number = c.number.map(|n| n.to_string());
            let shown = display_name(
                &project.name,
                project.separator,
                &c.service,
                number.as_deref(),
                &c.name,
            );
            (c.name.clone(), shown)
        })
        .collect();
    let short = |n: &str| shown_names.get(n).cloned().unwrap_or_else(|| n.to_string());
    let shown: Vec<String> = names.iter().map(|n| short(n)).collect();
    let color = !args.no_color && std::io::stdout().is_terminal();
    let printer = LogPrinter::new(&shown, color, !args.no_log_prefix);
    console::line(&format!("Attaching to {}", shown.join(", ")));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ids: std::collections::HashMap<&str, &str> = observed
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c.id.as_str()))
        .collect();
    let followed: Vec<(String, String)> = names
        .iter()
        .filter_map(|n| ids.get(n.as_str()).map(|id| (n.clone(), id.to_string())))
        .collect();
    follow_runs(engine, &project.name, &followed, since, tx);
    let abort_on_exit = args.abort_on_container_exit || args.exit_code_from.is_some();
    // Interrupts and aborts stop the services `up` was asked for (all when none were named),
    // not the dependencies that were already running for them.
    let stop_all = || {
        let graph = project.graph.clone();
        let engine = engine.clone();
        let observed = observed.clone();
        let mode = ctx.progress.mode();
        let targets = args.services.clone();
        tokio::spawn(async move {
            let plan = plan_stop(&graph, &observed, &targets, None);
            let progress = Progress::new(mode);
            let _ = execute(&engine, &plan, &progress).await;
            progress.finish();
        })
    };
    let mut remaining = followed.len();
    let mut stopping: Option<tokio::task::JoinHandle<()>> = None;
    let mut aborted_with: Option<i64> = None;
    while remaining > 0 {
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(RunEvent::Line { container, stderr, text }) => {
                    let text = if args.timestamps {
                        format!("{} {text}", humantime::format_rfc3339_nanos(std::time::SystemTime::now()))
                    } else {
                        text
                    };
                    printer.line(&short(&container), stderr, &text)
                }
                Some(RunEvent::Exited { container, code, restarting }) => {
                    printer.status(&short(&container), &format!("exited with code {code}"));
                    let failed = code != 0;
                    if !restarting
                        && stopping.is_none()
                        && (abort_on_exit || (args.abort_on_container_failure && failed))
                    {
                        console::notice("Aborting on container exit...");
                        aborted_with = Some(code);
                        stopping = Some(stop_all());
                    }
                }
                Some(RunEvent::Done { .. }) => remaining -= 1,
                None => break,
            },
            Ok(()) = interrupts.changed() => {
                let count = *interrupts.borrow();
                if count == 1 && stopping.is_none() {
                    console::notice("Gracefully Stopping... press Ctrl+C again to force");
                    stopping = Some(stop_all());
                } else {
                    let _ = kill(engine, &names, "SIGKILL").await;
                }
            }
        }
    }
    if let Some(h) = stopping {
        let _ = h.await;
        let Some(code) = aborted_with else {
            return Ok(130);
        };
        // --exit-code-from: the named service's container's own code (143 when the abort
        // stopped it), else the code of the container whose exit caused the abort.
        if let Some(svc) = &args.exit_code_from {
            let target = service_of
                .iter()
                .filter(|(_, s)| *s == svc)
                .map(|(n, _)| n.clone())
                .min();
            if let Some(name) = target {
                let code = crate::engine::control::exit_code(engine, &name)
                    .await
                    .unwrap_or(code);
                return Ok(code as ExitCode);
            }
        }
        return Ok(code as ExitCode);
    }
    Ok(0)
}

/// The flag combinations compose refuses, with its messages.
fn validate(a: &UpArgs) -> Result<()> {
    if a.watch {
        bail!(
            "--watch is not supported by rcompose: it has no file watcher to sync or rebuild services when their sources change; run `up` again (with --build) after a change"
        );
    }
    if let Some(t) = a.wait_timeout
        && t < 0
    {
        bail!("--wait-timeout must be a non-negative integer");
    }
    if a.build && a.no_build {
        bail!("--build and --no-build are incompatible");
    }
    if a.abort_on_container_failure && a.abort_on_container_exit {
        bail!("--abort-on-container-failure cannot be combined with --abort-on-container-exit");
    }
    if a.detach
        && (a.abort_on_container_exit
            || a.abort_on_container_failure
            || !a.attach.is_empty()
            || a.attach_dependencies)
    {
        bail!(
            "--detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch"
        );
    }
    if a.wait && (a.abort_on_container_exit || !a.attach.is_empty() || a.attach_dependencies) {
        bail!(
            "--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies"
        );
    }
    if !a.attach.is_empty() && a.attach_dependencies {
        bail!("cannot combine --attach and --attach-dependencies");
    }
    if let Some(s) = &a.exit_code_from
        && !a.services.is_empty()
        && !a.services.contains(s)
    {
        bail!("exit code from service {s:?} is not part of the services to start");
    }
    if a.no_recreate && a.renew_anon_volumes {
        bail!("--no-recreate and --renew-anon-volumes are incompatible");
    }
    if a.force_recreate && a.no_recreate {
        bail!("--force-recreate and --no-recreate are incompatible");
    }
    if a.always_recreate_deps && a.no_recreate {
        bail!("--always-recreate-deps and --no-recreate are incompatible");
    }
    if let Some(p) = &a.pull
        && !matches!(
            p.as_str(),
            "always" | "missing" | "never" | "policy" | "build"
        )
    {
        bail!("invalid --pull option {p:?}");
    }
    Ok(())
}

/// What the project asks for that this engine does not do, said rather than silently lost:
/// `healthcheck.start_interval` before Engine API 1.44, `links` on Podman.
async fn engine_gaps(engine: &Engine, project: &Project) -> Vec<String> {
    let mut out = Vec::new();
    let (major, minor) = engine.api_version();
    if (major, minor) < (1, 44) {
        for s in project.services.values() {
            if s.healthcheck
                .as_ref()
                .is_some_and(|h| h.start_interval.is_some())
            {
                out.push(format!(
                    "service {:?}: healthcheck.start_interval needs Engine API 1.44; the engine at {} speaks {major}.{minor} and ignores it (the regular interval applies)",
                    s.name, engine.endpoint
                ));
            }
        }
    }
    let linked: Vec<&str> = project
        .services
        .values()
        .filter(|s| !s.host.links.is_empty())
        .map(|s| s.name.as_str())
        .collect();
    if !linked.is_empty() && engine.is_podman().await {
        out.push(format!(
            "Podman's API ignores links (services {}): link aliases will not resolve; use the service name or network aliases",
            linked.join(", ")
        ));
    }
    out
}
