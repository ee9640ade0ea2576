//! `cp SERVICE:SRC DEST` / `cp SRC SERVICE:DEST`: copies files and directories between a
//! service's containers and the local filesystem through the engine's archive API; `-` on the
//! local side is a tar stream on stdout or stdin. Copies into a service go to every replica
//! (or `--index N`); copies out of one come from the first container.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::{Context, ExitCode};
use crate::cli::CpArgs;
use crate::engine::archive::{download, pack, rename_top, unpack, upload};
use crate::engine::query::{FoundContainer, find_containers};

/// One side of the copy: a local path, or a path in a service's containers.
#[derive(Debug, PartialEq, Eq)]
enum Side {
    Local(String),
    Service(String, String),
}

/// `svc:/path` names a service unless the argument is an absolute or `.`-relative local path.
fn side(arg: &str) -> Side {
    if arg.starts_with('/') || arg.starts_with('.') || arg == "-" {
        return Side::Local(arg.to_string());
    }
    match arg.split_once(':') {
        Some((svc, path)) if !svc.is_empty() && !svc.contains('/') => {
            Side::Service(svc.to_string(), path.to_string())
        }
        _ => Side::Local(arg.to_string()),
    }
}

/// The last component of `path` (`/a/b/` → `b`).
fn base_name(path: &str) -> String {
    let t = path.trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t).to_string()
}

pub async fn run(ctx: &Context, args: CpArgs) -> Result<ExitCode> {
    let (src, dst) = (side(&args.source), side(&args.destination));
    let target = ctx.project_or_name(&[])?;
    for s in [&src, &dst] {
        if let Side::Service(service, _) = s {
            target.check_services(std::slice::from_ref(service))?;
        }
    }
    let engine = ctx.engine().await?;
    let containers = |service: String| {
        let engine = engine.clone();
        let project = target.name().to_string();
        let (index, all) = (args.index, args.all);
        async move {
            let found: Vec<FoundContainer> = find_containers(
                &engine,
                &project,
                Some(&service),
                (index > 0).then_some(index),
                if all { None } else { Some(false) },
                true,
            )
            .await?;
            if found.is_empty() {
                bail!("no container found for service {service:?}");
            }
            Ok(found)
        }
    };
    match (src, dst) {
        (Side::Service(..), Side::Service(..)) => {
            bail!("copying between services is not supported")
        }
        (Side::Local(..), Side::Local(..)) => bail!("unknown copy direction"),
        (Side::Service(service, path), Side::Local(dest)) => {
            let found = containers(service).await?;
            let tar = download(&engine, &found[0].id, &path).await?;
            if dest == "-" {
                std::io::stdout().lock().write_all(&tar)?;
                return Ok(0);
            }
            let dest = PathBuf::from(&dest);
            if dest.is_dir() {
                unpack(&tar, &dest, args.archive)?;
            } else {
                let parent = match dest.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if !parent.is_dir() {
                    bail!("destination directory {} does not exist", parent.display());
                }
                let name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let tar = rename_top(&tar, &base_name(&path), &name)?;
                unpack(&tar, &parent, args.archive)?;
            }
            Ok(0)
        }
        (Side::Local(source), Side::Service(service, dest)) => {
            let found = containers(service).await?;
            let (tar, base) = if source == "-" {
                let mut buf = Vec::new();
                std::io::stdin().lock().read_to_end(&mut buf)?;
                (buf, None)
            } else {
                let path = Path::new(&source);
                let base = base_name(&source);
                let tar = pack(path, &base, args.follow_link)
                    .with_context(|| format!("stat {}", ctx.cwd.join(path).display()))?;
                (tar, Some(base))
            };
            for c in &found {
                match upload(&engine, &c.id, &dest, tar.clone(), args.archive).await {
                    Ok(()) => {}
                    // The destination does not exist (or is a file): the copy takes its name.
                    Err(e)
                        if base.is_some()
                            && (e.is_not_found() || e.to_string().contains("not a directory")) =>
                    {
                        let trimmed = dest.trim_end_matches('/');
                        let (parent, name) = match trimmed.rsplit_once('/') {
                            Some(("", n)) => ("/", n),
                            Some((p, n)) => (p, n),
                            None => (".", trimmed),
                        };
                        let renamed = rename_top(&tar, base.as_deref().unwrap_or_default(), name)?;
                        upload(&engine, &c.id, parent, renamed, args.archive).await?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides() {
        assert_eq!(
            side("web:/etc/x"),
            Side::Service("web".into(), "/etc/x".into())
        );
        assert_eq!(side("./web:x"), Side::Local("./web:x".into()));
        assert_eq!(side("/abs/a:b"), Side::Local("/abs/a:b".into()));
        assert_eq!(side("-"), Side::Local("-".into()));
        assert_eq!(side("file.txt"), Side::Local("file.txt".into()));
        assert_eq!(base_name("/a/b/"), "b");
        assert_eq!(base_name("f"), "f");
    }
}
