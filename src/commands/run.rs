//! `run SERVICE [COMMAND...]`: a one-off container of the service. Its dependencies are
//! created and started first (the `up` planner on the project without the service, unless
//! `--no-deps`), their `depends_on` conditions awaited; then the container
//! `<project>-<service>-run-<12 hex>` is created from [`oneoff_spec`] and either started in the
//! background (`-d` prints its id) or attached until it exits, with its exit code as ours;
//! `--rm` removes it afterwards.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;

use anyhow::{Result, bail};

use super::{Context, ExitCode, HANDLES_INTERRUPTS};
use crate::cli::RunArgs;
use crate::engine::executor::execute;
use crate::engine::observe::{Lookups, observe};
use crate::engine::run::{create_oneoff, remove, resize, run_attached, signal, start};
use crate::model::service::Condition;
use crate::model::short_syntax::{MountKind, parse_port, parse_volume};
use crate::model::{DependencyGraph, LoadError, Project};
use crate::output::console;
use crate::output::progress::{Progress, ProgressMode};
use crate::output::terminal::{RawMode, stdin_chunks, write_raw};
use crate::plan::run::{OneoffOptions, oneoff_spec};
use crate::plan::{Action, Plan, Recreate, UpOptions, plan_up};
use crate::settings;

pub async fn run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let Some((service, command)) = args.args.split_first() else {
        bail!("requires at least 1 arg(s), only received 0");
    };
    if !args.publish.is_empty() && args.service_ports {
        bail!("--service-ports and --publish are incompatible");
    }
    // TTY: on when stdout is a terminal, unless -T, or stdin is not a terminal and no
    // -i/-t/-T was given.
    let mut no_tty = args.no_tty.unwrap_or(!std::io::stdout().is_terminal());
    if let Some(t) = args.tty {
        if args.no_tty.is_some() {
            bail!("--tty and --no-tty can't be used together");
        }
        no_tty = !t;
    } else if args.no_tty.is_none() && args.interactive.is_none() && !std::io::stdin().is_terminal()
    {
        no_tty = true;
    }
    let tty = !no_tty;
    let interactive = args.interactive.unwrap_or(true);
    let mut labels = Vec::new();
    for l in &args.label {
        let Some((k, v)) = l.split_once('=') else {
            bail!("label must be set as KEY=VALUE");
        };
        labels.push((k.to_string(), v.to_string()));
    }
    let entrypoint = match &args.entrypoint {
        Some(e) => Some(shell_words::split(e).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    if let Some(p) = &args.pull
        && !matches!(
            p.as_str(),
            "always" | "missing" | "never" | "policy" | "build"
        )
    {
        bail!("invalid --pull option {p:?}");
    }

    let mut project = ctx.load_to_create(std::slice::from_ref(service))?;
    let Some(target) = project.services.get(service).cloned() else {
        return Err(LoadError::no_such_service(
            service,
            project.services.keys().map(String::as_str),
        )
        .into());
    };
    let publish = args
        .publish
        .iter()
        .map(|p| parse_port(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?
        .concat();
    let mut volumes = Vec::new();
    for v in &args.volume {
        let mut m = parse_volume(v).map_err(anyhow::Error::msg)?;
        if m.kind == MountKind::Bind
            && let Some(src) = &m.source
        {
            m.source = Some(crate::model::service::absolute(&project.working_dir, src));
        }
        volumes.push(m);
    }
    let mut env: Vec<(String, String)> = super::exec::resolve_env(ctx, &args.env)
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    for file in &args.env_from_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("open {file}: {}", io_reason(&e)))?;
        let known = env.clone();
        let lookup = |k: &str| known.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let vars = crate::model::dotenv::parse(&text, &lookup)
            .map_err(|e| anyhow::anyhow!("{file}: line {}: {}", e.line, e.message))?;
        for (k, v) in vars {
            if !env.iter().any(|(x, _)| *x == k) {
                env.push((k, v));
            }
        }
    }

    // The dependencies: the project without the service, or nothing with --no-deps.
    let deps_project = without_service(&project, service, args.no_deps)?;
    if args.no_deps {
        project = deps_project.clone();
        project.services.insert(service.clone(), target.clone());
    }
    let quiet;
    let progress = if args.quiet {
        quiet = Progress::new(ProgressMode::Quiet);
        &quiet
    } else {
        &ctx.progress
    };
    let engine = ctx.engine().await?;
    // Images first, as `up` does: build what is missing (or everything with --build), pull by
    // policy.
    let pull = match args.pull.as_deref() {
        None | Some("policy") => None,
        Some(p) => Some(crate::plan::build::PullPolicy::parse(p).map_err(anyhow::Error::msg)?),
    };
    let flags = crate::plan::build::ImageFlags {
        pull,
        build: args.build,
        no_build: false,
    };
    super::build::ensure_images(
        ctx,
        &engine,
        &project,
        flags,
        &super::build::BuildFlags {
            quiet: args.quiet_build,
            ..Default::default()
        },
    )
    .await?;
    let image = target.image_name(&project);
    let lookups = Lookups::for_project(&project, true);
    let observed = observe(&engine, &project.name, &lookups).await?;
    let remove_orphans = args.remove_orphans || ctx.flag(settings::COMPOSE_REMOVE_ORPHANS);
    let ignore_orphans = ctx.flag(settings::COMPOSE_IGNORE_ORPHANS);
    let planned = plan_up(
        &deps_project,
        &observed,
        &UpOptions {
            recreate: Recreate::Diverged,
            recreate_dependencies: Recreate::Diverged,
            targets: Vec::new(),
            no_start: false,
            timeout: None,
            remove_orphans,
            renew_anon_volumes: false,
            recreate_diverged_volumes: false,
        },
    )?;
    crate::output::plan::warnings(&planned.warnings, &planned.orphans, ignore_orphans);
    let mut plan = planned.plan;
    if !observed.images.contains_key(&image) {
        if target.pull_policy.as_deref() == Some("never") || args.pull.as_deref() == Some("never") {
            bail!(
                "service {service:?}: image {image} is not present locally and pull_policy is never"
            );
        }
        if target.image.is_none() {
            bail!("service {service:?}: image {image} was not built");
        }
        if !plan
            .steps
            .iter()
            .any(|s| matches!(&s.action, Action::PullImage { image: i, .. } if *i == image))
        {
            plan.add(
                Action::PullImage {
                    image: image.clone(),
                    services: vec![service.to_string()],
                },
                vec![],
            );
        }
    }
    let r = execute(&engine, &plan, progress).await;
    if let Err(e) = r {
        progress.finish();
        return Err(e.into());
    }
    if tty && interactive && !std::io::stdin().is_terminal() {
        progress.finish();
        bail!("cannot attach stdin to a TTY-enabled container because stdin is not a terminal");
    }
    // The service's own dependency conditions.
    if !args.no_deps {
        let now = observe(&engine, &project.name, &Lookups::default()).await?;
        let mut waits = Plan::default();
        for (dep, d) in &target.depends_on {
            if d.condition == Condition::ServiceStarted || !project.services.contains_key(dep) {
                continue;
            }
            let containers: Vec<String> = now
                .service_containers(dep)
                .iter()
                .map(|c| c.name.clone())
                .collect();
            if containers.is_empty() {
                continue;
            }
            waits.add(
                Action::AwaitDependency {
                    service: service.clone(),
                    dependency: dep.clone(),
                    condition: d.condition,
                    required: d.required,
                    containers,
                },
                vec![],
            );
        }
        if let Err(e) = execute(&engine, &waits, progress).await {
            progress.finish();
            return Err(e.into());
        }
    }

    let opts = OneoffOptions {
        name: args.name.clone().filter(|n| !n.is_empty()),
        slug: random_hex(32)?,
        command: command.to_vec(),
        entrypoint,
        env,
        user: args.user.clone().filter(|u| !u.is_empty()),
        workdir: args.workdir.clone().filter(|w| !w.is_empty()),
        labels,
        service_ports: args.service_ports,
        publish,
        volumes,
        cap_add: args.cap_add.clone(),
        cap_drop: args.cap_drop.clone(),
        tty,
        interactive,
        use_aliases: args.use_aliases,
        // Attached, rcompose removes the container itself once it has read its exit code.
        auto_remove: args.rm && args.detach,
    };
    let image_id = observed.images.get(&image).map(String::as_str);
    let spec = oneoff_spec(&project, &target, &opts, image_id);
    let created = create_oneoff(&engine, &spec, progress).await;
    progress.finish();
    let id = created?;

    if args.detach {
        if let Err(e) = start(&engine, &id).await {
            if args.rm {
                let _ = remove(&engine, &id).await;
            }
            return Err(e.into());
        }
        console::line(&id);
        return Ok(0);
    }

    // Attached: signals go to the container, not to us.
    HANDLES_INTERRUPTS.store(true, Ordering::SeqCst);
    let forwarder = forward_signals(&engine, &id);
    let stdin = interactive.then(stdin_chunks);
    let raw = tty.then(RawMode::enable);
    let resizer = tty.then(|| {
        let (engine, id) = (engine.clone(), id.clone());
        super::exec::follow_terminal_size(move |rows, cols| {
            let (engine, id) = (engine.clone(), id.clone());
            async move { resize(&engine, &id, rows, cols).await }
        })
    });
    let mut out = |stderr: bool, bytes: &[u8]| write_raw(stderr, bytes);
    let result = run_attached(&engine, &id, stdin, &mut out).await;
    drop(raw);
    for task in forwarder.into_iter().chain(resizer) {
        task.abort();
    }
    if args.rm {
        remove(&engine, &id).await?;
    }
    Ok(result? as ExitCode)
}

/// The project with `service` disabled (what `run` starts first); with `no_deps`, every other
/// service disabled too.
fn without_service(project: &Project, service: &str, no_deps: bool) -> Result<Project> {
    let mut p = project.clone();
    let keep = |k: &String| k != service && !no_deps;
    let (kept, dropped): (Vec<_>, Vec<_>) = p.services.drain(..).partition(|(k, _)| keep(k));
    p.services = kept.into_iter().collect();
    p.disabled_services.extend(dropped);
    p.graph = DependencyGraph::build(p.services.iter().map(|(k, s)| {
        (
            k.as_str(),
            s.depends_on
                .keys()
                .filter(|d| project.services.contains_key(*d) && *d != service && !no_deps)
                .cloned()
                .collect(),
        )
    }))
    .map_err(anyhow::Error::msg)?;
    Ok(p)
}

/// Forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to container `id`.
fn forward_signals(engine: &crate::engine::Engine, id: &str) -> Vec<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal as listen};
    let kinds = [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::quit(), "SIGQUIT"),
        (SignalKind::user_defined1(), "SIGUSR1"),
        (SignalKind::user_defined2(), "SIGUSR2"),
    ];
    kinds
        .into_iter()
        .filter_map(|(kind, name)| {
            let mut s = listen(kind).ok()?;
            let engine = engine.clone();
            let id = id.to_string();
            Some(tokio::spawn(async move {
                while s.recv().await.is_some() {
                    signal(&engine, &id, name).await;
                }
            }))
        })
        .collect()
}

/// `n` random bytes as hex, from the kernel.
fn random_hex(n: usize) -> Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| anyhow::anyhow!("cannot read /dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
