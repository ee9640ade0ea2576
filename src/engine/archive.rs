//! The engine's archive endpoints for `cp`: tar streams downloaded from and uploaded to a
//! container path, and the local tar packing and unpacking around them.

use std::path::Path;

use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use futures::StreamExt;

use super::{Engine, EngineError};

/// The tar archive of `path` in container `id` (its top-level entry is the path's base name).
pub async fn download(engine: &Engine, id: &str, path: &str) -> Result<Vec<u8>, EngineError> {
    let mut stream = engine.docker.download_from_container(
        id,
        Some(DownloadFromContainerOptions {
            path: path.to_string(),
        }),
    );
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.map_err(|e| engine.error(e))?);
    }
    Ok(out)
}

/// Extracts `tar` into directory `dir` of container `id`; `copy_uidgid` keeps the archive's
/// owners.
pub async fn upload(
    engine: &Engine,
    id: &str,
    dir: &str,
    tar: Vec<u8>,
    copy_uidgid: bool,
) -> Result<(), EngineError> {
    engine
        .docker
        .upload_to_container(
            id,
            Some(UploadToContainerOptions {
                path: dir.to_string(),
                copy_uidgid: copy_uidgid.then(|| "1".to_string()),
                ..Default::default()
            }),
            bollard::body_full(tar.into()),
        )
        .await
        .map_err(|e| engine.error(e))
}

/// A tar of local `src` (file or directory, recursively) whose top-level entry is named
/// `name`; `follow_links` archives what a symbolic link points to instead of the link.
pub fn pack(src: &Path, name: &str, follow_links: bool) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(follow_links);
    let meta = if follow_links {
        std::fs::metadata(src)?
    } else {
        std::fs::symlink_metadata(src)?
    };
    if meta.is_dir() {
        b.append_dir_all(name, src)?;
    } else if meta.file_type().is_symlink() {
        let mut h = tar::Header::new_gnu();
        h.set_metadata(&meta);
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, std::fs::read_link(src)?)?;
    } else {
        b.append_path_with_name(src, name)?;
    }
    b.into_inner()
}

/// Renames the top-level entry of `tar` (and everything under it) from `from` to `to`.
pub fn rename_top(tar_bytes: &[u8], from: &str, to: &str) -> std::io::Result<Vec<u8>> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut b = tar::Builder::new(Vec::new());
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let renamed = match path.strip_prefix(from) {
            Ok(rest) if rest.as_os_str().is_empty() => Path::new(to).to_path_buf(),
            Ok(rest) => Path::new(to).join(rest),
            Err(_) => path.clone(),
        };
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data)?;
        if let Some(link) = entry.link_name()? {
            b.append_link(&mut header, &renamed, link)?;
        } else {
            b.append_data(&mut header, &renamed, data.as_slice())?;
        }
    }
    b.into_inner()
}

/// Unpacks `tar` into local directory `dir`; `keep_owners` restores the archive's uid/gid.
pub fn unpack(tar_bytes: &[u8], dir: &Path, keep_owners: bool) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(tar_bytes);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(keep_owners);
    archive.set_overwrite(true);
    archive.unpack(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_rename_unpack_round_trip() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("d/sub")).unwrap();
        std::fs::write(src.path().join("d/sub/f.txt"), "hello").unwrap();
        let tar = pack(&src.path().join("d"), "d", false).unwrap();
        let tar = rename_top(&tar, "d", "e").unwrap();
        let dst = tempfile::tempdir().unwrap();
        unpack(&tar, dst.path(), false).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("e/sub/f.txt")).unwrap(),
            "hello"
        );
        assert!(!dst.path().join("d").exists());
    }
}
