//! Image builds through the engine: BuildKit (`/build?version=2` with a session, so `RUN
//! --mount=type=cache` works and its cache survives between builds) or the classic builder
//! (`DOCKER_BUILDKIT=0`, Podman). The context is streamed as a tar (see [`super::context`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use bollard::models::BuildInfoAux;
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion, TagImageOptions};
use futures::StreamExt;
use indexmap::IndexMap;

use super::build_session::{self, SessionContent};
use super::context::{ContextSpec, stream_context};
use super::{Engine, EngineError};
use crate::model::build::Build;
use crate::model::image::ImageRef;
use crate::output::progress::{Event, Progress, ProgressMode, Status};
use crate::settings;

/// One image to build.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    pub project: String,
    pub service: String,
    /// The image name (`image:` or `<project>-<service>`).
    pub image: String,
    pub build: Build,
    /// Build args, already resolved.
    pub args: IndexMap<String, String>,
    pub no_cache: bool,
    pub pull: bool,
    /// `build -q`: print nothing but errors.
    pub quiet: bool,
    /// `build -m`: memory limit of the build container (classic builder), in bytes.
    pub memory: Option<i64>,
    /// `build.secrets`, resolved: the id the Dockerfile mounts and where the value is.
    pub secrets: Vec<(String, SecretValue)>,
    /// `build.ssh`, resolved: id → agent socket (`default` is `SSH_AUTH_SOCK`); `None` when
    /// `default` was asked for without `SSH_AUTH_SOCK` set.
    pub ssh: Vec<(String, Option<PathBuf>)>,
}

/// Where a build secret's value comes from. Its `Debug` never shows the value.
#[derive(Clone)]
pub enum SecretValue {
    /// A file on the host, read when the build starts.
    File(PathBuf),
    /// The value of the `environment:` variable (already read by the loader).
    Value(String),
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretValue::File(p) => write!(f, "File({})", p.display()),
            SecretValue::Value(_) => write!(f, "Value(<hidden>)"),
        }
    }
}

/// Which builder to drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    BuildKit,
    Classic,
}

/// BuildKit unless `DOCKER_BUILDKIT` is `0`/`false` or the engine is Podman.
pub async fn choose_builder(engine: &Engine, env: &IndexMap<String, String>) -> Builder {
    if let Some(v) = env.get(settings::DOCKER_BUILDKIT)
        && matches!(v.to_ascii_lowercase().as_str(), "0" | "false")
    {
        return Builder::Classic;
    }
    if let Ok(v) = engine.docker.version().await {
        let podman = v
            .components
            .unwrap_or_default()
            .iter()
            .any(|c| c.name.to_ascii_lowercase().contains("podman"));
        if podman {
            return Builder::Classic;
        }
    }
    Builder::BuildKit
}

/// The first BuildKit-only instruction of a Dockerfile (`RUN --mount=...`), if any.
pub fn buildkit_only_feature(dockerfile: &str) -> Option<String> {
    let mut logical = String::new();
    for line in dockerfile.lines() {
        let t = line.trim();
        if t.starts_with('#') && logical.is_empty() {
            continue;
        }
        if let Some(cont) = t.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(t);
        let words: Vec<&str> = logical.split_whitespace().collect();
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case("RUN"))
            && words
                .iter()
                .skip(1)
                .take_while(|w| w.starts_with("--"))
                .any(|w| w.starts_with("--mount"))
        {
            return Some(logical.trim().to_string());
        }
        logical.clear();
    }
    None
}

fn print_line(req: &BuildRequest, progress: &Progress, line: &str) {
    // Step logs go out as lines in plain mode; the tty display shows only the image's state.
    if req.quiet || progress.mode() != ProgressMode::Plain {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {}", req.service, line);
}

fn build_error(service: &str, message: &str) -> EngineError {
    EngineError::Other(format!(
        "failed to build service {service:?}: {}",
        message.trim()
    ))
}

/// Builds `req` with `builder`, tags the image with the extra tags, and reports progress as
/// ` Image <name> Building` / ` Image <name> Built`.
pub async fn build(
    engine: &Engine,
    req: &BuildRequest,
    builder: Builder,
    progress: &Progress,
) -> Result<(), EngineError> {
    let b = &req.build;
    let event = |status, text: &str| {
        if !req.quiet {
            progress.event(Event::new("Image", &req.image, status, text));
        }
    };
    event(Status::Working, "Building");
    let result = run_build(engine, req, builder, progress).await;
    if let Err(e) = result {
        event(Status::Error, "Error");
        return Err(e);
    }
    for tag in &b.tags {
        let named = ImageRef::parse(tag);
        let (repo, t) = (named.name.to_string(), named.tag_or_latest().to_string());
        engine
            .docker
            .tag_image(
                &req.image,
                Some(TagImageOptions {
                    repo: Some(repo),
                    tag: Some(t),
                }),
            )
            .await
            .map_err(|e| engine.error(e))?;
    }
    event(Status::Done, "Built");
    Ok(())
}

async fn run_build(
    engine: &Engine,
    req: &BuildRequest,
    builder: Builder,
    progress: &Progress,
) -> Result<(), EngineError> {
    let b = &req.build;
    let svc = &req.service;
    if !b.context.is_dir() {
        return Err(build_error(
            svc,
            &format!("build context {} is not a directory", b.context.display()),
        ));
    }
    // The Dockerfile: inline, inside the context, or outside it (then added to the tar).
    let mut extra = Vec::new();
    let (dockerfile_name, dockerfile_text) = match &b.dockerfile_inline {
        Some(text) => {
            let name = ".rcompose-inline.Dockerfile".to_string();
            extra.push((name.clone(), text.clone().into_bytes()));
            (name, text.clone())
        }
        None => {
            let path = b.context.join(&b.dockerfile);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                build_error(
                    svc,
                    &format!("cannot read Dockerfile {}: {e}", path.display()),
                )
            })?;
            let canon = path.canonicalize().unwrap_or(path.clone());
            let ctx = b.context.canonicalize().unwrap_or(b.context.clone());
            match canon.strip_prefix(&ctx) {
                Ok(rel) => (rel.to_string_lossy().into_owned(), text),
                Err(_) => {
                    let name = ".rcompose-external.Dockerfile".to_string();
                    extra.push((name.clone(), text.clone().into_bytes()));
                    (name, text)
                }
            }
        }
    };
    let keys = b.buildkit_only_keys();
    if builder == Builder::Classic && !keys.is_empty() {
        return Err(build_error(
            svc,
            &format!(
                "the classic builder (DOCKER_BUILDKIT=0 or Podman) does not support `build.{}` (service {svc:?})\nBuild with BuildKit (unset DOCKER_BUILDKIT) on a Docker Engine.",
                keys.join("`, `build.")
            ),
        ));
    }
    if builder == Builder::Classic
        && let Some(instr) = buildkit_only_feature(&dockerfile_text)
    {
        return Err(build_error(
            svc,
            &format!(
                "the classic builder (DOCKER_BUILDKIT=0 or Podman) does not support `RUN --mount`: {instr}\nBuild with BuildKit (unset DOCKER_BUILDKIT) on a Docker Engine."
            ),
        ));
    }

    if builder == Builder::BuildKit && !b.additional_contexts.is_empty() {
        let names: Vec<&str> = b.additional_contexts.keys().map(String::as_str).collect();
        return Err(build_error(
            svc,
            &format!(
                "`build.additional_contexts` ({}) is not supported: the engine's /build endpoint has no named build contexts (they need buildx and Dockerfile frontend 1.4; a `# syntax=` line fetches that frontend from a registry)",
                names.join(", ")
            ),
        ));
    }
    // Secrets and SSH agents are served on rcompose's own BuildKit session.
    let session_content =
        if builder == Builder::BuildKit && (!req.secrets.is_empty() || !req.ssh.is_empty()) {
            Some(session_content(engine, req).await?)
        } else {
            None
        };

    let mut labels: HashMap<String, String> = b.labels.clone().into_iter().collect();
    labels.insert("com.docker.compose.project".into(), req.project.clone());
    labels.insert("com.docker.compose.service".into(), req.service.clone());
    labels.insert(
        "com.docker.compose.version".into(),
        crate::plan::spec::COMPOSE_VERSION.into(),
    );
    if builder == Builder::Classic {
        labels.insert("com.docker.compose.image.builder".into(), "classic".into());
    }
    let args: HashMap<String, String> = req.args.clone().into_iter().collect();
    let mut opts = BuildImageOptionsBuilder::new()
        .dockerfile(&dockerfile_name)
        .t(&req.image)
        .rm(true)
        .nocache(req.no_cache || b.no_cache)
        .buildargs(&args)
        .labels(&labels);
    if req.pull || b.pull {
        opts = opts.pull("true");
    }
    if let Some(m) = req.memory {
        opts = opts.memory(i32::try_from(m).unwrap_or(i32::MAX));
    }
    if let Some(t) = &b.target {
        opts = opts.target(t);
    }
    if let Some(n) = &b.network {
        opts = opts.networkmode(n);
    }
    if let Some(s) = b.shm_size {
        opts = opts.shmsize(i32::try_from(s).unwrap_or(i32::MAX));
    }
    if !b.extra_hosts.is_empty() {
        opts = opts.extrahosts(&b.extra_hosts.join(","));
    }
    if !b.cache_from.is_empty() {
        opts = opts.cachefrom(&b.cache_from);
    }
    let mut session_guard = None;
    opts = match builder {
        Builder::BuildKit => {
            let session = format!(
                "rcompose-{}-{}-{}",
                req.service,
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            );
            if let Some(content) = session_content {
                // Opened before the build: the engine then refuses bollard's own session with
                // the same id, and BuildKit talks to this one.
                let started = build_session::start(&engine.endpoint, &session, content)
                    .await
                    .map_err(|e| build_error(svc, &e))?;
                session_guard = Some(started);
                // The engine registers the session just after answering the upgrade; give it
                // that moment so bollard's session (same id) is the one refused.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            opts.version(BuilderVersion::BuilderBuildKit)
                .session(&session)
        }
        Builder::Classic => opts.version(BuilderVersion::BuilderV1),
    };

    let (body, writer) = stream_context(ContextSpec {
        dir: b.context.clone(),
        dockerfile: dockerfile_name,
        extra,
    });
    // Base images from private registries: every registry the docker config file knows
    // (X-Registry-Config for the classic builder, the session's auth service for BuildKit).
    let credentials = Some(engine.auth.all().await).filter(|c| !c.is_empty());
    let mut stream =
        engine
            .docker
            .build_image(opts.build(), credentials, Some(bollard::body_stream(body)));

    // BuildKit vertices are numbered in order of first appearance, like `docker build`'s
    // plain progress; the same vertex arrives several times.
    let mut numbers: HashMap<String, usize> = HashMap::new();
    if builder == Builder::BuildKit {
        // buildx lists the ignore file's load as a step of its own; the engine gets the
        // context as a tar rcompose filtered through it already, so rcompose reports it.
        numbers.insert("rcompose:load .dockerignore".into(), 1);
        print_line(req, progress, "#1 [internal] load .dockerignore");
        print_line(req, progress, "#1 DONE");
    }
    let mut done: std::collections::HashSet<String> = Default::default();
    let mut logs: Vec<String> = Vec::new();
    let mut failure: Option<String> = None;
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(e) => {
                failure = Some(match e {
                    bollard::errors::Error::DockerStreamError { error } => error,
                    other => engine.error(other).to_string(),
                });
                break;
            }
        };
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            failure = Some(detail);
            break;
        }
        if let Some(s) = info.stream {
            for line in s.lines().filter(|l| !l.trim().is_empty()) {
                print_line(req, progress, line);
                logs.push(line.to_string());
            }
        }
        if let Some(BuildInfoAux::BuildKit(status)) = info.aux {
            for v in &status.vertexes {
                let next = numbers.len() + 1;
                let n = *numbers.entry(v.digest.clone()).or_insert_with(|| {
                    print_line(req, progress, &format!("#{next} {}", v.name));
                    next
                });
                if done.contains(&v.digest) {
                    continue;
                }
                if v.cached {
                    print_line(req, progress, &format!("#{n} CACHED"));
                    done.insert(v.digest.clone());
                } else if !v.error.is_empty() {
                    print_line(req, progress, &format!("#{n} ERROR: {}", v.error));
                    done.insert(v.digest.clone());
                } else if v.completed.is_some() {
                    print_line(req, progress, &format!("#{n} DONE"));
                    done.insert(v.digest.clone());
                }
            }
            for l in &status.logs {
                let n = numbers.get(&l.vertex).copied().unwrap_or(0);
                let text = String::from_utf8_lossy(&l.msg);
                for line in text.lines() {
                    let line = format!("#{n} {line}");
                    print_line(req, progress, &line);
                    logs.push(line);
                }
            }
        }
    }
    drop(stream);
    drop(session_guard);
    let written = writer.await;
    if let Some(message) = failure {
        // Without plain progress the failing build's output is still shown.
        if req.quiet || progress.mode() != ProgressMode::Plain {
            let mut err = std::io::stderr().lock();
            for l in &logs {
                let _ = writeln!(err, "{} {l}", req.service);
            }
        }
        return Err(build_error(svc, &message));
    }
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(build_error(svc, &e)),
        Err(e) => Err(build_error(svc, &e.to_string())),
    }
}

/// What the session serves for `req`: secret values, SSH agent sockets and registry
/// credentials. Errors name the service and the secret or SSH id, never a value.
async fn session_content(
    engine: &Engine,
    req: &BuildRequest,
) -> Result<SessionContent, EngineError> {
    let svc = &req.service;
    let mut content = SessionContent {
        credentials: engine.auth.all().await,
        ..Default::default()
    };
    for (id, value) in &req.secrets {
        let data = match value {
            SecretValue::File(path) => std::fs::read(path).map_err(|e| {
                build_error(
                    svc,
                    &format!("build secret {id:?}: cannot read {}: {e}", path.display()),
                )
            })?,
            SecretValue::Value(v) => v.clone().into_bytes(),
        };
        content.secrets.insert(id.clone(), data);
    }
    for (id, path) in &req.ssh {
        let path = path.as_ref().ok_or_else(|| {
            build_error(
                svc,
                &format!("build.ssh {id:?}: SSH_AUTH_SOCK is not set (start an ssh-agent)"),
            )
        })?;
        if !std::fs::metadata(path)
            .map(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
            .unwrap_or(false)
        {
            return Err(build_error(
                svc,
                &format!(
                    "build.ssh {id:?}: {} is not an SSH agent socket (rcompose forwards agents only: load keys with ssh-add and use `default` or `{id}=<agent socket>`)",
                    path.display()
                ),
            ));
        }
        content.ssh.insert(id.clone(), path.clone());
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_stay_out_of_debug_output() {
        let v = SecretValue::Value("s3cr3t".into());
        assert!(!format!("{v:?}").contains("s3cr3t"));
    }

    #[test]
    fn finds_run_mount() {
        assert!(buildkit_only_feature("FROM x\nRUN echo hi\n").is_none());
        assert!(
            buildkit_only_feature("FROM x\nRUN --mount=type=cache,target=/c echo hi\n").is_some()
        );
        assert!(
            buildkit_only_feature("FROM x\nRUN \\\n  --mount=type=cache,target=/c \\\n  echo\n")
                .is_some()
        );
        assert!(buildkit_only_feature("FROM x\nRUN echo --mount\n").is_none());
    }
}
