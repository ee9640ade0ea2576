//! `build [SERVICE...]`, `pull [SERVICE...]`, and the image step of `up`/`create`: decide per
//! service (see [`crate::plan::build`]), then build concurrently and pull.

use anyhow::{Result, anyhow, bail};
use futures::future::join_all;

use super::{Context, ExitCode};
use crate::cli::{BuildArgs, PullArgs};
use crate::engine::Engine;
use crate::engine::build::{BuildRequest, SecretValue, build, choose_builder};
use crate::engine::registry::pull_image;
use crate::model::Project;
use crate::model::build::Build;
use crate::model::host::FileSource;
use crate::plan::build::{ImageAction, ImageFlags, LocalImage, image_action, services_to_build};

/// Per-build options from the command line.
#[derive(Debug, Clone, Default)]
pub struct BuildFlags {
    pub no_cache: bool,
    pub pull: bool,
    pub quiet: bool,
    pub build_args: Vec<String>,
    /// `build -m`: memory limit of the build container, in bytes.
    pub memory: Option<i64>,
}

fn request(project: &Project, service: &str, flags: &BuildFlags) -> Result<BuildRequest> {
    let s = &project.services[service];
    let raw = s
        .build
        .as_ref()
        .ok_or_else(|| anyhow!("service {service:?} has no build section"))?;
    let build =
        Build::parse(raw, &project.working_dir).map_err(|e| anyhow!("service {service:?}: {e}"))?;
    let mut secrets = Vec::new();
    for sec in &build.secrets {
        let value = match project.secrets.get(&sec.source) {
            Some(FileSource::File(path)) => SecretValue::File(path.into()),
            Some(FileSource::Environment(value)) => SecretValue::Value(value.clone()),
            Some(_) => bail!(
                "service {service:?}: build secret {:?} must come from `file:` or `environment:`",
                sec.source
            ),
            None => bail!(
                "service {service:?} refers to undefined secret {}: invalid compose project",
                sec.source
            ),
        };
        secrets.push((sec.id.clone(), value));
    }
    let ssh = build
        .ssh
        .iter()
        .map(|(id, path)| {
            let path = match path {
                Some(p) if !p.is_empty() => Some(p.into()),
                _ => project
                    .environment
                    .get("SSH_AUTH_SOCK")
                    .filter(|s| !s.is_empty())
                    .map(Into::into),
            };
            (id.clone(), path)
        })
        .collect();
    Ok(BuildRequest {
        secrets,
        ssh,
        project: project.name.clone(),
        service: service.to_string(),
        image: s.image_name(project),
        // Bare args come from the project's environment (the shell over .env), as compose does.
        args: build.resolved_args(&project.environment, &flags.build_args),
        build,
        no_cache: flags.no_cache,
        pull: flags.pull,
        quiet: flags.quiet,
        memory: flags.memory,
    })
}

/// Builds `services` concurrently; the first failure (in project order) is returned after every
/// build has ended.
pub async fn build_services(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    services: &[String],
    flags: &BuildFlags,
) -> Result<()> {
    if services.is_empty() {
        return Ok(());
    }
    let builder = choose_builder(engine, &ctx.env).await;
    let requests = services
        .iter()
        .map(|s| request(project, s, flags))
        .collect::<Result<Vec<_>>>()?;
    let results = join_all(
        requests
            .iter()
            .map(|r| build(engine, r, builder, &ctx.progress)),
    )
    .await;
    for r in results {
        r?;
    }
    Ok(())
}

/// The local image of each service: present, and since when.
async fn local_images(engine: &Engine, project: &Project) -> Vec<(String, LocalImage)> {
    join_all(project.services.values().map(|s| async move {
        let image = s.image_name(project);
        let local = match crate::engine::control::local_image(engine, &image).await {
            Some(created) => LocalImage {
                present: true,
                created,
            },
            None => LocalImage::default(),
        };
        (s.name.clone(), local)
    }))
    .await
}

/// The image step of `up`/`create`: builds the services whose image is missing (or all
/// buildable ones with `--build`), pulls where the pull policy says so. Images that are missing
/// and not built are left to the planner, which pulls them.
pub async fn ensure_images(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    flags: ImageFlags,
    build_flags: &BuildFlags,
) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut to_build = Vec::new();
    // image -> (services wanting it, whether one of them can build it)
    let mut to_pull: std::collections::BTreeMap<String, (Vec<String>, bool)> = Default::default();
    for (name, local) in local_images(engine, project).await {
        let s = &project.services[&name];
        match image_action(s, local, flags, now).map_err(anyhow::Error::msg)? {
            ImageAction::Build => to_build.push(name),
            ImageAction::Pull if local.present => {
                let e = to_pull.entry(s.image_name(project)).or_default();
                e.0.push(name.clone());
                e.1 |= s.build.is_some();
            }
            _ => {}
        }
    }
    let pulled =
        join_all(to_pull.iter().map(|(image, (services, _))| {
            pull_image(engine, image, services, &ctx.progress, false)
        }))
        .await;
    for ((_, (_, buildable)), r) in to_pull.iter().zip(pulled) {
        match r {
            // The local image of a buildable service is good enough when the pull fails.
            Err(e) if *buildable => crate::output::warn(&e.to_string()),
            r => r?,
        }
    }
    build_services(ctx, engine, project, &to_build, build_flags).await
}

/// Refuses the `build` flags rcompose cannot honour, naming the flag and the reason; parses
/// `--memory`.
fn check_build_flags(args: &BuildArgs) -> Result<Option<i64>> {
    if let Some(b) = args
        .builder
        .as_deref()
        .filter(|b| !b.is_empty() && *b != "default")
    {
        bail!(
            "--builder {b}: no such builder; rcompose builds through the engine's own builder only (\"default\"): leave --builder out or pass --builder default"
        );
    }
    let unsupported = |flag: &str, why: &str| anyhow!("{flag} is not supported by rcompose: {why}");
    if args.check {
        return Err(unsupported(
            "--check",
            "BuildKit's build checks need buildx's frontend (`docker buildx build --check`)",
        ));
    }
    if args.print {
        return Err(unsupported(
            "--print",
            "it prints a buildx bake file and rcompose does not build through bake",
        ));
    }
    let off = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "");
    if let Some(v) = args.provenance.as_deref().filter(|v| !off(v)) {
        return Err(unsupported(
            &format!("--provenance {v}"),
            "attestations need buildx's BuildKit exporter, which the engine's build API does not offer",
        ));
    }
    if let Some(v) = args.sbom.as_deref().filter(|v| !off(v)) {
        return Err(unsupported(
            &format!("--sbom {v}"),
            "attestations need buildx's BuildKit exporter, which the engine's build API does not offer",
        ));
    }
    if let Some(v) = &args.ssh {
        let v = if v.is_empty() { "default" } else { v.as_str() };
        return Err(unsupported(
            &format!("--ssh {v}"),
            "rcompose's BuildKit session does not forward SSH agents or keys",
        ));
    }
    match &args.memory {
        None => Ok(None),
        Some(m) => {
            let bytes = parse_size::Config::new()
                .with_binary()
                .parse_size(m.trim())
                .map_err(|e| anyhow!("invalid --memory {m:?}: {e}"))?;
            // The engine API client takes the limit as a 32-bit number.
            match i32::try_from(bytes) {
                Ok(b) => Ok(Some(i64::from(b))),
                Err(_) => bail!(
                    "invalid --memory {m:?}: rcompose passes at most {} bytes (2 GiB) to the engine",
                    i32::MAX
                ),
            }
        }
    }
}

pub async fn run(ctx: &Context, args: BuildArgs) -> Result<ExitCode> {
    let memory = check_build_flags(&args)?;
    let project = ctx.load(&args.services)?;
    let services = services_to_build(&project, &args.services, args.with_dependencies)
        .map_err(anyhow::Error::msg)?;
    if services.is_empty() {
        crate::output::warn("No services to build");
        return Ok(0);
    }
    let engine = ctx.engine().await?;
    let flags = BuildFlags {
        no_cache: args.no_cache,
        pull: args.pull,
        quiet: args.quiet,
        build_args: args.build_arg.clone(),
        memory,
    };
    let mut r = build_services(ctx, &engine, &project, &services, &flags).await;
    if r.is_ok() && args.push {
        r = push_services(ctx, &engine, &project, &services, args.quiet, false).await;
    }
    ctx.progress.finish();
    r?;
    Ok(0)
}

pub async fn run_pull(ctx: &Context, args: PullArgs) -> Result<ExitCode> {
    let project = ctx.load(&args.services)?;
    project.check_services(&args.services)?;
    let always = match args.policy.as_deref() {
        None | Some("always") => true,
        Some("missing" | "if_not_present") => false,
        Some(p) => bail!("invalid pull policy {p:?}: --policy accepts \"missing\" or \"always\""),
    };
    let engine = ctx.engine().await?;
    // (services wanting the image, image), in service order
    let mut images: Vec<(Vec<String>, String)> = Vec::new();
    for s in project.services.values() {
        if !args.services.is_empty() && !args.services.contains(&s.name) && !args.include_deps {
            continue;
        }
        if s.image.is_none() || (args.ignore_buildable && s.build.is_some()) {
            if !args.quiet {
                ctx.progress.event(crate::output::progress::Event::new(
                    "Skipped",
                    "No image to be pulled",
                    crate::output::progress::Status::Done,
                    "",
                ));
            }
            continue;
        }
        let image = s.image_name(&project);
        if !always
            && crate::engine::control::local_image(&engine, &image)
                .await
                .is_some()
        {
            continue;
        }
        match images.iter_mut().find(|(_, i)| *i == image) {
            Some((services, _)) => services.push(s.name.clone()),
            None => images.push((vec![s.name.clone()], image)),
        }
    }
    let results =
        join_all(images.iter().map(|(services, image)| {
            pull_image(&engine, image, services, &ctx.progress, args.quiet)
        }))
        .await;
    ctx.progress.finish();
    let mut failed = None;
    for ((services, _), r) in images.iter().zip(results) {
        if let Err(e) = r {
            let buildable = services.iter().any(|s| project.services[s].build.is_some());
            if args.ignore_pull_failures || buildable {
                crate::output::warn(&e.to_string());
            } else if failed.is_none() {
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}

/// Pushes the images of `services` (their `image:` and `build.tags`), one push per distinct
/// name; services without both `build` and `image` have nothing of theirs to push and are
/// skipped, as compose does. With `ignore_failures` a failed push is a warning; with the global
/// `--dry-run` nothing is pushed.
pub async fn push_services(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    services: &[String],
    quiet: bool,
    ignore_failures: bool,
) -> Result<()> {
    let mut pushes: Vec<(String, String)> = Vec::new();
    for name in services {
        let s = &project.services[name];
        if s.build.is_none() || s.image.is_none() {
            if !quiet {
                ctx.progress.event(crate::output::progress::Event::new(
                    "Service",
                    name,
                    crate::output::progress::Status::Done,
                    "Skipped",
                ));
            }
            continue;
        }
        let mut tags = vec![s.image_name(project)];
        if let Some(raw) = &s.build
            && let Ok(b) = Build::parse(raw, &project.working_dir)
        {
            tags.extend(b.tags);
        }
        for t in tags {
            if !pushes.iter().any(|(_, i)| *i == t) {
                pushes.push((name.clone(), t));
            }
        }
    }
    if ctx.global.dry_run {
        // --dry-run: say what would be pushed, push nothing.
        for (_, image) in &pushes {
            ctx.progress.event(crate::output::progress::Event::new(
                "Image",
                image,
                crate::output::progress::Status::Done,
                "Would be pushed (dry run)",
            ));
        }
        return Ok(());
    }
    let results = join_all(pushes.iter().map(|(service, image)| {
        crate::engine::registry::push_image(engine, image, service, &ctx.progress, quiet)
    }))
    .await;
    let mut failed = None;
    for r in results {
        match r {
            Err(e) if ignore_failures => crate::output::warn(&e.to_string()),
            Err(e) if failed.is_none() => failed = Some(e),
            _ => {}
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
