//! Volume snapshots through the engine's archive API: a short-lived helper container mounts the
//! volume at `/data`; saving runs `tar czf` in it and downloads the archive, restoring uploads
//! the archive, empties the volume and extracts it (as root, so ownership and modes are kept).
//! Nothing touches the engine's files on the host.

use std::io::{Read, Write};
use std::path::Path;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptions, DownloadFromContainerOptions, RemoveContainerOptions,
    UploadToContainerOptions,
};
use futures::StreamExt;

use super::control::wait_exit;
use super::{Engine, EngineError};

/// The helper image used when none is given (pulled when missing).
pub const DEFAULT_HELPER_IMAGE: &str = "busybox:latest";

const ARCHIVE: &str = "snapshot.tar.gz";

/// Runs `script` in a helper container that mounts `volume` at /data; `upload` (a file on the
/// host) is put into the container as `/snapshot.tar.gz` first; `download` (a path in the
/// container, the host file to write) is fetched, as the engine's tar, after it exits. Both
/// stream: memory stays small whatever the size of the volume.
async fn helper(
    engine: &Engine,
    image: &str,
    volume: &str,
    script: &str,
    upload: Option<&Path>,
    download: Option<(&str, &Path)>,
) -> Result<(), EngineError> {
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
            binds: Some(vec![format!("{volume}:/data")]),
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
        if code != 0 {
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
            return Err(EngineError::Other(format!(
                "snapshot helper for volume {volume} exited with code {code}: {}",
                text.trim()
            )));
        }
        let Some((path, dest)) = download else {
            return Ok(());
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
        Ok(())
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

/// Writes the gzip-compressed tar of the contents of `volume` to `dest`; returns its size.
pub async fn save_volume(
    engine: &Engine,
    image: &str,
    volume: &str,
    dest: &Path,
) -> Result<u64, EngineError> {
    // The fastest gzip level where the helper's gzip has levels: saving is bound by
    // compression, and level 1 costs little in size for database files.
    let script = format!(
        "set -o pipefail; if echo | gzip -1 >/dev/null 2>&1; then tar cf - -C /data . | gzip -1 > /{ARCHIVE}; else tar czf /{ARCHIVE} -C /data .; fi"
    );
    let wrapped = dest.with_extension("download");
    let result = async {
        helper(
            engine,
            image,
            volume,
            &script,
            None,
            Some((&format!("/{ARCHIVE}"), &wrapped)),
        )
        .await?;
        unwrap_single_file(&wrapped, dest)
            .map_err(|e| EngineError::Other(format!("reading the archive of {volume}: {e}")))
    }
    .await;
    let _ = std::fs::remove_file(&wrapped);
    match result? {
        0 => Err(EngineError::Other(format!(
            "the engine returned no archive for volume {volume}"
        ))),
        n => Ok(n),
    }
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

/// Replaces the contents of `volume` with the archive at `src` made by [`save_volume`]: files
/// not in the archive are removed.
pub async fn restore_volume(
    engine: &Engine,
    image: &str,
    volume: &str,
    src: &Path,
) -> Result<(), EngineError> {
    let script = format!(
        "find /data -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + && tar xzf /{ARCHIVE} -C /data"
    );
    helper(engine, image, volume, &script, Some(src), None).await
}
