//! Volume snapshots on the engine: each snapshot of a volume is a volume of its own, labelled with
//! the project, the snapshot and the volume's key; one short-lived helper container copies
//! volume to volume (`cp -a` as root: ownership, modes and times kept; nothing goes through the
//! client). `export`/`import` turn a snapshot into a portable tar and back through the archive
//! API; the old directory snapshots (a `.tar.gz` per volume) are still restored from.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use bollard::models::{ContainerCreateBody, HostConfig, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptions, ListVolumesOptions,
    RemoveContainerOptions, RemoveVolumeOptions, UploadToContainerOptions,
};
use futures::StreamExt;

use super::control::wait_exit;
use super::{Engine, EngineError};

/// The helper image used when none is given (pulled when missing).
pub const DEFAULT_HELPER_IMAGE: &str = "busybox:latest";

const ARCHIVE: &str = "snapshot.tar.gz";

/// Label on a snapshot volume: the project it was saved from.
pub const LABEL_PROJECT: &str = "io.rcompose.snapshot.project";
/// Label on a snapshot volume: the snapshot's name.
pub const LABEL_NAME: &str = "io.rcompose.snapshot.name";
/// Label on a snapshot volume: the key of the saved volume in the compose file.
pub const LABEL_VOLUME: &str = "io.rcompose.snapshot.volume";
/// Label on a snapshot volume: the engine name of the volume it was copied from.
pub const LABEL_SOURCE: &str = "io.rcompose.snapshot.source";

/// One volume of a snapshot kept on the engine.
#[derive(Debug, Clone)]
pub struct SnapshotVolume {
    /// The snapshot volume's engine name.
    pub volume: String,
    /// The snapshot's name.
    pub name: String,
    /// Key of the saved volume in the compose file.
    pub key: String,
    /// When the engine created it (seconds since the epoch; 0 when unknown).
    pub created: i64,
}

/// The engine name of the volume holding `key` of snapshot `name` of `project`.
pub fn snapshot_volume_name(project: &str, name: &str, key: &str) -> String {
    format!("rcompose-snapshot_{project}_{name}_{key}")
}

/// The snapshot volumes of `project` (of snapshot `name` only when given), sorted by snapshot
/// name then key. Found by label alone.
pub async fn snapshot_volumes(
    engine: &Engine,
    project: &str,
    name: Option<&str>,
) -> Result<Vec<SnapshotVolume>, EngineError> {
    let mut label = vec![format!("{LABEL_PROJECT}={project}")];
    if let Some(n) = name {
        label.push(format!("{LABEL_NAME}={n}"));
    }
    let list = engine
        .docker
        .list_volumes(Some(ListVolumesOptions {
            filters: Some(HashMap::from([("label".to_string(), label)])),
        }))
        .await
        .map_err(|e| engine.error(e))?;
    let mut out: Vec<SnapshotVolume> = list
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| {
            Some(SnapshotVolume {
                name: v.labels.get(LABEL_NAME)?.clone(),
                key: v.labels.get(LABEL_VOLUME)?.clone(),
                created: v.created_at.map(|t| t.unix_timestamp()).unwrap_or(0),
                volume: v.name,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.name, &a.key).cmp(&(&b.name, &b.key)));
    Ok(out)
}

/// Creates the (empty) volume for `key` of snapshot `name`; fails when it exists already.
pub async fn create_snapshot_volume(
    engine: &Engine,
    project: &str,
    name: &str,
    key: &str,
    source: &str,
) -> Result<String, EngineError> {
    let volume = snapshot_volume_name(project, name, key);
    if engine.docker.inspect_volume(&volume).await.is_ok() {
        return Err(EngineError::Other(format!(
            "volume {volume} exists already: remove it first with `snapshot rm {name}`"
        )));
    }
    let labels = HashMap::from([
        (LABEL_PROJECT.to_string(), project.to_string()),
        (LABEL_NAME.to_string(), name.to_string()),
        (LABEL_VOLUME.to_string(), key.to_string()),
        (LABEL_SOURCE.to_string(), source.to_string()),
    ]);
    engine
        .docker
        .create_volume(VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .map_err(|e| engine.error(e))?;
    Ok(volume)
}

/// Removes the volumes `names`, the first failure reported after trying all.
pub async fn remove_volumes(engine: &Engine, names: &[String]) -> Result<(), EngineError> {
    let mut first = None;
    for n in names {
        let r = engine
            .docker
            .remove_volume(n, None::<RemoveVolumeOptions>)
            .await;
        if let Err(e) = r {
            first.get_or_insert(engine.error(e));
        }
    }
    first.map_or(Ok(()), Err)
}

/// The shell functions that make one directory equal to another (see the script's header).
const SYNC_SCRIPT: &str = include_str!("snapshot_sync.sh");

/// Replaces the contents of each `to` volume with those of its `from` volume, in one helper
/// container: files only in `to` are removed; owners, modes, times and links are kept. An empty
/// `to` is one `cp -a`; otherwise only what differs (rsync's quick check: type, size, mtime,
/// mode, owner) is rewritten.
pub async fn copy_volumes(
    engine: &Engine,
    image: &str,
    pairs: &[(String, String)],
) -> Result<(), EngineError> {
    let mut binds = Vec::new();
    let mut steps = vec![SYNC_SCRIPT.to_string(), "set -e".to_string()];
    for (i, (from, to)) in pairs.iter().enumerate() {
        binds.push(format!("{from}:/from/{i}:ro"));
        binds.push(format!("{to}:/to/{i}"));
        steps.push(format!("sync_volume /from/{i} /to/{i}"));
    }
    helper(engine, image, binds, &steps.join("\n"), None, None).await?;
    Ok(())
}

/// Disk use in bytes of each of `volumes`, measured by `du` in one helper container.
pub async fn volume_sizes(
    engine: &Engine,
    image: &str,
    volumes: &[String],
) -> Result<Vec<u64>, EngineError> {
    if volumes.is_empty() {
        return Ok(Vec::new());
    }
    let binds: Vec<String> = (0..volumes.len())
        .map(|i| format!("{}:/v/{i}:ro", volumes[i]))
        .collect();
    let dirs: Vec<String> = (0..volumes.len()).map(|i| format!("/v/{i}")).collect();
    let out = helper(
        engine,
        image,
        binds,
        &format!("du -sk {}", dirs.join(" ")),
        None,
        None,
    )
    .await?;
    Ok(parse_du(&out, volumes.len()))
}

/// Sizes in bytes from `du -sk /v/0 /v/1 ...` output, by index; 0 for a missing line.
fn parse_du(out: &str, n: usize) -> Vec<u64> {
    let mut sizes = vec![0u64; n];
    for line in out.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(kb), Some(dir)) = (parts.next(), parts.next())
            && let Some(i) = dir
                .strip_prefix("/v/")
                .and_then(|i| i.parse::<usize>().ok())
            && i < sizes.len()
        {
            sizes[i] = kb.parse::<u64>().unwrap_or(0) * 1024;
        }
    }
    sizes
}

/// Writes a portable tar to `dest`: `rcompose-snapshot.json` (`manifest`) first, then
/// `volumes/<key>/` with each volume's contents (`volumes` = key and engine name).
pub async fn export_volumes(
    engine: &Engine,
    image: &str,
    volumes: &[(String, String)],
    manifest: &str,
    dest: &Path,
) -> Result<u64, EngineError> {
    let binds = volumes
        .iter()
        .map(|(key, v)| format!("{v}:/snap/volumes/{key}:ro"))
        .collect();
    let quoted = manifest.replace('\'', "'\\''");
    let script = format!(
        "set -e; printf '%s' '{quoted}' > /snap/{MANIFEST}; cd /snap; tar cf /export.tar {MANIFEST} volumes"
    );
    let wrapped = dest.with_extension("download");
    let result = async {
        helper(
            engine,
            image,
            binds,
            &script,
            None,
            Some(("/export.tar", &wrapped)),
        )
        .await?;
        unwrap_single_file(&wrapped, dest)
            .map_err(|e| EngineError::Other(format!("writing {}: {e}", dest.display())))
    }
    .await;
    let _ = std::fs::remove_file(&wrapped);
    result
}

/// Name of the manifest in an exported snapshot.
pub const MANIFEST: &str = "rcompose-snapshot.json";

/// Reads the manifest (the first entry) of an archive made by [`export_volumes`].
pub fn read_manifest(file: &Path) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(std::io::BufReader::new(std::fs::File::open(file)?));
    if let Some(entry) = archive.entries()?.next() {
        let mut entry = entry?;
        if entry.path()?.to_string_lossy().trim_start_matches("./") == MANIFEST {
            let mut out = Vec::new();
            entry.read_to_end(&mut out)?;
            return Ok(out);
        }
    }
    Err(std::io::Error::other(format!(
        "not a snapshot archive made by `rcompose snapshot export` (no {MANIFEST} first)"
    )))
}

/// Fills the snapshot volumes (`volumes` = key and engine name) from `src`, an archive made by
/// [`export_volumes`].
pub async fn import_volumes(
    engine: &Engine,
    image: &str,
    volumes: &[(String, String)],
    src: &Path,
) -> Result<(), EngineError> {
    let binds = volumes
        .iter()
        .map(|(key, v)| format!("{v}:/snap/volumes/{key}"))
        .collect();
    let script = format!("set -e; tar xf /{ARCHIVE} -C /snap; rm -f /{ARCHIVE}");
    helper(engine, image, binds, &script, Some(src), None).await?;
    Ok(())
}

/// Runs `script` in a helper container with `binds`; `upload` (a file on the host) is put into
/// the container as `/snapshot.tar.gz` first; `download` (a path in the container, the host file
/// to write) is fetched, as the engine's tar, after it exits. Both stream: memory stays small
/// whatever the size of the volume. Returns the container's output.
async fn helper(
    engine: &Engine,
    image: &str,
    binds: Vec<String>,
    script: &str,
    upload: Option<&Path>,
    download: Option<(&str, &Path)>,
) -> Result<String, EngineError> {
    let d = &engine.docker;
    let err = |e| engine.error(e);
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["sh".into(), "-c".into(), script.to_string()]),
        labels: Some(
            [(
                "io.rcompose.snapshot-helper".to_string(),
                "true".to_string(),
            )]
            .into(),
        ),
        host_config: Some(HostConfig {
            binds: Some(binds),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = d
        .create_container(None::<CreateContainerOptions>, body)
        .await
        .map_err(err)?
        .id;
    let run = async {
        if let Some(file) = upload {
            d.upload_to_container(
                &id,
                Some(UploadToContainerOptions {
                    path: "/".into(),
                    ..Default::default()
                }),
                bollard::body_stream(tar_of_one_file(file, ARCHIVE)?),
            )
            .await
            .map_err(err)?;
        }
        d.start_container(&id, None).await.map_err(err)?;
        let code = wait_exit(engine, &id).await?;
        let mut logs = d.logs(
            &id,
            Some(bollard::query_parameters::LogsOptions {
                stdout: true,
                stderr: true,
                ..Default::default()
            }),
        );
        let mut text = String::new();
        while let Some(Ok(chunk)) = logs.next().await {
            text.push_str(&chunk.to_string());
        }
        if code != 0 {
            return Err(EngineError::Other(format!(
                "the snapshot helper container ({image}) exited with code {code}: {}",
                text.trim()
            )));
        }
        let Some((path, dest)) = download else {
            return Ok(text);
        };
        let mut stream = d.download_from_container(
            &id,
            Some(DownloadFromContainerOptions {
                path: path.to_string(),
            }),
        );
        let io = |e: std::io::Error| EngineError::Other(format!("{}: {e}", dest.display()));
        let mut out = std::io::BufWriter::new(std::fs::File::create(dest).map_err(io)?);
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk.map_err(err)?).map_err(io)?;
        }
        out.flush().map_err(io)?;
        Ok(text)
    };
    let result = run.await;
    let _ = d
        .remove_container(
            &id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await;
    result
}

/// The archive API wraps the file in a tar of its own: copies its one file from `wrapped` to
/// `dest`, returning the size.
fn unwrap_single_file(wrapped: &Path, dest: &Path) -> std::io::Result<u64> {
    let mut outer = tar::Archive::new(std::io::BufReader::new(std::fs::File::open(wrapped)?));
    for entry in outer.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type().is_file() {
            let mut out = std::io::BufWriter::new(std::fs::File::create(dest)?);
            let n = std::io::copy(&mut entry, &mut out)?;
            out.flush()?;
            return Ok(n);
        }
    }
    Ok(0)
}

/// A tar stream holding `file` under `name`, read in blocks as it is sent.
fn tar_of_one_file(
    file: &Path,
    name: &str,
) -> Result<impl futures::Stream<Item = bytes::Bytes> + Send + 'static, EngineError> {
    let io = |e: std::io::Error| EngineError::Other(format!("{}: {e}", file.display()));
    let f = std::fs::File::open(file).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let mut header = tar::Header::new_gnu();
    header.set_path(name).map_err(io)?;
    header.set_size(size);
    header.set_mode(0o600);
    header.set_cksum();
    let head = bytes::Bytes::copy_from_slice(header.as_bytes());
    // Data padded to a whole block, then two empty blocks end the archive.
    let padding = (512 - (size % 512) as usize) % 512;
    let tail = bytes::Bytes::from(vec![0u8; padding + 1024]);
    let body = futures::stream::unfold(Some(f), |state| async move {
        let mut f = state?;
        let mut buf = vec![0u8; 1 << 20];
        match f.read(&mut buf) {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((bytes::Bytes::from(buf), Some(f)))
            }
        }
    });
    Ok(futures::stream::once(async move { head })
        .chain(body)
        .chain(futures::stream::once(async move { tail })))
}

/// Replaces the contents of `volume` with the `.tar.gz` at `src` of an old directory snapshot:
/// files not in the archive are removed.
pub async fn restore_volume(
    engine: &Engine,
    image: &str,
    volume: &str,
    src: &Path,
) -> Result<(), EngineError> {
    let script = format!(
        "find /data -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + && tar xzf /{ARCHIVE} -C /data"
    );
    let binds = vec![format!("{volume}:/data")];
    helper(engine, image, binds, &script, Some(src), None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn du_output_is_read_by_index() {
        assert_eq!(parse_du("12\t/v/1\n3\t/v/0\n", 3), [3072, 12288, 0]);
        assert_eq!(parse_du("junk\n7 /v/9\n", 1), [0]);
    }

    #[test]
    fn snapshot_volume_names_hold_project_name_and_key() {
        assert_eq!(
            snapshot_volume_name("people", "seed", "db-data"),
            "rcompose-snapshot_people_seed_db-data"
        );
    }
}
