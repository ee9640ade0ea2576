//! `snapshot save|restore|ls|rm|export|import`: copies of the project's named volumes kept on
//! the engine, each a volume of its own labelled with the project, the snapshot and the volume
//! (see engine::snapshot), found by label alone; `down -v` never removes them. Containers using
//! a volume are stopped for the copy, started again and waited for (running, and healthy where
//! they have a healthcheck). Old snapshots, directories under `$XDG_DATA_HOME/rcompose/snapshots/`
//! (else `~/.local/share/...`), are still listed, restored and removed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Context, ExitCode};
use crate::cli::{SnapshotArgs, SnapshotCommand};
use crate::engine::Engine;
use crate::engine::observe::{Lookups, observe};
use crate::engine::snapshot::{
    self as snap, DEFAULT_HELPER_IMAGE, SnapshotVolume, restore_volume, snapshot_volumes,
};
use crate::engine::wait::wait_containers_ready;
use crate::model::Project;
use crate::model::short_syntax::MountKind;
use crate::output::progress::{Event, Status};
use crate::output::resources::human_size;
use crate::plan::observed::ContainerState;
use crate::plan::spec::volume_spec;
use crate::plan::{Action, Plan};

/// `snapshot.json` in an old snapshot's directory.
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

/// `rcompose-snapshot.json`, the first entry of an exported snapshot.
#[derive(Debug, Serialize, Deserialize)]
struct ExportManifest {
    /// Format of the archive (1: `volumes/<key>/` holds each volume's files).
    format: u32,
    project: String,
    name: String,
    /// Keys of the volumes in the compose file, each with the engine name it was saved from.
    volumes: Vec<ExportedVolume>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ExportedVolume {
    key: String,
    source: String,
}

pub async fn run(ctx: &Context, args: SnapshotArgs) -> Result<ExitCode> {
    let image = args
        .helper_image
        .clone()
        .unwrap_or_else(|| DEFAULT_HELPER_IMAGE.to_string());
    match args.command {
        // Listing, removing and exporting need only the project's name (`-p NAME` works
        // without a file).
        SnapshotCommand::Ls => {
            let target = ctx.project_or_name(&[])?;
            ls(ctx, &image, target.name()).await
        }
        SnapshotCommand::Rm { name } => {
            let target = ctx.project_or_name(&[])?;
            rm(ctx, target.name(), &name).await
        }
        SnapshotCommand::Export { name, file } => {
            let target = ctx.project_or_name(&[])?;
            export(ctx, &image, target.name(), &name, &file).await
        }
        SnapshotCommand::Import { file, name } => {
            let target = ctx.project_or_name(&[])?;
            import(ctx, &image, target.name(), &file, name).await
        }
        SnapshotCommand::Save { name, volumes } => {
            let project = ctx.load(&[])?;
            save(ctx, &project, &image, &name, volumes).await
        }
        SnapshotCommand::Restore { name } => {
            let project = ctx.load(&[])?;
            let engine = ctx.engine().await?;
            valid_name(&name)?;
            let saved = snapshot_volumes(&engine, &project.name, Some(&name)).await?;
            if saved.is_empty() {
                let root = snapshots_dir(ctx)?.join(&project.name);
                return restore_old(ctx, &project, &root, &image, &name).await;
            }
            restore(ctx, &engine, &project, &image, &name, &saved).await
        }
    }
}

fn valid_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        bail!("invalid snapshot name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// The directory of old snapshot `name` when there is one.
fn old_snapshot(ctx: &Context, project: &str, name: &str) -> Result<Option<PathBuf>> {
    let dir = snapshot_dir(&snapshots_dir(ctx)?.join(project), name)?;
    Ok(dir.join("snapshot.json").exists().then_some(dir))
}

/// Stops the running users of `keys`, runs `work`, starts them again (also when `work` failed)
/// and waits until they run, healthy where they have a healthcheck.
async fn with_users_stopped(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    keys: &[String],
    work: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    let stopped = users(engine, project, keys).await?;
    stop_all(ctx, engine, &stopped).await?;
    let done = work.await;
    let restarted = match start_all(ctx, engine, &stopped).await {
        Ok(()) => wait_containers_ready(engine, &stopped, &ctx.progress)
            .await
            .map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    ctx.progress.finish();
    done?;
    restarted
}

async fn save(
    ctx: &Context,
    project: &Project,
    image: &str,
    name: &str,
    asked: Vec<String>,
) -> Result<ExitCode> {
    valid_name(name)?;
    let keys = volume_keys(project, asked)?;
    if keys.is_empty() {
        bail!("the project has no named volumes to save");
    }
    let engine = ctx.engine().await?;
    if !snapshot_volumes(&engine, &project.name, Some(name))
        .await?
        .is_empty()
        || old_snapshot(ctx, &project.name, name)?.is_some()
    {
        bail!("snapshot {name} already exists; remove it first with `snapshot rm {name}`");
    }
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
    let mut pairs = Vec::new();
    let mut created = Vec::new();
    for k in &keys {
        let source = &project.volumes[k].name;
        match snap::create_snapshot_volume(&engine, &project.name, name, k, source).await {
            Ok(v) => {
                created.push(v.clone());
                pairs.push((source.clone(), v));
            }
            Err(e) => {
                let _ = snap::remove_volumes(&engine, &created).await;
                return Err(e.into());
            }
        }
    }
    let copy = async {
        let started = Instant::now();
        for (source, _) in &pairs {
            ctx.progress
                .event(Event::new("Volume", source, Status::Working, "Saving"));
        }
        snap::copy_volumes(&engine, image, &pairs).await?;
        for (source, _) in &pairs {
            ctx.progress.event(
                Event::new("Volume", source, Status::Done, "Saved")
                    .with_details(format!("in {:.1}s", started.elapsed().as_secs_f64())),
            );
        }
        anyhow::Ok(())
    };
    let copy = async {
        let r = copy.await;
        if r.is_err() {
            let _ = snap::remove_volumes(&engine, &created).await;
        }
        r
    };
    with_users_stopped(ctx, &engine, project, &keys, copy).await?;
    Ok(0)
}

async fn restore(
    ctx: &Context,
    engine: &Engine,
    project: &Project,
    image: &str,
    name: &str,
    saved: &[SnapshotVolume],
) -> Result<ExitCode> {
    let observed = observe(engine, &project.name, &Lookups::for_project(project, false)).await?;
    let mut pairs = Vec::new();
    for s in saved {
        let Some(v) = project.volumes.get(&s.key) else {
            bail!(
                "snapshot {name} holds volume {} that the project no longer declares",
                s.key
            );
        };
        // The volume as the model names it now; created when missing (after `down -v`).
        if observed.volume(&v.name).is_none() {
            if v.external {
                bail!("external volume \"{}\" not found", v.name);
            }
            let mut plan = Plan::default();
            plan.add(
                Action::CreateVolume(volume_spec(&project.name, &s.key, v)),
                vec![],
            );
            crate::engine::executor::execute(engine, &plan, &ctx.progress).await?;
        }
        pairs.push((s.volume.clone(), v.name.clone()));
    }
    ensure_helper(ctx, engine, image).await?;
    let keys: Vec<String> = saved.iter().map(|s| s.key.clone()).collect();
    let copy = async {
        let started = Instant::now();
        for (_, target) in &pairs {
            ctx.progress
                .event(Event::new("Volume", target, Status::Working, "Restoring"));
        }
        snap::copy_volumes(engine, image, &pairs).await?;
        for (_, target) in &pairs {
            ctx.progress.event(
                Event::new("Volume", target, Status::Done, "Restored")
                    .with_details(format!("in {:.1}s", started.elapsed().as_secs_f64())),
            );
        }
        anyhow::Ok(())
    };
    with_users_stopped(ctx, engine, project, &keys, copy).await?;
    Ok(0)
}

async fn rm(ctx: &Context, project: &str, name: &str) -> Result<ExitCode> {
    valid_name(name)?;
    let engine = ctx.engine().await?;
    let saved = snapshot_volumes(&engine, project, Some(name)).await?;
    let old = old_snapshot(ctx, project, name)?;
    if saved.is_empty() && old.is_none() {
        bail!("no such snapshot: {name}");
    }
    let names: Vec<String> = saved.into_iter().map(|s| s.volume).collect();
    snap::remove_volumes(&engine, &names).await?;
    if let Some(dir) = old {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        // No empty directories left behind: the project's, then the snapshots' own.
        let mut parent = dir.parent();
        for _ in 0..3 {
            match parent {
                Some(p) if std::fs::remove_dir(p).is_ok() => parent = p.parent(),
                _ => break,
            }
        }
    }
    Ok(0)
}

async fn export(
    ctx: &Context,
    image: &str,
    project: &str,
    name: &str,
    file: &Path,
) -> Result<ExitCode> {
    valid_name(name)?;
    let engine = ctx.engine().await?;
    let saved = snapshot_volumes(&engine, project, Some(name)).await?;
    if saved.is_empty() {
        if old_snapshot(ctx, project, name)?.is_some() {
            bail!(
                "snapshot {name} is an old archive snapshot: `snapshot restore {name}`, `snapshot rm {name}` and `snapshot save {name}` make it one that can be exported"
            );
        }
        bail!("no such snapshot: {name}");
    }
    let manifest = ExportManifest {
        format: 1,
        project: project.to_string(),
        name: name.to_string(),
        volumes: saved
            .iter()
            .map(|s| ExportedVolume {
                key: s.key.clone(),
                source: s.volume.clone(),
            })
            .collect(),
    };
    ensure_helper(ctx, &engine, image).await?;
    let pairs: Vec<(String, String)> = saved
        .iter()
        .map(|s| (s.key.clone(), s.volume.clone()))
        .collect();
    let started = Instant::now();
    let size = snap::export_volumes(
        &engine,
        image,
        &pairs,
        &serde_json::to_string(&manifest)?,
        file,
    )
    .await?;
    ctx.progress.event(
        Event::new("Snapshot", name, Status::Done, "Exported").with_details(format!(
            "{} to {} in {:.1}s",
            human_size(size),
            file.display(),
            started.elapsed().as_secs_f64()
        )),
    );
    ctx.progress.finish();
    Ok(0)
}

async fn import(
    ctx: &Context,
    image: &str,
    project: &str,
    file: &Path,
    name: Option<String>,
) -> Result<ExitCode> {
    let raw = snap::read_manifest(file).with_context(|| format!("reading {}", file.display()))?;
    let manifest: ExportManifest = serde_json::from_slice(&raw)
        .with_context(|| format!("reading {} of {}", snap::MANIFEST, file.display()))?;
    if manifest.format != 1 {
        bail!(
            "{} is a snapshot archive of format {}; this rcompose reads format 1",
            file.display(),
            manifest.format
        );
    }
    let name = name.unwrap_or(manifest.name);
    valid_name(&name)?;
    let engine = ctx.engine().await?;
    if !snapshot_volumes(&engine, project, Some(&name))
        .await?
        .is_empty()
        || old_snapshot(ctx, project, &name)?.is_some()
    {
        bail!("snapshot {name} already exists; remove it first with `snapshot rm {name}`");
    }
    ensure_helper(ctx, &engine, image).await?;
    let mut pairs = Vec::new();
    for v in &manifest.volumes {
        let created =
            snap::create_snapshot_volume(&engine, project, &name, &v.key, &v.source).await;
        match created {
            Ok(vol) => pairs.push((v.key.clone(), vol)),
            Err(e) => {
                let made: Vec<String> = pairs.into_iter().map(|(_, v)| v).collect();
                let _ = snap::remove_volumes(&engine, &made).await;
                return Err(e.into());
            }
        }
    }
    let started = Instant::now();
    if let Err(e) = snap::import_volumes(&engine, image, &pairs, file).await {
        let made: Vec<String> = pairs.into_iter().map(|(_, v)| v).collect();
        let _ = snap::remove_volumes(&engine, &made).await;
        return Err(e.into());
    }
    ctx.progress.event(
        Event::new("Snapshot", &name, Status::Done, "Imported")
            .with_details(format!("in {:.1}s", started.elapsed().as_secs_f64())),
    );
    ctx.progress.finish();
    Ok(0)
}

async fn ls(ctx: &Context, image: &str, project: &str) -> Result<ExitCode> {
    let engine = ctx.engine().await?;
    let saved = snapshot_volumes(&engine, project, None).await?;
    let sizes = if saved.is_empty() {
        Vec::new()
    } else {
        ensure_helper(ctx, &engine, image).await?;
        let names: Vec<String> = saved.iter().map(|s| s.volume.clone()).collect();
        snap::volume_sizes(&engine, image, &names).await?
    };
    // name, created, bytes, volume keys
    let mut rows: Vec<(String, String, u64, Vec<String>)> = Vec::new();
    for (s, size) in saved
        .iter()
        .zip(sizes.iter().copied().chain(std::iter::repeat(0)))
    {
        match rows.last_mut() {
            Some(r) if r.0 == s.name => {
                r.2 += size;
                r.3.push(s.key.clone());
            }
            _ => rows.push((
                s.name.clone(),
                created_seconds(s.created.max(0) as u64),
                size,
                vec![s.key.clone()],
            )),
        }
    }
    for m in old_snapshots(&snapshots_dir(ctx)?.join(project)) {
        if rows.iter().any(|r| r.0 == m.name) {
            continue;
        }
        let keys = m.volumes.iter().map(|v| format!("{} (old archive)", v.key));
        rows.push((
            m.name.clone(),
            created_seconds(m.created),
            m.volumes.iter().map(|v| v.bytes).sum(),
            keys.collect(),
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    println!("{:<24} {:<22} {:>10}  VOLUMES", "NAME", "CREATED", "SIZE");
    for (name, created, size, keys) in rows {
        println!(
            "{:<24} {:<22} {:>10}  {}",
            name,
            created,
            human_size(size),
            keys.join(",")
        );
    }
    Ok(0)
}

/// Seconds since the epoch as RFC 3339 (`2026-12-07T11:00:00Z`).
fn created_seconds(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

fn old_snapshots(root: &Path) -> Vec<Manifest> {
    let mut rows = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path().join("snapshot.json"))
                && let Ok(m) = serde_json::from_slice::<Manifest>(&bytes)
            {
                rows.push(m);
            }
        }
    }
    rows
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

/// Restores an old directory snapshot (a `.tar.gz` per volume).
async fn restore_old(
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
