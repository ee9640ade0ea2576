//! `snapshot save|restore|ls|rm`: copies of the project's named volumes, kept in the per-user
//! data directory (`$XDG_DATA_HOME/rcompose/snapshots/<project>/<name>/`, else
//! `~/.local/share/...`). Containers using a volume are stopped for the copy and started again.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Context, ExitCode};
use crate::cli::{SnapshotArgs, SnapshotCommand};
use crate::engine::Engine;
use crate::engine::observe::{Lookups, observe};
use crate::engine::snapshot::{DEFAULT_HELPER_IMAGE, restore_volume, save_volume};
use crate::model::Project;
use crate::model::short_syntax::MountKind;
use crate::output::progress::{Event, Status};
use crate::plan::observed::ContainerState;
use crate::plan::spec::volume_spec;
use crate::plan::{Action, Plan};

/// `snapshot.json` in a snapshot's directory.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    project: String,
    name: String,
    /// Seconds since the epoch.
    created: u64,
    volumes: Vec<SavedVolume>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedVolume {
    /// Key in the compose file.
    key: String,
    /// Engine name when saved.
    name: String,
    /// Size of the compressed archive.
    bytes: u64,
}

pub async fn run(ctx: &Context, args: SnapshotArgs) -> Result<ExitCode> {
    let image = args
        .helper_image
        .clone()
        .unwrap_or_else(|| DEFAULT_HELPER_IMAGE.to_string());
    match args.command {
        // Listing and removing need only the project's name (`-p NAME` works without a file).
        SnapshotCommand::Ls => {
            let target = ctx.project_or_name(&[])?;
            ls(&snapshots_dir(ctx)?.join(target.name()))
        }
        SnapshotCommand::Rm { name } => {
            let target = ctx.project_or_name(&[])?;
            let dir = snapshot_dir(&snapshots_dir(ctx)?.join(target.name()), &name)?;
            if !dir.join("snapshot.json").exists() {
                bail!("no such snapshot: {name}");
            }
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
            Ok(0)
        }
        SnapshotCommand::Save { name, volumes } => {
            let project = ctx.load(&[])?;
            let root = snapshots_dir(ctx)?.join(&project.name);
            save(ctx, &project, &root, &image, &name, volumes).await
        }
        SnapshotCommand::Restore { name } => {
            let project = ctx.load(&[])?;
            let root = snapshots_dir(ctx)?.join(&project.name);
            restore(ctx, &project, &root, &image, &name).await
        }
    }
}

/// Makes sure the helper image is there, pulling it when it is not.
async fn ensure_helper(ctx: &Context, engine: &Engine, image: &str) -> Result<()> {
    if crate::engine::control::local_image(engine, image)
        .await
        .is_some()
    {
        return Ok(());
    }
    let mut plan = Plan::default();
    plan.add(
        Action::PullImage {
            image: image.to_string(),
            services: vec![],
        },
        vec![],
    );
    crate::engine::executor::execute(engine, &plan, &ctx.progress)
        .await
        .with_context(|| {
            format!("the snapshot helper image {image} is missing and could not be pulled; name another one with --helper-image or RCOMPOSE_SNAPSHOT_IMAGE")
        })?;
    Ok(())
}

/// Base directory of every project's snapshots.
fn snapshots_dir(ctx: &Context) -> Result<PathBuf> {
    let base = match ctx.env.get("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match ctx.env.get("HOME").filter(|v| !v.is_empty()) {
            Some(h) => PathBuf::from(h).join(".local/share"),
            None => bail!("neither XDG_DATA_HOME nor HOME is set: no place for snapshots"),
        },
    };
    Ok(base.join("rcompose/snapshots"))
}

fn snapshot_dir(root: &std::path::Path, name: &str) -> Result<PathBuf> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        bail!("invalid snapshot name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    Ok(root.join(name))
}

/// Running containers of the services that mount one of `keys`, to stop during the copy.
async fn users(engine: &Engine, project: &Project, keys: &[String]) -> Result<Vec<String>> {
    let observed = observe(engine, &project.name, &Lookups::for_project(project, false)).await?;
    let mut names = Vec::new();
    for svc in project.graph.order() {
        let s = &project.services[svc];
        let uses = s.volumes.iter().any(|m| {
            m.kind == MountKind::Volume && m.source.as_ref().is_some_and(|src| keys.contains(src))
        });
        if !uses {
            continue;
        }
        for c in observed.service_containers(svc) {
            if c.state == ContainerState::Running {
                names.push(c.name.clone());
            }
        }
    }
    Ok(names)
}

/// Stops `names` one after the other, dependents (the later names) first.
async fn stop_all(ctx: &Context, engine: &Engine, names: &[String]) -> Result<()> {
    run_in_sequence(ctx, engine, names.iter().rev(), |name| {
        Action::StopContainer {
            service: String::new(),
            name,
            timeout: None,
        }
    })
    .await
}

/// Starts `names` one after the other, in order.
async fn start_all(ctx: &Context, engine: &Engine, names: &[String]) -> Result<()> {
    run_in_sequence(ctx, engine, names.iter(), |name| Action::StartContainer {
        service: String::new(),
        name,
        exclusive: true,
    })
    .await
}

/// Runs one action per container through the executor, each after the previous one.
async fn run_in_sequence<'a>(
    ctx: &Context,
    engine: &Engine,
    names: impl Iterator<Item = &'a String>,
    action: impl Fn(String) -> Action,
) -> Result<()> {
    let mut plan = Plan::default();
    for name in names {
        let after = plan.steps.len().checked_sub(1).into_iter().collect();
        plan.add(action(name.clone()), after);
    }
    crate::engine::executor::execute(engine, &plan, &ctx.progress).await?;
    Ok(())
}

/// Keys of the project's own (non-external) named volumes, or the ones asked for.
fn volume_keys(project: &Project, asked: Vec<String>) -> Result<Vec<String>> {
    if asked.is_empty() {
        return Ok(project
            .volumes
            .iter()
            .filter(|(_, v)| !v.external)
            .map(|(k, _)| k.clone())
            .collect());
    }
    for k in &asked {
        if !project.volumes.contains_key(k) {
            bail!("no such volume in the project: {k}");
        }
    }
    Ok(asked)
}

async fn save(
    ctx: &Context,
    project: &Project,
    root: &std::path::Path,
    image: &str,
    name: &str,
    asked: Vec<String>,
) -> Result<ExitCode> {
    let dir = snapshot_dir(root, name)?;
    if dir.exists() {
        bail!("snapshot {name} already exists; remove it first with `snapshot rm {name}`");
    }
    let keys = volume_keys(project, asked)?;
    if keys.is_empty() {
        bail!("the project has no named volumes to save");
    }
    let engine = ctx.engine().await?;
    let observed = observe(
        &engine,
        &project.name,
        &Lookups::for_project(project, false),
    )
    .await?;
    for k in &keys {
        let v = &project.volumes[k];
        if observed.volume(&v.name).is_none() {
            bail!("volume {} does not exist: nothing to save", v.name);
        }
    }
    ensure_helper(ctx, &engine, image).await?;
    let stopped = users(&engine, project, &keys).await?;
    stop_all(ctx, &engine, &stopped).await?;
    let tmp = root.join(format!(".{name}.partial"));
    let copied = async {
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut saved = Vec::new();
        for k in &keys {
            let v = &project.volumes[k];
            let started = Instant::now();
            ctx.progress
                .event(Event::new("Volume", &v.name, Status::Working, "Saving"));
            let size =
                save_volume(&engine, image, &v.name, &tmp.join(format!("{k}.tar.gz"))).await?;
            ctx.progress.event(
                Event::new("Volume", &v.name, Status::Done, "Saved").with_details(format!(
                    "{} bytes in {:.1}s",
                    size,
                    started.elapsed().as_secs_f64()
                )),
            );
            saved.push(SavedVolume {
                key: k.clone(),
                name: v.name.clone(),
                bytes: size,
            });
        }
        let manifest = Manifest {
            project: project.name.clone(),
            name: name.to_string(),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            volumes: saved,
        };
        std::fs::write(
            tmp.join("snapshot.json"),
            serde_json::to_vec_pretty(&manifest)?,
        )?;
        std::fs::rename(&tmp, &dir)?;
        anyhow::Ok(())
    }
    .await;
    let restarted = start_all(ctx, &engine, &stopped).await;
    ctx.progress.finish();
    if copied.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    copied?;
    restarted?;
    Ok(0)
}

async fn restore(
    ctx: &Context,
    project: &Project,
    root: &std::path::Path,
    image: &str,
    name: &str,
) -> Result<ExitCode> {
    let dir = snapshot_dir(root, name)?;
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join("snapshot.json"))
            .with_context(|| format!("no such snapshot: {name}"))?,
    )?;
    let engine = ctx.engine().await?;
    let observed = observe(
        &engine,
        &project.name,
        &Lookups::for_project(project, false),
    )
    .await?;
    let keys: Vec<String> = manifest.volumes.iter().map(|v| v.key.clone()).collect();
    ensure_helper(ctx, &engine, image).await?;
    let stopped = users(&engine, project, &keys).await?;
    stop_all(ctx, &engine, &stopped).await?;
    let copied = async {
        for saved in &manifest.volumes {
            let archive = dir.join(format!("{}.tar.gz", saved.key));
            if !archive.is_file() {
                bail!("snapshot {name} is missing {}", archive.display());
            }
            // The volume as the model names it now; created when missing (after `down -v`).
            let volume_name = match project.volumes.get(&saved.key) {
                Some(v) => {
                    if observed.volume(&v.name).is_none() {
                        if v.external {
                            bail!("external volume \"{}\" not found", v.name);
                        }
                        let mut plan = Plan::default();
                        plan.add(
                            Action::CreateVolume(volume_spec(&project.name, &saved.key, v)),
                            vec![],
                        );
                        crate::engine::executor::execute(&engine, &plan, &ctx.progress).await?;
                    }
                    v.name.clone()
                }
                None => bail!(
                    "snapshot {name} holds volume {} that the project no longer declares",
                    saved.key
                ),
            };
            let started = Instant::now();
            ctx.progress.event(Event::new(
                "Volume",
                &volume_name,
                Status::Working,
                "Restoring",
            ));
            restore_volume(&engine, image, &volume_name, &archive).await?;
            ctx.progress.event(
                Event::new("Volume", &volume_name, Status::Done, "Restored")
                    .with_details(format!("in {:.1}s", started.elapsed().as_secs_f64())),
            );
        }
        anyhow::Ok(())
    }
    .await;
    let restarted = start_all(ctx, &engine, &stopped).await;
    ctx.progress.finish();
    copied?;
    restarted?;
    Ok(0)
}

fn ls(root: &std::path::Path) -> Result<ExitCode> {
    let mut rows: Vec<Manifest> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path().join("snapshot.json"))
                && let Ok(m) = serde_json::from_slice::<Manifest>(&bytes)
            {
                rows.push(m);
            }
        }
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    println!("{:<24} {:<22} {:>12}  VOLUMES", "NAME", "CREATED", "SIZE");
    for m in rows {
        let created = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(m.created),
        );
        let size: u64 = m.volumes.iter().map(|v| v.bytes).sum();
        let vols: Vec<&str> = m.volumes.iter().map(|v| v.key.as_str()).collect();
        println!(
            "{:<24} {:<22} {:>12}  {}",
            m.name,
            created.to_string(),
            size,
            vols.join(",")
        );
    }
    Ok(0)
}
